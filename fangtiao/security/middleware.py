"""SessionSecurityMiddleware (after AuthenticationMiddleware): idle and absolute timeouts, the OTP
step (no staff view for a password-only session) and the forced password change. Reads only the
session's stamps (set at login): no query on an ordinary request."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from fangtiao.security import conf
from fangtiao.security.receivers import AUTH_AT, MFA_NEEDED, OTP_OK, PW_CHANGE, PW_EXPIRES, SEEN_AT
from fangtiao.security.validators import current_request

# Reachable whatever the session's state (the public portal has no staff session to protect).
OPEN_PREFIXES = ("/static/", "/healthz", "/portal/", "/favicon.ico")
SEEN_RESOLUTION = 60  # seconds: the idle stamp is rewritten at most once a minute


def _redirect(url_name: str, request: HttpRequest) -> HttpResponse:
    url = reverse(url_name)
    if request.headers.get("HX-Request"):
        # an htmx fragment (a badge, a list refresh) must not swap a login or OTP page into the page:
        # after a timeout the whole page goes to the login; while a step is due, nothing is swapped
        if url_name == "login":
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return HttpResponse(status=204)
    nxt = request.get_full_path()
    if request.method == "GET" and nxt != url:
        url += "?" + urlencode({"next": nxt})
    return HttpResponseRedirect(url)


class SessionSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_request.set(request)
        try:
            response = self._check(request)
            return response if response is not None else self.get_response(request)
        finally:
            current_request.reset(token)

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        if request.path == _names()["admin_login"]:
            # one login path (V6.3.4): Django admin's own form has no lockout and no OTP step
            url = reverse("login")
            nxt = request.GET.get("next", "/admin/")
            return HttpResponseRedirect(url + "?" + urlencode({"next": nxt}))
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not hasattr(request, "session"):
            return None
        session = request.session
        now = timezone.now().timestamp()
        auth_at, seen_at = session.get(AUTH_AT), session.get(SEEN_AT)
        if auth_at is None:  # a session from before this layer: stamped at first sight
            from fangtiao.security.receivers import stamp

            stamp(request, user)
            auth_at = seen_at = now
        if now - seen_at > conf.session_idle().total_seconds() or now - auth_at > conf.session_absolute().total_seconds():
            from fangtiao.security import services

            services.session_forget(session.session_key)
            logout(request)
            return _redirect("login", request)
        if now - seen_at >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
        path = request.path
        if path.startswith(OPEN_PREFIXES):
            return None
        names = _names()
        if path in (names["logout"], names["login"]):
            return None
        if session.get(MFA_NEEDED) and not session.get(OTP_OK):
            if path in (names["otp_verify"], names["otp_enrol"]):
                return None
            from fangtiao.security import services

            return _redirect("otp_verify" if services.confirmed_device(user) else "otp_enrol", request)
        if session.get(PW_CHANGE) or (session.get(PW_EXPIRES) and now >= session[PW_EXPIRES]):
            if path in (names["password_change"], names["otp_enrol"]):
                return None
            if not session.get("_ft_pw_expired_noted"):
                from fangtiao.audit.services import record

                session["_ft_pw_expired_noted"] = True
                record(actor=user, action="auth.password_expired", subject=user,
                       extra={"initial": bool(session.get(PW_CHANGE))})
            return _redirect("password_change", request)
        return None


_NAMES: dict[str, str] = {}


def _names() -> dict[str, str]:
    """The paths, reversed once per process. Built whole and then published in one assignment: gunicorn
    threads share the dict, and one filled key by key showed a half-built dict to a second thread
    (a KeyError, a 500, found by the topology test)."""
    if not _NAMES:
        names = {name: reverse(name) for name in ("login", "logout", "otp_verify", "otp_enrol", "password_change")}
        names["admin_login"] = reverse("admin:login")
        _NAMES.update(names)
    return _NAMES
