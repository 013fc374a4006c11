from django.contrib import admin

from fangtiao.clocks.models import CalendarDay, Clock, ClockRule, CountingSetting, WorkerHeartbeat
from fangtiao.core.admin import AuditedAdmin


@admin.register(ClockRule)
class ClockRuleAdmin(AuditedAdmin):
    """The statutory rule table: administrators may adjust a figure or add a regional override
    (e.g. 浙江 counts some periods in working days); every change is audited."""

    list_display = ("code", "name", "days", "working_days", "region", "source", "active")
    list_filter = ("working_days", "active")
    search_fields = ("code", "name", "source")
    raw_id_fields = ("region",)


@admin.register(CountingSetting)
class CountingSettingAdmin(AuditedAdmin):
    list_display = ("region", "count_start_day", "shift_to_workday")
    raw_id_fields = ("region",)


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin):
    """Holidays and make-up working days for years the maintained package does not cover yet
    (it covers 2004–2026), or corrections announced by the State Council."""

    list_display = ("date", "is_workday", "name")
    list_filter = ("is_workday",)
    date_hierarchy = "date"


@admin.register(Clock)
class ClockAdmin(admin.ModelAdmin):
    list_display = ("case", "code", "started_on", "due_on", "state", "holder_unit")
    list_filter = ("state", "code")
    raw_id_fields = ("case", "rule", "holder_unit")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    """Written by the worker itself; shown so an administrator can see which workers run."""

    list_display = ("host", "pid", "version", "started_at", "last_seen_at", "last_clock_tick_at")
    ordering = ("-last_seen_at",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
