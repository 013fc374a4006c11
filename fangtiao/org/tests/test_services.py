"""Registry services: rules, permissions, jurisdiction, bad input, audit."""

import datetime as dt

import pytest

from fangtiao.audit.models import AuditEvent
from fangtiao.core.errors import NotFound, PermissionDenied, ValidationFailed
from fangtiao.org import services
from fangtiao.org.models import Mediator, Region, Unit


def errors_of(exc_info):
    return {e.field: e.message for e in exc_info.value.errors}


class TestRegions:
    def test_path_and_depth(self, world):
        assert world.v01.path == "331003/331003001/331003001201/"
        assert world.v01.depth == 2

    def test_bad_code(self, world):
        with pytest.raises(ValidationFailed) as exc:
            services.region_create(actor=None, code="33100300", name="x", level="village", kind="village", parent=world.t01)
        assert "区划代码" in errors_of(exc)["code"]

    def test_duplicate_code(self, world):
        with pytest.raises(ValidationFailed) as exc:
            services.region_create(actor=None, code="331003001", name="重复", level="township", kind="street", parent=world.district)
        assert "已存在" in errors_of(exc)["code"]

    def test_level_must_descend(self, world):
        with pytest.raises(ValidationFailed):
            services.region_create(actor=None, code="331003009", name="x", level="district", kind="district", parent=world.district)

    def test_admin_cannot_create_outside_scope(self, world):
        other = services.region_create(actor=None, code="331004", name="路桥区", level="district", kind="district", parent=None)
        with pytest.raises(ValidationFailed) as exc:
            services.region_create(actor=world.users["admin"], code="331004001", name="路南街道", level="township",
                                   kind="street", parent=other)
        assert "管辖范围" in errors_of(exc)["parent"]

    def test_update_audited(self, world):
        services.region_update(actor=world.users["admin"], region=world.t01, name="东城街道办")
        assert Region.objects.get(code="331003001").name == "东城街道办"
        assert AuditEvent.objects.filter(action="org.region.updated", subject_id=str(world.t01.pk)).exists()

    def test_update_needs_capability(self, world):
        with pytest.raises(PermissionDenied):
            services.region_update(actor=world.users["leader"], region=world.t01, name="x")


class TestUnits:
    def test_create_and_search_key(self, world):
        u = services.unit_create(actor=world.users["admin"], name="物业纠纷人民调解委员会", short_name="物业调委",
                                 kind="professional_committee", level="district", region=world.district)
        assert "wyjfrmtjwyh" in u.search_key
        assert AuditEvent.objects.filter(action="org.unit.created", subject_id=str(u.pk)).exists()

    def test_duplicate_name_in_region(self, world):
        with pytest.raises(ValidationFailed) as exc:
            services.unit_create(actor=world.users["admin"], name="黄岩区人民法院", short_name="法院", kind="court",
                                 level="district", region=world.district)
        assert "同名" in errors_of(exc)["name"]

    @pytest.mark.parametrize(
        ("field", "value", "fragment"),
        [("kind", "bank", "单位类型"), ("level", "galaxy", "单位层级"), ("phone", "12345", "11位"), ("name", "", "必填")],
    )
    def test_bad_input(self, world, field, value, fragment):
        data = {"name": "新单位", "short_name": "新", "kind": "other", "level": "district", "region": world.district}
        data[field] = value
        with pytest.raises(ValidationFailed) as exc:
            services.unit_create(actor=world.users["admin"], **data)
        assert fragment in errors_of(exc)[field]
        assert not Unit.objects.filter(name="新单位").exists()

    def test_short_name_is_unique(self, world):
        """The short name heads every case and transfer number: a duplicate is refused, not a 500 later."""
        with pytest.raises(ValidationFailed) as exc:
            services.unit_create(actor=world.users["admin"], name="另一个中心", short_name="黄岩矛调", kind="other",
                                 level="district", region=world.district)
        assert "已被黄岩区矛盾纠纷综合化解中心使用" in errors_of(exc)["short_name"]

    def test_update_outside_scope_is_not_found(self, world):
        t01_admin = services.staff_create(actor=None, username="t01_admin", name="街道管理员", unit=world.units["t01_subcentre"],
                                          roles=["admin"], password="Adm-Passw0rd-1")
        with pytest.raises(NotFound):
            services.unit_update(actor=t01_admin, unit=world.units["t02_committee"], name="x")

    def test_cannot_be_own_parent(self, world):
        u = world.units["t01_committee"]
        with pytest.raises(ValidationFailed):
            services.unit_update(actor=world.users["admin"], unit=u, parent=u)


class TestMediators:
    def test_create_full(self, world):
        m = services.mediator_create(
            actor=world.users["head_t01"], name="陈一鸣", unit=world.units["t01_committee"], employment="part_time",
            specialties=["neighbour", "contract"], phone="+86 137 1111 2222", joined_on=dt.date(2024, 3, 1),
        )
        assert m.phone == "13711112222"
        assert m.phone_index and m.search_key.startswith("cym")
        assert sorted(c.code for c in m.specialties.all()) == ["contract", "neighbour"]
        event = AuditEvent.objects.get(action="org.mediator.created", subject_id=str(m.pk))
        assert event.actor_username == "head_t01"

    def test_must_belong_to_a_mediation_committee(self, world):
        with pytest.raises(ValidationFailed) as exc:
            services.mediator_create(actor=world.users["admin"], name="甲", unit=world.units["court"], employment="full_time")
        assert "人民调解委员会" in errors_of(exc)["unit"]

    def test_head_only_own_committee(self, world):
        with pytest.raises(ValidationFailed) as exc:
            services.mediator_create(actor=world.users["head_t01"], name="乙", unit=world.units["v01_committee"],
                                     employment="part_time")
        assert "本调委会" in errors_of(exc)["unit"]
        with pytest.raises(PermissionDenied):
            services.mediator_update(actor=world.users["head_t01"], mediator=world.mediators["zhao_v01"], name="x")

    def test_head_cannot_touch_other_township(self, world):
        with pytest.raises(NotFound):
            services.mediator_update(actor=world.users["head_t01"], mediator=world.mediators["li_t02"], name="x")

    def test_clerk_cannot_manage(self, world):
        with pytest.raises(PermissionDenied):
            services.mediator_create(actor=world.users["clerk_t01"], name="丙", unit=world.units["t01_committee"],
                                     employment="part_time")

    @pytest.mark.parametrize(
        ("field", "value", "fragment"),
        [
            ("employment", "sometimes", "专兼职"),
            ("specialties", ["neighbour", "aliens"], "aliens"),
            ("phone", "1391234567", "11位"),
            ("name", "名" * 51, "50"),
            ("joined_on", dt.date(2999, 1, 1), "晚于今天"),
            ("status", "dead", "状态"),
        ],
    )
    def test_bad_input_changes_nothing(self, world, field, value, fragment):
        m = world.mediators["wang_t01"]
        before = AuditEvent.objects.count()
        with pytest.raises(ValidationFailed) as exc:
            services.mediator_update(actor=world.users["admin"], mediator=m, **{field: value})
        assert fragment in errors_of(exc)[field]
        fresh = Mediator.objects.get(pk=m.pk)
        assert fresh.name == "王小明" and fresh.employment == "full_time" and fresh.phone == "13912345678"
        assert AuditEvent.objects.count() == before

    def test_retire_is_audited_with_diff(self, world):
        services.mediator_update(actor=world.users["admin"], mediator=world.mediators["shan_t01"], status="retired")
        event = AuditEvent.objects.filter(action="org.mediator.updated").latest("id")
        assert event.changes == {"status": ["active", "retired"]}

    def test_no_change_no_event(self, world):
        before = AuditEvent.objects.count()
        services.mediator_update(actor=world.users["admin"], mediator=world.mediators["shan_t01"], name="单晓曾")
        assert AuditEvent.objects.count() == before


class TestExperts:
    def test_fields_parsed_from_text(self, world):
        e = services.expert_create(actor=world.users["admin"], name="周工", kind="specialist", fields="建筑工程、房地产评估,造价",
                                   unit=world.units["centre"])
        assert e.fields == ["建筑工程", "房地产评估", "造价"]

    def test_bad_kind(self, world):
        with pytest.raises(ValidationFailed):
            services.expert_create(actor=world.users["admin"], name="周工", kind="wizard", unit=world.units["centre"])

    def test_only_admin(self, world):
        with pytest.raises(PermissionDenied):
            services.expert_update(actor=world.users["leader"], expert=world.experts["lawyer"], name="x")


class TestStaff:
    def test_create_checks_password_policy(self, world):
        with pytest.raises(ValidationFailed) as exc:
            services.staff_create(actor=_security_admin(world), username="new", name="新人", unit=world.units["centre"],
                                  roles=["clerk"], password="123")
        assert "password" in errors_of(exc)

    def test_duplicate_username_case_insensitive(self, world):
        with pytest.raises(ValidationFailed):
            services.staff_create(actor=_security_admin(world), username="CLERK_T01", name="x", unit=world.units["centre"],
                                  roles=["clerk"], password="Good-Passw0rd-9")

    def test_unknown_role(self, world):
        with pytest.raises(ValidationFailed) as exc:
            services.staff_create(actor=_security_admin(world), username="n2", name="x", unit=world.units["centre"],
                                  roles=["king"], password="Good-Passw0rd-9")
        assert "king" in errors_of(exc)["roles"]

    def test_update_roles_audited(self, world):
        services.staff_update(actor=_security_admin(world), user=world.users["clerk_t01"], roles=["clerk", "officer"])
        event = AuditEvent.objects.filter(action="org.staff.updated").latest("id")
        assert event.changes["roles"] == [["clerk"], ["clerk", "officer"]]

    def test_cannot_deactivate_self(self, world):
        with pytest.raises(ValidationFailed):
            sec = _security_admin(world)
            services.staff_update(actor=sec, user=sec, is_active=False)


class TestReveal:
    def test_reveal_audited(self, world):
        value = services.pii_reveal(actor=world.users["clerk_t01"], kind="mediator", pk=world.mediators["wang_t01"].pk,
                                    field="phone", reason="联系调解")
        assert value == "13912345678"
        event = AuditEvent.objects.filter(action="pii.revealed").latest("id")
        assert event.actor_username == "clerk_t01" and event.extra == {"field": "phone", "reason": "联系调解"}
        assert "13912345678" not in str(event.changes) + str(event.extra)

    def test_reveal_outside_scope_not_found(self, world):
        with pytest.raises(NotFound):
            services.pii_reveal(actor=world.users["clerk_t02"], kind="mediator", pk=world.mediators["wang_t01"].pk, field="phone")

    def test_reveal_needs_capability(self, world):
        with pytest.raises(PermissionDenied):
            services.pii_reveal(actor=world.users["mediator_t01"], kind="mediator", pk=world.mediators["wang_t01"].pk, field="phone")

    def test_unknown_field(self, world):
        with pytest.raises(NotFound):
            services.pii_reveal(actor=world.users["admin"], kind="mediator", pk=world.mediators["wang_t01"].pk, field="password")


def _security_admin(world):  # type: ignore[no-untyped-def]
    """Staff accounts are the security administrator's (GB/T 22239 8.1.4.2 d/e; issue 9)."""
    from fangtiao.core.testing.world import PASSWORD
    from fangtiao.org.models import User

    return User.objects.filter(username="sec_admin").first() or services.staff_create(
        actor=None, username="sec_admin", name="安全员甲", unit=world.units["centre"], roles=["security"], password=PASSWORD)
