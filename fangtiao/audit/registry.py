"""The closed set of audited actions. Every app registers its actions with a Chinese label;
recording an unregistered action is a programming error (caught by tests)."""

from __future__ import annotations

ACTIONS: dict[str, str] = {
    "auth.login": "登录成功",
    "auth.login_failed": "登录失败",
    "auth.logout": "退出登录",
    "auth.token_issued": "签发接口令牌",
    "auth.token_revoked": "吊销接口令牌",
    "pii.revealed": "查看完整个人信息",
    "export.xlsx": "导出Excel",
    "demo.loaded": "载入演示数据",
    "admin.changed": "后台修改数据",
    # --- web hardening and uploads (issue 9) ---
    "upload.rejected": "拒收上传文件（病毒或恶意代码）",
    # --- audit log (issue 9, ADR 0017) ---
    "audit.exported": "导出审计日志",
    "audit.purged": "清理过期审计日志",
}


def register(actions: dict[str, str]) -> None:
    for code, label in actions.items():
        if code in ACTIONS and ACTIONS[code] != label:
            raise ValueError(f"audit action {code!r} registered twice with different labels")
        ACTIONS[code] = label


def label(code: str) -> str:
    return ACTIONS.get(code, code)
