"""Input and output schemas of the public endpoints (API.md: /api/v1/public/petitions).

Inputs are lenient about emptiness (the service answers each missing field with its own Chinese
message, the same for the web form and the API) and strict about sizes and codes."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from fangtiao.cases.choices import Kind, Nature, PartyType, Satisfaction


class PetitionIn(Schema):
    kind: Kind = Field(..., title="事项类别（petition 信访事项 / dispute 申请人民调解）")
    nature: Nature | None = Field(None, title="信访事项性质（不填按申诉求决类登记）")
    name: str = Field("", max_length=50, title="姓名")
    id_number: str = Field("", max_length=30, title="身份证号码（选填）")
    phone: str = Field("", max_length=30, title="手机号码")
    address: str = Field("", max_length=200, title="住址")
    region: str = Field("", max_length=12, title="事发地（乡镇/街道或村/社区区划代码）")
    category: str = Field("", max_length=32, title="纠纷类型（申请调解必填）")
    title: str = Field("", max_length=200, title="事项标题")
    facts: str = Field("", max_length=20000, title="事实经过")
    reasons: str = Field("", max_length=20000, title="理由")
    demands: str = Field("", max_length=5000, title="请求")
    occurred_on: dt.date | None = Field(None, title="发生日期")
    other_party: str = Field("", max_length=100, title="对方当事人姓名或名称（申请调解必填）")
    other_party_type: PartyType = Field(PartyType.PERSON, title="对方当事人类型")


class ReceiptOut(Schema):
    number: str
    query_code: str


class RatingIn(Schema):
    code: str = Field("", max_length=64, title="查询码")
    satisfaction: Satisfaction = Field(..., title="评价（satisfied 满意 / basically 基本满意 / unsatisfied 不满意）")
    comment: str = Field("", max_length=1000, title="意见建议")


class EventOut(Schema):
    date: dt.date
    action: str
    text: str


class NextOut(Schema):
    code: str
    what: str
    due: dt.date | None
    basis: str
    state: str
    state_label: str
    by: str


class ReplyOut(Schema):
    outcome: str
    outcome_label: str
    replied_on: dt.date | None


class RatingOut(Schema):
    allowed: bool
    reason: str
    deadline: dt.date | None
    satisfaction: str
    satisfaction_label: str
    rated_at: dt.datetime | None


class ProgressOut(Schema):
    number: str
    title: str
    kind: str
    kind_label: str
    channel_label: str
    received_on: dt.date
    place: str
    petitioner: str
    status: str
    status_label: str
    step: str
    holder_unit: str
    events: list[EventOut]
    next: list[NextOut]
    notices: list[str]
    reply: ReplyOut | None
    closed_on: dt.date | None
    rating: RatingOut
