"""Statutory clocks as data: the rule table, the calendar, and one row per running clock.

A running clock's due date is an indexed column (partial index on open clocks), so the worker
finds what is due without scanning cases (STYLE habit 5)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class ClockRule(models.Model):
    """One statutory period, e.g. 受理告知 15日 (信访工作条例 第23条). Editable by administrators;
    a row with a region overrides the default (region null) inside that region's subtree."""

    code = models.CharField("代码", max_length=50)
    name = models.CharField("名称", max_length=100)
    days = models.PositiveSmallIntegerField("天数")
    working_days = models.BooleanField("按工作日计", default=False)
    source = models.CharField("依据", max_length=200)
    note = models.TextField("说明", blank=True)
    due_soon_days = models.PositiveSmallIntegerField("临期提醒（天）", default=3)
    region = models.ForeignKey("org.Region", verbose_name="适用辖区", null=True, blank=True, on_delete=models.CASCADE)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "时限规则"
        verbose_name_plural = "时限规则"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "region"], name="clocks_rule_code_region_uniq"),
            models.UniqueConstraint(fields=["code"], condition=Q(region__isnull=True), name="clocks_rule_default_uniq"),
        ]

    def __str__(self) -> str:
        unit = "个工作日" if self.working_days else "日"
        return f"{self.name}（{self.days}{unit}）"


class CountingSetting(models.Model):
    """How a jurisdiction counts days (legal-rules §1.6: UNVERIFIED for 信访, so configurable)."""

    region = models.OneToOneField("org.Region", verbose_name="辖区", on_delete=models.CASCADE, related_name="counting")
    count_start_day = models.BooleanField("起算日计入期间", default=False)
    shift_to_workday = models.BooleanField("期满日遇法定节假日顺延至下一工作日", default=True)

    class Meta:
        verbose_name = "期间计算规则"
        verbose_name_plural = "期间计算规则"

    def __str__(self) -> str:
        return str(self.region)


class CalendarDay(models.Model):
    """An administrator's override of the holiday calendar, for years the package does not
    cover or corrections: a weekday off (is_workday False) or a weekend day worked (True)."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("上班")
    name = models.CharField("名称", max_length=50, blank=True)

    class Meta:
        verbose_name = "节假日调整"
        verbose_name_plural = "节假日调整"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_workday else '休息'} {self.name}"


class ClockState(models.TextChoices):
    RUNNING = "running", "计时中"
    PAUSED = "paused", "暂停"
    MET = "met", "已按期完成"
    OVERDUE = "overdue", "已超期"
    LATE = "late", "超期完成"
    CANCELLED = "cancelled", "已取消"
    EXEMPT = "exempt", "依法免除"


OPEN_STATES = (ClockState.RUNNING, ClockState.PAUSED, ClockState.OVERDUE)


class Clock(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="clocks")
    rule = models.ForeignKey(ClockRule, on_delete=models.PROTECT, related_name="clocks")
    code = models.CharField(max_length=50)
    started_on = models.DateField("起算日")
    due_on = models.DateField("期满日", null=True, blank=True)
    state = models.CharField(max_length=16, choices=ClockState.choices, default=ClockState.RUNNING)
    holder_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    help_text="应当在期限内办理的单位；为空表示由信访人（群众）掌握")
    watch_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   help_text="提醒但不计为本单位超期的单位（如当事人申请司法确认的期限，由调委会提醒）")
    stopped_on = models.DateField(null=True, blank=True)
    paused_on = models.DateField(null=True, blank=True)
    paused_days = models.PositiveIntegerField(default=0)
    extended_days = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=200, blank=True)
    notified_soon = models.BooleanField(default=False)
    notified_overdue = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "时限"
        verbose_name_plural = "时限"
        ordering = ["started_on", "id"]
        indexes = [
            models.Index(fields=["due_on"], name="clocks_running_due", condition=Q(state="running")),
            models.Index(fields=["holder_unit", "state", "due_on"], name="clocks_holder_state_due"),
            models.Index(fields=["case", "code"], name="clocks_case_code"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.code}→{self.due_on}"


class WorkerHeartbeat(models.Model):
    """One row per running `fangtiao worker` process, touched every round, so `fangtiao check-deploy`
    can tell whether any worker is alive and when the statutory clock tick last ran."""

    host = models.CharField("主机", max_length=255)
    pid = models.PositiveIntegerField("进程号")
    version = models.CharField("版本", max_length=50, blank=True)
    started_at = models.DateTimeField("启动时间", default=timezone.now)
    last_seen_at = models.DateTimeField("最近心跳", default=timezone.now)
    last_clock_tick_at = models.DateTimeField("最近时限巡检", null=True, blank=True)

    class Meta:
        verbose_name = "后台进程心跳"
        verbose_name_plural = "后台进程心跳"
        ordering = ["-last_seen_at"]
        constraints = [models.UniqueConstraint(fields=["host", "pid"], name="clocks_heartbeat_host_pid_uniq")]
        indexes = [models.Index(fields=["last_seen_at"], name="clocks_heartbeat_seen")]

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"
