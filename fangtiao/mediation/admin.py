from django.contrib import admin

from fangtiao.core.admin import AuditedAdmin
from fangtiao.mediation.models import BacklogRule, MediatorRelation, Room


@admin.register(Room)
class RoomAdmin(AuditedAdmin):
    """Rooms of the 矛调中心 and sub-centres that sessions book (double bookings are refused)."""

    list_display = ("name", "unit", "capacity", "active")
    list_filter = ("active",)
    search_fields = ("name", "unit__name")
    raw_id_fields = ("unit",)


@admin.register(MediatorRelation)
class MediatorRelationAdmin(AuditedAdmin):
    """A mediator's declared relations (回避): a party matching one by ID number or phone excludes the
    mediator from the case (人民调解法 第15条)."""

    list_display = ("mediator", "name", "relation")
    list_filter = ("relation",)
    search_fields = ("mediator__name", "name")
    raw_id_fields = ("mediator",)
    exclude = ("id_index", "phone_index")
    sensitive_fields = ("phone", "id_number")


@admin.register(BacklogRule)
class BacklogRuleAdmin(AuditedAdmin):
    """What makes a petition a 信访积案 here (no national definition: legal-rules §6); a region row
    overrides the default in its subtree. The worker applies it once a day."""

    list_display = ("region", "open_days", "min_repeats", "after_final", "active")
    raw_id_fields = ("region",)
