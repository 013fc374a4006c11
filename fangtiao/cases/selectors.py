"""Case reads: jurisdiction first (an indexed prefix on the case's own region path), then the
filters of API.md, then fixed prefetches so a page of any size costs the same queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import connections
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from fangtiao.cases.models import Case, CaseEvent, CaseLink, Party, Transfer
from fangtiao.cases.search import needs_substring, query_terms, tsquery
from fangtiao.clocks.models import Clock
from fangtiao.org.models import Region
from fangtiao.org.selectors import name_q

FLAG_FIELDS = {"collective": "is_collective", "repeat": "is_repeat", "skip_level": "is_skip_level",
               "backlog": "is_backlog", "overdue": "is_overdue"}


def _day_start(d: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(d, dt.time.min))


# The statistics' rate classes (stats.reference): the state of the case's latest non-cancelled
# clock of a code → the class a figure counts it in.
CLOCK_CLASSES: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "disposition": ("petition.disposition", {"on_time": ("met",), "late": ("late",), "overdue": ("overdue",)}),
    "acceptance": ("petition.acceptance_notice", {"on_time": ("met",), "late": ("late",), "overdue": ("overdue",)}),
    "handling": ("petition.handling", {"on_time": ("met",), "late": ("late",), "pending": ("running", "paused"),
                                      "overdue": ("overdue",)}),
}
EVALUATION_CLASSES = ("rated", "satisfied", "overdue")
MEDIATION_OUTCOMES = ("agreed", "failed")
MEDIATION_LEVELS = ("village", "township", "district")


def _latest_clock_in(code: str, states: tuple[str, ...]) -> Exists:
    """The case's latest non-cancelled `code` clock (highest id, as stats.reference) is in `states`:
    a clock in the state with no later non-cancelled clock of the code."""
    later = Clock.objects.filter(case_id=OuterRef("case_id"), code=code, id__gt=OuterRef("id")).exclude(state="cancelled")
    return Exists(Clock.objects.filter(case_id=OuterRef("pk"), code=code, state__in=states).filter(~Exists(later)))


def _between(prefix: str, lo: dt.date | None, hi: dt.date | None) -> dict[str, dt.date]:
    q: dict[str, dt.date] = {}
    if lo:
        q[f"{prefix}__gte"] = lo
    if hi:
        q[f"{prefix}__lte"] = hi
    return q


def _statistics_filters(qs: QuerySet[Case], f: Mapping[str, Any]) -> QuerySet[Case]:
    """The cases behind the statistics' figures (stats.reference), each one EXISTS on the source
    table by the case id (its index), so the list stays one query: a mediation round ended agreed
    or failed (in the days, with the outcome, at a committee of the level), a judicial confirmation
    ruled valid, a backlog record marked / resolved, and the receipt-side rate classes."""
    from fangtiao.mediation.models import BacklogRecord, Confirmation, Mediation

    if any(f.get(k) for k in ("mediated_from", "mediated_to", "mediation_outcome", "mediation_level")):
        outcome = f.get("mediation_outcome")
        rounds = Mediation.objects.filter(case_id=OuterRef("pk"),
                                          status__in=[outcome] if outcome in MEDIATION_OUTCOMES else MEDIATION_OUTCOMES,
                                          **_between("ended_on", f.get("mediated_from"), f.get("mediated_to")))
        if f.get("mediation_level"):
            rounds = rounds.filter(unit__level=f["mediation_level"])
        qs = qs.filter(Exists(rounds))
    if f.get("confirmed_from") or f.get("confirmed_to"):
        qs = qs.filter(Exists(Confirmation.objects.filter(
            case_id=OuterRef("pk"), result="confirmed",
            **_between("decided_on", f.get("confirmed_from"), f.get("confirmed_to")))))
    for kind in ("marked", "resolved"):
        lo, hi = f.get(f"backlog_{kind}_from"), f.get(f"backlog_{kind}_to")
        if lo or hi:
            qs = qs.filter(Exists(BacklogRecord.objects.filter(case_id=OuterRef("pk"), **_between(f"{kind}_on", lo, hi))))
    for name, (code, classes) in CLOCK_CLASSES.items():
        if f.get(name) in classes:
            qs = qs.filter(_latest_clock_in(code, classes[f[name]]))
    evaluation = f.get("evaluation")
    if evaluation == "rated":
        qs = qs.exclude(satisfaction="")
    elif evaluation == "satisfied":
        qs = qs.filter(satisfaction__in=["satisfied", "basically"])
    elif evaluation == "overdue":
        qs = qs.filter(_latest_clock_in("satisfaction.window", ("overdue",)), satisfaction="")
    return qs


def bigram_match(terms: list[str]) -> QuerySet[Case]:
    """The ids of cases whose search_text holds every term (PostgreSQL: the GIN index
    cases_search_gin on to_tsvector('simple', search_text), the same expression as here)."""
    from django.contrib.postgres.search import SearchQuery, SearchVector

    # Raw tsquery only from sanitized, quoted terms (search.tsquery): no user syntax passes through.
    return (Case.objects.alias(_search=SearchVector("search_text", config="simple"))
            .filter(_search=SearchQuery(tsquery(terms), config="simple", search_type="raw")).values("pk"))


def _text_filter(qs: QuerySet[Case], q: str) -> QuerySet[Case]:
    """The list's `q` (ADR 0012). On PostgreSQL: every bigram of the query in the case's
    search_text, or the number itself, or a party's name / pinyin key — one UNION of ids, so each
    arm reads its own index (an OR in the outer WHERE would scan the table). A query with a lone
    Chinese character (not in the bigram index) matches number prefixes and title substrings
    instead; SQLite (no tsvector) matches substrings of number, title and description."""
    by_party = Party.objects.filter(name_q(q)).values("case_id")
    terms = query_terms(q)
    if connections[qs.db].vendor != "postgresql" or not terms:
        return qs.filter(Q(number__icontains=q) | Q(title__icontains=q) | Q(description__icontains=q)
                         | Q(pk__in=by_party))
    if needs_substring(terms):
        return qs.filter(Q(number__istartswith=q) | Q(title__icontains=q) | Q(pk__in=by_party))
    ids = bigram_match(terms).union(Case.objects.filter(number=q).values("pk"), by_party)
    return qs.filter(pk__in=ids)


# The list counts at most this many matters exactly; beyond it the answer is "more than 10,000"
# (ADR 0013): an exact COUNT(*) over a province's or a whole county's cases reads every one of them
# (a parallel scan of ~365 ms at 1M cases), while nobody pages through ten thousand rows.
COUNT_CAP = 10_000


def capped_count(qs: QuerySet[Any], cap: int | None = None) -> tuple[int, bool]:
    """(count, exact): the number of rows of `qs` if it is at most `cap`, else (`cap`, False).
    One query, `SELECT COUNT(*) FROM (SELECT … LIMIT cap + 1)`, without the list's ordering, so the
    database stops at the first cap + 1 rows its cheapest plan finds."""
    cap = COUNT_CAP if cap is None else cap
    n = qs.order_by()[: cap + 1].count()
    return (n, True) if n <= cap else (cap, False)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class BadCursor(ValueError):
    """A `cursor` that this list did not hand out."""


def encode_cursor(case: Case) -> str:
    """The keyset position after `case` in the list's order (received_at DESC, id DESC)."""
    return f"{(case.received_at - _EPOCH) // dt.timedelta(microseconds=1)}_{case.pk}"


def after_cursor(qs: QuerySet[Case], cursor: str) -> QuerySet[Case]:
    """The rows after a cursor of `encode_cursor` (a keyset page: one index range, whatever the depth)."""
    try:
        micros, pk = (int(x) for x in cursor.split("_", 1))
        at = _EPOCH + dt.timedelta(microseconds=micros)
    except (ValueError, OverflowError, OSError) as exc:
        raise BadCursor(cursor) from exc
    if pk < 0:
        raise BadCursor(cursor)
    return qs.filter(Q(received_at__lt=at) | Q(received_at=at, pk__lt=pk))


def case_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Case]:
    f = filters or {}
    qs = Case.objects.visible_to(user).select_related("category", "region", "holder_unit")
    if f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("category"):
        qs = qs.filter(category_id=f["category"])
    if f.get("channel"):
        qs = qs.filter(channel=f["channel"])
    if f.get("kind"):
        qs = qs.filter(kind=f["kind"])
    if f.get("region"):
        path = Region.objects.filter(code=f["region"]).values_list("path", flat=True).first()
        qs = qs.filter(region_path__startswith=path) if path else qs.none()
    if f.get("flag") in FLAG_FIELDS:
        qs = qs.filter(**{FLAG_FIELDS[f["flag"]]: True})
    if f.get("holder_unit"):
        qs = qs.filter(holder_unit_id=f["holder_unit"])
    if f.get("q"):
        qs = _text_filter(qs, f["q"].strip())
    if f.get("received_from"):
        qs = qs.filter(received_at__gte=_day_start(f["received_from"]))
    if f.get("received_to"):
        qs = qs.filter(received_at__lt=_day_start(f["received_to"] + dt.timedelta(days=1)))
    qs = _statistics_filters(qs, f)
    return qs.order_by("-received_at", "-id")


def _documents_qs() -> QuerySet[Any]:
    from fangtiao.documents.models import Document

    return Document.objects.only("id", "case_id", "doc_type", "subject", "version", "number", "title", "created_at",
                                 "issued_on").order_by("doc_type", "subject", "-version")


def case_for_similar(*, user: Any, pk: int) -> Case | None:
    """The case and its parties only (the similar-matter lookup needs no timeline, clocks or links)."""
    return (Case.objects.visible_to(user).filter(pk=pk)
            .prefetch_related(Prefetch("parties", queryset=Party.objects.order_by("sort", "id"))).first())


def case_detail(*, user: Any, pk: int) -> Case | None:
    return (
        Case.objects.visible_to(user)
        .filter(pk=pk)
        .select_related("category", "region", "holder_unit", "registered_unit", "lead_unit", "registered_by",
                        "accused_unit", "extension_approver")
        .prefetch_related(
            Prefetch("parties", queryset=Party.objects.order_by("sort", "id")),
            Prefetch("events", queryset=CaseEvent.objects.select_related("unit").order_by("at", "id")),
            Prefetch("clocks", queryset=Clock.objects.select_related("rule", "holder_unit").order_by("started_on", "id")),
            # Only links to matters the reader may see (an accusation never shows through a link).
            Prefetch("links", queryset=CaseLink.objects.select_related("other")
                     .filter(other__in=Case.objects.visible_to(user).values("pk")).order_by("-score")),
            Prefetch("transfers", queryset=Transfer.objects.select_related("from_unit", "to_unit").order_by("sent_at", "id")),
            "co_tasks__unit", "supervisions__by", "reviews__organ",
            # The documents block of GET /cases/{id}: issued versions, newest first per form.
            Prefetch("documents", queryset=_documents_qs()),
        )
        .first()
    )


def inbox_counts(*, user: Any) -> dict[str, int]:
    """The four numbers of a unit's work on the 工作台: each one COUNT in the database."""
    if not user.unit_id:
        return {"to_receive": 0, "todo": 0, "due_soon": 0, "overdue": 0}
    today = timezone.localdate()
    visible = Case.objects.visible_to(user).values("pk")
    open_clocks = Clock.objects.filter(holder_unit_id=user.unit_id, case__in=visible)
    return {
        "to_receive": Transfer.objects.filter(to_unit_id=user.unit_id, status="pending", case__in=visible).count(),
        "todo": Case.objects.visible_to(user).filter(holder_unit_id=user.unit_id)
        .exclude(status__in=["closed", "archived", "transferring"]).count(),
        "due_soon": open_clocks.filter(state="running", due_on__gte=today, due_on__lte=today + dt.timedelta(days=3)).count(),
        "overdue": open_clocks.filter(state="overdue").count(),
    }


def case_for_receipt(*, user: Any, pk: int) -> Case | None:
    """The receipt: a case the user may see, or one they registered themselves."""
    visible = Case.objects.visible_to(user).filter(pk=pk).values("pk")
    return (Case.objects.filter(Q(pk__in=visible) | Q(pk=pk, registered_by=user))
            .select_related("category", "region", "holder_unit", "registered_unit")
            .prefetch_related(Prefetch("parties", queryset=Party.objects.order_by("sort", "id")),
                              Prefetch("clocks", queryset=Clock.objects.select_related("rule", "holder_unit")))
            .first())


def inbox(*, user: Any) -> dict[str, Any]:
    """A unit's work: transfers to sign for, cases it holds, due soon and overdue."""
    unit_id = user.unit_id
    today = timezone.localdate()
    base = Case.objects.visible_to(user).select_related("category", "region", "holder_unit")
    visible = base.values("pk")
    open_clocks = Clock.objects.filter(holder_unit_id=unit_id, state__in=["running", "overdue"], case__in=visible)
    return {
        "to_receive": Transfer.objects.filter(to_unit_id=unit_id, status="pending", case__in=visible)
        .select_related("case", "from_unit")
        .order_by("sent_at")[:100],
        "todo": base.filter(holder_unit_id=unit_id).exclude(status__in=["closed", "archived", "transferring"])
        .order_by("received_at")[:100],
        # 临期 by each rule's own warning period (the same one the worker notifies by).
        "due_soon": [c for c in open_clocks.filter(state="running", due_on__lte=today + dt.timedelta(days=30))
                     .select_related("case", "rule").order_by("due_on")[:500]
                     if (c.due_on - today).days <= c.rule.due_soon_days][:100],
        "overdue": open_clocks.filter(state="overdue").select_related("case", "rule").order_by("due_on")[:100],
    }
