from django.apps import AppConfig


class ClocksConfig(AppConfig):
    name = "fangtiao.clocks"
    label = "clocks"
    verbose_name = "法定时限"

    def ready(self) -> None:
        from fangtiao.audit.registry import register

        register({
            "clocks.rule.updated": "修改时限规则",
            "clocks.tick": "时限巡检",
        })
