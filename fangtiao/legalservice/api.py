"""Public legal service endpoints of API.md: /consultations and the lawyers' participation in a
case. Thin: services and selectors do the work; phones are masked in every answer."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fangtiao.core.api import ERRORS, ErrorOut, PageIn, paginate
from fangtiao.core.idempotency import fingerprint, run_idempotent
from fangtiao.legalservice import selectors, services
from fangtiao.legalservice.models import Consultation, LawyerParticipation
from fangtiao.screening.api import D_MAX, D_MIN, MAX_ID, Clean, _need

router = Router(tags=["公共法律服务"])


def consultation_out(c: Consultation) -> dict[str, Any]:
    return {"id": c.pk, "version": c.version, "number": c.number, "channel": c.channel, "status": c.status,
            "received_at": c.received_at, "unit": c.unit_id, "unit_name": c.unit.name, "region": c.region.code,
            "region_name": c.region.name, "asker_name": c.asker_name, "asker_phone": c.phone_masked,
            "category": c.category.code if c.category_id else None, "topic": c.topic, "question": c.question,
            "answer": c.answer, "answered_by": c.answered_by.name if c.answered_by_id else "",
            "answered_at": c.answered_at, "lawyer": c.lawyer_id, "lawyer_name": c.lawyer.name if c.lawyer_id else "",
            "duration_minutes": c.duration_minutes, "case": c.case_id,
            "case_number": c.case.number if c.case_id else None}


def participation_out(p: LawyerParticipation) -> dict[str, Any]:
    return {"id": p.pk, "case": p.case_id, "lawyer": p.lawyer_id, "lawyer_name": p.lawyer.name, "kind": p.kind,
            "role": p.role, "held_on": p.held_on, "note": p.note}


class ConsultationFilter(PageIn):
    channel: Literal["visit", "phone", "online"] | None = None
    status: Literal["pending", "answered", "referred"] | None = None
    from_: dt.date | None = Field(None, alias="from", ge=D_MIN, le=D_MAX)
    to: dt.date | None = Field(None, ge=D_MIN, le=D_MAX)
    region: str | None = Field(None, max_length=12, pattern="^[0-9]+$")
    lawyer: int | None = Field(None, ge=1, le=MAX_ID)
    q: str | None = Field(None, max_length=100)


def _filters(f: ConsultationFilter) -> dict[str, Any]:
    d = f.dict()
    d["from"] = d.pop("from_", None)
    return d


class ConsultationIn(Clean):
    channel: Literal["visit", "phone", "online"]
    region: str = Field(..., min_length=6, max_length=12, pattern="^[0-9]+$")
    asker_name: str = Field(..., min_length=1, max_length=100)
    asker_phone: str = Field("", max_length=30)
    category: str | None = Field(None, max_length=32)
    topic: str = Field(..., min_length=1, max_length=200)
    question: str = Field(..., min_length=1, max_length=20000)
    answer: str = Field("", max_length=20000)
    lawyer: int | None = Field(None, ge=1, le=MAX_ID)
    duration_minutes: int | None = Field(None, ge=1, le=600)
    received_at: dt.datetime | None = None


class AnswerIn(Clean):
    version: int | None = Field(None, ge=1, le=MAX_ID)
    answer: str = Field(..., min_length=1, max_length=20000)
    lawyer: int | None = Field(None, ge=1, le=MAX_ID)
    duration_minutes: int | None = Field(None, ge=1, le=600)


class ToCaseIn(Clean):
    version: int | None = Field(None, ge=1, le=MAX_ID)
    kind: Literal["petition", "dispute"] = "petition"
    nature: Literal["suggestion", "accusation", "claim"] = "claim"


class ParticipationIn(Clean):
    lawyer: int = Field(..., ge=1, le=MAX_ID)
    kind: Literal["mediation", "petition_meeting"]
    role: Literal["explain", "agent", "witness"]
    held_on: dt.date = Field(..., ge=D_MIN, le=D_MAX)
    note: str = Field("", max_length=4000)


class CountsIn(Schema):
    from_: dt.date | None = Field(None, alias="from", ge=D_MIN, le=D_MAX)
    to: dt.date | None = Field(None, ge=D_MIN, le=D_MAX)
    region: str | None = Field(None, max_length=12, pattern="^[0-9]+$")


def _write(request: HttpRequest, endpoint: str, body: Schema, fn: Any, status: int = 200) -> Any:
    def run() -> tuple[int, Any]:
        return status, fn()

    code, out = run_idempotent(key=request.headers.get("Idempotency-Key"), user_id=request.user.pk, endpoint=endpoint,
                               fn=run, request_hash=fingerprint(body.model_dump(mode="json")))
    return Status(code, out)


@router.get("/consultations", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="法律咨询列表")
def consultation_list(request: HttpRequest, filters: Query[ConsultationFilter]) -> Any:
    _need(request, "consultation.view")
    return paginate(selectors.consultation_list(user=request.user, filters=_filters(filters)), filters,
                    consultation_out)


@router.post("/consultations", response={201: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="登记法律咨询（来人、来电、网上）")
def consultation_create(request: HttpRequest, body: ConsultationIn) -> Any:
    _need(request, "consultation.record")

    def run() -> dict[str, Any]:
        c = services.consultation_record(actor=request.user, **body.model_dump())
        return consultation_out(selectors.consultation_get(user=request.user, pk=c.pk) or c)

    return _write(request, "POST /consultations", body, run, status=201)


@router.get("/consultations/counts", response={200: dict[str, Any], 403: ErrorOut, **ERRORS},
            summary="法律咨询数量（按方式、按律师）")
def consultation_counts(request: HttpRequest, params: Query[CountsIn]) -> Any:
    _need(request, "consultation.view")
    return selectors.consultation_counts(request.user, params.from_, params.to, params.region)


@router.get("/consultations/{int:consultation_id}", response={200: dict[str, Any], 403: ErrorOut, **ERRORS},
            summary="法律咨询详情")
def consultation_detail(request: HttpRequest, consultation_id: int) -> Any:
    _need(request, "consultation.view")
    if consultation_id > MAX_ID or (c := selectors.consultation_get(user=request.user, pk=consultation_id)) is None:
        raise Http404
    return consultation_out(c)


@router.post("/consultations/{int:consultation_id}/answer",
             response={200: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS}, summary="答复网上法律咨询")
def consultation_answer(request: HttpRequest, consultation_id: int, body: AnswerIn) -> Any:
    _need(request, "consultation.record")
    if consultation_id > MAX_ID:
        raise Http404

    def run() -> dict[str, Any]:
        c = services.consultation_answer(actor=request.user, consultation_id=consultation_id, **body.model_dump())
        return consultation_out(selectors.consultation_get(user=request.user, pk=c.pk) or c)

    return _write(request, f"POST /consultations/{consultation_id}/answer", body, run)


@router.post("/consultations/{int:consultation_id}/case",
             response={201: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS}, summary="法律咨询转为事项")
def consultation_case(request: HttpRequest, consultation_id: int, body: ToCaseIn) -> Any:
    _need(request, "case.register")
    if consultation_id > MAX_ID:
        raise Http404

    def run() -> dict[str, Any]:
        case = services.consultation_to_case(actor=request.user, consultation_id=consultation_id, **body.model_dump())
        return {"consultation": consultation_id, "case": case.pk, "case_number": case.number}

    return _write(request, f"POST /consultations/{consultation_id}/case", body, run, status=201)


@router.post("/cases/{int:case_id}/lawyer-participations",
             response={201: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="记录律师参与调解或信访接谈")
def participation_create(request: HttpRequest, case_id: int, body: ParticipationIn) -> Any:
    _need(request, "lawyer.participation")
    if case_id > MAX_ID:
        raise Http404

    def run() -> dict[str, Any]:
        return participation_out(services.participation_record(actor=request.user, case_id=case_id, **body.model_dump()))

    return _write(request, f"POST /cases/{case_id}/lawyer-participations", body, run, status=201)
