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
