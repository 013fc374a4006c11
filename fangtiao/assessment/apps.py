from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "fangtiao.assessment"
    label = "assessment"
    verbose_name = "考核"
