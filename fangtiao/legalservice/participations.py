"""Read queries of lawyers' participation (律师参与化解): the list and the counts per lawyer, both
scoped to the caller's jurisdiction first (the case's place, `region_path`), filtered, N+1-free,
counted in the database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Q, QuerySet

from fangtiao.legalservice.choices import ParticipationKind
from fangtiao.legalservice.models import LawyerParticipation
from fangtiao.org.permissions import has_capability

VIEW = "consultation.view"


def participations_visible(user: Any) -> QuerySet[LawyerParticipation]:
    if not has_capability(user, VIEW):
        return LawyerParticipation.objects.none()
    from fangtiao.cases.models import Case

    # The place is not enough: a case the user may not open (检举控告 outside the officers who handle
    # it, legal-rules item 8) must not show its title here either.
    return LawyerParticipation.objects.visible_to(user).filter(case__in=Case.objects.visible_to(user).values("pk"))


def participation_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[LawyerParticipation]:
    """Filters: lawyer (id or Expert), kind, role, from/to (held_on, inclusive), case (number contains)."""
    f = dict(filters or {})
    qs = participations_visible(user)
    if f.get("lawyer"):
        qs = qs.filter(lawyer_id=getattr(f["lawyer"], "pk", f["lawyer"]))
    for key in ("kind", "role"):
        if f.get(key):
            qs = qs.filter(**{key: f[key]})
    if f.get("from"):
        qs = qs.filter(held_on__gte=f["from"])
    if f.get("to"):
        qs = qs.filter(held_on__lte=f["to"])
    if q := str(f.get("case") or "").strip():
        qs = qs.filter(case__number__icontains=q)
    return qs.select_related("lawyer", "case", "recorded_by").order_by("-held_on", "-id")


def participation_counts(*, user: Any, filters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Per lawyer: participations in mediation, in petition meetings, the total and the cases — one
    grouped query, busiest first."""
    qs = participation_list(user=user, filters=filters).order_by()
    rows = (qs.values("lawyer_id", "lawyer__name", "lawyer__organisation")
            .annotate(mediation=Count("id", filter=Q(kind=ParticipationKind.MEDIATION)),
                      petition=Count("id", filter=Q(kind=ParticipationKind.PETITION_MEETING)),
                      total=Count("id"), cases=Count("case_id", distinct=True))
            .order_by("-total", "lawyer__name", "lawyer_id"))
    return [{"lawyer": r["lawyer_id"], "name": r["lawyer__name"], "organisation": r["lawyer__organisation"] or "",
             "mediation": r["mediation"], "petition": r["petition"], "total": r["total"], "cases": r["cases"]}
            for r in rows]
