"""Authentication state kept beside the user (docs/adr/0015-authentication.md): password age and
history, failed attempts and lockouts per (username, client address), the TOTP device and an index
of each user's server-side sessions (so they can be ended with the DB or the cache session engine)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Credential(models.Model):
    """When the password was last set, and whether it was set by someone else (an initial password
    that must be changed at first login and is refused after FANGTIAO_INITIAL_PASSWORD_HOURS)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE,
                                related_name="credential", verbose_name="用户")
    password_changed_at = models.DateTimeField("密码设置时间")
    must_change = models.BooleanField("首次登录须修改密码", default=False)
    initial_expires_at = models.DateTimeField("初始密码失效时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "密码状态"

    def __str__(self) -> str:
        return f"{self.user_id} {self.password_changed_at:%Y-%m-%d}"


class PasswordHistory(models.Model):
    """Hashes of the last passwords (never the passwords): a new one may not repeat them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField("密码摘要", max_length=256)
    created_at = models.DateTimeField("设置时间")

    class Meta:
        verbose_name = verbose_name_plural = "历史密码"
        indexes = [models.Index(fields=["user", "-created_at"], name="security_pwhist_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"


class Factor(models.TextChoices):
    PASSWORD = "password", "密码"
    OTP = "otp", "动态口令"


class LoginFailure(models.Model):
    username = models.CharField("账号", max_length=150)
    ip = models.CharField("来源地址", max_length=64, blank=True)
    factor = models.CharField("鉴别因素", max_length=10, choices=Factor.choices, default=Factor.PASSWORD)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = verbose_name_plural = "登录失败记录"
        indexes = [models.Index(fields=["username", "ip", "at"], name="security_fail_pair"),
                   models.Index(fields=["ip", "at"], name="security_fail_ip")]

    def __str__(self) -> str:
        return f"{self.username} {self.ip} {self.factor}"


class Scope(models.TextChoices):
    PAIR = "pair", "账号+地址"
    IP = "ip", "来源地址"
    USER = "user", "账号（动态口令）"


class Lockout(models.Model):
    scope = models.CharField("范围", max_length=8, choices=Scope.choices)
    username = models.CharField("账号", max_length=150, blank=True)
    ip = models.CharField("来源地址", max_length=64, blank=True)
    locked_at = models.DateTimeField("锁定时间")
    until = models.DateTimeField("自动解锁时间")
    ended_at = models.DateTimeField("解锁时间", null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name="解锁人")

    class Meta:
        verbose_name = verbose_name_plural = "账号锁定"
        indexes = [models.Index(fields=["username", "ended_at"], name="security_lock_user"),
                   models.Index(fields=["ip", "ended_at"], name="security_lock_ip")]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.username or ''} {self.ip or ''}".strip()


class TOTPDevice(models.Model):
    """RFC 6238 (SHA-1, 6 digits, 30 s). The seed is encrypted with the field keys; `last_t` is the
    last accepted time step, so a code works once only."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.TextField("种子（已加密）")
    confirmed = models.BooleanField("已绑定", default=False)
    last_t = models.BigIntegerField("最后使用的时间步", default=-1)
    created_at = models.DateTimeField("创建时间")
    confirmed_at = models.DateTimeField("绑定时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "动态口令设备"

    def __str__(self) -> str:
        return f"{self.user_id} {'已绑定' if self.confirmed else '未绑定'}"


class UserSession(models.Model):
    """One row per live server-side session of a user: what 'end this user's sessions' deletes."""

    session_key = models.CharField("会话标识", max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_sessions")
    created_at = models.DateTimeField("登录时间")
    last_seen = models.DateTimeField("最近活动")
    ip = models.CharField("来源地址", max_length=64, blank=True)
    user_agent = models.CharField("浏览器", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "在线会话"
        indexes = [models.Index(fields=["user", "-last_seen"], name="security_session_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.ip}"
