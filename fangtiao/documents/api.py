"""Document endpoints (../shared/API.md): the documents of a case, one document rendered (or
fetched) as Word or PDF, signed scans, batch print jobs, and the flow chart. A form a role may not
see, a case outside the jurisdiction, or a form the case does not have answers 404."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from fangtiao.core import uploads
from fangtiao.core.api import ERRORS
from fangtiao.core.errors import NotFound, PermissionDenied, ValidationFailed
from fangtiao.documents import selectors, services
from fangtiao.documents.models import Document, PrintJob
from fangtiao.org.permissions import has_capability

router = Router(tags=["文书"])


def file_response(data: bytes, name: str, ctype: str, *, inline: bool = False) -> HttpResponse:
    """Never rendered by the browser as a page (fangtiao.core.uploads.file_response): attachment (or an
    inline PDF), an RFC 6266/5987 name, no sniffing, sandboxed, never text/html."""
    return uploads.file_response(data, name, ctype, inline=inline)


def _case(request: HttpRequest, case_id: int) -> Any:
    """Outside the jurisdiction: 404; a visible case without documents.view: 403."""
    case = selectors.case_for_documents(user=request.user, pk=case_id)
    if case is None:
        raise Http404
    if not selectors.catalogue_visible(request.user):
        raise PermissionDenied()
    return case


def document_out(row: Document) -> dict[str, Any]:
    return {"id": row.pk, "doc_type": row.doc_type, "title": row.title, "subject": row.subject, "number": row.number,
            "version": row.version, "issued_on": row.issued_on, "created_at": row.created_at,
            "docx_sha256": row.docx_sha256, "pdf_sha256": row.pdf_sha256, "pdf_pages": row.pdf_pages,
            "template": row.template.version if row.template_id else None, "template_note": row.template_note,
            "scans": getattr(row, "scan_count", None)}


class DocumentOut(Schema):
    id: int
    doc_type: str
    title: str
    subject: str
    number: str
    version: int
    issued_on: dt.date
    created_at: dt.datetime
    docx_sha256: str
    pdf_sha256: str
    pdf_pages: int | None
    template: int | None
    template_note: str
    scans: int | None


class SubjectOut(Schema):
    key: str
    label: str
    document: int | None


class FormOut(Schema):
    doc_type: str
    title: str
    national: bool
    numbered: bool
    basis: str
    subjects: list[SubjectOut]


class CaseDocumentsOut(Schema):
    items: list[DocumentOut]
    forms: list[FormOut]


@router.get("/cases/{case_id}/documents", response={200: CaseDocumentsOut, **ERRORS}, summary="事项的文书")
def case_documents(request: HttpRequest, case_id: int) -> dict[str, Any]:
    case = _case(request, case_id)
    items = [document_out(r) for r in selectors.case_documents(case=case, user=request.user)]
    forms = [{"doc_type": f["doc"].code, "title": f["doc"].title, "national": f["doc"].national,
              "numbered": bool(f["doc"].number_word), "basis": f["doc"].basis,
              "subjects": [{"key": s["key"], "label": s["label"],
                            "document": s["document"].pk if s["document"] else None} for s in f["subjects"]]}
             for f in selectors.case_forms(case=case, user=request.user)]
    return {"items": items, "forms": forms}


class RenderIn(Schema):
    format: Literal["docx", "pdf"] = "pdf"
    subject: str = Field("", max_length=40, description="同一文书有多份时（如每次调解记录）：session:12 之类；默认最新一份")
    inline: bool = False


@router.get("/cases/{case_id}/documents/{doc_type}", response={200: None, **ERRORS}, summary="生成（或取回）一份文书")
def render_document(request: HttpRequest, case_id: int, doc_type: str, params: Query[RenderIn]) -> HttpResponse:
    case = _case(request, case_id)
    row = services.document_issue(case=case, doc_type=doc_type, subject=params.subject, actor=request.user)
    data, name, ctype = services.document_file(row=row, fmt=params.format, actor=request.user)
    response = file_response(data, name, ctype, inline=params.inline)
    response["X-Document-Number"] = row.number.encode("utf-8").decode("latin-1") if row.number else ""
    response["X-Document-Version"] = str(row.version)
    response["X-Document-Sha256"] = row.docx_sha256 if params.format == "docx" else row.pdf_sha256
    return response


class ScanOut(Schema):
    id: int
    document: int
    kind: str
    original_name: str
    size: int
    sha256: str
    uploaded_at: dt.datetime


@router.post("/cases/{case_id}/documents/{doc_type}/scans", response={201: ScanOut, **ERRORS},
             summary="上传签章扫描件（PDF/JPEG/PNG）")
def upload_scan(request: HttpRequest, case_id: int, doc_type: str, file: File[UploadedFile],
                subject: Form[str] = "", note: Form[str] = "",
                version: Form[int | None] = None) -> Any:
    case = _case(request, case_id)
    if not has_capability(request.user, "documents.upload"):
        raise PermissionDenied()
    if file.size and file.size > settings.FANGTIAO_SCAN_MAX_MB * 1024 * 1024:
        raise ValidationFailed.on("file", f"扫描件不能超过 {settings.FANGTIAO_SCAN_MAX_MB} MB")
    data = file.read()
    if version is not None and not 1 <= version <= 100_000:
        raise ValidationFailed.on("version", "版本号无效")
    services.scan_check(data=data, name=file.name or "", actor=request.user)
    # The scan is of a paper already issued: the version given, else the latest issued; never a new issue.
    row = selectors.issued_document(case=case, user=request.user, doc_type=doc_type, subject=subject[:40],
                                    version=version)
    if row is None:
        raise NotFound("该文书尚未生成，请先生成并打印，签章后再上传扫描件")
    scan = services.scan_upload(row=row, data=data, name=file.name or "", note=note, actor=request.user)
    return Status(201, {"id": scan.pk, "document": row.pk, "kind": scan.kind, "original_name": scan.original_name,
                        "size": scan.size, "sha256": scan.sha256, "uploaded_at": scan.uploaded_at})


@router.get("/cases/{case_id}/scans/{scan_id}", response={200: None, **ERRORS}, summary="下载签章扫描件")
def download_scan(request: HttpRequest, case_id: int, scan_id: int) -> HttpResponse:
    case = _case(request, case_id)
    scan = selectors.scan_row(case=case, user=request.user, pk=scan_id)
    if scan is None:
        raise Http404
    data, name, ctype = services.scan_file(scan=scan, actor=request.user)
    return file_response(data, name, ctype)


class PrintIn(Schema):
    kind: Literal["receipts", "archive", "case"]
    day: dt.date | None = Field(None, ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))
    unit: int | None = Field(None, ge=1, le=2**63 - 1)
    case: int | None = Field(None, ge=1, le=2**63 - 1)


class PrintOut(Schema):
    id: int
    kind: str
    status: str
    total: int
    done: int
    progress: int
    pages: int
    sha256: str
    error: str
    created_at: dt.datetime


def print_out(job: PrintJob) -> dict[str, Any]:
    return {"id": job.pk, "kind": job.kind, "status": job.status, "total": job.total, "done": job.done,
            "progress": job.progress, "pages": job.pages, "sha256": job.sha256, "error": job.error,
            "created_at": job.created_at}


@router.post("/documents/print-jobs", response={201: PrintOut, **ERRORS}, summary="批量打印（当日回执、卷宗）")
def create_print_job(request: HttpRequest, payload: PrintIn) -> Any:
    unit, case = selectors.print_target(request.user, kind=payload.kind, unit_id=payload.unit, case_id=payload.case)
    job = services.print_request(actor=request.user, kind=payload.kind, unit=unit, day=payload.day, case=case)
    return Status(201, print_out(job))


@router.get("/documents/print-jobs/{job_id}", response={200: PrintOut, **ERRORS}, summary="批量打印进度")
def get_print_job(request: HttpRequest, job_id: int) -> dict[str, Any]:
    if not has_capability(request.user, "documents.print"):
        raise PermissionDenied()
    job = selectors.print_job(user=request.user, pk=job_id)
    if job is None:
        raise Http404
    return print_out(job)


@router.get("/documents/print-jobs/{job_id}/file", response={200: None, **ERRORS}, summary="下载批量打印文件")
def get_print_file(request: HttpRequest, job_id: int) -> HttpResponse:
    if not has_capability(request.user, "documents.print"):
        raise PermissionDenied()
    job = selectors.print_job(user=request.user, pk=job_id)
    if job is None:
        raise Http404
    data, name = services.print_file(job=job, actor=request.user)
    return file_response(data, name, "application/pdf", inline=True)


class ChartIn(Schema):
    format: Literal["svg", "pdf"] = "svg"


@router.get("/documents/flowchart", response={200: None, **ERRORS}, summary="工作流程图（由状态机生成）")
def flowchart(request: HttpRequest, params: Query[ChartIn]) -> HttpResponse:
    from fangtiao.documents import flowchart as fc

    if not has_capability(request.user, "case.view"):
        raise PermissionDenied()
    if params.format == "svg":
        response = HttpResponse(fc.render_svg(), content_type="image/svg+xml; charset=utf-8")
        response["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; object-src 'none'; "
                                               "base-uri 'none'; frame-ancestors 'none'; form-action 'none'")
        response["X-Content-Type-Options"] = "nosniff"
        return response
    return file_response(fc.render_pdf(), "访调对接工作流程图.pdf", "application/pdf", inline=True)
