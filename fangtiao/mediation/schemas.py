"""Input schemas of the mediation actions (API.md § Actions: assign, request_opinion, record_opinion,
record_session, agree, fail, apply_confirmation, record_confirmation, record_performance, follow_up
and the steps between them). Titles are the Chinese labels of the generated forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone
from ninja import Field, Schema
from pydantic import field_validator

from fangtiao.cases.choices import Satisfaction
from fangtiao.cases.schemas import VersionIn
from fangtiao.mediation.choices import (
    AgreementForm,
    ChosenBy,
    ConfirmationResult,
    Consent,
    CourtBasis,
    FollowUpMethod,
    LawfulRoute,
    ProofKind,
    Recurrence,
    RejectionGround,
    Relation,
    SessionKind,
    SessionOutcome,
    SignMethod,
)

MONEY = {"ge": 0, "le": Decimal("999999999999"), "max_digits": 14, "decimal_places": 2}
MAX_ID = 2**63 - 1


def _bounded(v: Any) -> Any:
    """Ids within the database's bigint, dates in 1900–2100, times in 2000–2100 and aware (Asia/Shanghai
    when no offset is given): out-of-range values are field errors, never a server error."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and not 0 <= v <= MAX_ID:
        raise ValueError("编号超出范围")
    if isinstance(v, dt.datetime):
        if not 2000 <= v.year <= 2100:
            raise ValueError("时间超出范围（2000–2100年）")
        return v if timezone.is_aware(v) else timezone.make_aware(v)
    if isinstance(v, dt.date) and not 1900 <= v.year <= 2100:
        raise ValueError("日期超出范围（1900–2100年）")
    if isinstance(v, list):
        return [_bounded(x) for x in v]
    return v


class Bounded(Schema):
    @field_validator("*")
    @classmethod
    def _in_range(cls, v: Any) -> Any:
        return _bounded(v)


class InterveneIn(VersionIn, Bounded):
    unit: int = Field(..., title="介入的调解组织")
    consent: bool = Field(False, title="双方当事人同意调解")
    note: str = Field("", max_length=2000, title="介入说明（排查发现或信访线索）")


class AssignIn(VersionIn, Bounded):
    mediators: list[int] = Field(..., min_length=1, max_length=5, title="调解员", json_schema_extra={"ref": "mediator"})
    chosen_by: ChosenBy = Field(ChosenBy.COMMITTEE, title="产生方式")
    reason: str = Field("", max_length=2000, title="选定理由")


class ReplaceMediatorIn(VersionIn, Bounded):
    mediator: int = Field(..., title="被更换的调解员", json_schema_extra={"ref": "mediator"})
    replacement: int = Field(..., title="新调解员", json_schema_extra={"ref": "mediator"})
    party: int | None = Field(None, title="申请更换的当事人", json_schema_extra={"ref": "party"})
    reason: str = Field(..., min_length=2, max_length=2000, title="更换理由")


class NoticeIn(VersionIn, Bounded):
    party: int = Field(..., title="当事人", json_schema_extra={"ref": "party"})
    rights_notified: bool = Field(True, title="已告知权利义务（人民调解法 第23、24条）")
    guidance_acknowledged: bool = Field(True, title="已阅知并签收《当事人接受调解须知》")
    consent: Consent = Field(Consent.CONSENTED, title="是否同意调解")
    wants_public: bool | None = Field(None, title="要求公开调解")
    note: str = Field("", max_length=2000, title="说明")


class InviteIn(VersionIn, Bounded):
    name: str = Field(..., min_length=1, max_length=100, title="姓名")
    relation: Relation = Field(..., title="身份")
    organisation: str = Field("", max_length=200, title="单位或住址")
    consent: bool = Field(False, title="经当事人同意（人民调解法 第20条）")


class OpinionRequestIn(VersionIn, Bounded):
    expert: int = Field(..., title="专家", json_schema_extra={"ref": "expert"})
    question: str = Field(..., min_length=4, max_length=5000, title="咨询问题")
    due_on: dt.date | None = Field(None, title="答复期限（默认7日）")


class OpinionIn(VersionIn, Bounded):
    request: int | None = Field(None, title="咨询单", json_schema_extra={"ref": "opinion_request"})
    opinion: str = Field(..., min_length=4, max_length=20000, title="书面意见")


class BookIn(VersionIn, Bounded):
    starts_at: dt.datetime = Field(..., title="开始时间")
    ends_at: dt.datetime | None = Field(None, title="结束时间（默认1小时）")
    room: int | None = Field(None, title="调解室", json_schema_extra={"ref": "room"})
    place: str = Field("", max_length=200, title="地点（不用调解室时）")
    on_site: bool = Field(False, title="就地调解")
    kind: SessionKind = Field(SessionKind.MEDIATION, title="类型")


class SessionIn(VersionIn, Bounded):
    session: int | None = Field(None, title="预约的场次", json_schema_extra={"ref": "session"})
    held: bool = Field(True, title="如期进行（不勾选即记录当事人未到场）")
    kind: SessionKind = Field(SessionKind.MEDIATION, title="类型")
    held_at: dt.datetime | None = Field(None, title="时间（默认现在）")
    place: str = Field("", max_length=200, title="地点")
    on_site: bool = Field(False, title="就地调解")
    participants: str = Field("", max_length=2000, title="参加人（邀请人员）")
    present: list[int] = Field(default_factory=list, max_length=200, title="到场当事人", json_schema_extra={"ref": "party"})
    notices_given: bool = Field(True, title="已告知权利义务、调解原则和参加人员身份")
    applicant_statement: str = Field("", max_length=20000, title="申请人陈述")
    respondent_statement: str = Field("", max_length=20000, title="被申请人陈述")
    evidence: str = Field("", max_length=20000, title="证据核实")
    risk_warning: str = Field("", max_length=5000, title="风险提示")
    proposal: str = Field("", max_length=20000, title="调解方案")
    outcome: SessionOutcome = Field(SessionOutcome.CONTINUE, title="结果")
    next_step: str = Field("", max_length=5000, title="下一步")
    absent_note: str = Field("", max_length=2000, title="缺席情况")
    recorder: str = Field("", max_length=50, title="记录人")


class RiskIn(VersionIn, Bounded):
    description: str = Field(..., min_length=4, max_length=5000, title="风险情况")
    measures: str = Field("", max_length=5000, title="已采取的预防措施")
    police_unit: int | None = Field(None, title="报告的公安机关", json_schema_extra={"ref": "unit"})
    police_name: str = Field("", max_length=100, title="公安机关（名称）")
    reported_on: dt.date | None = Field(None, title="报告日期")


class ExtendMediationIn(VersionIn, Bounded):
    days: int = Field(..., ge=1, le=60, title="延长天数")
    both_parties_request: bool = Field(False, title="双方当事人均同意延长")
    reason: str = Field(..., min_length=2, max_length=2000, title="延长理由")


class ObligationIn(Bounded):
    party: int = Field(..., title="履行义务人（当事人）")
    content: str = Field(..., min_length=2, max_length=500, title="义务内容")
    amount: Decimal | None = Field(None, title="金额（元）", gt=0, le=Decimal("999999999999"), max_digits=14,
                                   decimal_places=2)
    due_on: dt.date | None = Field(None, title="履行期限")
    instalment: str = Field("", max_length=20, title="期次")


class SignatureIn(Bounded):
    signer: str = Field(..., max_length=20, title="签署人（当事人编号、mediator 或 seal）")
    method: SignMethod = Field(SignMethod.SIGN, title="方式")
    signed_on: dt.date | None = Field(None, title="签署日期")
    mediator: int | None = Field(None, title="签名的调解员")
    image: str = Field("", max_length=300_000, title="手写签名图像")

    @field_validator("image")
    @classmethod
    def _png(cls, v: str) -> str:
        if v and not v.startswith("data:image/png;base64,"):
            raise ValueError("签名图像应为 PNG")
        if v:  # an upload like any other (fangtiao.core.uploads, ADR 0021): a real PNG, within the pixel limit
            import base64
            import binascii

            from fangtiao.core import uploads
            from fangtiao.core.errors import ValidationFailed

            try:
                data = base64.b64decode(v.split(",", 1)[1], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError("签名图像应为 PNG") from exc
            if uploads.sniff(data) != uploads.PNG:
                raise ValueError("签名图像应为 PNG")
            try:
                uploads.check_image(data)
            except ValidationFailed as exc:
                raise ValueError(exc.errors[0].message if exc.errors else "签名图像无法识别") from exc
        return v


class AgreeIn(VersionIn, Bounded):
    form: AgreementForm = Field(..., title="协议形式")
    terms: str = Field(..., min_length=2, max_length=20000, title="协议内容")
    facts: str = Field("", max_length=20000, title="纠纷主要事实")
    disputes: str = Field("", max_length=20000, title="争议事项及各方责任")
    performance: str = Field("", max_length=5000, title="履行方式、时限")
    obligations: list[ObligationIn] = Field(default_factory=list, max_length=100, title="义务")
    involves_status_relation: bool = Field(False, title="涉及婚姻、亲子、收养等身份关系")
    confirms_ownership: bool = Field(False, title="确认物权或知识产权归属")
    special_procedure: bool = Field(False, title="属于其他特别程序、公示催告程序或破产程序审理的事项")
    reached_on: dt.date | None = Field(None, title="达成日期")
    signed: bool = Field(True, title="当场签署（各方当事人签名、调解员签名并加盖调委会印章）")
    recorder: str = Field("", max_length=50, title="记录人")


class SignIn(VersionIn, Bounded):
    signatures: list[SignatureIn] = Field(..., min_length=1, max_length=50, title="签署")


class FailIn(VersionIn, Bounded):
    reason: str = Field(..., min_length=2, max_length=5000, title="调解不成原因")
    next: LawfulRoute = Field(..., title="后续途径")
    routes_told: list[LawfulRoute] = Field(default_factory=list, max_length=4, title="已告知的其他途径")


class WithdrawIn(VersionIn, Bounded):
    reason: str = Field(..., min_length=2, max_length=2000, title="撤回原因")


class ApplyConfirmationIn(VersionIn, Bounded):
    court: int = Field(..., title="人民法院", json_schema_extra={"ref": "court"})
    applied_on: dt.date | None = Field(None, title="申请日期")
    court_basis: CourtBasis | None = Field(None, title="管辖依据（默认按推荐）")
    joint: bool = Field(True, title="双方当事人共同申请")
    property_proof: bool = Field(False, title="附与协议相关的财产权利证明")
    agents: bool = Field(False, title="有委托代理人（附授权委托书）")


class AcceptConfirmationIn(VersionIn, Bounded):
    accepted_on: dt.date | None = Field(None, title="立案日期")
    court_number: str = Field("", max_length=60, title="案号")


class ExtendConfirmationIn(VersionIn, Bounded):
    reason: str = Field(..., min_length=2, max_length=2000, title="经院长批准延长的理由")


class ConfirmationResultIn(VersionIn, Bounded):
    result: ConfirmationResult = Field(..., title="结果")
    decided_on: dt.date | None = Field(None, title="裁定日期")
    ground: RejectionGround | None = Field(None, title="驳回理由")
    court_number: str = Field("", max_length=60, title="案号")
    note: str = Field("", max_length=5000, title="说明/法院反馈")


class PerformanceIn(VersionIn, Bounded):
    obligation: int = Field(..., title="义务", json_schema_extra={"ref": "obligation"})
    done_on: dt.date | None = Field(None, title="履行日期")
    amount: Decimal | None = Field(None, title="金额（元）", **MONEY)
    proof_kind: ProofKind = Field(ProofKind.STATEMENT, title="履行凭证")
    proof_note: str = Field("", max_length=500, title="凭证说明")
    enforced: bool = Field(False, title="经强制执行")


class EnforcementIn(VersionIn, Bounded):
    obligations: list[int] = Field(..., min_length=1, max_length=100, title="未履行的义务",
                                   json_schema_extra={"ref": "obligation"})
    applied_on: dt.date | None = Field(None, title="申请日期")
    court: int | None = Field(None, title="执行法院（默认作出裁定的法院）", json_schema_extra={"ref": "court"})
    note: str = Field("", max_length=2000, title="说明")


class FollowUpIn(VersionIn, Bounded):
    method: FollowUpMethod = Field(..., title="方式")
    satisfaction: Satisfaction = Field(..., title="当事人满意度")
    notes: str = Field("", max_length=5000, title="其他")
    party: int | None = Field(None, title="回访当事人", json_schema_extra={"ref": "party"})
    visited_on: dt.date | None = Field(None, title="回访时间")
    performance: str = Field("", max_length=5000, title="协议履行情况")
    lawsuit: bool = Field(False, title="就履行提起诉讼")
    lawsuit_result: str = Field("", max_length=5000, title="诉讼及判决情况")
    risk: str = Field("", max_length=5000, title="错调、激化或遗留风险")
    measures: str = Field("", max_length=5000, title="采取的措施")
    recurrence: Recurrence = Field(Recurrence.NONE, title="纠纷反复")


class RemediateIn(VersionIn, Bounded):
    reason: str = Field(..., min_length=2, max_length=2000, title="重新调解的理由")


class BacklogIn(VersionIn, Bounded):
    reason: str = Field(..., min_length=2, max_length=2000, title="认定理由")
    responsible_leader: int | None = Field(None, title="包案领导", json_schema_extra={"ref": "leader"})
