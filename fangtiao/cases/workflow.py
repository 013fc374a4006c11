"""The lifecycle state machine: one table, read by the services (guards and effects), the API
(`GET /cases/{id}/actions`), the UI's buttons, the docs and the flow chart.

Each transition: the states it leaves, the state it enters (None: decided by its handler),
the roles that may take it, whether only the unit now holding the case may, the input schema,
the clocks it stops and starts, the legal basis, and the handler with its side effects."""

from __future__ import annotations

from typing import Any

from fangtiao.cases import schemas as s
from fangtiao.cases.choices import Status as S
from fangtiao.cases.transition import Transition
from fangtiao.org.choices import Role as R

OFFICERS = frozenset({R.OFFICER, R.LEADER})
HANDLERS = frozenset({R.OFFICER, R.LEADER, R.COMMITTEE_HEAD})
RECEIVERS = frozenset({R.OFFICER, R.LEADER, R.COMMITTEE_HEAD, R.CLERK})
MEDIATORS = frozenset({R.MEDIATOR, R.COMMITTEE_HEAD})
OPEN = frozenset({S.REGISTERED, S.ACCEPTED, S.MEDIATING, S.HANDLING, S.REVIEWING, S.RE_REVIEWING})


def _claim_only(case: Any) -> str | None:
    if case.kind == "petition" and case.nature != "claim":
        return "只有申诉求决类信访事项适用诉访分离的法定途径"
    return None


def _petition_only(case: Any) -> str | None:
    return None if case.kind == "petition" else "只适用于信访事项"


def _not_extended(case: Any) -> str | None:
    if case.kind != "petition":
        return "只有信访事项的办理期限可以延长"
    return "办理期限只能延长一次（信访工作条例 第34条）" if case.extended_days else None


def _co_units_replied(case: Any) -> str | None:
    """联动化解 (第24条): the lead unit replies once every co-unit has given its own reply."""
    pending = [t.unit.name for t in case.co_tasks.filter(replied_at__isnull=True).select_related("unit")]
    return ("协办单位尚未答复：" + "、".join(pending)) if pending else None


def _objection_window_open(case: Any) -> str | None:
    """第23条: a misrouted transfer may be returned only within 5 working days of receipt; after that it is signed for."""
    from django.utils import timezone

    clock = case.clocks.filter(code="transfer.objection", state__in=["running", "overdue"]).order_by("-id").first()
    if clock is not None and clock.due_on and timezone.localdate() > clock.due_on:
        return "已超过5个工作日的异议期限，不能退回，请签收（信访工作条例 第23条）"
    return None


def _review_open(case: Any) -> str | None:
    if case.kind != "petition":
        return "只有信访事项可以请求复查"
    if not case.reply_outcome:
        return "只有出具了书面处理意见的信访事项可以请求复查（第35条）"
    return None if case.review_stage in ("",) else "该事项已经复查，如不服应请求复核"


def _re_review_open(case: Any) -> str | None:
    if case.kind != "petition":
        return "只有信访事项可以请求复核"
    if case.review_stage == "final":
        return "复核后同一事实和理由不再受理（信访工作条例 第36条）"
    return None if case.review_stage == "review" else "须先经复查，方可请求复核"


def _closable(case: Any) -> str | None:
    """A mediated case closes once its agreement is performed (or enforced) and the parties were visited."""
    from fangtiao.mediation.services import close_blockers

    blockers = close_blockers(case)
    return ("不能办结：" + "；".join(blockers)) if blockers else None


_CASE_TRANSITIONS: tuple[Transition, ...] = (
    Transition("accept", "受理", frozenset({S.REGISTERED}), S.ACCEPTED, HANDLERS, s.AcceptIn,
               stops=("petition.disposition", "petition.acceptance_notice"), starts=("petition.handling",),
               basis="信访工作条例 第22、23条", public_note="您的事项已受理。", style="primary"),
    Transition("reject", "不予受理", frozenset({S.REGISTERED, S.ACCEPTED}), S.NOT_ACCEPTED, HANDLERS, s.RejectIn,
               stops=("petition.disposition", "petition.acceptance_notice"),
               basis="信访工作条例 第23、31条", public_note="您的事项不予受理，已告知依法解决的途径。", style="danger"),
    Transition("forward", "转送其他机关", frozenset({S.REGISTERED, S.ACCEPTED}), S.FORWARDED, OFFICERS, s.ForwardIn,
               stops=("petition.disposition", "petition.acceptance_notice"),
               basis="信访工作条例 第22、23条", public_note="您的事项已转送有权处理的机关。"),
    Transition("divert", "导入法定途径（诉访分离）", frozenset({S.ACCEPTED}), S.DIVERTED, OFFICERS, s.DivertIn,
               guard=_claim_only, basis="信访工作条例 第28、31条（第1–5项）",
               public_note="您的诉求应通过法定途径解决，已书面告知。"),
    Transition("route", "分流", frozenset({S.ACCEPTED, S.FAILED}), None, HANDLERS, s.RouteIn,
               basis="信访工作条例 第24、31、33条；访调对接", style="primary"),
    Transition("transfer", "移交", frozenset({S.REGISTERED, S.ACCEPTED, S.HANDLING, S.MEDIATING}), S.TRANSFERRING,
               RECEIVERS, s.TransferIn, starts=("transfer.objection",), basis="信访工作条例 第22、23条"),
    Transition("receive", "签收", frozenset({S.TRANSFERRING}), None, RECEIVERS | {R.MEDIATOR}, s.ReceiveIn,
               stops=("transfer.objection",), basis="信访工作条例 第23条", style="primary"),
    Transition("return", "退回（说明理由）", frozenset({S.TRANSFERRING}), None, RECEIVERS, s.ReturnIn,
               guard=_objection_window_open, stops=("transfer.objection",), basis="信访工作条例 第23条（5个工作日内提出异议）", style="warning"),
    Transition("escalate", "上报上级", frozenset({S.REGISTERED, S.ACCEPTED, S.HANDLING, S.MEDIATING}), S.TRANSFERRING,
               HANDLERS | {R.MEDIATOR}, s.EscalateIn, starts=("transfer.objection",), basis="三级联动（村—乡镇—区）"),
    Transition("report_major", "重大紧急报告", OPEN, None, OFFICERS, s.MajorIn, holder_only=False,
               basis="信访工作条例 第25条", style="danger"),
    Transition("supervise", "督办", OPEN | {S.TRANSFERRING}, None, frozenset({R.LEADER}), s.SuperviseIn, holder_only=False,
               basis="信访工作条例 第43条（督查督办）"),
    Transition("extend", "延长办理期限", frozenset({S.HANDLING}), None, frozenset({R.LEADER}), s.ExtendIn,
               guard=_not_extended, basis="信访工作条例 第34条", public_note="办理期限已依法延长。"),
    Transition("co_reply", "协办答复", frozenset({S.HANDLING}), None, HANDLERS, s.CoReplyIn, holder_only=False,
               basis="信访工作条例 第24条（联动化解）"),
    Transition("reply", "出具处理意见书", frozenset({S.HANDLING}), S.REPLIED, HANDLERS, s.ReplyIn,
               guard=_co_units_replied, stops=("petition.handling",), starts=("review.request", "satisfaction.window"),
               basis="信访工作条例 第32、34条", public_note="已出具信访处理意见书。", style="primary"),
    Transition("withdraw", "撤回", frozenset({S.REGISTERED, S.ACCEPTED, S.MEDIATING, S.HANDLING}), S.WITHDRAWN,
               HANDLERS | {R.MEDIATOR, R.CLERK}, s.WithdrawIn, basis="当事人撤回", public_note="事项已撤回。"),
    Transition("request_review", "登记复查请求", frozenset({S.REPLIED, S.CLOSED}), S.REVIEWING, RECEIVERS, s.ReviewRequestIn,
               holder_only=False, guard=_review_open, stops=("review.request",), starts=("review.answer",),
               basis="信访工作条例 第35条", public_note="您的复查请求已登记。"),
    Transition("answer_review", "出具复查意见", frozenset({S.REVIEWING}), S.REPLIED, OFFICERS, s.ReviewAnswerIn,
               stops=("review.answer",), starts=("re_review.request",), basis="信访工作条例 第35条",
               public_note="已出具复查意见。", style="primary"),
    Transition("request_re_review", "登记复核请求", frozenset({S.REPLIED, S.CLOSED}), S.RE_REVIEWING, RECEIVERS,
               s.ReviewRequestIn, holder_only=False, guard=_re_review_open, stops=("re_review.request",),
               starts=("re_review.answer",), basis="信访工作条例 第36条", public_note="您的复核请求已登记。"),
    Transition("record_hearing", "记录听证（时间不计入期限）", frozenset({S.RE_REVIEWING}), None, OFFICERS, s.HearingIn,
               basis="信访工作条例 第36条"),
    Transition("answer_re_review", "出具复核意见", frozenset({S.RE_REVIEWING}), S.REPLIED, OFFICERS, s.ReviewAnswerIn,
               stops=("re_review.answer",), basis="信访工作条例 第36条（复核后不再受理）",
               public_note="已出具复核意见，信访程序终结。", style="primary"),
    Transition("close", "办结", frozenset({S.REPLIED, S.NOT_ACCEPTED, S.FORWARDED, S.DIVERTED, S.AGREED, S.FAILED, S.WITHDRAWN,
                                          S.PERFORMING, S.PERFORMED}),
               S.CLOSED, HANDLERS, s.CloseIn, guard=_closable, basis="信访工作条例 第34条；人民调解法 第31条",
               public_note="事项已办结。", style="success"),
    Transition("archive", "归档", frozenset({S.CLOSED}), S.ARCHIVED, HANDLERS, s.CloseIn,
               basis="人民调解法 第27条（卷宗）；人民调解文书格式（卷宗封面、卷内目录）"),
)

def _join() -> tuple[Transition, ...]:
    """The case rows with the mediation rows (fangtiao.mediation.workflow) after the handling rows."""
    from fangtiao.mediation.workflow import MEDIATION_TRANSITIONS

    cut = next(i for i, t in enumerate(_CASE_TRANSITIONS) if t.action == "withdraw")
    return (*_CASE_TRANSITIONS[:cut], *MEDIATION_TRANSITIONS, *_CASE_TRANSITIONS[cut:])


TRANSITIONS: tuple[Transition, ...] = _join()
BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}
ACTION_LABELS: dict[str, str] = {"register": "登记", **{t.action: t.label for t in TRANSITIONS}}


def transition(action: str) -> Transition | None:
    return BY_ACTION.get(action)
