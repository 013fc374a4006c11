"""The authentication figures, read at call time from Django settings (tests override them)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings


def mfa_mode() -> str:
    return getattr(settings, "FANGTIAO_MFA", "required")


def password_min_length() -> int:
    return int(getattr(settings, "FANGTIAO_PASSWORD_MIN_LENGTH", 12))


def password_max_length() -> int:
    return int(getattr(settings, "FANGTIAO_PASSWORD_MAX_LENGTH", 128))


def password_max_age() -> dt.timedelta | None:
    days = int(getattr(settings, "FANGTIAO_PASSWORD_MAX_AGE_DAYS", 90))
    return dt.timedelta(days=days) if days > 0 else None


def password_history() -> int:
    return int(getattr(settings, "FANGTIAO_PASSWORD_HISTORY", 5))


def initial_password_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=int(getattr(settings, "FANGTIAO_INITIAL_PASSWORD_HOURS", 24)))


def failure_limit() -> int:
    return int(getattr(settings, "FANGTIAO_LOGIN_FAILURE_LIMIT", 5))


def ip_failure_limit() -> int:
    return int(getattr(settings, "FANGTIAO_LOGIN_IP_FAILURE_LIMIT", 50))


def lockout() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "FANGTIAO_LOCKOUT_MINUTES", 30)))


def session_idle() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "FANGTIAO_SESSION_IDLE_MINUTES", 30)))


def session_absolute() -> dt.timedelta:
    return dt.timedelta(hours=int(getattr(settings, "FANGTIAO_SESSION_ABSOLUTE_HOURS", 12)))


def inactive_disable() -> dt.timedelta | None:
    days = int(getattr(settings, "FANGTIAO_INACTIVE_DISABLE_DAYS", 90))
    return dt.timedelta(days=days) if days > 0 else None
