from __future__ import annotations

from typing import Any

from django.utils import timezone

from fangtiao.notifications.models import Notification


def notify_unit(*, unit_id: int, kind: str, title: str, body: str = "", case: Any = None) -> Notification:
    """Post a notice to a unit's inbox (inside the caller's transaction: it exists iff the change does)."""
    return Notification.objects.create(unit_id=unit_id, kind=kind, title=title[:200], body=body, case=case)


def mark_read(*, user: Any, ids: list[int]) -> int:
    return Notification.objects.filter(pk__in=ids, unit_id=user.unit_id, read_at__isnull=True).update(read_at=timezone.now())
