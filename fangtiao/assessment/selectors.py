"""Read queries of the assessment: jurisdiction first (the region subtree of the caller, as for
cases; a mediator sees only their own score), then filters, N+1-free."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from fangtiao.assessment.choices import Level
from fangtiao.assessment.indicators import CASES, Ctx, Subject
from fangtiao.assessment.models import (
    Accountability,
    Commendation,
    Indicator,
    Scheme,
    SchemeItem,
    Score,
    ScoreItem,
)
from fangtiao.assessment.periods import Period
from fangtiao.org.choices import Role, UnitKind
from fangtiao.org.permissions import has_capability

# Who reads more than their own score: a mediator alone reads only theirs ("mediators: their own scores").
_WIDE_ROLES = frozenset({Role.LEADER, Role.OFFICER, Role.COMMITTEE_HEAD, Role.ADMIN})


def subjects_of(level: str) -> list[Subject]:
    """Everyone assessed at a level: township sub-centres (their township's region subtree), village
    committees (their village), active mediators (what they led)."""
    from fangtiao.org.models import Mediator, Unit

    if level == Level.MEDIATOR:
        rows = Mediator.objects.filter(status="active").select_related("unit__region").order_by("id")
        return [Subject(level=level, path=m.unit.region.path, name=f"{m.name}（{m.unit.short_name}）", mediator_id=m.pk)
                for m in rows]
    kind = UnitKind.SUBCENTRE if level == Level.TOWNSHIP else UnitKind.VILLAGE_COMMITTEE
    units = Unit.objects.filter(kind=kind, active=True).select_related("region").order_by("region__path", "id")
    return [Subject(level=level, path=u.region.path, name=u.name, unit_id=u.pk) for u in units]


def subject_of(score: Score) -> Subject:
    return Subject(level=score.level, path=score.region_path, name=score.name, unit_id=score.unit_id,
                   mediator_id=score.mediator_id)


def scores_visible(user: Any) -> QuerySet[Score]:
    if not has_capability(user, "assessment.view"):
        return Score.objects.none()
    qs = Score.objects.visible_to(user)
    if not user.is_superuser and not (_WIDE_ROLES & user.role_codes):
        qs = qs.filter(mediator__user_id=user.pk)
    return qs


def _with_items(qs: QuerySet[Score]) -> QuerySet[Score]:
    return qs.select_related("unit__region", "mediator", "scheme").prefetch_related(
        Prefetch("items", queryset=ScoreItem.objects.select_related("indicator").order_by("sort", "id")))


def score_list(*, user: Any, period: str | None = None, level: str | None = None,
               filters: Mapping[str, Any] | None = None) -> QuerySet[Score]:
    f = dict(filters or {})
    qs = scores_visible(user)
    period = period or f.get("period")
    level = level or f.get("level")
    if period:
        qs = qs.filter(period=str(period))
    if level:
        qs = qs.filter(level=level)
    if q := str(f.get("q") or "").strip():
        qs = qs.filter(name__icontains=q)
    return _with_items(qs).order_by("period", "level", "rank", "name", "id")


def score_get(*, user: Any, pk: int) -> Score | None:
    return _with_items(scores_visible(user).filter(pk=pk)).first()


def latest_period(*, user: Any, level: str) -> str | None:
    return scores_visible(user).filter(level=level).order_by("-end", "-period").values_list("period", flat=True).first()


def item_cases(*, user: Any, score: Score, item: ScoreItem, static: bool = False) -> QuerySet | None:
    """The cases behind one score item (visible to the user), or None when the indicator does not
    count cases (screening rounds)."""
    from fangtiao.cases.models import Case

    fn = CASES.get(item.indicator.code)
    if fn is None:
        return None
    start = score.start.replace(month=1, day=1) if static else score.start
    inner = fn(subject_of(score), start, score.end, item.indicator.params or {}, Ctx())
    return (Case.objects.visible_to(user).filter(pk__in=inner.values("pk"))
            .select_related("region", "holder_unit").order_by("-received_at", "-id"))


def indicator_list() -> QuerySet[Indicator]:
    return Indicator.objects.order_by("sort", "code")


def scheme_list() -> QuerySet[Scheme]:
    return Scheme.objects.select_related("updated_by").prefetch_related(
        Prefetch("items", queryset=SchemeItem.objects.select_related("indicator").order_by("sort", "id"))
    ).order_by("level", "period_type", "-active", "id")


def scheme_get(pk: int) -> Scheme | None:
    return scheme_list().filter(pk=pk).first()


def active_scheme(period: Period, level: str) -> Scheme | None:
    return scheme_list().filter(period_type=period.type, level=level, active=True).first()


def commendation_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Commendation]:
    f = dict(filters or {})
    if not has_capability(user, "assessment.view"):
        return Commendation.objects.none()
    qs = Commendation.objects.visible_to(user)
    for key in ("period", "level", "status"):
        if f.get(key):
            qs = qs.filter(**{key: f[key]})
    return qs.select_related("unit", "mediator", "proposed_by", "confirmed_by").order_by("-period", "level", "rank", "id")


def accountability_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Accountability]:
    f = dict(filters or {})
    if not (has_capability(user, "assessment.view") or has_capability(user, "accountability.record")):
        return Accountability.objects.none()
    qs = Accountability.objects.visible_to(user)
    if f.get("measure"):
        qs = qs.filter(measure=f["measure"])
    if f.get("unit"):
        qs = qs.filter(unit_id=getattr(f["unit"], "pk", f["unit"]))
    if f.get("from"):
        qs = qs.filter(decided_on__gte=f["from"])
    if f.get("to"):
        qs = qs.filter(decided_on__lte=f["to"])
    if q := str(f.get("q") or "").strip():
        qs = qs.filter(Q(reason__icontains=q) | Q(person__icontains=q))
    return qs.select_related("unit", "warning", "case_event", "case", "recorded_by").order_by("-decided_on", "-id")


def accountability_get(*, user: Any, pk: int) -> Accountability | None:
    return accountability_list(user=user).filter(pk=pk).first()
