"""Login, OTP step and enrolment, password change, own sessions, and the security administrator's
page. Thin: services do the work."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from fangtiao.core.auth_forms import LoginForm
from fangtiao.core.errors import DomainError
from fangtiao.core.middleware import client_ip
from fangtiao.org.permissions import has_capability
from fangtiao.security import selectors, services
from fangtiao.security.forms import (
    ClearanceForm,
    InitialPasswordForm,
    OTPForm,
    PasswordChangeForm,
    ReauthForm,
)
from fangtiao.security.receivers import OTP_OK, PW_CHANGE, PW_EXPIRES


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Deletes the server-side session (flush) and asks the browser to drop its cache and storage."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response


def _next(request: HttpRequest) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return nxt
    return reverse("home")


def _cycle(request: HttpRequest) -> None:
    """A new session key after a step up (OTP passed, password changed), the index following it."""
    old = request.session.session_key
    request.session.cycle_key()
    services.session_forget(old)
    services.session_indexed(user=request.user, session_key=request.session.session_key, ip=client_ip(request),
                             user_agent=request.META.get("HTTP_USER_AGENT", ""))


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    device = services.confirmed_device(request.user)
    if device is None:
        return redirect(reverse("otp_enrol") + ("?next=" + request.GET["next"] if request.GET.get("next") else ""))
    if request.session.get(OTP_OK):
        return redirect(_next(request))
    form = OTPForm(request.POST or None)
    ip = client_ip(request)
    if request.method == "POST" and form.is_valid():
        if services.is_locked(username=request.user.get_username(), ip=ip):
            logout(request)
            return render(request, "security/locked.html", {"title": "已锁定"}, status=200)
        if services.otp_verify(user=request.user, code=form.cleaned_data["code"], ip=ip):
            request.session[OTP_OK] = True
            _cycle(request)
            return redirect(_next(request))
        if services.is_locked(username=request.user.get_username(), ip=ip):
            logout(request)
            return render(request, "security/locked.html", {"title": "已锁定"}, status=200)
        form.add_error("code", services.OTP_INVALID_MESSAGE)
    return render(request, "security/otp_verify.html", {"form": form, "title": "动态口令验证", "next": _next(request)})


@login_required
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """First enrolment (right after the password), or replacing the device (re-authentication
    with the password first, from a fully verified session)."""
    device = services.confirmed_device(request.user)
    if device is not None:
        if not request.session.get(OTP_OK):
            return redirect("otp_verify")
        form = ReauthForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.mfa_reenrol(user=request.user, password=form.cleaned_data["password"])
            except DomainError as exc:
                form.add_error("password", exc.detail)
            else:
                request.session[OTP_OK] = False
                return redirect("otp_enrol")
        return render(request, "security/reauth.html", {"form": form, "title": "更换动态口令设备"})
    device = services.enrol_begin(user=request.user)
    form = OTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        if services.enrol_confirm(user=request.user, code=form.cleaned_data["code"], ip=ip):
            request.session[OTP_OK] = True
            _cycle(request)
            messages.success(request, "已绑定动态口令。")
            return redirect(_next(request))
        if services.is_locked(username=request.user.get_username(), ip=ip):
            logout(request)
            return render(request, "security/locked.html", {"title": "已锁定"})
        form.add_error("code", services.OTP_INVALID_MESSAGE)
    uri = services.provisioning_uri(device)
    return render(request, "security/otp_enrol.html", {
        "form": form, "title": "绑定动态口令", "key": services.device_key_b32(device), "uri": uri,
        "qr": selectors.qr_svg(uri), "next": _next(request)})


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    forced = bool(request.session.get(PW_CHANGE)) or (
        bool(request.session.get(PW_EXPIRES)) and timezone.now().timestamp() >= request.session[PW_EXPIRES])
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(user=request.user, current=form.cleaned_data["old_password"],
                                     new=form.cleaned_data["new_password1"], keep_session_key=request.session.session_key)
        except DomainError as exc:
            for err in exc.errors or []:
                form.add_error(err.field if err.field in form.fields else None, err.message)
            if not exc.errors:
                form.add_error(None, exc.detail)
        else:
            old = request.session.session_key
            update_session_auth_hash(request, request.user)
            services.session_forget(old)
            services.session_indexed(user=request.user, session_key=request.session.session_key, ip=client_ip(request),
                                     user_agent=request.META.get("HTTP_USER_AGENT", ""))
            cred = services.credential(request.user)
            expires = services.password_expires_at(cred)
            request.session[PW_CHANGE] = False
            request.session[PW_EXPIRES] = expires.timestamp() if expires else 0
            request.session.pop("_ft_pw_expired_noted", None)
            messages.success(request, "密码已修改，您在其他设备上的登录已结束。")
            return redirect(_next(request))
    return render(request, "security/password_change.html", {"form": form, "title": "修改密码", "forced": forced,
                                                              "next": request.GET.get("next", "")})


@login_required
def my_sessions(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("all_others"):
            services.sessions_end(actor=request.user, user=request.user, keep_session_key=request.session.session_key,
                                  reason="self")
        else:
            try:
                pk = int(request.POST.get("session", ""))
            except ValueError:
                raise Http404() from None
            services.sessions_end(actor=request.user, session_pk=pk, keep_session_key=request.session.session_key,
                                  reason="self")
        messages.success(request, "已结束所选会话。")
        return redirect("my_sessions")
    rows = selectors.sessions_of(request.user)
    return render(request, "security/sessions.html", {"rows": rows, "current": request.session.session_key,
                                                      "title": "我的登录会话"})


# --- security administrator --------------------------------------------------------------------

def _need_security(request: HttpRequest) -> None:
    if not has_capability(request.user, "security.manage"):
        raise PermissionDenied()


@login_required
def security_home(request: HttpRequest) -> HttpResponse:
    _need_security(request)
    return render(request, "security/admin.html", {"title": "账号安全管理", **selectors.overview(request.user)})


@login_required
@require_POST
def security_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _need_security(request)
    user = get_object_or_404(selectors.manageable_users(request.user), pk=pk)
    try:
        if action == "end_sessions":
            n = services.sessions_end(actor=request.user, user=user, reason="security_admin")
            messages.success(request, f"已结束 {user.username} 的 {n} 个会话。")
        elif action == "mfa_reset":
            services.mfa_reset(actor=request.user, user=user)
            messages.success(request, f"已重置 {user.username} 的动态口令，下次登录时重新绑定。")
        elif action == "disable":
            services.account_disable(actor=request.user, user=user, reason="security_admin")
            messages.success(request, f"已停用 {user.username}。")
        elif action == "password":
            form = InitialPasswordForm(request.POST)
            form.is_valid()
            password = form.cleaned_data.get("password") or services.random_password()
            services.password_set_initial(actor=request.user, user=user, password=password)
            messages.success(request, f"已为 {user.username} 设置初始密码：{password}（24小时内首次登录须修改）")
        elif action == "clearance":
            cform = ClearanceForm(request.POST)
            if not cform.is_valid():
                raise DomainError(detail="密级授权取值无效")
            services.clearance_set(actor=request.user, user=user, clearance=cform.cleaned_data["clearance"])
            messages.success(request, f"已修改 {user.username} 的密级授权。")
        else:
            raise Http404()
    except DomainError as exc:
        messages.error(request, exc.detail)
    return HttpResponseRedirect(reverse("security_home"))


@login_required
@require_POST
def security_end_all(request: HttpRequest) -> HttpResponse:
    _need_security(request)
    n = services.sessions_end(actor=request.user, everyone=True, keep_session_key=request.session.session_key,
                              reason="security_admin")
    messages.success(request, f"已结束全部 {n} 个会话（您当前的会话除外）。")
    return HttpResponseRedirect(reverse("security_home"))


@login_required
@require_POST
def security_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    _need_security(request)
    from fangtiao.security.models import Lockout

    services.unlock(actor=request.user, lockout=get_object_or_404(Lockout, pk=pk, ended_at__isnull=True))
    messages.success(request, "已解锁。")
    return HttpResponseRedirect(reverse("security_home"))


def users_model() -> Any:
    return get_user_model()
