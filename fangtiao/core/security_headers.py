"""Security headers on every response (docs/adr/0021-web-hardening-and-uploads.md, docs/security.md §8).

Django's SecurityMiddleware already sets HSTS (on HTTPS), nosniff, Referrer-Policy and
Cross-Origin-Opener-Policy, and XFrameOptionsMiddleware sets X-Frame-Options. This middleware adds
what Django has no setting for:

- ``Content-Security-Policy`` (``settings.FANGTIAO_CSP``): scripts and styles from our own origin
  only — no inline script, no eval, no plug-ins, no ``<base>``, no framing, forms post only to us.
  A response that brought its own policy (a downloaded file: ``sandbox``) keeps it.
- ``Cache-Control: no-store, private`` on every dynamic response: the staff pages, the API and the
  portal's pages all show personal data or a form with a CSRF token; only ``/static/`` is cacheable.
- ``Permissions-Policy``: no camera, microphone, geolocation, payment or USB for our pages.
- ``TRACE``/``TRACK`` answer 405 before anything else sees the request (ASVS V13.4.4).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.cache import patch_cache_control

# Methods no view of ours accepts; answered here so that no middleware or view below can echo them.
REFUSED_METHODS = frozenset({"TRACE", "TRACK", "CONNECT"})
ALLOWED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
DEFAULT_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def csp_directives(policy: str) -> dict[str, list[str]]:
    """``"default-src 'self'; object-src 'none'"`` → ``{"default-src": ["'self'"], …}``."""
    out: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0].lower()] = words[1:]
    return out


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in REFUSED_METHODS:
            response: HttpResponse = HttpResponseNotAllowed(ALLOWED_METHODS)
        else:
            response = self.get_response(request)
        self.add_headers(request, response)
        return response

    @staticmethod
    def add_headers(request: HttpRequest, response: HttpResponse) -> None:
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = getattr(settings, "FANGTIAO_CSP", DEFAULT_CSP)
        response.setdefault("Permissions-Policy", getattr(settings, "FANGTIAO_PERMISSIONS_POLICY",
                                                          DEFAULT_PERMISSIONS_POLICY))
        response.setdefault("X-Content-Type-Options", "nosniff")
        static = settings.STATIC_URL or "/static/"
        if not request.path.startswith(static):
            # no-store wins over any max-age a view set; "public" gives way to "private".
            patch_cache_control(response, no_store=True, private=True)
