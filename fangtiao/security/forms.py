from __future__ import annotations

from django import forms

from fangtiao.org.choices import Clearance


def _pw(label: str, autocomplete: str) -> forms.CharField:
    return forms.CharField(label=label, strip=False, max_length=4096,
                           widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": autocomplete}))


class PasswordChangeForm(forms.Form):
    old_password = _pw("当前密码", "current-password")
    new_password1 = _pw("新密码", "new-password")
    new_password2 = _pw("再次输入新密码", "new-password")

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if data.get("new_password1") and data.get("new_password2") and data["new_password1"] != data["new_password2"]:
            self.add_error("new_password2", "两次输入的新密码不一致")
        return data


class OTPForm(forms.Form):
    code = forms.CharField(label="动态口令", max_length=10, widget=forms.TextInput(attrs={
        "class": "form-control", "autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}))


class ReauthForm(forms.Form):
    password = _pw("当前密码", "current-password")


class InitialPasswordForm(forms.Form):
    password = forms.CharField(label="初始密码", strip=False, max_length=4096, required=False,
                               help_text="留空则随机生成", widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}))


class ClearanceForm(forms.Form):
    clearance = forms.TypedChoiceField(label="密级授权", choices=Clearance.choices, coerce=int,
                                       widget=forms.Select(attrs={"class": "form-select"}))
