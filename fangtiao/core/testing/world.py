"""A small, named world for tests: one district, two townships, their villages, units,
people and the personas of STYLE.md (clerk_t01, mediator_t01, clerk_t02, leader …).

Built through the services (actor=None: system), so audit rows and search keys are real."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fangtiao.org import services
from fangtiao.org.models import Expert, Mediator, Region, Unit, User
from fangtiao.org.seed import ensure_reference_data

PASSWORD = "Test-Passw0rd!"  # noqa: S105 - test personas only


@dataclass
class World:
    district: Region
    t01: Region
    t02: Region
    v01: Region
    v02: Region
    units: dict[str, Unit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    mediators: dict[str, Mediator] = field(default_factory=dict)
    experts: dict[str, Expert] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        for bucket in ("users", "units", "mediators", "experts"):
            d = self.__dict__.get(bucket, {})
            if name in d:
                return d[name]
        raise AttributeError(name)


def build_world() -> World:
    # A transactional test before this one may have flushed the seeded reference tables.
    ensure_reference_data()
    from fangtiao.clocks.seed import ensure_rules

    ensure_rules()
    district = services.region_create(actor=None, code="331003", name="黄岩区", level="district", kind="district", parent=None)
    t01 = services.region_create(actor=None, code="331003001", name="东城街道", level="township", kind="street", parent=district)
    t02 = services.region_create(actor=None, code="331003002", name="西城街道", level="township", kind="street", parent=district)
    v01 = services.region_create(actor=None, code="331003001201", name="上洋村", level="village", kind="village", parent=t01)
    v02 = services.region_create(actor=None, code="331003002201", name="下叶村", level="village", kind="village", parent=t02)
    w = World(district=district, t01=t01, t02=t02, v01=v01, v02=v02)

    def unit(key: str, name: str, short: str, kind: str, level: str, region: Region, parent: Unit | None = None) -> Unit:
        u = services.unit_create(actor=None, name=name, short_name=short, kind=kind, level=level, region=region, parent=parent)
        w.units[key] = u
        return u

    centre = unit("centre", "黄岩区矛盾纠纷综合化解中心", "黄岩矛调", "centre", "district", district)
    unit("district_committee", "黄岩区人民调解委员会", "黄岩区调委", "district_committee", "district", district, centre)
    unit("court", "黄岩区人民法院", "黄岩法院", "court", "district", district, centre)
    for key, region, name in (("t01", t01, "东城街道"), ("t02", t02, "西城街道")):
        sub = unit(f"{key}_subcentre", f"{name}联合调解分中心", f"{name[:2]}分中心", "subcentre", "township", region)
        unit(f"{key}_committee", f"{name}人民调解委员会", f"{name[:2]}调委", "township_committee", "township", region, sub)
    unit("v01_committee", "上洋村人民调解委员会", "上洋村调委", "village_committee", "village", v01)
    unit("v02_committee", "下叶村人民调解委员会", "下叶村调委", "village_committee", "village", v02)

    def user(username: str, name: str, unit_key: str, roles: list[str], **kw: Any) -> User:
        u = services.staff_create(actor=None, username=username, name=name, unit=w.units[unit_key], roles=roles,
                                  password=PASSWORD, phone=kw.get("phone", ""))
        if kw.get("is_staff"):
            User.objects.filter(pk=u.pk).update(is_staff=True)
            u.is_staff = True
        if {"officer", "leader"} & set(roles):  # accusation handlers hold 涉及检举揭发 clearance (ADR 0022)
            User.objects.filter(pk=u.pk).update(clearance=2)
            u.clearance = 2
        w.users[username] = u
        return u

    user("admin", "管理员甲", "centre", ["admin"], is_staff=True)
    user("auditor", "审计员乙", "centre", ["auditor"])
    user("leader", "区领导丙", "centre", ["leader"])
    user("officer", "信访干部丁", "centre", ["officer"])
    user("head", "主任戊", "district_committee", ["committee_head"])
    user("clerk_t01", "东城接待员", "t01_subcentre", ["clerk"], phone="13800000001")
    user("head_t01", "东城调委主任", "t01_committee", ["committee_head"])
    user("mediator_t01", "东城调解员", "t01_committee", ["mediator"])
    user("clerk_t02", "西城接待员", "t02_subcentre", ["clerk"])
    user("expert_user", "律师己", "centre", ["expert"])

    def mediator(key: str, name: str, unit_key: str, employment: str, specialties: list[str], **kw: Any) -> Mediator:
        m = services.mediator_create(actor=None, name=name, unit=w.units[unit_key], employment=employment,
                                     specialties=specialties, phone=kw.get("phone", ""), user=kw.get("user"))
        w.mediators[key] = m
        return m

    mediator("wang_t01", "王小明", "t01_committee", "full_time", ["neighbour", "property"], phone="13912345678",
             user=w.users["mediator_t01"])
    mediator("shan_t01", "单晓曾", "t01_committee", "full_time", ["labour"])
    mediator("li_t02", "李建国", "t02_committee", "full_time", ["marriage_family"], phone="0576-84123456")
    mediator("zhao_v01", "赵春花", "v01_committee", "part_time", ["neighbour"])
    mediator("qian_district", "钱大伟", "district_committee", "full_time", ["medical", "traffic"])

    w.experts["lawyer"] = services.expert_create(actor=None, name="孙律师", kind="lawyer", fields=["民事", "劳动"],
                                                 unit=w.units["centre"], organisation="某某律师事务所",
                                                 specialties=["labour"], phone="13700000000", user=w.users["expert_user"])
    return w
