"""Row-level scope applied at the queryset (the NetBox `restrict()` habit).

Every model that belongs to a jurisdiction defines `visible_q(user) -> Q | None` (None means
"everything"); `Model.objects.visible_to(user)` is what selectors start from, so no endpoint can
forget the scope. Outside it an object does not exist for the caller (404)."""

from __future__ import annotations

from typing import Any

from django.db import models


class RestrictedQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> RestrictedQuerySet:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        q = self.model.visible_q(user)  # type: ignore[attr-defined]
        return self if q is None else self.filter(q)


class TimeStamped(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True
