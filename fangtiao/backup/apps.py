from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "fangtiao.backup"
    label = "backup"
    verbose_name = "备份与恢复"

    def ready(self) -> None:
        from fangtiao.audit.registry import register

        register({
            "crypto.rotated": "轮换加密密钥",
            "backup.created": "创建备份",
            "backup.restored": "恢复备份",
        })
