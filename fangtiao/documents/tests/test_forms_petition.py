"""The petition-side forms (builtin/petition.py), each issued from a case driven through the
lifecycle services: the Word file opens and the PDF (CJK font embedded, A4) both carry the
parties, the number, the form's legal content and the dates in Chinese form; a form is not there
before its action; issuing again without a change gives the same row.

PDFs take about a second each, so one case serves several forms where the lifecycle allows."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.utils import timezone

from fangtiao.cases import services as case_services
from fangtiao.cases.tests.factories import act, actor_for, case_in_state, fresh, intake, valid_payload
from fangtiao.core.errors import NotFound
from fangtiao.documents import catalogue, services
from fangtiao.documents import layout as L
from fangtiao.documents.tests.support import A4_POINTS, docx_text, pdf_fonts, pdf_pages, pdf_text

OURS = ("petition_register", "acceptance_notice", "intake_receipt", "non_acceptance_notice", "transfer_slip",
        "extension_notice", "handling_opinion", "review_opinion", "recheck_opinion")
CJK_FAMILY = re.compile(r"CJK|Ming|Hei|Song|Sun|Kai|Fang", re.IGNORECASE)


def _do(xw: Any, case: Any, action: str, **changes: Any) -> Any:
    actor = actor_for(xw, case, action)
    return act(case, actor, action, **{**valid_payload(xw, case, action, actor), **changes})


def _petitioner(case: Any) -> str:
    return next(p.name for p in case.parties.all() if p.role == "petitioner")


def _today() -> str:
    return L.cn_date(timezone.localdate())


def issue(case: Any, code: str, actor: Any, *expected: str, subject: str = "", pages: int = 1) -> tuple[Any, str]:
    """Issue `code`, check both files, and that issuing again returns the same row; (row, Word text)."""
    row = services.document_issue(case=case, doc_type=code, subject=subject, actor=actor)
    again = services.document_issue(case=fresh(case), doc_type=code, subject=subject, actor=actor)
    assert again.pk == row.pk and again.version == row.version

    docx, name, _ = services.document_file(row=row, fmt="docx", actor=actor)
    pdf, _, ctype = services.document_file(row=row, fmt="pdf", actor=actor)
    assert name.endswith(".docx") and ctype == "application/pdf"
    word = docx_text(docx)  # opens with python-docx
    text = pdf_text(pdf)
    flat = re.sub(r"\s+", "", text)  # PDF lines break inside long sentences
    must = [catalogue.get(code).title if code != "intake_receipt" else "登记回执", *expected]
    if row.number:
        must.append(row.number)
    for term in must:
        assert term in word, (code, "docx", term)
        assert re.sub(r"\s+", "", term) in flat, (code, "pdf", term)

    fonts = pdf_fonts(pdf)
    assert fonts and all(f["embedded"] for f in fonts), fonts
    assert any(CJK_FAMILY.search(str(f["name"])) for f in fonts), fonts
    assert pdf_pages(pdf) == [A4_POINTS] * pages, (code, pdf_pages(pdf))

    # The context is plain data and every own placeholder is described for district templates.
    ctx = services.document_context(row)
    json.dumps(ctx, ensure_ascii=False)
    doc = catalogue.get(code)
    assert set(ctx) <= set(doc.all_fields), set(ctx) - set(doc.all_fields)
    assert set(doc.fields) <= set(ctx), set(doc.fields) - set(ctx)
    return row, word


def context_of(case: Any, code: str, subject: str = "") -> dict[str, Any]:
    """The context the next issue would use, without drawing the files."""
    return services.build_context(fresh(case), catalogue.get(code), subject)[0]


def refused(case: Any, code: str, actor: Any) -> None:
    with pytest.raises(NotFound):
        services.document_issue(case=fresh(case), doc_type=code, actor=actor)


def test_catalogue_entries_are_complete():
    for code in OURS:
        doc = catalogue.get(code)
        assert doc is not None, code
        assert set(doc.required) <= set(doc.all_fields), (code, set(doc.required) - set(doc.all_fields))
        assert doc.basis and doc.produced_by and all(doc.fields.values())
    words = {c: catalogue.get(c).number_word for c in OURS}
    assert words["non_acceptance_notice"] == "不受告" and words["extension_notice"] == "延告"
    assert words["handling_opinion"] == "处意" and words["review_opinion"] == "复查" and words["recheck_opinion"] == "复核"
    assert not catalogue.get("transfer_slip").national
    orders = [d.code for d in catalogue.all_types() if d.code in OURS]
    assert orders[:2] == ["petition_register", "acceptance_notice"]


def test_register_receipt_and_acceptance_notice(xw):
    clerk = xw.w.users["clerk_t01"]
    case, query_code = case_services.case_register(actor=clerk, data=intake(demands="退还多收的电梯维修费300元。"))
    case = fresh(case)
    name = _petitioner(case)
    received = L.cn_date(timezone.localtime(case.received_at).date())

    refused(case, "acceptance_notice", clerk)  # not before the decision to accept (第23条)
    _, word = issue(case, "intake_receipt", clerk, name, case.number, received, "来访", "小区物业费收取争议",
                    "退还多收的电梯维修费300元", "书面告知受理", "凭事项编号和查询码可在网上查询办理进度", "（盖章）")
    assert query_code not in word  # the code is shown once at registration; only its hash is kept
    assert "东城街道联合调解分中心" in word

    _, word = issue(case, "petition_register", clerk, name, case.number, "投诉请求", "物业公司重复收取电梯维修费",
                    "收费无依据", "口头信访记录", received)

    case = _do(xw, case, "accept")
    officer = xw.user(case.holder_unit, "officer")
    row, word = issue(case, "acceptance_notice", officer, name, case.number, "予以受理", _today(), "受告〔")
    clock = case.clocks.get(code="petition.handling")
    assert L.cn_date(clock.due_on) in word

    # A receipt once handed over does not change: it keeps the periods started at registration, even
    # though acceptance stopped them and started the 60-day handling period (same day here).
    ctx = context_of(case, "intake_receipt")
    assert [k["name"] for k in ctx["clocks"]] == ["信访部门登记后处理（转送/交办）", "书面告知受理"]
    assert query_code not in json.dumps(ctx, ensure_ascii=False)


def test_dispute_gets_a_receipt_but_no_petition_forms(xw):
    clerk = xw.w.users["clerk_t01"]
    case, _code = case_services.case_register(actor=clerk, data=intake(kind="dispute", nature=None, channel="visit"))
    case = fresh(case)
    ctx = context_of(case, "intake_receipt")
    assert ctx["petitioner_label"] == "申请人" and "query" not in json.dumps(ctx)
    layout = services.layout_of(catalogue.get("intake_receipt"), ctx, timezone.localdate())
    assert layout.title == "矛盾纠纷登记回执" and layout.heading == case.registered_unit.name
    for code in ("petition_register", "non_acceptance_notice", "handling_opinion"):
        refused(case, code, clerk)


def test_non_acceptance_notice_when_not_accepted(xw):
    case = case_in_state(xw, "not_accepted")
    officer = xw.user(case.holder_unit, "officer")
    for code in ("extension_notice", "handling_opinion", "review_opinion", "recheck_opinion", "transfer_slip",
                 "acceptance_notice"):
        refused(case, code, officer)
    row, word = issue(case, "non_acceptance_notice", officer, _petitioner(case), case.number, "不予受理",
                      "该事项已经或者依法应当通过诉讼途径解决", "告知的法定途径：诉讼", "人民法院提起诉讼",
                      "第二十三条、第三十一条", "东城街道联合调解分中心", _today())
    assert row.number.startswith(case.holder_unit.short_name + "不受告〔")

    # Closing the case does not take its notice away, nor change it.
    case = _do(xw, case, "close")
    assert services.document_issue(case=case, doc_type="non_acceptance_notice", actor=officer).pk == row.pk


def test_non_acceptance_notice_when_diverted(xw):
    accepted = case_in_state(xw, "accepted")
    officer = xw.user(accepted.holder_unit, "officer")
    refused(accepted, "non_acceptance_notice", officer)
    case = _do(xw, accepted, "divert", route="arbitration", note="可向台州仲裁委员会申请仲裁。")
    row = services.document_issue(case=case, doc_type="non_acceptance_notice", actor=officer)
    ctx = services.document_context(row)
    assert ctx["diverted"] and ctx["decision"] == "导入法定途径"
    assert "第三十一条第二项" in ctx["reason"] and "仲裁机构" in ctx["route"]
    assert ctx["route_note"] == "可向台州仲裁委员会申请仲裁。"
    assert ctx["issued_on"] == _today() and "不受告〔" in row.number
    word = docx_text(services.document_file(row=row, fmt="docx", actor=officer)[0])
    assert "不再按信访程序受理办理" in word and "第二十八条" in word and _petitioner(case) in word


def test_extension_handling_review_and_recheck(xw):
    case = case_in_state(xw, "handling")
    name = _petitioner(case)
    handler_unit = case.holder_unit
    officer = xw.user(handler_unit, "officer")
    refused(case, "extension_notice", officer)
    refused(case, "handling_opinion", officer)

    case = _do(xw, case, "extend", days=30, reason="情况复杂，需现场核查")
    leader = actor_for(xw, case, "extend")
    clock = case.clocks.get(code="petition.handling")
    issue(case, "extension_notice", officer, name, case.number, "延长30日", "情况复杂，需现场核查",
          f"批准人：{leader.name}", L.cn_date(clock.due_on), "第三十四条", _today(), "延告〔")

    case = _do(xw, case, "reply", outcome="explain", request="退还多收的电梯维修费", facts="经查物业公司收费有合同依据",
               opinion="物业公司收费符合合同约定，已向信访人解释说明", basis="《物业管理条例》第四十一条")
    opinion, _ = issue(case, "handling_opinion", officer, name, case.number, "投诉请求", "事实和理由", "处理意见",
                       "法律法规依据", "退还多收的电梯维修费", "经查物业公司收费有合同依据",
                       "《物业管理条例》第四十一条", "□予以支持", "■解释说明", "□不予支持",
                       "自收到本意见书之日起30日内", "上一级机关请求复查", "处意〔", _today())
    assert opinion.number.startswith(handler_unit.short_name)
    refused(case, "review_opinion", officer)

    case = _do(xw, case, "request_review")
    refused(case, "review_opinion", officer)  # requested, not yet answered
    case = _do(xw, case, "answer_review", outcome="explain", opinion="原处理意见认定事实清楚，维持并作解释说明")
    centre = xw.units["centre"]
    assert case.holder_unit_id == centre.pk
    # The opinion already given is the handling unit's, though the case is now held by the review organ.
    again = context_of(case, "handling_opinion")
    assert again["number"] == opinion.number and again["issuing_unit"] == handler_unit.name
    assert again["issued_on"] == _today()
    review, _ = issue(case, "review_opinion", xw.user(centre, "officer"), name, case.number, "复查意见",
                      "原处理意见认定事实清楚，维持并作解释说明", "不服处理意见", "■解释说明",
                      "上一级机关请求复核", "第三十六条", centre.name, _today(), "复查〔")
    assert review.number.startswith(centre.short_name)  # the review organ numbers its own opinion
    refused(case, "recheck_opinion", officer)

    case = _do(xw, case, "request_re_review")
    case = _do(xw, case, "record_hearing", days=10, note="举行听证")
    case = _do(xw, case, "answer_re_review", outcome="reject", opinion="复查意见正确，予以维持")
    bureau = xw.city_bureau
    recheck, _ = issue(case, "recheck_opinion", xw.user(bureau, "officer"), name, case.number, "复核意见",
                       "复查意见正确，予以维持", "■不予支持", "不再受理", "同一事实和理由", "听证所用10日",
                       bureau.name, _today(), "复核〔")
    assert recheck.number.startswith(bureau.short_name)


def test_transfer_slip_with_its_receipt(xw):
    case = case_in_state(xw, "transferring")
    first = case.transfers.get()
    sender = xw.user(first.from_unit, "officer")
    row, word = issue(case, "transfer_slip", sender, _petitioner(case), case.number, first.from_unit.name,
                      first.to_unit.name, "小区物业费收取争议", "退还多收的费用", "■转送交办", "□移交调解", "信访人：",
                      "请签收办理", "经办人", "工作移交单回执", "接收单位签收（盖章）", "签收人", "签收时间",
                      "退回理由", "□已签收", _today(), subject=f"transfer:{first.pk}")
    assert row.number == first.number and row.subject == f"transfer:{first.pk}"
    assert "沿此线剪开" in word

    case = _do(xw, case, "return", reason="不属于本单位职责范围")
    case = _do(xw, case, "transfer")
    second = case.transfers.exclude(pk=first.pk).get()
    receiver = actor_for(xw, case, "receive")
    case = _do(xw, case, "receive")

    doc = catalogue.get("transfer_slip")
    assert doc.subjects(case) == [(f"transfer:{first.pk}", first.number), (f"transfer:{second.pk}", second.number)]
    ctx = context_of(case, "transfer_slip", f"transfer:{first.pk}")  # the receipt slip is filled in
    assert ctx["number"] == first.number and ctx["status"] == "已退回"
    assert ctx["returned"] and ctx["return_reason"] == "不属于本单位职责范围" and not ctx["received_by"]
    assert ctx["returned_at"].startswith(_today())

    row, _ = issue(case, "transfer_slip", sender, second.number, "■已签收", receiver.name, "年",
                   subject=f"transfer:{second.pk}")
    assert services.document_context(row)["received_at"].startswith(_today())
    with pytest.raises(NotFound):
        services.document_issue(case=case, doc_type="transfer_slip", subject="transfer:999999", actor=sender)
