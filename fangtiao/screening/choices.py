"""Code tables of screening and early warning (API codes in English, Chinese labels)."""

from django.db import models


class RoundStatus(models.TextChoices):
    SCHEDULED = "scheduled", "待排查"
    DONE = "done", "已排查"
    MISSED = "missed", "逾期未报"


class FindingRisk(models.TextChoices):
    LOW = "low", "一般"
    MEDIUM = "medium", "较大"
    HIGH = "high", "重大（可能激化）"


class WarningKind(models.TextChoices):
    REPEAT = "repeat", "重复信访"
    COLLECTIVE = "collective", "集体访"
    LIKELY_COLLECTIVE = "likely_collective", "可能形成集体访"
    SKIP_LEVEL = "skip_level", "越级风险"
    EMOTION = "emotion", "极端情绪风险"
    OVERDUE = "overdue", "超期未办"
    BACKLOG = "backlog", "信访积案"
    HOTSPOT = "hotspot", "热点问题"
    SCREENING_MISSED = "screening_missed", "排查逾期未报"


class Level(models.TextChoices):
    RED = "red", "红色"
    ORANGE = "orange", "橙色"
    YELLOW = "yellow", "黄色"


LEVEL_RANK = {Level.YELLOW: 1, Level.ORANGE: 2, Level.RED: 3}


class WarningStatus(models.TextChoices):
    OPEN = "open", "待签收"
    ACKNOWLEDGED = "acknowledged", "处置中"
    RESOLVED = "resolved", "已处置"
    CLEARED = "cleared", "条件消失"


ACTIVE_WARNING = (WarningStatus.OPEN, WarningStatus.ACKNOWLEDGED)


class InterventionStatus(models.TextChoices):
    REQUESTED = "requested", "待指派律师"
    ASSIGNED = "assigned", "已指派"
    MET = "met", "已约谈"
    CANCELLED = "cancelled", "已取消"


class InterventionOutcome(models.TextChoices):
    RESOLVED = "resolved", "息诉罢访"
    EASED = "eased", "情绪缓和，引导依法维权"
    UNCHANGED = "unchanged", "诉求未变，继续关注"
    ESCALATED = "escalated", "风险升级，报告领导"


class Trend(models.TextChoices):
    NEW = "new", "新出现"
    RISING = "rising", "上升"
    STEADY = "steady", "持平"
    FALLING = "falling", "下降"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "计算中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
