"""The enums served by GET /api/v1/meta/enums: each app registers its code tables."""

from __future__ import annotations

from collections.abc import Callable, Iterable

EnumSource = Callable[[], Iterable[tuple[str, str]]]
_ENUMS: dict[str, EnumSource] = {}


def register(name: str, source: EnumSource | Iterable[tuple[str, str]]) -> None:
    if callable(source):
        _ENUMS[name] = source
    else:
        items = list(source)
        _ENUMS[name] = lambda: items


def all_enums() -> dict[str, list[dict[str, str]]]:
    return {name: [{"code": str(c), "label": str(lbl)} for c, lbl in src()] for name, src in sorted(_ENUMS.items())}


def labels(name: str) -> dict[str, str]:
    return {str(c): str(lbl) for c, lbl in _ENUMS[name]()} if name in _ENUMS else {}
