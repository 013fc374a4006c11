"""MFA for all staff (§6 item 10, V6.3.3/V6.5): TOTP on `cryptography`, once-only codes, the OTP step
before every staff view, the API token, and the three separated administrators (8.1.4.2 d/e)."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from fangtiao.audit.models import AuditEvent
from fangtiao.core.testing.world import PASSWORD
from fangtiao.org.permissions import has_capability
from fangtiao.security import services
from fangtiao.security.models import Lockout, TOTPDevice
from fangtiao.security.tests.conftest import at, post_login

pytestmark = pytest.mark.django_db


def enrol(user) -> bytes:  # type: ignore[no-untyped-def]
    device = services.enrol_begin(user=user)
    seed = services.device_seed(device)
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True, confirmed_at=timezone.now())
    return seed


def code(seed: bytes, moment: dt.datetime | None = None) -> str:
    return services.totp_code(seed, moment or timezone.now())


def test_device_parameters_and_encrypted_seed(world):
    user = world.users["clerk_t01"]
    device = services.enrol_begin(user=user)
    seed = services.device_seed(device)
    assert len(seed) * 8 == 160 and services.TOTP_STEP == 30 and services.TOTP_TOLERANCE == 1
    stored = TOTPDevice.objects.get(pk=device.pk).secret
    assert base64.b32encode(seed).decode() not in stored and seed.hex() not in stored
    # RFC 6238 appendix B vector (SHA-1, 8 digits there; our 6 digits are its last six)
    from cryptography.hazmat.primitives.hashes import SHA1
    from cryptography.hazmat.primitives.twofactor.totp import TOTP
    assert TOTP(b"12345678901234567890", 8, SHA1(), 30).generate(59) == b"94287082"  # noqa: S303 (RFC 6238 vector)  # nosec B303  # — the RFC 6238 test vector
    assert services.totp_code(b"12345678901234567890", dt.datetime.fromtimestamp(59, dt.UTC)) == "287082"


def test_code_once_only_and_tolerance(world):
    user = world.users["clerk_t01"]
    seed = enrol(user)
    t = timezone.now()
    c = code(seed, t)
    assert services.otp_verify(user=user, code=c, ip="10.0.0.1")
    assert not services.otp_verify(user=user, code=c, ip="10.0.0.1")       # replay in the same step
    assert services.otp_verify(user=user, code=code(seed, t + dt.timedelta(seconds=30)), ip="10.0.0.1")  # +1 step
    assert not services.otp_verify(user=user, code=code(seed, t + dt.timedelta(seconds=120)), ip="10.0.0.1")  # +4 steps
    for bad in ("", "12345", "abcdef", "1234567", "１２３４５６"):
        assert not services.otp_verify(user=user, code=bad, ip="10.0.0.9")


def test_five_otp_failures_lock(world):
    user = world.users["clerk_t01"]
    enrol(user)
    c = Client()
    post_login(c, "clerk_t01")
    for _ in range(5):
        r = c.post("/accounts/otp/", {"code": "000000"}, REMOTE_ADDR="10.0.0.1")
    assert Lockout.objects.filter(username="clerk_t01", ended_at__isnull=True).exists()
    assert "已暂时锁定" in r.content.decode() and c.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.otp_failed").count() == 5
    assert "已暂时锁定" in post_login(Client(), "clerk_t01").content.decode()


def _staff_urls() -> list[str]:
    """Every URL pattern without arguments, from the URLconf."""
    out: list[str] = []

    def walk(patterns, prefix: str) -> None:  # type: ignore[no-untyped-def]
        for p in patterns:
            route = str(p.pattern)
            if "<" in route or "(?P" in route or route.startswith("^"):
                continue
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern):
                out.append("/" + prefix + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(out))


OPEN = ("/accounts/login/", "/accounts/logout/", "/accounts/otp/", "/accounts/otp/enrol/", "/healthz")


@override_settings(FANGTIAO_MFA="required")
def test_password_only_session_reaches_no_staff_view(world):
    c = Client()
    assert post_login(c, "leader").status_code == 302
    urls = [u for u in _staff_urls() if not u.startswith(("/portal/", "/static/")) and u not in OPEN]
    assert len(urls) > 40
    leaks = []
    for url in urls + ["/admin/", "/admin/org/user/", "/api/v1/me"]:
        r = c.get(url)
        to = r.get("Location", "")
        if url == "/admin/login/" and to.startswith("/accounts/login/"):  # the one login path, then the OTP step
            continue
        if r.status_code != 302 or not to.startswith("/accounts/otp/"):
            leaks.append((url, r.status_code))
    assert leaks == []


def test_the_admin_site_login_is_the_one_login(world):
    r = Client().get("/admin/login/?next=/admin/")
    assert r.status_code == 302 and r["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    r = Client().post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert r.status_code == 302 and "_auth_user_id" not in Client().session


@override_settings(FANGTIAO_MFA="required")
def test_login_enrol_and_verify_journey(world):
    c = Client()
    post_login(c, "leader")
    r = c.get("/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/otp/")
    assert c.get("/inbox/", HTTP_HX_REQUEST="true").status_code == 204  # no fragment swapped in
    r = c.get("/accounts/otp/enrol/")
    assert r.status_code == 200 and "otpauth://totp/" in r.content.decode() and "<svg" in r.content.decode()
    device = TOTPDevice.objects.get(user=world.users["leader"])
    seed = services.device_seed(device)
    assert c.post("/accounts/otp/enrol/", {"code": "000000"}).status_code == 200
    key = c.session.session_key
    r = c.post("/accounts/otp/enrol/", {"code": code(seed)})
    assert r.status_code == 302 and c.get("/").status_code == 200 and c.session.session_key != key
    assert AuditEvent.objects.filter(action="auth.mfa_enrolled").count() == 1
    # next login: the OTP step; re-enrolling needs the password again
    c2 = Client()
    post_login(c2, "leader")
    assert c2.get("/accounts/otp/enrol/")["Location"].endswith("/accounts/otp/")
    later = timezone.now() + dt.timedelta(seconds=60)
    with at(later):
        assert c2.post("/accounts/otp/", {"code": code(seed, later)}).status_code == 302
        assert c2.get("/").status_code == 200
        assert c2.get("/accounts/otp/enrol/").status_code == 200
        assert c2.post("/accounts/otp/enrol/", {"password": "nope-Passw0rd!"}).status_code == 200
        assert TOTPDevice.objects.filter(user=world.users["leader"], confirmed=True).exists()
        assert c2.post("/accounts/otp/enrol/", {"password": PASSWORD}).status_code == 302
        assert not TOTPDevice.objects.filter(user=world.users["leader"], confirmed=True).exists()


@override_settings(FANGTIAO_MFA="optional")
def test_optional_mode_still_asks_those_who_enrolled(world):
    enrol(world.users["leader"])
    c = Client()
    post_login(c, "leader")
    assert c.get("/")["Location"].startswith("/accounts/otp/")
    c2 = Client()
    post_login(c2, "officer")
    assert c2.get("/").status_code == 200


@override_settings(FANGTIAO_MFA="required")
def test_api_token_needs_the_otp_code(world):
    user = world.users["leader"]
    c = Client()
    url = "/api/v1/auth/token"
    r = c.post(url, {"username": "leader", "password": PASSWORD}, content_type="application/json")
    assert r.status_code == 403 and r.json()["errors"][0]["field"] == "otp"  # not enrolled yet
    seed = enrol(user)
    r = c.post(url, {"username": "leader", "password": PASSWORD}, content_type="application/json")
    assert r.status_code == 401 and r.json()["errors"][0]["field"] == "otp"
    ok = c.post(url, {"username": "leader", "password": PASSWORD, "otp": code(seed)}, content_type="application/json")
    assert ok.status_code == 200
    token = ok.json()["token"]
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    r = c.post(url, {"username": "leader", "password": "wrong-Passw0rd!", "otp": "123456"}, content_type="application/json")
    assert r.status_code == 401 and r.json()["detail"] == "账号或密码错误"
    # expired password: no new token, and the old one stops working
    with at(timezone.now() + dt.timedelta(days=91)):
        assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
        r = c.post(url, {"username": "leader", "password": PASSWORD, "otp": code(seed, timezone.now())},
                   content_type="application/json")
        assert r.status_code == 403


def test_api_token_respects_the_lockout(world):
    c = Client()
    for _ in range(5):
        assert c.post("/api/v1/auth/token", {"username": "officer", "password": "wrong-Passw0rd!"},
                      content_type="application/json").status_code == 401
    r = c.post("/api/v1/auth/token", {"username": "officer", "password": PASSWORD}, content_type="application/json")
    assert r.status_code == 429 and "锁定" in r.json()["detail"]
    r = c.post("/api/v1/auth/token", {"username": "officer", "password": PASSWORD}, content_type="application/json")
    assert r.status_code == 429


def test_admin_roles_are_separated(world, sec, login):
    admin, auditor = world.users["admin"], world.users["auditor"]
    for user in (admin, auditor, sec):
        for cap in ("case.view", "case.register", "documents.view"):
            assert not has_capability(user, cap), (user.username, cap)
    assert not has_capability(admin, "audit.view") and has_capability(auditor, "audit.view")
    assert not has_capability(sec, "audit.view")
    assert not has_capability(admin, "staff.manage") and has_capability(sec, "staff.manage")
    assert not has_capability(auditor, "staff.manage") and not has_capability(auditor, "registry.manage")
    assert has_capability(admin, "registry.manage") and not has_capability(sec, "registry.manage")
    assert login(admin).get("/audit/").status_code == 403
    assert Client().get("/audit/").status_code == 302
    a = Client()
    a.force_login(auditor)
    assert a.get("/audit/").status_code == 200
    assert a.get("/accounts/security/").status_code == 403
    s = Client()
    s.force_login(sec)
    assert s.get("/accounts/security/").status_code == 200
    assert s.get("/audit/").status_code == 403


def test_only_the_security_admin_sets_clearance_and_resets_mfa(world, sec):
    from fangtiao.core.errors import PermissionDenied

    target = world.users["officer"]
    enrol(target)
    for actor in (world.users["admin"], world.users["auditor"], world.users["leader"]):
        with pytest.raises(PermissionDenied):
            services.clearance_set(actor=actor, user=target, clearance=2)
        with pytest.raises(PermissionDenied):
            services.mfa_reset(actor=actor, user=target)
    s = Client()
    s.force_login(sec)
    new = 1 if target.clearance != 1 else 2
    assert s.post(f"/accounts/security/users/{target.pk}/clearance/", {"clearance": str(new)}).status_code == 302
    assert s.post(f"/accounts/security/users/{target.pk}/clearance/", {"clearance": "9"}).status_code == 302
    target.refresh_from_db()
    assert target.clearance == new
    assert AuditEvent.objects.filter(action="auth.clearance_changed", actor_id=sec.pk).count() == 1
    assert s.post(f"/accounts/security/users/{target.pk}/mfa_reset/").status_code == 302
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert AuditEvent.objects.filter(action="auth.mfa_reset", actor_id=sec.pk).exists()
    assert s.post(f"/accounts/security/users/{target.pk}/nonsense/").status_code == 404
