"""The built-in people's-mediation forms (builtin/mediation.py), each issued through the services from
a case driven into the right state: the Word file opens and the PDF (A4, its font embedded, the
expected number of pages) both carry the parties, the number, the form's legal wording and its dates
in Chinese form; the context is plain JSON and names only documented placeholders; a form the case
does not have is NotFound; issuing again without a change returns the same row."""

from __future__ import annotations

import json
from typing import Any

import pypdfium2 as pdfium
import pytest
from django.utils import timezone

from fangtiao.cases.tests.factories import act, case_in_state, person
from fangtiao.core.errors import NotFound
from fangtiao.documents import catalogue, services
from fangtiao.documents.layout import cn_date
from fangtiao.documents.tests.support import A4_POINTS, docx_text, pdf_fonts, pdf_pages, pdf_text
from fangtiao.mediation.models import ArchiveFile, Obligation
from fangtiao.mediation.tests.support import (
    agreed_case,
    agreement,
    current_round,
    head,
    held,
    mediating_case,
    mediator,
    parties,
)

MINE = ("mediation_application", "mediation_register", "rights_notice", "acceptance_instructions", "investigation_record",
        "oral_agreement", "termination_notice", "confirmation_application_person", "confirmation_application_unit",
        "follow_up_record", "archive_cover", "archive_contents", "archive_note", "archive_back")


def _squash(text: str) -> str:
    """Text without white space: a PDF breaks lines inside words, Word splits cells into paragraphs."""
    return "".join(text.split())


def issue(xw: Any, case: Any, code: str, *, expect: list[str], pages: int, subject: str = "",
          number: str | None = None) -> tuple[Any, bytes]:
    """Issue `code`, check both files and the context; (row, pdf bytes)."""
    officer = head(xw)
    row = services.document_issue(case=case, doc_type=code, subject=subject, actor=officer)
    assert services.document_issue(case=case, doc_type=code, subject=subject, actor=officer).pk == row.pk
    doc = catalogue.get(code)
    own = doc.context(case, row.subject)
    plain = {k: v for k, v in own.items() if not k.startswith("_")}
    json.dumps(plain)  # strings, bools, lists of dicts: nothing else
    assert set(plain) <= set(doc.all_fields), set(plain) - set(doc.all_fields)
    assert set(doc.required) <= set(doc.all_fields)
    if number is not None:
        assert row.number == number
        expect = [*expect, number]
    docx, _, _ = services.document_file(row=row, fmt="docx", actor=officer)
    pdf, _, _ = services.document_file(row=row, fmt="pdf", actor=officer)
    word, printed = _squash(docx_text(docx)), _squash(pdf_text(pdf))
    for text in expect:
        assert _squash(text) in word, (code, "docx", text)
        assert _squash(text) in printed, (code, "pdf", text)
    fonts = pdf_fonts(pdf)
    assert fonts and all(f["embedded"] for f in fonts), fonts
    assert pdf_pages(pdf) == [A4_POINTS] * pages, (code, pdf_pages(pdf))
    assert row.pdf_pages == pages
    return row, pdf


def missing(xw: Any, case: Any, *codes: str) -> None:
    for code in codes:
        with pytest.raises(NotFound):
            services.document_issue(case=case, doc_type=code, actor=head(xw))


def names_of(case: Any) -> list[str]:
    return [p.name for p in parties(case)]


def today() -> str:
    return cn_date(timezone.localdate())


def first_page_png(pdf: bytes, path: Any) -> int:
    """Render page 1 to `path`; the number of dark pixels (a blank page has none)."""
    doc = pdfium.PdfDocument(pdf)
    try:
        image = doc[0].render(scale=1.5).to_pil()
    finally:
        doc.close()
    image.save(path)
    assert path.stat().st_size > 10_000
    return sum(image.convert("L").histogram()[:128])


def test_every_form_is_registered_with_its_placeholders():
    for code in MINE:
        doc = catalogue.get(code)
        assert doc is not None, code
        assert doc.fields and doc.required and doc.produced_by and doc.basis, code
        assert all(desc for desc in doc.fields.values()), code
        assert code in catalogue.ARCHIVE_ORDER
    assert catalogue.get("termination_notice").number_word == "人调终"
    assert [c for c in MINE if catalogue.get(c).number_word] == ["termination_notice"]
    assert catalogue.get("acceptance_instructions").national is False
    assert {c for c in MINE if catalogue.get(c).court} == {"confirmation_application_person",
                                                          "confirmation_application_unit"}


def test_the_intake_forms_of_a_petition_sent_to_mediation(xw):
    """申请书, 受理登记表 (卷号, 信访部门移交), 权利义务告知书 and 接受调解须知 of the round."""
    case = mediating_case(xw)
    for p in parties(case):
        case = act(case, mediator(xw), "record_notice", party=p.pk, wants_public=False)
    first, second = names_of(case)
    committee = xw.units["t01_committee"].name
    m = current_round(case)
    issue(xw, case, "mediation_application", pages=1, expect=[
        "人民调解申请书", first, second, "纠纷简要情况", "物业公司重复收取电梯维修费", "申请事项", "一、退还多收的费用",
        "自愿申请人民调解委员会调解", "此致", committee, "签名盖章或按指印", "指印", today()])
    issue(xw, case, "mediation_register", number=m.number, pages=1, expect=[
        "人民调解受理登记表", f"本人民调解委员会经当事人同意，调解{first}、{second}之间的纠纷", "纠纷类型",
        case.category.name, "■信访部门移交·委托", "□当事人申请", "□人民调解委员会主动调解", "□公安机关移交",
        "□审判机关委托", "□政府部门指定", "纠纷简要情况", "当事人签名", "登记人签名", "调委会印章", committee, today()])
    issue(xw, case, "rights_notice", pages=1, expect=[
        "当事人权利义务告知书", f"{first}、{second}：", "（一）选择或者接受人民调解员",
        "（二）接受调解、拒绝调解或者要求终止调解", "要求调解公开进行或者不公开进行", "自主表达意愿、自愿达成调解协议",
        "如实陈述纠纷事实", "遵守调解现场秩序，尊重人民调解员", "尊重对方当事人行使权利", "不收取任何费用",
        "本人已阅知", f"申请人 {first}（签名或按指印）", f"被申请人 {second}（盖章）", "指印", m.number, today()])
    issue(xw, case, "acceptance_instructions", pages=2, expect=[
        "当事人接受调解须知", "自愿、平等", "当事人一方明确拒绝调解的，不得调解", "要求终止调解", "不公开进行",
        "个人隐私和商业秘密", "不收取任何费用", "三十日内共同向人民法院申请司法确认", "■不公开调解", "□公开调解",
        "本人已阅读并理解以上须知，自愿接受调解", f"申请人 {first}", f"被申请人 {second}", today()])
    missing(xw, case, "investigation_record", "mediation_record", "agreement", "petition_agreement", "oral_agreement",
            "termination_notice", "confirmation_application_unit", "follow_up_record", "archive_cover", "archive_back")
    missing(xw, case_in_state(xw, "accepted"), "mediation_application", "mediation_register", "rights_notice",
            "acceptance_instructions")  # not sent to mediation: no round


def test_records_agreement_and_the_confirmation_application_with_a_company(xw, tmp_path):
    """调查记录 and 调解记录 per session, the 协议书 with its mediator (and a look at its first page), and the
    司法确认申请书 of a person and a company (the unit variant: the person variant is not available)."""
    case = mediating_case(xw, kind="dispute", nature=None)
    case = act(case, mediator(xw), "record_session", kind="investigation", place="东城物业服务中心",
               participants="物业项目经理李某", applicant_statement="每户多收300元", evidence="查看收费票据3张",
               outcome="continue", recorder="陈记录")
    case = agreed_case(xw, case=case)
    first, second = names_of(case)
    issue(xw, case, "investigation_record", pages=1, expect=[
        "人民调解调查记录", "被调查人", "物业项目经理李某", "东城物业服务中心", "查看收费票据3张", "每户多收300元",
        "调查人", "王小明", "陈记录", today()])
    issue(xw, case, "mediation_record", pages=2, expect=[
        "人民调解记录", "物业多收电梯费300元", "同意退还", "王小明", first, second, today()])
    a = agreement(case)
    _, pdf = issue(xw, case, "agreement", number=a.number, pages=2, expect=[
        "人民调解协议书", first, second, "经调解，自愿达成如下协议", "物业公司退还多收的电梯维修费", "履行方式、时限",
        "本协议一式三份", f"当事人 {first}（签名盖章或按指印）", f"当事人 {second}（盖章）", "法定代表人或委托代理人",
        "人民调解员 王小明（签名）", f"{xw.units['t01_committee'].name}（印）", today()])
    assert first_page_png(pdf, tmp_path / "agreement.png") > 5_000
    missing(xw, case, "confirmation_application_person", "petition_agreement", "oral_agreement", "termination_notice")
    doc = catalogue.get("confirmation_application_unit")
    ctx, day, _, _ = services.build_context(case, doc, "")  # available before applying, within the 30 days
    court = xw.units["court"]  # the one competent court (民事诉讼法 第205条) is filled in
    assert (ctx["court"], ctx["applied_on"], day) == (court.name, cn_date(None), a.effective_on)
    case = act(case, mediator(xw), "apply_confirmation", court=court.pk)
    issue(xw, case, "confirmation_application_unit", pages=2, expect=[
        "司法确认申请书", first, second, "信用代码", "法定代表人或委托代理人（签名）", "请求事项",
        f"经{xw.units['t01_committee'].name}主持调解达成的{a.number}人民调解协议有效", "第三十三条", "第二百零五条",
        "申请人承诺", "此致", court.name, "调解组织主持调解的证明", "已提交", "按需提交", f"申请人 {second}（盖章）",
        f"申请人 {first}（签名或按指印）", today()])
    missing(xw, case, "confirmation_application_person")


def test_a_petition_between_two_persons(xw):
    """信访事项人民调解协议书 and the 司法确认申请书 of natural persons."""
    case = agreed_case(xw, case=mediating_case(xw, parties=[person(), person(role="respondent", name="李对方")]))
    first, second = names_of(case)
    a = agreement(case)
    issue(xw, case, "petition_agreement", number=a.number, pages=2, expect=[
        "信访事项人民调解协议书", f"信访事项编号：{case.number}", first, second, "经调解，自愿达成如下协议", today()])
    issue(xw, case, "confirmation_application_person", pages=2, expect=[
        "司法确认申请书", first, second, "身份证号", "请求人民法院依法确认", a.number, "调解协议",
        f"申请人 {first}（签名或按指印）", f"申请人 {second}（签名或按指印）"])
    missing(xw, case, "agreement", "confirmation_application_unit")


def test_oral_agreement_failure_and_refusal(xw):
    """口头协议登记表; 终止调解通知书 numbered per round (人调终), with the routes and limitation hints."""
    oral = held(mediating_case(xw), xw)
    oral = act(oral, mediator(xw), "agree", form="oral", terms="物业公司当场致歉并退还300元", performance="当场履行完毕")
    a = agreement(oral)
    first, second = names_of(oral)
    issue(xw, oral, "oral_agreement", number=a.number, pages=1, expect=[
        "人民调解口头协议登记表", first, second, "协议内容", "物业公司当场致歉并退还300元", "当场履行完毕",
        "第三十条", "王小明", f"达成日期{today()}", "调委会印章", xw.units["t01_committee"].name])
    missing(xw, oral, "agreement", "petition_agreement", "confirmation_application_person",
            "confirmation_application_unit", "termination_notice")

    failed = held(mediating_case(xw, kind="dispute", nature=None), xw, outcome="failed")
    failed = act(failed, mediator(xw), "fail", reason="物业公司拒绝退费", next="litigation", routes_told=["arbitration"])
    m = current_round(failed)
    short = xw.units["t01_committee"].short_name
    row, _ = issue(xw, failed, "termination_notice", subject=f"round:{m.pk}", pages=1, expect=[
        "终止调解通知书", *names_of(failed), "因物业公司拒绝退费", "第二十六条", "终止调解", m.number,
        "申请仲裁", "一年", "向人民法院提起诉讼", "三年", "诉讼时效自提出请求之日起中断", "送达回执", "收件人签名",
        f"{xw.units['t01_committee'].name}（印）", today()])
    assert row.number.startswith(f"{short}人调终〔{timezone.localdate().year}〕")
    contents, _, _, _ = services.build_context(failed, catalogue.get("archive_contents"), "")
    assert {"name": "终止调解通知书（调解不成）", "present": False, "required": False} in [
        {k: i[k] for k in ("name", "present", "required")} for i in contents["items"]]

    refused = mediating_case(xw)
    refused = act(refused, mediator(xw), "record_notice", party=parties(refused)[1].pk, consent="refused")
    (key, _), = catalogue.get("termination_notice").subjects(refused)
    ctx, _, _, _ = services.build_context(refused, catalogue.get("termination_notice"), key)
    assert ctx["refused"] and "明确拒绝调解" in ctx["reason"] and ctx["articles"] == "第十七条、第二十六条"
    assert [r["code"] for r in ctx["routes"]] == ["handling"]
    assert ctx["number"] != row.number and ctx["number"].startswith(f"{short}人调终〔")
    missing(xw, refused, "mediation_register", "archive_cover", "archive_contents", "archive_note", "archive_back")


def test_follow_up_and_the_archive(xw, tmp_path):
    """回访记录, then the 卷宗 before and after sealing (卷号, cover, contents, note, back), and a look at the
    cover's first page."""
    case = agreed_case(xw, case=mediating_case(xw, kind="dispute", nature=None))
    (ob,) = Obligation.objects.filter(case=case)
    case = act(case, mediator(xw), "record_performance", obligation=ob.pk, proof_kind="receipt")
    m = current_round(case)
    draft, _, _, _ = services.build_context(case, catalogue.get("archive_cover"), "")
    assert (draft["number"], draft["filed_by"], draft["sealed"]) == (m.number, "", False)
    case = act(case, mediator(xw), "follow_up", method="phone", satisfaction="satisfied", performance="已退款300元",
               party=parties(case)[0].pk, risk="无", measures="继续关注")
    case = act(case, head(xw), "close", note="履行完毕")
    case = act(case, head(xw), "archive", note="")
    f = ArchiveFile.objects.get(case=case)
    first, second = names_of(case)
    a = agreement(case)
    filer = head(xw).name
    issue(xw, case, "follow_up_record", pages=1, expect=[
        "人民调解回访记录", first, a.number, case.title, "电话回访", "已退款300元", "■满意", "□不满意",
        "是否就履行提起诉讼", "否", "继续关注", mediator(xw).name, today()])
    cover, cover_pdf = issue(xw, case, "archive_cover", pages=1, expect=[
        "人民调解卷宗", f.unit.name, f.title, f.number, "王小明", f"自{today()}至{today()}", filer, "■长期（30年）",
        "□永久"])
    assert cover.number == f.number == m.number
    issue(xw, case, "archive_contents", pages=1, expect=[
        "卷内目录", "序号", "文书名称", "页号", "备注", "人民调解申请书或受理登记表", "当事人权利义务告知书", "必须",
        "授权委托书", "按需（本卷无）", "回访记录", "封底", f.number])
    issue(xw, case, "archive_note", pages=1, expect=[
        "卷宗情况说明", first, second, "调解经过", "第1轮", f"卷号{m.number}", f"编号{a.number}", "调解1次",
        "协议义务已全部履行完毕", "回访1次",
        "必备材料齐全", f"由{filer}于{today()}立卷", "长期（30年）"])
    issue(xw, case, "archive_back", pages=1, expect=[
        "封底", "本卷共", "件，共", "页", "立卷人", filer, "检查人", "立卷日期", today(), f.number])
    assert first_page_png(cover_pdf, tmp_path / "cover.png") > 5_000


def test_the_agreement_records_who_signed_with_the_handwriting_captured_on_the_tablet(xw, tmp_path):
    """人民调解法 第29条: the 签署记录 under the agreement: each signer, how, when; the tablet's PNG drawn in."""
    import base64
    import io as _io

    from PIL import Image as PILImage

    from fangtiao.mediation.tests.support import agree_body
    from fangtiao.mediation.tests.support import parties as parties_of

    buf = _io.BytesIO()
    img = PILImage.new("RGB", (240, 80), "white")
    for x in range(20, 220):  # a stroke
        img.putpixel((x, 40 + (x % 13) - 6), (0, 0, 0))
    img.save(buf, format="PNG")
    stroke = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()

    case = held(mediating_case(xw), xw, outcome="agreed")
    case = act(case, mediator(xw), "agree", signed=False, **agree_body(case))
    code = "petition_agreement" if case.kind == "petition" else "agreement"
    before = services.document_issue(case=case, doc_type=code, actor=mediator(xw))
    p0 = parties_of(case)[0]
    case = act(case, mediator(xw), "sign_agreement", signatures=[{"signer": str(p0.pk), "method": "sign", "image": stroke}])
    after = services.document_issue(case=case, doc_type=code, actor=mediator(xw))
    assert after.version == before.version + 1 and after.number == before.number

    docx, _, _ = services.document_file(row=after, fmt="docx", actor=mediator(xw))
    word = docx_text(docx)
    assert "签署记录" in word and p0.name in word and "签名" in word
    from docx import Document as open_docx

    assert len(open_docx(_io.BytesIO(docx)).inline_shapes) == 1  # the handwriting, as a picture in Word
    pdf, _, _ = services.document_file(row=after, fmt="pdf", actor=mediator(xw))
    assert "签署记录" in pdf_text(pdf)
    import pypdf

    reader = pypdf.PdfReader(_io.BytesIO(pdf))
    assert sum(len(page.images) for page in reader.pages) == 1  # and in the PDF
