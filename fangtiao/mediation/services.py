"""State changes of mediation that are not a single lifecycle action: opening and ending a round,
an agreement taking effect, closing checks, the archive (卷宗), the backlog rule, and the periodic
jobs the worker runs (session reminders, obligations falling due or overdue, backlog marking).

The lifecycle actions themselves are in `handlers.py` (called by cases.services.case_act inside
its transaction, audited there)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from fangtiao.audit import services as audit
from fangtiao.cases.models import Case, CaseLink
from fangtiao.clocks import services as clocks
from fangtiao.core.errors import Conflict, ValidationFailed
from fangtiao.core.numbering import next_number
from fangtiao.mediation.choices import (
    OPEN_OBLIGATION,
    AgreementForm,
    AgreementStatus,
    Consent,
    MediationStatus,
    ObligationStatus,
    SessionStatus,
    SignerKind,
)
from fangtiao.mediation.models import (
    Agreement,
    ArchiveFile,
    BacklogRecord,
    BacklogRule,
    Mediation,
    Obligation,
    Session,
)
from fangtiao.notifications.services import notify_unit, notify_user
from fangtiao.org.models import Unit


def mediation_number(unit: Unit, year: int, seq: int) -> str:
    """卷号 in the form of the 卷宗封面 (legal-rules §4.1): 「（年）X人调字第 号」."""
    return f"（{year}）{unit.short_name}人调字第{seq}号"


def agreement_number(unit: Unit, year: int, seq: int) -> str:
    return f"（{year}）{unit.short_name}人调协字第{seq}号"


# --- rounds ------------------------------------------------------------------------------------

def open_round(*, case: Case, unit: Unit, today: dt.date, source: str = "", note: str = "",
               consented: bool | None = None) -> Mediation:
    """A new round of mediation at `unit` (on routing, on receipt of a transfer, on re-mediation).
    The previous open round, if any (a case escalated from a village to a township), is superseded."""
    from fangtiao.mediation.models import Assignment

    previous = Mediation.objects.filter(case=case, status=MediationStatus.OPEN)
    Assignment.objects.filter(mediation__in=previous, active=True).update(
        active=False, ended_at=timezone.now(), end_reason=f"移交{unit.name}继续调解")
    previous.update(status=MediationStatus.SUPERSEDED, ended_on=today, end_reason=note or f"移交{unit.name}继续调解")
    last = case.mediations.order_by("-round").values_list("round", flat=True).first() or 0
    seq = next_number(scope="mediation", unit_id=unit.pk, year=today.year)
    # 民诉法 第205条①: a matter a court sent to the organisation (委派/先行调解) is confirmed by that court.
    sent = case.transfers.filter(purpose="mediation", to_unit=unit).select_related("from_unit").order_by("-sent_at").first()
    inviting = sent.from_unit if sent and sent.from_unit.kind in ("court", "tribunal") else None
    m = Mediation.objects.create(case=case, round=last + 1, unit=unit, number=mediation_number(unit, today.year, seq),
                                 source=case.source or "transfer", inviting_court=inviting, started_on=today)
    # Both parties consented when the matter was routed to mediation (第17条; 信访工作条例 第33条):
    # the per-party record starts as "consented" then and may be turned into a refusal.
    from fangtiao.mediation.models import PartyNotice

    agreed = case.mediation_consent if consented is None else consented
    consent = Consent.CONSENTED if agreed else Consent.PENDING
    PartyNotice.objects.bulk_create([
        PartyNotice(mediation=m, case=case, party=p, consent=consent, consent_on=today if agreed else None)
        for p in case.parties.all()
    ])
    clocks.clock_start(case=case, code="mediation.period", start_on=today, holder_unit=unit)
    return m


ROUND_ENDED = "调解结束"


def end_round(*, case: Case, status: str, today: dt.date, reason: str = "", routes: list[str] | None = None) -> None:
    m = case.mediations.filter(status=MediationStatus.OPEN).order_by("-round").first()
    if m is None:
        return
    m.status = status
    m.ended_on = today
    m.end_reason = reason
    if routes is not None:
        m.routes_told = routes
    m.save(update_fields=["status", "ended_on", "end_reason", "routes_told"])
    # Booked sessions of the round no longer happen: free the room, send no reminder.
    Session.objects.filter(mediation=m, status=SessionStatus.SCHEDULED).update(status=SessionStatus.CANCELLED)
    from fangtiao.mediation.models import Assignment

    Assignment.objects.filter(mediation=m, active=True).update(active=False, ended_at=timezone.now(),
                                                               end_reason=ROUND_ENDED)


def require_round(case: Case) -> Mediation:
    m = case.mediations.filter(status=MediationStatus.OPEN).order_by("-round").select_related("unit").first()
    if m is None:
        raise Conflict("该事项没有进行中的调解", code="no_open_mediation")
    return m


# --- agreements --------------------------------------------------------------------------------

def missing_signatures(agreement: Agreement) -> list[str]:
    """Who still has to sign for the written agreement to take effect (人民调解法 第29条)."""
    if agreement.form == AgreementForm.ORAL:
        return []
    sigs = list(agreement.signatures.all())
    signed_parties = {s.party_id for s in sigs if s.signer_kind == SignerKind.PARTY}
    missing = [f"当事人{p.name or p.pk}" for p in agreement.case.parties.all() if p.pk not in signed_parties]
    if not any(s.signer_kind == SignerKind.MEDIATOR for s in sigs):
        missing.append("人民调解员")
    if not any(s.signer_kind == SignerKind.SEAL for s in sigs):
        missing.append("调委会印章")
    return missing


def take_effect_if_complete(agreement: Agreement, case: Case) -> bool:
    """第29条: effective on the day the last party signs (签名/盖章/按指印), the mediator signs and the
    committee's seal is affixed. Starts the 30-day window for judicial confirmation (第33条) and
    schedules the follow-up (回访)."""
    if agreement.status != AgreementStatus.SIGNING or missing_signatures(agreement):
        return False
    last = max(s.signed_on for s in agreement.signatures.all())
    agreement.status = AgreementStatus.EFFECTIVE
    agreement.effective_on = last
    agreement.save(update_fields=["status", "effective_on"])
    after_effective(agreement, case)
    return True


def after_effective(agreement: Agreement, case: Case) -> None:
    unit = agreement.mediation.unit
    # An obligation without a time limit is due at once (performed on the spot): the committee records it,
    # or it is overdue from tomorrow, and the 2-year enforcement period runs from that day.
    agreement.obligations.filter(due_on__isnull=True).update(due_on=agreement.effective_on)
    if agreement.form == AgreementForm.WRITTEN:
        # The parties' window (they apply jointly): the committee is reminded on day 20 (rule due_soon_days).
        clocks.clock_start(case=case, code="confirmation.apply", start_on=agreement.effective_on, watch_unit=unit)
    clocks.clock_start(case=case, code="follow_up", start_on=agreement.effective_on, holder_unit=unit)


def obligations_settled(case: Case) -> bool:
    """Every obligation of the current agreement performed, or handed to enforcement."""
    agreement = case.agreements.exclude(status=AgreementStatus.SUPERSEDED).order_by("-id").first()
    if agreement is None:
        return True
    return not agreement.obligations.filter(status__in=OPEN_OBLIGATION, enforced=False).exists()


def refresh_obligation(ob: Obligation, today: dt.date) -> None:
    total = sum((p.amount or 0) for p in ob.performances.all())
    ob.performed_amount = total
    done = ob.amount is None or total >= ob.amount
    if done:
        ob.status = ObligationStatus.DONE
        ob.done_on = max(p.done_on for p in ob.performances.all())
    else:
        ob.status = ObligationStatus.OVERDUE if ob.due_on and ob.due_on < today else ObligationStatus.PARTIAL
    ob.save(update_fields=["performed_amount", "status", "done_on"])


# --- closing and archiving ----------------------------------------------------------------------

def close_blockers(case: Case) -> list[str]:
    """What stops a mediated case from being closed: unfinished obligations (结案时间 is the date
    performance ended, §4.10) and the follow-up before closing (第31条; practice form §4.9)."""
    agreement = case.agreements.exclude(status=AgreementStatus.SUPERSEDED).order_by("-id").first()
    if agreement is None:
        return []
    out = []
    if agreement.status == AgreementStatus.SIGNING:
        out.append("调解协议尚未签署生效")
    if not obligations_settled(case):
        out.append("协议义务尚未履行完毕（或申请强制执行）")
    if not case.follow_ups.filter(visited_on__gte=agreement.reached_on).exists():
        out.append("结案前应当回访当事人")
    return out


ARCHIVE_ITEMS: tuple[tuple[str, bool], ...] = (
    ("人民调解申请书或受理登记表", True),
    ("当事人权利义务告知书", True),
    ("当事人身份证明", True),
    ("授权委托书", False),
    ("调查记录", False),
    ("证据材料", False),
    ("调解记录", True),
    ("调解协议书", True),
    ("收条、汇款单等履行凭证", False),
    ("回访记录", False),
    ("司法确认有关材料", False),
    ("卷宗情况说明", False),
    ("封底", True),
)


def archive_items(case: Case) -> list[dict[str, Any]]:
    """The 卷内目录 (legal-rules §4.2) of a mediated case: each item with whether it is required (必须)
    or as needed (按需), and whether the case's records hold it. An oral agreement is filed through its
    口头协议登记表; a failed mediation has no agreement and files its 终止调解 notice instead."""
    rounds = list(case.mediations.all())
    sessions = Session.objects.filter(case=case)
    held = sessions.filter(status=SessionStatus.HELD)
    agreement = case.agreements.exclude(status=AgreementStatus.SUPERSEDED).order_by("-id").first()
    notices_ok = held.filter(notices_given=True).exists() or (
        rounds and not rounds[-1].notices.filter(rights_notified_on__isnull=True).exists())
    parties = list(case.parties.all())
    identity_ok = bool(parties) and all(p.name and (p.id_number or p.type == "organisation") for p in parties)
    agreed = agreement is not None
    present = {
        "人民调解申请书或受理登记表": True,
        "当事人权利义务告知书": bool(notices_ok),
        "当事人身份证明": identity_ok,
        "授权委托书": False,
        "调查记录": sessions.filter(kind="investigation", status=SessionStatus.HELD).exists(),
        "证据材料": held.exclude(evidence="").exists(),
        "调解记录": held.exists(),
        "调解协议书": agreed,
        "收条、汇款单等履行凭证": case.obligations.filter(performances__isnull=False).exists(),
        "回访记录": case.follow_ups.exists(),
        "司法确认有关材料": case.confirmations.exists(),
        "卷宗情况说明": True,
        "封底": True,
    }
    out = []
    for i, (name, required) in enumerate(ARCHIVE_ITEMS, start=1):
        label = name
        req = required
        if name == "调解协议书":
            if agreement is not None and agreement.form == AgreementForm.ORAL:
                label = "人民调解口头协议登记表"
            elif agreement is None:
                label, req = "终止调解通知书（调解不成）", False
        out.append({"seq": i, "name": label, "required": req, "present": present[name]})
    return out


def seal_archive(*, case: Case, actor: Any, today: dt.date) -> ArchiveFile | None:
    """第27条: the committee files the registration, records and agreement into one 卷宗, sealed.
    Refuses (409, naming what is missing) while a required item is absent."""
    rounds = list(case.mediations.select_related("unit").order_by("round"))
    mediated = Session.objects.filter(case=case, status=SessionStatus.HELD).exists() or case.agreements.exists()
    if not rounds or not mediated:
        return None  # never actually mediated (refused at once, withdrawn before any session): no 调解卷宗
    items = archive_items(case)
    missing = [i["name"] for i in items if i["required"] and not i["present"]]
    if missing:
        raise Conflict("卷宗缺少必备材料：" + "、".join(missing), code="archive_incomplete")
    last = rounds[-1]
    from fangtiao.mediation.models import Assignment

    names = list(dict.fromkeys(Assignment.objects.filter(case=case).select_related("mediator")
                               .values_list("mediator__name", flat=True)))
    return ArchiveFile.objects.create(
        case=case, unit=last.unit, year=today.year, number=last.number, title=f"{case.title[:60]}纠纷调解卷",
        mediators="、".join(names)[:200], mediated_from=rounds[0].started_on,
        mediated_to=last.ended_on or today, filed_by=actor, filed_on=today, items=items, sealed_at=timezone.now(),
    )


# --- backlog (信访积案) -----------------------------------------------------------------------

OPEN_PETITION_STATES = ("registered", "accepted", "transferring", "mediating", "handling", "reviewing", "re_reviewing")


def backlog_rule_for(case: Case) -> BacklogRule | None:
    codes = [c for c in case.region_path.strip("/").split("/") if c]
    rules = {(r.region.code if r.region_id else None): r for r in BacklogRule.objects.filter(active=True).select_related("region")}
    for code in reversed(codes):
        if code in rules:
            return rules[code]
    return rules.get(None)


def backlog_reason(case: Case, rule: BacklogRule, today: dt.date) -> str:
    """Why the configurable rule makes `case` a backlog case, or "" (legal-rules §6: 积案)."""
    if case.kind != "petition":
        return ""
    reasons = []
    if (today - timezone.localdate(case.received_at)).days > rule.open_days:
        reasons.append(f"超过{rule.open_days}日未办结")
    if case.status not in OPEN_PETITION_STATES:
        return ""
    repeats = case.links.filter(kind__in=["repeat", "terminated", "duplicate_pending"]).count()
    if repeats + 1 >= rule.min_repeats:
        reasons.append(f"同一事项重复信访{repeats + 1}次")
    if rule.after_final and case.links.filter(kind="terminated").exists():
        reasons.append("复核终结后仍反复信访")
    return "；".join(reasons)


def mark_backlog(*, case: Case, reason: str, today: dt.date, actor: Any = None, leader: Any = None,
                 by_rule: bool = False) -> BacklogRecord:
    record, created = BacklogRecord.objects.get_or_create(
        case=case, defaults={"reason": reason, "by_rule": by_rule, "marked_by": actor, "marked_on": today,
                             "responsible_leader": leader})
    if not created and leader is not None:
        record.responsible_leader = leader
        record.reason = reason
        record.save(update_fields=["responsible_leader", "reason"])
    Case.objects.filter(pk=case.pk).update(is_backlog=True)
    case.is_backlog = True
    return record


def resolve_backlog(*, case: Case, actor: Any, today: dt.date) -> None:
    """A backlog case closed: record who resolved it (the unit, the person closing, the mediators) —
    the 以奖代补 payout of a later issue counts these rows."""
    record = BacklogRecord.objects.filter(case=case, resolved_on__isnull=True).first()
    if record is None:
        return
    record.resolved_on = today
    record.resolved_unit_id = case.holder_unit_id
    record.resolved_by = actor
    record.save(update_fields=["resolved_on", "resolved_unit", "resolved_by"])
    from fangtiao.mediation.models import Assignment

    record.resolvers.set(Assignment.objects.filter(case=case).values_list("mediator_id", flat=True).distinct())


# --- periodic jobs (the worker) ----------------------------------------------------------------

def tick(*, today: dt.date | None = None, now: dt.datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Session reminders, obligations due soon and overdue, backlog marking — each notice exactly once
    (compare-and-set claims, so several workers may run)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    counts = {"session_reminders": 0, "obligations_due": 0, "obligations_overdue": 0, "backlog_marked": 0}
    horizon = now + dt.timedelta(hours=settings.FANGTIAO_SESSION_REMINDER_HOURS)
    for pk in list(Session.objects.filter(status=SessionStatus.SCHEDULED, reminded=False, starts_at__lte=horizon,
                                          starts_at__gte=now, mediation__status=MediationStatus.OPEN)
                   .values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            if not Session.objects.filter(pk=pk, reminded=False).update(reminded=True):
                continue
            s = Session.objects.select_related("case", "mediation__unit", "room").get(pk=pk)
            where = str(s.room) if s.room_id else (s.place or "待定")
            when = timezone.localtime(s.starts_at)
            title = f"调解提醒：{s.case.number} {when:%m月%d日 %H:%M}"
            notify_unit(unit_id=s.mediation.unit_id, kind="session_reminder", case=s.case, title=title, body=f"地点：{where}")
            for user_id in s.mediation.assignments.filter(active=True, mediator__user__isnull=False) \
                    .values_list("mediator__user_id", flat=True):
                notify_user(user_id=user_id, kind="session_reminder", case=s.case, title=title, body=f"地点：{where}")
            from fangtiao.notifications import sms

            sms.on_session_reminder(session=s, where=where)  # the parties' SMS, in this transaction (outbox)
            counts["session_reminders"] += 1
    soon = today + dt.timedelta(days=settings.FANGTIAO_OBLIGATION_REMINDER_DAYS)
    for pk in list(Obligation.objects.filter(status__in=[ObligationStatus.PENDING, ObligationStatus.PARTIAL], reminded=False,
                                             due_on__gte=today, due_on__lte=soon, agreement__status=AgreementStatus.EFFECTIVE).values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            if not Obligation.objects.filter(pk=pk, reminded=False).update(reminded=True):
                continue
            ob = Obligation.objects.select_related("case", "agreement__mediation", "party").get(pk=pk)
            notify_unit(unit_id=ob.agreement.mediation.unit_id, kind="obligation_due", case=ob.case,
                        title=f"履行临期：{ob.case.number}",
                        body=f"{ob.party.name}应于{ob.due_on.year}年{ob.due_on.month}月{ob.due_on.day}日前履行：{ob.content}（人民调解法 第31条：督促履行）")
            counts["obligations_due"] += 1
    for pk in list(Obligation.objects.filter(status__in=[ObligationStatus.PENDING, ObligationStatus.PARTIAL],
                                             due_on__lt=today, agreement__status=AgreementStatus.EFFECTIVE).values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            if not Obligation.objects.filter(pk=pk, status__in=[ObligationStatus.PENDING, ObligationStatus.PARTIAL]) \
                    .update(status=ObligationStatus.OVERDUE):
                continue
            ob = Obligation.objects.select_related("case", "agreement__mediation", "party").get(pk=pk)
            audit.record(actor=None, action="mediation.obligation_overdue", subject=ob,
                         changes={"status": ["pending/partial", ObligationStatus.OVERDUE]},
                         extra={"case": ob.case.number, "due_on": str(ob.due_on)})
            notify_unit(unit_id=ob.agreement.mediation.unit_id, kind="obligation_overdue", case=ob.case,
                        title=f"逾期未履行：{ob.case.number}",
                        body=f"{ob.party.name}未在{ob.due_on.year}年{ob.due_on.month}月{ob.due_on.day}日前履行：{ob.content}")
            counts["obligations_overdue"] += 1
    if claim_daily("backlog_rule", today):
        counts["backlog_marked"] = mark_backlog_by_rule(today=today, batch=batch * 20)
    return counts


def claim_daily(name: str, today: dt.date) -> bool:
    """True for the one caller that runs job `name` today."""
    from django.db import IntegrityError

    from fangtiao.mediation.models import DailyJob

    if not DailyJob.objects.filter(name=name).exists():
        try:
            with transaction.atomic():
                DailyJob.objects.create(name=name)
        except IntegrityError:
            pass  # another worker created it first
    return bool(DailyJob.objects.filter(Q(last_on__lt=today) | Q(last_on__isnull=True), name=name).update(last_on=today))


def mark_backlog_by_rule(*, today: dt.date, batch: int = 500) -> int:
    """Petitions open too long or raised too often become backlog cases (with the rule's reason).
    Looks only at petitions not yet marked: old open ones, and those with enough repeat links."""
    default = BacklogRule.objects.filter(region__isnull=True, active=True).first()
    if default is None and not BacklogRule.objects.filter(active=True).exists():
        return 0
    min_days = min(BacklogRule.objects.filter(active=True).values_list("open_days", flat=True))
    min_repeats = min(BacklogRule.objects.filter(active=True).values_list("min_repeats", flat=True))
    cutoff = timezone.now() - dt.timedelta(days=min_days)
    open_states = list(OPEN_PETITION_STATES)
    old = (Case.objects.filter(kind="petition", is_backlog=False, status__in=open_states, received_at__lt=cutoff)
           .order_by("received_at"))
    # Counted from the link table grouped by case (an index walk), not a GROUP BY over the case table.
    repeated = (CaseLink.objects.filter(kind__in=["repeat", "terminated", "duplicate_pending"], case__kind="petition",
                                        case__is_backlog=False, case__status__in=open_states)
                .values("case_id").annotate(n=Count("id")).filter(n__gte=max(min_repeats - 1, 1)).order_by())
    ids = list(old.values_list("pk", flat=True)[:batch]) + [r["case_id"] for r in repeated[:batch]]
    n = 0
    for pk in dict.fromkeys(ids):
        with transaction.atomic():
            case = Case.objects.select_for_update().filter(pk=pk, is_backlog=False).first()
            if case is None:
                continue
            rule = backlog_rule_for(case)
            reason = backlog_reason(case, rule, today) if rule else ""
            if not reason:
                continue
            mark_backlog(case=case, reason=reason, today=today, by_rule=True)
            from fangtiao.cases.services import event

            event(case, "mark_backlog", note=f"按积案认定规则列为信访积案：{reason}", public=False)
            audit.record(actor=None, action="case.backlog_by_rule", subject=case, extra={"reason": reason})
            notify_unit(unit_id=case.holder_unit_id, kind="backlog", case=case, title=f"列为信访积案：{case.number}",
                        body=reason)
            n += 1
    return n


def validate_obligation_parties(case: Case, obligations: list[Any]) -> dict[int, Any]:
    parties = {p.pk: p for p in case.parties.all()}
    for i, ob in enumerate(obligations):
        if ob.party not in parties:
            raise ValidationFailed.on(f"obligations.{i}.party", "履行义务人应为本事项的当事人")
    return parties
