"""Writes of the documents app: issuing a document (numbered once, rendered, stored encrypted with
its checksums, audited), reading its files, attaching signed scans, district templates, and batch
printing. Rendering (about a second for a PDF) happens outside the transaction that stores the
row, so a slow render never holds the case's lock or SQLite's write lock."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import logging
import re
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from fangtiao.audit.services import record
from fangtiao.cases.models import Case
from fangtiao.core import crypto, uploads
from fangtiao.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from fangtiao.core.numbering import next_number
from fangtiao.documents import catalogue, custom
from fangtiao.documents import layout as L
from fangtiao.documents.choices import PrintKind, PrintStatus, ScanKind
from fangtiao.documents.docx_in import docx_to_blocks
from fangtiao.documents.fonts import FontMissing
from fangtiao.documents.models import Document, DocumentNumber, DocumentTemplate, PrintJob, SignedCopy
from fangtiao.documents.render_docx import render_docx
from fangtiao.documents.render_pdf import render_many, render_pdf
from fangtiao.org.permissions import has_capability
from fangtiao.tasks.services import enqueue, run_task

log = logging.getLogger(__name__)

# Bump when a built-in layout changes: documents issued before are then re-rendered (new version).
LAYOUT_VERSION = "builtin-1"
CONTEXT_AAD = "documents.context"
FILE_AAD = "documents.file"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _latest(case: Case, code: str, subject: str) -> Document | None:
    return (Document.objects.filter(case=case, doc_type=code, subject=subject)
            .select_related("template").order_by("-version").first())


def template_for(case: Case, code: str) -> DocumentTemplate | None:
    """The district template for `code` that applies to the case: the deepest active one on its region path."""
    codes = [c for c in case.region_path.split("/") if c]
    prefixes = ["/".join(codes[:i]) + "/" for i in range(1, len(codes) + 1)]
    found = list(DocumentTemplate.objects.filter(doc_type=code, active=True, region_path__in=prefixes))
    return max(found, key=lambda t: len(t.region_path)) if found else None


def _allocate_number(case: Case, doc: catalogue.DocType, subject: str, unit_id: int, day: dt.date) -> str:
    """The form's 文号, allocated once per (case, form, subject): 「黄岩信访受告〔2026〕12号」."""
    from fangtiao.org.models import Unit

    existing = DocumentNumber.objects.filter(case=case, doc_type=doc.code, subject=subject).first()
    if existing is not None:
        return existing.number
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).first()  # serialises two first renders of one case
        existing = DocumentNumber.objects.filter(case=case, doc_type=doc.code, subject=subject).first()
        if existing is not None:
            return existing.number
        unit = Unit.objects.get(pk=unit_id)
        seq = next_number(scope=f"doc:{doc.code}", unit_id=unit.pk, year=day.year)
        number = f"{unit.short_name}{doc.number_word}〔{day.year}〕{seq}号"
        DocumentNumber.objects.create(case=case, doc_type=doc.code, subject=subject, number=number)
        return number


def resolve_subject(case: Case, doc: catalogue.DocType, subject: str) -> str:
    if doc.subjects is None:
        if subject:
            raise NotFound("该文书没有这一对象")
        return ""
    keys = [k for k, _ in doc.subjects(case)]
    if not keys:
        raise NotFound(f"本事项尚无{doc.title}")
    if not subject:
        return keys[-1]
    if subject not in keys:
        raise NotFound("该文书没有这一对象")
    return subject


def build_context(case: Case, doc: catalogue.DocType, subject: str) -> tuple[dict[str, Any], dt.date, DocumentTemplate | None, str]:
    """(context, issue date, district template or None, hash of both). Numbers a form on first issue."""
    own = doc.context(case, subject)
    latest = _latest(case, doc.code, subject)
    day = own.pop("_date", None) or (latest.issued_on if latest else timezone.localdate())
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day).date()
    number = own.pop("_number", "")
    unit_id = own.pop("_number_unit", case.holder_unit_id)
    if not number and doc.number_word:
        number = _allocate_number(case, doc, subject, unit_id, day)
    ctx = clean({**catalogue.base_context(case, code=doc.code, number=number, issued_on=day), **own})
    template = template_for(case, doc.code)
    marker = f"tpl:{template.pk}:{template.sha256}" if template else LAYOUT_VERSION
    digest = _sha((json.dumps(ctx, sort_keys=True, ensure_ascii=False, default=str) + "|" + marker).encode())
    return ctx, day, template, digest


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffe\uffff]")


def clean(value: Any) -> Any:
    """Text as Word and PDF can hold it: vertical tab and form feed (pasted from Word) become line
    breaks, other control characters go (Word refuses them in XML)."""
    if isinstance(value, str):
        return _CONTROL.sub("", value.replace("\x0b", "\n").replace("\x0c", "\n"))
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def layout_of(doc: catalogue.DocType, ctx: dict[str, Any], day: dt.date) -> L.Doc:
    return replace(doc.layout(ctx), issued_on=day)


def _render(doc: catalogue.DocType, ctx: dict[str, Any], day: dt.date,
            template: DocumentTemplate | None) -> tuple[bytes, L.Doc, DocumentTemplate | None, str]:
    """(docx bytes, the layout the PDF is drawn from, the template used, a note)."""
    if template is not None:
        try:
            with template.file.open("rb") as fh:
                data = custom.render_template(fh.read(), ctx)
            title, blocks = docx_to_blocks(data)
            return data, L.Doc(title=title or doc.title, blocks=blocks, issued_on=day), template, f"地区模板 第{template.version}版"
        except Exception:  # a district template that cannot render must not stop the office: fall back
            log.exception("district template %s failed; using the built-in layout", template.pk)
            note = "地区模板无法填写，已改用内置格式"
            template = None
    else:
        note = ""
    layout = layout_of(doc, ctx, day)
    return render_docx(layout), layout, None, note


def _store(doc_row: Document, field: str, data: bytes, name: str) -> None:
    getattr(doc_row, field).save(name, ContentFile(crypto.encrypt_bytes(data, context=FILE_AAD)), save=False)


def document_issue(*, case: Case, doc_type: str, subject: str = "", actor: Any, pdf: bool = True,
                   _retry: bool = True) -> Document:
    """Issue (or return, if nothing changed) the current version of one form of `case`. The caller
    has checked that `actor` may see the case; this checks the form. Unchanged case → same row,
    same number, same bytes; changed case → the next version under the same number. With `pdf=False`
    (batch printing, which draws all documents into one PDF) the document's own PDF is drawn the
    first time someone asks for it."""
    doc = catalogue.get(doc_type)
    if doc is None:
        raise NotFound("没有这种文书")
    if not may_see_type(actor, doc):
        raise NotFound("未找到该文书，或您无权查看")
    if not doc.available(case):
        raise NotFound(f"本事项尚无{doc.title}")
    subject = resolve_subject(case, doc, subject)
    ctx, day, template, digest = build_context(case, doc, subject)
    latest = _latest(case, doc.code, subject)
    if latest is not None and latest.context_sha256 == digest:
        return latest
    try:
        docx_bytes, layout, used, note = _render(doc, ctx, day, template)
        pdf_bytes, pages = b"", None
        if pdf:
            # without a CJK font the Word file is still issued; the PDF answers 503 until one is installed
            with contextlib.suppress(FontMissing):
                pdf_bytes, pages = render_pdf(layout)
    except FontMissing:
        raise
    except Exception as exc:
        log.exception("rendering %s of case %s failed", doc.code, case.pk)
        raise Conflict(f"{doc.title}生成失败，请联系系统管理员（已记录错误）", code="render_failed") from exc
    with transaction.atomic():
        version_now = Case.objects.select_for_update().filter(pk=case.pk).values_list("version", flat=True).first()
        if version_now == case.version:
            latest = _latest(case, doc.code, subject)
            if latest is not None and latest.context_sha256 == digest:
                return latest
            return _store_row(case, doc, subject, latest, ctx, digest, docx_bytes, pdf_bytes, pages, used, note, day,
                              actor)
    # The case changed while this render ran: a stale render must not become the newest version.
    if not _retry:
        raise Conflict("事项正在被修改，请稍后重试", code="stale")
    fresh = Case.objects.select_related("category", "region", "holder_unit", "registered_unit", "registered_by",
                                        "extension_approver").get(pk=case.pk)
    return document_issue(case=fresh, doc_type=doc_type, subject=subject, actor=actor, pdf=pdf, _retry=False)


def _store_row(case: Case, doc: catalogue.DocType, subject: str, latest: Document | None, ctx: dict[str, Any],
               digest: str, docx_bytes: bytes, pdf_bytes: bytes, pages: int | None, used: DocumentTemplate | None,
               note: str, day: dt.date, actor: Any) -> Document:
    """Inside the caller's transaction: the next version's row, its encrypted files, the audit event."""
    row = Document(
        case=case, doc_type=doc.code, subject=subject, version=(latest.version + 1) if latest else 1,
        number=ctx["number"], title=doc.title, template=used, template_note=note, context_sha256=digest,
        context=crypto.encrypt(json.dumps(ctx, ensure_ascii=False, default=str), context=CONTEXT_AAD),
        docx_sha256=_sha(docx_bytes), pdf_sha256=_sha(pdf_bytes) if pdf_bytes else "", pdf_pages=pages,
        issued_on=day, created_by=actor if getattr(actor, "pk", None) else None,
    )
    stem = f"{case.pk}-{doc.code}-{subject.replace(':', '_') or 'main'}-v{row.version}"
    _store(row, "docx", docx_bytes, f"{stem}.docx.enc")
    if pdf_bytes:
        _store(row, "pdf", pdf_bytes, f"{stem}.pdf.enc")
    row.save()
    record(actor=actor, action="document.generated", subject=row,
           extra={"case": case.pk, "doc_type": doc.code, "subject": subject, "version": row.version,
                  "number": row.number, "docx_sha256": row.docx_sha256, "pdf_sha256": row.pdf_sha256,
                  "template": used.pk if used else None})
    return row


def may_see_type(user: Any, doc: catalogue.DocType) -> bool:
    if not has_capability(user, "documents.view"):
        return False
    if user.is_superuser:
        return True
    roles = set(user.role_codes)
    if roles <= {"court_liaison"}:
        return doc.court
    return True


def document_context(row: Document) -> dict[str, Any]:
    return json.loads(crypto.decrypt(row.context, context=CONTEXT_AAD))


class StorageUnavailable(DomainError):
    def __init__(self, detail: str = "文件存储暂时无法访问，请稍后重试；仍不行请联系系统管理员（已记录错误）"):
        super().__init__(detail=detail, errors=[], code="storage_unavailable", status=503)


def _storage_errors() -> tuple[type[BaseException], ...]:
    """What the object store's client raises when it cannot answer (nothing extra on local disk)."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - django-storages[s3] is a dependency
        return (OSError,)
    return (OSError, BotoCoreError, ClientError)


def _read(field: Any) -> bytes:
    """The decrypted bytes of a stored file, read through the storage API (local disk or the
    object store alike; never a filesystem path or a URL). A file missing from the storage is a
    404 with a Chinese message, a storage that does not answer a 503 — never a 500."""
    try:
        with field.open("rb") as fh:
            raw = fh.read()
    except FileNotFoundError as exc:
        log.error("stored file %s is missing from the storage", field.name)
        raise NotFound("文件在存储中已找不到，请联系系统管理员（已记录）", code="file_missing") from exc
    except _storage_errors() as exc:
        log.exception("reading stored file %s failed", field.name)
        raise StorageUnavailable() from exc
    return crypto.decrypt_bytes(raw, context=FILE_AAD)


def document_layout(row: Document) -> L.Doc:
    """The layout the stored document was drawn from (batch printing re-draws stored documents)."""
    doc = catalogue.get(row.doc_type)
    if row.template_id is not None or doc is None:
        title, blocks = docx_to_blocks(_read(row.docx))
        return L.Doc(title=title or row.title, blocks=blocks, issued_on=row.issued_on)
    return layout_of(doc, document_context(row), row.issued_on)


def document_file(*, row: Document, fmt: str, actor: Any) -> tuple[bytes, str, str]:
    """(bytes, file name, content type) of a stored document; audited. A PDF missing because the
    font was missing at issue time is drawn now and kept."""
    if fmt == "docx":
        data = _read(row.docx)
        ctype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    elif fmt == "pdf":
        if not row.pdf:
            pdf_bytes, pages = render_pdf(document_layout(row))
            with transaction.atomic():
                _store(row, "pdf", pdf_bytes, f"{row.case_id}-{row.doc_type}-v{row.version}.pdf.enc")
                row.pdf_sha256, row.pdf_pages = _sha(pdf_bytes), pages
                row.save(update_fields=["pdf", "pdf_sha256", "pdf_pages"])
        data = _read(row.pdf)
        ctype = "application/pdf"
    else:
        raise ValidationFailed.on("format", "格式只能是 docx 或 pdf")
    record(actor=actor, action="document.downloaded", subject=row,
           extra={"case": row.case_id, "doc_type": row.doc_type, "version": row.version, "format": fmt})
    number = f"（{row.number}）" if row.number else ""
    return data, f"{row.case.number}-{row.title}{number}.{fmt}", ctype


# --- signed scans ----------------------------------------------------------------------------

_EXTENSIONS = {ScanKind.PDF: (".pdf",), ScanKind.JPEG: (".jpg", ".jpeg"), ScanKind.PNG: (".png",)}
# Active content has no place in a scan of a signed paper: refuse it rather than store it. Names are
# read as a PDF reader reads them (pypdf decodes #xx escapes and object streams).
# (An /OpenAction that only opens a page view is harmless and common in scanners' files; an action
# dict is refused by its /S type.)
_PDF_ACTIVE_KEYS = frozenset({"/JavaScript", "/JS", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia",
                              "/XFA", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE"})


def _pdf_problem(data: bytes) -> str | None:
    """Why a PDF may not be stored, or None: broken, encrypted (cannot be inspected), or active."""
    import pypdf
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    active = "PDF 含有脚本、启动操作或嵌入文件，出于安全原因不予接收，请重新扫描后上传"
    # Outside the streams (compressed image data can hold any bytes, "/JS" among them), as a reader
    # reads names (#xx escapes decoded); what is inside object streams the walk below finds.
    outside = re.sub(rb"stream\r?\n.*?endstream", b"stream endstream", data, flags=re.S)
    plain = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), outside)
    if re.search(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|SubmitForm|ImportData|GoToR|GoToE)(?![A-Za-z])",
                 plain):
        return active
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return "PDF 已加密，无法检查其内容，请上传未加密的扫描件"
        seen: set[int] = set()
        stack: list[Any] = [reader.trailer]
        for page in reader.pages:
            stack.append(page)
        count = 0
        while stack:
            obj = stack.pop()
            count += 1
            if count > 200_000:
                return "PDF 结构过于复杂，请重新扫描后上传"
            if isinstance(obj, IndirectObject):
                if obj.idnum in seen:
                    continue
                seen.add(obj.idnum)
                obj = obj.get_object()
            if isinstance(obj, DictionaryObject):
                for key, value in obj.items():
                    if key in _PDF_ACTIVE_KEYS or (isinstance(value, NameObject) and value in _PDF_ACTIVE_KEYS):
                        return active
                    stack.append(value)
            elif isinstance(obj, ArrayObject):
                stack.extend(obj)
    except Exception:
        return "PDF 文件不完整或已损坏"
    return None


def scan_check(*, data: bytes, name: str, actor: Any = None) -> str:
    """The scan's kind, or ValidationFailed (field "file"): type by content and extension
    (fangtiao.core.uploads: size, magic bytes, image decodes within the pixel limit, no HTML behind
    an image header, antivirus — a finding is audited); a PDF must be a PDF without scripts, launch
    actions or embedded files."""
    limit = settings.FANGTIAO_SCAN_MAX_MB * 1024 * 1024
    if not data:
        raise ValidationFailed.on("file", "请选择要上传的扫描件")
    if len(data) > limit:
        raise ValidationFailed.on("file", f"扫描件不能超过 {settings.FANGTIAO_SCAN_MAX_MB} MB")
    uploads.scan_or_refuse(data, name, actor=actor)
    kind = uploads.sniff(data)
    if kind not in _EXTENSIONS:
        raise ValidationFailed.on("file", "只能上传 PDF、JPEG 或 PNG 格式的扫描件")
    if not name.lower().endswith(_EXTENSIONS[kind]):
        raise ValidationFailed.on("file", "文件内容与扩展名不符，请上传原始扫描文件")
    if kind == ScanKind.PDF:
        if b"%%EOF" not in data[-2048:]:
            raise ValidationFailed.on("file", "PDF 文件不完整或已损坏")
        problem = _pdf_problem(data)
        if problem:
            raise ValidationFailed.on("file", problem)
    uploads.check_upload(data, name, kinds=_EXTENSIONS, max_bytes=limit, what="扫描件", actor=actor, scan=False)
    return kind


def scan_upload(*, row: Document, data: bytes, name: str, note: str, actor: Any) -> SignedCopy:
    if not has_capability(actor, "documents.upload"):
        raise PermissionDenied()
    kind = scan_check(data=data, name=name, actor=actor)
    if len(note) > 200:
        raise ValidationFailed.on("note", "说明不能超过200字")
    with transaction.atomic():
        scan = SignedCopy(document=row, case_id=row.case_id, kind=kind, original_name=uploads.clean_filename(name)[-200:],
                          size=len(data), sha256=_sha(data), note=note, uploaded_by=actor)
        scan.file.save(uploads.storage_name(f"{kind}.enc"),
                       ContentFile(crypto.encrypt_bytes(data, context=FILE_AAD)), save=False)
        scan.save()
        record(actor=actor, action="document.scan_uploaded", subject=scan,
               extra={"document": row.pk, "case": row.case_id, "kind": kind, "size": len(data), "sha256": scan.sha256})
    return scan


SCAN_TYPES = {ScanKind.PDF: "application/pdf", ScanKind.JPEG: "image/jpeg", ScanKind.PNG: "image/png"}


def scan_file(*, scan: SignedCopy, actor: Any) -> tuple[bytes, str, str]:
    data = _read(scan.file)
    record(actor=actor, action="document.scan_downloaded", subject=scan, extra={"document": scan.document_id})
    return data, scan.original_name, SCAN_TYPES[scan.kind]


# --- district templates ----------------------------------------------------------------------

def template_upload(*, doc_type: str, region: Any, data: bytes, name: str, note: str, actor: Any) -> DocumentTemplate:
    """Replace the form's template in `region` (the actor's own district or below): validated, then
    the previous one is switched off. Documents already issued keep their files; the next issue of
    a changed document uses the new template."""
    if not has_capability(actor, "documents.templates"):
        raise PermissionDenied()
    doc = catalogue.get(doc_type)
    if doc is None:
        raise ValidationFailed.on("doc_type", "没有这种文书")
    scope = _admin_scope(actor)
    if scope is not None and not region.path.startswith(scope):
        raise ValidationFailed.on("region", "只能为本辖区上传模板")
    if not name.lower().endswith(".docx"):
        raise ValidationFailed.on("file", "请上传 .docx 格式的 Word 模板")
    if len(data) > custom.MAX_TEMPLATE_BYTES:
        raise ValidationFailed.on("file", "模板文件不能超过 5 MB")
    uploads.scan_or_refuse(data, name, actor=actor)
    if data.startswith(b"PK"):  # a zip bomb is refused from the central directory, before anything opens it
        uploads.check_zip(data)
    placeholders = custom.inspect_template(data, doc)
    uploads.check_upload(data, name, kinds=(uploads.DOCX,), max_bytes=custom.MAX_TEMPLATE_BYTES, what="模板文件",
                         actor=actor, scan=False)
    with transaction.atomic():
        previous = (DocumentTemplate.objects.select_for_update()
                    .filter(doc_type=doc_type, region=region).order_by("-version").first())
        DocumentTemplate.objects.filter(doc_type=doc_type, region=region, active=True).update(active=False)
        tpl = DocumentTemplate(doc_type=doc_type, region=region, region_path=region.path,
                               original_name=uploads.clean_filename(name)[-200:],
                               sha256=_sha(data), placeholders=placeholders, note=note[:200],
                               version=(previous.version + 1) if previous else 1, uploaded_by=actor)
        tpl.file.save(uploads.storage_name("docx"), ContentFile(data), save=False)
        tpl.save()
        record(actor=actor, action="document.template_uploaded", subject=tpl,
               extra={"doc_type": doc_type, "region": region.code, "version": tpl.version, "sha256": tpl.sha256,
                      "placeholders": placeholders})
    return tpl


def template_disable(*, template: DocumentTemplate, actor: Any) -> DocumentTemplate:
    """Back to the built-in layout."""
    if not has_capability(actor, "documents.templates"):
        raise PermissionDenied()
    scope = _admin_scope(actor)
    if scope is not None and not template.region_path.startswith(scope):
        raise NotFound()
    with transaction.atomic():
        DocumentTemplate.objects.filter(pk=template.pk).update(active=False)
        template.active = False
        record(actor=actor, action="document.template_disabled", subject=template, changes={"active": [True, False]})
    return template


def _admin_scope(actor: Any) -> str | None:
    """None: everywhere (superuser or a province-wide scope); otherwise the region path prefix. A user
    without an area of their own gets a prefix no region has."""
    if actor.is_superuser:
        return None
    from fangtiao.cases.access import case_scope_path

    scope = case_scope_path(actor)
    if scope == "":
        return None
    return scope if scope is not None else "\x00"


# --- batch printing ---------------------------------------------------------------------------

def print_request(*, actor: Any, kind: str, unit: Any = None, day: dt.date | None = None,
                  case: Case | None = None) -> PrintJob:
    """Queue a batch: the day's registration receipts of `unit`, or the whole 卷宗 (or every form)
    of `case`. The caller has checked that the unit or case is within the actor's reach."""
    if not has_capability(actor, "documents.print"):
        raise PermissionDenied()
    if kind == PrintKind.RECEIPTS:
        if unit is None or day is None:
            raise ValidationFailed.on("day", "请选择单位和日期")
        if day > timezone.localdate():
            raise ValidationFailed.on("day", "日期不能晚于今天")
    elif kind in (PrintKind.ARCHIVE, PrintKind.CASE):
        if case is None:
            raise ValidationFailed.on("case", "请选择事项")
        unit = unit or case.holder_unit
    else:
        raise ValidationFailed.on("kind", "没有这种打印任务")
    with transaction.atomic():
        job = PrintJob.objects.create(kind=kind, unit=unit, case=case, day=day, created_by=actor)
        record(actor=actor, action="document.print_requested", subject=job,
               extra={"kind": kind, "unit": unit.pk, "case": case.pk if case else None, "day": day})
        # through the task interface (fangtiao.tasks): an outbox row in this transaction; "thread"
        # also starts it beside this process after commit, "worker" leaves it to the backend
        mode = settings.FANGTIAO_PRINT_MODE
        task = enqueue("documents.print", job_id=job.pk, mode="worker" if mode == "inline" else mode)
    if mode == "inline":
        run_task(task.pk)
        job.refresh_from_db()
    return job


def print_items(job: PrintJob) -> list[tuple[str, str, Case]]:
    """(doc_type, subject, case) of every document the job prints, in order."""
    items: list[tuple[str, str, Case]] = []
    if job.kind == PrintKind.RECEIPTS:
        start = timezone.make_aware(dt.datetime.combine(job.day, dt.time.min))
        # only what the requester may read (an accusation never reaches a clerk's batch: 第30、46条)
        cases = (Case.objects.visible_to(job.created_by).filter(registered_unit=job.unit, received_at__gte=start,
                                                                received_at__lt=start + dt.timedelta(days=1))
                 .select_related("registered_unit", "holder_unit", "region", "category", "registered_by")
                 .order_by("received_at", "id"))
        return [("intake_receipt", "", c) for c in cases]
    case = job.case
    order = catalogue.ARCHIVE_ORDER if job.kind == PrintKind.ARCHIVE else [d.code for d in catalogue.all_types()]
    for code in order:
        doc = catalogue.get(code)
        if doc is None or not doc.available(case):
            continue
        subjects = [k for k, _ in doc.subjects(case)] if doc.subjects else [""]
        items += [(code, s, case) for s in subjects]
    return items


def print_run(*, job_id: int) -> PrintJob | None:
    """Claim a queued job (compare-and-set, so a web thread and a worker never both run it), issue
    each document, draw them all into one PDF, keep it encrypted. Progress is saved per document."""
    started = timezone.now()
    claimed = PrintJob.objects.filter(pk=job_id, status=PrintStatus.QUEUED).update(
        status=PrintStatus.RUNNING, started_at=started, heartbeat_at=started)
    if not claimed:
        return None
    job = PrintJob.objects.select_related("case", "unit", "created_by").get(pk=job_id)
    mine = PrintJob.objects.filter(pk=job_id, status=PrintStatus.RUNNING, started_at=started)
    try:
        items = print_items(job)
        mine.update(total=len(items), heartbeat_at=timezone.now())
        if not items:
            raise Conflict("没有可打印的文书" if job.kind != PrintKind.RECEIPTS else "该日没有登记的事项")
        layouts = []
        for i, (code, subject, case) in enumerate(items, start=1):
            row = document_issue(case=case, doc_type=code, subject=subject, actor=job.created_by, pdf=False)
            layouts.append(document_layout(row))
            if not mine.update(done=i, heartbeat_at=timezone.now()):
                return None  # re-queued as stale and taken by another runner: leave it to that one
        title = job.get_kind_display()
        pdf_bytes, pages = render_many(layouts, title=title, day=job.day or timezone.localdate())
        name = default_storage.save(f"documents/print/{started:%Y/%m}/print-{job.pk}-{started:%H%M%S%f}.pdf.enc",
                                    ContentFile(crypto.encrypt_bytes(pdf_bytes, context=FILE_AAD)))
        if not mine.update(file=name, sha256=_sha(pdf_bytes), pages=pages, status=PrintStatus.DONE,
                           finished_at=timezone.now()):
            default_storage.delete(name)
            return None
    except Exception as exc:
        log.exception("print job %s failed", job_id)
        detail = exc.detail if hasattr(exc, "detail") else "生成失败，请稍后重试或联系管理员"
        mine.update(status=PrintStatus.FAILED, error=str(detail)[:500], finished_at=timezone.now())
    return PrintJob.objects.get(pk=job_id)


def print_file(*, job: PrintJob, actor: Any) -> tuple[bytes, str]:
    if job.status != PrintStatus.DONE:
        raise Conflict("打印文件尚未生成")
    data = _read(job.file)
    record(actor=actor, action="document.print_downloaded", subject=job, extra={"kind": job.kind})
    return data, f"批量打印-{job.get_kind_display()}-{job.pk}.pdf"


def run_queued_prints(limit: int = 5) -> int:
    """The worker's share: queued jobs nobody started (a web process that stopped, or FANGTIAO_PRINT_MODE=worker)."""
    # a runner beats once per document; silent for 15 minutes means its process is gone
    stale = timezone.now() - dt.timedelta(minutes=15)
    PrintJob.objects.filter(status=PrintStatus.RUNNING, heartbeat_at__lt=stale).update(status=PrintStatus.QUEUED, done=0)
    n = 0
    for pk in PrintJob.objects.filter(status=PrintStatus.QUEUED).order_by("created_at").values_list("pk", flat=True)[:limit]:
        if print_run(job_id=pk) is not None:
            n += 1
    return n
