"""Read-only figures of the people who mediate (调解员工作量与成效), counted straight from the
mediation tables — a page of mediators at a time, three queries a page whatever the history.

Definitions (a mediation is one round, `mediation.Mediation`; "led" means the lead assignment):

- 主持调解 (led): rounds *started* in the period on which the mediator was (or is) the lead;
- 调解终结 (concluded): rounds *ended* in the period as 达成协议 or 调解不成 with the mediator the lead
  when the round ended (an assignment still active, or one closed by the round's end — not a lead
  replaced half-way, 人民调解法 第20条);
- 调解成功 (agreed): of those, the ones ended with an agreement; 成功率 = 成功 / 终结 (the same
  definition as the summary's `mediation_success_rate`, measures.py);
- 平均用时 (average days): ended_on − started_on of the concluded rounds, in days;
- 回访满意率: follow-ups (人民调解回访, legal-rules §4.9) visited in the period of agreements of
  rounds the mediator led to the end: (满意 + 基本满意) / 回访;
- 在办 (open now): rounds open today with the mediator actively assigned (lead or not).

Scope: the mediators the caller may see (`Mediator.objects.visible_to`), under the chosen region;
a committee head who is not also a leader or officer sees only the mediators of their own
committee."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet

from fangtiao.mediation.choices import MediationStatus
from fangtiao.mediation.models import FollowUp
from fangtiao.mediation.services import ROUND_ENDED
from fangtiao.org.choices import Role
from fangtiao.org.models import Mediator
from fangtiao.org.selectors import name_q
from fangtiao.stats.measures import ratio

CONCLUDED = (MediationStatus.AGREED, MediationStatus.FAILED)
SATISFIED = ("satisfied", "basically")


def mediators_in_scope(*, user: Any, path: str = "") -> QuerySet[Mediator]:
    """The mediators whose figures the caller may read, under region `path` ('' = no narrowing)."""
    qs = Mediator.objects.visible_to(user)
    roles = getattr(user, "role_codes", frozenset())
    if not user.is_superuser and Role.COMMITTEE_HEAD in roles and not roles & {Role.LEADER, Role.OFFICER}:
        qs = qs.filter(unit_id=user.unit_id)
    if path:
        qs = qs.filter(unit__region__path__startswith=path)
    return qs


def _lead_at_end(prefix: str) -> Q:
    return Q(**{f"{prefix}lead": True}) & (Q(**{f"{prefix}active": True}) | Q(**{f"{prefix}end_reason": ROUND_ENDED}))


PAGE_SIZE = 100


def mediator_count(*, user: Any, path: str, q: str = "") -> int:
    qs = mediators_in_scope(user=user, path=path)
    return (qs.filter(name_q(q)) if q.strip() else qs).count()


def mediator_figures(*, user: Any, path: str, start: dt.date, end: dt.date, q: str = "", page: int = 1,
                     page_size: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """One row per mediator in scope (pinyin order) with the figures above for [start, end] — one page
    of mediators at a time, so the aggregates read only that page's assignments (a province has tens
    of thousands of mediators)."""
    qs = mediators_in_scope(user=user, path=path)
    if q.strip():
        qs = qs.filter(name_q(q))
    first = (max(page, 1) - 1) * page_size
    page_ids = list(qs.order_by("search_key", "pk").values_list("pk", flat=True)[first:first + page_size])
    if not page_ids:
        return []
    qs = Mediator.objects.filter(pk__in=page_ids)
    a = "assignments__"
    m = "assignments__mediation__"
    led = Q(**{f"{a}lead": True, f"{m}started_on__gte": start, f"{m}started_on__lte": end})
    concluded = _lead_at_end(a) & Q(**{f"{m}status__in": CONCLUDED, f"{m}ended_on__gte": start, f"{m}ended_on__lte": end})
    agreed = concluded & Q(**{f"{m}status": MediationStatus.AGREED})
    open_now = Q(**{f"{a}active": True, f"{m}status": MediationStatus.OPEN})
    days = ExpressionWrapper(F(f"{m}ended_on") - F(f"{m}started_on"), output_field=DurationField())
    rows = list(
        qs.values("pk", "name", "search_key", "unit__name", "employment")
        .annotate(
            led=Count(f"{m}id", filter=led, distinct=True),
            concluded=Count(f"{m}id", filter=concluded, distinct=True),
            agreed=Count(f"{m}id", filter=agreed, distinct=True),
            open_now=Count(f"{m}id", filter=open_now, distinct=True),
            avg_duration=Avg(days, filter=concluded),
        )
        .order_by("search_key", "pk")
    )
    ids = [r["pk"] for r in rows]
    f = "agreement__mediation__assignments__"
    visits = {
        r[f"{f}mediator_id"]: r
        for r in FollowUp.objects.filter(_lead_at_end(f), visited_on__gte=start, visited_on__lte=end,
                                         **{f"{f}mediator_id__in": ids})
        .values(f"{f}mediator_id")
        .annotate(n=Count("id", distinct=True), ok=Count("id", filter=Q(satisfaction__in=SATISFIED), distinct=True))
        .order_by()
    } if ids else {}
    out = []
    for r in rows:
        v = visits.get(r["pk"], {})
        duration = r["avg_duration"]
        out.append({
            "id": r["pk"], "name": r["name"], "unit": r["unit__name"], "employment": r["employment"],
            "led": r["led"], "concluded": r["concluded"], "agreed": r["agreed"],
            "success_rate": ratio(r["agreed"], r["concluded"]),
            "avg_days": _days(duration),
            "follow_ups": v.get("n", 0), "satisfied": v.get("ok", 0),
            "satisfaction_rate": ratio(v.get("ok", 0), v.get("n", 0)),
            "open_now": r["open_now"],
        })
    return out


def _days(value: Any) -> float | None:
    """A database average of date differences as days (a timedelta on most backends; a number of
    microseconds where the backend returns the raw average)."""
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds() / 86400, 1)
    return round(float(value) / 86_400_000_000, 1)
