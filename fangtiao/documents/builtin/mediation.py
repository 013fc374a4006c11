"""People's-mediation forms (司法部 2010 人民调解文书格式 as far as ../shared/domain/legal-rules.md §4
records them), the 司法确认申请书 (§3), and the 卷宗 (cover, contents, note, back cover)."""

from __future__ import annotations

from typing import Any

from fangtiao.documents import layout as L
from fangtiao.documents.catalogue import PARTY_WIDTHS, Context, DocType, names, party_rows, register


def _rounds(case: Any) -> list[Any]:
    return list(case.mediations.all())


def _committee(case: Any) -> str:
    rounds = _rounds(case)
    return rounds[-1].unit.name if rounds else case.holder_unit.name


def _agreement(case: Any, subject: str, *, form: str = "written") -> Any:
    qs = case.agreements.exclude(status="superseded").filter(form=form).order_by("-id")
    if subject.startswith("agreement:"):
        return qs.filter(pk=int(subject.split(":", 1)[1])).first()
    return qs.first()


def _mediator_names(case: Any) -> str:
    from fangtiao.mediation.models import Assignment

    seen = dict.fromkeys(Assignment.objects.filter(case=case, active=True).select_related("mediator")
                         .values_list("mediator__name", flat=True))
    return "、".join(seen)


# --- 人民调解协议书 and 信访事项人民调解协议书 ----------------------------------------------------

def _agreement_context(case: Any, subject: str) -> Context:
    a = _agreement(case, subject)
    obligations = [{"seq": str(o.seq), "party": o.party.name, "content": o.content,
                    "amount": f"{o.amount:.2f}" if o.amount is not None else "",
                    "due_on": L.cn_date(o.due_on, blank="")} for o in a.obligations.all().select_related("party")]
    return {
        "_date": a.reached_on, "_number": a.number,
        "committee": _committee(case), "facts": a.facts, "disputes": a.disputes, "terms": a.terms,
        "performance": a.performance, "copies": str(a.copies), "copies_cn": _cn_count(a.copies),
        "recorder": a.recorder, "mediators": _mediator_names(case), "obligations": obligations,
        "reached_on": L.cn_date(a.reached_on), "effective_on": L.cn_date(a.effective_on, blank=""),
        "petition_number": case.number if case.kind == "petition" else "",
    }


def _cn_count(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n - 10] if n > 10 else "")
    return str(n)


def _agreement_layout(c: Context) -> L.Doc:
    blocks: list[L.Block] = []
    if c["petition_number"]:
        blocks.append(L.Text(f"信访事项编号：{c['petition_number']}    信访事项：{c['case_title']}", size=L.TABLE_PT))
    blocks.append(L.Table(widths=PARTY_WIDTHS, rows=tuple(
        party_rows(c["applicants"], "当事人（甲方）") + party_rows(c["respondents"], "当事人（乙方）"))))
    blocks += [
        L.Text("纠纷主要事实、争议事项：", bold=True),
        L.Text(c["facts"], indent=True),
        L.Text(c["disputes"], indent=True),
        L.Text("经调解，自愿达成如下协议：", bold=True),
        L.Text(c["terms"], indent=True),
        L.Text("履行方式、时限：", bold=True),
        L.Text(c["performance"], indent=True),
        L.Text(f"本协议自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效。"
               f"本协议一式{c['copies_cn']}份，当事人各执一份，人民调解委员会留存一份。", indent=True),
        L.Text("（依据《中华人民共和国人民调解法》第二十九条、第三十一条、第三十三条：调解协议具有法律约束力；"
               "双方当事人可以自调解协议生效之日起三十日内共同向人民法院申请司法确认。）", size=L.SMALL_PT),
        L.Signatures(tuple((f"当事人 {p['name']}", "签名盖章或按指印") for p in c["parties"]), fingerprint=True),
        L.Signatures((("人民调解员", "签名"), ("记录人", "签名"))),
        L.Seal(c["committee"], c["reached_on"]),
    ]
    return L.Doc(title=c["title"], number=f"编号：{c['number']}", blocks=blocks)


_AGREEMENT_FIELDS = {
    "committee": "人民调解委员会", "facts": "纠纷主要事实", "disputes": "争议事项及各方责任", "terms": "协议内容",
    "performance": "履行方式、时限", "copies": "份数（阿拉伯数字）", "copies_cn": "份数（汉字）", "recorder": "记录人",
    "mediators": "人民调解员", "obligations": "履行义务（列表：seq 序号, party 义务人, content 内容, amount 金额, due_on 期限）",
    "reached_on": "达成日期", "effective_on": "生效日期", "petition_number": "信访事项编号（信访事项人民调解协议书）",
}


def _written_agreement(case: Any) -> bool:
    return case.agreements.exclude(status="superseded").filter(form="written").exists()


def _agreement_subjects(case: Any) -> list[tuple[str, str]]:
    return [(f"agreement:{a.pk}", a.number) for a in
            case.agreements.exclude(status="superseded").filter(form="written").order_by("id")]


register(DocType(
    code="agreement", title="人民调解协议书", side="mediation", sort=150,
    available=lambda case: case.kind != "petition" and _written_agreement(case),
    subjects=_agreement_subjects, context=_agreement_context, layout=_agreement_layout, fields=_AGREEMENT_FIELDS,
    required=("number", "parties", "facts", "disputes", "terms", "performance", "copies"),
    produced_by=("agree",), basis="人民调解法 第28、29条", court=True,
))

register(DocType(
    code="petition_agreement", title="信访事项人民调解协议书", side="mediation", sort=151, national=False,
    available=lambda case: case.kind == "petition" and _written_agreement(case),
    subjects=_agreement_subjects, context=_agreement_context, layout=_agreement_layout, fields=_AGREEMENT_FIELDS,
    required=("number", "petition_number", "parties", "facts", "disputes", "terms", "performance", "copies"),
    produced_by=("agree",), basis="人民调解法 第28、29条；信访工作条例 第33条", court=True,
))


# --- 人民调解记录 (one per session held) --------------------------------------------------------

def _sessions(case: Any, kind: str) -> list[Any]:
    from fangtiao.mediation.models import Session

    return list(Session.objects.filter(case=case, kind=kind, status="held").select_related("room", "mediation__unit")
                .prefetch_related("present_parties").order_by("starts_at", "id"))


def _session(case: Any, subject: str, kind: str) -> Any:
    sessions = _sessions(case, kind)
    if subject.startswith("session:"):
        pk = int(subject.split(":", 1)[1])
        return next((s for s in sessions if s.pk == pk), None)
    return sessions[-1] if sessions else None


def _record_context(case: Any, subject: str) -> Context:
    s = _session(case, subject, "mediation")
    return {
        "_date": s.starts_at.date(),
        "committee": s.mediation.unit.name, "seq": str(s.seq), "time": L.cn_datetime(s.starts_at),
        "place": s.room.name if s.room_id else s.place, "matter": case.title,
        "participants": s.participants, "present": names([{"name": p.name} for p in s.present_parties.all()]),
        "mediators": _mediator_names(case), "recorder": s.recorder,
        "notices_given": "已告知当事人权利义务、调解原则和方式及参加人员身份" if s.notices_given else "",
        "applicant_statement": s.applicant_statement, "respondent_statement": s.respondent_statement,
        "evidence": s.evidence, "risk_warning": s.risk_warning, "proposal": s.proposal,
        "outcome": s.get_outcome_display() if s.outcome else "", "next_step": s.next_step,
    }


def _record_layout(c: Context) -> L.Doc:
    rows = (
        L.row(L.label("时间"), L.Cell(c["time"], span=3)),
        L.row(L.label("地点"), L.Cell(c["place"], span=3)),
        L.row(L.label("事由"), L.Cell(c["matter"], span=3)),
        L.row(L.label("当事人"), L.Cell(c["present"], span=3)),
        L.row(L.label("参加人"), L.Cell(c["participants"] or "无", span=3)),
        L.row(L.label("人民调解员"), c["mediators"], L.label("记录人"), c["recorder"]),
    )
    body = [
        ("一、权利义务及调解原则、方式的告知", c["notices_given"]),
        ("二、申请人陈述", c["applicant_statement"]),
        ("三、被申请人陈述", c["respondent_statement"]),
        ("四、证据核实", c["evidence"]),
        ("五、风险提示", c["risk_warning"]),
        ("六、调解方案及结果", "；".join(x for x in (c["proposal"], c["outcome"], c["next_step"]) if x)),
    ]
    blocks: list[L.Block] = [L.Table(widths=(2, 5, 2, 5), rows=rows)]
    for head, text in body:
        blocks += [L.Text(head, bold=True), L.Text(text or "（无）", indent=True)]
    blocks += [
        L.Text("以上记录已经当事人阅读（或向其宣读），确认无误。", indent=True),
        L.Signatures(tuple((f"当事人 {p['name']}", "签名或按指印") for p in c["parties"])
                     + (("参加人", "签名"), ("人民调解员", "签名"), ("记录人", "签名"))),
        L.Seal(c["committee"], c["issued_on"]),
    ]
    return L.Doc(title=c["title"], number=f"第{c['seq']}次", blocks=blocks)


register(DocType(
    code="mediation_record", title="人民调解记录", side="mediation", sort=140,
    available=lambda case: bool(_sessions(case, "mediation")),
    subjects=lambda case: [(f"session:{s.pk}", f"第{s.seq}次（{L.cn_date(s.starts_at.date())}）")
                           for s in _sessions(case, "mediation")],
    context=_record_context, layout=_record_layout,
    fields={"committee": "人民调解委员会", "seq": "次序", "time": "时间", "place": "地点", "matter": "事由",
            "participants": "参加人", "present": "到场当事人", "mediators": "人民调解员", "recorder": "记录人",
            "notices_given": "告知情况", "applicant_statement": "申请人陈述", "respondent_statement": "被申请人陈述",
            "evidence": "证据核实", "risk_warning": "风险提示", "proposal": "调解方案", "outcome": "结果",
            "next_step": "下一步"},
    required=("time", "place", "matter", "present", "applicant_statement", "respondent_statement"),
    produced_by=("record_session",), basis="人民调解法 第27条；legal-rules §4.6",
))
