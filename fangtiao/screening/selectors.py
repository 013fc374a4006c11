"""Read queries of screening and early warning, jurisdiction-scoped and N+1-free."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Case as Choose
from django.db.models import Count, IntegerField, Prefetch, Q, QuerySet, Value, When

from fangtiao.cases.access import case_scope_path, may_read_accusations
from fangtiao.org.choices import Role
from fangtiao.org.models import Region
from fangtiao.screening.choices import ACTIVE_WARNING, RoundStatus
from fangtiao.screening.models import (
    EarlyWarning,
    Finding,
    Hotspot,
    HotspotMember,
    HotspotRun,
    LawyerIntervention,
    ScreeningRound,
)


def _region_filter(qs: QuerySet, code: str | None, field: str = "region_path") -> QuerySet:
    if not code:
        return qs
    region = Region.objects.filter(code=code).only("path").first()
    if region is None:
        return qs.none()
    return qs.filter(**{f"{field}__startswith": region.path})


# --- warnings ----------------------------------------------------------------------------------

def warnings_visible(user: Any) -> QuerySet[EarlyWarning]:
    """Warnings in the user's jurisdiction, and those their unit (the public legal service) or they
    (a lawyer) were asked to act on; those about accusation matters only to those who may read
    accusations (信访工作条例 第30条第3款), never to the accused unit."""
    if user is None or not getattr(user, "is_authenticated", False):
        return EarlyWarning.objects.none()
    sent = Q(pk__in=LawyerIntervention.objects.filter(lawyer__user_id=user.pk).values("warning_id"))
    if user.unit_id:
        sent |= Q(pk__in=LawyerIntervention.objects.filter(service_unit_id=user.unit_id).values("warning_id"))
    if user.role_codes == {Role.EXPERT}:
        return EarlyWarning.objects.filter(sent)
    scope = EarlyWarning.visible_q(user)
    qs = EarlyWarning.objects.all() if scope is None else EarlyWarning.objects.filter(scope | sent)
    if not may_read_accusations(user):
        qs = qs.exclude(case__nature="accusation")
    elif user.unit_id and not user.is_superuser:
        qs = qs.exclude(case__nature="accusation", case__accused_unit_id=user.unit_id)
    return qs


def warning_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[EarlyWarning]:
    f = dict(filters or {})
    qs = warnings_visible(user)
    status = f.get("status") or "active"
    if status == "active":
        qs = qs.filter(status__in=ACTIVE_WARNING)
    elif status != "all":
        qs = qs.filter(status=status)
    if f.get("kind"):
        qs = qs.filter(kind=f["kind"])
    if f.get("level"):
        qs = qs.filter(level=f["level"])
    if f.get("owner_unit"):
        qs = qs.filter(owner_unit_id=f["owner_unit"])
    if f.get("case"):
        qs = qs.filter(case_id=f["case"])
    qs = _region_filter(qs, f.get("region"))
    # red first, then orange, then yellow; newest first within a level (a leader's reading order)
    severity = Choose(When(level="red", then=Value(0)), When(level="orange", then=Value(1)), default=Value(2),
                    output_field=IntegerField())
    return (qs.select_related("region", "owner_unit", "case", "acknowledged_by", "resolved_by")
            .order_by(severity, "-raised_at", "-id"))


def warning_get(*, user: Any, pk: int) -> EarlyWarning | None:
    return (warnings_visible(user).select_related("region", "owner_unit", "case", "hotspot", "acknowledged_by",
                                                  "resolved_by", "screening_round__unit")
            .prefetch_related(Prefetch("interventions", queryset=LawyerIntervention.objects.select_related(
                "lawyer", "requested_by", "assigned_by", "recorded_by", "service_unit")))
            .filter(pk=pk).first())


def warning_counts(*, user: Any) -> dict[str, int]:
    """Active warnings by level (the badge on the leader's desk)."""
    rows = warnings_visible(user).filter(status__in=ACTIVE_WARNING).values("level").annotate(n=Count("id"))
    return {r["level"]: r["n"] for r in rows}


def interventions_visible(user: Any) -> QuerySet[LawyerIntervention]:
    """Staff see the interventions of warnings they see and those sent to their unit (the public legal
    service); a lawyer those assigned to them."""
    if user is None or not getattr(user, "is_authenticated", False):
        return LawyerIntervention.objects.none()
    mine = Q(lawyer__user_id=user.pk)
    if user.role_codes == {Role.EXPERT}:
        return LawyerIntervention.objects.filter(mine)
    if user.unit_id:
        mine |= Q(service_unit_id=user.unit_id)
    return LawyerIntervention.objects.filter(Q(warning__in=warnings_visible(user)) | mine)


def lawyer_queue(*, user: Any) -> QuerySet[LawyerIntervention]:
    return (interventions_visible(user).filter(status__in=["requested", "assigned"])
            .select_related("warning__case", "warning__region", "lawyer", "requested_by").order_by("requested_at"))


# --- screening ---------------------------------------------------------------------------------

def round_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[ScreeningRound]:
    f = dict(filters or {})
    qs = ScreeningRound.objects.visible_to(user)
    if f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("unit"):
        qs = qs.filter(unit_id=f["unit"])
    if f.get("month"):
        year, month = f["month"]
        qs = qs.filter(period_start__year=year, period_start__month=month)
    if f.get("from"):
        qs = qs.filter(period_start__gte=f["from"])
    if f.get("to"):
        qs = qs.filter(period_start__lte=f["to"])
    qs = _region_filter(qs, f.get("region"))
    return (qs.select_related("unit", "recorded_by").annotate(n_findings=Count("findings"))
            .order_by("-period_start", "unit__name", "id"))


def round_get(*, user: Any, pk: int) -> ScreeningRound | None:
    return (ScreeningRound.objects.visible_to(user).select_related("unit__region", "recorded_by")
            .prefetch_related(Prefetch("findings", queryset=Finding.objects.select_related("region", "category", "case")))
            .filter(pk=pk).first())


def missed_rounds(*, user: Any) -> QuerySet[ScreeningRound]:
    return round_list(user=user, filters={"status": RoundStatus.MISSED})


def completion(*, user: Any, start: dt.date, end: dt.date, today: dt.date, region: str | None = None,
               by: str = "unit") -> list[dict[str, Any]]:
    """Screening completion per unit (or per township) for rounds due in [start, end] and already
    due by `today`: rate = reported on time or late / rounds due. Aggregated in the database."""
    qs = ScreeningRound.objects.visible_to(user).filter(period_start__gte=start, period_start__lte=end, due_on__lte=today)
    qs = _region_filter(qs, region)
    done = Count("id", filter=Q(status=RoundStatus.DONE))
    on_time = Count("id", filter=Q(status=RoundStatus.DONE, late=False))
    nil = Count("id", filter=Q(status=RoundStatus.DONE, nil_return=True))
    missed = Count("id", filter=Q(status=RoundStatus.MISSED))
    findings = Count("findings")
    rows = (qs.values("unit_id", "unit__name", "region_path")
            .annotate(due=Count("id", distinct=True), done=done, on_time=on_time, nil=nil, missed=missed)
            .order_by("region_path", "unit__name"))
    found = dict(qs.values("unit_id").annotate(n=findings).values_list("unit_id", "n"))
    out = []
    for r in rows:
        out.append({"unit": r["unit_id"], "unit_name": r["unit__name"], "region_path": r["region_path"],
                    "due": r["due"], "done": r["done"], "on_time": r["on_time"], "nil_returns": r["nil"],
                    "missed": r["missed"], "findings": found.get(r["unit_id"], 0),
                    "rate": round(r["done"] / r["due"], 4) if r["due"] else None})
    if by == "township":
        groups: dict[str, dict[str, Any]] = {}
        for r in out:
            parts = [p for p in r["region_path"].split("/") if p]
            # the township is the 9-digit code on the path (统计用区划代码); a district-level unit is its own row
            key = next((code for code in parts if len(code) == 9), parts[-1])
            g = groups.setdefault(key, {"region": key, "due": 0, "done": 0, "on_time": 0, "nil_returns": 0,
                                        "missed": 0, "findings": 0})
            for k in ("due", "done", "on_time", "nil_returns", "missed", "findings"):
                g[k] += r[k]
        names = dict(Region.objects.filter(code__in=list(groups)).values_list("code", "name"))
        out = []
        for key, g in groups.items():
            g["region_name"] = names.get(key, key)
            g["rate"] = round(g["done"] / g["due"], 4) if g["due"] else None
            out.append(g)
    return out


# --- hot spots ---------------------------------------------------------------------------------

def latest_run(*, window_end: dt.date | None = None) -> HotspotRun | None:
    qs = HotspotRun.objects.filter(status="done")
    if window_end is not None:
        qs = qs.filter(window_end=window_end)
    return qs.order_by("-window_end", "-finished_at", "-id").first()


def hotspot_list(*, user: Any, run: HotspotRun | None, region: str | None = None) -> QuerySet[Hotspot]:
    if run is None:
        return Hotspot.objects.none()
    qs = Hotspot.objects.visible_to(user).filter(run=run)
    qs = _region_filter(qs, region)
    return qs.select_related("region").order_by("-size", "id")


def hotspot_get(*, user: Any, pk: int) -> Hotspot | None:
    return Hotspot.objects.visible_to(user).select_related("region", "run").filter(pk=pk).first()


def hotspot_members(*, user: Any, hotspot: Hotspot) -> QuerySet[Any]:
    """The member cases the user may see (a district-wide hot spot shows a township its own cases)."""
    from fangtiao.cases.models import Case

    ids = HotspotMember.objects.filter(hotspot=hotspot).values("case_id")
    return (Case.objects.visible_to(user).filter(pk__in=ids).select_related("region", "category", "holder_unit")
            .order_by("-received_at", "-id"))


def hotspot_member_ids(hotspots: list[Hotspot], *, user: Any, limit: int = 50) -> dict[int, list[int]]:
    """Up to `limit` member case ids per hot spot (newest first) — only the cases the user may see;
    one query (a window function), whatever the hot spots' sizes."""
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    from fangtiao.cases.models import Case

    out: dict[int, list[int]] = {h.pk: [] for h in hotspots}
    if not hotspots:
        return out
    visible = Case.objects.visible_to(user).values("pk")
    rows = (HotspotMember.objects.filter(hotspot__in=hotspots, case_id__in=visible)
            .annotate(rn=Window(RowNumber(), partition_by=[F("hotspot_id")], order_by=F("case_id").desc()))
            .filter(rn__lte=limit).order_by("hotspot_id", "-case_id").values_list("hotspot_id", "case_id"))
    for hid, cid in rows:
        out[hid].append(cid)
    return out


def scope_path(user: Any) -> str | None:
    return case_scope_path(user)
