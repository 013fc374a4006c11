"""The in-app inbox. Notices go to a unit (everyone on duty there sees them) or a person."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Notification(models.Model):
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    user = models.ForeignKey("org.User", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField("类型", max_length=32)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "created_at"], name="notif_unit_created"),
            models.Index(fields=["unit"], name="notif_unit_unread", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.title
