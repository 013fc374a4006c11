"""The calculators behind the indicator rows (`Indicator.code` → a function) and the cases behind
each value (the drill-down).

Every calculator answers `Measured(value, numerator, denominator)` for one subject (a township
sub-centre, a village committee, a mediator) and one span of days. Rates from the statistics
(`stats.measures` / `stats.selectors.period_counts`) use the rollups' formulas unchanged; the rest
are counted here, one aggregate query each. The formulas are written in the seed migration's
`formula` text and in docs/assessment.md; the tests check each against a hand count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from fangtiao.assessment.choices import Level
from fangtiao.stats.measures import ratio
from fangtiao.stats.reference import day_bounds
from fangtiao.stats.selectors import period_counts, year_earlier

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
    """One computation run: today, and the statistics counts memoised per (path, start, end)."""

    today: dt.date = field(default_factory=timezone.localdate)
    now: dt.datetime = field(default_factory=timezone.now)
    _counts: dict[tuple[str, dt.date, dt.date], tuple[dict[str, int], int]] = field(default_factory=dict)
    follow_up_days: int | None = None

    def counts(self, path: str, start: dt.date, end: dt.date) -> dict[str, int]:
        key = (path, start, end)
        if key not in self._counts:
            self._counts[key] = period_counts(path, start, end)
        return self._counts[key][0]

    def follow_days(self) -> int:
        if self.follow_up_days is None:
            from fangtiao.clocks.models import ClockRule

            rule = ClockRule.objects.filter(code="follow_up", region__isnull=True, active=True).first()
            self.follow_up_days = rule.days if rule else FOLLOW_UP_DAYS
        return self.follow_up_days


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
        c = ctx.counts(s.path, start, end)
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
        now = ctx.counts(s.path, start, end)[code]
        before = ctx.counts(s.path, year_earlier(start), year_earlier(end))[code]
        return change(now, before)
    return calc


CALCULATORS["repeat_change"] = _change("repeat")
CALCULATORS["skip_level_change"] = _change("skip_level")


# --- mediations: a unit's region subtree (from the statistics) or what a mediator led ------------

def _led(mediator_id: int | None) -> Q:
    from fangtiao.mediation.models import Assignment

    return Q(Exists(Assignment.objects.filter(mediation_id=OuterRef("pk"), mediator_id=mediator_id, lead=True)))


def _mediations(s: Subject, start: dt.date, end: dt.date) -> QuerySet:
    from fangtiao.mediation.models import Mediation

    qs = Mediation.objects.filter(status__in=["agreed", "failed"], ended_on__gte=start, ended_on__lte=end)
    if s.level == Level.MEDIATOR:
        return qs.filter(_led(s.mediator_id))
    return qs.filter(case__region_path__startswith=s.path)


@calculator("mediation_success_rate")
def mediation_success_rate(ctx: Ctx, s: Subject, start: dt.date, end: dt.date, params: dict[str, Any]) -> Measured:
    if s.level != Level.MEDIATOR:
        c = ctx.counts(s.path, start, end)
        return _rate(c["mediation_agreed"], c["mediated"])
    row = _mediations(s, start, end).aggregate(n=Count("id"), ok=Count("id", filter=Q(status="agreed")))
    return _rate(row["ok"], row["n"])


@calculator("backlog_resolved")
def backlog_resolved(ctx: Ctx, s: Subject, start: dt.date, end: dt.date, params: dict[str, Any]) -> Measured:
    if s.level != Level.MEDIATOR:
        n = ctx.counts(s.path, start, end)["backlog_resolved"]
    else:
        from fangtiao.mediation.models import BacklogRecord

        n = BacklogRecord.objects.filter(resolvers=s.mediator_id, resolved_on__gte=start, resolved_on__lte=end).count()
    return Measured(float(n), n, 0)


# --- follow-ups (回访) ----------------------------------------------------------------------------

def _agreements_due(ctx: Ctx, s: Subject, start: dt.date, end: dt.date) -> QuerySet:
    """Effective agreements whose follow-up falls due in the period (effective date + the follow-up
    days); one not yet due today counts only once followed up. `done` = followed up by the period's end."""
    from fangtiao.mediation.models import Agreement, FollowUp

    days = dt.timedelta(days=ctx.follow_days())
    done = FollowUp.objects.filter(case_id=OuterRef("case_id"), visited_on__gte=OuterRef("reached_on"),
                                   visited_on__lte=end)
    qs = (Agreement.objects.filter(status="effective")
          .annotate(base=Coalesce("effective_on", "reached_on"), done=Exists(done))
          .filter(base__gte=start - days, base__lte=end - days))
    qs = qs.filter(Q(base__lte=min(end, ctx.today) - days) | Q(done=True))
    if s.level == Level.MEDIATOR:
        from fangtiao.mediation.models import Assignment

        return qs.filter(Exists(Assignment.objects.filter(mediation_id=OuterRef("mediation_id"),
                                                          mediator_id=s.mediator_id, lead=True)))
    return qs.filter(case__region_path__startswith=s.path)


@calculator("follow_up_rate")
def follow_up_rate(ctx: Ctx, s: Subject, start: dt.date, end: dt.date, params: dict[str, Any]) -> Measured:
    # Two counts: an aggregate filtered on the Exists annotation is not reliable across backends.
    qs = _agreements_due(ctx, s, start, end)
    return _rate(qs.filter(done=True).count(), qs.count())


# --- screening rounds (排查) ----------------------------------------------------------------------

def _rounds_due(ctx: Ctx, s: Subject, start: dt.date, end: dt.date) -> QuerySet:
    from fangtiao.screening.models import ScreeningRound

    qs = ScreeningRound.objects.filter(region_path__startswith=s.path, due_on__gte=start, due_on__lte=end)
    return qs.filter(Q(due_on__lt=ctx.today) | ~Q(status="scheduled"))


@calculator("screening_completion_rate")
def screening_completion_rate(ctx: Ctx, s: Subject, start: dt.date, end: dt.date, params: dict[str, Any]) -> Measured:
    row = _rounds_due(ctx, s, start, end).aggregate(
        n=Count("id"), ok=Count("id", filter=Q(status="done", late=False)))
    return _rate(row["ok"], row["n"])


# --- response time (响应时长) ----------------------------------------------------------------------

def _received(s: Subject, start: dt.date, end: dt.date) -> QuerySet:
    from fangtiao.cases.models import Case

    lo, hi = day_bounds(start, end)
    return Case.objects.filter(region_path__startswith=s.path, received_at__gte=lo, received_at__lt=hi)


@calculator("avg_response_days")
def avg_response_days(ctx: Ctx, s: Subject, start: dt.date, end: dt.date, params: dict[str, Any]) -> Measured:
    total = n = 0
    for received_at, accepted_on in _received(s, start, end).filter(accepted_on__isnull=False).values_list(
            "received_at", "accepted_on"):
        total += max((accepted_on - timezone.localtime(received_at).date()).days, 0)
        n += 1
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
    row = _warnings(ctx, s, start, end, params).aggregate(n=Count("id"), ok=Count("id", filter=Q(timely=True)))
    return _rate(row["ok"], row["n"])


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
CASES["repeat_change"] = _received_cases(Q(is_repeat=True))
CASES["skip_level_change"] = _received_cases(Q(is_skip_level=True))
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
