"""Side effects of the mediation actions (rows of fangtiao.mediation.workflow), called by
cases.services.case_act inside its transaction, which checks role, holding unit, version and
guard, sets the target state, writes the timeline event and the audit record.

`do_<action>(case, actor, payload, today) -> Result`; `may_<action>(case, actor) -> reason | None`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone

from fangtiao.cases.choices import Kind, PartyType, Status, TransferPurpose
from fangtiao.cases.handlers import Result, _handling_clock_to_holder, _mediation_feedback, subject
from fangtiao.cases.models import Case, CaseLink
from fangtiao.clocks import services as clocks
from fangtiao.core.errors import Conflict, ValidationFailed
from fangtiao.core.numbering import next_number
from fangtiao.mediation import selectors
from fangtiao.mediation import services as svc
from fangtiao.mediation.choices import (
    OPEN_OBLIGATION,
    AgreementForm,
    AgreementStatus,
    ChosenBy,
    ConfirmationResult,
    Consent,
    CourtBasis,
    LawfulRoute,
    MediationStatus,
    ObligationStatus,
    Recurrence,
    SessionStatus,
    SignerKind,
    SignMethod,
)
from fangtiao.mediation.models import (
    Agreement,
    Assignment,
    Confirmation,
    Enforcement,
    FollowUp,
    Obligation,
    OpinionRequest,
    Participant,
    PartyNotice,
    Performance,
    RiskReport,
    Room,
    Session,
    Signature,
)
from fangtiao.notifications.services import notify_unit, notify_user
from fangtiao.org.choices import PersonStatus, Role, UnitKind
from fangtiao.org.models import Expert, Mediator, Unit, User

# A date the user says something happened (an application to the court) may be keyed in late, but
# not so late that it could move a statutory window (30 days, 2 years) by backdating.
LATE_ENTRY_DAYS = 10


# --- early intervention -------------------------------------------------------------------------

def do_intervene(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """提前介入: a matter found by screening, or a petition just registered, goes to a mediation
    organisation at once, before the acceptance decision — on the committee's own initiative (主动调解,
    人民调解法 第17条) and with both parties' consent. The same checks as routing to mediation apply
    (no administrative disputes, no unfinished 涉法涉诉 matters); the petition's written acceptance notice
    (第23条) is still owed by the registering unit."""
    from fangtiao.cases.handlers import do_route
    from fangtiao.cases.schemas import RouteIn

    case.source = "initiative"
    route = RouteIn(version=p.version, to="mediation", unit=p.unit, consent=p.consent, task=p.note or "提前介入调解")
    result = do_route(case, actor, route, today)
    return Result(status=result.status, note="调解提前介入：" + result.note + (f"。{p.note}" if p.note else ""))


# --- assignment --------------------------------------------------------------------------------


def _mediators(ids: list[int], field: str, case: Case, unit: Unit) -> list[Mediator]:
    rows = {m.pk: m for m in Mediator.objects.filter(selectors.candidate_pool(unit), pk__in=ids,
                                                     status=PersonStatus.ACTIVE).select_related("unit")}
    for i, pk in enumerate(ids):
        if pk not in rows:
            raise ValidationFailed.on(f"{field}.{i}" if len(ids) > 1 or field == "mediators" else field,
                                      "所选调解员不存在、不在岗或不属于本调委会可调派的范围")
    return [rows[pk] for pk in ids]


def _check_conflicts(case: Case, mediators: list[Mediator], field: str) -> None:
    found = selectors.conflicts(case, mediators)
    for i, m in enumerate(mediators):
        if m.pk in found:
            raise ValidationFailed.on(field if field != "mediators" else f"mediators.{i}",
                                      f"{m.name}须回避：{found[m.pk]}")


def do_assign(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """人民调解法 第19条: the committee appoints one or more mediators, or the parties choose them."""
    m = svc.require_round(case)
    ids = list(dict.fromkeys(p.mediators))
    mediators = _mediators(ids, "mediators", case, m.unit)
    _check_conflicts(case, mediators, "mediators")
    already = set(m.assignments.filter(active=True).values_list("mediator_id", flat=True))
    evidence = selectors.assignment_evidence(case, m.unit, [x.pk for x in mediators])
    has_lead = bool(already)
    added = []
    for med in mediators:
        if med.pk in already:
            continue
        Assignment.objects.create(
            mediation=m, case=case, mediator=med, chosen_by=p.chosen_by, lead=not has_lead, reason=p.reason,
            suggestion=evidence.get(med.pk, {}), assigned_by=actor)
        has_lead = True
        added.append(med)
        if med.user_id:
            notify_user(user_id=med.user_id, kind="assigned", case=case, title=f"指派调解：{subject(case)}",
                        body=f"{m.unit.name}指派您调解（{m.number}）")
    if not added:
        raise Conflict("所选调解员均已在本案调解", code="already_assigned")
    how = ChosenBy(p.chosen_by).label
    return Result(note=f"{how}调解员：{'、'.join(x.name for x in added)}" + (f"。理由：{p.reason}" if p.reason else ""),
                  data={"mediators": ",".join(str(x.pk) for x in added)})


def do_replace_mediator(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """第23条: a party may choose or accept the mediator — and ask for another."""
    m = svc.require_round(case)
    current = m.assignments.filter(active=True, mediator_id=p.mediator).select_related("mediator").first()
    if current is None:
        raise ValidationFailed.on("mediator", "该调解员不在本案调解")
    (new,) = _mediators([p.replacement], "replacement", case, m.unit)
    if new.pk == current.mediator_id or m.assignments.filter(active=True, mediator_id=new.pk).exists():
        raise ValidationFailed.on("replacement", "新调解员已在本案调解")
    _check_conflicts(case, [new], "replacement")
    party = selectors.party_of(case, p.party)
    if p.party is not None and party is None:
        raise ValidationFailed.on("party", "申请更换的应为本事项的当事人")
    current.active = False
    current.ended_at = timezone.now()
    current.end_reason = p.reason
    current.requested_by = party
    current.save(update_fields=["active", "ended_at", "end_reason", "requested_by"])
    Assignment.objects.create(mediation=m, case=case, mediator=new, chosen_by=ChosenBy.PARTIES if party else ChosenBy.COMMITTEE,
                              lead=current.lead, reason=p.reason, assigned_by=actor)
    who = f"当事人{party.name}申请" if party else "调委会决定"
    return Result(note=f"{who}更换调解员：{current.mediator.name} → {new.name}。理由：{p.reason}")


# --- notices, consent, participants ---------------------------------------------------------------

def do_record_notice(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """第23、24条 told, 须知 acknowledged, consent. 第17条: 「当事人一方明确拒绝调解的，不得调解」 —
    a refusal ends the mediation at once."""
    m = svc.require_round(case)
    party = selectors.party_of(case, p.party)
    if party is None:
        raise ValidationFailed.on("party", "请选择本事项的当事人")
    notice, _ = PartyNotice.objects.get_or_create(mediation=m, party=party, defaults={"case": case})
    if p.rights_notified and notice.rights_notified_on is None:
        notice.rights_notified_on = today
    if p.guidance_acknowledged and notice.guidance_acknowledged_on is None:
        notice.guidance_acknowledged_on = today
    notice.consent = p.consent
    notice.consent_on = today
    notice.wants_public = p.wants_public
    notice.note = p.note
    notice.recorded_by = actor
    notice.save()
    if p.wants_public is not None:
        m.public = bool(p.wants_public) and not m.notices.filter(wants_public=False).exclude(pk=notice.pk).exists()
        m.save(update_fields=["public"])
    if p.consent == Consent.REFUSED:
        reason = f"当事人{party.name}明确拒绝调解，依法不得调解（人民调解法 第17条）。{p.note}".strip()
        return _terminate(case, actor, today, reason, next_route=LawfulRoute.HANDLING if case.kind == Kind.PETITION
                          else LawfulRoute.LITIGATION, routes=[], status=MediationStatus.REFUSED)
    told = "已告知权利义务" if notice.rights_notified_on else ""
    ack = "已签收须知" if notice.guidance_acknowledged_on else ""
    return Result(note=f"当事人{party.name}：{'，'.join(x for x in (told, ack) if x) or '已记录'}，{Consent(p.consent).label}",
                  public=False)


def do_invite(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """第20条: relatives, neighbours, colleagues or experts take part only with the parties' consent."""
    m = svc.require_round(case)
    if not p.consent:
        raise ValidationFailed.on("consent", "邀请他人参与调解须经当事人同意（人民调解法 第20条）")
    Participant.objects.create(mediation=m, case=case, name=p.name.strip(), relation=p.relation,
                               organisation=p.organisation, consent_recorded=True, invited_by=actor)
    return Result(note=f"经当事人同意，邀请{p.name}参与调解", public=False)


# --- expert opinions ----------------------------------------------------------------------------

def do_request_opinion(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    expert = Expert.objects.visible_to(actor).filter(pk=p.expert, status=PersonStatus.ACTIVE).first()
    if expert is None:
        raise ValidationFailed.on("expert", "所选专家不存在或不在岗")
    if expert.user_id is None:
        raise ValidationFailed.on("expert", "该专家尚未开通系统账号，无法在线出具意见")
    due = p.due_on or today + dt.timedelta(days=7)
    if due < today:
        raise ValidationFailed.on("due_on", "答复期限不能早于今天")
    m = case.mediations.filter(status=MediationStatus.OPEN).order_by("-round").first()
    req = OpinionRequest.objects.create(case=case, mediation=m, expert=expert, question=p.question, due_on=due,
                                        requested_by=actor)
    notify_user(user_id=expert.user_id, kind="opinion_request", case=case, title=f"专家咨询：{case.number}",
                body=f"请于{due.year}年{due.month}月{due.day}日前出具书面意见：{p.question[:200]}")
    return Result(note=f"请{expert.get_kind_display()}{expert.name}出具书面意见（{due.year}年{due.month}月{due.day}日前）", public=False,
                  data={"request": req.pk})


def may_record_opinion(case: Case, actor: Any) -> str | None:
    expert_id = getattr(getattr(actor, "expert", None), "pk", None)
    if expert_id and case.opinion_requests.filter(expert_id=expert_id, answered_at__isnull=True).exists():
        return None
    return "只有被咨询且尚未答复的专家可以出具意见"


def do_record_opinion(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    open_reqs = case.opinion_requests.filter(expert__user=actor, answered_at__isnull=True)
    req = open_reqs.filter(pk=p.request).first() if p.request else open_reqs.order_by("requested_at").first()
    if req is None:
        raise ValidationFailed.on("request", "没有待您答复的咨询")
    req.opinion = p.opinion
    req.answered_at = timezone.now()
    req.answered_by = actor
    req.save(update_fields=["opinion", "answered_at", "answered_by"])
    notify_unit(unit_id=case.holder_unit_id, kind="opinion", case=case, title=f"专家已出具意见：{case.number}",
                body=p.opinion[:200])
    return Result(note=f"专家{req.expert.name}出具书面意见", public=False)


# --- sessions -------------------------------------------------------------------------------------

def _room_free(room: Room, start: dt.datetime, end: dt.datetime, exclude: int | None = None) -> bool:
    clash = Session.objects.filter(room=room, status=SessionStatus.SCHEDULED, starts_at__lt=end, ends_at__gt=start)
    if exclude:
        clash = clash.exclude(pk=exclude)
    return not clash.exists()


def do_book_session(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """Room and time at the 矛调中心 (or 就地 on site), with a reminder before it (worker)."""
    m = svc.require_round(case)
    start = p.starts_at if timezone.is_aware(p.starts_at) else timezone.make_aware(p.starts_at)
    end = p.ends_at or start + dt.timedelta(hours=1)
    if not timezone.is_aware(end):
        end = timezone.make_aware(end)
    if start < timezone.now() - dt.timedelta(minutes=5):
        raise ValidationFailed.on("starts_at", "预约时间不能早于现在")
    if end <= start:
        raise ValidationFailed.on("ends_at", "结束时间应晚于开始时间")
    room = None
    if p.room is not None:
        room = Room.objects.select_for_update().filter(pk=p.room, active=True).select_related("unit__region").first()
        if room is None or not case.region_path.startswith(room.unit.region.path) and room.unit_id != m.unit_id:
            raise ValidationFailed.on("room", "调解室不存在或不在本辖区")
        if not _room_free(room, start, end):
            raise ValidationFailed.on("room", "该时段调解室已被预约，请另选时间或调解室")
    elif not p.place.strip():
        raise ValidationFailed.on("place", "请选择调解室或填写地点")
    seq = (m.sessions.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
    s = Session.objects.create(mediation=m, case=case, seq=seq, kind=p.kind, starts_at=start, ends_at=end, room=room,
                               place=p.place.strip() or str(room), on_site=p.on_site, created_by=actor)
    where = str(room) if room else p.place
    when = timezone.localtime(start)
    return Result(note=f"预约第{seq}次{s.get_kind_display()}：{when.year}年{when.month}月{when.day}日 {when:%H:%M}，{where}", data={"session": s.pk})


def do_record_session(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """The 人民调解记录 (legal-rules §4.6): head (time, place, participants, parties present) and body
    (notices, statements, evidence, risk warnings, proposals, outcome or next step); a no-show recorded."""
    m = svc.require_round(case)
    held_at = p.held_at if p.held_at is None or timezone.is_aware(p.held_at) else timezone.make_aware(p.held_at)
    if p.session:
        s = m.sessions.filter(pk=p.session, status=SessionStatus.SCHEDULED).first()
        if s is None:
            raise ValidationFailed.on("session", "该预约场次不存在或已记录")
    else:
        seq = (m.sessions.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
        s = Session(mediation=m, case=case, seq=seq, kind=p.kind, starts_at=held_at or timezone.now(), created_by=actor)
        if not p.place.strip() and not p.on_site:
            s.place = m.unit.name
    if held_at and held_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationFailed.on("held_at", "调解时间不能晚于现在")
    parties = {x.pk: x for x in case.parties.all()}
    bad = [i for i, pk in enumerate(p.present) if pk not in parties]
    if bad:
        raise ValidationFailed.on(f"present.{bad[0]}", "到场当事人应为本事项的当事人")
    present = list(dict.fromkeys(p.present)) if p.present else (list(parties) if p.held else [])
    s.kind = p.kind
    s.place = p.place.strip() or s.place
    s.on_site = p.on_site or s.on_site
    s.participants = p.participants
    s.notices_given = p.notices_given
    s.applicant_statement = p.applicant_statement
    s.respondent_statement = p.respondent_statement
    s.evidence = p.evidence
    s.risk_warning = p.risk_warning
    s.proposal = p.proposal
    s.outcome = p.outcome if p.held else ""
    s.next_step = p.next_step
    s.recorder = p.recorder or (actor.name or actor.username)
    if p.held:
        s.status = SessionStatus.HELD
        absent = [x.name for pk, x in parties.items() if pk not in present]
        s.absent_note = p.absent_note or ("未到场：" + "、".join(absent) if absent else "")
    else:
        s.status = SessionStatus.NO_SHOW
        absent = [x.name for pk, x in parties.items() if pk not in present]
        s.absent_note = p.absent_note or ("当事人未到场：" + "、".join(absent))
    s.save()
    s.present_parties.set([parties[pk] for pk in present])
    if not p.held:
        return Result(note=f"第{s.seq}次调解当事人未到场（{s.absent_note}）", public=False)
    where = "就地调解" if s.on_site else (s.place or "")
    return Result(note=f"第{s.seq}次{s.get_kind_display()}（{where}）：{s.get_outcome_display() or '已记录'}"
                  + (f"；下一步：{p.next_step}" if p.next_step else ""), public=False)


# --- risk, extension ------------------------------------------------------------------------------

def do_report_risk(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """第25条: take preventive measures; report to the police a dispute that may become a 治安 or criminal case."""
    police = None
    if p.police_unit is not None:
        police = (Unit.objects.visible_to(actor).filter(pk=p.police_unit, kind=UnitKind.PUBLIC_SECURITY, active=True)
                  .select_related("region").first())
        if police is None or not _on_path(case, police):
            raise ValidationFailed.on("police_unit", "请选择纠纷发生地的公安机关（派出所）")
    reported = p.reported_on or (today if (police or p.police_name.strip()) else None)
    if reported and reported > today:
        raise ValidationFailed.on("reported_on", "报告日期不能晚于今天")
    RiskReport.objects.create(case=case, description=p.description, measures=p.measures, police_unit=police,
                              police_name=p.police_name.strip() or (police.name if police else ""), reported_on=reported,
                              recorded_by=actor)
    case.is_escalation_risk = True
    if police is not None:
        notify_unit(unit_id=police.pk, kind="risk", case=case, title=f"纠纷激化风险通报：{case.number}",
                    body=p.description[:500])
    told = f"，已报告{police.name if police else p.police_name}" if reported else "，未报告公安机关"
    return Result(note=f"标记激化风险{told}（人民调解法 第25条）", public=False)


def _on_path(case: Case, unit: Unit) -> bool:
    """The unit sits at the case's place or above it (its region is on the case's region path)."""
    return case.region_path.startswith(unit.region.path)


def do_extend_mediation(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    if not p.both_parties_request:
        raise ValidationFailed.on("both_parties_request", "延长调解期限须经双方当事人同意（宁波市人民调解条例 第27条）")
    m = svc.require_round(case)
    m.extended_days += p.days
    m.save(update_fields=["extended_days"])
    clocks.clock_extend(case=case, code="mediation.period", days=p.days)
    return Result(note=f"经双方当事人同意，调解期限延长{p.days}日：{p.reason}")


# --- outcomes -------------------------------------------------------------------------------------

def agree_blockers(case: Case) -> list[str]:
    m = case.mediations.filter(status=MediationStatus.OPEN).order_by("-round").first()
    if m is None:
        return ["没有进行中的调解"]
    out = []
    if not m.assignments.filter(active=True).exists():
        out.append("尚未指派调解员（人民调解法 第19条）")
    if m.notices.filter(consent=Consent.PENDING).exists() and not case.mediation_consent:
        out.append("尚有当事人未表示同意调解（第17条）")
    if not m.sessions.filter(status=SessionStatus.HELD).exists():
        out.append("尚无调解记录（第27条）")
    return out


def _agreement_checks(case: Case, p: Any, today: dt.date) -> tuple[dict[int, Any], list[tuple[str, str]]]:
    """What 人民调解法 第28–30条 require of the agreement, as field errors."""
    errors: list[tuple[str, str]] = []
    parties = {x.pk: x for x in case.parties.all()}
    reached = p.reached_on or today
    if reached > today:
        errors.append(("reached_on", "达成日期不能晚于今天"))
    started = case.mediations.filter(status=MediationStatus.OPEN).values_list("started_on", flat=True).first()
    if started and reached < started:
        errors.append(("reached_on", "达成日期不能早于本次调解开始的日期"))
    for i, ob in enumerate(p.obligations):
        if ob.party not in parties:
            errors.append((f"obligations.{i}.party", "履行义务人应为本事项的当事人"))
        if ob.due_on and ob.due_on < reached:
            errors.append((f"obligations.{i}.due_on", "履行期限不能早于协议达成日期"))
    if p.form == AgreementForm.WRITTEN:
        if not (p.performance.strip() or p.obligations):
            errors.append(("performance", "书面协议应当载明履行方式、时限（人民调解法 第29条）"))
    else:
        later = [i for i, ob in enumerate(p.obligations) if ob.due_on and ob.due_on > reached]
        if later:
            errors.append((f"obligations.{later[0]}.due_on",
                           "不能即时履行的，应当制作书面调解协议（宁波市人民调解条例 第24条）"))
        if case.is_major or case.is_collective:
            errors.append(("form", "重大、复杂或集体纠纷应当制作书面调解协议"))
    return parties, errors


def _performance_text(p: Any, parties: dict[int, Any]) -> str:
    if p.performance.strip():
        return p.performance.strip()
    rows = []
    for ob in p.obligations:
        when = f"于{ob.due_on.year}年{ob.due_on.month}月{ob.due_on.day}日前" if ob.due_on else "当场"
        amount = f"{ob.amount}元" if ob.amount is not None else ""
        rows.append(f"{parties[ob.party].name}{when}{ob.content}{amount}")
    return "；".join(rows)


def do_agree(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """第28–30条: a written 调解协议书 (effective when all have signed and the seal is on; copies = parties + 1)
    or an oral agreement registered (effective the day it is reached)."""
    blockers = agree_blockers(case)
    if blockers:
        raise Conflict("不能登记调解协议：" + "；".join(blockers), code="agree_blocked")
    parties, errors = _agreement_checks(case, p, today)
    if errors:
        from fangtiao.core.errors import FieldError

        raise ValidationFailed(detail=errors[0][1], errors=[FieldError(f, msg) for f, msg in errors])
    m = svc.require_round(case)
    signing_mediators = list(m.assignments.filter(active=True).order_by("-lead", "id").values_list("mediator_id", flat=True))
    reached = p.reached_on or today
    seq = next_number(scope="agreement", unit_id=m.unit_id, year=reached.year)
    case.agreements.filter(status__in=[AgreementStatus.SIGNING, AgreementStatus.EFFECTIVE]).update(status=AgreementStatus.SUPERSEDED)
    a = Agreement.objects.create(
        mediation=m, case=case, number=svc.agreement_number(m.unit, reached.year, seq), form=p.form,
        facts=p.facts.strip() or case.description or case.title, disputes=p.disputes.strip() or case.demands or case.title,
        terms=p.terms.strip(), performance=_performance_text(p, parties) or "协议达成时即时履行完毕",
        involves_status_relation=p.involves_status_relation, confirms_ownership=p.confirms_ownership,
        special_procedure=p.special_procedure,
        reached_on=reached, copies=len(parties) + 1, recorder=p.recorder or (actor.name or actor.username), created_by=actor,
    )
    for i, ob in enumerate(p.obligations, start=1):
        Obligation.objects.create(agreement=a, case=case, seq=i, party=parties[ob.party], content=ob.content.strip(),
                                  amount=ob.amount, due_on=ob.due_on, instalment=ob.instalment)
    svc.end_round(case=case, status=MediationStatus.AGREED, today=reached)
    _mediation_feedback(case, f"调解成功，已达成{a.get_form_display()}（{a.number}）")
    if p.form == AgreementForm.ORAL:
        a.status = AgreementStatus.EFFECTIVE
        a.effective_on = reached  # 第30条: effective the day it is reached
        a.save(update_fields=["status", "effective_on"])
        svc.after_effective(a, case)
        return Result(note=f"达成口头协议，已登记（{a.number}），当日生效", data={"agreement": a.number})
    if p.signed:
        for party in parties.values():
            Signature.objects.create(agreement=a, case=case, signer_kind=SignerKind.PARTY, party=party,
                                     method=SignMethod.SEAL if party.type == PartyType.ORGANISATION else SignMethod.SIGN,
                                     signed_on=reached, recorded_by=actor)
        for mid in signing_mediators:
            Signature.objects.create(agreement=a, case=case, signer_kind=SignerKind.MEDIATOR, mediator_id=mid,
                                     method=SignMethod.SIGN, signed_on=reached, recorded_by=actor)
        Signature.objects.create(agreement=a, case=case, signer_kind=SignerKind.SEAL, method=SignMethod.SEAL,
                                 signed_on=reached, recorded_by=actor)
        svc.take_effect_if_complete(a, case)
    effective = f"，{a.effective_on.year}年{a.effective_on.month}月{a.effective_on.day}日生效" if a.effective_on else "，待各方签署后生效"
    return Result(note=f"达成书面调解协议（{a.number}，一式{a.copies}份）{effective}", data={"agreement": a.number})


def do_sign_agreement(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """第29条: each party 签名、盖章或者按指印; the mediator signs; the committee seals."""
    a = case.agreements.filter(status=AgreementStatus.SIGNING).select_related("mediation__unit").first()
    if a is None:
        raise Conflict("没有待签署的书面调解协议", code="nothing_to_sign")
    parties = {str(x.pk): x for x in case.parties.all()}
    # The mediators in office when the agreement was reached (a mediator replaced earlier does not sign).
    mediators = set(Assignment.objects.filter(mediation=a.mediation).filter(Q(active=True) | Q(end_reason=svc.ROUND_ENDED))
                    .values_list("mediator_id", flat=True))
    done = []
    for i, sig in enumerate(p.signatures):
        on = sig.signed_on or today
        if on > today or on < a.reached_on:
            raise ValidationFailed.on(f"signatures.{i}.signed_on", "签署日期应在协议达成之日至今天之间")
        if sig.signer == "seal":
            if a.signatures.filter(signer_kind=SignerKind.SEAL).exists():
                raise ValidationFailed.on(f"signatures.{i}.signer", "已加盖调委会印章")
            Signature.objects.create(agreement=a, case=case, signer_kind=SignerKind.SEAL, method=SignMethod.SEAL,
                                     signed_on=on, recorded_by=actor)
            done.append("调委会印章")
        elif sig.signer == "mediator":
            if sig.mediator not in mediators:
                raise ValidationFailed.on(f"signatures.{i}.mediator", "签名的调解员应为本案调解员")
            if a.signatures.filter(signer_kind=SignerKind.MEDIATOR, mediator_id=sig.mediator).exists():
                raise ValidationFailed.on(f"signatures.{i}.mediator", "该调解员已签名")
            Signature.objects.create(agreement=a, case=case, signer_kind=SignerKind.MEDIATOR, mediator_id=sig.mediator,
                                     method=SignMethod.SIGN, signed_on=on, image=sig.image, recorded_by=actor)
            done.append("调解员签名")
        elif sig.signer in parties:
            party = parties[sig.signer]
            if a.signatures.filter(signer_kind=SignerKind.PARTY, party=party).exists():
                raise ValidationFailed.on(f"signatures.{i}.signer", f"{party.name}已签署")
            Signature.objects.create(agreement=a, case=case, signer_kind=SignerKind.PARTY, party=party, method=sig.method,
                                     signed_on=on, image=sig.image, recorded_by=actor)
            done.append(f"{party.name}{SignMethod(sig.method).label}")
        else:
            raise ValidationFailed.on(f"signatures.{i}.signer", "签署人应为本事项的当事人、调解员或调委会印章")
    effective = svc.take_effect_if_complete(a, case)
    tail = f"；协议自{a.effective_on.year}年{a.effective_on.month}月{a.effective_on.day}日起生效" if effective else \
        f"；尚待：{'、'.join(svc.missing_signatures(a))}"
    return Result(note="签署调解协议：" + "、".join(done) + tail, public=effective)


def _terminate(case: Case, actor: Any, today: dt.date, reason: str, *, next_route: str, routes: list[str],
               status: str = MediationStatus.FAILED) -> Result:
    """第26条: 「调解不成的，应当终止调解」 and tell the parties of arbitration, administrative or judicial
    routes; a petition returns to petition handling by the unit that sent it (结果反馈)."""
    told = list(dict.fromkeys([*routes, next_route]))
    clocks.clock_stop(case=case, code="mediation.period", on=today)
    svc.end_round(case=case, status=status, today=today, reason=reason, routes=told)
    labels = "、".join(LawfulRoute(r).label for r in told)
    if next_route == LawfulRoute.HANDLING and case.kind == Kind.PETITION:
        sent = case.transfers.filter(purpose=TransferPurpose.MEDIATION).order_by("-sent_at", "-id").first()
        if sent is not None and sent.from_unit_id != case.holder_unit_id:
            case.holder_unit = sent.from_unit
            _handling_clock_to_holder(case)
            notify_unit(unit_id=sent.from_unit_id, kind="mediation_failed", case=case,
                        title=f"调解不成，退回办理：{case.number}", body=reason)
        return Result(status=Status.FAILED, note=f"终止调解：{reason}；转回信访办理，已告知可通过{labels}解决",
                      data={"routes": ",".join(told)})
    _mediation_feedback(case, f"调解不成：{reason}")
    return Result(status=Status.FAILED, note=f"终止调解：{reason}；已告知可通过{labels}依法解决", data={"routes": ",".join(told)})


def do_fail(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    if case.kind != Kind.PETITION and p.next == LawfulRoute.HANDLING:
        raise ValidationFailed.on("next", "矛盾纠纷调解不成的，应告知诉讼、仲裁或行政复议等途径")
    case.outcome_note = p.reason
    return _terminate(case, actor, today, p.reason, next_route=p.next, routes=list(p.routes_told))


def do_remediate(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """民诉法 第206条 / 人民调解法 第33条: after a refused confirmation (or when the parties want to vary the
    agreement) they may reach a new agreement through mediation. A new round at the same committee."""
    a = selectors.current_agreement(case)
    unit = a.mediation.unit if a else case.holder_unit
    if a is not None:
        a.status = AgreementStatus.SUPERSEDED  # the parties vary the agreement by a new mediation
        a.save(update_fields=["status"])
    clocks.clock_cancel(case=case, codes=["confirmation.apply", "follow_up"], on=today)
    case.holder_unit = unit
    svc.open_round(case=case, unit=unit, today=today, note=p.reason)
    case.outcome_note = ""
    return Result(status=Status.MEDIATING, note=f"重新调解：{p.reason}")


# --- judicial confirmation -----------------------------------------------------------------------

def confirmation_blockers(case: Case, today: dt.date, *, window: bool = True) -> list[str]:
    """Eligibility (民诉法解释 第355条) and the 30-day window (人民调解法 第33条; 民诉法 第205条) as of
    `today` (the application date: an application made in time may be keyed in later)."""
    a = selectors.current_agreement(case)
    if a is None:
        return ["没有调解协议"]
    out = []
    if a.form != AgreementForm.WRITTEN:
        out.append("口头协议不能申请司法确认，请先制作书面调解协议")
    if a.status != AgreementStatus.EFFECTIVE:
        out.append("调解协议尚未生效（待各方签署）")
    if a.involves_status_relation:
        out.append("涉及婚姻、亲子、收养等身份关系的协议不予受理（民诉法解释 第355条）")
    if a.confirms_ownership:
        out.append("确认物权或知识产权归属的协议不予受理（民诉法解释 第355条）")
    if a.special_procedure:
        out.append("属于其他特别程序、公示催告程序或破产程序审理的事项，不予受理（民诉法解释 第355条）")
    if a.confirmations.exclude(result__in=[ConfirmationResult.WITHDRAWN, ConfirmationResult.DEEMED_WITHDRAWN,
                                           ConfirmationResult.NOT_ACCEPTED]).exists():
        out.append("该协议已申请过司法确认")
    clock = case.clocks.filter(code="confirmation.apply").order_by("-id").first() if window else None
    if a.effective_on and clock is not None and clock.due_on and today > clock.due_on:
        out.append(f"已超过协议生效之日起30日的申请期限（{clock.due_on.year}年{clock.due_on.month}月{clock.due_on.day}日届满；人民调解法 第33条）")
    return out


def _court(case: Case, pk: int | None, field: str) -> tuple[Unit, str]:
    m = selectors.current_agreement(case).mediation
    options = selectors.court_options(case, m)
    for o in options:
        if o.court.pk == pk:
            return o.court, o.basis
    names = "、".join(o.court.name for o in options) or "（辖区内未登记基层人民法院）"
    raise ValidationFailed.on(field, f"该法院对本协议的司法确认没有管辖权，可选：{names}（民事诉讼法 第205条）")


def do_apply_confirmation(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    applied = p.applied_on or today
    if applied > today:
        raise ValidationFailed.on("applied_on", "申请日期不能晚于今天")
    if applied < today - dt.timedelta(days=LATE_ENTRY_DAYS):
        raise ValidationFailed.on("applied_on", f"申请日期早于{LATE_ENTRY_DAYS}日前，不能补录（请核实申请日期）")
    blockers = confirmation_blockers(case, applied)
    if blockers:
        raise Conflict("不能申请司法确认：" + "；".join(blockers), code="confirmation_blocked")
    if not p.joint:
        raise ValidationFailed.on("joint", "司法确认应由双方当事人共同申请（人民调解法 第33条）")
    a = selectors.current_agreement(case)
    if applied < a.effective_on:
        raise ValidationFailed.on("applied_on", "申请日期不能早于协议生效日期")
    court, basis = _court(case, p.court, "court")
    if p.court_basis and p.court_basis != basis:
        raise ValidationFailed.on("court_basis", f"该法院的管辖依据是“{CourtBasis(basis).label}”")
    checklist = [
        {"item": "调解协议", "present": True},
        {"item": "调解组织主持调解的证明", "present": True},
        {"item": "各方当事人的身份、住所、联系方式", "present": all(x.name for x in case.parties.all())},
        {"item": "与调解协议相关的财产权利证明", "present": p.property_proof, "as_needed": True},
        {"item": "授权委托书", "present": p.agents, "as_needed": True},
        {"item": "司法确认申请书", "present": True},
    ]
    c = Confirmation.objects.create(agreement=a, case=case, court=court, court_basis=basis,
                                    applied_on=applied, checklist=checklist, created_by=actor)
    clocks.clock_stop(case=case, code="confirmation.apply", on=applied)
    clocks.clock_start(case=case, code="confirmation.accept", start_on=applied, holder_unit=court)
    notify_unit(unit_id=court.pk, kind="confirmation", case=case, title=f"司法确认申请：{case.number}",
                body=f"{a.number}，{case.holder_unit.name}，{applied.year}年{applied.month}月{applied.day}日申请")
    return Result(note=f"双方当事人共同向{court.name}申请司法确认（{CourtBasis(c.court_basis).label}）")


def _pending_confirmation(case: Case, actor: Any) -> Confirmation:
    c = case.confirmations.filter(result=ConfirmationResult.PENDING).select_related("court").first()
    if c is None:
        raise Conflict("没有审查中的司法确认申请", code="no_confirmation")
    return c


def _is_court_of(case: Case, actor: Any) -> str | None:
    if actor.is_superuser:
        return None
    if case.confirmations.filter(result=ConfirmationResult.PENDING, court_id=actor.unit_id).exists():
        return None
    return "只有受理申请的人民法院可以记录"


may_accept_confirmation = _is_court_of
may_extend_confirmation = _is_court_of
may_record_confirmation = _is_court_of


def do_accept_confirmation(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """2011 规定 第4条: the court decides within 3 days whether to accept; then 15 days (expected) and
    民诉法 第187条: 30 days from 立案 (statutory) to decide."""
    c = _pending_confirmation(case, actor)
    if c.accepted_on:
        raise Conflict("法院已立案", code="already_accepted")
    on = p.accepted_on or today
    if on > today or on < c.applied_on:
        raise ValidationFailed.on("accepted_on", "立案日期应在申请日期至今天之间")
    c.accepted_on = on
    c.court_number = p.court_number.strip()
    c.save(update_fields=["accepted_on", "court_number"])
    clocks.clock_stop(case=case, code="confirmation.accept", on=on)
    clocks.clock_start(case=case, code="confirmation.decide", start_on=on, holder_unit=c.court)
    clocks.clock_start(case=case, code="confirmation.limit", start_on=on, holder_unit=c.court)
    return Result(note=f"{c.court.name}立案受理司法确认申请" + (f"（{c.court_number}）" if c.court_number else ""))


def do_extend_confirmation(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    c = _pending_confirmation(case, actor)
    if not c.accepted_on:
        raise Conflict("法院尚未立案", code="not_accepted_yet")
    if c.extended:
        raise Conflict("已经延长过一次（2011 规定 第5条：延长10日）", code="already_extended")
    c.extended = True
    c.save(update_fields=["extended"])
    clocks.clock_extend(case=case, code="confirmation.decide", days=10)
    return Result(note=f"经院长批准，审查期限延长10日：{p.reason}")


def do_record_confirmation(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """民诉法 第206条: confirmed → enforceable; rejected (解释 第358条) → vary, re-mediate or sue;
    withdrawn or treated as withdrawn (解释 第357条). A same-day decision (the article's 宁溪 example)
    is accepted and decided at once."""
    c = _pending_confirmation(case, actor)
    if p.result == ConfirmationResult.PENDING:
        raise ValidationFailed.on("result", "请选择审查结果")
    decided = p.decided_on or today
    if decided > today or decided < c.applied_on:
        raise ValidationFailed.on("decided_on", "裁定日期应在申请日期至今天之间")
    if p.result == ConfirmationResult.REJECTED and not p.ground:
        raise ValidationFailed.on("ground", "驳回申请应当载明理由（民诉法解释 第358条）")
    if p.result != ConfirmationResult.NOT_ACCEPTED and not c.accepted_on:
        c.accepted_on = decided  # accepted and decided on the spot (2011 规定 第4条)
        clocks.clock_stop(case=case, code="confirmation.accept", on=decided)
    c.result = p.result
    c.decided_on = decided
    c.ground = p.ground or ""
    c.note = p.note
    c.court_number = p.court_number.strip() or c.court_number
    c.save()
    for code in ("confirmation.accept", "confirmation.decide", "confirmation.limit"):
        clocks.clock_stop(case=case, code=code, on=decided)
    committee = c.agreement.mediation.unit
    label = ConfirmationResult(p.result).label
    notify_unit(unit_id=committee.pk, kind="confirmation_result", case=case, title=f"司法确认结果：{case.number}",
                body=f"{c.court.name}：{label}" + (f"（{c.get_ground_display()}）" if c.ground else "") + (f"。{p.note}" if p.note else ""))
    if p.result == ConfirmationResult.CONFIRMED:
        clocks.clock_start(case=case, code="confirmation.objection", start_on=decided, watch_unit=committee)
        pending = case.obligations.filter(agreement=c.agreement, status__in=OPEN_OBLIGATION).exists()
        return Result(status=Status.PERFORMING if pending else Status.PERFORMED,
                      note=f"{c.court.name}裁定调解协议有效（{decided.year}年{decided.month}月{decided.day}日）")
    why = f"：{c.get_ground_display()}" if c.ground else ""
    return Result(status=Status.AGREED, note=f"司法确认{label}{why}；当事人可变更原协议、重新调解或向人民法院起诉")


# --- performance ----------------------------------------------------------------------------------

def do_record_performance(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """人民调解法 第31条: the committee supervises performance; each payment or act with its proof."""
    a = selectors.current_agreement(case)
    if a is not None and a.status != AgreementStatus.EFFECTIVE:
        raise Conflict("调解协议尚未签署生效，不能登记履行", code="agreement_not_effective")
    ob = Obligation.objects.filter(pk=p.obligation, case=case, agreement=a).select_related("party").first() if a else None
    if ob is None:
        raise ValidationFailed.on("obligation", "请选择本协议的义务")
    if ob.status == ObligationStatus.DONE:
        raise ValidationFailed.on("obligation", "该义务已履行完毕")
    done_on = p.done_on or today
    if done_on > today:
        raise ValidationFailed.on("done_on", "履行日期不能晚于今天")
    if done_on < a.reached_on:
        raise ValidationFailed.on("done_on", "履行日期不能早于协议达成日期")
    amount = p.amount
    if ob.amount is not None:
        if amount is None:
            amount = ob.amount - ob.performed_amount
        if amount <= 0:
            raise ValidationFailed.on("amount", "履行金额应大于0")
        if amount > ob.amount - ob.performed_amount:
            raise ValidationFailed.on("amount", f"超过未履行金额（{ob.amount - ob.performed_amount}元）")
    elif amount is not None:
        raise ValidationFailed.on("amount", "该义务不涉及金额")
    if p.enforced and not ob.enforced:
        raise ValidationFailed.on("enforced", "该义务未申请强制执行")
    Performance.objects.create(obligation=ob, case=case, done_on=done_on, amount=amount, proof_kind=p.proof_kind,
                               proof_note=p.proof_note, enforced=p.enforced, recorded_by=actor)
    svc.refresh_obligation(ob, today)
    all_done = not case.obligations.filter(agreement=a).exclude(status=ObligationStatus.DONE).exists()
    how = "经强制执行" if p.enforced else "自动履行"
    part = "履行完毕" if ob.status == ObligationStatus.DONE else f"部分履行{amount}元" if amount is not None else "部分履行"
    note = f"{ob.party.name}{how}：{ob.content}，{part}（{done_on.year}年{done_on.month}月{done_on.day}日）"
    if all_done and case.status in (Status.AGREED, Status.PERFORMING):
        return Result(status=Status.PERFORMED, note=note + "；协议义务全部履行完毕")
    return Result(note=note)


def _confirmed(case: Case) -> Confirmation | None:
    a = selectors.current_agreement(case)
    return a.confirmations.filter(result=ConfirmationResult.CONFIRMED).select_related("court").first() if a else None


def do_apply_enforcement(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """民诉法 第206条: a confirmed agreement not performed may be enforced by the court; 第250条: within
    2 years of the last day set for performance (the last instalment)."""
    c = _confirmed(case)
    if c is None:
        raise Conflict("只有经司法确认有效的协议可以申请强制执行", code="not_confirmed")
    applied = p.applied_on or today
    if applied > today:
        raise ValidationFailed.on("applied_on", "申请日期不能晚于今天")
    if applied < today - dt.timedelta(days=LATE_ENTRY_DAYS):
        raise ValidationFailed.on("applied_on", f"申请日期早于{LATE_ENTRY_DAYS}日前，不能补录（请核实申请日期）")
    obs = list(Obligation.objects.filter(case=case, agreement=c.agreement, pk__in=p.obligations))
    if len(obs) != len(set(p.obligations)):
        raise ValidationFailed.on("obligations", "请选择本协议的义务")
    for ob in obs:
        if ob.status not in OPEN_OBLIGATION or not ob.due_on or ob.due_on >= applied:
            raise ValidationFailed.on("obligations", f"“{ob.content}”尚未逾期或已履行，不能申请强制执行")
        if ob.enforced:
            raise ValidationFailed.on("obligations", f"“{ob.content}”已申请强制执行")
    last_due = max(d for d in case.obligations.filter(agreement=c.agreement).values_list("due_on", flat=True) if d)
    limit = _add_years(last_due, 2)
    if applied > limit:
        raise Conflict(f"已超过申请执行期间（最后履行期限{last_due.year}年{last_due.month}月{last_due.day}日起2年，民事诉讼法 第250条）",
                       code="enforcement_time_barred")
    court = c.court
    if p.court is not None:
        court = (Unit.objects.visible_to(actor).filter(pk=p.court, kind__in=[UnitKind.COURT, UnitKind.TRIBUNAL], active=True)
                 .select_related("region").first())
        if court is None or court.level != c.court.level or not _on_path(case, court):
            raise ValidationFailed.on("court", "执行法院应为作出裁定的法院或被执行财产所在地同级法院（民诉法解释 第460条）")
    e = Enforcement.objects.create(confirmation=c, case=case, court=court, applied_on=applied, note=p.note, recorded_by=actor)
    e.obligations.set(obs)
    Obligation.objects.filter(pk__in=[o.pk for o in obs]).update(enforced=True)
    notify_unit(unit_id=court.pk, kind="enforcement", case=case, title=f"申请强制执行：{case.number}",
                body="、".join(o.content for o in obs))
    return Result(note=f"向{court.name}申请强制执行：{'、'.join(o.content for o in obs)}")


def _add_years(d: dt.date, years: int) -> dt.date:
    """`years` after `d`; a last day on a statutory holiday moves to the first working day after it
    (民事诉讼法(2023) 第85条)."""
    from fangtiao.clocks.services import work_calendar

    year = min(d.year + years, 9000)  # dates are bounded to 2100 on input; never overflow on old rows
    try:
        end = d.replace(year=year)
    except ValueError:  # 29 February
        end = d.replace(year=year, day=28)
    return work_calendar(end, end + dt.timedelta(days=60)).next_workday(end)


# --- follow-up ------------------------------------------------------------------------------------

def do_follow_up(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    """人民调解回访记录 (§4.9): the party visited, the agreement, performance, satisfaction, any lawsuit,
    lingering risk and measures; a recurrence reopens the mediation or is registered as a linked case."""
    visited = p.visited_on or today
    if visited > today:
        raise ValidationFailed.on("visited_on", "回访时间不能晚于今天")
    party = selectors.party_of(case, p.party) if p.party else case.parties.order_by("sort", "id").first()
    if p.party is not None and party is None:
        raise ValidationFailed.on("party", "回访对象应为本事项的当事人")
    if p.lawsuit and not p.lawsuit_result.strip():
        raise ValidationFailed.on("lawsuit_result", "请填写诉讼及判决情况")
    a = selectors.current_agreement(case)
    fu = FollowUp.objects.create(case=case, agreement=a, party=party, method=p.method, visited_on=visited,
                                 performance=p.performance, satisfaction=p.satisfaction, lawsuit=p.lawsuit,
                                 lawsuit_result=p.lawsuit_result, risk=p.risk, measures=p.measures, notes=p.notes,
                                 recurrence=p.recurrence, visitor=actor)
    clocks.clock_stop(case=case, code="follow_up", on=visited)
    from fangtiao.cases.choices import Satisfaction

    base = f"{fu.get_method_display()}：{party.name if party else ''}{Satisfaction(p.satisfaction).label}"
    if p.recurrence == Recurrence.REOPEN:
        if case.status not in (Status.AGREED, Status.PERFORMING, Status.PERFORMED, Status.FAILED):
            raise ValidationFailed.on("recurrence", "该事项当前不能重新调解")
        if a is not None and a.confirmations.filter(result=ConfirmationResult.CONFIRMED).exists():
            raise ValidationFailed.on("recurrence", "协议已经司法确认有效，不能重新调解：请督促履行、申请强制执行，"
                                                    "或将新的纠纷另行登记")
        last = case.mediations.select_related("unit").order_by("-round").first()
        if last is None:
            raise ValidationFailed.on("recurrence", "该事项未经调解，请将新的纠纷另行登记")
        if last.status == MediationStatus.REFUSED:
            raise ValidationFailed.on("recurrence", "当事人曾明确拒绝调解，不得调解（人民调解法 第17条）；请将新的纠纷另行登记")
        unit = last.unit
        if a is not None and a.status != AgreementStatus.SUPERSEDED:
            a.status = AgreementStatus.SUPERSEDED
            a.save(update_fields=["status"])
        case.holder_unit = unit
        svc.open_round(case=case, unit=unit, today=today, note="回访发现纠纷反复", consented=False)
        return Result(status=Status.MEDIATING, note=base + "；纠纷反复，重新调解")
    if p.recurrence == Recurrence.NEW_CASE:
        new = _register_recurrence(case, actor, p, today)
        fu.new_case = new
        fu.save(update_fields=["new_case"])
        return Result(note=base + f"；引发新的纠纷，已另行登记（{new.number}）", data={"new_case": new.number})
    return Result(note=base)


def _register_recurrence(case: Case, actor: Any, p: Any, today: dt.date) -> Case:
    """A new matter from a follow-up (channel 排查发现, early intervention), linked to this one."""
    from fangtiao.cases import services as case_services

    parties = []
    for x in case.parties.all():
        parties.append({"role": x.role, "type": x.type, "name": x.name, "id_number": x.id_number, "phone": x.phone,
                        "address": x.address, "is_representative": x.is_representative,
                        "village": x.village.code if x.village_id else "", "employer": x.employer})
    data = {"channel": "screening", "kind": "dispute", "title": f"{case.title[:150]}（回访发现反复）",
            "description": p.risk or p.notes or p.performance or "回访时发现纠纷反复", "demands": p.notes or "",
            "category": case.category.code if case.category_id else None, "region": case.region.code,
            "parties": parties}
    if data["category"] is None:
        data["category"] = "other"
    new, _code = case_services.case_register(actor=actor, data=data)
    CaseLink.objects.update_or_create(case=new, other=case, defaults={"kind": "recurrence", "reason": "回访发现纠纷反复",
                                                                      "score": 1.0})
    new.is_repeat = True
    new.save(update_fields=["is_repeat"])
    return new


# --- backlog --------------------------------------------------------------------------------------

def may_mark_backlog(case: Case, actor: Any) -> str | None:
    """A leader of the petition and mediation network of the place (not a court, police or line
    department that sees the case only because it was sent there)."""
    from fangtiao.cases.access import case_scope_path

    path = case_scope_path(actor)
    if actor.is_superuser or (path is not None and case.region_path.startswith(path)):
        return None
    return "只能认定本辖区的积案"


def do_mark_backlog(case: Case, actor: Any, p: Any, today: dt.date) -> Result:
    leader = None
    if p.responsible_leader is not None:
        leader = User.objects.visible_to(actor).filter(pk=p.responsible_leader, is_active=True,
                                                       roles__code=Role.LEADER).first()
        if leader is None:
            raise ValidationFailed.on("responsible_leader", "包案领导应为本辖区在职的领导")
    svc.mark_backlog(case=case, reason=p.reason, today=today, actor=actor, leader=leader)
    if leader is not None:
        notify_user(user_id=leader.pk, kind="backlog", case=case, title=f"包案：{subject(case)}", body=p.reason)
    return Result(note=f"列为信访积案：{p.reason}" + (f"；包案领导：{leader.name or leader.username}" if leader else ""),
                  public=False)


def enforcement_deadline(case: Case) -> dt.date | None:
    """The last day to apply for enforcement (民诉法 第250条), shown on the case page."""
    c = _confirmed(case)
    if c is None:
        return None
    dues = [d for d in case.obligations.filter(agreement=c.agreement).values_list("due_on", flat=True) if d]
    return _add_years(max(dues), 2) if dues else None

