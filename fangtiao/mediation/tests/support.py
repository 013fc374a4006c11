"""Builders and assertions shared by the mediation tests (the cases factories drive a case to
"mediating"; these take it on from there).

- `head(xw)`, `mediator(xw)`, `liaison(xw)`: the 东城 committee head and mediator logins, the court liaison.
- `two_parties(**respondent)`: a petitioner and a respondent (a company unless overridden).
- `mediating_case(xw, mediators=("wang_t01",), **intake)`: at the 东城 committee, mediators assigned.
- `held(case, xw)`: a held session recorded.
- `agreed_case(xw, obligations=[...], **options)`: a written (or oral) agreement registered.
- `confirmed_case(xw, ...)`: confirmed by the 黄岩 court, so performing.
- `snapshot(case)` and `refuse(...)`: a refused action raises the expected error (status, field)
  and changes nothing at all — the case, its mediation rows, audit and notifications.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from fangtiao.cases.models import Case
from fangtiao.cases.tests.factories import act, case_in_state, footprint, fresh, person
from fangtiao.core.errors import DomainError
from fangtiao.mediation.models import (
    Agreement,
    ArchiveFile,
    Assignment,
    BacklogRecord,
    Confirmation,
    Enforcement,
    FollowUp,
    Mediation,
    Obligation,
    OpinionRequest,
    Participant,
    PartyNotice,
    Performance,
    RiskReport,
    Session,
    Signature,
)
from fangtiao.org import services as org_services
from fangtiao.org.models import Unit, User

# --- people ------------------------------------------------------------------------------------


def head(xw: Any) -> User:
    return xw.user("t01_committee", "committee_head")


def mediator(xw: Any) -> User:
    return xw.user("t01_committee", "mediator")


def liaison(xw: Any, court: Unit | None = None) -> User:
    return xw.user(court or xw.units["court"], "court_liaison")


def unit(xw: Any, key: str, name: str, kind: str, level: str, region: Any) -> Unit:
    """A unit the base world lacks (a police station, another court), made once per test."""
    u = org_services.unit_create(actor=None, name=name, short_name=key, kind=kind, level=level, region=region)
    return Unit.objects.select_related("region").get(pk=u.pk)


# --- parties and cases -------------------------------------------------------------------------

def two_parties(**respondent: Any) -> list[dict[str, Any]]:
    other = {"role": "respondent", "type": "organisation", "name": "黄岩某某物业服务有限公司", "id_number": "",
             "phone": "", "address": "东城街道某路1号"}
    other.update(respondent)
    return [person(), other]


def mediating_case(xw: Any, mediators: tuple[str, ...] = ("wang_t01",), **overrides: Any) -> Case:
    """A case at the 东城 committee in mediation (both parties consented when routed), mediators assigned."""
    overrides.setdefault("parties", two_parties())
    case = case_in_state(xw, "mediating", **overrides)
    if mediators:
        case = act(case, head(xw), "assign", mediators=[xw.w.mediators[k].pk for k in mediators])
    return case


def held(case: Case, xw: Any, **data: Any) -> Case:
    body = {"applicant_statement": "物业多收电梯费300元", "respondent_statement": "同意退还", "outcome": "continue"}
    body.update(data)
    return act(case, mediator(xw), "record_session", **body)


def parties(case: Case) -> list[Any]:
    return list(case.parties.order_by("sort", "id"))


def obligations_for(case: Case, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Obligation payloads with `party` given as an index into the case's parties."""
    ps = parties(case)
    out = []
    for r in rows:
        r = dict(r)
        r["party"] = ps[r.get("party", 1)].pk
        if isinstance(r.get("due_on"), dt.date):
            r["due_on"] = r["due_on"].isoformat()
        out.append(r)
    return out


def agree_body(case: Case, *, obligations: list[dict[str, Any]] | None = None, **data: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"form": "written", "terms": "物业公司退还多收的电梯维修费", "facts": "物业公司重复收取电梯费",
                            "disputes": "是否重复收费；物业公司负全部责任"}
    if obligations is None:
        obligations = [{"content": "退还电梯维修费", "amount": "300.00",
                        "due_on": timezone.localdate() + dt.timedelta(days=10)}]
    body["obligations"] = obligations_for(case, obligations)
    body.update(data)
    return body


def agreed_case(xw: Any, *, obligations: list[dict[str, Any]] | None = None, case: Case | None = None,
                **data: Any) -> Case:
    """A case with an agreement registered (written and signed on the spot unless told otherwise)."""
    if case is None:
        case = mediating_case(xw)
    case = held(case, xw, outcome="agreed")
    return act(case, mediator(xw), "agree", **agree_body(case, obligations=obligations, **data))


def confirmed_case(xw: Any, **kw: Any) -> Case:
    case = agreed_case(xw, **kw)
    case = act(case, mediator(xw), "apply_confirmation", court=xw.units["court"].pk)
    return act(case, liaison(xw), "record_confirmation", result="confirmed")


def agreement(case: Case) -> Agreement:
    return Agreement.objects.filter(case=case).exclude(status="superseded").latest("id")


def current_round(case: Case) -> Mediation:
    return Mediation.objects.filter(case=case).latest("round")


# --- refusals change nothing ---------------------------------------------------------------------

_CASE_ROWS = (Mediation, Assignment, PartyNotice, Participant, Session, RiskReport, Agreement, Signature, Obligation,
              Performance, Confirmation, Enforcement, FollowUp, BacklogRecord, ArchiveFile, OpinionRequest)


def snapshot(case: Case | int) -> dict[str, Any]:
    """footprint() of the case plus every mediation row hanging off it."""
    c = fresh(case)
    out = footprint(c)
    out.update({m.__name__: m.objects.filter(case=c).count() for m in _CASE_ROWS})
    out.update({
        "cases": Case.objects.count(),
        "backlog": c.is_backlog, "risk": c.is_escalation_risk,
        "rounds": sorted(Mediation.objects.filter(case=c).values_list("round", "status", "public")),
        "assignments": sorted(Assignment.objects.filter(case=c).values_list("mediator_id", "active")),
        "notices": sorted(PartyNotice.objects.filter(case=c).values_list("party_id", "consent", "wants_public")),
        "sessions": sorted(Session.objects.filter(case=c).values_list("pk", "status")),
        "agreements": sorted(Agreement.objects.filter(case=c).values_list("pk", "status", "effective_on")),
        "obligations": sorted(Obligation.objects.filter(case=c).values_list("pk", "status", "performed_amount",
                                                                             "enforced")),
        "confirmations": sorted(Confirmation.objects.filter(case=c).values_list("pk", "result", "accepted_on",
                                                                                 "extended")),
    })
    return out


def refuse(case: Case, actor: Any, action: str, status: int, field: str | None = None, **data: Any) -> DomainError:
    """`action` is refused with HTTP `status` (and a field error on `field`), changing nothing."""
    before = snapshot(case)
    with pytest.raises(DomainError) as info:
        act(case, actor, action, **data)
    err = info.value
    assert err.status == status, (err.status, err.detail, err.errors)
    if field is not None:
        assert field in {e.field for e in err.errors}, err.errors
    assert snapshot(case) == before
    return err
