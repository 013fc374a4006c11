from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "fangtiao.screening"
    label = "screening"
    verbose_name = "排查预警"

    def ready(self) -> None:
        from fangtiao.audit.registry import register
        from fangtiao.core import enums
        from fangtiao.screening import choices

        enums.register("warning_kind", choices.WarningKind.choices)
        enums.register("warning_level", choices.Level.choices)
        enums.register("warning_status", choices.WarningStatus.choices)
        enums.register("screening_status", choices.RoundStatus.choices)
        enums.register("finding_risk", choices.FindingRisk.choices)
        enums.register("hotspot_trend", choices.Trend.choices)
        enums.register("intervention_status", choices.InterventionStatus.choices)
        enums.register("intervention_outcome", choices.InterventionOutcome.choices)

        register({
            "screening.plan_saved": "设置排查计划",
            "screening.round_scheduled": "安排排查轮次",
            "screening.round_recorded": "填报排查结果",
            "screening.round_missed": "排查轮次逾期未报",
            "screening.finding_to_case": "排查发现转为事项",
            "warning.raised": "产生预警",
            "warning.raised_level": "预警升级",
            "warning.acknowledged": "签收预警",
            "warning.resolved": "处置预警",
            "warning.cleared": "预警条件消失",
            "warning.lawyer_requested": "申请律师介入",
            "warning.lawyer_assigned": "指派律师",
            "warning.lawyer_met": "记录律师约谈",
            "routing.decided": "分流决定（学习样本）",
            "routing.retrained": "重新训练分流模型",
            "hotspot.computed": "计算热点",
            "cases.imported": "导入历史事项",
        })
