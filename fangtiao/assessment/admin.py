from django.contrib import admin

from fangtiao.assessment.models import (
    Accountability,
    Commendation,
    Indicator,
    Scheme,
    SchemeItem,
    Score,
    ScoreItem,
)


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "direction", "unit_of_measure", "active", "sort")
    list_filter = ("kind", "direction", "active")
    search_fields = ("code", "name")


class SchemeItemInline(admin.TabularInline):
    model = SchemeItem
    extra = 0


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = ("name", "period_type", "level", "dynamic_share", "active", "updated_at")
    list_filter = ("period_type", "level", "active")
    inlines = [SchemeItemInline]


class ScoreItemInline(admin.TabularInline):
    model = ScoreItem
    extra = 0
    can_delete = False
    readonly_fields = ("indicator", "weight", "value", "numerator", "denominator", "points", "static_value",
                       "static_numerator", "static_denominator", "static_points")
    fields = readonly_fields


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ("period", "level", "rank", "name", "total", "dynamic_total", "static_total", "computed_at")
    list_filter = ("level", "period_type")
    search_fields = ("name", "period")
    readonly_fields = ("computed_at", "computed_by")
    inlines = [ScoreItemInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # scores come from the computation only


@admin.register(Commendation)
class CommendationAdmin(admin.ModelAdmin):
    list_display = ("period", "level", "rank", "name", "total", "status", "confirmed_by")
    list_filter = ("level", "status")


@admin.register(Accountability)
class AccountabilityAdmin(admin.ModelAdmin):
    list_display = ("decided_on", "unit", "person", "measure", "recorded_by")
    list_filter = ("measure",)
    raw_id_fields = ("warning", "case_event", "case", "unit")
