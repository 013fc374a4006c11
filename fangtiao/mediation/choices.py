"""Code tables of people's mediation (API codes in English, Chinese labels)."""

from django.db import models


class MediationStatus(models.TextChoices):
    OPEN = "open", "调解中"
    AGREED = "agreed", "达成协议"
    FAILED = "failed", "调解不成（终止调解）"
    REFUSED = "refused", "当事人拒绝调解"
    WITHDRAWN = "withdrawn", "撤回"
    SUPERSEDED = "superseded", "重新调解"


class ChosenBy(models.TextChoices):
    """人民调解法 第19条: appointed by the committee, or chosen by the parties."""

    COMMITTEE = "committee", "调委会指定"
    PARTIES = "parties", "当事人选定"


class Consent(models.TextChoices):
    PENDING = "pending", "未表态"
    CONSENTED = "consented", "同意调解"
    REFUSED = "refused", "明确拒绝调解"


class Relation(models.TextChoices):
    """Invited participants (第20条) and a mediator's declared relations (回避)."""

    RELATIVE = "relative", "亲属"
    NEIGHBOUR = "neighbour", "邻里"
    COLLEAGUE = "colleague", "同事"
    EXPERT = "expert", "专业人士"
    OTHER = "other", "其他"


class SessionKind(models.TextChoices):
    MEDIATION = "mediation", "调解"
    INVESTIGATION = "investigation", "调查"


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "已预约"
    HELD = "held", "已进行"
    NO_SHOW = "no_show", "当事人未到场"
    CANCELLED = "cancelled", "已取消"


class SessionOutcome(models.TextChoices):
    CONTINUE = "continue", "继续调解"
    AGREED = "agreed", "达成协议"
    FAILED = "failed", "调解不成"
    ADJOURNED = "adjourned", "择期再调"


class AgreementForm(models.TextChoices):
    """人民调解法 第28条: a written 调解协议书, or an oral agreement the mediator records."""

    WRITTEN = "written", "书面协议"
    ORAL = "oral", "口头协议"


class AgreementStatus(models.TextChoices):
    SIGNING = "signing", "待签署"
    EFFECTIVE = "effective", "已生效"
    SUPERSEDED = "superseded", "已被新协议替代"


class SignerKind(models.TextChoices):
    PARTY = "party", "当事人"
    MEDIATOR = "mediator", "人民调解员"
    SEAL = "seal", "调委会印章"


class SignMethod(models.TextChoices):
    """第29条: 签名、盖章或者按指印."""

    SIGN = "sign", "签名"
    SEAL = "seal", "盖章"
    FINGERPRINT = "fingerprint", "按指印"
    SIGN_FINGERPRINT = "sign_fingerprint", "签名并按指印"


class ObligationStatus(models.TextChoices):
    PENDING = "pending", "待履行"
    PARTIAL = "partial", "部分履行"
    DONE = "done", "已履行"
    OVERDUE = "overdue", "逾期未履行"


OPEN_OBLIGATION = (ObligationStatus.PENDING, ObligationStatus.PARTIAL, ObligationStatus.OVERDUE)


class ProofKind(models.TextChoices):
    RECEIPT = "receipt", "收条"
    TRANSFER = "transfer", "转账/汇款凭证"
    PHOTO = "photo", "现场照片"
    STATEMENT = "statement", "当事人确认"
    OTHER = "other", "其他凭证"


class CourtBasis(models.TextChoices):
    """民事诉讼法(2023) 第205条: which court confirms an agreement."""

    INVITING = "inviting", "委派调解的人民法院"
    DOMICILE = "domicile", "当事人住所地基层人民法院"
    SUBJECT = "subject", "标的物所在地基层人民法院"
    COMMITTEE = "committee", "调解组织所在地基层人民法院"
    INTERMEDIATE = "intermediate", "相应的中级人民法院（属中级法院管辖）"


class ConfirmationResult(models.TextChoices):
    PENDING = "pending", "审查中"
    CONFIRMED = "confirmed", "裁定确认有效"
    REJECTED = "rejected", "裁定驳回申请"
    WITHDRAWN = "withdrawn", "申请人撤回"
    DEEMED_WITHDRAWN = "deemed_withdrawn", "按撤回处理"
    NOT_ACCEPTED = "not_accepted", "不予受理"


class RejectionGround(models.TextChoices):
    """民诉法解释 第358条 (and 2011 规定 第7条)."""

    MANDATORY_LAW = "mandatory_law", "违反法律强制性规定"
    PUBLIC_INTEREST = "public_interest", "损害国家利益、社会公共利益、他人合法权益"
    PUBLIC_ORDER = "public_order", "违背公序良俗"
    NOT_VOLUNTARY = "not_voluntary", "违反自愿原则"
    UNCLEAR = "unclear", "内容不明确"
    OTHER = "other", "其他不能进行司法确认的情形"


class FollowUpMethod(models.TextChoices):
    VISIT = "visit", "上门回访"
    PHONE = "phone", "电话回访"
    MEETING = "meeting", "约见回访"
    ONLINE = "online", "网上回访"


class Recurrence(models.TextChoices):
    NONE = "none", "无反复"
    REOPEN = "reopen", "纠纷反复，重新调解"
    NEW_CASE = "new_case", "引发新的纠纷，另行登记并关联"


class LawfulRoute(models.TextChoices):
    """人民调解法 第26条: the routes the parties are told of when mediation fails."""

    LITIGATION = "litigation", "诉讼"
    ARBITRATION = "arbitration", "仲裁"
    RECONSIDERATION = "reconsideration", "行政复议"
    HANDLING = "handling", "信访办理"


class Retention(models.TextChoices):
    PERMANENT = "permanent", "永久"
    LONG = "long", "长期（30年）"
    SHORT = "short", "短期（10年）"
