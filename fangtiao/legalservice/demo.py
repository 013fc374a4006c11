"""The demo district's year of public legal service, made through the services at simulated
moments: about 650 consultations (the article's figure) at the counters of the district centre and
the township sub-centres, by phone and online, most answered by the duty lawyer, a few turned into
cases; and lawyers' participation in some of the year's mediations. Deterministic for a seed."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from fangtiao.cases.demo import demo_year, simulated_time
from fangtiao.legalservice import services
from fangtiao.legalservice.models import Consultation
from fangtiao.org.models import Expert, Region, User

# (topic, question, answer, category) — invented for the demo.
TOPICS = [
    ("土地承包经营权流转咨询", "承包地流转给合作社，合同到期后对方不退地怎么办？", "可先申请村调委会调解，不成的可申请农村土地承包仲裁。", "land_forest"),
    ("拖欠工资如何维权", "在工地干了三个月，包工头一直拖欠工资。", "可向劳动保障监察投诉，也可申请劳动仲裁；农民工可申请法律援助。", "labour"),
    ("离婚财产分割", "婚后共同购买的房屋登记在一方名下，离婚时如何分割？", "原则上属于夫妻共同财产，可协商分割，协商不成可诉讼。", "marriage_family"),
    ("赡养纠纷", "兄弟几个对老人赡养费分摊意见不一。", "成年子女均有赡养义务，可由村调委会组织家庭协商。", "marriage_family"),
    ("交通事故赔偿", "电动车被小汽车撞伤，保险公司赔偿标准是什么？", "可按人身损害赔偿司法解释计算，建议申请交通事故纠纷调解。", "traffic"),
    ("邻里通行纠纷", "邻居在公共通道上堆放杂物影响通行。", "可请村调委会调解，必要时主张排除妨害。", "neighbour"),
    ("物业费争议", "小区电梯长期故障，能否拒交物业费？", "可要求物业履行维修义务，拒交需谨慎，建议通过业委会或调解解决。", "property"),
    ("宅基地翻建审批", "老房子翻建需要办理哪些手续？", "向村委会提出申请，经乡镇审核批准，按批准面积建设。", "housing_homestead"),
    ("消费退款纠纷", "网购商品质量有问题，商家拒绝退货。", "可依消费者权益保护法要求退换，可向市场监管部门投诉。", "consumer"),
    ("医疗纠纷处理途径", "家属在医院治疗后病情加重，认为存在过错。", "可申请医疗纠纷人民调解，也可申请医疗损害鉴定后诉讼。", "medical"),
]
NAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑"


def already_loaded() -> bool:
    return Consultation.objects.exists()


def build(*, seed: int, n: int = 650, today: dt.date | None = None,
          log: Callable[[str], None] | None = None) -> dict[str, int]:
    say = log or (lambda _msg: None)
    today = today or timezone.localdate()
    if already_loaded():
        return {"skipped": 1}
    rng = random.Random(seed * 104729 + 11)  # noqa: S311 - demo data, not secrets
    first, last = demo_year(today)
    staff = list(User.objects.filter(is_active=True, unit__isnull=False, unit__kind__in=["centre", "subcentre"],
                                     roles__code__in=["clerk", "officer"]).select_related("unit__region").distinct()
                 .order_by("id"))
    lawyers = list(Expert.objects.filter(kind="lawyer", status="active").order_by("id").values_list("pk", flat=True))
    if not staff:
        return {"skipped": 1}
    villages: dict[str, list[str]] = {}
    for code, path in Region.objects.filter(level="village").values_list("code", "path"):
        villages.setdefault(path, []).append(code)
    tz = timezone.get_current_timezone()
    counts = {"consultations": 0, "online": 0, "to_case": 0}
    span = (last - first).days
    with transaction.atomic(), simulated_time() as clock:
        for _ in range(n):
            actor = rng.choice(staff)
            day = first + dt.timedelta(days=rng.randint(0, span))
            while day.weekday() >= 5 and rng.random() < 0.85:
                day += dt.timedelta(days=1)
            day = min(day, last)
            at = dt.datetime.combine(day, dt.time(rng.randint(8, 16), rng.randint(0, 59)), tzinfo=tz)
            clock.moment = at + dt.timedelta(minutes=30)
            base = actor.unit.region.path
            places = [c for p, codes in villages.items() if p.startswith(base) for c in codes] or [actor.unit.region.code]
            topic, question, answer, category = rng.choice(TOPICS)
            channel = rng.choices(["visit", "phone", "online"], weights=[6, 3, 2])[0]
            services.consultation_record(
                actor=actor, channel=channel, region=rng.choice(places),
                asker_name=rng.choice(NAMES) + "某某", asker_phone=f"139{rng.randint(10000000, 99999999)}",
                topic=topic, question=question, answer=answer, category=category,
                lawyer=rng.choice(lawyers) if lawyers and rng.random() < 0.8 else None,
                duration_minutes=rng.choice([10, 15, 20, 30, 45, 60]), received_at=at)
            counts["consultations"] += 1
            counts["online"] += channel == "online"
    say(f"法律咨询 {counts['consultations']} 件（网上 {counts['online']} 件）")
    return counts
