from typing import Any

from django.contrib import admin

from fangtiao.core.admin import AuditedAdmin
from fangtiao.subsidies.models import LineItem, PayoutLine, SubsidyBatch, SubsidyRule


@admin.register(SubsidyRule)
class SubsidyRuleAdmin(AuditedAdmin):
    """以奖代补规则 (validated by the model's clean(), in Chinese; changes audited). Batches already
    prepared keep their amounts until recomputed."""

    list_display = ("name", "kind", "amount", "committee_amount", "split", "unit_level", "category", "valid_from",
                    "valid_to", "active")
    list_filter = ("kind", "active", "unit_level")
    search_fields = ("name",)
    raw_id_fields = ("region",)
    exclude = ("version",)


class _ReadOnly(admin.ModelAdmin):
    """Batches change only through their services (approval flow, audit): read-only here."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class LineInline(admin.TabularInline):
    model = PayoutLine
    fields = ("name", "mediator", "unit", "case_count", "amount")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(SubsidyBatch)
class SubsidyBatchAdmin(_ReadOnly):
    list_display = ("number", "period", "unit", "status", "case_count", "total", "prepared_by", "approved_by")
    list_filter = ("status", "period_kind")
    search_fields = ("number", "unit__name")
    inlines = (LineInline,)


@admin.register(LineItem)
class LineItemAdmin(_ReadOnly):
    list_display = ("line", "case", "amount")
    raw_id_fields = ("line", "case", "earning")
