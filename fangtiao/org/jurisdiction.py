"""One rule for what a user may see (DESIGN §2): the region subtree of the user's unit.

- A superuser sees everything (system operation; not a business role).
- Staff see the subtree of their unit's region: a district unit sees the whole district,
  a township unit its township and villages, a village committee its village.
- A professional committee at district level therefore sees the district; what is routed to a
  committee outside its region (cases, next issue) is added by the case selectors.
- A user without a unit sees nothing but themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Scope:
    all: bool = False
    path: str | None = None
    ancestor_codes: tuple[str, ...] = ()
    region_id: int | None = None

    def contains_path(self, path: str) -> bool:
        return self.all or (self.path is not None and path.startswith(self.path))


NOTHING = Scope()
EVERYTHING = Scope(all=True)


def scope_of(user: Any) -> Scope:
    """The user's jurisdiction, computed once per user object (one query at most)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    cached = getattr(user, "_fangtiao_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = EVERYTHING
    elif not user.unit_id:
        scope = NOTHING
    else:
        from fangtiao.org.models import Unit

        unit = user._state.fields_cache.get("unit")
        if unit is None or getattr(unit, "region", None) is None:
            unit = Unit.objects.select_related("region").get(pk=user.unit_id)
            user.unit = unit
        region = unit.region
        codes = tuple(c for c in region.path.strip("/").split("/")[:-1] if c)
        scope = Scope(path=region.path, ancestor_codes=codes, region_id=region.pk)
    user._fangtiao_scope = scope
    return scope


def in_scope(user: Any, region_path: str) -> bool:
    return scope_of(user).contains_path(region_path)
