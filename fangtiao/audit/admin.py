from typing import Any

from django.contrib import admin

from fangtiao.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log cannot be changed or deleted through the application."""

    list_display = ("at", "actor_username", "action", "subject_repr", "success", "ip")
    list_filter = ("action", "success")
    search_fields = ("actor_username", "subject_repr", "request_id")
    date_hierarchy = "at"

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
