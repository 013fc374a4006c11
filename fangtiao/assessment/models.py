"""Assessment folded into the district's target management (目标管理): indicators kept as data,
schemes (考核方案) weighting them per period type and level, the computed scores with one row per
indicator, commendations (表彰) and accountability records (问责).

Legal basis: 信访工作条例 第39条 (信访工作纳入考核), 第43–47条 (责任追究). Scores carry the region
path of the assessed unit (a mediator: of the mediator's committee), so jurisdiction is one prefix
test, as for cases."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from fangtiao.assessment.choices import (
    CommendationStatus,
    Direction,
    IfEmpty,
    IndicatorKind,
    Level,
    Measure,
    Method,
    PeriodType,
    RunStatus,
)
from fangtiao.cases.access import RegionPathScoped
from fangtiao.core.querysets import RestrictedQuerySet


class Indicator(models.Model):
    """One assessment indicator. `code` binds it to its calculator in `assessment.indicators`;
    the name, formula, source and scoring direction are data the scheme editor and the docs show."""

    code = models.CharField("代码", max_length=40, unique=True)
    name = models.CharField("指标名称", max_length=50)
    formula = models.CharField("计算公式", max_length=400)
    source = models.CharField("数据来源与依据", max_length=400)
    kind = models.CharField("指标类型", max_length=16, choices=IndicatorKind.choices)
    direction = models.CharField("方向", max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    unit_of_measure = models.CharField("计量单位", max_length=16)
    levels = models.JSONField("适用对象", default=list, help_text="township / village / mediator")
    params = models.JSONField("参数", default=dict, blank=True)
    sort = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "考核指标"
        verbose_name_plural = "考核指标"
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_rate(self) -> bool:
        return self.unit_of_measure == "%"


class Scheme(models.Model):
    """考核方案: the weighted indicators for one period type and one level in one region (a district,
    or above it for all its districts; "" = the default for every district). The computation of a
    district uses the active scheme of the nearest region on its path: its own, else its city's, …,
    else the default. One active scheme per (period type, level, region)."""

    name = models.CharField("方案名称", max_length=100)
    period_type = models.CharField("考核周期", max_length=16, choices=PeriodType.choices)
    level = models.CharField("考核对象", max_length=16, choices=Level.choices)
    dynamic_share = models.PositiveSmallIntegerField(
        "动态考核占比（%）", default=60,
        help_text="综合得分 = 本期（动态）得分 × 占比 + 年度累计（静态）得分 × (100 − 占比)")
    active = models.BooleanField("启用", default=True)
    region_path = models.CharField("适用地区", max_length=255, blank=True, default="", editable=False,
                                   help_text="区划路径；空 = 所有地区的默认方案")
    note = models.TextField("说明", blank=True)
    updated_by = models.ForeignKey("org.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "考核方案"
        verbose_name_plural = "考核方案"
        ordering = ["level", "period_type", "id"]
        constraints = [
            models.UniqueConstraint(fields=["period_type", "level", "region_path"], condition=Q(active=True),
                                    name="assessment_one_active_scheme_per_region"),
        ]

    def __str__(self) -> str:
        return self.name


class SchemeItem(models.Model):
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="items")
    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField("权重（分）", max_digits=5, decimal_places=2)
    method = models.CharField("计分方法", max_length=16, choices=Method.choices, default=Method.LINEAR)
    floor = models.FloatField("保底值", default=0, help_text="线性计分时得 0 分的值（比率填 0–1 之间的小数）")
    target = models.FloatField("目标值", help_text="达到即得满分的值（比率填 0–1 之间的小数）")
    if_empty = models.CharField("无数据时", max_length=8, choices=IfEmpty.choices, default=IfEmpty.FULL)
    sort = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "方案指标"
        verbose_name_plural = "方案指标"
        ordering = ["sort", "id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "indicator"], name="assessment_scheme_indicator")]

    def __str__(self) -> str:
        return f"{self.scheme} · {self.indicator_id}"


class ScoreQuerySet(RestrictedQuerySet):
    pass


class Score(RegionPathScoped, models.Model):
    """One unit's or mediator's score for a period under a scheme, ranked among the subjects of one
    district (`ranking_path`). Recomputing a period and level replaces the rows of the actor's region
    only, in one transaction."""

    period = models.CharField("考核期", max_length=10)
    period_type = models.CharField("考核周期", max_length=16, choices=PeriodType.choices)
    start = models.DateField("起")
    end = models.DateField("止")
    level = models.CharField("考核对象", max_length=16, choices=Level.choices)
    scheme = models.ForeignKey(Scheme, verbose_name="考核方案", on_delete=models.PROTECT, related_name="scores")
    unit = models.ForeignKey("org.Unit", verbose_name="单位", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="assessment_scores")
    mediator = models.ForeignKey("org.Mediator", verbose_name="调解员", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="assessment_scores")
    name = models.CharField("名称", max_length=100)
    region_path = models.CharField(max_length=255, editable=False)
    ranking_path = models.CharField("排名范围", max_length=255, default="", editable=False,
                                    help_text="名次所在的区（县）的区划路径")
    total = models.DecimalField("综合得分", max_digits=6, decimal_places=2)
    dynamic_total = models.DecimalField("本期得分（动态）", max_digits=6, decimal_places=2)
    static_total = models.DecimalField("年度累计得分（静态）", max_digits=6, decimal_places=2)
    rank = models.PositiveIntegerField("名次")
    computed_at = models.DateTimeField("计算时间", default=timezone.now)
    computed_by = models.ForeignKey("org.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScoreQuerySet.as_manager()

    class Meta:
        verbose_name = "考核得分"
        verbose_name_plural = "考核得分"
        ordering = ["period", "level", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["period", "level", "unit"], condition=Q(unit__isnull=False),
                                    name="assessment_score_unit"),
            models.UniqueConstraint(fields=["period", "level", "mediator"], condition=Q(mediator__isnull=False),
                                    name="assessment_score_mediator"),
            models.CheckConstraint(condition=Q(unit__isnull=True) ^ Q(mediator__isnull=True),
                                   name="assessment_score_subject"),
        ]
        indexes = [models.Index(fields=["period", "level", "ranking_path", "rank"], name="assessment_score_rank_in")]

    def __str__(self) -> str:
        return f"{self.period} {self.name} {self.total}"


class ScoreItem(models.Model):
    """One indicator of a score: the value with the counts behind it and the points, for the
    period (动态) and for the year to date (静态)."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="items")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField("权重", max_digits=5, decimal_places=2)
    value = models.FloatField("指标值", null=True, blank=True)
    numerator = models.BigIntegerField("分子", default=0)
    denominator = models.BigIntegerField("分母", default=0)
    points = models.DecimalField("得分", max_digits=6, decimal_places=2)
    static_value = models.FloatField("累计指标值", null=True, blank=True)
    static_numerator = models.BigIntegerField("累计分子", default=0)
    static_denominator = models.BigIntegerField("累计分母", default=0)
    static_points = models.DecimalField("累计得分", max_digits=6, decimal_places=2)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "得分明细"
        verbose_name_plural = "得分明细"
        ordering = ["sort", "id"]

    def __str__(self) -> str:
        return f"{self.score_id}/{self.indicator_id} {self.points}"


class ComputeRun(RegionPathScoped, models.Model):
    """One background computation of a period's scores for a level within a region (the requesting
    actor's scope, "" = everywhere): status, progress over the subjects, heartbeat. Claimed by
    compare-and-set; a run whose beat stopped is taken over by `fangtiao worker`. At most one queued
    or running run per period, level and region (database constraint)."""

    period = models.CharField("考核期", max_length=10)
    level = models.CharField("考核对象", max_length=16, choices=Level.choices)
    region_path = models.CharField("计算范围", max_length=255, blank=True, default="", editable=False,
                                   help_text="区划路径；空 = 所有地区")
    status = models.CharField("状态", max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress_done = models.PositiveIntegerField("已完成", default=0)
    progress_total = models.PositiveIntegerField("总数", default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey("org.User", verbose_name="发起人", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    result_count = models.PositiveIntegerField("得分条数", default=0)
    error = models.CharField("错误信息", max_length=300, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "得分计算"
        verbose_name_plural = "得分计算"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["period", "level", "region_path"],
                                    condition=Q(status__in=["queued", "running"]),
                                    name="assessment_one_active_compute_run"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="assessment_run_status")]

    def __str__(self) -> str:
        return f"{self.period} {self.level} {self.region_path or '全部'}"

    @property
    def active(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == RunStatus.DONE:
            return 100
        return min(100, int(100 * self.progress_done / self.progress_total)) if self.progress_total else 0


class Commendation(RegionPathScoped, models.Model):
    """表彰: a top-ranked unit or mediator of a period, proposed from the ranking and confirmed by a leader."""

    period = models.CharField("考核期", max_length=10)
    level = models.CharField("考核对象", max_length=16, choices=Level.choices)
    unit = models.ForeignKey("org.Unit", verbose_name="单位", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    mediator = models.ForeignKey("org.Mediator", verbose_name="调解员", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    name = models.CharField("名称", max_length=100)
    region_path = models.CharField(max_length=255, editable=False)
    rank = models.PositiveIntegerField("名次")
    total = models.DecimalField("综合得分", max_digits=6, decimal_places=2)
    status = models.CharField("状态", max_length=16, choices=CommendationStatus.choices,
                              default=CommendationStatus.PROPOSED)
    note = models.CharField("表彰说明", max_length=300, blank=True)
    proposed_by = models.ForeignKey("org.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey("org.User", verbose_name="确认人", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "表彰"
        verbose_name_plural = "表彰"
        ordering = ["-period", "level", "rank", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(unit__isnull=True) ^ Q(mediator__isnull=True),
                                   name="assessment_commendation_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.name}"


class Accountability(RegionPathScoped, models.Model):
    """问责: tied to an early warning or to a case event; who (unit and person), why, which measure.
    信访工作条例 第43–47条."""

    warning = models.ForeignKey("screening.EarlyWarning", verbose_name="预警", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    case_event = models.ForeignKey("cases.CaseEvent", verbose_name="事项环节", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", verbose_name="事项", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    unit = models.ForeignKey("org.Unit", verbose_name="被问责单位", on_delete=models.PROTECT, related_name="+")
    person = models.CharField("被问责人", max_length=50, blank=True)
    reason = models.TextField("问责事由")
    measure = models.CharField("问责方式", max_length=16, choices=Measure.choices)
    decided_on = models.DateField("决定日期")
    region_path = models.CharField(max_length=255, editable=False)
    recorded_by = models.ForeignKey("org.User", verbose_name="登记人", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "问责记录"
        verbose_name_plural = "问责记录"
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(warning__isnull=True) ^ Q(case_event__isnull=True),
                                   name="assessment_accountability_source"),
        ]
        indexes = [models.Index(fields=["region_path", "decided_on"], name="accountability_scope",
                                opclasses=["varchar_pattern_ops", "date_ops"])]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.get_measure_display()} {self.decided_on}"
