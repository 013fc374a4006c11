"""Writes of the public legal service: consultations (法律咨询) and lawyers' participation in
mediation and petition meetings. Each runs in one transaction, checks capability and
jurisdiction, and writes an audit row (公共法律服务体系建设; 律师参与信访工作 — 司法部、国家信访局
《关于深入开展律师参与信访工作的意见》)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fangtiao.audit import services as audit
from fangtiao.core.crypto import blind_index
from fangtiao.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from fangtiao.core.numbering import chinese_year_number, next_number
from fangtiao.core.validators import normalize_phone, phone_error
from fangtiao.legalservice.choices import (
    CASE_CHANNEL,
    ConsultChannel,
    ConsultStatus,
    ParticipationKind,
    ParticipationRole,
)
from fangtiao.legalservice.models import Consultation, LawyerParticipation
from fangtiao.org.choices import ExpertKind
from fangtiao.org.models import DisputeCategory, Expert, Region, Unit
from fangtiao.org.permissions import has_capability

PHONE_PURPOSE = "consultation.phone"


def _require(actor: Any, capability: str, message: str) -> None:
    if actor is None or not has_capability(actor, capability):
        raise PermissionDenied(message)


def _text(errors: list[FieldError], field: str, value: Any, label: str, *, max_len: int, required: bool = True) -> str:
    v = str(value or "").strip()
    if required and not v:
        errors.append(FieldError(field, f"请填写{label}"))
    elif len(v) > max_len:
        errors.append(FieldError(field, f"{label}不能超过{max_len}个字"))
    return v


def _lawyer(errors: list[FieldError], lawyer_id: int | None, field: str = "lawyer") -> Expert | None:
    if lawyer_id is None:
        return None
    lawyer = Expert.objects.filter(pk=lawyer_id, kind=ExpertKind.LAWYER).first()
    if lawyer is None:
        errors.append(FieldError(field, "律师不存在"))
    return lawyer


def _region(errors: list[FieldError], code: str | None, actor: Any) -> Region | None:
    region = Region.objects.filter(code=code).first() if code else None
    if region is None:
        errors.append(FieldError("region", "请选择咨询人所在地（区划代码不存在）"))
        return None
    if actor is not None:
        from fangtiao.cases.access import case_scope_path

        path = case_scope_path(actor)
        if path is None or not region.path.startswith(path):
            errors.append(FieldError("region", "咨询人所在地不在您的管辖范围内"))
    return region


def _number(unit: Unit, now: dt.datetime) -> str:
    year = timezone.localdate(now).year
    seq = next_number(scope="consultation", unit_id=unit.pk, year=year)
    return chinese_year_number(unit.short_name or unit.name, year, seq, word="法咨")


def consultation_record(*, actor: Any, channel: str, region: str, asker_name: str, asker_phone: str = "",
                        topic: str, question: str, answer: str = "", category: str | None = None,
                        lawyer: int | None = None, duration_minutes: int | None = None,
                        received_at: dt.datetime | None = None) -> Consultation:
    """A consultation given at the counter, by phone or online, recorded by the staff who gave it.
    Without an answer it waits (待答复)."""
    _require(actor, "consultation.record", "您没有登记法律咨询的权限")
    if actor.unit_id is None:
        raise PermissionDenied("您没有所属单位，不能登记法律咨询")
    errors: list[FieldError] = []
    if channel not in ConsultChannel.values:
        errors.append(FieldError("channel", "咨询方式应为来人、来电或网上"))
    place = _region(errors, region, actor)
    name = _text(errors, "asker_name", asker_name, "咨询人姓名", max_len=100)
    phone = normalize_phone(asker_phone or "")
    if phone and (msg := phone_error(phone)):
        errors.append(FieldError("asker_phone", msg))
    topic_v = _text(errors, "topic", topic, "咨询事项", max_len=200)
    question_v = _text(errors, "question", question, "咨询内容", max_len=20000)
    answer_v = _text(errors, "answer", answer, "答复意见", max_len=20000, required=False)
    cat = None
    if category:
        cat = DisputeCategory.objects.filter(code=category).first()
        if cat is None:
            errors.append(FieldError("category", "咨询类别不存在"))
    expert = _lawyer(errors, lawyer)
    if duration_minutes is not None and not 0 < duration_minutes <= 600:
        errors.append(FieldError("duration_minutes", "时长应在1到600分钟之间"))
    now = timezone.now()
    if received_at is not None and (received_at > now + dt.timedelta(minutes=5) or received_at.year < 2000):
        errors.append(FieldError("received_at", "咨询时间不能晚于现在"))
    if errors:
        raise ValidationFailed(detail=errors[0].message if len(errors) == 1 else "输入有误，请检查后重试", errors=errors)
    assert place is not None  # noqa: S101 - errors above otherwise
    with transaction.atomic():
        c = Consultation.objects.create(
            number=_number(actor.unit, now), channel=channel, received_at=received_at or now, unit=actor.unit,
            region=place, region_path=place.path, asker_name=name, asker_phone=phone,
            phone_index=blind_index(phone, purpose=PHONE_PURPOSE) if phone else "", category=cat, topic=topic_v,
            question=question_v, answer=answer_v, answered_by=actor if answer_v else None,
            answered_at=now if answer_v else None, lawyer=expert, duration_minutes=duration_minutes,
            status=ConsultStatus.ANSWERED if answer_v else ConsultStatus.PENDING, recorded_by=actor)
        audit.record(actor=actor, action="consultation.recorded", subject=c,
                     changes=audit.diff({}, {"number": c.number, "channel": channel, "status": c.status,
                                             "asker_phone": phone}, sensitive=("asker_phone",)))
    return c


def service_unit(region: Region) -> Unit | None:
    """Who answers an online request: the territorial unit of the asker's place (属地)."""
    from fangtiao.screening.services import territorial_unit

    return territorial_unit(region)


def consultation_request_online(*, region: str, asker_name: str, asker_phone: str, topic: str,
                                question: str, category: str | None = None) -> Consultation:
    """An online request from the public portal (no login): it waits for an answer (待答复).
    The caller rate-limits it per client address (portal.throttle scope `submit`)."""
    errors: list[FieldError] = []
    place = _region(errors, region, None)
    name = _text(errors, "asker_name", asker_name, "姓名", max_len=100)
    phone = normalize_phone(asker_phone or "")
    if msg := phone_error(phone):
        errors.append(FieldError("asker_phone", msg))
    topic_v = _text(errors, "topic", topic, "咨询事项", max_len=200)
    question_v = _text(errors, "question", question, "咨询内容", max_len=5000)
    cat = DisputeCategory.objects.filter(code=category).first() if category else None
    if category and cat is None:
        errors.append(FieldError("category", "咨询类别不存在"))
    unit = service_unit(place) if place is not None else None
    if place is not None and unit is None:
        errors.append(FieldError("region", "该地没有受理网上咨询的单位"))
    if errors:
        raise ValidationFailed(detail=errors[0].message if len(errors) == 1 else "输入有误，请检查后重试", errors=errors)
    assert place is not None and unit is not None  # noqa: S101
    now = timezone.now()
    with transaction.atomic():
        c = Consultation.objects.create(
            number=_number(unit, now), channel=ConsultChannel.ONLINE, received_at=now, unit=unit, region=place,
            region_path=place.path, asker_name=name, asker_phone=phone,
            phone_index=blind_index(phone, purpose=PHONE_PURPOSE), category=cat, topic=topic_v, question=question_v,
            status=ConsultStatus.PENDING)
        audit.record(actor=None, action="consultation.requested", subject=c, actor_username="网上咨询",
                     extra={"number": c.number})
    return c


def _locked(actor: Any, consultation_id: int, version: int | None) -> Consultation:
    c = (Consultation.objects.visible_to(actor).select_for_update(of=("self",)).select_related("region", "unit")
         .filter(pk=consultation_id).first())
    if c is None:
        raise NotFound("法律咨询不存在或不在您的管辖范围内")
    if version is not None and version != c.version:
        raise Conflict("该咨询已被他人修改，请刷新后重试")
    return c


def consultation_answer(*, actor: Any, consultation_id: int, answer: str, lawyer: int | None = None,
                        duration_minutes: int | None = None, version: int | None = None) -> Consultation:
    """Answer a waiting (online) request; an answered one answers 409."""
    _require(actor, "consultation.record", "您没有答复法律咨询的权限")
    errors: list[FieldError] = []
    text = _text(errors, "answer", answer, "答复意见", max_len=20000)
    expert = _lawyer(errors, lawyer)
    if duration_minutes is not None and not 0 < duration_minutes <= 600:
        errors.append(FieldError("duration_minutes", "时长应在1到600分钟之间"))
    with transaction.atomic():
        c = _locked(actor, consultation_id, version)
        if c.status != ConsultStatus.PENDING:
            raise Conflict("该咨询已答复")
        if errors:
            raise ValidationFailed(detail=errors[0].message if len(errors) == 1 else "输入有误，请检查后重试",
                                   errors=errors)
        c.answer, c.answered_by, c.answered_at, c.status = text, actor, timezone.now(), ConsultStatus.ANSWERED
        c.lawyer = expert or c.lawyer
        c.duration_minutes = duration_minutes or c.duration_minutes
        c.version = F("version") + 1
        c.save()
        c.refresh_from_db(fields=["version"])
        audit.record(actor=actor, action="consultation.answered", subject=c,
                     changes=audit.diff({"status": ConsultStatus.PENDING}, {"status": c.status}))
    return c


def consultation_to_case(*, actor: Any, consultation_id: int, kind: str = "petition", nature: str = "claim",
                         version: int | None = None) -> Any:
    """The question is a matter to handle: register it as a case (信访工作条例 第21条: registered),
    with the asker as petitioner, and link it (已转为事项). Twice answers 409."""
    from fangtiao.cases.services import case_register

    _require(actor, "case.register", "您没有登记事项的权限")
    with transaction.atomic():
        c = _locked(actor, consultation_id, version)
        if c.case_id:
            raise Conflict("该咨询已转为事项")
        channel = CASE_CHANNEL[ConsultChannel(c.channel)]
        data = {"channel": channel, "kind": kind, "nature": nature if kind == "petition" else None, "title": c.topic[:200], "description": c.question,
                "oral_record": f"法律咨询{c.number}：{c.question}" if channel in ("visit", "phone") else "",
                "category": c.category.code if c.category_id else None, "region": c.region.code,
                "parties": [{"role": "petitioner", "type": "person", "name": c.asker_name, "phone": c.asker_phone}]}
        case, _code = case_register(actor=actor, data=data)
        before = c.status
        c.case, c.status, c.version = case, ConsultStatus.REFERRED, F("version") + 1
        c.save(update_fields=["case", "status", "version", "updated_at"])
        c.refresh_from_db(fields=["version"])
        audit.record(actor=actor, action="consultation.to_case", subject=c,
                     changes=audit.diff({"status": before}, {"status": c.status}), extra={"case": case.number})
    return case


def participation_record(*, actor: Any, case_id: int, lawyer: int, kind: str, role: str, held_on: dt.date,
                         note: str = "") -> LawyerParticipation:
    """A lawyer took part in a mediation session or a petition meeting of the case."""
    from fangtiao.cases.models import Case

    _require(actor, "lawyer.participation", "您没有记录律师参与的权限")
    case = Case.objects.visible_to(actor).filter(pk=case_id).first()
    if case is None:
        raise NotFound("事项不存在或不在您的管辖范围内")
    errors: list[FieldError] = []
    expert = _lawyer(errors, lawyer)
    if kind not in ParticipationKind.values:
        errors.append(FieldError("kind", "参与类型应为参与调解或参与信访接谈"))
    if role not in ParticipationRole.values:
        errors.append(FieldError("role", "作用应为释法、代理或见证"))
    if held_on > timezone.localdate():
        errors.append(FieldError("held_on", "日期不能晚于今天"))
    note_v = _text(errors, "note", note, "情况", max_len=4000, required=False)
    if errors:
        raise ValidationFailed(detail=errors[0].message if len(errors) == 1 else "输入有误，请检查后重试", errors=errors)
    with transaction.atomic():
        p = LawyerParticipation.objects.create(case=case, lawyer=expert, kind=kind, role=role, held_on=held_on,
                                               note=note_v, region_path=case.region_path, recorded_by=actor)
        audit.record(actor=actor, action="lawyer.participated", subject=p,
                     extra={"case": case.number, "lawyer": expert.pk if expert else None, "kind": kind, "role": role})
    return p
