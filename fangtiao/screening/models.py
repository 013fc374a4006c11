"""Screening rounds (排查), early warnings (预警) with lawyers' intervention, the text index of
matters (MinHash band keys for similar-matter lookup), routing suggestions and what the clerk chose,
and hot spots (热点) computed by a background run.

Rows that belong to a place carry `region_path` (the materialised path of org.Region) so that
jurisdiction is one indexed prefix test, as on cases."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from fangtiao.cases.access import RegionPathScoped, region_path_q
from fangtiao.core.querysets import RestrictedQuerySet
from fangtiao.screening.choices import (
    FindingRisk,
    InterventionOutcome,
    InterventionStatus,
    Level,
    RoundStatus,
    RunStatus,
    Trend,
    WarningKind,
    WarningStatus,
)

# --- screening ---------------------------------------------------------------------------------

class ScreeningPlan(models.Model):
    """How often a unit screens for disputes (article: 每月2次开展矛盾纠纷排查; configurable)."""

    unit = models.OneToOneField("org.Unit", verbose_name="排查单位", on_delete=models.CASCADE, related_name="screening_plan")
    rounds_per_month = models.PositiveSmallIntegerField("每月排查次数", default=2)
    grace_days = models.PositiveSmallIntegerField("逾期宽限天数", default=3)
    active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "排查计划"
        verbose_name_plural = "排查计划"

    def __str__(self) -> str:
        return f"{self.unit}：每月{self.rounds_per_month}次"

    @property
    def audit_region_path(self) -> str:
        return self.unit.region.path


class ScreeningRound(RegionPathScoped, models.Model):
    unit = models.ForeignKey("org.Unit", verbose_name="排查单位", on_delete=models.PROTECT, related_name="screening_rounds")
    region_path = models.CharField(max_length=255, editable=False)
    period_start = models.DateField("排查周期开始")
    due_on = models.DateField("应完成日期")
    seq = models.PositiveSmallIntegerField("本月第几次", default=1)
    status = models.CharField("状态", max_length=16, choices=RoundStatus.choices, default=RoundStatus.SCHEDULED)
    screened_on = models.DateField("排查日期", null=True, blank=True)
    screeners = models.CharField("排查人员", max_length=300, blank=True)
    places = models.CharField("排查范围（村组、小区、企业、工地等）", max_length=500, blank=True)
    nil_return = models.BooleanField("未发现矛盾纠纷（零报告）", default=False)
    summary = models.TextField("排查情况", blank=True)
    late = models.BooleanField("逾期补报", default=False)
    recorded_by = models.ForeignKey("org.User", verbose_name="填报人", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField("填报时间", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "排查轮次"
        verbose_name_plural = "排查轮次"
        ordering = ["-period_start", "unit_id"]
        constraints = [models.UniqueConstraint(fields=["unit", "period_start"], name="screening_round_unit_period")]
        indexes = [
            models.Index(fields=["region_path", "period_start"], name="screening_round_scope",
                         opclasses=["varchar_pattern_ops", "date_ops"]),
            models.Index(fields=["due_on"], name="screening_round_due", condition=Q(status="scheduled")),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.period_start:%Y年%m月}第{self.seq}次排查"

    @property
    def label(self) -> str:
        return f"{self.period_start.year}年{self.period_start.month}月第{self.seq}次"


class Finding(models.Model):
    """One dispute found in a round; it can become a case (channel 排查发现) with early intervention."""

    round = models.ForeignKey(ScreeningRound, verbose_name="排查轮次", on_delete=models.CASCADE, related_name="findings")
    title = models.CharField("纠纷概要", max_length=200)
    description = models.TextField("基本情况", blank=True)
    region = models.ForeignKey("org.Region", verbose_name="发生地", on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey("org.DisputeCategory", verbose_name="纠纷类型", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    parties = models.CharField("涉及当事人", max_length=300, blank=True)
    headcount = models.PositiveIntegerField("涉及人数", default=1)
    risk = models.CharField("风险等级", max_length=16, choices=FindingRisk.choices, default=FindingRisk.LOW)
    measures = models.TextField("已采取措施", blank=True)
    case = models.OneToOneField("cases.Case", verbose_name="转为事项", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="screening_finding")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "排查发现"
        verbose_name_plural = "排查发现"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_region_path(self) -> str:
        return self.round.region_path


# --- early warning -----------------------------------------------------------------------------

class WarningRule(models.Model):
    """Per-kind switch and thresholds (defaults in screening.rules.DEFAULTS; a row overrides them)."""

    kind = models.CharField("预警类型", max_length=32, choices=WarningKind.choices, unique=True)
    enabled = models.BooleanField("启用", default=True)
    params = models.JSONField("参数", default=dict, blank=True)

    class Meta:
        verbose_name = "预警规则"
        verbose_name_plural = "预警规则"

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def audit_region_path(self) -> str:
        return ""


class EarlyWarning(models.Model):
    """A computed signal with the reasons a leader can read. `key` makes each signal one row: the
    engine re-raises (and may raise the level of) the same warning instead of piling up copies."""

    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField("类型", max_length=32, choices=WarningKind.choices)
    level = models.CharField("等级", max_length=8, choices=Level.choices)
    status = models.CharField("状态", max_length=16, choices=WarningStatus.choices, default=WarningStatus.OPEN)
    title = models.CharField("预警事项", max_length=200)
    reasons = models.JSONField("预警理由", default=list)
    case = models.ForeignKey("cases.Case", verbose_name="事项", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="warnings")
    hotspot = models.ForeignKey("screening.Hotspot", verbose_name="热点", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="warnings")
    screening_round = models.ForeignKey(ScreeningRound, verbose_name="排查轮次", null=True, blank=True,
                                        on_delete=models.CASCADE, related_name="warnings")
    region = models.ForeignKey("org.Region", verbose_name="属地", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, editable=False)
    owner_unit = models.ForeignKey("org.Unit", verbose_name="责任单位", on_delete=models.PROTECT, related_name="warnings")
    raised_at = models.DateTimeField("预警时间", default=timezone.now)
    last_seen_at = models.DateTimeField("最近一次确认", default=timezone.now)
    acknowledged_at = models.DateTimeField("签收时间", null=True, blank=True)
    acknowledged_by = models.ForeignKey("org.User", verbose_name="签收人", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField("处置时间", null=True, blank=True)
    resolved_by = models.ForeignKey("org.User", verbose_name="处置人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    resolution = models.TextField("处置情况", blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "预警"
        verbose_name_plural = "预警"
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["region_path", "raised_at"], name="warning_scope_raised",
                         opclasses=["varchar_pattern_ops", "timestamptz_ops"]),
            models.Index(fields=["-raised_at", "-id"], name="warning_raised_desc"),
            models.Index(fields=["kind", "raised_at"], name="warning_active_kind",
                         condition=Q(status__in=["open", "acknowledged"])),
            models.Index(fields=["level", "raised_at"], name="warning_active_level",
                         condition=Q(status__in=["open", "acknowledged"])),
            models.Index(fields=["case"], name="warning_case"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_region_path(self) -> str:
        return self.region_path

    @property
    def active(self) -> bool:
        return self.status in (WarningStatus.OPEN, WarningStatus.ACKNOWLEDGED)

    @classmethod
    def visible_q(cls, user: Any) -> Q | None:
        return region_path_q(user)


class LawyerIntervention(models.Model):
    """律师提前介入: the public legal service sends a lawyer to meet a petitioner at risk of skip-level
    petitioning or extreme emotions; the meeting and its result are recorded."""

    warning = models.ForeignKey(EarlyWarning, verbose_name="预警", on_delete=models.CASCADE, related_name="interventions")
    status = models.CharField("状态", max_length=16, choices=InterventionStatus.choices, default=InterventionStatus.REQUESTED)
    request_note = models.TextField("申请说明", blank=True)
    requested_by = models.ForeignKey("org.User", verbose_name="申请人", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    service_unit = models.ForeignKey("org.Unit", verbose_name="公共法律服务机构", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    lawyer = models.ForeignKey("org.Expert", verbose_name="律师", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="interventions")
    assigned_by = models.ForeignKey("org.User", verbose_name="指派人", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    assigned_at = models.DateTimeField("指派时间", null=True, blank=True)
    met_on = models.DateField("约谈日期", null=True, blank=True)
    place = models.CharField("约谈地点", max_length=200, blank=True)
    summary = models.TextField("约谈情况", blank=True)
    outcome = models.CharField("结果", max_length=16, choices=InterventionOutcome.choices, blank=True)
    recorded_by = models.ForeignKey("org.User", verbose_name="记录人", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField("记录时间", null=True, blank=True)

    class Meta:
        verbose_name = "律师介入"
        verbose_name_plural = "律师介入"
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["lawyer", "status"], name="intervention_lawyer")]

    def __str__(self) -> str:
        return f"律师介入：{self.warning}"

    @property
    def audit_region_path(self) -> str:
        return self.warning.region_path


# --- text index --------------------------------------------------------------------------------

class TextKey(models.Model):
    """MinHash band keys of a matter's text (screening.text.minhash): matters sharing a key are
    candidates for similarity scoring. One indexed integer lookup finds them among millions."""

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["key", "case"], name="screening_textkey_key"),
                   models.Index(fields=["case"], name="screening_textkey_case")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.key}"


class TextProfile(models.Model):
    """A matter's content words as segmented when it was indexed: similarity scoring reads them
    instead of segmenting every candidate's text again (jieba is most of a lookup's cost)."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="+")
    words = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.case_id}"


class TextModel(models.Model):
    """A trained text artifact: the routing classifier, or the IDF table of similarity.
    Artifacts are written by our own training code only and read back from our own database."""

    KIND_CHOICES = [("routing", "分流建议模型"), ("idf", "相似度词频表")]

    kind = models.CharField("类型", max_length=16, choices=KIND_CHOICES)
    created_at = models.DateTimeField("训练时间", default=timezone.now)
    n_train = models.PositiveIntegerField("训练样本数", default=0)
    labels = models.JSONField("类别", default=list, blank=True)
    metrics = models.JSONField("评估指标", default=dict, blank=True)
    train_seconds = models.FloatField("训练耗时（秒）", default=0)
    artifact = models.BinaryField()
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "文本模型"
        verbose_name_plural = "文本模型"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "-created_at"], name="textmodel_kind_latest", condition=Q(active=True))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class RoutingDecision(models.Model):
    """What was suggested and what the clerk chose. The choices are what the routing model learns
    from; the suggestions let a district see how often it was right."""

    STAGE_CHOICES = [("register", "登记（纠纷类型）"), ("route", "分流（承办单位）")]

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="routing_decisions")
    stage = models.CharField("环节", max_length=16, choices=STAGE_CHOICES)
    model = models.ForeignKey(TextModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    suggested_category = models.CharField("建议类型", max_length=32, blank=True)
    suggested_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    confidence = models.FloatField("置信度", default=0)
    source = models.CharField("建议来源", max_length=16, blank=True)  # model | rules | history
    chosen_category = models.CharField("选定类型", max_length=32, blank=True)
    chosen_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey("org.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["stage", "-decided_at"], name="routing_decision_stage"),
                   models.Index(fields=["stage", "chosen_category", "decided_at"], name="routing_decision_learn")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.stage}: {self.suggested_category}→{self.chosen_category}"


# --- hot spots ---------------------------------------------------------------------------------

class HotspotRun(models.Model):
    """One computation of hot spots over a window (background job with progress)."""

    window_start = models.DateField("开始日期")
    window_end = models.DateField("结束日期")
    status = models.CharField("状态", max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    requested_by = models.ForeignKey("org.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    n_cases = models.PositiveIntegerField("事项数", default=0)
    message = models.CharField(max_length=300, blank=True)
    source_max_id = models.BigIntegerField(default=0)  # the newest case seen: nothing new → no rerun

    class Meta:
        verbose_name = "热点计算"
        verbose_name_plural = "热点计算"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="hotspot_run_status")]

    def __str__(self) -> str:
        return f"{self.window_start}—{self.window_end}"

    @property
    def percent(self) -> int:
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0


class Hotspot(models.Model):
    run = models.ForeignKey(HotspotRun, on_delete=models.CASCADE, related_name="hotspots")
    label = models.CharField("热点", max_length=200)
    terms = models.JSONField("关键词", default=list)
    size = models.PositiveIntegerField("事项数")
    previous_size = models.PositiveIntegerField("上期事项数", default=0)
    trend = models.CharField("趋势", max_length=16, choices=Trend.choices)
    region = models.ForeignKey("org.Region", verbose_name="区域", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, editable=False)
    window_start = models.DateField()
    window_end = models.DateField()
    top_category = models.CharField(max_length=32, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "热点"
        verbose_name_plural = "热点"
        ordering = ["-size", "id"]
        indexes = [models.Index(fields=["run", "-size"], name="hotspot_run_size")]

    def __str__(self) -> str:
        return self.label

    @property
    def audit_region_path(self) -> str:
        return self.region_path

    @classmethod
    def visible_q(cls, user: Any) -> Q | None:
        """Hot spots inside the user's area, and wider ones (a district-wide cluster) that have members
        there — whose member list then shows the user only their own cases."""
        from fangtiao.cases.access import case_scope_path

        path = case_scope_path(user)
        if path is None:
            return Q(pk__in=[])
        if path == "":
            return None
        parts = [p for p in path.split("/") if p]
        ancestors = ["/".join(parts[:i]) + "/" for i in range(1, len(parts))]
        members_here = models.Exists(HotspotMember.objects.filter(hotspot=models.OuterRef("pk"),
                                                                  case__region_path__startswith=path))
        return Q(region_path__startswith=path) | (Q(region_path__in=ancestors) & Q(members_here))


class HotspotMember(models.Model):
    hotspot = models.ForeignKey(Hotspot, on_delete=models.CASCADE, related_name="members")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hotspot", "case"], name="hotspot_member_uniq")]

    def __str__(self) -> str:
        return f"{self.hotspot_id}:{self.case_id}"
