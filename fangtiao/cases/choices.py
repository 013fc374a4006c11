"""Code tables of cases (API codes in English, Chinese labels)."""

from django.db import models


class Channel(models.TextChoices):
    """信访工作条例 第17条 (网上/来信/来电/传真/来访) plus the district's own sources."""

    VISIT = "visit", "来访"
    LETTER = "letter", "来信"
    PHONE = "phone", "来电"
    FAX = "fax", "传真"
    ONLINE = "online", "网上"
    SCREENING = "screening", "排查发现"
    ASSIGNED = "assigned", "上级交办"
    HOTLINE = "hotline_12345", "12345热线"


ORAL_CHANNELS = frozenset({Channel.VISIT, Channel.PHONE})


class Kind(models.TextChoices):
    PETITION = "petition", "信访事项"
    DISPUTE = "dispute", "矛盾纠纷"


class Nature(models.TextChoices):
    """信访工作条例 第29–31条: every petition is classified by nature."""

    SUGGESTION = "suggestion", "建议意见类"
    ACCUSATION = "accusation", "检举控告类"
    CLAIM = "claim", "申诉求决类"


class Status(models.TextChoices):
    REGISTERED = "registered", "已登记"
    ACCEPTED = "accepted", "已受理"
    NOT_ACCEPTED = "not_accepted", "不予受理"
    FORWARDED = "forwarded", "已转送其他机关"
    DIVERTED = "diverted", "已导入法定途径"
    TRANSFERRING = "transferring", "移交待签收"
    MEDIATING = "mediating", "调解中"
    AGREED = "agreed", "调解成功"
    CONFIRMING = "confirming", "司法确认中"
    PERFORMING = "performing", "履行中"
    PERFORMED = "performed", "已履行"
    FAILED = "failed", "调解不成"
    WITHDRAWN = "withdrawn", "已撤回"
    HANDLING = "handling", "办理中"
    REPLIED = "replied", "已答复"
    REVIEWING = "reviewing", "复查中"
    RE_REVIEWING = "re_reviewing", "复核中"
    CLOSED = "closed", "已办结"
    ARCHIVED = "archived", "已归档"


OPEN_STATUSES = frozenset({
    Status.REGISTERED, Status.ACCEPTED, Status.TRANSFERRING, Status.MEDIATING, Status.HANDLING,
    Status.REVIEWING, Status.RE_REVIEWING, Status.AGREED, Status.CONFIRMING, Status.PERFORMING,
})


class PartyRole(models.TextChoices):
    PETITIONER = "petitioner", "信访人/申请人"
    RESPONDENT = "respondent", "被申请人/对方当事人"
    THIRD_PARTY = "third_party", "第三人"


class PartyType(models.TextChoices):
    PERSON = "person", "自然人"
    ORGANISATION = "organisation", "法人或其他组织"


class NotAcceptedChannel(models.TextChoices):
    """The lawful route a citizen is told of when a matter is not accepted (条例 第31条)."""

    LITIGATION = "litigation", "诉讼"
    ARBITRATION = "arbitration", "仲裁"
    RECONSIDERATION = "reconsideration", "行政复议"
    OTHER = "other", "其他法定途径"


class DivertRoute(models.TextChoices):
    """诉访分离: routes 1–5 of 信访工作条例 第31条 leave the petition track (route 6 is handling)."""

    JUDICIAL = "judicial", "诉讼、检察、公安等法定程序（第31条第1项）"
    ARBITRATION = "arbitration", "仲裁（第31条第2项）"
    PARTY_APPEAL = "party_appeal", "党员申诉、申请复审等（第31条第3项）"
    ADMINISTRATIVE = "administrative", "行政复议、行政裁决、行政确认、行政许可、行政处罚等（第31条第4项）"
    DUTY = "duty", "依法履行或答复法定职责（第31条第5项）"


class RouteTo(models.TextChoices):
    MEDIATION = "mediation", "调解前置（人民调解）"
    HANDLING = "handling", "办理（第31条第6项，出具信访处理意见书）"


class TransferPurpose(models.TextChoices):
    TRANSFER = "transfer", "转送交办"
    MEDIATION = "mediation", "移交调解"
    HANDLING = "handling", "交办办理"
    ESCALATION = "escalation", "上报上级"


class TransferStatus(models.TextChoices):
    PENDING = "pending", "待签收"
    RECEIVED = "received", "已签收"
    RETURNED = "returned", "已退回"


class ReplyOutcome(models.TextChoices):
    """信访工作条例 第32条."""

    SUPPORT = "support", "予以支持"
    EXPLAIN = "explain", "解释说明"
    REJECT = "reject", "不予支持"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASICALLY = "basically", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class ReviewStage(models.TextChoices):
    NONE = "", "无"
    REVIEW = "review", "复查"
    RE_REVIEW = "re_review", "复核"
    FINAL = "final", "已终结（复核后不再受理）"


class CaseSource(models.TextChoices):
    """人民调解 statistics: case source (legal-rules §5.1, item 39)."""

    APPLICATION = "application", "申请调解"
    INITIATIVE = "initiative", "主动调解"
    TRANSFER = "transfer", "移交·委托（含信访部门移交）"


# Dispute categories of a civil nature that may be transferred to people's mediation
# (司法部·国家信访局 2025 意见: ①②④); administrative and 涉法涉诉 matters may not (③ and 山东 指引).
NON_MEDIABLE_FLAGS = ("administrative_dispute", "litigation_pending")
