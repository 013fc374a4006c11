"""Seed the role table (DESIGN §2) and the dispute-type code table (legal-rules §5.1)."""

from django.db import migrations

from fangtiao.org.choices import DISPUTE_CATEGORIES, Role


def seed(apps, schema_editor):
    from fangtiao.org.seed import ensure_reference_data

    ensure_reference_data(apps.get_model("org", "Role"), apps.get_model("org", "DisputeCategory"))


def unseed(apps, schema_editor):
    apps.get_model("org", "Role").objects.filter(code__in=[c for c, _ in Role.choices]).delete()
    apps.get_model("org", "DisputeCategory").objects.filter(code__in=[c for c, _ in DISPUTE_CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
