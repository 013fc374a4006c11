"""The article's rate as the default rule: ¥1000.00 for each resolved 信访积案 (以奖代补)."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

DEFAULT_NAME = "信访积案化解以奖代补（每件1000元）"


def seed(apps, schema_editor):
    Rule = apps.get_model("subsidies", "SubsidyRule")
    if not Rule.objects.filter(kind="backlog").exists():
        Rule.objects.create(name=DEFAULT_NAME, kind="backlog", amount=Decimal("1000.00"),
                            committee_amount=Decimal("0.00"), split="equal", valid_from=dt.date(2018, 1, 1),
                            active=True, region_path="",
                            note="黄岩区：将人民调解参与信访矛盾化解纳入“以奖代补”，补贴标准提高至每件1000元")


def unseed(apps, schema_editor):
    Rule = apps.get_model("subsidies", "SubsidyRule")
    Rule.objects.filter(name=DEFAULT_NAME, kind="backlog", earnings__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0001_payout")]

    operations = [migrations.RunPython(seed, unseed)]
