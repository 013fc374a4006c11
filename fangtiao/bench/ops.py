"""The measured operations. Each is one small function returning the path(s) to request, given
a `Context` that picks ids and codes from the generated data deterministically.

A later issue adds its operation here with one decorated function, e.g.::

    @op("api.cases.list")
    def _cases_list(ctx: Context) -> list[str]:
        return ["/api/v1/cases?page_size=50"]

Names are "<surface>.<resource>.<action>"; `auth` says how the runner signs the requests
("token": API bearer token, "session": a logged-in browser session, "none"). Several paths are
requested round-robin, so a detail page is not measured on one hot row only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal
from urllib.parse import urlencode

from django.db.models import Count, Q

from fangtiao.bench.generate import BENCH_PATH_PREFIX, GenerationError, bench_mediators, bench_regions
from fangtiao.org.choices import Employment, RegionLevel, UnitKind
from fangtiao.org.models import Region

Auth = Literal["none", "token", "session"]
FLOOR = "floor"


class Context:
    """Lookups shared by the operations; each runs at most once, before the server is measured."""

    @cached_property
    def county_code(self) -> str:
        code = bench_regions(RegionLevel.DISTRICT).values_list("code", flat=True).first()
        if code is None:
            raise GenerationError("没有找到基准数据，请先运行 fangtiao bench generate")
        return code

    @cached_property
    def township_code(self) -> str:
        """The township whose committee has the most full-time labour mediators (ties: by code),
        so the filtered list returns rows instead of measuring an empty page."""
        best = (
            Region.objects.filter(path__startswith=BENCH_PATH_PREFIX, level=RegionLevel.TOWNSHIP)
            .annotate(n=Count("units__mediators", filter=Q(
                units__kind=UnitKind.TOWNSHIP_COMMITTEE,
                units__mediators__employment=Employment.FULL_TIME,
                units__mediators__specialties__code="labour",
            )))
            .order_by("-n", "code")
            .values_list("code", flat=True)
            .first()
        )
        if best is None:
            raise GenerationError("没有找到基准数据，请先运行 fangtiao bench generate")
        return best

    @cached_property
    def mediator_ids(self) -> list[int]:
        """Up to 20 generated mediators spread evenly over the whole table."""
        ids = list(bench_mediators().values_list("pk", flat=True))
        if not ids:
            raise GenerationError("没有找到基准调解员，请先运行 fangtiao bench generate")
        step = max(1, len(ids) // 20)
        return ids[::step][:20]

    @cached_property
    def pinyin_query(self) -> str:
        """The initials of the first generated mediator's name ("wxm" for 王晓明)."""
        key = bench_mediators().values_list("search_key", flat=True).first()
        if not key:
            raise GenerationError("没有找到基准调解员，请先运行 fangtiao bench generate")
        return key.split()[0]


@dataclass(frozen=True)
class Op:
    name: str
    paths: Callable[[Context], Sequence[str]]
    auth: Auth = "token"
    doc: str = ""


REGISTRY: dict[str, Op] = {}


def op(name: str, *, auth: Auth = "token") -> Callable[[Callable[[Context], Sequence[str]]], Callable[[Context], Sequence[str]]]:
    """Register a measured operation (the decorated function returns its paths)."""

    def register(fn: Callable[[Context], Sequence[str]]) -> Callable[[Context], Sequence[str]]:
        if name in REGISTRY:
            raise ValueError(f"benchmark operation {name!r} registered twice")
        REGISTRY[name] = Op(name=name, paths=fn, auth=auth, doc=(fn.__doc__ or "").strip())
        return fn

    return register


def select(names: Sequence[str] | None) -> list[Op]:
    """The floor first, then the named operations (all when `names` is empty), registry order."""
    unknown = [n for n in names or () if n not in REGISTRY]
    if unknown:
        raise KeyError(", ".join(unknown))
    wanted = set(names or REGISTRY)
    return [REGISTRY[FLOOR], *(o for n, o in REGISTRY.items() if n != FLOOR and n in wanted)]


def _q(path: str, **params: object) -> str:
    return f"{path}?{urlencode(params)}" if params else path


# --- the floor ---------------------------------------------------------------------------------

@op(FLOOR, auth="none")
def _floor(ctx: Context) -> list[str]:
    """A bare Django view under the same server: what any request costs before it does anything."""
    return ["/healthz"]


# --- registry API (issue 1) --------------------------------------------------------------------

@op("api.regions.list")
def _regions_list(ctx: Context) -> list[str]:
    """All townships in scope, first page."""
    return [_q("/api/v1/regions", level="township", page_size=50)]


@op("api.units.list_region")
def _units_list_region(ctx: Context) -> list[str]:
    """The units of one county subtree."""
    return [_q("/api/v1/units", region=ctx.county_code)]


@op("api.mediators.list")
def _mediators_list(ctx: Context) -> list[str]:
    """Every mediator in scope, first page (ordered by name)."""
    return [_q("/api/v1/mediators", page_size=50)]


@op("api.mediators.filter")
def _mediators_filter(ctx: Context) -> list[str]:
    """Full-time labour-dispute mediators of one township."""
    return [_q("/api/v1/mediators", employment="full_time", region=ctx.township_code, specialty="labour")]


@op("api.mediators.pinyin")
def _mediators_pinyin(ctx: Context) -> list[str]:
    """Search by pinyin initials."""
    return [_q("/api/v1/mediators", q=ctx.pinyin_query)]


@op("api.mediators.detail")
def _mediators_detail(ctx: Context) -> list[str]:
    """One mediator, over 20 ids spread across the table."""
    return [f"/api/v1/mediators/{pk}" for pk in ctx.mediator_ids]


@op("api.me")
def _me(ctx: Context) -> list[str]:
    """The current user: authentication, roles and scope."""
    return ["/api/v1/me"]


@op("ui.mediators.list", auth="session")
def _ui_mediators_list(ctx: Context) -> list[str]:
    """The mediator list page, rendered for a logged-in browser session."""
    return ["/org/mediators/"]
