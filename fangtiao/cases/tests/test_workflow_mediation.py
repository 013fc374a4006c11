"""The mediation rows of the lifecycle table (fangtiao.mediation.workflow), one rule each: the targets
their handlers decide, the guards of agreeing, closing and archiving, and who may act outside the
holding unit. The table-driven matrix of every row is in test_workflow."""

from __future__ import annotations

import pytest

from fangtiao.cases import services
from fangtiao.cases.tests.factories import (
    act,
    actor_for,
    case_in_state,
    expected_status,
    footprint,
    fresh,
    valid_payload,
)
from fangtiao.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from fangtiao.mediation.models import Agreement, ArchiveFile, Mediation, Obligation


def offered(case, user):
    return [t.action for t in services.available_actions(case=fresh(case), actor=user)]


class TestDecidedByTheHandler:
    def test_a_party_refusing_ends_the_mediation(self, xw):
        """人民调解法 第17条: 「当事人一方明确拒绝调解的，不得调解」; a petition goes back to the unit that sent it."""
        case = case_in_state(xw, "mediating")
        head = actor_for(xw, case, "record_notice")
        data = {**valid_payload(xw, case, "record_notice", head), "consent": "refused", "note": "不愿调解"}
        assert expected_status(case, "record_notice", data) == "failed"
        case = act(case, head, "record_notice", **data)
        assert case.status == "failed" and case.holder_unit_id == xw.units["t01_subcentre"].pk
        assert Mediation.objects.get(case=case).status == "refused"

    def test_a_rejected_confirmation_returns_to_agreed_and_may_be_mediated_again(self, xw):
        """民诉法 第206条: after a rejection the parties may vary the agreement through mediation."""
        case = case_in_state(xw, "confirming")
        liaison = actor_for(xw, case, "record_confirmation")
        data = {"result": "rejected", "ground": "unclear", "note": "履行期限不明确"}
        assert expected_status(case, "record_confirmation", data) == "agreed"
        case = act(case, liaison, "record_confirmation", **data)
        assert case.status == "agreed"
        head = actor_for(xw, case, "remediate")
        assert "remediate" in offered(case, head)
        assert "apply_confirmation" not in offered(case, head)  # not the same agreement again
        with pytest.raises(Conflict) as exc:
            act(case, head, "apply_confirmation", **valid_payload(xw, case, "apply_confirmation", head))
        assert "已申请过司法确认" in exc.value.detail
        case = act(case, head, "remediate", reason="变更履行期限")
        assert case.status == "mediating"
        assert list(Mediation.objects.filter(case=case).order_by("round").values_list("status", flat=True)) == \
            ["agreed", "open"]
        assert not Agreement.objects.filter(case=case).exclude(status="superseded").exists()

    def test_a_confirmed_agreement_is_performed_not_mediated_again(self, xw):
        case = case_in_state(xw, "confirming")
        case = act(case, actor_for(xw, case, "record_confirmation"), "record_confirmation", result="confirmed")
        assert case.status == "performing"
        head = xw.user(case.holder_unit, "committee_head")
        with pytest.raises(Conflict):
            act(case, head, "remediate", reason="想改协议")

    def test_performance_obligation_by_obligation(self, xw):
        """第31条: each payment recorded; performed when the last obligation is done."""
        case = case_in_state(xw, "performing")
        head = actor_for(xw, case, "record_performance")
        money, apology = Obligation.objects.filter(case=case).order_by("seq")
        steps = [({"obligation": money.pk, "amount": "100.00"}, "performing"),
                 ({"obligation": money.pk}, "performing"),
                 ({"obligation": apology.pk, "proof_kind": "photo"}, "performed")]
        for data, status in steps:
            assert expected_status(case, "record_performance", data) == status
            case = act(case, head, "record_performance", **data)
            assert case.status == status
        assert Obligation.objects.get(pk=money.pk).performed_amount == 300
        assert "record_performance" not in offered(case, head)  # nothing left to perform

    def test_performance_while_the_court_reviews_keeps_confirming(self, xw):
        case = case_in_state(xw, "confirming")
        head = xw.user(case.holder_unit, "committee_head")
        for ob in Obligation.objects.filter(case=case):
            case = act(case, head, "record_performance", obligation=ob.pk)
            assert case.status == "confirming"
        case = act(case, actor_for(xw, case, "record_confirmation"), "record_confirmation", result="confirmed")
        assert case.status == "performed"

    def test_a_recurrence_found_at_the_follow_up_reopens_the_mediation(self, xw):
        confirmed = case_in_state(xw, "performed")
        head = actor_for(xw, confirmed, "follow_up")
        data = {**valid_payload(xw, confirmed, "follow_up", head), "recurrence": "reopen", "risk": "又起纠纷"}
        before = footprint(confirmed)
        with pytest.raises(ValidationFailed) as exc:  # a confirmed agreement is enforced, not re-mediated
            act(confirmed, head, "follow_up", **data)
        assert exc.value.errors[0].field == "recurrence" and footprint(confirmed) == before
        case = case_in_state(xw, "agreed")
        head = actor_for(xw, case, "follow_up")
        data = {**valid_payload(xw, case, "follow_up", head), "recurrence": "reopen", "risk": "物业公司又开始多收"}
        assert expected_status(case, "follow_up", data) == "mediating"
        case = act(case, head, "follow_up", **data)
        assert case.status == "mediating"
        assert Mediation.objects.filter(case=case, status="open").count() == 1
        assert not Agreement.objects.filter(case=case).exclude(status="superseded").exists()


class TestAgreeing:
    def test_needs_an_assigned_mediator_and_a_held_session(self, xw):
        """人民调解法 第19条 (mediators) and 第27条 (the mediation record)."""
        case = case_in_state(xw, "mediating")
        head = xw.user(case.holder_unit, "committee_head")
        before = footprint(case)
        assert "agree" not in offered(case, head)
        with pytest.raises(Conflict) as exc:
            act(case, head, "agree", **valid_payload(xw, case, "agree", head))
        assert exc.value.code == "not_allowed_now"
        assert "尚未指派调解员" in exc.value.detail and "尚无调解记录" in exc.value.detail
        assert footprint(case) == before
        case = act(case, head, "assign", **valid_payload(xw, case, "assign", head))
        case = act(case, head, "record_session", **valid_payload(xw, case, "record_session", head))
        case = act(case, head, "agree", **valid_payload(xw, case, "agree", head))
        assert case.status == "agreed"

    def test_a_written_agreement_takes_effect_when_everyone_has_signed(self, xw):
        """第29条: the parties sign, the mediator signs, the committee seals; only then may the parties
        apply for judicial confirmation (第33条)."""
        case = case_in_state(xw, "agreed+signing")
        head = xw.user(case.holder_unit, "committee_head")
        with pytest.raises(Conflict):
            act(case, head, "apply_confirmation", **valid_payload(xw, case, "apply_confirmation", head))
        case = act(case, head, "sign_agreement", signatures=[{"signer": "seal", "method": "seal"}])
        assert Agreement.objects.get(case=case).status == "signing"
        rest = [s for s in valid_payload(xw, case, "sign_agreement", head)["signatures"] if s["signer"] != "seal"]
        case = act(case, head, "sign_agreement", signatures=rest)
        a = Agreement.objects.get(case=case)
        assert a.status == "effective" and a.effective_on is not None
        assert "sign_agreement" not in offered(case, head)
        case = act(case, head, "apply_confirmation", **valid_payload(xw, case, "apply_confirmation", head))
        assert case.status == "confirming"


class TestClosingAndArchiving:
    def test_a_mediated_case_closes_after_performance_and_a_follow_up(self, xw):
        case = case_in_state(xw, "agreed")
        head = xw.user(case.holder_unit, "committee_head")
        assert "close" not in offered(case, head)
        with pytest.raises(Conflict) as exc:
            act(case, head, "close", note="办结")
        assert "协议义务尚未履行完毕" in exc.value.detail and "回访" in exc.value.detail
        for ob in Obligation.objects.filter(case=case):
            case = act(case, head, "record_performance", obligation=ob.pk)
        assert case.status == "performed"
        with pytest.raises(Conflict) as exc:
            act(case, head, "close", note="办结")
        assert "回访" in exc.value.detail and "履行" not in exc.value.detail
        case = act(case, head, "follow_up", method="visit", satisfaction="satisfied")
        assert "close" in offered(case, head)
        case = act(case, head, "close", note="履行完毕")
        assert case.status == "closed"

    def test_an_overdue_confirmed_obligation_is_enforced_then_the_case_may_close(self, xw):
        """民诉法 第206条: a confirmed agreement not performed may be enforced by the court."""
        case = case_in_state(xw, "performing+overdue")
        head = xw.user(case.holder_unit, "committee_head")
        assert set(Obligation.objects.filter(case=case).values_list("status", flat=True)) == {"overdue"}
        case = act(case, head, "follow_up", method="phone", satisfaction="unsatisfied")
        with pytest.raises(Conflict):
            act(case, head, "close", note="办结")
        case = act(case, head, "apply_enforcement", **valid_payload(xw, case, "apply_enforcement", head))
        assert all(Obligation.objects.filter(case=case).values_list("enforced", flat=True))
        assert "apply_enforcement" not in offered(case, head)  # nothing left to enforce
        case = act(case, head, "close", note="已申请强制执行")
        assert case.status == "closed"

    def test_the_file_is_refused_while_a_required_item_is_missing(self, xw):
        """人民调解法 第27条: no 卷宗 without the 当事人权利义务告知书."""
        case = case_in_state(xw, "mediating")
        head = xw.user(case.holder_unit, "committee_head")
        case = act(case, head, "record_session", notices_given=False, applicant_statement="多收300元")
        case = act(case, head, "fail", reason="物业公司拒绝退费", next="litigation")
        case = act(case, head, "close", note="调解不成")
        before = footprint(case)
        with pytest.raises(Conflict) as exc:
            act(case, head, "archive", note="")
        assert exc.value.code == "archive_incomplete" and "当事人权利义务告知书" in exc.value.detail
        assert footprint(case) == before

    def test_a_failed_mediation_is_filed_with_its_records(self, xw):
        case = case_in_state(xw, "mediating")
        head = xw.user(case.holder_unit, "committee_head")
        case = act(case, head, "record_session", applicant_statement="多收300元")
        case = act(case, head, "fail", reason="物业公司拒绝退费", next="litigation")
        case = act(case, head, "close", note="调解不成")
        case = act(case, head, "archive", note="")
        f = ArchiveFile.objects.get(case=case)
        assert case.status == "archived" and "人调字第" in f.number
        assert all(i["present"] for i in f.items if i["required"])


class TestWhoMayActOutsideTheHoldingUnit:
    def test_an_expert_answers_once_and_only_when_asked(self, xw):
        case = case_in_state(xw, "mediating")
        expert = xw.expert_user
        with pytest.raises(NotFound):  # not asked: the case does not exist for the expert
            act(case, expert, "record_opinion", opinion="书面意见如下")
        head = xw.user(case.holder_unit, "committee_head")
        case = act(case, head, "request_opinion", **valid_payload(xw, case, "request_opinion", head))
        assert offered(case, expert) == ["record_opinion"]
        case = act(case, expert, "record_opinion", opinion="书面意见：应予退还")
        assert offered(case, expert) == []
        with pytest.raises(PermissionDenied):
            act(case, expert, "record_opinion", opinion="再补充一点意见")

    def test_only_the_court_applied_to_records_the_result(self, xw):
        case = case_in_state(xw, "confirming")
        for user in (xw.user(case.holder_unit, "court_liaison"), xw.user("t01_subcentre", "court_liaison")):
            assert "record_confirmation" not in offered(case, user)
            with pytest.raises(PermissionDenied):
                act(case, user, "record_confirmation", result="confirmed")
        with pytest.raises(NotFound):
            act(case, xw.user("t02_subcentre", "court_liaison"), "record_confirmation", result="confirmed")
        court = xw.user(xw.units["court"], "court_liaison")
        assert {"accept_confirmation", "record_confirmation"} <= set(offered(case, court))
        case = act(case, court, "accept_confirmation", court_number="（2026）浙1003民特8号")
        case = act(case, court, "extend_confirmation", reason="需要询问当事人")
        with pytest.raises(Conflict):  # once (2011 规定 第5条)
            act(case, court, "extend_confirmation", reason="再延长")
        case = act(case, court, "record_confirmation", result="confirmed")
        assert case.status == "performing"

    def test_backlog_is_marked_once_by_a_leader_of_the_jurisdiction(self, xw):
        case = case_in_state(xw, "handling")
        with pytest.raises(NotFound):
            act(case, xw.user("t02_subcentre", "leader"), "mark_backlog", reason="多次信访")
        with pytest.raises(PermissionDenied):
            act(case, xw.user(case.holder_unit, "officer"), "mark_backlog", reason="多次信访")
        case = act(case, xw.leader, "mark_backlog", reason="多次信访", responsible_leader=xw.leader.pk)
        assert case.is_backlog and case.backlog.responsible_leader_id == xw.leader.pk
        with pytest.raises(Conflict):
            act(case, xw.user(case.holder_unit, "leader"), "mark_backlog", reason="再列一次")
