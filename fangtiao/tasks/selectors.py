"""Reads of the task tables: the queue's health for `fangtiao check-deploy` and the admin."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Min, Q
from django.utils import timezone

from fangtiao.tasks.models import ScheduleSlot, Task, TaskStatus


@dataclass(frozen=True)
class QueueHealth:
    due: int                      # pending and due now
    oldest_due_at: dt.datetime | None
    running: int
    expired_leases: int           # running rows whose worker went silent
    failed_recent: int            # failed within `recent`
    failing_jobs: list[str]       # periodic jobs whose last run failed (cleared by their next success)


def queue_health(*, recent: dt.timedelta = dt.timedelta(days=1), now: dt.datetime | None = None) -> QueueHealth:
    """Two aggregate queries over the partial indexes (the due and lease indexes; failed rows are few)."""
    now = now or timezone.now()
    agg = Task.objects.filter(status__in=[TaskStatus.PENDING, TaskStatus.RUNNING]).aggregate(
        due=Count("pk", filter=Q(status=TaskStatus.PENDING, run_after__lte=now)),
        oldest=Min("run_after", filter=Q(status=TaskStatus.PENDING, run_after__lte=now)),
        running=Count("pk", filter=Q(status=TaskStatus.RUNNING)),
        expired=Count("pk", filter=Q(status=TaskStatus.RUNNING, lease_until__lt=now)),
    )
    failed = Task.objects.filter(status=TaskStatus.FAILED, finished_at__gte=now - recent).count()
    failing = list(ScheduleSlot.objects.exclude(last_error="").order_by("name").values_list("name", flat=True))
    return QueueHealth(due=agg["due"], oldest_due_at=agg["oldest"], running=agg["running"],
                       expired_leases=agg["expired"], failed_recent=failed, failing_jobs=failing)
