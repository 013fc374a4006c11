"""The in-app inbox. Notices go to a unit (everyone on duty there sees them) or a person."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from fangtiao.core.fields import EncryptedCharField


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


# --- SMS outbox (issue 9, docs/adr/0019-reliability-outbox.md) ---------------------------------

class SmsStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败（已停止重试）"


class SmsMessage(models.Model):
    """One text message to a petitioner or party, written in the same transaction as the change it
    tells of and sent afterwards by the task `notifications.sms_send` through FANGTIAO_SMS_BACKEND.
    `message_id` is the dedupe key every backend passes on: a task run again after a crash between
    the send and the "sent" mark delivers the message once."""

    message_id = models.UUIDField("消息编号", unique=True, editable=False)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="sms_messages")
    kind = models.CharField("类型", max_length=32)
    phone = EncryptedCharField("手机号")
    text = models.CharField("内容", max_length=500)
    status = models.CharField("状态", max_length=10, choices=SmsStatus.choices, default=SmsStatus.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    last_error = models.CharField("最近错误", max_length=500, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "短信"
        verbose_name_plural = "短信"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="sms_status_created"),
        ]

    def __str__(self) -> str:
        return f"短信 {self.message_id}"


class SmsDelivery(models.Model):
    """The `log` backend's record of a delivered message (no network): one row per message id —
    the unique key is the consumer's de-duplication."""

    message_id = models.UUIDField("消息编号", unique=True)
    delivered_at = models.DateTimeField("送达时间", default=timezone.now)

    class Meta:
        verbose_name = "短信送达记录"
        verbose_name_plural = "短信送达记录"

    def __str__(self) -> str:
        return f"送达 {self.message_id}"
