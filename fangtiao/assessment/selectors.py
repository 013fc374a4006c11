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
from fangtiao.cases.access import case_scope_path
from fangtiao.org.choices import Role, UnitKind
from fangtiao.org.permissions import has_capability

# Who reads more than their own score: a mediator alone reads only theirs ("mediators: their own scores").
_WIDE_ROLES = frozenset({Role.LEADER, Role.OFFICER, Role.COMMITTEE_HEAD, Role.ADMIN})


def subjects_of(level: str, path: str = "") -> list[Subject]:
    """Everyone assessed at a level within region `path` ("" = everywhere): township sub-centres
    (their township's region subtree), village committees (their village), active mediators (what
    they led; placed at their committee's region)."""
    from fangtiao.org.models import Mediator, Unit

    if level == Level.MEDIATOR:
        rows = (Mediator.objects.filter(status="active", unit__region__path__startswith=path)
                .select_related("unit__region").order_by("id"))
        return [Subject(level=level, path=m.unit.region.path, name=f"{m.name}（{m.unit.short_name}）", mediator_id=m.pk)
                for m in rows]
    kind = UnitKind.SUBCENTRE if level == Level.TOWNSHIP else UnitKind.VILLAGE_COMMITTEE
    units = (Unit.objects.filter(kind=kind, active=True, region__path__startswith=path).select_related("region")
             .order_by("region__path", "id"))
    return [Subject(level=level, path=u.region.path, name=u.name, unit_id=u.pk) for u in units]


def district_paths() -> set[str]:
    from fangtiao.org.models import Region

    return set(Region.objects.filter(level="district").values_list("path", flat=True))


def district_of(path: str, districts: set[str], default: str = "") -> str:
    """The path of the district (区/县) that `path` lies in (itself if a district), else `default`.
    Paths are `331003/331003001/`."""
    found = default
    for n, ch in enumerate(path):
        if ch == "/" and path[:n + 1] in districts:
            found = path[:n + 1]
    return found


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
    return _with_items(qs).order_by("period", "level", "ranking_path", "rank", "name", "id")


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


def _ancestors_q(path: str) -> Q:
    """Schemes whose region is `path` or above it (the default "" included)."""
    prefixes = [""] + [path[:n + 1] for n, ch in enumerate(path) if ch == "/"]
    return Q(region_path__in=prefixes)


def scheme_list(user: Any = None) -> QuerySet[Scheme]:
    """The schemes a user reads: those in force for their region (its own, its ancestors', the
    default) and those of the regions below it; no user = all (system)."""
    qs = Scheme.objects.select_related("updated_by").prefetch_related(
        Prefetch("items", queryset=SchemeItem.objects.select_related("indicator").order_by("sort", "id")))
    if user is not None and not user.is_superuser:
        path = case_scope_path(user)
        if path is None:
            qs = qs.filter(region_path="")
        elif path:
            qs = qs.filter(_ancestors_q(path) | Q(region_path__startswith=path))
    return qs.order_by("level", "period_type", "region_path", "-active", "id")


def scheme_get(pk: int, user: Any = None) -> Scheme | None:
    return scheme_list(user).filter(pk=pk).first()


def active_scheme(period: Period, level: str, path: str = "") -> Scheme | None:
    """The scheme in force for region `path`: the active one of the nearest region on its path."""
    rows = list(scheme_list().filter(_ancestors_q(path), period_type=period.type, level=level, active=True))
    return max(rows, key=lambda s: len(s.region_path), default=None)


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
    """问责 records name people: read with `accountability.view` (leaders, officers) or by whoever
    may record them, in the caller's jurisdiction."""
    f = dict(filters or {})
    if not (has_capability(user, "accountability.view") or has_capability(user, "accountability.record")):
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
