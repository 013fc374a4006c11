"""Case endpoints of API.md: intake, list, detail, actions, similar matters, reveal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Body, Field, Query, Router, Schema, Status

from fangtiao.cases import selectors, services
from fangtiao.cases.models import Case
from fangtiao.cases.schemas import CaseIn
from fangtiao.cases.workflow import BY_ACTION
from fangtiao.core.api import ERRORS, ErrorOut, PageIn
from fangtiao.core.errors import PermissionDenied, ValidationFailed
from fangtiao.core.idempotency import fingerprint, run_idempotent
from fangtiao.mediation.api import mediation_out
from fangtiao.org.permissions import has_capability

router = Router(tags=["事项"])


def _need(request: HttpRequest, capability: str) -> None:
    if not has_capability(request.user, capability):
        raise PermissionDenied()


def clock_out(c: Any) -> dict[str, Any]:
    return {"name": c.rule.name, "code": c.code, "due": c.due_on, "rule": c.rule.source, "state": c.state,
            "started": c.started_on, "holder_unit": c.holder_unit_id, "holder": c.holder_unit.name if c.holder_unit_id else "信访人"}


def case_summary(c: Case) -> dict[str, Any]:
    return {
        "id": c.pk, "number": c.number, "version": c.version, "status": c.status, "kind": c.kind, "nature": c.nature,
        "channel": c.channel, "category": c.category_id, "region": c.region.code, "title": c.title,
        "holder_unit": c.holder_unit_id, "holder_unit_name": c.holder_unit.name, "received_at": c.received_at,
        "headcount": c.headcount, "flags": c.flags,
    }


def documents_out(c: Case, user: Any) -> list[dict[str, Any]]:
    """The latest version of each issued document (API.md: doc_type, number, created_at); the files
    themselves: GET /cases/{id}/documents/{doc_type}. Forms the reader's role may not see are left out."""
    from fangtiao.documents import catalogue
    from fangtiao.documents.services import may_see_type

    if user is None:
        return []
    seen: set[tuple[str, str]] = set()
    out = []
    for d in c.documents.all():
        key = (d.doc_type, d.subject)
        doc = catalogue.get(d.doc_type)
        if key in seen or doc is None or not may_see_type(user, doc):
            continue
        seen.add(key)
        out.append({"doc_type": d.doc_type, "subject": d.subject, "title": d.title, "number": d.number,
                    "version": d.version, "issued_on": d.issued_on, "created_at": d.created_at})
    return out


def case_out(c: Case, *, user: Any = None, similar: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out = case_summary(c)
    out.update({
        "description": c.description, "reasons": c.reasons, "demands": c.demands, "oral": c.oral,
        "occurred_on": c.occurred_on, "amount": str(c.amount) if c.amount is not None else None,
        "identity_incomplete": c.identity_incomplete, "is_major": c.is_major,
        "registered_unit": c.registered_unit_id, "lead_unit": c.lead_unit_id, "route": c.route,
        "accepted_on": c.accepted_on, "replied_on": c.replied_on, "closed_on": c.closed_on,
        "reply": {"outcome": c.reply_outcome, "request": c.reply_request, "facts": c.reply_facts,
                  "opinion": c.reply_opinion, "basis": c.reply_basis} if c.reply_outcome else None,
        "review_stage": c.review_stage, "satisfaction": c.satisfaction,
        "clocks": [clock_out(k) for k in c.clocks.all()],
        "parties": [{"id": p.id, "role": p.role, "type": p.type, "name": p.name, "id_number_masked": p.id_number_masked,
                     "phone_masked": p.phone_masked, "is_representative": p.is_representative} for p in c.parties.all()],
        "events": [{"at": e.at, "action": e.action, "actor": e.actor_name, "unit": e.unit.name if e.unit_id else "",
                    "note": e.note} for e in c.events.all()],
        "links": [{"case": lk.other_id, "number": lk.other.number, "kind": lk.kind, "reason": lk.reason, "score": lk.score}
                  for lk in c.links.all()],
        "transfers": [{"number": t.number, "purpose": t.purpose, "from_unit": t.from_unit_id, "to_unit": t.to_unit_id,
                       "status": t.status, "sent_at": t.sent_at, "return_reason": t.return_reason} for t in c.transfers.all()],
        "co_tasks": [{"unit": t.unit_id, "unit_name": t.unit.name, "task": t.task, "reply": t.reply,
                      "replied_at": t.replied_at} for t in c.co_tasks.all()],
        "documents": documents_out(c, user),
        "mediation": mediation_out(c),
        "flags_extra": {"major": c.is_major, "escalation_risk": c.is_escalation_risk},
    })
    if similar is not None:
        out["similar"] = similar
    return out


def _similar_out(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": h["case"].pk, "number": h["case"].number, "title": h["case"].title, "status": h["case"].status,
             "received_at": h["case"].received_at, "score": h["score"], "same_matter": h["same_matter"],
             "same_person": h["same_person"], "text_score": h["text_score"], "shared_terms": h["shared_terms"],
             "reasons": h["reasons"]} for h in hits]


def _visible_hits(request: HttpRequest, hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Only earlier matters the caller may see (jurisdiction, 检举控告 restrictions)."""
    visible = set(Case.objects.visible_to(request.user).filter(pk__in=[h["case"].pk for h in hits]).values_list("pk", flat=True))
    return [h for h in hits if h["case"].pk in visible]


def _detail_or_404(request: HttpRequest, case_id: int) -> Case:
    case = selectors.case_detail(user=request.user, pk=case_id)
    if case is None:
        raise Http404
    return case


class CaseFilter(PageIn):
    status: str | None = Field(None, max_length=16)
    category: str | None = Field(None, max_length=32)
    channel: str | None = Field(None, max_length=16)
    kind: str | None = Field(None, max_length=16)
    region: str | None = Field(None, max_length=12)
    flag: str | None = Field(None, pattern="^(collective|repeat|skip_level|backlog|overdue)$")
    q: str | None = Field(None, max_length=100)
    received_from: dt.date | None = Field(None, ge=dt.date(1900, 1, 1), le=dt.date(2100, 12, 31))
    received_to: dt.date | None = Field(None, ge=dt.date(1900, 1, 1), le=dt.date(2100, 12, 31))
    mediated_from: dt.date | None = Field(None, ge=dt.date(1900, 1, 1), le=dt.date(2100, 12, 31))
    mediated_to: dt.date | None = Field(None, ge=dt.date(1900, 1, 1), le=dt.date(2100, 12, 31))
    confirmed_from: dt.date | None = Field(None, ge=dt.date(1900, 1, 1), le=dt.date(2100, 12, 31))
    confirmed_to: dt.date | None = Field(None, ge=dt.date(1900, 1, 1), le=dt.date(2100, 12, 31))
    backlog_marked_from: dt.date | None = Field(None, ge=dt.date(1900, 1, 1), le=dt.date(2100, 12, 31))
    backlog_marked_to: dt.date | None = Field(None, ge=dt.date(1900, 1, 1), le=dt.date(2100, 12, 31))
    backlog_resolved_from: dt.date | None = Field(None, ge=dt.date(1900, 1, 1), le=dt.date(2100, 12, 31))
    backlog_resolved_to: dt.date | None = Field(None, ge=dt.date(1900, 1, 1), le=dt.date(2100, 12, 31))
    mediation_outcome: str | None = Field(None, pattern="^(agreed|failed)$")
    mediation_level: str | None = Field(None, pattern="^(village|township|district)$")
    disposition: str | None = Field(None, pattern="^(on_time|late|overdue)$")
    acceptance: str | None = Field(None, pattern="^(on_time|late|overdue)$")
    handling: str | None = Field(None, pattern="^(on_time|late|pending|overdue)$")
    evaluation: str | None = Field(None, pattern="^(rated|satisfied|overdue)$")
    # Keyset paging (the `next_cursor` of the previous answer): one index range at any depth,
    # where `page` is an OFFSET that reads every row before the page.
    cursor: str | None = Field(None, max_length=40, pattern=r"^\d{1,19}_\d{1,19}$")


@router.post("/cases", response={201: dict[str, Any], 200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="登记事项（一次登记，一个编号）")
def case_create(request: HttpRequest, body: CaseIn) -> Any:
    _need(request, "case.register")

    def run() -> tuple[int, Any]:
        case, code = services.case_register(actor=request.user, data=body)
        detail = selectors.case_detail(user=request.user, pk=case.pk) or case
        hits = _visible_hits(request, getattr(case, "similar_hits", []))[:10]
        out = case_out(detail, user=request.user, similar=_similar_out(hits))
        out["query_code"] = code
        return 201, out

    status, out = run_idempotent(key=request.headers.get("Idempotency-Key"), user_id=request.user.pk,
                                 endpoint="POST /cases", fn=run, secret_fields=("query_code",),
                                 request_hash=fingerprint(body.model_dump(mode="json")))
    return Status(status, out)


@router.get("/cases", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="事项列表")
def case_list(request: HttpRequest, filters: Query[CaseFilter]) -> Any:
    _need(request, "case.view")
    return case_page(selectors.case_list(user=request.user, filters=filters.dict()), filters)


def case_page(qs: Any, params: CaseFilter) -> dict[str, Any]:
    """API.md's `{"items", "count"}` with the count capped at `selectors.COUNT_CAP`: `count_is_exact`
    is false when there are more (then `count` is the cap: show "10000+"), and `next_cursor` pages
    on by keyset (`?cursor=`) when the page is full. Two queries plus the selector's prefetches."""
    base = qs
    if params.cursor:
        try:
            qs = selectors.after_cursor(qs, params.cursor)
        except selectors.BadCursor as exc:
            raise ValidationFailed.on("cursor", "翻页位置无效，请从第一页重新查询") from exc
        start = 0
    else:
        start = (params.page - 1) * params.page_size
    rows = list(qs[start : start + params.page_size])
    count, exact = selectors.capped_count(base)
    return {
        "items": [case_summary(c) for c in rows], "count": count, "count_is_exact": exact,
        "count_cap": selectors.COUNT_CAP,
        "next_cursor": selectors.encode_cursor(rows[-1]) if len(rows) == params.page_size else None,
    }


@router.get("/cases/{int:case_id}", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="事项详情")
def case_detail(request: HttpRequest, case_id: int) -> Any:
    _need(request, "case.view")
    return case_out(_detail_or_404(request, case_id), user=request.user)


@router.get("/cases/{int:case_id}/actions", response={200: list[dict[str, Any]], 403: ErrorOut, **ERRORS},
            summary="当前可执行的操作")
def case_actions(request: HttpRequest, case_id: int) -> Any:
    _need(request, "case.view")
    case = _detail_or_404(request, case_id)
    return [{"action": t.action, "label": t.label, "input_schema": t.schema.__name__, "basis": t.basis,
             "schema": t.schema.model_json_schema()} for t in services.available_actions(case=case, actor=request.user)]


@router.post("/cases/{int:case_id}/actions/{action}", response={200: dict[str, Any], 403: ErrorOut, 409: ErrorOut, **ERRORS},
             summary="执行一个流程操作")
def case_action(request: HttpRequest, case_id: int, action: str, body: dict[str, Any] = Body(...)) -> Any:  # noqa: B008
    _need(request, "case.view")
    if action not in BY_ACTION:
        raise Http404

    def run() -> tuple[int, Any]:
        services.case_act(case=case_id, actor=request.user, action=action, data=body)
        return 200, case_out(_detail_or_404(request, case_id), user=request.user)

    status, out = run_idempotent(key=request.headers.get("Idempotency-Key"), user_id=request.user.pk,
                                 endpoint=f"POST /cases/{case_id}/actions/{action}", fn=run, request_hash=fingerprint(body))
    return Status(status, out)


@router.get("/cases/{int:case_id}/similar", response={200: list[dict[str, Any]], 403: ErrorOut, **ERRORS},
            summary="可能为同一事项的既往事项")
def case_similar(request: HttpRequest, case_id: int) -> Any:
    _need(request, "case.view")
    case = selectors.case_for_similar(user=request.user, pk=case_id)
    if case is None:
        raise Http404
    from fangtiao.screening.similar import similar_to_case

    hits = [{"case": h.case, "score": h.score, "same_matter": h.same_matter, "same_person": h.same_person,
             "text_score": h.text_score, "shared_terms": h.shared_terms, "reasons": h.reasons}
            for h in similar_to_case(case, scope=Case.objects.visible_to(request.user))]
    return _similar_out(hits)


class RevealIn(Schema):
    field: str = Field(..., pattern="^(id_number|phone|address)$")
    reason: str = Field("", max_length=200)


@router.post("/cases/{int:case_id}/parties/{int:party_id}/reveal", response={200: dict[str, str], 403: ErrorOut, **ERRORS},
             summary="查看当事人完整身份证号/电话/住址（记入审计）")
def party_reveal(request: HttpRequest, case_id: int, party_id: int, body: RevealIn) -> Any:
    value = services.party_reveal(actor=request.user, case_id=case_id, party_id=party_id, field=body.field, reason=body.reason)
    return {"value": value}
