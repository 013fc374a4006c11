"""The change feed: "this record changed" notices for derived data (statistics rollups).

Lower layers must not import the apps that derive from them, so the feed is a listener registry
in core. `audit.record()` announces every audited subject; writes that are not audited one by one
(the clock tick's overdue marks, bulk imports) announce themselves with `mark()`/`mark_many()`.
Listeners run inside the caller's transaction, so a notice commits (or rolls back) with the change
it describes: nothing acknowledged is missed by the rollups."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Listener = Callable[[str, list[int]], None]
_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def mark(source: str, pk: Any) -> None:
    if pk is not None:
        mark_many(source, [pk])


def mark_many(source: str, pks: Iterable[Any]) -> None:
    ids = [int(pk) for pk in pks if pk is not None]
    if not ids:
        return
    for listener in _listeners:
        listener(source, ids)


# Changes of the organisation that derived figures depend on: a unit's level (村级 share, level
# breakdowns) and a region's place in the tree (which township bucket its matters fall in).
STRUCTURAL = {"org.unit": ("unit", frozenset({"level", "region", "parent"})),
              "org.region": ("region", frozenset({"level", "parent", "path"}))}


def subject_source(subject: Any, changed: Iterable[str] = ()) -> tuple[str, int] | None:
    """('case', id) for a case or anything that belongs to one; ('consultation', id) for a
    consultation; ('unit' | 'region', id) when a unit's level or a region's place in the tree changed
    (`changed`: the audited field names); None for the rest."""
    if subject is None:
        return None
    label = subject._meta.label_lower
    if label in STRUCTURAL:
        source, fields = STRUCTURAL[label]
        return (source, subject.pk) if fields & set(changed) else None
    if label == "cases.case":
        return ("case", subject.pk)
    if label == "legalservice.consultation":
        return ("consultation", subject.pk)
    case_id = getattr(subject, "case_id", None)
    if case_id is not None:
        return ("case", case_id)
    return None
