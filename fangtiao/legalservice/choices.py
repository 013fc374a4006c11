"""Enums of the public legal service (公共法律服务)."""

from django.db import models


class ConsultChannel(models.TextChoices):
    VISIT = "visit", "来人"
    PHONE = "phone", "来电"
    ONLINE = "online", "网上"


class ConsultStatus(models.TextChoices):
    PENDING = "pending", "待答复"
    ANSWERED = "answered", "已答复"
    REFERRED = "referred", "已转为事项"


class ParticipationKind(models.TextChoices):
    MEDIATION = "mediation", "参与调解"
    PETITION_MEETING = "petition_meeting", "参与信访接谈"


class ParticipationRole(models.TextChoices):
    EXPLAIN = "explain", "释法"
    AGENT = "agent", "代理"
    WITNESS = "witness", "见证"


# A consultation that becomes a case keeps its channel where the cases app knows it (来人 → 来访).
CASE_CHANNEL = {ConsultChannel.VISIT: "visit", ConsultChannel.PHONE: "phone", ConsultChannel.ONLINE: "online"}
