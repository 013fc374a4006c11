"""The transactional outbox of background work (docs/adr/0014-task-interface.md).

A `Task` row is written in the same transaction as the change that asks for the work, so the work
exists iff the change does. A backend carries it out: the database worker claims due rows; the
Celery backend is handed each committed row's id and claims the same row, so a message delivered
twice (acks late) still runs the task once. `ScheduleSlot` holds the next due time of each periodic
job; whoever moves it forward with a compare-and-set update runs that slot, whatever the number of
workers or beat processes."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class TaskStatus(models.TextChoices):
    PENDING = "pending", "待执行"
    RUNNING = "running", "执行中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败（已停止重试）"


LIVE = (TaskStatus.PENDING, TaskStatus.RUNNING)


class Task(models.Model):
    name = models.CharField("任务", max_length=64)
    args = models.JSONField("参数", default=dict, blank=True)
    # At most one live (pending or running) task per key: asking twice for the same work is one task.
    key = models.CharField("去重键", max_length=200, null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    run_after = models.DateTimeField("最早执行时间", default=timezone.now)
    claimed_by = models.CharField("执行进程", max_length=120, blank=True)
    lease_until = models.DateTimeField("占用到期", null=True, blank=True)
    published_at = models.DateTimeField("投递消息队列时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    last_error = models.TextField("最近错误", blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=Q(status__in=LIVE) & Q(key__isnull=False),
                                    name="tasks_task_live_key_uniq"),
        ]
        indexes = [
            # the claim: due pending rows in order (partial, so done rows cost nothing)
            models.Index(fields=["run_after", "id"], name="tasks_task_due", condition=Q(status=TaskStatus.PENDING)),
            # the lease sweep
            models.Index(fields=["lease_until"], name="tasks_task_lease", condition=Q(status=TaskStatus.RUNNING)),
            # purge of finished rows
            models.Index(fields=["finished_at"], name="tasks_task_finished",
                         condition=Q(status__in=[TaskStatus.DONE, TaskStatus.FAILED])),
        ]

    def __str__(self) -> str:
        return f"{self.name}#{self.pk}"


class ScheduleSlot(models.Model):
    name = models.CharField("周期任务", max_length=64, unique=True)
    next_run_at = models.DateTimeField("下次执行时间", default=timezone.now)
    last_run_at = models.DateTimeField("最近执行时间", null=True, blank=True)
    last_run_by = models.CharField("最近执行进程", max_length=120, blank=True)
    last_error = models.TextField("最近错误", blank=True)
    last_error_at = models.DateTimeField("最近出错时间", null=True, blank=True)

    class Meta:
        verbose_name = "周期任务"
        verbose_name_plural = "周期任务"

    def __str__(self) -> str:
        return self.name
