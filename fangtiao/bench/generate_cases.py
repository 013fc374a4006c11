"""Deterministic benchmark cases: N cases over the generated registry, inserted in bulk.

The registry generator (`generate.py`) builds the province a given number of cases needs; this
module fills it with those cases, spread the way a real network's would be: over every county,
township and village of the generated registry; disputes (about 60 %) mostly registered by
village and township committees and petitions by the sub-centres and county centres; the
official dispute categories at the registry's weights; every channel; statuses by age (old cases
closed, recent ones open); the flags (collective, repeat, skip-level, backlog, overdue, major) at
plausible rates; received times spread evenly over the two years up to `END` (a fixed day, so
the same N and seed give the same rows whenever they are generated).

What the services would compute is filled in the same way: `region_path` from the place, the
official number `<unit short name>访调〔year〕NNNNN号` with `number_unit`/`number_year`/`number_seq`
gap-free per registering unit and year in order of receipt (and the `NumberSequence` counters
left at the last number, so intake continues after them), `holder_unit` by status. A fraction
of the cases (`PARTY_SHARE`) have parties with encrypted ID number, phone and address and their
blind indexes, some of them the same person as an earlier case (flagged repeat), so repeat
detection at intake finds real matches; every case has its registration event and, past
registration, the event of its last step. Generated cases have no registering user (a bulk
import), which is how `generated_case_count()` tells them from cases registered over the API.

Mediation (so the mediator suggestions weigh real workloads): every dispute that reached a
committee has its round (`Mediation`, numbered 「（年）X人调字第N号」 per committee and year, the
`NumberSequence` counters left at the last number) and its lead mediator (`Assignment`) — a mediator
of that committee, else of the township's or county's committee — active while the round is open
(status mediating), ended otherwise; so each mediator's open cases and last assignment are what a
real year would leave (about three open cases per mediator at 1M cases and 10,000 mediators).

Two passes again: `iter_drafts()` is pure (the registry dataset and a seeded RNG), and
`insert_cases()` writes the rows with PostgreSQL COPY, or executemany on SQLite, in chunks, with
explicit primary keys so the parties and events reference their case without a round trip.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from fangtiao.bench import generate as gen
from fangtiao.cases.demo import DISPUTES, PETITIONS
from fangtiao.cases.models import Case, CaseEvent, Party
from fangtiao.cases.search import case_search_text
from fangtiao.core.crypto import blind_index
from fangtiao.core.models import NumberSequence
from fangtiao.core.numbering import chinese_year_number
from fangtiao.core.validators import id_check_char
from fangtiao.mediation.models import Assignment, Mediation
from fangtiao.mediation.services import ROUND_ENDED
from fangtiao.org.choices import PersonStatus, UnitKind
from fangtiao.screening.models import TextKey, TextProfile
from fangtiao.screening.similar import case_text
from fangtiao.screening.text import minhash

UTC = dt.UTC
END = dt.datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # 17:00 in Beijing
SPAN_DAYS = 730
PARTY_SHARE = 0.2
REPEAT_SHARE = 0.12  # of the cases with parties: the same person as an earlier case of the county
CHUNK = 10_000
TEXT_POOL = 4000

CHANNELS = {
    "dispute": (("visit", 52), ("phone", 12), ("screening", 22), ("letter", 4), ("online", 6), ("hotline_12345", 4)),
    "petition": (("visit", 34), ("letter", 16), ("phone", 8), ("online", 24), ("hotline_12345", 12), ("assigned", 4),
                 ("fax", 2)),
}
NATURES = (("claim", 75), ("suggestion", 15), ("accusation", 10))
OLD_STATUS = {  # received more than 90 days before END
    "dispute": (("closed", 80), ("archived", 6), ("agreed", 6), ("failed", 3), ("withdrawn", 2), ("mediating", 2),
                ("transferring", 1)),
    "petition": (("closed", 72), ("archived", 5), ("replied", 4), ("not_accepted", 5), ("diverted", 3), ("forwarded", 3),
                 ("handling", 4), ("reviewing", 2), ("re_reviewing", 1), ("withdrawn", 1)),
}
RECENT_STATUS = {
    "dispute": (("registered", 5), ("accepted", 6), ("transferring", 4), ("mediating", 30), ("agreed", 15), ("failed", 3),
                ("closed", 37)),
    "petition": (("registered", 6), ("accepted", 8), ("transferring", 6), ("handling", 38), ("replied", 10),
                 ("not_accepted", 4), ("diverted", 3), ("forwarded", 2), ("closed", 23)),
}
LAST_ACTION = {
    "accepted": "accept", "transferring": "transfer", "mediating": "route", "agreed": "agree", "failed": "fail",
    "withdrawn": "withdraw", "handling": "receive", "replied": "reply", "reviewing": "request_review",
    "re_reviewing": "request_re_review", "not_accepted": "reject", "diverted": "divert", "forwarded": "forward",
    "closed": "close", "archived": "archive",
}
OPEN = frozenset({"registered", "accepted", "transferring", "mediating", "handling", "reviewing", "re_reviewing"})
MEDIATION = frozenset({"mediating", "agreed", "failed"})
# The round a dispute in this status had (closed and archived disputes were mediated to an agreement).
ROUND_STATUS = {"mediating": "open", "agreed": "agreed", "failed": "failed", "withdrawn": "withdrawn",
                "closed": "agreed", "archived": "agreed"}
COMMITTEE_KINDS = frozenset({UnitKind.DISTRICT_COMMITTEE, UnitKind.TOWNSHIP_COMMITTEE, UnitKind.VILLAGE_COMMITTEE,
                             UnitKind.PROFESSIONAL_COMMITTEE})
HANDLING = frozenset({"handling", "replied", "reviewing", "re_reviewing"})
WORDS = {"dept": "县住建局", "town": "基准镇"}


class CaseGenerationError(gen.GenerationError):
    pass


# --- the registry as the cases see it (pure) -------------------------------------------------


@dataclass(frozen=True)
class Township:
    code: str
    subcentre: str  # unit keys of the registry dataset
    committee: str
    villages: tuple[tuple[str, str, bool], ...]  # (region code, committee key, its short name is unique)


@dataclass(frozen=True)
class County:
    code: str
    centre: str
    committee: str
    professional: tuple[str, ...]
    townships: tuple[Township, ...]


def layout(ds: gen.Dataset) -> tuple[County, ...]:
    """Counties → townships → villages with the unit keys that register and hold their cases.

    Village committees are named after their village (基准XX村调委) and village names repeat
    between townships, so a committee whose short name another unit also has never registers a
    case (two of them would number cases alike); its village's cases go to the township."""
    shorts: dict[str, int] = {}
    for u in ds.units:
        shorts[u.short_name] = shorts.get(u.short_name, 0) + 1
    by_region: dict[str, list[gen.UnitRow]] = {}
    for u in ds.units:
        by_region.setdefault(u.region_code, []).append(u)
    children: dict[str, list[gen.RegionRow]] = {}
    for r in ds.regions:
        children.setdefault(r.parent_code, []).append(r)

    def key(region: str, slot: str) -> str:
        return f"{region}:{slot}"

    counties = []
    for c in (r for r in ds.regions if r.level == "district"):
        townships = []
        for t in children.get(c.code, []):
            villages = tuple(
                (v.code, key(v.code, "committee"), shorts[next(u.short_name for u in by_region[v.code])] == 1)
                for v in children.get(t.code, [])
            )
            townships.append(Township(t.code, key(t.code, "subcentre"), key(t.code, "committee"), villages))
        pro = tuple(u.key for u in by_region[c.code] if u.kind == UnitKind.PROFESSIONAL_COMMITTEE)
        counties.append(County(c.code, key(c.code, "centre"), key(c.code, "committee"), pro, tuple(townships)))
    return tuple(counties)


# --- the cases (pure) ------------------------------------------------------------------------


@dataclass(slots=True)
class PartyDraft:
    role: str
    type: str
    name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""
    is_representative: bool = False


@dataclass(slots=True)
class Draft:
    received_at: dt.datetime
    number_unit: str  # unit key
    year: int
    seq: int
    kind: str
    nature: str
    channel: str
    status: str
    category: str | None
    region: str  # region code
    title: str
    description: str
    demands: str
    headcount: int
    holder: str
    lead: str | None
    occurred_on: dt.date
    amount: int | None
    accepted_on: dt.date | None
    replied_on: dt.date | None
    closed_on: dt.date | None
    reply_outcome: str
    last_at: dt.datetime
    is_collective: bool = False
    is_repeat: bool = False
    is_skip_level: bool = False
    is_backlog: bool = False
    is_overdue: bool = False
    is_major: bool = False
    oral: bool = False
    parties: list[PartyDraft] = field(default_factory=list)
    township_committee: str = ""  # unit keys of the committees above the place (where mediation goes)
    county_committee: str = ""


def _weighted(pairs: Sequence[tuple[str, int]]) -> tuple[list[str], list[int]]:
    values, weights = zip(*pairs, strict=True)
    cum, total = [], 0
    for w in weights:
        total += w
        cum.append(total)
    return list(values), cum


def _texts(rng: random.Random) -> dict[str, list[tuple[str, str, str, str | None, int | None]]]:
    """A pool of rendered titles and facts per kind (formatting per row would cost more than it shows)."""
    pool: dict[str, list[tuple[str, str, str, str | None, int | None]]] = {"dispute": [], "petition": []}
    for _ in range(TEXT_POOL):
        cat = rng.choice(list(DISPUTES))
        m = rng.choice(DISPUTES[cat])
        amt = rng.randrange(m.amount[0] // 100, m.amount[1] // 100 + 1) * 100 if m.amount else None
        w = {"p": gen._person_name(rng), "o": gen._person_name(rng), "org": f"基准{rng.choice(gen.PLACE)}{rng.choice(gen.PLACE)}有限公司",
             "place": "基准村", "amt": str(amt or ""), **WORDS}
        pool["dispute"].append((m.title.format(**w), m.facts.format(**w), m.demands.format(**w), cat, amt))
        p = rng.choice(PETITIONS)
        amt = rng.randrange(p.amount[0] // 100, p.amount[1] // 100 + 1) * 100 if p.amount else None
        w["amt"] = str(amt or "")
        pool["petition"].append((p.title.format(**w), p.facts.format(**w), p.demands.format(**w),
                                 p.category, amt if p.nature == "claim" else None))
    return pool


# --- texts and their text-index keys (screening, issue 6) --------------------------------------
#
# The 52 demo templates rendered with other names would make every generated matter a near-copy of
# thousands of others (the MinHash keys ignore digits, and names are a few characters): the
# similar-matter lookup would then read a fixed share of the table. Real registers are not like
# that — unrelated matters share almost no character 3-grams — so each text is composed from
# independent choices (the opener, one or two facts of the category's subject, the impact, what was
# tried, the demand), each with several phrasings and its own names, places, organisations and
# times. Near-duplicates are made on purpose, the way they arise:
#
# - resubmissions (RESUBMIT_SHARE of the cases with parties): the same petitioner raises an earlier
#   matter of the township again, at the same place and in the same category, with the text edited
#   (sentences reordered or dropped, a 再次反映 opening, the time and what was tried rewritten);
# - hot spots (HOTSPOT_SHARE of all cases): a township's current event (a factory's smell, a
#   developer's late flats, a contractor's unpaid wages …, lasting 10–45 days) raised by different
#   people, each in their own words around the event's fixed facts.
#
# The texts come from their own RNG (`/texts`), so the other fields of the drafts are what they were.

RESUBMIT_SHARE = 0.25  # of the cases with parties (PARTY_SHARE): about 5 % of all cases
HOTSPOT_SHARE = 0.06
KEY_WORKERS_FROM = 20_000  # cases; below, the keys are computed in the process itself

CN = "一二三四五六七八九十"
MONTHS = ("一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月")
INDUSTRY = ("建筑", "建设", "置业", "房地产开发", "物业服务", "机械", "纺织", "食品", "化工", "环保科技", "五金", "塑料制品",
            "电子", "家具", "服装", "物流", "商贸", "农业开发", "养殖", "石材", "模具", "汽车服务", "餐饮管理", "装饰工程")
ORG_TAIL = ("有限公司", "有限公司", "有限责任公司", "专业合作社", "厂", "经营部", "工程队")
THING = {
    "neighbour": ("围墙", "排水沟", "化粪池", "鸡舍", "猪圈", "柴堆", "空调外机", "太阳能热水器", "楼梯间", "晒谷场", "通道", "竹林",
                  "水井", "菜地", "狗窝", "车棚", "烟囱", "屋檐", "监控探头", "路灯"),
    "marriage_family": ("赡养费", "抚养费", "彩礼", "老屋", "嫁妆", "存款", "宅基地份额", "探视权", "医药费", "丧葬费"),
    "housing_homestead": ("宅基地", "老房子", "自建房", "厢房", "院墙", "地基", "出租屋", "店面房", "阁楼", "车库"),
    "contract": ("借款", "货款", "装修款", "定金", "工程尾款", "租金", "保证金", "合伙投资款", "车款", "设备款"),
    "production": ("鱼塘", "果园", "摊位", "门面", "厂房", "茶园", "大棚", "养殖场", "加工点", "仓库"),
    "damages": ("电动车", "门牙", "腿骨", "货车", "庄稼", "果树", "围栏", "手机", "眼镜", "耕牛"),
    "land_forest": ("责任田", "山林", "承包地", "自留山", "林地", "水田", "荒坡", "竹山", "茶山", "旱地"),
    "expropriation": ("青苗", "安置房", "过渡费", "坟墓迁移费", "附属物", "厂房", "房屋", "土地补偿款", "安置面积", "店面"),
    "environment": ("粉尘", "油烟", "异味", "噪音", "污水", "废气", "烟尘", "渣土", "强光", "震动"),
    "labour": ("工资", "加班费", "经济补偿金", "工伤待遇", "社保", "提成", "押金", "年终奖", "误工费", "住宿补贴"),
    "consumer": ("预付卡", "二手车", "家电", "手机", "健身卡", "装修材料", "保健品", "电动自行车", "课程费", "家具"),
    "medical": ("手术", "输液", "拔牙", "分娩", "检查", "针灸", "骨折复位", "用药", "体检", "住院"),
    "traffic": ("电动车", "三轮车", "小轿车", "摩托车", "货车", "面包车", "农用车", "校车", "公交车", "拖拉机"),
    "property": ("电梯", "停车位", "绿化带", "楼顶", "地下室", "门禁", "监控", "消防通道", "水泵房", "外墙"),
    "tourism": ("民宿", "农家乐", "景区门票", "旅行团", "漂流", "游船", "露营地", "采摘园", "温泉", "索道"),
    "ip": ("商标", "包装", "店招", "图片", "外观设计", "菜谱", "招牌", "宣传册", "视频", "品牌"),
    "internet": ("网店", "直播间", "外卖", "网约车", "快递", "网贷", "团购", "游戏账号", "网络借款", "短视频"),
}
SUBJECT = {  # the fact of the category: {o} another person, {org} an organisation, {x} a thing of THING
    "neighbour": ("{o}家的{x}紧挨{p}家{side}，{trouble}", "{o}擅自在两家之间修建{x}，{trouble}",
                  "{o}把{x}移到了{p}家{side}边上，{trouble}", "因{x}的位置问题，{p}与邻居{o}发生争执，{trouble}"),
    "marriage_family": ("{p}与{o}因{x}问题产生矛盾，{trouble}", "{o}长期不支付{x}，{trouble}",
                        "{p}的子女在{x}分担上互相推诿，{trouble}", "{p}与前夫{o}就{x}达不成一致意见，{trouble}"),
    "housing_homestead": ("{p}翻建{x}时与{o}对界址各执一词，{trouble}", "{o}占用{p}家{x}不肯退还，{trouble}",
                          "{p}多年前买下{o}的{x}，{trouble}", "{p}家{x}与{o}家相连，{trouble}"),
    "contract": ("{o}向{p}借了{x}后一直拖着不还，{trouble}", "{org}欠{p}的{x}迟迟不付，{trouble}",
                 "{p}与{o}签订协议后对方拒付{x}，{trouble}", "{p}交了{x}以后{org}不按约定履行，{trouble}"),
    "production": ("{p}承包的{x}被{o}阻挠经营，{trouble}", "{p}与{o}合伙经营{x}，{trouble}",
                   "{org}单方面收回{p}租用的{x}，{trouble}", "{p}的{x}经营权与{o}存在争议，{trouble}"),
    "damages": ("{o}驾驶车辆撞坏{p}的{x}，{trouble}", "{p}与{o}发生口角后{x}受损，{trouble}",
                "{o}家的狗损坏了{p}家的{x}，{trouble}", "{org}施工时损坏{p}家{x}，{trouble}"),
    "land_forest": ("{p}家的{x}与{o}家的边界不清，{trouble}", "{o}在{p}承包的{x}上种树，{trouble}",
                    "村里调整{x}时漏掉了{p}家，{trouble}", "{org}流转{p}家{x}后拖欠流转费，{trouble}"),
    "expropriation": ("{p}家被征收的{x}补偿没有到位，{trouble}", "{p}对{x}的补偿标准有意见，{trouble}",
                      "{org}在{x}补偿上与{p}说法不一，{trouble}", "{p}认为{x}评估偏低，{trouble}"),
    "environment": ("{org}排放{x}，{trouble}", "附近{org}的{x}严重超标，{trouble}",
                    "{org}夜间作业产生{x}，{trouble}", "村口新开的{org}散发{x}，{trouble}"),
    "labour": ("{p}在{org}打工，被拖欠{x}，{trouble}", "{org}辞退{p}后不付{x}，{trouble}",
               "{p}在{org}工作期间受伤，{x}不落实，{trouble}", "{p}等人在{org}做工，{x}一直没有结清，{trouble}"),
    "consumer": ("{p}在{org}购买的{x}出现问题，{trouble}", "{org}办理的{x}无法退款，{trouble}",
                 "{p}从{org}买的{x}与宣传不符，{trouble}", "{org}关门后{p}的{x}无人负责，{trouble}"),
    "medical": ("{p}在镇卫生院{x}后出现不适，{trouble}", "{p}的家属在{x}过程中出现意外，{trouble}",
                "{p}认为医生在{x}时操作不当，{trouble}", "{p}对{x}的收费和结果有异议，{trouble}"),
    "traffic": ("{p}骑{x}与{o}的车相撞，{trouble}", "{o}驾驶{x}刮倒{p}，{trouble}",
                "{p}乘坐的{x}发生侧翻，{trouble}", "{o}的{x}倒车时撞到{p}，{trouble}"),
    "property": ("小区{x}长期出问题，{org}不管不问，{trouble}", "{org}擅自改变{x}用途，{trouble}",
                 "{p}所住小区的{x}年久失修，{trouble}", "{org}按{x}收费不合理，{trouble}"),
    "tourism": ("{p}在{org}经营的{x}消费后发生纠纷，{trouble}", "{p}预订的{x}临时被取消，{trouble}",
                "{p}参加{org}组织的{x}时受伤，{trouble}", "{org}的{x}收费与宣传不一致，{trouble}"),
    "ip": ("{org}仿冒{p}店里的{x}，{trouble}", "{o}未经同意使用{p}设计的{x}，{trouble}",
           "{org}抢注了{p}使用多年的{x}，{trouble}", "{o}开的店模仿{p}家{x}，{trouble}"),
    "internet": ("{p}在{x}下单后被骗，{trouble}", "{p}通过{x}与{o}交易后对方失联，{trouble}",
                 "{org}的{x}扣了{p}的钱不退，{trouble}", "{p}在{x}上的账户被冻结，{trouble}"),
}
TROUBLE = ("双方吵过{cnt}回", "两家闹僵了", "{o}不理睬", "对方推说没钱", "拖了{dur}", "一直没结果", "{o}态度强硬",
           "{o}电话不接", "没有说法", "{o}说再等等", "{o}只答应不兑现")
SIDE = ("东墙", "西墙", "后门", "院子", "卧室窗下", "厨房后面", "大门口", "菜园边", "屋后", "楼下")
IMPACT = ("{p}一家生活受影响", "{p}吃不下睡不好", "孩子{g}年级上学受影响", "{p}家损失{amt}", "{v}村几户也有意见",
          "{p}误了农时", "{p}家老人住进了{v}医院", "{p}觉得不公平", "{p}家生计受影响", "{p}每天睡不安稳")
TRIED = ("{v}村干部调解了{cnt}次", "{when}打过12345", "去{v}镇里反映过", "{when}派出所出过警", "请{o}出面说和没用",
         "上门找过{cnt}次", "网格员{o}了解过", "写过材料交给{v}村", "向{v}司法所咨询过", "")
OPENER = ("{p}系{v}村{g}组村民，", "来访人{p}家住{v}村，", "{v}村{p}反映：", "据{p}讲，", "{p}（住{v}村{g}组）称，",
          "{p}来电，", "{v}村的{p}说，", "", "", "")
TERMS = tuple(w for line in (Path(__file__).resolve().parents[1] / "screening" / "text" / "data" / "terms.txt")
              .read_text(encoding="utf-8").splitlines() if line and not line.startswith("#") for w in line.split())
DEMAND = {
    "neighbour": ("要求{o}拆除{x}", "请求恢复原状", "希望村里出面把{x}的事说清楚", "要求{o}赔偿损失"),
    "marriage_family": ("请求按月支付{x}", "希望调解{x}的分配", "要求{o}履行约定", "请求依法分割"),
    "housing_homestead": ("请求确认{x}的界址", "要求{o}退还{x}", "请求依法处理{x}的归属", "要求停止侵占"),
    "contract": ("要求{o}归还{x}", "请求督促{org}付清{x}", "要求按约定退还{x}", "请求调解解除协议"),
    "production": ("要求继续经营{x}", "请求依法分割合伙财产", "要求赔偿{x}的损失", "请求恢复{x}的承包"),
    "damages": ("要求赔偿{x}的损失", "请求{o}承担医药费", "要求{org}照价赔偿", "请求调解赔偿数额"),
    "land_forest": ("请求重新测量{x}的边界", "要求{o}退出{x}", "请求按政策补分{x}", "要求{org}付清流转费"),
    "expropriation": ("请求重新评估{x}", "要求补足{x}", "请求公开补偿标准", "要求按时发放{x}"),
    "environment": ("要求{org}停止排放{x}", "请求环保部门查处", "要求{org}整改并赔偿", "请求监测{x}"),
    "labour": ("要求{org}支付拖欠的{x}", "请求劳动监察督促发放{x}", "要求落实{x}", "请求认定工伤"),
    "consumer": ("要求{org}退款", "请求更换{x}", "要求{org}赔偿损失", "请求市场监管部门处理"),
    "medical": ("请求做医疗鉴定", "要求医院赔偿", "希望医院给个说法", "请求退还{x}的费用"),
    "traffic": ("要求{o}赔偿医药费和误工费", "请求调解赔偿", "要求保险公司理赔", "请求认定事故责任"),
    "property": ("要求{org}维修{x}", "请求更换物业公司", "要求退还{x}的收费", "请求住建部门督促整改"),
    "tourism": ("要求{org}退还费用", "请求赔偿损失", "要求{org}道歉", "请求文旅部门处理"),
    "ip": ("要求{org}停止使用{x}", "请求赔偿损失", "要求{o}公开道歉", "请求市场监管部门查处"),
    "internet": ("要求退还被扣的钱", "请求帮忙追回损失", "要求{org}解冻账户", "请求公安机关立案"),
}
LABEL = {  # short title words of the category
    "neighbour": "邻里", "marriage_family": "家庭", "housing_homestead": "宅基地", "contract": "合同",
    "production": "经营", "damages": "赔偿", "land_forest": "土地", "expropriation": "征收补偿",
    "environment": "环境污染", "labour": "欠薪", "consumer": "消费", "medical": "医疗", "traffic": "交通事故",
    "property": "物业", "tourism": "旅游", "ip": "侵权", "internet": "网络交易",
}
TITLE = ("{v}村{p}与{o}{x}纠纷", "反映{org}{x}问题", "{p}反映{x}{label}问题", "关于{v}村{x}的{label}纠纷",
         "{p}要求解决{x}问题", "{v}村{label}纠纷（{x}）", "{org}{x}{label}问题", "{p}家{x}引发的纠纷")
EVENT = {  # hot-spot events: a township's matter many people raise (category, thing, frames)
    "environment": ("{org}的{x}熏得{v}村没法住人", "{v}村旁边{org}排放{x}，村民意见很大", "{org}日夜生产，{x}飘到{v}村"),
    "labour": ("{org}在{v}村的工地拖欠{x}", "{org}老板跑路，工人的{x}没有着落", "在{org}干活的人都没拿到{x}"),
    "property": ("{org}管理的小区{x}坏了没人修", "{v}小区的{x}问题{org}一直拖着", "{org}对{x}乱收费"),
    "expropriation": ("{v}村征收的{x}补偿迟迟没发", "{v}村拆迁户对{x}标准有意见", "{v}村{x}补偿款被拖欠"),
    "consumer": ("{org}突然关门，{x}退不了钱", "很多人在{org}买的{x}出了问题", "{org}卖的{x}货不对板"),
    "land_forest": ("{org}流转{v}村的{x}不付钱", "{v}村{x}调整方案村民不认可", "{org}占用{v}村{x}"),
}


class _Composer:
    """Composed texts (title, description, demands) with resubmissions and hot spots; see above."""

    def __init__(self, seed: int, n: int) -> None:
        self.rng = random.Random(f"{seed}/texts/{n}")  # noqa: S311 - test data
        self.recent: dict[str, list[tuple[PartyDraft, str, str, list[str], str, str, str | None]]] = {}
        self.events: dict[str, tuple[dt.datetime, str, dict[str, str], str]] = {}
        self.resubmissions = self.hotspot_cases = 0

    def _fill(self, category: str) -> dict[str, str]:
        r = self.rng
        place = r.choice(gen._PLACE_COMBOS)
        return {
            "o": gen._person_name(r), "v": r.choice(gen._PLACE_COMBOS), "g": r.choice(CN) + ("" if r.random() < 0.8 else "十"),
            "org": f"{place}{r.choice(INDUSTRY)}{r.choice(ORG_TAIL)}", "x": r.choice(THING[category]),
            "side": r.choice(SIDE), "dur": f"{r.choice(CN[1:])}个多月" if r.random() < 0.7 else f"{r.choice('两三四五')}年",
            "cnt": r.choice("两三四五"), "when": r.choice(("去年", "今年", "上个月", "")) + r.choice(MONTHS)
            + r.choice(("初", "中旬", "底", "份", "")), "label": LABEL[category],
            "amt": f"{r.choice(CN)}万{r.choice(CN[:9])}千元" if r.random() < 0.5 else f"{r.choice(CN[:9])}千{r.choice(CN[:9])}百元",
        }

    def _say(self, frames: Sequence[str], w: dict[str, str]) -> str:
        return self.rng.choice(frames).format(**w)

    def compose(self, category: str, p: str, w: dict[str, str] | None = None, fact: str | None = None) -> tuple[str, list[str], str]:
        """(title, description sentences, demands)."""
        r = self.rng
        w = w or self._fill(category)
        w["p"] = p
        w["trouble"] = self._say(TROUBLE, w)
        opener = self._say(OPENER, w)
        facts = [opener + w["when"] + "，" + (fact or self._say(SUBJECT[category], w))]
        if r.random() < 0.5:
            w2 = {**w, "x": r.choice(THING[category]), "trouble": self._say(TROUBLE, w)}
            facts.append("另外，" + self._say(SUBJECT[category], w2))
        if r.random() < 0.6:
            facts.append(self._say(IMPACT, w))
        facts.append("涉及" + "、".join(r.sample(TERMS, 2 + int(r.random() * 3))))
        if r.random() < 0.6:
            facts.append(self._say(TRIED, w))
        facts = [f for f in facts if f]
        demands = self._say(DEMAND[category], w)
        if r.random() < 0.4:
            more = self._say(DEMAND[category], {**w, "x": r.choice(THING[category])})
            if more != demands:
                demands += "，并" + more
        return self._say(TITLE, w)[:60], facts, demands + "。"

    def text(self, d: Draft, village_committee: bool) -> None:
        """Give `d` its composed text: a resubmission, a hot-spot matter or a matter of its own."""
        r = self.rng
        category = d.category if d.category in SUBJECT else r.choice(list(SUBJECT))
        township = d.township_committee
        recent = self.recent.setdefault(township, [])
        if d.parties and recent and not village_committee and r.random() < RESUBMIT_SHARE:
            same = [m for m in recent if m[6] == d.kind]
            if same:
                self._resubmit(d, same[int(r.random() * len(same))])
                return
        if r.random() < HOTSPOT_SHARE:
            self._hotspot(d, village_committee)
            return
        name = d.parties[0].name if d.parties else gen._person_name(r)
        title, facts, demands = self.compose(category, name)
        d.title, d.description, d.demands = title, "。".join(facts) + "。", demands
        if d.kind == "dispute":
            d.category = category
        if d.parties and d.parties[0].role == "petitioner":
            recent.append((d.parties[0], d.region, title, facts, demands, category, d.kind))
            if len(recent) > 300:
                del recent[: len(recent) - 200]

    def _resubmit(self, d: Draft, prev: tuple[PartyDraft, str, str, list[str], str, str, str | None]) -> None:
        r = self.rng
        person, region, title, facts, demands, category, _kind = prev
        facts = facts[:]
        if len(facts) > 2 and r.random() < 0.5:
            head, rest = facts[0], facts[1:]
            r.shuffle(rest)
            facts = [head, *rest]
        if len(facts) > 2 and r.random() < 0.4:
            del facts[1 + int(r.random() * (len(facts) - 1))]
        if r.random() < 0.6:
            facts.append(r.choice(("之前反映过，到现在还没解决", "上次来反映后没有任何答复", "问题拖到现在越来越严重",
                                   "对上次的处理结果不满意", "已经过去很久了还是没人管")))
        if r.random() < 0.5:
            facts[0] = r.choice(("再次反映：", "又来反映：", "重复来访，")) + facts[0]
        d.title = (r.choice(("再次反映", "仍未解决：", "")) + title)[:60]
        d.description = "。".join(facts) + "。"
        d.demands = demands if r.random() < 0.6 else "还是" + demands
        d.region = region
        if d.kind == "dispute":
            d.category = category
        p = d.parties[0]
        d.parties[0] = PartyDraft(p.role, p.type, person.name, person.id_number, person.phone, person.address,
                                  p.is_representative)
        d.is_repeat = True
        self.resubmissions += 1

    def _hotspot(self, d: Draft, village_committee: bool) -> None:
        r = self.rng
        township = d.township_committee
        ev = self.events.get(township)
        if ev is None or ev[0] < d.received_at:
            category = r.choice(list(EVENT))
            w = self._fill(category)
            ev = (d.received_at + dt.timedelta(days=10 + int(r.random() * 35)), category, w, d.region)
            self.events[township] = ev
        _until, category, w, region = ev
        name = d.parties[0].name if d.parties else gen._person_name(r)
        w = {**w, "o": gen._person_name(r), "g": r.choice(CN), "when": r.choice(("最近", "这段时间", "近来", "这几天", ""))}
        title, facts, demands = self.compose(category, name, w, fact=self._say(EVENT[category], w) + "，" + self._say(TROUBLE, w))
        d.title, d.description, d.demands = title, "。".join(facts) + "。", demands
        if d.kind == "dispute":
            d.category = category
        if not village_committee and r.random() < 0.7:
            d.region = region
        self.hotspot_cases += 1


def iter_drafts(ds: gen.Dataset, n: int, *, seed: int = gen.SEED, composer: _Composer | None = None) -> Iterator[Draft]:
    """The `n` cases in order of receipt, from the seeded RNG only (same input, same drafts)."""
    rng = random.Random(f"{seed}/cases/{n}")
    counties = layout(ds)
    texts = _texts(rng)
    categories, category_cum = _weighted(sorted((c, w) for c, w in gen.CATEGORY_WEIGHTS.items() if c != "other"))
    channels = {k: _weighted(v) for k, v in CHANNELS.items()}
    natures = _weighted(NATURES)
    old = {k: _weighted(v) for k, v in OLD_STATUS.items()}
    recent = {k: _weighted(v) for k, v in RECENT_STATUS.items()}
    counters: dict[tuple[str, int], int] = {}
    identities: dict[str, list[PartyDraft]] = {}  # county → people seen (for repeats)
    start = END - dt.timedelta(days=SPAN_DAYS)
    step = SPAN_DAYS * 86400 / n
    choices = rng.choices
    rand = rng.random
    composer = composer or _Composer(seed, n)

    def pick(table: tuple[list[str], list[int]]) -> str:
        return choices(table[0], cum_weights=table[1])[0]

    for i in range(n):
        received = start + dt.timedelta(seconds=int((i + rand()) * step))
        year = (received + dt.timedelta(hours=8)).year  # the registering unit's (Beijing) calendar year
        county = counties[int(rand() * len(counties))]
        township = county.townships[int(rand() * len(county.townships))]
        vcode, vcommittee, vunique = township.villages[int(rand() * len(township.villages))]
        region = vcode if rand() < 0.92 else township.code
        kind = "dispute" if rand() < 0.6 else "petition"
        r = rand()
        if kind == "dispute":
            if r < 0.5 and vunique and region == vcode:
                reg = vcommittee
            elif r < 0.72:
                reg = township.committee
            elif r < 0.9:
                reg = township.subcentre
            elif r < 0.96 or not county.professional:
                reg = county.centre
            else:
                reg = county.professional[int(rand() * len(county.professional))]
        else:
            reg = township.subcentre if r < 0.55 else county.centre
        counters[(reg, year)] = seq = counters.get((reg, year), 0) + 1
        title, facts, demands, category, amount = texts[kind][int(rand() * TEXT_POOL)]
        nature = pick(natures) if kind == "petition" else ""
        if kind == "dispute" and category is None:
            category = choices(categories, cum_weights=category_cum)[0]
        if kind == "petition" and nature != "claim":
            amount = None
        channel = pick(channels[kind])
        age = (END - received).days
        status = pick(old[kind] if age > 90 else recent[kind])

        # Who holds it now: mediation at the committee of the level, handling at the township or county.
        if status in MEDIATION:
            holder = reg if reg in (vcommittee, township.committee, county.committee) or reg in county.professional \
                else township.committee
        elif status in HANDLING:
            holder = township.subcentre if rand() < 0.6 else county.centre
        elif status == "transferring":
            holder = township.committee if kind == "dispute" else township.subcentre
        else:
            holder = reg
        day = (received + dt.timedelta(hours=8)).date()
        accepted = None if status in ("registered", "not_accepted", "forwarded") else day + dt.timedelta(days=int(rand() * 4))
        replied = day + dt.timedelta(days=20 + int(rand() * 45)) if kind == "petition" and status in (
            "replied", "reviewing", "re_reviewing", "closed", "archived") and nature != "accusation" else None
        if replied is not None and replied >= END.date():
            replied = None
        closed = None
        if status in ("closed", "archived"):
            closed = min((replied or day) + dt.timedelta(days=1 + int(rand() * 20)), END.date() - dt.timedelta(days=1))
        outcome = ""
        if replied is not None:
            outcome = ("support", "explain", "explain", "reject")[int(rand() * 4)]
        last = received if status == "registered" else min(
            received + dt.timedelta(days=min(age, 1 + int(rand() * 40)), hours=int(rand() * 8)), END)

        d = Draft(
            received_at=received, number_unit=reg, year=year, seq=seq, kind=kind, nature=nature, channel=channel,
            status=status, category=category, region=region, title=title, description=facts, demands=demands,
            headcount=1, holder=holder, lead=holder if status in HANDLING else None,
            occurred_on=day - dt.timedelta(days=1 + int(rand() * 90)), amount=amount, accepted_on=accepted,
            replied_on=replied, closed_on=closed, reply_outcome=outcome, last_at=last,
            oral=channel in ("visit", "phone") and kind == "petition",
            township_committee=township.committee, county_committee=county.committee,
        )
        r = rand()
        if r < 0.03:
            d.is_collective = True
            d.headcount = 5 + int(rand() * 120)
        d.is_skip_level = kind == "petition" and channel == "visit" and rand() < 0.04
        d.is_backlog = status in OPEN and age > 180 and rand() < 0.5
        d.is_overdue = status in OPEN and age > 60 and rand() < 0.7
        d.is_major = d.is_collective and rand() < 0.2

        if rand() < PARTY_SHARE:
            seen = identities.setdefault(county.code, [])
            if seen and rand() < REPEAT_SHARE:
                person = seen[int(rand() * len(seen))]
                d.is_repeat = True
            else:
                born = dt.date(1940, 1, 1) + dt.timedelta(days=int(rand() * 365 * 62))
                first17 = f"{county.code}{born:%Y%m%d}{int(rand() * 1000):03d}"
                person = PartyDraft("petitioner", "person", gen._person_name(rng), first17 + id_check_char(first17),
                                    gen._phone(rng), f"基准村{1 + int(rand() * 300)}号")
                if len(seen) < 5000:
                    seen.append(person)
            d.parties.append(PartyDraft(person.role, person.type, person.name, person.id_number, person.phone,
                                        person.address, d.is_collective))
            if rand() < 0.5:
                d.parties.append(PartyDraft("respondent", "person", gen._person_name(rng)))
        composer.text(d, village_committee=reg == vcommittee)
        yield d


def sequences(drafts: Iterable[Draft]) -> dict[tuple[str, int], int]:
    """The last number per (registering unit, year)."""
    out: dict[tuple[str, int], int] = {}
    for d in drafts:
        out[(d.number_unit, d.year)] = max(out.get((d.number_unit, d.year), 0), d.seq)
    return out


# --- writing ---------------------------------------------------------------------------------


class _Table:
    """One table's insert: its columns in model order, a row template of defaults, and the
    vendor's fastest bulk path (COPY on PostgreSQL, executemany on SQLite)."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.template = [self._default(f) for f in self.fields]
        self.columns = [f.column for f in self.fields]
        self.vendor = connection.vendor
        self.adapt: list[tuple[int, Callable[[Any], Any]]] = []
        if self.vendor == "sqlite":
            ops = connection.ops
            for i, f in enumerate(self.fields):
                t = f.get_internal_type()
                if t == "DateTimeField":
                    self.adapt.append((i, ops.adapt_datetimefield_value))
                elif t == "DateField":
                    self.adapt.append((i, ops.adapt_datefield_value))
                elif t == "DecimalField":
                    self.adapt.append((i, lambda v: None if v is None else str(v)))

    @staticmethod
    def _default(f: Any) -> Any:
        value = f.get_default()
        if f.get_internal_type() == "JSONField":
            return json.dumps({} if value is None else value)
        return value

    def row(self, **values: Any) -> list[Any]:
        row = self.template[:]
        index = self.index
        for k, v in values.items():
            row[index[k]] = v
        return row

    def write(self, rows: list[list[Any]]) -> None:
        if not rows:
            return
        table = connection.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            for row in rows:
                for i, fn in self.adapt:
                    row[i] = fn(row[i])
            marks = ", ".join(["%s"] * len(self.columns))
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608 - model metadata only  # nosec B608  # — identifiers from model metadata or fixed names, values bound as parameters

    def next_id(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(self.model._meta.db_table)}")  # noqa: S608  # nosec B608  # — identifiers from model metadata or fixed names, values bound as parameters
            return int(cursor.fetchone()[0]) + 1

    def reset_sequence(self) -> None:
        if self.vendor != "postgresql":
            return  # SQLite's rowid continues after the largest id by itself
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))",  # noqa: S608  # nosec B608  # — identifiers from model metadata or fixed names, values bound as parameters
                           [table])


def text_keys(texts: Sequence[str]) -> list[list[int]]:
    """The band keys of each text, as `screening.similar.index_cases` stores them (one row per distinct key)."""
    return [list(dict.fromkeys(minhash.band_keys(minhash.signature(t)))) for t in texts]


def text_index(texts: Sequence[str]) -> list[tuple[list[int], str]]:
    """Band keys and stored content words (`screening_textprofile`) of each text, as index_cases writes them."""
    from fangtiao.screening.text import segment

    return [(ks, " ".join(segment.tokens(t))) for ks, t in zip(text_keys(texts), texts, strict=True)]


class _TextKeys:
    """The text-index rows (`screening_textkey`) of the generated cases: band keys computed from the
    same text the case gets (`similar.case_text`), in worker processes when there are many (the
    MinHash is most of the generation's CPU), written with COPY (PostgreSQL) or executemany.

    Into an empty table on PostgreSQL the rows go without the table's secondary indexes and foreign
    key, which are built once at the end (a sorted build instead of 32 random B-tree inserts and a
    deferred foreign-key check per case)."""

    def __init__(self, *, workers: int = 0) -> None:
        self.table = connection.ops.quote_name(TextKey._meta.db_table)
        self.vendor = connection.vendor
        self.next_id = _Table(TextKey).next_id()
        self.ids: list[int] = []
        self.texts: list[str] = []
        self.pending: list[Any] = []
        self.written = 0
        self.seconds = 0.0
        self.pool = None
        if workers > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
        self.dropped: list[str] = []  # statements that put back what was dropped
        if self.vendor == "postgresql" and self.next_id == 1:
            self._drop_secondary()

    def _drop_secondary(self) -> None:
        name = TextKey._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                           "WHERE conrelid = %s::regclass AND contype = 'f'", [name])
            fks = cursor.fetchall()
            cursor.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
                           "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.conrelid = %s::regclass)",
                           [name, name])
            indexes = cursor.fetchall()
            for con, definition in fks:
                cursor.execute(f"ALTER TABLE {self.table} DROP CONSTRAINT {connection.ops.quote_name(con)}")
                self.dropped.append(f"ALTER TABLE {self.table} ADD CONSTRAINT {connection.ops.quote_name(con)} {definition}")
            for index, definition in indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(index)}")
                self.dropped.insert(0, definition)

    def add(self, case_id: int, text: str) -> None:
        self.ids.append(case_id)
        self.texts.append(text)

    def flush(self) -> None:
        if self.ids:
            ids, texts = self.ids, self.texts
            self.ids, self.texts = [], []
            if self.pool is None:
                t0 = time.monotonic()
                self._write(ids, text_index(texts))
                self.seconds += time.monotonic() - t0
            else:
                self.pending.append((ids, self.pool.submit(text_index, texts)))
        while self.pending and (self.pending[0][1].done() or len(self.pending) > 8):
            ids, future = self.pending.pop(0)
            self._write(ids, future.result())

    def _write(self, ids: list[int], index: list[tuple[list[int], str]]) -> None:
        i = self.next_id
        profiles = connection.ops.quote_name(TextProfile._meta.db_table)
        if self.vendor == "postgresql":
            lines, words = [], []
            for case_id, (ks, w) in zip(ids, index, strict=True):
                for k in ks:
                    lines.append(f"{i}\t{case_id}\t{k}\n")
                    i += 1
                words.append(f"{case_id}\t{w.replace(chr(92), chr(92) * 2)}\n")
            with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {self.table} (id, case_id, key) FROM STDIN") as copy:
                copy.write("".join(lines).encode())
            with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {profiles} (case_id, words) FROM STDIN") as copy:
                copy.write("".join(words).encode())
        else:
            rows = []
            for case_id, (ks, _w) in zip(ids, index, strict=True):
                for k in ks:
                    rows.append((i, case_id, k))
                    i += 1
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {self.table} (id, case_id, key) VALUES (%s, %s, %s)", rows)  # noqa: S608  # nosec B608  # — identifiers from model metadata or fixed names, values bound as parameters
                cursor.executemany(f"INSERT INTO {profiles} (case_id, words) VALUES (%s, %s)",  # noqa: S608  # nosec B608  # — identifiers from model metadata or fixed names, values bound as parameters
                                   [(case_id, w) for case_id, (_ks, w) in zip(ids, index, strict=True)])
        self.written += i - self.next_id
        self.next_id = i

    def finish(self) -> None:
        self.flush()
        for ids, future in self.pending:
            self._write(ids, future.result())
        self.pending.clear()
        if self.pool is not None:
            self.pool.shutdown()
        if self.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            if self.dropped:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending trigger events before ALTER TABLE
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                for statement in self.dropped:
                    cursor.execute(statement)
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT COALESCE(MAX(id), 1) FROM {self.table}))",  # noqa: S608  # nosec B608  # — identifiers from model metadata or fixed names, values bound as parameters
                           [TextKey._meta.db_table])
            cursor.execute(f"ANALYZE {self.table}")


@dataclass(frozen=True)
class CaseResult:
    created: int
    parties: int
    events: int
    seconds: float
    mediations: int = 0
    text_keys: int = 0
    resubmissions: int = 0
    hotspot_cases: int = 0


class _Rounds:
    """The mediation round and lead mediator of each generated dispute that reached a committee."""

    def __init__(self, ds: gen.Dataset, units: dict[str, int], shorts: dict[str, str]) -> None:
        from fangtiao.org.models import Mediator, User

        self.units, self.shorts = units, shorts
        self.kind = {u.key: u.kind for u in ds.units}
        self.parent = {u.key: u.parent_key for u in ds.units}
        self.mediations, self.assignments = _Table(Mediation), _Table(Assignment)
        self.mediation_id, self.assignment_id = self.mediations.next_id(), self.assignments.next_id()
        by_unit: dict[int, list[int]] = {}
        for pk, unit_id in (Mediator.objects.filter(unit_id__in=units.values(), status=PersonStatus.ACTIVE)
                            .order_by("pk").values_list("pk", "unit_id")):
            by_unit.setdefault(unit_id, []).append(pk)
        self.pool = {key: by_unit.get(pk, []) for key, pk in units.items()}
        heads = {f"{gen.STAFF_USERNAME_PREFIX}{k.split(':')[0]}_{k.split(':')[1]}_1": k for k in units}
        self.heads = {heads[u]: pk for u, pk in User.objects.filter(username__in=heads).values_list("username", "pk")}
        # (unit key → its committee head, who assigns)
        self.seq: dict[tuple[str, int], int] = {}
        self.rng = random.Random("bench/rounds")  # noqa: S311 - which mediator, not a secret
        self.rows: tuple[list[list[Any]], list[list[Any]]] = ([], [])
        self.created = 0

    def committee(self, d: Draft) -> str:
        if self.kind[d.holder] in COMMITTEE_KINDS:
            return d.holder
        return d.township_committee if self.kind[d.holder] == UnitKind.SUBCENTRE else d.county_committee

    def add(self, case_id: int, d: Draft) -> None:
        status = ROUND_STATUS.get(d.status) if d.kind == "dispute" else None
        if status is None:
            return
        unit = self.committee(d)
        township, county = d.township_committee, d.county_committee
        mediators = self.pool[unit] or self.pool[township] or self.pool[county]
        if not mediators:
            return
        started = (d.received_at + dt.timedelta(hours=8)).date() + dt.timedelta(days=int(self.rng.random() * 3))
        year = started.year
        self.seq[(unit, year)] = seq = self.seq.get((unit, year), 0) + 1
        ended = None if status == "open" else max(started, d.closed_on or (d.last_at + dt.timedelta(hours=8)).date())
        assigned_at = d.received_at + dt.timedelta(days=1 + int(self.rng.random() * 3))
        self.rows[0].append(self.mediations.row(
            id=self.mediation_id, case_id=case_id, round=1, unit_id=self.units[unit],
            number=f"（{year}）{self.shorts[unit]}人调字第{seq}号", source="application", status=status,
            started_on=started, ended_on=ended, end_reason="" if ended is None else ROUND_ENDED, created_at=assigned_at,
            routes_told="[]",
        ))
        self.rows[1].append(self.assignments.row(
            id=self.assignment_id, mediation_id=self.mediation_id, case_id=case_id,
            mediator_id=mediators[int(self.rng.random() * len(mediators))], chosen_by="committee", lead=True,
            suggestion="{}", assigned_by_id=self.heads[unit],
            assigned_at=assigned_at, active=status == "open",
            ended_at=None if status == "open" else assigned_at + dt.timedelta(days=10),
            end_reason="" if status == "open" else ROUND_ENDED,
        ))
        self.mediation_id += 1
        self.assignment_id += 1
        self.created += 1

    def flush(self) -> None:
        self.mediations.write(self.rows[0])
        self.assignments.write(self.rows[1])
        for b in self.rows:
            b.clear()

    def finish(self) -> None:
        self.flush()
        for t in (self.mediations, self.assignments):
            t.reset_sequence()
        NumberSequence.objects.bulk_create(
            [NumberSequence(scope="mediation", unit_id=self.units[k], year=y, last=seq) for (k, y), seq in self.seq.items()],
            update_conflicts=True, unique_fields=["scope", "unit_id", "year"], update_fields=["last"], batch_size=1000,
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE mediation_mediation; ANALYZE mediation_assignment")


def generated_mediation_count() -> int:
    return Mediation.objects.filter(case__region_path__startswith=gen.BENCH_PATH_PREFIX,
                                    case__registered_by__isnull=True).count()


def generated_case_count() -> int:
    return Case.objects.filter(region_path__startswith=gen.BENCH_PATH_PREFIX, registered_by__isnull=True).count()


def insert_cases(ds: gen.Dataset, n: int, *, seed: int = gen.SEED, say: Callable[[str], None] = lambda _m: None) -> CaseResult:
    """Write the `n` cases of `ds` (the registry must be in the database). Call inside a transaction."""
    from fangtiao.org.models import Region

    t0 = time.monotonic()
    regions = {code: (pk, path) for pk, code, path in
               Region.objects.filter(path__startswith=gen.BENCH_PATH_PREFIX).values_list("pk", "code", "path")}
    units, shorts = _units(ds)
    cases, parties, events = _Table(Case), _Table(Party), _Table(CaseEvent)
    rounds = _Rounds(ds, units, shorts)
    keys = _TextKeys(workers=min(os.cpu_count() or 1, 4) if n >= KEY_WORKERS_FROM else 0)
    case_id, party_id, event_id = cases.next_id(), parties.next_id(), events.next_id()
    enc = {f: Party._meta.get_field(f) for f in ("id_number", "phone", "address")}
    last: dict[tuple[str, int], int] = {}
    created = n_parties = n_events = 0
    batch: tuple[list[list[Any]], list[list[Any]], list[list[Any]]] = ([], [], [])

    def flush() -> None:
        cases.write(batch[0])
        parties.write(batch[1])
        events.write(batch[2])
        for b in batch:
            b.clear()
        rounds.flush()
        keys.flush()

    composer = _Composer(seed, n)
    for d in iter_drafts(ds, n, seed=seed, composer=composer):
        region_pk, path = regions[d.region]
        number_unit = units[d.number_unit]
        holder = units[d.holder]
        last[(d.number_unit, d.year)] = d.seq
        number = chinese_year_number(shorts[d.number_unit], d.year, d.seq, word="访调")
        batch[0].append(cases.row(
            id=case_id, number=number, search_text=case_search_text(number, d.title, d.description),
            number_unit_id=number_unit, number_year=d.year, number_seq=d.seq, kind=d.kind, nature=d.nature,
            channel=d.channel, source="application" if d.kind == "dispute" else "", status=d.status, title=d.title,
            description=d.description, demands=d.demands, oral=d.oral, category_id=d.category, region_id=region_pk,
            region_path=path, occurred_on=d.occurred_on, amount=Decimal(d.amount) if d.amount else None,
            headcount=d.headcount, is_collective=d.is_collective, is_repeat=d.is_repeat, is_skip_level=d.is_skip_level,
            is_backlog=d.is_backlog, is_overdue=d.is_overdue, is_major=d.is_major,
            identity_incomplete=d.kind == "petition" and not d.parties and d.channel in ("phone", "hotline_12345"),
            registered_unit_id=number_unit, received_at=d.received_at, holder_unit_id=holder,
            lead_unit_id=units[d.lead] if d.lead else None, route="handling" if d.lead else ("mediation" if d.status in MEDIATION else ""),
            accepted_on=d.accepted_on, replied_on=d.replied_on, closed_on=d.closed_on, reply_outcome=d.reply_outcome,
            reply_opinion="经调查核实，已依法作出处理。" if d.reply_outcome else "", mediation_consent=d.status in MEDIATION,
            query_code_hash=f"{case_id:064x}", created_at=d.received_at, updated_at=d.last_at,
            version=1 if d.status == "registered" else 3,
        ))
        for sort, p in enumerate(d.parties):
            phone = p.phone
            batch[1].append(parties.row(
                id=party_id, case_id=case_id, role=p.role, type=p.type, name=p.name,
                id_number=enc["id_number"].get_prep_value(p.id_number),
                id_index=blind_index(p.id_number, purpose="id") if p.id_number else "",
                phone=enc["phone"].get_prep_value(phone), phone_index=blind_index(phone, purpose="phone") if phone else "",
                name_phone_index=blind_index(f"{p.name}|{phone}", purpose="name_phone") if phone else "",
                address=enc["address"].get_prep_value(p.address), is_representative=p.is_representative, sort=sort,
            ))
            party_id += 1
            n_parties += 1
        batch[2].append(events.row(id=event_id, case_id=case_id, at=d.received_at, action="register",
                                   actor_name="批量导入", unit_id=number_unit, note="登记"))
        event_id += 1
        n_events += 1
        if d.status != "registered":
            batch[2].append(events.row(id=event_id, case_id=case_id, at=d.last_at, action=LAST_ACTION[d.status],
                                       actor_name="批量导入", unit_id=holder, note=""))
            event_id += 1
            n_events += 1
        rounds.add(case_id, d)
        keys.add(case_id, case_text(d.title, d.description, d.demands))
        case_id += 1
        created += 1
        if len(batch[0]) >= CHUNK:
            flush()
            if created % (CHUNK * 10) == 0:
                say(f"  事项 {created}/{n}（{time.monotonic() - t0:.1f} 秒）")
    flush()
    for t in (cases, parties, events):
        t.reset_sequence()
    rounds.finish()
    keys.finish()
    # Intake continues after the generated numbers (gap-free per unit and year).
    NumberSequence.objects.bulk_create(
        [NumberSequence(scope="case", unit_id=units[k], year=y, last=seq) for (k, y), seq in last.items()],
        update_conflicts=True, unique_fields=["scope", "unit_id", "year"], update_fields=["last"], batch_size=1000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_case; ANALYZE cases_party; ANALYZE cases_caseevent")
    return CaseResult(created=created, parties=n_parties, events=n_events, seconds=time.monotonic() - t0,
                      mediations=rounds.created, text_keys=keys.written,
                      resubmissions=composer.resubmissions, hotspot_cases=composer.hotspot_cases)


def _units(ds: gen.Dataset) -> tuple[dict[str, int], dict[str, str]]:
    """Unit key → primary key and short name, for the registry of `ds` in the database."""
    from fangtiao.org.models import Unit

    pks = {(code, name): pk for pk, code, name in
           Unit.objects.filter(region__path__startswith=gen.BENCH_PATH_PREFIX).values_list("pk", "region__code", "name")}
    try:
        units = {u.key: pks[(u.region_code, u.name)] for u in ds.units}
    except KeyError as exc:
        raise CaseGenerationError("基准单位与数据库不一致，请换用一个新的数据库") from exc
    return units, {u.key: u.short_name for u in ds.units}


def backfill_rounds(ds: gen.Dataset, n: int, *, seed: int = gen.SEED, say: Callable[[str], None] = lambda _m: None) -> int:
    """The rounds and mediators of cases generated before rounds were (a bench database made by an
    earlier version): the i-th draft is the i-th generated case. Call inside a transaction."""
    units, shorts = _units(ds)
    ids = list(Case.objects.filter(region_path__startswith=gen.BENCH_PATH_PREFIX, registered_by__isnull=True)
               .order_by("pk").values_list("pk", flat=True))
    if len(ids) != n:
        raise CaseGenerationError(f"基准事项数量不符（{len(ids)} ≠ {n}），请换用一个新的数据库")
    rounds = _Rounds(ds, units, shorts)
    for case_id, d in zip(ids, iter_drafts(ds, n, seed=seed), strict=True):
        rounds.add(case_id, d)
        if len(rounds.rows[0]) >= CHUNK:
            rounds.flush()
    rounds.finish()
    say(f"  已补充调解轮次和调解员指派 {rounds.created} 条")
    return rounds.created


def generate_cases(n: int, *, seed: int = gen.SEED, ds: gen.Dataset | None = None,
                   log: Callable[[str], None] | None = None) -> CaseResult | None:
    """Insert the `n` benchmark cases unless they are there (None then). Needs the registry of `n`."""
    say = log or (lambda _msg: None)
    have = generated_case_count()
    if have == n:
        return None
    if have:
        raise CaseGenerationError(f"数据库中已有 {have} 件基准事项（需要 {n} 件），请换用一个新的数据库（DATABASE_URL）再运行。")
    ds = ds or gen.build(n, seed=seed)
    say(f"正在生成 {n} 件基准事项（约 {int(n * PARTY_SHARE)} 件带当事人，加密存储）……")
    with transaction.atomic():
        result = insert_cases(ds, n, seed=seed, say=say)
    rate = result.created / result.seconds if result.seconds else 0
    say(f"基准事项生成完成：事项 {result.created} 件、当事人 {result.parties} 名、时间线 {result.events} 条，"
        f"用时 {result.seconds:.1f} 秒（{rate:,.0f} 件/秒）")
    return result


def generated_text_key_cases() -> int:
    """Generated cases that have their text-index rows."""
    return (TextKey.objects.filter(case__region_path__startswith=gen.BENCH_PATH_PREFIX, case__registered_by__isnull=True)
            .values("case_id").distinct().count())


def backfill_text_keys(*, say: Callable[[str], None] = lambda _m: None) -> int:
    """The text-index rows of generated cases that lack them (a bench database generated before the
    screening issue), from the texts in the database. Call inside a transaction."""
    t0 = time.monotonic()
    from django.db.models import Exists, OuterRef

    qs = (Case.objects.filter(region_path__startswith=gen.BENCH_PATH_PREFIX, registered_by__isnull=True)
          .filter(~Exists(TextKey.objects.filter(case_id=OuterRef("pk")))).order_by("pk"))  # an anti-join
    if not qs.exists():
        return 0
    total = qs.count()
    keys = _TextKeys(workers=min(os.cpu_count() or 1, 4) if total >= KEY_WORKERS_FROM else 0)
    last, done = 0, 0
    while True:
        rows = list(qs.filter(pk__gt=last).values_list("pk", "title", "description", "demands")[:CHUNK])
        if not rows:
            break
        for pk, title, description, demands in rows:
            keys.add(pk, case_text(title, description, demands))
        keys.flush()
        last, done = rows[-1][0], done + len(rows)
    keys.finish()
    say(f"  已补充 {done} 件基准事项的文本索引（{keys.written} 条，{time.monotonic() - t0:.1f} 秒）")
    return done
