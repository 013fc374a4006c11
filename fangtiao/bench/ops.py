"""The measured operations. Each is one small function returning the path(s) to request, given
a `Context` that picks ids and codes from the generated data deterministically.

A later issue adds its operation here with one decorated function, e.g.::

    @op("api.cases.list")
    def _cases_list(ctx: Context) -> list[str]:
        return ["/api/v1/cases?page_size=50"]

Names are "<surface>.<resource>.<action>"; `auth` says how the runner signs the requests
("token": API bearer token, "session": a logged-in browser session, "none"). Several paths are
requested round-robin, so a detail page is not measured on one hot row only. A writing
operation gives `method="POST"` and `bodies` (one fresh body per request, warm-up included),
the status it expects, and `login` when the bench administrator may not do it (intake is a
clerk's work).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal
from urllib.parse import urlencode

from django.db.models import Count, Max, Min, Q

from fangtiao.bench.generate import (
    BENCH_PASSWORD,
    BENCH_PATH_PREFIX,
    BENCH_USERNAME,
    COUNTY_UNITS,
    PROVINCE_CODE,
    STAFF_USERNAME_PREFIX,
    GenerationError,
    _person_key,
    bench_mediators,
    bench_regions,
)
from fangtiao.org.choices import Employment, RegionLevel, UnitKind
from fangtiao.org.choices import Role as R
from fangtiao.org.models import Region

Auth = Literal["none", "token", "session"]
FLOOR = "floor"


STATS_LEADER = "benchstats-leader"


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

    # --- cases (issue 3) -------------------------------------------------------------------

    @cached_property
    def case_ids(self) -> list[int]:
        """20 generated cases spread evenly over the id range (one indexed lookup each); not 检举控告
        ones, which the bench administrator may not read."""
        from fangtiao.cases.models import Case

        bench = Case.objects.filter(region_path__startswith=BENCH_PATH_PREFIX).exclude(nature="accusation")
        bounds = bench.aggregate(lo=Min("pk"), hi=Max("pk"))
        if bounds["lo"] is None:
            raise GenerationError("没有找到基准事项，请先运行 fangtiao bench generate")
        lo, hi = bounds["lo"], bounds["hi"]
        ids = [bench.filter(pk__gte=lo + (hi - lo) * k // 20).order_by("pk").values_list("pk", flat=True).first()
               for k in range(20)]
        return list(dict.fromkeys(i for i in ids if i is not None))

    @cached_property
    def top_category(self) -> str:
        from fangtiao.cases.models import Case

        row = (Case.objects.filter(pk__in=self.case_ids).exclude(category=None).values("category_id")
               .annotate(n=Count("pk")).order_by("-n", "category_id").first())
        return row["category_id"] if row else "neighbour"

    @cached_property
    def last_month(self) -> tuple[str, str]:
        p = self.stats_periods
        return p["last"].isoformat(), (p["last"].replace(day=28) + dt.timedelta(days=4)).replace(day=1).isoformat()

    @cached_property
    def top_holder_unit(self) -> int:
        from fangtiao.cases.models import Case

        return Case.objects.get(pk=self.case_ids[len(self.case_ids) // 2]).holder_unit_id

    # --- mediation (issue 4) ---------------------------------------------------------------

    def mediating_case_ids(self, kinds: Sequence[str]) -> list[int]:
        """Up to 20 generated cases in mediation (an open round) at committees of `kinds`, spread evenly
        over the id range."""
        from fangtiao.mediation.models import Mediation

        rounds = Mediation.objects.filter(status="open", unit__kind__in=list(kinds),
                                          case__region_path__startswith=BENCH_PATH_PREFIX).exclude(case__nature="accusation")
        bounds = rounds.aggregate(lo=Min("case_id"), hi=Max("case_id"))
        if bounds["lo"] is None:
            raise GenerationError("没有找到调解中的基准事项，请先运行 fangtiao bench generate")
        lo, hi = bounds["lo"], bounds["hi"]
        ids = [rounds.filter(case_id__gte=lo + (hi - lo) * k // 20).order_by("case_id").values_list("case_id", flat=True)
               .first() for k in range(20)]
        return list(dict.fromkeys(i for i in ids if i is not None))

    @cached_property
    def local_mediation_ids(self) -> list[int]:
        return self.mediating_case_ids((UnitKind.VILLAGE_COMMITTEE, UnitKind.TOWNSHIP_COMMITTEE))

    @cached_property
    def county_mediation_ids(self) -> list[int]:
        ids = self.mediating_case_ids((UnitKind.DISTRICT_COMMITTEE, UnitKind.PROFESSIONAL_COMMITTEE))
        return ids or self.local_mediation_ids

    @cached_property
    def intake_username(self) -> str:
        """The window clerk of the first county's centre (the bench administrator may not register)."""
        slot = COUNTY_UNITS[0]
        return f"{STAFF_USERNAME_PREFIX}{self.county_code}_{slot.slot}_{slot.staff_roles.index(R.CLERK) + 1}"

    @cached_property
    def intake_villages(self) -> list[str]:
        codes = list(Region.objects.filter(path__startswith=f"{BENCH_PATH_PREFIX}", level=RegionLevel.VILLAGE,
                                           code__startswith=self.county_code).order_by("code").values_list("code", flat=True)[:60])
        if not codes:
            raise GenerationError("没有找到基准村（社区），请先运行 fangtiao bench generate")
        return codes

    @cached_property
    def known_petitioners(self) -> list[dict[str, str]]:
        """Generated petitioners of the county (decrypted), so some intakes are the same person again."""
        from fangtiao.cases.models import Party

        rows = (Party.objects.filter(case__region_path__startswith=f"{BENCH_PATH_PREFIX}", role="petitioner")
                .exclude(id_index="").filter(case__region__code__startswith=self.county_code).order_by("pk")[:50])
        return [{"name": p.name, "id_number": p.id_number, "phone": p.phone} for p in rows]

    def intake_bodies(self, count: int) -> list[bytes]:
        """`count` distinct valid intake bodies: 60 % disputes, 40 % oral petitions, with composed Chinese
        text (generate_cases._Composer: names, places, organisations, facts, what was tried, demands);
        a third are a known petitioner of the county raising an earlier matter again in edited words
        (the repeat detection, the warnings and the routing suggestion at registration have work)."""
        from fangtiao.bench.generate_cases import SUBJECT, _Composer
        from fangtiao.core.validators import id_check_char

        rng = random.Random(f"bench-intake/{count}")  # noqa: S311
        composer = _Composer(rng.randrange(10**9), count)
        earlier = self.earlier_matters(60)
        out = []
        for i in range(count):
            kind = "dispute" if rng.random() < 0.6 else "petition"
            category = rng.choice(list(SUBJECT))
            region = self.intake_villages[rng.randrange(len(self.intake_villages))]
            if earlier and rng.random() < 0.33:
                m = earlier[rng.randrange(len(earlier))]
                person = {"name": m["name"], "id_number": m["id_number"], "phone": m["phone"]}
                kind, region, category = m["kind"], m["region"], m["category"] or category
                sentences = [x for x in m["description"].rstrip("。").split("。") if x]
                if len(sentences) > 2:
                    rest = sentences[1:]
                    rng.shuffle(rest)
                    sentences = [sentences[0], *rest[: max(1, len(rest) - 1)]]
                title = f"再次反映{m['title']}"[:60]
                _t, more, _d = composer.compose(category if category in SUBJECT else "neighbour", m["name"])
                facts = ["又来反映：" + sentences[0], *sentences[1:], more[-1], "上次反映后至今没有解决"]
                demands = m["demands"]
            else:
                first17 = f"{self.county_code}{1950 + rng.randrange(50)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{rng.randrange(1000):03d}"
                person = {"name": f"测试{i}号", "id_number": first17 + id_check_char(first17),
                          "phone": f"13{rng.randrange(10**9):09d}"}
                title, facts, demands = composer.compose(category, person["name"])
            body: dict[str, Any] = {
                "channel": "visit", "kind": kind, "title": title, "description": "。".join(facts) + "。",
                "demands": demands, "region": region,
                "parties": [{"role": "petitioner", "address": "基准村1号", **person}],
            }
            if kind == "dispute":
                body["category"] = category
                body["parties"].append({"role": "respondent", "name": f"对方{i}"})
            else:
                body.update(nature="claim", category=category, oral_record=f"来访人口述：{body['description']}")
            out.append(json.dumps(body, ensure_ascii=False).encode())
        return out

    # --- screening (issue 6) -----------------------------------------------------------------

    @cached_property
    def similar_case_ids(self) -> list[int]:
        """50 generated cases at random (seeded), not 检举控告 ones; each is one similar-matter lookup."""
        from fangtiao.cases.models import Case

        bench = Case.objects.filter(region_path__startswith=BENCH_PATH_PREFIX).exclude(nature="accusation")
        bounds = bench.aggregate(lo=Min("pk"), hi=Max("pk"))
        if bounds["lo"] is None:
            raise GenerationError("没有找到基准事项，请先运行 fangtiao bench generate")
        rng = random.Random("bench-similar")  # noqa: S311
        ids = [bench.filter(pk__gte=rng.randint(bounds["lo"], bounds["hi"])).order_by("pk").values_list("pk", flat=True)
               .first() for _ in range(50)]
        return list(dict.fromkeys(i for i in ids if i is not None))

    @cached_property
    def county_leader_username(self) -> str:
        """The leader of the first county's centre (warnings and hot spots are a leader's pages)."""
        slot = COUNTY_UNITS[0]
        return f"{STAFF_USERNAME_PREFIX}{self.county_code}_{slot.slot}_{slot.staff_roles.index(R.LEADER) + 1}"

    def earlier_matters(self, count: int) -> list[dict[str, Any]]:
        """Earlier matters of known petitioners of the county (text, place, category), to be raised again."""
        from fangtiao.cases.models import Party

        rows = (Party.objects.filter(case__region_path__startswith=BENCH_PATH_PREFIX, role="petitioner")
                .exclude(id_index="").filter(case__region__code__startswith=self.county_code)
                .select_related("case__region").order_by("pk")[:count])
        return [{"name": p.name, "id_number": p.id_number, "phone": p.phone, "title": p.case.title,
                 "description": p.case.description, "demands": p.case.demands, "region": p.case.region.code,
                 "kind": p.case.kind, "category": p.case.category_id} for p in rows]

    def routing_bodies(self, count: int) -> list[bytes]:
        """`count` routing-suggestion requests: composed matters as a clerk types them, with a village."""
        from fangtiao.bench.generate_cases import SUBJECT, _Composer
        from fangtiao.bench.generate_cases import gen as g

        composer = _Composer(g.SEED, -count)
        out = []
        for _ in range(count):
            category = composer.rng.choice(list(SUBJECT))
            title, facts, demands = composer.compose(category, g._person_name(composer.rng))
            out.append(json.dumps({"title": title, "description": "。".join(facts) + "。", "demands": demands,
                                   "region": self.intake_villages[composer.rng.randrange(len(self.intake_villages))]},
                                  ensure_ascii=False).encode())
        return out

    # --- statistics (issue 7) ----------------------------------------------------------------

    @cached_property
    def stats_leader_username(self) -> str:
        from fangtiao.org.models import Unit, User

        username = STATS_LEADER  # not under the staff prefix: the generator counts those
        unit = Unit.objects.filter(region__code=PROVINCE_CODE, region__level="province").order_by("pk").first()
        if unit is None:
            raise GenerationError("没有找到省级单位，请先运行 fangtiao bench generate")
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, name="基准统计省级领导", unit=unit, search_key=_person_key("基准统计省级领导"))
            user.set_password(BENCH_PASSWORD)
            user.save()
            user.roles.add(R.LEADER)
        return username

    @cached_property
    def stats_periods(self) -> dict[str, Any]:
        from fangtiao.bench import stats

        return stats.periods()

    @cached_property
    def stats_places(self) -> dict[str, str]:
        from fangtiao.bench import stats

        return stats.places()

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
    method: str = "GET"
    expect: int = 200
    bodies: Callable[[Context, int], list[bytes]] | None = None
    login: Callable[[Context], str] | None = None  # whose token (default: the bench administrator)
    # Issue 8: this op's own concurrency (intake at 16 clients), and its raw-SQL floor — the
    # statements a bare view runs for the same rows (fangtiao.bench.floors), or "intake" for the
    # bare view doing an intake's INSERTs.
    concurrency: int | None = None
    floor: Callable[[Context], list[tuple[str, list[Any]]]] | str | None = None


REGISTRY: dict[str, Op] = {}


def op(name: str, *, auth: Auth = "token", method: str = "GET", expect: int = 200,
       bodies: Callable[[Context, int], list[bytes]] | None = None,
       login: Callable[[Context], str] | None = None, concurrency: int | None = None,
       floor: Callable[[Context], list[tuple[str, list[Any]]]] | str | None = None,
       ) -> Callable[[Callable[[Context], Sequence[str]]], Callable[[Context], Sequence[str]]]:
    """Register a measured operation (the decorated function returns its paths)."""

    def register(fn: Callable[[Context], Sequence[str]]) -> Callable[[Context], Sequence[str]]:
        if name in REGISTRY:
            raise ValueError(f"benchmark operation {name!r} registered twice")
        if method != "GET" and bodies is None:
            raise ValueError(f"benchmark operation {name!r}: a {method} needs bodies")
        REGISTRY[name] = Op(name=name, paths=fn, auth=auth, doc=(fn.__doc__ or "").strip(), method=method,
                            expect=expect, bodies=bodies, login=login, concurrency=concurrency, floor=floor)
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


# --- cases (issue 3; filters, floors and intake at 16 clients: issue 8) --------------------------

CASE_SEARCH = "工资"  # a word of many generated titles (the bigram index on PostgreSQL, ADR 0012)


def list_floor(path: str, username: str = BENCH_USERNAME) -> list[tuple[str, list[Any]]]:
    """The list page's own SQL for the same rows — the selector's queryset for this query string and
    user, sliced to the page — captured before the server starts, run raw by the floor view."""
    from urllib.parse import parse_qsl, urlsplit

    from fangtiao.cases import selectors
    from fangtiao.cases.api import CaseFilter
    from fangtiao.org.models import User

    f = CaseFilter(**dict(parse_qsl(urlsplit(path).query)))
    qs = selectors.case_list(user=User.objects.get(username=username), filters=f.dict())
    start = (f.page - 1) * f.page_size
    sql, params = qs[start : start + f.page_size].query.sql_with_params()
    return [(sql, list(params))]


def _list_op(name: str, doc: str, login: Callable[[Context], str] | None = None, **params: Any) -> None:
    """Register a case-list operation with its page-query floor."""
    def paths(ctx: Context) -> list[str]:
        return [_q("/api/v1/cases", **{k: (v(ctx) if callable(v) else v) for k, v in params.items()}, page_size=50)]

    paths.__doc__ = doc
    op(name, login=login, floor=lambda ctx: list_floor(paths(ctx)[0], login(ctx) if login else BENCH_USERNAME))(paths)


def _case_row_floor(ctx: Context) -> list[tuple[str, list[Any]]]:
    """The case's row with its category, region and holding unit, by primary key."""
    from fangtiao.cases.models import Case

    out = []
    for pk in ctx.case_ids:
        sql, params = Case.objects.filter(pk=pk).select_related("category", "region", "holder_unit").query.sql_with_params()
        out.append((sql, list(params)))
    return out


@op("api.cases.intake", method="POST", expect=201, bodies=lambda ctx, n: ctx.intake_bodies(n),
    login=lambda ctx: ctx.intake_username, floor="intake")
def _cases_intake(ctx: Context) -> list[str]:
    """Intake over HTTP by a county window clerk, a new valid body each time (POST /cases), 2 clients."""
    return ["/api/v1/cases"]


@op("api.cases.intake_c16", method="POST", expect=201, bodies=lambda ctx, n: ctx.intake_bodies(n + 1)[1:],
    login=lambda ctx: ctx.intake_username, concurrency=16, floor="intake")
def _cases_intake_c16(ctx: Context) -> list[str]:
    """The same intake from 16 concurrent clients (other bodies), against the floor at 16 clients."""
    return ["/api/v1/cases"]


for _name, _doc, _params in [
    ("api.cases.list", "Every case in scope, newest first, first page of 50 (with the capped count).", {}),
    ("api.cases.filter_status", "Cases being handled (status=handling).", {"status": "handling"}),
    ("api.cases.filter_region", "The cases of one township (a region-path prefix).", {"region": lambda c: c.township_code}),
    ("api.cases.filter_flag", "Overdue cases (flag=overdue, a partial index).", {"flag": "overdue"}),
    ("api.cases.filter_repeat", "Repeat petitions (flag=repeat, a partial index).", {"flag": "repeat"}),
    ("api.cases.filter_category", "One dispute category (the most frequent of the generated data).",
     {"category": lambda c: c.top_category}),
    ("api.cases.filter_channel", "Letters (channel=letter).", {"channel": "letter"}),
    ("api.cases.filter_kind", "Petitions only (kind=petition).", {"kind": "petition"}),
    ("api.cases.filter_dates", "Received in the last full month of the data (received_from / received_to).",
     {"received_from": lambda c: c.last_month[0], "received_to": lambda c: c.last_month[1]}),
    ("api.cases.filter_holder", "Held by one unit (holder_unit: the unit holding most cases).",
     {"holder_unit": lambda c: c.top_holder_unit}),
    ("api.cases.filter_combo", "A clerk's usual query: one township's cases being handled.",
     {"status": "handling", "region": lambda c: c.township_code}),
    ("api.cases.filter_mediation", "Cases whose mediation ended agreed (the statistics' filter, EXISTS on rounds).",
     {"mediation_outcome": "agreed"}),
    ("api.cases.filter_satisfied", "Cases the petitioner rated satisfied (evaluation=satisfied).", {"evaluation": "satisfied"}),
    ("api.cases.filter_clock", "Replies overdue (handling=overdue: the latest handling clock is overdue).",
     {"handling": "overdue"}),
    ("api.cases.q", "Search by a word of the title (bigram full-text index, ADR 0012).", {"q": CASE_SEARCH}),
    ("api.cases.page_20", "Page 20 of the whole list (OFFSET 950).", {"page": 20}),
]:
    _list_op(_name, _doc, **_params)

_list_op("api.cases.list_county", "Every case a county centre's leader may see (jurisdiction as a region prefix OR held, "
         "registered, transferred, co-handled by the unit), first page.", login=lambda ctx: ctx.county_leader_username)


@op("api.cases.detail", floor=_case_row_floor)
def _cases_detail(ctx: Context) -> list[str]:
    """One case with parties, clocks, timeline, transfers, over 20 ids spread across the table."""
    return [f"/api/v1/cases/{pk}" for pk in ctx.case_ids]


# --- mediation (issue 4) -----------------------------------------------------------------------

@op("api.mediation.suggestions")
def _mediation_suggestions(ctx: Context) -> list[str]:
    """Mediator suggestions (scores, reasons, workloads, conflicts) for a case in mediation at a village or
    township committee: the pool is the township's mediation organisations; 20 cases spread over the table."""
    return [f"/api/v1/cases/{pk}/mediator-suggestions" for pk in ctx.local_mediation_ids]


@op("api.mediation.suggestions_county")
def _mediation_suggestions_county(ctx: Context) -> list[str]:
    """The same at a county (district) or professional committee: the pool is every mediation organisation of
    the county (about 1,000 mediators at 1M cases)."""
    return [f"/api/v1/cases/{pk}/mediator-suggestions" for pk in ctx.county_mediation_ids]


# --- screening (issue 6) -----------------------------------------------------------------------

def _similar_floor(ctx: Context) -> list[tuple[str, list[Any]]]:
    """The candidate probe of the lookup: the cases sharing a band key with the case (its 32 keys,
    the index screening_textkey.key), most shared first, 20 of them."""
    from fangtiao.screening.models import TextKey

    out = []
    for pk in ctx.similar_case_ids:
        keys = list(TextKey.objects.filter(case_id=pk).values_list("key", flat=True))
        out.append(("SELECT case_id, count(*) AS n FROM screening_textkey WHERE key = ANY(%s) AND case_id <> %s "
                    "GROUP BY case_id ORDER BY n DESC, case_id DESC LIMIT 20", [keys, pk]))
    return out


@op("api.cases.similar", floor=_similar_floor)
def _cases_similar(ctx: Context) -> list[str]:
    """Similar earlier matters of a case (同人 by blind index, 同事 by MinHash band keys, scored), 50 random cases."""
    return [f"/api/v1/cases/{pk}/similar" for pk in ctx.similar_case_ids]


@op("api.routing.suggest", method="POST", bodies=lambda ctx, n: ctx.routing_bodies(n),
    login=lambda ctx: ctx.intake_username)
def _routing_suggest(ctx: Context) -> list[str]:
    """The routing suggestion (dispute type and handling unit, with confidence) for a composed matter, as the
    intake form asks while the clerk types (a county window clerk)."""
    return ["/api/v1/routing/suggest"]


@op("api.warnings.list", login=lambda ctx: ctx.county_leader_username)
def _warnings_list(ctx: Context) -> list[str]:
    """The active early warnings of a county, first page of 50, as its centre's leader sees them."""
    return [_q("/api/v1/warnings", page_size=50)]


@op("api.hotspots.list", login=lambda ctx: ctx.county_leader_username)
def _hotspots_list(ctx: Context) -> list[str]:
    """The hot spots of the latest computed run, with their members, as a county's leader sees them."""
    return ["/api/v1/hotspots"]


# --- statistics (issue 7) ----------------------------------------------------------------------



def stats_leader(ctx: Context) -> str:
    """A leader of the province's unit (statistics are a leader's pages; the bench administrator has
    no `stats.view`), created on first use with the bench password."""
    return ctx.stats_leader_username


def _stats_period(ctx: Context) -> dict[str, str]:
    p = ctx.stats_periods
    return {"from": p["start"].isoformat(), "to": p["end"].isoformat()}


def _stats_months(ctx: Context) -> dict[str, str]:
    p = ctx.stats_periods
    return {"from": p["first"].isoformat(), "to": p["last"].isoformat()}


def _summary_floor(ctx: Context) -> list[tuple[str, list[Any]]]:
    """The hand-written single count of the summary's receipt figures of both years straight from
    cases_case (fangtiao.bench.stats.hand_summary_sql)."""
    from fangtiao.bench import stats

    sql, params = stats.hand_summary_sql(ctx.stats_places["province"], ctx.stats_periods)
    return [(sql, list(params))]


@op("stats.summary_year", login=stats_leader, floor=_summary_floor)
def _stats_summary_year(ctx: Context) -> list[str]:
    """Every summary figure of the whole province for the rolling year and the year before it (rollups)."""
    return [_q("/api/v1/stats/summary", region=PROVINCE_CODE, **_stats_period(ctx))]


@op("stats.summary_township", login=stats_leader)
def _stats_summary_township(ctx: Context) -> list[str]:
    """The same for one township (the province leader names it with `region`)."""
    return [_q("/api/v1/stats/summary", region=ctx.stats_places["township_code"], **_stats_period(ctx))]


@op("stats.overview_monthly", login=stats_leader)
def _stats_overview_monthly(ctx: Context) -> list[str]:
    """The overview's monthly series of the province: 12 whole months and the 12 a year earlier."""
    return [_q("/api/v1/stats/monthly", region=PROVINCE_CODE, **_stats_months(ctx))]


@op("stats.overview_breakdown", login=stats_leader)
def _stats_overview_breakdown(ctx: Context) -> list[str]:
    """The overview's four breakdowns (channel, category, kind, level) of the province over the 12 months."""
    return [_q("/api/v1/stats/breakdown", region=PROVINCE_CODE, **_stats_months(ctx))]
