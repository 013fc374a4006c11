from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fangtiao.core"
    label = "core"
    verbose_name = "基础"
