"""Petition-side forms (信访工作条例): registration, notices, written replies, review opinions, the
工作移交单 with its receipt slip, and the registration receipt (登记回执) batch-printed each day."""

from __future__ import annotations

from typing import Any

from fangtiao.documents import layout as L
from fangtiao.documents.catalogue import Context, DocType, names, register


def _is_petition(case: Any) -> bool:
    return case.kind == "petition"


# --- 信访事项受理登记表 ------------------------------------------------------------------------

def _register_context(case: Any, subject: str) -> Context:
    return {
        "_date": case.received_at.date(),
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


# --- 受理告知书 --------------------------------------------------------------------------------

def _acceptance_context(case: Any, subject: str) -> Context:
    clock = next((k for k in case.clocks.all() if k.rule.code == "petition.handling"), None)
    return {
        "_date": case.accepted_on,
        "notice": case.acceptance_notice,
        "handling_due": L.cn_date(clock.due_on) if clock else "",
        "petitioner_names": names([{"name": p.name} for p in case.parties.all() if p.role == "petitioner"]),
    }


def _acceptance_layout(c: Context) -> L.Doc:
    due = f"，并于{c['handling_due']}前办结（特殊情况经批准可延长，延长不超过30日，届时将告知延期理由）" if c["handling_due"] else ""
    return L.Doc(title=c["title"], heading=c["holder_unit"], number=c["number"], blocks=[
        L.Text(f"{c['petitioner_names']}：", align="left"),
        L.Text(f"你（们）于{c['received_on']}提出的“{c['case_title']}”信访事项（事项编号：{c['case_number']}），"
               f"经审查，符合《信访工作条例》规定的受理条件，本机关决定予以受理。我们将依法办理{due}，"
               f"并书面答复你（们）。", indent=True),
        *( [L.Text(c["notice"], indent=True)] if c["notice"] else [] ),
        L.Text("你（们）可凭事项编号和查询码在网上查询办理进度。", indent=True),
        L.Text("特此告知。", indent=True),
        L.Seal(c["holder_unit"], c["issued_on"]),
    ])


register(DocType(
    code="acceptance_notice", title="受理告知书", side="petition", sort=20,
    available=lambda case: _is_petition(case) and case.accepted_on is not None,
    context=_acceptance_context, layout=_acceptance_layout,
    fields={"notice": "告知的其他内容", "handling_due": "办结期限", "petitioner_names": "信访人姓名"},
    required=("number", "petitioner_names", "case_title", "issued_on"), number_word="受告",
    produced_by=("accept",), basis="信访工作条例 第23、34条",
))
