from django.contrib import admin

from fangtiao.cases.models import Case


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change only through the lifecycle services (audited, versioned)."""

    list_display = ("number", "title", "status", "kind", "channel", "holder_unit", "received_at")
    list_filter = ("status", "kind", "channel", "is_collective", "is_repeat", "is_skip_level", "is_overdue")
    search_fields = ("number", "title")
    date_hierarchy = "received_at"
    exclude = ("query_code_hash",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
