"""The figures counted straight from the source tables, in the database.

This is the definition the rollups must equal (tests compare them over generated data) and the
path used where rollups cannot answer: a jurisdiction below the township buckets (a village).
It shares no code with `stats.services` on purpose. Every count is one aggregate query."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone

from fangtiao.stats.measures import CODES, zero


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[local midnight of start, local midnight after end)."""
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return lo, hi


def _latest_state(code: str) -> Subquery:
    from fangtiao.clocks.models import Clock

    return Subquery(Clock.objects.filter(case=OuterRef("pk"), code=code).exclude(state="cancelled")
                    .order_by("-id").values("state")[:1])


# Where each dimension lives, per source query.
DIM_FIELDS = {
    "case": {"channel": "channel", "category": "category_id", "kind": "kind", "level": "registered_unit__level"},
    "mediation": {"channel": "case__channel", "category": "case__category_id", "kind": "case__kind", "level": "unit__level"},
    "confirmation": {"channel": "case__channel", "category": "case__category_id", "kind": "case__kind",
                     "level": "agreement__mediation__unit__level"},
    "backlog_marked": {"channel": "case__channel", "category": "case__category_id", "kind": "case__kind", "level": None},
    "backlog_resolved": {"channel": "case__channel", "category": "case__category_id", "kind": "case__kind",
                         "level": "resolved_unit__level"},
    "consultation": {"channel": "channel", "category": "category_id", "kind": None, "level": "unit__level"},
}


# The day each source counts on (for dim="month").
DAY_FIELDS = {"case": "received_at", "mediation": "ended_on", "confirmation": "decided_on",
              "backlog_marked": "marked_on", "backlog_resolved": "resolved_on", "consultation": "received_at"}


def _grouped(qs: Any, source: str, dim: str | None, aggregates: dict[str, Any]) -> dict[str, dict[str, int]]:
    """{dimension value: {measure: n}} ('' when not grouped); dim "month" keys by ISO first day."""
    if dim == "month":
        day = DAY_FIELDS[source]
        trunc = TruncMonth(day, tzinfo=timezone.get_current_timezone()) if day.endswith("_at") else TruncMonth(day)
        out: dict[str, dict[str, int]] = {}
        for row in qs.order_by().annotate(_m=trunc).values("_m").annotate(**aggregates):
            m = row.pop("_m")
            key = (m.date() if isinstance(m, dt.datetime) else m).isoformat()
            bucket = out.setdefault(key, {})
            for k, v in row.items():
                bucket[k] = bucket.get(k, 0) + (v or 0)
        return out
    if not dim:
        return {"": {k: v or 0 for k, v in qs.aggregate(**aggregates).items()}}
    field = DIM_FIELDS[source][dim]
    if field is None:
        return {"": {k: v or 0 for k, v in qs.aggregate(**aggregates).items()}}
    out: dict[str, dict[str, int]] = {}
    for row in qs.order_by().values(field).annotate(**aggregates):
        key = row.pop(field) or ""
        bucket = out.setdefault(key, {})
        for k, v in row.items():
            bucket[k] = bucket.get(k, 0) + (v or 0)
    return out


def counts(path: str, start: dt.date, end: dt.date, *, dim: str | None = None) -> dict[str, dict[str, int]]:
    """Every measure of `stats.measures` for matters in the region subtree `path` ('' = all) and
    the inclusive days start..end, grouped by `dim` if given: {value: {measure: n}}."""
    from fangtiao.cases.models import Case
    from fangtiao.legalservice.models import Consultation
    from fangtiao.mediation.models import BacklogRecord, Confirmation, Mediation, Obligation

    lo, hi = day_bounds(start, end)
    result: dict[str, dict[str, int]] = {}

    def merge(part: dict[str, dict[str, int]]) -> None:
        for key, values in part.items():
            bucket = result.setdefault(key, zero())
            for k, v in values.items():
                bucket[k] += v

    cases = Case.objects.filter(region_path__startswith=path, received_at__gte=lo, received_at__lt=hi).annotate(
        disp=_latest_state("petition.disposition"), acc=_latest_state("petition.acceptance_notice"), rep=_latest_state("petition.handling"),
        ev=_latest_state("satisfaction.window"))
    merge(_grouped(cases, "case", dim, {
        "total": Count("id"),
        "petitions": Count("id", filter=Q(kind="petition")),
        "disputes": Count("id", filter=~Q(kind="petition")),
        "repeat": Count("id", filter=Q(is_repeat=True, kind="petition")),
        "skip_level": Count("id", filter=Q(is_skip_level=True, kind="petition")),
        "collective": Count("id", filter=Q(is_collective=True)),
        "disp_timely": Count("id", filter=Q(disp="met")),
        "disp_late": Count("id", filter=Q(disp="late")),
        "disp_overdue": Count("id", filter=Q(disp="overdue")),
        "acc_timely": Count("id", filter=Q(acc="met")),
        "acc_late": Count("id", filter=Q(acc="late")),
        "acc_overdue": Count("id", filter=Q(acc="overdue")),
        "rep_on_time": Count("id", filter=Q(rep="met")),
        "rep_late": Count("id", filter=Q(rep="late")),
        "rep_pending": Count("id", filter=Q(rep__in=["running", "paused"])),
        "rep_overdue": Count("id", filter=Q(rep="overdue")),
        "rated": Count("id", filter=~Q(satisfaction="")),
        "rated_satisfied": Count("id", filter=Q(satisfaction__in=["satisfied", "basically"])),
        "eval_overdue": Count("id", filter=Q(satisfaction="", ev="overdue")),
    }))
    mediations = Mediation.objects.filter(case__region_path__startswith=path, status__in=["agreed", "failed"],
                                          ended_on__gte=start, ended_on__lte=end)
    merge(_grouped(mediations, "mediation", dim, {
        "mediated": Count("id"),
        "mediation_agreed": Count("id", filter=Q(status="agreed")),
        "agreed_village": Count("id", filter=Q(status="agreed", unit__level="village")),
    }))
    open_obligation = Obligation.objects.filter(agreement_id=OuterRef("agreement_id")).exclude(status="done")
    confirmations = Confirmation.objects.filter(case__region_path__startswith=path, result="confirmed",
                                                decided_on__gte=start, decided_on__lte=end).annotate(
        unperformed=Exists(open_obligation))
    merge(_grouped(confirmations, "confirmation", dim, {
        "confirmations": Count("id"),
        "confirmations_performed": Count("id", filter=Q(unperformed=False)),
    }))
    backlog = BacklogRecord.objects.filter(case__region_path__startswith=path)
    merge(_grouped(backlog.filter(marked_on__gte=start, marked_on__lte=end), "backlog_marked", dim,
                   {"backlog_marked": Count("id")}))
    merge(_grouped(backlog.filter(resolved_on__gte=start, resolved_on__lte=end), "backlog_resolved", dim,
                   {"backlog_resolved": Count("id")}))
    consultations = Consultation.objects.filter(region_path__startswith=path, received_at__gte=lo, received_at__lt=hi)
    merge(_grouped(consultations, "consultation", dim, {"consultations": Count("id")}))
    if not dim:
        result.setdefault("", zero())
    return result


def backlog_open(path: str, at: dt.date) -> int:
    """积案 open at the end of day `at`: marked by then and not resolved by then."""
    from fangtiao.mediation.models import BacklogRecord

    return BacklogRecord.objects.filter(
        Q(resolved_on__isnull=True) | Q(resolved_on__gt=at), case__region_path__startswith=path, marked_on__lte=at).count()


def totals(path: str, start: dt.date, end: dt.date) -> dict[str, int]:
    c = counts(path, start, end)[""]
    return {k: c[k] for k in CODES}
