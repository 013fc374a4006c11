from django.apps import AppConfig

ORG_ACTIONS = {
    "org.region.created": "新增行政区划",
    "org.region.updated": "修改行政区划",
    "org.unit.created": "新增单位",
    "org.unit.updated": "修改单位",
    "org.mediator.created": "新增调解员",
    "org.mediator.updated": "修改调解员",
    "org.expert.created": "新增专家",
    "org.expert.updated": "修改专家",
    "org.staff.created": "新增工作人员账号",
    "org.staff.updated": "修改工作人员账号",
}


class OrgConfig(AppConfig):
    name = "fangtiao.org"
    label = "org"
    verbose_name = "组织机构"

    def ready(self) -> None:
        from fangtiao.audit.registry import register

        register(ORG_ACTIONS)

        from fangtiao.core import enums
        from fangtiao.org import choices

        def categories() -> list[tuple[str, str]]:
            from fangtiao.org.models import DisputeCategory

            return list(DisputeCategory.objects.filter(active=True).order_by("sort", "code").values_list("code", "name"))

        enums.register("category", categories)
        enums.register("role", choices.Role.choices)
        enums.register("unit_kind", choices.UnitKind.choices)
        enums.register("level", choices.RegionLevel.choices)
        enums.register("region_kind", choices.RegionKind.choices)
        enums.register("employment", choices.Employment.choices)
        enums.register("expert_kind", choices.ExpertKind.choices)
        enums.register("person_status", choices.PersonStatus.choices)
        enums.register("gender", [c for c in choices.Gender.choices if c[0]])
        enums.register("mediator_rank", choices.MediatorRank.choices)
