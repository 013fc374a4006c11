"""The demo district: its shape, its logins, determinism and idempotency of `fangtiao demo`."""

from __future__ import annotations

import hashlib
import io
from collections import Counter

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError

from fangtiao.audit.models import AuditEvent
from fangtiao.core.validators import phone_error
from fangtiao.mediation.models import MediatorRelation, Room
from fangtiao.org import demo
from fangtiao.org.models import Expert, Mediator, Region, Unit, User

SMALL = {"villages": 30, "village_mediators": 40}

TOWNSHIPS = [
    ("331003001", "东城街道", "street"), ("331003002", "西城街道", "street"), ("331003003", "南城街道", "street"),
    ("331003004", "北城街道", "street"), ("331003005", "新前街道", "street"), ("331003006", "江口街道", "street"),
    ("331003007", "高桥街道", "street"), ("331003008", "澄江街道", "street"),
    ("331003101", "院桥镇", "town"), ("331003102", "沙埠镇", "town"), ("331003103", "头陀镇", "town"),
    ("331003104", "北洋镇", "town"), ("331003105", "宁溪镇", "town"),
    ("331003201", "富山乡", "township"), ("331003202", "上郑乡", "township"), ("331003203", "上垟乡", "township"),
    ("331003204", "屿头乡", "township"), ("331003205", "平田乡", "township"), ("331003206", "茅畲乡", "township"),
]


def digest(p: demo.Plan) -> str:
    unit_names = {u.key: u.name for u in p.units}
    pairs = sorted((unit_names[m.unit], m.name) for m in p.mediators)
    return hashlib.sha256(repr(pairs).encode()).hexdigest()


def row_counts() -> Counter[str]:
    return Counter({
        m._meta.label: m._default_manager.count()
        for label in ("org", "audit", "mediation")
        for m in apps.get_app_config(label).get_models(include_auto_created=True)
    })


def run_demo(**options: object) -> str:
    """The district only (the year of cases has its own tests in cases/tests/test_demo_cases.py)."""
    out = io.StringIO()
    options.setdefault("no_cases", True)
    call_command("demo", stdout=out, **options)
    return out.getvalue()


# --- the plan (no database) ------------------------------------------------------------------


class TestPlan:
    def test_same_seed_same_plan(self):
        a = demo.plan(seed=2018, villages=240, village_mediators=300)
        b = demo.plan(seed=2018, villages=240, village_mediators=300)
        assert a == b
        assert digest(a) == digest(b)
        assert digest(demo.plan(seed=7, villages=240, village_mediators=300)) != digest(a)

    def test_generators_are_deterministic_and_prefix_stable(self):
        t = demo.TOWNSHIPS[8]  # 院桥镇
        assert demo.village_names(2018, t, 12) == demo.village_names(2018, t, 12)
        # A smaller build is a subset of a larger one, so re-running with larger options only adds.
        assert demo.village_names(2018, t, 5) == demo.village_names(2018, t, 12)[:5]
        assert demo.community_names(2018, demo.TOWNSHIPS[0], 3) == demo.community_names(2018, demo.TOWNSHIPS[0], 9)[:3]
        assert demo.people(2018, "x", 4) == demo.people(2018, "x", 10)[:4]

    def test_more_village_mediators_only_add(self):
        def per_unit(n: int) -> Counter[str]:
            return Counter(m.unit for m in demo.plan(village_mediators=n).mediators)

        small, large = per_unit(300), per_unit(demo.FULL_VILLAGE_MEDIATORS)
        assert all(large[k] >= n for k, n in small.items())

    def test_regions(self):
        p = demo.plan()
        townships = [(r.code, r.name, r.kind) for r in p.regions if r.level == "township"]
        assert townships == TOWNSHIPS
        villages = [r for r in p.regions if r.level == "village"]
        assert len(villages) == demo.DEFAULT_VILLAGES
        assert 200 <= len(villages) <= 300
        assert len({r.code for r in p.regions}) == len(p.regions)
        for r in villages:
            assert len(r.code) == 12 and r.code.startswith(r.parent)
            assert r.name.endswith("社区" if r.kind == "community" else "村")
            assert (r.code[9] == "0") == (r.kind == "community")
        by_township = Counter((r.parent, r.name) for r in villages)
        assert max(by_township.values()) == 1, "names are unique within a township"
        kinds = {code: Counter(r.kind for r in villages if r.parent == code) for code, _n, _k in TOWNSHIPS}
        for code, _name, kind in TOWNSHIPS:
            if kind == "street":
                assert kinds[code]["community"] > kinds[code]["village"]
            else:
                assert kinds[code]["community"] == 0
        assert ("331003001", "绿城社区") in {(r.parent, r.name) for r in villages}

    def test_people_and_units(self):
        p = demo.plan(village_mediators=demo.FULL_VILLAGE_MEDIATORS)
        kinds = {u.key: u.kind for u in p.units}
        village = [m for m in p.mediators if kinds[m.unit] == "village_committee"]
        assert len(village) == 2027
        assert all(m.employment == "part_time" for m in village)
        assert all(phone_error(m.phone) is None for m in p.mediators)
        assert all(0 < len(u.short_name) <= 20 for u in p.units)
        assert len({(u.region, u.name) for u in p.units}) == len(p.units)
        assert Counter((m.unit, m.name) for m in p.mediators).most_common(1)[0][1] == 1
        assert {code for code, _ in demo.DISPUTE_CATEGORIES} >= {c for m in p.mediators for c in m.specialties}

    def test_bad_options(self):
        with pytest.raises(ValueError, match="村（社区）数量"):
            demo.plan(villages=5)
        with pytest.raises(CommandError):
            call_command("demo", villages=10_000, stdout=io.StringIO())


# --- building it -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_builds_the_district():
    out = run_demo(**SMALL)
    assert "已载入" in out and "http://127.0.0.1:8000/" in out and "FANGTIAO_DEMO_PASSWORD" in out

    district = Region.objects.get(code="331003")
    assert district.path == "330000/331000/331003/" and district.kind == "district"
    assert list(district.children.order_by("code").values_list("code", "name", "kind")) == TOWNSHIPS
    assert Region.objects.filter(level="village").count() == 30

    units = Unit.objects.filter(region__code__startswith="331003")
    centre = units.get(name="黄岩区矛盾纠纷综合化解中心")
    assert (centre.kind, centre.short_name) == ("centre", "黄岩矛调")
    stationed = units.filter(stationed=True)
    assert stationed.count() == 7 and set(stationed.values_list("parent", flat=True)) == {centre.pk}
    assert {"political_legal", "court", "discipline", "petition_bureau", "justice_bureau", "line_department",
            "public_security"} == set(stationed.values_list("kind", flat=True))
    assert units.filter(joint_response=True, kind="line_department").count() == 12
    for kind in ("subcentre", "petition_office", "justice_office", "township_committee"):
        assert units.filter(kind=kind).count() == 19
    assert units.filter(kind="village_committee").count() == 30
    assert units.filter(kind="professional_committee").count() == 4
    assert units.filter(kind="studio").count() == 3
    # The units the article's cases will need (宁溪 wall crack, 绿城 property fees).
    ningxi = Region.objects.get(code="331003105")
    for name, kind in (("宁溪镇人民调解委员会", "township_committee"), ("宁溪中心司法所", "justice_office"),
                       ("黄岩区人民法院宁溪人民法庭", "tribunal")):
        assert Unit.objects.get(region=ningxi, name=name).kind == kind
    assert Unit.objects.get(region__code="331003001001").name == "绿城社区人民调解委员会"
    assert Unit.objects.get(name="信访调解室").kind == "petition_mediation_room"

    mediators = Mediator.objects.all()
    assert mediators.filter(unit__kind="district_committee", employment="full_time").count() == 4
    assert mediators.filter(unit__kind="district_committee", employment="part_time").count() == 28
    full_time = Counter(mediators.filter(unit__kind="township_committee", employment="full_time").values_list("unit", flat=True))
    assert len(full_time) == 19 and set(full_time.values()) == {2}
    assert mediators.filter(unit__kind="village_committee", employment="part_time").count() == 40
    assert not mediators.filter(unit__kind="village_committee", employment="full_time").exists()
    assert Counter(Expert.objects.values_list("kind", flat=True)) == {"mediation_expert": 2, "lawyer": 5, "specialist": 11}
    # The database holds exactly the plan's people.
    p = demo.plan(**SMALL)
    unit_names = {u.key: u.name for u in p.units}
    assert sorted(mediators.values_list("unit__name", "name")) == sorted((unit_names[m.unit], m.name) for m in p.mediators)

    # Every demo login: right role and unit, and the demo password works.
    for s in p.logins:
        user = User.objects.select_related("unit").get(username=s.username)
        assert list(user.roles.values_list("code", flat=True)) == [s.role]
        assert user.unit.name == unit_names[s.unit]
        assert authenticate(username=s.username, password=settings.DEMO_PASSWORD) == user, s.username
    assert User.objects.get(username="t01_mediator").mediator.unit.name == "东城街道人民调解委员会"
    assert User.objects.get(username="t01_mediator").mediator.employment == "full_time"
    assert User.objects.get(username="mediator").mediator.unit.kind == "district_committee"
    assert User.objects.get(username="expert").expert.kind == "lawyer"
    # Mediation: court liaisons at the court and each tribunal, the backlog's responsible leaders, expert
    # logins linked to their experts, rooms at the centre and every sub-centre, declared relations and
    # part-time mediators' employers (the conflict rules read them).
    for username, unit_name in (("court", "黄岩区人民法院"), ("court_ningxi", "黄岩区人民法院宁溪人民法庭"),
                                ("court_yuanqiao", "黄岩区人民法院院桥人民法庭"),
                                ("court_chengjiang", "黄岩区人民法院澄江人民法庭")):
        user = User.objects.get(username=username)
        assert user.unit.name == unit_name and user.role_codes == {"court_liaison"}
    assert {u.username for u in User.objects.filter(roles__code="leader")} >= {"leader", "zfw_leader", "xfj_leader", "sfj_leader"}
    experts = {e.user.username: e for e in Expert.objects.filter(user__isnull=False).select_related("user")}
    assert set(experts) == {"expert", "expert_chief", "expert_build", "expert_property", "expert_medical"}
    assert experts["expert_chief"].kind == "mediation_expert" and experts["expert_build"].fields == ["建筑工程"]
    assert all(e.user.role_codes == {"expert"} for e in experts.values())
    assert Room.objects.filter(unit=centre).count() == len(demo.CENTRE_ROOMS)
    assert set(Room.objects.filter(unit__kind="subcentre").values_list("unit", flat=True)) == \
        set(units.filter(kind="subcentre").values_list("pk", flat=True))
    relations = MediatorRelation.objects.select_related("mediator__unit")
    assert relations.count() == len(p.relations) == 5
    assert {r.mediator.unit.kind for r in relations} == {"village_committee", "township_committee"}
    assert all(r.id_index and r.phone_index for r in relations)
    employed = mediators.exclude(employer="")
    assert employed.count() == 2 * 19 and set(employed.values_list("employment", flat=True)) == {"part_time"}
    assert set(employed.values_list("unit__kind", flat=True)) == {"township_committee"}
    out_lines = out.splitlines()
    assert any("court_ningxi" in line and "法院联络员" in line for line in out_lines)
    assert any("expert_build" in line and "专家库成员" in line for line in out_lines)

    # issue 9: no shared or default account names; the three separated administrators, each personal
    assert not User.objects.filter(username__in=["admin", "root", "administrator", "test", "sa", "guest"]).exists()
    assert not User.objects.filter(is_superuser=True).exists()
    sysadmin, secadmin, auditor = (User.objects.get(username=n) for n in ("sysadmin", "secadmin", "auditor"))
    assert sysadmin.role_codes == {"admin"} and secadmin.role_codes == {"security"} and auditor.role_codes == {"auditor"}
    assert all(u.is_staff and not u.is_superuser for u in (sysadmin, secadmin, auditor))
    assert sysadmin.has_perm("org.change_unit") and not sysadmin.has_perm("audit.view_auditevent")
    assert not sysadmin.has_perm("org.change_user") and secadmin.has_perm("org.change_user")
    assert auditor.has_perm("audit.view_auditevent") and not auditor.has_perm("org.change_unit")
    from fangtiao.security.validators import CharacterClassValidator, ContextWordValidator, LengthValidator
    for validator in (LengthValidator(), CharacterClassValidator(), ContextWordValidator()):
        validator.validate(settings.DEMO_PASSWORD, sysadmin)
    assert AuditEvent.objects.filter(action="demo.loaded").count() == 1

    # Idempotent: the second run creates no row in any table of org or audit.
    before = row_counts()
    out = run_demo(**SMALL)
    assert "演示数据已存在" in out
    assert row_counts() == before


@pytest.mark.django_db
def test_demo_completes_an_earlier_build():
    run_demo(villages=30, village_mediators=10)
    # A login link lost since (the build is one transaction, so this stands for any damage).
    Mediator.objects.filter(user__username="t02_mediator").update(user=None)
    before = row_counts()
    run_demo(villages=30, village_mediators=25)
    delta = row_counts() - before
    assert delta["org.Mediator"] == 15
    assert delta["audit.AuditEvent"] == 15 + 1 + 1  # the new mediators, the restored link, demo.loaded
    assert set(delta) == {"org.Mediator", "org.Mediator_specialties", "audit.AuditEvent"}
    assert User.objects.get(username="t02_mediator").mediator.unit.name == "西城街道人民调解委员会"
    assert AuditEvent.objects.filter(action="demo.loaded").count() == 2
