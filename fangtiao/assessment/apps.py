from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "fangtiao.assessment"
    label = "assessment"
    verbose_name = "考核"

    def ready(self) -> None:
        from fangtiao.assessment import choices
        from fangtiao.audit.registry import register
        from fangtiao.core import enums

        enums.register("assessment_level", choices.Level.choices)
        enums.register("assessment_period_type", choices.PeriodType.choices)
        enums.register("assessment_method", choices.Method.choices)
        enums.register("accountability_measure", choices.Measure.choices)
        register({
            "assessment.scheme_saved": "保存考核方案",
            "assessment.computed": "计算考核得分",
            "assessment.compute_requested": "发起考核得分计算",
            "assessment.compute_failed": "考核得分计算失败",
            "assessment.commendation_proposed": "提出表彰建议",
            "assessment.commendation_confirmed": "确认表彰",
            "assessment.accountability_recorded": "登记问责",
        })
