"""One lifecycle transition (a row of the state machine). Kept apart from the table so that the
mediation app can declare its own rows (fangtiao.mediation.workflow) without an import cycle."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ninja import Schema


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]
    schema: type[Schema]
    holder_only: bool = True
    kinds: frozenset[str] = frozenset({"petition", "dispute"})
    stops: tuple[str, ...] = ()
    starts: tuple[str, ...] = ()
    basis: str = ""
    public_note: str = ""
    guard: Callable[[Any], str | None] | None = None
    style: str = "secondary"
    extra: dict[str, Any] = field(default_factory=dict)
    module: str = "fangtiao.cases.handlers"

    @property
    def handler_name(self) -> str:
        return f"do_{self.action}"

    def handler(self) -> Callable[..., Any]:
        """`do_<action>(case, actor, payload, today) -> Result` in the transition's module."""
        return getattr(importlib.import_module(self.module), self.handler_name)

    def permission(self) -> Callable[..., str | None] | None:
        """The optional `may_<action>(case, actor) -> reason | None` beyond role and holding unit."""
        return getattr(importlib.import_module(self.module), f"may_{self.action}", None)
