"""Rules added after the review of the mediation app: bounded inputs, no re-mediation after a refusal,
no performance before the agreement takes effect, re-application after 按撤回处理, units within reach,
mediation only at mediating units, rounds free their bookings, the backlog rule only for open petitions."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fangtiao.cases.models import CaseLink
from fangtiao.cases.tests.factories import act, case_in_state, fresh, make_case
from fangtiao.mediation import services as svc
from fangtiao.mediation.models import BacklogRecord, Confirmation, Session
from fangtiao.mediation.tests.support import (
    agree_body,
    agreed_case,
    agreement,
    head,
    held,
    liaison,
    mediating_case,
    mediator,
    parties,
    refuse,
    two_parties,
    unit,
)


def test_dates_times_and_ids_out_of_range_are_field_errors(xw):
    case = held(mediating_case(xw), xw)
    body = agree_body(case, obligations=[{"content": "付款", "amount": "10.00", "due_on": "9999-06-01"}])
    refuse(case, mediator(xw), "agree", 422, "obligations.0.due_on", **body)
    refuse(case, mediator(xw), "book_session", 422, "starts_at", starts_at="9999-12-31T23:30:00+08:00", place="村委会")
    refuse(case, mediator(xw), "record_session", 422, "held_at", held_at="0001-01-01T00:00:00+08:00")
    refuse(case, head(xw), "replace_mediator", 422, "mediator", mediator=10**20, replacement=1, reason="申请回避")


def test_a_time_without_offset_is_read_as_beijing_time(xw):
    case = mediating_case(xw)
    case = act(case, mediator(xw), "record_session", held_at="2026-01-01T10:00:00")
    s = Session.objects.get(case=case)
    assert timezone.localtime(s.starts_at).hour == 10


def test_no_reopening_after_a_party_refused(xw):
    """人民调解法 第17条: once a party expressly refused, the case is not mediated again by a follow-up."""
    case = mediating_case(xw, parties=two_parties())
    respondent = parties(case)[1]
    case = act(case, mediator(xw), "record_notice", party=respondent.pk, consent="refused", note="不愿调解")
    assert case.status == "failed"
    officer = xw.user(case.holder_unit, "officer")
    refuse(case, officer, "follow_up", 422, "recurrence", method="phone", satisfaction="unsatisfied",
           recurrence="reopen")


def test_no_performance_before_the_agreement_takes_effect(xw):
    case = agreed_case(xw, signed=False)
    assert agreement(case).status == "signing"
    ob = agreement(case).obligations.get()
    refuse(case, mediator(xw), "record_performance", 409, obligation=ob.pk, proof_kind="receipt")


def test_a_new_application_after_treated_as_withdrawn(xw):
    """解释 第357条: treated as withdrawn — the parties may apply again within the 30 days."""
    case = agreed_case(xw)
    case = act(case, mediator(xw), "apply_confirmation", court=xw.units["court"].pk)
    case = act(case, liaison(xw), "record_confirmation", result="deemed_withdrawn", note="未按期补充材料")
    assert case.status == "agreed"
    case = act(case, mediator(xw), "apply_confirmation", court=xw.units["court"].pk)
    assert case.status == "confirming" and Confirmation.objects.filter(case=case).count() == 2


def test_a_confirmation_keyed_in_more_than_ten_days_late_is_refused(xw):
    case = agreed_case(xw)
    old = (timezone.localdate() - dt.timedelta(days=11)).isoformat()
    refuse(case, mediator(xw), "apply_confirmation", 422, "applied_on", court=xw.units["court"].pk, applied_on=old)


def test_the_court_basis_is_the_servers(xw):
    case = agreed_case(xw)
    refuse(case, mediator(xw), "apply_confirmation", 422, "court_basis", court=xw.units["court"].pk,
           court_basis="domicile")


def test_a_police_station_elsewhere_is_not_given_the_case(xw):
    case = mediating_case(xw)
    far = unit(xw, "t02_police", "西城派出所", "public_security", "township", xw.t02)
    refuse(case, mediator(xw), "report_risk", 422, "police_unit", description="双方扬言报复", police_unit=far.pk)
    near = unit(xw, "t01_police", "东城派出所", "public_security", "township", xw.t01)
    case = act(case, mediator(xw), "report_risk", description="双方扬言报复", police_unit=near.pk)
    assert fresh(case).is_escalation_risk


def test_mediation_moves_only_to_units_that_mediate(xw):
    case = mediating_case(xw)
    refuse(case, head(xw), "transfer", 422, "to_unit", to_unit=xw.line_dept.pk, note="请住建局调解")


def test_ending_a_round_frees_its_bookings(xw):
    case = mediating_case(xw)
    start = (timezone.now() + dt.timedelta(hours=3)).isoformat()
    case = act(case, mediator(xw), "book_session", starts_at=start, place="村委会")
    case = act(case, mediator(xw), "withdraw", reason="双方已自行和解")
    assert list(Session.objects.filter(case=case).values_list("status", flat=True)) == ["cancelled"]
    assert svc.tick(now=timezone.now())["session_reminders"] == 0


def test_the_backlog_rule_leaves_closed_petitions_alone(xw):
    """Raised three times (two repeat links): an open petition becomes a backlog case, a closed one does not."""
    closed = case_in_state(xw, "closed")
    open_ = case_in_state(xw, "handling")
    for case in (closed, open_):
        for _ in range(2):
            CaseLink.objects.create(case=case, other=make_case(xw), kind="repeat", reason="同人同事")
    svc.mark_backlog_by_rule(today=timezone.localdate())
    assert BacklogRecord.objects.filter(case=open_, by_rule=True).exists()
    assert not BacklogRecord.objects.filter(case=closed).exists()


def test_a_mediator_assigned_from_a_village_committee_works_the_case(xw):
    """人民调解法 第19条: the township committee appoints a village mediator; that mediator sees the case and
    records the session from their own login. Another mediator of that village committee does neither."""
    zhao = xw.w.mediators["zhao_v01"]
    login = xw.user("v01_committee", "mediator")
    zhao.user = login
    zhao.save(update_fields=["user"])
    login = type(login).objects.select_related("unit__region", "mediator").get(pk=login.pk)
    other = xw.user("v01_committee", "committee_head")
    case = mediating_case(xw, mediators=(), region="331003001")  # a township-level matter: not in the village's subtree
    from fangtiao.cases.models import Case

    assert not Case.objects.visible_to(login).filter(pk=case.pk).exists()
    case = act(case, head(xw), "assign", mediators=[zhao.pk], reason="熟悉当地")
    assert Case.objects.visible_to(login).filter(pk=case.pk).exists()
    case = act(case, login, "record_session", applicant_statement="要求赔偿", outcome="continue")
    assert Session.objects.filter(case=case, status="held").count() == 1
    refuse(case, other, "record_session", 404)


def test_special_procedure_matters_are_not_confirmed(xw):
    """民诉法解释 第355条: matters for other special procedures, 公示催告 or 破产 are not accepted."""
    case = agreed_case(xw, special_procedure=True)
    err = refuse(case, mediator(xw), "apply_confirmation", 409, court=xw.units["court"].pk)
    assert "公示催告" in err.detail


def test_a_large_dispute_is_confirmed_by_the_intermediate_court(xw, settings):
    """民事诉讼法 第205条: where the dispute falls to an intermediate court, the application goes there."""
    settings.FANGTIAO_INTERMEDIATE_COURT_AMOUNT = 10000  # the test intake is 12,000 yuan
    city_court = unit(xw, "city_court", "台州市中级人民法院", "court", "city", xw.city)
    case = agreed_case(xw)
    refuse(case, mediator(xw), "apply_confirmation", 422, "court", court=xw.units["court"].pk)
    case = act(case, mediator(xw), "apply_confirmation", court=city_court.pk)
    assert Confirmation.objects.get(case=case).court_basis == "intermediate"


def test_an_assignment_records_the_rank_the_board_showed(xw):
    """The assignment keeps the score, reasons and rank the suggestion list gave the chosen mediator."""
    from fangtiao.mediation import selectors
    from fangtiao.mediation.models import Assignment

    case = mediating_case(xw, mediators=())
    ranked = selectors.suggest_mediators(case, xw.units["t01_committee"], limit=50)
    second = ranked[1]
    case = act(case, head(xw), "assign", mediators=[second.mediator.pk])
    rec = Assignment.objects.get(case=case).suggestion
    assert (rec["rank"], rec["score"], rec["reasons"]) == (2, second.score, second.reasons)
    assert rec["pool"] == len(ranked)
