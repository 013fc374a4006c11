"""Enums of 以奖代补 (subsidies in lieu of grants for mediation work)."""

from django.db import models


class RuleKind(models.TextChoices):
    BACKLOG = "backlog", "信访积案化解"
    MEDIATION = "mediation", "调解成功"


class Split(models.TextChoices):
    LEAD = "lead", "主调调解员全得"
    EQUAL = "equal", "参与调解员平分"


class UnitLevel(models.TextChoices):
    """The level of the committee that mediated (a rule for 村级/乡镇级/区级 committees)."""

    DISTRICT = "district", "区级"
    TOWNSHIP = "township", "乡镇级"
    VILLAGE = "village", "村级"


class PeriodKind(models.TextChoices):
    MONTH = "month", "月度"
    QUARTER = "quarter", "季度"


class BatchStatus(models.TextChoices):
    PREPARED = "prepared", "已编制（待审批）"
    APPROVED = "approved", "已审批"
    PAID = "paid", "已发放"
    CANCELLED = "cancelled", "已作废"


class BatchAction(models.TextChoices):
    APPROVE = "approve", "审批通过"
    REJECT = "reject", "退回"
    PAY = "pay", "登记已发放"
    RECOMPUTE = "recompute", "重新计算"
    CANCEL = "cancel", "作废"
