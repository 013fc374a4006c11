"""Cases (事项), their parties, links, timeline, transfers, joint-handling tasks and supervision.

`region_path` copies the place's materialised path so that jurisdiction is one indexed prefix
test on the case table itself (no join), which is what keeps lists fast at 10 million rows."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from fangtiao.cases.choices import (
    CaseSource,
    Channel,
    Kind,
    Nature,
    PartyRole,
    PartyType,
    ReplyOutcome,
    ReviewStage,
    Satisfaction,
    Status,
    TransferPurpose,
    TransferStatus,
)
from fangtiao.core.fields import EncryptedCharField
from fangtiao.core.masking import mask_id_number, mask_phone
from fangtiao.core.querysets import RestrictedQuerySet
from fangtiao.org.choices import Clearance


class CaseQuerySet(RestrictedQuerySet):
    pass


class Case(models.Model):
    number = models.CharField("编号", max_length=60, unique=True)
    number_unit = models.ForeignKey("org.Unit", verbose_name="编号单位", on_delete=models.PROTECT, related_name="+")
    number_year = models.PositiveSmallIntegerField()
    number_seq = models.PositiveIntegerField()
    version = models.PositiveIntegerField("版本", default=1)

    kind = models.CharField("类别", max_length=16, choices=Kind.choices)
    nature = models.CharField("信访事项性质", max_length=16, choices=Nature.choices, blank=True)
    channel = models.CharField("来源渠道", max_length=16, choices=Channel.choices)
    source = models.CharField("案件来源", max_length=16, choices=CaseSource.choices, blank=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.REGISTERED)

    title = models.CharField("事项标题", max_length=200)
    description = models.TextField("事实", blank=True)
    reasons = models.TextField("理由", blank=True)
    demands = models.TextField("请求", blank=True)
    oral = models.BooleanField("口头信访", default=False)
    oral_record = models.TextField("口头信访如实记录", blank=True)
    category = models.ForeignKey("org.DisputeCategory", verbose_name="纠纷类型", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="cases")
    region = models.ForeignKey("org.Region", verbose_name="发生地", on_delete=models.PROTECT, related_name="cases")
    region_path = models.CharField(max_length=255, editable=False)
    occurred_on = models.DateField("发生日期", null=True, blank=True)
    amount = models.DecimalField("涉及金额（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    headcount = models.PositiveIntegerField("涉及人数", default=1)

    # Flags (API: collective / repeat / skip_level / backlog / overdue)
    is_collective = models.BooleanField("集体", default=False)
    is_repeat = models.BooleanField("重复", default=False)
    is_skip_level = models.BooleanField("越级", default=False)
    is_backlog = models.BooleanField("积案", default=False)
    is_overdue = models.BooleanField("超期", default=False)
    is_major = models.BooleanField("重大紧急", default=False)
    # 人民调解法 第25条: a dispute that may turn into a public-order or criminal case.
    is_escalation_risk = models.BooleanField("激化风险", default=False)
    skip_level_risk = models.BooleanField("表示将越级上访", default=False)
    identity_incomplete = models.BooleanField("姓名或住址不清", default=False)
    administrative_dispute = models.BooleanField("行政争议", default=False)
    litigation_pending = models.BooleanField("涉法涉诉未终结", default=False)
    accused_unit = models.ForeignKey("org.Unit", verbose_name="被检举控告单位", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    # 安全标记 (GB/T 22239-2019 8.1.4.2 g; 信访工作条例 第30、46条: accusation materials never reach the
    # accused): staff see the case only with clearance ≥ this label (org.choices.Clearance).
    sensitivity = models.PositiveSmallIntegerField("安全标记", choices=Clearance.choices, default=Clearance.NORMAL,
                                                   db_default=Clearance.NORMAL)

    registered_unit = models.ForeignKey("org.Unit", verbose_name="登记单位", on_delete=models.PROTECT, related_name="+")
    registered_by = models.ForeignKey("org.User", verbose_name="登记人", null=True, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField("收到时间", default=timezone.now)
    holder_unit = models.ForeignKey("org.Unit", verbose_name="当前办理单位", on_delete=models.PROTECT, related_name="held_cases")
    lead_unit = models.ForeignKey("org.Unit", verbose_name="牵头单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    route = models.CharField("分流去向", max_length=16, blank=True)
    divert_route = models.CharField("法定途径", max_length=16, blank=True)

    accepted_on = models.DateField("受理日期", null=True, blank=True)
    acceptance_notice = models.TextField("受理告知内容", blank=True)
    not_accepted_reason = models.TextField("不予受理理由", blank=True)
    lawful_channel = models.CharField("告知的法定途径", max_length=20, blank=True)
    forwarded_to = models.CharField("转送机关", max_length=100, blank=True)
    mediation_consent = models.BooleanField("双方同意调解", default=False)

    extended_days = models.PositiveSmallIntegerField("延期天数", default=0)
    extension_reason = models.TextField("延期理由", blank=True)
    extension_approver = models.ForeignKey("org.User", verbose_name="延期批准人", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")

    reply_outcome = models.CharField("处理意见", max_length=16, choices=ReplyOutcome.choices, blank=True)
    reply_request = models.TextField("投诉请求", blank=True)
    reply_facts = models.TextField("事实和理由", blank=True)
    reply_opinion = models.TextField("处理意见内容", blank=True)
    reply_basis = models.TextField("法律法规依据", blank=True)
    replied_on = models.DateField("答复日期", null=True, blank=True)
    review_stage = models.CharField("复查复核", max_length=16, choices=ReviewStage.choices, blank=True)
    outcome_note = models.TextField("结果说明", blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)

    query_code_hash = models.CharField(max_length=64, blank=True, editable=False)
    satisfaction = models.CharField("满意度", max_length=16, choices=Satisfaction.choices, blank=True)
    # Bigrams of number + title + description (cases.search, ADR 0012): on PostgreSQL a GIN index on
    # to_tsvector('simple', search_text) answers the list's `q`. Kept by save(); bulk paths set it.
    search_text = models.TextField(blank=True, default="", db_default="", editable=False)
    rated_at = models.DateTimeField("评价时间", null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = "事项"
        verbose_name_plural = "事项"
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number_unit", "number_year", "number_seq"], name="cases_number_seq_uniq"),
        ]
        indexes = [
            models.Index(fields=["region_path", "received_at"], name="cases_scope_received", opclasses=["varchar_pattern_ops", "timestamptz_ops"]),
            models.Index(fields=["-received_at", "-id"], name="cases_received_desc"),
            models.Index(fields=["holder_unit", "status"], name="cases_holder_status"),
            models.Index(fields=["status", "received_at"], name="cases_status_received"),
            models.Index(fields=["category", "received_at"], name="cases_category_received"),
            models.Index(fields=["channel", "received_at"], name="cases_channel_received"),
            models.Index(fields=["received_at"], name="cases_repeat", condition=Q(is_repeat=True)),
            models.Index(fields=["received_at"], name="cases_collective", condition=Q(is_collective=True)),
            models.Index(fields=["received_at"], name="cases_skip", condition=Q(is_skip_level=True)),
            models.Index(fields=["received_at"], name="cases_overdue", condition=Q(is_overdue=True)),
            models.Index(fields=["received_at"], name="cases_backlog", condition=Q(is_backlog=True)),
            # issue 8 (migration 0009): the 本单位办理 list in its order; the few rated cases.
            models.Index(fields=["holder_unit", "-received_at"], name="cases_holder_received"),
            models.Index(fields=["-received_at"], name="cases_rated_received", condition=~Q(satisfaction="")),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        from fangtiao.cases.search import case_search_text

        self.search_text = case_search_text(self.number, self.title, self.description)
        fields = kwargs.get("update_fields")
        if fields is not None and {"number", "title", "description"} & set(fields):
            kwargs["update_fields"] = {*fields, "search_text"}
        super().save(*args, **kwargs)

    @property
    def audit_region_path(self) -> str:
        return self.region_path

    @property
    def flags(self) -> dict[str, bool]:
        return {"collective": self.is_collective, "repeat": self.is_repeat, "skip_level": self.is_skip_level,
                "backlog": self.is_backlog, "overdue": self.is_overdue}

    @classmethod
    def visible_q(cls, user: Any) -> Q | None:
        from fangtiao.cases.access import case_visible_q

        return case_visible_q(user)


class Party(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField("身份", max_length=16, choices=PartyRole.choices)
    type = models.CharField("类型", max_length=16, choices=PartyType.choices, default=PartyType.PERSON)
    name = models.CharField("姓名/名称", max_length=100, blank=True)
    id_number = EncryptedCharField("身份证号码/统一社会信用代码", blank=True, default="")
    id_index = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    phone = EncryptedCharField("联系电话", blank=True, default="")
    phone_index = models.CharField(max_length=40, blank=True, editable=False)
    name_phone_index = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    address = EncryptedCharField("住址", blank=True, default="")
    is_representative = models.BooleanField("代表人", default=False)
    # Where the party lives and works: the mediator-conflict rules (人民调解法 第15条, 回避) read them.
    village = models.ForeignKey("org.Region", verbose_name="户籍或居住村（社区）", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    employer = models.CharField("工作单位", max_length=100, blank=True, default="")
    sort = models.PositiveSmallIntegerField(default=0)
    # Clerks look matters up by the petitioner's name, often by pinyin initials (王小明 → wxm).
    search_key = models.CharField("拼音检索", max_length=255, blank=True, default="", db_default="", editable=False)

    class Meta:
        verbose_name = "当事人"
        verbose_name_plural = "当事人"
        ordering = ["sort", "id"]

    def __str__(self) -> str:
        return self.name or "（未留姓名）"

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number) if self.type == PartyType.PERSON else self.id_number

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def audit_region_path(self) -> str:
        return self.case.region_path


class CaseLink(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links")
    other = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, default="repeat")  # repeat | related | duplicate_pending
    reason = models.CharField(max_length=200)
    score = models.FloatField(default=1.0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "other"], name="cases_link_uniq")]

    def __str__(self) -> str:
        return f"{self.case_id}→{self.other_id}"


class CaseEvent(models.Model):
    """The case's timeline, as the parties and officers read it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=40)
    actor = models.ForeignKey("org.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=100, blank=True)
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    public = models.BooleanField(default=True, help_text="信访人可在查询页看到")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="cases_event_case_at")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


class Transfer(models.Model):
    """工作移交单: every hand-over to another unit, signed for or returned with reasons."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transfers")
    number = models.CharField("移交单编号", max_length=60, unique=True)
    purpose = models.CharField("移交事由", max_length=16, choices=TransferPurpose.choices)
    from_unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="transfers_out")
    to_unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="transfers_in")
    status = models.CharField(max_length=16, choices=TransferStatus.choices, default=TransferStatus.PENDING)
    resume_status = models.CharField(max_length=16, choices=Status.choices)
    previous_status = models.CharField(max_length=16, choices=Status.choices)
    note = models.TextField("移交说明", blank=True)
    sent_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+", null=True)
    sent_at = models.DateTimeField(default=timezone.now)
    handled_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField("退回理由", blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["to_unit", "status"], name="cases_transfer_inbox")]

    def __str__(self) -> str:
        return self.number


class CoTask(models.Model):
    """联动化解: a co-unit's own task on a jointly handled case, with its own reply."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="co_tasks")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="co_tasks")
    task = models.TextField("任务")
    reply = models.TextField("答复", blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    replied_by = models.ForeignKey("org.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "unit"], name="cases_cotask_uniq")]
        indexes = [models.Index(fields=["unit", "replied_at"], name="cases_cotask_unit")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.unit_id}"


class Supervision(models.Model):
    """督办 by a leader."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supervisions")
    by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    note = models.TextField("督办意见")
    due_on = models.DateField("要求办结日期", null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.case_id} 督办"


class ReviewRequest(models.Model):
    """复查 (第35条) and 复核 (第36条) requests and their answers."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reviews")
    stage = models.CharField(max_length=16, choices=ReviewStage.choices)
    organ = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    requested_on = models.DateField()
    reasons = models.TextField(blank=True)
    opinion = models.TextField(blank=True)
    outcome = models.CharField(max_length=16, choices=ReplyOutcome.choices, blank=True)
    answered_on = models.DateField(null=True, blank=True)
    hearing_days = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.case_id} {self.stage}"


from fangtiao.cases.models_import import ImportBatch, ImportedRow  # noqa: E402,F401
