from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from fangtiao.notifications.models import Notification


def notify_unit(*, unit_id: int, kind: str, title: str, body: str = "", case: Any = None) -> Notification:
    """Post a notice to a unit's inbox (inside the caller's transaction: it exists iff the change does)."""
    return Notification.objects.create(unit_id=unit_id, kind=kind, title=title[:200], body=body, case=case)


def notify_user(*, user_id: int, kind: str, title: str, body: str = "", case: Any = None) -> Notification:
    """Post a notice to one person (an expert asked for an opinion, a mediator reminded of a session)."""
    return Notification.objects.create(user_id=user_id, kind=kind, title=title[:200], body=body, case=case)


def mark_read(*, user: Any, ids: list[int]) -> int:
    """Mark notices read: those of the user's unit and those addressed to the user."""
    mine = Q(user_id=user.pk) | (Q(unit_id=user.unit_id) if user.unit_id else Q(pk__in=[]))
    return Notification.objects.filter(mine, pk__in=ids, read_at__isnull=True).update(read_at=timezone.now())
