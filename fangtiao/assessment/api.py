"""Assessment endpoints of API.md: GET /assessment/scores (ranking of a period and level, scoped to
the caller's jurisdiction), a score's detail and the cases behind an item, POST /assessment/compute
(202: a background run) and GET /assessment/compute/{id} (its progress),
indicators, schemes, commendations and accountability records. Thin: services and selectors work."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Status
from pydantic import field_validator

from fangtiao.assessment import runs, selectors, services
from fangtiao.assessment.models import Accountability, Commendation, ComputeRun, Indicator, Scheme, Score
from fangtiao.assessment.periods import Period, parse_period
from fangtiao.core.api import ERRORS, ErrorOut, PageIn, paginate
from fangtiao.screening.api import D_MAX, D_MIN, MAX_ID, Clean, _need

router = Router(tags=["考核"])

LevelCode = Literal["township", "village", "mediator"]


def _period(v: Any) -> str:
    return parse_period(str(v)).key


def score_out(s: Score) -> dict[str, Any]:
    return {
        "id": s.pk, "rank": s.rank, "period": s.period, "level": s.level, "name": s.name,
        "unit": s.unit_id, "unit_name": s.unit.name if s.unit_id else None,
        "mediator": s.mediator_id, "mediator_name": s.mediator.name if s.mediator_id else None,
        "total": float(s.total), "dynamic_total": float(s.dynamic_total), "static_total": float(s.static_total),
        "scheme": s.scheme_id, "computed_at": s.computed_at,
        "items": [{"id": i.pk, "indicator": i.indicator.code, "name": i.indicator.name, "weight": float(i.weight),
                   "value": i.value, "numerator": i.numerator, "denominator": i.denominator, "points": float(i.points),
                   "static_value": i.static_value, "static_numerator": i.static_numerator,
                   "static_denominator": i.static_denominator, "static_points": float(i.static_points)}
                  for i in s.items.all()],
    }


def indicator_out(i: Indicator) -> dict[str, Any]:
    return {"code": i.code, "name": i.name, "formula": i.formula, "source": i.source, "kind": i.kind,
            "direction": i.direction, "unit_of_measure": i.unit_of_measure, "levels": i.levels, "params": i.params,
            "active": i.active}


def scheme_out(s: Scheme) -> dict[str, Any]:
    return {"id": s.pk, "version": s.version, "name": s.name, "period_type": s.period_type, "level": s.level,
            "dynamic_share": s.dynamic_share, "active": s.active, "region_path": s.region_path, "note": s.note, "updated_at": s.updated_at,
            "items": [{"indicator": i.indicator.code, "name": i.indicator.name, "weight": float(i.weight),
                       "method": i.method, "floor": i.floor, "target": i.target, "if_empty": i.if_empty}
                      for i in s.items.all()]}


def commendation_out(c: Commendation) -> dict[str, Any]:
    return {"id": c.pk, "period": c.period, "level": c.level, "unit": c.unit_id, "mediator": c.mediator_id,
            "name": c.name, "rank": c.rank, "total": float(c.total), "status": c.status, "note": c.note,
            "proposed_at": c.proposed_at, "confirmed_by": c.confirmed_by.name if c.confirmed_by_id else None,
            "confirmed_at": c.confirmed_at}


def accountability_out(a: Accountability) -> dict[str, Any]:
    return {"id": a.pk, "warning": a.warning_id, "case_event": a.case_event_id, "case": a.case_id,
            "case_number": a.case.number if a.case_id else None, "unit": a.unit_id, "unit_name": a.unit.name,
            "person": a.person, "reason": a.reason, "measure": a.measure, "decided_on": a.decided_on,
            "recorded_by": a.recorded_by.name, "recorded_at": a.recorded_at}


class ScoreFilter(PageIn):
    period: str = Field(..., max_length=10)
    level: LevelCode
    q: str | None = Field(None, max_length=50)

    @field_validator("period")
    @classmethod
    def _p(cls, v: str) -> str:
        return _period(v)


class ComputeIn(Clean):
    period: str = Field(..., max_length=10)
    level: LevelCode

    @field_validator("period")
    @classmethod
    def _p(cls, v: str) -> str:
        return _period(v)


class SchemeItemIn(Clean):
    indicator: str = Field(..., max_length=40)
    weight: float = Field(..., gt=0, le=100)
    method: Literal["linear", "threshold"] = "linear"
    floor: float = Field(0, ge=-1e6, le=1e6)
    target: float = Field(..., ge=-1e6, le=1e6)
    if_empty: Literal["full", "zero"] = "full"


class SchemeIn(Clean):
    name: str = Field(..., min_length=1, max_length=100)
    period_type: Literal["month", "quarter", "year"]
    level: LevelCode
    dynamic_share: int = Field(60, ge=0, le=100)
    active: bool = True
    note: str = Field("", max_length=2000)
    items: list[SchemeItemIn] = Field(..., max_length=40)
    version: int | None = Field(None, ge=1, le=MAX_ID)


class ProposeIn(Clean):
    period: str = Field(..., max_length=10)
    level: LevelCode
    top: int = Field(3, ge=1, le=50)
    note: str = Field("", max_length=300)

    @field_validator("period")
    @classmethod
    def _p(cls, v: str) -> str:
        return _period(v)


class CommendationFilter(PageIn):
    period: str | None = Field(None, max_length=10)
    level: LevelCode | None = None
    status: Literal["proposed", "confirmed", "withdrawn"] | None = None

    @field_validator("period")
    @classmethod
    def _p(cls, v: str | None) -> str | None:
        return _period(v) if v else None


class AccountabilityFilter(PageIn):
    measure: Literal["interview", "notice", "admonish", "self_examine", "organisational", "discipline"] | None = None
    unit: int | None = Field(None, ge=1, le=MAX_ID)
    from_: dt.date | None = Field(None, alias="from", ge=D_MIN, le=D_MAX)
    to: dt.date | None = Field(None, ge=D_MIN, le=D_MAX)
    q: str | None = Field(None, max_length=100)


class AccountabilityIn(Clean):
    warning: int | None = Field(None, ge=1, le=MAX_ID)
    case_event: int | None = Field(None, ge=1, le=MAX_ID)
    unit: int = Field(..., ge=1, le=MAX_ID)
    person: str = Field("", max_length=50)
    reason: str = Field(..., min_length=1, max_length=4000)
    measure: Literal["interview", "notice", "admonish", "self_examine", "organisational", "discipline"]
    decided_on: dt.date = Field(..., ge=D_MIN, le=D_MAX)


class CasesIn(PageIn):
    span: Literal["period", "year"] = "period"


@router.get("/assessment/scores", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="考核得分和排名")
def score_list(request: HttpRequest, filters: Query[ScoreFilter]) -> Any:
    _need(request, "assessment.view")
    qs = selectors.score_list(user=request.user, period=filters.period, level=filters.level,
                              filters={"q": filters.q})
    return paginate(qs, filters, score_out)


@router.get("/assessment/scores/{int:score_id}", response={200: dict[str, Any], 403: ErrorOut, **ERRORS},
            summary="考核得分详情")
def score_detail(request: HttpRequest, score_id: int) -> Any:
    _need(request, "assessment.view")
    if score_id > MAX_ID or (s := selectors.score_get(user=request.user, pk=score_id)) is None:
        raise Http404
    return score_out(s)


@router.get("/assessment/scores/{int:score_id}/items/{int:item_id}/cases",
            response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="得分项涉及的事项（下钻）")
def score_item_cases(request: HttpRequest, score_id: int, item_id: int, params: Query[CasesIn]) -> Any:
    _need(request, "assessment.view")
    if score_id > MAX_ID or (s := selectors.score_get(user=request.user, pk=score_id)) is None:
        raise Http404
    item = next((i for i in s.items.all() if i.pk == item_id), None)
    if item is None:
        raise Http404
    qs = selectors.item_cases(user=request.user, score=s, item=item, static=params.span == "year")
    if qs is None:
        return {"items": [], "count": 0, "drilldown": False}
    out = paginate(qs, params, lambda c: {"id": c.pk, "number": c.number, "title": c.title, "status": c.status,
                                          "received_at": c.received_at, "region_name": c.region.name})
    return {**out, "drilldown": True}


def run_out(r: ComputeRun) -> dict[str, Any]:
    return {"id": r.pk, "period": r.period, "level": r.level, "region_path": r.region_path, "status": r.status,
            "progress": {"done": r.progress_done, "total": r.progress_total, "percent": r.percent},
            "count": r.result_count, "error": r.error or None, "created_at": r.created_at,
            "started_at": r.started_at, "finished_at": r.finished_at}


@router.post("/assessment/compute", response={202: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="计算考核得分（后台计算，覆盖该期已存得分）")
def compute(request: HttpRequest, body: ComputeIn) -> Any:
    _need(request, "assessment.manage")
    run = runs.compute_request(actor=request.user, period=parse_period(body.period), level=body.level)
    return Status(202, run_out(run))


@router.get("/assessment/compute/{int:run_id}", response={200: dict[str, Any], 403: ErrorOut, **ERRORS},
            summary="得分计算的状态和进度")
def compute_state(request: HttpRequest, run_id: int) -> Any:
    _need(request, "assessment.view")
    if run_id > MAX_ID or (r := runs.run_get(user=request.user, pk=run_id)) is None:
        raise Http404
    return run_out(r)


@router.get("/assessment/indicators", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="考核指标")
def indicator_list(request: HttpRequest) -> Any:
    _need(request, "assessment.view")
    items = [indicator_out(i) for i in selectors.indicator_list()]
    return {"items": items, "count": len(items)}


@router.get("/assessment/schemes", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="考核方案")
def scheme_list(request: HttpRequest) -> Any:
    _need(request, "assessment.view")
    items = [scheme_out(s) for s in selectors.scheme_list(request.user)]
    return {"items": items, "count": len(items)}


@router.post("/assessment/schemes", response={201: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="新建考核方案")
def scheme_create(request: HttpRequest, body: SchemeIn) -> Any:
    _need(request, "assessment.manage")
    data = body.model_dump()
    data.pop("version", None)
    s = services.scheme_save(actor=request.user, **data)
    return Status(201, scheme_out(selectors.scheme_get(s.pk, request.user) or s))


@router.put("/assessment/schemes/{int:scheme_id}", response={200: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS},
            summary="修改考核方案")
def scheme_update(request: HttpRequest, scheme_id: int, body: SchemeIn) -> Any:
    _need(request, "assessment.manage")
    if scheme_id > MAX_ID:
        raise Http404
    s = services.scheme_save(actor=request.user, scheme_id=scheme_id, **body.model_dump())
    return scheme_out(selectors.scheme_get(s.pk, request.user) or s)


@router.get("/assessment/commendations", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="表彰名单")
def commendation_list(request: HttpRequest, filters: Query[CommendationFilter]) -> Any:
    _need(request, "assessment.view")
    f = {"period": filters.period, "level": filters.level, "status": filters.status}
    return paginate(selectors.commendation_list(user=request.user, filters=f), filters, commendation_out)


@router.post("/assessment/commendations/propose", response={201: dict[str, Any], 403: ErrorOut, **ERRORS},
             summary="按排名提出表彰建议")
def commendation_propose(request: HttpRequest, body: ProposeIn) -> Any:
    _need(request, "assessment.manage")
    made = services.commendations_propose(actor=request.user, period=parse_period(body.period), level=body.level,
                                          top=body.top, note=body.note)
    return Status(201, {"items": [commendation_out(c) for c in made], "count": len(made)})


@router.post("/assessment/commendations/{int:commendation_id}/confirm",
             response={200: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS}, summary="领导确认表彰")
def commendation_confirm(request: HttpRequest, commendation_id: int) -> Any:
    _need(request, "assessment.manage")
    if commendation_id > MAX_ID:
        raise Http404
    return commendation_out(services.commendation_confirm(actor=request.user, commendation_id=commendation_id))


@router.get("/assessment/accountability", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="问责记录")
def accountability_list(request: HttpRequest, filters: Query[AccountabilityFilter]) -> Any:
    _need(request, "accountability.view")  # the records name people: leaders and officers only
    f = {"measure": filters.measure, "unit": filters.unit, "from": filters.from_, "to": filters.to, "q": filters.q}
    return paginate(selectors.accountability_list(user=request.user, filters=f), filters, accountability_out)


@router.post("/assessment/accountability", response={201: dict[str, Any], 403: ErrorOut, **ERRORS},
             summary="登记问责（关联预警或事项环节）")
def accountability_create(request: HttpRequest, body: AccountabilityIn) -> Any:
    _need(request, "accountability.record")
    a = services.accountability_record(actor=request.user, warning_id=body.warning, case_event_id=body.case_event,
                                       unit_id=body.unit, person=body.person, reason=body.reason,
                                       measure=body.measure, decided_on=body.decided_on)
    return Status(201, accountability_out(selectors.accountability_get(user=request.user, pk=a.pk) or a))


__all__ = ["Period", "router"]
