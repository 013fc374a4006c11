"""Password rules (ASVS V6.2, GB/T 22239 8.1.4.1 a): length, classes, common and context words,
history, expiry, initial passwords, the change view, the production hasher."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from django.contrib.auth.password_validation import CommonPasswordValidator, validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from fangtiao.audit.models import AuditEvent
from fangtiao.core.testing.world import PASSWORD
from fangtiao.org.models import User
from fangtiao.security import services
from fangtiao.security.models import Credential, PasswordHistory
from fangtiao.security.tests.conftest import at, post_login

pytestmark = pytest.mark.django_db


def _rejects(password: str, user=None) -> bool:  # type: ignore[no-untyped-def]
    try:
        validate_password(password, user)
    except ValidationError:
        return True
    return False


def test_length_bounds_and_classes():
    assert _rejects("Ab1!xyz")                      # 7 characters
    assert not _rejects("Qx7#mP2vL9wz")             # 12, four classes
    assert _rejects("qx7mp2vl9wzr")                 # 12, two classes
    assert not _rejects("qx7mp2vl9wz!")             # three classes
    assert not _rejects("Qx7#" * 16)                # 64 accepted (V6.2.9)
    assert not _rejects("Qx7#mP2vL9wz" * 10 + "Qx7#mP2v")  # 128 accepted
    assert _rejects("Qx7#mP2vL9wz" * 10 + "Qx7#mP2vL")     # 129 refused


def test_context_words_rejected(world):
    user = world.users["clerk_t01"]  # 东城街道联合调解分中心 / 东城分中心
    for word in ["信访", "调解", "fangtiao", "访调通", "admin", "FangTiao", "ADMIN", "黄岩区矛盾纠纷综合化解中心"]:
        assert _rejects(f"Qx7#mP2v{word}9wz", user), word
    assert _rejects("Ab1!东城分中心xyzw", user)  # the user's own unit


def test_common_passwords_rejected():
    validator = CommonPasswordValidator()
    sample = sorted(validator.passwords)[::max(len(validator.passwords) // 100, 1)][:100]
    assert len(sample) == 100 and all(_rejects(p) for p in sample)
    assert _rejects("Password123!") or _rejects("password123")


def test_no_truncation_or_case_folding(world):
    user = world.users["clerk_t01"]
    user.set_password("Passw0rd!Long-Qx7")
    user.save()
    assert user.check_password("Passw0rd!Long-Qx7") and not user.check_password("passw0rd!long-qx7")
    assert not user.check_password("Passw0rd!Long-Qx")


def test_history_of_five(world):
    user = world.users["clerk_t01"]
    first = "Hist-0rder-A1"
    for pw in [first, "Hist-0rder-B2", "Hist-0rder-C3", "Hist-0rder-D4", "Hist-0rder-E5"]:
        validate_password(pw, user)
        user.set_password(pw)
        user.save()
    assert PasswordHistory.objects.filter(user=user).count() == 5
    assert _rejects(first, user) and _rejects("Hist-0rder-E5", user)
    user.set_password("Hist-0rder-F6")
    user.save()
    assert not _rejects(first, user)  # six changes ago: allowed again
    assert not PasswordHistory.objects.filter(user=user, password__contains=first).exists()


def test_change_view_needs_the_current_password_and_ends_other_sessions(world, client):
    from django.test import Client

    user = world.users["clerk_t01"]
    other = Client()
    other.force_login(user)
    client.force_login(user)
    before = User.objects.get(pk=user.pk).password
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and b'type="password"' in page.content and b"onpaste" not in page.content
    r = client.post("/accounts/password/", {"old_password": "wrong-Passw0rd!", "new_password1": "New-Secret-42x",
                                            "new_password2": "New-Secret-42x"})
    assert r.status_code == 200 and "当前密码不正确" in r.content.decode()
    assert User.objects.get(pk=user.pk).password == before
    r = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": "short",
                                            "new_password2": "short"})
    assert r.status_code == 200 and "至少需要 12 个字符" in r.content.decode()
    r = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": "New-Secret-42x",
                                            "new_password2": "New-Secret-42x"})
    assert r.status_code == 302
    assert User.objects.get(pk=user.pk).check_password("New-Secret-42x")
    assert client.get("/").status_code == 200            # this session stays
    assert other.get("/").status_code == 302             # the other one is gone
    assert AuditEvent.objects.filter(action="auth.password_changed", subject_id=str(user.pk)).exists()


def test_expiry_after_90_days_forces_a_change(world, client):
    user = world.users["clerk_t01"]
    later = timezone.now() + dt.timedelta(days=91)
    with at(later):
        r = post_login(client, "clerk_t01")
        assert r.status_code == 302
        r = client.get("/")
        assert r.status_code == 302 and r["Location"].startswith("/accounts/password/")
        assert client.get("/accounts/password/").status_code == 200
        assert AuditEvent.objects.filter(action="auth.password_expired", actor_id=user.pk).count() == 1
        r = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": "Fresh-Secret-91",
                                                "new_password2": "Fresh-Secret-91"})
        assert r.status_code == 302
        assert client.get("/").status_code == 200
    with at(timezone.now() + dt.timedelta(days=89)):
        assert not services.password_must_change(Credential.objects.get(user=user))


def test_initial_password_set_by_the_security_admin(world, sec, client, login):
    user = world.users["clerk_t02"]
    services.password_set_initial(actor=sec, user=user, password="Init-Secret-77")
    cred = Credential.objects.get(user=user)
    assert cred.must_change and cred.initial_expires_at is not None
    assert AuditEvent.objects.filter(action="auth.password_set", actor_id=sec.pk).exists()
    r = post_login(client, "clerk_t02", "Init-Secret-77")
    assert r.status_code == 302
    r = client.get("/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/password/")
    client.post("/accounts/logout/")
    with at(timezone.now() + dt.timedelta(hours=25)):
        r = post_login(client, "clerk_t02", "Init-Secret-77")
        assert r.status_code == 200 and "初始密码已过期" in r.content.decode()


def test_a_password_an_admin_sets_through_a_request_is_an_initial_one(world, sec, login):
    """Whoever sets another user's password in a request (the staff form, Django's admin) makes it
    an initial password; the user's own change does not."""
    from fangtiao.security.validators import current_request

    class R:
        user = sec

    token = current_request.set(R())
    try:
        u = world.users["head_t01"]
        u.set_password("Set-By-Other-1")
        u.save()
    finally:
        current_request.reset(token)
    assert Credential.objects.get(user=u).must_change


def test_only_the_security_admin_sets_initial_passwords(world):
    from fangtiao.core.errors import PermissionDenied

    for name in ("admin", "auditor", "leader"):
        with pytest.raises(PermissionDenied):
            services.password_set_initial(actor=world.users[name], user=world.users["clerk_t02"], password="Init-Secret-77")


@override_settings(FANGTIAO_PASSWORD_MIN_LENGTH=16)
def test_minimum_is_configurable():
    assert _rejects("Qx7#mP2vL9wz")


def test_production_hashers_put_argon2id_first():
    code = ("import os; os.environ.pop('FANGTIAO_TESTING', None); os.environ['FANGTIAO_DEMO']='1'; "
            "import django; os.environ['DJANGO_SETTINGS_MODULE']='fangtiao.settings'; django.setup(); "
            "from django.conf import settings; from django.contrib.auth.hashers import get_hasher; "
            "h = get_hasher(); print(settings.PASSWORD_HASHERS[0], h.algorithm, h.make_password if False else '')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.split()[:2] == ["django.contrib.auth.hashers.Argon2PasswordHasher", "argon2"]
    from argon2 import Type
    from django.contrib.auth.hashers import Argon2PasswordHasher
    assert Argon2PasswordHasher().params().type == Type.ID
