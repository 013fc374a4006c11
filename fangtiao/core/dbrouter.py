"""Read replicas for the dashboards and reports (docs/adr/0011-read-replicas.md).

Everything reads and writes `default` unless the code asks otherwise: a read goes to a replica only
inside `reporting_reads()` — a ContextVar, so it holds for one request (or thread, or task) and
never leaks into the next — and only while `default` is not inside an atomic block, because a read
in a transaction that writes must see that transaction's own rows. Writes always go to `default`,
so the audit row of an export made inside the context lands on the primary.

The router is registered (settings.DATABASE_ROUTERS) only when DATABASE_REPLICA_URL names at least
one replica; settings.FANGTIAO_READ_REPLICAS lists their aliases. Several replicas are taken in
turn. A replica whose alias is missing, or that fails to connect, is skipped (reads fall back to
`default`) and, after a failure, left alone for FANGTIAO_REPLICA_RETRY_SECONDS.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

log = logging.getLogger(__name__)

_reporting: ContextVar[bool] = ContextVar("fangtiao_reporting_reads", default=False)
_turn = itertools.count()
_down_until: dict[str, float] = {}  # alias → time.monotonic() before which it is not tried again
_lock = threading.Lock()


@contextlib.contextmanager
def reporting_reads() -> Iterator[None]:
    """Let the reads of the block go to a read replica (when one is configured).

    Use it as `with reporting_reads():` or as a decorator `@reporting_reads()`; both reset the flag
    on the way out, exceptions included, and a new generator per call keeps threads apart."""
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


def reporting_reads_active() -> bool:
    return _reporting.get()


def replica_aliases() -> list[str]:
    """The configured replicas that exist as connection aliases."""
    known = connections.settings
    return [a for a in getattr(settings, "FANGTIAO_READ_REPLICAS", []) if a in known and a != DEFAULT_DB_ALIAS]


def mark_down(alias: str, seconds: float | None = None) -> None:
    wait = settings.FANGTIAO_REPLICA_RETRY_SECONDS if seconds is None else seconds
    with _lock:
        _down_until[alias] = time.monotonic() + wait


def reset_state() -> None:
    """Forget which replicas were down (tests, and after a configuration change)."""
    with _lock:
        _down_until.clear()


def _is_down(alias: str) -> bool:
    until = _down_until.get(alias)
    if until is None:
        return False
    if time.monotonic() >= until:
        with _lock:
            _down_until.pop(alias, None)
        return False
    return True


def _usable(alias: str) -> bool:
    """Connect if not yet connected; a failure marks the replica down instead of failing the page."""
    try:
        connections[alias].ensure_connection()
    except DatabaseError as exc:  # OperationalError and kin: unreachable, refused, bad credentials
        log.warning("read replica %s unavailable, reading from default for %ss: %s", alias,
                    settings.FANGTIAO_REPLICA_RETRY_SECONDS, exc)
        mark_down(alias)
        return False
    return True


def choose_replica() -> str:
    """The alias a reporting read uses now: a healthy replica in turn, else default."""
    up = [a for a in replica_aliases() if not _is_down(a)]
    if not up:
        return DEFAULT_DB_ALIAS
    start = next(_turn)
    for i in range(len(up)):
        alias = up[(start + i) % len(up)]
        if _usable(alias):
            return alias
    return DEFAULT_DB_ALIAS


class ReplicaRouter:
    """default for everything; a replica for reads inside reporting_reads() outside transactions."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        if not _reporting.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return choose_replica()

    def db_for_write(self, model: type, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replicas hold the same rows as default: an object read from one may point at the other.
        pool = {DEFAULT_DB_ALIAS, *replica_aliases()}
        if (obj1._state.db or DEFAULT_DB_ALIAS) in pool and (obj2._state.db or DEFAULT_DB_ALIAS) in pool:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
