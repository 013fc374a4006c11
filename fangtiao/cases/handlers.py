"""Side effects of each lifecycle action (called by services.case_act inside its transaction).

`do_<action>(case, actor, payload, today) -> Result`; `may_<action>(case, actor) -> reason | None`
adds a permission check beyond role and holding unit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from fangtiao.cases.choices import Kind, Nature, RouteTo, Status, TransferPurpose, TransferStatus
from fangtiao.cases.models import Case, CoTask, ReviewRequest, Supervision, Transfer
from fangtiao.clocks import services as clocks
from fangtiao.core.errors import Conflict, ValidationFailed
from fangtiao.core.numbering import chinese_year_number, next_number
from fangtiao.notifications.services import notify_unit
from fangtiao.org.choices import MEDIATION_UNIT_KINDS, UnitKind
from fangtiao.org.models import Unit

LEVEL_RANK = {"village": 0, "township": 1, "district": 2, "city": 3, "province": 4}


@dataclass
class Result:
    status: str | None = None
    note: str = ""
    public: bool = True
    data: dict[str, Any] = field(default_factory=dict)


def _unit(actor: Any, pk: int | None, field_name: str) -> Unit:
    """A unit the actor can see (its subtree and the units above it), else a field error."""
    unit = Unit.objects.visible_to(actor).select_related("region").filter(pk=pk, active=True).first() if pk else None
    if unit is None:
        raise ValidationFailed.on(field_name, "所选单位不存在或不在您的管辖范围内")
    return unit


def _not_accused(case: Case, unit: Unit, field_name: str) -> None:
    """检举控告材料不得转给被检举控告的单位 (信访工作条例 第30条第3款、第46条(5))."""
    if case.nature == Nature.ACCUSATION and case.accused_unit_id == unit.pk:
        raise ValidationFailed.on(field_name, "检举控告事项不得交由被检举控告的单位办理")


def subject(case: Case) -> str:
    """How a notice names the case: an accusation by its number only (its title may name people)."""
    return case.number if case.nature == Nature.ACCUSATION else f"{case.number} {case.title[:40]}"


# Units that can carry on a mediation (a round opens there on receipt): the committees and rooms, and the
# 联合调解 centres that host them (三级联动: a village committee escalates to its township sub-centre).
MEDIATING_UNIT_KINDS = MEDIATION_UNIT_KINDS | {UnitKind.SUBCENTRE, UnitKind.CENTRE}


def _transfer(case: Case, actor: Any, to_unit: Unit, purpose: str, resume: str, note: str, today: dt.date) -> Transfer:
    if to_unit.pk == case.holder_unit_id:
        raise ValidationFailed.on("to_unit", "不能移交给本单位")
    if resume == Status.MEDIATING and to_unit.kind not in MEDIATING_UNIT_KINDS:
        raise ValidationFailed.on("to_unit", "调解中的事项只能移交调解组织或矛调中心继续调解；需要其他单位办理的，请先终止调解")
    _not_accused(case, to_unit, "to_unit")
    from_unit = case.holder_unit
    seq = next_number(scope="transfer", unit_id=from_unit.pk, year=today.year)
    transfer = Transfer.objects.create(
        case=case, number=chinese_year_number(from_unit.short_name, today.year, seq, width=4, word="移"),
        purpose=purpose, from_unit=from_unit, to_unit=to_unit, resume_status=resume, previous_status=case.status,
        note=note, sent_by=actor,
    )
    case.holder_unit = to_unit
    clocks.clock_start(case=case, code="transfer.objection", start_on=today, holder_unit=to_unit)
    notify_unit(unit_id=to_unit.pk, kind="transfer", case=case,
                title=f"待签收：{subject(case)}", body=f"{from_unit.name} 移交（{transfer.number}）：{note}")
    return transfer


def _handling_clock_to_holder(case: Case) -> None:
    """The running handling period (第34条) is kept by the unit now holding the case: its notices go there."""
    case.clocks.filter(code="petition.handling", state__in=["running", "paused", "overdue"]).update(
        holder_unit=case.holder_unit)


def _pending_transfer(case: Case) -> Transfer:
    transfer = case.transfers.filter(status=TransferStatus.PENDING).order_by("-sent_at", "-id").first()
    if transfer is None:
        raise Conflict("没有待签收的移交单")
    return transfer


def _district_centre(case: Case) -> Unit | None:
    """The fallback owner when ownership is unclear: the 矛调中心 of the district of the place."""
    codes = [c for c in case.region_path.strip("/").split("/") if c]
    return (Unit.objects.filter(kind=UnitKind.CENTRE, region__code__in=codes, active=True)
            .order_by("-region__depth").first())


# --- intake decisions ------------------------------------------------------------------------

def do_accept(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    case.accepted_on = today
    case.acceptance_notice = p.notice or "您反映的事项已依法受理，我们将在法定期限内办理并书面答复。"
    return Result(note=f"已受理并书面告知（{today.year}年{today.month}月{today.day}日）")


def do_reject(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    case.not_accepted_reason = p.reason
    case.lawful_channel = p.channel
    from fangtiao.cases.choices import NotAcceptedChannel

    return Result(note=f"不予受理：{p.reason}；请通过{NotAcceptedChannel(p.channel).label}依法解决")


def do_forward(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    case.forwarded_to = p.authority
    return Result(note=f"已转送{p.authority}", data={"reason": p.reason})


def do_divert(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    from fangtiao.cases.choices import DivertRoute

    case.divert_route = p.route
    return Result(note=f"导入法定途径：{DivertRoute(p.route).label}。{p.note}".strip())


def do_route(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """统一引导、即时分流: to mediation (调解前置) or to a handling unit with co-units (联动化解)."""
    if p.to == RouteTo.MEDIATION:
        # 访调对接: only civil-type 申诉求决类 matters, with both parties' consent (司法部·国家信访局 2025 意见;
        # 信访工作条例 第33条); never administrative disputes or unfinished 涉法涉诉 matters.
        if case.kind == Kind.PETITION and case.nature != Nature.CLAIM:
            raise Conflict("只有申诉求决类信访事项可以移交人民调解")
        if case.administrative_dispute:
            raise Conflict("行政争议不属于人民调解范围，不能调解前置")
        if case.litigation_pending:
            raise Conflict("涉法涉诉事项尚未终结，不能移交人民调解")
        if not p.consent:
            raise ValidationFailed.on("consent", "调解前置须经双方当事人同意；一方明确拒绝的，不得调解（人民调解法 第17条）")
        unit = _unit(actor, p.unit, "unit")
        if unit.kind not in MEDIATION_UNIT_KINDS:
            raise ValidationFailed.on("unit", "请选择人民调解委员会、信访调解室或调解工作室")
        case.mediation_consent = True
        case.route = RouteTo.MEDIATION
        case.source = case.source or "transfer"
        if unit.pk != case.holder_unit_id:
            t = _transfer(case, actor, unit, TransferPurpose.MEDIATION, Status.MEDIATING, p.task, today)
            return Result(status=Status.TRANSFERRING, note=f"调解前置，移交{unit.name}（{t.number}）")
        from fangtiao.mediation.services import open_round

        m = open_round(case=case, unit=unit, today=today)
        return Result(status=Status.MEDIATING, note=f"调解前置，由{unit.name}调解（{m.number}）")
    # Handling: the lead unit answers; co-units each have a task (信访工作条例 第24条).
    if p.unit:
        unit = _unit(actor, p.unit, "unit")
    else:
        unit = _district_centre(case)
        if unit is None:
            raise ValidationFailed.on("unit", "请选择承办单位")
    co_ids = [c for c in dict.fromkeys(p.co_units) if c != unit.pk]
    co_units = [_unit(actor, c, "co_units") for c in co_ids]
    _not_accused(case, unit, "unit")
    for cu in co_units:
        _not_accused(case, cu, "co_units")
    case.route = RouteTo.HANDLING
    case.lead_unit = unit
    for cu in co_units:
        CoTask.objects.update_or_create(case=case, unit=cu, defaults={"task": p.task or "协同办理"})
        notify_unit(unit_id=cu.pk, kind="co_task", case=case, title=f"协办：{subject(case)}",
                    body=f"牵头单位：{unit.name}。{p.task}")
    note = f"交{unit.name}牵头办理" + (f"，协办：{'、'.join(c.name for c in co_units)}" if co_units else "")
    if unit.pk != case.holder_unit_id:
        t = _transfer(case, actor, unit, TransferPurpose.HANDLING, Status.HANDLING, p.task, today)
        return Result(status=Status.TRANSFERRING, note=f"{note}（{t.number}）")
    return Result(status=Status.HANDLING, note=note)


# --- transfers -------------------------------------------------------------------------------

def do_transfer(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    unit = _unit(actor, p.to_unit, "to_unit")
    if case.status == Status.REGISTERED:
        # Transferring is the disposition of 第22条 (met); the receiver owes the 第23条 notice from receipt.
        clocks.clock_stop(case=case, code="petition.disposition", on=today)
        clocks.clock_cancel(case=case, codes=["petition.acceptance_notice"], on=today)
    t = _transfer(case, actor, unit, TransferPurpose.TRANSFER, case.status, p.note, today)
    return Result(note=f"移交{unit.name}（工作移交单 {t.number}）", data={"transfer": t.number})


def do_escalate(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    unit = _unit(actor, p.to_unit, "to_unit")
    if LEVEL_RANK.get(unit.level, 0) <= LEVEL_RANK.get(case.holder_unit.level, 0) \
            or not case.holder_unit.region.path.startswith(unit.region.path):
        raise ValidationFailed.on("to_unit", "只能上报到本单位所在区划的上级单位（村—乡镇—区三级联动）")
    t = _transfer(case, actor, unit, TransferPurpose.ESCALATION, case.status, p.reason, today)
    return Result(note=f"上报{unit.name}：{p.reason}（{t.number}）")


def do_receive(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    t = _pending_transfer(case)
    t.status = TransferStatus.RECEIVED
    t.handled_by = actor
    t.handled_at = timezone.now()
    t.save(update_fields=["status", "handled_by", "handled_at"])
    _handling_clock_to_holder(case)
    if t.resume_status == Status.MEDIATING:
        from fangtiao.mediation.services import open_round

        open_round(case=case, unit=case.holder_unit, today=today)
    if case.kind == Kind.PETITION and case.accepted_on is None and not case.identity_incomplete:
        # 第23条: a transferred petition is to be acknowledged in writing within 15 days of receipt.
        clocks.clock_start(case=case, code="petition.acceptance_notice", start_on=today, holder_unit=case.holder_unit)
    return Result(status=t.resume_status, note=f"{case.holder_unit.name}已签收（{t.number}）。{p.note}".strip())


def do_return(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    t = _pending_transfer(case)
    objection = case.clocks.filter(code="transfer.objection", state__in=["running", "overdue"]).order_by("-id").first()
    if objection is not None and objection.due_on and today > objection.due_on:
        raise Conflict("已超过5个工作日的异议期限，不能退回（信访工作条例 第23条）", code="objection_expired")
    t.status = TransferStatus.RETURNED
    t.handled_by = actor
    t.handled_at = timezone.now()
    t.return_reason = p.reason
    t.save(update_fields=["status", "handled_by", "handled_at", "return_reason"])
    case.holder_unit = t.from_unit
    if t.purpose in (TransferPurpose.MEDIATION, TransferPurpose.HANDLING):
        case.route = ""
        case.lead_unit = None
        case.co_tasks.filter(replied_at__isnull=True).delete()
    notify_unit(unit_id=t.from_unit_id, kind="returned", case=case, title=f"被退回：{case.number}",
                body=f"{t.to_unit.name}退回移交单 {t.number}，理由：{p.reason}")
    return Result(status=t.previous_status, note=f"{t.to_unit.name}退回：{p.reason}", public=False)


# --- oversight -------------------------------------------------------------------------------

def do_report_major(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """第25条: major or urgent matters are reported to the 党委/政府 at the same level and up."""
    case.is_major = True
    # The 矛调中心 of the same level and every centre or petition bureau above it (第25条: to the
    # 党委/政府 at the same level, and 信访部门 report further up).
    codes = [c for c in case.region_path.strip("/").split("/") if c]
    targets = (Unit.objects.filter(kind__in=[UnitKind.CENTRE, UnitKind.PETITION_BUREAU], region__code__in=codes, active=True)
               .values_list("pk", flat=True))
    for unit_id in targets:
        notify_unit(unit_id=unit_id, kind="major", case=case, title=f"重大紧急：{case.number}", body=p.note)
    return Result(note=f"重大紧急信访事项报告：{p.note}", public=False)


def may_supervise(case: Case, actor: Any) -> str | None:
    from fangtiao.org.jurisdiction import in_scope

    return None if actor.is_superuser or in_scope(actor, case.region_path) else "只能督办本辖区的事项"


def do_supervise(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    Supervision.objects.create(case=case, by=actor, note=p.note, due_on=p.due_on)
    notify_unit(unit_id=case.holder_unit_id, kind="supervision", case=case, title=f"督办：{case.number}",
                body=p.note + (f"（要求{p.due_on.year}年{p.due_on.month}月{p.due_on.day}日前办结）" if p.due_on else ""))
    return Result(note=f"督办：{p.note}", public=False)


def do_extend(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """第34条: one extension of at most 30 days, approved by the organ's head, reason told to the petitioner."""
    case.extended_days = p.days
    case.extension_reason = p.reason
    case.extension_approver = actor
    clocks.clock_extend(case=case, code="petition.handling", days=p.days)
    return Result(note=f"经负责人批准延长办理期限{p.days}日，理由：{p.reason}")


def may_co_reply(case: Case, actor: Any) -> str | None:
    if case.co_tasks.filter(unit_id=actor.unit_id, replied_at__isnull=True).exists():
        return None
    return "只有尚未答复的协办单位可以提交协办答复"


def do_co_reply(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    task = case.co_tasks.get(unit_id=actor.unit_id, replied_at__isnull=True)
    task.reply = p.reply
    task.replied_at = timezone.now()
    task.replied_by = actor
    task.save(update_fields=["reply", "replied_at", "replied_by"])
    notify_unit(unit_id=case.holder_unit_id, kind="co_reply", case=case, title=f"协办已答复：{case.number}",
                body=f"{actor.unit.name}：{p.reply[:200]}")
    return Result(note=f"{actor.unit.name}提交协办答复", public=False)


def do_reply(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """第32条: the 信访处理意见书 — request, facts and reasons, opinion, legal basis; one of three outcomes."""
    pending = list(case.co_tasks.filter(replied_at__isnull=True).select_related("unit"))
    if pending:
        raise Conflict("协办单位尚未答复：" + "、".join(t.unit.name for t in pending), code="co_tasks_pending")
    case.reply_outcome = p.outcome
    case.reply_request = p.request
    case.reply_facts = p.facts
    case.reply_opinion = p.opinion
    case.reply_basis = p.basis
    case.replied_on = today
    from fangtiao.cases.choices import ReplyOutcome

    return Result(note=f"出具信访处理意见书：{ReplyOutcome(p.outcome).label}")


# --- mediation outcomes (the full mediation record comes with the mediation app) -------------

def _mediation_feedback(case: Case, text: str) -> None:
    """结果反馈 (legal-rules item 21): the unit that sent the matter to mediation hears the outcome."""
    sent = case.transfers.filter(purpose=TransferPurpose.MEDIATION).order_by("-sent_at", "-id").first()
    if sent is not None and sent.from_unit_id != case.holder_unit_id:
        notify_unit(unit_id=sent.from_unit_id, kind="mediation_result", case=case, title=f"调解结果：{subject(case)}",
                    body=text)


def do_withdraw(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    if case.status == Status.MEDIATING:
        from fangtiao.mediation.services import end_round

        _mediation_feedback(case, f"当事人撤回调解申请：{p.reason}")
        end_round(case=case, status="withdrawn", today=today, reason=p.reason)
    case.outcome_note = p.reason
    return Result(note=f"撤回：{p.reason}")


# --- review and re-examination ---------------------------------------------------------------

def _review(case: Case, actor: Any, p: Any, today: dt.date, stage: str, window_code: str) -> Result:
    organ = _unit(actor, p.organ, "organ")
    _not_accused(case, organ, "organ")
    base_unit = case.holder_unit if stage == "review" else case.reviews.filter(stage="review").latest("id").organ
    above = LEVEL_RANK.get(organ.level, 0) == LEVEL_RANK.get(base_unit.level, 0) + 1
    if not above or not base_unit.region.path.startswith(organ.region.path):
        raise ValidationFailed.on("organ", "复查、复核应向原办理（复查）机关的上一级机关请求（第35、36条）")
    window = case.clocks.filter(code=window_code).order_by("-id").first()
    if p.requested_on > today:
        raise ValidationFailed.on("requested_on", "申请日期不能晚于今天")
    if case.replied_on and p.requested_on < case.replied_on:
        raise ValidationFailed.on("requested_on", "申请日期不能早于书面答复日期")
    if window is not None and window.due_on and p.requested_on > window.due_on:
        article = "第35条" if stage == "review" else "第36条"
        raise ValidationFailed.on("requested_on", f"已超过收到答复之日起30日的申请期限（信访工作条例 {article}），不予受理")
    ReviewRequest.objects.create(case=case, stage=stage, organ=organ, requested_on=p.requested_on, reasons=p.reasons)
    case.review_stage = stage
    case.holder_unit = organ
    # 第35、36条: the organ answers within 30 days of *receiving* the request, not of keying it in.
    clocks.clock_stop(case=case, code=window_code, on=p.requested_on)
    clocks.clock_start(case=case, code=f"{stage}.answer", start_on=p.requested_on, holder_unit=organ)
    notify_unit(unit_id=organ.pk, kind=stage, case=case, title=f"{'复查' if stage == 'review' else '复核'}请求：{case.number}",
                body=p.reasons)
    return Result(note=f"{organ.name}登记{'复查' if stage == 'review' else '复核'}请求")


def do_request_review(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    return _review(case, actor, p, today, "review", "review.request")


def do_request_re_review(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    return _review(case, actor, p, today, "re_review", "re_review.request")


def _answer(case: Case, p: Any, today: dt.date, stage: str) -> Result:
    req = case.reviews.filter(stage=stage, answered_on__isnull=True).latest("id")
    req.opinion = p.opinion
    req.outcome = p.outcome
    req.answered_on = today
    req.save(update_fields=["opinion", "outcome", "answered_on"])
    if stage == "re_review":
        case.review_stage = "final"
    from fangtiao.cases.choices import ReplyOutcome

    return Result(note=f"{'复查' if stage == 'review' else '复核'}意见：{ReplyOutcome(p.outcome).label}")


def do_answer_review(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    return _answer(case, p, today, "review")


def do_answer_re_review(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    return _answer(case, p, today, "re_review")


def do_record_hearing(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """第36条: time spent on a hearing is not counted in the 30 days of 复核."""
    req = case.reviews.filter(stage="re_review", answered_on__isnull=True).latest("id")
    req.hearing_days += p.days
    req.save(update_fields=["hearing_days"])
    clocks.clock_extend(case=case, code="re_review.answer", days=p.days)
    return Result(note=f"举行听证，用时{p.days}日（不计入复核期限）。{p.note}".strip())


# --- end -------------------------------------------------------------------------------------

def do_close(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    from fangtiao.mediation.services import resolve_backlog

    case.closed_on = today
    if case.is_backlog:
        resolve_backlog(case=case, actor=actor, today=today)
    return Result(note=p.note or "事项已办结")


def do_archive(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """人民调解法 第27条: a mediated case is filed as one sealed 卷宗 (cover, table of contents)."""
    from fangtiao.mediation.services import seal_archive

    file = seal_archive(case=case, actor=actor, today=today)
    return Result(note=f"已立卷归档（{file.number}）" if file else "已归档", public=False)
