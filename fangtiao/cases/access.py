"""Who may see a case (permission AND jurisdiction, DESIGN §2).

- A case is visible in the region subtree of the user's unit (its place's path), and to the
  units it was registered at, is held by, was transferred to, or has a joint-handling task at
  (professional committees and district departments see what is routed to them).
- 检举控告类 (accusation) matters are readable only by the roles that handle them (petition
  officers and leaders) and never by the accused unit
  (信访工作条例 第30条第3款, 第46条(5)).
- Experts see only cases they are asked about (next issue: opinion requests).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from fangtiao.org.choices import Role
from fangtiao.org.jurisdiction import scope_of

ACCUSATION_ROLES = frozenset({Role.OFFICER, Role.LEADER})


def may_read_accusations(user: Any) -> bool:
    """Only those who handle accusations: petition officers and leaders (not clerks, mediators,
    administrators or auditors), and never staff of the accused unit (checked per case)."""
    return bool(user.is_superuser or ACCUSATION_ROLES & user.role_codes)


def case_visible_q(user: Any) -> Q | None:
    from fangtiao.cases.models import CoTask, Transfer

    scope = scope_of(user)
    if scope.all and user.is_superuser:
        return None
    if scope.path is None and not user.unit_id:
        return Q(pk__in=[])
    if user.role_codes == {Role.EXPERT}:
        return Q(pk__in=[])  # experts: only the cases they are consulted on (mediation issue)
    unit_id = user.unit_id
    q = Q(region_path__startswith=scope.path) if scope.path else Q(pk__in=[])
    if scope.all:
        q = Q()
    if unit_id:
        q |= Q(holder_unit_id=unit_id) | Q(registered_unit_id=unit_id)
        q |= Q(pk__in=Transfer.objects.filter(to_unit_id=unit_id).values("case_id"))
        q |= Q(pk__in=CoTask.objects.filter(unit_id=unit_id).values("case_id"))
    if not may_read_accusations(user):
        q &= ~Q(nature="accusation")
    elif unit_id:
        q &= ~Q(nature="accusation", accused_unit_id=unit_id)
    return q
