from django.apps import AppConfig


class SubsidiesConfig(AppConfig):
    name = "fangtiao.subsidies"
    label = "subsidies"
    verbose_name = "以奖代补"
