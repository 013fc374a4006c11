"""Input schemas of intake and of each lifecycle action (API.md § Actions). Titles are the
Chinese labels the UI shows; validation messages are translated by core.api."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema
from pydantic import field_validator

from fangtiao.cases.choices import (
    Channel,
    DivertRoute,
    Kind,
    Nature,
    NotAcceptedChannel,
    PartyRole,
    PartyType,
    ReplyOutcome,
    RouteTo,
)


class PartyIn(Schema):
    role: PartyRole = Field(PartyRole.PETITIONER, title="身份")
    type: PartyType = Field(PartyType.PERSON, title="类型")
    name: str = Field("", max_length=100, title="姓名/名称")
    id_number: str = Field("", max_length=30, title="身份证号码/统一社会信用代码")
    phone: str = Field("", max_length=30, title="联系电话")
    address: str = Field("", max_length=200, title="住址")
    is_representative: bool = Field(False, title="代表人")
    village: str = Field("", max_length=12, title="户籍或居住村（社区）区划代码")
    employer: str = Field("", max_length=100, title="工作单位")


class CaseIn(Schema):
    channel: Channel = Field(..., title="来源渠道")
    kind: Kind = Field(..., title="类别")
    nature: Nature | None = Field(None, title="信访事项性质")
    title: str = Field(..., min_length=2, max_length=200, title="事项标题")
    description: str = Field("", max_length=20000, title="事实")
    reasons: str = Field("", max_length=20000, title="理由")
    demands: str = Field("", max_length=5000, title="请求")
    oral_record: str = Field("", max_length=20000, title="口头信访如实记录")
    category: str | None = Field(None, max_length=32, title="纠纷类型")
    region: str = Field(..., min_length=6, max_length=12, title="发生地（区划代码）")
    occurred_on: dt.date | None = Field(None, title="发生日期")
    amount: Decimal | None = Field(None, ge=0, le=Decimal("999999999999"), max_digits=14, decimal_places=2, title="涉及金额（元）")
    headcount: int = Field(1, ge=1, le=100000, title="涉及人数")
    parties: list[PartyIn] = Field(default_factory=list, max_length=200, title="当事人")
    accused_unit: int | None = Field(None, title="被检举控告单位")
    administrative_dispute: bool = Field(False, title="行政争议")
    litigation_pending: bool = Field(False, title="涉法涉诉未终结")
    skip_level_declared: bool = Field(False, title="信访人表示将越级上访")
    escalation_risk: bool = Field(False, title="接待人员评估：情绪激动、有激化风险")


class VersionIn(Schema):
    version: int = Field(..., ge=1, title="版本")


class AcceptIn(VersionIn):
    notice: str = Field("", max_length=5000, title="受理告知内容")


class RejectIn(VersionIn):
    reason: str = Field(..., min_length=2, max_length=5000, title="不予受理理由")
    channel: NotAcceptedChannel = Field(..., title="告知的法定途径")


class ForwardIn(VersionIn):
    authority: str = Field(..., min_length=2, max_length=100, title="转送机关")
    reason: str = Field("", max_length=2000, title="转送理由")


class DivertIn(VersionIn):
    route: DivertRoute = Field(..., title="法定途径")
    note: str = Field("", max_length=2000, title="告知内容")


class RouteIn(VersionIn):
    to: RouteTo = Field(..., title="分流去向")
    unit: int | None = Field(None, title="承办单位")
    co_units: list[int] = Field(default_factory=list, max_length=20, title="协办单位")
    task: str = Field("", max_length=2000, title="交办要求")
    consent: bool = Field(False, title="双方当事人同意调解")


class TransferIn(VersionIn):
    to_unit: int = Field(..., title="移交单位")
    note: str = Field("", max_length=2000, title="移交说明")


class ReceiveIn(VersionIn):
    note: str = Field("", max_length=2000, title="签收意见")


class ReturnIn(VersionIn):
    reason: str = Field(..., min_length=4, max_length=2000, title="退回理由")


class EscalateIn(VersionIn):
    to_unit: int = Field(..., title="上报单位")
    reason: str = Field(..., min_length=2, max_length=2000, title="上报理由")


class MajorIn(VersionIn):
    note: str = Field(..., min_length=2, max_length=2000, title="报告内容")


class SuperviseIn(VersionIn):
    note: str = Field(..., min_length=2, max_length=2000, title="督办意见")
    due_on: dt.date | None = Field(None, title="要求办结日期")


class ExtendIn(VersionIn):
    days: int = Field(..., ge=1, le=30, title="延长天数")
    reason: str = Field(..., min_length=2, max_length=2000, title="延期理由（告知信访人）")


class CoReplyIn(VersionIn):
    reply: str = Field(..., min_length=2, max_length=5000, title="协办答复")


class ReplyIn(VersionIn):
    outcome: ReplyOutcome = Field(..., title="处理意见")
    request: str = Field(..., min_length=2, max_length=5000, title="投诉请求")
    facts: str = Field(..., min_length=2, max_length=20000, title="事实和理由")
    opinion: str = Field(..., min_length=2, max_length=20000, title="处理意见内容")
    basis: str = Field(..., min_length=2, max_length=5000, title="法律法规依据")


class WithdrawIn(VersionIn):
    reason: str = Field(..., min_length=2, max_length=2000, title="撤回原因")


class ReviewRequestIn(VersionIn):
    organ: int = Field(..., title="受理机关（上一级机关）")
    requested_on: dt.date = Field(..., title="申请日期")
    reasons: str = Field("", max_length=5000, title="申请理由")


class ReviewAnswerIn(VersionIn):
    outcome: ReplyOutcome = Field(..., title="复查/复核结论")
    opinion: str = Field(..., min_length=2, max_length=20000, title="意见内容")


class HearingIn(VersionIn):
    days: int = Field(..., ge=1, le=90, title="听证所用天数（不计入期限）")
    note: str = Field("", max_length=2000, title="听证情况")


class CloseIn(VersionIn):
    note: str = Field("", max_length=2000, title="办结说明")

    @field_validator("note")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()
