"""The legal-basis register and the default retention schedule, as data in code (个保法 第13、17、
19、29、47条; legal-rules items 44, 47, 48, 58). `seed()` writes them into the tables
(RegisterEntry, RetentionRule) so that they can be shown, edited and exported; a test walks the
models and fails on a personal field that no entry lists (data minimisation, GB/T 22239 8.1.4.11).

Periods without a legal figure found in the sources are marked `verified=False` (UNVERIFIED, a
configurable local default) — see docs/adr/0018-privacy-retention-and-rights.md."""

from __future__ import annotations

from dataclasses import dataclass

from fangtiao.privacy.choices import FromDate, LegalBasis, RecordType, RetentionAction


@dataclass(frozen=True)
class RuleSpec:
    record_type: str
    years: int
    from_date: str
    action: str
    legal_source: str
    verified: bool


RULES: tuple[RuleSpec, ...] = (
    RuleSpec(RecordType.PETITION, 10, FromDate.CLOSED, RetentionAction.ANONYMISE,
             "个保法 第19条（实现处理目的所必要的最短时间）、第47条第1款第2项（保存期限届满应删除或匿名化）；"
             "信访档案的保管期限未在本项目资料中找到具体年限——10年为可配置的本地默认值（UNVERIFIED）。",
             False),
    RuleSpec(RecordType.DISPUTE, 10, FromDate.CLOSED, RetentionAction.ANONYMISE,
             "个保法 第19、47条；人民调解卷宗「保管期限」为卷宗封面项目，具体年限未核实，实践中按纠纷类型和协议内容确定"
             "（legal-rules §4.1）——10年为可配置的本地默认值（UNVERIFIED）。",
             False),
    RuleSpec(RecordType.CONSULTATION, 3, FromDate.RECEIVED, RetentionAction.ANONYMISE,
             "个保法 第19、47条；法律咨询无法定保存期限——3年为可配置的本地默认值（UNVERIFIED）。",
             False),
    RuleSpec(RecordType.RIGHTS_REQUEST, 3, FromDate.CLOSED, RetentionAction.ANONYMISE,
             "个保法 第56条、网络数据安全管理条例 第12条：个人信息处理情况记录至少保存3年（legal-rules item 48）；"
             "期满后匿名化。",
             True),
)


@dataclass(frozen=True)
class Entry:
    code: str
    category: str
    purpose: str
    basis: str
    fields: tuple[str, ...]
    who_may_see: str
    retention: str | None = None  # a RecordType, or None with retention_note
    retention_note: str = ""
    sensitive: bool = False
    basis_note: str = ""


_DUTY_NOTE = "国家机关和法律授权组织为履行法定职责处理，不以同意为前提（个保法 第13条第1款第3项、第33–35条），仍须告知。"
_STAFF = "本人、所在单位领导、系统管理员；完整号码仅限有「查看完整手机号/身份证号」权限者，查看须说明理由并记审计日志"

ENTRIES: tuple[Entry, ...] = (
    Entry("party.identity", "身份信息（当事人姓名、身份证号码）",
          "登记信访事项和矛盾纠纷、重复信访识别、调解员回避审查、司法确认申请",
          LegalBasis.DUTY, ("cases.Party.name", "cases.Party.id_number", "cases.Party.type"),
          "辖区内有「查看事项」权限的工作人员（掩码显示）；完整身份证号仅限「查看完整手机号/身份证号」权限，须说明理由并审计；"
          "检举控告类事项仅信访干部和领导，被检举单位不可见",
          retention=RecordType.PETITION, sensitive=True, basis_note=_DUTY_NOTE + "身份证号按敏感个人信息保护（legal-rules §7.1）。"),
    Entry("party.contact", "联系方式（当事人电话）", "通知受理、答复、调解日程，查询码短信",
          LegalBasis.DUTY, ("cases.Party.phone",), "同上（掩码显示，完整号码须说明理由并审计）",
          retention=RecordType.PETITION, basis_note=_DUTY_NOTE),
    Entry("party.address", "住址、户籍或居住村、工作单位", "送达文书、属地管辖、调解员回避审查（人民调解法 第15条）",
          LegalBasis.DUTY, ("cases.Party.address", "cases.Party.village", "cases.Party.employer"),
          "辖区内有「查看事项」权限的工作人员", retention=RecordType.PETITION, basis_note=_DUTY_NOTE),
    Entry("case.content", "信访内容（事实、理由、请求、口头信访记录、办理过程）",
          "依法办理信访事项和调解（信访工作条例 第21–36条；人民调解法 第17–33条）",
          LegalBasis.DUTY, ("cases.Case.description", "cases.Case.reasons", "cases.Case.demands", "cases.Case.oral_record",
                            "cases.CaseEvent.note", "cases.ReviewRequest.reasons"),
          "辖区内有「查看事项」权限的工作人员；检举控告材料不得转给被检举人（信访工作条例 第30、46条）",
          retention=RecordType.PETITION, basis_note=_DUTY_NOTE),
    Entry("mediation.agreement", "调解协议、调解记录、当事人签名", "人民调解、司法确认、履行回访（人民调解法 第28–33条）",
          LegalBasis.DUTY, ("mediation.Agreement.terms", "mediation.Session.participants", "mediation.Signature.image",
                            "mediation.Participant.name"),
          "承办调解员、调委会主任、辖区领导；法院联络员（申请确认的事项）", retention=RecordType.DISPUTE,
          sensitive=True, basis_note=_DUTY_NOTE + "手写签名图像按敏感信息对待，匿名化时清除。"),
    Entry("mediation.relations", "调解员回避关系（亲属等的姓名、身份证号、电话）", "回避审查（人民调解法 第15条）",
          LegalBasis.DUTY, ("mediation.MediatorRelation.name", "mediation.MediatorRelation.id_number",
                            "mediation.MediatorRelation.phone"),
          "调委会主任、系统管理员；匹配只用盲索引", retention_note="调解员离任后删除（本地默认，UNVERIFIED）",
          sensitive=True, basis_note=_DUTY_NOTE),
    Entry("consultation.asker", "法律咨询人姓名、电话", "答复法律咨询、回访",
          LegalBasis.DUTY, ("legalservice.Consultation.asker_name", "legalservice.Consultation.asker_phone",
                            "legalservice.Consultation.question"),
          "辖区内有「查看法律咨询」权限的工作人员（电话掩码显示）", retention=RecordType.CONSULTATION,
          basis_note="公共法律服务为法定职责（个保法 第13条第1款第3项）。"),
    Entry("staff.identity", "工作人员、调解员、专家的姓名和电话", "账号管理、指派、通知、以奖代补发放",
          LegalBasis.EMPLOYMENT, ("org.User.name", "org.User.phone", "org.Mediator.name", "org.Mediator.phone",
                                  "org.Expert.name", "org.Expert.phone", "subsidies.PayoutLine.name",
                                  "assessment.Accountability.person"),
          _STAFF, retention_note="在职（聘任）期间；离任后按人事档案规定（本地默认，UNVERIFIED）"),
    Entry("sms.phone", "短信发送记录中的手机号", "向当事人发送通知短信（发件箱，保证恰好一次送达）",
          LegalBasis.DUTY, ("notifications.SmsMessage.phone",), "系统管理员（排障）",
          retention=RecordType.PETITION, basis_note=_DUTY_NOTE),
    Entry("privacy.requests", "个人信息权利请求（请求人姓名、身份证号、电话、更正内容）",
          "处理个人行使查阅复制、更正补充、删除等权利的请求（个保法 第44–50条）",
          LegalBasis.DUTY, ("privacy.RightsRequest.requester_name", "privacy.RightsRequest.requester_id_number",
                            "privacy.RightsRequest.requester_phone", "privacy.RightsRequest.correction_value"),
          "有「办理个人信息权利请求」权限的工作人员（辖区内）", retention=RecordType.RIGHTS_REQUEST,
          sensitive=True, basis_note="个保法 第50条：建立便捷的申请受理和处理机制。"),
    Entry("id_card.image", "身份证件影像", "不采集：事项登记不需要证件影像（数据最小化，GB/T 22239 8.1.4.11 a）",
          LegalBasis.SEPARATE_CONSENT, (), "—", retention_note="不采集", sensitive=True,
          basis_note="如将来确需采集，须单独同意（个保法 第29条）并加密存储。"),
    Entry("not_personal", "非个人信息：机构、区划、规则、任务的名称和办公电话、地址",
          "系统运行", LegalBasis.NOT_PERSONAL,
          ("org.Region.name", "org.DisputeCategory.name", "org.Unit.name", "org.Unit.phone", "org.Unit.address",
           "org.Role.name", "clocks.ClockRule.name", "clocks.CalendarDay.name", "mediation.Room.name",
           "mediation.DailyJob.name", "stats.RefreshState.name", "assessment.Indicator.name", "assessment.Scheme.name",
           "assessment.Score.name", "assessment.Commendation.name", "subsidies.SubsidyRule.name", "tasks.Task.name",
           "tasks.ScheduleSlot.name"),
          "按各功能权限", retention_note="不适用"),
)


def registered_fields() -> set[str]:
    return {f for e in ENTRIES for f in e.fields}


def seed() -> None:
    """Insert the default rules and entries that are missing (idempotent; never overwrites an edit)."""
    from fangtiao.privacy.models import RegisterEntry, RetentionRule

    rules = {}
    for spec in RULES:
        rule, _ = RetentionRule.objects.get_or_create(record_type=spec.record_type, defaults={
            "years": spec.years, "from_date": spec.from_date, "action": spec.action,
            "legal_source": spec.legal_source, "verified": spec.verified})
        rules[spec.record_type] = rule
    for n, e in enumerate(ENTRIES):
        entry, created = RegisterEntry.objects.get_or_create(code=e.code, defaults={
            "category": e.category, "purpose": e.purpose, "basis": e.basis, "basis_note": e.basis_note,
            "fields": list(e.fields), "sensitive": e.sensitive, "retention": rules.get(e.retention or ""),
            "retention_note": e.retention_note, "who_may_see": e.who_may_see, "sort": n})
        if not created and set(entry.fields) != set(e.fields):
            # The code's field list is the truth for which columns exist: new columns are added.
            entry.fields = sorted(set(entry.fields) | set(e.fields))
            entry.version += 1
            entry.save(update_fields=["fields", "version"])
