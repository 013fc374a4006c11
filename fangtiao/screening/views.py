"""Pages of screening and early warning (排查预警): the warnings list and a warning's page with
签收 / 处置 / 律师介入, the hot spots of the latest run (and a new window computed in the
background with its progress), a hot spot's member cases, the screening rounds with the record
form and its findings (转为事项), and the completion table.

Thin: forms parse, selectors read (jurisdiction first: outside it 404), services write; the
capability is checked first (403). Domain errors are shown on the form in Chinese, never a 500."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fangtiao.audit import services as audit
from fangtiao.core.errors import DomainError
from fangtiao.core.excel import xlsx_response
from fangtiao.core.views import Col, ListPage, add_domain_errors, export_reason, refuse_export
from fangtiao.org.permissions import has_capability
from fangtiao.screening import forms as sf
from fangtiao.screening import selectors
from fangtiao.screening.choices import RoundStatus, RunStatus, Trend, WarningStatus
from fangtiao.screening.models import EarlyWarning, Hotspot, HotspotRun, ScreeningRound

LEVEL_COLORS = {"red": "red", "orange": "orange", "yellow": "yellow"}
STATUS_COLORS = {WarningStatus.OPEN: "red", WarningStatus.ACKNOWLEDGED: "blue", WarningStatus.RESOLVED: "green",
                 WarningStatus.CLEARED: "secondary"}
TREND_BADGES = {Trend.RISING: ("↑", "red"), Trend.FALLING: ("↓", "green"), Trend.STEADY: ("→", "secondary"),
                Trend.NEW: ("★", "orange")}
ROUND_COLORS = {RoundStatus.SCHEDULED: "blue", RoundStatus.DONE: "green", RoundStatus.MISSED: "red"}


def _need(request: HttpRequest, capability: str) -> None:
    if not has_capability(request.user, capability):
        raise PermissionDenied


def _dt(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _d(value: Any) -> str:
    return f"{value:%Y-%m-%d}" if value else "—"


def _first_error(exc: DomainError) -> str:
    return exc.errors[0].message if exc.errors else exc.detail



def level_badge(w: EarlyWarning) -> str:
    return format_html('<span class="badge bg-{} text-{}-fg" data-level="{}">{}</span>', LEVEL_COLORS.get(w.level, "secondary"),
                       LEVEL_COLORS.get(w.level, "secondary"), w.level, w.get_level_display())


def warning_status_badge(w: EarlyWarning) -> str:
    return format_html('<span class="badge bg-{}-lt" data-testid="warning-status">{}</span>',
                       STATUS_COLORS.get(w.status, "secondary"), w.get_status_display())


def trend_badge(h: Hotspot) -> str:
    arrow, color = TREND_BADGES.get(h.trend, ("", "secondary"))
    return format_html('<span class="badge bg-{}-lt" data-trend="{}">{} {}</span>', color, h.trend, arrow,
                       h.get_trend_display())


def round_status_badge(r: ScreeningRound) -> str:
    text = r.get_status_display() + ("（逾期补报）" if r.status == RoundStatus.DONE and r.late else "")
    return format_html('<span class="badge bg-{}-lt{}" data-status="{}">{}</span>', ROUND_COLORS.get(r.status, "secondary"),
                       " text-red fw-bold" if r.status == RoundStatus.MISSED else "", r.status, text)


class Page(ListPage):
    """A ListPage with context of its own (counts, the run's window …) and URL arguments; the
    export also takes a plain list of rows (the completion table is computed, not a queryset)."""

    def extra_context(self, request: HttpRequest, filters: dict[str, Any], form: Any) -> dict[str, Any]:
        return {}

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:  # type: ignore[override]
        self.check(request)
        self.kwargs = kwargs
        form = self.filter_form(request.GET or None, user=request.user)
        filters: dict[str, Any] = {}
        if form.is_bound:
            form.is_valid()
            filters = {k: v for k, v in getattr(form, "cleaned_data", {}).items() if v not in (None, "", [])}
        extra = self.extra_context(request, filters, form)
        qs = self.select(request.user, filters)
        if request.GET.get("export") == "xlsx":
            if not has_capability(request.user, "export.xlsx"):
                raise PermissionDenied
            return self.export(request, qs, filters)
        paginator = Paginator(qs, self.page_size)
        page = paginator.get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        ctx = {
            "title": self.title, "form": form, "columns": self.screen_columns(),
            "rows": [[col.cell(obj) for col in self.screen_columns()] for obj in page.object_list],
            "page": page, "query": query.urlencode(), "can_export": has_capability(request.user, "export.xlsx"),
            "create_url_name": None, **extra,
        }
        partial = request.headers.get("HX-Request") and request.headers.get("HX-Target") == "list-table"
        return render(request, "core/_list_table.html" if partial else self.template_name, ctx)

    def screen_columns(self) -> Sequence[Col]:
        return self.columns

    def export(self, request: HttpRequest, qs: Any, filters: dict[str, Any]) -> HttpResponse:
        reason = export_reason(request)  # every export states why (个人信息保护法 第51条)
        if reason is None:
            return refuse_export(request)
        limit = settings.FANGTIAO_EXPORT_MAX_ROWS
        audit.record(actor=request.user, action="export.xlsx",
                     extra={"list": self.title, "filters": {k: str(v) for k, v in filters.items()}, "limit": limit,
                            "reason": reason},
                     region_path=request.user.audit_region_path)
        cols = [(c.label, c.export or c.value) for c in self.columns if c.label != "操作"]
        rows = qs[:limit]
        rows = rows.iterator(chunk_size=2000) if hasattr(rows, "iterator") else rows
        return xlsx_response(title=self.title, columns=cols, rows=rows, filename=self.export_name)


# --- 1. warnings -----------------------------------------------------------------------------------

def _warning_link(w: EarlyWarning) -> str:
    return reverse("screening:warning", args=[w.pk])


class WarningList(Page):
    title = "预警"
    export_name = "预警"
    capability = "warning.view"
    filter_form = sf.WarningFilterForm
    template_name = "screening/warnings.html"
    columns: ClassVar[Sequence[Col]] = [
        Col("等级", level_badge, export=lambda w: w.get_level_display()),
        Col("类型", lambda w: w.get_kind_display()),
        Col("预警事项", lambda w: w.title, link=_warning_link, export=lambda w: w.title),
        Col("事项编号", lambda w: w.case.number if w.case_id else "—"),
        Col("属地", lambda w: w.region.name),
        Col("责任单位", lambda w: w.owner_unit.name),
        Col("预警时间", lambda w: _dt(w.raised_at), export=lambda w: w.raised_at),
        Col("状态", warning_status_badge, export=lambda w: w.get_status_display()),
        Col("预警理由", lambda w: "；".join(w.reasons), css="wrap"),
    ]

    def screen_columns(self) -> Sequence[Col]:
        return [c for c in self.columns if c.label != "预警理由"]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        f = dict(filters)
        if f.get("owner_unit") is not None:
            f["owner_unit"] = f["owner_unit"].pk
        return selectors.warning_list(user=user, filters=f)

    def extra_context(self, request: HttpRequest, filters: dict[str, Any], form: Any) -> dict[str, Any]:
        counts = selectors.warning_counts(user=request.user)
        return {"levels": [{"code": code, "label": label, "n": counts.get(code, 0), "color": LEVEL_COLORS[code]}
                           for code, label in (("red", "红色"), ("orange", "橙色"), ("yellow", "黄色"))],
                "active_total": sum(counts.values()), "filters": filters}


def _warning(request: HttpRequest, pk: int) -> EarlyWarning:
    _need(request, "warning.view")
    w = selectors.warning_get(user=request.user, pk=pk)
    if w is None:
        raise Http404
    return w


def _warning_page(request: HttpRequest, w: EarlyWarning, *, forms: dict[str, Any] | None = None, error: str = "",
                  status: int = 200) -> HttpResponse:
    forms = forms or {}
    user = request.user
    can_handle = has_capability(user, "warning.handle")
    can_lawyer = has_capability(user, "warning.lawyer")
    lawyers = sf.lawyer_choices() if can_handle and w.active else []
    interventions = []
    for li in w.interventions.all():
        key = f"assign-{li.pk}"
        rec = f"record-{li.pk}"
        interventions.append({
            "li": li,
            "assign_form": forms.get(key) or sf.LawyerAssignForm(lawyers=lawyers, initial={"lawyer": li.lawyer_id},
                                                                 auto_id=f"{key}_%s"),
            "record_form": forms.get(rec) or sf.LawyerRecordForm(initial={"met_on": f"{timezone.localdate():%Y-%m-%d}"},
                                                                 auto_id=f"{rec}_%s"),
            "can_assign": can_handle and w.active and li.status in ("requested", "assigned"),
            "can_record": can_lawyer and li.status == "assigned",
        })
    open_lawyer = any(li.status in ("requested", "assigned") for li in w.interventions.all())
    return render(request, "screening/warning.html", {
        "title": w.title, "w": w, "level": level_badge(w), "status_badge": warning_status_badge(w),
        "error": error, "stale": "刷新" in error,
        "can_handle": can_handle and w.active, "can_ack": can_handle and w.status == WarningStatus.OPEN,
        "can_request_lawyer": can_handle and w.active and not open_lawyer,
        "ack_form": forms.get("ack") or sf.AcknowledgeForm(initial={"version": w.version}),
        "resolve_form": forms.get("resolve") or sf.ResolveForm(initial={"version": w.version}),
        "lawyer_form": forms.get("lawyer") or sf.LawyerRequestForm(),
        "interventions": interventions,
        "can_view_hotspot": has_capability(user, "hotspot.view"),
        "can_view_round": has_capability(user, "screening.view"),
    }, status=status)


@login_required
@require_GET
def warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _warning_page(request, _warning(request, pk))


def _warning_post(request: HttpRequest, pk: int, *, key: str, form: Any, call: Any, done: str) -> HttpResponse:
    """The shape of every write on the warning page: parse, call the service, redirect with the
    message — or show the page again with the Chinese error beside the form (nothing changed)."""
    w = _warning(request, pk)
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except DomainError as exc:
            if exc.status == 404:
                raise Http404 from exc
            if exc.status == 403:
                raise PermissionDenied(exc.detail) from exc
            add_domain_errors(form, exc)
            w = _warning(request, pk)
            return _warning_page(request, w, forms={key: form}, error=_first_error(exc), status=exc.status)
        messages.success(request, done)
        return redirect("screening:warning", pk=pk)
    return _warning_page(request, w, forms={key: form},
                         error="；".join(e for errs in form.errors.values() for e in errs), status=422)


@login_required
@require_POST
def warning_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    from fangtiao.screening import services

    _need(request, "warning.handle")
    return _warning_post(request, pk, key="ack", form=sf.AcknowledgeForm(request.POST), done=_("已签收预警"),
                         call=lambda d: services.warning_acknowledge(actor=request.user, warning_id=pk,
                                                                     version=d["version"], note=d.get("note") or ""))


@login_required
@require_POST
def warning_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    from fangtiao.screening import services

    _need(request, "warning.handle")
    return _warning_post(request, pk, key="resolve", form=sf.ResolveForm(request.POST), done=_("已处置预警"),
                         call=lambda d: services.warning_resolve(actor=request.user, warning_id=pk,
                                                                 resolution=d["resolution"], version=d["version"]))


@login_required
@require_POST
def warning_lawyer(request: HttpRequest, pk: int) -> HttpResponse:
    from fangtiao.screening import services

    _need(request, "warning.handle")
    return _warning_post(request, pk, key="lawyer", form=sf.LawyerRequestForm(request.POST),
                         done=_("已申请律师介入，已通知公共法律服务机构"),
                         call=lambda d: services.lawyer_request(actor=request.user, warning_id=pk, note=d["note"]))


def _intervention_warning(request: HttpRequest, pk: int, li_pk: int) -> None:
    if not selectors.interventions_visible(request.user).filter(pk=li_pk, warning_id=pk).exists():
        raise Http404


@login_required
@require_POST
def lawyer_assign(request: HttpRequest, pk: int, li: int) -> HttpResponse:
    from fangtiao.screening import services

    _need(request, "warning.handle")
    _intervention_warning(request, pk, li)
    return _warning_post(request, pk, key=f"assign-{li}", form=sf.LawyerAssignForm(request.POST, auto_id=f"assign-{li}_%s"), done=_("已指派律师"),
                         call=lambda d: services.lawyer_assign(actor=request.user, intervention_id=li,
                                                               lawyer_id=d["lawyer"]))


@login_required
@require_POST
def lawyer_record(request: HttpRequest, pk: int, li: int) -> HttpResponse:
    from fangtiao.screening import services

    _need(request, "warning.lawyer")
    _intervention_warning(request, pk, li)
    return _warning_post(request, pk, key=f"record-{li}", form=sf.LawyerRecordForm(request.POST, auto_id=f"record-{li}_%s"), done=_("已记录律师约谈"),
                         call=lambda d: services.lawyer_record(actor=request.user, intervention_id=li, met_on=d["met_on"],
                                                               place=d["place"], summary=d["summary"],
                                                               outcome=d["outcome"]))


# --- 2. hot spots ----------------------------------------------------------------------------------

def _run_for(request: HttpRequest) -> HotspotRun | None:
    """The run a page shows: ?run=<id> when that run is done, else the latest done run."""
    run_id = request.GET.get("run", "")
    if run_id.isascii() and run_id.isdigit() and len(run_id) < 12:
        run = HotspotRun.objects.filter(pk=int(run_id), status=RunStatus.DONE).first()
        if run is not None:
            return run
    return selectors.latest_run()


def _hotspot_link(h: Hotspot) -> str:
    return reverse("screening:hotspot", args=[h.pk])


class HotspotList(Page):
    title = "热点"
    export_name = "热点"
    capability = "hotspot.view"
    filter_form = sf.HotspotFilterForm
    template_name = "screening/hotspots.html"
    columns: ClassVar[Sequence[Col]] = [
        Col("热点", lambda h: h.label, link=_hotspot_link, export=lambda h: h.label),
        Col("关键词", lambda h: "、".join(h.terms[:6]), export=lambda h: "、".join(h.terms)),
        Col("事项数", lambda h: h.size),
        Col("上期事项数", lambda h: h.previous_size),
        Col("趋势", trend_badge, export=lambda h: h.get_trend_display()),
        Col("区域", lambda h: h.region.name),
        Col("时间窗口", lambda h: f"{_d(h.window_start)} 至 {_d(h.window_end)}"),
    ]

    def extra_context(self, request: HttpRequest, filters: dict[str, Any], form: Any) -> dict[str, Any]:
        self.run = _run_for(request)
        pending = None
        pending_id = request.GET.get("pending", "")
        if pending_id.isascii() and pending_id.isdigit() and len(pending_id) < 12:
            pending = HotspotRun.objects.filter(pk=int(pending_id)).first()
        can_compute = has_capability(request.user, "hotspot.compute")
        initial = {}
        if self.run is not None:
            initial = {"start": f"{self.run.window_start:%Y-%m-%d}", "end": f"{self.run.window_end:%Y-%m-%d}"}
        return {"run": self.run, "can_compute": can_compute,
                "run_form": sf.HotspotRunForm(initial=initial) if can_compute else None,
                **(_progress_context(pending) if pending is not None else {})}

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        return selectors.hotspot_list(user=user, run=self.run, region=filters.get("region"))


def _progress_context(run: HotspotRun) -> dict[str, Any]:
    return {"pending": run, "running": run.status in (RunStatus.QUEUED, RunStatus.RUNNING), "percent": run.percent,
            "done_url": f"{reverse('screening:hotspots')}?run={run.pk}"}


@login_required
@require_POST
def hotspot_run(request: HttpRequest) -> HttpResponse:
    """计算热点: a new window goes to the background; the page then shows its progress."""
    _need(request, "hotspot.compute")
    form = sf.HotspotRunForm(request.POST)
    error = ""
    if form.is_valid():
        from fangtiao.screening import hotspots

        try:
            run = hotspots.run_request(actor=request.user, start=form.cleaned_data["start"], end=form.cleaned_data["end"])
        except DomainError as exc:
            if exc.status == 403:
                raise PermissionDenied(exc.detail) from exc
            error = _first_error(exc)
        else:
            messages.info(request, _("已开始计算 %(start)s 至 %(end)s 的热点") % {
                "start": _d(run.window_start), "end": _d(run.window_end)})
            return redirect(f"{reverse('screening:hotspots')}?pending={run.pk}")
    else:
        error = "；".join(e for errs in form.errors.values() for e in errs)
    messages.error(request, error)
    return redirect("screening:hotspots")


@login_required
@require_GET
def hotspot_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment, polled every 2 s while the run works; when done, htmx is told to go
    to the page of that run's hot spots."""
    _need(request, "hotspot.view")
    run = HotspotRun.objects.filter(pk=pk).first()
    if run is None:
        raise Http404
    ctx = _progress_context(run)
    response = render(request, "screening/_run_progress.html", ctx)
    if run.status == RunStatus.DONE and request.headers.get("HX-Request"):
        response["HX-Redirect"] = ctx["done_url"]
    response["Cache-Control"] = "no-store"
    return response


class HotspotDetail(Page):
    title = "热点事项"
    export_name = "热点事项"
    capability = "hotspot.view"
    filter_form = sf.HotspotMembersForm
    template_name = "screening/hotspot.html"
    columns: ClassVar[Sequence[Col]] = [
        Col("编号", lambda c: c.number, link=lambda c: reverse("cases:detail", args=[c.pk]), export=lambda c: c.number),
        Col("标题", lambda c: c.title, css="wrap"),
        Col("纠纷类型", lambda c: c.category.name if c.category_id else "—"),
        Col("发生地", lambda c: c.region.name),
        Col("收到时间", lambda c: _dt(c.received_at), export=lambda c: c.received_at),
        Col("状态", lambda c: _case_status(c), export=lambda c: c.get_status_display()),
    ]

    def extra_context(self, request: HttpRequest, filters: dict[str, Any], form: Any) -> dict[str, Any]:
        h = selectors.hotspot_get(user=request.user, pk=self.kwargs["pk"])
        if h is None:
            raise Http404
        self.hotspot = h
        return {"h": h, "trend": trend_badge(h), "title": h.label}

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        return selectors.hotspot_members(user=user, hotspot=self.hotspot)


def _case_status(case: Any) -> str:
    from fangtiao.cases.views import status_badge

    return status_badge(case)


# --- 3. screening rounds ---------------------------------------------------------------------------

def _round_link(r: ScreeningRound) -> str:
    return reverse("screening:round", args=[r.pk])


class RoundList(Page):
    title = "排查轮次"
    export_name = "排查轮次"
    capability = "screening.view"
    filter_form = sf.RoundFilterForm
    template_name = "screening/rounds.html"
    columns: ClassVar[Sequence[Col]] = [
        Col("排查单位", lambda r: r.unit.name, link=_round_link, export=lambda r: r.unit.name),
        Col("轮次", lambda r: r.label),
        Col("排查周期", lambda r: f"{_d(r.period_start)} 至 {_d(r.due_on)}"),
        Col("应完成日期", lambda r: r.due_on),
        Col("状态", round_status_badge,
            export=lambda r: r.get_status_display() + ("（逾期补报）" if r.status == RoundStatus.DONE and r.late else "")),
        Col("排查日期", lambda r: r.screened_on or "—", export=lambda r: r.screened_on),
        Col("零报告", lambda r: "是" if r.nil_return else "—", export=lambda r: r.nil_return),
        Col("发现纠纷", lambda r: r.n_findings),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        f = dict(filters)
        if f.get("unit") is not None:
            f["unit"] = f["unit"].pk
        return selectors.round_list(user=user, filters=f)

    def extra_context(self, request: HttpRequest, filters: dict[str, Any], form: Any) -> dict[str, Any]:
        return {"missed_only": filters.get("status") == RoundStatus.MISSED}


def _round(request: HttpRequest, pk: int) -> ScreeningRound:
    _need(request, "screening.view")
    r = selectors.round_get(user=request.user, pk=pk)
    if r is None:
        raise Http404
    return r


def _round_page(request: HttpRequest, r: ScreeningRound, *, form: Any = None, rows: list[dict[str, str]] | None = None,
                row_errors: dict[int, dict[str, list[str]]] | None = None, grid: list[str] | None = None,
                to_case: dict[int, Any] | None = None, error: str = "", status: int = 200) -> HttpResponse:
    user = request.user
    can_record = has_capability(user, "screening.record") and r.status != RoundStatus.DONE
    can_to_case = has_capability(user, "case.register")
    regions = sf.region_options_under(r.region_path) if can_record else []
    from fangtiao.cases.forms import category_choices

    categories = category_choices() if can_record else []
    if can_record and form is None:
        form = sf.RoundRecordForm(initial={"version": r.version, "screened_on": f"{timezone.localdate():%Y-%m-%d}"})
    committees = sf.committee_choices(user) if can_to_case else []
    findings = []
    for f in r.findings.all():
        form_ = (to_case or {}).get(f.pk) or sf.FindingToCaseForm(
            user=user, units=committees, initial={"applicant": sf.first_party(f.parties)}, auto_id=f"f{f.pk}_%s")
        findings.append({"f": f, "form": form_})
    rows = rows if rows is not None else []
    return render(request, "screening/round.html", {
        "title": f"{r.unit.name} {r.label}排查", "r": r, "status_badge": round_status_badge(r), "form": form,
        "can_record": can_record, "can_to_case": can_to_case, "findings": findings, "error": error,
        "stale": "刷新" in error, "regions": regions, "categories": categories,
        "risks": sf.FindingRisk.choices,
        "rows": [{**row, "i": i, "errors": (row_errors or {}).get(i, {})} for i, row in enumerate(rows)],
        "blank_row": {**sf.blank_finding(), "i": "__N__", "errors": {}}, "grid_errors": grid or [],
    }, status=status)


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The round and its findings; for those who record, the record form (POST: services.round_record)."""
    from fangtiao.screening import services

    r = _round(request, pk)
    if request.method != "POST":
        return _round_page(request, r)
    _need(request, "screening.record")
    form = sf.RoundRecordForm(request.POST)
    rows, payload, row_errors, grid = sf.parse_findings(request.POST)
    if not form.is_valid() or row_errors or grid:
        return _round_page(request, r, form=form, rows=rows, row_errors=row_errors, grid=grid, status=422,
                           error=_("请检查标红的内容"))
    d = form.cleaned_data
    try:
        services.round_record(actor=request.user, round_id=r.pk, screened_on=d["screened_on"], screeners=d["screeners"],
                              places=d["places"], nil_return=d["nil_return"], summary=d.get("summary") or "",
                              findings=payload, version=d["version"])
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        if exc.status == 403:
            raise PermissionDenied(exc.detail) from exc
        for err in exc.errors:
            parts = err.field.split(".")
            if parts[0] == "findings" and len(parts) == 3 and parts[1].isdigit():
                row_errors.setdefault(int(parts[1]), {}).setdefault(parts[2], []).append(err.message)
            elif parts[0] == "findings":
                grid.append(err.message)
            elif parts[0] in form.fields and parts[0] != "version":
                form.add_error(parts[0], err.message)
            else:
                form.add_error(None, err.message)
        return _round_page(request, _round(request, pk), form=form, rows=rows, row_errors=row_errors, grid=grid,
                           error=_first_error(exc), status=exc.status)
    messages.success(request, _("已填报%(label)s排查结果") % {"label": r.label})
    return redirect("screening:round", pk=r.pk)


@login_required
@require_POST
def finding_to_case(request: HttpRequest, pk: int) -> HttpResponse:
    """转为事项: the finding becomes a case (channel 排查发现), optionally with early intervention."""
    from fangtiao.screening import services
    from fangtiao.screening.models import Finding

    _need(request, "screening.view")
    _need(request, "case.register")
    round_id = Finding.objects.filter(pk=pk).values_list("round_id", flat=True).first()
    if round_id is None:
        raise Http404
    r = _round(request, round_id)
    form = sf.FindingToCaseForm(request.POST, user=request.user, units=sf.committee_choices(request.user),
                                auto_id=f"f{pk}_%s")
    if form.is_valid():
        d = form.cleaned_data
        try:
            case = services.finding_to_case(actor=request.user, finding_id=pk, kind=d["kind"],
                                            intervene_unit=d.get("intervene_unit"), consent=bool(d.get("consent")),
                                            parties=form.parties())
        except DomainError as exc:
            if exc.status == 403:
                raise PermissionDenied(exc.detail) from exc
            add_domain_errors(form, exc, {"parties.0.name": "applicant", "parties.0.phone": "phone",
                                    "parties.1.name": "respondent"})
            return _round_page(request, _round(request, round_id), to_case={pk: form}, error=_first_error(exc),
                               status=exc.status)
        messages.success(request, format_html('{} <a href="{}" class="alert-link" data-testid="new-case">{}</a>',
                                              _("已转为事项"), reverse("cases:detail", args=[case.pk]), case.number))
        return redirect("screening:round", pk=r.pk)
    return _round_page(request, r, to_case={pk: form}, status=422,
                       error="；".join(e for errs in form.errors.values() for e in errs))


# --- 4. completion ---------------------------------------------------------------------------------

def _rate(row: dict[str, Any]) -> str:
    return f"{row['rate'] * 100:.1f}%" if row.get("rate") is not None else "—"


UNIT_COLUMNS: list[Col] = [
    Col("排查单位", lambda r: r["unit_name"]),
    Col("应排查", lambda r: r["due"]), Col("已排查", lambda r: r["done"]), Col("按期", lambda r: r["on_time"]),
    Col("零报告", lambda r: r["nil_returns"]), Col("逾期未报", lambda r: r["missed"]),
    Col("发现纠纷", lambda r: r["findings"]),
    Col("完成率", _rate, export=lambda r: round(r["rate"] * 100, 1) if r.get("rate") is not None else None),
]
TOWNSHIP_COLUMNS: list[Col] = [Col("乡镇（街道）", lambda r: r["region_name"]), *UNIT_COLUMNS[1:]]


class Completion(Page):
    title = "排查完成率"
    export_name = "排查完成率"
    capability = "screening.view"
    filter_form = sf.CompletionForm
    template_name = "screening/completion.html"
    page_size = 200
    columns = UNIT_COLUMNS

    def extra_context(self, request: HttpRequest, filters: dict[str, Any], form: Any) -> dict[str, Any]:
        self.start, self.end = form.window()
        self.by = filters.get("by") if form.is_bound and form.is_valid() and filters.get("by") else "unit"
        self.columns = TOWNSHIP_COLUMNS if self.by == "township" else UNIT_COLUMNS
        return {"start": self.start, "end": self.end, "by": self.by}

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        return selectors.completion(user=user, start=self.start, end=self.end, today=timezone.localdate(),
                                    region=filters.get("region"), by=self.by)
