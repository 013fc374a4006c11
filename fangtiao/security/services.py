"""Writes of the authentication layer (docs/adr/0015-authentication.md). Every security-relevant
change is audited in its own transaction."""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import secrets
from importlib import import_module
from typing import Any

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fangtiao.audit import services as audit
from fangtiao.core import crypto
from fangtiao.core.errors import FieldError, PermissionDenied, ValidationFailed
from fangtiao.org.choices import Clearance
from fangtiao.org.permissions import has_capability
from fangtiao.security import conf
from fangtiao.security.models import (
    Credential,
    Factor,
    Lockout,
    LoginFailure,
    PasswordHistory,
    Scope,
    TOTPDevice,
    UserSession,
)

LOCKED_MESSAGE = "登录失败次数过多，已暂时锁定，请30分钟后再试或联系安全管理员。"
INVALID_MESSAGE = "账号或密码错误，请重新输入。"
INITIAL_EXPIRED_MESSAGE = "初始密码已过期，请联系安全管理员重新设置。"
OTP_INVALID_MESSAGE = "动态口令错误或已使用，请输入验证器上的最新口令。"

TOTP_DIGITS = 6
TOTP_STEP = 30
TOTP_TOLERANCE = 1  # steps either side (clock drift)
SEED_BYTES = 20  # 160 bits (RFC 4226 recommends ≥ 160)


def _require(actor: Any, capability: str) -> None:
    if not has_capability(actor, capability):
        raise PermissionDenied()


def _norm(username: str | None) -> str:
    return (username or "").strip().lower()[:150]


# --- passwords -----------------------------------------------------------------------------------

def note_password_set(*, user: Any, by_other: bool, now: dt.datetime) -> None:
    """Called for every saved password (validators.HistoryValidator.password_changed)."""
    PasswordHistory.objects.create(user=user, password=user.password, created_at=now)
    keep = conf.password_history()
    old = list(PasswordHistory.objects.filter(user=user).order_by("-created_at", "-pk").values_list("pk", flat=True)[max(keep, 1):])
    if old:
        PasswordHistory.objects.filter(pk__in=old).delete()
    Credential.objects.update_or_create(user=user, defaults={
        "password_changed_at": now, "must_change": by_other,
        "initial_expires_at": now + conf.initial_password_lifetime() if by_other else None})


def credential(user: Any) -> Credential:
    """The password state; a user without one (created before this layer) counts as set now."""
    cred = Credential.objects.filter(user=user).first()
    if cred is None:
        cred, _ = Credential.objects.get_or_create(user=user, defaults={"password_changed_at": timezone.now()})
    return cred


def password_expires_at(cred: Credential) -> dt.datetime | None:
    age = conf.password_max_age()
    return cred.password_changed_at + age if age else None


def password_must_change(cred: Credential, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    expires = password_expires_at(cred)
    return cred.must_change or (expires is not None and now >= expires)


def initial_password_expired(cred: Credential, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(cred.must_change and cred.initial_expires_at and now >= cred.initial_expires_at)


@transaction.atomic
def password_change(*, user: Any, current: str, new: str, keep_session_key: str | None = None) -> None:
    """The user's own change: needs the current password; ends the user's other sessions."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    if not user.check_password(current or ""):
        raise ValidationFailed.on("old_password", "当前密码不正确")
    if new == current:
        raise ValidationFailed.on("new_password1", "新密码不能与当前密码相同")
    try:
        validate_password(new, user)
    except ValidationError as exc:
        raise ValidationFailed(detail="密码不符合要求", errors=[FieldError("new_password1", m) for m in exc.messages]) from exc
    user.set_password(new)
    user.save(update_fields=["password"])
    Credential.objects.filter(user=user).update(must_change=False, initial_expires_at=None)
    audit.record(actor=user, action="auth.password_changed", subject=user)
    sessions_end(actor=user, user=user, keep_session_key=keep_session_key, reason="password_changed")


@transaction.atomic
def password_set_initial(*, actor: Any, user: Any, password: str) -> None:
    """The security administrator sets a (random) initial password: it must be changed at first
    login and stops working after FANGTIAO_INITIAL_PASSWORD_HOURS."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    _require(actor, "security.manage")
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(detail="密码不符合要求", errors=[FieldError("password", m) for m in exc.messages]) from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    now = timezone.now()
    Credential.objects.update_or_create(user=user, defaults={
        "password_changed_at": now, "must_change": True, "initial_expires_at": now + conf.initial_password_lifetime()})
    audit.record(actor=actor, action="auth.password_set", subject=user)
    sessions_end(actor=actor, user=user, reason="password_set")


def random_password() -> str:
    """An initial password for the security administrator to hand over: 16 characters, all classes."""
    from fangtiao.security.validators import character_classes

    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(14)) + secrets.choice("#%+=") + secrets.choice("23456789")
        if character_classes(pw) == 4:
            return pw


# --- failed attempts and lockout -------------------------------------------------------------------

def _active_lockouts(username: str, ip: str, now: dt.datetime) -> Any:
    q = Q(scope=Scope.PAIR, username=username, ip=ip) | Q(scope=Scope.USER, username=username)
    if ip:
        q |= Q(scope=Scope.IP, ip=ip)
    return Lockout.objects.filter(q, ended_at__isnull=True)


def _end_expired(qs: Any, now: dt.datetime) -> None:
    for lock in qs.filter(until__lte=now):
        if Lockout.objects.filter(pk=lock.pk, ended_at__isnull=True).update(ended_at=now):
            audit.record(actor=None, action="auth.unlocked", actor_username=lock.username,
                         extra={"scope": lock.scope, "username": lock.username, "automatic": True})


@transaction.atomic
def is_locked(*, username: str, ip: str | None) -> bool:
    """Whether an attempt for this username from this address is refused now (expired lockouts are
    ended and audited on the way)."""
    now = timezone.now()
    qs = _active_lockouts(_norm(username), ip or "", now)
    _end_expired(qs, now)
    return qs.filter(until__gt=now).exists()


def _since(scope_q: Q, now: dt.datetime) -> dt.datetime:
    """Failures count from the end of the window or of the last lockout of the same scope."""
    start = now - conf.lockout()
    last = Lockout.objects.filter(scope_q).order_by("-until").values_list("until", flat=True).first()
    return max(start, last) if last else start


def _lock(*, scope: str, username: str, ip: str, now: dt.datetime, factor: str) -> None:
    Lockout.objects.create(scope=scope, username=username, ip=ip, locked_at=now, until=now + conf.lockout())
    audit.record(actor=None, action="auth.locked", success=False, actor_username=username,
                 extra={"scope": scope, "username": username, "factor": factor, "minutes": int(conf.lockout().total_seconds() // 60)})


@transaction.atomic
def attempt_failed(*, username: str, ip: str | None, factor: str = Factor.PASSWORD) -> bool:
    """Count one failed password or OTP attempt; lock the (username, address) pair at the limit,
    the address at the per-address cap, and (OTP) the username at the limit from any address.
    Returns whether it locked something."""
    now = timezone.now()
    username, ip = _norm(username), ip or ""
    LoginFailure.objects.create(username=username, ip=ip, factor=factor, at=now)
    if factor == Factor.OTP:
        audit.record(actor=None, action="auth.otp_failed", success=False, actor_username=username, extra={"username": username})
    locked = False
    pair = Q(scope=Scope.PAIR, username=username, ip=ip)
    n = LoginFailure.objects.filter(username=username, ip=ip, factor=factor, at__gt=_since(pair, now)).count()
    if n >= conf.failure_limit() and not Lockout.objects.filter(pair, ended_at__isnull=True, until__gt=now).exists():
        _lock(scope=Scope.PAIR, username=username, ip=ip, now=now, factor=factor)
        locked = True
    if factor == Factor.OTP:
        user_q = Q(scope=Scope.USER, username=username)
        n = LoginFailure.objects.filter(username=username, factor=Factor.OTP, at__gt=_since(user_q, now)).count()
        if n >= conf.failure_limit() and not Lockout.objects.filter(user_q, ended_at__isnull=True, until__gt=now).exists():
            _lock(scope=Scope.USER, username=username, ip="", now=now, factor=factor)
            locked = True
    if ip:
        ip_q = Q(scope=Scope.IP, ip=ip)
        n = LoginFailure.objects.filter(ip=ip, at__gt=_since(ip_q, now)).count()
        if n >= conf.ip_failure_limit() and not Lockout.objects.filter(ip_q, ended_at__isnull=True, until__gt=now).exists():
            _lock(scope=Scope.IP, username="", ip=ip, now=now, factor=factor)
            locked = True
    return locked


def attempt_succeeded(*, username: str, ip: str | None, factor: str = Factor.PASSWORD) -> None:
    """A success clears that factor's failures of the pair (a password success never clears OTP failures)."""
    LoginFailure.objects.filter(username=_norm(username), ip=ip or "", factor=factor).delete()


@transaction.atomic
def unlock(*, actor: Any, lockout: Lockout) -> None:
    _require(actor, "security.manage")
    if Lockout.objects.filter(pk=lockout.pk, ended_at__isnull=True).update(ended_at=timezone.now(), ended_by=actor):
        LoginFailure.objects.filter(username=lockout.username).delete() if lockout.username else None
        audit.record(actor=actor, action="auth.unlocked", extra={"scope": lockout.scope, "username": lockout.username,
                                                                  "automatic": False})


@transaction.atomic
def sweep_lockouts() -> int:
    """Periodic: end (and audit) the lockouts whose time is up; drop failures older than a day."""
    now = timezone.now()
    n = 0
    for lock in Lockout.objects.filter(ended_at__isnull=True, until__lte=now):
        if Lockout.objects.filter(pk=lock.pk, ended_at__isnull=True).update(ended_at=now):
            audit.record(actor=None, action="auth.unlocked", actor_username=lock.username,
                         extra={"scope": lock.scope, "username": lock.username, "automatic": True})
            n += 1
    LoginFailure.objects.filter(at__lt=now - max(conf.lockout(), dt.timedelta(days=1))).delete()
    return n


# --- TOTP ------------------------------------------------------------------------------------------

def _context(user: Any) -> str:
    return f"security.totp:{user.pk}"


def _totp(seed: bytes) -> TOTP:
    # HMAC-SHA-1 as RFC 6238 and every authenticator app use it (HMAC does not rest on SHA-1's
    # collision resistance); GM/T 0021 (SM3) would be another device class.
    return TOTP(seed, TOTP_DIGITS, SHA1(), TOTP_STEP)  # noqa: S303  # nosec B303  # — HMAC-SHA-1 as RFC 6238 and every authenticator app use it; HMAC does not rest on SHA-1's collision resistance


def device_seed(device: TOTPDevice) -> bytes:
    return base64.b32decode(crypto.decrypt(device.secret, context=_context(device.user)))


def device_key_b32(device: TOTPDevice) -> str:
    return base64.b32encode(device_seed(device)).decode().rstrip("=")


def provisioning_uri(device: TOTPDevice) -> str:
    return _totp(device_seed(device)).get_provisioning_uri(device.user.get_username(), "访调通")


def totp_code(seed: bytes, at: dt.datetime) -> str:
    return _totp(seed).generate(int(at.timestamp())).decode()


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def enrol_begin(*, user: Any) -> TOTPDevice:
    """The user's device, created with a new seed (160 bits from `secrets`) if there is none; an
    unconfirmed one keeps its seed until it is confirmed (the page may be shown again)."""
    device = TOTPDevice.objects.filter(user=user).first()
    if device is not None:
        return device
    seed = secrets.token_bytes(SEED_BYTES)
    secret = crypto.encrypt(base64.b32encode(seed).decode(), context=_context(user))
    return TOTPDevice.objects.create(user=user, secret=secret, created_at=timezone.now())


def _match(device: TOTPDevice, code: str, now: dt.datetime) -> int | None:
    code = (code or "").strip().replace(" ", "")
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    totp = _totp(device_seed(device))
    t = int(now.timestamp()) // TOTP_STEP
    for step in range(t - TOTP_TOLERANCE, t + TOTP_TOLERANCE + 1):
        if step > device.last_t and hmac.compare_digest(totp.generate(step * TOTP_STEP), code.encode()):
            return step
    return None


@transaction.atomic
def otp_verify(*, user: Any, code: str, ip: str | None, device: TOTPDevice | None = None) -> bool:
    """Check a code of the user's device once: the accepted step is remembered (replay refused);
    a failure counts towards the lockout like a wrong password."""
    device = device or TOTPDevice.objects.select_for_update().filter(user=user).first()
    now = timezone.now()
    step = _match(device, code, now) if device is not None else None
    # compare-and-set on last_t, so two requests with one code cannot both pass
    if step is not None and TOTPDevice.objects.filter(pk=device.pk, last_t__lt=step).update(last_t=step):
        attempt_succeeded(username=user.get_username(), ip=ip, factor=Factor.OTP)
        audit.record(actor=user, action="auth.otp_verified", subject=user)
        return True
    attempt_failed(username=user.get_username(), ip=ip, factor=Factor.OTP)
    return False


@transaction.atomic
def enrol_confirm(*, user: Any, code: str, ip: str | None) -> bool:
    device = TOTPDevice.objects.select_for_update().filter(user=user).first()
    if device is None or device.confirmed:
        return False
    if not otp_verify(user=user, code=code, ip=ip, device=device):
        return False
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True, confirmed_at=timezone.now())
    audit.record(actor=user, action="auth.mfa_enrolled", subject=user)
    return True


@transaction.atomic
def mfa_reenrol(*, user: Any, password: str) -> None:
    """The user replaces the device: re-authenticates with the password first."""
    if not user.check_password(password or ""):
        raise ValidationFailed.on("password", "密码不正确")
    TOTPDevice.objects.filter(user=user).delete()
    audit.record(actor=user, action="auth.mfa_reset", subject=user, extra={"by": "self"})


@transaction.atomic
def mfa_reset(*, actor: Any, user: Any) -> None:
    """The security administrator removes a user's device (lost phone): the user enrols again at
    the next login; the user's sessions end."""
    _require(actor, "security.manage")
    TOTPDevice.objects.filter(user=user).delete()
    audit.record(actor=actor, action="auth.mfa_reset", subject=user, extra={"by": "security_admin"})
    sessions_end(actor=actor, user=user, reason="mfa_reset")


# --- sessions -------------------------------------------------------------------------------------

def _session_store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_indexed(*, user: Any, session_key: str, ip: str | None, user_agent: str = "") -> None:
    now = timezone.now()
    UserSession.objects.update_or_create(session_key=session_key, defaults={
        "user": user, "created_at": now, "last_seen": now, "ip": ip or "", "user_agent": (user_agent or "")[:200]})


def session_forget(session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


@transaction.atomic
def sessions_end(*, actor: Any, user: Any = None, everyone: bool = False, keep_session_key: str | None = None,
                 session_pk: int | None = None, reason: str = "") -> int:
    """Delete server-side sessions: one user's (all but `keep_session_key`), one session of the
    actor's own (`session_pk`), or everyone's. Works for the DB and the cache session engines
    through the index; with the DB engine `everyone` also clears sessions the index never saw."""
    if actor is not None and (everyone or (user is not None and getattr(actor, "pk", None) != user.pk)):
        _require(actor, "security.manage")
    qs = UserSession.objects.all()
    if session_pk is not None:
        qs = qs.filter(pk=session_pk, user=actor)
    elif not everyone:
        qs = qs.filter(user=user)
    if keep_session_key:
        qs = qs.exclude(session_key=keep_session_key)
    keys = list(qs.values_list("session_key", flat=True))
    store = _session_store()
    for key in keys:
        store(session_key=key).delete()
    qs.filter(session_key__in=keys).delete()
    n = len(keys)
    if everyone and settings.SESSION_ENGINE.endswith("sessions.backends.db"):
        from django.contrib.sessions.models import Session

        sq = Session.objects.all()
        if keep_session_key:
            sq = sq.exclude(session_key=keep_session_key)
        n += sq.delete()[0]
    if n or everyone:
        audit.record(actor=actor if getattr(actor, "is_authenticated", False) else None, action="auth.sessions_ended",
                     subject=user if not everyone else None,
                     extra={"count": n, "everyone": everyone, "reason": reason})
    return n


# --- accounts -------------------------------------------------------------------------------------

@transaction.atomic
def account_disable(*, actor: Any, user: Any, reason: str) -> None:
    if actor is not None:
        _require(actor, "security.manage")
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    audit.record(actor=actor, action="auth.account_disabled", subject=user, extra={"reason": reason})
    sessions_end(actor=None, user=user, reason="account_disabled")


def disable_inactive() -> int:
    """Periodic (GB/T 22239 8.1.4.2 c): disable accounts unused for FANGTIAO_INACTIVE_DISABLE_DAYS
    (last login, or creation when never logged in). Superusers are included: there are none by design."""
    span = conf.inactive_disable()
    if span is None:
        return 0
    cutoff = timezone.now() - span
    stale = get_user_model().objects.filter(is_active=True).filter(
        Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff))
    n = 0
    for user in stale:
        account_disable(actor=None, user=user, reason="inactive")
        n += 1
    return n


def periodic() -> dict[str, int]:
    """The security job of the schedule (tasks/registry.py): lockouts that ran out, idle accounts."""
    return {"unlocked": sweep_lockouts(), "disabled": disable_inactive()}


@transaction.atomic
def clearance_set(*, actor: Any, user: Any, clearance: int) -> None:
    """Only the security administrator sets a clearance (安全标记, 8.1.4.2 e/g); audited."""
    _require(actor, "security.manage")
    if clearance not in Clearance.values:
        raise ValidationFailed.on("clearance", "密级授权取值无效")
    before = user.clearance
    if before == clearance:
        return
    get_user_model().objects.filter(pk=user.pk).update(clearance=clearance)
    user.clearance = clearance
    audit.record(actor=actor, action="auth.clearance_changed", subject=user, changes={"clearance": [before, clearance]})
