"""An audited ModelAdmin: changes made in Django's admin are written to the audit log too."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction


class AuditedAdmin(admin.ModelAdmin):
    sensitive_fields: tuple[str, ...] = ("phone", "password")

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        from fangtiao.audit import services as audit

        with transaction.atomic():
            super().save_model(request, obj, form, change)
            changed = {
                name: [None, audit.SENSITIVE_MARK if name in self.sensitive_fields else form.cleaned_data.get(name)]
                for name in form.changed_data
            }
            audit.record(actor=request.user, action="admin.changed", subject=obj, changes=changed,
                         extra={"model": obj._meta.label_lower, "created": not change})

    def delete_model(self, request: Any, obj: Any) -> None:
        from fangtiao.audit import services as audit

        with transaction.atomic():
            audit.record(actor=request.user, action="admin.changed", subject=obj, extra={"deleted": True})
            super().delete_model(request, obj)

    def get_actions(self, request: Any) -> dict[str, Any]:
        # Bulk delete bypasses delete_model (and so the audit log): not offered.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
