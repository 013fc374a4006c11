"""Who may see a case (permission AND jurisdiction, DESIGN §2).

- A case is visible in the region subtree of the user's unit (its place's path), and to the
  units it was registered at, is held by, was transferred to, or has a joint-handling task at
  (professional committees and district departments see what is routed to them).
- 检举控告类 (accusation) matters are readable only by the roles that handle them (petition
  officers and leaders) and never by the accused unit
  (信访工作条例 第30条第3款, 第46条(5)).
- Experts see only the cases they are asked for an opinion on (调解专家库); a court sees the
  cases whose agreement it is asked to confirm or enforce; a police station those reported to it
  as an escalation risk (人民调解法 第25条).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from fangtiao.org.choices import Role, UnitKind
from fangtiao.org.jurisdiction import scope_of

ACCUSATION_ROLES = frozenset({Role.OFFICER, Role.LEADER})


def clearance_of(user: Any) -> int:
    """The highest case sensitivity label (安全标记, org.choices.Clearance) the user may see.
    A missing or unreadable value reads as the lowest clearance (fail closed)."""
    try:
        return max(0, int(getattr(user, "clearance", 0) or 0))
    except (TypeError, ValueError):
        return 0


def clearance_allows(user: Any, case: Any) -> bool:
    """The label half of "jurisdiction AND capability AND clearance" for one case in hand."""
    return int(getattr(case, "sensitivity", 0) or 0) <= clearance_of(user)


def may_read_accusations(user: Any) -> bool:
    """Only those who handle accusations: petition officers and leaders (not clerks, mediators,
    administrators or auditors), and never staff of the accused unit (checked per case)."""
    return bool(user.is_superuser or ACCUSATION_ROLES & user.role_codes)


# Units that see every case of their region subtree: the petition and mediation network itself.
# Line departments, courts and tribunals, police, professional committees, studios and other units
# see what is routed to them (held, registered, transferred to them, or a joint-handling task) — the
# issue's "professional committees see what is routed to them", and a 住建局 does not read the
# district's marriage disputes.
ROUTED_ONLY_KINDS = frozenset({
    UnitKind.LINE_DEPARTMENT, UnitKind.COURT, UnitKind.TRIBUNAL, UnitKind.PUBLIC_SECURITY,
    UnitKind.PROFESSIONAL_COMMITTEE, UnitKind.STUDIO, UnitKind.LEGAL_SERVICE, UnitKind.OTHER,
})


def case_scope_path(user: Any) -> str | None:
    """The region path whose subtree of cases the user sees ("" for all), or None for none."""
    scope = scope_of(user)
    if scope.all:
        return ""
    unit = getattr(user, "unit", None)
    if unit is None or unit.kind in ROUTED_ONLY_KINDS:
        return None
    return scope.path


def region_path_q(user: Any, field: str = "region_path") -> Q | None:
    """Rows that carry their place's region path (warnings, rounds, hot spots, consultations…), seen
    in the same region subtree as the user's cases: None = everything, an empty match = nothing."""
    path = case_scope_path(user)
    if path is None:
        return Q(pk__in=[])
    if path == "":
        return None
    return Q(**{f"{field}__startswith": path})


class RegionPathScoped:
    """For models that carry their place's `region_path`: audited and seen by that path (the same
    subtree as the user's cases). Mixed in before `models.Model`."""

    region_path: str

    @property
    def audit_region_path(self) -> str:
        return self.region_path

    @classmethod
    def visible_q(cls, user: Any) -> Q | None:
        return region_path_q(user)


def case_visible_q(user: Any) -> Q | None:
    """Jurisdiction (and routing) AND the sensitivity label: a case labelled above the user's
    clearance is invisible — in lists, search, detail, actions, documents and exports — to
    everyone, superusers included (mandatory access control, GB/T 22239-2019 8.1.4.2 g; ADR 0022).
    Statistics count such cases in aggregates without showing them (docs/security.md §2)."""
    q = _jurisdiction_q(user)
    label = Q(sensitivity__lte=clearance_of(user))
    return label if q is None else q & label


def _jurisdiction_q(user: Any) -> Q | None:
    from fangtiao.cases.models import CoTask, Transfer

    scope = scope_of(user)
    if scope.all and user.is_superuser:
        return None
    if scope.path is None and not user.unit_id:
        return Q(pk__in=[])
    if user.role_codes == {Role.EXPERT}:
        from fangtiao.mediation.models import OpinionRequest

        q = Q(pk__in=OpinionRequest.objects.filter(expert__user_id=user.pk).values("case_id"))
        return q & ~Q(nature="accusation")
    unit_id = user.unit_id
    path = case_scope_path(user)
    if path == "":
        return None  # everything (an empty Q would vanish in the ORs below and narrow instead)
    q = Q(region_path__startswith=path) if path else Q(pk__in=[])
    if unit_id:
        q |= Q(holder_unit_id=unit_id) | Q(registered_unit_id=unit_id)
        # A unit that returned a transfer gave the case back: it no longer reads it through that transfer.
        q |= Q(pk__in=Transfer.objects.filter(to_unit_id=unit_id).exclude(status="returned").values("case_id"))
        q |= Q(pk__in=CoTask.objects.filter(unit_id=unit_id).values("case_id"))
        if Role.MEDIATOR in user.role_codes:
            from fangtiao.mediation.models import Assignment

            # A mediator assigned from another committee sees the cases assigned to them.
            q |= Q(pk__in=Assignment.objects.filter(mediator__user_id=user.pk).values("case_id"))
        if user.unit.kind in (UnitKind.COURT, UnitKind.TRIBUNAL):
            from fangtiao.mediation.models import Confirmation, Enforcement

            q |= Q(pk__in=Confirmation.objects.filter(court_id=unit_id).values("case_id"))
            q |= Q(pk__in=Enforcement.objects.filter(court_id=unit_id).values("case_id"))
        elif user.unit.kind == UnitKind.PUBLIC_SECURITY:
            from fangtiao.mediation.models import RiskReport

            q |= Q(pk__in=RiskReport.objects.filter(police_unit_id=unit_id).values("case_id"))
    if not may_read_accusations(user):
        q &= ~Q(nature="accusation")
    elif unit_id:
        q &= ~Q(nature="accusation", accused_unit_id=unit_id)
    return q
