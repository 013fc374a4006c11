"""Real concurrency for the race tests (issue 9, docs/adr/0019-reliability-outbox.md): threads with
their own database connections, released together.

PostgreSQL: each thread opens its own connection to the test database. SQLite: the test database is
in memory (shared cache, where a second writer fails at once instead of queueing), so for the
duration of a race `file_database()` copies it into a FILE with SQLite's online backup and points
every new connection there — WAL, a busy timeout and IMMEDIATE transactions, as in production.
The main thread's connection stays on the in-memory database: read results through `in_thread()`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from django.db import close_old_connections, connection, connections

T = TypeVar("T")


@contextmanager
def file_database(tmp_path: Path) -> Iterator[None]:
    """On SQLite, run the block's threads against a file copy of the test database; on PostgreSQL
    (whose test database every connection sees) do nothing."""
    if connection.vendor != "sqlite":
        yield
        return
    import sqlite3

    path = tmp_path / "race.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    settings_dict = connections.settings["default"]  # the dict each new thread's connection is built from
    before = settings_dict["NAME"]
    settings_dict["NAME"] = f"file:{path}"
    try:
        yield
    finally:
        settings_dict["NAME"] = before


def run_threads(n: int, fn: Callable[[int], T], *, timeout: float = 120) -> tuple[list[T], list[BaseException]]:
    """Run fn(i) in n threads released together by a barrier; each thread closes its own connection."""
    barrier = threading.Barrier(n)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def target(i: int) -> None:
        try:
            close_old_connections()
            barrier.wait(timeout=30)
            out = fn(i)
            with lock:
                results.append(out)
        except BaseException as exc:  # noqa: BLE001 - reported to the caller
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,), name=f"race-{i}") for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results, errors


def in_thread(fn: Callable[[], T]) -> T:
    """fn() on a connection of its own (on SQLite: the file copy of the race)."""
    results, errors = run_threads(1, lambda i: fn())
    if errors:
        raise errors[0]
    return results[0]
