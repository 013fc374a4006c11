"""Seed the role table (DESIGN §2) and the dispute-type code table (legal-rules §5.1)."""

from django.db import migrations

from fangtiao.org.choices import DISPUTE_CATEGORIES, Role


def seed(apps, schema_editor):
    RoleModel = apps.get_model("org", "Role")
    Category = apps.get_model("org", "DisputeCategory")
    for code, name in Role.choices:
        RoleModel.objects.update_or_create(code=code, defaults={"name": name})
    for i, (code, name) in enumerate(DISPUTE_CATEGORIES, start=1):
        Category.objects.update_or_create(code=code, defaults={"name": name, "sort": i * 10})


def unseed(apps, schema_editor):
    apps.get_model("org", "Role").objects.filter(code__in=[c for c, _ in Role.choices]).delete()
    apps.get_model("org", "DisputeCategory").objects.filter(code__in=[c for c, _ in DISPUTE_CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
