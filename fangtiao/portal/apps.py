from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "fangtiao.portal"
    label = "portal"
    verbose_name = "群众自助服务"
