"""The append-only audit log (GB/T 22239-2019 8.1.4.3; 网络安全法 第21条(3)).

Rows are written only by `fangtiao.audit.services.record()` inside the transaction of the
change they describe. The application never updates or deletes them: `save()` refuses an
existing row, the queryset refuses bulk update/delete, the admin is read-only, and a database
trigger (migration 0002) rejects UPDATE on both engines and DELETE on PostgreSQL."""

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
