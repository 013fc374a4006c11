from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm

from fangtiao.core.middleware import client_ip


class LoginForm(AuthenticationForm):
    """The one password login (V6.3.4). Lockout per (username, client address) and per address
    before the password is checked; the same message and status for an unknown account and a wrong
    password (no user enumeration); a locked attempt says so whether the account exists or not."""

    error_messages = {
        "invalid_login": "账号或密码错误，请重新输入。",
        "inactive": "账号或密码错误，请重新输入。",
        "locked": "登录失败次数过多，已暂时锁定，请30分钟后再试或联系安全管理员。",
        "initial_expired": "初始密码已过期，请联系安全管理员重新设置。",
    }

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "账号"
        self.fields["password"].label = "密码"
        self.fields["username"].widget = forms.TextInput(attrs={"class": "form-control", "autofocus": True, "autocomplete": "username"})
        self.fields["password"].widget = forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "current-password"})
        self.fields["password"].strip = False

    def clean(self):  # type: ignore[no-untyped-def]
        from fangtiao.security import services

        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return self.cleaned_data
        ip = client_ip(self.request) if self.request is not None else None
        if services.is_locked(username=username, ip=ip):
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None or not self.user_cache.is_active:
            self.user_cache = None
            services.attempt_failed(username=username, ip=ip)
            raise self.get_invalid_login_error()
        services.attempt_succeeded(username=username, ip=ip)
        if services.initial_password_expired(services.credential(self.user_cache)):
            self.user_cache = None
            raise forms.ValidationError(self.error_messages["initial_expired"], code="initial_expired")
        return self.cleaned_data
