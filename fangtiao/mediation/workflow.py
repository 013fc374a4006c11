"""The mediation rows of the lifecycle state machine (joined to cases.workflow.TRANSITIONS).

mediating → agreed (written: effective when all have signed; oral: at once) | failed | withdrawn
agreed → confirming (joint application within 30 days) → performing | performed | agreed (rejected)
agreed / performing → performed (every obligation done) ; follow-up before closing."""

from __future__ import annotations

from typing import Any

from fangtiao.cases.choices import Status as S
from fangtiao.cases.transition import Transition
from fangtiao.mediation import schemas as ms
from fangtiao.org.choices import Role as R

M = "fangtiao.mediation.handlers"
MEDIATORS = frozenset({R.MEDIATOR, R.COMMITTEE_HEAD})
HEADS = frozenset({R.COMMITTEE_HEAD})
COURT = frozenset({R.COURT_LIAISON})
FOLLOWERS = frozenset({R.MEDIATOR, R.COMMITTEE_HEAD, R.OFFICER, R.LEADER})
AFTER_AGREEMENT = frozenset({S.AGREED, S.CONFIRMING, S.PERFORMING})
BACKLOG_SOURCES = frozenset({S.REGISTERED, S.ACCEPTED, S.TRANSFERRING, S.MEDIATING, S.HANDLING, S.REVIEWING,
                             S.RE_REVIEWING, S.AGREED, S.CONFIRMING, S.PERFORMING, S.FAILED, S.REPLIED})


def _ready_to_agree(case: Any) -> str | None:
    from fangtiao.mediation.handlers import agree_blockers

    blockers = agree_blockers(case)
    return ("不能登记调解协议：" + "；".join(blockers)) if blockers else None


def _has_mediator(case: Any) -> str | None:
    from fangtiao.mediation.models import Assignment

    return None if Assignment.objects.filter(case=case, active=True).exists() else "尚未指派调解员"


def _may_apply(case: Any) -> str | None:
    from django.utils import timezone

    from fangtiao.mediation.handlers import confirmation_blockers

    blockers = confirmation_blockers(case, timezone.localdate(), window=False)  # the date applied decides the window
    return ("不能申请司法确认：" + "；".join(blockers)) if blockers else None


def _awaiting_acceptance(case: Any) -> str | None:
    if case.confirmations.filter(result="pending", accepted_on__isnull=True).exists():
        return None
    return "法院已立案" if case.confirmations.filter(result="pending").exists() else "没有审查中的司法确认申请"


def _may_extend_review(case: Any) -> str | None:
    c = case.confirmations.filter(result="pending").first()
    if c is None:
        return "没有审查中的司法确认申请"
    if c.accepted_on is None:
        return "法院尚未立案"
    return "已经延长过一次（2011 规定 第5条：延长10日）" if c.extended else None


def _agreement_signing(case: Any) -> str | None:
    return None if case.agreements.filter(status="signing").exists() else "没有待签署的书面调解协议"


def _may_remediate(case: Any) -> str | None:
    if case.confirmations.filter(result="confirmed").exists():
        return "协议已经司法确认有效，应当履行或申请强制执行"
    return None


def _has_confirmation_pending(case: Any) -> str | None:
    return None if case.confirmations.filter(result="pending").exists() else "没有审查中的司法确认申请"


def _not_backlog(case: Any) -> str | None:
    return "已列为信访积案" if case.is_backlog else None


def _has_open_obligation(case: Any) -> str | None:
    if not case.agreements.filter(status="effective").exists():
        return "调解协议尚未签署生效"
    return None if case.obligations.filter(status__in=["pending", "partial", "overdue"], agreement__status="effective") \
        .exists() else "没有待履行的义务"


def _overdue_confirmed(case: Any) -> str | None:
    if not case.confirmations.filter(result="confirmed").exists():
        return "只有经司法确认有效的协议可以申请强制执行"
    if not case.obligations.filter(status="overdue", enforced=False, agreement__status="effective").exists():
        return "没有逾期未履行的义务"
    return None


def _claim_or_dispute(case: Any) -> str | None:
    if case.kind == "petition" and case.nature != "claim":
        return "只有申诉求决类信访事项可以由人民调解提前介入"
    return None


# Rows an assigned mediator from another committee may take too (cases.services._holder_ok).
ASSIGNED = {"assigned": True}

MEDIATION_TRANSITIONS: tuple[Transition, ...] = (
    Transition("intervene", "调解提前介入", frozenset({S.REGISTERED}), None,
               frozenset({R.OFFICER, R.LEADER, R.COMMITTEE_HEAD}), ms.InterveneIn, module=M, guard=_claim_or_dispute,
               stops=("petition.disposition",), basis="人民调解法 第17条（主动调解）；访调对接（提前介入）"),
    Transition("assign", "指派调解员", frozenset({S.MEDIATING}), None, HEADS, ms.AssignIn, module=M,
               basis="人民调解法 第19条", style="primary"),
    Transition("replace_mediator", "更换调解员", frozenset({S.MEDIATING}), None, HEADS, ms.ReplaceMediatorIn, module=M,
               guard=_has_mediator, basis="人民调解法 第19、23条"),
    Transition("record_notice", "告知与同意", frozenset({S.MEDIATING}), None, MEDIATORS, ms.NoticeIn, module=M, extra=ASSIGNED,
               basis="人民调解法 第17、23、24条"),
    Transition("invite", "邀请参与人", frozenset({S.MEDIATING}), None, MEDIATORS, ms.InviteIn, module=M, extra=ASSIGNED,
               basis="人民调解法 第20条"),
    Transition("request_opinion", "专家咨询", frozenset({S.MEDIATING, S.AGREED}), None, MEDIATORS, ms.OpinionRequestIn,
               module=M, extra=ASSIGNED, basis="调解专家库（访调对接）"),
    Transition("record_opinion", "出具专家意见", frozenset({S.MEDIATING, S.AGREED, S.FAILED}), None, frozenset({R.EXPERT}),
               ms.OpinionIn, holder_only=False, module=M, basis="调解专家库（访调对接）", style="primary"),
    Transition("book_session", "预约调解", frozenset({S.MEDIATING}), None, MEDIATORS, ms.BookIn, module=M, extra=ASSIGNED,
               basis="人民调解法 第21条（及时、就地）"),
    Transition("record_session", "调解记录", frozenset({S.MEDIATING}), None, MEDIATORS, ms.SessionIn, module=M, extra=ASSIGNED,
               basis="人民调解法 第21、22、27条", style="primary"),
    Transition("report_risk", "激化风险报告", frozenset({S.MEDIATING, *AFTER_AGREEMENT}), None, MEDIATORS, ms.RiskIn,
               module=M, extra=ASSIGNED, basis="人民调解法 第25条", style="danger"),
    Transition("extend_mediation", "延长调解期限", frozenset({S.MEDIATING}), None, MEDIATORS, ms.ExtendMediationIn,
               module=M, extra=ASSIGNED, basis="宁波市人民调解条例 第27条（本地惯例，可配置）"),
    Transition("agree", "调解成功（登记协议）", frozenset({S.MEDIATING}), S.AGREED, MEDIATORS, ms.AgreeIn, module=M, extra=ASSIGNED,
               guard=_ready_to_agree, stops=("mediation.period",), basis="人民调解法 第28、29、30条", public_note="调解成功，已达成调解协议。",
               style="success"),
    Transition("sign_agreement", "签署协议", frozenset({S.AGREED}), None, MEDIATORS, ms.SignIn, module=M, extra=ASSIGNED,
               guard=_agreement_signing, basis="人民调解法 第29条", style="primary"),
    Transition("fail", "终止调解", frozenset({S.MEDIATING}), None, MEDIATORS, ms.FailIn, module=M, extra=ASSIGNED,
               stops=("mediation.period",), basis="人民调解法 第26条", public_note="调解未达成协议，已告知依法维权的途径。",
               style="warning"),
    Transition("remediate", "重新调解", frozenset({S.AGREED}), S.MEDIATING, MEDIATORS, ms.RemediateIn, module=M,
               guard=_may_remediate,
               basis="人民调解法 第33条；民事诉讼法(2023) 第206条"),
    Transition("apply_confirmation", "申请司法确认", frozenset({S.AGREED}), S.CONFIRMING, MEDIATORS, ms.ApplyConfirmationIn,
               module=M, extra=ASSIGNED, guard=_may_apply, stops=("confirmation.apply",), starts=("confirmation.accept",),
               basis="人民调解法 第33条；民事诉讼法(2023) 第205条；民诉法解释 第354、355条",
               public_note="已向人民法院申请司法确认。"),
    Transition("accept_confirmation", "法院立案", frozenset({S.CONFIRMING}), None, COURT, ms.AcceptConfirmationIn,
               holder_only=False, module=M, guard=_awaiting_acceptance, stops=("confirmation.accept",),
               starts=("confirmation.decide", "confirmation.limit"),
               basis="《关于人民调解协议司法确认程序的若干规定》(2011) 第4条", style="primary"),
    Transition("extend_confirmation", "延长审查期限", frozenset({S.CONFIRMING}), None, COURT, ms.ExtendConfirmationIn,
               holder_only=False, module=M, guard=_may_extend_review,
               basis="《关于人民调解协议司法确认程序的若干规定》(2011) 第5条"),
    Transition("record_confirmation", "记录确认结果", frozenset({S.CONFIRMING}), None, COURT, ms.ConfirmationResultIn,
               holder_only=False, module=M, guard=_has_confirmation_pending,
               stops=("confirmation.accept", "confirmation.decide", "confirmation.limit"),
               basis="民事诉讼法(2023) 第187、206条；民诉法解释 第357、358条", public_note="人民法院已作出司法确认决定。",
               style="primary"),
    Transition("record_performance", "登记履行", AFTER_AGREEMENT, None, MEDIATORS, ms.PerformanceIn, module=M, extra=ASSIGNED,
               guard=_has_open_obligation, basis="人民调解法 第31条", style="primary"),
    Transition("apply_enforcement", "申请强制执行", frozenset({S.PERFORMING}), None, MEDIATORS, ms.EnforcementIn, module=M, extra=ASSIGNED,
               guard=_overdue_confirmed, basis="民事诉讼法(2023) 第206、250条；民诉法解释 第460条", style="danger"),
    Transition("follow_up", "回访", frozenset({*AFTER_AGREEMENT, S.PERFORMED, S.FAILED, S.REPLIED}), None, FOLLOWERS,
               ms.FollowUpIn, module=M, extra=ASSIGNED, stops=("follow_up",), basis="人民调解法 第31条；人民调解回访记录"),
    Transition("mark_backlog", "列为积案（包案）", BACKLOG_SOURCES, None, frozenset({R.LEADER}), ms.BacklogIn,
               holder_only=False, module=M, guard=_not_backlog, basis="信访积案化解（本地规则，可配置）"),
)
