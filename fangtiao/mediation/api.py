"""Mediation endpoints: the `mediation` block of a case (API.md § Case), mediator suggestions,
competent courts, rooms, the court liaison's confirmation queue, archives, and the report of
confirmed agreements paid voluntarily vs enforced. Lifecycle actions go through
POST /cases/{id}/actions/{action} (cases.api)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router

from fangtiao.cases import selectors as case_selectors
from fangtiao.cases.models import Case
from fangtiao.core.api import ERRORS, ErrorOut, PageIn, paginate
from fangtiao.core.errors import PermissionDenied
from fangtiao.mediation import selectors
from fangtiao.mediation.choices import ConfirmationResult
from fangtiao.mediation.models import ArchiveFile, Confirmation, Performance, Room
from fangtiao.org.permissions import has_capability

router = Router(tags=["人民调解"])


def _need(request: HttpRequest, capability: str) -> None:
    if not has_capability(request.user, capability):
        raise PermissionDenied()


def _case(request: HttpRequest, case_id: int) -> Case:
    _need(request, "case.view")
    case = case_selectors.case_detail(user=request.user, pk=case_id)
    if case is None:
        raise Http404
    return case


def _d(v: Any) -> Any:
    return str(v) if v is not None else None


def mediation_out(case: Case) -> dict[str, Any] | None:
    """The `mediation` block of GET /cases/{id}: rounds with mediators, notices, sessions; agreements with
    obligations and signatures; confirmation; enforcement; follow-ups; backlog; archive. None if the case
    never reached mediation."""
    data = selectors.mediation_summary(case)
    if not data["rounds"] and not data["backlog"] and not data["opinions"]:
        return None
    from fangtiao.mediation.handlers import enforcement_deadline
    from fangtiao.mediation.services import missing_signatures

    rounds = []
    for m in data["rounds"]:
        rounds.append({
            "id": m.pk, "round": m.round, "number": m.number, "unit": m.unit_id, "unit_name": m.unit.name,
            "status": m.status, "public": m.public, "started_on": m.started_on, "ended_on": m.ended_on,
            "end_reason": m.end_reason, "routes_told": m.routes_told, "extended_days": m.extended_days,
            "mediators": [{"id": a.mediator_id, "name": a.mediator.name, "chosen_by": a.chosen_by, "lead": a.lead,
                           "active": a.active, "reason": a.reason, "suggestion": a.suggestion,
                           "end_reason": a.end_reason} for a in m.assignments.all()],
            "notices": [{"party": n.party_id, "name": n.party.name, "rights_notified_on": n.rights_notified_on,
                         "guidance_acknowledged_on": n.guidance_acknowledged_on, "consent": n.consent,
                         "wants_public": n.wants_public} for n in m.notices.all()],
            "participants": [{"name": x.name, "relation": x.relation, "consent": x.consent_recorded}
                             for x in m.participants.all()],
            "sessions": [{"id": s.pk, "seq": s.seq, "kind": s.kind, "status": s.status, "starts_at": s.starts_at,
                          "ends_at": s.ends_at, "room": str(s.room) if s.room_id else None, "place": s.place,
                          "on_site": s.on_site, "participants": s.participants,
                          "present": [x.pk for x in s.present_parties.all()], "absent_note": s.absent_note,
                          "notices_given": s.notices_given, "applicant_statement": s.applicant_statement,
                          "respondent_statement": s.respondent_statement, "evidence": s.evidence,
                          "risk_warning": s.risk_warning, "proposal": s.proposal, "outcome": s.outcome,
                          "next_step": s.next_step, "recorder": s.recorder} for s in m.sessions.all()],
        })
    agreements = []
    for a in data["agreements"]:
        agreements.append({
            "id": a.pk, "number": a.number, "form": a.form, "status": a.status, "facts": a.facts, "disputes": a.disputes,
            "terms": a.terms, "performance": a.performance, "reached_on": a.reached_on, "effective_on": a.effective_on,
            "copies": a.copies, "involves_status_relation": a.involves_status_relation,
            "confirms_ownership": a.confirms_ownership, "special_procedure": a.special_procedure,
            "missing_signatures": missing_signatures(a) if a.status == "signing" else [],
            "signatures": [{"signer_kind": s.signer_kind, "party": s.party_id, "mediator": s.mediator_id,
                            "method": s.method, "signed_on": s.signed_on, "has_image": bool(s.image)}
                           for s in a.signatures.all()],
            "obligations": [{"id": o.pk, "seq": o.seq, "party": o.party_id, "party_name": o.party.name,
                             "content": o.content, "amount": _d(o.amount), "due_on": o.due_on,
                             "instalment": o.instalment, "status": o.status, "performed_amount": _d(o.performed_amount),
                             "done_on": o.done_on, "enforced": o.enforced,
                             "performances": [{"done_on": p.done_on, "amount": _d(p.amount), "proof_kind": p.proof_kind,
                                               "proof_note": p.proof_note, "enforced": p.enforced}
                                              for p in o.performances.all()]} for o in a.obligations.all()],
        })
    current = agreements[-1] if agreements else None
    conf = data["confirmations"]
    return {
        "rounds": rounds,
        "mediators": rounds[-1]["mediators"] if rounds else [],
        "sessions": [s for r in rounds for s in r["sessions"]],
        "agreement": current,
        "agreements": agreements,
        "obligations": current["obligations"] if current else [],
        "confirmation": _confirmation_out(conf[-1]) if conf else None,
        "confirmations": [{"id": c.pk, "court": c.court_id, "result": c.result, "applied_on": c.applied_on,
                           "decided_on": c.decided_on} for c in conf],
        "enforcements": [{"court": e.court_id, "court_name": e.court.name, "applied_on": e.applied_on,
                          "obligations": [o.pk for o in e.obligations.all()]} for e in data["enforcements"]],
        "enforcement_deadline": enforcement_deadline(case) if conf else None,
        "opinions": [{"id": o.pk, "expert": o.expert_id, "expert_name": o.expert.name, "question": o.question,
                      "due_on": o.due_on, "opinion": o.opinion, "answered_at": o.answered_at} for o in data["opinions"]],
        "follow_ups": [{"id": f.pk, "party": f.party_id, "method": f.method, "visited_on": f.visited_on,
                        "performance": f.performance, "satisfaction": f.satisfaction, "lawsuit": f.lawsuit,
                        "lawsuit_result": f.lawsuit_result, "risk": f.risk, "measures": f.measures, "notes": f.notes,
                        "recurrence": f.recurrence, "new_case": f.new_case_id,
                        "visitor": f.visitor.name or f.visitor.username} for f in data["follow_ups"]],
        "risks": [{"description": r.description, "measures": r.measures, "police": r.police_name,
                   "reported_on": r.reported_on} for r in data["risks"]],
        "backlog": ({"reason": data["backlog"].reason, "by_rule": data["backlog"].by_rule,
                     "marked_on": data["backlog"].marked_on,
                     "responsible_leader": data["backlog"].responsible_leader_id,
                     "resolved_on": data["backlog"].resolved_on,
                     "resolved_unit": data["backlog"].resolved_unit_id} if data["backlog"] else None),
        "archive": ({"number": data["archive"].number, "year": data["archive"].year, "unit": data["archive"].unit_id,
                     "filed_on": data["archive"].filed_on, "items": data["archive"].items}
                    if data["archive"] else None),
    }


def _confirmation_out(c: Confirmation) -> dict[str, Any]:
    return {"id": c.pk, "court": c.court_id, "court_name": c.court.name, "court_basis": c.court_basis,
            "applied_on": c.applied_on, "accepted_on": c.accepted_on, "court_number": c.court_number,
            "extended": c.extended, "result": c.result, "ground": c.ground, "decided_on": c.decided_on,
            "note": c.note, "checklist": c.checklist}


@router.get("/cases/{int:case_id}/mediator-suggestions", response={200: list[dict[str, Any]], 403: ErrorOut, **ERRORS},
            summary="推荐调解员（含理由与回避）")
def mediator_suggestions(request: HttpRequest, case_id: int, limit: int = Query(10, ge=1, le=50)) -> Any:  # noqa: B008
    _need(request, "case.view")
    case = (Case.objects.visible_to(request.user).filter(pk=case_id)
            .select_related("category", "region", "holder_unit__region").first())
    if case is None:
        raise Http404
    m = case.mediations.filter(status="open").select_related("unit__region").order_by("-round").first()
    unit = m.unit if m else case.holder_unit
    return [s.as_dict() for s in selectors.suggest_mediators(case, unit, limit=limit)]


@router.get("/cases/{int:case_id}/courts", response={200: list[dict[str, Any]], 403: ErrorOut, **ERRORS},
            summary="可申请司法确认的法院（民事诉讼法 第205条）")
def courts(request: HttpRequest, case_id: int) -> Any:
    case = _case(request, case_id)
    a = selectors.current_agreement(case)
    m = a.mediation if a else selectors.current_round(case)
    return [{"court": o.court.pk, "name": o.court.name, "basis": o.basis, "reason": o.reason}
            for o in selectors.court_options(case, m)]


class RoomFilter(PageIn):
    unit: int | None = None


@router.get("/mediation/rooms", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="调解室")
def rooms(request: HttpRequest, filters: Query[RoomFilter]) -> Any:
    _need(request, "case.view")
    from fangtiao.org.models import Unit

    qs = Room.objects.filter(active=True, unit__in=Unit.objects.visible_to(request.user)).select_related("unit")
    if filters.unit:
        qs = qs.filter(unit_id=filters.unit)
    return paginate(qs.order_by("unit_id", "name"), filters,
                    lambda r: {"id": r.pk, "unit": r.unit_id, "unit_name": r.unit.name, "name": r.name,
                               "capacity": r.capacity})


class QueueFilter(PageIn):
    result: str | None = Field(None, pattern="^(pending|confirmed|rejected|withdrawn|deemed_withdrawn|not_accepted)$")


@router.get("/confirmations", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="司法确认（法院联络员队列）")
def confirmations(request: HttpRequest, filters: Query[QueueFilter]) -> Any:
    _need(request, "case.view")
    cases = Case.objects.visible_to(request.user)
    qs = Confirmation.objects.filter(case__in=cases).select_related("case", "court", "agreement")
    if filters.result:
        qs = qs.filter(result=filters.result)
    return paginate(qs.order_by("result", "applied_on", "id"), filters, lambda c: {
        "id": c.pk, "case": c.case_id, "number": c.case.number, "agreement": c.agreement.number, "court": c.court_id,
        "court_name": c.court.name, "applied_on": c.applied_on, "accepted_on": c.accepted_on, "result": c.result,
        "decided_on": c.decided_on})


class ArchiveFilter(PageIn):
    unit: int | None = None
    year: int | None = Field(None, ge=2000, le=2100)


@router.get("/archives", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="卷宗目录（按调委会、年度）")
def archives(request: HttpRequest, filters: Query[ArchiveFilter]) -> Any:
    _need(request, "case.view")
    qs = ArchiveFile.objects.filter(case__in=Case.objects.visible_to(request.user)).select_related("unit", "case")
    if filters.unit:
        qs = qs.filter(unit_id=filters.unit)
    if filters.year:
        qs = qs.filter(year=filters.year)
    return paginate(qs.order_by("-year", "unit_id", "id"), filters, lambda a: {
        "number": a.number, "case": a.case_id, "case_number": a.case.number, "unit": a.unit_id, "unit_name": a.unit.name,
        "year": a.year, "title": a.title, "mediators": a.mediators, "filed_on": a.filed_on,
        "retention": a.retention, "items": a.items})


class PeriodIn(PageIn):
    decided_from: dt.date | None = None
    decided_to: dt.date | None = None


@router.get("/mediation/confirmation-performance", response={200: dict[str, Any], 403: ErrorOut, **ERRORS},
            summary="司法确认协议履行情况（自动履行与强制执行）")
def confirmation_performance(request: HttpRequest, filters: Query[PeriodIn]) -> Any:
    """The article's figure: confirmed agreements all paid voluntarily, none enforced."""
    _need(request, "case.view")
    qs = Confirmation.objects.filter(case__in=Case.objects.visible_to(request.user), result=ConfirmationResult.CONFIRMED)
    if filters.decided_from:
        qs = qs.filter(decided_on__gte=filters.decided_from)
    if filters.decided_to:
        qs = qs.filter(decided_on__lte=filters.decided_to)
    return report_confirmation_performance(qs)


def report_confirmation_performance(qs: Any) -> dict[str, Any]:
    """Confirmed agreements: performed voluntarily, enforced (an application filed or a payment made
    through enforcement), or still performing — one aggregate query."""
    from fangtiao.mediation.models import Obligation

    obligations = Obligation.objects.filter(agreement_id=OuterRef("agreement_id"))
    rows = qs.annotate(
        enforced_any=Exists(obligations.filter(enforced=True))
        | Exists(Performance.objects.filter(obligation__agreement_id=OuterRef("agreement_id"), enforced=True)),
        open_any=Exists(obligations.filter(status__in=["pending", "partial", "overdue"])),
    )
    out = rows.aggregate(
        confirmed=Count("pk"),
        enforced=Count("pk", filter=Q(enforced_any=True)),
        performing=Count("pk", filter=Q(enforced_any=False, open_any=True)),
        performed_voluntarily=Count("pk", filter=Q(enforced_any=False, open_any=False)),
    )
    return {k: out[k] for k in ("confirmed", "performed_voluntarily", "enforced", "performing")}
