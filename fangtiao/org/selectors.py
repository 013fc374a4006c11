"""Read queries of the registry: jurisdiction first, then joins and prefetches so that a page of
any size costs a fixed number of queries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet

from fangtiao.core.pinyin import normalize_query
from fangtiao.org.choices import MEDIATION_UNIT_KINDS, Employment, PersonStatus, RegionLevel
from fangtiao.org.models import DisputeCategory, Expert, Mediator, Region, Role, Unit, User


def name_q(q: str, *, field: str = "name", key_field: str = "search_key") -> Q:
    """Match a name by its characters, or by pinyin initials / full pinyin (“wxm”, “wangxm”)."""
    q = (q or "").strip()
    if not q:
        return Q()
    cond = Q(**{f"{field}__icontains": q})
    norm = normalize_query(q)
    if norm and norm.isascii():
        # Each variant in the key is preceded by a space or starts the key: prefix match per variant.
        cond |= Q(**{f"{key_field}__startswith": norm}) | Q(**{f"{key_field}__contains": " " + norm})
    return cond


def _region_filter(qs: QuerySet, code: str | None, path_field: str) -> QuerySet:
    if not code:
        return qs
    region = Region.objects.filter(code=code).only("path").first()
    if region is None:
        return qs.none()
    return qs.filter(**{f"{path_field}__startswith": region.path})


# --- regions ---------------------------------------------------------------------------------

def region_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Region]:
    f = filters or {}
    qs = Region.objects.visible_to(user).select_related("parent")
    qs = _region_filter(qs, f.get("region"), "path")
    if f.get("level"):
        qs = qs.filter(level=f["level"])
    if f.get("parent"):
        qs = qs.filter(parent__code=f["parent"])
    if f.get("q"):
        qs = qs.filter(name_q(f["q"]) | Q(code__startswith=f["q"].strip()))
    return qs.order_by("path")


def region_get(*, user: Any, code: str) -> Region | None:
    return Region.objects.visible_to(user).select_related("parent").filter(code=code).first()


def region_children(*, user: Any, region: Region) -> QuerySet[Region]:
    return Region.objects.visible_to(user).filter(parent=region).annotate(n_units=Count("units")).order_by("path")


# --- units -----------------------------------------------------------------------------------

def unit_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Unit]:
    f = filters or {}
    qs = Unit.objects.visible_to(user).select_related("region", "parent")
    qs = _region_filter(qs, f.get("region"), "region__path")
    if f.get("kind"):
        qs = qs.filter(kind=f["kind"])
    if f.get("level"):
        qs = qs.filter(level=f["level"])
    if f.get("mediation_only"):
        qs = qs.filter(kind__in=MEDIATION_UNIT_KINDS)
    if f.get("active") in (True, False):
        qs = qs.filter(active=f["active"])
    if f.get("q"):
        qs = qs.filter(name_q(f["q"]) | Q(short_name__icontains=f["q"].strip()))
    return qs.order_by("region__path", "kind", "name")


def unit_get(*, user: Any, pk: int) -> Unit | None:
    return Unit.objects.visible_to(user).select_related("region", "parent").filter(pk=pk).first()


# --- people ----------------------------------------------------------------------------------

def mediator_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Mediator]:
    f = filters or {}
    qs = Mediator.objects.visible_to(user).select_related("unit", "unit__region").prefetch_related(
        Prefetch("specialties", queryset=DisputeCategory.objects.order_by("sort"))
    )
    qs = _region_filter(qs, f.get("region"), "unit__region__path")
    if f.get("unit"):
        qs = qs.filter(unit_id=f["unit"])
    if f.get("employment"):
        qs = qs.filter(employment=f["employment"])
    if f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("level"):
        qs = qs.filter(unit__level=f["level"])
    if f.get("specialty"):
        qs = qs.filter(specialties__code=f["specialty"])
    if f.get("q"):
        qs = qs.filter(name_q(f["q"]))
    return qs.order_by("search_key", "id")  # pinyin order, as Chinese rosters are read


def mediator_get(*, user: Any, pk: int) -> Mediator | None:
    return mediator_list(user=user).filter(pk=pk).select_related("user").first()


def expert_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Expert]:
    f = filters or {}
    qs = Expert.objects.visible_to(user).select_related("unit", "unit__region").prefetch_related(
        Prefetch("specialties", queryset=DisputeCategory.objects.order_by("sort"))
    )
    qs = _region_filter(qs, f.get("region"), "unit__region__path")
    if f.get("kind"):
        qs = qs.filter(kind=f["kind"])
    if f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("specialty"):
        qs = qs.filter(specialties__code=f["specialty"])
    if f.get("q"):
        q = f["q"].strip()
        qs = qs.filter(name_q(q) | Q(organisation__icontains=q) | Q(fields__icontains=q))
    return qs.order_by("kind", "search_key", "id")


def expert_get(*, user: Any, pk: int) -> Expert | None:
    return expert_list(user=user).filter(pk=pk).select_related("user").first()


def staff_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[User]:
    f = filters or {}
    qs = User.objects.visible_to(user).select_related("unit", "unit__region").prefetch_related(
        Prefetch("roles", queryset=Role.objects.order_by("code"))
    )
    qs = _region_filter(qs, f.get("region"), "unit__region__path")
    if f.get("unit"):
        qs = qs.filter(unit_id=f["unit"])
    if f.get("role"):
        qs = qs.filter(roles__code=f["role"])
    if f.get("active") in (True, False):
        qs = qs.filter(is_active=f["active"])
    if f.get("q"):
        qs = qs.filter(name_q(f["q"]) | Q(username__icontains=f["q"].strip()))
    return qs.order_by("username")


def staff_get(*, user: Any, pk: int) -> User | None:
    return staff_list(user=user).filter(pk=pk).first()


def categories() -> QuerySet[DisputeCategory]:
    return DisputeCategory.objects.filter(active=True).order_by("sort", "code")


# --- staffing rules --------------------------------------------------------------------------

def township_staffing(*, user: Any) -> list[dict[str, Any]]:
    """Each township in scope with its full-time mediator count against the required minimum.

    Rule (article; 浙江省司法厅《关于加强专职人民调解员队伍建设的意见》): each township
    (street) has at least N full-time mediators, N = FANGTIAO_MIN_FULLTIME_PER_TOWNSHIP (default 2).
    Counted: active full-time mediators of committees at township level in that township.
    One aggregate query over the townships in scope.
    """
    minimum = settings.FANGTIAO_MIN_FULLTIME_MEDIATORS_PER_TOWNSHIP
    active_ft = Q(
        units__mediators__status=PersonStatus.ACTIVE,
        units__mediators__employment=Employment.FULL_TIME,
        units__level="township",
    )
    townships = (
        Region.objects.visible_to(user)
        .filter(level=RegionLevel.TOWNSHIP)
        .select_related("parent")
        .annotate(full_time=Count("units__mediators", filter=active_ft, distinct=True))
        .order_by("path")
    )
    return [
        {"region": t, "full_time": t.full_time, "required": minimum, "shortfall": max(minimum - t.full_time, 0)}
        for t in townships
    ]


def registry_counts(*, user: Any) -> dict[str, int]:
    """Headline counts for the home page, each one COUNT in the database."""
    return {
        "regions": Region.objects.visible_to(user).count(),
        "units": Unit.objects.visible_to(user).count(),
        "committees": Unit.objects.visible_to(user).filter(kind__in=MEDIATION_UNIT_KINDS).count(),
        "mediators": Mediator.objects.visible_to(user).filter(status=PersonStatus.ACTIVE).count(),
        "full_time": Mediator.objects.visible_to(user)
        .filter(status=PersonStatus.ACTIVE, employment=Employment.FULL_TIME)
        .count(),
        "experts": Expert.objects.visible_to(user).filter(status=PersonStatus.ACTIVE).count(),
    }


