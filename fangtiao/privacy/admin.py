"""The legal-basis register is edited here (audited; each save bumps the entry's version). Retention
rules change only through their page (privacy.rule_changed), the rest through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils import timezone

from fangtiao.core.admin import AuditedAdmin
from fangtiao.privacy.models import RegisterEntry


@admin.register(RegisterEntry)
class RegisterEntryAdmin(AuditedAdmin):
    list_display = ("code", "category", "basis", "sensitive", "retention", "version", "updated_at")
    list_filter = ("basis", "sensitive")
    search_fields = ("code", "category", "purpose")
    readonly_fields = ("version", "updated_at")

    def save_model(self, request: Any, obj: RegisterEntry, form: Any, change: bool) -> None:
        if change and form.changed_data:
            obj.version += 1
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
