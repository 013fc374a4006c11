"""Petition-side forms (信访工作条例): registration, notices, written replies, review opinions, the
工作移交单 with its receipt slip, and the registration receipt (登记回执) batch-printed each day.

Every context is read from the case's own records (its fields, its timeline, its clocks, its
transfers and review requests), never from today's date, so that issuing a form again without a
change to the case gives the same document. The body that issued a notice is the unit that took
the action (read from the timeline): a later transfer or review request changes the case's
holding unit but not who signed a notice already given."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from fangtiao.cases.choices import (
    DivertRoute,
    NotAcceptedChannel,
    ReplyOutcome,
    TransferPurpose,
    TransferStatus,
)
from fangtiao.documents import layout as L
from fangtiao.documents.catalogue import Context, DocType, names, register


def _is_petition(case: Any) -> bool:
    return case.kind == "petition"


# --- shared reads ------------------------------------------------------------------------------

def _petitioner_names(case: Any) -> str:
    return names([{"name": p.name} for p in case.parties.all() if p.role == "petitioner"])


def _event(case: Any, action: str) -> Any:
    """The latest timeline entry of `action` (CaseEvent: when, by which unit, with its note)."""
    return case.events.filter(action=action).select_related("unit").order_by("-at", "-id").first()


def _issuer(case: Any, event: Any) -> tuple[dt.date | None, Any]:
    """(day, unit) of the action a notice reports. Without a timeline entry (data loaded from
    elsewhere): no day of its own, and the unit now holding the case."""
    if event is None:
        return None, case.holder_unit
    return timezone.localtime(event.at).date(), event.unit or case.holder_unit


def _person(user: Any) -> str:
    return (user.name or user.username) if user is not None else ""


def _handling_clock(case: Any) -> Any:
    """The 办理期限 of 第34条 (60日 from acceptance, extended at most once by up to 30日)."""
    return case.clocks.filter(rule__code="petition.handling").select_related("rule").order_by("-id").first()


def _outcome_line(code: str) -> str:
    """The three outcomes of 第32条 as tick boxes: ■予以支持  □解释说明  □不予支持."""
    return L.choices_line([(label, code == value) for value, label in ReplyOutcome.choices])


def _outcome_label(code: str) -> str:
    return ReplyOutcome(code).label if code in ReplyOutcome.values else ""


def _clean(text: str) -> str:
    """A reason typed with or without a final full stop, to sit inside a sentence."""
    return (text or "").strip().rstrip("。；;.，, ")


# --- 信访事项受理登记表 ------------------------------------------------------------------------

def _register_context(case: Any, subject: str) -> Context:
    return {
        "_date": case.received_at,  # the day in Asia/Shanghai (build_context localises a datetime)
        "demands": case.demands, "facts": case.description, "reasons": case.reasons,
        "oral_record": case.oral_record if case.oral else "",
        "nature": case.get_nature_display() if case.nature else "",
        "headcount": str(case.headcount), "collective": "是" if case.is_collective else "否",
        "registered_by": (case.registered_by.name or case.registered_by.username) if case.registered_by_id else "",
    }


def _register_layout(c: Context) -> L.Doc:
    rows = [
        L.row(L.label("事项编号"), L.Cell(c["case_number"], span=3), L.label("登记日期"), c["received_on"]),
        L.row(L.label("来源渠道"), c["channel"], L.label("事项性质"), c["nature"], L.label("涉及人数"), c["headcount"]),
    ]
    for p in c["applicants"] or [{"name": "", "gender": "", "age": "", "id_number": "", "phone": "", "address": ""}]:
        rows += [
            L.row(L.label("信访人"), p["name"], L.label("性别"), p["gender"], L.label("年龄"), p["age"]),
            L.row(L.label("身份证号码"), L.Cell(p["id_number"], span=3), L.label("联系电话"), p["phone"]),
            L.row(L.label("住址"), L.Cell(p["address"], span=5)),
        ]
    rows += [
        L.row(L.label("事项标题"), L.Cell(c["case_title"], span=5)),
        L.row(L.label("投诉请求"), L.Cell(c["demands"], span=5)),
        L.row(L.label("事实"), L.Cell(c["facts"], span=5)),
        L.row(L.label("理由"), L.Cell(c["reasons"], span=5)),
    ]
    if c["oral_record"]:
        rows.append(L.row(L.label("口头信访记录"), L.Cell(c["oral_record"], span=5)))
    rows.append(L.row(L.label("发生地"), L.Cell(c["region"], span=3), L.label("登记人"), c["registered_by"]))
    return L.Doc(title=c["title"], heading=c["registered_unit"], number=f"编号：{c['case_number']}", blocks=[
        L.Table(widths=(2.2, 2.6, 2.0, 2.4, 2.0, 3.0), rows=tuple(rows)),
        L.Text("依据《信访工作条例》第十九条、第二十一条登记。口头信访的，已如实记录并经信访人确认。", size=L.SMALL_PT),
        L.Signatures((("信访人", "签名或按指印"), ("登记人", "签名"))),
        L.Seal(c["registered_unit"], c["received_on"]),
    ])


register(DocType(
    code="petition_register", title="信访事项受理登记表", side="petition", sort=10,
    available=_is_petition, context=_register_context, layout=_register_layout,
    fields={"demands": "投诉请求", "facts": "事实", "reasons": "理由", "oral_record": "口头信访如实记录",
            "nature": "事项性质", "headcount": "涉及人数", "collective": "是否集体访", "registered_by": "登记人"},
    required=("case_number", "applicants", "demands", "facts", "reasons"),
    produced_by=("register",), basis="信访工作条例 第19、21条",
))


# The periods registration starts (cases.services.case_register: 信访工作条例 第22、23条).
REGISTRATION_CLOCKS = ("petition.disposition", "petition.acceptance_notice")


def _due_as_started(clock: Any) -> Any:
    """A clock's due date before any extension (what a notice served at its start said)."""
    if not clock.extended_days:
        return clock.due_on
    from fangtiao.clocks.services import compute_due

    return compute_due(clock.rule, clock.started_on, clock.case.region if clock.case_id else None)


# --- 受理告知书 --------------------------------------------------------------------------------

def _acceptance_context(case: Any, subject: str) -> Context:
    clock = _handling_clock(case)
    _day, unit = _issuer(case, _event(case, "accept"))
    return {
        "_date": case.accepted_on, "_number_unit": unit.pk,
        "issuing_unit": unit.name,
        "notice": case.acceptance_notice,
        # the deadline as served at acceptance: a later extension is told by the 延期告知书 (第34条)
        "handling_due": L.cn_date(_due_as_started(clock)) if clock and clock.due_on else "",
        "petitioner_names": _petitioner_names(case),
    }


def _acceptance_layout(c: Context) -> L.Doc:
    due = f"，并于{c['handling_due']}前办结（特殊情况经批准可延长，延长不超过30日，届时将告知延期理由）" if c["handling_due"] else ""
    return L.Doc(title=c["title"], heading=c["issuing_unit"], number=c["number"], blocks=[
        L.Text(f"{c['petitioner_names']}：", align="left"),
        L.Text(f"你（们）于{c['received_on']}提出的“{c['case_title']}”信访事项（事项编号：{c['case_number']}），"
               f"经审查，符合《信访工作条例》规定的受理条件，本机关决定予以受理。我们将依法办理{due}，"
               f"并书面答复你（们）。", indent=True),
        *( [L.Text(c["notice"], indent=True)] if c["notice"] else [] ),
        L.Text("你（们）可凭事项编号和查询码在网上查询办理进度。", indent=True),
        L.Text("特此告知。", indent=True),
        L.Seal(c["issuing_unit"], c["issued_on"]),
    ])


register(DocType(
    code="acceptance_notice", title="受理告知书", side="petition", sort=20,
    available=lambda case: _is_petition(case) and case.accepted_on is not None,
    context=_acceptance_context, layout=_acceptance_layout,
    fields={"notice": "告知的其他内容", "handling_due": "办结期限", "petitioner_names": "信访人姓名",
            "issuing_unit": "受理机关（作出受理决定的单位）"},
    required=("number", "petitioner_names", "case_title", "handling_due", "issued_on"), number_word="受告",
    produced_by=("accept",), basis="信访工作条例 第23、34条",
))


# --- 登记回执 (every case, petition or dispute; the day's batch print prints these) ---------------

PORTAL_HINT = "凭事项编号和查询码可在网上查询办理进度"


def _receipt_context(case: Any, subject: str) -> Context:
    petitioners = [p for p in case.parties.all() if p.role == "petitioner"]
    who = "、".join((p.name or "（未留姓名）") + ("（代表）" if p.is_representative else "") for p in petitioners) or "—"
    if case.is_collective:
        who += f"，共{case.headcount}人"
    # The periods now running (the acceptance notice or disposition of 第22、23条 at registration;
    # later the handling period…), as the HTML receipt lists them. The query code is never here: it
    # is shown once at registration and only its hash is kept.
    # The periods started at registration, with the due dates they had then (a receipt once handed
    # over does not change when the case moves on).
    clocks = [{"name": k.rule.name, "due_on": L.cn_date(_due_as_started(k)), "basis": k.rule.source}
              for k in case.clocks.select_related("rule").order_by("started_on", "id")
              if k.rule.code in REGISTRATION_CLOCKS and k.due_on]
    return {
        "_date": case.received_at,
        "received_at": L.cn_datetime(timezone.localtime(case.received_at)),
        "petitioner_label": "信访人" if _is_petition(case) else "申请人",
        "petitioner_names": who,
        "nature": case.get_nature_display() if case.nature else "",
        "demands": case.demands,
        "registered_by": _person(case.registered_by) if case.registered_by_id else "",
        "clocks": clocks,
        "not_accepted_reason": case.not_accepted_reason,
        "identity_incomplete": bool(case.identity_incomplete),
        "portal_hint": PORTAL_HINT,
    }


def _receipt_layout(c: Context) -> L.Doc:
    kind = c["case_kind"] + (f"（{c['nature']}）" if c["nature"] else "")
    rows = [
        L.row(L.label("事项编号"), L.Cell(c["case_number"], span=3, bold=True)),
        L.row(L.label("登记时间"), c["received_at"], L.label("来源渠道"), c["channel"]),
        L.row(L.label(c["petitioner_label"]), L.Cell(c["petitioner_names"], span=3)),
        L.row(L.label("事项"), L.Cell(c["case_title"], span=3)),
    ]
    if c["demands"]:
        rows.append(L.row(L.label("请求"), L.Cell(c["demands"], span=3)))
    rows += [
        L.row(L.label("类别"), kind, L.label("发生地"), c["region"]),
        L.row(L.label("接待单位"), L.Cell(c["registered_unit"] + (f"（经办人：{c['registered_by']}）"
                                                                  if c["registered_by"] else ""), span=3)),
    ]
    if c["not_accepted_reason"]:
        steps = [f"不予受理：{c['not_accepted_reason']}"]
    elif c["clocks"]:
        steps = [f"{k['name']}：{k['due_on']}前（{k['basis']}）" for k in c["clocks"]]
    else:
        steps = ["我们将依法及时办理，并告知您办理情况。"]
    if c["identity_incomplete"]:
        steps.append("未留姓名或住址的，不再书面告知受理情况，请凭查询码在网上查询。")
    return L.Doc(title=f"{c['case_kind']}登记回执", heading=c["registered_unit"], number=f"编号：{c['case_number']}",
                 blocks=[
        L.Table(widths=(2.0, 4.4, 2.0, 3.0), rows=tuple(rows)),
        L.Text("后续办理", bold=True),
        L.Text("\n".join(f"{i}. {s}" for i, s in enumerate(steps, start=1)), size=L.TABLE_PT),
        L.Text(f"{c['portal_hint']}。查询码已在登记时单独告知，本回执不载明查询码，请妥善保管，不要告诉他人；"
               "遗失的，可向登记单位申请重新生成，原查询码随即作废。", size=L.TABLE_PT),
        L.Seal(c["registered_unit"], c["issued_on"], note="（盖章）"),
    ])


register(DocType(
    code="intake_receipt", title="登记回执", side="petition", sort=30,
    available=lambda case: True, context=_receipt_context, layout=_receipt_layout,
    fields={"received_at": "登记时间（年月日时分）", "petitioner_label": "“信访人”或“申请人”",
            "petitioner_names": "信访人/申请人姓名（代表人注明，集体访注明人数）", "nature": "信访事项性质",
            "demands": "请求", "registered_by": "经办人",
            "clocks": "正在计算的期限（列表：name 名称, due_on 期满日, basis 依据）",
            "not_accepted_reason": "不予受理理由（已不予受理的）", "identity_incomplete": "姓名或住址不清（不再书面告知）",
            "portal_hint": "网上查询提示（不含查询码）"},
    required=("case_number", "received_on", "registered_unit", "petitioner_names", "case_title", "portal_hint"),
    produced_by=("register",), basis="信访工作条例 第18、21条", national=False,
))


# --- 不予受理告知书 ----------------------------------------------------------------------------
# Available once a petition was not accepted (第23、31条) and also once it was diverted to a lawful
# route (诉访分离, 第28条 and 第31条第1–5项): the petition procedure ends there too and the petitioner
# is to be told in writing where to go. The 2005 条例 (第21条第1款第1项) called exactly this 「不予受理」
# with the route told, and practice keeps the title; the body says which of the two it is. Whether it is
# available follows the recorded decision, not the status, so the closed or archived case keeps it.
# Disputes are not covered: a committee that does not take up a dispute records it in its register;
# the 2010 人民调解文书格式 have no such notice.

_CHANNEL_ROUTE = {
    NotAcceptedChannel.LITIGATION: "你（们）可以依法向有管辖权的人民法院提起诉讼。",
    NotAcceptedChannel.ARBITRATION: "你（们）可以依法向有管辖权的仲裁机构申请仲裁。",
    NotAcceptedChannel.RECONSIDERATION: "你（们）可以依法向有权受理的行政复议机关申请行政复议。",
    NotAcceptedChannel.OTHER: "你（们）可以依照有关法律、法规规定的其他法定途径解决。",
}

# 第31条第1–5项: why the matter leaves the petition procedure, and where the petitioner takes it.
_DIVERT_ROUTE = {
    DivertRoute.JUDICIAL: ("属于应当通过诉讼、检察、公安等法定程序处理的事项（第三十一条第一项）",
                           "请依照法定程序向人民法院、人民检察院或者公安机关提出。"),
    DivertRoute.ARBITRATION: ("属于应当通过仲裁解决的事项（第三十一条第二项）",
                              "请依法向有管辖权的仲裁机构申请仲裁。"),
    DivertRoute.PARTY_APPEAL: ("属于可以通过党员申诉、申请复审等途径解决的事项（第三十一条第三项）",
                               "请依照有关规定向有关党组织提出申诉或者申请复审。"),
    DivertRoute.ADMINISTRATIVE: ("属于可以通过行政复议、行政裁决、行政确认、行政许可、行政处罚等行政程序解决的事项（第三十一条第四项）",
                                 "请依法向有权处理的行政机关提出。"),
    DivertRoute.DUTY: ("属于请求有关机关依法履行法定职责的事项（第三十一条第五项）",
                       "有关机关将依法履行职责或者予以答复，你（们）也可以直接向有关机关提出。"),
}


def _not_accepted_or_diverted(case: Any) -> bool:
    return _is_petition(case) and bool(case.not_accepted_reason or case.divert_route)


def _divert_note(case: Any, event: Any) -> str:
    """What the officer told the petitioner besides the route (DivertIn.note): kept only in the
    timeline entry, after the route's label."""
    if event is None or not case.divert_route:
        return ""
    prefix = f"导入法定途径：{DivertRoute(case.divert_route).label}。"
    return event.note.removeprefix(prefix).strip() if event.note.startswith(prefix) else ""


def _non_acceptance_context(case: Any, subject: str) -> Context:
    diverted = bool(case.divert_route)
    event = _event(case, "divert" if diverted else "reject")
    day, unit = _issuer(case, event)
    if diverted:
        reason, route = _DIVERT_ROUTE[DivertRoute(case.divert_route)]
        channel = DivertRoute(case.divert_route).label
        basis = "《信访工作条例》第二十八条、第三十一条"
    else:
        channel_code = case.lawful_channel if case.lawful_channel in NotAcceptedChannel.values else NotAcceptedChannel.OTHER
        reason, route = _clean(case.not_accepted_reason), _CHANNEL_ROUTE[NotAcceptedChannel(channel_code)]
        channel = NotAcceptedChannel(channel_code).label
        basis = "《信访工作条例》第二十三条、第三十一条"
    return {
        "_date": day, "_number_unit": unit.pk,
        "issuing_unit": unit.name,
        "petitioner_names": _petitioner_names(case),
        "decision": "导入法定途径" if diverted else "不予受理",
        "diverted": diverted,
        "accepted_on": L.cn_date(case.accepted_on, blank=""),
        "reason": reason,
        "lawful_channel": channel,
        "route": route,
        "route_note": _divert_note(case, event),
        "legal_basis": basis,
        "decided_on": L.cn_date(day, blank=""),
    }


def _non_acceptance_layout(c: Context) -> L.Doc:
    matter = f"你（们）于{c['received_on']}提出的“{c['case_title']}”信访事项（事项编号：{c['case_number']}）"
    if c["diverted"]:
        accepted = f"本机关于{c['accepted_on']}受理后" if c["accepted_on"] else "本机关"
        body = (f"{matter}，{accepted}经审查，该事项{c['reason']}。依照{c['legal_basis']}的规定，"
                f"该事项应当通过法定途径解决，本机关不再按信访程序受理办理。")
    else:
        body = f"{matter}，本机关经审查：{c['reason']}。依照{c['legal_basis']}的规定，本机关决定不予受理。"
    blocks: list[L.Block] = [
        L.Text(f"{c['petitioner_names']}：", align="left"),
        L.Text(body, indent=True),
        L.Text(f"告知的法定途径：{c['lawful_channel']}。{c['route']}", indent=True),
    ]
    if c["route_note"]:
        blocks.append(L.Text(c["route_note"], indent=True))
    blocks += [
        L.Text("特此告知。", indent=True),
        L.Seal(c["issuing_unit"], c["issued_on"]),
    ]
    return L.Doc(title=c["title"], heading=c["issuing_unit"], number=c["number"], blocks=blocks)


register(DocType(
    code="non_acceptance_notice", title="不予受理告知书", side="petition", sort=40,
    available=_not_accepted_or_diverted, context=_non_acceptance_context, layout=_non_acceptance_layout,
    fields={"issuing_unit": "作出决定的机关", "petitioner_names": "信访人姓名",
            "decision": "决定（不予受理/导入法定途径）", "diverted": "是否诉访分离导入法定途径",
            "accepted_on": "受理日期（导入法定途径的）", "reason": "不予受理（或导入法定途径）的理由",
            "lawful_channel": "告知的法定途径", "route": "依法解决的途径（告知语）",
            "route_note": "另行告知的内容", "legal_basis": "依据的条款", "decided_on": "决定日期"},
    required=("number", "petitioner_names", "case_title", "reason", "lawful_channel", "route", "issued_on"),
    number_word="不受告", produced_by=("reject", "divert"), basis="信访工作条例 第23、28、31条",
))


# --- 工作移交单 with its receipt slip (one per transfer) -----------------------------------------
# No national layout exists (legal-rules §1.8): this is the district's design — a ruled table the
# sending unit seals, and below the cut line the 回执 the receiving unit signs and seals (or fills
# in with its reasons when it returns the matter within 5 working days, 第23条).

def _transfers(case: Any) -> list[Any]:
    return list(case.transfers.select_related("from_unit", "to_unit", "sent_by", "handled_by").order_by("sent_at", "id"))


# How the slip names each side: a petition has 信访人 (and perhaps the other side of the matter), a
# dispute its 申请人 and 被申请人.
_ROLE_WORDS = {
    True: {"petitioner": "信访人", "respondent": "对方当事人", "third_party": "第三人"},
    False: {"petitioner": "申请人", "respondent": "被申请人", "third_party": "第三人"},
}


def _transfer_context(case: Any, subject: str) -> Context:
    pk = int(subject.split(":", 1)[1])
    t = next(x for x in _transfers(case) if x.pk == pk)
    received, returned = t.status == TransferStatus.RECEIVED, t.status == TransferStatus.RETURNED
    roles = _ROLE_WORDS[_is_petition(case)]
    groups: dict[str, list[str]] = {}
    for p in case.parties.all():
        groups.setdefault(roles.get(p.role, p.get_role_display()), []).append(p.name or "（未留姓名）")
    handled_at = L.cn_datetime(timezone.localtime(t.handled_at)) if t.handled_at else ""
    return {
        "_date": t.sent_at, "_number": t.number,
        "from_unit": t.from_unit.name, "to_unit": t.to_unit.name,
        "party_names": "；".join(f"{role}：{'、'.join(ns)}" for role, ns in groups.items()) or "—",
        "demands": case.demands,
        "purpose": t.get_purpose_display(),
        "purpose_line": L.choices_line([(label, t.purpose == value) for value, label in TransferPurpose.choices]),
        "note": t.note,
        "sent_at": L.cn_datetime(timezone.localtime(t.sent_at)),
        "sent_by": _person(t.sent_by),
        "status": t.get_status_display(),
        "received": received, "returned": returned,
        "received_by": _person(t.handled_by) if received else "",
        "received_at": handled_at if received else "",
        "returned_at": handled_at if returned else "",
        "return_reason": t.return_reason if returned else "",
    }


def _transfer_layout(c: Context) -> L.Doc:
    # One A4 sheet: the form above the cut line, the 回执 below it. Long values (unit names, numbers,
    # times) sit in the wide columns or span the row, so that rows do not wrap.
    rows = (
        L.row(L.label("移交单位"), L.Cell(c["from_unit"], span=3)),
        L.row(L.label("接收单位"), L.Cell(c["to_unit"], span=3)),
        L.row(L.label("事项编号"), L.Cell(c["case_number"], span=3)),
        L.row(L.label("事项标题"), L.Cell(c["case_title"], span=3)),
        L.row(L.label("当事人"), L.Cell(c["party_names"], span=3)),
        L.row(L.label("主要诉求"), L.Cell(c["demands"] or "—", span=3)),
        L.row(L.label("移交事由"), L.Cell(c["purpose_line"], span=3)),
        L.row(L.label("移交说明"), L.Cell(c["note"] or "—", span=3)),
        L.row(L.label("移交时间"), c["sent_at"], L.label("经办人"), c["sent_by"]),
    )
    done = L.choices_line([("已签收", c["received"]), ("退回", c["returned"])])
    returned = c["return_reason"] + (f"（{c['returned_at']}退回）" if c["returned_at"] else "")
    slip = (
        L.row(L.label("移交单编号"), c["number"], L.label("处理情况"), done),
        L.row(L.label("签收时间"), c["received_at"] or "    年    月    日    时    分", L.label("签收人"), c["received_by"]),
        L.row(L.label("退回理由"), L.Cell(returned, span=3)),
    )
    widths = (2.0, 4.6, 2.0, 3.2)
    return L.Doc(title=c["title"], number=c["number"], blocks=[
        L.Table(widths=widths, rows=rows, min_height=8.0),
        L.Text("接收单位应当及时签收；认为不属于本单位职责范围的，应当自收到之日起5个工作日内提出异议并详细说明理由"
               "（《信访工作条例》第二十三条），经移交单位同意后退回。", size=L.SMALL_PT),
        L.Seal(c["from_unit"], c["issued_on"]),
        L.Cut(),
        L.Text("工作移交单回执", align="center", bold=True),
        L.Table(widths=widths, rows=slip, min_height=8.0),
        L.Text(f"接收单位签收（盖章）：{c['to_unit']}    "
               + (c["received_at"].split(" ")[0] if c["received_at"] else "    年    月    日"),
               align="right", size=L.TABLE_PT),
    ])


register(DocType(
    code="transfer_slip", title="工作移交单", side="petition", sort=50, national=False,
    available=lambda case: case.transfers.exists(),
    subjects=lambda case: [(f"transfer:{t.pk}", t.number) for t in _transfers(case)],
    context=_transfer_context, layout=_transfer_layout,
    fields={"from_unit": "移交单位", "to_unit": "接收单位", "party_names": "当事人（按身份列姓名）",
            "demands": "主要诉求", "purpose": "移交事由", "purpose_line": "移交事由（勾选框）", "note": "移交说明",
            "sent_at": "移交时间", "sent_by": "经办人", "status": "签收状态", "received": "已签收",
            "returned": "已退回", "received_by": "签收人", "received_at": "签收时间", "returned_at": "退回时间",
            "return_reason": "退回理由"},
    required=("number", "from_unit", "to_unit", "case_number", "purpose", "sent_at"),
    produced_by=("transfer", "route", "escalate", "intervene", "receive", "return"),
    basis="信访工作条例 第22、23条；访调对接（司法部·国家信访局 2025 意见）",
))


# --- 延期告知书 ----------------------------------------------------------------------------------

def _extension_context(case: Any, subject: str) -> Context:
    day, unit = _issuer(case, _event(case, "extend"))
    clock = _handling_clock(case)
    return {
        "_date": day, "_number_unit": unit.pk,
        "issuing_unit": unit.name,
        "petitioner_names": _petitioner_names(case),
        "accepted_on": L.cn_date(case.accepted_on, blank=""),
        "extended_days": str(case.extended_days),
        "extension_reason": _clean(case.extension_reason),
        "approver": _person(case.extension_approver) if case.extension_approver_id else "",
        "new_due": L.cn_date(clock.due_on, blank="") if clock else "",
        "extended_on": L.cn_date(day, blank=""),
    }


def _extension_layout(c: Context) -> L.Doc:
    accepted = f"本机关已于{c['accepted_on']}受理" if c["accepted_on"] else "本机关已受理"
    due = f"延长后的办结期限为{c['new_due']}" if c["new_due"] else "延长后的办结期限自原期限届满之日起计算"
    approver = f"（批准人：{c['approver']}）" if c["approver"] else ""
    return L.Doc(title=c["title"], heading=c["issuing_unit"], number=c["number"], blocks=[
        L.Text(f"{c['petitioner_names']}：", align="left"),
        L.Text(f"你（们）于{c['received_on']}提出的“{c['case_title']}”信访事项（事项编号：{c['case_number']}），"
               f"{accepted}。因{c['extension_reason']}，该事项不能在受理之日起60日内办结。"
               f"依照《信访工作条例》第三十四条的规定，经本机关负责人批准{approver}，"
               f"办理期限延长{c['extended_days']}日，{due}。", indent=True),
        L.Text("我们将在延长的期限内办结，并书面答复你（们）。你（们）可凭事项编号和查询码在网上查询办理进度。", indent=True),
        L.Text("特此告知。", indent=True),
        L.Seal(c["issuing_unit"], c["issued_on"]),
    ])


register(DocType(
    code="extension_notice", title="延期告知书", side="petition", sort=60,
    available=lambda case: _is_petition(case) and case.extended_days > 0,
    context=_extension_context, layout=_extension_layout,
    fields={"issuing_unit": "办理机关", "petitioner_names": "信访人姓名", "accepted_on": "受理日期",
            "extended_days": "延长天数", "extension_reason": "延期理由", "approver": "批准延期的机关负责人",
            "new_due": "延长后的办结期限", "extended_on": "批准延期日期"},
    required=("number", "petitioner_names", "case_title", "extended_days", "extension_reason", "new_due", "issued_on"),
    number_word="延告", produced_by=("extend",), basis="信访工作条例 第34条",
))


# --- 信访处理意见书 -----------------------------------------------------------------------------

REVIEW_RIGHT = ("你（们）如对本处理意见不服，可以自收到本意见书之日起30日内，向本机关的上一级机关请求复查"
                "（《信访工作条例》第三十五条）。")


def _handling_context(case: Any, subject: str) -> Context:
    _day, unit = _issuer(case, _event(case, "reply"))
    return {
        "_date": case.replied_on, "_number_unit": unit.pk,
        "issuing_unit": unit.name,
        "petitioner_names": _petitioner_names(case),
        "accepted_on": L.cn_date(case.accepted_on, blank=""),
        "request": case.reply_request, "facts": case.reply_facts, "opinion": case.reply_opinion,
        "legal_basis": case.reply_basis,
        "outcome": _outcome_label(case.reply_outcome), "outcome_code": case.reply_outcome,
        "outcome_line": _outcome_line(case.reply_outcome),
        "replied_on": L.cn_date(case.replied_on, blank=""),
        "review_right": REVIEW_RIGHT,
    }


def _handling_layout(c: Context) -> L.Doc:
    accepted = f"，本机关于{c['accepted_on']}受理" if c["accepted_on"] else ""
    blocks: list[L.Block] = [
        L.Text(f"{c['petitioner_names']}：", align="left"),
        L.Text(f"你（们）于{c['received_on']}提出的“{c['case_title']}”信访事项（事项编号：{c['case_number']}）{accepted}。"
               "经调查核实，依照《信访工作条例》第三十二条的规定，现出具处理意见如下：", indent=True),
        L.Text("一、投诉请求", bold=True), L.Text(c["request"], indent=True),
        L.Text("二、事实和理由", bold=True), L.Text(c["facts"], indent=True),
        L.Text("三、处理意见", bold=True), L.Text(c["outcome_line"], indent=True), L.Text(c["opinion"], indent=True),
        L.Text("四、法律法规依据", bold=True), L.Text(c["legal_basis"], indent=True),
    ]
    if c["outcome_code"] == ReplyOutcome.SUPPORT:
        blocks.append(L.Text("对予以支持的投诉请求，本机关将督促有关机关或者单位执行。", indent=True))
    blocks += [
        L.Text(c["review_right"], indent=True),
        L.Seal(c["issuing_unit"], c["issued_on"]),
    ]
    return L.Doc(title=c["title"], heading=c["issuing_unit"], number=c["number"], blocks=blocks)


register(DocType(
    code="handling_opinion", title="信访处理意见书", side="petition", sort=70,
    available=lambda case: _is_petition(case) and bool(case.reply_outcome),
    context=_handling_context, layout=_handling_layout,
    fields={"issuing_unit": "办理机关", "petitioner_names": "信访人姓名", "accepted_on": "受理日期",
            "request": "投诉请求", "facts": "事实和理由", "opinion": "处理意见", "legal_basis": "法律法规依据",
            "outcome": "处理结果（予以支持/解释说明/不予支持）", "outcome_code": "处理结果代码（support/explain/reject）",
            "outcome_line": "处理结果（勾选框）", "replied_on": "答复日期",
            "review_right": "请求复查的权利告知（第35条）"},
    required=("number", "petitioner_names", "request", "facts", "opinion", "legal_basis", "outcome", "review_right",
              "issued_on"),
    number_word="处意", produced_by=("reply",), basis="信访工作条例 第32、35条",
))


# --- 复查意见书 and 复核意见书 --------------------------------------------------------------------

RE_REVIEW_RIGHT = ("你（们）如对本复查意见不服，可以自收到本意见书之日起30日内，向本机关的上一级机关请求复核"
                   "（《信访工作条例》第三十六条）。")
FINAL_NOTICE = ("本复核意见为该信访事项的最终处理意见。你（们）对复核意见不服，仍以同一事实和理由提出投诉请求的，"
                "各级机关不再受理（《信访工作条例》第三十六条）。")


def _answered(case: Any, stage: str) -> Any:
    return (case.reviews.filter(stage=stage, answered_on__isnull=False).select_related("organ")
            .order_by("-id").first())


def _review_context(case: Any, subject: str, stage: str) -> Context:
    r = _answered(case, stage)
    if stage == "review":
        _day, prior = _issuer(case, _event(case, "reply"))
        prior_unit, prior_on, prior_doc = prior.name, case.replied_on, "信访处理意见"
        closing, article = RE_REVIEW_RIGHT, "第三十五条"
    else:
        before = _answered(case, "review")
        prior_unit = before.organ.name if before else ""
        prior_on, prior_doc = (before.answered_on if before else None), "复查意见"
        closing, article = FINAL_NOTICE, "第三十六条"
    return {
        # 复查 and 复核 are given by the next-higher organ: it issues and numbers the form.
        "_date": r.answered_on, "_number_unit": r.organ_id,
        "organ": r.organ.name,
        "petitioner_names": _petitioner_names(case),
        "prior_unit": prior_unit, "prior_on": L.cn_date(prior_on, blank=""), "prior_doc": prior_doc,
        "requested_on": L.cn_date(r.requested_on), "reasons": r.reasons, "opinion": r.opinion,
        "outcome": _outcome_label(r.outcome), "outcome_code": r.outcome, "outcome_line": _outcome_line(r.outcome),
        "answered_on": L.cn_date(r.answered_on),
        "hearing_days": str(r.hearing_days) if r.hearing_days else "",
        "article": article,
        "closing_notice": closing,
    }


def _review_layout(c: Context, stage: str) -> L.Doc:
    word = "复查" if stage == "review" else "复核"
    prior = f"{c['prior_unit']}于{c['prior_on']}作出的{c['prior_doc']}" if c["prior_unit"] else f"原{c['prior_doc']}"
    blocks: list[L.Block] = [
        L.Text(f"{c['petitioner_names']}：", align="left"),
        L.Text(f"你（们）不服{prior}，就“{c['case_title']}”信访事项（事项编号：{c['case_number']}）于{c['requested_on']}"
               f"向本机关请求{word}。本机关依照《信访工作条例》{c['article']}的规定进行了{word}，现提出{word}意见如下：",
               indent=True),
        L.Text(f"一、{word}请求及理由", bold=True), L.Text(c["reasons"] or "（请求人未另行说明理由）", indent=True),
        L.Text(f"二、{word}意见", bold=True), L.Text(c["opinion"], indent=True),
        L.Text(f"三、{word}结论", bold=True), L.Text(c["outcome_line"], indent=True),
    ]
    if c["hearing_days"]:
        blocks.append(L.Text(f"本机关在{word}中举行了听证，听证所用{c['hearing_days']}日不计入{word}期限。", indent=True))
    blocks += [
        L.Text(c["closing_notice"], indent=True),
        L.Seal(c["organ"], c["issued_on"]),
    ]
    return L.Doc(title=c["title"], heading=c["organ"], number=c["number"], blocks=blocks)


_REVIEW_FIELDS = {
    "organ": "复查（复核）机关", "petitioner_names": "信访人姓名", "prior_unit": "原处理（复查）机关",
    "prior_on": "原处理意见（复查意见）日期", "prior_doc": "不服的文书（信访处理意见/复查意见）",
    "requested_on": "请求日期", "reasons": "请求理由", "opinion": "意见内容",
    "outcome": "结论（予以支持/解释说明/不予支持）", "outcome_code": "结论代码（support/explain/reject）",
    "outcome_line": "结论（勾选框）", "answered_on": "答复日期", "hearing_days": "听证所用天数（复核，无听证为空）",
    "article": "依据的条款", "closing_notice": "告知事项（复查：请求复核的权利；复核：不再受理）",
}

register(DocType(
    code="review_opinion", title="复查意见书", side="petition", sort=80,
    available=lambda case: _is_petition(case) and _answered(case, "review") is not None,
    context=lambda case, subject: _review_context(case, subject, "review"),
    layout=lambda c: _review_layout(c, "review"), fields=_REVIEW_FIELDS,
    required=("number", "organ", "petitioner_names", "requested_on", "opinion", "outcome", "closing_notice", "issued_on"),
    number_word="复查", produced_by=("answer_review",), basis="信访工作条例 第35、36条",
))

register(DocType(
    code="recheck_opinion", title="复核意见书", side="petition", sort=90,
    available=lambda case: _is_petition(case) and _answered(case, "re_review") is not None,
    context=lambda case, subject: _review_context(case, subject, "re_review"),
    layout=lambda c: _review_layout(c, "re_review"), fields=_REVIEW_FIELDS,
    required=("number", "organ", "petitioner_names", "requested_on", "opinion", "outcome", "closing_notice", "issued_on"),
    number_word="复核", produced_by=("answer_re_review",), basis="信访工作条例 第36条",
))
