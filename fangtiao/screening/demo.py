"""The demo district's year of screening and early warning, made through the services at simulated
moments (like the cases of fangtiao.cases.demo): the committees' twice-monthly screening rounds with
their findings — the campaign's screening-found disputes among them — nil returns, a few rounds
missed; the routing model trained on the year's matters; the last month's hot spots; and the
periodic warning rules run on the day of loading. Deterministic for a seed; skipped if loaded."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from fangtiao.cases.demo import demo_year, simulated_time
from fangtiao.cases.models import Case
from fangtiao.org.models import User
from fangtiao.screening import engine, hotspots, routing, services
from fangtiao.screening.choices import RoundStatus
from fangtiao.screening.models import HotspotRun, ScreeningRound

# Small findings a village committee writes down and settles on the spot (invented texts).
SMALL_FINDINGS = [
    ("村民因田间排水沟堵塞发生口角", "排水沟被邻户堆放杂物堵塞，雨天积水淹了秧田，双方争吵。", "neighbour"),
    ("两户村民因宅基地界址有争议", "翻建房屋时对界址石的位置说法不一，尚未动工。", "housing_homestead"),
    ("外来务工人员反映工资结算延迟", "附近小作坊月底未按时结算工资，涉及4人。", "labour"),
    ("邻里因养犬扰民产生矛盾", "夜间犬吠影响休息，多次沟通未果。", "neighbour"),
    ("村道拓宽占用部分承包地补偿未谈妥", "涉及3户，对青苗补偿标准有意见。", "land_forest"),
    ("婆媳矛盾引发家庭纠纷", "赡养老人费用分摊有分歧，情绪较激动。", "marriage_family"),
]


def already_loaded() -> bool:
    return ScreeningRound.objects.exists()


def _months(first: dt.date, last: dt.date) -> list[tuple[int, int]]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _screener(unit_id: int, cache: dict[int, Any]) -> Any:
    if unit_id not in cache:
        cache[unit_id] = (User.objects.filter(unit_id=unit_id, is_active=True,
                                              roles__code__in=["committee_head", "mediator", "grid"])
                          .order_by("id").first())
    return cache[unit_id]


def build(*, seed: int, today: dt.date | None = None, log: Callable[[str], None] | None = None) -> dict[str, int]:
    say = log or (lambda _msg: None)
    today = today or timezone.localdate()
    if already_loaded():
        return {"skipped": 1}
    rng = random.Random(seed * 7919 + 6)
    first, last = demo_year(today)
    counts = {"rounds": 0, "done": 0, "missed": 0, "findings": 0}
    tz = timezone.get_current_timezone()
    with transaction.atomic(), simulated_time() as clock:
        for y, m in _months(first, today):
            counts["rounds"] += services.schedule_rounds(year=y, month=m)
        screened_cases: dict[int, list[Case]] = {}
        for c in Case.objects.filter(channel="screening").select_related("region").order_by("received_at"):
            screened_cases.setdefault(c.registered_unit_id, []).append(c)
        users: dict[int, Any] = {}
        used: set[int] = set()
        due = ScreeningRound.objects.filter(due_on__lt=today).select_related("unit__region").order_by("due_on", "unit_id")
        for r in due:
            found = [c for c in screened_cases.get(r.unit_id, [])
                     if r.period_start <= timezone.localdate(c.received_at) <= r.due_on + dt.timedelta(days=3)
                     and c.region.path.startswith(r.region_path) and c.pk not in used]
            used.update(c.pk for c in found)
            if not found and rng.random() < 0.05 and r.due_on < today - dt.timedelta(days=4):
                continue  # left unreported: missed below
            actor = _screener(r.unit_id, users)
            late = rng.random() < 0.06
            day = r.due_on + dt.timedelta(days=rng.randint(1, 3)) if late else \
                r.period_start + dt.timedelta(days=rng.randint(0, max(0, (r.due_on - r.period_start).days)))
            day = min(day, today)
            clock.moment = dt.datetime.combine(day, dt.time(16, rng.randint(0, 59)), tzinfo=tz)
            findings = [{"title": c.title[:200], "description": c.description[:2000], "region": c.region.code,
                         "category": c.category.code if c.category_id else None, "headcount": c.headcount,
                         "risk": "medium" if c.headcount >= 5 else "low", "case_id": c.pk} for c in found]
            if not findings and rng.random() < 0.12:
                title, text, cat = rng.choice(SMALL_FINDINGS)
                findings = [{"title": title, "description": text, "region": r.unit.region.code, "category": cat,
                             "risk": "low", "measures": "调委会当场调解，双方达成谅解"}]
            villages = r.unit.region.name
            rec = services.round_record(
                actor=actor, round_id=r.pk, screened_on=day, screeners=(actor.get_full_name() if actor else "调委会") + "、网格员",
                places=f"{villages}各村民小组、在建工地和企业", nil_return=not findings,
                summary="逐户走访、召开村民小组长会议排摸" if findings else "未发现矛盾纠纷",
                findings=[{k: v for k, v in f.items() if k != "case_id"} for f in findings])
            for f, row in zip(findings, rec.findings.order_by("id"), strict=False):
                if f.get("case_id"):
                    row.case_id = f["case_id"]
                    row.save(update_fields=["case"])
            counts["done"] += 1
            counts["findings"] += len(findings)
        clock.moment = dt.datetime.combine(today, dt.time(0, 10), tzinfo=tz)
        counts["missed"] = len(services.mark_missed(today=today))
        model = routing.retrain()
        counts["routing_trained"] = model.n_train if model else 0
        end = today - dt.timedelta(days=1)
        run = HotspotRun.objects.create(window_start=end - dt.timedelta(days=29), window_end=end)
        hotspots.run_one(run.pk)
        run.refresh_from_db()
        counts["hotspots"] = run.hotspots.count()
        w = engine.refresh(today=today)
        counts.update({f"warnings_{k}": v for k, v in w.items()})
    say(f"排查轮次 {counts['rounds']} 轮（已报 {counts['done']}，逾期未报 {counts['missed']}），排查发现 {counts['findings']} 件；"
        f"分流模型训练样本 {counts['routing_trained']} 件；近30天热点 {counts['hotspots']} 个")
    return counts


def summary() -> dict[str, int]:
    from fangtiao.screening.models import EarlyWarning

    return {"rounds": ScreeningRound.objects.count(),
            "missed": ScreeningRound.objects.filter(status=RoundStatus.MISSED).count(),
            "warnings": EarlyWarning.objects.filter(status__in=["open", "acknowledged"]).count()}
