"""Uploads and downloads (security-reliability.md §1.8, §6 item 23; fangtiao.core.uploads, ADR 0021).

Every fixture is built here at run time — the EICAR string from two halves — so the repository holds
no file an antivirus would flag: a PNG header with a page behind it (polyglot), a file over the cap,
content that is not what its name says (wrong magic), traversal names, a zip bomb, a pixel flood.
"""

from __future__ import annotations

import io
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.tests.factories import make_case
from fangtiao.core import uploads
from fangtiao.core.errors import ValidationFailed
from fangtiao.documents import services
from fangtiao.documents.models import SignedCopy

pytestmark = pytest.mark.django_db

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-" + b"TEST-FILE!$H+H*"
SELFTEST = b"fangtiao-av-selftest-sample\n"  # its SHA-256 is listed in core/av_signatures.txt


def png(size: tuple[int, int] = (60, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (250, 250, 245)).save(buf, "PNG")
    return buf.getvalue()


def flood_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid PNG signature and IHDR claiming 10^10 pixels, with a tiny body."""
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")


def docx(extra: dict[str, bytes] | None = None, *, compress: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


POLYGLOT = png()[:33] + b"<html><body><script>alert(document.cookie)</script></body></html>"
MB = 1024 * 1024


def _refused(data: bytes, name: str, kinds=(uploads.PNG, uploads.JPEG, uploads.PDF), max_bytes: int = 5 * MB) -> str:
    with pytest.raises(ValidationFailed) as info:
        uploads.check_upload(data, name, kinds=kinds, max_bytes=max_bytes)
    assert [e.field for e in info.value.errors] == ["file"]
    message = info.value.errors[0].message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message  # said in Chinese
    return message


# --- the fixtures of §6 item 23: 100 % rejected or neutralised ------------------------------------

@pytest.mark.parametrize(("name", "data", "expect"), [
    ("polyglot.png", POLYGLOT, "图片"),
    ("html-after-a-real-png.png", png() + b"<html><script>alert(1)</script></html>", "网页代码"),
    ("oversize.png", png() + b"\0" * (5 * MB), "不能超过"),
    ("empty.png", b"", "请选择"),
    ("page.png", b"<!doctype html><html><script>alert(1)</script></html>", "只能上传"),
    ("scan.png", b"%PDF-1.4\n%%EOF\n", "扩展名不符"),          # wrong magic for the name
    ("scan.pdf", png(), "扩展名不符"),
    ("scan.exe", png(), "扩展名不符"),
    ("flood.png", flood_png(), "像素"),
    ("truncated.png", png()[:60], "损坏"),
    ("eicar.pdf", b"%PDF-1.4\n" + EICAR + b"\n%%EOF\n", "病毒"),
])
def test_bad_uploads_are_refused_in_chinese(name, data, expect):
    assert expect in _refused(data, name)


def test_a_docx_zip_bomb_and_a_traversing_entry_are_refused_before_anything_opens_them():
    bomb = docx({"word/media/big.bin": b"\0" * (120 * MB)})
    assert len(bomb) < MB
    assert "解压后过大" in _refused(bomb, "模板.docx", kinds=(uploads.DOCX,))
    many = docx({f"word/p{i}.xml": b"" for i in range(1200)})
    assert "部件过多" in _refused(many, "模板.docx", kinds=(uploads.DOCX,))
    evil = docx({"../../etc/cron.d/x": b"* * * * * root sh"}, compress=False)
    assert "部件名称" in _refused(evil, "模板.docx", kinds=(uploads.DOCX,))
    assert uploads.check_upload(docx(), "模板.docx", kinds=(uploads.DOCX,), max_bytes=MB) == uploads.DOCX


def test_eicar_and_a_listed_hash_are_refused_with_an_audit_event_that_survives_the_refusal():
    before = AuditEvent.objects.filter(action="upload.rejected").count()
    assert "病毒" in _refused(b"%PDF-1.4\n" + EICAR + b"\n%%EOF\n", "扫描件.pdf")
    assert uploads.builtin_scan(SELFTEST) == uploads.Finding("builtin", "sha256:" + __import__("hashlib").sha256(
        SELFTEST).hexdigest())
    events = list(AuditEvent.objects.filter(action="upload.rejected").order_by("pk"))
    assert len(events) == before + 1
    assert events[-1].success is False
    assert events[-1].extra["signature"] == "EICAR-Test-File" and events[-1].extra["name"] == "扫描件.pdf"


def test_the_configured_antivirus_command_is_run_and_fails_closed(settings):
    script = "import sys; d = open(sys.argv[1], 'rb').read(); print(sys.argv[1] + ': Test.Sig FOUND'); " \
             "sys.exit(1 if b'BAD' in d else (2 if b'BROKEN' in d else 0))"
    settings.FANGTIAO_AV_COMMAND = shlex.join([sys.executable, "-c", script])
    good = b"%PDF-1.4\nfine\n%%EOF\n"
    assert uploads.scan(good) is None
    assert uploads.scan(b"%PDF-1.4\nBAD\n%%EOF\n") == uploads.Finding(Path(sys.executable).name, "Test.Sig")
    with pytest.raises(ValidationFailed) as info:
        uploads.scan_or_refuse(b"BROKEN", "a.pdf")
    assert "病毒扫描暂时不可用" in info.value.errors[0].message


@pytest.mark.skipif(not (shutil.which("clamscan") and shutil.which("sigtool")), reason="ClamAV is not installed")
def test_clamscan_with_a_locally_made_signature_refuses_the_file(settings, tmp_path):
    sample = tmp_path / "fake_malware.bin"
    sample.write_bytes(b"%PDF-1.4\nfangtiao local clamav sample\n%%EOF\n")
    sig = subprocess.run(["sigtool", "--md5", str(sample)], capture_output=True, check=True, text=True).stdout  # noqa: S603,S607
    (tmp_path / "local.hdb").write_text(sig)
    settings.FANGTIAO_AV_COMMAND = f"clamscan --no-summary -d {tmp_path / 'local.hdb'}"
    found = uploads.scan(sample.read_bytes())
    assert found is not None and found.engine == "clamscan"


# --- names, storage and downloads ------------------------------------------------------------------

@pytest.mark.parametrize(("name", "clean"), [
    ("../../x.png", "x.png"), ("..\\..\\windows\\x.png", "x.png"), ("/etc/passwd", "passwd"),
    ('a"b\r\nSet-Cookie: x=1.pdf', "a_b__Set-Cookie_ x=1.pdf"), ("..", "file"), ("", "file"),
    ("调解协议书（签章）.pdf", "调解协议书（签章）.pdf"),
])
def test_user_filenames_are_metadata_made_harmless(name, clean):
    assert uploads.clean_filename(name) == clean


def test_content_disposition_is_rfc6266_with_an_rfc5987_name():
    value = uploads.content_disposition('协议"书\r\n.pdf')
    assert "\r" not in value and "\n" not in value
    assert value.startswith("attachment; filename=")
    assert "filename*=UTF-8''%E5%8D%8F%E8%AE%AE_%E4%B9%A6__.pdf" in value
    assert value.count('"') == 2  # only the quotes around the ASCII fallback
    r = uploads.file_response(b"<html><script>alert(1)</script></html>", "page.html", "text/html; charset=utf-8")
    assert r["Content-Type"] == "application/octet-stream"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Security-Policy"].startswith("sandbox")
    assert r["Content-Disposition"].startswith("attachment;")
    assert uploads.file_response(b"%PDF", "a.pdf", "application/pdf", inline=True)["Content-Disposition"].startswith(
        "inline;")
    assert uploads.file_response(b"\x89PNG", "a.png", "image/png", inline=True)["Content-Disposition"].startswith(
        "attachment;")


def test_generated_storage_names_and_nothing_under_a_web_served_folder():
    names = {uploads.storage_name("png.enc") for _ in range(50)}
    assert len(names) == 50 and all(len(n.split(".")[0]) == 32 and n.endswith(".png.enc") for n in names)
    evil = uploads.storage_name("../../evil/x")
    assert "/" not in evil and ".." not in evil
    assert uploads.media_outside_static() == []


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def issued(xw, monkeypatch):
    monkeypatch.setattr(services, "render_pdf", lambda layout: (b"%PDF-1.7\n%fake\n%%EOF\n", 1))
    clerk = xw.w.users["clerk_t01"]
    case = make_case(xw)
    return services.document_issue(case=case, doc_type="petition_register", actor=clerk), clerk


def test_a_traversal_name_is_stored_under_a_uuid_and_served_as_a_sandboxed_attachment(issued, media, client):
    row, clerk = issued
    client.force_login(clerk)
    upload = SimpleUploadedFile("../../x.png", png(), content_type="text/html")
    r = client.post(f"/documents/cases/{row.case_id}/documents/{row.pk}/scans/", {"file": upload, "note": ""})
    assert r.status_code in (200, 302), r.status_code
    scan = SignedCopy.objects.get(document=row)
    stored = Path(scan.file.name)
    assert stored.name.endswith(".png.enc") and len(stored.name.split(".")[0]) == 32
    assert ".." not in scan.file.name and "x.png" not in scan.file.name
    assert scan.original_name == "x.png"
    on_disk = [p for p in media.rglob("*") if p.is_file()]
    assert on_disk and all(media.resolve() in p.resolve().parents for p in on_disk)
    assert all((p.stat().st_mode & 0o077) == 0 for p in on_disk), "uploads are private to the service (0600)"
    for served in (Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)):
        assert not any(served.rglob(stored.name))

    d = client.get(f"/documents/cases/{row.case_id}/scans/{scan.pk}/")
    assert d.status_code == 200 and d.content == png()
    assert d["Content-Type"] == "image/png"
    assert d["Content-Disposition"] == "attachment; filename=\"x.png\"; filename*=UTF-8''x.png"
    assert d["X-Content-Type-Options"] == "nosniff" and d["Content-Security-Policy"].startswith("sandbox")
    assert "no-store" in d["Cache-Control"]


def test_a_polyglot_and_eicar_through_the_scan_page_store_nothing(issued, media, client):
    row, clerk = issued
    client.force_login(clerk)
    url = f"/documents/cases/{row.case_id}/documents/{row.pk}/scans/"
    for name, data in (("签章.png", POLYGLOT), ("签章.pdf", b"%PDF-1.4\n" + EICAR + b"\n%%EOF\n")):
        r = client.post(url, {"file": SimpleUploadedFile(name, data, content_type="image/png")})
        assert r.status_code == 422
    assert not SignedCopy.objects.exists()
    assert not (media / "documents" / "scans").exists()
    assert AuditEvent.objects.filter(action="upload.rejected", actor_id=clerk.pk).count() == 1


def test_a_mediation_signature_must_be_a_real_png_within_the_pixel_limit():
    import base64

    from pydantic import ValidationError

    from fangtiao.mediation.schemas import SignatureIn

    def sig(data: bytes) -> dict[str, str]:
        return {"signer": "mediator", "image": "data:image/png;base64," + base64.b64encode(data).decode()}

    assert SignatureIn(**sig(png())).image.startswith("data:image/png;base64,")
    for bad in (POLYGLOT, flood_png(), b"<svg onload=alert(1)>", png()[:50]):
        with pytest.raises(ValidationError):
            SignatureIn(**sig(bad))
    with pytest.raises(ValidationError):
        SignatureIn(signer="mediator", image="data:image/png;base64,***not base64***")
