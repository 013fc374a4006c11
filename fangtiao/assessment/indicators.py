"""The calculators behind the indicator rows (`Indicator.code` → a function) and the cases behind
each value (the drill-down).

Every calculator answers `Measured(value, numerator, denominator)` for one subject (a township
sub-centre, a village committee, a mediator) and one span of days. Rates from the statistics
(`stats.measures` / `stats.selectors.period_counts`) use the rollups' formulas unchanged; the rest
are counted here. A computation asks each grouped query once for all its subjects (`Ctx.group`:
rows grouped by region path — summed up every ancestor — or by mediator), so its query count does
not grow with the number of subjects, except the statistics' counts of village committees (the
rollups stop at townships; `stats.selectors.period_counts` counts a village directly, a few queries
per village and span). The single-subject functions serve the drill-down. The formulas are written in the seed migration's
`formula` text and in docs/assessment.md; the tests check each against a hand count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from fangtiao.assessment.choices import Level
from fangtiao.stats.measures import CODES, ratio, zero
from fangtiao.stats.reference import day_bounds
from fangtiao.stats.selectors import period_counts, split_period, year_earlier

FOLLOW_UP_DAYS = 30  # clocks.rules "follow_up" (人民调解 回访, practice form §4.9); read from ClockRule when present
ACK_HOURS = 24


@dataclass(frozen=True)
class Subject:
    level: str
    path: str
    name: str
    unit_id: int | None = None
    mediator_id: int | None = None


@dataclass(frozen=True)
class Measured:
    value: float | None
    numerator: int
    denominator: int


@dataclass
class Ctx:
    """One computation run: today, the region its subjects lie in (`scope`, narrowing the grouped
    queries), the statistics counts memoised per (path, start, end) and the grouped query results."""

    today: dt.date = field(default_factory=timezone.localdate)
    now: dt.datetime = field(default_factory=timezone.now)
    scope: str = ""
    _counts: dict[tuple[str, dt.date, dt.date], tuple[dict[str, int], int]] = field(default_factory=dict)
    _groups: dict[tuple[Any, ...], dict[Any, tuple[int, ...]]] = field(default_factory=dict)
    follow_up_days: int | None = None

    def counts(self, path: str, start: dt.date, end: dt.date, level: str = "") -> dict[str, int]:
        if level == Level.TOWNSHIP and path:
            # Township subjects are whole rollup buckets: every township's counts in one grouped read.
            return self._rollups(start, end).get(path) or zero()
        key = (path, start, end)
        if key not in self._counts:
            self._counts[key] = period_counts(path, start, end)
        return self._counts[key][0]

    def group(self, key: tuple[Any, ...], fn: Callable[[], dict[Any, tuple[int, ...]]]) -> dict[Any, tuple[int, ...]]:
        if key not in self._groups:
            self._groups[key] = fn()
        return self._groups[key]

    def _rollups(self, start: dt.date, end: dt.date) -> dict[str, dict[str, int]]:
        """`stats.selectors.rollup_counts` for every bucket under the scope at once (same tables,
        same ranges), summed up to every ancestor path."""
        def read() -> dict[Any, tuple[int, ...]]:
            from fangtiao.stats.models import RollupDay, RollupMonth

            edges, months = split_period(start, end)
            rows: list[dict[str, Any]] = []
            sums = {c: Sum(c) for c in CODES}
            if months:
                rows += RollupMonth.objects.filter(dim="", month__gte=months[0], month__lte=months[1],
                                                   bucket_path__startswith=self.scope).values("bucket_path") \
                    .annotate(**sums).order_by()
            for lo, hi in edges:
                rows += RollupDay.objects.filter(day__gte=lo, day__lte=hi, bucket_path__startswith=self.scope) \
                    .values("bucket_path").annotate(**sums).order_by()
            return by_path(rows, "bucket_path", CODES)

        grouped = self.group(("rollups", start, end), read)
        return {p: dict(zip(CODES, v, strict=True)) for p, v in grouped.items()}

    def follow_days(self) -> int:
        if self.follow_up_days is None:
            from fangtiao.clocks.models import ClockRule

            rule = ClockRule.objects.filter(code="follow_up", region__isnull=True, active=True).first()
            self.follow_up_days = rule.days if rule else FOLLOW_UP_DAYS
        return self.follow_up_days


def by_path(rows: Any, path_field: str, fields: Sequence[str]) -> dict[Any, tuple[int, ...]]:
    """Rows grouped by a region path → the summed fields under every ancestor path (a township's
    key holds its villages' rows too), so a subject reads its subtree with one dict lookup."""
    out: dict[Any, tuple[int, ...]] = {}
    for r in rows:
        path = r[path_field] or ""
        vals = tuple(int(r[f] or 0) for f in fields)
        for n, ch in enumerate(path):
            if ch == "/":
                p = path[:n + 1]
                cur = out.get(p)
                out[p] = vals if cur is None else tuple(a + b for a, b in zip(cur, vals, strict=True))
    return out


def by_key(rows: Any, key_field: str, fields: Sequence[str]) -> dict[Any, tuple[int, ...]]:
    return {r[key_field]: tuple(int(r[f] or 0) for f in fields) for r in rows}


def _subject_key(s: Subject) -> Any:
    return s.mediator_id if s.level == Level.MEDIATOR else s.path


Calculator = Callable[[Ctx, Subject, dt.date, dt.date, dict[str, Any]], Measured]
CALCULATORS: dict[str, Calculator] = {}
CASES: dict[str, Callable[[Subject, dt.date, dt.date, dict[str, Any], Ctx], QuerySet]] = {}


def calculator(code: str) -> Callable[[Calculator], Calculator]:
    def wrap(fn: Calculator) -> Calculator:
        CALCULATORS[code] = fn
        return fn
    return wrap


def cases_of(code: str) -> Callable[[Any], Any]:
    def wrap(fn: Any) -> Any:
        CASES[code] = fn
        return fn
    return wrap


def _rate(num: int, den: int) -> Measured:
    return Measured(ratio(num, den), num, den)


# --- the statistics' rates (units only: a township's region subtree, a village) -------------------

def _stats_rate(num_codes: tuple[str, ...], den_codes: tuple[str, ...]) -> Calculator:
    def calc(ctx: Ctx, s: Subject, start: dt.date, end: dt.date, params: dict[str, Any]) -> Measured:
        c = ctx.counts(s.path, start, end, s.level)
        return _rate(sum(c[k] for k in num_codes), sum(c[k] for k in den_codes))
    return calc


CALCULATORS["accepted_on_time_rate"] = _stats_rate(("acc_timely",), ("acc_timely", "acc_late", "acc_overdue"))
CALCULATORS["closed_on_time_rate"] = _stats_rate(
    ("rep_on_time",), ("rep_on_time", "rep_late", "rep_pending", "rep_overdue"))
CALCULATORS["participation_rate"] = _stats_rate(("rated",), ("rated", "eval_overdue"))
CALCULATORS["satisfaction_rate"] = _stats_rate(("rated_satisfied",), ("rated",))
CALCULATORS["village_level_share"] = _stats_rate(("agreed_village",), ("mediation_agreed",))


def change(now: int, before: int) -> Measured:
    """(本期 − 上年同期) / 上年同期; with nothing a year earlier: 0 when still nothing, else +100%."""
    if before:
        return Measured(ratio(now - before, before), now, before)
    return Measured(0.0 if now == 0 else 1.0, now, before)


def _change(code: str) -> Calculator:
    def calc(ctx: Ctx, s: Subject, start: dt.date, end: dt.date, params: dict[str, Any]) -> Measured:
        now = ctx.counts(s.path, start, end, s.level)[code]
        before = ctx.counts(s.path, year_earlier(start), year_earlier(end), s.level)[code]
        return change(now, before)
    return calc


CALCULATORS["repeat_change"] = _change("repeat")
CALCULATORS["skip_level_change"] = _change("skip_level")


# --- mediations: a unit's region subtree (from the statistics) or what a mediator led ------------

def lead_at_end(prefix: str = "") -> Q:
    """The lead when the round ended — an assignment still active, or one closed by the round's end;
    not a lead replaced half-way (人民调解法 第20条). The rule of `stats.people` (调解员工作量与成效)."""
    from fangtiao.mediation.services import ROUND_ENDED

    return Q(**{f"{prefix}lead": True}) & (Q(**{f"{prefix}active": True}) | Q(**{f"{prefix}end_reason": ROUND_ENDED}))


def _led(mediator_id: int | None, mediation_ref: str = "pk") -> Q:
    from fangtiao.mediation.models import Assignment

    return Q(Exists(Assignment.objects.filter(lead_at_end(), mediation_id=OuterRef(mediation_ref),
                                              mediator_id=mediator_id)))


def _ended(start: dt.date, end: dt.date) -> QuerySet:
    from fangtiao.mediation.models import Mediation

    return Mediation.objects.filter(status__in=["agreed", "failed"], ended_on__gte=start, ended_on__lte=end)


def _mediations(s: Subject, start: dt.date, end: dt.date) -> QuerySet:
    qs = _ended(start, end)
    if s.level == Level.MEDIATOR:
        return qs.filter(_led(s.mediator_id))
    return qs.filter(case__region_path__startswith=s.path)


@calculator("mediation_success_rate")
def mediation_success_rate(ctx: Ctx, s: Subject, start: dt.date, end: dt.date, params: dict[str, Any]) -> Measured:
    if s.level != Level.MEDIATOR:
        c = ctx.counts(s.path, start, end, s.level)
        return _rate(c["mediation_agreed"], c["mediated"])
    a = "assignments__"
    grouped = ctx.group(("mediation_success", start, end), lambda: by_key(
        _ended(start, end).filter(lead_at_end(a), **{f"{a}mediator__unit__region__path__startswith": ctx.scope})
        .values(f"{a}mediator_id").annotate(n=Count("id", distinct=True),
                                            ok=Count("id", filter=Q(status="agreed"), distinct=True)).order_by(),
        f"{a}mediator_id", ("ok", "n")))
    ok, n = grouped.get(s.mediator_id, (0, 0))
    return _rate(ok, n)


@calculator("backlog_resolved")
def backlog_resolved(ctx: Ctx, s: Subject, start: dt.date, end: dt.date, params: dict[str, Any]) -> Measured:
    if s.level != Level.MEDIATOR:
        n = ctx.counts(s.path, start, end, s.level)["backlog_resolved"]
    else:
        from fangtiao.mediation.models import BacklogRecord

        grouped = ctx.group(("backlog_by_mediator", start, end), lambda: by_key(
            BacklogRecord.objects.filter(resolved_on__gte=start, resolved_on__lte=end, resolvers__isnull=False)
            .values("resolvers").annotate(n=Count("id", distinct=True)).order_by(), "resolvers", ("n",)))
        n = grouped.get(s.mediator_id, (0,))[0]
    return Measured(float(n), n, 0)


# --- follow-ups (回访) ----------------------------------------------------------------------------

def _agreements_due_all(ctx: Ctx, start: dt.date, end: dt.date) -> QuerySet:
    """Effective agreements whose follow-up falls due in the period (effective date + the follow-up
    days); one not yet due today counts only once followed up. `done` = followed up by the period's end."""
    from fangtiao.mediation.models import Agreement, FollowUp

    days = dt.timedelta(days=ctx.follow_days())
    done = FollowUp.objects.filter(case_id=OuterRef("case_id"), visited_on__gte=OuterRef("reached_on"),
                                   visited_on__lte=end)
    qs = (Agreement.objects.filter(status="effective")
          .annotate(base=Coalesce("effective_on", "reached_on"), done=Exists(done))
          .filter(base__gte=start - days, base__lte=end - days))
    return qs.filter(Q(base__lte=min(end, ctx.today) - days) | Q(done=True))


def _agreements_due(ctx: Ctx, s: Subject, start: dt.date, end: dt.date) -> QuerySet:
    qs = _agreements_due_all(ctx, start, end)
    if s.level == Level.MEDIATOR:
        return qs.filter(_led(s.mediator_id, "mediation_id"))
    return qs.filter(case__region_path__startswith=s.path)


@calculator("follow_up_rate")
def follow_up_rate(ctx: Ctx, s: Subject, start: dt.date, end: dt.date, params: dict[str, Any]) -> Measured:
    # Two grouped counts: an aggregate filtered on the Exists annotation is not reliable across backends.
    def read(mediators: bool) -> dict[Any, tuple[int, ...]]:
        qs = _agreements_due_all(ctx, start, end)
        if mediators:
            a = "mediation__assignments__"
            qs = qs.filter(lead_at_end(a), **{f"{a}mediator__unit__region__path__startswith": ctx.scope})
            key, group = f"{a}mediator_id", by_key
        else:
            qs = qs.filter(case__region_path__startswith=ctx.scope)
            key, group = "case__region_path", by_path
        n = {r[key]: r["n"] for r in qs.values(key).annotate(n=Count("id", distinct=True)).order_by()}
        ok = {r[key]: r["n"] for r in qs.filter(done=True).values(key).annotate(n=Count("id", distinct=True)).order_by()}
        return group([{key: k, "ok": ok.get(k, 0), "n": v} for k, v in n.items()], key, ("ok", "n"))

    mediators = s.level == Level.MEDIATOR
    ok, n = ctx.group(("follow_up", mediators, start, end), lambda: read(mediators)).get(_subject_key(s), (0, 0))
    return _rate(ok, n)


# --- screening rounds (排查) ----------------------------------------------------------------------

def _rounds_due(ctx: Ctx, s: Subject, start: dt.date, end: dt.date) -> QuerySet:
    from fangtiao.screening.models import ScreeningRound

    qs = ScreeningRound.objects.filter(region_path__startswith=s.path, due_on__gte=start, due_on__lte=end)
    return qs.filter(Q(due_on__lt=ctx.today) | ~Q(status="scheduled"))


@calculator("screening_completion_rate")
def screening_completion_rate(ctx: Ctx, s: Subject, start: dt.date, end: dt.date, params: dict[str, Any]) -> Measured:
    def read() -> dict[Any, tuple[int, ...]]:
        from fangtiao.screening.models import ScreeningRound

        qs = ScreeningRound.objects.filter(region_path__startswith=ctx.scope, due_on__gte=start, due_on__lte=end)
        qs = qs.filter(Q(due_on__lt=ctx.today) | ~Q(status="scheduled"))
        return by_path(qs.values("region_path").annotate(n=Count("id"), ok=Count("id", filter=Q(status="done", late=False)))
                       .order_by(), "region_path", ("ok", "n"))

    ok, n = ctx.group(("rounds", start, end), read).get(s.path, (0, 0))
    return _rate(ok, n)


# --- response time (响应时长) ----------------------------------------------------------------------

def _received(s: Subject, start: dt.date, end: dt.date) -> QuerySet:
    from fangtiao.cases.models import Case

    lo, hi = day_bounds(start, end)
    return Case.objects.filter(region_path__startswith=s.path, received_at__gte=lo, received_at__lt=hi)


def _response_days(qs: QuerySet) -> QuerySet:
    """Per case: accepted_on − the local date of receipt, in the database (0 if accepted earlier)."""
    received = TruncDate("received_at", tzinfo=timezone.get_current_timezone())
    diff = ExpressionWrapper(F("accepted_on") - F("received_day"), output_field=DurationField())
    return qs.filter(accepted_on__isnull=False).annotate(received_day=received).annotate(
        response=Case(When(accepted_on__gt=F("received_day"), then=diff), default=Value(dt.timedelta(0)),
                      output_field=DurationField()))


def _days(total: Any) -> int:
    """A database sum of durations as whole days (SQLite may answer microseconds)."""
    if total is None:
        return 0
    if isinstance(total, dt.timedelta):
        return total.days
    return int(total) // 86_400_000_000


@calculator("avg_response_days")
def avg_response_days(ctx: Ctx, s: Subject, start: dt.date, end: dt.date, params: dict[str, Any]) -> Measured:
    def read() -> dict[Any, tuple[int, ...]]:
        from fangtiao.cases.models import Case as CaseModel

        lo, hi = day_bounds(start, end)
        qs = CaseModel.objects.filter(region_path__startswith=ctx.scope, received_at__gte=lo, received_at__lt=hi)
        rows = _response_days(qs).values("region_path").annotate(total=Sum("response"), n=Count("id")).order_by()
        return by_path([{"region_path": r["region_path"], "total": _days(r["total"]), "n": r["n"]} for r in rows],
                       "region_path", ("total", "n"))

    total, n = ctx.group(("response_days", start, end), read).get(s.path, (0, 0))
    if not n:
        return Measured(None, 0, 0)
    value = float((Decimal(total) / Decimal(n)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return Measured(value, total, n)


# --- early warnings (预警处置) ---------------------------------------------------------------------

def _warnings(ctx: Ctx, s: Subject, start: dt.date, end: dt.date, params: dict[str, Any]) -> QuerySet:
    from fangtiao.screening.models import EarlyWarning

    hours = dt.timedelta(hours=int(params.get("hours", ACK_HOURS)))
    lo, hi = day_bounds(start, end)
    acked = Q(acknowledged_at__isnull=False)
    return (EarlyWarning.objects.filter(region_path__startswith=s.path, raised_at__gte=lo, raised_at__lt=hi)
            .filter(acked | (Q(raised_at__lte=ctx.now - hours) & ~Q(status="cleared")))
            .annotate(timely=ExpressionWrapper(Q(acknowledged_at__isnull=False, acknowledged_at__lte=F("raised_at") + hours),
                                         output_field=BooleanField())))


@calculator("warning_ack_rate")
def warning_ack_rate(ctx: Ctx, s: Subject, start: dt.date, end: dt.date, params: dict[str, Any]) -> Measured:
    hours = int(params.get("hours", ACK_HOURS))
    whole = Subject(level=s.level, path=ctx.scope, name="")
    ok, n = ctx.group(("warnings", hours, start, end), lambda: by_path(
        _warnings(ctx, whole, start, end, params).values("region_path")
        .annotate(n=Count("id"), ok=Count("id", filter=Q(timely=True))).order_by(), "region_path", ("ok", "n")),
    ).get(s.path, (0, 0))
    return _rate(ok, n)


# --- drill-down: the cases behind each value ------------------------------------------------------

def _clock(code: str) -> Q:
    from fangtiao.clocks.models import Clock

    return Q(Exists(Clock.objects.filter(case_id=OuterRef("pk"), code=code).exclude(state="cancelled")))


def _received_cases(extra: Q) -> Callable[..., QuerySet]:
    def fn(s: Subject, start: dt.date, end: dt.date, params: dict[str, Any], ctx: Ctx) -> QuerySet:
        return _received(s, start, end).filter(extra)
    return fn


CASES["accepted_on_time_rate"] = _received_cases(_clock("petition.acceptance_notice"))
CASES["closed_on_time_rate"] = _received_cases(_clock("petition.handling"))
CASES["participation_rate"] = _received_cases(~Q(satisfaction="") | _clock("satisfaction.window"))
CASES["satisfaction_rate"] = _received_cases(~Q(satisfaction=""))
CASES["repeat_change"] = _received_cases(Q(is_repeat=True, kind="petition"))  # petitions only, as stats counts them
CASES["skip_level_change"] = _received_cases(Q(is_skip_level=True, kind="petition"))
CASES["avg_response_days"] = _received_cases(Q(accepted_on__isnull=False))


def _case_model() -> Any:
    from fangtiao.cases.models import Case

    return Case


@cases_of("mediation_success_rate")
def _mediation_cases(s: Subject, start: dt.date, end: dt.date, params: dict[str, Any], ctx: Ctx) -> QuerySet:
    return _case_model().objects.filter(pk__in=_mediations(s, start, end).values("case_id"))


@cases_of("village_level_share")
def _village_cases(s: Subject, start: dt.date, end: dt.date, params: dict[str, Any], ctx: Ctx) -> QuerySet:
    return _case_model().objects.filter(pk__in=_mediations(s, start, end).filter(status="agreed").values("case_id"))


@cases_of("backlog_resolved")
def _backlog_cases(s: Subject, start: dt.date, end: dt.date, params: dict[str, Any], ctx: Ctx) -> QuerySet:
    qs = _case_model().objects.filter(backlog__resolved_on__gte=start, backlog__resolved_on__lte=end)
    if s.level == Level.MEDIATOR:
        return qs.filter(backlog__resolvers=s.mediator_id)
    return qs.filter(region_path__startswith=s.path)


@cases_of("follow_up_rate")
def _follow_cases(s: Subject, start: dt.date, end: dt.date, params: dict[str, Any], ctx: Ctx) -> QuerySet:
    return _case_model().objects.filter(pk__in=_agreements_due(ctx, s, start, end).values("case_id"))


@cases_of("warning_ack_rate")
def _warning_cases(s: Subject, start: dt.date, end: dt.date, params: dict[str, Any], ctx: Ctx) -> QuerySet:
    return _case_model().objects.filter(pk__in=_warnings(ctx, s, start, end, params).filter(case__isnull=False)
                                        .values("case_id"))


def measure(code: str, ctx: Ctx, s: Subject, start: dt.date, end: dt.date, params: dict[str, Any]) -> Measured:
    calc = CALCULATORS.get(code)
    if calc is None:
        return Measured(None, 0, 0)
    return calc(ctx, s, start, end, params or {})
