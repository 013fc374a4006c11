from django.apps import AppConfig

# Registered names other apps rely on (issue 9): keep them stable.
SECURITY_ACTIONS = {
    "auth.locked": "账号锁定",
    "auth.unlocked": "账号解锁",
    "auth.otp_failed": "动态口令验证失败",
    "auth.otp_verified": "动态口令验证成功",
    "auth.mfa_enrolled": "绑定动态口令",
    "auth.mfa_reset": "重置动态口令",
    "auth.password_changed": "修改密码",
    "auth.password_expired": "密码过期",
    "auth.sessions_ended": "结束会话",
    "auth.account_disabled": "停用账号",
    "auth.password_set": "设置初始密码",
    "auth.clearance_changed": "修改密级授权",
    "portal.lookup_locked": "查询码尝试次数过多",
}


class SecurityConfig(AppConfig):
    name = "fangtiao.security"
    label = "security"
    verbose_name = "身份鉴别与会话"

    def ready(self) -> None:
        from fangtiao.audit.registry import register

        register(SECURITY_ACTIONS)
        from fangtiao.security import receivers  # noqa: F401  (login stamps, session index, disabled accounts)
