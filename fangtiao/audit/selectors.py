from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from fangtiao.audit.models import AuditEvent
from fangtiao.org.jurisdiction import scope_of


def _day_start(d: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(d, dt.time.min))


def audit_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[AuditEvent]:
    """Events about objects in the caller's jurisdiction, or by people of units in it."""
    f = filters or {}
    scope = scope_of(user)
    qs = AuditEvent.objects.all()
    if not scope.all:
        if scope.path is None:
            return qs.none()
        from fangtiao.org.models import Unit

        units = Unit.objects.filter(region__path__startswith=scope.path).values("pk")
        qs = qs.filter(Q(region_path__startswith=scope.path) | Q(unit_id__in=units))
    if f.get("actor"):
        qs = qs.filter(actor_username=f["actor"].strip())
    if f.get("action"):
        qs = qs.filter(action=f["action"])
    if f.get("subject_type"):
        qs = qs.filter(subject_type=f["subject_type"])
    if f.get("subject_id"):
        qs = qs.filter(subject_id=str(f["subject_id"]))
    if f.get("success") in (True, False):
        qs = qs.filter(success=f["success"])
    if f.get("date_from"):
        qs = qs.filter(at__gte=_day_start(f["date_from"]))
    if f.get("date_to"):
        qs = qs.filter(at__lt=_day_start(f["date_to"] + dt.timedelta(days=1)))
    return qs.order_by("-at", "-id")


def audit_get(*, user: Any, pk: int) -> AuditEvent | None:
    return audit_list(user=user).filter(pk=pk).first()
