"""Imports of historical matters from other systems (`fangtiao import-cases`).

A batch is one file of one source system, keyed by (source, SHA-256 of the file): running the same
command again finds the same batch and carries on. Every imported row is remembered by
(source, external id) — unique — so a row is never imported twice, whichever file it comes in."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ImportStatus(models.TextChoices):
    RUNNING = "running", "导入中"
    COMPLETED = "completed", "已完成"
    FAILED = "failed", "中断"


class ImportBatch(models.Model):
    source = models.CharField("来源系统", max_length=100)
    file_name = models.CharField("文件名", max_length=255)
    sha256 = models.CharField("文件SHA-256", max_length=64)
    unit = models.ForeignKey("org.Unit", verbose_name="登记单位", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey("org.User", verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    status = models.CharField("状态", max_length=16, choices=ImportStatus.choices, default=ImportStatus.RUNNING)
    started_at = models.DateTimeField("开始时间", default=timezone.now)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    runs = models.PositiveIntegerField("运行次数", default=0)
    total_rows = models.PositiveIntegerField("总行数", default=0)
    valid_rows = models.PositiveIntegerField("有效行数", default=0)
    invalid_rows = models.PositiveIntegerField("无效行数", default=0)
    imported_rows = models.PositiveIntegerField("已导入", default=0)
    skipped_rows = models.PositiveIntegerField("跳过（已导入过）", default=0)
    mapping = models.JSONField("列对照", default=dict, blank=True)
    error = models.TextField("中断原因", blank=True)

    class Meta:
        verbose_name = "导入批次"
        verbose_name_plural = "导入批次"
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "sha256"], name="cases_importbatch_file_uniq")]

    def __str__(self) -> str:
        return f"{self.source}：{self.file_name}"


class ImportedRow(models.Model):
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="rows")
    source = models.CharField("来源系统", max_length=100)
    external_id = models.CharField("原系统编号", max_length=100)
    line = models.PositiveIntegerField("行号")
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="imported_from")
    imported_at = models.DateTimeField("导入时间", default=timezone.now)

    class Meta:
        verbose_name = "导入记录"
        verbose_name_plural = "导入记录"
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="cases_importedrow_uniq")]

    def __str__(self) -> str:
        return f"{self.source}#{self.external_id}"
