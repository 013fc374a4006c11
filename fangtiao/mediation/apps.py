from django.apps import AppConfig


class MediationConfig(AppConfig):
    name = "fangtiao.mediation"
    label = "mediation"
    verbose_name = "人民调解"

    def ready(self) -> None:
        from fangtiao.audit.registry import register
        from fangtiao.core import enums
        from fangtiao.mediation import choices

        register({
            "case.backlog_by_rule": "按规则认定信访积案",
            "mediation.obligation_overdue": "协议义务逾期未履行（自动标记）",
            "mediation.room_saved": "保存调解室",
            "mediation.relation_saved": "登记调解员回避关系",
            "mediation.backlog_rule_saved": "修改积案认定规则",
        })
        for name, table in (
            ("mediation_status", choices.MediationStatus), ("chosen_by", choices.ChosenBy), ("consent", choices.Consent),
            ("relation", choices.Relation), ("session_kind", choices.SessionKind), ("session_status", choices.SessionStatus),
            ("session_outcome", choices.SessionOutcome), ("agreement_form", choices.AgreementForm),
            ("agreement_status", choices.AgreementStatus), ("sign_method", choices.SignMethod),
            ("obligation_status", choices.ObligationStatus), ("proof_kind", choices.ProofKind),
            ("court_basis", choices.CourtBasis), ("confirmation_result", choices.ConfirmationResult),
            ("rejection_ground", choices.RejectionGround), ("follow_up_method", choices.FollowUpMethod),
            ("recurrence", choices.Recurrence), ("lawful_route", choices.LawfulRoute), ("retention", choices.Retention),
        ):
            enums.register(name, table.choices)
