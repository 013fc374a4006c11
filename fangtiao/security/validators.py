"""Password rules of GB/T 22239-2019 8.1.4.1 a) (complexity, periodic change) beside ASVS V6.2
(length ≥ 12, ≤ 128 accepted, no truncation or case folding, common and context words rejected).
The class mix and expiry are recorded deviations from ASVS V6.2.5/V6.2.10 (docs/security.md §3)."""

from __future__ import annotations

import contextvars
import re
from typing import Any

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangtiao.security import conf

# The request being handled (set by SessionSecurityMiddleware): tells a password set by the user
# from one set for them by an administrator (an initial password, changed at first login).
current_request: contextvars.ContextVar[Any] = contextvars.ContextVar("fangtiao_security_request", default=None)

CONTEXT_WORDS = ("信访", "调解", "矛调", "访调", "访调通", "fangtiao", "fangdiao", "xinfang", "tiaojie",
                 "admin", "password", "huangyan", "黄岩")


class LengthValidator:
    """At least FANGTIAO_PASSWORD_MIN_LENGTH and at most FANGTIAO_PASSWORD_MAX_LENGTH characters."""

    def validate(self, password: str, user: Any = None) -> None:
        lo, hi = conf.password_min_length(), conf.password_max_length()
        if len(password) < lo:
            raise ValidationError(f"密码至少需要 {lo} 个字符", code="password_too_short")
        if len(password) > hi:
            raise ValidationError(f"密码不能超过 {hi} 个字符", code="password_too_long")

    def get_help_text(self) -> str:
        return f"密码长度 {conf.password_min_length()}–{conf.password_max_length()} 个字符"


def character_classes(password: str) -> int:
    return sum((
        any(c.isupper() for c in password),
        any(c.islower() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() or not c.isascii() for c in password),
    ))


class CharacterClassValidator:
    """At least 3 of: upper-case letters, lower-case letters, digits, other characters (等保 复杂度)."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(f"密码须包含大写字母、小写字母、数字、符号中的至少 {self.min_classes} 类",
                                  code="password_classes")

    def get_help_text(self) -> str:
        return f"包含大写字母、小写字母、数字、符号中的至少 {self.min_classes} 类"


def _context_words(user: Any) -> list[str]:
    words = list(CONTEXT_WORDS)
    unit = getattr(user, "unit", None) if user is not None else None
    if unit is not None:
        words += [w for w in (getattr(unit, "name", ""), getattr(unit, "short_name", "")) if w]
        region = getattr(unit, "region", None)
        if region is not None and getattr(region, "name", ""):
            words.append(region.name)
    return [w.lower() for w in words if len(w) >= 2]


class ContextWordValidator:
    """No password containing the application's, the domain's or the user's unit's words."""

    def validate(self, password: str, user: Any = None) -> None:
        folded = re.sub(r"[\s\-_.@]", "", password.lower())
        for word in _context_words(user):
            if word in folded or word in password.lower():
                raise ValidationError("密码不能包含系统名称、业务用语或单位名称等易猜词语", code="password_context_word")

    def get_help_text(self) -> str:
        return "不能包含系统名称、业务用语或单位名称"


class HistoryValidator:
    """Not one of the last FANGTIAO_PASSWORD_HISTORY passwords. Its `password_changed` hook keeps
    the history and the password's age (Django calls it whenever a user's password is saved)."""

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or not getattr(user, "pk", None):
            return
        from fangtiao.security.models import PasswordHistory

        n = conf.password_history()
        if n <= 0:
            return
        hashes = list(PasswordHistory.objects.filter(user=user).order_by("-created_at", "-pk")
                      .values_list("password", flat=True)[:n])
        if any(check_password(password, h) for h in hashes):
            raise ValidationError(f"新密码不能与最近 {n} 次使用过的密码相同", code="password_reused")

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is None or not getattr(user, "pk", None):
            return
        from fangtiao.security import services

        request = current_request.get()
        actor = getattr(request, "user", None) if request is not None else None
        by_other = request is not None and (
            actor is None or not getattr(actor, "is_authenticated", False) or actor.pk != user.pk)
        services.note_password_set(user=user, by_other=by_other, now=timezone.now())

    def get_help_text(self) -> str:
        return f"不能与最近 {conf.password_history()} 次使用过的密码相同"
