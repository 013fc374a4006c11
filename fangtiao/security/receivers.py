"""Login stamps, the per-user session index and disabled accounts (signals)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from fangtiao.core.middleware import client_ip

AUTH_AT = "_ft_auth_at"     # login time (absolute timeout)
SEEN_AT = "_ft_seen_at"     # last activity (idle timeout)
MFA_NEEDED = "_ft_mfa"      # the OTP step is due for this session
OTP_OK = "_ft_otp_ok"       # the OTP step was passed
PW_EXPIRES = "_ft_pw_exp"   # when the password expires (epoch seconds, 0 = never)
PW_CHANGE = "_ft_pw_change"  # must change the password now (initial password)


def mfa_needed(user: Any) -> bool:
    from fangtiao.security import conf, services

    if conf.mfa_mode() == "required":
        return True
    return services.confirmed_device(user) is not None


def stamp(request: Any, user: Any) -> None:
    """Fill the session's security stamps for a fresh login (also force_login in tests)."""
    from fangtiao.security import services

    session = request.session
    now = timezone.now().timestamp()
    cred = services.credential(user)
    expires = services.password_expires_at(cred)
    session[AUTH_AT] = now
    session[SEEN_AT] = now
    session[MFA_NEEDED] = mfa_needed(user)
    session[OTP_OK] = False
    session[PW_EXPIRES] = expires.timestamp() if expires else 0
    session[PW_CHANGE] = bool(cred.must_change)


@receiver(user_logged_in, dispatch_uid="fangtiao.security.logged_in")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from fangtiao.security import services

    if request is None or not hasattr(request, "session"):
        return
    stamp(request, user)
    if not request.session.session_key:
        request.session.save()
    services.session_indexed(user=user, session_key=request.session.session_key, ip=client_ip(request),
                             user_agent=request.META.get("HTTP_USER_AGENT", ""))


@receiver(user_logged_out, dispatch_uid="fangtiao.security.logged_out")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from fangtiao.security import services

    if request is not None and hasattr(request, "session"):
        services.session_forget(request.session.session_key)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="fangtiao.security.user_saved")
def _user_saved(sender: Any, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
    """A disabled account's sessions end at once (V7.4.2)."""
    if created or instance.is_active:
        return
    from fangtiao.security import services
    from fangtiao.security.models import UserSession

    if UserSession.objects.filter(user=instance).exists():
        services.sessions_end(actor=None, user=instance, reason="account_disabled")
