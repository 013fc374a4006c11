from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "fangtiao.stats"
    label = "stats"
    verbose_name = "统计"

    def ready(self) -> None:
        from fangtiao.audit.registry import register
        from fangtiao.core import changes
        from fangtiao.stats import services

        changes.listen(services.enqueue)
        register({
            "stats.rebuilt": "重建统计汇总",
            "stats.exported": "导出统计报表",
        })
