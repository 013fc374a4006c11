"""The append-only audit log (GB/T 22239-2019 8.1.4.3; 网络安全法 第21条(3)).

Rows are written only by `fangtiao.audit.services.record()` inside the transaction of the
change they describe. The application never updates or deletes them: `save()` refuses an
existing row, the queryset refuses bulk update/delete, the admin is read-only, and database
triggers (migration 0003, ADR 0017) reject UPDATE, DELETE (and TRUNCATE on PostgreSQL) on both
engines unless the retention purge's transaction holds a permit (`fangtiao.audit.purge`).

Tamper evidence: `AuditSeal` is an HMAC chain over every column of every event, appended in id
order by the periodic job `audit.seal`; `fangtiao audit-verify` recomputes it (`fangtiao.audit.chain`).
`AuditPurge` records each retention purge with the hash of the last purged link (the anchor)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone


class AppendOnlyError(RuntimeError):
    pass


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("审计日志不可修改")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("审计日志不可删除")


class AuditEvent(models.Model):
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    # Plain ids, not foreign keys: the log outlives the rows it mentions and never cascades.
    actor_id = models.BigIntegerField("操作人ID", null=True, blank=True)
    actor_username = models.CharField("操作人账号", max_length=150, blank=True)
    actor_name = models.CharField("操作人", max_length=100, blank=True)
    actor_roles = models.CharField("角色", max_length=200, blank=True)
    unit_id = models.BigIntegerField("单位ID", null=True, blank=True)
    unit_name = models.CharField("单位", max_length=200, blank=True)
    action = models.CharField("操作", max_length=100)
    success = models.BooleanField("成功", default=True)
    subject_type = models.CharField("对象类型", max_length=100, blank=True)
    subject_id = models.CharField("对象ID", max_length=64, blank=True)
    subject_repr = models.CharField("对象", max_length=200, blank=True)
    region_path = models.CharField("所属辖区", max_length=255, blank=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)
    extra = models.JSONField("附加信息", default=dict, blank=True)
    request_id = models.CharField("请求ID", max_length=64, blank=True)
    ip = models.GenericIPAddressField("客户端地址", null=True, blank=True)
    user_agent = models.CharField("客户端", max_length=200, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "at"], name="audit_subject_at"),
            models.Index(fields=["actor_id", "at"], name="audit_actor_at"),
            models.Index(fields=["action", "at"], name="audit_action_at"),
            models.Index(fields=["region_path", "at"], name="audit_region_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.subject_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("审计日志不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("审计日志不可删除")

    @property
    def action_label(self) -> str:
        from fangtiao.audit.registry import label

        return label(self.action)


class AuditSeal(models.Model):
    """One link of the HMAC chain, appended by `chain.seal()` in event-id order, never changed.

    hash = HMAC(key, prev_hash | event_id | event_at | event_action | digest), where digest is the
    SHA-256 of the canonical encoding of every column of the event. The event's time and action are
    kept here so that a link whose event the retention purge removed can still be checked (and its
    eligibility for that purge proven) without the event."""

    event_id = models.BigIntegerField("事件ID", unique=True)
    event_at = models.DateTimeField("事件时间")
    event_action = models.CharField("事件操作", max_length=100)
    digest = models.CharField("事件摘要", max_length=64)
    prev_hash = models.CharField("前一环", max_length=64)
    hash = models.CharField("本环", max_length=64)
    sealed_at = models.DateTimeField("封存时间", default=timezone.now)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = "审计链环"
        verbose_name_plural = "审计链环"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"链环 {self.event_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("审计链不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("审计链不可删除")


class AuditPurge(models.Model):
    """One retention purge (`fangtiao audit-purge`): what it was allowed to remove and the anchor.

    Removed: sealed events with id <= boundary_event_id, time < cutoff, and — for the protected
    actions (PIPL 第56条: reveals, exports, access logs) — time < protected_cutoff. `anchor` is the
    chain hash of the last link at or below the boundary, so the chain stays verifiable after it."""

    purged_at = models.DateTimeField("清理时间", default=timezone.now)
    cutoff = models.DateTimeField("清理截止")
    protected_cutoff = models.DateTimeField("受保护记录清理截止")
    protected_actions = models.JSONField("受保护操作", default=list)
    boundary_event_id = models.BigIntegerField("边界事件ID")
    anchor = models.CharField("锚点", max_length=64)
    count = models.BigIntegerField("清理条数")
    actor_username = models.CharField("操作人账号", max_length=150)
    request_id = models.CharField("请求ID", max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = "审计日志清理记录"
        verbose_name_plural = "审计日志清理记录"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"清理 {self.cutoff:%Y-%m-%d} 之前的审计日志（{self.count} 条）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("清理记录不可修改")
        super().save(*args, **kwargs)


class PurgePermit(models.Model):
    """A row that exists only inside the purge's own transaction (inserted at its start, deleted
    before its commit, so no other transaction ever sees it): the database triggers let a DELETE on
    the audit tables through only while it exists (and, on PostgreSQL, only when the session's
    `fangtiao.audit_purge` setting carries its token). Written by raw SQL in `purge.py` only."""

    token = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = "清理许可"
        verbose_name_plural = "清理许可"

    def __str__(self) -> str:
        return "清理许可"
