"""Privacy (个人信息保护法) state: the retention schedule, the legal-basis register, what has been
anonymised, legal holds, and PIPL rights requests. Nothing here adds a column to another app: the
privacy operations keep their own records (docs/adr/0018-privacy-retention-and-rights.md)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from fangtiao.cases.access import RegionPathScoped
from fangtiao.core.fields import EncryptedCharField
from fangtiao.core.masking import mask_id_number, mask_name, mask_phone
from fangtiao.core.querysets import RestrictedQuerySet
from fangtiao.privacy.choices import (
    CorrectionField,
    CorrectionOutcome,
    FromDate,
    LegalBasis,
    RecordType,
    RequestStatus,
    RetentionAction,
    Right,
    Verification,
)


class RetentionRule(models.Model):
    """One record type's retention period (个保法 第19、47条; 网络数据安全管理条例 第24条)."""

    record_type = models.CharField("记录类型", max_length=32, choices=RecordType.choices, unique=True)
    years = models.PositiveSmallIntegerField("保存期限（年）")
    from_date = models.CharField("起算日", max_length=16, choices=FromDate.choices)
    action = models.CharField("到期处理", max_length=16, choices=RetentionAction.choices)
    legal_source = models.TextField("依据")
    verified = models.BooleanField("期限已核实", default=False,
                                   help_text="未核实的期限为可配置的本地默认值（UNVERIFIED）")
    active = models.BooleanField("启用", default=True)
    version = models.PositiveIntegerField("版本", default=1)
    updated_at = models.DateTimeField("修改时间", default=timezone.now)
    updated_by = models.ForeignKey("org.User", verbose_name="修改人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "保存期限规则"
        verbose_name_plural = "保存期限规则"
        ordering = ["record_type"]

    def __str__(self) -> str:
        return f"{self.get_record_type_display()} {self.years}年"


class RegisterEntry(models.Model):
    """One line of the legal-basis register (个保法 第13、29条): data category × purpose × basis ×
    fields × retention × who may see. Seeded from `fangtiao.privacy.register.ENTRIES`."""

    code = models.CharField("编码", max_length=64, unique=True)
    category = models.CharField("数据类别", max_length=100)
    purpose = models.TextField("处理目的")
    basis = models.CharField("法律依据", max_length=32, choices=LegalBasis.choices)
    basis_note = models.TextField("依据说明", blank=True)
    fields = models.JSONField("字段（应用.模型.字段）", default=list)
    sensitive = models.BooleanField("敏感个人信息", default=False)
    retention = models.ForeignKey(RetentionRule, verbose_name="保存期限", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="entries")
    retention_note = models.CharField("保存期限说明", max_length=200, blank=True)
    who_may_see = models.TextField("可见范围")
    sort = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField("版本", default=1)
    updated_at = models.DateTimeField("修改时间", default=timezone.now)

    class Meta:
        verbose_name = "个人信息处理登记"
        verbose_name_plural = "个人信息处理登记"
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.category


class Anonymisation(models.Model):
    """What the retention sweep did to one object (one row per object and action: idempotency)."""

    record_type = models.CharField("记录类型", max_length=32, choices=RecordType.choices)
    subject_type = models.CharField("对象类型", max_length=100)
    subject_id = models.CharField("对象ID", max_length=64)
    subject_repr = models.CharField("对象", max_length=200, blank=True)
    region_path = models.CharField(max_length=255, blank=True)
    action = models.CharField("处理", max_length=16, choices=RetentionAction.choices)
    rule = models.ForeignKey(RetentionRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule_years = models.PositiveSmallIntegerField("适用期限（年）", default=0)
    rows = models.PositiveIntegerField("处理的行数", default=0)
    fields = models.JSONField("处理的字段", default=list)
    at = models.DateTimeField("处理时间", default=timezone.now)

    class Meta:
        verbose_name = "匿名化记录"
        verbose_name_plural = "匿名化记录"
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["subject_type", "subject_id", "action"],
                                               name="privacy_anonymisation_once")]

    def __str__(self) -> str:
        return f"{self.subject_repr} {self.get_action_display()}"


class LegalHold(RegionPathScoped, models.Model):
    """法律保留: a case that the sweep must not touch (pending litigation, an inquiry, a complaint)."""

    case = models.ForeignKey("cases.Case", verbose_name="事项", on_delete=models.CASCADE, related_name="+")
    region_path = models.CharField(max_length=255, editable=False)
    reason = models.CharField("保留原因", max_length=200)
    placed_by = models.ForeignKey("org.User", null=True, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey("org.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "法律保留"
        verbose_name_plural = "法律保留"
        ordering = ["-placed_at", "-id"]
        indexes = [models.Index(fields=["case"], name="privacy_hold_active",
                                condition=models.Q(released_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.case_id} {self.reason}"


class RightsRequest(RegionPathScoped, models.Model):
    """A person's request under 个保法 第44–47条 (查阅复制/更正补充/删除/撤回同意/解释说明): 登记 → 审查 →
    答复 or 拒绝 (with reasons, 第50条)."""

    number = models.CharField("编号", max_length=40, unique=True)
    unit = models.ForeignKey("org.Unit", verbose_name="受理单位", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, editable=False)
    case = models.ForeignKey("cases.Case", verbose_name="涉及事项", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    requester_name = models.CharField("请求人姓名", max_length=100)
    requester_id_number = EncryptedCharField("请求人身份证号码", blank=True, default="")
    id_index = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    requester_phone = EncryptedCharField("请求人联系电话", blank=True, default="")
    phone_index = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    right = models.CharField("请求事项", max_length=16, choices=Right.choices)
    content = models.TextField("请求内容")
    verification = models.CharField("身份核验方式", max_length=16, choices=Verification.choices)
    verification_note = models.CharField("核验说明", max_length=200, blank=True)
    correction_field = models.CharField("更正项目", max_length=16, choices=CorrectionField.choices, blank=True)
    correction_value = EncryptedCharField("更正后内容", blank=True, default="")
    correction_outcome = models.CharField("更正结果", max_length=16, choices=CorrectionOutcome.choices, blank=True)
    status = models.CharField("状态", max_length=16, choices=RequestStatus.choices, default=RequestStatus.REGISTERED)
    received_on = models.DateField("收到日期")
    due_on = models.DateField("答复期限")
    review_note = models.TextField("审查意见", blank=True)
    answer = models.TextField("答复内容", blank=True)
    refusal_reason = models.TextField("拒绝理由", blank=True)
    refusal_basis = models.CharField("拒绝的法律依据", max_length=200, blank=True)
    copy_made = models.BooleanField("已提供副本", default=False)
    registered_by = models.ForeignKey("org.User", verbose_name="登记人", null=True, on_delete=models.PROTECT,
                                      related_name="+")
    reviewed_by = models.ForeignKey("org.User", verbose_name="审查人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    closed_by = models.ForeignKey("org.User", verbose_name="答复人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    closed_on = models.DateField("办结日期", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = "个人信息权利请求"
        verbose_name_plural = "个人信息权利请求"
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["region_path", "received_on"], name="privacy_request_scope",
                         opclasses=["varchar_pattern_ops", "date_ops"]),
            models.Index(fields=["status", "due_on"], name="privacy_request_due"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def name_masked(self) -> str:
        return mask_name(self.requester_name)

    @property
    def id_masked(self) -> str:
        return mask_id_number(self.requester_id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.requester_phone)

    @property
    def is_open(self) -> bool:
        return self.status in (RequestStatus.REGISTERED, RequestStatus.REVIEWING)
