"""Which region subtree a caller's statistics cover: their own jurisdiction, or a region inside it."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from fangtiao.cases.access import case_scope_path


def stats_path(user: Any, region_code: str | None = None) -> str:
    """The region path to count ('' = everything, for a superuser). A region outside the caller's
    jurisdiction (or unknown) is a 404, never a hint that it exists."""
    from fangtiao.org.models import Region

    base = case_scope_path(user)
    if base is None:
        raise Http404
    if not region_code:
        return base
    path = Region.objects.filter(code=region_code).values_list("path", flat=True).first()
    if path is None or not path.startswith(base):
        raise Http404
    return path
