"""Who is acting, from where, in which request: set by middleware, read by the audit log.

Commands and workers pass the actor explicitly to services; this context adds the request id and
client address when there is a request, and for work outside a request (background jobs, periodic
jobs, management commands) a generated id `job-<uuid>` / `cmd-<uuid>` and the name of the system
actor (`system:<job>`) that the audit log records when no user acted (V16.2.1, GB/T 22239 8.1.4.3 b).
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None = None
    user_agent: str = ""
    path: str = ""
    actor: str = ""  # the named system actor of a job or command ("system:clocks.tick"); "" in requests


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("fangtiao_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def bound(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


@contextmanager
def job(name: str, *, kind: str = "job") -> Iterator[RequestContext]:
    """Bind the context of background work `name` (a task, a periodic job, a command): a fresh id
    `job-<uuid>` (or `cmd-<uuid>`) and the system actor `system:<name>`. Inside a request (a job run
    inline by a view) the request's id and address stay, so the records stay correlated with it."""
    outer = _current.get()
    if outer is not None:
        ctx = replace(outer, actor=outer.actor or f"system:{name}"[:150])
    else:
        ctx = RequestContext(request_id=f"{kind}-{uuid.uuid4().hex}", path=name[:200], actor=f"system:{name}"[:150])
    with bound(ctx) as bound_ctx:
        yield bound_ctx


def command(name: str) -> Any:
    """`job()` for a management command: `with context.command("audit-purge"): ...`."""
    return job(name, kind="cmd")
