from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "fangtiao.privacy"
    label = "privacy"
    verbose_name = "个人信息保护"

    def ready(self) -> None:
        from fangtiao.audit.registry import register
        from fangtiao.core import enums
        from fangtiao.privacy import choices

        enums.register("privacy_right", choices.Right.choices)
        enums.register("privacy_request_status", choices.RequestStatus.choices)
        register({
            "privacy.anonymised": "匿名化处理",
            "privacy.restricted": "到期转为仅存储",
            "privacy.deleted": "到期删除",
            "privacy.rule_changed": "修改保存期限规则",
            "privacy.hold_placed": "设置法律保留",
            "privacy.hold_released": "解除法律保留",
            "privacy.request_registered": "登记个人信息权利请求",
            "privacy.request_reviewed": "审查个人信息权利请求",
            "privacy.request_answered": "答复个人信息权利请求",
            "privacy.request_refused": "拒绝个人信息权利请求",
            "privacy.copy_exported": "导出个人信息副本",
        })
