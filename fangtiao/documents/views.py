"""Pages of official documents: the documents panel of the case page (issue, preview, download,
signed scans, print the 卷宗), batch printing with its progress page, the district templates'
administration, and the 工作流程图.

Thin: forms parse, selectors read, services write (and audit). The capability is checked first,
the jurisdiction by the selectors (outside it: 404). A service's refusal (DomainError) becomes a
Chinese message on the page — beside the field it names — never a 500. Files are served by
`documents.api.file_response` (attachment or an inline PDF, no sniffing, sandboxed)."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fangtiao.cases.models import Case
from fangtiao.core.errors import DomainError
from fangtiao.core.views import Col, ListPage
from fangtiao.documents import catalogue, custom, selectors, services
from fangtiao.documents import forms as df
from fangtiao.documents.api import file_response
from fangtiao.documents.choices import PrintKind, PrintStatus
from fangtiao.documents.models import Document, PrintJob
from fangtiao.org.permissions import has_capability

RUNNING = (PrintStatus.QUEUED, PrintStatus.RUNNING)


def _need(request: HttpRequest, capability: str) -> None:
    if not has_capability(request.user, capability):
        raise PermissionDenied


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _case(request: HttpRequest, pk: int) -> Case:
    """The case if the user may see it (else 404); seeing its documents needs documents.view (else 403)."""
    case = selectors.case_for_documents(user=request.user, pk=pk)
    if case is None:
        raise Http404
    if not selectors.catalogue_visible(request.user):
        raise PermissionDenied
    return case


def _document(request: HttpRequest, case: Case, pk: int) -> Document:
    row = selectors.document_row(case=case, user=request.user, pk=pk)
    if row is None:
        raise Http404
    return row


def _error_page(request: HttpRequest, exc: DomainError, *, back: str, back_label: str) -> HttpResponse:
    """A refused file (PDF font missing, print not finished …) as a page in Chinese, not a 500."""
    return render(request, "documents/error.html", {"title": _("无法打开文件"), "detail": exc.detail, "back": back,
                                                    "back_label": back_label}, status=exc.status)


# --- 1. the documents panel of the case page ----------------------------------------------------

def _scan_form(row: Document, data: Any = None, files: Any = None) -> df.ScanUploadForm:
    return df.ScanUploadForm(data, files, auto_id=f"scan{row.pk}_%s")


def panel_context(request: HttpRequest, case: Case, *, upload: tuple[int, df.ScanUploadForm] | None = None,
                  error: str = "", notice: str = "", focus: str = "") -> dict[str, Any]:
    """The forms this case has, one row per subject (each session record, each agreement), with the
    latest issued version, its scans and the upload form; and what the user may do."""
    user = request.user
    forms = selectors.case_forms(case=case, user=user)
    codes = [f["doc"].code for f in forms]
    scans = selectors.case_scans(case=case, codes=codes)
    can_upload = has_capability(user, "documents.upload")
    rows = []
    for f in forms:
        doc = f["doc"]
        for s in f["subjects"]:
            row: Document | None = s["document"]
            bound = upload is not None and row is not None and upload[0] == row.pk
            form = (upload[1] if bound else _scan_form(row)) if (row is not None and can_upload) else None
            rows.append({
                "doc": doc, "subject": s["key"], "label": s["label"], "row": row, "upload": form, "open": bound,
                "scans": scans.get((doc.code, s["key"]), []), "focus": focus == f"{doc.code}|{s['key']}",
            })
    return {
        "case": case, "rows": rows, "error": error, "notice": notice, "can_upload": can_upload,
        "can_print": has_capability(user, "documents.print"),
        "has_archive": any(code in catalogue.ARCHIVE_ORDER for code in codes),
    }


def _panel_response(request: HttpRequest, case: Case, *, status: int = 200, **kw: Any) -> HttpResponse:
    ctx = panel_context(request, case, **kw)
    if _is_htmx(request):
        return render(request, "documents/_panel.html", ctx)  # htmx swaps 2xx only: the message is in the panel
    return render(request, "documents/case.html", {**ctx, "title": _("文书")}, status=status)


def _done(request: HttpRequest, case: Case, notice: str, focus: str = "") -> HttpResponse:
    if _is_htmx(request):
        return _panel_response(request, case, notice=notice, focus=focus)
    messages.success(request, notice)
    return redirect("documents:case", pk=case.pk)


@login_required
@require_GET
def panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The panel alone, loaded by the case page with htmx (so the case page does not wait for it)."""
    return render(request, "documents/_panel.html", panel_context(request, _case(request, pk)))


@login_required
@require_GET
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The same panel on a page of its own (a direct link; the answer to a form posted without htmx)."""
    case = _case(request, pk)
    return render(request, "documents/case.html", {**panel_context(request, case), "title": _("文书")})


@login_required
@require_POST
def issue(request: HttpRequest, pk: int) -> HttpResponse:
    """生成/更新: the current version of one form (unchanged case → the same version, same number)."""
    case = _case(request, pk)
    form = df.IssueForm(request.POST)
    if not form.is_valid():
        return _panel_response(request, case, error=_("请选择要生成的文书"), status=422)
    code, subject = form.cleaned_data["doc_type"], form.cleaned_data["subject"]
    before = selectors.latest_version_id(case=case, doc_type=code, subject=subject)
    try:
        row = services.document_issue(case=case, doc_type=code, subject=subject, actor=request.user)
    except DomainError as exc:
        return _panel_response(request, case, error=exc.detail, status=exc.status)
    number = f"（{row.number}）" if row.number else ""
    if before == row.pk:
        notice = _("%(title)s%(number)s内容未变化，仍为第%(v)s版") % {"title": row.title, "number": number, "v": row.version}
    else:
        notice = _("已生成%(title)s%(number)s第%(v)s版") % {"title": row.title, "number": number, "v": row.version}
    return _done(request, case, notice, focus=f"{row.doc_type}|{row.subject}")


@login_required
@require_GET
def document_file(request: HttpRequest, pk: int, doc: int, fmt: str) -> HttpResponse:
    """预览PDF (inline, in a new tab) or 下载Word (attachment) of an issued version; audited."""
    case = _case(request, pk)
    row = _document(request, case, doc)
    try:
        data, name, ctype = services.document_file(row=row, fmt=fmt, actor=request.user)
    except DomainError as exc:
        return _error_page(request, exc, back=reverse("cases:detail", args=[case.pk]), back_label=_("返回事项"))
    return file_response(data, name, ctype, inline=fmt == "pdf")


@login_required
@require_POST
def scan_upload(request: HttpRequest, pk: int, doc: int) -> HttpResponse:
    """上传签章件: checked by content by the service; its message beside the field, nothing stored."""
    case = _case(request, pk)
    _need(request, "documents.upload")
    row = _document(request, case, doc)
    form = _scan_form(row, request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        limit = settings.FANGTIAO_SCAN_MAX_MB * 1024 * 1024
        try:
            scan = services.scan_upload(row=row, data=df.read_upload(upload, limit), name=upload.name or "",
                                        note=form.cleaned_data["note"], actor=request.user)
        except DomainError as exc:
            df.add_domain_error(form, exc)
        else:
            notice = _("已上传%(title)s的签章扫描件：%(name)s") % {"title": row.title, "name": scan.original_name}
            return _done(request, case, notice, focus=f"{row.doc_type}|{row.subject}")
    return _panel_response(request, case, upload=(row.pk, form), status=422)


@login_required
@require_GET
def scan_download(request: HttpRequest, pk: int, scan: int) -> HttpResponse:
    """A signed scan, always as a download (never rendered by the browser); audited."""
    case = _case(request, pk)
    row = selectors.scan_row(case=case, user=request.user, pk=scan)
    if row is None:
        raise Http404
    try:
        data, name, ctype = services.scan_file(scan=row, actor=request.user)
    except DomainError as exc:  # the file gone from the storage, or the storage not answering
        return _error_page(request, exc, back=reverse("cases:detail", args=[case.pk]), back_label=_("返回事项"))
    return file_response(data, name, ctype)


@login_required
@require_POST
def case_print(request: HttpRequest, pk: int) -> HttpResponse:
    """打印卷宗 / 打印全部文书: a print job for the case, then its progress page."""
    case = _case(request, pk)
    _need(request, "documents.print")
    form = df.PrintCaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["kind"][0])
        return redirect("cases:detail", pk=case.pk)
    kind = form.cleaned_data["kind"]
    unit, target = selectors.print_target(request.user, kind=kind, unit_id=None, case_id=case.pk)
    try:
        job = services.print_request(actor=request.user, kind=kind, unit=unit, case=target)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("cases:detail", pk=case.pk)
    return redirect("documents:job", pk=job.pk)


# --- 2. batch printing ----------------------------------------------------------------------------

def _job_status(job: PrintJob) -> str:
    color = {"done": "green", "failed": "red", "running": "blue"}.get(job.status, "yellow")
    return format_html('<span class="badge bg-{}-lt" data-status="{}">{}</span>', color, job.status,
                       job.get_status_display())


def _job_scope(job: PrintJob) -> str:
    if job.kind == PrintKind.RECEIPTS:
        return f"{job.day:%Y-%m-%d}" if job.day else "—"
    return job.case.number if job.case_id else "—"


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


class PrintPage(ListPage):
    """批量打印: the day's 登记回执 of the user's unit for a date, and the user's own print jobs."""

    title = "批量打印"
    export_name = "批量打印任务"
    capability = "documents.print"
    filter_form = df.PrintJobFilterForm
    template_name = "documents/print.html"
    page_size = 20
    columns = [
        Col("任务", lambda j: f"#{j.pk}", link=lambda j: reverse("documents:job", args=[j.pk]), export=lambda j: j.pk),
        Col("类型", lambda j: j.get_kind_display()),
        Col("日期/事项", _job_scope),
        Col("单位", lambda j: j.unit.name),
        Col("状态", _job_status, export=lambda j: j.get_status_display()),
        Col("进度", lambda j: f"{j.done}/{j.total}"),
        Col("页数", lambda j: j.pages or "—", export=lambda j: j.pages),
        Col("提交时间", lambda j: _local(j.created_at), export=lambda j: j.created_at),
        Col("完成时间", lambda j: _local(j.finished_at), export=lambda j: j.finished_at),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        qs = selectors.print_jobs(user=user)
        if filters.get("kind"):
            qs = qs.filter(kind=filters["kind"])
        if filters.get("status"):
            qs = qs.filter(status=filters["status"])
        return qs

    def post(self, request: HttpRequest) -> HttpResponse:
        """打印当日回执: a job for the user's unit and the day, then its progress page."""
        self.check(request)
        form = df.ReceiptsForm(request.POST, user=request.user)
        if form.is_valid():
            if request.user.unit_id is None:
                form.add_error("day", _("您的账号没有所属单位，无法打印登记回执"))
            else:
                unit, _none = selectors.print_target(request.user, kind=PrintKind.RECEIPTS, unit_id=None, case_id=None)
                try:
                    job = services.print_request(actor=request.user, kind=PrintKind.RECEIPTS, unit=unit,
                                                 day=form.cleaned_data["day"])
                except DomainError as exc:
                    df.add_domain_error(form, exc)
                else:
                    return redirect("documents:job", pk=job.pk)
        # The page again, the typed date kept and the message beside it (this request's view only).
        self.filter_form = partial(df.PrintJobFilterForm, receipts=form)  # type: ignore[misc]
        response = self.get(request)
        response.status_code = 422
        return response


def _job(request: HttpRequest, pk: int) -> PrintJob:
    _need(request, "documents.print")
    job = selectors.print_job(user=request.user, pk=pk)
    if job is None:
        raise Http404
    return job


def _job_context(job: PrintJob) -> dict[str, Any]:
    return {"job": job, "running": job.status in RUNNING, "progress": job.progress}


@login_required
@require_GET
def job_page(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    return render(request, "documents/job.html", {**_job_context(job), "title": _("打印任务 #%(pk)s") % {"pk": job.pk}})


@login_required
@require_GET
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled each second by the job page while the job runs; ?format=json for scripts."""
    job = _job(request, pk)
    if request.GET.get("format") == "json":
        return JsonResponse({"id": job.pk, "status": job.status, "done": job.done, "total": job.total,
                             "progress": job.progress, "pages": job.pages, "error": job.error,
                             "file": reverse("documents:job_file", args=[job.pk]) if job.status == PrintStatus.DONE else None},
                            json_dumps_params={"ensure_ascii": False})
    response = render(request, "documents/_job_progress.html", _job_context(job))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def job_file(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        data, name = services.print_file(job=job, actor=request.user)
    except DomainError as exc:
        return _error_page(request, exc, back=reverse("documents:job", args=[job.pk]), back_label=_("返回打印任务"))
    return file_response(data, name, "application/pdf", inline=True)


# --- 3. district templates ---------------------------------------------------------------------

def _placeholder(name: str) -> str:
    return "{{ " + name + " }}"


def _templates_page(request: HttpRequest, *, bound: tuple[str, df.TemplateUploadForm] | None = None,
                    status: int = 200) -> HttpResponse:
    user = request.user
    regions = df.template_regions(user)
    by_type: dict[str, list[Any]] = defaultdict(list)
    for tpl in selectors.templates(user=user):
        by_type[tpl.doc_type].append(tpl)
    rows = []
    for doc in catalogue.all_types():
        tpls = by_type.get(doc.code, [])
        form = bound[1] if bound is not None and bound[0] == doc.code else \
            df.TemplateUploadForm(user=user, regions=regions, auto_id=f"tpl_{doc.code}_%s")
        rows.append({
            "doc": doc, "active": [t for t in tpls if t.active], "history": [t for t in tpls if not t.active],
            "form": form, "open": bound is not None and bound[0] == doc.code,
            "fields": [{"name": n, "tag": _placeholder(n), "description": d, "required": n in doc.required}
                       for n, d in doc.all_fields.items()],
        })
    return render(request, "documents/templates.html", {
        "title": _("文书模板"), "rows": rows, "has_regions": bool(regions),
        "number_example": _placeholder("number"),
        "loop_example": "{% for p in applicants %}{{ p.name }} {% endfor %}",
        "row_example": "{%tr for p in parties %} … {{ p.name }} … {%tr endfor %}",
    }, status=status)


@login_required
@require_GET
def templates_page(request: HttpRequest) -> HttpResponse:
    """文书模板: for each form, the district templates in use, the upload form and its placeholders."""
    _need(request, "documents.templates")
    return _templates_page(request)


@login_required
@require_POST
def template_upload(request: HttpRequest, code: str) -> HttpResponse:
    _need(request, "documents.templates")
    doc = catalogue.get(code)
    if doc is None:
        raise Http404
    form = df.TemplateUploadForm(request.POST, request.FILES, user=request.user, regions=df.template_regions(request.user),
                                 auto_id=f"tpl_{code}_%s")
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            tpl = services.template_upload(doc_type=code, region=form.cleaned_data["region"],
                                           data=df.read_upload(upload, custom.MAX_TEMPLATE_BYTES),
                                           name=upload.name or "", note=form.cleaned_data["note"], actor=request.user)
        except DomainError as exc:
            df.add_domain_error(form, exc)
        else:
            messages.success(request, _("%(title)s：%(region)s已启用第%(v)s版地区模板") % {
                "title": doc.title, "region": tpl.region.name, "v": tpl.version})
            return redirect(reverse("documents:templates") + f"#tpl-{code}")
    return _templates_page(request, bound=(code, form), status=422)


@login_required
@require_POST
def template_disable(request: HttpRequest, pk: int) -> HttpResponse:
    """停用: back to the built-in layout (documents issued before keep their files)."""
    _need(request, "documents.templates")
    tpl = selectors.templates(user=request.user).filter(pk=pk, active=True).first()
    if tpl is None:
        raise Http404
    try:
        services.template_disable(template=tpl, actor=request.user)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, exc.detail)
    else:
        doc = catalogue.get(tpl.doc_type)
        messages.success(request, _("%(title)s：%(region)s已停用地区模板，改用内置格式") % {
            "title": doc.title if doc else tpl.doc_type, "region": tpl.region.name})
    return redirect(reverse("documents:templates") + f"#tpl-{tpl.doc_type}")


# --- 4. the flow chart ----------------------------------------------------------------------------

_SVG_SIZE = re.compile(r'\s(?:width|height)="[^"]*"')


def _fluid(svg: str) -> str:
    """The chart as wide as the page: drop the fixed millimetre size of the root element (its
    viewBox keeps the proportions)."""
    start = svg.find("<svg")
    end = svg.find(">", start)
    if start < 0 or end < 0:
        return svg
    head = _SVG_SIZE.sub("", svg[start:end]).replace("<svg", '<svg class="w-100 h-auto" data-testid="flowchart-svg"', 1)
    return svg[:start] + head + svg[end:]


@login_required
@require_GET
def flowchart_page(request: HttpRequest) -> HttpResponse:
    _need(request, "case.view")
    from fangtiao.documents import flowchart as fc

    # Drawn server-side from our own lifecycle and clock tables, every text escaped by flowchart.py.
    svg = mark_safe(_fluid(fc.render_svg()))  # noqa: S308  # nosec B308 B703  # — server-drawn SVG, every text escaped by flowchart.py  # nosemgrep: fangtiao-mark-safe — server-drawn SVG, every text escaped by flowchart.py
    return render(request, "documents/flowchart.html", {"title": _("工作流程图"), "svg": svg,
                                                        "fingerprint": fc.fingerprint()})


@login_required
@require_GET
def flowchart_pdf(request: HttpRequest) -> HttpResponse:
    _need(request, "case.view")
    from fangtiao.documents import flowchart as fc

    try:
        data = fc.render_pdf()
    except DomainError as exc:
        return _error_page(request, exc, back=reverse("documents:flowchart"), back_label=_("返回工作流程图"))
    return file_response(data, "访调对接工作流程图.pdf", "application/pdf", inline=True)
