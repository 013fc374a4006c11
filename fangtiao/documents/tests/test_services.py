"""Issuing documents (documents.services.document_issue): the 文号 of a numbered form, one row per
unchanged case and a new version under the same number when the case changes, byte-for-byte
reproducible files, encryption at rest, and the audit trail of issuing and downloading."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
from django.utils import timezone

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.tests.factories import act, case_in_state, fresh, frozen, make_case
from fangtiao.core import crypto
from fangtiao.core.errors import NotFound
from fangtiao.core.models import NumberSequence
from fangtiao.documents import services
from fangtiao.documents.models import Document, DocumentNumber
from fangtiao.documents.render_docx import render_docx
from fangtiao.documents.render_pdf import render_pdf
from fangtiao.documents.tests.support import docx_text, pdf_text
from fangtiao.mediation.tests.support import agreed_case, agreement, liaison, mediator, parties

NUMBER = re.compile(r"^(?P<unit>.+)受告〔(?P<year>\d{4})〕(?P<n>\d+)号$")


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    """Files go to a fresh folder, so a test can look at exactly what was written to disk."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def _fake_pdf(layout):  # type: ignore[no-untyped-def]
    """A stand-in for the ~1–2 s CJK PDF render where a test does not read the PDF; its bytes still
    follow the layout (a changed layout gives a changed checksum)."""
    return b"%PDF-1.7\n%fake\n" + hashlib.sha256(repr(layout).encode()).hexdigest().encode() + b"\n%%EOF\n", 1


@pytest.fixture
def fast_pdf(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(services, "render_pdf", _fake_pdf)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _generated(row: Document) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="document.generated", subject_type="documents.document",
                                          subject_id=str(row.pk)))


def _accepted(xw, **overrides):  # type: ignore[no-untyped-def]
    return case_in_state(xw, "accepted", **overrides)


# --- numbering ---------------------------------------------------------------------------------

def test_acceptance_notices_are_numbered_per_unit_and_year_without_gaps(xw, fast_pdf):
    officer = xw.user("t01_subcentre", "officer")
    first, second = _accepted(xw), _accepted(xw)
    assert first.holder_unit_id == second.holder_unit_id == xw.units["t01_subcentre"].pk
    year = first.accepted_on.year

    a = services.document_issue(case=first, doc_type="acceptance_notice", actor=officer)
    b = services.document_issue(case=second, doc_type="acceptance_notice", actor=officer)
    assert a.number == f"东城分中心受告〔{year}〕1号"
    assert b.number == f"东城分中心受告〔{year}〕2号"

    # Issuing again (unchanged, or fetched for download) consumes no number.
    again = services.document_issue(case=fresh(first), doc_type="acceptance_notice", actor=officer)
    assert again.pk == a.pk and again.number == a.number
    seq = NumberSequence.objects.get(scope="doc:acceptance_notice", unit_id=xw.units["t01_subcentre"].pk, year=year)
    assert seq.last == 2  # gap-free: two notices, two numbers
    assert DocumentNumber.objects.filter(doc_type="acceptance_notice").count() == 2

    # The number is printed on the notice itself.
    data, _, _ = services.document_file(row=a, fmt="docx", actor=officer)
    assert a.number in docx_text(data)


def test_each_unit_and_year_has_its_own_sequence(xw, fast_pdf):
    officer = xw.user("t01_subcentre", "officer")
    last_year = timezone.localdate().year - 1
    with frozen(dt.date(last_year, 12, 30)):
        old = _accepted(xw, occurred_on=f"{last_year}-06-01")
    assert old.accepted_on.year == last_year
    new = _accepted(xw)
    # the 西城 sub-centre registers and accepts its own case
    west = make_case(xw, actor=xw.w.users["clerk_t02"], region="331003002201")
    west = act(west, xw.user("t02_subcentre", "officer"), "accept", notice="已受理")
    assert west.holder_unit_id == xw.units["t02_subcentre"].pk

    n_old = services.document_issue(case=old, doc_type="acceptance_notice", actor=officer).number
    n_new = services.document_issue(case=new, doc_type="acceptance_notice", actor=officer).number
    n_west = services.document_issue(case=west, doc_type="acceptance_notice",
                                     actor=xw.user("t02_subcentre", "officer")).number
    assert NUMBER.match(n_old).groupdict() == {"unit": "东城分中心", "year": str(last_year), "n": "1"}
    assert NUMBER.match(n_new).groupdict() == {"unit": "东城分中心", "year": str(last_year + 1), "n": "1"}
    assert NUMBER.match(n_west).groupdict() == {"unit": "西城分中心", "year": str(last_year + 1), "n": "1"}
    assert len({n_old, n_new, n_west}) == 3


def test_a_served_notice_does_not_change_when_the_case_moves_on(xw, fast_pdf):
    case = case_in_state(xw, "handling")
    officer = xw.user(case.holder_unit, "officer")
    v1 = services.document_issue(case=case, doc_type="acceptance_notice", actor=officer)
    # 延长办理期限 (第34条) is told by the 延期告知书; the 受理告知书 served at acceptance stays as it was.
    case = act(case, xw.user(case.holder_unit, "leader"), "extend", days=30, reason="情况复杂，需现场核查")
    assert services.document_issue(case=case, doc_type="acceptance_notice", actor=officer).pk == v1.pk
    ext = services.document_issue(case=case, doc_type="extension_notice", actor=officer)
    assert ext.number != v1.number and "延告" in ext.number


def test_a_changed_case_gets_a_new_version_under_the_same_number(xw, fast_pdf):
    case = case_in_state(xw, "transferring")
    transfer = case.transfers.order_by("-id").first()
    receiver = xw.user(transfer.to_unit, "officer") if transfer.to_unit.kind not in (
        "township_committee", "village_committee", "district_committee") else xw.user(transfer.to_unit, "committee_head")
    sender = xw.user(transfer.from_unit, "officer")
    v1 = services.document_issue(case=case, doc_type="transfer_slip", actor=sender)
    v1_docx, _, _ = services.document_file(row=v1, fmt="docx", actor=sender)
    assert v1.number == transfer.number

    # signing for the transfer fills the receipt slip (回执) of the same 工作移交单
    case = act(case, receiver, "receive")
    v2 = services.document_issue(case=case, doc_type="transfer_slip", actor=sender)
    assert (v2.pk != v1.pk, v2.version, v2.number) == (True, 2, v1.number)
    assert v2.context_sha256 != v1.context_sha256
    assert v2.docx_sha256 != v1.docx_sha256 and v2.pdf_sha256 != v1.pdf_sha256
    assert Document.objects.filter(case=case, doc_type="transfer_slip").count() == 2  # v1 is kept
    v2_docx, _, _ = services.document_file(row=v2, fmt="docx", actor=sender)
    assert v1.number in docx_text(v2_docx)
    assert docx_text(v1_docx) != docx_text(v2_docx)


# --- determinism, integrity, encryption at rest --------------------------------------------------

def test_unchanged_case_same_row_same_bytes_and_files_encrypted_at_rest(xw, media):
    case = agreed_case(xw, signed=False)
    m = mediator(xw)
    row = services.document_issue(case=case, doc_type="petition_agreement", actor=m)
    assert row.version == 1 and row.number == agreement(case).number
    assert len(_generated(row)) == 1
    event = _generated(row)[0]
    assert event.extra["doc_type"] == "petition_agreement" and event.extra["version"] == 1
    assert event.extra["pdf_sha256"] == row.pdf_sha256 and event.actor_id == m.pk

    again = services.document_issue(case=fresh(case), doc_type="petition_agreement", actor=m)
    assert again.pk == row.pk
    assert Document.objects.filter(case=case).count() == 1
    assert len(_generated(row)) == 1  # returning the same row is not a new issue

    docx, _, _ = services.document_file(row=row, fmt="docx", actor=m)
    pdf, _, ctype = services.document_file(row=row, fmt="pdf", actor=m)
    assert ctype == "application/pdf" and pdf.startswith(b"%PDF")
    assert _sha(docx) == row.docx_sha256 and _sha(pdf) == row.pdf_sha256

    # Drawing the stored layout again gives exactly the stored files (fixed dates, fixed zip times).
    layout = services.document_layout(row)
    assert render_pdf(layout)[0] == pdf
    assert render_docx(layout) == render_docx(layout) == docx
    assert row.number in pdf_text(pdf)

    # On disk: encrypted (no name of a party, no PDF header, no zip header), only under MEDIA_ROOT.
    names = [p.name for p in parties(case)]
    assert names and all(n in docx_text(docx) for n in names)
    files = sorted(p for p in media.rglob("*") if p.is_file())
    assert {Path(row.docx.path), Path(row.pdf.path)} <= set(files)
    for path in (Path(row.docx.path), Path(row.pdf.path)):
        raw = path.read_bytes()
        assert raw.startswith(crypto.FILE_MAGIC)
        assert b"%PDF" not in raw and not raw.startswith(b"PK")
        assert all(n.encode() not in raw for n in names)
    assert row.context.startswith("v2:") and names[0] not in row.context

    # Downloads are audited with their format.
    downloads = AuditEvent.objects.filter(action="document.downloaded", subject_id=str(row.pk))
    assert sorted(e.extra["format"] for e in downloads) == ["docx", "pdf"]
    assert all(e.actor_id == m.pk for e in downloads)


def test_signing_the_agreement_issues_version_two(xw, fast_pdf):
    case = agreed_case(xw, signed=False)
    m = mediator(xw)
    v1 = services.document_issue(case=case, doc_type="petition_agreement", actor=m)
    from fangtiao.cases.tests.factories import _signatures

    case = act(case, m, "sign_agreement", **_signatures(xw, case))
    assert agreement(case).effective_on is not None
    v2 = services.document_issue(case=case, doc_type="petition_agreement", actor=m)
    assert (v2.version, v2.number, v2.subject) == (2, v1.number, v1.subject)
    assert v2.context_sha256 != v1.context_sha256
    assert services.document_context(v1)["effective_on"] == ""
    assert services.document_context(v2)["effective_on"] != ""
    assert [e.extra["version"] for e in AuditEvent.objects.filter(action="document.generated")
            .filter(extra__doc_type="petition_agreement").order_by("id")] == [1, 2]
    # both versions stay readable, each with its own checksum
    for row in (v1, v2):
        data, _, _ = services.document_file(row=row, fmt="docx", actor=m)
        assert _sha(data) == row.docx_sha256


# --- which forms, for whom -----------------------------------------------------------------------

def test_forms_a_case_does_not_have_and_readers_who_may_not_see_them(xw, fast_pdf):
    case = _accepted(xw)
    officer = xw.user("t01_subcentre", "officer")
    with pytest.raises(NotFound):
        services.document_issue(case=case, doc_type="no_such_form", actor=officer)
    with pytest.raises(NotFound):
        services.document_issue(case=case, doc_type="petition_agreement", actor=officer)  # no agreement yet
    with pytest.raises(NotFound):
        services.document_issue(case=case, doc_type="acceptance_notice", subject="session:1", actor=officer)
    registered = make_case(xw)
    with pytest.raises(NotFound):
        services.document_issue(case=registered, doc_type="acceptance_notice", actor=officer)  # not accepted
    for who in (xw.user("t01_subcentre", "expert"), xw.user("t01_subcentre", "auditor"), liaison(xw)):
        with pytest.raises(NotFound):
            services.document_issue(case=case, doc_type="petition_register", actor=who)
    assert not Document.objects.filter(case=case).exists()
    assert not DocumentNumber.objects.filter(case=case).exists()


def test_dates_on_the_forms_are_the_days_in_china(xw, fast_pdf):
    """Registered at 07:00 in Asia/Shanghai (23:00 UTC the day before): the forms say the local
    day (STYLE.md habit 12): the 登记日期 and 成文日期 of the 受理登记表 and of the 登记回执."""
    from fangtiao.documents.layout import cn_date

    day = timezone.localdate() - dt.timedelta(days=5)
    with frozen(day, hour=7):
        case = make_case(xw)
    clerk = xw.w.users["clerk_t01"]
    for code in ("petition_register", "intake_receipt"):
        row = services.document_issue(case=case, doc_type=code, actor=clerk)
        assert row.issued_on == day, code
        ctx = services.document_context(row)
        assert (ctx["received_on"], ctx["issued_on"]) == (cn_date(day), cn_date(day)), code
        data, _, _ = services.document_file(row=row, fmt="docx", actor=clerk)
        assert cn_date(day - dt.timedelta(days=1)) not in docx_text(data), code


def test_a_pdf_missing_for_want_of_a_font_is_drawn_on_first_download(xw, monkeypatch):
    """Without a CJK font the Word file is still issued (fonts.FontMissing); the PDF is drawn and
    kept when it is first asked for, and the row then carries its checksum."""
    from fangtiao.documents.fonts import FontMissing

    def no_font(layout):  # type: ignore[no-untyped-def]
        raise FontMissing("no font")

    monkeypatch.setattr(services, "render_pdf", no_font)
    case = make_case(xw)
    clerk = xw.w.users["clerk_t01"]
    row = services.document_issue(case=case, doc_type="petition_register", actor=clerk)
    assert (row.pdf_sha256, row.pdf_pages, bool(row.pdf)) == ("", None, False) and row.docx_sha256
    with pytest.raises(FontMissing) as info:
        services.document_file(row=row, fmt="pdf", actor=clerk)
    assert info.value.status == 503 and info.value.detail

    monkeypatch.setattr(services, "render_pdf", _fake_pdf)
    data, _, ctype = services.document_file(row=row, fmt="pdf", actor=clerk)
    stored = Document.objects.get(pk=row.pk)
    assert ctype == "application/pdf" and stored.pdf_sha256 == _sha(data) and stored.pdf_pages == 1
    assert services.document_file(row=stored, fmt="pdf", actor=clerk)[0] == data  # kept, not drawn again
    assert services.document_issue(case=case, doc_type="petition_register", actor=clerk).pk == row.pk
