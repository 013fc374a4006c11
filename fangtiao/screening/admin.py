from django.contrib import admin

from fangtiao.core.admin import AuditedAdmin
from fangtiao.screening.models import ScreeningPlan, WarningRule


@admin.register(WarningRule)
class WarningRuleAdmin(AuditedAdmin):
    """Switch a kind of warning off or change its thresholds (defaults and sources: docs/warnings.md).
    Only the parameters a kind has are read; others are ignored."""

    list_display = ("kind", "enabled", "params")
    list_filter = ("enabled",)


@admin.register(ScreeningPlan)
class ScreeningPlanAdmin(AuditedAdmin):
    """How often each unit screens (default: twice a month, 3 days' grace)."""

    list_display = ("unit", "rounds_per_month", "grace_days", "active")
    list_filter = ("active", "rounds_per_month")
    search_fields = ("unit__name",)
    raw_id_fields = ("unit",)
