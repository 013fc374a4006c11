"""Enumerations of the privacy app (个人信息保护法): record types, retention actions, legal bases,
rights and the states of a rights request."""

from __future__ import annotations

from django.db import models


class RecordType(models.TextChoices):
    PETITION = "case.petition", "信访事项（含当事人）"
    DISPUTE = "case.dispute", "矛盾纠纷/人民调解事项（含当事人、调解卷宗数据）"
    CONSULTATION = "consultation", "法律咨询"
    RIGHTS_REQUEST = "rights_request", "个人信息权利请求记录"


class RetentionAction(models.TextChoices):
    ANONYMISE = "anonymise", "匿名化"
    RESTRICT = "restrict", "仅存储（停止除存储和安全保护外的处理）"
    DELETE = "delete", "删除"


class FromDate(models.TextChoices):
    CLOSED = "closed", "办结（答复）之日"
    RECEIVED = "received", "收到（登记）之日"


class LegalBasis(models.TextChoices):
    DUTY = "duty", "履行法定职责或法定义务所必需（个保法 第13条第1款第3项）"
    CONTRACT = "contract", "订立、履行合同所必需（个保法 第13条第1款第2项）"
    CONSENT = "consent", "个人同意（个保法 第13条第1款第1项）"
    SEPARATE_CONSENT = "separate_consent", "单独同意（个保法 第29条，敏感个人信息）"
    EMPLOYMENT = "employment", "人力资源管理所必需（个保法 第13条第1款第2项）"
    NOT_PERSONAL = "not_personal", "非个人信息（机构、区划、规则等名称）"


class Right(models.TextChoices):
    ACCESS = "access", "查阅复制"
    CORRECT = "correct", "更正补充"
    DELETE = "delete", "删除"
    WITHDRAW = "withdraw", "撤回同意"
    EXPLAIN = "explain", "解释说明"


class Verification(models.TextChoices):
    ID_CARD = "id_card", "现场核验居民身份证"
    AGENT = "agent", "核验授权委托书及受托人身份证件"
    GUARDIAN = "guardian", "核验监护关系证明（未满十四周岁）"
    ONLINE = "online", "网上实名认证"
    OTHER = "other", "其他方式（须说明）"


class RequestStatus(models.TextChoices):
    REGISTERED = "registered", "已登记"
    REVIEWING = "reviewing", "审查中"
    ANSWERED = "answered", "已答复"
    REFUSED = "refused", "已拒绝"


OPEN_REQUEST_STATUSES = frozenset({RequestStatus.REGISTERED, RequestStatus.REVIEWING})


class CorrectionField(models.TextChoices):
    NAME = "name", "姓名"
    ID_NUMBER = "id_number", "身份证号码"
    PHONE = "phone", "联系电话"
    ADDRESS = "address", "住址"


class CorrectionOutcome(models.TextChoices):
    NONE = "", "—"
    APPLIED = "applied", "已通过业务服务更正"
    MANUAL = "manual", "待人工更正（业务模块无更正服务）"
