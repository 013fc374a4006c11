from django.apps import AppConfig


class LegalServiceConfig(AppConfig):
    name = "fangtiao.legalservice"
    label = "legalservice"
    verbose_name = "公共法律服务"

    def ready(self) -> None:
        from fangtiao.audit.registry import register
        from fangtiao.core import enums
        from fangtiao.legalservice import choices

        enums.register("consultation_channel", choices.ConsultChannel.choices)
        enums.register("consultation_status", choices.ConsultStatus.choices)
        enums.register("participation_kind", choices.ParticipationKind.choices)
        enums.register("participation_role", choices.ParticipationRole.choices)
        register({
            "consultation.recorded": "登记法律咨询",
            "consultation.requested": "网上法律咨询申请",
            "consultation.answered": "答复法律咨询",
            "consultation.to_case": "法律咨询转为事项",
            "lawyer.participated": "记录律师参与调解/接谈",
        })
