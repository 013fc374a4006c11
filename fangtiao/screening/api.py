"""Screening and early-warning endpoints of API.md: /warnings, /hotspots, /screenings, and the
routing suggestion. Thin: services and selectors do the work."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any, Literal

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from fangtiao.cases.schemas import PartyIn
from fangtiao.core.api import ERRORS, ErrorOut, PageIn, paginate
from fangtiao.core.errors import PermissionDenied, ValidationFailed
from fangtiao.core.idempotency import fingerprint, run_idempotent
from fangtiao.org.permissions import has_capability
from fangtiao.screening import hotspots, routing, selectors, services
from fangtiao.screening.models import EarlyWarning, Hotspot, HotspotRun, LawyerIntervention, ScreeningRound

router = Router(tags=["排查预警"])


def _no_control(v: Any) -> Any:
    """Text with control characters (a NUL byte, which PostgreSQL refuses) is a field error, not a 500."""
    if isinstance(v, str) and any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in v):
        raise ValueError("不能包含控制字符")
    return v


class Clean(Schema):
    @field_validator("*")
    @classmethod
    def _clean(cls, v: Any) -> Any:
        return _no_control(v)

D_MIN, D_MAX = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
MAX_ID = 2**63 - 1  # a bigint key: anything larger is a 422, not an overflow


def _need(request: HttpRequest, capability: str) -> None:
    if not has_capability(request.user, capability):
        raise PermissionDenied()


# --- warnings ----------------------------------------------------------------------------------

def intervention_out(li: LawyerIntervention) -> dict[str, Any]:
    return {"id": li.pk, "status": li.status, "request_note": li.request_note, "requested_at": li.requested_at,
            "requested_by": li.requested_by.get_full_name() or li.requested_by.username if li.requested_by_id else "",
            "service_unit": li.service_unit_id, "lawyer": li.lawyer_id, "lawyer_name": li.lawyer.name if li.lawyer_id else "",
            "assigned_at": li.assigned_at, "met_on": li.met_on, "place": li.place, "summary": li.summary,
            "outcome": li.outcome}


def warning_out(w: EarlyWarning, *, detail: bool = False) -> dict[str, Any]:
    out = {"id": w.pk, "version": w.version, "kind": w.kind, "level": w.level, "status": w.status, "title": w.title,
           "reasons": w.reasons, "region": w.region.code, "region_name": w.region.name, "owner_unit": w.owner_unit_id,
           "owner_unit_name": w.owner_unit.name, "case": w.case_id, "case_number": w.case.number if w.case_id else None,
           "hotspot": w.hotspot_id, "screening_round": w.screening_round_id, "raised_at": w.raised_at,
           "last_seen_at": w.last_seen_at, "acknowledged_at": w.acknowledged_at, "resolved_at": w.resolved_at,
           "resolution": w.resolution}
    if detail:
        out["interventions"] = [intervention_out(li) for li in w.interventions.all()]
    return out


class WarningFilter(PageIn):
    kind: str | None = Field(None, max_length=32, pattern="^[a-z_]+$")
    level: Literal["red", "orange", "yellow"] | None = None
    status: Literal["active", "all", "open", "acknowledged", "resolved", "cleared"] | None = None
    region: str | None = Field(None, max_length=12, pattern="^[0-9]+$")
    owner_unit: int | None = Field(None, ge=1, le=MAX_ID)
    case: int | None = Field(None, ge=1, le=MAX_ID)


@router.get("/warnings", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="预警列表（默认当前有效的预警）")
def warning_list(request: HttpRequest, filters: Query[WarningFilter]) -> Any:
    _need(request, "warning.view")
    return paginate(selectors.warning_list(user=request.user, filters=filters.dict()), filters, warning_out)


@router.get("/warnings/{int:warning_id}", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="预警详情")
def warning_detail(request: HttpRequest, warning_id: int) -> Any:
    _need(request, "warning.view")
    w = selectors.warning_get(user=request.user, pk=warning_id)
    if w is None:
        raise Http404
    return warning_out(w, detail=True)


class AckIn(Clean):
    version: int | None = Field(None, ge=1, le=MAX_ID)
    note: str = Field("", max_length=2000)


class ResolveIn(Clean):
    version: int | None = Field(None, ge=1, le=MAX_ID)
    resolution: str = Field(..., min_length=1, max_length=4000)


def _write(request: HttpRequest, endpoint: str, body: Schema, fn: Any) -> Any:
    def run() -> tuple[int, Any]:
        return 200, fn()

    status, out = run_idempotent(key=request.headers.get("Idempotency-Key"), user_id=request.user.pk, endpoint=endpoint,
                                 fn=run, request_hash=fingerprint(body.model_dump(mode="json")))
    return Status(status, out)


@router.post("/warnings/{int:warning_id}/acknowledge", response={200: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="签收预警")
def warning_acknowledge(request: HttpRequest, warning_id: int, body: AckIn) -> Any:
    _need(request, "warning.handle")
    return _write(request, f"POST /warnings/{warning_id}/acknowledge", body, lambda: warning_out(
        services.warning_acknowledge(actor=request.user, warning_id=warning_id, version=body.version, note=body.note)))


@router.post("/warnings/{int:warning_id}/resolve", response={200: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="处置预警")
def warning_resolve(request: HttpRequest, warning_id: int, body: ResolveIn) -> Any:
    _need(request, "warning.handle")
    return _write(request, f"POST /warnings/{warning_id}/resolve", body, lambda: warning_out(
        services.warning_resolve(actor=request.user, warning_id=warning_id, resolution=body.resolution,
                                 version=body.version)))


class LawyerIn(Clean):
    note: str = Field(..., min_length=1, max_length=2000)


@router.post("/warnings/{int:warning_id}/lawyer", response={200: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="申请律师介入（公共法律服务）")
def warning_lawyer(request: HttpRequest, warning_id: int, body: LawyerIn) -> Any:
    _need(request, "warning.handle")
    return _write(request, f"POST /warnings/{warning_id}/lawyer", body, lambda: intervention_out(
        services.lawyer_request(actor=request.user, warning_id=warning_id, note=body.note)))


class AssignIn(Clean):
    lawyer: int = Field(..., ge=1, le=MAX_ID)


class MeetingIn(Clean):
    met_on: dt.date = Field(..., ge=D_MIN, le=D_MAX)
    place: str = Field(..., min_length=1, max_length=200)
    summary: str = Field(..., min_length=1, max_length=4000)
    outcome: Literal["resolved", "eased", "unchanged", "escalated"]


@router.post("/interventions/{int:intervention_id}/assign", response={200: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="指派律师")
def intervention_assign(request: HttpRequest, intervention_id: int, body: AssignIn) -> Any:
    _need(request, "warning.handle")
    return _write(request, f"POST /interventions/{intervention_id}/assign", body, lambda: intervention_out(
        services.lawyer_assign(actor=request.user, intervention_id=intervention_id, lawyer_id=body.lawyer)))


@router.post("/interventions/{int:intervention_id}/meeting", response={200: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="记录律师约谈情况和结果")
def intervention_meeting(request: HttpRequest, intervention_id: int, body: MeetingIn) -> Any:
    _need(request, "warning.lawyer")
    return _write(request, f"POST /interventions/{intervention_id}/meeting", body, lambda: intervention_out(
        services.lawyer_record(actor=request.user, intervention_id=intervention_id, met_on=body.met_on, place=body.place,
                               summary=body.summary, outcome=body.outcome)))


# --- hot spots ---------------------------------------------------------------------------------

def run_out(r: HotspotRun | None, *, user: Any = None) -> dict[str, Any] | None:
    """A run's window and progress; its district-wide counts only to readers of the whole district."""
    if r is None:
        return None
    out = {"id": r.pk, "from": r.window_start, "to": r.window_end, "status": r.status, "progress": r.percent,
           "finished_at": r.finished_at}
    path = selectors.scope_path(user) if user is not None else None
    if path is not None and not any(len(code) >= 9 for code in path.split("/")):  # district or wider
        out.update({"n_cases": r.n_cases, "message": r.message})
    return out


def hotspot_out(h: Hotspot, members: list[int] | None = None) -> dict[str, Any]:
    out = {"id": h.pk, "label": h.label, "terms": h.terms, "size": h.size, "previous_size": h.previous_size,
           "trend": h.trend, "region": h.region.code, "region_name": h.region.name, "from": h.window_start,
           "to": h.window_end}
    if members is not None:
        out["members"] = members
    return out


class HotspotFilter(PageIn):
    from_: dt.date | None = Field(None, alias="from", ge=D_MIN, le=D_MAX)
    to: dt.date | None = Field(None, ge=D_MIN, le=D_MAX)
    region: str | None = Field(None, max_length=12, pattern="^[0-9]+$")


@router.get("/hotspots", response={200: dict[str, Any], 403: ErrorOut, **ERRORS},
            summary="热点：一段时间内相似事项的聚类（标签、规模、趋势、成员）")
def hotspot_list(request: HttpRequest, filters: Query[HotspotFilter]) -> Any:
    """The computed run for exactly [from, to] if there is one, else the latest run ending by `to`
    (`run` says which window the clusters are of). POST /hotspots/runs computes a new window."""
    _need(request, "hotspot.view")
    f = filters
    if f.from_ and f.to and f.to < f.from_:
        raise ValidationFailed.on("to", "结束日期不能早于开始日期")
    run = None
    if f.from_ and f.to:
        run = HotspotRun.objects.filter(status="done", window_start=f.from_, window_end=f.to).order_by("-id").first()
    if run is None:
        qs = HotspotRun.objects.filter(status="done")
        if f.to:
            qs = qs.filter(window_end__lte=f.to)
        if f.from_:
            qs = qs.filter(window_end__gte=f.from_)
        run = qs.order_by("-window_end", "-id").first()
    qs = selectors.hotspot_list(user=request.user, run=run, region=f.region)
    count = qs.count()
    start = (f.page - 1) * f.page_size
    items = list(qs[start:start + f.page_size])
    members = selectors.hotspot_member_ids(items, user=request.user)
    return {"run": run_out(run, user=request.user), "items": [hotspot_out(h, members[h.pk]) for h in items],
            "count": count}


@router.get("/hotspots/{int:hotspot_id}", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="热点详情和成员事项")
def hotspot_detail(request: HttpRequest, hotspot_id: int) -> Any:
    _need(request, "hotspot.view")
    h = selectors.hotspot_get(user=request.user, pk=hotspot_id)
    if h is None:
        raise Http404
    cases = selectors.hotspot_members(user=request.user, hotspot=h)[:500]
    out = hotspot_out(h, [c.pk for c in cases])
    out["cases"] = [{"id": c.pk, "number": c.number, "title": c.title, "status": c.status, "region": c.region.code,
                     "received_at": c.received_at} for c in cases]
    return out


class RunIn(Clean):
    from_: dt.date = Field(..., alias="from", ge=D_MIN, le=D_MAX)
    to: dt.date = Field(..., ge=D_MIN, le=D_MAX)


@router.post("/hotspots/runs", response={202: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="计算一个时间窗口的热点（后台执行）")
def hotspot_run(request: HttpRequest, body: RunIn) -> Any:
    _need(request, "hotspot.compute")
    run = hotspots.run_request(actor=request.user, start=body.from_, end=body.to)
    run.refresh_from_db()
    return Status(202, run_out(run, user=request.user))


@router.get("/hotspots/runs/{int:run_id}", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="热点计算进度")
def hotspot_run_status(request: HttpRequest, run_id: int) -> Any:
    _need(request, "hotspot.view")
    run = HotspotRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run_out(run, user=request.user)


# --- screening ---------------------------------------------------------------------------------

def round_out(r: ScreeningRound, *, detail: bool = False) -> dict[str, Any]:
    out = {"id": r.pk, "version": r.version, "unit": r.unit_id, "unit_name": r.unit.name, "label": r.label,
           "period_start": r.period_start, "due_on": r.due_on, "status": r.status, "late": r.late,
           "screened_on": r.screened_on, "screeners": r.screeners, "places": r.places, "nil_return": r.nil_return,
           "summary": r.summary, "recorded_at": r.recorded_at}
    if hasattr(r, "n_findings"):
        out["findings_count"] = r.n_findings
    if detail:
        out["findings"] = [{"id": f.pk, "title": f.title, "description": f.description, "region": f.region.code,
                            "category": f.category.code if f.category_id else None, "parties": f.parties,
                            "headcount": f.headcount, "risk": f.risk, "measures": f.measures, "case": f.case_id,
                            "case_number": f.case.number if f.case_id else None} for f in r.findings.all()]
    return out


class RoundFilter(PageIn):
    status: Literal["scheduled", "done", "missed"] | None = None
    unit: int | None = Field(None, ge=1, le=MAX_ID)
    region: str | None = Field(None, max_length=12, pattern="^[0-9]+$")
    month: str | None = Field(None, pattern=r"^\d{4}-\d{2}$", description="2026-05")


@router.get("/screenings", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="排查轮次")
def screening_list(request: HttpRequest, filters: Query[RoundFilter]) -> Any:
    _need(request, "screening.view")
    f = filters.dict()
    if f.get("month"):
        y, m = (int(x) for x in f["month"].split("-"))
        if not 1 <= m <= 12 or not 1900 <= y <= 2100:
            raise ValidationFailed.on("month", "月份应为 1900-01 到 2100-12 之间的年月，如 2026-05")
        f["month"] = (y, m)
    return paginate(selectors.round_list(user=request.user, filters=f), filters, round_out)


@router.get("/screenings/completion", response={200: list[dict[str, Any]], 403: ErrorOut, **ERRORS},
            summary="排查完成率（按单位或乡镇）")
def screening_completion(request: HttpRequest, from_: dt.date = Query(..., alias="from", ge=D_MIN, le=D_MAX),  # noqa: B008
                         to: dt.date = Query(..., ge=D_MIN, le=D_MAX),  # noqa: B008
                         region: str | None = Query(None, max_length=12, pattern="^[0-9]+$"),  # noqa: B008
                         by: Literal["unit", "township"] = "unit") -> Any:
    _need(request, "screening.view")
    if to < from_:
        raise ValidationFailed.on("to", "结束日期不能早于开始日期")
    return selectors.completion(user=request.user, start=from_, end=to, today=timezone.localdate(), region=region, by=by)


@router.get("/screenings/{int:round_id}", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="排查轮次详情")
def screening_detail(request: HttpRequest, round_id: int) -> Any:
    _need(request, "screening.view")
    r = selectors.round_get(user=request.user, pk=round_id)
    if r is None:
        raise Http404
    return round_out(r, detail=True)


class FindingIn(Clean):
    title: str = Field(..., min_length=2, max_length=200)
    description: str = Field("", max_length=5000)
    region: str = Field(..., min_length=6, max_length=12, pattern="^[0-9]+$")
    category: str | None = Field(None, max_length=32, pattern="^[a-z_]+$")
    parties: str = Field("", max_length=300)
    headcount: int = Field(1, ge=1, le=100000)
    risk: Literal["low", "medium", "high"] = "low"
    measures: str = Field("", max_length=2000)


class RecordIn(Clean):
    round: int = Field(..., ge=1, le=MAX_ID)
    version: int | None = Field(None, ge=1, le=MAX_ID)
    screened_on: dt.date = Field(..., ge=D_MIN, le=D_MAX)
    screeners: str = Field(..., min_length=1, max_length=300)
    places: str = Field(..., min_length=1, max_length=500)
    nil_return: bool = False
    summary: str = Field("", max_length=5000)
    findings: list[FindingIn] = Field(default_factory=list, max_length=100)


@router.post("/screenings", response={200: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="填报一轮排查的结果（发现的纠纷或零报告）")
def screening_record(request: HttpRequest, body: RecordIn) -> Any:
    _need(request, "screening.record")

    def fn() -> dict[str, Any]:
        r = services.round_record(actor=request.user, round_id=body.round, screened_on=body.screened_on,
                                  screeners=body.screeners, places=body.places, nil_return=body.nil_return,
                                  summary=body.summary, findings=[f.dict() for f in body.findings], version=body.version)
        return round_out(selectors.round_get(user=request.user, pk=r.pk) or r, detail=True)

    return _write(request, "POST /screenings", body, fn)


class ToCaseIn(Clean):
    kind: Literal["dispute", "petition"] = "dispute"
    parties: list[PartyIn] = Field(..., min_length=1, max_length=200, description="当事人（至少一名申请人/信访人）")
    intervene_unit: int | None = Field(None, ge=1, le=MAX_ID, description="提前介入的调解组织（不填则只登记）")
    consent: bool = False


@router.post("/screenings/findings/{int:finding_id}/case", response={201: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="排查发现转为事项（渠道：排查发现），可同时提前介入调解")
def finding_to_case(request: HttpRequest, finding_id: int, body: ToCaseIn) -> Any:
    _need(request, "case.register")

    def run() -> tuple[int, Any]:
        case = services.finding_to_case(actor=request.user, finding_id=finding_id, kind=body.kind,
                                        intervene_unit=body.intervene_unit, consent=body.consent,
                                        parties=[p.model_dump(mode="json") for p in body.parties])
        return 201, {"case": case.pk, "number": case.number, "status": case.status}

    status, out = run_idempotent(key=request.headers.get("Idempotency-Key"), user_id=request.user.pk,
                                 endpoint=f"POST /screenings/findings/{finding_id}/case", fn=run,
                                 request_hash=fingerprint(body.model_dump(mode="json")))
    return Status(status, out)


class PlanIn(Clean):
    unit: int = Field(..., ge=1, le=MAX_ID)
    rounds_per_month: int = Field(2, ge=1, le=8)
    grace_days: int = Field(3, ge=0, le=15)
    active: bool = True


@router.post("/screenings/plans", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="设置单位的排查计划")
def screening_plan(request: HttpRequest, body: PlanIn) -> Any:
    _need(request, "screening.plan")
    from fangtiao.org.selectors import unit_get

    unit = unit_get(user=request.user, pk=body.unit)
    if unit is None:
        raise Http404
    plan = services.plan_save(actor=request.user, unit=unit, rounds_per_month=body.rounds_per_month,
                              grace_days=body.grace_days, active=body.active)
    return {"unit": plan.unit_id, "rounds_per_month": plan.rounds_per_month, "grace_days": plan.grace_days,
            "active": plan.active}


# --- routing suggestion ------------------------------------------------------------------------

class SuggestIn(Clean):
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=20000)
    demands: str = Field("", max_length=5000)
    region: str | None = Field(None, max_length=12, pattern="^[0-9]+$")


@router.post("/routing/suggest", response={200: dict[str, Any], 403: ErrorOut, **ERRORS},
             summary="分流建议：纠纷类型和承办单位（本区历史分流决定训练，附置信度）")
def routing_suggest(request: HttpRequest, body: SuggestIn) -> Any:
    _need(request, "case.register")
    from fangtiao.org.models import Region

    path = ""
    if body.region:
        region = Region.objects.filter(code=body.region).only("path").first()
        if region is None:
            raise ValidationFailed.on("region", "区划代码不存在")
        path = region.path
    return routing.suggest(title=body.title, description=body.description, demands=body.demands, region_path=path)


@router.post("/routing/retrain", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="重新训练分流建议模型")
def routing_retrain(request: HttpRequest) -> Any:
    _need(request, "routing.train")
    row = routing.retrain(actor=request.user)
    return {"model": row.pk if row else None, "n_train": row.n_train if row else 0,
            "train_seconds": row.train_seconds if row else 0, "labels": row.labels if row else []}
