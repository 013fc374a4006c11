"""Signed scans (services.scan_check/scan_upload and the API): PDF, JPEG and PNG recognised by their
content, refused with a Chinese message when they are anything else, broken, active or too large —
and then nothing is stored; kept encrypted; only ever served as a download of the sniffed type."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.tests.factories import make_case
from fangtiao.core import crypto
from fangtiao.core.errors import PermissionDenied, ValidationFailed
from fangtiao.core.testing.api import ApiClient
from fangtiao.documents import services
from fangtiao.documents.models import SignedCopy
from fangtiao.mediation.tests.support import liaison

FORM = "petition_register"


# --- sample files --------------------------------------------------------------------------------

def png(size: tuple[int, int] = (120, 80), noise: bool = False) -> bytes:
    img = (Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)) if noise
           else Image.new("RGB", size, (250, 250, 245)))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 30, 30)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def pdf(catalog_extra: bytes = b"", text: bytes = b"signed and sealed") -> bytes:
    """A small, well-formed PDF (cross-reference table with the right offsets)."""
    content = b"BT /F1 24 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/v1/me').then(r=>r.text()).then(alert)</script></body></html>"
SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" '
       b'onload="alert(document.cookie)"><script>alert(1)</script></svg>')
JS_PDF = pdf(b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> ")


def _corrupt_png() -> bytes:
    good = png()
    return good[:40] + bytes(b ^ 0xFF for b in good[40:80]) + good[80:]


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture(autouse=True)
def fast_pdf(monkeypatch):  # type: ignore[no-untyped-def]
    """The scans never look at the issued PDF: skip the ~1–2 s CJK render."""
    monkeypatch.setattr(services, "render_pdf", lambda layout: (b"%PDF-1.7\n%fake\n%%EOF\n", 1))


@pytest.fixture
def clerk(xw):  # type: ignore[no-untyped-def]
    return xw.w.users["clerk_t01"]


@pytest.fixture
def row(xw, clerk):  # type: ignore[no-untyped-def]
    case = make_case(xw)
    return services.document_issue(case=case, doc_type=FORM, actor=clerk)


def _nothing_stored(media: Path) -> None:
    assert not SignedCopy.objects.exists()
    assert not (media / "documents" / "scans").exists()
    assert not AuditEvent.objects.filter(action="document.scan_uploaded").exists()


def _refused(row, clerk, data: bytes, name: str, field: str = "file", note: str = "") -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as info:
        services.scan_upload(row=row, data=data, name=name, note=note, actor=clerk)
    assert [e.field for e in info.value.errors] == [field]
    return info.value.detail


# --- accepted ------------------------------------------------------------------------------------

def test_pdf_jpeg_and_png_are_kept_encrypted_and_audited(row, clerk, media):
    for data, name, kind, ctype in ((pdf(), "签章件.PDF", "pdf", "application/pdf"),
                                    (jpeg(), "签章件.jpeg", "jpeg", "image/jpeg"),
                                    (jpeg(), "签章件.JPG", "jpeg", "image/jpeg"),
                                    (png(), "签章件.png", "png", "image/png")):
        assert services.scan_check(data=data, name=name) == kind
        scan = services.scan_upload(row=row, data=data, name=name, note="已盖章", actor=clerk)
        assert (scan.kind, scan.size, scan.sha256, scan.document_id, scan.case_id) == (
            kind, len(data), hashlib.sha256(data).hexdigest(), row.pk, row.case_id)
        raw = Path(scan.file.path).read_bytes()
        assert Path(scan.file.path).is_relative_to(media)
        assert raw.startswith(crypto.FILE_MAGIC) and data not in raw and data[:8] not in raw
        event = AuditEvent.objects.get(action="document.scan_uploaded", subject_id=str(scan.pk))
        assert event.extra["kind"] == kind and event.extra["sha256"] == scan.sha256 and event.actor_id == clerk.pk
        back, filename, content_type = services.scan_file(scan=scan, actor=clerk)
        assert (back, filename, content_type) == (data, name, ctype)
        assert AuditEvent.objects.filter(action="document.scan_downloaded", subject_id=str(scan.pk)).exists()
    assert SignedCopy.objects.filter(document=row).count() == 4


# --- refused -------------------------------------------------------------------------------------

def test_anything_else_is_refused_with_a_chinese_message_and_nothing_is_stored(row, clerk, media, settings):
    good_pdf = pdf()
    refusals = [
        (HTML, "签章件.pdf", "只能上传 PDF、JPEG 或 PNG"),             # an HTML page renamed .pdf
        (SVG, "签章件.svg", "只能上传 PDF、JPEG 或 PNG"),              # scriptable image
        (SVG, "签章件.png", "只能上传 PDF、JPEG 或 PNG"),
        (png(), "签章件.pdf", "文件内容与扩展名不符"),                   # a PNG named .pdf
        (good_pdf, "签章件.html", "文件内容与扩展名不符"),
        (good_pdf[: len(good_pdf) // 2], "签章件.pdf", "PDF 文件不完整或已损坏"),  # truncated
        (JS_PDF, "签章件.pdf", "脚本"),
        (pdf(b"/OpenAction << /S /Launch /F (cmd.exe) >> "), "签章件.pdf", "启动操作"),
        (b"", "签章件.pdf", "请选择要上传的扫描件"),
        (_corrupt_png(), "签章件.png", "图片无法识别或已损坏"),
        (b"\x89PNG\r\n\x1a\n" + os.urandom(300), "签章件.png", "图片无法识别或已损坏"),
        (b"\xff\xd8\xff\xe0" + os.urandom(300), "签章件.jpg", "图片无法识别或已损坏"),
    ]
    for data, name, message in refusals:
        detail = _refused(row, clerk, data, name)
        assert message in detail, (name, detail)
    _nothing_stored(media)

    settings.FANGTIAO_SCAN_MAX_MB = 1
    big = png((700, 700), noise=True)
    assert len(big) > 1024 * 1024
    assert services.scan_check(data=png(), name="小.png") == "png"
    assert _refused(row, clerk, big, "签章件.png") == "扫描件不能超过 1 MB"
    assert _refused(row, clerk, png(), "签章件.png", field="note", note="备注" * 101) == "说明不能超过200字"
    _nothing_stored(media)


def test_only_staff_with_the_upload_capability_may_upload(xw, row, media):
    for who in (liaison(xw), xw.user("centre", "admin"), xw.user("centre", "auditor")):
        with pytest.raises(PermissionDenied):
            services.scan_upload(row=row, data=png(), name="签章件.png", note="", actor=who)
    _nothing_stored(media)


def test_a_script_hidden_behind_an_escaped_pdf_name_is_refused_too(row, clerk, media):
    """PDF names may spell characters as #xx (ISO 32000-1 §7.3.5): readers take /Java#53cript for
    /JavaScript and /J#53 for /JS. A byte search for "/JavaScript" misses both."""
    import pypdf

    hidden = pdf(b"/OpenAction << /S /Java#53cript /J#53 (app.alert\\(1\\)) >> ")
    action = pypdf.PdfReader(io.BytesIO(hidden)).trailer["/Root"]["/OpenAction"]
    assert action["/S"] == "/JavaScript"  # what a reader sees
    assert "脚本" in _refused(row, clerk, hidden, "签章件.pdf")
    _nothing_stored(media)


def test_a_truncated_jpeg_is_refused(row, clerk, media):
    """scan_check promises that "an image must decode"; Image.verify() checks PNG chunks but does
    nothing for a JPEG, so half a JPEG (a scan cut off in transfer) is accepted."""
    whole = jpeg()
    half = whole[: len(whole) // 2]
    with pytest.raises(OSError), Image.open(io.BytesIO(half)) as img:
        img.load()  # it does not decode
    assert "图片无法识别或已损坏" in _refused(row, clerk, half, "签章件.jpg")
    _nothing_stored(media)


# --- over HTTP -----------------------------------------------------------------------------------

def _upload(user, case_id: int, data: bytes, name: str):  # type: ignore[no-untyped-def]
    api = ApiClient(user)
    return api.client.post(f"/api/v1/cases/{case_id}/documents/{FORM}/scans",
                           data={"file": SimpleUploadedFile(name, data), "note": "盖章件"}, **api.headers)


def test_upload_and_download_over_the_api(xw, row, clerk, media):
    case_id = row.case_id
    for data, name, ctype in ((png(), "回执.png", "image/png"), (pdf(), "回执.pdf", "application/pdf"),
                              (jpeg(), "回执.jpg", "image/jpeg")):
        r = _upload(clerk, case_id, data, name)
        assert r.status_code == 201, r.content.decode()
        body = r.json()
        assert (body["document"], body["size"], body["original_name"]) == (row.pk, len(data), name)
        got = ApiClient(clerk).get(f"/api/v1/cases/{case_id}/scans/{body['id']}")
        assert got.status_code == 200
        assert got.content == data
        assert got["Content-Type"] == ctype
        assert got["Content-Disposition"].startswith("attachment;")
        assert got["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in got["Content-Security-Policy"]

    before = SignedCopy.objects.count()
    for data, name in ((HTML, "回执.pdf"), (SVG, "回执.svg"), (JS_PDF, "回执.pdf"), (png(), "回执.html")):
        r = _upload(clerk, case_id, data, name)
        assert r.status_code == 422, r.content.decode()
        assert r.json()["errors"][0]["field"] == "file"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["detail"])
    assert SignedCopy.objects.count() == before

    # another township's clerk does not see the case: 404, not 403
    scan = SignedCopy.objects.filter(case_id=case_id).first()
    other = xw.w.users["clerk_t02"]
    assert ApiClient(other).get(f"/api/v1/cases/{case_id}/scans/{scan.pk}").status_code == 404
    assert _upload(other, case_id, png(), "回执.png").status_code == 404
    # a scan id of another case is not found through this case
    second = make_case(xw)
    assert ApiClient(clerk).get(f"/api/v1/cases/{second.pk}/scans/{scan.pk}").status_code == 404


def _written_pdf(extra: str = "") -> bytes:
    """A PDF as a real writer (pypdf) makes it: objects in the usual places, names as readers read them."""
    import pypdf
    from pypdf.generic import ArrayObject, NameObject

    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    if extra == "view":
        # what scanners write: open on the first page, fit to the window
        writer._root_object[NameObject("/OpenAction")] = ArrayObject([page.indirect_reference, NameObject("/Fit")])
    elif extra == "js":
        from pypdf.actions import JavaScript

        writer.add_open_action(JavaScript("app.alert('x');"))
    elif extra == "attachment":
        writer.add_attachment("a.exe", b"MZ\x90\x00")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@pytest.mark.parametrize("extra,accepted", [("", True), ("view", True), ("js", False), ("attachment", False)])
def test_real_pdfs_by_what_they_carry(extra, accepted):
    data = _written_pdf(extra)
    if accepted:
        assert services.scan_check(data=data, name="扫描件.pdf") == "pdf"
    else:
        with pytest.raises(ValidationFailed) as err:
            services.scan_check(data=data, name="扫描件.pdf")
        assert "不予接收" in err.value.detail
