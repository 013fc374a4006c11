"""A year of cases for the demo district, made by calling the services.

`fangtiao demo` builds the district (fangtiao.org.demo), then `build_cases()` here lets the
district's people work through a year of matters: every registration is
`services.case_register()` and every later step `services.case_act()`, so the numbers, the
timelines, the transfers (工作移交单) and their sign-for, the statutory clocks, the notifications
and the audit log are the ones the product itself writes. At the end the worker's jobs run once for
today (`clocks.services.clock_tick` and `mediation.services.tick`: session reminders, obligations due
or overdue, the backlog rule), so the overdue flags and their notices are real too.

Time. The year runs from the first day of the month eleven months before today's month up to
yesterday (today 2026-11-29: 2025-12-01 → 2026-11-28). Each step runs at its own simulated
moment: `simulated_time()` swaps the `datetime` class that `django.utils.timezone.now()` reads,
so `timezone.now()` and `timezone.localdate()` — in the services and in every model field
default such as `CaseEvent.at`, `Transfer.sent_at` and `AuditEvent.at`, which hold a reference to
`timezone.now` that patching the module attribute would miss — return the step's moment. Steps
of all cases run in one global time order, so a repeat petition meets its earlier case in the
state it really had on that day (and the intake rule of 第19条第3款 can apply).

Determinism. One seeded RNG plans every case from the district plan and the day the demo is
loaded; the same seed, options and day give the same cases (the citizens' query codes are
random on purpose: only their hash is stored).

Idempotency. The run is one transaction and ends with a `demo.loaded` audit event whose extra
carries `"part": "cases"`; a second `fangtiao demo` sees it (or any case registered by a demo
login) and creates nothing.

Proportions follow the 2018 article (see /work/shared/domain/demo-district.md): more than half
of the disputes are settled by village and community committees (把50%以上的矛盾纠纷化解在村里);
petitions are answered with a 信访处理意见书 after joint handling, or not accepted with the lawful
route, diverted (诉访分离), forwarded, or put to mediation first (调解前置); a few are escalated
village → township → district, extended, sent for 复查/复核, returned with reasons, repeated, or
brought to the city (越级); some are still open and some are overdue. Always included (the
showcase, whatever the size): the 绿城 property-fee collective visit of 200 owners with 5
representatives; the 宁溪 neighbour's building that cracked a wall, a backlog petition confirmed by
the 宁溪 tribunal the day it was settled; the May–August campaign (专项活动) — 45 screening rounds
finding 60 disputes (the only 排查发现 cases), 58 settled, 2 of them collective; 3 judicial
confirmations in all, every one paid voluntarily; 22 backlog cases (信访积案) resolved under a
responsible leader and 3 still open.

Mediation runs to the end through the real actions. For every case that reaches a committee the
head assigns the best mediator the system suggests without a conflict (回避: declared relatives,
the village committee as a party, a part-time mediator's employer — the district build declares
some), then the assigned mediator (through their own login where they have one at that committee)
records the sessions — some booked in a room of the centre or a sub-centre, a few with a party
absent — asks the expert of the trade now and then (the expert answers through their login), and
registers a written or oral agreement with its obligations (some in instalments). Performance is
recorded as it happens: most on time, a few late or partly first, a few still running or overdue
at today (the worker's run marks them). A follow-up (回访) precedes every closing — one finds the
dispute back and reopens it — and most finished mediations are filed as a 卷宗. Steps whose input
depends on the case at that moment (the suggested mediator, party, obligation and session ids, a
free room) are functions of the case evaluated when the step runs, so the plan stays pure.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar, cast
from unittest import mock

import django.utils.timezone as djtz
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from fangtiao.audit import services as audit
from fangtiao.audit.models import AuditEvent
from fangtiao.cases import services
from fangtiao.cases.models import Case
from fangtiao.clocks.calendar import WorkCalendar
from fangtiao.clocks.seed import ensure_rules
from fangtiao.clocks.services import clock_tick, work_calendar
from fangtiao.core.errors import DomainError
from fangtiao.core.validators import id_check_char
from fangtiao.mediation import selectors as mediation_selectors
from fangtiao.mediation import services as mediation_services
from fangtiao.mediation.models import Obligation, Room, Session
from fangtiao.org import demo as district
from fangtiao.org import services as org_services
from fangtiao.org.choices import Clearance, Gender, RegionKind, UnitKind, UnitLevel
from fangtiao.org.choices import Role as R
from fangtiao.org.models import Expert, Mediator, Region, Unit, User
from fangtiao.org.seed import ensure_reference_data

DEFAULT_CASES = 1500
MIN_CASES = 150  # the showcase (the article's cases, its screening campaign and backlog) is about 130
MAX_CASES = 20_000
MARKER_PART = "cases"

CITY_BUREAU = ("台州市信访局", "台州信访局")
PORTAL_RATE = "portal_rate"  # a step the petitioner takes on the portal, not a case action

# --- the simulated clock ---------------------------------------------------------------------

_REAL_DATETIME = dt.datetime


class _SimulatedMeta(type):
    """isinstance(x, datetime) must stay true for real datetimes while the class is swapped."""

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, _REAL_DATETIME)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, _REAL_DATETIME)


class SimulatedDatetime(_REAL_DATETIME, metaclass=_SimulatedMeta):
    """`datetime` as django.utils.timezone sees it while a demo step runs."""

    moment: ClassVar[dt.datetime | None] = None

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
        m = cls.moment
        if m is None:
            return _REAL_DATETIME.now(tz)
        return m.astimezone(tz) if tz is not None else m.astimezone().replace(tzinfo=None)


@contextmanager
def simulated_time() -> Iterator[type[SimulatedDatetime]]:
    """Within the block, `timezone.now()` returns `SimulatedDatetime.moment` when it is set."""
    with mock.patch.object(djtz, "datetime", SimulatedDatetime):
        try:
            yield SimulatedDatetime
        finally:
            SimulatedDatetime.moment = None


@contextmanager
def memoized_clock_lookups(first: dt.date, last: dt.date) -> Iterator[None]:
    """The clock services look up the rule, the counting setting and a holiday calendar (one
    query each, and ~180 days of calendar arithmetic) every time a clock starts. Nothing the demo
    does changes those tables, so for the length of the build the three lookups are memoised,
    the calendar as one covering every date the demo can ask about (a calendar is only asked
    whether a day is a working day, so a wider one gives the same answers): the results are
    identical and the build is a fifth faster."""
    from fangtiao.clocks import services as clock_services

    real_calendar, real_rule, real_counting = (clock_services.work_calendar, clock_services.rule_for,
                                               clock_services.counting_for)
    span = (dt.date(first.year - 1, 1, 1), dt.date(last.year + 2, 12, 31))
    wide = real_calendar(*span)
    rules: dict[tuple[str, str], Any] = {}
    countings: dict[str, Any] = {}

    def work_calendar(start: dt.date, end: dt.date) -> Any:
        if span[0] < start and end <= span[1]:
            return wide
        return real_calendar(start, end)

    def rule_for(code: str, region: Any = None) -> Any:
        key = (code, getattr(region, "path", ""))
        if key not in rules:
            rules[key] = real_rule(code, region)
        return rules[key]

    def counting_for(region: Any = None) -> Any:
        key = getattr(region, "path", "")
        if key not in countings:
            countings[key] = real_counting(region)
        return countings[key]

    with mock.patch.multiple(clock_services, work_calendar=work_calendar, rule_for=rule_for, counting_for=counting_for):
        yield


@contextmanager
def _quiet_gc() -> Iterator[None]:
    """The build allocates millions of short-lived ORM objects; collect less often while it runs."""
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


@lru_cache(maxsize=8)
def _year_calendar(year: int) -> WorkCalendar:
    """The product's own working-day calendar (package data, then the administrators' table)."""
    return work_calendar(dt.date(year, 1, 1), dt.date(year, 12, 31))


def is_workday(day: dt.date) -> bool:
    return _year_calendar(day.year).is_workday(day)


def demo_year(today: dt.date) -> tuple[dt.date, dt.date]:
    """(first day, last day) of the demo's year: twelve calendar months ending yesterday."""
    y, m = today.year - 1, today.month + 1
    if m == 13:
        y, m = y + 1, 1
    return dt.date(y, m, 1), today - dt.timedelta(days=1)


# --- texts (invented; written for the demo) --------------------------------------------------


@dataclass(frozen=True)
class Matter:
    title: str
    facts: str
    demands: str
    amount: tuple[int, int] | None = None
    other: str = "person"  # the other party: person | org | none
    remedy: str = ""  # what an agreement says (after "经调解，双方自愿达成如下协议：")


DISPUTES: dict[str, tuple[Matter, ...]] = {
    "neighbour": (
        Matter("{o}家建房致{p}家墙体开裂",
               "{o}在紧邻{p}家的宅基地上翻建新房，打地基时震动较大，{p}家东侧墙体出现多处裂缝，双方就赔偿问题多次协商未果。",
               "请求{o}赔偿墙体修复费用{amt}元。", (3000, 30000),
               remedy="{o}于十日内一次性支付{p}墙体修复费用{amt}元，{p}自行修复墙体"),
        Matter("排水沟堵塞引发邻里纠纷",
               "{o}在两家之间的排水沟上堆放砖块杂物，连续降雨后积水倒灌进{p}家院子，双方为此多次发生争吵。",
               "请求{o}清除杂物、恢复排水沟通畅。", remedy="{o}于三日内清除排水沟内杂物，今后两家共同维护排水沟通畅"),
        Matter("相邻通行纠纷",
               "{p}家出入需经过{o}家门前的小路，{o}近日在路口砌起围墙，{p}家农用车无法通行。",
               "请求拆除围墙、恢复通行。", remedy="{o}将围墙后移一米，留出通道供{p}家通行"),
        Matter("楼上渗水致楼下天花板受损",
               "{o}家卫生间防水层老化渗水，致楼下{p}家天花板霉变脱落，多次沟通未予维修。",
               "请求{o}维修防水层并赔偿损失{amt}元。", (2000, 12000),
               remedy="{o}于十五日内重做卫生间防水层，并赔偿{p}天花板修复费用{amt}元"),
        Matter("空调外机噪声扰邻",
               "{o}新装的空调外机正对{p}家卧室窗户，夜间噪声和热风影响休息，双方协商未果。",
               "请求{o}移装空调外机。", remedy="{o}于一周内将空调外机移至北侧墙面，费用由{o}承担"),
    ),
    "marriage_family": (
        Matter("赡养老人费用分摊纠纷",
               "{p}年过七旬，独自居住，子女之间就赡养费分摊和轮流照料问题意见不一，老人生活缺乏保障。",
               "请求子女按月支付赡养费并轮流照料。", other="person",
               remedy="子女三人每人每月支付赡养费五百元，按季度轮流照料老人生活"),
        Matter("离婚后抚养费支付纠纷",
               "{p}与{o}离婚后，孩子随{p}生活，{o}已有半年未按离婚协议支付抚养费。",
               "请求{o}支付拖欠的抚养费{amt}元并按月履行。", (6000, 24000),
               remedy="{o}于本月底前补付抚养费{amt}元，今后每月五日前按时支付"),
        Matter("父母遗留房屋分割纠纷",
               "{p}与{o}等兄弟姐妹就父母遗留的老屋如何分割产生争议，多次协商不成，亲属关系紧张。",
               "请求依法公平分割老屋。", remedy="老屋由{p}居住使用，{p}按评估价给予{o}等人相应折价款"),
    ),
    "housing_homestead": (
        Matter("宅基地界址争议",
               "{p}与{o}两家宅基地相邻，{p}翻建房屋时双方对界址位置各执一词，施工被迫停止。",
               "请求确认界址，允许按原界址施工。", remedy="以村里测量确认的界桩为准，{p}按界施工，{o}不再阻挠"),
        Matter("农村房屋买卖纠纷",
               "{p}多年前向{o}购买农村住房一间并付清房款，现{o}家属以房屋升值为由要求收回。",
               "请求确认买卖有效，对方停止干扰居住。", remedy="{o}家属不再要求收回房屋，{p}一次性给予补偿{amt}元", amount=(5000, 30000)),
    ),
    "contract": (
        Matter("拖欠货款纠纷",
               "{p}长期向{org}供应模具配件，{org}结欠货款{amt}元，经多次催讨至今未付。",
               "请求{org}支付货款{amt}元。", (20000, 300000), other="org",
               remedy="{org}分三期支付{p}货款{amt}元，每月月底前支付一期"),
        Matter("店面租赁合同纠纷",
               "{p}将临街店面出租给{o}经营，租期未满{o}提前搬离，并拖欠两个季度租金。",
               "请求{o}支付拖欠租金{amt}元。", (8000, 40000), remedy="{o}于二十日内支付拖欠租金{amt}元，租赁合同自即日起解除"),
        Matter("房屋装修质量纠纷",
               "{p}委托{o}装修住房，完工后出现墙面开裂、地砖空鼓等问题，双方对返工和尾款支付产生争议。",
               "请求{o}返工维修，尾款待验收合格后支付。", remedy="{o}于一个月内返工维修，验收合格后{p}支付装修尾款"),
    ),
    "production": (
        Matter("合伙经营橘园利润分配纠纷",
               "{p}与{o}合伙承包橘园经营多年，因年终利润分配比例和投入核算发生争执。",
               "请求按出资比例分配利润。", remedy="按双方出资比例六比四分配当年利润，今后每年年底对账一次"),
        Matter("农资质量纠纷",
               "{p}从{org}购买的复合肥施用后，柑橘出现大面积落果，{p}认为化肥质量有问题。",
               "请求{org}赔偿经济损失{amt}元。", (5000, 60000), other="org", remedy="{org}一次性补偿{p}经济损失{amt}元"),
    ),
    "damages": (
        Matter("犬只咬伤赔偿纠纷",
               "{o}饲养的犬只未拴绳，将路过的{p}咬伤，{p}注射疫苗、清创治疗共花费{amt}元。",
               "请求{o}赔偿医疗费、误工费等共计{amt}元。", (1500, 8000), remedy="{o}当场支付{p}医疗费、误工费共计{amt}元，今后文明养犬"),
        Matter("施工坠物砸坏车辆",
               "{org}在{place}施工时脚手架上掉落的钢管砸坏{p}停放的轿车，双方就维修费用协商不成。",
               "请求{org}赔偿车辆维修费{amt}元。", (3000, 20000), other="org", remedy="{org}承担车辆维修费用{amt}元，于五日内支付"),
    ),
    "land_forest": (
        Matter("山林界址纠纷",
               "{p}与{o}两家承包的山林相邻，因{o}砍伐杉木对山界位置发生争议，双方互不相让。",
               "请求确认山林界址，对方赔偿越界砍伐损失。", remedy="以林权证附图为准重新确定山界，{o}赔偿越界砍伐杉木损失{amt}元",
               amount=(2000, 15000)),
        Matter("土地流转费拖欠纠纷",
               "{p}将承包地流转给{o}种植西瓜，合同约定每年支付流转费，{o}已拖欠一年。",
               "请求{o}支付流转费{amt}元。", (4000, 30000), remedy="{o}于西瓜上市后十日内支付流转费{amt}元"),
        Matter("灌溉用水纠纷",
               "{p}与{o}的承包田共用一条灌渠，{o}在上游筑坝截水，致{p}家稻田缺水。",
               "请求拆除拦水坝，按惯例轮流放水。", remedy="{o}拆除拦水坝，两家按单双日轮流放水"),
    ),
    "expropriation": (
        Matter("征迁补偿款分配纠纷",
               "{p}家老屋被征收后，{p}与{o}等家庭成员就补偿款如何分配产生争议。",
               "请求按各自份额分配补偿款{amt}元。", (100000, 800000), remedy="补偿款{amt}元按户籍人口和出资情况分配，各方签字确认"),
    ),
    "environment": (
        Matter("企业夜间生产噪声扰民",
               "{org}夜间生产时机器噪声较大，影响周边居民休息，{p}等居民多次反映未果。",
               "请求{org}夜间停止高噪声作业并采取降噪措施。", other="org",
               remedy="{org}每晚十时后停止冲压作业，并于一个月内加装隔音设施"),
        Matter("养殖场污水致鱼塘受损",
               "{o}经营的生猪养殖场污水流入{p}家承包的鱼塘，造成鱼苗死亡。",
               "请求{o}治理污水并赔偿损失{amt}元。", (5000, 40000), remedy="{o}赔偿鱼苗损失{amt}元，并于一个月内完成污水收集池改造"),
    ),
    "labour": (
        Matter("拖欠工资纠纷",
               "{p}在{org}务工，{org}以资金周转困难为由拖欠{p}工资{amt}元。",
               "请求{org}支付拖欠工资{amt}元。", (6000, 60000), other="org", remedy="{org}于十日内一次性支付{p}工资{amt}元"),
        Matter("工伤待遇纠纷",
               "{p}在{org}上班时右手被冲床压伤，经认定为工伤，双方就一次性伤残补助等赔偿数额产生争议。",
               "请求{org}依法支付工伤待遇{amt}元。", (30000, 200000), other="org", remedy="{org}一次性支付{p}各项工伤待遇共计{amt}元"),
        Matter("解除劳动关系经济补偿纠纷",
               "{org}以经营调整为由解除与{p}的劳动关系，未支付经济补偿。",
               "请求{org}支付经济补偿金{amt}元。", (10000, 80000), other="org", remedy="{org}支付{p}经济补偿金{amt}元，双方劳动关系依法解除"),
    ),
    "consumer": (
        Matter("预付卡退费纠纷",
               "{p}在{org}办理健身预付卡，门店停业后未退还卡内余额{amt}元。",
               "请求{org}退还余额{amt}元。", (1000, 8000), other="org", remedy="{org}于七日内退还{p}预付卡余额{amt}元"),
        Matter("家电质量纠纷",
               "{p}在{org}购买的冰箱使用两个月后不制冷，多次维修仍未解决。",
               "请求{org}退货或更换。", other="org", remedy="{org}为{p}更换同型号新冰箱"),
    ),
    "medical": (
        Matter("医疗损害赔偿纠纷",
               "{p}的父亲在{org}住院治疗期间病情加重，家属认为院方存在诊疗过错。",
               "请求{org}赔偿医疗费、护理费等共计{amt}元。", (50000, 400000), other="org",
               remedy="{org}一次性补偿{p}家属{amt}元，双方就此次诊疗再无其他争议"),
    ),
    "traffic": (
        Matter("电动车与轿车相撞赔偿纠纷",
               "{p}驾驶电动自行车与{o}驾驶的小型轿车在路口相撞，{p}受伤住院，交警认定{o}负主要责任，双方就赔偿数额未达成一致。",
               "请求{o}及其保险公司赔偿医疗费、误工费等共计{amt}元。", (10000, 120000),
               remedy="{o}及其保险公司赔偿{p}医疗费、误工费、护理费等共计{amt}元"),
        Matter("停车刮擦纠纷",
               "{o}倒车时刮擦{p}停放的车辆后驶离，经调取监控找到{o}，双方对维修费用有争议。",
               "请求{o}赔偿维修费{amt}元。", (1500, 9000), remedy="{o}赔偿{p}车辆维修费{amt}元"),
    ),
    "property": (
        Matter("物业费收费标准纠纷",
               "{place}部分业主认为{org}服务不到位、收费标准偏高，拒交物业费，{org}多次催缴。",
               "请求{org}公开收支情况，重新核定收费标准。", other="org",
               remedy="{org}公开上年度物业服务收支，整改保洁和安保问题，业主按原标准补交物业费"),
        Matter("地下车位管理费纠纷",
               "{org}擅自提高{place}地下车位管理费，{p}等业主不认可。",
               "请求恢复原收费标准。", other="org", remedy="{org}恢复原车位管理费标准，调价须经业主大会表决"),
        Matter("电梯维修费用分摊纠纷",
               "{place}一单元电梯故障停运，{org}要求业主分摊维修费用，{p}认为应使用专项维修资金。",
               "请求使用专项维修资金尽快修复电梯。", other="org", remedy="由{org}申请使用专项维修资金，于二十日内修复电梯"),
    ),
}
RURAL = ("neighbour", "neighbour", "marriage_family", "marriage_family", "housing_homestead", "land_forest", "land_forest",
         "damages", "contract", "production", "expropriation", "labour", "traffic", "environment")
URBAN = ("neighbour", "neighbour", "marriage_family", "marriage_family", "property", "property", "consumer", "damages",
         "contract", "labour", "traffic")
CIVIL = ("neighbour", "marriage_family", "housing_homestead", "contract", "damages", "land_forest", "traffic", "property",
         "labour", "consumer")
PROFESSIONAL = {"pro.property": "property", "pro.medical": "medical", "pro.traffic": "traffic", "pro.labour": "labour"}


@dataclass(frozen=True)
class Petition:
    nature: str
    title: str
    facts: str
    demands: str
    category: str | None
    dept: str  # the unit key of the department that handles it
    amount: tuple[int, int] | None = None
    administrative: bool = False
    other: str = "none"


PETITIONS: tuple[Petition, ...] = (
    Petition("claim", "要求解决拖欠农民工工资问题",
             "{p}等人在{org}承建的{town}厂房项目务工，工程完工后{org}拖欠工资共计{amt}元，多次讨要无果。",
             "请求督促{org}尽快支付拖欠的工资。", "labour", "line.labour_inspection", (50000, 600000), other="org"),
    Petition("claim", "反映房屋征收补偿标准偏低",
             "{p}家房屋位于{town}旧村改造范围，{p}认为评估价格明显低于周边同类房屋，补偿不合理。",
             "请求重新评估并提高补偿标准。", "expropriation", "line.housing", administrative=True),
    Petition("claim", "反映低保资格被取消",
             "{p}家中有重病患者，收入微薄，近期低保资格在复核中被取消，{p}对核查结果有异议。",
             "请求重新核查家庭经济状况，恢复低保待遇。", None, "line.civil_affairs", administrative=True),
    Petition("claim", "要求办理安置房不动产权证",
             "{p}所购{place}安置房已入住多年，因开发主体手续问题至今无法办理不动产权证。",
             "请求尽快办理不动产权证书。", "housing_homestead", "line.planning"),
    Petition("claim", "反映被征地农民养老保障未落实",
             "{p}户承包地于数年前被征收，{p}认为本人符合被征地农民参加基本养老保险的条件，但至今未办理。",
             "请求核实并办理被征地农民养老保障。", "expropriation", "hrss", administrative=True),
    Petition("claim", "反映邻居违法加层影响采光",
             "{o}在自家屋顶违法加盖一层，严重影响{p}家采光通风，{p}多次劝阻无效。",
             "请求依法查处违法建筑。", "neighbour", "line.enforcement", other="person"),
    Petition("claim", "反映企业噪声扰民长期未解决",
             "{org}车间紧邻居民区，夜间机器轰鸣，{p}等居民反映多次未见好转。",
             "请求督促企业整改，夜间停止高噪声作业。", "environment", "line.environment", other="org"),
    Petition("claim", "反映小区物业服务不到位",
             "{place}{org}保洁、安保长期不到位，公共维修拖延，{p}等业主意见较大。",
             "请求主管部门督促物业企业整改。", "property", "line.housing", other="org"),
    Petition("claim", "反映校外培训机构拒不退费",
             "{p}为孩子在{org}报名课程并预交学费{amt}元，机构停课后拒不退费。",
             "请求督促退还剩余学费。", "consumer", "line.education", (3000, 20000), other="org"),
    Petition("claim", "反映商铺出售过期食品",
             "{p}在{org}购买的奶粉已过保质期，与商家交涉未果。",
             "请求依法查处并赔偿损失。", "consumer", "line.market", other="org"),
    Petition("claim", "反映医保费用报销问题",
             "{p}在外地住院治疗后申请报销，认为报销比例计算有误，少报{amt}元。",
             "请求重新核算医疗费用报销金额。", "medical", "line.health", (2000, 30000)),
    Petition("claim", "反映农村道路损毁影响通行",
             "{place}通往镇区的村道因重型车辆碾压严重损毁，雨天泥泞，群众出行困难。",
             "请求尽快修复村道。", None, "line.transport"),
    Petition("claim", "反映山塘水库安全隐患",
             "{place}上游山塘坝体出现渗水，{p}担心汛期存在安全隐患。",
             "请求组织检查并加固坝体。", None, "line.emergency"),
    Petition("claim", "反映承包地被占用未获补偿",
             "{p}的承包地被{org}临时占用堆放建材，已逾一年，未获任何补偿。",
             "请求恢复耕地并给予补偿。", "land_forest", "line.agriculture", other="org"),
    Petition("suggestion", "建议在{place}路口增设红绿灯",
             "{place}路口车流量大，上下学时段学生过马路存在安全隐患。",
             "建议增设红绿灯和减速带。", None, "line.transport"),
    Petition("suggestion", "建议增加{town}至城区公交班次",
             "{town}至城区公交班次少、末班车早，群众出行不便。",
             "建议增加班次、延长末班车时间。", None, "line.transport"),
    Petition("suggestion", "建议整治{place}河道垃圾",
             "{place}河道漂浮垃圾较多，夏季异味明显。",
             "建议定期清理河道并设置垃圾收集点。", None, "line.environment"),
    Petition("suggestion", "建议在{place}开设老年食堂",
             "{place}独居老人较多，日常就餐不便。",
             "建议利用村（社区）闲置用房开设老年食堂。", None, "line.civil_affairs"),
)
ACCUSATIONS: tuple[tuple[str, str, str, str], ...] = (
    ("反映{dept}工作人员办事推诿",
     "信访人反映在{dept}办理相关手续时，有工作人员多次推诿，并暗示收取好处费。",
     "请求调查核实并依规处理。", "line.market"),
    ("反映执法人员执法不规范",
     "信访人反映{dept}执法人员在{place}查处违法建筑时未出示证件，处理过程不规范。",
     "请求调查核实执法过程。", "line.enforcement"),
    ("反映工程项目发包不规范",
     "信访人反映{place}道路硬化工程未经公开招标即发包，{dept}监管不到位。",
     "请求调查工程发包情况并公开工程款使用情况。", "line.transport"),
)
REJECTIONS: tuple[tuple[str, str], ...] = (
    ("该诉求属于劳动争议，应当依法向劳动人事争议仲裁委员会申请仲裁", "arbitration"),
    ("该事项已由人民法院立案受理，正在诉讼程序中，应当通过诉讼途径解决", "litigation"),
    ("对行政处罚决定不服，应当依法申请行政复议", "reconsideration"),
    ("该事项属于民事合同争议，可依法向人民法院提起诉讼", "litigation"),
)
DIVERSIONS: tuple[tuple[str, str], ...] = (
    ("judicial", "已书面告知信访人依法向人民法院提起诉讼。"),
    ("arbitration", "已书面告知信访人依法申请劳动人事争议仲裁。"),
    ("administrative", "已书面告知信访人依法申请行政复议。"),
    ("duty", "已交由有权机关依法履行职责并答复信访人。"),
)
AUTHORITIES: tuple[tuple[str, str], ...] = (
    ("国家税务总局台州市黄岩区税务局", "反映事项属于税务机关职权范围"),
    ("台州市黄岩区人民检察院", "反映事项属于检察机关法律监督范围"),
    ("国网台州市黄岩区供电公司", "反映事项属于供电企业服务范围"),
    ("台州市中级人民法院", "反映事项涉及已生效裁判的执行"),
)
REPLY_OPINIONS = {
    "support": "经调查核实，信访人反映的问题基本属实，诉求合理，予以支持。{dept}已督促相关方限期落实，并将跟踪回访。",
    "explain": "经调查核实，相关政策执行和处理过程符合规定，已当面向信访人解释说明有关政策依据，信访人表示理解。",
    "reject": "经调查核实，信访人的诉求缺乏事实和法律依据，不予支持。如不服本处理意见，可自收到本意见书之日起30日内向上一级机关请求复查。",
}
BASIS = {
    "labour": "《信访工作条例》第三十二条；《保障农民工工资支付条例》；《中华人民共和国劳动合同法》",
    "expropriation": "《信访工作条例》第三十二条；《国有土地上房屋征收与补偿条例》；《浙江省土地管理条例》",
    "property": "《信访工作条例》第三十二条；《物业管理条例》；《中华人民共和国民法典》物权编",
    "environment": "《信访工作条例》第三十二条；《中华人民共和国噪声污染防治法》",
    "neighbour": "《信访工作条例》第三十二条；《中华人民共和国城乡规划法》；《中华人民共和国民法典》第二百八十八条",
    "consumer": "《信访工作条例》第三十二条；《中华人民共和国消费者权益保护法》",
    "medical": "《信访工作条例》第三十二条；《中华人民共和国社会保险法》",
    "land_forest": "《信访工作条例》第三十二条；《中华人民共和国农村土地承包法》",
    "housing_homestead": "《信访工作条例》第三十二条；《不动产登记暂行条例》",
}
DEFAULT_BASIS = "《信访工作条例》第三十二条及相关法律法规"
FAIL_REASONS = (
    "双方对赔偿数额分歧较大，经多次调解未能达成协议",
    "一方当事人坚持通过诉讼解决，不同意继续调解",
    "双方对基本事实认定分歧较大，调解未果",
)
RETURN_REASONS = {
    "pro.medical": "该纠纷系医疗纠纷，专业性较强，应由区医疗纠纷人民调解委员会调处",
    "pro.labour": "该纠纷系劳动争议，应由区劳动争议人民调解委员会调处",
    "pro.traffic": "该纠纷为交通事故损害赔偿纠纷，应由区道路交通事故纠纷人民调解委员会调处",
    "pro.property": "该纠纷系物业纠纷，应由区物业纠纷人民调解委员会调处",
}
DEPT_RETURN_REASONS = (
    "该事项不属于本单位职责范围，建议交由相关主管部门办理",
    "经核查，该事项涉及的项目已移交属地乡镇（街道）管理，不属于本单位职责",
)
ORG_WORDS = ("澄衡", "橘园", "岩溪", "明岙", "衡江", "永丰", "锦川", "丰乐", "双溪", "洋坦", "桔香", "长潭", "凤屿", "翠溪",
             "方岭", "沙湾", "新岙", "桥屿")
ORG_KINDS = {
    "labour": ("模具有限公司", "塑料制品厂", "建设有限公司", "鞋业有限公司"),
    "contract": ("模具有限公司", "塑料制品有限公司", "贸易有限公司"),
    "production": ("农资经营部", "农业开发有限公司"),
    "damages": ("建设有限公司", "建筑工程有限公司"),
    "environment": ("塑胶有限公司", "金属制品厂", "模具有限公司"),
    "consumer": ("健身会所", "家电商场", "教育培训学校", "副食品商店"),
    "medical": ("医院",),
    "property": ("物业服务有限公司",),
    "land_forest": ("建材有限公司",),
    None: ("建设有限公司", "实业有限公司"),
}
# GB/T 2260 codes of Taizhou's districts and counties (public): where the demo's people were born.
BIRTH_AREAS = ("331003",) * 14 + ("331002", "331004", "331081", "331082", "331022")

# --- mediation texts -------------------------------------------------------------------------

# What a money obligation pays, by dispute type (协议义务的内容).
OBLIGATION_WORDS = {
    "neighbour": "修复费用", "marriage_family": "抚养费", "housing_homestead": "补偿款", "contract": "欠款",
    "production": "补偿款", "damages": "医疗费、误工费等赔偿款", "land_forest": "补偿款", "expropriation": "补偿款份额",
    "environment": "损失赔偿款", "labour": "工资及补偿金", "consumer": "退款", "medical": "补偿款", "traffic": "赔偿款",
    "property": "相关费用",
}
RESPONDENT_STATEMENTS = (
    "{o}承认基本事实，但认为对方提出的数额偏高，希望协商解决。",
    "{o}表示愿意承担相应责任，但提出目前经济困难，希望分期履行。",
    "{o}对部分事实有异议，经调解员释法说理后表示愿意调解。",
    "{o}认为双方都有责任，希望对方适当让步。",
)
EVIDENCE_NOTES = (
    "调解员现场查看并拍照，核实了双方提供的收据、照片等材料。",
    "核实了双方提供的合同、转账记录，听取了村（居）干部的情况介绍。",
    "调取了相关票据和现场照片，对争议事实进行了核对。",
)
RISK_WARNINGS = "告知双方：调解不成可依法通过诉讼、仲裁等途径解决，诉讼周期较长、成本较高；协议达成后应当自觉履行。"
NEXT_STEPS = ("双方回去考虑调解方案，约定择期再调。", "调解员继续做双方工作，下次调解前核实有关票据。",
              "请双方准备相关证据材料，下次当面协商。")
OPINION_QUESTIONS = {
    "lawyer": "请就本纠纷的责任划分、赔偿项目和计算标准出具法律意见，并评估诉讼风险。",
    "mediation_expert": "该事项系反复信访的疑难纠纷，请就化解思路、调解方案和稳控措施提出意见。",
    "specialist": "请就争议涉及的专业问题（损失程度、修复方案和费用）出具专业意见。",
}
OPINIONS = {
    "lawyer": "经审查材料，对方对损害后果负有主要责任，赔偿项目应包括直接损失和合理费用；建议在法定标准基础上协商确定数额，"
              "并告知双方诉讼成本和周期，引导其通过调解解决。",
    "mediation_expert": "建议由包案领导牵头，会同属地和相关部门召开协调会，先解决信访人的合理诉求，对缺乏依据的部分做好释法说理，"
                        "协议达成后申请司法确认并跟踪回访。",
    "specialist": "经现场查看，损失主要由对方施工（行为）引起，可按修复方案确定费用；建议以第三方估价为参考，双方各让一步。",
}
# Which expert login a committee consults, by dispute type (the others go to the lawyer `expert`).
EXPERT_FOR = {"housing_homestead": "expert_build", "neighbour": "expert_build", "property": "expert_property",
              "medical": "expert_medical", "expropriation": "expert_chief", "labour": "expert_chief"}
FOLLOW_UP_NOTES = ("当事人表示对调解结果满意，双方关系已恢复正常。", "协议已履行完毕，当事人无异议。",
                   "回访时双方均表示不再就此事争执。")


# --- the directory: units, logins and places of the built district ---------------------------


@dataclass(frozen=True)
class LoginSpec:
    username: str
    name: str
    unit: str  # unit key
    roles: tuple[str, ...]
    title: str


# Departments that handle petitions (unit key of the district plan → login prefix).
DEPTS: tuple[tuple[str, str], ...] = (
    ("line.housing", "zhujian"), ("line.planning", "zigui"), ("line.labour_inspection", "laojian"),
    ("line.market", "shichang"), ("line.transport", "jiaotong"), ("line.health", "weijian"),
    ("line.education", "jiaoyu"), ("line.agriculture", "nongye"), ("line.environment", "shengtai"),
    ("line.enforcement", "zhifa"), ("line.civil_affairs", "minzheng"), ("line.emergency", "yingji"),
    ("hrss", "renshe"),
)
PRO_LOGINS: tuple[tuple[str, str], ...] = (
    ("pro.property", "wuye"), ("pro.medical", "yitiao"), ("pro.traffic", "jiaotiao"), ("pro.labour", "laotiao"),
)


def case_logins(p: district.Plan) -> list[LoginSpec]:
    """The logins the cases need beyond the district's own: the city bureau (越级 visits and 复核),
    the 信访调解室, each department's officer and leader, the professional committees' heads, the
    discipline unit, and a head for every village and community committee (named after its first
    mediator, who in practice chairs it)."""
    specs: list[tuple[str, str, tuple[str, ...], str]] = [
        ("city_clerk", "city", (R.CLERK,), "来访接待员"),
        ("city_officer", "city", (R.OFFICER,), "复查复核科干部"),
        ("room_head", "petition_room", (R.COMMITTEE_HEAD,), "信访调解室负责人"),
        ("jiwei_officer", "discipline", (R.OFFICER,), "信访室干部"),
    ]
    for key, prefix in DEPTS:
        specs.append((f"{prefix}_officer", key, (R.OFFICER,), "信访联络员"))
        specs.append((f"{prefix}_leader", key, (R.LEADER,), "分管领导"))
    for key, prefix in PRO_LOGINS:
        specs.append((f"{prefix}_head", key, (R.COMMITTEE_HEAD,), "调委会主任"))
    chairs: dict[str, str] = {}
    for m in p.mediators:
        chairs.setdefault(m.unit, m.name)
    names = iter(district.people(p.seed, "case-logins", len(specs)))
    out = [LoginSpec(u, next(names)[0], unit, roles, title) for u, unit, roles, title in specs]
    village_units = [u for u in p.units if u.kind == UnitKind.VILLAGE_COMMITTEE]
    extra = iter(district.people(p.seed, "village-heads", len(village_units)))
    for u in village_units:
        code = u.region
        name = chairs.get(u.key) or next(extra)[0]
        out.append(LoginSpec(f"v{code}", name, u.key, (R.COMMITTEE_HEAD,), "村（居）调委会主任"))
    return out


def case_login_count(p: district.Plan) -> int:
    return User.objects.filter(username__in=[s.username for s in case_logins(p)]).count()


@dataclass
class Directory:
    units: dict[str, Unit]
    users: dict[str, User]
    regions: dict[str, Region]
    villages: dict[str, list[Region]]  # township code → its villages and communities
    township_key: dict[str, str]  # township code → "t01" …
    plan: district.Plan | None = None
    experts: dict[str, int] = field(default_factory=dict)  # expert login → Expert pk
    mediator_logins: dict[int, str] = field(default_factory=dict)  # Mediator pk → its login's username
    rooms: dict[str, list[int]] = field(default_factory=dict)  # unit key → its active rooms (largest first)

    def u(self, key: str) -> int:
        return self.units[key].pk


def _ensure_city_bureau(p: district.Plan) -> Unit:
    city = Region.objects.get(code=district.CITY[0])
    unit = Unit.objects.filter(region=city, name=CITY_BUREAU[0]).first()
    if unit is None:
        unit = org_services.unit_create(actor=None, name=CITY_BUREAU[0], short_name=CITY_BUREAU[1],
                                        kind=UnitKind.PETITION_BUREAU, level=UnitLevel.CITY, region=city,
                                        phone="0576-88512345")
    return unit


def load_directory(p: district.Plan, *, password: str) -> Directory:
    """Units of the built district by plan key, plus the case logins (created if missing)."""
    d = district.DISTRICT[0]
    by_name = {(u.region.code, u.name): u for u in Unit.objects.filter(region__code__startswith=d).select_related("region")}
    units = {s.key: by_name[(s.region, s.name)] for s in p.units}
    units["city"] = _ensure_city_bureau(p)
    specs = case_logins(p)
    existing = set(User.objects.filter(username__in=[s.username for s in specs]).values_list("username", flat=True))
    new: list[int] = []
    with district._cheap_hashing():
        for s in specs:
            if s.username in existing:
                continue
            user = org_services.staff_create(actor=None, username=s.username, name=s.name, unit=units[s.unit],
                                             roles=list(s.roles), password=password, title=s.title)
            new.append(user.pk)
    if new:
        User.objects.filter(pk__in=new).update(password=make_password(password))
        # the security administrator's clearance for accusation handlers (安全标记; ADR 0022)
        User.objects.filter(pk__in=new, roles__code__in=("officer", "leader")).update(clearance=Clearance.ACCUSATION)
    wanted = {s.username for s in specs} | {s.username for s in p.logins}
    users = {u.username: u for u in User.objects.filter(username__in=wanted).select_related("unit__region")
             .prefetch_related("roles")}
    _link_village_chairs(specs, units, users)
    regions = {r.code: r for r in Region.objects.filter(code__startswith=d)}
    villages: dict[str, list[Region]] = {}
    for r in sorted(regions.values(), key=lambda r: r.code):
        if r.level == "village":
            villages.setdefault(r.code[:9], []).append(r)
    township_key = {t.code: f"t{k:02d}" for k, t in enumerate(district.TOWNSHIPS, start=1)}
    experts = dict(Expert.objects.filter(user__isnull=False, unit__region__code__startswith=d)
                   .values_list("user__username", "pk"))
    mediator_logins = dict(Mediator.objects.filter(user__isnull=False, unit__region__code__startswith=d)
                           .values_list("pk", "user__username"))
    key_of = {unit.pk: key for key, unit in units.items()}
    rooms: dict[str, list[int]] = {}
    for pk, unit_id in Room.objects.filter(unit_id__in=key_of, active=True).order_by("-capacity", "pk") \
            .values_list("pk", "unit_id"):
        rooms.setdefault(key_of[unit_id], []).append(pk)
    return Directory(units=units, users=users, regions=regions, villages=villages, township_key=township_key, plan=p,
                     experts=experts, mediator_logins=mediator_logins, rooms=rooms)


def _link_village_chairs(specs: list[LoginSpec], units: dict[str, Unit], users: dict[str, User]) -> None:
    """A village committee's head login is its chair, the committee's first mediator: link the two, so
    the chair's mediator workspace shows the cases assigned to them (audited as the services would)."""
    heads = [s for s in specs if s.unit.startswith("v.") and s.username in users]
    linked = set(Mediator.objects.filter(user__in=[users[s.username] for s in heads]).values_list("user_id", flat=True))
    free = {(m.unit_id, m.name): m for m in Mediator.objects.filter(unit__in=[units[s.unit] for s in heads], user__isnull=True)
            .select_related("unit__region")}
    for s in heads:
        user = users[s.username]
        m = free.get((units[s.unit].pk, s.name))
        if m is None or user.pk in linked:
            continue
        Mediator.objects.filter(pk=m.pk).update(user=user)
        audit.record(actor=None, action="org.mediator.updated", subject=m, changes={"user": [None, user.pk]})


# --- scripts ---------------------------------------------------------------------------------


# A step's input, or a function of the case at the moment the step runs (ids of its parties,
# obligations and sessions, the mediators suggested then); None from it skips the step.
Data = dict[str, Any] | Callable[[Case], dict[str, Any] | None]


@dataclass
class Step:
    at: dt.datetime
    actor: str
    action: str  # "register" or a transition of cases.workflow
    data: Data
    only_if: frozenset[str] | None = None  # run only if the case is in one of these states
    # Taken by the lead mediator assigned to the case if that mediator has a login at the holding unit
    # (else by `actor`): the mediator who was suggested and assigned records the sessions.
    as_assigned: bool = False


@dataclass
class Script:
    key: int
    scenario: str
    steps: list[Step] = field(default_factory=list)
    petitioner: dict[str, Any] | None = None
    region: str = ""
    category: str | None = None
    township: str = ""


class Flow:
    """Builds one case's steps in time order; a step that would fall on or after the end of the
    demo's year is dropped with everything after it (the case stays open where it is)."""

    def __init__(self, planner: Planner, script: Script, at: dt.datetime) -> None:
        self.p = planner
        self.s = script
        self.t = at
        self.open = True
        self.reached: dt.date | None = None  # the day of the last agreement planned

    def do(self, actor: str, action: str, data: Data | None = None, *, days: tuple[int, int] = (0, 0),
           only_if: frozenset[str] | None = None, as_assigned: bool = False) -> Flow:
        if not self.open:
            return self
        return self.do_at(self.p.later(self.t, days), actor, action, data, only_if=only_if, as_assigned=as_assigned)

    def peek(self, days: tuple[int, int]) -> dt.datetime:
        """The moment a step `days` later would take (for a booking made before the session it books)."""
        return self.p.later(self.t, days)

    def do_at(self, t: dt.datetime, actor: str, action: str, data: Data | None = None, *,
              only_if: frozenset[str] | None = None, as_assigned: bool = False) -> Flow:
        if not self.open:
            return self
        if t <= self.t:
            t = self.p.later(self.t, (0, 0))
        if t >= self.p.end:
            self.open = False
            return self
        self.t = t
        self.s.steps.append(Step(t, actor, action, data if data is not None else {}, only_if, as_assigned))
        return self

    def do_on(self, day: dt.date, actor: str, action: str, data: Data | None = None, *, as_assigned: bool = False) -> Flow:
        """On `day` in office hours (the next working day if it is not one), never before the last step."""
        return self.do_at(self.p.office_time(self.p.next_workday(day)), actor, action, data, as_assigned=as_assigned)

    @property
    def day(self) -> dt.date:
        return timezone.localtime(self.t).date()


# --- mediation: who works it, and what its steps read from the case when they run -----------


@dataclass(frozen=True)
class Committee:
    key: str  # unit key of the mediation organisation
    head: str  # committee head login: assigns, closes, archives
    recorder: str  # the login that records when the assigned mediator has none here (a mediator login or the head)
    rooms: str | None  # unit key whose rooms its sessions book (the centre, the township's sub-centre); None: on site
    level: str  # village | township | district


@dataclass(frozen=True)
class ObligationPlan:
    seq: int
    party: int  # index into the registration's parties
    content: str
    amount: int | None
    due: dt.date | None
    instalment: str = ""


@dataclass(frozen=True)
class Confirm:
    court: str  # unit key of the competent court (民事诉讼法 第205条)
    liaison: str  # its liaison's login
    same_day: bool = False


SUGGESTION_LIMIT = 10  # what the head sees on the assignment board


def _assign_data(count: int) -> Callable[[Case], dict[str, Any] | None]:
    """The head takes the best non-conflicted mediators the system suggests at that moment (the
    list of the assignment form: conflicted ones are listed last, with the reason)."""

    def data(case: Case) -> dict[str, Any] | None:
        m = mediation_selectors.open_round(case)
        if m is None:
            return None
        ranked = mediation_selectors.suggest_mediators(case, m.unit, limit=SUGGESTION_LIMIT)
        picks = [s for s in ranked if not s.conflict][:count]
        if not picks:
            return None
        return {"mediators": [s.mediator.pk for s in picks], "chosen_by": "committee",
                "reason": "按系统推荐：" + "、".join(picks[0].reasons[:3])}

    return data


def _book_data(rooms: list[int], start: dt.datetime, place: str, kind: str) -> Callable[[Case], dict[str, Any]]:
    """A free room of the centre or sub-centre for the session's time, else the committee's own room."""

    def data(case: Case) -> dict[str, Any]:
        end = start + dt.timedelta(minutes=90)
        busy = set(Session.objects.filter(room_id__in=rooms, status="scheduled", starts_at__lt=end, ends_at__gt=start)
                   .values_list("room_id", flat=True))
        out: dict[str, Any] = {"starts_at": start, "ends_at": end, "kind": kind}
        free = [r for r in rooms if r not in busy]
        if free:
            out["room"] = free[0]
        else:
            out["place"] = place
        return out

    return data


def _session_data(record: dict[str, Any]) -> Callable[[Case], dict[str, Any]]:
    """The record of the session booked for this case."""

    def data(case: Case) -> dict[str, Any]:
        pk = (Session.objects.filter(case=case, status="scheduled").order_by("starts_at", "pk")
              .values_list("pk", flat=True).first())
        return {**record, "session": pk} if pk else record

    return data


def _agree_data(static: dict[str, Any], obligations: list[ObligationPlan]) -> Callable[[Case], dict[str, Any]]:
    def data(case: Case) -> dict[str, Any]:
        parties = list(case.parties.order_by("sort", "id").values_list("pk", flat=True))
        return {**static, "obligations": [
            {"party": parties[o.party], "content": o.content, "amount": str(o.amount) if o.amount is not None else None,
             "due_on": o.due, "instalment": o.instalment} for o in obligations]}

    return data


def _sign_data() -> Callable[[Case], dict[str, Any] | None]:
    """第29条: the parties sign (an organisation seals), the mediator signs, the committee seals."""

    def data(case: Case) -> dict[str, Any] | None:
        a = case.agreements.filter(status="signing").select_related("mediation").first()
        if a is None:
            return None
        sigs: list[dict[str, Any]] = [
            {"signer": str(p.pk), "method": "seal" if p.type == "organisation" else "sign_fingerprint"}
            for p in case.parties.order_by("sort", "id")]
        mediator = (a.mediation.assignments.order_by("-lead", "id").values_list("mediator_id", flat=True).first())
        if mediator is not None:
            sigs.append({"signer": "mediator", "mediator": mediator})
        sigs.append({"signer": "seal"})
        return {"signatures": sigs}

    return data


def _performance_data(seq: int, amount: int | None, proof: str) -> Callable[[Case], dict[str, Any] | None]:
    def data(case: Case) -> dict[str, Any] | None:
        agreement = mediation_selectors.current_agreement(case)
        ob = Obligation.objects.filter(agreement=agreement, seq=seq).first() if agreement else None
        if ob is None or ob.status == "done":
            return None
        note = {"transfer": "银行转账凭证", "receipt": "收条", "photo": "现场照片"}.get(proof, "")
        return {"obligation": ob.pk, "amount": str(amount) if amount is not None else None, "proof_kind": proof,
                "proof_note": note}

    return data


def _refusal_data(index: int, note: str) -> Callable[[Case], dict[str, Any]]:
    def data(case: Case) -> dict[str, Any]:
        parties = list(case.parties.order_by("sort", "id").values_list("pk", flat=True))
        return {"party": parties[index], "consent": "refused", "note": note}

    return data


class Planner:
    """Plans every case of the year from one seeded RNG (no database writes)."""

    def __init__(self, directory: Directory, *, seed: int, today: dt.date) -> None:
        self.d = directory
        self.rng = random.Random(f"{seed}/cases")  # noqa: S311 - invented demo data, not secrets
        # The petitioners' own ratings draw from their own stream, so adding them left every other
        # planned step of the year as it was.
        self.rating_rng = random.Random(f"{seed}/ratings")  # noqa: S311 - invented demo data
        self.today = today
        self.first, self.last = demo_year(today)
        self.end = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
        self.scripts: list[Script] = []
        self.townships = [t.code for t in district.TOWNSHIPS]
        self.weights = [t.weight for t in district.TOWNSHIPS]
        self.petitions: list[Script] = []  # registered petitions with an identified petitioner (for repeats)

    # --- time ---------------------------------------------------------------------------------

    def office_time(self, day: dt.date) -> dt.datetime:
        minute = self.rng.randrange(8 * 60 + 30, 17 * 60)
        return timezone.make_aware(dt.datetime.combine(day, dt.time(minute // 60, minute % 60)))

    def next_workday(self, day: dt.date) -> dt.date:
        while not is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def later(self, t: dt.datetime, days: tuple[int, int]) -> dt.datetime:
        n = self.rng.randint(*days)
        local = timezone.localtime(t)
        if n == 0:
            nxt = local + dt.timedelta(minutes=self.rng.randint(10, 90))
            if nxt.date() == local.date() and (nxt.hour, nxt.minute) <= (17, 30) and is_workday(nxt.date()):
                return nxt
            n = 1
        day = self.next_workday(local.date() + dt.timedelta(days=n))
        return self.office_time(day)

    def received(self, day: dt.date | None = None, *, office: bool = True) -> dt.datetime:
        if day is None:
            day = self.first + dt.timedelta(days=self.rng.randrange((self.last - self.first).days + 1))
        if office:
            day = self.next_workday(day)
            if day > self.last:
                day = self.last
            return self.office_time(day)
        minute = self.rng.randrange(7 * 60, 22 * 60)
        return timezone.make_aware(dt.datetime.combine(day, dt.time(minute // 60, minute % 60)))

    # --- people and places ----------------------------------------------------------------------

    def id_number(self, born: dt.date, male: bool) -> str:
        seq = self.rng.randrange(100) * 10 + self.rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
        first17 = f"{self.rng.choice(BIRTH_AREAS)}{born:%Y%m%d}{seq:03d}"
        return first17 + id_check_char(first17)

    def person(self, region: Region, *, role: str = "petitioner", surname: str = "", with_id: float = 0.9,
               representative: bool = False, age: tuple[int, int] = (24, 80)) -> dict[str, Any]:
        name, gender = district.person_name(self.rng, surname=surname)
        born = self.first - dt.timedelta(days=self.rng.randint(age[0] * 365, age[1] * 365))
        party: dict[str, Any] = {"role": role, "type": "person", "name": name, "phone": district.mobile(self.rng),
                                 "address": self.address(region), "is_representative": representative,
                                 "village": region.code if region.level == "village" else ""}
        if self.rng.random() < with_id:
            party["id_number"] = self.id_number(born, gender == Gender.MALE)
        return party

    def address(self, region: Region) -> str:
        town = self.d.regions[region.code[:9]].name if len(region.code) == 12 else ""
        if region.kind == RegionKind.COMMUNITY:
            return f"台州市黄岩区{town}{region.name}{self.rng.randint(1, 30)}幢{self.rng.randint(1, 18)}0{self.rng.randint(1, 4)}室"
        return f"台州市黄岩区{town}{region.name}{self.rng.randint(1, 260)}号"

    def org(self, category: str | None) -> dict[str, Any]:
        kinds = ORG_KINDS.get(category, ORG_KINDS[None])
        word = self.rng.choice(ORG_WORDS)
        prefix = "台州市" if kinds[0].endswith("公司") and self.rng.random() < 0.5 else "黄岩"
        return {"role": "respondent", "type": "organisation", "name": f"{prefix}{word}{self.rng.choice(kinds)}"}

    def village(self, township: str | None = None, *, community: bool | None = None) -> Region:
        code = township or self.rng.choices(self.townships, weights=self.weights)[0]
        pool = self.d.villages[code]
        if community is not None:
            pool = [r for r in pool if (r.kind == RegionKind.COMMUNITY) == community] or pool
        return self.rng.choice(pool)

    def tk(self, region: Region) -> str:
        return self.d.township_key[region.code[:9]]

    def amount(self, rng_range: tuple[int, int] | None) -> int | None:
        if rng_range is None:
            return None
        lo, hi = rng_range
        step = 100 if hi <= 50_000 else 1000
        return self.rng.randrange(lo // step, hi // step + 1) * step

    # --- registration bodies ----------------------------------------------------------------------

    def dispute(self, channel: str, region: Region, *, category: str | None = None, headcount: int = 1,
                pick: int | None = None, other: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
        if category is None:
            category = self.rng.choice(URBAN if region.kind == RegionKind.COMMUNITY else RURAL)
        m = DISPUTES[category][pick] if pick is not None else self.rng.choice(DISPUTES[category])
        petitioner = self.person(region)
        if other is not None:
            pass
        elif m.other == "org":
            other = self.org(category)
        else:
            # A committee registering a dispute records both parties' identity (the 卷宗 needs it).
            other = self.person(region, role="respondent", with_id=0.85)
        if other["type"] == "organisation" and category == "labour":
            petitioner["employer"] = other["name"]
        amt = self.amount(m.amount)
        words = {"p": petitioner["name"], "o": other["name"], "org": other["name"], "place": region.name,
                 "town": self.d.regions[region.code[:9]].name, "amt": str(amt) if amt else ""}
        parties = [petitioner, other]
        if headcount >= 5:
            petitioner["is_representative"] = True
            parties += [self.person(region, representative=True) for _ in range(self.rng.randint(1, 4))]
        body = {
            "channel": channel, "kind": "dispute", "category": category, "region": region.code,
            "title": m.title.format(**words), "description": m.facts.format(**words), "demands": m.demands.format(**words),
            "occurred_on": None, "amount": str(amt) if amt else None, "headcount": headcount, "parties": parties,
        }
        words["remedy"] = (m.remedy or "双方互谅互让，就{title}达成一致").format(**{**words, "title": body["title"]})
        words["category"] = category
        words["money"] = "1" if amt and "{amt}" in m.remedy else ""
        return body, words

    def petition(self, channel: str, region: Region, *, pick: Petition | None = None, nature: str | None = None,
                 civil: bool = False, headcount: int = 1, petitioner: dict[str, Any] | None = None,
                 category: str | None = None) -> tuple[dict[str, Any], dict[str, str], Petition]:
        if pick is None:
            pool = [x for x in PETITIONS if (nature is None or x.nature == nature) and not (civil and x.administrative)
                    and (not civil or x.category in CIVIL) and (category is None or x.category == category)]
            pick = self.rng.choice(pool)
        org = self.org(pick.category)
        person = petitioner or self.person(region)
        other = self.person(region, role="respondent", with_id=0.2) if pick.other == "person" else org
        amt = self.amount(pick.amount)
        words = {"p": person["name"], "o": other["name"], "org": org["name"], "place": region.name,
                 "town": self.d.regions[region.code[:9]].name, "amt": str(amt) if amt else "",
                 "dept": self.d.units[pick.dept].name, "category": pick.category or "", "money": ""}
        parties = [dict(person)]
        if pick.other != "none":
            parties.append(other)
        if headcount >= 5:
            parties[0]["is_representative"] = True
            parties += [self.person(region, representative=True) for _ in range(self.rng.randint(1, 4))]
        facts = pick.facts.format(**words)
        body = {
            "channel": channel, "kind": "petition", "nature": pick.nature, "category": pick.category, "region": region.code,
            "title": pick.title.format(**words), "description": facts, "demands": pick.demands.format(**words),
            "amount": str(amt) if amt else None, "headcount": headcount, "parties": parties,
            "administrative_dispute": pick.administrative,
        }
        if channel in ("visit", "phone"):
            body["oral_record"] = f"{'来访' if channel == 'visit' else '来电'}人{person['name']}口述：{facts}{body['demands']}"
        return body, words, pick

    def new(self, scenario: str, actor: str, body: dict[str, Any], at: dt.datetime, *, township: str = "") -> Flow:
        body.setdefault("occurred_on", None)
        if body.get("occurred_on") is None:
            day = timezone.localtime(at).date() - dt.timedelta(days=self.rng.randint(1, 60))
            body["occurred_on"] = day.isoformat()
        s = Script(key=len(self.scripts), scenario=scenario, region=body["region"], category=body.get("category"),
                   township=township)
        s.steps.append(Step(at, actor, "register", body))
        self.scripts.append(s)
        return Flow(self, s, at)

    # --- shared tails ---------------------------------------------------------------------------

    def reply(self, f: Flow, actor: str, body: dict[str, Any], words: dict[str, str], *, days: tuple[int, int],
              outcome: str | None = None, dept_name: str = "") -> None:
        outcome = outcome or self.rng.choices(("support", "explain", "reject"), weights=(35, 45, 20))[0]
        basis = BASIS.get(body.get("category") or "", DEFAULT_BASIS)
        f.do(actor, "reply", {
            "outcome": outcome, "request": body["demands"],
            "facts": f"经{dept_name or '承办单位'}调查核实：{body['description']}",
            "opinion": REPLY_OPINIONS[outcome].format(dept=dept_name or "承办单位"), "basis": basis,
        }, days=days)
        # Most petitioners rate the reply on the portal with their query code (国信发〔2014〕16号);
        # some let the window pass (超期未评价, which the 参评率 counts).
        r = self.rating_rng
        if r.random() < 0.78:
            weights = {"support": (80, 17, 3), "explain": (55, 33, 12), "reject": (25, 40, 35)}[outcome]
            # On the side: the case's own next steps still follow the reply, not the rating.
            at, still_open = f.t, f.open
            f.do(actor, PORTAL_RATE, {"satisfaction": r.choices(("satisfied", "basically", "unsatisfied"), weights=weights)[0]},
                 days=(1, 20), only_if=frozenset({"replied", "closed"}))
            f.t, f.open = at, still_open

    # --- mediation to the end ---------------------------------------------------------------------

    def committee(self, key: str) -> Committee:
        """Who works a mediation at the committee `key`: the head assigns, closes and archives; the
        recorder (the committee's mediator login, or the head) is the fallback for the mediator's steps."""
        if key.startswith("v."):
            head = f"v{key[2:]}"
            return Committee(key, head, head, None, "village")
        if key.endswith(".committee"):
            tk = key.split(".")[0]
            return Committee(key, f"{tk}_head", f"{tk}_mediator", f"{tk}.subcentre", "township")
        if key == "district_committee":
            return Committee(key, "head", "mediator", "centre", "district")
        if key == "petition_room":
            return Committee(key, "room_head", "room_head", "centre", "district")
        head = f"{dict(PRO_LOGINS)[key]}_head"
        return Committee(key, head, head, "centre", "district")

    @staticmethod
    def identity_complete(body: dict[str, Any]) -> bool:
        """The 卷宗 needs every party's identity: an ID number for a person, the name of an organisation."""
        return all(p.get("id_number") or p.get("type") == "organisation" for p in body["parties"])

    def mediate(self, f: Flow, c: Committee, body: dict[str, Any], words: dict[str, str], *, success: float = 0.92,
                close: float = 0.9, fail_next: str = "litigation", close_failed: bool = True,
                withdraw: bool = False, opinion: bool | str | None = None, risk: bool = False, stall: bool | str = False,
                confirm: Confirm | None = None, pay: str | None = None, reopen: bool = False, archive: float = 0.85,
                form: str | None = None, instalments: int | None = None, signed: bool | None = None) -> bool:
        """From MEDIATING at committee `c`, through the real actions: the head assigns the best
        non-conflicted mediator the system suggests; an expert is consulted now and then; sessions are
        recorded (some booked in a room first, a few with a party absent); then an agreement with its
        obligations, judicial confirmation where planned, performance, the follow-up (回访), closing and
        the 卷宗 — or a failure (第26条) with the routes told. Returns whether an agreement was reached."""
        self.assign(f, c, body)
        if opinion is None:
            opinion = self.rng.random() < {"village": 0.01, "township": 0.06, "district": 0.22}[c.level]
        if opinion:
            self.opinion(f, c, body, login=opinion if isinstance(opinion, str) else None)
        if risk or self.rng.random() < 0.005:
            self.risk(f, c, body)
        if withdraw:
            self.sessions(f, c, body, words, "continue", count=1)
            f.do(c.head, "withdraw", {"reason": "双方自行和解，申请人撤回调解申请"}, days=(2, 12))
            f.do(c.head, "close", {"note": "当事人自行和解"}, days=(0, 2))
            return False
        if stall:
            # Sessions that do not settle it: the round outlives its period (the clock goes overdue);
            # "stuck" ones are still open at today, the others settle late.
            self.sessions(f, c, body, words, "adjourned", count=1)
            self.sessions(f, c, body, words, "adjourned", count=1, first_days=(8, 16))
            if stall == "stuck_extended" or (stall is True and self.rng.random() < 0.4):
                f.do(c.recorder, "extend_mediation", {"days": self.rng.choice((15, 20)), "both_parties_request": True,
                                                      "reason": "双方均同意继续调解，需等待第三方评估结果"},
                     days=(2, 6), as_assigned=True)
            if stall in ("stuck", "stuck_extended"):
                return False
            self.sessions(f, c, body, words, "agreed", count=1, first_days=(30, 60))
            obligations = self.agree(f, c, body, words, form=form)
            return self.after_agreement(f, c, body, words, obligations, close=close, archive=archive)
        ok = self.rng.random() < success
        self.sessions(f, c, body, words, "agreed" if ok else "failed")
        if not ok:
            f.do(c.recorder, "fail", {"reason": self.rng.choice(FAIL_REASONS), "next": fail_next,
                                      "routes_told": ["litigation"] if fail_next != "litigation" else ["arbitration"]},
                 days=(0, 0), as_assigned=True)
            if close_failed and self.rng.random() < close:
                f.do(c.head, "close", {"note": "已告知当事人依法维权的途径"}, days=(0, 4))
                if self.identity_complete(body) and self.rng.random() < archive * 0.6:
                    f.do(c.head, "archive", {"note": ""}, days=(1, 10), only_if=frozenset({"closed"}))
            return False
        # A confirmed agreement gives the court its weeks before the money falls due.
        obligations = self.agree(f, c, body, words, form=form, instalments=instalments, signed=signed,
                                 due_days=(25, 35) if confirm is not None else (5, 20))
        if obligations is not None and confirm is not None:
            self.confirm(f, c, confirm)
        self.after_agreement(f, c, body, words, obligations, pay=pay, reopen=reopen, close=close, archive=archive)
        return True

    def after_agreement(self, f: Flow, c: Committee, body: dict[str, Any], words: dict[str, str],
                        obligations: list[ObligationPlan] | None, *, pay: str | None = None, reopen: bool = False,
                        close: float = 0.9, archive: float = 0.85) -> bool:
        """Performance, the follow-up before closing (a recurrence reopens the mediation), closing, the 卷宗."""
        if obligations is None or not f.open:
            return True
        reached = f.reached or f.day
        if not self.perform(f, c, reached, obligations, pay=pay):
            if f.open:
                f.do(c.recorder, "follow_up", {"method": "phone", "satisfaction": "unsatisfied",
                                               "performance": "义务人尚未按期履行，已电话督促", "notes": "继续督促履行"},
                     days=(3, 10), as_assigned=True)
            return True
        if reopen:
            f.do(c.recorder, "follow_up", {"method": "visit", "satisfaction": "unsatisfied", "recurrence": "reopen",
                                           "performance": "协议已履行", "risk": "回访发现双方又因同一问题发生争执，纠纷反复",
                                           "measures": "重新组织调解"}, days=(10, 25), as_assigned=True)
            self.assign(f, c, body)
            self.sessions(f, c, body, words, "agreed", count=1)
            again = {**words, "remedy": f"双方就履行中出现的新问题补充约定：{words['remedy']}，今后互不干扰"}
            obligations = self.agree(f, c, body, again, form="written", instalments=1)
            if obligations is None or not self.perform(f, c, f.reached or f.day, obligations, pay="on_time"):
                return True
        f.do(c.recorder, "follow_up", {
            "method": self.rng.choices(("phone", "visit", "meeting"), weights=(60, 30, 10))[0],
            "satisfaction": self.rng.choices(("satisfied", "basically", "unsatisfied"), weights=(78, 20, 2))[0],
            "performance": "协议已履行完毕" if obligations else "双方按协议约定履行", "notes": self.rng.choice(FOLLOW_UP_NOTES),
        }, days=(2, 15), as_assigned=True)
        if self.rng.random() < close:
            f.do(c.head, "close", {"note": "调解协议已履行，回访当事人无异议"}, days=(0, 4))
            if self.identity_complete(body) and self.rng.random() < archive:
                f.do(c.head, "archive", {"note": ""}, days=(1, 12), only_if=frozenset({"closed"}))
        return True

    def assign(self, f: Flow, c: Committee, body: dict[str, Any], *, days: tuple[int, int] = (0, 2)) -> None:
        """人民调解法 第19条: the head assigns the suggested mediator (two for a collective dispute)."""
        f.do(c.head, "assign", _assign_data(2 if body.get("headcount", 1) >= 5 else 1), days=days)

    def opinion(self, f: Flow, c: Committee, body: dict[str, Any], *, login: str | None = None,
                answer: bool = True) -> None:
        """调解专家库: a written opinion asked of the expert of the dispute's trade (or the lawyer)."""
        login = login or EXPERT_FOR.get(body.get("category") or "", "expert")
        if login not in self.d.experts:
            login = "expert"
        if login not in self.d.experts:
            return
        kind = {"expert": "lawyer", "expert_chief": "mediation_expert"}.get(login, "specialist")
        f.do(c.recorder, "request_opinion", {"expert": self.d.experts[login], "question": OPINION_QUESTIONS[kind]},
             days=(0, 2), as_assigned=True)
        if answer:
            f.do(login, "record_opinion", {"opinion": OPINIONS[kind]}, days=(1, 5))

    def risk(self, f: Flow, c: Committee, body: dict[str, Any]) -> None:
        """人民调解法 第25条: a dispute that may turn violent, reported to the police."""
        parties = body["parties"]
        other = parties[1]["name"] if len(parties) > 1 else "相关方"
        f.do(c.recorder, "report_risk", {
            "description": f"{parties[0]['name']}与{other}矛盾尖锐，双方情绪激动，有发生肢体冲突或群体聚集的苗头。",
            "measures": "已分别做双方稳控工作，约定冷静期，争议现场暂停施工（作业）", "police_unit": self.d.u("police"),
        }, days=(0, 1), as_assigned=True)

    def sessions(self, f: Flow, c: Committee, body: dict[str, Any], words: dict[str, str], outcome: str, *,
                 count: int | None = None, no_show: bool | None = None, first_days: tuple[int, int] = (1, 6)) -> None:
        """调解记录 (§4.6): one to three sessions ending in `outcome`; now and then a party does not come.
        At the centre and the sub-centres some are booked in a room first (a free one, else elsewhere)."""
        count = count or self.rng.choices((1, 2, 3), weights=(76, 20, 4))[0]
        if no_show is None:
            no_show = self.rng.random() < 0.05
        parties = body["parties"]
        p_name = parties[0]["name"]
        o_name = parties[1]["name"] if len(parties) > 1 else "相关方"
        region = self.d.regions[body["region"]]
        plan = (["no_show"] if no_show else []) + ["continue"] * (count - 1) + [outcome]
        for k, what in enumerate(plan):
            days = first_days if k == 0 else (3, 12)
            kind = "investigation" if k == 0 and len(plan) > 1 and what != "no_show" and self.rng.random() < 0.3 else "mediation"
            if what == "no_show":
                data: dict[str, Any] = {"held": False, "kind": kind,
                                        "absent_note": f"{o_name}未到场，电话联系后表示另约时间"}
            else:
                data = {
                    "held": True, "kind": kind, "applicant_statement": f"{p_name}陈述：{body['description'][:300]}",
                    "respondent_statement": self.rng.choice(RESPONDENT_STATEMENTS).format(o=o_name),
                    "evidence": self.rng.choice(EVIDENCE_NOTES), "risk_warning": RISK_WARNINGS,
                    "proposal": words["remedy"] if what == "agreed" else "建议双方互谅互让，在法律框架内协商解决",
                    "outcome": what if kind == "mediation" else "continue",
                    "next_step": "" if what in ("agreed", "failed") else self.rng.choice(NEXT_STEPS),
                }
            book = c.rooms is not None and self.rng.random() < (0.65 if c.level == "district" else 0.45)
            if book:
                before = len(f.s.steps)
                f.do(c.recorder, "book_session", None, days=(0, 1), as_assigned=True)
                at = f.peek(days)
                if len(f.s.steps) > before:
                    place = f"{self.d.units[c.key].name}会议室"
                    f.s.steps[-1].data = _book_data(self.d.rooms.get(c.rooms, []), at, place, kind)
                f.do_at(at, c.recorder, "record_session", _session_data(data), as_assigned=True)
            else:
                if c.level == "village" or self.rng.random() < 0.2:
                    data.update(on_site=True, place=f"{region.name}（就地调解）")
                f.do(c.recorder, "record_session", data, days=days, as_assigned=True)

    def agree(self, f: Flow, c: Committee, body: dict[str, Any], words: dict[str, str], *, form: str | None = None,
              instalments: int | None = None, immediate: bool = False, signed: bool | None = None,
              obligor: int | None = None, acts: tuple[tuple[str, int], ...] = (),
              due_days: tuple[int, int] = (5, 20)) -> list[ObligationPlan] | None:
        """第28–30条: a written 调解协议书 (signed on the spot, now and then the next days) or an oral
        agreement, with its obligations: money (now and then in monthly instalments) or an act."""
        t = f.peek((0, 0))
        reached = timezone.localtime(t).date()
        parties = body["parties"]
        collective = body.get("headcount", 1) >= 5
        if form is None:
            form = "written" if collective or self.rng.random() < 0.65 else "oral"
        if obligor is None and len(parties) > 1 and parties[1]["role"] == "respondent":
            obligor = 1
        amount = int(words["amt"]) if words.get("money") and words.get("amt") else None
        what = OBLIGATION_WORDS.get(words.get("category", ""), "款项")
        obligations: list[ObligationPlan] = []
        n = 1
        if obligor is not None and acts:
            obligations = [ObligationPlan(k, obligor, content, None, reached + dt.timedelta(days=d))
                           for k, (content, d) in enumerate(acts, start=1)]
        elif obligor is not None and amount:
            if form == "written":
                n = instalments or (3 if "分三期" in words["remedy"] else
                                    2 if amount >= 30_000 and self.rng.random() < 0.35 else 1)
            if n == 1:
                due = None if form == "oral" else reached if immediate else reached + dt.timedelta(days=self.rng.randint(*due_days))
                obligations.append(ObligationPlan(1, obligor, f"支付{what}", amount, due))
            else:
                part = amount // n // 100 * 100
                for k in range(1, n + 1):
                    share = part if k < n else amount - part * (n - 1)
                    obligations.append(ObligationPlan(k, obligor, f"支付{what}", share, reached + dt.timedelta(days=30 * k),
                                                      f"第{k}期"))
        elif obligor is not None and form == "written" and self.rng.random() < 0.6:
            obligations.append(ObligationPlan(1, obligor, words["remedy"][:200], None,
                                              reached + dt.timedelta(days=self.rng.randint(3, 30))))
        terms = f"经调解，双方自愿达成如下协议：{words['remedy']}。"
        if n > 1:
            terms += f"上述款项分{n}期支付，每期于协议签订后每满30日前支付。"
        terms += "双方就此纠纷再无其他争议。"
        static: dict[str, Any] = {"form": form, "terms": terms, "facts": body["description"][:2000],
                                  "disputes": body["demands"][:2000]}
        if form == "written" and not obligations:
            static["performance"] = "协议签订后由双方按约定自行履行"
        if signed is None:
            signed = not (form == "written" and self.rng.random() < 0.04)
        if form == "written" and not signed:
            static["signed"] = False
        f.do_at(t, c.recorder, "agree", _agree_data(static, obligations), as_assigned=True)
        if not f.open:
            return None
        f.reached = reached
        if form == "written" and not signed:
            f.do(c.recorder, "sign_agreement", _sign_data(), days=(1, 3), as_assigned=True)
        return obligations

    def confirm(self, f: Flow, c: Committee, spec: Confirm) -> None:
        """司法确认 (人民调解法 第33条): the parties apply jointly to a competent court; its liaison accepts
        and decides (the 宁溪 tribunal the same day)."""
        number = f"（{f.day.year}）浙1003民特{self.rng.randint(100, 899)}号"
        f.do(c.recorder, "apply_confirmation", {"court": self.d.u(spec.court), "property_proof": True},
             days=(0, 0) if spec.same_day else (1, 5), as_assigned=True)
        if spec.same_day:
            f.do(spec.liaison, "record_confirmation", {"result": "confirmed", "court_number": number,
                                                       "note": "当日受理、当日审查，裁定调解协议有效"}, days=(0, 0))
        else:
            f.do(spec.liaison, "accept_confirmation", {"court_number": number}, days=(1, 3))
            f.do(spec.liaison, "record_confirmation", {"result": "confirmed", "court_number": number,
                                                       "note": "经审查，调解协议符合法律规定，裁定确认有效"}, days=(3, 10))

    def perform(self, f: Flow, c: Committee, reached: dt.date, obligations: list[ObligationPlan], *,
                pay: str | None = None) -> bool:
        """人民调解法 第31条: each obligation performed — most on time, a few late or partly first, a few not
        at all (overdue by the worker's run). Returns whether everything is planned to be performed."""
        events: list[tuple[dt.date, int, int | None]] = []
        all_paid = True
        for ob in obligations:
            mode = pay or self.rng.choices(("on_time", "late", "partial", "unpaid"), weights=(86, 5, 6, 3))[0]
            if ob.amount is None and mode == "partial":
                mode = "late"
            due = ob.due or reached
            early = self.rng.randint(0, max(0, min(3, (due - reached).days)))
            if mode == "on_time":
                day = due - dt.timedelta(days=early)
                while not is_workday(day) and day > reached:
                    day -= dt.timedelta(days=1)  # paid by the working day before a due date on a holiday
                events.append((day, ob.seq, None))
            elif mode == "late":
                events.append((due + dt.timedelta(days=self.rng.randint(3, 20)), ob.seq, None))
            elif mode == "partial" and ob.amount is not None:
                part = max(100, int(ob.amount * self.rng.uniform(0.3, 0.6)) // 100 * 100)
                if part >= ob.amount:
                    part = ob.amount // 2
                events.append((due - dt.timedelta(days=early), ob.seq, part))
                events.append((due + dt.timedelta(days=self.rng.randint(5, 30)), ob.seq, None))
            else:
                all_paid = False
        events.sort()
        visited = False
        for day, seq, amount in events:
            if not visited and (day - reached).days > 25:
                # The follow-up clock runs 30 days from the agreement: a 回访 while the instalments run.
                f.do_on(reached + dt.timedelta(days=self.rng.randint(12, 22)), c.recorder, "follow_up", {
                    "method": "phone", "satisfaction": "basically", "performance": "义务人正在按约定分期履行",
                    "notes": "提醒义务人按期履行"}, as_assigned=True)
                visited = True
            ob = next(o for o in obligations if o.seq == seq)
            proof = "photo" if ob.amount is None else "transfer" if (amount or ob.amount) >= 5000 else "receipt"
            f.do_on(day, c.recorder, "record_performance", _performance_data(seq, amount, proof), as_assigned=True)
        return all_paid and f.open


    # --- scenarios ------------------------------------------------------------------------------

    def village_mediated(self, *, stall: bool | str = False, escalate: int = 0, fail: bool = False, withdraw: bool = False,
                         at: dt.datetime | None = None, channel: str | None = None, reopen: bool = False,
                         region: Region | None = None, other: dict[str, Any] | None = None,
                         scenario: str | None = None, risk: bool = False) -> Flow:
        """A village or community committee registers a dispute, accepts it, mediates it itself (就地调解);
        one it cannot settle goes up to the township (and from there to the district)."""
        region = region or self.village()
        head = f"v{region.code}"
        c = self.committee(f"v.{region.code}")
        channel = channel or self.rng.choices(("visit", "phone", "letter"), weights=(78, 16, 6))[0]
        body, words = self.dispute(channel, region, other=other)
        name = scenario or ("village_escalated" if escalate else ("village_failed" if fail else "village"))
        f = self.new(name, head, body, at or self.received(), township=region.code[:9])
        f.do(head, "accept", {"notice": "已受理您的调解申请，村调委会将组织双方调解。"}, days=(0, 1))
        f.do(head, "route", {"to": "mediation", "unit": self.d.u(f"v.{region.code}"), "consent": True,
                             "task": "村调委会就地调解"}, days=(0, 0))
        if withdraw:
            self.mediate(f, c, body, words, withdraw=True)
            return f
        if escalate:
            tk = self.tk(region)
            self.assign(f, c, body)
            self.sessions(f, c, body, words, "adjourned", count=1)
            f.do(head, "escalate", {"to_unit": self.d.u(f"{tk}.committee"),
                                    "reason": "双方分歧较大，村调委会调解未果，报请乡镇（街道）调委会调处"}, days=(3, 12))
            f.do(f"{tk}_head", "receive", {"note": "已签收，安排专职调解员调处"}, days=(0, 2))
            tc = self.committee(f"{tk}.committee")
            if escalate > 1:
                self.assign(f, tc, body)
                self.sessions(f, tc, body, words, "adjourned", count=1)
                f.do(f"{tk}_head", "escalate", {"to_unit": self.d.u("district_committee"),
                                                "reason": "涉及金额较大、矛盾易激化，报请区人民调解委员会调处"}, days=(5, 15))
                f.do("head", "receive", {"note": "已签收，由区调委会专职调解员调处"}, days=(0, 2))
                self.mediate(f, self.committee("district_committee"), body, words, success=1.0)
            else:
                self.mediate(f, tc, body, words, success=0.9)
            return f
        if fail:
            self.mediate(f, c, body, words, success=0.0, close=0.95,
                         fail_next=self.rng.choice(("litigation", "litigation", "arbitration")))
            return f
        self.mediate(f, c, body, words, success=1.0, stall=stall, close=0.85, reopen=reopen, risk=risk)
        return f

    def campaign_window(self) -> tuple[dt.date, dt.date]:
        """The article's special campaign ran May–August: the latest May–August of the demo's year that
        ends six weeks before its last day, else the four months from the year's second month."""
        for y in (self.last.year, self.last.year - 1):
            start, end = dt.date(y, 5, 1), dt.date(y, 8, 31)
            if start >= self.first and end <= self.last - dt.timedelta(days=45):
                return start, end
        start = (self.first + dt.timedelta(days=31)).replace(day=1)
        month = start.month + 4
        end = dt.date(start.year + (month - 1) // 12, (month - 1) % 12 + 1, 1) - dt.timedelta(days=1)
        return start, end

    def campaign(self) -> None:
        """访调对接专项活动 (the article): 45 screening rounds (排摸) by the committees find 60 disputes, which
        the committees take up at once (提前介入) and mediate: 58 settled, 2 of them collective, and 2 not;
        one settled agreement is paid in instalments and judicially confirmed by the district court."""
        start, end = self.campaign_window()
        span = (end - start).days
        twice = set(self.rng.sample(range(45), 15))  # 15 rounds find two disputes: 45 rounds, 60 disputes
        slots = list(range(1, 60))
        failed = set(self.rng.sample(slots, 2))
        collective = set(self.rng.sample([s for s in slots if s not in failed], 2))
        n = 0
        held: set[tuple[str, dt.date]] = set()  # (committee, day): one round each
        for r in range(45):
            township = self.rng.choices(self.townships, weights=self.weights)[0]
            tk = self.d.township_key[township]
            day = self.next_workday(start + dt.timedelta(days=span * r // 45 + self.rng.randint(0, 2)))
            village_round = self.rng.random() < 0.35
            home = self.village(township)
            by = f"v.{home.code}" if village_round else f"{tk}.committee"
            while (by, day) in held:
                day = self.next_workday(day + dt.timedelta(days=1))
            held.add((by, day))
            for _ in range(2 if r in twice else 1):
                region = home if village_round else self.village(township)
                unit = f"v.{region.code}" if village_round else f"{tk}.committee"
                c = self.committee(unit)
                if n == 0:  # the confirmed one: a debt of goods paid in three instalments
                    body, words = self.dispute("screening", region, category="contract", pick=0)
                elif n in collective:
                    body, words = self.dispute("screening", region, category="labour", pick=0,
                                               headcount=self.rng.randint(6, 30))
                else:
                    body, words = self.dispute("screening", region)
                f = self.new("screening", c.head, body, self.office_time(day), township=township)
                f.do(c.head, "intervene", {"unit": self.d.u(unit), "consent": True,
                                           "note": "矛盾纠纷排查发现，双方同意调解，调委会提前介入"}, days=(0, 0))
                if n == 0:
                    self.mediate(f, c, body, words, success=1.0, form="written", signed=True, pay="on_time",
                                 confirm=Confirm("court", "court"), close=1.0, archive=1.0)
                else:
                    self.mediate(f, c, body, words, success=0.0 if n in failed else 1.0, form="written" if n in collective else None)
                n += 1

    def township_dispute(self, *, returned: bool = False, stall_transfer: bool = False, at: dt.datetime | None = None,
                         region: Region | None = None, category: str | None = None, pick: int | None = None,
                         other: dict[str, Any] | None = None, scenario: str = "township_dispute",
                         confirm: Confirm | None = None, refused: bool = False,
                         texts: dict[str, str] | None = None) -> Flow:
        """The sub-centre's window registers a dispute and hands it to the township committee (移交单)."""
        if returned:
            pro = self.rng.choice(sorted(PROFESSIONAL))
            category = PROFESSIONAL[pro]
        else:
            pro = ""
        region = region or self.village()
        tk = self.tk(region)
        body, words = self.dispute("visit", region, category=category, pick=pick, other=other)
        if texts:
            words.update({k: v.format(**words) for k, v in texts.items() if k in ("remedy", "amt", "money")})
            body.update({k: v.format(**words) for k, v in texts.items() if k in ("title", "description", "demands")})
            body["amount"] = words["amt"] or None
        f = self.new(scenario, f"{tk}_clerk", body, at or self.received(), township=region.code[:9])
        f.do(f"{tk}_clerk", "transfer", {"to_unit": self.d.u(f"{tk}.committee"), "note": "窗口受理，移交调委会调解"})
        if stall_transfer:
            return f  # never signed for: the 5-working-day objection clock runs out
        if returned:
            f.do(f"{tk}_head", "return", {"reason": RETURN_REASONS[pro]}, days=(1, 3))
            f.do(f"{tk}_clerk", "transfer", {"to_unit": self.d.u(pro), "note": "按退回意见移交专业调委会"}, days=(0, 1))
            head = f"{dict(PRO_LOGINS)[pro]}_head"
            f.do(head, "receive", {"note": "已签收"}, days=(0, 2))
            f.do(head, "accept", {}, days=(0, 1))
            f.do(head, "route", {"to": "mediation", "unit": self.d.u(pro), "consent": True}, days=(0, 1))
            self.mediate(f, self.committee(pro), body, words, success=0.85)
            return f
        f.do(f"{tk}_head", "receive", {"note": "已签收"}, days=(0, 2))
        f.do(f"{tk}_head", "accept", {}, days=(0, 1))
        f.do(f"{tk}_head", "route", {"to": "mediation", "unit": self.d.u(f"{tk}.committee"), "consent": True,
                                     "task": "双方同意调解"}, days=(0, 1))
        c = self.committee(f"{tk}.committee")
        if refused:
            # 人民调解法 第17条: one party refuses outright — no mediation; the parties are told their routes.
            f.do(c.recorder, "record_notice", _refusal_data(1, "被申请人表示不同意调解，要求通过诉讼解决"), days=(1, 3))
            f.do(c.head, "close", {"note": "一方明确拒绝调解，已告知依法通过诉讼解决"}, days=(0, 2))
            return f
        if confirm is not None:
            self.mediate(f, c, body, words, success=1.0, form="written", signed=True, instalments=1, pay="on_time",
                         confirm=confirm, close=1.0, archive=1.0)
            return f
        self.mediate(f, c, body, words, success=0.88)
        return f

    def professional(self) -> Flow:
        """The centre's window hands a dispute to a professional committee (医调委、交调委 …)."""
        pro = self.rng.choice(sorted(PROFESSIONAL))
        region = self.village()
        body, words = self.dispute("visit", region, category=PROFESSIONAL[pro])
        head = f"{dict(PRO_LOGINS)[pro]}_head"
        f = self.new("professional", "clerk", body, self.received(), township=region.code[:9])
        f.do("clerk", "transfer", {"to_unit": self.d.u(pro), "note": "专业性纠纷，移交行业性专业性调委会"})
        f.do(head, "receive", {"note": "已签收"}, days=(0, 2))
        f.do(head, "accept", {}, days=(0, 1))
        f.do(head, "route", {"to": "mediation", "unit": self.d.u(pro), "consent": True}, days=(0, 1))
        self.mediate(f, self.committee(pro), body, words, success=0.85,
                     fail_next="arbitration" if pro == "pro.labour" else "litigation")
        return f

    def handle_by_dept(self, f: Flow, body: dict[str, Any], words: dict[str, str], pick: Petition, *, sender: str,
                       stall: bool = False, extend: bool = False, returned: bool = False,
                       co: int | None = None) -> None:
        """Route to the lead department with co-units (联动化解), sign for, co-replies, reply, close."""
        dept = pick.dept
        if co is None:
            co = self.rng.choices((0, 1, 2), weights=(60, 30, 10))[0]
        others = [k for k, _ in DEPTS if k != dept]
        co_keys = self.rng.sample(others, co)
        login = dict(DEPTS)
        if returned:
            wrong = self.rng.choice([k for k in others if k not in co_keys])
            f.do(sender, "route", {"to": "handling", "unit": self.d.u(wrong), "task": "请依职责办理并答复信访人"}, days=(0, 2))
            f.do(f"{login[wrong]}_officer", "return", {"reason": self.rng.choice(DEPT_RETURN_REASONS)}, days=(1, 4))
        f.do(sender, "route", {"to": "handling", "unit": self.d.u(dept), "co_units": [self.d.u(k) for k in co_keys],
                               "task": "请牵头调查处理，协办单位配合，按期出具信访处理意见书"}, days=(0, 2))
        officer = f"{login[dept]}_officer"
        f.do(officer, "receive", {"note": "已签收，按期办理"}, days=(0, 3))
        for k in co_keys:
            f.do(f"{login[k]}_officer", "co_reply", {"reply": "已按职责完成调查核实，提出协办意见，请牵头单位统筹答复。"},
                 days=(3, 15))
        if stall:
            f.do("leader", "supervise", {"note": "该事项办理时间较长，请加快办理进度，按期答复信访人。"}, days=(50, 58))
            self.reply(f, officer, body, words, days=(40, 70), dept_name=self.d.units[dept].name)
        elif extend:
            f.do(f"{login[dept]}_leader", "extend", {"days": self.rng.choice((15, 20, 30)),
                                                     "reason": "情况复杂，需会同多个部门现场核查，经负责人批准延长办理期限"},
                 days=(35, 45))
            self.reply(f, officer, body, words, days=(20, 35), dept_name=self.d.units[dept].name)
        else:
            self.reply(f, officer, body, words, days=(10, 40), dept_name=self.d.units[dept].name)
        f.do(officer, "close", {"note": "已送达信访处理意见书"}, days=(1, 6))

    def petition_district(self, *, stall: bool = False, extend: bool = False, returned: bool = False,
                          collective: bool = False, at: dt.datetime | None = None) -> Flow:
        """A petition to the district 信访局, answered by the lead department (信访处理意见书)."""
        channel = self.rng.choices(("letter", "online", "hotline_12345", "visit", "phone", "fax"), weights=(30, 30, 15, 15, 7, 3))[0]
        if collective:
            channel = "visit"
        region = self.village()
        body, words, pick = self.petition(channel, region, headcount=self.rng.randint(6, 40) if collective else 1,
                                          nature="claim" if collective else None)
        f = self.new("petition_district", "officer", body, at or self.received(office=channel not in ("online", "hotline_12345")),
                     township=region.code[:9])
        self.petitions.append(f.s)
        f.s.petitioner = body["parties"][0]
        f.do("officer", "accept", {"notice": "您的信访事项已受理，将在60日内办结并书面答复。"}, days=(0, 4))
        if collective:
            f.do("officer", "report_major", {"note": f"{body['headcount']}人集体来访，已做好稳控和疏导工作"}, days=(0, 0))
        self.handle_by_dept(f, body, words, pick, sender="officer", stall=stall, extend=extend, returned=returned)
        return f

    def petition_township(self, *, review: bool = False, re_review: bool = False, hearing: bool = False,
                          stall: bool = False, region: Region | None = None, at: dt.datetime | None = None) -> Flow:
        """A petition handled by the township 信访办 itself, with a district department as co-unit."""
        region = region or self.village()
        tk = self.tk(region)
        via_window = self.rng.random() < 0.5
        channel = "visit" if via_window else self.rng.choice(("letter", "visit", "phone", "online"))
        body, words, pick = self.petition(channel, region)
        clerk, officer = f"{tk}_clerk", f"{tk}_officer"
        f = self.new("petition_review" if review else "petition_township", clerk if via_window else officer, body,
                     at or self.received(office=channel != "online"), township=region.code[:9])
        self.petitions.append(f.s)
        f.s.petitioner = body["parties"][0]
        if via_window:
            f.do(clerk, "transfer", {"to_unit": self.d.u(f"{tk}.petition_office"), "note": "窗口登记，移交信访办办理"})
            f.do(officer, "receive", {}, days=(0, 2))
        f.do(officer, "accept", {"notice": "您的信访事项已受理。"}, days=(0, 3))
        co = [] if self.rng.random() < 0.5 else [self.d.u(pick.dept)]
        f.do(officer, "route", {"to": "handling", "unit": self.d.u(f"{tk}.petition_office"), "co_units": co,
                                "task": "请协助调查核实"}, days=(0, 1))
        if co:
            f.do(f"{dict(DEPTS)[pick.dept]}_officer", "co_reply", {"reply": "已派员现场核查，情况已书面反馈。"}, days=(3, 15))
        self.reply(f, officer, body, words, days=(60, 90) if stall else (8, 40), dept_name=self.d.units[f"{tk}.petition_office"].name,
                   outcome="reject" if review else None)
        f.do(officer, "close", {"note": "已送达信访处理意见书"}, days=(1, 4))
        if review:
            f.do("officer", "request_review", {"organ": self.d.u("petition_bureau"), "requested_on": None,
                                               "reasons": "信访人对处理意见不服，请求复查"}, days=(3, 15))
            f.do("officer", "answer_review", {"outcome": "reject", "opinion": "经复查，原处理意见认定事实清楚、适用依据正确，予以维持。"},
                 days=(10, 25))
            f.do("officer", "close", {"note": "已送达复查意见书"}, days=(1, 3))
            if re_review:
                f.do("city_clerk", "request_re_review", {"organ": self.d.u("city"), "requested_on": None,
                                                         "reasons": "信访人对复查意见不服，请求复核"}, days=(3, 15))
                if hearing:
                    f.do("city_officer", "record_hearing", {"days": self.rng.randint(5, 10),
                                                            "note": "邀请人大代表、律师参加听证，听取信访人陈述"}, days=(5, 12))
                f.do("city_officer", "answer_re_review", {"outcome": "reject",
                                                          "opinion": "经复核，复查意见正确，予以维持。复核后同一事实和理由不再受理。"},
                     days=(8, 20))
                f.do("city_officer", "close", {"note": "信访程序终结"}, days=(1, 3))
        return f

    def petition_mediation(self) -> Flow:
        """调解前置: a civil claim petition goes to the district committee or the 信访调解室 with consent."""
        region = self.village()
        body, words, pick = self.petition(self.rng.choice(("visit", "letter", "online")), region, nature="claim", civil=True)
        f = self.new("petition_mediation", "officer", body, self.received(), township=region.code[:9])
        self.petitions.append(f.s)
        f.s.petitioner = body["parties"][0]
        unit = "petition_room" if self.rng.random() < 0.5 else "district_committee"
        c = self.committee(unit)
        f.do("officer", "accept", {}, days=(0, 3))
        f.do("officer", "route", {"to": "mediation", "unit": self.d.u(unit), "consent": True,
                                  "task": "当事人同意调解，请组织调解（访调对接）"}, days=(0, 1))
        f.do(c.head, "receive", {"note": "已接收移交单，启动调解程序"}, days=(0, 2))
        self.petition_remedy(words, body)
        ok = self.mediate(f, c, body, words, success=0.85, close=0.9, fail_next="handling", close_failed=False)
        if not ok:
            # 调解不成，转回信访办理: the failed mediation returns to the unit that sent it.
            self.handle_by_dept(f, body, words, pick, sender="officer")
        return f

    def petition_remedy(self, words: dict[str, str], body: dict[str, Any]) -> None:
        """What a petition settled by mediation is settled with (and whether money is paid)."""
        if len(body["parties"]) > 1 and words.get("amt"):
            words["remedy"] = (f"相关方于一个月内就“{body['title']}”反映的问题落实整改，并一次性给予信访人补偿{words['amt']}元，"
                               "信访人撤回信访诉求")
            words["money"] = "1"
        else:
            words["remedy"] = f"相关方就“{body['title']}”反映的问题于一个月内落实整改，信访人撤回信访诉求"
            words["money"] = ""

    def not_accepted(self) -> Flow:
        region = self.village()
        township = self.rng.random() < 0.4
        actor = f"{self.tk(region)}_officer" if township else "officer"
        body, _w, _p = self.petition(self.rng.choice(("letter", "visit", "online")), region, nature="claim")
        f = self.new("not_accepted", actor, body, self.received(), township=region.code[:9])
        reason, channel = self.rng.choice(REJECTIONS)
        f.do(actor, "reject", {"reason": reason, "channel": channel}, days=(0, 5))
        f.do(actor, "close", {"note": "已书面告知不予受理及依法解决的途径"}, days=(0, 3))
        return f

    def diverted(self) -> Flow:
        region = self.village()
        body, _w, _p = self.petition(self.rng.choice(("letter", "visit", "online")), region, nature="claim")
        f = self.new("diverted", "officer", body, self.received(), township=region.code[:9])
        route, note = self.rng.choice(DIVERSIONS)
        f.do("officer", "accept", {}, days=(0, 3))
        f.do("officer", "divert", {"route": route, "note": note}, days=(0, 5))
        f.do("officer", "close", {"note": "诉访分离，已导入法定途径"}, days=(0, 3))
        return f

    def forwarded(self) -> Flow:
        region = self.village()
        body, _w, _p = self.petition(self.rng.choice(("letter", "online", "hotline_12345")), region)
        f = self.new("forwarded", "officer", body, self.received(office=False), township=region.code[:9])
        authority, reason = self.rng.choice(AUTHORITIES)
        f.do("officer", "forward", {"authority": authority, "reason": reason}, days=(0, 5))
        f.do("officer", "close", {"note": f"已转送{authority}"}, days=(0, 3))
        return f

    def accusation(self) -> Flow:
        region = self.village()
        title, facts, demands, accused = self.rng.choice(ACCUSATIONS)
        words = {"dept": self.d.units[accused].name, "place": region.name}
        body = {"channel": self.rng.choice(("letter", "online")), "kind": "petition", "nature": "accusation",
                "region": region.code, "title": title.format(**words), "description": facts.format(**words),
                "demands": demands, "accused_unit": self.d.u(accused), "parties": [self.person(region, with_id=0.6)]}
        f = self.new("accusation", "officer", body, self.received(office=False), township=region.code[:9])
        f.do("officer", "accept", {}, days=(0, 3))
        f.do("officer", "route", {"to": "handling", "unit": self.d.u("discipline"), "task": "检举控告类事项，请依规核查处理"},
             days=(0, 2))
        f.do("jiwei_officer", "receive", {}, days=(0, 3))
        self.reply(f, "jiwei_officer", body, words, days=(20, 50), dept_name=self.d.units["discipline"].name)
        f.do("jiwei_officer", "close", {}, days=(1, 5))
        return f

    def skip_level(self, *, at: dt.datetime | None = None) -> Flow:
        """越级: a visit to the city bureau about a village matter of 黄岩, sent down to the district."""
        region = self.village()
        tk = self.tk(region)
        body, words, pick = self.petition("visit", region, nature="claim")
        f = self.new("skip_level", "city_clerk", body, at or self.received(), township=region.code[:9])
        f.s.petitioner = body["parties"][0]
        f.do("city_clerk", "transfer", {"to_unit": self.d.u("petition_bureau"), "note": "属地事项，转黄岩区信访局办理"}, days=(0, 2))
        f.do("officer", "receive", {}, days=(0, 3))
        f.do("officer", "accept", {}, days=(0, 2))
        f.do("officer", "route", {"to": "handling", "unit": self.d.u(f"{tk}.petition_office"), "task": "请属地乡镇（街道）办理"},
             days=(0, 2))
        f.do(f"{tk}_officer", "receive", {}, days=(0, 3))
        self.reply(f, f"{tk}_officer", body, words, days=(10, 45), dept_name=self.d.units[f"{tk}.petition_office"].name)
        f.do(f"{tk}_officer", "close", {}, days=(1, 4))
        return f

    def repeat(self, original: Script | None = None, *, gap: tuple[int, int] = (15, 120)) -> Flow | None:
        """同人同事: the same petitioner raises the same matter again, at the district."""
        if original is None:
            pool = [s for s in self.petitions if s.petitioner and s.petitioner.get("id_number")]
            if not pool:
                return None
            original = self.rng.choice(pool)
        first = original.steps[0].at
        day = timezone.localtime(first).date() + dt.timedelta(days=self.rng.randint(*gap))
        if day > self.last:
            return None
        region = self.d.regions[original.region]
        orig_body = original.steps[0].data
        body = {**orig_body, "channel": "visit", "parties": [dict(original.petitioner or {})], "headcount": 1,
                "occurred_on": orig_body.get("occurred_on")}
        body["oral_record"] = f"来访人{body['parties'][0]['name']}再次反映：{orig_body['description']}"
        f = self.new("repeat", "officer", body, self.received(day), township=region.code[:9])
        f.do("officer", "reject", {"reason": "同一信访事项已依法受理办理，信访人以同一事实和理由重复提出，不再重复受理",
                                   "channel": "other"}, days=(0, 2), only_if=frozenset({"registered"}))
        f.do("officer", "close", {"note": "重复信访，已告知办理情况"}, days=(0, 2), only_if=frozenset({"not_accepted"}))
        return f

    # --- the article's two cases ------------------------------------------------------------------

    def lvcheng(self) -> Flow:
        """7月24日: 200多名绿城业主 at the centre's window about property fees; 信访调解室 mediates."""
        y = self.last.year if dt.date(self.last.year, 7, 24) <= self.last - dt.timedelta(days=40) else self.last.year - 1
        day = self.next_workday(dt.date(y, 7, 24))
        region = self.d.regions[[code for code, r in self.d.regions.items() if r.name == district.GREEN_CITY[1]][0]]
        reps = [self.person(region, representative=True, age=(35, 70)) for _ in range(5)]
        company = {"role": "respondent", "type": "organisation", "name": "台州市澄衡物业服务有限公司"}
        facts = ("绿城社区200余名业主集体到区矛盾纠纷综合化解中心信访接待窗口反映：小区物业服务企业在合同期满后单方面上调物业费，"
                 "且保洁、绿化、安保服务不到位，公共收益去向不明，业主拒交物业费，物业企业以停止部分服务相催缴，矛盾有激化苗头。")
        body = {
            "channel": "visit", "kind": "petition", "nature": "claim", "category": "property", "region": region.code,
            "title": "绿城社区200余名业主反映物业费收取不合理", "description": facts,
            "oral_record": f"业主代表{reps[0]['name']}等五人代表200余名业主口述：{facts}",
            "demands": "请求物业企业公开公共收益和物业费收支情况，按原标准收取物业费并整改服务质量。",
            "headcount": 200, "parties": [*reps, company],
            "occurred_on": (day - dt.timedelta(days=20)).isoformat(),
        }
        f = self.new("lvcheng", "clerk", body, self.office_time(day).replace(hour=9, minute=20), township=region.code[:9])
        f.do("clerk", "transfer", {"to_unit": self.d.u("petition_bureau"), "note": "集体访，移交区信访局即时处置"})
        f.do("officer", "receive", {"note": "已签收，即时处置"})
        f.do("officer", "accept", {"notice": "已当场书面告知业主代表：事项已受理。"})
        f.do("officer", "report_major", {"note": "绿城社区200余名业主集体来访，已安排5名代表反映诉求，现场秩序平稳"})
        f.do("officer", "route", {"to": "mediation", "unit": self.d.u("petition_room"), "consent": True,
                                  "task": "业主代表与物业企业均同意调解，请信访调解室立即启动调解程序"})
        f.do("room_head", "receive", {"note": "已接收移交单，立即启动调解程序"})
        f.do("leader", "supervise", {"note": "集体访事项，请信访调解室会同住建局、东城街道抓紧化解"}, days=(1, 1))
        c = self.committee("petition_room")
        self.assign(f, c, body)
        self.risk(f, c, body)
        self.opinion(f, c, body, login="expert_property")
        words = {"remedy": "一、物业企业公开近两年公共收益及物业费收支明细；二、物业费维持原收费标准，调价须经业主大会依法表决；"
                           "三、物业企业限期整改保洁、绿化、安保服务；四、业主按原标准缴纳物业费",
                 "category": "property", "amt": "", "money": ""}
        self.sessions(f, c, body, words, "agreed", count=2, no_show=False)
        obligations = self.agree(f, c, body, words, form="written", signed=True, obligor=5, acts=(
            ("公开近两年公共收益及物业费收支明细", 15), ("整改保洁、绿化、安保服务并接受业主代表验收", 30)))
        self.after_agreement(f, c, body, words, obligations, pay="on_time", close=1.0, archive=1.0)
        return f

    def ningxi(self) -> Flow:
        """宁溪镇村民王某某: the neighbour's new house cracked his wall; a backlog petition (信访积案) with a
        responsible leader, mediated on the spot by the 宁溪镇 committee with 宁溪中心司法所 after a building
        expert's opinion, and confirmed at the 宁溪 tribunal the same day; the compensation paid at once."""
        region = self.village(district.NINGXI_CODE, community=False)
        tk = self.tk(region)
        day = self.next_workday(self.first + dt.timedelta(days=100))
        petitioner = self.person(region, surname="王", age=(50, 75))
        neighbour = self.person(region, role="respondent", with_id=1.0)
        facts = (f"{petitioner['name']}反映，邻居{neighbour['name']}前年翻建住房时未采取防护措施，致其家老屋墙面多处开裂、"
                 "屋顶渗漏，曾多次向村、镇反映，赔偿问题一直未能解决，系信访积案。")
        body = {
            "channel": "visit", "kind": "petition", "nature": "claim", "category": "neighbour", "region": region.code,
            "title": "邻居建房造成自家墙面开裂要求赔偿", "description": facts, "oral_record": f"来访人口述：{facts}",
            "demands": f"请求{neighbour['name']}赔偿房屋修复费用。", "amount": "36000", "parties": [petitioner, neighbour],
            "occurred_on": (day - dt.timedelta(days=500)).isoformat(),
        }
        f = self.new("ningxi", f"{tk}_officer", body, self.office_time(day), township=region.code[:9])
        f.do(f"{tk}_officer", "accept", {"notice": "您反映的事项已受理。"}, days=(0, 1))
        f.do("leader", "mark_backlog", {"reason": "多次到村、镇反映，赔偿问题长期未解决，列为信访积案，实行领导包案",
                                        "responsible_leader": self.d.users["zfw_leader"].pk}, days=(0, 2))
        f.do(f"{tk}_officer", "route", {"to": "mediation", "unit": self.d.u(f"{tk}.committee"), "consent": True,
                                        "task": "信访积案，双方同意调解，请镇调委会会同宁溪中心司法所调处"}, days=(0, 1))
        f.do(f"{tk}_head", "receive", {"note": "已签收，会同宁溪中心司法所调处"}, days=(0, 1))
        c = self.committee(f"{tk}.committee")
        self.assign(f, c, body)
        self.opinion(f, c, body, login="expert_build")
        words = {"remedy": f"{neighbour['name']}一次性赔偿{petitioner['name']}房屋修复费用28000元，于协议签订之日当场支付；"
                           "双方今后和睦相处", "amt": "28000", "money": "1", "category": "neighbour"}
        # On the spot in the morning; agreement, application and the tribunal's decision the same day.
        session_day = timezone.localtime(f.peek((3, 8))).date()
        f.do_at(timezone.make_aware(dt.datetime.combine(session_day, dt.time(9, 10))), c.recorder, "record_session", {
            "held": True, "on_site": True, "place": f"{region.name}{petitioner['name']}家（就地调解）",
            "participants": "宁溪中心司法所干部、村调委会主任", "applicant_statement": facts,
            "respondent_statement": f"{neighbour['name']}承认建房时未采取防护措施，同意赔偿，但认为对方要价偏高。",
            "evidence": "现场查看墙体裂缝，参考建筑工程专家的书面意见核定修复费用。", "risk_warning": RISK_WARNINGS,
            "proposal": words["remedy"], "outcome": "agreed",
        }, as_assigned=True)
        obligations = self.agree(f, c, body, words, form="written", signed=True, instalments=1, immediate=True)
        if obligations is not None:
            self.confirm(f, c, Confirm("tribunal.宁溪", "court_ningxi", same_day=True))
        self.after_agreement(f, c, body, words, obligations, pay="on_time", close=1.0, archive=1.0)
        return f

    # --- the backlog (信访积案) and the conflicts (回避) ----------------------------------------------

    BACKLOG_LEADERS: ClassVar[tuple[str, ...]] = ("zfw_leader", "xfj_leader", "sfj_leader")

    def backlog(self, mode: str, at: dt.datetime) -> Flow:
        """信访积案: a long-standing petition the centre's leader marks with a responsible leader (包案), then
        resolves — mostly through mediation with a lawyer or the chief mediation expert (the article), some
        by the department's written answer; `open_*` ones are still being worked at today."""
        region = self.village()
        tk = self.tk(region)
        body, words, pick = self.petition(self.rng.choice(("visit", "letter")), region, nature="claim", civil=True)
        body["description"] += "信访人自数年前起多次到乡镇、区里反映，问题一直未能化解。"
        f = self.new("backlog", "officer", body, at, township=region.code[:9])
        f.do("officer", "accept", {"notice": "您的信访事项已受理。"}, days=(0, 3))
        leader = self.BACKLOG_LEADERS[len(self.scripts) % 3] if self.rng.random() < 0.7 else f"{dict(DEPTS)[pick.dept]}_leader"
        f.do("leader", "mark_backlog", {"reason": "同一事项多年反复信访，列为信访积案，实行领导包案化解",
                                        "responsible_leader": self.d.users[leader].pk}, days=(1, 5))
        if mode == "open_marked":
            return f
        if mode in ("handle", "open_handling"):
            self.handle_by_dept(f, body, words, pick, sender="officer", stall=mode == "open_handling", co=1)
            return f
        unit = {"room": "petition_room", "district": "district_committee"}.get(mode.removeprefix("open_"), f"{tk}.committee")
        c = self.committee(unit)
        f.do("officer", "route", {"to": "mediation", "unit": self.d.u(unit), "consent": True,
                                  "task": "信访积案，包案领导协调，请组织调解化解"}, days=(1, 5))
        f.do(c.head, "receive", {"note": "已接收移交单，启动调解程序"}, days=(0, 2))
        self.petition_remedy(words, body)
        if mode.startswith("open_"):
            self.assign(f, c, body)
            self.opinion(f, c, body, login="expert_chief", answer=False)
            return f
        self.mediate(f, c, body, words, success=1.0, opinion="expert" if self.rng.random() < 0.5 else "expert_chief",
                     pay="on_time", instalments=1, close=1.0, archive=0.9)
        return f

    def backlog_cases(self) -> None:
        """22 resolved in the year (the article: 已成功化解信访积案22件), with 宁溪; three still open."""
        modes = ["room"] * 7 + ["district"] * 4 + ["township"] * 5 + ["handle"] * 5
        for i, mode in enumerate(modes):
            self.backlog(mode, self.received(self.first + dt.timedelta(days=10 + i * 9)))
        self.backlog("open_room", self.received(self.last - dt.timedelta(days=25)))
        self.backlog("open_handling", self.received(self.last - dt.timedelta(days=75)))
        self.backlog("open_marked", self.received(self.last - dt.timedelta(days=14)))

    def conflicts(self) -> None:
        """Disputes in which a mediator must step aside (人民调解法 第15条): the other party is a relative a
        village chair declared; a village committee is itself the other party; the other party is the
        employer of a part-time township mediator. The head assigns the best mediator without a conflict."""
        p = self.d.plan
        if p is not None and p.relations:
            rel = next((r for r in p.relations if r.unit.startswith("v.")), p.relations[0])
            if rel.unit.startswith("v."):
                region = self.d.regions[rel.unit[2:]]
                other = {"role": "respondent", "type": "person", "name": rel.name, "id_number": rel.id_number,
                         "phone": rel.phone, "address": self.address(region), "village": region.code}
                self.village_mediated(region=region, other=other, scenario="conflict_relation",
                                      at=self.received(self.first + dt.timedelta(days=60)))
        region = self.village(self.townships[8], community=False)  # 院桥镇
        body_other = {"role": "respondent", "type": "organisation", "name": f"{region.name}村民委员会",
                      "address": f"台州市黄岩区院桥镇{region.name}"}
        self.township_dispute(region=region, category="land_forest", pick=1, other=body_other, scenario="conflict_village",
                              at=self.received(self.first + dt.timedelta(days=75)), texts={
                                  "amt": "12000", "money": "1", "title": "村委会收回承包地引发补偿纠纷",
                                  "description": "{p}反映，{o}以村庄规划调整为由收回其承包的两亩责任田，补偿标准未与其协商，"
                                                 "双方多次交涉未果。",
                                  "demands": "请求{o}给予补偿{amt}元或调换同等面积的耕地。",
                                  "remedy": "{o}一次性补偿{p}青苗及地力损失{amt}元，并于明年春耕前调换同等面积耕地"})
        employer = next((m for m in (p.mediators if p else ()) if m.employer and m.unit == "t05.committee"), None)
        if employer is not None:
            region = self.village(self.townships[4])
            other = {"role": "respondent", "type": "organisation", "name": employer.employer}
            self.township_dispute(region=region, category="labour", pick=0, other=other, scenario="conflict_employer",
                                  at=self.received(self.first + dt.timedelta(days=90)))

    # --- the whole year -----------------------------------------------------------------------

    def showcase(self) -> None:
        """One of every path, placed so that each is visible whatever the year's size."""
        last = self.last
        self.lvcheng()
        self.ningxi()
        self.village_mediated(escalate=2)
        self.village_mediated(escalate=1)
        self.village_mediated(fail=True)
        self.village_mediated(withdraw=True)
        # Rounds stuck past their mediation period at today (one extended with both parties' consent).
        self.village_mediated(stall="stuck", at=self.received(last - dt.timedelta(days=60)))
        self.village_mediated(stall="stuck_extended", at=self.received(last - dt.timedelta(days=85)))
        self.village_mediated(reopen=True, at=self.received(self.first + dt.timedelta(days=40)))  # 回访发现反复
        self.village_mediated(risk=True, at=self.received(self.first + dt.timedelta(days=120)))  # 激化风险
        self.campaign()
        self.backlog_cases()
        self.conflicts()
        # The third judicial confirmation: a traffic accident settled at 院桥, confirmed by the 院桥 tribunal.
        self.township_dispute(region=self.village(self.townships[8]), category="traffic", pick=0,
                              confirm=Confirm("tribunal.院桥", "court_yuanqiao"),
                              at=self.received(self.first + dt.timedelta(days=150)))
        self.township_dispute(refused=True)
        self.township_dispute(returned=True)
        self.township_dispute(stall_transfer=True, at=self.received(last - dt.timedelta(days=30)))
        self.professional()
        self.petition_district(collective=True)
        self.petition_district(extend=True, at=self.received(last - dt.timedelta(days=200)))
        self.petition_district(returned=True)
        self.petition_district(stall=True, at=self.received(last - dt.timedelta(days=110)))
        self.petition_district(at=self.received(last - dt.timedelta(days=20)))  # open, in handling
        self.petition_township(review=True, re_review=True, hearing=True, at=self.received(self.first + dt.timedelta(days=20)))
        self.petition_township(review=True, at=self.received(self.first + dt.timedelta(days=60)))
        self.petition_mediation()
        self.not_accepted()
        self.not_accepted()
        self.diverted()
        self.forwarded()
        self.accusation()
        self.skip_level(at=self.received(last - dt.timedelta(days=150)))
        self.skip_level(at=self.received(last - dt.timedelta(days=8)))  # still open at the district
        # 同人同事: one repeat while the first case is still being handled (第19条第3款: recorded,
        # not accepted again), one after it was answered.
        pending = self.petition_township(stall=True, at=self.received(last - dt.timedelta(days=140)))
        self.repeat(pending.s, gap=(40, 60))
        answered = self.petition_township(at=self.received(self.first + dt.timedelta(days=30)))
        self.repeat(answered.s, gap=(150, 200))

    MIX: ClassVar[tuple[tuple[str, int], ...]] = (
        ("village", 52), ("village_escalated", 4), ("village_failed", 3), ("township_dispute", 7),
        ("professional", 4), ("petition_district", 9), ("petition_township", 7), ("petition_mediation", 3),
        ("not_accepted", 3), ("diverted", 2), ("forwarded", 2), ("accusation", 1), ("review", 1), ("repeat", 3),
        ("skip_level", 1), ("withdrawn", 1),
    )

    def one(self, kind: str) -> None:
        r = self.rng.random()
        match kind:
            case "village":
                self.village_mediated(stall=r < 0.03)
            case "village_escalated":
                self.village_mediated(escalate=2 if r < 0.25 else 1)
            case "village_failed":
                self.village_mediated(fail=True)
            case "withdrawn":
                self.village_mediated(withdraw=True)
            case "township_dispute":
                self.township_dispute(returned=r < 0.08, stall_transfer=0.08 <= r < 0.09)
            case "professional":
                self.professional()
            case "petition_district":
                self.petition_district(stall=r < 0.08, extend=0.08 <= r < 0.16, returned=0.16 <= r < 0.21,
                                       collective=0.21 <= r < 0.24)
            case "petition_township":
                self.petition_township(stall=r < 0.06)
            case "review":
                self.petition_township(review=True, re_review=r < 0.4, hearing=r < 0.15,
                                       at=self.received(self.first + dt.timedelta(days=self.rng.randrange(200))))
            case "petition_mediation":
                self.petition_mediation()
            case "not_accepted":
                self.not_accepted()
            case "diverted":
                self.diverted()
            case "forwarded":
                self.forwarded()
            case "accusation":
                self.accusation()
            case "skip_level":
                self.skip_level()
            case "repeat":
                if self.repeat() is None:
                    self.petition_township()
            case _:
                raise ValueError(kind)

    def plan(self, n: int) -> list[Script]:
        self.showcase()
        kinds = [k for k, _ in self.MIX]
        weights = [w for _, w in self.MIX]
        # Repeats need earlier petitions: draw the rest first, repeats last.
        draws = self.rng.choices(kinds, weights=weights, k=max(0, n - len(self.scripts)))
        for kind in sorted(draws, key=lambda k: k == "repeat"):
            self.one(kind)
        # Fill in the review requests' dates (the day they are registered).
        for s in self.scripts:
            for step in s.steps:
                if isinstance(step.data, dict) and "requested_on" in step.data and step.data["requested_on"] is None:
                    step.data["requested_on"] = timezone.localtime(step.at).date().isoformat()
        return self.scripts


# --- running the scripts -------------------------------------------------------------------


class DemoStepFailed(RuntimeError):
    pass


@dataclass
class CaseBuildResult:
    created: int = 0
    skipped: bool = False
    seconds: float = 0.0
    steps: int = 0
    failures: list[str] = field(default_factory=list)
    scenarios: Counter[str] = field(default_factory=Counter)
    tick: dict[str, int] = field(default_factory=dict)


def demo_case_logins() -> list[str]:
    """Usernames whose registrations mark the demo's cases (for the idempotency check)."""
    return ["clerk", "officer", "city_clerk"]


def already_loaded() -> bool:
    """True if the demo's cases exist: the marker event, or any case registered by a demo login."""
    if AuditEvent.objects.filter(action="demo.loaded", extra__part=MARKER_PART).exists():
        return True
    return Case.objects.filter(registered_by__username__in=demo_case_logins()).exists()


def _run(scripts: list[Script], directory: Directory, clock: type[SimulatedDatetime], *, strict: bool,
         log: Callable[[str], None]) -> tuple[int, int, list[str]]:
    order = sorted((step.at, s.key, i) for s in scripts for i, step in enumerate(s.steps))
    cases: dict[int, Case] = {}
    codes: dict[int, str] = {}  # case key → the petitioner's query code (shown once at registration)
    lead: dict[int, int] = {}  # case key → the lead mediator assigned last
    dead: set[int] = set()
    failures: list[str] = []
    done = 0
    report_every = max(1, len(order) // 4)
    for n, (at, key, i) in enumerate(order, start=1):
        if key in dead:
            continue
        s = scripts[key]
        step = s.steps[i]
        actor = directory.users[step.actor]
        clock.moment = at
        try:
            if step.action == "register":
                case, codes[key] = services.case_register(actor=actor, data=cast(dict[str, Any], step.data), received_at=at)
            elif step.action == PORTAL_RATE:  # the petitioner, on the portal, with the query code
                from fangtiao.portal.services import case_rate

                case = cases[key]
                if step.only_if is not None and case.status not in step.only_if:
                    continue
                case = case_rate(number=case.number, code=codes[key], satisfaction=cast(dict[str, Any], step.data)["satisfaction"],
                                 today=timezone.localdate(at))
            else:
                case = cases[key]
                if step.only_if is not None and case.status not in step.only_if:
                    continue
                data = step.data(case) if callable(step.data) else step.data
                if data is None:
                    continue
                if step.as_assigned and key in lead:
                    actor = _assigned_login(directory, lead[key], case) or actor
                case = services.case_act(case=case.pk, actor=actor, action=step.action,
                                         data={**data, "version": case.version})
                if step.action == "assign":
                    lead[key] = data["mediators"][0]
        except DomainError as exc:
            details = "；".join(f"{e.field}：{e.message}" for e in exc.errors)
            msg = f"{s.scenario}#{key} {step.action} by {actor.username}: {exc.detail} {details}".strip()
            if strict:
                raise DemoStepFailed(msg) from exc
            failures.append(msg)
            dead.add(key)
            continue
        cases[key] = case
        done += 1
        if n % report_every == 0:
            log(f"  已执行 {n}/{len(order)} 步")
    return len(cases), done, failures


def _assigned_login(directory: Directory, mediator_id: int, case: Case) -> User | None:
    """The login of the assigned mediator, if they have one at the unit holding the case."""
    username = directory.mediator_logins.get(mediator_id)
    user = directory.users.get(username) if username else None
    if user is None or user.unit_id != case.holder_unit_id:
        return None
    return user


def build_cases(p: district.Plan, *, n: int = DEFAULT_CASES, today: dt.date | None = None, strict: bool = False,
                password: str | None = None, log: Callable[[str], None] | None = None) -> CaseBuildResult:
    """Create the demo's year of cases unless they exist. One transaction."""
    say = log or (lambda _msg: None)
    if not MIN_CASES <= n <= MAX_CASES:
        raise ValueError(f"演示事项数量应在 {MIN_CASES}–{MAX_CASES} 之间（或 0：不生成）")
    result = CaseBuildResult()
    if already_loaded():
        result.skipped = True
        return result
    today = today or timezone.localdate()
    started = time.monotonic()
    _year_calendar.cache_clear()  # the administrators' holiday table may have changed since the last run
    ensure_reference_data()
    ensure_rules()
    with transaction.atomic():
        directory = load_directory(p, password=settings.DEMO_PASSWORD if password is None else password)
        planner = Planner(directory, seed=p.seed, today=today)
        scripts = planner.plan(n)
        result.scenarios = Counter(s.scenario for s in scripts)
        result.steps = sum(len(s.steps) for s in scripts)
        say(f"  已规划 {len(scripts)} 件事项、{result.steps} 个办理步骤（{time.monotonic() - started:.1f} 秒），正在按时间顺序办理……")
        with simulated_time() as clock, memoized_clock_lookups(planner.first, today), _quiet_gc():
            created, _done, failures = _run(scripts, directory, clock, strict=strict, log=say)
            # The worker's nightly run on the day of loading: overdue flags and notices.
            clock.moment = timezone.make_aware(dt.datetime.combine(today, dt.time(0, 5)))
            tick = {"overdue": 0, "due_soon": 0}
            for _ in range(1000):
                got = clock_tick(today=today)
                tick = {k: tick[k] + got[k] for k in tick}
                if not any(got.values()):
                    break
            # And the mediation jobs of the same run: session reminders, obligations due or overdue,
            # the daily backlog rule (信访积案 by the configurable rule).
            for _ in range(1000):
                got = mediation_services.tick(today=today, now=clock.moment)
                for k, v in got.items():
                    tick[k] = tick.get(k, 0) + v
                if not any(got.values()):
                    break
            first, last = demo_year(today)
            audit.record(actor=None, action="demo.loaded", region_path=directory.regions[district.DISTRICT[0]].path, extra={
                "part": MARKER_PART, "seed": p.seed, "cases": created, "from": first, "to": last,
                "failures": len(failures), **{f"status.{k}": v for k, v in status_counts().items()},
            })
    result.created = created
    result.failures = failures
    result.tick = tick
    result.seconds = time.monotonic() - started
    return result


# --- reading back ----------------------------------------------------------------------------


def status_counts() -> dict[str, int]:
    d = district.DISTRICT[0]
    return dict(Case.objects.filter(region__code__startswith=d).values_list("status").annotate(n=Count("id")).order_by())


def case_summary() -> dict[str, int]:
    """What the demo district's cases look like now (for the command's report)."""
    d = district.DISTRICT[0]
    qs = Case.objects.filter(region__code__startswith=d, imported_from__isnull=True)  # the year made here
    agg = qs.aggregate(
        total=Count("id"), disputes=Count("id", filter=Q(kind="dispute")), petitions=Count("id", filter=Q(kind="petition")),
        village=Count("id", filter=Q(registered_unit__level="village")),
        collective=Count("id", filter=Q(is_collective=True)), repeat=Count("id", filter=Q(is_repeat=True)),
        skip_level=Count("id", filter=Q(is_skip_level=True)), overdue=Count("id", filter=Q(is_overdue=True)),
        replied=Count("id", filter=~Q(reply_outcome="")),
        open=Count("id", filter=Q(status__in=["registered", "accepted", "transferring", "mediating", "handling",
                                              "reviewing", "re_reviewing"])),
    )
    out = {k: int(v or 0) for k, v in agg.items()}
    out["agreed"] = qs.filter(events__action="agree").distinct().count()
    out["failed"] = qs.filter(events__action="fail").distinct().count()
    return out
