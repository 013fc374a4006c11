"""Enums of the assessment (考核): indicator kinds and directions, scheme levels and periods,
scoring methods, commendation states and accountability measures."""

from django.db import models


class IndicatorKind(models.TextChoices):
    PROCESS = "process", "过程指标"
    RESULT = "result", "结果指标"


class Direction(models.TextChoices):
    HIGHER = "higher", "越高越好"
    LOWER = "lower", "越低越好"


class Level(models.TextChoices):
    """Who a scheme assesses: township sub-centres, village committees, or individual mediators."""

    TOWNSHIP = "township", "乡镇（街道）分中心"
    VILLAGE = "village", "村（居）调委会"
    MEDIATOR = "mediator", "调解员"


class PeriodType(models.TextChoices):
    MONTH = "month", "月度"
    QUARTER = "quarter", "季度"
    YEAR = "year", "年度"


class Method(models.TextChoices):
    LINEAR = "linear", "线性计分（保底值至目标值之间按比例）"
    THRESHOLD = "threshold", "达标计分（达到目标值得满分，否则不得分）"


class IfEmpty(models.TextChoices):
    FULL = "full", "无数据得满分"
    ZERO = "zero", "无数据不得分"


class CommendationStatus(models.TextChoices):
    PROPOSED = "proposed", "拟表彰"
    CONFIRMED = "confirmed", "已确认"
    WITHDRAWN = "withdrawn", "已撤回"


class Measure(models.TextChoices):
    """问责方式 (信访工作条例 第43–47条 name the conduct; the measures are the usual practice forms)."""

    INTERVIEW = "interview", "约谈"
    NOTICE = "notice", "通报批评"
    ADMONISH = "admonish", "诫勉"
    SELF_EXAMINE = "self_examine", "责令书面检查"
    ORGANISATIONAL = "organisational", "组织处理"
    DISCIPLINE = "discipline", "移送纪检监察机关"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "计算中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
