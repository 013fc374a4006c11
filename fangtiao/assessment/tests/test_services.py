"""Schemes (validation in Chinese, one active per period type and level), the computation (scores,
items, ranks, idempotent recompute in one transaction, audited), commendations and accountability."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from fangtiao.assessment import services
from fangtiao.assessment.models import Accountability, Commendation, Scheme, Score, ScoreItem
from fangtiao.assessment.periods import parse_period
from fangtiao.assessment.tests.support import TODAY, build_month, rebuild
from fangtiao.audit.models import AuditEvent
from fangtiao.cases.models import CaseEvent
from fangtiao.cases.tests.factories import frozen
from fangtiao.core.errors import Conflict, PermissionDenied, ValidationFailed

MAY = parse_period("2026-05")


def leader(xw):
    return xw.w.users["leader"]


def items(**weights):
    targets = {"satisfaction_rate": (0.7, 0.95), "repeat_change": (0.2, -0.1), "mediation_success_rate": (0.6, 0.95),
               "avg_response_days": (15, 3), "backlog_resolved": (0, 1)}
    return [{"indicator": code, "weight": w, "method": "linear", "floor": targets[code][0], "target": targets[code][1]}
            for code, w in weights.items()]


def save(xw, **kw):
    data = {"name": "测试方案", "period_type": "month", "level": "township", "dynamic_share": 50,
            "items": items(satisfaction_rate=60, repeat_change=40)}
    data.update(kw)
    return services.scheme_save(actor=leader(xw), **data)


@pytest.fixture
def month(xw):
    rows = build_month(xw)
    rebuild()
    return rows


class TestSchemes:
    def test_seeded_schemes_sum_to_100(self, db):
        assert Scheme.objects.filter(active=True).count() == 9
        for s in Scheme.objects.prefetch_related("items"):
            assert sum(i.weight for i in s.items.all()) == Decimal(100), s.name

    @pytest.mark.parametrize(("kw", "field", "message"), [
        ({"items": items(satisfaction_rate=60, repeat_change=30)}, "items", "各项权重之和应为 100，当前为 90"),
        ({"items": []}, "items", "方案至少应包含一项指标"),
        ({"items": items(satisfaction_rate=0, repeat_change=100)}, "items.0.weight", "权重应大于 0 且不超过 100"),
        ({"items": [{**items(satisfaction_rate=60)[0], "floor": 0.99}, *items(repeat_change=40)]}, "items.0.floor",
         "“群众满意率”越高越好，保底值应小于目标值"),
        ({"items": [*items(satisfaction_rate=60), {**items(repeat_change=40)[0], "floor": -0.5}]}, "items.1.floor",
         "“重复信访变化”越低越好，保底值应大于目标值"),
        ({"items": [*items(satisfaction_rate=60), {"indicator": "nope", "weight": 40, "target": 1}]}, "items.1.indicator",
         "指标不存在或已停用"),
        ({"level": "mediator", "items": items(satisfaction_rate=60, mediation_success_rate=40)}, "items.0.indicator",
         "指标“群众满意率”不适用于调解员"),
        ({"items": items(satisfaction_rate=60) * 2}, "items.1.indicator", "指标“群众满意率”重复"),
        ({"name": " "}, "name", "请填写方案名称"),
        ({"dynamic_share": 120}, "dynamic_share", "动态考核占比应在 0 到 100 之间"),
    ])
    def test_invalid_schemes_are_refused_in_chinese(self, xw, kw, field, message):
        before = Scheme.objects.count()
        with pytest.raises(ValidationFailed) as e:
            save(xw, **kw)
        assert any(err.field == field and err.message == message for err in e.value.errors), e.value.errors
        assert Scheme.objects.count() == before

    def test_save_retires_the_active_scheme_and_is_audited(self, xw):
        default = Scheme.objects.get(period_type="month", level="township", active=True)
        s = save(xw)  # the district's own scheme: the default (for every other district) stays in force
        assert s.active and s.region_path == xw.w.district.path and Scheme.objects.get(pk=default.pk).active
        ev = AuditEvent.objects.get(action="assessment.scheme_saved", subject_id=str(s.pk))
        assert ev.extra["retired"] == [] and ev.changes["name"] == [None, "测试方案"]
        again = save(xw, name="再定")
        assert not Scheme.objects.get(pk=s.pk).active and Scheme.objects.get(pk=default.pk).active
        assert AuditEvent.objects.get(action="assessment.scheme_saved", subject_id=str(again.pk)).extra["retired"] == [s.pk]
        with pytest.raises(PermissionDenied):  # the default is not the district's to change
            services.scheme_save(actor=leader(xw), scheme_id=default.pk, name="x", period_type="month",
                                 level="township", items=items(satisfaction_rate=100))
        s = again
        s2 = services.scheme_save(actor=leader(xw), scheme_id=s.pk, version=s.version, name="改名", period_type="month",
                                  level="township", items=items(satisfaction_rate=100))
        assert s2.version == 2 and s2.items.count() == 1
        with pytest.raises(Conflict):
            services.scheme_save(actor=leader(xw), scheme_id=s.pk, version=1, name="x", period_type="month",
                                 level="township", items=items(satisfaction_rate=100))

    def test_needs_manage(self, xw):
        with pytest.raises(PermissionDenied):
            services.scheme_save(actor=xw.w.users["clerk_t01"], name="x", period_type="month", level="township",
                                 items=items(satisfaction_rate=100))


class TestCompute:
    def test_scores_items_ranks_and_idempotent_recompute(self, xw, month):
        save(xw)  # 群众满意率 60 (0.7→0.95), 重复信访变化 40 (+20%→−10%), dynamic 50%
        with frozen(TODAY):
            assert services.scores_compute(actor=leader(xw), period=MAY, level="township") == 2
        t01 = Score.objects.get(period="2026-05", level="township", unit=xw.unit("t01_subcentre"))
        t02 = Score.objects.get(period="2026-05", level="township", unit=xw.unit("t02_subcentre"))
        sat = t01.items.get(indicator__code="satisfaction_rate")
        assert (sat.value, sat.numerator, sat.denominator, sat.points) == (0.5, 1, 2, Decimal("0.00"))
        rep = t01.items.get(indicator__code="repeat_change")
        assert (rep.value, rep.points) == (1.0, Decimal("0.00"))
        # t02: 满意 1/1 → 60; no repeats either year → change 0 → 40 × (0.2 − 0) / 0.3 = 26.67
        assert t02.dynamic_total == Decimal("86.67") and t02.rank == 1 and t01.rank == 2
        # year to date = May only (nothing earlier in 2026 for these counts)
        assert t02.static_total == Decimal("86.67") and t02.total == Decimal("86.67")
        first = sorted(ScoreItem.objects.values_list("score__unit_id", "indicator__code", "value", "points"))
        with frozen(TODAY):
            services.scores_compute(actor=leader(xw), period=MAY, level="township")
        assert Score.objects.filter(period="2026-05", level="township").count() == 2
        assert sorted(ScoreItem.objects.values_list("score__unit_id", "indicator__code", "value", "points")) == first
        events = AuditEvent.objects.filter(action="assessment.computed").order_by("id")
        assert [e.changes["scores"] for e in events] == [[0, 2], [2, 2]]
        assert events[0].extra["period"] == "2026-05" and events[0].extra["level"] == "township"

    def test_default_scheme_levels_and_command(self, xw, month):
        with frozen(TODAY):
            call_command("assessment-compute", period="2026-05", level="township")
            assert services.scores_compute(actor=leader(xw), period=MAY, level="village") == 2
            assert services.scores_compute(actor=None, period=parse_period("2026-Q2"), level="mediator") == 5
        wang = Score.objects.get(level="mediator", mediator=xw.w.mediators["wang_t01"])
        assert wang.items.get(indicator__code="mediation_success_rate").value == 0.5
        assert Score.objects.filter(level="township").count() == 2
        for s in Score.objects.all():
            assert s.items.count() == s.scheme.items.count()

    def test_no_active_scheme(self, xw):
        Scheme.objects.filter(period_type="year", level="village").update(active=False)
        with pytest.raises(ValidationFailed) as e:
            services.scores_compute(actor=leader(xw), period=parse_period("2026"), level="village")
        assert e.value.errors[0].field == "level" and "没有启用的年度村（居）调委会考核方案" in e.value.detail

    def test_needs_manage(self, xw):
        with pytest.raises(PermissionDenied):
            services.scores_compute(actor=xw.w.users["clerk_t01"], period=MAY, level="township")


class TestCommendations:
    def test_propose_then_a_leader_confirms(self, xw, month):
        save(xw)
        with frozen(TODAY):
            services.scores_compute(actor=leader(xw), period=MAY, level="township")
        made = services.commendations_propose(actor=leader(xw), period=MAY, level="township", top=1)
        assert [c.name for c in made] == [xw.unit("t02_subcentre").name] and made[0].status == "proposed"
        with pytest.raises(PermissionDenied):  # an administrator may propose but not confirm
            services.commendation_confirm(actor=xw.w.users["admin"], commendation_id=made[0].pk)
        c = services.commendation_confirm(actor=leader(xw), commendation_id=made[0].pk)
        assert c.status == "confirmed" and c.confirmed_by == leader(xw)
        with pytest.raises(Conflict):
            services.commendation_confirm(actor=leader(xw), commendation_id=c.pk)
        # proposing again keeps the confirmed one and adds nobody twice
        assert services.commendations_propose(actor=leader(xw), period=MAY, level="township", top=1) == []
        actions = list(AuditEvent.objects.filter(action__startswith="assessment.commendation").order_by("id")
                   .values_list("action", flat=True))
        assert actions == ["assessment.commendation_proposed", "assessment.commendation_confirmed"]

    def test_nothing_computed(self, xw):
        with pytest.raises(ValidationFailed, match="尚未计算"):
            services.commendations_propose(actor=leader(xw), period=MAY, level="township")


class TestAccountability:
    def test_on_a_warning_and_on_a_case_event(self, xw, month):
        w1 = month["w1"]
        a = services.accountability_record(actor=leader(xw), warning_id=w1.pk, unit_id=xw.unit("v01_committee").pk,
                                           person="张某", reason="预警签收不及时", measure="interview",
                                           decided_on=dt.date(2026, 5, 20))
        assert a.region_path == w1.region_path and a.warning == w1
        ev = AuditEvent.objects.get(action="assessment.accountability_recorded", subject_id=str(a.pk))
        assert ev.changes["measure"] == [None, "interview"] and ev.extra["warning"] == w1.pk
        event = CaseEvent.objects.create(case=month["c2"], action="accept", note="超期受理")
        b = services.accountability_record(actor=leader(xw), case_event_id=event.pk,
                                           unit_id=xw.unit("t01_subcentre").pk, reason="超期受理（第44条）",
                                           measure="notice", decided_on=dt.date(2026, 6, 1))
        assert b.case == month["c2"] and Accountability.objects.count() == 2

    def test_bad_input_and_scope(self, xw, month):
        t02_leader = xw.user("t02_subcentre", "leader")
        base = {"unit_id": xw.unit("t01_subcentre").pk, "reason": "x", "measure": "interview",
                "decided_on": dt.date(2026, 5, 1)}
        with pytest.raises(ValidationFailed) as e:
            services.accountability_record(actor=leader(xw), **base)
        assert e.value.errors[0].field == "warning"
        with pytest.raises(ValidationFailed) as e:
            services.accountability_record(actor=leader(xw), warning_id=month["w1"].pk,
                                           **{**base, "measure": "fine", "reason": " "})
        assert {err.field for err in e.value.errors} == {"measure", "reason"}
        with pytest.raises(ValidationFailed) as e:  # a warning of 东城 is outside 西城's jurisdiction
            services.accountability_record(actor=t02_leader, warning_id=month["w1"].pk,
                                           **{**base, "unit_id": xw.unit("t02_subcentre").pk})
        assert e.value.errors[0].field == "warning"
        with pytest.raises(PermissionDenied):
            services.accountability_record(actor=xw.w.users["clerk_t01"], warning_id=month["w1"].pk, **base)
        assert Accountability.objects.count() == 0 and not Commendation.objects.exists()
