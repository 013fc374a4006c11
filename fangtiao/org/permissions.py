"""Capabilities as data: which roles may do what (the permission half of "permission AND
jurisdiction"). Views and API declare the capability they need; services check it again."""

from __future__ import annotations

from typing import Any

from fangtiao.org.choices import Role as R

STAFF = frozenset(R)

CAPABILITIES: dict[str, frozenset[str]] = {
    # Registry
    "registry.view": STAFF,
    "registry.manage": frozenset({R.ADMIN}),
    "mediator.manage": frozenset({R.ADMIN, R.COMMITTEE_HEAD}),
    "expert.manage": frozenset({R.ADMIN}),
    "staff.view": frozenset({R.ADMIN, R.LEADER, R.COMMITTEE_HEAD, R.OFFICER, R.AUDITOR, R.SECURITY}),
    # --- authentication (issue 9): staff accounts, roles, units and clearance are the security
    # administrator's alone (GB/T 22239 8.1.4.2 d/e); sessions, lockouts and OTP resets too.
    "staff.manage": frozenset({R.SECURITY}),
    "security.manage": frozenset({R.SECURITY}),
    # Personal information: a full phone or ID number is shown only to these, and audited.
    "pii.reveal": frozenset({R.ADMIN, R.LEADER, R.OFFICER, R.COMMITTEE_HEAD, R.CLERK}),
    "export.xlsx": STAFF - {R.EXPERT},
    # Audit log: the audit administrator only (GB/T 22239 8.1.4.2 d; issue 9).
    "audit.view": frozenset({R.AUDITOR}),
    "staffing.view": frozenset({R.ADMIN, R.LEADER, R.OFFICER, R.COMMITTEE_HEAD}),
    # Cases
    "case.view": STAFF - {R.AUDITOR, R.ADMIN, R.SECURITY},  # no administrator handles cases (issue 9)
    "case.register": frozenset({R.CLERK, R.OFFICER, R.LEADER, R.COMMITTEE_HEAD, R.MEDIATOR}),
    "clocks.manage": frozenset({R.ADMIN}),
    # Mediation work surfaces (fangtiao.mediation)
    "mediation.workspace": frozenset({R.MEDIATOR, R.COMMITTEE_HEAD}),
    "mediation.board": frozenset({R.COMMITTEE_HEAD, R.LEADER}),
    "mediation.court": frozenset({R.COURT_LIAISON}),
    "mediation.opinions": frozenset({R.EXPERT}),
    "mediation.oversight": frozenset({R.LEADER, R.OFFICER, R.COMMITTEE_HEAD}),
    "mediation.archive": frozenset({R.COMMITTEE_HEAD, R.MEDIATOR, R.LEADER, R.OFFICER}),
    "mediation.rooms": frozenset({R.ADMIN, R.COMMITTEE_HEAD}),
    # Official documents (fangtiao.documents); which forms a court liaison sees: documents.selectors
    "documents.view": STAFF - {R.AUDITOR, R.EXPERT, R.ADMIN, R.SECURITY},  # issue 9: administrators separated
    "documents.upload": frozenset({R.CLERK, R.OFFICER, R.LEADER, R.COMMITTEE_HEAD, R.MEDIATOR}),
    "documents.print": frozenset({R.CLERK, R.OFFICER, R.LEADER, R.COMMITTEE_HEAD, R.MEDIATOR}),
    "documents.templates": frozenset({R.ADMIN}),
    # Screening and early warning (fangtiao.screening)
    "screening.view": frozenset({R.LEADER, R.OFFICER, R.COMMITTEE_HEAD, R.MEDIATOR, R.GRID}),
    "screening.record": frozenset({R.COMMITTEE_HEAD, R.MEDIATOR, R.GRID}),
    "screening.plan": frozenset({R.ADMIN, R.LEADER, R.COMMITTEE_HEAD}),
    "warning.view": frozenset({R.LEADER, R.OFFICER, R.COMMITTEE_HEAD, R.CLERK, R.EXPERT}),  # experts: their own
    "warning.handle": frozenset({R.LEADER, R.OFFICER, R.COMMITTEE_HEAD}),
    "warning.lawyer": frozenset({R.LEADER, R.OFFICER, R.COMMITTEE_HEAD, R.EXPERT}),
    "warning.rules": frozenset({R.ADMIN}),
    "hotspot.view": frozenset({R.LEADER, R.OFFICER, R.COMMITTEE_HEAD}),
    "hotspot.compute": frozenset({R.LEADER, R.OFFICER}),
    "routing.train": frozenset({R.ADMIN, R.LEADER}),
    # Public legal service (fangtiao.legalservice)
    "consultation.view": frozenset({R.LEADER, R.OFFICER, R.COMMITTEE_HEAD, R.CLERK, R.MEDIATOR, R.EXPERT}),
    "consultation.record": frozenset({R.OFFICER, R.CLERK, R.MEDIATOR, R.EXPERT}),
    "lawyer.participation": frozenset({R.OFFICER, R.CLERK, R.COMMITTEE_HEAD, R.MEDIATOR}),
    # Statistics, assessment and subsidies (fangtiao.stats, fangtiao.assessment, fangtiao.subsidies)
    "stats.view": frozenset({R.LEADER, R.OFFICER, R.COMMITTEE_HEAD}),
    "stats.rebuild": frozenset({R.ADMIN}),
    "assessment.view": frozenset({R.LEADER, R.OFFICER, R.COMMITTEE_HEAD, R.MEDIATOR}),  # mediators: their own scores
    "assessment.manage": frozenset({R.ADMIN, R.LEADER}),
    "accountability.view": frozenset({R.LEADER, R.OFFICER}),
    "accountability.record": frozenset({R.LEADER}),
    "subsidy.view": frozenset({R.LEADER, R.OFFICER, R.COMMITTEE_HEAD, R.MEDIATOR}),  # mediators: their own lines
    "subsidy.prepare": frozenset({R.OFFICER, R.COMMITTEE_HEAD}),
    "subsidy.approve": frozenset({R.LEADER}),
    "subsidy.pay": frozenset({R.LEADER, R.OFFICER}),
    "subsidy.rules": frozenset({R.ADMIN, R.LEADER}),  # district level only (subsidies.services)
    # --- privacy (issue 9): retention schedule, legal-basis register, PIPL rights requests
    # (fangtiao.privacy, ADR 0018); the schedule and legal holds are a security-administrator setting.
    "privacy.view": frozenset({R.LEADER, R.OFFICER, R.SECURITY, R.AUDITOR}),
    "privacy.manage": frozenset({R.SECURITY}),
    "privacy.requests": frozenset({R.CLERK, R.OFFICER, R.LEADER, R.COMMITTEE_HEAD}),
}

CAPABILITY_LABELS = {
    "registry.view": "查看组织机构",
    "registry.manage": "维护区划和单位",
    "mediator.manage": "维护调解员",
    "expert.manage": "维护专家库",
    "staff.view": "查看工作人员",
    "staff.manage": "维护工作人员账号",
    "security.manage": "账号安全管理（会话、锁定、动态口令、密级授权）",
    "pii.reveal": "查看完整手机号/身份证号",
    "export.xlsx": "导出Excel",
    "audit.view": "查看审计日志",
    "staffing.view": "查看配备情况",
    "case.view": "查看事项",
    "case.register": "登记事项",
    "clocks.manage": "维护时限规则和节假日",
    "mediation.workspace": "调解工作台",
    "mediation.board": "指派调解员（调委会主任）",
    "mediation.court": "司法确认队列（法院联络员）",
    "mediation.opinions": "专家咨询（专家）",
    "mediation.oversight": "调解督导（滞留调解、逾期履行、积案）",
    "mediation.archive": "卷宗目录",
    "mediation.rooms": "维护调解室",
    "documents.view": "查看和生成文书",
    "documents.upload": "上传签章扫描件",
    "documents.print": "批量打印",
    "documents.templates": "维护文书模板",
    "screening.view": "查看排查",
    "screening.record": "填报排查结果",
    "screening.plan": "设置排查计划",
    "warning.view": "查看预警",
    "warning.handle": "签收和处置预警",
    "warning.lawyer": "律师介入（申请、指派、记录约谈）",
    "warning.rules": "维护预警规则",
    "hotspot.view": "查看热点",
    "hotspot.compute": "重新计算热点",
    "routing.train": "训练分流建议模型",
    "consultation.view": "查看法律咨询",
    "consultation.record": "登记和答复法律咨询",
    "lawyer.participation": "记录律师参与调解和接谈",
    "stats.view": "查看统计和驾驶舱",
    "stats.rebuild": "重建统计汇总",
    "assessment.view": "查看考核得分和排名",
    "assessment.manage": "维护考核方案、计算得分、表彰",
    "accountability.view": "查看问责记录",
    "accountability.record": "登记问责",
    "subsidy.view": "查看以奖代补",
    "subsidy.prepare": "编制以奖代补发放表",
    "subsidy.approve": "审批以奖代补发放表",
    "subsidy.pay": "登记以奖代补已发放",
    "subsidy.rules": "维护以奖代补规则",
    # --- privacy (issue 9)
    "privacy.view": "查看个人信息保存期限和处理登记",
    "privacy.manage": "维护保存期限规则和法律保留",
    "privacy.requests": "办理个人信息权利请求（查阅复制、更正补充等）",
}


def has_capability(user: Any, capability: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if capability not in CAPABILITIES:
        raise KeyError(f"unknown capability {capability!r}")
    if user.is_superuser:
        return True
    return bool(CAPABILITIES[capability] & user.role_codes)


def capabilities_of(user: Any) -> frozenset[str]:
    return frozenset(c for c in CAPABILITIES if has_capability(user, c))
