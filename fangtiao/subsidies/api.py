"""以奖代补 endpoints of API.md: `GET /subsidies?period=2026-05` (payout lines), the batches with
their transitions (`POST /subsidies/batches/{id}/actions/{action}` with the version read) and the
rules. Thin: services and selectors do the work; money is a decimal string in yuan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from fangtiao.audit import services as audit
from fangtiao.core.api import ERRORS, ErrorOut, PageIn, paginate
from fangtiao.core.errors import PermissionDenied, ValidationFailed
from fangtiao.core.idempotency import fingerprint, run_idempotent
from fangtiao.org.permissions import has_capability
from fangtiao.subsidies import selectors, services
from fangtiao.subsidies.excel import payout_response
from fangtiao.subsidies.models import PayoutLine, SubsidyBatch, SubsidyRule
from fangtiao.subsidies.rules import (
    CONTROL_ERROR,
    MAX_AMOUNT,
    MAX_HEADCOUNT,
    MAX_MIN_AMOUNT,
    PERIOD_ERROR,
    has_control,
    parse_period,
)

router = Router(tags=["以奖代补"])

MAX_ID = 2**63 - 1
D_MIN, D_MAX = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
PERIOD_PATTERN = r"^\d{4}-(\d{2}|[Qq][1-4])$"


def _need(request: HttpRequest, capability: str) -> None:
    if not has_capability(request.user, capability):
        raise PermissionDenied()


def _yuan(d: Decimal | None) -> str | None:
    return None if d is None else f"{d:.2f}"


class Clean(Schema):
    """Text with control characters (a NUL byte, which PostgreSQL refuses) is a 422, not a 500 (as
    in the other apps' schemas)."""

    @field_validator("*")
    @classmethod
    def _clean(cls, v: Any) -> Any:
        if has_control(v):
            raise ValueError(CONTROL_ERROR)
        return v


def line_out(line: PayoutLine) -> dict[str, Any]:
    items = list(line.items.all())  # in a wider batch: only the cases of the caller's jurisdiction
    return {"id": line.pk, "batch": line.batch_id, "batch_number": line.batch.number, "period": line.batch.period,
            "mediator": line.mediator_id, "unit": line.unit_id, "unit_name": line.unit.name, "name": line.name,
            "committee": line.is_committee, "amount": _yuan(line.amount), "case_count": line.case_count,
            "cases": [{"id": item.case_id, "number": item.case.number, "amount": _yuan(item.amount),
                       "kind": item.earning.kind, "rule": item.earning.rule_id} for item in items],
            "cases_outside": max(line.case_count - len({item.case_id for item in items}), 0),
            "status": line.batch.status}


def batch_out(b: SubsidyBatch, user: Any = None, lines: list[PayoutLine] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": b.pk, "number": b.number, "version": b.version, "period": b.period, "period_kind": b.period_kind,
        "period_start": b.period_start, "period_end": b.period_end, "unit": b.unit_id, "unit_name": b.unit.name,
        "status": b.status, "total": _yuan(b.total), "case_count": b.case_count,
        "prepared_by": b.prepared_by.name or b.prepared_by.username, "prepared_at": b.prepared_at,
        "approved_by": (b.approved_by.name or b.approved_by.username) if b.approved_by_id else None,
        "approved_at": b.approved_at, "paid_by": (b.paid_by.name or b.paid_by.username) if b.paid_by_id else None,
        "paid_at": b.paid_at, "rejected_reason": b.rejected_reason, "cancelled_reason": b.cancelled_reason,
        "note": b.note,
    }
    if user is not None:
        out["actions"] = services.available_actions(user, b)
    if lines is not None:
        out["lines"] = [line_out(li) for li in lines]
    return out


def rule_out(r: SubsidyRule) -> dict[str, Any]:
    return {"id": r.pk, "version": r.version, "name": r.name, "kind": r.kind, "amount": _yuan(r.amount),
            "committee_amount": _yuan(r.committee_amount), "split": r.split, "category": r.category_id,
            "min_amount": _yuan(r.min_amount), "min_headcount": r.min_headcount, "collective_only": r.collective_only,
            "unit_level": r.unit_level or None, "region": r.region.code if r.region_id else None,
            "valid_from": r.valid_from, "valid_to": r.valid_to, "active": r.active, "note": r.note,
            "conditions": r.conditions()}


class LineFilter(PageIn):
    period: str | None = Field(None, max_length=7, pattern=PERIOD_PATTERN)
    status: Literal["prepared", "approved", "paid", "cancelled"] | None = None
    batch: int | None = Field(None, ge=1, le=MAX_ID)
    mediator: int | None = Field(None, ge=1, le=MAX_ID)


class BatchFilter(PageIn):
    period: str | None = Field(None, max_length=7, pattern=PERIOD_PATTERN)
    status: Literal["prepared", "approved", "paid", "cancelled"] | None = None
    unit: int | None = Field(None, ge=1, le=MAX_ID)


class PrepareIn(Clean):
    period: str = Field(..., max_length=7, pattern=PERIOD_PATTERN)
    unit: int | None = Field(None, ge=1, le=MAX_ID)
    note: str = Field("", max_length=500)


class ActionIn(Clean):
    version: int = Field(..., ge=1, le=MAX_ID)
    reason: str = Field("", max_length=500)


class RuleFilter(PageIn):
    kind: Literal["backlog", "mediation"] | None = None
    active: bool | None = None


class RuleIn(Clean):
    name: str = Field(..., min_length=1, max_length=100)
    kind: Literal["backlog", "mediation"]
    amount: Decimal = Field(..., max_digits=12, decimal_places=2, gt=0, le=MAX_AMOUNT)
    committee_amount: Decimal = Field(Decimal("0.00"), max_digits=12, decimal_places=2, ge=0, le=MAX_AMOUNT)
    split: Literal["lead", "equal"] = "equal"
    category: str | None = Field(None, max_length=32)
    min_amount: Decimal | None = Field(None, max_digits=14, decimal_places=2, ge=0, le=MAX_MIN_AMOUNT)
    min_headcount: int | None = Field(None, ge=1, le=MAX_HEADCOUNT)
    collective_only: bool = False
    unit_level: Literal["district", "township", "village", ""] = ""
    region: str | None = Field(None, max_length=12, pattern="^[0-9]+$")
    valid_from: dt.date = Field(..., ge=D_MIN, le=D_MAX)
    valid_to: dt.date | None = Field(None, ge=D_MIN, le=D_MAX)
    active: bool = True
    note: str = Field("", max_length=200)


class RuleUpdateIn(RuleIn):
    version: int = Field(..., ge=1, le=MAX_ID)


def _write(request: HttpRequest, endpoint: str, body: Schema, fn: Any, status: int = 200) -> Any:
    def run() -> tuple[int, Any]:
        return status, fn()

    code, out = run_idempotent(key=request.headers.get("Idempotency-Key"), user_id=request.user.pk, endpoint=endpoint,
                               fn=run, request_hash=fingerprint(body.model_dump(mode="json")))
    return Status(code, out)


def _period_ok(period: str | None) -> None:
    if period and parse_period(period) is None:
        raise ValidationFailed.on("period", PERIOD_ERROR)


@router.get("/subsidies", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="以奖代补发放明细")
def line_list(request: HttpRequest, filters: Query[LineFilter]) -> Any:
    """Payout lines (per mediator and per committee) with the cases that earn them. A mediator
    without broader rights sees only their own lines."""
    _need(request, "subsidy.view")
    _period_ok(filters.period)
    return paginate(selectors.line_list(user=request.user, filters=filters.dict()), filters, line_out)


@router.get("/subsidies/batches", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="以奖代补发放表列表")
def batch_list(request: HttpRequest, filters: Query[BatchFilter]) -> Any:
    _need(request, "subsidy.view")
    _period_ok(filters.period)
    return paginate(selectors.batch_list(user=request.user, filters=filters.dict()), filters, batch_out)


@router.post("/subsidies/batches", response={201: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="编制以奖代补发放表")
def batch_prepare(request: HttpRequest, body: PrepareIn) -> Any:
    _need(request, "subsidy.prepare")

    def run() -> dict[str, Any]:
        b = services.batch_prepare(actor=request.user, period=body.period, unit=body.unit, note=body.note)
        fresh = selectors.batch_get(user=request.user, pk=b.pk) or b
        return batch_out(fresh, request.user, selectors.lines_of(user=request.user, batch=fresh))

    return _write(request, "POST /subsidies/batches", body, run, status=201)


def _batch(request: HttpRequest, batch_id: int) -> SubsidyBatch:
    if batch_id > MAX_ID or (b := selectors.batch_get(user=request.user, pk=batch_id)) is None:
        raise Http404
    return b


@router.get("/subsidies/batches/{int:batch_id}", response={200: dict[str, Any], 403: ErrorOut, **ERRORS},
            summary="以奖代补发放表详情")
def batch_detail(request: HttpRequest, batch_id: int) -> Any:
    _need(request, "subsidy.view")
    b = _batch(request, batch_id)
    return batch_out(b, request.user, selectors.lines_of(user=request.user, batch=b))


@router.get("/subsidies/batches/{int:batch_id}/sheet", response={200: None, 403: ErrorOut, **ERRORS},
            summary="下载以奖代补发放表（Excel）")
def batch_sheet(request: HttpRequest, batch_id: int,
                reason: str = Query(..., min_length=1, max_length=200, pattern=r"\S",
                                    description="导出事由（必填，记入审计日志）")) -> Any:
    _need(request, "subsidy.view")
    _need(request, "export.xlsx")
    b = _batch(request, batch_id)
    lines = selectors.lines_of(user=request.user, batch=b)
    # names and amounts leave the system: the reason goes into the audit row (个人信息保护法 第51条)
    audit.record(actor=request.user, action="subsidy.sheet_exported", subject=b,
                 extra={"lines": len(lines), "reason": reason.strip()[:200]})
    return payout_response(b, lines)


@router.post("/subsidies/batches/{int:batch_id}/actions/{action}",
             response={200: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="发放表操作：approve 审批通过 / reject 退回 / pay 登记已发放 / recompute 重新计算 / cancel 作废")
def batch_action(request: HttpRequest, batch_id: int,
                 action: Literal["approve", "reject", "pay", "recompute", "cancel"], body: ActionIn) -> Any:
    _need(request, "subsidy.view")
    _batch(request, batch_id)  # outside the jurisdiction: 404 before anything else

    def run() -> dict[str, Any]:
        b = services.batch_act(actor=request.user, batch_id=batch_id, action=action, version=body.version,
                               reason=body.reason)
        fresh = selectors.batch_get(user=request.user, pk=b.pk) or b
        return batch_out(fresh, request.user, selectors.lines_of(user=request.user, batch=fresh))

    return _write(request, f"POST /subsidies/batches/{batch_id}/actions/{action}", body, run)


@router.get("/subsidies/rules", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="以奖代补规则")
def rule_list(request: HttpRequest, filters: Query[RuleFilter]) -> Any:
    if not (has_capability(request.user, "subsidy.view") or has_capability(request.user, "subsidy.rules")):
        raise PermissionDenied()
    return paginate(selectors.rule_list(user=request.user, filters=filters.dict()), filters, rule_out)


@router.post("/subsidies/rules", response={201: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="新增以奖代补规则")
def rule_create(request: HttpRequest, body: RuleIn) -> Any:
    _need(request, "subsidy.rules")
    return _write(request, "POST /subsidies/rules", body,
                  lambda: rule_out(services.rule_create(actor=request.user, data=body.model_dump())), status=201)


@router.put("/subsidies/rules/{int:rule_id}", response={200: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS},
            summary="修改以奖代补规则")
def rule_update(request: HttpRequest, rule_id: int, body: RuleUpdateIn) -> Any:
    _need(request, "subsidy.rules")
    if rule_id > MAX_ID:
        raise Http404
    data = body.model_dump()
    version = data.pop("version")
    return _write(request, f"PUT /subsidies/rules/{rule_id}", body,
                  lambda: rule_out(services.rule_update(actor=request.user, rule_id=rule_id, data=data, version=version)))
