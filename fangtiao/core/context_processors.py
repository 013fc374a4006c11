from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The role-aware menu: only the entries the user's capabilities allow."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from fangtiao.org.permissions import capabilities_of

    caps = capabilities_of(user)
    return {"caps": caps}
