"""Seed the mediation clock rules (judicial confirmation) and the default backlog rule."""

from django.db import migrations


def seed(apps, schema_editor):
    from fangtiao.clocks.seed import ensure_rules

    rule = apps.get_model("clocks", "ClockRule")
    ensure_rules(rule)
    # The 30-day window of 人民调解法 第33条 warns on day 20 (issue 4): 10 days before it closes.
    rule.objects.filter(code="confirmation.apply", region__isnull=True, due_soon_days=3).update(due_soon_days=10)
    apps.get_model("mediation", "BacklogRule").objects.get_or_create(region=None)


class Migration(migrations.Migration):
    dependencies = [
        ("mediation", "0001_initial"),
        ("clocks", "0002_seed_rules"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
