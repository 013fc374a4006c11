"""Who is acting, from where, in which request: set by middleware, read by the audit log.

Commands and workers pass the actor explicitly to services; this context only adds the
request id and client address when there is a request."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None = None
    user_agent: str = ""
    path: str = ""


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
