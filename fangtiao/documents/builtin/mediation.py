"""People's-mediation forms (司法部 2010 人民调解文书格式 as far as ../shared/domain/legal-rules.md §4
records them), the 司法确认申请书 (§3), and the 卷宗 (cover, contents, note, back cover).

Every context is plain data (strings, bools, lists of dicts) and depends only on the case's records:
its date (`_date`) is a date of the case (a round's start or end, a session, the agreement, the
application, a visit, the filing), never today, so a re-render of an unchanged case is the same row."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone

from fangtiao.documents import layout as L
from fangtiao.documents.catalogue import PARTY_WIDTHS, Context, DocType, names, party_rows, per_case, register

# --- shared lookups ------------------------------------------------------------------------------


def _thirds(c: Context) -> list[tuple[L.Cell, ...]]:
    """第三人 are parties too (人民调解法 第29条(1): the parties' basic details): their block, when there are any."""
    return party_rows(c["third_parties"], "第三人") if c.get("third_parties") else []


@per_case
def _rounds(case: Any) -> list[Any]:
    return list(case.mediations.select_related("unit").order_by("round"))


def _committee(case: Any) -> str:
    rounds = _rounds(case)
    return rounds[-1].unit.name if rounds else case.holder_unit.name


def _round(case: Any, subject: str) -> Any:
    rounds = _rounds(case)
    if subject.startswith("round:"):
        pk = int(subject.split(":", 1)[1])
        return next((m for m in rounds if m.pk == pk), None)
    return rounds[-1] if rounds else None


def _round_label(m: Any) -> str:
    return f"第{m.round}轮（{m.number}）"


def _agreement(case: Any, subject: str, *, form: str = "written") -> Any:
    qs = case.agreements.exclude(status="superseded").filter(form=form).order_by("-id")
    if subject.startswith("agreement:"):
        return qs.filter(pk=int(subject.split(":", 1)[1])).first()
    return qs.first()


def _round_mediators(m: Any) -> str:
    """The mediators of a round: those in office now, or at its end (a round that ends releases its
    mediators with the reason ROUND_ENDED; a mediator replaced earlier is not named)."""
    from django.db.models import Q

    from fangtiao.mediation.models import Assignment
    from fangtiao.mediation.services import ROUND_ENDED

    rows = (Assignment.objects.filter(mediation=m).filter(Q(active=True) | Q(end_reason=ROUND_ENDED))
            .order_by("-lead", "assigned_at", "id").values_list("mediator__name", flat=True))
    return "、".join(dict.fromkeys(rows))


def _case_mediators(case: Any) -> str:
    """Everyone who mediated the case, in the order assigned (the 卷宗封面's 人民调解员, as seal_archive)."""
    from fangtiao.mediation.models import Assignment

    rows = Assignment.objects.filter(case=case).order_by("assigned_at", "id").values_list("mediator__name", flat=True)
    return "、".join(dict.fromkeys(rows))


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _cn_count(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n - 10] if n > 10 else "")
    return str(n)


def _lines(text: str) -> list[str]:
    """A free-text list (one request per line, or separated by ；) as items."""
    return [x.strip() for x in re.split(r"[\n；;]+", text or "") if x.strip()]


_SHORT_ROLES = {"petitioner": "申请人", "respondent": "被申请人", "third_party": "第三人"}


def _party_signatures(parties: list[dict[str, Any]], how: str, *, role: str = "",
                      representative: bool = False) -> list[L.Block]:
    """One signature line per party (人民调解法 第29条: 签名、盖章或者按指印): a person's with a box for the
    fingerprint; a legal person or other organisation seals (and, with `representative`, signs through
    its legal representative or agent, §4.7). Consecutive persons share one block."""
    out: list[L.Block] = []
    persons: list[tuple[str, str]] = []
    for p in parties:
        who = f"{role or _SHORT_ROLES.get(p['role_code'], '当事人')} {p['name']}"
        if not p["is_unit"]:
            persons.append((who, how))
            continue
        if persons:
            out.append(L.Signatures(tuple(persons), fingerprint=True))
            persons = []
        out.append(L.Signatures(((who, "盖章"),) + ((("法定代表人或委托代理人", "签名"),) if representative else ())))
    if persons or not out:
        out.append(L.Signatures(tuple(persons) or ((role or "当事人", how),), fingerprint=True))
    return out


# --- 人民调解申请书 (§4.3) ---------------------------------------------------------------------------

_DECLARATION = ("人民调解委员会已向本人告知人民调解的性质、原则和效力，以及当事人在调解活动中享有的权利和承担的义务。"
                "本人自愿申请人民调解委员会调解上述纠纷。")


def _application_context(case: Any, subject: str) -> Context:
    first = _rounds(case)[0]
    requests = _lines(case.demands) or ["请求人民调解委员会依法调解上述纠纷。"]
    return {
        "_date": first.started_on,
        "committee": first.unit.name, "summary": case.description or case.title,
        "requests": [{"seq": str(i), "text": t} for i, t in enumerate(requests, start=1)],
        "requests_text": L.numbered(requests), "declaration": _DECLARATION,
        "applied_on": L.cn_date(first.started_on),
    }


def _application_layout(c: Context) -> L.Doc:
    return L.Doc(title=c["title"], blocks=[
        L.Table(widths=PARTY_WIDTHS, rows=tuple(
            party_rows(c["applicants"], "申请人") + party_rows(c["respondents"], "被申请人") + _thirds(c))),
        L.Text("纠纷简要情况：", bold=True),
        L.Text(c["summary"], indent=True),
        L.Text("申请事项：", bold=True),
        L.Text(c["requests_text"], indent=True),
        L.Text(c["declaration"], indent=True),
        L.Text("此致", indent=True, space_after=0),
        L.Text(c["committee"], align="left"),
        *_party_signatures(c["applicants"], "签名盖章或按指印", role="申请人"),
        L.Text(c["applied_on"], align="right"),
    ])


register(DocType(
    code="mediation_application", title="人民调解申请书", side="mediation", sort=110,
    available=lambda case: bool(_rounds(case)),
    context=_application_context, layout=_application_layout,
    fields={"committee": "受理申请的人民调解委员会", "summary": "纠纷简要情况", "declaration": "自愿申请调解的声明",
            "requests": "申请事项（列表：seq 序号, text 内容）", "requests_text": "申请事项（已编号的文本）",
            "applied_on": "申请日期"},
    required=("applicants", "respondents", "summary", "requests", "declaration"),
    produced_by=("route", "receive", "intervene"), basis="人民调解法 第17条；legal-rules §4.3",
))


# --- 人民调解受理登记表 (§4.4), one per round ---------------------------------------------------------

_OTHER_GOVERNMENT = frozenset({"line_department", "justice_bureau", "justice_office", "political_legal", "discipline"})


def _mediation_transfer(case: Any, m: Any) -> Any:
    return (case.transfers.filter(purpose="mediation", to_unit=m.unit).select_related("from_unit", "handled_by")
            .order_by("-sent_at", "-id").first())


def _source_options(case: Any, m: Any) -> tuple[list[dict[str, Any]], str]:
    """案件来源 (§4.4; item 39): the tick boxes of the register, from the round's source, the unit
    that sent the matter (a court, the police, a petition office…) and the case's kind; and the
    sender's name for 「其他」."""
    sent = _mediation_transfer(case, m)
    kind = sent.from_unit.kind if sent is not None else ""
    source = m.source or case.source
    transfer = source == "transfer"
    court = transfer and (kind in ("court", "tribunal") or m.inviting_court_id is not None)
    police = transfer and not court and kind == "public_security"
    petition = transfer and not (court or police) and (case.kind == "petition" or kind in ("petition_bureau", "petition_office"))
    government = transfer and not (court or police or petition) and kind in _OTHER_GOVERNMENT
    other = transfer and not (court or police or petition or government)
    other_name = (sent.from_unit.name + "移交") if other and sent is not None else ""
    options = [
        ("当事人申请", source == "application"),
        ("人民调解委员会主动调解", source == "initiative"),
        ("信访部门移交·委托", petition),
        ("公安机关移交", police),
        ("审判机关委托", court),
        ("政府部门指定", government),
        ("其他" + (f"（{other_name}）" if other_name else ""), other),
    ]
    return [{"label": label, "checked": on} for label, on in options], other_name


def _register_subjects(case: Any) -> list[tuple[str, str]]:
    return [(f"round:{m.pk}", _round_label(m)) for m in _rounds(case) if m.status != "refused"]


def _register_context(case: Any, subject: str) -> Context:
    m = _round(case, subject)
    options, other = _source_options(case, m)
    sent = _mediation_transfer(case, m)
    registrar = ""
    if sent is not None and sent.handled_by_id:
        registrar = sent.handled_by.name or sent.handled_by.username
    parties = list(case.parties.all())
    first = [p.name for p in parties if p.role == "petitioner"]
    second = [p.name for p in parties if p.role != "petitioner"]
    between = "、".join(x for x in ("、".join(first), "、".join(second)) if x) or "—"
    return {
        "_date": m.started_on, "_number": m.number,
        "committee": m.unit.name, "round": str(m.round), "registered_on": L.cn_date(m.started_on),
        "sentence": f"本人民调解委员会经当事人同意，调解{between}之间的纠纷。",
        "source_options": options, "source_line": L.choices_line([(o["label"], o["checked"]) for o in options]),
        "source_other": other, "summary": case.description or case.title, "registrar": registrar,
    }


def _register_layout(c: Context) -> L.Doc:
    rows = party_rows(c["applicants"], "申请人") + party_rows(c["respondents"], "被申请人") + _thirds(c)
    options = [L.box(o["checked"]) + o["label"] for o in c["source_options"]]
    sources = "\n".join("  ".join(options[i:i + 3]) for i in range(0, len(options), 3))
    rows += [
        L.row(L.Cell(c["sentence"], span=6)),
        L.row(L.label("纠纷类型"), L.Cell(c["category"], span=3), L.label("登记日期"), c["registered_on"]),
        L.row(L.label("案件来源"), L.Cell(sources, span=5)),
        L.row(L.label("纠纷简要情况"), L.Cell(c["summary"], span=5)),
        L.row(L.label("当事人签名"), L.Cell("", span=5)),
        L.row(L.label("登记人签名"), L.Cell(c["registrar"], span=3), L.label("调委会印章"), ""),
    ]
    return L.Doc(title=c["title"], heading=c["committee"], number=f"编号：{c['number']}", blocks=[
        L.Table(widths=PARTY_WIDTHS, rows=tuple(rows)),
        L.Text("依据：《中华人民共和国人民调解法》第十七条、第二十七条。", size=L.SMALL_PT),
    ])


register(DocType(
    code="mediation_register", title="人民调解受理登记表", side="mediation", sort=115,
    available=lambda case: bool(_register_subjects(case)), subjects=_register_subjects,
    context=_register_context, layout=_register_layout,
    fields={"committee": "人民调解委员会", "round": "调解轮次", "registered_on": "登记日期",
            "sentence": "「本人民调解委员会经当事人同意，调解X、Y之间的纠纷」",
            "source_options": "案件来源（列表：label 来源, checked 是否勾选）", "source_line": "案件来源（勾选行）",
            "source_other": "其他来源（移交单位）", "summary": "纠纷简要情况", "registrar": "登记人"},
    required=("number", "sentence", "category", "source_options", "summary"),
    produced_by=("route", "receive", "intervene", "remediate"), basis="人民调解法 第17、27条；legal-rules §4.4",
))


# --- 当事人权利义务告知书 and 当事人接受调解须知, one per round ---------------------------------------

def _round_subjects(case: Any) -> list[tuple[str, str]]:
    return [(f"round:{m.pk}", _round_label(m)) for m in _rounds(case)]


def _notice_rows(m: Any) -> list[Any]:
    return list(m.notices.select_related("party").order_by("party__sort", "party__id"))


RIGHTS = ["选择或者接受人民调解员；", "接受调解、拒绝调解或者要求终止调解；", "要求调解公开进行或者不公开进行；",
          "自主表达意愿、自愿达成调解协议。"]
DUTIES = ["如实陈述纠纷事实；", "遵守调解现场秩序，尊重人民调解员；", "尊重对方当事人行使权利。"]


def _sub_numbered(items: list[str]) -> str:
    digits = "一二三四五六七八九十"
    return "\n".join(f"（{digits[i]}）{t}" for i, t in enumerate(items))


def _rights_context(case: Any, subject: str) -> Context:
    m = _round(case, subject)
    notices = _notice_rows(m)
    told = [n.rights_notified_on for n in notices if n.rights_notified_on]
    day = min(told) if told else m.started_on
    return {
        "_date": day,
        "committee": m.unit.name, "mediation_number": m.number, "notified_on": L.cn_date(day),
        "rights": [{"text": t} for t in RIGHTS], "duties": [{"text": t} for t in DUTIES],
        "rights_text": _sub_numbered(RIGHTS), "duties_text": _sub_numbered(DUTIES),
        "free_of_charge": "人民调解委员会调解民间纠纷，不收取任何费用。",
        "notified": [{"name": n.party.name, "notified_on": L.cn_date(n.rights_notified_on, blank="")} for n in notices],
    }


def _rights_layout(c: Context) -> L.Doc:
    return L.Doc(title=c["title"], number=f"卷号：{c['mediation_number']}", blocks=[
        L.Text(f"{names(c['parties'])}：", align="left"),
        L.Text("现将你们在人民调解活动中享有的权利和承担的义务告知如下：", indent=True),
        L.Text("一、当事人在人民调解活动中享有下列权利（第二十三条）：", bold=True),
        L.Text(c["rights_text"], indent=True),
        L.Text("二、当事人在人民调解活动中履行下列义务（第二十四条）：", bold=True),
        L.Text(c["duties_text"], indent=True),
        L.Text(f"三、{c['free_of_charge']}（第四条）", bold=True),
        L.Text("四、经人民调解委员会调解达成的调解协议，具有法律约束力，当事人应当按照约定履行；双方当事人可以自调解协议"
               "生效之日起三十日内共同向人民法院申请司法确认（第三十一条、第三十三条）。", bold=True),
        L.Text("以上权利义务，本人已阅知。", indent=True, bold=True),
        *_party_signatures(c["parties"], "签名或按指印"),
        L.Seal(c["committee"], c["notified_on"]),
    ])


register(DocType(
    code="rights_notice", title="当事人权利义务告知书", side="mediation", sort=120,
    available=lambda case: bool(_rounds(case)), subjects=_round_subjects,
    context=_rights_context, layout=_rights_layout,
    fields={"committee": "人民调解委员会", "mediation_number": "卷号", "notified_on": "告知日期",
            "rights": "当事人权利（列表：text，人民调解法 第23条）", "duties": "当事人义务（列表：text，第24条）",
            "rights_text": "当事人权利（已编号的文本）", "duties_text": "当事人义务（已编号的文本）",
            "free_of_charge": "不收费的告知（第4条）",
            "notified": "各当事人告知情况（列表：name 姓名, notified_on 告知日期）"},
    required=("parties", "rights", "duties", "free_of_charge"),
    produced_by=("record_notice",), basis="人民调解法 第4、23、24条",
))


_INSTRUCTIONS = [
    "人民调解委员会是依法设立的调解民间纠纷的群众性组织。人民调解遵循下列原则：在当事人自愿、平等的基础上进行调解；"
    "不违背法律、法规和国家政策；尊重当事人的权利，不得因调解而阻止当事人依法通过仲裁、行政、司法等途径维护自己的权利"
    "（《中华人民共和国人民调解法》第三条）。",
    "调解以当事人自愿为前提。当事人一方明确拒绝调解的，不得调解（第十七条）。",
    "当事人可以选择或者接受人民调解员；可以接受调解、拒绝调解，也可以在调解过程中要求终止调解（第二十三条）。",
    "当事人可以要求调解公开进行或者不公开进行（第二十三条）。经当事人同意，可以邀请当事人的亲属、邻里、同事或者"
    "具有专门知识、特定经验的人员参与调解（第二十条）。",
    "人民调解员应当保守当事人的个人隐私和商业秘密（第十五条）；不公开调解的，参加调解的人员不得向他人泄露调解中知悉的情况。",
    "人民调解委员会调解民间纠纷，不收取任何费用（第四条）。",
    "当事人应当如实陈述纠纷事实，遵守调解现场秩序，尊重人民调解员，尊重对方当事人行使权利（第二十四条）。",
    "经调解达成的调解协议具有法律约束力，当事人应当按照约定履行（第三十一条）；书面调解协议生效后，双方当事人认为有必要的，"
    "可以自调解协议生效之日起三十日内共同向人民法院申请司法确认，人民法院依法确认调解协议有效后，一方拒绝履行或者未全部履行的，"
    "对方当事人可以向人民法院申请强制执行（第三十三条）。",
    "调解不成的，人民调解委员会终止调解，并告知当事人可以依法通过仲裁、行政、司法等途径维护自己的权利（第二十六条）。"
    "向人民调解委员会请求调解的，诉讼时效自提出请求之日起中断。",
]


def _instructions_context(case: Any, subject: str) -> Context:
    m = _round(case, subject)
    notices = _notice_rows(m)
    signed = [n.guidance_acknowledged_on for n in notices if n.guidance_acknowledged_on]
    day = min(signed) if signed else m.started_on
    return {
        "_date": day,
        "committee": m.unit.name, "mediation_number": m.number, "acknowledged_on": L.cn_date(day),
        "items": [{"seq": str(i), "text": t} for i, t in enumerate(_INSTRUCTIONS, start=1)],
        "items_text": L.numbered(_INSTRUCTIONS), "public": bool(m.public),
        "public_line": L.choices_line([("不公开调解", not m.public), ("公开调解", bool(m.public))]),
        "acknowledgement": "本人已阅读并理解以上须知，自愿接受调解。",
        "acknowledged": [{"name": n.party.name, "acknowledged_on": L.cn_date(n.guidance_acknowledged_on, blank=""),
                          "consent": n.get_consent_display()} for n in notices],
    }


def _instructions_layout(c: Context) -> L.Doc:
    return L.Doc(title=c["title"], number=f"卷号：{c['mediation_number']}", blocks=[
        L.Text("调解开始前，请当事人仔细阅读以下须知：", indent=True),
        L.Text(c["items_text"], indent=True),
        L.Text(f"本次调解方式（按当事人的要求）：{c['public_line']}", indent=True),
        L.Text(c["acknowledgement"], indent=True, bold=True),
        *_party_signatures(c["parties"], "签名或按指印"),
        L.Seal(c["committee"], c["acknowledged_on"]),
    ])


register(DocType(
    code="acceptance_instructions", title="当事人接受调解须知", side="mediation", sort=125, national=False,
    available=lambda case: bool(_rounds(case)), subjects=_round_subjects,
    context=_instructions_context, layout=_instructions_layout,
    fields={"committee": "人民调解委员会", "mediation_number": "卷号", "acknowledged_on": "签收日期",
            "items": "须知条目（列表：seq 序号, text 内容）", "items_text": "须知条目（已编号的文本）",
            "public": "是否公开调解", "public_line": "公开或不公开调解（勾选行）",
            "acknowledgement": "「本人已阅读并理解以上须知，自愿接受调解」",
            "acknowledged": "各当事人签收情况（列表：name 姓名, acknowledged_on 签收日期, consent 是否同意调解）"},
    required=("parties", "items", "acknowledgement"),
    produced_by=("record_notice",), basis="人民调解法 第3、4、15、17、20、23、24、26、31、33条（本区设计的格式）",
))


# --- 人民调解协议书 and 信访事项人民调解协议书 ----------------------------------------------------

def _agreement_context(case: Any, subject: str) -> Context:
    a = _agreement(case, subject)
    obligations = [{"seq": str(o.seq), "party": o.party.name, "content": o.content,
                    "amount": f"{o.amount:.2f}" if o.amount is not None else "",
                    "due_on": L.cn_date(o.due_on, blank="")} for o in a.obligations.all().select_related("party")]
    return {
        "_date": a.reached_on, "_number": a.number,
        "committee": a.mediation.unit.name, "facts": a.facts, "disputes": a.disputes, "terms": a.terms,
        "performance": a.performance, "copies": str(a.copies), "copies_cn": _cn_count(a.copies),
        "recorder": a.recorder, "mediators": _round_mediators(a.mediation), "obligations": obligations,
        "reached_on": L.cn_date(a.reached_on), "effective_on": L.cn_date(a.effective_on, blank=""),
        "petition_number": case.number if case.kind == "petition" else "",
        "signatures": _signature_rows(a),
    }


def _signature_rows(a: Any) -> list[dict[str, str]]:
    """Who signed, sealed or pressed a fingerprint, how and when (人民调解法 第29条), with the handwriting
    captured on the tablet where there is one."""
    rows = []
    for s in a.signatures.select_related("party", "mediator").order_by("signed_on", "id"):
        who = (s.party.name if s.party_id else s.mediator.name if s.mediator_id else "人民调解委员会")
        rows.append({"who": f"{s.get_signer_kind_display()} {who}".strip(), "method": s.get_method_display(),
                     "signed_on": L.cn_date(s.signed_on), "image": s.image if L.png_bytes(s.image) else ""})
    return rows


def _signature_table(c: Context) -> list[L.Block]:
    """签署记录: what the system recorded of the signing; the signatures on paper stay the original."""
    rows = c.get("signatures") or []
    if not rows:
        return []
    body = [L.row(L.label("签署人"), L.label("方式"), L.label("日期"), L.label("手写签名（平板采集）"))]
    body += [L.row(r["who"], r["method"], r["signed_on"], L.Cell("" if r["image"] else "—", image=r["image"]))
             for r in rows]
    return [L.Text("签署记录：", bold=True, size=L.TABLE_PT), L.Table(widths=(4, 2, 3.6, 4.4), rows=tuple(body),
                                                                     min_height=14 if any(r["image"] for r in rows) else 9)]


def _agreement_layout(c: Context) -> L.Doc:
    blocks: list[L.Block] = []
    if c["petition_number"]:
        blocks.append(L.Text(f"信访事项编号：{c['petition_number']}    信访事项：{c['case_title']}", size=L.TABLE_PT))
    blocks.append(L.Table(widths=PARTY_WIDTHS, rows=tuple(
        party_rows(c["applicants"], "当事人（甲方）") + party_rows(c["respondents"], "当事人（乙方）") + _thirds(c))))
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
        *_party_signatures(c["parties"], "签名盖章或按指印", role="当事人", representative=True),
        L.Signatures(((f"人民调解员 {c['mediators']}".strip(), "签名"), ("记录人", "签名"))),
        L.Seal(c["committee"], c["reached_on"]),
        *_signature_table(c),
    ]
    return L.Doc(title=c["title"], number=f"编号：{c['number']}", blocks=blocks)


_AGREEMENT_FIELDS = {
    "committee": "人民调解委员会", "facts": "纠纷主要事实", "disputes": "争议事项及各方责任", "terms": "协议内容",
    "performance": "履行方式、时限", "copies": "份数（阿拉伯数字）", "copies_cn": "份数（汉字）", "recorder": "记录人",
    "mediators": "人民调解员", "obligations": "履行义务（列表：seq 序号, party 义务人, content 内容, amount 金额, due_on 期限）",
    "reached_on": "达成日期", "effective_on": "生效日期",
    "signatures": "签署记录（列表：who 签署人, method 方式, signed_on 日期, image 平板采集的手写签名 PNG）", "petition_number": "信访事项编号（信访事项人民调解协议书）",
}


@per_case
def _written_agreement(case: Any) -> bool:
    return case.agreements.exclude(status="superseded").filter(form="written").exists()


@per_case
def _agreement_subjects(case: Any) -> list[tuple[str, str]]:
    return [(f"agreement:{a.pk}", a.number) for a in
            case.agreements.exclude(status="superseded").filter(form="written").order_by("id")]


register(DocType(
    code="agreement", title="人民调解协议书", side="mediation", sort=150,
    available=lambda case: case.kind != "petition" and _written_agreement(case),
    subjects=_agreement_subjects, context=_agreement_context, layout=_agreement_layout, fields=_AGREEMENT_FIELDS,
    required=("number", "parties", "facts", "disputes", "terms", "performance", "copies", "committee", "mediators"),
    produced_by=("agree",), basis="人民调解法 第28、29条", court=True,
))

register(DocType(
    code="petition_agreement", title="信访事项人民调解协议书", side="mediation", sort=151, national=False,
    available=lambda case: case.kind == "petition" and _written_agreement(case),
    subjects=_agreement_subjects, context=_agreement_context, layout=_agreement_layout, fields=_AGREEMENT_FIELDS,
    required=("number", "petition_number", "parties", "facts", "disputes", "terms", "performance", "copies",
              "committee", "mediators"),
    produced_by=("agree",), basis="人民调解法 第28、29条；信访工作条例 第33条", court=True,
))


# --- 人民调解口头协议登记表 (§4.8) ---------------------------------------------------------------------

@per_case
def _oral_subjects(case: Any) -> list[tuple[str, str]]:
    return [(f"agreement:{a.pk}", a.number) for a in
            case.agreements.exclude(status="superseded").filter(form="oral").order_by("id")]


def _oral_context(case: Any, subject: str) -> Context:
    a = _agreement(case, subject, form="oral")
    return {
        "_date": a.reached_on, "_number": a.number,
        "committee": a.mediation.unit.name, "facts": a.facts, "disputes": a.disputes, "terms": a.terms,
        "performance": a.performance, "mediators": _round_mediators(a.mediation), "recorder": a.recorder,
        "reached_on": L.cn_date(a.reached_on), "effective_on": L.cn_date(a.effective_on or a.reached_on),
    }


def _oral_layout(c: Context) -> L.Doc:
    rows = party_rows(c["applicants"], "甲方") + party_rows(c["respondents"], "乙方") + _thirds(c)
    rows += [
        L.row(L.label("纠纷简要情况"), L.Cell(c["facts"] + ("\n" + c["disputes"] if c["disputes"] else ""), span=5)),
        L.row(L.label("协议内容"), L.Cell(c["terms"], span=5)),
        L.row(L.label("履行方式、时限"), L.Cell(c["performance"], span=5)),
        L.row(L.label("达成日期"), L.Cell(c["reached_on"], span=2), L.label("生效日期"), L.Cell(c["effective_on"], span=2)),
        L.row(L.label("人民调解员"), L.Cell(c["mediators"], span=2), L.label("记录人"), L.Cell(c["recorder"], span=2)),
        L.row(L.Cell("以上协议内容经各方当事人确认无误。\n当事人（签名、盖章或按指印）：\n\n", span=4),
              L.label("调委会\n印章"), ""),
    ]
    return L.Doc(title=c["title"], heading=c["committee"], number=f"编号：{c['number']}", blocks=[
        L.Table(widths=PARTY_WIDTHS, rows=tuple(rows)),
        L.Text("依据：《中华人民共和国人民调解法》第二十八条、第三十条（口头调解协议自各方当事人达成协议之日起生效）。",
               size=L.SMALL_PT),
    ])


register(DocType(
    code="oral_agreement", title="人民调解口头协议登记表", side="mediation", sort=155,
    available=lambda case: bool(_oral_subjects(case)), subjects=_oral_subjects,
    context=_oral_context, layout=_oral_layout,
    fields={"committee": "人民调解委员会", "facts": "纠纷主要事实", "disputes": "争议事项及各方责任",
            "terms": "口头协议内容", "performance": "履行方式、时限", "mediators": "人民调解员", "recorder": "记录人",
            "reached_on": "达成日期", "effective_on": "生效日期（即达成之日，第30条）"},
    required=("number", "parties", "facts", "terms", "performance", "reached_on"),
    produced_by=("agree",), basis="人民调解法 第28、30条；legal-rules §4.8",
))


# --- 人民调解记录 and 人民调解调查记录 (one per session held) -----------------------------------------------

@per_case
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


def _session_subjects(kind: str) -> Any:
    def subjects(case: Any) -> list[tuple[str, str]]:
        return [(f"session:{s.pk}", f"第{s.seq}次（{L.cn_date(_local(s.starts_at).date())}）")
                for s in _sessions(case, kind)]
    return subjects


def _session_context(case: Any, s: Any) -> Context:
    start = _local(s.starts_at)
    return {
        "_date": start.date(),
        "committee": s.mediation.unit.name, "seq": str(s.seq), "time": L.cn_datetime(start),
        "place": s.room.name if s.room_id else s.place, "matter": case.title,
        "participants": s.participants, "present": names([{"name": p.name} for p in s.present_parties.all()]),
        "mediators": _round_mediators(s.mediation), "recorder": s.recorder,
        "applicant_statement": s.applicant_statement, "respondent_statement": s.respondent_statement,
        "evidence": s.evidence, "risk_warning": s.risk_warning, "proposal": s.proposal,
        "outcome": s.get_outcome_display() if s.outcome else "", "next_step": s.next_step,
    }


def _record_context(case: Any, subject: str) -> Context:
    s = _session(case, subject, "mediation")
    return {**_session_context(case, s),
            "notices_given": "已告知当事人权利义务、调解原则和方式及参加人员身份" if s.notices_given else ""}


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
        *_party_signatures(c["parties"], "签名或按指印", role="当事人"),
        L.Signatures((("参加人", "签名"), ("人民调解员", "签名"), ("记录人", "签名"))),
        L.Seal(c["committee"], c["issued_on"]),
    ]
    return L.Doc(title=c["title"], number=f"第{c['seq']}次", blocks=blocks)


_SESSION_FIELDS = {
    "committee": "人民调解委员会", "seq": "次序", "time": "时间", "place": "地点", "matter": "事由",
    "participants": "参加人", "present": "到场当事人", "mediators": "人民调解员", "recorder": "记录人",
    "applicant_statement": "申请人陈述", "respondent_statement": "被申请人陈述", "evidence": "证据核实",
    "risk_warning": "风险提示", "proposal": "调解方案", "outcome": "结果", "next_step": "下一步",
}

register(DocType(
    code="mediation_record", title="人民调解记录", side="mediation", sort=140,
    available=lambda case: bool(_sessions(case, "mediation")), subjects=_session_subjects("mediation"),
    context=_record_context, layout=_record_layout,
    fields={**_SESSION_FIELDS, "notices_given": "告知情况"},
    required=("time", "place", "matter", "present", "applicant_statement", "respondent_statement"),
    produced_by=("record_session",), basis="人民调解法 第27条；legal-rules §4.6",
))


def _investigation_context(case: Any, subject: str) -> Context:
    s = _session(case, subject, "investigation")
    c = _session_context(case, s)
    sections = [("申请人陈述", c["applicant_statement"]), ("被申请人陈述", c["respondent_statement"]),
                ("调查核实的情况", c["evidence"]), ("风险提示", c["risk_warning"]), ("调查意见", c["proposal"]),
                ("下一步", c["next_step"])]
    interviewees = [x for x in (c["present"] if c["present"] != "—" else "", c["participants"]) if x]
    return {**c, "interviewees": "、".join(interviewees),
            "content": [{"head": h, "text": t} for h, t in sections if t],
            "content_text": "\n".join(f"{h}：{t}" for h, t in sections if t) or "（无）"}


def _investigation_layout(c: Context) -> L.Doc:
    rows = (
        L.row(L.label("时间"), L.Cell(c["time"], span=3)),
        L.row(L.label("地点"), L.Cell(c["place"], span=3)),
        L.row(L.label("事由"), L.Cell(c["matter"], span=3)),
        L.row(L.label("被调查人"), L.Cell(c["interviewees"], span=3)),
        L.row(L.label("调查人"), c["mediators"], L.label("记录人"), c["recorder"]),
    )
    return L.Doc(title=c["title"], number=f"第{c['seq']}次", blocks=[
        L.Table(widths=(2, 5, 2, 5), rows=rows),
        L.Text("记录内容：", bold=True),
        L.Text(c["content_text"], indent=True),
        L.Text("以上记录已经被调查人阅读（或向其宣读），确认无误。", indent=True),
        L.Signatures((("被调查人", "签名或按指印"), ("调查人", "签名"), ("记录人", "签名"))),
        L.Text(c["issued_on"], align="right"),
    ])


register(DocType(
    code="investigation_record", title="人民调解调查记录", side="mediation", sort=135,
    available=lambda case: bool(_sessions(case, "investigation")), subjects=_session_subjects("investigation"),
    context=_investigation_context, layout=_investigation_layout,
    fields={**_SESSION_FIELDS, "interviewees": "被调查人", "content": "记录内容（列表：head 项目, text 内容）",
            "content_text": "记录内容（文本）"},
    required=("time", "place", "interviewees", "mediators", "content"),
    produced_by=("record_session",), basis="人民调解法 第22、27条；legal-rules §4.5",
))


# --- 终止调解通知书, one per round that ended failed or refused -------------------------------------

_ROUTE_HINTS = {
    "litigation": ("向人民法院提起诉讼", "民事权利的诉讼时效期间一般为三年（《中华人民共和国民法典》第一百八十八条）；"
                   "向人民调解委员会请求调解的，诉讼时效自提出请求之日起中断。"),
    "arbitration": ("申请仲裁", "有仲裁协议的，可以向约定的仲裁机构申请仲裁；劳动争议可以向劳动人事争议仲裁委员会申请仲裁，"
                    "申请仲裁的时效期间为一年（《中华人民共和国劳动争议调解仲裁法》第二十七条）。"),
    "reconsideration": ("申请行政复议或者提起行政诉讼", "对行政行为不服的，可以自知道或者应当知道该行政行为之日起六十日内申请"
                        "行政复议（《中华人民共和国行政复议法》第二十条），或者自知道或者应当知道作出行政行为之日起六个月内"
                        "提起行政诉讼（《中华人民共和国行政诉讼法》第四十六条）。"),
    "handling": ("转回信访办理", "本信访事项转回信访部门（原移交单位）依法继续办理，并由其书面答复（《信访工作条例》第三十二条）。"),
}


def _ended_rounds(case: Any) -> list[Any]:
    return [m for m in _rounds(case) if m.status in ("failed", "refused")]


def _termination_subjects(case: Any) -> list[tuple[str, str]]:
    return [(f"round:{m.pk}", _round_label(m)) for m in _ended_rounds(case)]


def _termination_context(case: Any, subject: str) -> Context:
    from fangtiao.mediation.choices import LawfulRoute

    m = _round(case, subject)
    told = [r for r in (m.routes_told or []) if r in _ROUTE_HINTS] or ["litigation", "arbitration", "reconsideration"]
    routes = [{"code": r, "label": LawfulRoute(r).label, "route": _ROUTE_HINTS[r][0], "hint": _ROUTE_HINTS[r][1]}
              for r in told]
    refused = m.status == "refused"
    return {
        "_date": m.ended_on or m.started_on, "_number_unit": m.unit_id,
        "committee": m.unit.name, "mediation_number": m.number, "refused": refused,
        "started_on": L.cn_date(m.started_on), "ended_on": L.cn_date(m.ended_on),
        "reason": (m.end_reason or "调解不成").rstrip("。"),
        "articles": "第十七条、第二十六条" if refused else "第二十六条",
        "routes": routes, "routes_text": L.numbered([f"{x['route']}：{x['hint']}" for x in routes]),
        "routes_line": "、".join(x["label"] for x in routes),
    }


def _termination_layout(c: Context) -> L.Doc:
    return L.Doc(title=c["title"], heading=c["committee"], number=c["number"], blocks=[
        L.Text(f"{names(c['parties'])}：", align="left"),
        L.Text(f"你们之间的“{c['case_title']}”纠纷，本委员会于{c['started_on']}受理调解（卷号：{c['mediation_number']}）。"
               f"因{c['reason']}，依照《中华人民共和国人民调解法》{c['articles']}的规定，本委员会决定于{c['ended_on']}"
               f"终止调解。", indent=True),
        L.Text("你们可以依法通过仲裁、行政、司法等途径维护自己的权利。本委员会已告知以下途径：", indent=True),
        L.Text(c["routes_text"], indent=True, size=L.TABLE_PT),
        L.Text("特此通知。", indent=True),
        L.Seal(c["committee"], c["ended_on"]),
        L.Cut(),
        L.Text("送达回执", align="center", bold=True, size=L.TABLE_PT),
        L.Table(widths=(2.4, 4.6, 2.4, 4.6), min_height=8.0, size=L.SMALL_PT, rows=(
            L.row(L.Cell(f"本人已收到{c['committee']}《终止调解通知书》（{c['number']}），并已知悉可以依法通过"
                         f"{c['routes_line']}等途径维护自己的权利。", span=4)),
            L.row(L.label("收件人签名"), "", L.label("收件日期"), L.cn_date(None)),
            L.row(L.label("送达人签名"), "", L.label("送达方式"), L.choices_line([("直接送达", False), ("邮寄送达", False)])),
        )),
    ])


register(DocType(
    code="termination_notice", title="终止调解通知书", side="mediation", sort=160, number_word="人调终",
    available=lambda case: bool(_ended_rounds(case)), subjects=_termination_subjects,
    context=_termination_context, layout=_termination_layout,
    fields={"committee": "人民调解委员会", "mediation_number": "卷号", "refused": "是否因当事人拒绝调解而终止",
            "started_on": "受理调解日期", "ended_on": "终止调解日期", "reason": "终止调解的原因",
            "articles": "依据的人民调解法条文", "routes": "已告知的途径（列表：code 代码, label 途径, route 做法, hint 期限提示）",
            "routes_text": "已告知的途径及期限提示（已编号的文本）", "routes_line": "已告知的途径（顿号分隔）"},
    required=("number", "parties", "reason", "routes", "ended_on"),
    produced_by=("fail", "record_notice"), basis="人民调解法 第17、26条；legal-rules §2（其他期限）",
))


# --- 司法确认申请书 (§3): natural persons, or with a legal person or other organisation -------------------

_STANDARD_MATERIALS = [
    {"item": "调解协议", "present": True, "as_needed": False},
    {"item": "调解组织主持调解的证明", "present": True, "as_needed": False},
    {"item": "各方当事人的身份证明、资格证明及住所、联系方式", "present": True, "as_needed": False},
    {"item": "与调解协议相关的财产权利证明", "present": False, "as_needed": True},
    {"item": "授权委托书（委托他人代为申请的）", "present": False, "as_needed": True},
]


@per_case
def _confirmable(case: Any) -> Any:
    """The current written agreement if a court may confirm it (人民调解法 第33条; 民诉法解释 第355条):
    effective, not about 身份关系, ownership of 物权/知识产权 or another special procedure, and either
    applied for already or still within the 30 days from its effective date."""
    a = case.agreements.exclude(status="superseded").order_by("-id").first()
    if a is None or a.form != "written" or a.status != "effective":
        return None
    if a.involves_status_relation or a.confirms_ownership or a.special_procedure:
        return None
    if a.confirmations.exists():
        return a
    clock = case.clocks.filter(code="confirmation.apply").order_by("-id").first()
    if clock is not None and clock.due_on and timezone.localdate() > clock.due_on:
        return None
    return a


def _all_persons(case: Any) -> bool:
    return all(p.type == "person" for p in case.parties.all())


def _confirmation_context(case: Any, subject: str) -> Context:
    from fangtiao.mediation import selectors
    from fangtiao.mediation.choices import CourtBasis

    a = _confirmable(case)
    c = a.confirmations.select_related("court").order_by("-id").first()
    if c is not None:
        court, basis, applied = c.court.name, CourtBasis(c.court_basis).label, c.applied_on
        materials = [{"item": x.get("item", ""), "present": bool(x.get("present")),
                      "as_needed": bool(x.get("as_needed"))} for x in c.checklist
                     if x.get("item") != "司法确认申请书"] or _STANDARD_MATERIALS
    else:
        options = selectors.court_options(case, a.mediation)
        one = options[0] if len(options) == 1 else None
        court, basis, applied = (one.court.name, CourtBasis(one.basis).label, None) if one else ("", "", None)
        materials = _STANDARD_MATERIALS
    return {
        "_date": applied or a.effective_on,
        "committee": a.mediation.unit.name, "agreement_number": a.number, "terms": a.terms,
        "reached_on": L.cn_date(a.reached_on), "effective_on": L.cn_date(a.effective_on),
        "court": court, "court_basis": basis, "applied_on": L.cn_date(applied),
        "request": f"请求人民法院依法确认申请人于{L.cn_date(a.reached_on)}经{a.mediation.unit.name}主持调解达成的"
                   f"{a.number}人民调解协议有效。",
        "materials": [{**x, "seq": str(i), "note": "已提交" if x["present"] else ("按需提交" if x["as_needed"] else "待补充")}
                      for i, x in enumerate(materials, start=1)],
    }


_PROMISES = [
    "出于解决纠纷的目的自愿达成调解协议，没有恶意串通、规避法律的行为；",
    "如果因为该协议内容而给他人造成损害的，愿意承担相应的民事责任和其他法律责任；",
    "如实陈述申请确认的调解协议的有关情况，保证提交的证明材料真实、合法。",
]


def _court_party_rows(parties: list[dict[str, Any]]) -> list[tuple[L.Cell, ...]]:
    """申请人 blocks for the court: identity, domicile (the address for service) and contacts (解释 第354条)."""
    rows: list[tuple[L.Cell, ...]] = []
    for p in parties:
        if p["is_unit"]:
            rows += [
                L.row(L.label("申请人"), L.Cell(p["name"], span=3), L.label("信用代码"), p["id_number"]),
                L.row(L.label("住所"), L.Cell(p["address"], span=3), L.label("联系电话"), p["phone"]),
                L.row(L.label("法定代表人"), L.Cell("", span=3), L.label("职务"), ""),
            ]
        else:
            rows += [
                L.row(L.label("申请人"), p["name"], L.label("性别"), p["gender"], L.label("民族"), ""),
                L.row(L.label("年龄"), p["age"], L.label("身份证号"), L.Cell(p["id_number"], span=3)),
                L.row(L.label("住址"), L.Cell(p["address"], span=3), L.label("联系电话"), p["phone"]),
            ]
    return rows


def _confirmation_layout(c: Context) -> L.Doc:
    court = c["court"] or "＿＿＿＿＿＿人民法院"
    materials = [L.row(L.label("序号"), L.label("材料名称"), L.label("份数"), L.label("备注"))]
    materials += [L.row(L.Cell(m["seq"], align="center"), m["item"], "", m["note"]) for m in c["materials"]]
    return L.Doc(title=c["title"].split("（")[0], blocks=[
        L.Table(widths=PARTY_WIDTHS, rows=tuple(_court_party_rows(c["parties"]))),
        L.Text("请求事项：", bold=True),
        L.Text(c["request"], indent=True),
        L.Text("事实和理由：", bold=True),
        L.Text(f"申请人因“{c['case_title']}”纠纷，经{c['committee']}主持调解，于{c['reached_on']}自愿达成调解协议"
               f"（编号：{c['agreement_number']}），该协议自{c['effective_on']}起生效。协议主要内容：{c['terms']}", indent=True),
        L.Text("申请人认为，该调解协议是双方的真实意思表示，内容不违反法律、行政法规的强制性规定，不损害国家利益、社会公共利益"
               "和他人合法权益，不违背公序良俗。依照《中华人民共和国人民调解法》第三十三条、《中华人民共和国民事诉讼法》"
               "第二百零五条的规定，双方当事人共同申请司法确认。", indent=True),
        L.Text("申请人承诺：", bold=True),
        L.Text(L.numbered(_PROMISES), indent=True),
        L.Text("此致", indent=True, space_after=0),
        L.Text(court, align="left"),
        *_party_signatures(c["parties"], "签名或按指印", role="申请人", representative=True),
        L.Text(c["applied_on"], align="right"),
        L.Text("附：申请材料（住址、住所为送达地址；委托他人代为申请的，另附授权委托书）", bold=True, size=L.TABLE_PT),
        L.Table(widths=(1.2, 7.0, 1.4, 2.4), rows=tuple(materials), min_height=8.0),
    ])


_CONFIRMATION_FIELDS = {
    "committee": "主持调解的人民调解委员会", "agreement_number": "调解协议编号", "terms": "协议主要内容",
    "reached_on": "协议达成日期", "effective_on": "协议生效日期", "court": "受理申请的人民法院",
    "court_basis": "管辖依据（民事诉讼法 第205条）", "applied_on": "申请日期", "request": "请求事项（确认调解协议有效）",
    "materials": "申请材料（列表：seq 序号, item 材料, present 已提交, as_needed 按需, note 备注）",
}
_CONFIRMATION_BASIS = ("人民调解法 第33条；民事诉讼法(2023) 第205条；民诉法解释 第354、355条；"
                       "《关于人民调解协议司法确认程序的若干规定》(2011) 第3条")

register(DocType(
    code="confirmation_application_person", title="司法确认申请书（自然人之间）", side="court", sort=170, court=True,
    available=lambda case: _confirmable(case) is not None and _all_persons(case),
    context=_confirmation_context, layout=_confirmation_layout, fields=_CONFIRMATION_FIELDS,
    required=("parties", "court", "agreement_number", "reached_on", "request", "materials"),
    produced_by=("apply_confirmation",), basis=_CONFIRMATION_BASIS,
))

register(DocType(
    code="confirmation_application_unit", title="司法确认申请书（自然人与法人/其他组织之间）", side="court", sort=171,
    court=True,
    available=lambda case: _confirmable(case) is not None and not _all_persons(case),
    context=_confirmation_context, layout=_confirmation_layout, fields=_CONFIRMATION_FIELDS,
    required=("parties", "court", "agreement_number", "reached_on", "request", "materials"),
    produced_by=("apply_confirmation",), basis=_CONFIRMATION_BASIS,
))


# --- 人民调解回访记录 (§4.9), one per visit -------------------------------------------------------------

@per_case
def _follow_up_subjects(case: Any) -> list[tuple[str, str]]:
    return [(f"follow_up:{f.pk}", f"{L.cn_date(f.visited_on)}回访") for f in case.follow_ups.order_by("visited_on", "id")]


def _follow_up_context(case: Any, subject: str) -> Context:
    from fangtiao.cases.choices import Satisfaction

    rows = list(case.follow_ups.select_related("party", "agreement", "visitor").order_by("visited_on", "id"))
    pk = int(subject.split(":", 1)[1]) if subject.startswith("follow_up:") else rows[-1].pk
    f = next(x for x in rows if x.pk == pk)
    lawsuit = ("是" + (f"：{f.lawsuit_result}" if f.lawsuit_result else "")) if f.lawsuit else "否"
    return {
        "_date": f.visited_on,
        "committee": _committee(case), "party": f.party.name if f.party_id else names(_parties(case)),
        "agreement_number": f.agreement.number if f.agreement_id else "（未达成调解协议）",
        "matter": case.title, "method": f.get_method_display(), "visited_on": L.cn_date(f.visited_on),
        "performance": f.performance, "satisfaction": f.get_satisfaction_display(),
        "satisfaction_line": L.choices_line([(s.label, s.value == f.satisfaction) for s in Satisfaction]),
        "lawsuit": lawsuit, "risk": f.risk, "measures": f.measures, "notes": f.notes,
        "recurrence": f.get_recurrence_display(), "visitor": f.visitor.name or f.visitor.username,
    }


def _parties(case: Any) -> list[dict[str, str]]:
    return [{"name": p.name} for p in case.parties.all()]


def _follow_up_layout(c: Context) -> L.Doc:
    rows = (
        L.row(L.label("当事人"), c["party"], L.label("调解协议编号"), c["agreement_number"]),
        L.row(L.label("回访事由"), L.Cell(c["matter"], span=3)),
        L.row(L.label("回访方式"), c["method"], L.label("回访时间"), c["visited_on"]),
        L.row(L.Cell("回访情况", span=4, bold=True, align="center")),
        L.row(L.label("协议履行情况"), L.Cell(c["performance"] or "（未记录）", span=3)),
        L.row(L.label("当事人满意度"), L.Cell(c["satisfaction_line"], span=3)),
        L.row(L.label("是否就履行提起诉讼及判决情况"), L.Cell(c["lawsuit"], span=3)),
        L.row(L.label("错调、激化或遗留风险"), L.Cell(c["risk"] or "未发现", span=3)),
        L.row(L.label("采取的措施"), L.Cell(c["measures"] or "无", span=3)),
        L.row(L.label("纠纷反复"), L.Cell(c["recurrence"], span=3)),
        L.row(L.label("其他"), L.Cell(c["notes"] or "无", span=3)),
        L.row(L.label("回访人（签名）"), c["visitor"], L.label("回访时间"), c["visited_on"]),
    )
    return L.Doc(title=c["title"], blocks=[
        L.Table(widths=(3.0, 4.0, 2.6, 4.4), rows=rows),
        L.Text("依据《中华人民共和国人民调解法》第三十一条：人民调解委员会应当对调解协议的履行情况进行监督，督促当事人履行约定的义务。",
               size=L.SMALL_PT),
    ])


register(DocType(
    code="follow_up_record", title="人民调解回访记录", side="mediation", sort=180,
    available=lambda case: bool(_follow_up_subjects(case)), subjects=_follow_up_subjects,
    context=_follow_up_context, layout=_follow_up_layout,
    fields={"committee": "人民调解委员会", "party": "回访的当事人", "agreement_number": "调解协议编号",
            "matter": "回访事由（纠纷名称）", "method": "回访方式", "visited_on": "回访时间",
            "performance": "协议履行情况", "satisfaction": "当事人满意度", "satisfaction_line": "满意度（勾选行）",
            "lawsuit": "是否就履行提起诉讼及判决情况", "risk": "错调、激化或遗留风险", "measures": "采取的措施",
            "notes": "其他", "recurrence": "纠纷反复", "visitor": "回访人"},
    required=("party", "agreement_number", "matter", "performance", "satisfaction", "visitor", "visited_on"),
    produced_by=("follow_up",), basis="人民调解法 第31条；legal-rules §4.9",
))


# --- 卷宗: 封面, 卷内目录, 卷宗情况说明, 封底 (§4.1, §4.2; 人民调解法 第27条) ---------------------------------

@per_case
def _mediated(case: Any) -> bool:
    """A 调解卷宗 exists once the case was actually mediated: a round with a session held or an
    agreement (as mediation.services.seal_archive decides)."""
    from fangtiao.mediation.models import Session

    if not _rounds(case):
        return False
    return Session.objects.filter(case=case, status="held").exists() or case.agreements.exists()


def _archive_file(case: Any) -> Any:
    from fangtiao.mediation.models import ArchiveFile

    return ArchiveFile.objects.filter(case=case).select_related("unit", "filed_by").first()


def _archive_items(case: Any, f: Any) -> list[dict[str, Any]]:
    from fangtiao.mediation.services import archive_items

    rows = f.items if f is not None else archive_items(case)
    return [{"seq": str(i["seq"]), "name": i["name"], "required": bool(i["required"]), "present": bool(i["present"]),
             "kind": "必须" if i["required"] else "按需", "page": ""} for i in rows]


def _archive_context(case: Any) -> Context:
    """What the four 卷宗 forms share: the sealed file's own fields, or (before sealing) the same
    values computed as seal_archive will (卷号 = the last round's number)."""
    from fangtiao.mediation.choices import Retention

    f = _archive_file(case)
    rounds = _rounds(case)
    first, last = rounds[0], rounds[-1]
    if f is not None:
        day, number, unit = f.filed_on, f.number, f.unit.name
        filed_by = f.filed_by.name or f.filed_by.username
        retention = f.retention
    else:
        day, number, unit, filed_by, retention = last.ended_on or last.started_on, last.number, last.unit.name, "", ""
    return {
        "_date": day, "_number": number,
        "committee": unit, "sealed": f is not None,
        "volume_title": f.title if f is not None else f"{case.title[:60]}纠纷调解卷",
        "mediators": (f.mediators if f is not None else "") or _case_mediators(case),
        "mediated_from": L.cn_date(f.mediated_from if f is not None else first.started_on, blank=""),
        "mediated_to": L.cn_date(f.mediated_to if f is not None else last.ended_on, blank=""),
        "filed_by": filed_by, "filed_on": L.cn_date(f.filed_on if f is not None else None),
        "retention": Retention(retention).label if retention else "",
        "retention_line": L.choices_line([(r.label, r.value == retention) for r in Retention]),
        "archive_note": f.note if f is not None else "",
        "items": _archive_items(case, f),
    }


_ARCHIVE_FIELDS = {
    "committee": "人民调解委员会名称", "sealed": "是否已封卷", "volume_title": "卷名", "mediators": "人民调解员",
    "mediated_from": "调解日期（起）", "mediated_to": "调解日期（止）", "filed_by": "立卷人", "filed_on": "立卷日期",
    "retention": "保管期限", "retention_line": "保管期限（勾选行）", "archive_note": "备注",
    "items": "卷内目录（列表：seq 序号, name 文书名称, required 必须, present 已入卷, kind 必须/按需, page 页号）",
}


def _cover_context(case: Any, subject: str) -> Context:
    return _archive_context(case)


def _cover_layout(c: Context) -> L.Doc:
    rows = (
        L.row(L.label("卷    名"), L.Cell(c["volume_title"], span=3)),
        L.row(L.label("卷    号"), L.Cell(c["number"], span=3)),
        L.row(L.label("人民调解员"), L.Cell(c["mediators"], span=3)),
        L.row(L.label("调解日期"), L.Cell(f"自{c['mediated_from'] or '    年  月  日'}至{c['mediated_to'] or '    年  月  日'}", span=3)),
        L.row(L.label("立 卷 人"), c["filed_by"], L.label("立卷日期"), c["filed_on"]),
        L.row(L.label("保管期限"), L.Cell(c["retention_line"], span=3)),
        L.row(L.label("备    注"), L.Cell(c["archive_note"], span=3)),
    )
    return L.Doc(title="人民调解卷宗", heading=c["committee"], blocks=[
        L.Spacer(18),
        L.Table(widths=(2.6, 4.4, 2.6, 4.4), rows=rows, min_height=16.0, size=L.BODY_PT),
    ])


def _contents_context(case: Any, subject: str) -> Context:
    return _archive_context(case)


def _contents_layout(c: Context) -> L.Doc:
    rows = [L.row(L.label("序号"), L.label("文书名称"), L.label("页号"), L.label("备注"))]
    for i in c["items"]:
        note = i["kind"] + ("" if i["present"] else "（本卷无）")
        rows.append(L.row(L.Cell(i["seq"], align="center"), i["name"], i["page"], L.Cell(note, align="center")))
    return L.Doc(title="卷内目录", number=f"卷号：{c['number']}", blocks=[
        L.Table(widths=(1.3, 7.4, 1.6, 2.9), rows=tuple(rows), min_height=10.0),
        L.Text("备注：“必须”为每卷必备的材料，“按需”为根据案件情况入卷的材料；页号装订时填写。", size=L.SMALL_PT),
    ])


def _note_context(case: Any, subject: str) -> Context:
    from fangtiao.mediation.choices import ConfirmationResult, MediationStatus
    from fangtiao.mediation.models import Session

    base = _archive_context(case)
    rounds = _rounds(case)
    held = list(Session.objects.filter(case=case, status="held").values_list("mediation_id", "kind"))
    parties = list(case.parties.all())
    first = names([{"name": p.name} for p in parties if p.role == "petitioner"])
    second = names([{"name": p.name} for p in parties if p.role != "petitioner"])
    about = (f"本卷为“{case.title}”纠纷（事项编号：{case.number}）的调解卷宗。当事人：{first}（申请人），{second}（被申请人）。"
             f"纠纷类型：{case.category.name if case.category_id else '未分类'}；"
             f"{L.cn_date(timezone.localtime(case.received_at).date() if case.received_at else None)}登记。")
    steps = []
    for m in rounds:
        n_med = sum(1 for mid, kind in held if mid == m.pk and kind == "mediation")
        n_inv = sum(1 for mid, kind in held if mid == m.pk and kind == "investigation")
        mediators = _round_mediators(m) or "未指派"
        end = f"{L.cn_date(m.ended_on)}{MediationStatus(m.status).label}" if m.ended_on else "调解中"
        counts = "、".join(x for x in (f"调查{n_inv}次" if n_inv else "", f"调解{n_med}次" if n_med else "") if x)
        steps.append(f"第{m.round}轮：{m.unit.name}于{L.cn_date(m.started_on)}受理，卷号{m.number}；人民调解员{mediators}；"
                     f"{counts or '未进行调解'}；{end}。")
    a = case.agreements.exclude(status="superseded").select_related("mediation").order_by("-id").first()
    outcome = []
    if a is not None:
        effective = f"，{L.cn_date(a.effective_on)}生效" if a.effective_on else "，尚待签署生效"
        outcome.append(f"{L.cn_date(a.reached_on)}达成{a.get_form_display()}，编号{a.number}{effective}。")
        c = a.confirmations.select_related("court").order_by("-id").first()
        if c is not None:
            outcome.append(f"{L.cn_date(c.applied_on)}双方共同向{c.court.name}申请司法确认，"
                           f"结果：{ConfirmationResult(c.result).label}。")
        obligations = list(a.obligations.all())
        if obligations:
            done = all(o.status == "done" for o in obligations)
            outcome.append("协议义务已全部履行完毕。" if done else "协议义务尚未全部履行。")
    else:
        ended = [m for m in rounds if m.status in ("failed", "refused")]
        if ended:
            m = ended[-1]
            told = "、".join(_ROUTE_HINTS[r][0] for r in (m.routes_told or []) if r in _ROUTE_HINTS)
            outcome.append(f"调解不成，{L.cn_date(m.ended_on)}终止调解：{(m.end_reason or '').rstrip('。')}。"
                           + (f"已告知当事人可以{told}。" if told else ""))
        else:
            outcome.append("尚未达成调解协议。")
    visits = list(case.follow_ups.order_by("visited_on", "id"))
    if visits:
        v = visits[-1]
        outcome.append(f"回访{len(visits)}次，最近一次{L.cn_date(v.visited_on)}，当事人{v.get_satisfaction_display()}。")
    items = base["items"]
    present = [i["name"] for i in items if i["present"]]
    missing = [i["name"] for i in items if i["required"] and not i["present"]]
    absent = [i["name"] for i in items if not i["required"] and not i["present"]]
    contents = f"卷内材料：{'、'.join(present) or '无'}。" + (f"缺少必备材料：{'、'.join(missing)}。" if missing else "必备材料齐全。") \
        + (f"未入卷（按需）：{'、'.join(absent)}。" if absent else "")
    filing = (f"由{base['filed_by']}于{base['filed_on']}立卷，保管期限{base['retention']}。" if base["sealed"]
              else "尚未立卷。")
    return {**base, "about": about, "steps": [{"text": s} for s in steps], "steps_text": "\n".join(steps),
            "outcome": "".join(outcome), "contents": contents, "missing": [{"name": n} for n in missing],
            "filing": filing}


def _note_layout(c: Context) -> L.Doc:
    return L.Doc(title="卷宗情况说明", number=f"卷号：{c['number']}", blocks=[
        L.Text("一、案件基本情况", bold=True), L.Text(c["about"], indent=True),
        L.Text("二、调解经过", bold=True), L.Text(c["steps_text"], indent=True),
        L.Text("三、调解结果", bold=True), L.Text(c["outcome"], indent=True),
        L.Text("四、卷内材料", bold=True), L.Text(c["contents"], indent=True),
        L.Text("五、立卷情况", bold=True), L.Text(c["filing"], indent=True),
        L.Spacer(4),
        L.Text(f"立卷人（签名）：＿＿＿＿＿＿＿＿    {c['issued_on']}", align="right"),
    ])


def _back_context(case: Any, subject: str) -> Context:
    return _archive_context(case)


def _back_layout(c: Context) -> L.Doc:
    rows = (
        L.row(L.Cell("本卷情况说明", span=4, bold=True, align="center")),
        L.row(L.Cell(f"本卷共＿＿＿＿件，共＿＿＿＿页。\n卷名：{c['volume_title']}\n卷号：{c['number']}", span=4)),
        L.row(L.label("立卷人"), c["filed_by"], L.label("立卷日期"), c["filed_on"]),
        L.row(L.label("检查人"), "", L.label("检查日期"), L.cn_date(None)),
    )
    return L.Doc(title="封    底", heading=c["committee"], blocks=[
        L.Spacer(12),
        L.Table(widths=(2.6, 4.4, 2.6, 4.4), rows=rows, min_height=16.0, size=L.BODY_PT),
    ])


_ARCHIVE_BASIS = "人民调解法 第27条；legal-rules §4.1、§4.2"

register(DocType(
    code="archive_cover", title="卷宗封面", side="archive", sort=190,
    available=_mediated, context=_cover_context, layout=_cover_layout, fields=_ARCHIVE_FIELDS,
    required=("committee", "volume_title", "number", "mediators", "mediated_from", "filed_by", "filed_on", "retention"),
    produced_by=("archive",), basis=_ARCHIVE_BASIS,
))

register(DocType(
    code="archive_contents", title="卷内目录", side="archive", sort=191,
    available=_mediated, context=_contents_context, layout=_contents_layout, fields=_ARCHIVE_FIELDS,
    required=("number", "items"), produced_by=("archive",), basis=_ARCHIVE_BASIS,
))

register(DocType(
    code="archive_note", title="卷宗情况说明", side="archive", sort=192,
    available=_mediated, context=_note_context, layout=_note_layout,
    fields={**_ARCHIVE_FIELDS, "about": "案件基本情况", "steps": "调解经过（列表：text，每轮一条）",
            "steps_text": "调解经过（文本）", "outcome": "调解结果", "contents": "卷内材料及缺少的材料",
            "missing": "缺少的必备材料（列表：name）", "filing": "立卷情况"},
    required=("number", "about", "steps", "outcome", "contents", "filing"),
    produced_by=("archive",), basis=_ARCHIVE_BASIS + "（卷宗情况说明：按需）",
))

register(DocType(
    code="archive_back", title="封底", side="archive", sort=193,
    available=_mediated, context=_back_context, layout=_back_layout, fields=_ARCHIVE_FIELDS,
    required=("number", "filed_by", "filed_on"), produced_by=("archive",), basis=_ARCHIVE_BASIS,
))
