"""以奖代补: configurable rules, payout batches per period and unit scope, their lines per mediator
and per committee, and the earnings (one case earning one subsidy) behind every line.

No double pay is a database fact: `Earning` holds at most one live row per case, whatever its kind
(a backlog case resolved by a successful mediation earns once, not twice) — a partial unique
constraint over the rows not cancelled — so re-preparing, recomputing or two overlapping batches (a
township's and the district's) can never pay the same case twice. A line's items are the
shares of earnings (equal split among mediators, or the lead's whole share, plus the committee's)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from fangtiao.cases.access import RegionPathScoped
from fangtiao.core.querysets import RestrictedQuerySet
from fangtiao.subsidies.choices import BatchStatus, PeriodKind, RuleKind, Split, UnitLevel

MONEY = {"max_digits": 12, "decimal_places": 2}
MAX_AMOUNT = Decimal("100000.00")


class SubsidyRule(models.Model):
    name = models.CharField("规则名称", max_length=100)
    kind = models.CharField("奖补类型", max_length=16, choices=RuleKind.choices)
    amount = models.DecimalField("每件奖补（元）", **MONEY, help_text="分给调解员的金额；没有调解员时计入调委会")
    committee_amount = models.DecimalField("调委会每件另计（元）", **MONEY, default=Decimal("0.00"),
                                           help_text="为0则调委会不单列")
    split = models.CharField("调解员分配方式", max_length=16, choices=Split.choices, default=Split.EQUAL)
    category = models.ForeignKey("org.DisputeCategory", verbose_name="纠纷类型", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    min_amount = models.DecimalField("涉及金额不低于（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    min_headcount = models.PositiveIntegerField("涉及人数不少于", null=True, blank=True)
    collective_only = models.BooleanField("仅限集体事项", default=False)
    unit_level = models.CharField("调委会层级", max_length=16, choices=UnitLevel.choices, blank=True)
    region = models.ForeignKey("org.Region", verbose_name="适用区域", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", help_text="不填则全区适用")
    region_path = models.CharField(max_length=255, blank=True, editable=False)
    valid_from = models.DateField("生效日期")
    valid_to = models.DateField("失效日期", null=True, blank=True, help_text="不填则长期有效")
    active = models.BooleanField("启用", default=True)
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "以奖代补规则"
        verbose_name_plural = "以奖代补规则"
        ordering = ["kind", "-amount", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="subsidy_rule_amount_positive"),
            models.CheckConstraint(condition=Q(committee_amount__gte=0), name="subsidy_rule_committee_nonneg"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                                   name="subsidy_rule_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.amount}元/件）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.region_path = self.region.path if self.region_id else ""
        super().save(*args, **kwargs)

    @property
    def audit_region_path(self) -> str:
        return self.region_path

    def clean(self) -> None:
        from fangtiao.subsidies.rules import rule_errors

        errors = rule_errors(self)
        if errors:
            raise ValidationError({e.field: e.message for e in errors})

    def conditions(self) -> str:
        """The rule's conditions in words (pages, sheet)."""
        parts = []
        if self.category_id:
            parts.append(f"纠纷类型：{self.category}")
        if self.min_amount is not None:
            parts.append(f"金额≥{self.min_amount}元")
        if self.min_headcount:
            parts.append(f"人数≥{self.min_headcount}")
        if self.collective_only:
            parts.append("集体事项")
        if self.unit_level:
            parts.append(f"{self.get_unit_level_display()}调委会")
        if self.region_id:
            parts.append(f"区域：{self.region.name}")
        return "；".join(parts) or "不限"


class SubsidyBatch(RegionPathScoped, models.Model):
    """One payout sheet (发放表): a period and a unit scope (the unit's region subtree)."""

    number = models.CharField("编号", max_length=64, unique=True)
    period = models.CharField("期间", max_length=7, help_text="2026-05 或 2026-Q2")
    period_kind = models.CharField("期间类型", max_length=16, choices=PeriodKind.choices)
    period_start = models.DateField("起")
    period_end = models.DateField("止")
    unit = models.ForeignKey("org.Unit", verbose_name="编制范围（单位）", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, editable=False)
    status = models.CharField("状态", max_length=16, choices=BatchStatus.choices, default=BatchStatus.PREPARED)
    total = models.DecimalField("合计（元）", **MONEY, default=Decimal("0.00"))
    case_count = models.PositiveIntegerField("件数", default=0)
    prepared_by = models.ForeignKey("org.User", verbose_name="编制人", on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField("编制时间", default=timezone.now)
    approved_by = models.ForeignKey("org.User", verbose_name="审批人", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)
    paid_by = models.ForeignKey("org.User", verbose_name="发放登记人", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    paid_at = models.DateTimeField("发放时间", null=True, blank=True)
    rejected_reason = models.CharField("退回理由", max_length=500, blank=True)
    cancelled_reason = models.CharField("作废理由", max_length=500, blank=True)
    note = models.CharField("备注", max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "以奖代补发放表"
        verbose_name_plural = "以奖代补发放表"
        ordering = ["-period_start", "-id"]
        indexes = [
            models.Index(fields=["region_path", "period_start"], name="subsidy_batch_scope",
                         opclasses=["varchar_pattern_ops", "date_ops"]),
            models.Index(fields=["status", "period_start"], name="subsidy_batch_status"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.period}"


class PayoutLine(models.Model):
    """What one mediator, or one committee, is paid in a batch (the sum of its items)."""

    batch = models.ForeignKey(SubsidyBatch, on_delete=models.CASCADE, related_name="lines")
    mediator = models.ForeignKey("org.Mediator", verbose_name="调解员", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    unit = models.ForeignKey("org.Unit", verbose_name="调委会", on_delete=models.PROTECT, related_name="+",
                             help_text="调解员所在调委会，或调委会本身的一行")
    name = models.CharField("姓名/名称", max_length=100)
    region_path = models.CharField(max_length=255, editable=False, help_text="领取人所在单位的区划路径")
    amount = models.DecimalField("金额（元）", **MONEY)
    case_count = models.PositiveIntegerField("件数", default=0)

    class Meta:
        verbose_name = "发放明细"
        verbose_name_plural = "发放明细"
        ordering = ["batch", "unit", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "mediator"], condition=Q(mediator__isnull=False),
                                    name="subsidy_line_mediator_uniq"),
            models.UniqueConstraint(fields=["batch", "unit"], condition=Q(mediator__isnull=True),
                                    name="subsidy_line_committee_uniq"),
        ]
        indexes = [models.Index(fields=["mediator", "batch"], name="subsidy_line_mediator")]

    def __str__(self) -> str:
        return f"{self.name} {self.amount}"

    @property
    def audit_region_path(self) -> str:
        return self.region_path

    @property
    def is_committee(self) -> bool:
        return self.mediator_id is None


class Earning(models.Model):
    """A case earning its subsidy under one rule, in one batch. At most one live row per case (of
    either kind): the guarantee against paying a case twice."""

    batch = models.ForeignKey(SubsidyBatch, on_delete=models.CASCADE, related_name="earnings")
    case = models.ForeignKey("cases.Case", verbose_name="事项", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("奖补类型", max_length=16, choices=RuleKind.choices)
    rule = models.ForeignKey(SubsidyRule, verbose_name="规则", on_delete=models.PROTECT, related_name="earnings")
    earned_on = models.DateField("化解/调解成功日期")
    amount = models.DecimalField("金额（元）", **MONEY)
    cancelled = models.BooleanField("已作废", default=False)

    class Meta:
        verbose_name = "奖补事项"
        verbose_name_plural = "奖补事项"
        ordering = ["batch", "earned_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(cancelled=False), name="subsidy_earning_once_per_case"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.kind}"


class LineItem(models.Model):
    """A line's share of one earning: case, rule, amount."""

    line = models.ForeignKey(PayoutLine, on_delete=models.CASCADE, related_name="items")
    earning = models.ForeignKey(Earning, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField("金额（元）", **MONEY)

    class Meta:
        verbose_name = "发放明细事项"
        verbose_name_plural = "发放明细事项"
        ordering = ["line", "case_id", "id"]
        constraints = [models.UniqueConstraint(fields=["line", "earning"], name="subsidy_item_uniq")]

    def __str__(self) -> str:
        return f"{self.line_id}:{self.case_id} {self.amount}"
