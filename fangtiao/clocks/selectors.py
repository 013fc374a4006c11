"""Reads of the clocks app: the worker heartbeats (`fangtiao check-deploy`)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, QuerySet
from django.utils import timezone

from fangtiao.clocks.models import WorkerHeartbeat


def workers_alive(*, within: dt.timedelta, now: dt.datetime | None = None) -> QuerySet[WorkerHeartbeat]:
    """Worker processes that reported within the given time, most recent first."""
    now = now or timezone.now()
    return WorkerHeartbeat.objects.filter(last_seen_at__gte=now - within).order_by("-last_seen_at")


def last_clock_tick_at() -> dt.datetime | None:
    """When any worker last completed the statutory clock tick (None: never recorded)."""
    return WorkerHeartbeat.objects.aggregate(last=Max("last_clock_tick_at"))["last"]
