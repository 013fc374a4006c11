"""The demo district's previous year, as the history an old petition system would hand over.

The article's district measures itself by 三下降 — petitions, repeat petitions and skip-level
petitions all falling year on year. The demo's own year is made through the services; the year
before it comes in the way a real district's history does: a file from the old system imported with
`import_cases` (closed matters, their 重复/越级 marks, no clocks). Its monthly numbers follow the demo
year's, with more petitions, repeat and skip-level petitions than this year and about as many disputes
(screening now finds disputes that used to surface as petitions). Deterministic for a seed."""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from fangtiao.cases.demo import DISPUTES, PETITIONS, demo_year
from fangtiao.cases.importer import import_cases
from fangtiao.cases.models import Case
from fangtiao.cases.models_import import ImportBatch
from fangtiao.org.models import Region, Unit

SOURCE = "黄岩区原信访信息系统（演示）"
# Last year relative to this year: (low, high) multipliers of the demo year's monthly counts.
FACTORS = {"petition": (1.22, 1.38), "dispute": (0.88, 1.02), "repeat": (1.9, 2.6), "skip_level": (2.0, 2.8)}
COLUMNS = ["编号", "标题", "内容", "诉求", "登记时间", "渠道", "类型", "类别", "发生地", "办结日期", "重复", "越级"]
MAPPING: dict[str, Any] = {
    "source": {"name": SOURCE},
    "columns": {"external_id": "编号", "title": "标题", "description": "内容", "demands": "诉求",
                "received_at": "登记时间", "channel": "渠道", "kind": "类型", "category": "类别", "region": "发生地",
                "closed_on": "办结日期", "repeat": "重复", "skip_level": "越级"},
    "defaults": {"status": "closed"},
}


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return {"o": "某某", "p": "某某", "org": "某公司", "town": "本镇", "place": "某小区", "amt": "若干"}.get(key, "某")


def already_loaded() -> bool:
    return ImportBatch.objects.filter(source=SOURCE).exists()


def build(*, seed: int, today: dt.date | None = None, log: Callable[[str], None] | None = None) -> dict[str, int]:
    say = log or (lambda _msg: None)
    if already_loaded():
        return {"skipped": 1}
    today = today or timezone.localdate()
    first, last = demo_year(today)
    rng = random.Random(f"{seed}/history")  # noqa: S311 - invented demo data, not secrets
    tz = timezone.get_current_timezone()
    this_year = (Case.objects.filter(received_at__date__gte=first, received_at__date__lte=last)
                 .exclude(imported_from__isnull=False)
                 .annotate(m=TruncMonth("received_at", tzinfo=tz)).values("m", "kind")
                 .annotate(n=Count("id"), rep=Count("id", filter=Q(is_repeat=True)),
                           skip=Count("id", filter=Q(is_skip_level=True))))
    months: dict[dt.date, Counter[str]] = defaultdict(Counter)
    for row in this_year:
        m = timezone.localtime(row["m"]).date() if isinstance(row["m"], dt.datetime) else row["m"]
        months[m][row["kind"]] += row["n"]
        months[m]["repeat"] += row["rep"]
        months[m]["skip_level"] += row["skip"]
    if not months:
        return {"skipped": 1}
    places = list(Region.objects.filter(level__in=["township", "village"]).values_list("code", flat=True))
    unit = Unit.objects.filter(kind="centre", level="district").order_by("id").first()
    disputes = [(cat, m) for cat, matters in DISPUTES.items() for m in matters]
    channels = (["来访"] * 5 + ["来信"] * 2 + ["来电"] * 2 + ["网上"] * 3)
    channel_codes = {"来访": "visit", "来信": "letter", "来电": "phone", "网上": "online"}
    MAPPING["values"] = {"channel": channel_codes, "kind": {"信访事项": "petition", "矛盾纠纷": "dispute"}}
    rows: list[dict[str, str]] = []
    for month, n in sorted(months.items()):
        prev = month.replace(year=month.year - 1)
        n_pet = round(n["petition"] * rng.uniform(*FACTORS["petition"]))
        n_dis = round(n["dispute"] * rng.uniform(*FACTORS["dispute"]))
        n_rep = min(n_pet, round(max(n["repeat"], 1) * rng.uniform(*FACTORS["repeat"])))
        n_skip = min(n_pet, round(max(n["skip_level"], 1) * rng.uniform(*FACTORS["skip_level"])))
        days = (prev.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - prev
        for i in range(n_pet + n_dis):
            petition = i < n_pet
            day = prev + dt.timedelta(days=rng.randrange(days.days))
            at = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59)))
            if petition:
                p = rng.choice(PETITIONS)
                title, facts, demands, category = p.title, p.facts, p.demands, p.category or ""
            else:
                category, m = rng.choice(disputes)
                title, facts, demands = m.title, m.facts, m.demands
            closed = min(day + dt.timedelta(days=rng.randint(5, 75)), first - dt.timedelta(days=1))
            rows.append({
                "编号": f"HY{prev:%Y%m}{len(rows) + 1:05d}", "标题": title.format_map(_Blank())[:200],
                "内容": facts.format_map(_Blank()), "诉求": demands.format_map(_Blank()),
                "登记时间": at.strftime("%Y-%m-%d %H:%M:%S"), "渠道": rng.choice(channels),
                "类型": "信访事项" if petition else "矛盾纠纷", "类别": category, "发生地": rng.choice(places),
                "办结日期": closed.strftime("%Y-%m-%d"),
                "重复": "是" if petition and i < n_rep else "否",
                "越级": "是" if petition and n_pet - i <= n_skip else "否",
            })
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=COLUMNS)
            w.writeheader()
            w.writerows(rows)
        report = import_cases(path=path, mapping=MAPPING, actor_unit=unit, batch_size=1000)
    counts = {"imported": report.imported, "petitions": sum(r["类型"] == "信访事项" for r in rows),
              "repeat": sum(r["重复"] == "是" for r in rows), "skip_level": sum(r["越级"] == "是" for r in rows)}
    say(f"上一年度历史事项（原信访信息系统导入）{counts['imported']} 件：信访事项 {counts['petitions']} 件，"
        f"重复 {counts['repeat']} 件，越级 {counts['skip_level']} 件")
    return counts
