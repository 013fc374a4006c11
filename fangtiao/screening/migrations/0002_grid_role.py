"""Grid staff (网格员) screen for disputes with the mediators: their role joins the role table."""

from django.db import migrations


def seed(apps, schema_editor):
    from fangtiao.org.seed import ensure_reference_data

    ensure_reference_data(apps.get_model("org", "Role"), apps.get_model("org", "DisputeCategory"))


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial"), ("org", "0002_seed_roles_and_categories")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
