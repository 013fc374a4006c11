"""Read queries of mediation: mediator suggestions with reasons and conflict exclusions, the
competent courts for judicial confirmation, and the work queues of each role.

Everything a list shows is fetched with a fixed number of queries (no N+1); scores and workloads
are computed in the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import (
    Case as When_,
)
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from fangtiao.cases.models import Case, Party
from fangtiao.mediation.choices import (
    OPEN_OBLIGATION,
    ConfirmationResult,
    CourtBasis,
    MediationStatus,
    SessionStatus,
)
from fangtiao.mediation.models import (
    Agreement,
    ArchiveFile,
    Assignment,
    BacklogRecord,
    Confirmation,
    Mediation,
    MediatorRelation,
    Obligation,
    OpinionRequest,
    PartyNotice,
    Session,
)
from fangtiao.org.choices import MEDIATION_UNIT_KINDS, MediatorRank, PersonStatus, UnitKind
from fangtiao.org.models import Mediator, Region, Unit

# Weights of the suggestion score (docs/mediation.md explains each).
W_SPECIALTY = 40
W_SAME_UNIT = 25
W_LOCAL = 15
W_RANK = {MediatorRank.CHIEF: 10, MediatorRank.SENIOR: 6, MediatorRank.REGULAR: 0}
W_FULL_TIME = 5
W_LOAD = 8  # per open case in hand
W_ROTATION_MAX = 10  # least recently assigned first, up to 30 days

VILLAGE_BODY_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会")


def current_round(case: Case) -> Mediation | None:
    return case.mediations.order_by("-round").first()


def open_round(case: Case) -> Mediation | None:
    return case.mediations.filter(status=MediationStatus.OPEN).order_by("-round").first()


def current_agreement(case: Case) -> Agreement | None:
    return case.agreements.exclude(status="superseded").order_by("-id").first()


# --- conflicts (回避) ----------------------------------------------------------------------------

def _party_facts(case: Case) -> dict[str, Any]:
    parties = list(case.parties.all())
    villages = {p.village_id for p in parties if p.village_id}
    village_bodies = [p for p in parties if p.type == "organisation" and p.name.endswith(VILLAGE_BODY_SUFFIXES)]
    return {
        "parties": parties,
        "phones": {p.phone_index: p for p in parties if p.phone_index},
        "ids": {p.id_index: p for p in parties if p.id_index},
        "employers": {(p.employer or "").strip(): p for p in parties if (p.employer or "").strip()}
        | {p.name.strip(): p for p in parties if p.type == "organisation" and p.name.strip()},
        "village_body_regions": {p.village_id or case.region_id for p in village_bodies},
        "villages": villages,
    }


def conflicts(case: Case, mediators: list[Mediator]) -> dict[int, str]:
    """Mediator id → why they must step aside (人民调解法 第15条 impartiality; 回避): the mediator is a
    party; is related to a party by a declared relation; works for a party or a party's employer; or sits
    on the village committee whose 村（居）委会 is itself a party. Two queries whatever the list."""
    if not mediators:
        return {}
    facts = _party_facts(case)
    out: dict[int, str] = {}
    ids = [m.pk for m in mediators]
    relations = MediatorRelation.objects.filter(mediator_id__in=ids).filter(
        Q(id_index__in=[k for k in facts["ids"] if k]) | Q(phone_index__in=[k for k in facts["phones"] if k]))
    for r in relations:
        party = facts["ids"].get(r.id_index) or facts["phones"].get(r.phone_index)
        if party is not None:
            out.setdefault(r.mediator_id, f"与当事人{party.name}有{r.get_relation_display()}关系（已申报回避）")
    for m in mediators:
        if m.pk in out:
            continue
        if m.phone_index and m.phone_index in facts["phones"]:
            out[m.pk] = f"调解员本人即当事人{facts['phones'][m.phone_index].name}"
            continue
        same_named = [p for p in facts["parties"] if p.name == m.name and p.type == "person"
                      and (p.village_id is None or p.village_id == m.unit.region_id)]
        if same_named and m.unit.region_id in (facts["villages"] | {case.region_id}):
            out[m.pk] = f"调解员与当事人{m.name}同名同村，可能即为当事人本人"
            continue
        employer = (m.employer or "").strip()
        if employer and employer in facts["employers"]:
            out[m.pk] = f"调解员与当事人{facts['employers'][employer].name}同属{employer}"
            continue
        if m.unit.kind == UnitKind.VILLAGE_COMMITTEE and m.unit.region_id in facts["village_body_regions"]:
            out[m.pk] = "调解员所在村（居）的村（居）民委员会是一方当事人"
    return out


# --- suggestions -----------------------------------------------------------------------------

@dataclass
class Suggestion:
    mediator: Mediator
    score: float
    reasons: list[str] = field(default_factory=list)
    load: int = 0
    last_assigned: dt.datetime | None = None
    conflict: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"mediator": self.mediator.pk, "name": self.mediator.name, "unit": self.mediator.unit_id,
                "unit_name": self.mediator.unit.name, "employment": self.mediator.employment, "score": self.score,
                "reasons": self.reasons, "load": self.load,
                "last_assigned": self.last_assigned.isoformat() if self.last_assigned else None,
                "conflict": self.conflict}


def candidate_pool(unit: Unit) -> Q:
    """Who a committee can draw on: its own mediators and those of every mediation organisation in its
    township (a village committee reaches up to its township; a district committee covers the district)."""
    region = unit.region
    if region.level == "village" and region.parent_id:
        region = Region.objects.only("path").get(pk=region.parent_id)
    # The units first (an indexed prefix on regions), then their mediators: an OR across the joins
    # would read every mediator of the province.
    units = Unit.objects.filter(Q(pk=unit.pk) | Q(region__path__startswith=region.path,
                                                  kind__in=list(MEDIATION_UNIT_KINDS))).values("pk")
    return Q(unit_id__in=units)


def _scored(case: Case, unit: Unit) -> QuerySet[Mediator]:
    """The committee's pool with each mediator's database-computed score parts, best first."""
    path_codes = [c for c in case.region_path.strip("/").split("/") if c]
    # Active assignments are those of open rounds (ending or superseding a round ends them): the partial
    # index on (mediator) WHERE active answers the count; the latest assignment is one index probe.
    load_sq = (Assignment.objects.filter(mediator_id=OuterRef("pk"), active=True)
               .order_by().values("mediator_id").annotate(n=Count("*")).values("n"))
    last_sq = Assignment.objects.filter(mediator_id=OuterRef("pk")).order_by("-assigned_at").values("assigned_at")[:1]
    specialty = Exists(Mediator.specialties.through.objects.filter(mediator_id=OuterRef("pk"),
                                                                  disputecategory_id=case.category_id)) \
        if case.category_id else Value(False)
    return (Mediator.objects.filter(candidate_pool(unit), status=PersonStatus.ACTIVE, unit__active=True)
            .annotate(
                has_specialty=specialty,
                load=Coalesce(Subquery(load_sq, output_field=IntegerField()), 0),
                last_assigned=Subquery(last_sq),
                local=When_(When(unit__region__code__in=path_codes, then=Value(1)), default=Value(0),
                            output_field=IntegerField()),
                same_unit=When_(When(unit_id=unit.pk, then=Value(1)), default=Value(0), output_field=IntegerField()),
                rank_w=When_(*[When(rank=k, then=Value(v)) for k, v in W_RANK.items()], default=Value(0),
                             output_field=IntegerField()),
                ft=When_(When(employment="full_time", then=Value(W_FULL_TIME)), default=Value(0),
                         output_field=IntegerField()),
            )
            .annotate(base=When_(When(has_specialty=True, then=Value(W_SPECIALTY)), default=Value(0),
                                 output_field=IntegerField())
                      + F("same_unit") * W_SAME_UNIT + F("local") * W_LOCAL + F("rank_w") + F("ft") - F("load") * W_LOAD)
            .order_by("-base", "last_assigned", "id"))


def _score(base: int, last_assigned: dt.datetime | None, now: dt.datetime) -> tuple[float, int | None]:
    """The final score: the database part plus rotation (least recently assigned first, up to 30 days)."""
    days = (now - last_assigned).days if last_assigned else None
    rotation = W_ROTATION_MAX if days is None else min(days, 30) * W_ROTATION_MAX / 30
    return round(base + rotation, 1), days


def _suggestion(m: Mediator, case: Case, now: dt.datetime, conflict: str = "") -> Suggestion:
    reasons = []
    if m.has_specialty:
        reasons.append(f"擅长{case.category.name if case.category_id else ''}纠纷")
    if m.same_unit:
        reasons.append("本调委会调解员")
    if m.local:
        reasons.append(f"熟悉当地（{m.unit.region.name}）")
    if m.rank_w:
        reasons.append(m.get_rank_display())
    if m.ft:
        reasons.append("专职")
    reasons.append(f"在办{m.load}件" if m.load else "当前无在办案件")
    score, days = _score(m.base, m.last_assigned, now)
    reasons.append("从未指派，轮到优先" if days is None else f"上次指派在{days}日前")
    return Suggestion(mediator=m, score=score, reasons=reasons, load=m.load, last_assigned=m.last_assigned,
                      conflict=conflict)


def suggest_mediators(case: Case, unit: Unit, *, limit: int = 10, include_conflicted: bool = True) -> list[Suggestion]:
    """Mediators ranked for this case at this committee, each with the reasons of its score:
    specialty in the dispute category, same committee, local to the place (就地), rank and full-time
    status, current workload, and rotation (least recently assigned first). Conflicted mediators are
    listed last with the reason they are excluded (or dropped with include_conflicted=False)."""
    now = timezone.now()
    rows = list(_scored(case, unit).select_related("unit__region").defer("phone", "notes")[: max(limit * 4, 40)])
    excluded = conflicts(case, rows)
    out = [_suggestion(m, case, now, excluded.get(m.pk, "")) for m in rows]
    out.sort(key=lambda s: (bool(s.conflict), -s.score, s.mediator.pk))
    if not include_conflicted:
        out = [s for s in out if not s.conflict]
    return out[:limit]


def assignment_evidence(case: Case, unit: Unit, mediator_ids: list[int]) -> dict[int, dict[str, Any]]:
    """What an assignment records of the system's suggestion for each chosen mediator: score, reasons
    and rank in the committee's pool. Two queries whatever the pool: the pool's scores as bare values,
    then the chosen mediators' rows (no decryption, no conflict check of the whole pool)."""
    now = timezone.now()
    ranking = sorted(((-_score(base, last, now)[0], pk) for pk, base, last
                      in _scored(case, unit).values_list("pk", "base", "last_assigned")))
    rank = {pk: i for i, (_s, pk) in enumerate(ranking, start=1)}
    chosen = _scored(case, unit).filter(pk__in=mediator_ids).select_related("unit__region").defer("phone", "notes")
    out = {}
    for m in chosen:
        s = _suggestion(m, case, now)
        out[m.pk] = {"score": s.score, "reasons": s.reasons, "rank": rank.get(m.pk), "pool": len(rank)}
    return out


# --- courts ----------------------------------------------------------------------------------

@dataclass
class CourtOption:
    court: Unit
    basis: str
    reason: str


def court_options(case: Case, mediation: Mediation | None) -> list[CourtOption]:
    """The courts competent to confirm (民事诉讼法(2023) 第205条): the inviting court if a court invited
    the mediation; otherwise the basic court of a party's domicile, of the subject matter's place, or of
    the mediation organisation's place. A tribunal (人民法庭) is part of its basic court and is offered
    where it sits in the place's township."""
    if mediation is not None and mediation.inviting_court_id:
        return [CourtOption(mediation.inviting_court, CourtBasis.INVITING, "该调解由人民法院委派（先行调解），应向委派法院申请")]
    threshold = settings.FANGTIAO_INTERMEDIATE_COURT_AMOUNT
    if threshold and case.amount is not None and case.amount >= threshold:
        codes = [c for c in case.region_path.strip("/").split("/") if c]
        return [CourtOption(c, CourtBasis.INTERMEDIATE, f"争议金额达到{threshold}元，属中级人民法院管辖")
                for c in Unit.objects.filter(kind=UnitKind.COURT, level="city", active=True, region__code__in=codes)
                .order_by("id")]
    places: list[tuple[str, Region | None, str]] = [(CourtBasis.SUBJECT, case.region, "标的物（纠纷发生地）所在地")]
    for p in case.parties.select_related("village"):
        if p.village_id:
            places.append((CourtBasis.DOMICILE, p.village, f"当事人{p.name}住所地"))
    if mediation is not None:
        places.append((CourtBasis.COMMITTEE, mediation.unit.region, f"调解组织（{mediation.unit.name}）所在地"))
    out: dict[int, CourtOption] = {}
    for basis, region, why in places:
        if region is None:
            continue
        codes = [c for c in region.path.strip("/").split("/") if c]
        courts = (Unit.objects.filter(kind__in=[UnitKind.COURT, UnitKind.TRIBUNAL], active=True, region__code__in=codes)
                  .select_related("region").order_by("-region__depth", "id"))
        for c in courts:
            if c.kind == UnitKind.COURT and c.level != "district":
                continue  # basic courts only; an intermediate court only where the dispute falls to it
            out.setdefault(c.pk, CourtOption(c, basis, f"{why}的基层人民法院" if c.kind == UnitKind.COURT
                                             else f"{why}的人民法庭"))
    return list(out.values())


# --- work queues -----------------------------------------------------------------------------

def mediation_summary(case: Case) -> dict[str, Any]:
    """Everything the case page and the API show about mediation, in a fixed number of queries
    (one when the case never reached mediation and is no backlog case)."""
    if not case.is_backlog and not case.mediations.exists():
        return {"rounds": [], "agreements": [], "confirmations": [], "opinions": [], "follow_ups": [],
                "enforcements": [], "risks": [], "backlog": None, "archive": None}
    rounds = list(case.mediations.select_related("unit", "inviting_court").prefetch_related(
        Prefetch("assignments", queryset=Assignment.objects.select_related("mediator", "requested_by")),
        Prefetch("notices", queryset=PartyNotice.objects.select_related("party")),
        "participants",
        Prefetch("sessions", queryset=Session.objects.select_related("room").prefetch_related("present_parties")),
    ).order_by("round"))
    agreements = list(case.agreements.prefetch_related(
        Prefetch("obligations", queryset=Obligation.objects.select_related("party").prefetch_related("performances")),
        Prefetch("signatures"),
    ).order_by("id"))
    confirmations = list(case.confirmations.select_related("court").order_by("id"))
    opinions = list(case.opinion_requests.select_related("expert").order_by("id"))
    follow_ups = list(case.follow_ups.select_related("party", "visitor").order_by("id"))
    enforcements = list(case.enforcements.select_related("court").prefetch_related("obligations").order_by("id"))
    risks = list(case.risk_reports.select_related("police_unit").order_by("id"))
    backlog = BacklogRecord.objects.filter(case=case).select_related("responsible_leader", "resolved_unit").first()
    archive = ArchiveFile.objects.filter(case=case).first()
    return {"rounds": rounds, "agreements": agreements, "confirmations": confirmations, "opinions": opinions,
            "follow_ups": follow_ups, "enforcements": enforcements, "risks": risks, "backlog": backlog, "archive": archive}


def is_assigned(case: Case, user: Any) -> bool:
    """The user's mediator record is assigned to the case (now, or kept to the end of a round)."""
    from fangtiao.mediation.services import ROUND_ENDED

    mediator_id = getattr(getattr(user, "mediator", None), "pk", None)
    if mediator_id is None:
        return False
    return Assignment.objects.filter(Q(active=True) | Q(end_reason=ROUND_ENDED), case=case,
                                     mediator_id=mediator_id).exists()


def my_mediations(user: Any) -> QuerySet[Case]:
    """The mediator's cases: an active assignment of the mediator linked to the login, or one the
    mediator kept to the end of the round (agreement, failure) — they follow it through performance."""
    from fangtiao.mediation.services import ROUND_ENDED

    mediator_id = getattr(getattr(user, "mediator", None), "pk", None)
    if mediator_id is None:
        return Case.objects.none()
    mine = Assignment.objects.filter(Q(active=True) | Q(end_reason=ROUND_ENDED), mediator_id=mediator_id)
    return Case.objects.filter(pk__in=mine.values("case_id"))


def sessions_on(user: Any, day: dt.date) -> QuerySet[Session]:
    """Sessions of a day for the user's committee (and the mediator's own cases)."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = start + dt.timedelta(days=1)
    mine = Q(mediation__unit_id=user.unit_id)
    mediator_id = getattr(getattr(user, "mediator", None), "pk", None)
    if mediator_id:
        mine |= Q(mediation__assignments__mediator_id=mediator_id, mediation__assignments__active=True)
    return (Session.objects.filter(mine, starts_at__gte=start, starts_at__lt=end)
            .exclude(status=SessionStatus.CANCELLED).select_related("case", "room", "mediation__unit").distinct()
            .order_by("starts_at"))


def unassigned_rounds(unit_id: int) -> QuerySet[Mediation]:
    """Open rounds at a committee that have no active mediator yet: the assignment board."""
    return (Mediation.objects.filter(unit_id=unit_id, status=MediationStatus.OPEN)
            .exclude(Exists(Assignment.objects.filter(mediation_id=OuterRef("pk"), active=True)))
            .select_related("case__category", "case__region").order_by("started_on", "id"))


def mediator_loads(unit: Unit) -> QuerySet[Mediator]:
    """Mediators a committee can draw on, with their open cases (the board's workload column)."""
    return (Mediator.objects.filter(candidate_pool(unit), status=PersonStatus.ACTIVE)
            .annotate(load=Count("assignments", filter=Q(assignments__active=True,
                                                          assignments__mediation__status=MediationStatus.OPEN)))
            .select_related("unit").order_by("-load", "name"))


def confirmation_queue(user: Any) -> QuerySet[Confirmation]:
    """A court liaison's queue: applications to the liaison's court awaiting acceptance or decision."""
    return (Confirmation.objects.filter(court_id=user.unit_id, result=ConfirmationResult.PENDING)
            .select_related("case", "agreement").order_by("applied_on", "id"))


def overdue_obligations(cases: QuerySet[Case]) -> QuerySet[Obligation]:
    return (Obligation.objects.filter(case__in=cases, status__in=OPEN_OBLIGATION, due_on__lt=timezone.localdate(),
                                      agreement__status="effective")
            .select_related("case", "party", "agreement").order_by("due_on", "id"))


def stuck_in_mediation(cases: QuerySet[Case], *, today: dt.date | None = None) -> QuerySet[Mediation]:
    """Open rounds past their mediation period (the clock) — leaders' 'stuck in mediation' list."""
    from fangtiao.clocks.models import Clock

    today = today or timezone.localdate()
    late = Clock.objects.filter(case_id=OuterRef("case_id"), code="mediation.period", state__in=["running", "overdue"],
                                due_on__lt=today)
    return (Mediation.objects.filter(case__in=cases, status=MediationStatus.OPEN).filter(Exists(late))
            .select_related("case", "unit").order_by("started_on", "id"))


def backlog_by_leader(cases: QuerySet[Case]) -> QuerySet[BacklogRecord]:
    return (BacklogRecord.objects.filter(case__in=cases).select_related("case", "responsible_leader", "resolved_unit")
            .order_by("responsible_leader_id", "resolved_on", "marked_on"))


def opinion_requests_for(user: Any) -> QuerySet[OpinionRequest]:
    expert_id = getattr(getattr(user, "expert", None), "pk", None)
    if expert_id is None:
        return OpinionRequest.objects.none()
    return OpinionRequest.objects.filter(expert_id=expert_id).select_related("case").order_by("answered_at", "due_on")


def party_of(case: Case, party_id: int | None) -> Party | None:
    if party_id is None:
        return None
    return case.parties.filter(pk=party_id).first()
