"""Seed the statutory rule table (fangtiao/clocks/rules.py; docs/domain/rules.md)."""

from django.db import migrations


def seed(apps, schema_editor):
    from fangtiao.clocks.seed import ensure_rules

    ensure_rules(apps.get_model("clocks", "ClockRule"))


def unseed(apps, schema_editor):
    from fangtiao.clocks.rules import SEED_RULES

    apps.get_model("clocks", "ClockRule").objects.filter(region__isnull=True, code__in=[r["code"] for r in SEED_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("clocks", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
