from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from fangtiao.core import context


def client_ip(request: HttpRequest) -> str | None:
    # Behind our own reverse proxy the client address is the last hop it appended.
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Binds a request id and the client address for the audit log; echoes the id back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if incoming.isalnum() and len(incoming) <= 64 else context.new_request_id()
        ctx = context.RequestContext(
            request_id=rid,
            ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:200],
            path=request.path[:200],
        )
        request.request_id = rid  # type: ignore[attr-defined]
        with context.bound(ctx):
            response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response


# --- load and faults (issue 9) ---------------------------------------------------------------------

RESOURCE_BUSY_DETAIL = "系统繁忙，请稍后重试"
STORAGE_FULL_DETAIL = "系统存储空间不足，请稍后重试"
RETRY_AFTER_SECONDS = 30


def resource_error_status(exc: BaseException) -> int | None:
    """507 for a full disk or quota (ENOSPC, EDQUOT, SQLite's "database or disk is full"), 503 for a
    database that is gone or busy (lost connection, pool timeout, "database is locked" after the busy
    timeout); None for everything else (a real bug stays a logged 500). Follows the exception's chain,
    since Django wraps driver errors (`raise OperationalError from sqlite3.OperationalError`)."""
    import errno

    from django.db import InterfaceError, OperationalError

    seen: set[int] = set()
    busy = False
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return 507
        text = str(exc).lower()
        if "disk is full" in text or "no space left" in text:
            return 507
        name = type(exc).__name__
        if isinstance(exc, OperationalError | InterfaceError) or name in ("PoolTimeout", "TooManyConnections"):
            busy = True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return 503 if busy else None


class ResourceErrorMiddleware:
    """A full disk or an unavailable database answers 507/503 with a generic Chinese body and
    Retry-After instead of a 500: nothing of the exception (no traceback, SQL, path or setting name)
    reaches the client; the log gets one line with the exception's class. The request's transaction
    was rolled back by then (ATOMIC_REQUESTS is off; services roll back their own atomic block)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        status = resource_error_status(exception)
        if status is None:
            return None
        return resource_error_response(request, status, exception)


def resource_error_response(request: HttpRequest, status: int, exc: BaseException) -> HttpResponse:
    import contextlib
    import json
    import logging

    from django.db import connections

    logging.getLogger("fangtiao.resources").warning(
        "%s %s → %s (%s)", request.method, request.path[:200], status, type(exc).__name__)
    if status == 503:
        # A connection that failed mid-request is not handed to the next request of this thread.
        for conn in connections.all(initialized_only=True):
            if conn.connection is not None:
                with contextlib.suppress(Exception):
                    conn.close_if_unusable_or_obsolete()
    detail = STORAGE_FULL_DETAIL if status == 507 else RESOURCE_BUSY_DETAIL
    if request.path.startswith("/api/"):
        response = HttpResponse(json.dumps({"detail": detail, "errors": []}, ensure_ascii=False), status=status,
                                content_type="application/json; charset=utf-8")
    else:
        response = HttpResponse(f"<!doctype html><meta charset=utf-8><title>{detail}</title><p>{detail}</p>",
                                status=status, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
