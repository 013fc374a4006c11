"""Rules: the default ¥1000 per resolved backlog case, category / complexity / level rules, inactive
and out-of-date rules ignored, the split among mediators and the committee's line, validation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fangtiao.audit.models import AuditEvent
from fangtiao.core.errors import PermissionDenied, ValidationFailed
from fangtiao.subsidies import services
from fangtiao.subsidies.models import SubsidyRule
from fangtiao.subsidies.rules import parse_period, split
from fangtiao.subsidies.tests.support import (
    agreed_case,
    amounts,
    backlog_case,
    leader_t01,
    mediation_rule,
    prepare,
)

Y = Decimal


def test_default_rule_seeded_1000_per_backlog_case(xw):
    rule = SubsidyRule.objects.get(kind="backlog")
    assert rule.amount == Y("1000.00") and rule.active and rule.valid_to is None
    case = backlog_case(xw)
    batch = prepare(xw)
    assert batch.total == Y("1000.00") and batch.case_count == 1
    line = batch.lines.get()
    assert line.name == "王小明" and line.amount == Y("1000.00")
    item = line.items.get()
    assert item.case_id == case.pk and item.earning.rule_id == rule.pk and item.earning.kind == "backlog"


def test_equal_split_and_lead_takes_all(xw):
    backlog_case(xw, mediators=("wang_t01", "shan_t01", "zhao_v01"))
    SubsidyRule.objects.filter(kind="backlog").update(amount=Y("1000.00"))
    batch = prepare(xw)
    got = amounts(batch)
    assert got == {"王小明": Y("333.34"), "单晓曾": Y("333.33"), "赵春花": Y("333.33")}
    assert sum(got.values()) == Y("1000.00") == batch.total
    assert split(Y("1000.00"), ["a", "b"], "lead") == [("a", Y("1000.00"))]


def test_lead_rule_pays_the_lead_and_committee_line(xw):
    mediation_rule(split="lead", committee_amount=Y("50.00"))
    agreed_case(xw, mediators=("wang_t01", "shan_t01"), lead="shan_t01")
    batch = prepare(xw)
    assert amounts(batch) == {"单晓曾": Y("200.00"), "东城街道人民调解委员会": Y("50.00")}
    committee = batch.lines.get(mediator__isnull=True)
    assert committee.unit == xw.units["t01_committee"] and committee.is_committee


def test_category_complexity_and_level_rules_pick_the_best(xw):
    mediation_rule(name="一般调解", amount=Y("200.00"))
    mediation_rule(name="物业纠纷", amount=Y("300.00"), category_id="property")
    mediation_rule(name="大额", amount=Y("500.00"), min_amount=Y("50000.00"))
    mediation_rule(name="群体", amount=Y("800.00"), min_headcount=5, collective_only=True)
    mediation_rule(name="村级", amount=Y("900.00"), unit_level="village")
    plain = agreed_case(xw, category="neighbour")  # only the general rule
    prop = agreed_case(xw)  # property, 12000 yuan
    big = agreed_case(xw, amount="80000.00")
    village = agreed_case(xw, unit="v01_committee", mediators=("zhao_v01",), category="neighbour")
    batch = prepare(xw)
    by_case = {e.case_id: (e.rule.name, e.amount) for e in batch.earnings.select_related("rule")}
    assert by_case[plain.pk] == ("一般调解", Y("200.00"))
    assert by_case[prop.pk] == ("物业纠纷", Y("300.00"))
    assert by_case[big.pk] == ("大额", Y("500.00"))
    assert by_case[village.pk] == ("村级", Y("900.00"))
    assert batch.total == Y("1900.00")


def test_inactive_and_out_of_date_rules_are_ignored(xw):
    SubsidyRule.objects.filter(kind="backlog").update(active=False)
    SubsidyRule.objects.create(name="旧标准", kind="backlog", amount=Y("500.00"), valid_from=dt.date(2018, 1, 1),
                               valid_to=dt.date(2025, 12, 31))
    SubsidyRule.objects.create(name="新标准", kind="backlog", amount=Y("1200.00"), valid_from=dt.date(2026, 6, 1))
    backlog_case(xw)
    from fangtiao.core.errors import Conflict

    with pytest.raises(Conflict):
        prepare(xw)  # nothing earns in May
    backlog_case(xw, on=dt.date(2026, 6, 3))
    batch = prepare(xw, period="2026-06")
    assert batch.total == Y("1200.00")


def test_region_scoped_rule(xw):
    mediation_rule(name="西城专项", amount=Y("600.00"), region=xw.t02)
    mediation_rule(name="一般", amount=Y("100.00"))
    agreed_case(xw)
    batch = prepare(xw)
    assert batch.total == Y("100.00")


def test_quarter_period():
    p = parse_period("2026-Q2")
    assert (p.start, p.end, p.kind) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30), "quarter")
    assert parse_period("2026-13") is None and parse_period("x") is None and parse_period("2026-Q5") is None


class TestRuleServices:
    def data(self, **kw):
        d = {"name": "调解成功", "kind": "mediation", "amount": "300.00", "valid_from": dt.date(2026, 1, 1)}
        d.update(kw)
        return d

    def test_create_update_audited(self, xw):
        admin = xw.w.users["admin"]
        rule = services.rule_create(actor=admin, data=self.data(category="property", region=xw.t01.code))
        assert rule.amount == Y("300.00") and rule.region_path == xw.t01.path
        rule = services.rule_update(actor=admin, rule_id=rule.pk, data={"amount": "350.00"}, version=1)
        assert rule.amount == Y("350.00") and rule.version == 2
        ev = AuditEvent.objects.filter(action="subsidy.rule_updated").latest("id")
        assert ev.changes["amount"] == ["300.00", "350.00"]
        from fangtiao.core.errors import Conflict

        with pytest.raises(Conflict):
            services.rule_update(actor=admin, rule_id=rule.pk, data={"amount": "1.00"}, version=1)

    @pytest.mark.parametrize(("bad", "field", "message"), [
        ({"amount": "0"}, "amount", "每件奖补金额应大于0"),
        ({"amount": "-5"}, "amount", "每件奖补金额应大于0"),
        ({"amount": "abc"}, "amount", "金额应为数字（元），如 1000.00"),
        ({"amount": "1.001"}, "amount", "每件奖补金额最多保留两位小数（分）"),
        ({"amount": "200000"}, "amount", "每件奖补金额不能超过100000.00元"),
        ({"valid_to": dt.date(2025, 1, 1)}, "valid_to", "失效日期不能早于生效日期"),
        ({"name": " "}, "name", "请填写规则名称"),
        ({"kind": "other"}, "kind", "奖补类型应为信访积案化解或调解成功"),
        ({"category": "nope"}, "category", "纠纷类型不存在"),
        ({"region": "999999"}, "region", "适用区域（区划代码）不存在"),
        ({"min_headcount": 0}, "min_headcount", "涉及人数下限至少为1"),
        ({"committee_amount": "-1"}, "committee_amount", "调委会每件金额不能为负数"),
    ])
    def test_bad_rules_refused_in_chinese(self, xw, bad, field, message):
        before = SubsidyRule.objects.count()
        with pytest.raises(ValidationFailed) as exc:
            services.rule_create(actor=xw.w.users["admin"], data=self.data(**bad))
        assert (field, message) in [(e.field, e.message) for e in exc.value.errors]
        assert SubsidyRule.objects.count() == before

    def test_rules_capability(self, xw):
        with pytest.raises(PermissionDenied):
            services.rule_create(actor=xw.user("t01_subcentre", "officer"), data=self.data())

    def test_model_clean_for_admin(self, xw):
        from django.core.exceptions import ValidationError

        rule = SubsidyRule(name="x", kind="backlog", amount=Y("0"), valid_from=dt.date(2026, 1, 1))
        with pytest.raises(ValidationError) as exc:
            rule.full_clean()
        assert "每件奖补金额应大于0" in str(exc.value)


class TestWhoSetsRules:
    """The subsidy standard is money for the whole district: a township leader (who holds
    subsidy.rules for nothing else) cannot change it; a district leader changes rules of their
    jurisdiction only."""

    def data(self, **kw):
        d = {"name": "调解成功", "kind": "mediation", "amount": "300.00", "valid_from": dt.date(2026, 1, 1)}
        d.update(kw)
        return d

    def other_district_leader(self, xw):
        from fangtiao.org import services as org_services

        region = org_services.region_create(actor=None, code="331004", name="路桥区", level="district", kind="district",
                                            parent=xw.city)
        unit = org_services.unit_create(actor=None, name="路桥区矛调中心", short_name="路桥矛调", kind="centre",
                                        level="district", region=region)
        return xw.user(unit, "leader")

    def test_township_leader_cannot_create_or_change_rules(self, xw):
        default = SubsidyRule.objects.get(kind="backlog")
        events = AuditEvent.objects.filter(action__startswith="subsidy.rule").count()
        for data in (self.data(), self.data(region=xw.t01.code)):
            with pytest.raises(PermissionDenied) as exc:
                services.rule_create(actor=leader_t01(xw), data=data)
            assert exc.value.detail == "以奖代补规则由区级单位负责"
        with pytest.raises(PermissionDenied) as exc:
            services.rule_update(actor=leader_t01(xw), rule_id=default.pk, data={"amount": "99999.00"}, version=1)
        assert exc.value.detail == "以奖代补规则由区级单位负责"
        default.refresh_from_db()
        assert default.amount == Y("1000.00") and default.version == 1
        assert SubsidyRule.objects.count() == 1
        assert AuditEvent.objects.filter(action__startswith="subsidy.rule").count() == events
        assert not services.may_set_rules(leader_t01(xw))

    def test_district_leader_sets_rules_of_the_district(self, xw):
        leader = xw.w.users["leader"]
        default = SubsidyRule.objects.get(kind="backlog")
        rule = services.rule_update(actor=leader, rule_id=default.pk, data={"amount": "1200.00"}, version=1)
        assert rule.amount == Y("1200.00")
        rule = services.rule_create(actor=leader, data=self.data(region=xw.t01.code))
        assert rule.region_path == xw.t01.path
        assert services.may_set_rules(leader, rule) and services.may_set_rules(xw.user("city_bureau", "leader"), rule)

    def test_region_outside_the_jurisdiction(self, xw):
        other = self.other_district_leader(xw)
        before = SubsidyRule.objects.count()
        with pytest.raises(ValidationFailed) as exc:
            services.rule_create(actor=other, data=self.data(region=xw.t01.code))
        assert ("region", "适用区域不在您的管辖范围内") in [(e.field, e.message) for e in exc.value.errors]
        # with two districts, a region-less rule (every district) is the city's to set
        with pytest.raises(ValidationFailed) as exc:
            services.rule_create(actor=other, data=self.data())
        assert exc.value.errors[0].field == "region"
        assert SubsidyRule.objects.count() == before
        default = SubsidyRule.objects.get(kind="backlog")
        with pytest.raises(PermissionDenied) as exc:
            services.rule_update(actor=other, rule_id=default.pk, data={"amount": "1.00"}, version=1)
        assert exc.value.detail == "该规则的适用区域不在您的管辖范围内"
        t01_rule = services.rule_create(actor=xw.user("city_bureau", "leader"), data=self.data(region=xw.t01.code))
        with pytest.raises(PermissionDenied):
            services.rule_update(actor=other, rule_id=t01_rule.pk, data={"amount": "1.00"}, version=1)
        # moving a rule of one's own district out of it is refused too
        mine = services.rule_create(actor=other, data=self.data(region="331004"))
        with pytest.raises(ValidationFailed):
            services.rule_update(actor=other, rule_id=mine.pk, data={"region": xw.t01.code}, version=1)
        mine.refresh_from_db()
        assert mine.region.code == "331004" and mine.version == 1

    def test_system_seeds_rules_audited(self, xw):
        rule = services.rule_create(actor=None, data=self.data(name="系统规则"))
        ev = AuditEvent.objects.filter(action="subsidy.rule_created").latest("id")
        assert ev.subject_id == str(rule.pk) and ev.changes["name"] == [None, "系统规则"]


class TestRuleBounds:
    """Numbers beyond what the columns hold (1e20 people) and control characters are field errors
    in Chinese, never an OverflowError or a DataError; nothing is stored."""

    @pytest.mark.parametrize(("bad", "field", "message"), [
        ({"min_headcount": 10**20}, "min_headcount", "涉及人数下限不能超过100000"),
        ({"min_headcount": 100001}, "min_headcount", "涉及人数下限不能超过100000"),
        ({"min_amount": "1000000000000"}, "min_amount", "涉及金额下限不能超过999999999999元"),
        ({"min_amount": "1e20"}, "min_amount", "涉及金额下限不能超过999999999999元"),
        ({"committee_amount": "100000.01"}, "committee_amount", "调委会每件金额不能超过100000.00元"),
        ({"name": "规则\x00"}, "name", "规则名称不能包含控制字符"),
        ({"note": "说明\x07"}, "note", "说明不能包含控制字符"),
    ])
    def test_service_refuses(self, xw, bad, field, message):
        before = SubsidyRule.objects.count()
        data = {"name": "调解成功", "kind": "mediation", "amount": "300.00", "valid_from": dt.date(2026, 1, 1), **bad}
        with pytest.raises(ValidationFailed) as exc:
            services.rule_create(actor=xw.w.users["leader"], data=data)
        assert (field, message) in [(e.field, e.message) for e in exc.value.errors]
        assert SubsidyRule.objects.count() == before

    def test_boundaries_accepted(self, xw):
        rule = services.rule_create(actor=xw.w.users["leader"], data={
            "name": "上限", "kind": "mediation", "amount": "100000.00", "committee_amount": "100000.00",
            "min_amount": "999999999999.00", "min_headcount": 100000, "valid_from": dt.date(2026, 1, 1),
            "note": "第一行\n第二行"})
        rule.refresh_from_db()
        assert rule.min_headcount == 100000 and rule.min_amount == Y("999999999999.00")
