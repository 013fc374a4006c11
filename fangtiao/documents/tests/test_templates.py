"""District templates (documents.custom, services.template_upload/template_disable): a .docx with
docxtpl placeholders is checked on upload (Word, Jinja syntax, known and required placeholders,
size, who may upload where), then used by the next issue of the form in its region — the most
specific region wins — and falls back to the built-in layout when it cannot be filled. The
sandbox keeps Python's internals out of the document."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest
from docx import Document as new_docx

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.tests.factories import case_in_state
from fangtiao.core.errors import NotFound, PermissionDenied, ValidationFailed
from fangtiao.documents import services
from fangtiao.documents.models import Document, DocumentTemplate
from fangtiao.documents.tests.support import docx_text, pdf_text

FORM = "acceptance_notice"
TITLE = "受理告知书（黄岩区格式）"
FIXED = "本模板固定文字：请保持电话畅通，按约定时间到场。"
FALLBACK = "地区模板无法填写，已改用内置格式"
PARTY_LOOP = "当事人：{% for p in parties %}{{ p.name }}（{{ p.role }}）；{% endfor %}"


def template(*paragraphs: str, pad: int = 0) -> bytes:
    """A .docx made with python-docx: one paragraph (one run) per line, so each Jinja tag — a whole
    loop included — sits inside one run, as docxtpl requires. `pad` adds that many random bytes
    as an (uncompressible) media part."""
    doc = new_docx()
    for text in paragraphs:
        doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    if not pad:
        return buf.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("word/media/scan.bin", os.urandom(pad))
    return out.getvalue()


def notice(fixed: str = FIXED, *extra: str, pad: int = 0) -> bytes:
    return template(TITLE, "文号：{{ number }}", "{{ petitioner_names }}：",
                    "你（们）反映的“{{ case_title }}”一事，本机关已依法受理，于{{ handling_due }}前办结。" + fixed, PARTY_LOOP, *extra,
                    "{{ registered_unit }}", "{{ issued_on }}", pad=pad)


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def _fake_pdf(layout):  # type: ignore[no-untyped-def]
    """A stand-in for the ~1–2 s CJK PDF render where a test reads only the Word file; its bytes
    still follow the layout (a changed layout gives a changed checksum)."""
    return b"%PDF-1.7\n%fake\n" + hashlib.sha256(repr(layout).encode()).hexdigest().encode() + b"\n%%EOF\n", 1


@pytest.fixture
def fast_pdf(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(services, "render_pdf", _fake_pdf)


def admin(xw):  # type: ignore[no-untyped-def]
    return xw.w.users["admin"]  # at the district's centre: the whole district


def upload(xw, data: bytes, *, region=None, name: str = "受理告知书.docx", actor=None, doc_type: str = FORM):  # type: ignore[no-untyped-def]
    return services.template_upload(doc_type=doc_type, region=region or xw.w.district, data=data, name=name,
                                    note="", actor=actor or admin(xw))


def issue(case, xw):  # type: ignore[no-untyped-def]
    return services.document_issue(case=case, doc_type=FORM, actor=xw.user(case.holder_unit, "officer"))


def word(row: Document, xw) -> str:  # type: ignore[no-untyped-def]
    data, _, _ = services.document_file(row=row, fmt="docx", actor=admin(xw))
    return docx_text(data)


def _refused(xw, media: Path, data: bytes, name: str = "受理告知书.docx", field: str = "file", **kw) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as info:
        upload(xw, data, name=name, **kw)
    err = info.value
    assert [e.field for e in err.errors] == [field], err.errors
    assert err.detail == err.errors[0].message
    assert not DocumentTemplate.objects.exists()
    assert not (media / "documents" / "templates").exists()
    assert not AuditEvent.objects.filter(action="document.template_uploaded").exists()
    return err.detail


# --- refused on upload -----------------------------------------------------------------------

def test_refused_templates_say_why_in_chinese_and_store_nothing(xw, media):
    good = notice()
    assert "不是 Word 文档" in _refused(xw, media, os.urandom(4000))
    assert ".docx" in _refused(xw, media, good, name="受理告知书.doc")  # a Word 97 name, whatever the content
    odd_zip = io.BytesIO()
    with zipfile.ZipFile(odd_zip, "w") as z:
        z.writestr("readme.txt", "not a Word file")
    assert "无法打开" in _refused(xw, media, odd_zip.getvalue())

    assert "语法错误" in _refused(xw, media, notice(FIXED, "{{ number "))
    assert "语法错误" in _refused(xw, media, notice(FIXED, "{% for p in parties %}{{ p.name }}"))  # no endfor
    msg = _refused(xw, media, notice(FIXED, "月工资：{{ salary_of_petitioner }}"))
    assert "未知的占位符" in msg and "salary_of_petitioner" in msg
    without_names = template(TITLE, "文号：{{ number }}", "“{{ case_title }}”已受理。", "{{ issued_on }}")
    msg = _refused(xw, media, without_names)
    assert "缺少" in msg and "petitioner_names" in msg and "信访人姓名" in msg
    big = notice(FIXED, pad=5 * 1024 * 1024 + 1)
    assert zipfile.is_zipfile(io.BytesIO(big)) and len(big) > 5 * 1024 * 1024
    assert "5 MB" in _refused(xw, media, big)

    assert "没有这种文书" in _refused(xw, media, good, doc_type="no_such_form", field="doc_type")


def test_only_administrators_upload_and_only_for_their_own_jurisdiction(xw, media):
    good = notice()
    for role in ("clerk", "officer", "leader", "auditor"):
        with pytest.raises(PermissionDenied):
            upload(xw, good, actor=xw.user("centre", role))
    t01_admin = xw.user("t01_subcentre", "admin")
    _refused(xw, media, good, region=xw.w.t02, actor=t01_admin, field="region")
    _refused(xw, media, good, region=xw.w.district, actor=t01_admin, field="region")  # above their township
    _refused(xw, media, good, region=xw.city, actor=admin(xw), field="region")
    tpl = upload(xw, good, region=xw.w.t01, actor=t01_admin)
    assert tpl.region_id == xw.w.t01.pk and tpl.uploaded_by_id == t01_admin.pk
    # …and disable only what lies in their jurisdiction
    district_tpl = upload(xw, good)
    with pytest.raises(NotFound):
        services.template_disable(template=district_tpl, actor=t01_admin)
    with pytest.raises(PermissionDenied):
        services.template_disable(template=tpl, actor=xw.user("t01_subcentre", "officer"))
    assert DocumentTemplate.objects.get(pk=district_tpl.pk).active


# --- used by the next issue --------------------------------------------------------------------

def test_an_accepted_template_is_used_versioned_and_can_be_disabled(xw, monkeypatch):
    case = case_in_state(xw, "accepted")
    names = [p.name for p in case.parties.all()]
    tpl = upload(xw, notice())
    assert (tpl.version, tpl.active) == (1, True)
    assert {"number", "case_title", "parties", "petitioner_names", "issued_on"} <= set(tpl.placeholders)
    event = AuditEvent.objects.get(action="document.template_uploaded", subject_id=str(tpl.pk))
    assert event.extra["version"] == 1 and event.extra["sha256"] == tpl.sha256 and event.actor_id == admin(xw).pk

    row = issue(case, xw)
    assert row.template_id == tpl.pk and row.template_note == "地区模板 第1版"
    text = word(row, xw)
    assert FIXED in text and TITLE in text
    assert row.number and row.number in text and case.title in text and case.registered_unit.name in text
    assert all(f"{n}（" in text for n in names)  # the loop over the parties
    assert "{{" not in text and "{%" not in text
    assert "特此告知" not in text  # not the built-in layout
    pdf, _, _ = services.document_file(row=row, fmt="pdf", actor=admin(xw))
    shown = pdf_text(pdf)
    assert TITLE in shown and row.number in shown and case.title in shown
    assert FIXED.replace("，", "") in shown.replace("，", "").replace("\r", "").replace("\n", "")

    monkeypatch.setattr(services, "render_pdf", _fake_pdf)  # the rest reads Word files only
    second = upload(xw, notice("第二版固定文字。"))
    assert second.version == 2
    assert list(DocumentTemplate.objects.filter(doc_type=FORM, active=True)) == [second]
    assert not DocumentTemplate.objects.get(pk=tpl.pk).active
    row2 = issue(case, xw)
    assert (row2.version, row2.number, row2.template_id) == (2, row.number, second.pk)
    assert "第二版固定文字" in word(row2, xw) and FIXED not in word(row2, xw)
    # already issued documents keep their files
    assert FIXED in word(Document.objects.get(pk=row.pk), xw)

    services.template_disable(template=second, actor=admin(xw))
    assert AuditEvent.objects.filter(action="document.template_disabled", subject_id=str(second.pk)).exists()
    row3 = issue(case, xw)
    assert (row3.version, row3.template_id, row3.template_note) == (3, None, "")
    text3 = word(row3, xw)
    assert "特此告知" in text3 and "第二版固定文字" not in text3 and row.number in text3


def test_the_most_specific_region_wins(xw, fast_pdf):
    east = case_in_state(xw, "accepted")
    west = case_in_state(xw, "accepted", region="331003002201")
    assert west.region_path.startswith(xw.w.t02.path) and east.region_path.startswith(xw.w.t01.path)
    district = upload(xw, notice("全区通用文字。"))
    township = upload(xw, notice("东城街道专用文字。"), region=xw.w.t01)
    e, w = issue(east, xw), issue(west, xw)
    assert (e.template_id, w.template_id) == (township.pk, district.pk)
    assert "东城街道专用文字" in word(e, xw) and "全区通用文字" not in word(e, xw)
    assert "全区通用文字" in word(w, xw) and "东城街道专用文字" not in word(w, xw)
    # the district template's replacement does not touch the township's
    upload(xw, notice("全区第二版。"))
    assert DocumentTemplate.objects.get(pk=township.pk).active
    assert issue(east, xw).pk == e.pk


@pytest.mark.parametrize("broken", [
    "缺失字段：{{ parties.missing.attr }}",
    "数字：{{ case_title|round }}",  # a filter that fails on the value at render time
    "{{ case_title|truncate(-5, killwords=1, end=none) }}",
])
def test_a_template_that_cannot_be_filled_falls_back_to_the_builtin_layout(xw, fast_pdf, broken):
    case = case_in_state(xw, "accepted")
    try:
        upload(xw, notice(FIXED, broken))
    except ValidationFailed as exc:  # refusing it on upload is as good
        assert exc.errors[0].field == "file"
        return
    row = issue(case, xw)
    assert row.template_id is None
    assert row.template_note == FALLBACK
    text = word(row, xw)
    assert "特此告知" in text and FIXED not in text and row.number in text


@pytest.mark.parametrize("probe", [
    "{{ case_title.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__ }}{{ parties.__class__ }}",
    "{{ '{0.__class__.__init__.__globals__}'.format(case_title) }}",
    "{{ parties.__len__() }}{{ case_title.__len__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
])
def test_the_sandbox_keeps_python_internals_out(xw, fast_pdf, probe):
    case = case_in_state(xw, "accepted")
    try:
        upload(xw, notice(FIXED, "探测：" + probe + "。"))
    except ValidationFailed as exc:
        assert exc.errors[0].field == "file"
        return
    row = issue(case, xw)
    assert row.template_id is not None or row.template_note == FALLBACK  # the template was tried
    text = word(row, xw)
    ctx = services.document_context(row)
    for leak in ("<class", "__", "subclasses", "globals", "builtins", "<function", "<built-in", "module", "object at"):
        assert leak not in text, (probe, text)
    assert ctx["case_title"] == case.title
    if row.template_id is not None:  # filled: the probe printed nothing
        assert "探测：。" in text


@pytest.mark.parametrize("probe", [
    "{{ parties.pop() and '' }}",                            # fills, having emptied the list
    "{{ parties.clear() }}{{ parties.missing.attr }}",       # empties the list, then fails: the fallback
])
def test_a_template_cannot_change_the_values_it_is_filled_with(xw, fast_pdf, probe):
    """The context is the record of what a document was filled with (kept encrypted with the row,
    hashed to decide whether anything changed) and feeds the built-in layout when a template
    fails: a template calling a list's methods must not change it."""
    case = case_in_state(xw, "accepted")
    names = [p.name for p in case.parties.all()]
    try:
        upload(xw, notice(FIXED, probe))
    except ValidationFailed:
        return
    row = issue(case, xw)
    assert row.template_id is not None or row.template_note == FALLBACK  # the template was tried
    assert [p["name"] for p in services.document_context(row)["parties"]] == names
