"""People's mediation from receipt to archive (人民调解法 第17–33条; 民诉法 第205–206条).

A case is mediated in rounds: a `Mediation` opens when the case reaches a committee (or is
re-mediated after a recurrence or a rejected confirmation) and ends in an agreement, a failure,
a refusal or a withdrawal. Everything else hangs off the round or the case: the mediators
assigned, each party's notices and consent, invited participants, expert opinions, sessions
(调解记录/调查记录) and their bookings, the agreement with its signatures and obligations,
payments, judicial confirmation, enforcement, follow-ups, the backlog record and the archive.

Mediation is free (人民调解法 第4条): no model here has a fee field, by design."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from fangtiao.cases.choices import CaseSource, Satisfaction
from fangtiao.core.fields import EncryptedCharField
from fangtiao.mediation.choices import (
    AgreementForm,
    AgreementStatus,
    ChosenBy,
    ConfirmationResult,
    Consent,
    CourtBasis,
    FollowUpMethod,
    MediationStatus,
    ObligationStatus,
    ProofKind,
    Recurrence,
    RejectionGround,
    Relation,
    Retention,
    SessionKind,
    SessionOutcome,
    SessionStatus,
    SignerKind,
    SignMethod,
)


class _CaseScoped:
    """Rows of a case are audited under the case's region."""

    case: Any

    @property
    def audit_region_path(self) -> str:
        return self.case.region_path


class Mediation(_CaseScoped, models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="mediations")
    round = models.PositiveSmallIntegerField("轮次", default=1)
    unit = models.ForeignKey("org.Unit", verbose_name="调解组织", on_delete=models.PROTECT, related_name="mediations")
    number = models.CharField("卷号", max_length=60, unique=True)
    source = models.CharField("案件来源", max_length=16, choices=CaseSource.choices, blank=True)
    inviting_court = models.ForeignKey("org.Unit", verbose_name="委派调解的法院", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=16, choices=MediationStatus.choices, default=MediationStatus.OPEN)
    public = models.BooleanField("公开调解", default=False, help_text="人民调解法 第23条：当事人可以要求公开或者不公开调解")
    started_on = models.DateField("开始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    end_reason = models.TextField("终止原因", blank=True)
    routes_told = models.JSONField("已告知的途径", default=list, blank=True)
    extended_days = models.PositiveSmallIntegerField("经双方同意延长（日）", default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "调解"
        verbose_name_plural = "调解"
        ordering = ["case", "round"]
        constraints = [models.UniqueConstraint(fields=["case", "round"], name="mediation_case_round_uniq")]
        indexes = [
            models.Index(fields=["unit", "status", "started_on"], name="mediation_unit_status"),
            # Rounds concluded in a period: statistics (direct counts), case-list filters, subsidies.
            models.Index(fields=["ended_on"], name="mediation_concluded_on", condition=Q(status__in=["agreed", "failed"])),
        ]

    def __str__(self) -> str:
        return self.number


class Assignment(_CaseScoped, models.Model):
    """A mediator on a round (人民调解法 第19条), with why the system suggested them."""

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="assignments")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    mediator = models.ForeignKey("org.Mediator", verbose_name="调解员", on_delete=models.PROTECT, related_name="assignments")
    chosen_by = models.CharField("产生方式", max_length=16, choices=ChosenBy.choices)
    lead = models.BooleanField("主调", default=False)
    reason = models.TextField("选定理由", blank=True)
    suggestion = models.JSONField("系统推荐依据", default=dict, blank=True)
    assigned_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField("更换原因", blank=True)
    requested_by = models.ForeignKey("cases.Party", verbose_name="申请更换的当事人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "调解员指派"
        verbose_name_plural = "调解员指派"
        ordering = ["assigned_at", "id"]
        constraints = [models.UniqueConstraint(fields=["mediation", "mediator"], condition=Q(active=True),
                                               name="mediation_assignment_active_uniq")]
        indexes = [
            models.Index(fields=["mediator"], name="mediation_assign_load", condition=Q(active=True)),
            models.Index(fields=["mediator", "assigned_at"], name="mediation_assign_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.mediation_id}:{self.mediator_id}"


class MediatorRelation(models.Model):
    """A relation a mediator has declared (回避申报): relatives, colleagues… Any party matching it
    by ID number or phone excludes the mediator (人民调解法 第15条: impartiality)."""

    mediator = models.ForeignKey("org.Mediator", on_delete=models.CASCADE, related_name="relations")
    name = models.CharField("姓名", max_length=100)
    relation = models.CharField("关系", max_length=16, choices=Relation.choices)
    id_number = EncryptedCharField("身份证号码", blank=True, default="")
    id_index = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    phone = EncryptedCharField("联系电话", blank=True, default="")
    phone_index = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "调解员回避关系"
        verbose_name_plural = "调解员回避关系"

    def __str__(self) -> str:
        return f"{self.mediator_id} {self.get_relation_display()} {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keep the blind indexes in step with the encrypted values (the same families as Party's)."""
        from fangtiao.core import crypto
        from fangtiao.core.validators import normalize_id_number, normalize_phone

        idn = normalize_id_number(self.id_number) if self.id_number else ""
        phone = normalize_phone(self.phone) if self.phone else ""
        self.id_number, self.phone = idn, phone
        self.id_index = crypto.blind_index(idn, purpose="id") if idn else ""
        self.phone_index = crypto.blind_index(phone, purpose="phone") if phone else ""
        super().save(*args, **kwargs)

    @property
    def audit_region_path(self) -> str:
        return self.mediator.unit.region.path


class PartyNotice(_CaseScoped, models.Model):
    """Per party and round: rights and duties told (第23、24条), the 须知 acknowledged, consent (第17条)."""

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="notices")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    party = models.ForeignKey("cases.Party", on_delete=models.CASCADE, related_name="mediation_notices")
    rights_notified_on = models.DateField("权利义务告知日期", null=True, blank=True)
    guidance_acknowledged_on = models.DateField("须知签收日期", null=True, blank=True)
    consent = models.CharField("是否同意调解", max_length=16, choices=Consent.choices, default=Consent.PENDING)
    consent_on = models.DateField("表态日期", null=True, blank=True)
    wants_public = models.BooleanField("要求公开调解", null=True, blank=True)
    note = models.TextField("说明", blank=True)
    recorded_by = models.ForeignKey("org.User", null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "当事人告知与同意"
        verbose_name_plural = "当事人告知与同意"
        constraints = [models.UniqueConstraint(fields=["mediation", "party"], name="mediation_notice_uniq")]

    def __str__(self) -> str:
        return f"{self.mediation_id}:{self.party_id}"


class Participant(_CaseScoped, models.Model):
    """人民调解法 第20条: relatives, neighbours, colleagues or experts invited with the parties' consent."""

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="participants")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    name = models.CharField("姓名", max_length=100)
    relation = models.CharField("身份", max_length=16, choices=Relation.choices)
    organisation = models.CharField("单位或住址", max_length=200, blank=True)
    consent_recorded = models.BooleanField("当事人已同意", default=False)
    invited_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "邀请参与人"
        verbose_name_plural = "邀请参与人"

    def __str__(self) -> str:
        return self.name


class OpinionRequest(_CaseScoped, models.Model):
    """调解专家库: a written opinion asked of an expert (lawyer, specialist) on a question."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="opinion_requests")
    mediation = models.ForeignKey(Mediation, null=True, blank=True, on_delete=models.CASCADE, related_name="opinions")
    expert = models.ForeignKey("org.Expert", verbose_name="专家", on_delete=models.PROTECT, related_name="opinion_requests")
    question = models.TextField("咨询问题")
    due_on = models.DateField("答复期限")
    requested_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    opinion = models.TextField("书面意见", blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey("org.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "专家咨询"
        verbose_name_plural = "专家咨询"
        ordering = ["requested_at", "id"]
        indexes = [models.Index(fields=["expert", "answered_at"], name="mediation_opinion_expert")]

    def __str__(self) -> str:
        return f"{self.case_id}→{self.expert_id}"


class Room(models.Model):
    """A room of a 矛调中心 (or sub-centre) that sessions can book."""

    unit = models.ForeignKey("org.Unit", verbose_name="所属单位", on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField("名称", max_length=50)
    capacity = models.PositiveSmallIntegerField("容纳人数", default=10)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "调解室"
        verbose_name_plural = "调解室"
        ordering = ["unit", "name"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="mediation_room_uniq")]

    def __str__(self) -> str:
        return f"{self.unit.short_name}·{self.name}"


class Session(_CaseScoped, models.Model):
    """A booked or held session: the 人民调解记录 (or 调查记录) with the contents §4.6 requires."""

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="sessions")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveSmallIntegerField("次序")
    kind = models.CharField("类型", max_length=16, choices=SessionKind.choices, default=SessionKind.MEDIATION)
    status = models.CharField("状态", max_length=16, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED)
    starts_at = models.DateTimeField("时间")
    ends_at = models.DateTimeField("结束时间", null=True, blank=True)
    room = models.ForeignKey(Room, verbose_name="调解室", null=True, blank=True, on_delete=models.PROTECT, related_name="sessions")
    place = models.CharField("地点", max_length=200, blank=True)
    on_site = models.BooleanField("就地调解", default=False)
    participants = models.TextField("参加人（邀请人员）", blank=True)
    present_parties = models.ManyToManyField("cases.Party", verbose_name="到场当事人", blank=True, related_name="+")
    absent_note = models.TextField("缺席情况", blank=True)
    notices_given = models.BooleanField("已告知权利义务及调解原则", default=False)
    applicant_statement = models.TextField("申请人陈述", blank=True)
    respondent_statement = models.TextField("被申请人陈述", blank=True)
    evidence = models.TextField("证据核实", blank=True)
    risk_warning = models.TextField("风险提示", blank=True)
    proposal = models.TextField("调解方案", blank=True)
    outcome = models.CharField("结果", max_length=16, choices=SessionOutcome.choices, blank=True)
    next_step = models.TextField("下一步", blank=True)
    recorder = models.CharField("记录人", max_length=50, blank=True)
    created_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    reminded = models.BooleanField(default=False)

    class Meta:
        verbose_name = "调解记录"
        verbose_name_plural = "调解记录"
        ordering = ["starts_at", "id"]
        constraints = [models.UniqueConstraint(fields=["mediation", "seq"], name="mediation_session_seq_uniq")]
        indexes = [
            models.Index(fields=["room", "starts_at"], name="mediation_session_room"),
            models.Index(fields=["starts_at"], name="mediation_session_due", condition=Q(status="scheduled", reminded=False)),
        ]

    def __str__(self) -> str:
        return f"{self.mediation_id}#{self.seq}"


class RiskReport(_CaseScoped, models.Model):
    """人民调解法 第25条: a dispute that may become a public-order or criminal case, and the report to the police."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="risk_reports")
    description = models.TextField("风险情况")
    measures = models.TextField("已采取的预防措施", blank=True)
    police_unit = models.ForeignKey("org.Unit", verbose_name="报告的公安机关", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    police_name = models.CharField("公安机关（名称）", max_length=100, blank=True)
    reported_on = models.DateField("报告日期", null=True, blank=True)
    recorded_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "激化风险报告"
        verbose_name_plural = "激化风险报告"

    def __str__(self) -> str:
        return f"{self.case_id} 风险"


class Agreement(_CaseScoped, models.Model):
    """调解协议书 (人民调解法 第29条) or an oral agreement registered (第28、30条)."""

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="agreements")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="agreements")
    number = models.CharField("协议编号", max_length=60, unique=True)
    form = models.CharField("形式", max_length=16, choices=AgreementForm.choices)
    status = models.CharField("状态", max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.SIGNING)
    facts = models.TextField("纠纷主要事实")
    disputes = models.TextField("争议事项及各方责任")
    terms = models.TextField("协议内容")
    performance = models.TextField("履行方式、时限")
    involves_status_relation = models.BooleanField("涉及身份关系（婚姻、亲子、收养）", default=False)
    confirms_ownership = models.BooleanField("确认物权或知识产权归属", default=False)
    special_procedure = models.BooleanField("属于其他特别程序、公示催告程序或破产程序审理的事项", default=False)
    reached_on = models.DateField("达成日期")
    effective_on = models.DateField("生效日期", null=True, blank=True)
    copies = models.PositiveSmallIntegerField("份数")
    recorder = models.CharField("记录人", max_length=50, blank=True)
    created_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "调解协议"
        verbose_name_plural = "调解协议"
        ordering = ["reached_on", "id"]
        indexes = [models.Index(fields=["status", "effective_on"], name="mediation_agreement_eff")]

    def __str__(self) -> str:
        return self.number


class Signature(_CaseScoped, models.Model):
    """One 签名/盖章/按指印 on an agreement: a party's, a mediator's, or the committee's seal."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signatures")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    signer_kind = models.CharField("签署人", max_length=16, choices=SignerKind.choices)
    party = models.ForeignKey("cases.Party", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    mediator = models.ForeignKey("org.Mediator", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    method = models.CharField("方式", max_length=16, choices=SignMethod.choices)
    signed_on = models.DateField("签署日期")
    image = models.TextField("手写签名（平板采集）", blank=True, help_text="PNG data URL")
    recorded_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "签署"
        verbose_name_plural = "签署"
        ordering = ["recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "party"], condition=Q(signer_kind="party"), name="mediation_sign_party_uniq"),
            models.UniqueConstraint(fields=["agreement", "mediator"], condition=Q(signer_kind="mediator"),
                                    name="mediation_sign_mediator_uniq"),
            models.UniqueConstraint(fields=["agreement"], condition=Q(signer_kind="seal"), name="mediation_sign_seal_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id}:{self.signer_kind}"


class Obligation(_CaseScoped, models.Model):
    """One duty of an agreement: who owes what, how much, by when (instalments are separate rows)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="obligations")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="obligations")
    seq = models.PositiveSmallIntegerField("序号")
    party = models.ForeignKey("cases.Party", verbose_name="履行义务人", on_delete=models.PROTECT, related_name="obligations")
    content = models.CharField("义务内容", max_length=500)
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    due_on = models.DateField("履行期限", null=True, blank=True)
    instalment = models.CharField("期次", max_length=20, blank=True)
    status = models.CharField("状态", max_length=16, choices=ObligationStatus.choices, default=ObligationStatus.PENDING)
    performed_amount = models.DecimalField("已履行金额（元）", max_digits=14, decimal_places=2, default=0)
    done_on = models.DateField("履行完毕日期", null=True, blank=True)
    enforced = models.BooleanField("已申请强制执行", default=False)
    reminded = models.BooleanField(default=False)

    class Meta:
        verbose_name = "协议义务"
        verbose_name_plural = "协议义务"
        ordering = ["agreement", "seq"]
        constraints = [models.UniqueConstraint(fields=["agreement", "seq"], name="mediation_obligation_seq_uniq")]
        indexes = [
            models.Index(fields=["due_on"], name="mediation_obligation_open",
                         condition=Q(status__in=["pending", "partial", "overdue"])),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id}#{self.seq}"

    @property
    def outstanding(self) -> Any:
        if self.amount is None:
            return None
        return max(self.amount - self.performed_amount, 0)


class Performance(_CaseScoped, models.Model):
    """A payment or act recorded against an obligation, with its proof (人民调解法 第31条)."""

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="performances")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    done_on = models.DateField("履行日期")
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    proof_kind = models.CharField("履行凭证", max_length=16, choices=ProofKind.choices)
    proof_note = models.CharField("凭证说明", max_length=500, blank=True)
    enforced = models.BooleanField("经强制执行", default=False)
    recorded_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "履行记录"
        verbose_name_plural = "履行记录"
        ordering = ["done_on", "id"]

    def __str__(self) -> str:
        return f"{self.obligation_id} {self.done_on}"


class Confirmation(_CaseScoped, models.Model):
    """司法确认: the joint application (第33条; 民诉法 第205条), the court's acceptance and decision."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="confirmations")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="confirmations")
    court = models.ForeignKey("org.Unit", verbose_name="人民法院", on_delete=models.PROTECT, related_name="confirmations")
    court_basis = models.CharField("管辖依据", max_length=16, choices=CourtBasis.choices)
    applied_on = models.DateField("申请日期")
    checklist = models.JSONField("申请材料", default=list)
    accepted_on = models.DateField("立案日期", null=True, blank=True)
    court_number = models.CharField("案号", max_length=60, blank=True)
    extended = models.BooleanField("经院长批准延长", default=False)
    result = models.CharField("结果", max_length=20, choices=ConfirmationResult.choices, default=ConfirmationResult.PENDING)
    ground = models.CharField("驳回理由", max_length=20, choices=RejectionGround.choices, blank=True)
    decided_on = models.DateField("裁定日期", null=True, blank=True)
    note = models.TextField("说明/法院反馈", blank=True)
    created_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "司法确认"
        verbose_name_plural = "司法确认"
        ordering = ["applied_on", "id"]
        indexes = [
            models.Index(fields=["court", "result", "applied_on"], name="mediation_confirm_queue"),
            models.Index(fields=["decided_on"], name="mediation_confirmed_on", condition=Q(result="confirmed")),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} 司法确认"


class Enforcement(_CaseScoped, models.Model):
    """申请强制执行 of a confirmed agreement (民诉法 第206、250条)."""

    confirmation = models.ForeignKey(Confirmation, on_delete=models.PROTECT, related_name="enforcements")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="enforcements")
    obligations = models.ManyToManyField(Obligation, related_name="enforcements")
    court = models.ForeignKey("org.Unit", verbose_name="执行法院", on_delete=models.PROTECT, related_name="+")
    applied_on = models.DateField("申请日期")
    note = models.TextField("说明", blank=True)
    recorded_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "强制执行申请"
        verbose_name_plural = "强制执行申请"

    def __str__(self) -> str:
        return f"{self.case_id} 执行"


class FollowUp(_CaseScoped, models.Model):
    """人民调解回访记录 (legal-rules §4.9)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="follow_ups")
    agreement = models.ForeignKey(Agreement, null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups")
    party = models.ForeignKey("cases.Party", verbose_name="回访当事人", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    method = models.CharField("方式", max_length=16, choices=FollowUpMethod.choices)
    visited_on = models.DateField("回访时间")
    performance = models.TextField("协议履行情况", blank=True)
    satisfaction = models.CharField("当事人满意度", max_length=16, choices=Satisfaction.choices)
    lawsuit = models.BooleanField("是否就履行提起诉讼", default=False)
    lawsuit_result = models.TextField("诉讼及判决情况", blank=True)
    risk = models.TextField("错调、激化或遗留风险", blank=True)
    measures = models.TextField("采取的措施", blank=True)
    notes = models.TextField("其他", blank=True)
    recurrence = models.CharField("纠纷反复", max_length=16, choices=Recurrence.choices, default=Recurrence.NONE)
    new_case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    visitor = models.ForeignKey("org.User", verbose_name="回访人", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "回访记录"
        verbose_name_plural = "回访记录"
        ordering = ["visited_on", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} 回访 {self.visited_on}"


class BacklogRule(models.Model):
    """What makes a matter a 信访积案 here (legal-rules §6: no national definition; configurable).
    A region row overrides the default (region null) in its subtree."""

    region = models.OneToOneField("org.Region", verbose_name="适用辖区", null=True, blank=True, on_delete=models.CASCADE)
    open_days = models.PositiveIntegerField("未办结超过（日）", default=180)
    min_repeats = models.PositiveSmallIntegerField("同一事项重复信访达到（次）", default=3)
    after_final = models.BooleanField("复核终结后仍反复信访", default=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "积案认定规则"
        verbose_name_plural = "积案认定规则"
        constraints = [models.UniqueConstraint(fields=["region"], condition=Q(region__isnull=True), name="mediation_backlog_default")]

    def __str__(self) -> str:
        return f"积案规则（{self.region or '默认'}）"


class BacklogRecord(_CaseScoped, models.Model):
    """A 信访积案: marked by the rule or a leader, with a responsible leader (包案); who resolved it."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="backlog")
    reason = models.TextField("认定理由")
    by_rule = models.BooleanField("按规则自动认定", default=False)
    marked_by = models.ForeignKey("org.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    marked_on = models.DateField("认定日期")
    responsible_leader = models.ForeignKey("org.User", verbose_name="包案领导", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="backlog_cases")
    resolved_on = models.DateField("化解日期", null=True, blank=True)
    resolved_unit = models.ForeignKey("org.Unit", verbose_name="化解单位", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    resolved_by = models.ForeignKey("org.User", verbose_name="办结人", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    resolvers = models.ManyToManyField("org.Mediator", verbose_name="化解调解员", blank=True, related_name="+")

    class Meta:
        verbose_name = "信访积案"
        verbose_name_plural = "信访积案"
        indexes = [
            models.Index(fields=["responsible_leader", "resolved_on"], name="mediation_backlog_leader"),
            models.Index(fields=["resolved_on"], name="mediation_backlog_resolved"),
            models.Index(fields=["marked_on"], name="mediation_backlog_marked"),
        ]

    def __str__(self) -> str:
        return f"积案 {self.case_id}"


class ArchiveFile(_CaseScoped, models.Model):
    """卷宗 (人民调解法 第27条): cover fields (§4.1) and the table of contents (§4.2), sealed."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="archive_file")
    unit = models.ForeignKey("org.Unit", verbose_name="调解组织", on_delete=models.PROTECT, related_name="archive_files")
    year = models.PositiveSmallIntegerField("年度")
    number = models.CharField("卷号", max_length=60, unique=True)
    title = models.CharField("卷名", max_length=200)
    mediators = models.CharField("人民调解员", max_length=200, blank=True)
    mediated_from = models.DateField("调解日期（起）", null=True, blank=True)
    mediated_to = models.DateField("调解日期（止）", null=True, blank=True)
    filed_by = models.ForeignKey("org.User", verbose_name="立卷人", on_delete=models.PROTECT, related_name="+")
    filed_on = models.DateField("立卷日期")
    retention = models.CharField("保管期限", max_length=16, choices=Retention.choices, default=Retention.LONG)
    items = models.JSONField("卷内目录", default=list)
    sealed_at = models.DateTimeField("封卷时间")
    note = models.TextField("备注", blank=True)

    class Meta:
        verbose_name = "卷宗"
        verbose_name_plural = "卷宗"
        ordering = ["-year", "number"]
        indexes = [models.Index(fields=["unit", "year"], name="mediation_archive_unit_year")]

    def __str__(self) -> str:
        return self.number


class DailyJob(models.Model):
    """The last day a once-a-day job ran (claimed by compare-and-set, so one worker runs it)."""

    name = models.CharField(max_length=50, unique=True)
    last_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} {self.last_on}"
