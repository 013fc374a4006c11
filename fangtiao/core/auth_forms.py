from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "账号或密码错误，请重新输入。",
        "inactive": "该账号已停用，请联系系统管理员。",
    }

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "账号"
        self.fields["password"].label = "密码"
        self.fields["username"].widget = forms.TextInput(attrs={"class": "form-control", "autofocus": True, "autocomplete": "username"})
        self.fields["password"].widget = forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "current-password"})
