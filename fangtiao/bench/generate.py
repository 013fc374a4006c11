"""Deterministic benchmark data: the registry a province would hold for N cases, and the cases.

The generator builds what N cases' worth of a province needs around them — regions, units,
mediators, experts, staff accounts — at the proportions of the real network (DESIGN §6: a county per ~100,000 cases, 19 townships per county, ~13 villages
per township, a mediator per ~100 cases).

Two passes: `build()` is pure (a seeded RNG, no database), so the same N and seed always give
the same rows; `generate()` inserts them with `bulk_create` in one transaction, filling the
computed columns (path, depth, search keys, blind indexes) the services would fill. Everything
generated lives under fictional city codes 3399xx, 3398xx … of province 330000 (Zhejiang's real
cities end at 3311), so it never collides with the demo district, and every region and unit name
starts with “基准”. Person names are ordinary Chinese names (so the pinyin search is measured on
realistic keys); generated people are marked by their notes and by the `bench_` username prefix.
Then the N cases themselves (`generate_cases.py`: bulk insert, COPY on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Model

from fangtiao.core.crypto import blind_index
from fangtiao.core.pinyin import search_key
from fangtiao.org.choices import (
    DISPUTE_CATEGORIES,
    Clearance,
    Employment,
    ExpertKind,
    Gender,
    MediatorRank,
    PersonStatus,
    RegionKind,
    RegionLevel,
    UnitKind,
    UnitLevel,
)
from fangtiao.org.choices import Role as R
from fangtiao.org.models import Expert, Mediator, Region, Unit, User
from fangtiao.org.seed import ensure_reference_data

SEED = 20260101
BENCH_USERNAME = "bench"
# Known on purpose: the runner logs in with it. The bench database is a throw-away local one.
BENCH_PASSWORD = "Bench-Passw0rd!2026"  # noqa: S105
STAFF_USERNAME_PREFIX = "bench_"
NAME_PREFIX = "基准"
BENCH_NOTE = "基准测试生成数据"

PROVINCE_CODE = "330000"
PROVINCE_NAME = "浙江省"
PROVINCE_UNIT_NAME = f"{NAME_PREFIX}省矛盾纠纷综合化解中心"
# Fictional city codes 3399, 3398 … 3390: all paths start with this prefix.
BENCH_PATH_PREFIX = f"{PROVINCE_CODE}/339"
MAX_CITIES = 10
COUNTIES_PER_CITY = 99  # county codes 01..99 under each city

CASES_PER_COUNTY = 100_000
CASES_PER_MEDIATOR = 100
MIN_MEDIATORS = 300
TOWNSHIPS_PER_COUNTY = 19
VILLAGES_PER_TOWNSHIP = 13
COMMUNITIES_PER_TOWNSHIP = 3  # the first villages of a township are urban communities (居委会)
FULL_TIME_PER_TOWNSHIP = 2  # the staffing rule (settings.FANGTIAO_MIN_FULLTIME_MEDIATORS_PER_TOWNSHIP)
# The article's expert pool per county: 2 mediation experts, 5 lawyers, 11 domain specialists.
EXPERTS_PER_COUNTY: tuple[tuple[str, int], ...] = (
    (ExpertKind.MEDIATION_EXPERT, 2),
    (ExpertKind.LAWYER, 5),
    (ExpertKind.SPECIALIST, 11),
)
MAX_CASES = CASES_PER_COUNTY * COUNTIES_PER_CITY * MAX_CITIES


@dataclass(frozen=True)
class UnitSlot:
    """One unit every region of a level has: its key suffix, kind, name suffix and staff roles."""

    slot: str
    kind: str
    suffix: str
    short: str
    parent_slot: str | None  # a unit of the same region, or "county:centre"
    staff_roles: tuple[str, ...]
    mediator_weight: int = 0  # share of the county's mediators drawn to this unit
    full_time_share: float = 0.0


COUNTY_UNITS: tuple[UnitSlot, ...] = (
    UnitSlot("centre", UnitKind.CENTRE, "矛盾纠纷综合化解中心", "矛调", None, (R.LEADER, R.OFFICER, R.CLERK)),
    UnitSlot("committee", UnitKind.DISTRICT_COMMITTEE, "人民调解委员会", "调委", "centre", (R.COMMITTEE_HEAD,), 8, 0.35),
    UnitSlot("medical", UnitKind.PROFESSIONAL_COMMITTEE, "医疗纠纷人民调解委员会", "医调委", "centre", (R.COMMITTEE_HEAD,), 4, 0.5),
    UnitSlot("labour", UnitKind.PROFESSIONAL_COMMITTEE, "劳动争议人民调解委员会", "劳调委", "centre", (R.COMMITTEE_HEAD,), 4, 0.5),
)
TOWNSHIP_UNITS: tuple[UnitSlot, ...] = (
    UnitSlot("subcentre", UnitKind.SUBCENTRE, "联合调解分中心", "分中心", "county:centre", (R.CLERK, R.OFFICER)),
    UnitSlot("committee", UnitKind.TOWNSHIP_COMMITTEE, "人民调解委员会", "调委", "subcentre", (R.COMMITTEE_HEAD, R.MEDIATOR), 3, 0.12),
)
VILLAGE_UNITS: tuple[UnitSlot, ...] = (
    UnitSlot("committee", UnitKind.VILLAGE_COMMITTEE, "人民调解委员会", "调委", None, (R.COMMITTEE_HEAD,), 1, 0.05),
)
# A professional committee's mediators always handle its own dispute type.
SLOT_SPECIALTY = {"medical": "medical", "labour": "labour"}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国文辉鹏飞斌宇浩凯俊峰波晨婷雪琳慧颖佳嘉欣怡"
    "涵萱轩远志海燕丹萍鑫晓亮云春梅松林立新永德振宏彬健伦舟益琦瑜锋"
)
PLACE = "东南西北新安平和清溪山桥塘湾浦岭坑岙坦洋岩港林江湖石桃柳梅竹松云龙凤泉水田青金玉宁永兴丰乐"
# Heavier weights for the disputes a mediator most often lists (the common grassroots types);
# keyed by the seeded code table, so a code the table lacks is never generated.
_COMMON_DISPUTES = {
    "marriage_family": 6, "neighbour": 6, "housing_homestead": 4, "contract": 4, "damages": 4, "labour": 4,
    "land_forest": 3, "traffic": 3, "production": 2, "expropriation": 2, "consumer": 2, "medical": 2, "property": 2,
}
CATEGORY_WEIGHTS = {code: _COMMON_DISPUTES.get(code, 1) for code, _ in DISPUTE_CATEGORIES}
EXPERT_FIELDS = {
    ExpertKind.MEDIATION_EXPERT: ("人民调解", "信访化解", "心理疏导"),
    ExpertKind.LAWYER: ("民商事诉讼", "劳动法", "婚姻家庭法", "行政法", "侵权责任"),
    ExpertKind.SPECIALIST: ("医学", "建筑工程", "土地规划", "会计审计", "交通事故鉴定", "环境监测", "心理咨询"),
}


class GenerationError(Exception):
    """The database holds benchmark data that does not match the requested size."""


@dataclass(frozen=True)
class Plan:
    """How much a province of `n_cases` cases holds; the counts are what `generate()` checks."""

    n_cases: int
    counties: int
    mediators: int

    @property
    def cities(self) -> int:
        return math.ceil(self.counties / COUNTIES_PER_CITY)

    @property
    def townships(self) -> int:
        return self.counties * TOWNSHIPS_PER_COUNTY

    @property
    def villages(self) -> int:
        return self.townships * VILLAGES_PER_TOWNSHIP

    @property
    def experts(self) -> int:
        return self.counties * sum(n for _, n in EXPERTS_PER_COUNTY)

    def expected_counts(self) -> dict[str, int]:
        units = 1 + self.counties * len(COUNTY_UNITS) + self.townships * len(TOWNSHIP_UNITS) + self.villages * len(VILLAGE_UNITS)
        staff = (
            self.counties * sum(len(s.staff_roles) for s in COUNTY_UNITS)
            + self.townships * sum(len(s.staff_roles) for s in TOWNSHIP_UNITS)
            + self.villages * sum(len(s.staff_roles) for s in VILLAGE_UNITS)
        )
        return {
            "regions": self.cities + self.counties + self.townships + self.villages,
            "units": units,
            "mediators": self.mediators,
            "experts": self.experts,
            "staff": staff,
            "cases": self.n_cases,
        }


def plan_for(n_cases: int) -> Plan:
    if n_cases < 1 or n_cases > MAX_CASES:
        raise GenerationError(f"案件规模应在 1 到 {MAX_CASES} 之间")
    return Plan(
        n_cases=n_cases,
        counties=max(1, n_cases // CASES_PER_COUNTY),
        mediators=max(MIN_MEDIATORS, n_cases // CASES_PER_MEDIATOR),
    )


# --- pure pass: rows -------------------------------------------------------------------------

@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: str
    kind: str
    parent_code: str


@dataclass(frozen=True)
class UnitRow:
    key: str  # "<region code>:<slot>"
    name: str
    short_name: str
    kind: str
    level: str
    region_code: str
    parent_key: str | None
    stationed: bool


@dataclass(frozen=True)
class MediatorRow:
    name: str
    gender: str
    unit_key: str
    employment: str
    rank: str
    phone: str
    status: str
    joined_on: dt.date
    specialties: tuple[str, ...]


@dataclass(frozen=True)
class ExpertRow:
    name: str
    gender: str
    kind: str
    fields: tuple[str, ...]
    specialties: tuple[str, ...]
    organisation: str
    title: str
    unit_key: str
    phone: str


@dataclass(frozen=True)
class StaffRow:
    username: str
    name: str
    unit_key: str
    role: str
    phone: str


@dataclass
class Dataset:
    plan: Plan
    regions: list[RegionRow] = field(default_factory=list)  # parents before children
    units: list[UnitRow] = field(default_factory=list)  # parents before children
    mediators: list[MediatorRow] = field(default_factory=list)
    experts: list[ExpertRow] = field(default_factory=list)
    staff: list[StaffRow] = field(default_factory=list)


def _person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


# Two characters, like most real place names.
_PLACE_COMBOS = tuple(a + b for a in PLACE for b in PLACE if a != b)


def _place_names(rng: random.Random, k: int) -> list[str]:
    return rng.sample(_PLACE_COMBOS, k)  # distinct among siblings


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def _specialties(rng: random.Random, must: str | None = None) -> tuple[str, ...]:
    codes = list(CATEGORY_WEIGHTS)
    weights = list(CATEGORY_WEIGHTS.values())
    want = rng.choice((1, 1, 2, 2, 2, 3))
    chosen: list[str] = [must] if must else []
    for code in rng.choices(codes, weights=weights, k=want + 2):  # a few spare draws for duplicates
        if len(chosen) >= want:
            break
        if code not in chosen:
            chosen.append(code)
    return tuple(chosen)


def build(n_cases: int, *, seed: int = SEED) -> Dataset:
    """All rows for `n_cases`, from the seeded RNG only (same input, same rows)."""
    plan = plan_for(n_cases)
    rng = random.Random(seed)
    ds = Dataset(plan=plan)
    county_unit_keys: dict[str, list[UnitRow]] = {}

    def add_units(region: RegionRow, slots: Sequence[UnitSlot], level: str, county_code: str) -> None:
        for s in slots:
            parent_key = None
            if s.parent_slot == "county:centre":
                parent_key = f"{county_code}:centre"
            elif s.parent_slot:
                parent_key = f"{region.code}:{s.parent_slot}"
            row = UnitRow(
                key=f"{region.code}:{s.slot}", name=region.name + s.suffix, short_name=f"{s.short}{region.code}",  # unique: it heads case numbers
                kind=s.kind, level=level, region_code=region.code, parent_key=parent_key,
                stationed=level == UnitLevel.DISTRICT and s.slot != "centre",
            )
            ds.units.append(row)
            county_unit_keys.setdefault(county_code, []).append(row)

    county_no = 0
    for c in range(plan.cities):
        city_code = f"339{9 - c}00"
        city = RegionRow(city_code, f"{NAME_PREFIX}{'一二三四五六七八九十'[c]}号市", RegionLevel.CITY, RegionKind.CITY, PROVINCE_CODE)
        ds.regions.append(city)
        n_here = min(COUNTIES_PER_CITY, plan.counties - county_no)
        for i, place in enumerate(_place_names(rng, n_here), start=1):
            county_no += 1
            is_district = rng.random() < 0.5
            county = RegionRow(
                f"{city_code[:4]}{i:02d}", f"{NAME_PREFIX}{place}{'区' if is_district else '县'}", RegionLevel.DISTRICT,
                RegionKind.DISTRICT if is_district else RegionKind.COUNTY, city_code,
            )
            ds.regions.append(county)
            add_units(county, COUNTY_UNITS, UnitLevel.DISTRICT, county.code)
            for t, tplace in enumerate(_place_names(rng, TOWNSHIPS_PER_COUNTY), start=1):
                tkind = rng.choice((RegionKind.STREET, RegionKind.TOWN, RegionKind.TOWN, RegionKind.TOWNSHIP))
                tsuffix = {RegionKind.STREET: "街道", RegionKind.TOWN: "镇", RegionKind.TOWNSHIP: "乡"}[tkind]
                township = RegionRow(f"{county.code}{t:03d}", f"{NAME_PREFIX}{tplace}{tsuffix}", RegionLevel.TOWNSHIP, tkind, county.code)
                ds.regions.append(township)
                add_units(township, TOWNSHIP_UNITS, UnitLevel.TOWNSHIP, county.code)
                for v, vplace in enumerate(_place_names(rng, VILLAGES_PER_TOWNSHIP)):
                    community = v < COMMUNITIES_PER_TOWNSHIP
                    # 统计用区划代码: 居委会 001–199, 村委会 200–399.
                    vcode = f"{township.code}{v + 1:03d}" if community else f"{township.code}{200 + v:03d}"
                    village = RegionRow(
                        vcode, f"{NAME_PREFIX}{vplace}{'社区' if community else '村'}", RegionLevel.VILLAGE,
                        RegionKind.COMMUNITY if community else RegionKind.VILLAGE, township.code,
                    )
                    ds.regions.append(village)
                    add_units(village, VILLAGE_UNITS, UnitLevel.VILLAGE, county.code)

    slots_by_kind = {(s.kind, s.slot): s for s in (*COUNTY_UNITS, *TOWNSHIP_UNITS, *VILLAGE_UNITS)}
    start = dt.date(2012, 1, 1)

    def mediator(unit: UnitRow, slot: UnitSlot, *, full_time: bool | None = None) -> MediatorRow:
        if full_time is None:
            full_time = rng.random() < slot.full_time_share
        r = rng.random()
        status = PersonStatus.ACTIVE if r < 0.92 else (PersonStatus.SUSPENDED if r < 0.97 else PersonStatus.RETIRED)
        r = rng.random()
        rank = MediatorRank.CHIEF if r < 0.03 else (MediatorRank.SENIOR if r < 0.15 else MediatorRank.REGULAR)
        return MediatorRow(
            name=_person_name(rng), gender=rng.choice((Gender.MALE, Gender.FEMALE)), unit_key=unit.key,
            employment=Employment.FULL_TIME if full_time else Employment.PART_TIME, rank=rank, phone=_phone(rng),
            status=status, joined_on=start + dt.timedelta(days=rng.randrange(365 * 13)),
            specialties=_specialties(rng, SLOT_SPECIALTY.get(slot.slot)),
        )

    counties = [r for r in ds.regions if r.level == RegionLevel.DISTRICT]
    per_county, extra = divmod(plan.mediators, len(counties))
    for i, county in enumerate(counties):
        budget = per_county + (1 if i < extra else 0)
        units = county_unit_keys[county.code]
        slot_of = {u.key: slots_by_kind[(u.kind, u.key.split(":")[1])] for u in units}
        # The staffing rule first: every township committee gets its full-time mediators.
        for u in units:
            if u.kind == UnitKind.TOWNSHIP_COMMITTEE:
                for _ in range(FULL_TIME_PER_TOWNSHIP):
                    if budget > 0:
                        ds.mediators.append(mediator(u, slot_of[u.key], full_time=True))
                        budget -= 1
        weighted = [u for u in units if slot_of[u.key].mediator_weight]
        if budget > 0:
            for u in rng.choices(weighted, weights=[slot_of[u.key].mediator_weight for u in weighted], k=budget):
                ds.mediators.append(mediator(u, slot_of[u.key]))
        for kind, n in EXPERTS_PER_COUNTY:
            for _ in range(n):
                kind_fields = EXPERT_FIELDS[ExpertKind(kind)]
                org = {ExpertKind.LAWYER: "律师事务所", ExpertKind.MEDIATION_EXPERT: "司法局", ExpertKind.SPECIALIST: "专业协会"}
                ds.experts.append(ExpertRow(
                    name=_person_name(rng), gender=rng.choice((Gender.MALE, Gender.FEMALE)), kind=kind,
                    fields=tuple(rng.sample(kind_fields, rng.choice((1, 2)))), specialties=_specialties(rng),
                    organisation=f"{county.name}{org[ExpertKind(kind)]}",
                    title=rng.choice(("主任", "高级律师", "副主任医师", "高级工程师", "调解专家", "")),
                    unit_key=f"{county.code}:centre", phone=_phone(rng),
                ))

    for u in ds.units:
        slot = slots_by_kind[(u.kind, u.key.split(":")[1])]
        for j, role in enumerate(slot.staff_roles, start=1):
            ds.staff.append(StaffRow(
                username=f"{STAFF_USERNAME_PREFIX}{u.region_code}_{slot.slot}_{j}", name=_person_name(rng),
                unit_key=u.key, role=role, phone=_phone(rng) if rng.random() < 0.6 else "",
            ))
    return ds


# --- database pass ---------------------------------------------------------------------------

M = TypeVar("M", bound=Model)
BATCH = 1000


@lru_cache(maxsize=65536)
def _person_key(name: str) -> str:
    return search_key(name, person=True)


def _bulk(model: type[M], objs: list[M]) -> list[M]:
    created = model.objects.bulk_create(objs, batch_size=BATCH)  # type: ignore[attr-defined]
    if created and created[0].pk is None:
        # Both supported databases return keys from bulk inserts (PostgreSQL, SQLite ≥ 3.35).
        raise GenerationError("数据库不支持批量插入时返回主键（需要 PostgreSQL 或 SQLite 3.35 以上）")
    return created


def generated_counts() -> dict[str, int]:
    """What benchmark data the database holds now (same keys as Plan.expected_counts)."""
    in_bench = {"unit__region__path__startswith": BENCH_PATH_PREFIX}
    return {
        "regions": Region.objects.filter(path__startswith=BENCH_PATH_PREFIX).count(),
        "units": Unit.objects.filter(region__path__startswith=BENCH_PATH_PREFIX).count()
        + Unit.objects.filter(region__code=PROVINCE_CODE, name=PROVINCE_UNIT_NAME).count(),
        "mediators": Mediator.objects.filter(**in_bench).count(),
        "experts": Expert.objects.filter(**in_bench).count(),
        "staff": User.objects.filter(username__startswith=STAFF_USERNAME_PREFIX).count(),
        "cases": _generated_cases(),
    }


def _generated_cases() -> int:
    from fangtiao.bench.generate_cases import generated_case_count

    return generated_case_count()


@dataclass(frozen=True)
class GenerateResult:
    plan: Plan
    created: bool
    seconds: float
    counts: dict[str, int]


def generate(n_cases: int, *, seed: int = SEED, log: Callable[[str], None] | None = None) -> GenerateResult:
    """Fill the database for `n_cases` unless it already holds exactly that (idempotent)."""
    say = log or (lambda _msg: None)
    plan = plan_for(n_cases)
    expected = plan.expected_counts()
    t0 = time.monotonic()
    have = generated_counts()
    bench_user = User.objects.filter(username=BENCH_USERNAME).exists()
    if bench_user and have == expected:
        from fangtiao.bench.generate_cases import backfill_rounds, generated_mediation_count

        if generated_mediation_count() == 0:
            # Cases generated before mediation rounds were: add their rounds and mediators.
            with transaction.atomic():
                backfill_rounds(build(n_cases, seed=seed), n_cases, seed=seed, say=say)
            return GenerateResult(plan=plan, created=True, seconds=time.monotonic() - t0, counts=have)
        say(f"基准数据已存在（{_fmt_counts(have)}），跳过生成")
        return GenerateResult(plan=plan, created=False, seconds=0.0, counts=have)
    registry_only = {k: v for k, v in expected.items() if k != "cases"}
    if bench_user and have == {**registry_only, "cases": 0}:
        # A registry generated before the cases existed: add them.
        from fangtiao.bench.generate_cases import generate_cases

        generate_cases(n_cases, seed=seed, log=say)
        counts = generated_counts()
        return GenerateResult(plan=plan, created=True, seconds=time.monotonic() - t0, counts=counts)
    if bench_user or any(have.values()):
        raise GenerationError(
            f"数据库中已有不同规模的基准数据（现有：{_fmt_counts(have)}；需要：{_fmt_counts(expected)}）。"
            "请换用一个新的数据库（DATABASE_URL）再运行。"
        )
    say(f"正在生成 {n_cases} 件案件规模的登记数据：{_fmt_counts(expected)}")
    ds = build(n_cases, seed=seed)
    say(f"  数据已构造（{time.monotonic() - t0:.1f} 秒），正在写入数据库……")
    with transaction.atomic():
        # The role and dispute-type tables the rows point at (seeded by migration; a flushed test
        # database has lost them — the generator's writes would then fail at COMMIT).
        ensure_reference_data()
        _insert(ds, say)
        say(f"  登记数据已写入（{time.monotonic() - t0:.1f} 秒），正在写入 {n_cases} 件事项……")
        from fangtiao.bench.generate_cases import insert_cases

        cases = insert_cases(ds, n_cases, seed=seed, say=say)
        say(f"  事项 {cases.created} 件、当事人 {cases.parties} 名、时间线 {cases.events} 条、调解轮次 {cases.mediations} 个"
            f"（{cases.seconds:.1f} 秒，{cases.created / max(cases.seconds, 1e-9):,.0f} 件/秒）")
    counts = generated_counts()
    if counts != expected:  # a bug in the generator, not a user error
        raise GenerationError(f"生成结果与计划不符：{counts} ≠ {expected}")
    seconds = time.monotonic() - t0
    say(f"基准数据生成完成，用时 {seconds:.1f} 秒")
    return GenerateResult(plan=plan, created=True, seconds=seconds, counts=counts)


def _fmt_counts(c: dict[str, int]) -> str:
    labels = {"regions": "区划", "units": "单位", "mediators": "调解员", "experts": "专家", "staff": "工作人员", "cases": "事项"}
    return "，".join(f"{labels[k]} {v}" for k, v in c.items())


def _insert(ds: Dataset, say: Callable[[str], None]) -> None:
    province = Region.objects.filter(code=PROVINCE_CODE).first()
    if province is None:
        province = Region.objects.create(
            code=PROVINCE_CODE, name=PROVINCE_NAME, level=RegionLevel.PROVINCE, kind=RegionKind.PROVINCE,
            parent=None, path=f"{PROVINCE_CODE}/", depth=0, search_key=search_key(PROVINCE_NAME),
        )
    regions: dict[str, Region] = {province.code: province}
    # Level by level, so each parent has its key and path before its children are built.
    for level in (RegionLevel.CITY, RegionLevel.DISTRICT, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
        objs = []
        for r in ds.regions:
            if r.level != level:
                continue
            parent = regions[r.parent_code]
            objs.append(Region(
                code=r.code, name=r.name, level=r.level, kind=r.kind, parent_id=parent.pk,
                path=f"{parent.path}{r.code}/", depth=parent.depth + 1, search_key=search_key(r.name),
            ))
        for obj in _bulk(Region, objs):
            regions[obj.code] = obj
    say(f"  区划 {len(ds.regions)} 个")

    province_unit = Unit.objects.create(
        name=PROVINCE_UNIT_NAME, short_name=f"{NAME_PREFIX}省矛调", kind=UnitKind.CENTRE, level=UnitLevel.PROVINCE,
        region=province, search_key=search_key(PROVINCE_UNIT_NAME),
    )
    units: dict[str, Unit] = {}

    def unit_objs(rows: Iterable[UnitRow]) -> list[Unit]:
        return [
            Unit(
                name=u.name, short_name=u.short_name, kind=u.kind, level=u.level, region_id=regions[u.region_code].pk,
                parent_id=units[u.parent_key].pk if u.parent_key else None, stationed=u.stationed,
                search_key=search_key(u.name),
            )
            for u in rows
        ]

    # Parents first: each round inserts the units whose parent already has a key (three levels deep).
    pending = list(ds.units)
    for _ in range(5):
        ready = [u for u in pending if u.parent_key is None or u.parent_key in units]
        pending = [u for u in pending if not (u.parent_key is None or u.parent_key in units)]
        for row, obj in zip(ready, _bulk(Unit, unit_objs(ready)), strict=True):
            units[row.key] = obj
        if not pending:
            break
    if pending:
        raise GenerationError("单位的上级关系有环")
    say(f"  单位 {len(ds.units) + 1} 个")

    mediators = _bulk(Mediator, [
        Mediator(
            name=m.name, gender=m.gender, unit_id=units[m.unit_key].pk, employment=m.employment, rank=m.rank,
            phone=m.phone, phone_index=blind_index(m.phone, purpose="phone") if m.phone else "", status=m.status,
            joined_on=m.joined_on, notes=BENCH_NOTE, search_key=_person_key(m.name),
        )
        for m in ds.mediators
    ])
    through = Mediator.specialties.through
    _bulk(through, [
        through(mediator_id=obj.pk, disputecategory_id=code)
        for row, obj in zip(ds.mediators, mediators, strict=True)
        for code in row.specialties
    ])
    say(f"  调解员 {len(mediators)} 名")

    experts = _bulk(Expert, [
        Expert(
            name=e.name, gender=e.gender, kind=e.kind, fields=list(e.fields), organisation=e.organisation,
            title=e.title, unit_id=units[e.unit_key].pk, phone=e.phone, notes=BENCH_NOTE, search_key=_person_key(e.name),
        )
        for e in ds.experts
    ])
    ethrough = Expert.specialties.through
    _bulk(ethrough, [
        ethrough(expert_id=obj.pk, disputecategory_id=code)
        for row, obj in zip(ds.experts, experts, strict=True)
        for code in row.specialties
    ])
    say(f"  专家 {len(experts)} 名")

    # One hash for every generated account: hashing each would take minutes and measure nothing.
    password = make_password(BENCH_PASSWORD)
    staff = _bulk(User, [
        User(username=s.username, name=s.name, unit_id=units[s.unit_key].pk, phone=s.phone, password=password,
             search_key=_person_key(s.name))
        for s in ds.staff
    ])
    rthrough = User.roles.through
    _bulk(rthrough, [rthrough(user_id=obj.pk, role_id=row.role) for row, obj in zip(ds.staff, staff, strict=True)])
    say(f"  工作人员账号 {len(staff)} 个")

    # Last, because its existence marks a complete generation.
    # A province-level leader with the accusation clearance sees every case of every district; the system
    # administrator's role keeps the registry operations (issue 9 keeps administrators off the cases).
    bench = User(username=BENCH_USERNAME, name="基准测试管理员", unit=province_unit, search_key=_person_key("基准测试管理员"),
                 clearance=Clearance.ACCUSATION)
    bench.set_password(BENCH_PASSWORD)
    bench.save()
    bench.roles.add(R.ADMIN, R.LEADER)


# --- lookups the operations use ----------------------------------------------------------------

def bench_regions(level: str) -> Any:
    return Region.objects.filter(path__startswith=BENCH_PATH_PREFIX, level=level).order_by("path")


def bench_mediators() -> Any:
    return Mediator.objects.filter(unit__region__path__startswith=BENCH_PATH_PREFIX).order_by("pk")


def database_vendor() -> str:
    return connection.vendor
