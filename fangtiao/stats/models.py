"""Rollups of the statistics, kept exact by incremental maintenance.

- `Fact`: what one source record (a case or a consultation) currently contributes — a list of
  (day, measure, level) plus the dimensions of the record. It is the pre-image that makes a
  change exact: the refresher subtracts the old contributions and adds the new ones.
- `RollupMonth`: counts per (month, bucket, dimension, value); bucket = the region of the matter
  truncated to its township (or the region itself above that). Dashboards and full months.
- `RollupDay`: counts per (day, bucket) without breakdowns, for the edge days of a period that
  does not start or end on a month boundary.
- `Dirty`: the queue of records that changed (filled through `fangtiao.core.changes` inside the
  transaction of the change), drained by the worker.

The measure columns are generated from `stats.measures.MEASURES`."""

from __future__ import annotations

from django.db import models

from fangtiao.stats.measures import MEASURES


def _measure_fields() -> dict[str, models.Field]:
    return {code: models.IntegerField(label, default=0) for code, label, _day in MEASURES}


class Fact(models.Model):
    source = models.CharField(max_length=16)
    source_id = models.BigIntegerField()
    bucket_path = models.CharField(max_length=255)
    region_path = models.CharField(max_length=255)
    dims = models.JSONField(default=dict)
    contributions = models.JSONField(default=list)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "统计事实"
        verbose_name_plural = "统计事实"
        constraints = [models.UniqueConstraint(fields=["source", "source_id"], name="stats_fact_source_uniq")]

    def __str__(self) -> str:
        return f"{self.source}:{self.source_id}"


class RollupMonth(models.Model):
    month = models.DateField("月份")
    bucket_path = models.CharField(max_length=255)
    dim = models.CharField(max_length=16, default="", blank=True)
    value = models.CharField(max_length=32, default="", blank=True)
    locals().update(_measure_fields())

    class Meta:
        verbose_name = "月度汇总"
        verbose_name_plural = "月度汇总"
        constraints = [models.UniqueConstraint(fields=["month", "bucket_path", "dim", "value"], name="stats_month_key")]
        indexes = [
            models.Index(fields=["dim", "month", "bucket_path"], name="stats_month_dim",
                         opclasses=["varchar_ops", "date_ops", "varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.bucket_path} {self.dim}={self.value}"


class RollupDay(models.Model):
    day = models.DateField("日期")
    bucket_path = models.CharField(max_length=255)
    locals().update(_measure_fields())

    class Meta:
        verbose_name = "日汇总"
        verbose_name_plural = "日汇总"
        constraints = [models.UniqueConstraint(fields=["day", "bucket_path"], name="stats_day_key")]
        # A township's edge days: its own rows, not every township's rows of those days.
        indexes = [models.Index(fields=["bucket_path", "day"], name="stats_day_bucket",
                                opclasses=["varchar_pattern_ops", "date_ops"])]

    def __str__(self) -> str:
        return f"{self.day} {self.bucket_path}"


class Dirty(models.Model):
    source = models.CharField(max_length=16)
    source_id = models.BigIntegerField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "待刷新记录"
        verbose_name_plural = "待刷新记录"

    def __str__(self) -> str:
        return f"{self.source}:{self.source_id}"


class RefreshState(models.Model):
    """One row: the refresh lock (row lock on PostgreSQL, the write lock on SQLite) and its record."""

    name = models.CharField(max_length=32, unique=True)
    last_refresh_at = models.DateTimeField(null=True, blank=True)
    last_rebuild_at = models.DateTimeField(null=True, blank=True)
    processed = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "统计刷新状态"
        verbose_name_plural = "统计刷新状态"

    def __str__(self) -> str:
        return self.name
