"""Read queries of 以奖代补: jurisdiction first, then filters, N+1-free.

Who sees what: leaders, petition officers and committee heads see the batches of their region
subtree (a batch's scope unit's region) and, in the API's line list, also the lines paid to
committees and mediators of their subtree in a wider batch (a village committee head sees their
village's lines in the township's sheet) — listing only the cases of their own subtree in such a
line. A mediator without any broader subsidy right sees only their own lines (and the batches that
hold them, showing only their line)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet

from fangtiao.org.permissions import has_capability
from fangtiao.subsidies.choices import BatchStatus
from fangtiao.subsidies.models import LineItem, PayoutLine, SubsidyBatch, SubsidyRule
from fangtiao.subsidies.rules import parse_period

# a committee's mediators, then the committee's own line
LINE_ORDER = ("unit_id", F("mediator_id").asc(nulls_last=True), "name", "id")

BROADER = ("subsidy.prepare", "subsidy.approve", "subsidy.pay", "subsidy.rules")


def own_lines_only(user: Any) -> bool:
    """A mediator (or anyone with only subsidy.view) sees their own lines only."""
    return not any(has_capability(user, c) for c in BROADER)


def batches_visible(user: Any) -> QuerySet[SubsidyBatch]:
    if not has_capability(user, "subsidy.view"):
        return SubsidyBatch.objects.none()
    if own_lines_only(user):
        return SubsidyBatch.objects.filter(pk__in=PayoutLine.objects.filter(mediator__user_id=user.pk).values("batch_id"))
    return SubsidyBatch.objects.visible_to(user)


def _period_filter(qs: QuerySet, period: Any, prefix: str = "") -> QuerySet:
    """A month finds the batches of that month and of its quarter; a quarter those of the quarter
    and its months (the sheets that pay for that time)."""
    p = parse_period(period) if isinstance(period, str) else period
    if p is None:
        return qs.none()
    return qs.filter(**{f"{prefix}period_start__lte": p.end, f"{prefix}period_end__gte": p.start})


def batch_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[SubsidyBatch]:
    f = dict(filters or {})
    qs = batches_visible(user)
    if f.get("period"):
        qs = _period_filter(qs, f["period"])
    if f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("unit"):
        qs = qs.filter(unit_id=getattr(f["unit"], "pk", f["unit"]))
    return qs.select_related("unit", "prepared_by", "approved_by", "paid_by").order_by("-period_start", "-id")


def batch_get(*, user: Any, pk: int) -> SubsidyBatch | None:
    return batch_list(user=user).filter(pk=pk).first()


def _items(path: str = "") -> Prefetch:
    """A line's cases; with `path`, only those of that region subtree (a township reading a district
    sheet's line paid to its mediator does not see the other townships' case numbers)."""
    qs = LineItem.objects.all()
    if path:
        qs = qs.filter(case__region_path__startswith=path)
    return Prefetch("items", queryset=qs.select_related("case", "earning__rule")
                    .only("id", "line_id", "amount", "case__id", "case__number", "case__title", "earning__id",
                          "earning__kind", "earning__earned_on", "earning__rule__id", "earning__rule__name")
                    .order_by("earning__earned_on", "case_id"))


def lines_visible(user: Any) -> QuerySet[PayoutLine]:
    if not has_capability(user, "subsidy.view"):
        return PayoutLine.objects.none()
    if own_lines_only(user):
        return PayoutLine.objects.filter(mediator__user_id=user.pk)
    from fangtiao.cases.access import case_scope_path

    path = case_scope_path(user)
    if path is None:
        return PayoutLine.objects.none()
    if path == "":
        return PayoutLine.objects.all()
    return PayoutLine.objects.filter(Q(batch__region_path__startswith=path) | Q(region_path__startswith=path))


def item_scope_path(user: Any) -> str:
    """The region subtree whose cases a user sees in the line list's case lists ("" = all): the
    user's jurisdiction, except a mediator reading their own lines (all their own cases)."""
    if own_lines_only(user):
        return ""
    from fangtiao.cases.access import case_scope_path

    return case_scope_path(user) or ""


def line_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[PayoutLine]:
    """Payout lines with their cases (three queries a page: count, lines, items). A line of a wider
    batch lists only the cases inside the user's jurisdiction; its amount and case_count stay the
    line's own (what the mediator or committee is paid)."""
    f = dict(filters or {})
    qs = lines_visible(user)
    if f.get("period"):
        qs = _period_filter(qs, f["period"], prefix="batch__")
    if f.get("status"):
        qs = qs.filter(batch__status=f["status"])
    else:
        qs = qs.exclude(batch__status=BatchStatus.CANCELLED)
    if f.get("batch"):
        qs = qs.filter(batch_id=f["batch"])
    if f.get("mediator"):
        qs = qs.filter(mediator_id=f["mediator"])
    return (qs.select_related("batch", "mediator", "unit").prefetch_related(_items(item_scope_path(user)))
            .order_by("-batch__period_start", "batch_id", *LINE_ORDER))


def lines_of(*, user: Any, batch: SubsidyBatch) -> list[PayoutLine]:
    """The lines of one batch the user may see (all of them, or a mediator's own)."""
    qs = batch.lines.all()
    if own_lines_only(user):
        qs = qs.filter(mediator__user_id=user.pk)
    return list(qs.select_related("mediator", "unit").prefetch_related(_items())
                .order_by(*LINE_ORDER))


def rule_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[SubsidyRule]:
    if not (has_capability(user, "subsidy.rules") or has_capability(user, "subsidy.view")):
        return SubsidyRule.objects.none()
    f = dict(filters or {})
    qs = SubsidyRule.objects.all()
    if f.get("kind"):
        qs = qs.filter(kind=f["kind"])
    if f.get("active") in (True, False):
        qs = qs.filter(active=f["active"])
    return qs.select_related("category", "region").order_by("kind", "-active", "-amount", "id")
