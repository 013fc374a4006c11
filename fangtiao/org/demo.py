"""The deterministic demo district: 浙江省台州市黄岩区 in the shape of the 2018 article.

Two halves. `plan()` turns the options into plain data (regions, units, people, logins) without
touching the database, so it is cheap to test for determinism. `build()` applies a plan through
the org services, creating only what is missing (natural keys: region code, unit by region and
name, username, mediator by unit and name, expert by unit, kind and name), so a second run adds
nothing and a build with larger options completes a smaller one.

The 19 township-level divisions and their codes are public facts; everything below them (village
and community names, people, phone numbers) is invented from syllable lists.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Count, Q
from django.test.utils import override_settings

from fangtiao.audit import services as audit
from fangtiao.audit.models import AuditEvent
from fangtiao.core.validators import id_check_char
from fangtiao.org import services
from fangtiao.org.choices import (
    DISPUTE_CATEGORIES,
    Clearance,
    Employment,
    ExpertKind,
    Gender,
    MediatorRank,
    RegionKind,
    RegionLevel,
    UnitKind,
    UnitLevel,
)
from fangtiao.org.choices import Role as R
from fangtiao.org.models import Expert, Mediator, Region, Unit, User

DEFAULT_SEED = 2018
DEFAULT_VILLAGES = 240
DEFAULT_VILLAGE_MEDIATORS = 300
FULL_VILLAGE_MEDIATORS = 2027  # the article: 全区2027名村（社区）人民调解员
MIN_VILLAGES = 19  # at least one village or community per township
MAX_VILLAGES = 600
MAX_VILLAGE_MEDIATORS = 10_000

PROVINCE = ("330000", "浙江省")
CITY = ("331000", "台州市")
DISTRICT = ("331003", "黄岩区")
URL = "http://127.0.0.1:8000/"


# --- fixed data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Township:
    code: str
    name: str
    kind: str  # RegionKind: street / town / township
    weight: int  # relative number of villages and communities (invented, plausible)
    community_share: float = 0.0  # streets: the share of communities among its divisions

    @property
    def short(self) -> str:
        # The first two characters are distinct for all 19 (东城 … 茅畲) and read naturally.
        return self.name[:2]


TOWNSHIPS: tuple[Township, ...] = (
    Township("331003001", "东城街道", RegionKind.STREET, 10, 0.9),
    Township("331003002", "西城街道", RegionKind.STREET, 9, 0.9),
    Township("331003003", "南城街道", RegionKind.STREET, 11, 0.75),
    Township("331003004", "北城街道", RegionKind.STREET, 9, 0.75),
    Township("331003005", "新前街道", RegionKind.STREET, 14, 0.6),
    Township("331003006", "江口街道", RegionKind.STREET, 13, 0.6),
    Township("331003007", "高桥街道", RegionKind.STREET, 12, 0.6),
    Township("331003008", "澄江街道", RegionKind.STREET, 14, 0.6),
    Township("331003101", "院桥镇", RegionKind.TOWN, 22),
    Township("331003102", "沙埠镇", RegionKind.TOWN, 14),
    Township("331003103", "头陀镇", RegionKind.TOWN, 16),
    Township("331003104", "北洋镇", RegionKind.TOWN, 14),
    Township("331003105", "宁溪镇", RegionKind.TOWN, 18),
    Township("331003201", "富山乡", RegionKind.TOWNSHIP, 9),
    Township("331003202", "上郑乡", RegionKind.TOWNSHIP, 9),
    Township("331003203", "上垟乡", RegionKind.TOWNSHIP, 8),
    Township("331003204", "屿头乡", RegionKind.TOWNSHIP, 10),
    Township("331003205", "平田乡", RegionKind.TOWNSHIP, 8),
    Township("331003206", "茅畲乡", RegionKind.TOWNSHIP, 8),
)

# The 绿城 property-fee collective visit of the article needs a residential community to belong to.
GREEN_CITY = ("331003001", "绿城社区")
# The 宁溪 wall-crack case: committee, justice office and tribunal with the article's names.
NINGXI_CODE = "331003105"
NINGXI_JUSTICE_OFFICE = "宁溪中心司法所"

# (key, name, short name, kind) — the seven units stationed in the centre (进驻单位).
STATIONED: tuple[tuple[str, str, str, str], ...] = (
    ("political_legal", "区委政法委", "黄岩政法委", UnitKind.POLITICAL_LEGAL),
    ("court", "黄岩区人民法院", "黄岩法院", UnitKind.COURT),
    ("discipline", "区纪委监委", "黄岩纪委监委", UnitKind.DISCIPLINE),
    ("petition_bureau", "区信访局", "黄岩信访局", UnitKind.PETITION_BUREAU),
    ("justice_bureau", "区司法局", "黄岩司法局", UnitKind.JUSTICE_BUREAU),
    ("hrss", "区人力社保局", "黄岩人社局", UnitKind.LINE_DEPARTMENT),
    ("police", "公安黄岩分局", "黄岩公安分局", UnitKind.PUBLIC_SECURITY),
)

# (key, name, short name, parent key) — the twelve units in first-level joint response (一级响应联动).
# 人力社保局 is already stationed, so its labour inspectorate stands for it here (unit names are unique).
JOINT_RESPONSE: tuple[tuple[str, str, str, str | None], ...] = (
    ("line.housing", "区住建局", "黄岩住建局", None),
    ("line.planning", "区自然资源和规划局", "黄岩资规局", None),
    ("line.labour_inspection", "区人力社保局劳动保障监察大队", "黄岩劳动监察", "hrss"),
    ("line.market", "区市场监管局", "黄岩市场监管局", None),
    ("line.transport", "区交通运输局", "黄岩交通局", None),
    ("line.health", "区卫健局", "黄岩卫健局", None),
    ("line.education", "区教育局", "黄岩教育局", None),
    ("line.agriculture", "区农业农村局", "黄岩农业农村局", None),
    ("line.environment", "市生态环境局黄岩分局", "黄岩生态环境分局", None),
    ("line.enforcement", "区综合行政执法局", "黄岩综合执法局", None),
    ("line.civil_affairs", "区民政局", "黄岩民政局", None),
    ("line.emergency", "区应急管理局", "黄岩应急局", None),
)

# (key, name, short name, own dispute category) — 行业性专业性人民调解委员会 at district level.
PROFESSIONAL: tuple[tuple[str, str, str, str], ...] = (
    ("pro.property", "物业纠纷人民调解委员会", "黄岩物业调委", "property"),
    ("pro.medical", "医疗纠纷人民调解委员会", "黄岩医调委", "medical"),
    ("pro.traffic", "道路交通事故纠纷人民调解委员会", "黄岩交调委", "traffic"),
    ("pro.labour", "劳动争议人民调解委员会", "黄岩劳动调委", "labour"),
)

# (name, township code, short name, surname of its namesake, gender) — 个人调解工作室.
STUDIOS: tuple[tuple[str, str, str, str, str], ...] = (
    ("老娘舅调解工作室", "331003101", "院桥老娘舅工作室", "", Gender.MALE),
    ("金大姐调解工作室", "331003001", "东城金大姐工作室", "金", Gender.FEMALE),
    ("老潘调解工作室", "331003105", "宁溪老潘工作室", "潘", Gender.MALE),
)

# (place, township code) — 人民法庭 of the district court.
TRIBUNALS: tuple[tuple[str, str], ...] = (
    ("宁溪", "331003105"),
    ("院桥", "331003101"),
    ("澄江", "331003008"),
)

# Rooms that sessions book (mediation.Room): the district centre's, and each township sub-centre's.
CENTRE_ROOMS: tuple[tuple[str, int], ...] = (("第一调解室", 12), ("第二调解室", 12), ("第三调解室", 8), ("听证调解室", 40))
# Employers of part-time township mediators (本职单位, invented): a party of the same employer makes
# the mediator step aside (人民调解法 第15条). Words and kinds are the ones the demo's companies use.
EMPLOYER_WORDS = ("澄衡", "橘园", "岩溪", "明岙", "衡江", "永丰")
EMPLOYER_KINDS = ("模具有限公司", "塑料制品厂", "建设有限公司", "鞋业有限公司")

TRIBUNAL_LOGINS = {"宁溪": "court_ningxi", "院桥": "court_yuanqiao", "澄江": "court_chengjiang"}

LAW_FIRMS = ("浙江澄衡律师事务所", "浙江橘园律师事务所", "浙江岩溪律师事务所", "浙江明岙律师事务所", "浙江衡江律师事务所")
LAWYER_FIELDS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("民事", "合同"), ("contract", "damages")),
    (("劳动争议", "工伤"), ("labour",)),
    (("房地产", "征地拆迁"), ("housing_homestead", "expropriation")),
    (("婚姻家庭", "继承"), ("marriage_family",)),
    (("交通事故", "损害赔偿"), ("traffic", "damages")),
)
# (field, dispute categories, title, organisation) — eleven specialists of different trades.
SPECIALISTS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("建筑工程", ("housing_homestead", "contract"), "高级工程师", "台州某建筑设计研究院"),
    ("医疗卫生", ("medical",), "主任医师", "黄岩某医院（退休）"),
    ("会计审计", ("contract", "production"), "注册会计师", "台州某会计师事务所"),
    ("房地产评估", ("housing_homestead", "expropriation"), "房地产估价师", "台州某房地产估价公司"),
    ("交通事故鉴定", ("traffic",), "司法鉴定人", "台州某司法鉴定所"),
    ("劳动保障", ("labour",), "劳动关系协调师", "黄岩某人力资源服务公司"),
    ("农业技术", ("land_forest", "production"), "高级农艺师", "黄岩某农业技术推广站（退休）"),
    ("环境保护", ("environment",), "环境工程师", "台州某环境监测公司"),
    ("心理咨询", ("marriage_family", "neighbour"), "心理咨询师", "黄岩某心理咨询中心"),
    ("物业管理", ("property",), "物业管理师", "台州某物业服务公司"),
    ("保险理赔", ("traffic", "damages"), "理赔顾问", "台州某保险公估公司"),
)

# Syllables for invented names. Village names follow the local pattern of a position or family
# name plus a landform (上洋, 潘家岙, 下岭头); communities take town-like two-character names.
_PREFIXES = "上下东西前后新老大小中南北高石沙长黄白横半"
_LANDFORMS = "洋岙岭坑桥溪山塘埠湾岩田垟浦屿坦宅庄"
_TAILS = "头里下背脚"
_VILLAGE_SURNAMES = "王陈林张李黄周吴徐潘蒋郑阮叶应杨陶赵金朱梁许何方柯项卢章蔡管牟鲍毛颜戴"
_COMMUNITY_BASES = (
    "文化", "新城", "劳动", "桔乡", "永宁", "锦江", "九峰", "天长", "城关", "北门", "南门", "东浦",
    "西街", "青年", "梅园", "凤凰", "翠屏", "江滨", "康宁", "和平", "新华", "民主", "五一", "双江",
    "县前", "半山", "柏树", "官河", "桥上", "朝阳", "环城", "同心", "锦川", "长春", "江北", "方山",
    "丰乐", "富民", "安居", "嘉苑", "怡景", "荷塘", "秀水", "澄园", "华府", "金桔",
)
_SURNAMES = "王王王陈陈陈林林张张李黄周吴徐潘蒋郑阮叶应杨陶赵金朱梁许何方柯项卢章蔡管牟鲍毛颜戴罗胡"
_MALE_GIVEN = "建国伟军平明华强斌海林勇杰东峰志永宏文辉德荣新春良金忠祥波涛磊鹏飞俊荣福根法"
_FEMALE_GIVEN = "芳丽英红燕霞萍玲娟敏静艳琴秀兰梅莉珍婷雪洁慧颖倩菊彩凤素"
_MOBILE_PREFIXES = ("139", "138", "137", "136", "135", "158", "159", "188", "189", "157", "150", "151", "152", "187")

_ALL_CATEGORIES = tuple(code for code, _ in DISPUTE_CATEGORIES if code != "other")
_RURAL = ("neighbour", "marriage_family", "housing_homestead", "land_forest", "damages", "contract", "expropriation", "labour")
_URBAN = ("neighbour", "marriage_family", "property", "consumer", "damages", "contract", "labour", "traffic")


# --- plan data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    level: str
    kind: str
    parent: str | None  # parent code


@dataclass(frozen=True)
class UnitSpec:
    key: str
    name: str
    short_name: str
    kind: str
    level: str
    region: str  # region code
    parent: str | None = None  # parent unit key
    stationed: bool = False
    joint_response: bool = False
    phone: str = ""


@dataclass(frozen=True)
class MediatorSpec:
    unit: str  # unit key
    name: str
    gender: str
    employment: str
    rank: str
    phone: str
    specialties: tuple[str, ...]
    joined_on: dt.date
    login: str = ""  # username of the demo login this mediator is, if any
    employer: str = ""  # 本职单位 of a part-time mediator (the conflict rules read it)


@dataclass(frozen=True)
class ExpertSpec:
    name: str
    gender: str
    kind: str
    fields: tuple[str, ...]
    specialties: tuple[str, ...]
    organisation: str
    title: str
    unit: str  # unit key
    phone: str
    login: str = ""


@dataclass(frozen=True)
class RelationSpec:
    """A relation a mediator has declared (回避申报): a party with this ID number or phone excludes them."""

    unit: str  # the mediator's unit key
    mediator: str  # the mediator's name
    name: str
    relation: str  # mediation.choices.Relation
    gender: str
    id_number: str
    phone: str
    note: str


@dataclass(frozen=True)
class RoomSpec:
    unit: str  # unit key (the centre or a sub-centre)
    name: str
    capacity: int


@dataclass(frozen=True)
class LoginSpec:
    username: str
    name: str
    role: str
    unit: str  # unit key
    title: str
    phone: str


@dataclass(frozen=True)
class Plan:
    seed: int
    villages: int
    village_mediators: int
    regions: tuple[RegionSpec, ...]
    units: tuple[UnitSpec, ...]
    logins: tuple[LoginSpec, ...]
    mediators: tuple[MediatorSpec, ...]
    experts: tuple[ExpertSpec, ...]
    relations: tuple[RelationSpec, ...] = ()
    rooms: tuple[RoomSpec, ...] = ()


# --- pure generators -------------------------------------------------------------------------


def _rng(seed: int, *scope: str) -> random.Random:
    """One random stream per scope (a township's villages, a unit's people).

    A string seed is hashed with SHA-512 by `random.Random`, so the stream does not depend on
    PYTHONHASHSEED; and because one part of the plan growing does not shift another part's
    stream, a township's village names and a unit's people are prefixes of the same sequence
    whatever the options, so re-running with larger options adds to the earlier build."""
    return random.Random("/".join((str(seed), *scope)))


def village_counts(total: int) -> dict[str, int]:
    """Spread `total` villages and communities over the 19 townships by weight (largest remainder)."""
    if total < MIN_VILLAGES:
        raise ValueError(f"村（社区）数量至少为 {MIN_VILLAGES}")
    rest = total - len(TOWNSHIPS)
    weight_sum = sum(t.weight for t in TOWNSHIPS)
    quotas = [rest * t.weight / weight_sum for t in TOWNSHIPS]
    counts = [int(q) for q in quotas]
    by_remainder = sorted(range(len(TOWNSHIPS)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in by_remainder[: rest - sum(counts)]:
        counts[i] += 1
    return {t.code: 1 + n for t, n in zip(TOWNSHIPS, counts, strict=True)}


def community_names(seed: int, township: Township, count: int) -> list[str]:
    """`count` community names, unique within the township; 东城 starts with 绿城社区."""
    rng = _rng(seed, township.code, "communities")
    names: list[str] = [GREEN_CITY[1]] if township.code == GREEN_CITY[0] else []
    pool = list(_COMMUNITY_BASES)
    rng.shuffle(pool)
    candidates = iter(pool)
    while len(names) < count:
        base = next(candidates, None) or rng.choice(_PREFIXES) + rng.choice(_LANDFORMS)
        name = f"{base}社区"
        if name not in names:
            names.append(name)
    return names[:count]


def _village_base(rng: random.Random) -> str:
    form = rng.random()
    if form < 0.45:
        base = rng.choice(_PREFIXES) + rng.choice(_LANDFORMS)
    elif form < 0.75:
        base = rng.choice(_VILLAGE_SURNAMES) + ("家" if rng.random() < 0.5 else "") + rng.choice(_LANDFORMS)
    else:
        base = rng.choice(_PREFIXES) + rng.choice(_LANDFORMS) + rng.choice(_TAILS)
    return base


def village_names(seed: int, township: Township, count: int) -> list[str]:
    """`count` village names (…村), unique within the township."""
    rng = _rng(seed, township.code, "villages")
    names: list[str] = []
    while len(names) < count:
        base = _village_base(rng)
        # Doubled characters (下下洋) read as typos; skip them.
        if any(a == b for a, b in zip(base, base[1:], strict=False)):
            continue
        name = f"{base}村"
        if name not in names:
            names.append(name)
    return names


def person_name(rng: random.Random, *, gender: str | None = None, surname: str = "") -> tuple[str, str]:
    """An invented name and its gender: a common surname and one or two given-name characters."""
    if gender is None:
        gender = Gender.MALE if rng.random() < 0.6 else Gender.FEMALE
    chars = _MALE_GIVEN if gender == Gender.MALE else _FEMALE_GIVEN
    given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.75 else "")
    return (surname or rng.choice(_SURNAMES)) + given, str(gender)


def people(seed: int, scope: str, count: int, *, taken: set[str] | None = None) -> list[tuple[str, str]]:
    """`count` (name, gender) pairs, unique within the scope and not in `taken`."""
    rng = _rng(seed, scope, "people")
    seen = set(taken or ())
    out: list[tuple[str, str]] = []
    while len(out) < count:
        name, gender = person_name(rng)
        if name in seen:
            continue
        seen.add(name)
        out.append((name, gender))
    return out


def mobile(rng: random.Random) -> str:
    """An invented mobile number of the valid 1[3-9] + 9 digits shape."""
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _landline(rng: random.Random) -> str:
    return f"0576-8{rng.randrange(10**6, 10**7):07d}"


def invented_id_number(rng: random.Random, *, born: dt.date, male: bool, area: str = DISTRICT[0]) -> str:
    """An invented resident ID number with a valid GB 11643 check digit (odd sequence: male)."""
    seq = rng.randrange(100) * 10 + rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
    first17 = f"{area}{born:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def _joined(rng: random.Random) -> dt.date:
    # Appointment dates between 2008 and the article (2018), never in the future.
    return dt.date(2008, 1, 1) + dt.timedelta(days=rng.randrange(3800))


def _specialties(rng: random.Random, pool: tuple[str, ...], *, k_max: int = 3, must: tuple[str, ...] = ()) -> tuple[str, ...]:
    extra = [c for c in pool if c not in must]
    k = min(rng.randint(0 if must else 1, k_max), len(extra))
    return (*must, *rng.sample(extra, k))


# --- the plan --------------------------------------------------------------------------------


def plan(
    *, seed: int = DEFAULT_SEED, villages: int = DEFAULT_VILLAGES, village_mediators: int = DEFAULT_VILLAGE_MEDIATORS
) -> Plan:
    """Everything the demo district contains, as plain data. Same options, same plan."""
    if not MIN_VILLAGES <= villages <= MAX_VILLAGES:
        raise ValueError(f"村（社区）数量应在 {MIN_VILLAGES}–{MAX_VILLAGES} 之间")
    if not 0 <= village_mediators <= MAX_VILLAGE_MEDIATORS:
        raise ValueError(f"村（社区）调解员数量应在 0–{MAX_VILLAGE_MEDIATORS} 之间")

    regions: list[RegionSpec] = [
        RegionSpec(PROVINCE[0], PROVINCE[1], RegionLevel.PROVINCE, RegionKind.PROVINCE, None),
        RegionSpec(CITY[0], CITY[1], RegionLevel.CITY, RegionKind.CITY, PROVINCE[0]),
        RegionSpec(DISTRICT[0], DISTRICT[1], RegionLevel.DISTRICT, RegionKind.DISTRICT, CITY[0]),
    ]
    units: list[UnitSpec] = []
    mediators: list[MediatorSpec] = []
    logins: list[LoginSpec] = []
    phones = _rng(seed, "unit-phones")
    d = DISTRICT[0]

    def unit(key: str, name: str, short: str, kind: str, level: str, region: str, parent: str | None = None,
             **flags: bool) -> None:
        # Offices above village level get an (invented) switchboard number.
        phone = "" if level == UnitLevel.VILLAGE else _landline(phones)
        units.append(UnitSpec(key, name, short, kind, level, region, parent, phone=phone, **flags))

    # District level: the centre, its stationed units, the joint-response departments, committees.
    unit("centre", "黄岩区矛盾纠纷综合化解中心", "黄岩矛调", UnitKind.CENTRE, UnitLevel.DISTRICT, d)
    for key, name, short, kind in STATIONED:
        unit(key, name, short, kind, UnitLevel.DISTRICT, d, "centre", stationed=True)
    for key, name, short, parent in JOINT_RESPONSE:
        unit(key, name, short, UnitKind.LINE_DEPARTMENT, UnitLevel.DISTRICT, d, parent, joint_response=True)
    unit("district_committee", "黄岩区人民调解委员会", "黄岩区调委", UnitKind.DISTRICT_COMMITTEE, UnitLevel.DISTRICT, d, "centre")
    unit("petition_room", "信访调解室", "黄岩信访调解室", UnitKind.PETITION_MEDIATION_ROOM, UnitLevel.DISTRICT, d, "centre")
    unit("legal_service", "区公共法律服务中心", "黄岩公法中心", UnitKind.LEGAL_SERVICE, UnitLevel.DISTRICT, d, "justice_bureau")
    for key, name, short, _category in PROFESSIONAL:
        unit(key, name, short, UnitKind.PROFESSIONAL_COMMITTEE, UnitLevel.DISTRICT, d, "justice_bureau")

    # Townships: the joint sub-centre (党委领导、信访办主导、司法所主动参与) and its three partners.
    counts = village_counts(villages)
    village_units: list[tuple[str, str, bool]] = []  # (unit key, region code, is community)
    for k, t in enumerate(TOWNSHIPS, start=1):
        regions.append(RegionSpec(t.code, t.name, RegionLevel.TOWNSHIP, t.kind, d))
        tk = f"t{k:02d}"
        unit(f"{tk}.subcentre", f"{t.name}联合调解分中心", f"{t.short}分中心", UnitKind.SUBCENTRE, UnitLevel.TOWNSHIP, t.code, "centre")
        unit(f"{tk}.petition_office", f"{t.name}信访办", f"{t.short}信访办", UnitKind.PETITION_OFFICE, UnitLevel.TOWNSHIP, t.code,
             f"{tk}.subcentre")
        justice = NINGXI_JUSTICE_OFFICE if t.code == NINGXI_CODE else f"{t.name}司法所"
        unit(f"{tk}.justice_office", justice, f"{t.short}司法所", UnitKind.JUSTICE_OFFICE, UnitLevel.TOWNSHIP, t.code,
             "justice_bureau")
        unit(f"{tk}.committee", f"{t.name}人民调解委员会", f"{t.short}调委", UnitKind.TOWNSHIP_COMMITTEE, UnitLevel.TOWNSHIP,
             t.code, f"{tk}.subcentre")

        n = counts[t.code]
        n_communities = max(1, int(n * t.community_share + 0.5)) if t.kind == RegionKind.STREET else 0
        for i, name in enumerate(community_names(seed, t, n_communities), start=1):
            code = f"{t.code}{i:03d}"
            regions.append(RegionSpec(code, name, RegionLevel.VILLAGE, RegionKind.COMMUNITY, t.code))
            village_units.append((f"v.{code}", code, True))
            unit(f"v.{code}", f"{name}人民调解委员会", f"{t.short}{name}调委", UnitKind.VILLAGE_COMMITTEE, UnitLevel.VILLAGE,
                 code, f"{tk}.committee")
        for i, name in enumerate(village_names(seed, t, n - n_communities), start=1):
            code = f"{t.code}{200 + i:03d}"
            regions.append(RegionSpec(code, name, RegionLevel.VILLAGE, RegionKind.VILLAGE, t.code))
            village_units.append((f"v.{code}", code, False))
            unit(f"v.{code}", f"{name}人民调解委员会", f"{t.short}{name}调委", UnitKind.VILLAGE_COMMITTEE, UnitLevel.VILLAGE,
                 code, f"{tk}.committee")

    for name, code, short, _surname, _gender in STUDIOS:
        k = next(i for i, t in enumerate(TOWNSHIPS, start=1) if t.code == code)
        unit(f"studio.{code}", name, short, UnitKind.STUDIO, UnitLevel.TOWNSHIP, code, f"t{k:02d}.committee")
    for place, code in TRIBUNALS:
        unit(f"tribunal.{place}", f"黄岩区人民法院{place}人民法庭", f"{place}法庭", UnitKind.TRIBUNAL, UnitLevel.TOWNSHIP, code, "court")

    # --- mediators ---------------------------------------------------------------------------
    def staff_of(unit_key: str, full: int, part: int, pool: tuple[str, ...], ranks: tuple[str, ...] = (),
                 login: str = "", must: tuple[str, ...] = (), k_max: int = 3) -> None:
        rng = _rng(seed, unit_key, "mediators")
        for i, (name, gender) in enumerate(people(seed, unit_key, full + part)):
            full_time = i < full
            rank = ranks[i] if i < len(ranks) else (MediatorRank.SENIOR if rng.random() < 0.1 else MediatorRank.REGULAR)
            mediators.append(MediatorSpec(
                unit=unit_key, name=name, gender=gender,
                employment=Employment.FULL_TIME if full_time else Employment.PART_TIME, rank=str(rank),
                phone=mobile(rng), specialties=_specialties(rng, pool, k_max=k_max, must=must), joined_on=_joined(rng),
                login=login if i == 0 else "",
            ))

    # District committee: 4 full-time and 28 part-time (the article); the first is the `mediator` login.
    staff_of("district_committee", 4, 28, _ALL_CATEGORIES,
             (MediatorRank.CHIEF, MediatorRank.SENIOR, MediatorRank.SENIOR, MediatorRank.REGULAR), login="mediator")
    staff_of("petition_room", 0, 2, _ALL_CATEGORIES)
    for key, _name, _short, category in PROFESSIONAL:
        # Their own type always, and now and then a neighbouring one.
        related = tuple(c for c in ("damages", "contract", "consumer") if c != category)
        staff_of(key, 1, 2, related, (MediatorRank.SENIOR,), must=(category,), k_max=1)
    # Township committees: exactly 2 full-time (浙江省司法厅 staffing rule) and 4 part-time, which
    # gives the article's "110余名专兼职调解员" in township pools (19 × 6 = 114).
    for k, _t in enumerate(TOWNSHIPS, start=1):
        staff_of(f"t{k:02d}.committee", 2, 4, _ALL_CATEGORIES, (MediatorRank.SENIOR, MediatorRank.REGULAR),
                 login=f"t{k:02d}_mediator")
    for _name, code, _short, surname, gender in STUDIOS:
        rng = _rng(seed, f"studio.{code}", "mediators")
        person, _g = person_name(rng, gender=gender, surname=surname)
        mediators.append(MediatorSpec(f"studio.{code}", person, str(gender), Employment.PART_TIME, MediatorRank.SENIOR,
                                      mobile(rng), ("neighbour", "marriage_family"), _joined(rng)))
    # Village and community committees: all part-time, dealt out like cards in one shuffled
    # order of the committees. Each committee's count then only grows with the total, so a
    # larger --village-mediators completes a smaller build instead of contradicting it.
    if village_units and village_mediators:
        order = list(range(len(village_units)))
        _rng(seed, "village-spread").shuffle(order)
        each, extra = divmod(village_mediators, len(village_units))
        bonus = set(order[:extra])
        for i, (key, _code, community) in enumerate(village_units):
            staff_of(key, 0, each + (1 if i in bonus else 0), _URBAN if community else _RURAL)

    # Part-time township mediators keep their day jobs (本职单位): the first two of each township
    # committee work for local companies, so a dispute with their employer makes them step aside.
    for k, _t in enumerate(TOWNSHIPS, start=1):
        key = f"t{k:02d}.committee"
        erng = _rng(seed, key, "employers")
        part_time = [i for i, m in enumerate(mediators) if m.unit == key and m.employment == Employment.PART_TIME][:2]
        for i in part_time:
            employer = f"黄岩{erng.choice(EMPLOYER_WORDS)}{erng.choice(EMPLOYER_KINDS)}"
            mediators[i] = replace(mediators[i], employer=employer)

    # Declared relations (回避申报): the chairs of the first three village committees in the deal order
    # and one part-time mediator of two townships declare a relative living in the district.
    relation_targets: list[MediatorSpec] = []
    if village_units and village_mediators:
        dealt = [village_units[i][0] for i in order]
        for key in dealt:
            chair = next((m for m in mediators if m.unit == key), None)
            if chair is not None:
                relation_targets.append(chair)
            if len(relation_targets) == 3:
                break
    for key in ("t01.committee", "t09.committee"):
        relation_targets.append(next(m for m in mediators if m.unit == key and m.employment == Employment.PART_TIME))
    relations: list[RelationSpec] = []
    rrng = _rng(seed, "relations")
    notes = {Gender.MALE: ("配偶的兄弟", "表兄弟", "堂兄"), Gender.FEMALE: ("儿媳", "配偶的姐姐", "表姐")}
    for m, (name, gender) in zip(relation_targets, people(seed, "relations", len(relation_targets)), strict=True):
        born = dt.date(1955, 1, 1) + dt.timedelta(days=rrng.randrange(365 * 40))
        relations.append(RelationSpec(
            unit=m.unit, mediator=m.name, name=name, relation="relative", gender=gender,
            id_number=invented_id_number(rrng, born=born, male=gender == Gender.MALE), phone=mobile(rrng),
            note=notes[Gender(gender)][len(relations) % 3],
        ))

    # --- rooms (调解室) of the centre and the sub-centres ----------------------------------------
    rooms = [RoomSpec("centre", name, cap) for name, cap in CENTRE_ROOMS]
    for k, t in enumerate(TOWNSHIPS, start=1):
        rooms.append(RoomSpec(f"t{k:02d}.subcentre", "调解室", 10))
        if t.weight >= 14:
            rooms.append(RoomSpec(f"t{k:02d}.subcentre", "第二调解室", 8))

    # --- experts (the article: 2 mediation experts, 5 lawyers, 11 specialists) ----------------
    experts: list[ExpertSpec] = []
    names = iter(people(seed, "experts", 2 + len(LAW_FIRMS) + len(SPECIALISTS)))
    rng = _rng(seed, "experts")
    for fields_, cats, title, expert_login in (
        (("信访积案化解", "群体性纠纷调处"), ("expropriation", "property", "labour"), "首席调解专家", "expert_chief"),
        (("婚姻家庭", "邻里纠纷", "山林土地"), ("marriage_family", "neighbour", "land_forest"), "调解专家", ""),
    ):
        name, gender = next(names)
        experts.append(ExpertSpec(name, gender, ExpertKind.MEDIATION_EXPERT, fields_, cats, "黄岩区矛盾纠纷综合化解中心", title,
                                  "centre", mobile(rng), login=expert_login))
    for i, (firm, (fields_, cats)) in enumerate(zip(LAW_FIRMS, LAWYER_FIELDS, strict=True)):
        name, gender = next(names)
        experts.append(ExpertSpec(name, gender, ExpertKind.LAWYER, fields_, cats, firm, "合伙人律师" if i == 0 else "执业律师",
                                  "justice_bureau", mobile(rng), login="expert" if i == 0 else ""))
    specialist_logins = {"建筑工程": "expert_build", "物业管理": "expert_property", "医疗卫生": "expert_medical"}
    for field_name, cats, title, org in SPECIALISTS:
        name, gender = next(names)
        experts.append(ExpertSpec(name, gender, ExpertKind.SPECIALIST, (field_name,), cats, org, title, "centre", mobile(rng),
                                  login=specialist_logins.get(field_name, "")))

    # --- logins ------------------------------------------------------------------------------
    linked = {m.login: m.name for m in mediators if m.login} | {e.login: e.name for e in experts if e.login}
    staff_names = iter(people(seed, "staff", 13 + len(TRIBUNALS) + 3 * len(TOWNSHIPS), taken=set(linked.values())))
    srng = _rng(seed, "staff-phones")

    def login(username: str, role: str, unit_key: str, title: str) -> None:
        name = linked.get(username) or next(staff_names)[0]
        logins.append(LoginSpec(username, name, str(role), unit_key, title, mobile(srng)))

    # The three separated administrators (GB/T 22239 8.1.4.2 d), personal accounts with no default
    # names (issue 9: no admin/root/administrator/test/sa/guest).
    login("sysadmin", R.ADMIN, "centre", "系统管理员")
    login("secadmin", R.SECURITY, "centre", "安全管理员")
    login("auditor", R.AUDITOR, "centre", "审计管理员")
    login("leader", R.LEADER, "centre", "中心主任")
    login("officer", R.OFFICER, "petition_bureau", "信访干部")
    login("clerk", R.CLERK, "centre", "窗口接待员")
    login("head", R.COMMITTEE_HEAD, "district_committee", "调委会主任")
    login("mediator", R.MEDIATOR, "district_committee", "专职人民调解员")
    login("expert", R.EXPERT, "centre", "律师")
    login("court", R.COURT_LIAISON, "court", "法院联络员")
    for place, _code in TRIBUNALS:
        login(TRIBUNAL_LOGINS[place], R.COURT_LIAISON, f"tribunal.{place}", "法庭联络员")
    # 包案领导 of the backlog cases (信访积案): district leaders.
    login("zfw_leader", R.LEADER, "political_legal", "区委政法委副书记")
    login("xfj_leader", R.LEADER, "petition_bureau", "区信访局局长")
    login("sfj_leader", R.LEADER, "justice_bureau", "区司法局局长")
    for e in experts:
        if e.login and e.login != "expert":
            login(e.login, R.EXPERT, "centre", e.title)
    for k, _t in enumerate(TOWNSHIPS, start=1):
        tk = f"t{k:02d}"
        login(f"{tk}_clerk", R.CLERK, f"{tk}.subcentre", "分中心窗口接待员")
        login(f"{tk}_officer", R.OFFICER, f"{tk}.petition_office", "信访办干部")
        login(f"{tk}_head", R.COMMITTEE_HEAD, f"{tk}.committee", "调委会主任")
        login(f"{tk}_mediator", R.MEDIATOR, f"{tk}.committee", "专职人民调解员")

    return Plan(seed, villages, village_mediators, tuple(regions), tuple(units), tuple(logins), tuple(mediators),
                tuple(experts), relations=tuple(relations), rooms=tuple(rooms))


# --- applying a plan -------------------------------------------------------------------------


@dataclass
class BuildResult:
    created: Counter[str] = field(default_factory=Counter)
    recorded: bool = False  # whether a demo.loaded event was written

    @property
    def total(self) -> int:
        return sum(self.created.values())


@contextmanager
def _cheap_hashing() -> Iterator[None]:
    """staff_create validates and hashes each password. The demo gives every login the same
    password, so it is validated by the service for each account, hashed there with a cheap
    hasher, and the one real (PBKDF2) hash is written over it before the transaction commits:
    85 PBKDF2 runs would cost ~20 s for nothing."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


class _Builder:
    def __init__(self, p: Plan, password: str) -> None:
        self.plan = p
        self.password = password
        self.created: Counter[str] = Counter()
        self.regions: dict[str, Region] = {}
        self.units: dict[str, Unit] = {}
        self.users: dict[str, User] = {}
        self.mediators: dict[tuple[str, str], Mediator] = {}

    def run(self) -> BuildResult:
        self._regions()
        self._units()
        self._logins()
        self._mediators()
        self._experts()
        self._relations()
        self._rooms()
        self._admin_rights()
        result = BuildResult(created=self.created)
        if result.total or not AuditEvent.objects.filter(action="demo.loaded").exists():
            counts = summary_counts()
            audit.record(actor=None, action="demo.loaded", region_path=self.regions[DISTRICT[0]].path, extra={
                "seed": self.plan.seed, "villages": self.plan.villages, "village_mediators": self.plan.village_mediators,
                "created": result.total, **counts,
            })
            result.recorded = True
        return result

    def _regions(self) -> None:
        existing = {r.code: r for r in Region.objects.filter(Q(code__in=[PROVINCE[0], CITY[0]]) | Q(code__startswith=DISTRICT[0]))}
        for s in self.plan.regions:
            region = existing.get(s.code)
            if region is None:
                region = services.region_create(actor=None, code=s.code, name=s.name, level=s.level, kind=s.kind,
                                                parent=self.regions[s.parent] if s.parent else None)
                existing[s.code] = region
                self.created["region"] += 1
            self.regions[s.code] = region

    def _units(self) -> None:
        existing = {(u.region_id, u.name): u for u in Unit.objects.filter(region__code__startswith=DISTRICT[0]).select_related("region")}
        for s in self.plan.units:
            region = self.regions[s.region]
            unit = existing.get((region.pk, s.name))
            if unit is None:
                unit = services.unit_create(
                    actor=None, name=s.name, short_name=s.short_name, kind=s.kind, level=s.level, region=region,
                    parent=self.units[s.parent] if s.parent else None, stationed=s.stationed,
                    joint_response=s.joint_response, phone=s.phone,
                )
                self.created["unit"] += 1
            self.units[s.key] = unit

    def _logins(self) -> None:
        wanted = [s.username for s in self.plan.logins]
        existing = {u.username.lower(): u for u in User.objects.filter(username__in=wanted)}
        new: list[int] = []
        with _cheap_hashing():
            for s in self.plan.logins:
                user = existing.get(s.username.lower())
                if user is None:
                    user = services.staff_create(actor=None, username=s.username, name=s.name, unit=self.units[s.unit],
                                                 roles=[s.role], password=self.password, phone=s.phone, title=s.title)
                    new.append(user.pk)
                    self.created["user"] += 1
                self.users[s.username] = user
        if new:
            User.objects.filter(pk__in=new).update(password=make_password(self.password))
            # the security administrator's clearance for accusation handlers (安全标记; ADR 0022)
            User.objects.filter(pk__in=new, roles__code__in=("officer", "leader")).update(clearance=Clearance.ACCUSATION)
            for user in self.users.values():
                if user.pk in new and {"officer", "leader"} & set(user.role_codes):
                    user.clearance = Clearance.ACCUSATION

    def _link(self, obj: Mediator | Expert, username: str, action: str) -> None:
        """Attach a login to a person row that exists without it (a build interrupted between the two)."""
        user = self.users.get(username)
        if user is None or obj.user_id is not None:
            return
        type(obj).objects.filter(pk=obj.pk).update(user=user)
        # The update services refuse actor=None (they require a capability), so the link is
        # written here and audited the same way they would audit it.
        audit.record(actor=None, action=action, subject=obj, changes={"user": [None, user.pk]})
        self.created["link"] += 1

    def _mediators(self) -> None:
        existing = {
            (m.unit_id, m.name): m
            for m in Mediator.objects.filter(unit__region__code__startswith=DISTRICT[0]).select_related("unit__region")
        }
        for s in self.plan.mediators:
            unit = self.units[s.unit]
            found = existing.get((unit.pk, s.name))
            if found is not None:
                if s.login:
                    self._link(found, s.login, "org.mediator.updated")
                if s.employer and not found.employer:
                    self._employer(found, s.employer)
                self.mediators[(s.unit, s.name)] = found
                continue
            created = services.mediator_create(
                actor=None, name=s.name, gender=s.gender, unit=unit, employment=s.employment, rank=s.rank, phone=s.phone,
                specialties=list(s.specialties), joined_on=s.joined_on, user=self.users.get(s.login) if s.login else None,
            )
            if s.employer:
                self._employer(created, s.employer)
            self.mediators[(s.unit, s.name)] = created
            self.created["mediator"] += 1

    def _employer(self, mediator: Mediator, employer: str) -> None:
        """The mediator services take no employer (本职单位) yet, so it is written here and audited
        as mediator_update would audit it."""
        Mediator.objects.filter(pk=mediator.pk).update(employer=employer)
        mediator.employer = employer
        audit.record(actor=None, action="org.mediator.updated", subject=mediator, changes={"employer": ["", employer]})
        self.created["employer"] += 1

    def _relations(self) -> None:
        """Declared relations (回避申报), as an administrator enters them in the admin (no service yet)."""
        from fangtiao.mediation.models import MediatorRelation

        for s in self.plan.relations:
            mediator = self.mediators.get((s.unit, s.mediator))
            if mediator is None or MediatorRelation.objects.filter(mediator=mediator, name=s.name).exists():
                continue
            rel = MediatorRelation.objects.create(mediator=mediator, name=s.name, relation=s.relation, id_number=s.id_number,
                                                  phone=s.phone, note=s.note)
            audit.record(actor=None, action="mediation.relation_saved", subject=rel, region_path=mediator.unit.region.path,
                         changes={"mediator": [None, mediator.pk], "name": [None, s.name], "relation": [None, s.relation]})
            self.created["relation"] += 1

    def _rooms(self) -> None:
        """调解室 of the centre and sub-centres, as an administrator enters them in the admin."""
        from fangtiao.mediation.models import Room

        existing = set(Room.objects.filter(unit__in=[self.units[s.unit] for s in self.plan.rooms])
                       .values_list("unit_id", "name"))
        for s in self.plan.rooms:
            unit = self.units[s.unit]
            if (unit.pk, s.name) in existing:
                continue
            room = Room.objects.create(unit=unit, name=s.name, capacity=s.capacity)
            audit.record(actor=None, action="mediation.room_saved", subject=room, region_path=unit.region.path,
                         changes={"unit": [None, unit.pk], "name": [None, s.name], "capacity": [None, s.capacity]})
            self.created["room"] += 1

    def _experts(self) -> None:
        existing = {
            (e.unit_id, e.kind, e.name): e
            for e in Expert.objects.filter(unit__region__code__startswith=DISTRICT[0]).select_related("unit__region")
        }
        for s in self.plan.experts:
            unit = self.units[s.unit]
            found = existing.get((unit.pk, s.kind, s.name))
            if found is not None:
                if s.login:
                    self._link(found, s.login, "org.expert.updated")
                continue
            services.expert_create(
                actor=None, name=s.name, gender=s.gender, kind=s.kind, fields=list(s.fields), specialties=list(s.specialties),
                organisation=s.organisation, title=s.title, unit=unit, phone=s.phone,
                user=self.users.get(s.login) if s.login else None,
            )
            self.created["expert"] += 1

    def _admin_rights(self) -> None:
        """Django's admin for the three administrators, each within the separation of duties
        (GB/T 22239 8.1.4.2 d; issue 9), never superuser: `sysadmin` the registry (not the staff
        accounts, not the audit log), `secadmin` the staff accounts and the authentication state,
        `auditor` the audit log (read)."""
        grants = {
            "sysadmin": Permission.objects.filter(content_type__app_label="org").exclude(content_type__model="user"),
            "secadmin": Permission.objects.filter(
                Q(content_type__app_label="org", content_type__model="user") | Q(content_type__app_label="security")),
            "auditor": Permission.objects.filter(content_type__app_label="audit", codename__startswith="view_"),
        }
        for username, perms in grants.items():
            user = self.users.get(username)
            if user is None:
                continue
            changes: dict[str, list[object]] = {}
            if not user.is_staff:
                User.objects.filter(pk=user.pk).update(is_staff=True)
                user.is_staff = True
                changes["is_staff"] = [False, True]
            have = set(user.user_permissions.values_list("pk", flat=True))
            missing = list(perms.exclude(pk__in=have))
            if missing:
                user.user_permissions.add(*missing)
                changes["user_permissions"] = [len(have), len(have) + len(missing)]
            if changes:
                audit.record(actor=None, action="org.staff.updated", subject=user, changes=changes)
                self.created["permission"] += len(missing)


def build(p: Plan, *, password: str | None = None) -> BuildResult:
    """Create whatever of the plan is missing, in one transaction; record `demo.loaded` if anything was."""
    with transaction.atomic():
        return _Builder(p, settings.DEMO_PASSWORD if password is None else password).run()


# --- reading back ----------------------------------------------------------------------------


def summary_counts() -> dict[str, int]:
    """What the demo district holds now, read from the database (flat, for the audit event)."""
    d = DISTRICT[0]
    regions = Counter(dict(Region.objects.filter(code__startswith=d).values_list("kind").annotate(n=Count("id"))))
    units = Unit.objects.filter(region__code__startswith=d)
    unit_kinds = Counter(dict(units.values_list("kind").annotate(n=Count("id"))))
    mediators = Counter(
        {(kind, emp): n for kind, emp, n in Mediator.objects.filter(unit__region__code__startswith=d)
         .values_list("unit__kind", "employment").annotate(n=Count("id"))}
    )
    experts = Counter(dict(Expert.objects.filter(unit__region__code__startswith=d).values_list("kind").annotate(n=Count("id"))))

    def med(kind: str, emp: str | None = None) -> int:
        return sum(n for (k, e), n in mediators.items() if k == kind and (emp is None or e == emp))

    return {
        "streets": regions[RegionKind.STREET],
        "towns": regions[RegionKind.TOWN],
        "townships": regions[RegionKind.TOWNSHIP],
        "community_regions": regions[RegionKind.COMMUNITY],
        "village_regions": regions[RegionKind.VILLAGE],
        "units": sum(unit_kinds.values()),
        "stationed": units.filter(stationed=True).count(),
        "joint_response": units.filter(joint_response=True).count(),
        "township_committees": unit_kinds[UnitKind.TOWNSHIP_COMMITTEE],
        "village_committees": unit_kinds[UnitKind.VILLAGE_COMMITTEE],
        "professional_committees": unit_kinds[UnitKind.PROFESSIONAL_COMMITTEE],
        "studios": unit_kinds[UnitKind.STUDIO],
        "tribunals": unit_kinds[UnitKind.TRIBUNAL],
        "mediators": sum(mediators.values()),
        "district_full_time": med(UnitKind.DISTRICT_COMMITTEE, Employment.FULL_TIME),
        "district_part_time": med(UnitKind.DISTRICT_COMMITTEE, Employment.PART_TIME),
        "township_full_time": med(UnitKind.TOWNSHIP_COMMITTEE, Employment.FULL_TIME),
        "township_part_time": med(UnitKind.TOWNSHIP_COMMITTEE, Employment.PART_TIME),
        "village_mediators": med(UnitKind.VILLAGE_COMMITTEE),
        "professional_mediators": med(UnitKind.PROFESSIONAL_COMMITTEE),
        "studio_mediators": med(UnitKind.STUDIO),
        "room_mediators": med(UnitKind.PETITION_MEDIATION_ROOM),
        "mediation_experts": experts[ExpertKind.MEDIATION_EXPERT],
        "lawyers": experts[ExpertKind.LAWYER],
        "specialists": experts[ExpertKind.SPECIALIST],
        "logins": User.objects.filter(unit__region__code__startswith=d).count(),
        "rooms": _count("Room", unit__region__code__startswith=d),
        "relations": _count("MediatorRelation", mediator__unit__region__code__startswith=d),
        "mediators_with_employer": Mediator.objects.filter(unit__region__code__startswith=d).exclude(employer="").count(),
        "mediator_logins": Mediator.objects.filter(unit__region__code__startswith=d, user__isnull=False).count(),
        "expert_logins": Expert.objects.filter(unit__region__code__startswith=d, user__isnull=False).count(),
    }


def _count(model: str, **filters: object) -> int:
    from django.apps import apps

    return int(apps.get_model("mediation", model).objects.filter(**filters).count())


def login_rows(p: Plan) -> list[tuple[str, str, str]]:
    """(username, role label, unit name) of the plan's logins as they are in the database."""
    users = {u.username: u for u in User.objects.filter(username__in=[s.username for s in p.logins])
             .select_related("unit").prefetch_related("roles")}
    rows = []
    for s in p.logins:
        u = users.get(s.username)
        if u is None:
            continue
        roles = "、".join(r.name for r in u.roles.all()) or "—"
        rows.append((u.username, roles, u.unit.name if u.unit else "—"))
    return rows
