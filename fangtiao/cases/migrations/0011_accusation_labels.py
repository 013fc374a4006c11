"""Data only (ADR 0022): label the accusations already on file 涉及检举揭发 (2), and keep the people
who read them before the label was enforced able to read them — petition officers and leaders get
clearance 2. Everyone else keeps 普通 (0) until the security administrator grants more."""

from django.db import migrations

ACCUSATION = 2
HANDLER_ROLES = ("officer", "leader")


def forwards(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    User = apps.get_model("org", "User")
    Case.objects.filter(nature="accusation", sensitivity__lt=ACCUSATION).update(sensitivity=ACCUSATION)
    User.objects.filter(roles__code__in=HANDLER_ROLES, clearance__lt=ACCUSATION).update(clearance=ACCUSATION)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0010_case_sensitivity"),
        ("org", "0005_user_clearance_security_role"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
