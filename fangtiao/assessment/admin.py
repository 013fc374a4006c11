"""The assessment in Django's admin: every change is audited (`AuditedAdmin`). Scores, their items
and commendations are results of the computation and of the leaders' confirmation — read-only here,
so that a ranking cannot be edited behind the services' back."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from fangtiao.assessment.models import (
    Accountability,
    Commendation,
    ComputeRun,
    Indicator,
    Scheme,
    SchemeItem,
    Score,
    ScoreItem,
)
from fangtiao.core.admin import AuditedAdmin


class _ReadOnly(AuditedAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Indicator)
class IndicatorAdmin(AuditedAdmin):
    list_display = ("code", "name", "kind", "direction", "unit_of_measure", "active", "sort")
    list_filter = ("kind", "direction", "active")
    search_fields = ("code", "name")


class SchemeItemInline(admin.TabularInline):
    """Items change with their scheme through the scheme editor (validated, audited): read-only here."""

    model = SchemeItem
    extra = 0
    can_delete = False
    fields = readonly_fields = ("indicator", "weight", "method", "floor", "target", "if_empty", "sort")

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Scheme)
class SchemeAdmin(AuditedAdmin):
    list_display = ("name", "period_type", "level", "region_path", "dynamic_share", "active", "updated_at")
    list_filter = ("period_type", "level", "active")
    readonly_fields = ("region_path",)
    inlines = [SchemeItemInline]


class ScoreItemInline(admin.TabularInline):
    model = ScoreItem
    extra = 0
    can_delete = False
    readonly_fields = ("indicator", "weight", "value", "numerator", "denominator", "points", "static_value",
                       "static_numerator", "static_denominator", "static_points")
    fields = readonly_fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Score)
class ScoreAdmin(_ReadOnly):
    list_display = ("period", "level", "ranking_path", "rank", "name", "total", "dynamic_total", "static_total",
                    "computed_at")
    list_filter = ("level", "period_type")
    search_fields = ("name", "period")
    inlines = [ScoreItemInline]


@admin.register(ScoreItem)
class ScoreItemAdmin(_ReadOnly):
    list_display = ("score", "indicator", "value", "points", "static_value", "static_points")
    raw_id_fields = ("score",)


@admin.register(Commendation)
class CommendationAdmin(_ReadOnly):
    list_display = ("period", "level", "rank", "name", "total", "status", "confirmed_by")
    list_filter = ("level", "status")


@admin.register(ComputeRun)
class ComputeRunAdmin(_ReadOnly):
    list_display = ("period", "level", "region_path", "status", "progress_done", "progress_total", "result_count",
                    "requested_by", "created_at", "finished_at")
    list_filter = ("status", "level")


@admin.register(Accountability)
class AccountabilityAdmin(AuditedAdmin):
    list_display = ("decided_on", "unit", "person", "measure", "recorded_by")
    list_filter = ("measure",)
    raw_id_fields = ("warning", "case_event", "case", "unit", "recorded_by")
