from django.apps import AppConfig


class SubsidiesConfig(AppConfig):
    name = "fangtiao.subsidies"
    label = "subsidies"
    verbose_name = "以奖代补"

    def ready(self) -> None:
        from fangtiao.audit.registry import register
        from fangtiao.core import enums
        from fangtiao.subsidies import choices
        from fangtiao.subsidies.services import AUDIT_ACTIONS

        enums.register("subsidy_rule_kind", choices.RuleKind.choices)
        enums.register("subsidy_split", choices.Split.choices)
        enums.register("subsidy_batch_status", choices.BatchStatus.choices)
        register(AUDIT_ACTIONS)
