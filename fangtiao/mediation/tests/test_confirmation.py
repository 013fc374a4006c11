"""Judicial confirmation (人民调解法 第33条; 民诉法(2023) 第205–206条; 民诉法解释 第355、357、358条;
2011 规定 第4、5条): eligibility, the 30-day window counted across holidays with a day-20 warning,
the competent courts, the court liaison's acceptance and decision, rejection and re-mediation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangtiao.cases.models import Case
from fangtiao.cases.tests.factories import act, frozen
from fangtiao.clocks.services import clock_tick
from fangtiao.core.testing.api import ApiClient
from fangtiao.mediation import selectors
from fangtiao.mediation.models import Confirmation, Mediation
from fangtiao.mediation.tests.support import (
    agree_body,
    agreed_case,
    agreement,
    current_round,
    head,
    held,
    liaison,
    mediating_case,
    mediator,
    parties,
    refuse,
    unit,
)
from fangtiao.notifications.models import Notification
from fangtiao.org import services as org_services

EFFECTIVE = dt.date(2026, 9, 1)
LAST_DAY = dt.date(2026, 10, 8)  # day 30 is 1 October (国庆): the period ends on the first working day after it


def _apply(case, xw, **data):
    return act(case, mediator(xw), "apply_confirmation", **{"court": xw.units["court"].pk, **data})


def _window(case):
    return case.clocks.filter(code="confirmation.apply").latest("id")


class TestEligibility:
    @pytest.mark.parametrize("flag", ["involves_status_relation", "confirms_ownership"])
    def test_status_relations_and_ownership_are_not_accepted(self, xw, flag):
        case = agreed_case(xw, **{flag: True})
        err = refuse(case, mediator(xw), "apply_confirmation", 409, court=xw.units["court"].pk)
        assert "民诉法解释 第355条" in err.detail

    def test_an_oral_agreement_cannot_be_confirmed(self, xw):
        case = held(mediating_case(xw), xw)
        case = act(case, mediator(xw), "agree", form="oral", terms="当场致歉")
        err = refuse(case, mediator(xw), "apply_confirmation", 409, court=xw.units["court"].pk)
        assert "口头协议" in err.detail

    def test_jointly_and_not_before_the_agreement_took_effect(self, xw):
        case = agreed_case(xw)
        today = timezone.localdate()
        refuse(case, mediator(xw), "apply_confirmation", 422, "joint", court=xw.units["court"].pk, joint=False)
        refuse(case, mediator(xw), "apply_confirmation", 422, "applied_on", court=xw.units["court"].pk,
               applied_on=(today + dt.timedelta(days=1)).isoformat())
        refuse(case, mediator(xw), "apply_confirmation", 422, "applied_on", court=xw.units["court"].pk,
               applied_on=(today - dt.timedelta(days=1)).isoformat())
        refuse(case, xw.user("t01_committee", "clerk"), "apply_confirmation", 403, court=xw.units["court"].pk)


class TestWindow:
    def _case(self, xw):
        with frozen(EFFECTIVE):
            case = agreed_case(xw)
        assert agreement(case).effective_on == EFFECTIVE
        return case

    def test_thirty_days_from_the_effective_date_across_the_national_day_holiday(self, xw):
        case = self._case(xw)
        assert _window(case).due_on == LAST_DAY
        with frozen(LAST_DAY + dt.timedelta(days=1)):
            err = refuse(case, mediator(xw), "apply_confirmation", 409, court=xw.units["court"].pk)
            assert "30日" in err.detail and "2026年10月8日" in err.detail
        with frozen(LAST_DAY):
            case = _apply(case, xw)
        c = Confirmation.objects.get(case=case)
        assert (case.status, c.applied_on, c.court, c.court_basis) == ("confirming", LAST_DAY, xw.units["court"], "subject")
        assert _window(case).state == "met"
        assert [x["item"] for x in c.checklist][:3] == ["调解协议", "调解组织主持调解的证明", "各方当事人的身份、住所、联系方式"]
        assert Notification.objects.filter(unit=xw.units["court"], kind="confirmation", case=case).count() == 1
        assert case.clocks.get(code="confirmation.accept").holder_unit == xw.units["court"]

    def test_an_application_dated_after_the_window_is_409_even_if_keyed_in_time(self, xw):
        case = self._case(xw)
        with frozen(LAST_DAY + dt.timedelta(days=1)):
            refuse(case, mediator(xw), "apply_confirmation", 409, court=xw.units["court"].pk,
                   applied_on=(LAST_DAY + dt.timedelta(days=1)).isoformat())
            case = _apply(case, xw, applied_on=LAST_DAY.isoformat())  # keyed in a day late, applied in time
        assert Confirmation.objects.get(case=case).applied_on == LAST_DAY

    def test_the_committee_is_warned_on_day_20(self, xw):
        effective = dt.date(2026, 3, 2)  # day 30 (1 April) is a working day
        with frozen(effective):
            case = agreed_case(xw)
        committee = xw.units["t01_committee"]

        def warnings():
            return Notification.objects.filter(unit=committee, kind="due_soon", case=case,
                                               title__contains="申请司法确认").count()

        assert _window(case).due_on == effective + dt.timedelta(days=30)
        clock_tick(today=effective + dt.timedelta(days=19))
        assert warnings() == 0
        clock_tick(today=effective + dt.timedelta(days=20))
        assert warnings() == 1
        clock_tick(today=effective + dt.timedelta(days=21))
        assert warnings() == 1
        clock_tick(today=effective + dt.timedelta(days=31))
        assert Notification.objects.filter(unit=committee, kind="window_lapsed", case=case).count() == 1
        # The parties' window, not the committee's delay: no overdue notice about it.
        assert not Notification.objects.filter(kind="overdue", case=case, title__contains="申请司法确认").exists()

    def test_the_day_20_warning_when_day_30_is_a_holiday(self, xw):
        case = self._case(xw)
        clock_tick(today=EFFECTIVE + dt.timedelta(days=20))
        assert Notification.objects.filter(unit=xw.units["t01_committee"], kind="due_soon", case=case,
                                           title__contains="申请司法确认").count() == 1


class TestCourts:
    def test_only_the_competent_basic_court(self, xw):
        case = agreed_case(xw)
        options = selectors.court_options(case, agreement(case).mediation)
        assert [(o.court, o.basis) for o in options] == [(xw.units["court"], "subject")]
        rows = ApiClient(mediator(xw)).get(f"/api/v1/cases/{case.pk}/courts").json()
        assert [(r["court"], r["basis"]) for r in rows] == [(xw.units["court"].pk, "subject")]
        assert "基层人民法院" in rows[0]["reason"]

        luqiao = org_services.region_create(actor=None, code="331004", name="路桥区", level="district", kind="district",
                                            parent=xw.city)
        elsewhere = unit(xw, "路桥法院", "台州市路桥区人民法院", "court", "district", luqiao)
        intermediate = unit(xw, "台州中院", "台州市中级人民法院", "court", "city", xw.city)
        west_tribunal = unit(xw, "西城法庭", "黄岩区人民法院西城人民法庭", "tribunal", "township", xw.t02)
        for court in (elsewhere, intermediate, west_tribunal):
            err = refuse(case, mediator(xw), "apply_confirmation", 422, "court", court=court.pk)
            assert "黄岩区人民法院" in err.detail
        refuse(case, mediator(xw), "apply_confirmation", 422, "court", court=xw.units["t01_committee"].pk)

    def test_the_tribunal_of_the_township_is_offered_too(self, xw):
        tribunal = unit(xw, "东城法庭", "黄岩区人民法院东城人民法庭", "tribunal", "township", xw.t01)
        case = agreed_case(xw)
        courts = {o.court for o in selectors.court_options(case, agreement(case).mediation)}
        assert courts == {xw.units["court"], tribunal}
        case = act(case, mediator(xw), "apply_confirmation", court=tribunal.pk)
        assert Confirmation.objects.get(case=case).court == tribunal
        refuse(case, liaison(xw), "accept_confirmation", 404)  # the district court was not applied to
        act(case, liaison(xw, tribunal), "accept_confirmation")


class TestCourtDecision:
    def test_acceptance_then_confirmation(self, xw):
        case = agreed_case(xw)
        court_user = liaison(xw)
        assert not Case.objects.visible_to(court_user).filter(pk=case.pk).exists()
        case = _apply(case, xw)
        assert Case.objects.visible_to(court_user).filter(pk=case.pk).exists()
        today = timezone.localdate()
        case = act(case, court_user, "accept_confirmation", court_number="（2026）浙1003民特1号")
        c = Confirmation.objects.get(case=case)
        assert (case.status, c.accepted_on, c.court_number, c.result) == ("confirming", today, "（2026）浙1003民特1号",
                                                                          "pending")
        assert case.clocks.get(code="confirmation.accept").state == "met"
        assert {k.code for k in case.clocks.filter(state="running")} >= {"confirmation.decide", "confirmation.limit"}
        refuse(case, court_user, "accept_confirmation", 409)  # already accepted
        case = act(case, court_user, "record_confirmation", result="confirmed", note="协议有效")
        c.refresh_from_db()
        assert (case.status, c.result, c.decided_on) == ("performing", "confirmed", today)
        assert not case.clocks.filter(code__startswith="confirmation.", state="running").exclude(
            code="confirmation.objection").exists()
        assert case.clocks.get(code="confirmation.objection").state == "running"
        assert Notification.objects.filter(unit=xw.units["t01_committee"], kind="confirmation_result",
                                           case=case).count() == 1
        refuse(case, mediator(xw), "remediate", 409, reason="想改协议")  # confirmed: perform or enforce

    def test_same_day_confirmation_without_a_separate_acceptance(self, xw):
        case = _apply(agreed_case(xw), xw)
        case = act(case, liaison(xw), "record_confirmation", result="confirmed")
        c = Confirmation.objects.get(case=case)
        assert c.accepted_on == c.decided_on == timezone.localdate() and case.status == "performing"

    def test_confirmed_with_nothing_left_to_perform_is_performed(self, xw):
        case = _apply(agreed_case(xw, obligations=[], performance="当场履行完毕"), xw)
        case = act(case, liaison(xw), "record_confirmation", result="confirmed")
        assert case.status == "performed"

    def test_only_the_court_applied_to(self, xw):
        case = _apply(agreed_case(xw), xw)
        luqiao = org_services.region_create(actor=None, code="331004", name="路桥区", level="district", kind="district",
                                            parent=xw.city)
        other = liaison(xw, unit(xw, "路桥法院", "台州市路桥区人民法院", "court", "district", luqiao))
        refuse(case, other, "accept_confirmation", 404)
        refuse(case, other, "record_confirmation", 404, result="confirmed")
        refuse(case, head(xw), "accept_confirmation", 403)
        refuse(case, head(xw), "record_confirmation", 403, result="confirmed")
        url = f"/api/v1/cases/{case.pk}/actions/record_confirmation"
        assert ApiClient(other).post(url, {"result": "confirmed", "version": case.version}).status_code == 404
        assert ApiClient(head(xw)).post(url, {"result": "confirmed", "version": case.version}).status_code == 403

    def test_bad_inputs(self, xw):
        case = _apply(agreed_case(xw), xw)
        today = timezone.localdate()
        court_user = liaison(xw)
        refuse(case, court_user, "accept_confirmation", 422, "accepted_on",
               accepted_on=(today - dt.timedelta(days=1)).isoformat())
        refuse(case, court_user, "accept_confirmation", 422, "accepted_on",
               accepted_on=(today + dt.timedelta(days=1)).isoformat())
        refuse(case, court_user, "record_confirmation", 422, "ground", result="rejected")
        refuse(case, court_user, "record_confirmation", 422, "ground", result="rejected", ground="feelings")
        refuse(case, court_user, "record_confirmation", 422, "result", result="pending")
        refuse(case, court_user, "record_confirmation", 422, "result", result="maybe")
        refuse(case, court_user, "record_confirmation", 422, "decided_on", result="confirmed",
               decided_on=(today + dt.timedelta(days=1)).isoformat())

    def test_extension_only_once_and_only_after_acceptance(self, xw):
        case = _apply(agreed_case(xw), xw)
        court_user = liaison(xw)
        refuse(case, court_user, "extend_confirmation", 409, reason="案情复杂")
        case = act(case, court_user, "accept_confirmation")
        before = case.clocks.get(code="confirmation.decide").due_on
        case = act(case, court_user, "extend_confirmation", reason="经院长批准")
        decide = case.clocks.get(code="confirmation.decide")
        assert decide.extended_days == 10 and decide.due_on > before
        assert Confirmation.objects.get(case=case).extended is True
        err = refuse(case, court_user, "extend_confirmation", 409, reason="再延长")
        assert "已经延长过一次" in err.detail

    def test_rejection_then_remediation_in_a_new_round(self, xw):
        case = _apply(agreed_case(xw), xw)
        case = act(case, liaison(xw), "record_confirmation", result="rejected", ground="unclear", note="协议内容不明确")
        c = Confirmation.objects.get(case=case)
        assert (case.status, c.result, c.ground) == ("agreed", "rejected", "unclear")
        assert "内容不明确" in case.events.filter(action="record_confirmation").latest("id").note
        old = agreement(case)
        case = act(case, mediator(xw), "remediate", reason="协议内容不明确，重新调解")
        assert case.status == "mediating"
        assert list(Mediation.objects.filter(case=case).order_by("round").values_list("round", "status")) == [
            (1, "agreed"), (2, "open")]
        assert current_round(case).unit == xw.units["t01_committee"]
        # A new agreement replaces the old one and may be confirmed in its turn.
        case = act(case, head(xw), "assign", mediators=[xw.w.mediators["wang_t01"].pk])
        case = held(case, xw, outcome="agreed")
        case = act(case, mediator(xw), "agree", **agree_body(case, terms="物业公司于十日内退还300元并书面致歉"))
        old.refresh_from_db()
        assert old.status == "superseded" and agreement(case).mediation.round == 2
        case = _apply(case, xw)
        assert case.status == "confirming" and Confirmation.objects.filter(case=case).count() == 2

    @pytest.mark.parametrize("result", ["withdrawn", "deemed_withdrawn", "not_accepted"])
    def test_other_outcomes_return_to_agreed(self, xw, result):
        case = _apply(agreed_case(xw), xw)
        case = act(case, liaison(xw), "record_confirmation", result=result)
        assert case.status == "agreed" and Confirmation.objects.get(case=case).result == result
        assert case.clocks.filter(code__startswith="confirmation.", state="running").count() == 0

    def test_withdrawn_may_apply_again_within_the_window(self, xw):
        case = _apply(agreed_case(xw), xw)
        case = act(case, liaison(xw), "record_confirmation", result="withdrawn")
        case = _apply(case, xw)
        assert case.status == "confirming"


def test_the_liaison_queue_lists_only_the_courts_applications(xw):
    a = _apply(agreed_case(xw), xw)
    agreed_case(xw)  # not applied for
    r = ApiClient(liaison(xw)).get("/api/v1/confirmations", {"result": "pending"})
    assert r.status_code == 200 and [x["case"] for x in r.json()["items"]] == [a.pk]
    assert parties(a)  # the case has its parties (the liaison sees them in the detail)
    assert ApiClient(liaison(xw)).get(f"/api/v1/cases/{a.pk}").status_code == 200
