"""Shared view machinery: the home page, the health probe, and ListPage — filter, page,
htmx partial refresh and Excel export for every list, with the capability checked first and
the jurisdiction applied by the selector."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from fangtiao.audit import services as audit
from fangtiao.core.errors import DomainError
from fangtiao.core.excel import xlsx_response


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness probe and the benchmark floor: no database, no session, no template."""
    return JsonResponse({"status": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from fangtiao.org import selectors
    from fangtiao.org.permissions import has_capability

    ctx: dict[str, Any] = {"counts": selectors.registry_counts(user=request.user)}
    if has_capability(request.user, "case.view"):
        from fangtiao.cases.selectors import inbox_counts

        ctx["work"] = inbox_counts(user=request.user)
        ctx["can_register"] = has_capability(request.user, "case.register")
    if has_capability(request.user, "staffing.view"):
        ctx["short_townships"] = [row for row in selectors.township_staffing(user=request.user) if row["shortfall"]]
    return render(request, "core/home.html", ctx)


@dataclass
class Col:
    label: str
    value: Callable[[Any], Any]
    link: Callable[[Any], str] | None = None
    export: Callable[[Any], Any] | None = None
    css: str = ""

    def cell(self, obj: Any) -> Any:
        value = self.value(obj)
        if self.link is not None:
            return format_html('<a href="{}">{}</a>', self.link(obj), value)
        return value


class ListPage(LoginRequiredMixin, View):
    """Subclasses set title, filter_form, columns, export_name and `select(user, filters)`."""

    capability: ClassVar[str] = "registry.view"
    title: ClassVar[str] = ""
    template_name: ClassVar[str] = "core/list.html"
    filter_form: ClassVar[type[forms.Form]]
    columns: ClassVar[Sequence[Col]]
    export_name: ClassVar[str] = "导出"
    create_url_name: ClassVar[str | None] = None
    create_capability: ClassVar[str | None] = None
    page_size: ClassVar[int] = 30
    # A list over a table of millions gives a paginator with a capped count (cases.views.CappedPaginator).
    paginator_class: ClassVar[type[Paginator]] = Paginator

    def select(self, user: Any, filters: dict[str, Any]) -> QuerySet:
        raise PermissionDenied  # a ListPage without a selector shows nothing

    def check(self, request: HttpRequest) -> None:
        from fangtiao.org.permissions import has_capability

        if not has_capability(request.user, self.capability):
            raise PermissionDenied

    def get(self, request: HttpRequest) -> HttpResponse:
        from fangtiao.org.permissions import has_capability

        self.check(request)
        form = self.filter_form(request.GET or None, user=request.user)
        filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "", [])} if form.is_valid() else {}
        if not form.is_bound:
            filters = {}
        elif not form.is_valid():
            filters = {k: v for k, v in getattr(form, "cleaned_data", {}).items() if v not in (None, "", [])}
        qs = self.select(request.user, filters)
        if request.GET.get("export") == "xlsx":
            if not has_capability(request.user, "export.xlsx"):
                raise PermissionDenied
            return self.export(request, qs, filters)
        paginator = self.paginator_class(qs, self.page_size)
        page = paginator.get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        ctx = {
            "title": self.title,
            "form": form,
            "columns": self.columns,
            "rows": [[col.cell(obj) for col in self.columns] for obj in page.object_list],
            "page": page,
            "query": query.urlencode(),
            "can_export": has_capability(request.user, "export.xlsx"),
            "create_url_name": self.create_url_name
            if self.create_capability and has_capability(request.user, self.create_capability)
            else None,
        }
        template = "core/_list_table.html" if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "list-table" else self.template_name
        return render(request, template, ctx)

    def export(self, request: HttpRequest, qs: QuerySet, filters: dict[str, Any]) -> HttpResponse:
        """The list as Excel, only with a reason (≤ 200 characters) that goes into the audit row
        (个人信息保护法 第51条; security-reliability.md §6 item 15). Without one the list page comes back
        with the Chinese message and nothing is exported or audited."""
        reason = export_reason(request)
        if reason is None:
            return refuse_export(request)
        limit = settings.FANGTIAO_EXPORT_MAX_ROWS
        audit.record(
            actor=request.user, action="export.xlsx",
            extra={"list": self.title, "filters": {k: str(v) for k, v in filters.items()}, "limit": limit,
                   "reason": reason},
            region_path=request.user.audit_region_path,
        )
        cols = [(c.label, c.export or c.value) for c in self.columns]
        return xlsx_response(title=self.title, columns=cols, rows=qs[:limit].iterator(chunk_size=2000), filename=self.export_name)


EXPORT_REASON_MAX = 200
EXPORT_REASON_MESSAGE = _lazy("导出前请填写导出事由（200字以内），导出将记入审计日志。")


def export_reason(request: HttpRequest) -> str | None:
    """The export's reason from the query (GET form) or a POST body; None when empty or too long."""
    reason = str(request.GET.get("reason") or request.POST.get("reason") or "").strip()
    return reason if 0 < len(reason) <= EXPORT_REASON_MAX else None


def refuse_export(request: HttpRequest) -> HttpResponse:
    """Back to the same list (filters kept) with the message; for a non-page caller a 400."""
    from django.contrib import messages
    from django.shortcuts import redirect

    if request.headers.get("HX-Request") or request.path.startswith("/api/"):
        return HttpResponse(str(EXPORT_REASON_MESSAGE), status=400, content_type="text/plain; charset=utf-8")
    messages.error(request, EXPORT_REASON_MESSAGE)
    query = request.GET.copy()
    for key in ("export", "reason"):
        query.pop(key, None)
    return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)


def reveal_response(request: HttpRequest, reveal: Callable[[str], str]) -> HttpResponse:
    """The htmx answer of every 查看 button: the service reveals (and audits) one value, given the
    reason the user typed; outside the jurisdiction is 404, a missing capability 403; never cached.
    An empty or over-long reason is refused (400, Chinese message) before anything is read: every full
    reveal carries a reason into its audit row (data at rest, issue 9; app.js prompts for it)."""
    reason = str(request.POST.get("reason", "")).strip()
    if not reason or len(reason) > EXPORT_REASON_MAX:
        return HttpResponse(_("请填写查看事由（200字以内），查看将记入审计日志。"), status=400,
                            content_type="text/plain; charset=utf-8")
    try:
        value = reveal(reason)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        if exc.status in (400, 422):
            return HttpResponse(exc.detail, status=400, content_type="text/plain; charset=utf-8")
        raise PermissionDenied(exc.detail) from exc
    response = HttpResponse(format_html('<span class="font-monospace" data-revealed="1">{}</span>', value or "—"))
    response["Cache-Control"] = "no-store"
    return response


def _api_error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "errors": []}, status=status, json_dumps_params={"ensure_ascii": False})


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 in the API's JSON shape under /api/, the Chinese page elsewhere."""
    if request.path.startswith("/api/"):
        return _api_error(404, "未找到该对象，或不在您的管辖范围内")
    from django.views.defaults import page_not_found as default

    return default(request, exception)  # type: ignore[arg-type]


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _api_error(403, "您没有执行此操作的权限")
    from django.views.defaults import permission_denied as default

    return default(request, exception)  # type: ignore[arg-type]


def server_error(request: HttpRequest) -> HttpResponse:
    # --- load and faults (issue 9): a full disk or a lost database raised outside a view (in a
    # middleware, e.g. the session save) is a 507/503 too, as ResourceErrorMiddleware makes it in views.
    import sys

    from fangtiao.core.middleware import resource_error_response, resource_error_status

    exc = sys.exc_info()[1]
    status = resource_error_status(exc) if exc is not None else None
    if status is not None:
        return resource_error_response(request, status, exc)
    if request.path.startswith("/api/"):
        return _api_error(500, "系统出现错误，已记录，请稍后重试")
    from django.views.defaults import server_error as default

    return default(request)


# --- domain errors on pages -----------------------------------------------------------------------

def add_domain_errors(form: Any, exc: DomainError, aliases: dict[str, str] | None = None) -> str:
    """A service's field errors beside their fields (`aliases` maps a service field to a form field;
    `items.2.weight` goes to `items`), the rest — and `version` — above the form. Returns the first
    message, for a flash."""
    for err in exc.errors:
        name = (aliases or {}).get(err.field, err.field.split(".")[0])
        form.add_error(name if name in form.fields and name != "version" else None, err.message)
    if not exc.errors:
        form.add_error(None, exc.detail)
    return exc.errors[0].message if exc.errors else exc.detail


def raise_http(exc: DomainError, *, keep: frozenset[str] = frozenset()) -> None:
    """A 404 or 403 from a service as the page's own 404/403 (never a hint of what exists); other
    errors — and 403 codes in `keep`, shown beside the form — return to the caller."""
    if exc.status == 404:
        raise Http404 from exc
    if exc.status == 403 and exc.code not in keep:
        raise PermissionDenied(exc.detail) from exc
