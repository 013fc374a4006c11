from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "fangtiao.audit"
    label = "audit"
    verbose_name = "审计日志"

    def ready(self) -> None:
        from fangtiao.audit import signals  # noqa: F401  (login/logout events)
