from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from fangtiao.security.models import Lockout, TOTPDevice, UserSession


def sessions_of(user: Any) -> list[UserSession]:
    return list(UserSession.objects.filter(user=user).order_by("-last_seen"))


def manageable_users(actor: Any) -> QuerySet[Any]:
    """The accounts the security administrator manages: those in the actor's jurisdiction."""
    return get_user_model().objects.visible_to(actor)


def overview(actor: Any) -> dict[str, Any]:
    now = timezone.now()
    users = list(manageable_users(actor).select_related("unit").prefetch_related("roles").order_by("username")[:500])
    enrolled = set(TOTPDevice.objects.filter(user__in=users, confirmed=True).values_list("user_id", flat=True))
    counts: dict[int, int] = {}
    for uid in UserSession.objects.filter(user__in=users).values_list("user_id", flat=True):
        counts[uid] = counts.get(uid, 0) + 1
    rows = [{"user": u, "mfa": u.pk in enrolled, "sessions": counts.get(u.pk, 0)} for u in users]
    locks = list(Lockout.objects.filter(ended_at__isnull=True, until__gt=now).order_by("-locked_at")[:200])
    from fangtiao.org.choices import Clearance

    actions = [("end_sessions", "结束会话"), ("mfa_reset", "重置动态口令"), ("password", "设置初始密码"), ("disable", "停用")]
    return {"rows": rows, "lockouts": locks, "clearances": Clearance.choices, "actions": actions}


def qr_svg(data: str) -> str:
    """The otpauth URI as an inline SVG QR code (segno, pure Python)."""
    import segno

    return segno.make(data, error="m").svg_inline(scale=4)
