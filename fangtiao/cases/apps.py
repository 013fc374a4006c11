from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "fangtiao.cases"
    label = "cases"
    verbose_name = "事项"

    def ready(self) -> None:
        from fangtiao.audit.registry import register
        from fangtiao.cases import choices
        from fangtiao.cases.workflow import TRANSITIONS
        from fangtiao.core import enums

        register({
            "case.registered": "登记事项",
            "case.query_code_reissued": "重新生成查询码",
            "case.rated": "信访人评价",
            **{f"case.{t.action}": f"事项：{t.label}" for t in TRANSITIONS},
        })
        enums.register("channel", choices.Channel.choices)
        enums.register("kind", choices.Kind.choices)
        enums.register("nature", choices.Nature.choices)
        enums.register("status", choices.Status.choices)
        enums.register("party_role", choices.PartyRole.choices)
        enums.register("party_type", choices.PartyType.choices)
        enums.register("not_accepted_channel", choices.NotAcceptedChannel.choices)
        enums.register("divert_route", choices.DivertRoute.choices)
        enums.register("route_to", choices.RouteTo.choices)
        enums.register("transfer_purpose", choices.TransferPurpose.choices)
        enums.register("reply_outcome", choices.ReplyOutcome.choices)
        enums.register("satisfaction", choices.Satisfaction.choices)
        enums.register("flag", [("collective", "集体"), ("repeat", "重复"), ("skip_level", "越级"),
                                ("backlog", "积案"), ("overdue", "超期")])
        enums.register("action", [(t.action, t.label) for t in TRANSITIONS])
