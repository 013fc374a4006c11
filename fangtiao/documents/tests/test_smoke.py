"""The frame works end to end: issue, same again, Word opens, PDF embeds its font."""

from __future__ import annotations

import io

import pypdf
from docx import Document as open_docx

from fangtiao.cases.tests.factories import case_in_state
from fangtiao.documents import services
from fangtiao.documents.tests.support import pdf_text
from fangtiao.mediation.tests.support import agreed_case


def test_issue_agreement_and_notice(xw):
    case = agreed_case(xw)
    officer = xw.user("t01_committee", "mediator")
    code = "petition_agreement" if case.kind == "petition" else "agreement"
    row = services.document_issue(case=case, doc_type=code, actor=officer)
    again = services.document_issue(case=case, doc_type=code, actor=officer)
    assert again.pk == row.pk
    data, name, ctype = services.document_file(row=row, fmt="docx", actor=officer)
    text = "\n".join(p.text for p in open_docx(io.BytesIO(data)).paragraphs)
    assert "经调解，自愿达成如下协议" in text
    pdf, _, _ = services.document_file(row=row, fmt="pdf", actor=officer)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert reader.pages[0].mediabox.width == 595 or round(float(reader.pages[0].mediabox.width)) == 595
    assert "人民调解协议书" in pdf_text(pdf)
    accepted = case_in_state(xw, "accepted")
    clerk = xw.user("t01_petition", "clerk") if "t01_petition" in xw.units else officer
    n = services.document_issue(case=accepted, doc_type="acceptance_notice", actor=accepted.registered_by or clerk)
    assert "受告〔" in n.number
