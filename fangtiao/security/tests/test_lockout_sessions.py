"""Lockout matrix (security-reliability §6 item 8) and session rules (item 9, V7)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from fangtiao.audit.models import AuditEvent
from fangtiao.org.models import User
from fangtiao.security.models import Lockout, UserSession
from fangtiao.security.services import LOCKED_MESSAGE
from fangtiao.security.tests.conftest import at, post_login

pytestmark = pytest.mark.django_db
WRONG = "Wrong-Passw0rd!"


def _text(r) -> str:  # type: ignore[no-untyped-def]
    return r.content.decode()


def test_lockout_matrix(world, client):
    t0 = timezone.now()
    with at(t0):
        for _ in range(5):
            r = post_login(client, "clerk_t01", WRONG, ip="10.0.0.1")
            assert r.status_code == 200 and "账号或密码错误" in _text(r)
        r = post_login(client, "clerk_t01", ip="10.0.0.1")  # 6th, right password: locked
        assert r.status_code == 200 and LOCKED_MESSAGE in _text(r) and "_auth_user_id" not in client.session
        # another address, below its own threshold: the victim still logs in
        other = Client()
        for _ in range(4):
            post_login(other, "clerk_t01", WRONG, ip="10.0.0.2")
        assert post_login(other, "clerk_t01", ip="10.0.0.2").status_code == 302
    assert AuditEvent.objects.filter(action="auth.login_failed").count() >= 9
    assert AuditEvent.objects.filter(action="auth.locked", actor_username="clerk_t01").count() == 1
    with at(t0 + dt.timedelta(minutes=29)):
        assert LOCKED_MESSAGE in _text(post_login(client, "clerk_t01", ip="10.0.0.1"))
    with at(t0 + dt.timedelta(minutes=31)):
        assert post_login(client, "clerk_t01", ip="10.0.0.1").status_code == 302
    assert AuditEvent.objects.filter(action="auth.unlocked", actor_username="clerk_t01").count() == 1


def test_no_user_enumeration(world):
    a, b = Client(), Client()
    ra = post_login(a, "clerk_t01", WRONG, ip="10.0.0.3")
    rb = post_login(b, "nobody_here", WRONG, ip="10.0.0.4")
    assert ra.status_code == rb.status_code == 200
    assert "账号或密码错误" in _text(ra) and "账号或密码错误" in _text(rb)
    for _ in range(5):
        post_login(b, "nobody_here", WRONG, ip="10.0.0.4")
        post_login(a, "clerk_t01", WRONG, ip="10.0.0.3")
    la, lb = post_login(a, "clerk_t01", WRONG, ip="10.0.0.3"), post_login(b, "nobody_here", WRONG, ip="10.0.0.4")
    assert la.status_code == lb.status_code == 200 and LOCKED_MESSAGE in _text(la) and LOCKED_MESSAGE in _text(lb)


@override_settings(FANGTIAO_LOGIN_IP_FAILURE_LIMIT=8)
def test_per_address_cap_across_usernames(world, client):
    for k in range(8):
        post_login(client, f"guess{k}", WRONG, ip="10.9.9.9")
    assert Lockout.objects.filter(scope="ip", ip="10.9.9.9", ended_at__isnull=True).exists()
    assert LOCKED_MESSAGE in _text(post_login(client, "clerk_t01", ip="10.9.9.9"))
    assert post_login(Client(), "clerk_t01", ip="10.9.9.10").status_code == 302


def test_the_security_admin_unlocks(world, sec, client, login):
    for _ in range(5):
        post_login(client, "clerk_t02", WRONG, ip="10.0.0.5")
    lock = Lockout.objects.get(username="clerk_t02")
    assert login(world.users["admin"]).post(f"/accounts/security/lockouts/{lock.pk}/unlock/").status_code == 403
    c = Client()
    c.force_login(sec)
    assert c.post(f"/accounts/security/lockouts/{lock.pk}/unlock/").status_code == 302
    assert post_login(Client(), "clerk_t02", ip="10.0.0.5").status_code == 302
    assert AuditEvent.objects.filter(action="auth.unlocked", actor_id=sec.pk).exists()


def test_idle_and_absolute_timeouts(world, client):
    t0 = timezone.now()
    with at(t0):
        assert post_login(client, "clerk_t01").status_code == 302
    with at(t0 + dt.timedelta(minutes=29)):
        assert client.get("/").status_code == 200
    with at(t0 + dt.timedelta(minutes=29 + 31)):
        r = client.get("/", HTTP_HX_REQUEST="true")  # an htmx fragment: the whole page goes to the login
        assert r.status_code == 204 and r["HX-Redirect"] == "/accounts/login/"
        assert client.get("/").status_code == 302
    # absolute: active every 25 minutes, still out after 12 h
    c = Client()
    with at(t0):
        post_login(c, "clerk_t02", ip="10.0.0.6")
    for k in range(1, 29):
        with at(t0 + dt.timedelta(minutes=25 * k)):
            assert c.get("/accounts/sessions/").status_code == 200, k
    with at(t0 + dt.timedelta(hours=12, minutes=1)):
        r = c.get("/accounts/sessions/")
        assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_login_cycles_the_key_and_logout_kills_the_server_session(world, client):
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key
    post_login(client, "clerk_t01")
    key = client.session.session_key
    assert key and key != before and len(client.cookies["sessionid"].value) >= 32
    old_cookie = client.cookies["sessionid"].value
    r = client.post("/accounts/logout/")
    assert r.status_code == 302 and r["Clear-Site-Data"] == '"cache", "storage"'
    assert not UserSession.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies["sessionid"] = old_cookie
    r = replay.get("/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_disabling_a_user_ends_the_sessions(world, client, login):
    user = world.users["clerk_t01"]
    c = login(user)
    assert c.get("/").status_code == 200
    u = User.objects.get(pk=user.pk)
    u.is_active = False
    u.save()
    assert c.get("/").status_code == 302
    assert not UserSession.objects.filter(user=user).exists()


def test_own_sessions_listed_and_ended(world):
    user = world.users["clerk_t01"]
    a, b = Client(), Client()
    post_login(a, "clerk_t01", ip="10.1.1.1")
    post_login(b, "clerk_t01", ip="10.1.1.2")
    page = a.get("/accounts/sessions/")
    assert page.status_code == 200 and "10.1.1.2" in _text(page) and "当前会话" in _text(page)
    other = UserSession.objects.get(user=user, ip="10.1.1.2")
    assert a.post("/accounts/sessions/", {"session": other.pk}).status_code == 302
    assert b.get("/").status_code == 302 and a.get("/").status_code == 200
    # someone else's session id does nothing
    c = Client()
    post_login(c, "clerk_t02", ip="10.1.1.3")
    theirs = UserSession.objects.get(user=world.users["clerk_t02"])
    a.post("/accounts/sessions/", {"session": theirs.pk})
    assert c.get("/").status_code == 200
    assert a.post("/accounts/sessions/", {"session": "x"}).status_code == 404


def test_security_admin_and_command_end_sessions(world, sec):
    a, b, s = Client(), Client(), Client()
    a.force_login(world.users["clerk_t01"])
    b.force_login(world.users["clerk_t02"])
    s.force_login(sec)
    leader = Client()
    leader.force_login(world.users["leader"])
    target = world.users["clerk_t01"].pk
    assert leader.post(f"/accounts/security/users/{target}/end_sessions/").status_code == 403
    assert s.post(f"/accounts/security/users/{target}/end_sessions/").status_code == 302
    assert a.get("/").status_code == 302 and b.get("/").status_code == 200
    assert s.get("/accounts/security/").status_code == 200
    call_command("end-sessions", "--user", "clerk_t02")
    assert b.get("/").status_code == 302
    call_command("end-sessions", "--all")
    assert s.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.sessions_ended").count() >= 3


def test_inactive_accounts_are_disabled_by_the_periodic_job(world):
    from fangtiao.security import services
    from fangtiao.tasks.registry import PERIODIC

    assert any(p.target == "fangtiao.security.services:periodic" for p in PERIODIC)
    user = world.users["clerk_t01"]
    User.objects.filter(pk=user.pk).update(last_login=timezone.now() - dt.timedelta(days=10))
    with at(timezone.now() + dt.timedelta(days=79)):
        assert services.periodic()["disabled"] == 0
    assert User.objects.get(pk=user.pk).is_active
    with at(timezone.now() + dt.timedelta(days=81)):
        assert services.periodic()["disabled"] == 1
    assert not User.objects.get(pk=user.pk).is_active
    assert AuditEvent.objects.filter(action="auth.account_disabled", subject_id=str(user.pk)).exists()


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache")
def test_ending_sessions_works_with_the_cache_engine(world, sec):
    a, b = Client(), Client()
    post_login(a, "clerk_t01", ip="10.2.2.1")
    post_login(b, "clerk_t02", ip="10.2.2.2")
    assert a.get("/").status_code == 200 and b.get("/").status_code == 200
    call_command("end-sessions", "--user", "clerk_t01")
    assert a.get("/").status_code == 302 and b.get("/").status_code == 200
    call_command("end-sessions", "--all")
    assert b.get("/").status_code == 302
    c = Client()
    post_login(c, "clerk_t01", ip="10.2.2.3")
    old = c.cookies["sessionid"].value
    c.post("/accounts/logout/")
    replay = Client()
    replay.cookies["sessionid"] = old
    assert replay.get("/").status_code == 302
