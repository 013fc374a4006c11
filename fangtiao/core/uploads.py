"""Checks for every file a user hands us, and the one way files are handed back
(ASVS V5, docs/adr/0021-web-hardening-and-uploads.md, docs/security.md §8).

Uploads: the kind is read from the content (magic bytes) AND must match the extension; each upload
names the kinds it accepts and its size cap; Word files (zip) are checked for entry count, total
uncompressed size, compression ratio and path names before any library opens them (zip bombs);
images must decode within a pixel limit (pixel floods); every file goes past the built-in signature
list (the EICAR test string and SHA-256 hashes in ``av_signatures.txt``) and, when configured,
an antivirus command (``FANGTIAO_AV_COMMAND``: clamdscan/clamscan). A file found by a scanner is
refused in Chinese and leaves an audit event (``upload.rejected``) that survives the refusal.

Storage: names are generated (:func:`storage_name`, a UUID); what the user called the file is
metadata only. Nothing is stored under STATIC_ROOT or a static folder (MEDIA_ROOT is checked by
:func:`media_outside_static`; the files are also encrypted at rest by the documents app).

Downloads: :func:`file_response` — ``Content-Disposition: attachment`` with an RFC 6266/5987 name
(quotes, backslashes, CR/LF and control characters neutralised), ``nosniff``, a ``sandbox`` CSP,
no-store, and a Content-Type from a short allowlist: anything else, ``text/html`` above all, goes out
as ``application/octet-stream``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import shlex
import subprocess  # nosec B404  # — the antivirus command runs with an argument list, never a shell
import tempfile
import unicodedata
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse

from fangtiao.core.errors import ValidationFailed

log = logging.getLogger(__name__)

PDF, JPEG, PNG, DOCX, XLSX = "pdf", "jpeg", "png", "docx", "xlsx"

EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",), JPEG: (".jpg", ".jpeg"), PNG: (".png",), DOCX: (".docx",), XLSX: (".xlsx",),
}
LABELS = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG", DOCX: "Word（.docx）", XLSX: "Excel（.xlsx）"}
# What a download may be labelled as; everything else is application/octet-stream.
SAFE_CONTENT_TYPES = frozenset({
    "application/pdf", "image/jpeg", "image/png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/zip", "application/octet-stream", "text/csv",
})
DOWNLOAD_CSP = "sandbox; default-src 'none'; object-src 'self'; frame-ancestors 'none'"

# Zip (docx/xlsx) limits: entries, total uncompressed size, ratio of the whole archive.
ZIP_MAX_ENTRIES = 1000
ZIP_MAX_UNCOMPRESSED = 100 * 1024 * 1024
ZIP_MAX_RATIO = 200

_HTML_MARKERS = re.compile(rb"<\s*(html|script|body|iframe|svg|object|embed)\b|<!doctype\s+html", re.I)
_EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
SIGNATURES_FILE = Path(__file__).with_name("av_signatures.txt")
MALWARE_MESSAGE = "文件未通过病毒和恶意代码检查，已拒收并记录。请确认文件来源后重新扫描原件上传"


def sniff(data: bytes) -> str | None:
    """The kind by magic bytes (docx and xlsx told apart by their main part)."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
    return None


def _human(kinds: Iterable[str]) -> str:
    return "、".join(LABELS[k] for k in kinds)


def check_zip(data: bytes, *, field: str = "file", max_entries: int = ZIP_MAX_ENTRIES,
              max_uncompressed: int = ZIP_MAX_UNCOMPRESSED) -> None:
    """Refuse a zip bomb (entries, total size, ratio) or an entry whose name escapes the archive —
    read from the central directory, before anything is decompressed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ValidationFailed.on(field, "文件不完整或已损坏") from exc
    if len(infos) > max_entries:
        raise ValidationFailed.on(field, "文件包含的部件过多，不予接收")
    total = sum(i.file_size for i in infos)
    if total > max_uncompressed or total > max(len(data), 1) * ZIP_MAX_RATIO:
        raise ValidationFailed.on(field, "文件解压后过大，不予接收")
    for i in infos:
        name = i.filename.replace("\\", "/")
        if name.startswith("/") or ".." in name.split("/") or ":" in name.split("/")[0]:
            raise ValidationFailed.on(field, "文件包含异常的部件名称，不予接收")


def check_image(data: bytes, *, field: str = "file") -> None:
    """Decodes as the image it claims to be, within the pixel limit (a pixel flood is refused before
    the pixels are decoded)."""
    from PIL import Image

    limit = getattr(settings, "FANGTIAO_IMAGE_MAX_PIXELS", 60_000_000)
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > limit:
                raise ValidationFailed.on(field, "图片像素过多，请降低分辨率后上传")
            img.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.load()  # verify() does not decode a JPEG: a truncated one must fail here
    except ValidationFailed:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own limit (MAX_IMAGE_PIXELS × 2) met on open
        raise ValidationFailed.on(field, "图片像素过多，请降低分辨率后上传") from exc
    except Exception as exc:  # Pillow raises many kinds of errors on a broken file
        raise ValidationFailed.on(field, "图片无法识别或已损坏") from exc


def check_upload(data: bytes, name: str, *, kinds: Iterable[str], max_bytes: int, field: str = "file",
                 what: str = "文件", actor: Any = None, scan: bool = True) -> str:
    """The upload's kind, or ValidationFailed on `field` in Chinese: empty, too large, a kind not
    accepted here, content and extension disagreeing, a zip bomb, an image that does not decode or
    floods pixels, HTML hidden behind an image header, or a scanner's finding (audited; `scan=False`
    when the caller scanned already)."""
    allowed = tuple(kinds)
    if not data:
        raise ValidationFailed.on(field, f"请选择要上传的{what}")
    if len(data) > max_bytes:
        mb = max_bytes / (1024 * 1024)
        raise ValidationFailed.on(field, f"{what}不能超过 {mb:g} MB")
    if scan:  # first: a malicious file is recorded as such whatever else is wrong with it
        scan_or_refuse(data, name, field=field, actor=actor)
    kind = sniff(data)
    if kind is None or kind not in allowed:
        raise ValidationFailed.on(field, f"只能上传 {_human(allowed)} 格式的{what}")
    if not (name or "").lower().endswith(EXTENSIONS[kind]):
        raise ValidationFailed.on(field, "文件内容与扩展名不符，请上传原始文件")
    if kind in (DOCX, XLSX):
        check_zip(data, field=field)
    if kind in (PNG, JPEG):
        if _HTML_MARKERS.search(data[:4096]):  # a polyglot: an image header with a page behind it
            raise ValidationFailed.on(field, "图片中含有网页代码，不予接收")
        check_image(data, field=field)
    return kind


# --- malware -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    engine: str
    signature: str


def _signature_hashes() -> frozenset[str]:
    try:
        lines = SIGNATURES_FILE.read_text(encoding="utf-8").splitlines()
    except OSError:
        return frozenset()
    return frozenset(ln.split()[0].lower() for ln in lines if ln.strip() and not ln.lstrip().startswith("#"))


def builtin_scan(data: bytes) -> Finding | None:
    """The local signature list that always runs: EICAR anywhere in the file (the industry's test
    string; official ClamAV signatures need the internet) and the SHA-256 hashes of known files."""
    if _EICAR in data:
        return Finding("builtin", "EICAR-Test-File")
    digest = hashlib.sha256(data).hexdigest()
    if digest in _signature_hashes():
        return Finding("builtin", f"sha256:{digest}")
    return None


class ScannerUnavailable(Exception):
    pass


def command_scan(data: bytes, command: str, timeout: int) -> Finding | None:
    """Run the configured antivirus on a private temporary copy: exit 0 clean, 1 infected (clamscan
    and clamdscan both), anything else is an error (the upload is refused: fail closed)."""
    argv = shlex.split(command)
    fd, path = tempfile.mkstemp(prefix="fangtiao-av-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(path, 0o600)
        try:
            # argument list from the operator's setting, never a shell
            done = subprocess.run([*argv, path], capture_output=True, timeout=timeout, check=False)  # noqa: S603  # nosec B603
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ScannerUnavailable(str(exc)) from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
    if done.returncode == 0:
        return None
    if done.returncode == 1:
        out = done.stdout.decode("utf-8", "replace")
        match = re.search(r":\s*(\S+)\s+FOUND", out)
        return Finding(argv[0].rsplit("/", 1)[-1], match.group(1) if match else "FOUND")
    raise ScannerUnavailable(f"{argv[0]} exited {done.returncode}: {done.stderr[:200]!r}")


def scan(data: bytes) -> Finding | None:
    found = builtin_scan(data)
    command = getattr(settings, "FANGTIAO_AV_COMMAND", "")
    if found is None and command:
        found = command_scan(data, command, getattr(settings, "FANGTIAO_AV_TIMEOUT", 60))
    return found


def scan_or_refuse(data: bytes, name: str, *, field: str = "file", actor: Any = None) -> None:
    """ValidationFailed (in Chinese) when a scanner finds something, after an audit event in its own
    transaction (the refusal rolls back whatever the caller had open; the event must stay)."""
    try:
        found = scan(data)
    except ScannerUnavailable as exc:
        log.error("antivirus command failed: %s", exc)
        raise ValidationFailed.on(field, "病毒扫描暂时不可用，文件未接收，请稍后重试；仍不行请联系系统管理员") from exc
    if found is None:
        return
    from fangtiao.audit.services import record

    digest = hashlib.sha256(data).hexdigest()
    log.warning("upload refused by %s: %s (sha256 %s)", found.engine, found.signature, digest)
    with transaction.atomic():
        record(actor=actor, action="upload.rejected", success=False,
               extra={"reason": "malware", "engine": found.engine, "signature": found.signature,
                      "sha256": digest, "size": len(data), "name": clean_filename(name)[:200]})
    raise ValidationFailed.on(field, MALWARE_MESSAGE)


# --- names -------------------------------------------------------------------------------------

def storage_name(kind_or_ext: str, *, prefix: str = "") -> str:
    """A generated name for the storage: ``<prefix><uuid4 hex>.<ext>``. The user's name never is one."""
    ext = re.sub(r"[^a-z0-9.]", "", kind_or_ext.lower()).strip(".") or "bin"
    return f"{prefix}{uuid.uuid4().hex}.{ext}"


_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]')


def clean_filename(name: str, default: str = "file") -> str:
    """The user's name made harmless as metadata and as a download name: the last path part only,
    no control characters (CR/LF), quotes, backslashes or separators; NFC; at most 150 characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name or set(name) <= {"_", "."}:
        return default
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 150 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:150]
    return name


def content_disposition(name: str, *, inline: bool = False) -> str:
    """RFC 6266 with an RFC 5987 ``filename*`` (UTF-8, percent-encoded) and an ASCII fallback."""
    safe = clean_filename(name)
    ascii_name = safe.encode("ascii", "ignore").decode() or "download"
    if ascii_name.startswith(".") or ascii_name.strip("_. ") == "":
        ascii_name = "download" + (("." + safe.rsplit(".", 1)[-1].encode("ascii", "ignore").decode())
                                   if "." in safe else "")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(safe, safe='')}"


def file_response(data: bytes, name: str, ctype: str, *, inline: bool = False) -> HttpResponse:
    """Never rendered by the browser as our page: an attachment (a PDF may open inline in the
    browser's viewer), nosniff, a sandbox CSP, no-store, and never text/html."""
    base = (ctype or "").split(";")[0].strip().lower()
    if base not in SAFE_CONTENT_TYPES:
        base = "application/octet-stream"
    response = HttpResponse(data, content_type=base)
    response["Content-Disposition"] = content_disposition(name, inline=inline and base == "application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    response["Cache-Control"] = "private, no-store"
    return response


def media_outside_static() -> list[str]:
    """Why MEDIA_ROOT is served by the web server, or []: it may not be STATIC_ROOT, a static
    folder, or inside/around one of them."""
    media = Path(settings.MEDIA_ROOT).resolve()
    problems = []
    served = [Path(settings.STATIC_ROOT), *[Path(p if isinstance(p, str | Path) else p[1])
                                             for p in getattr(settings, "STATICFILES_DIRS", [])]]
    for d in served:
        d = d.resolve()
        if media == d or d in media.parents or media in d.parents:
            problems.append(f"MEDIA_ROOT {media} overlaps the web-served folder {d}")
    if getattr(settings, "MEDIA_URL", "") not in ("", "/"):
        from django.urls import Resolver404, resolve

        try:
            resolve(settings.MEDIA_URL)
            problems.append(f"MEDIA_URL {settings.MEDIA_URL} is routed")
        except Resolver404:
            pass
    return problems
