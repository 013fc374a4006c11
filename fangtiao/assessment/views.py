"""Pages of the assessment: the ranking (period and level filter, Excel export, compute in the
background with its progress polled by htmx), a score's
items with the drill-down to the cases behind each item, the scheme editor, commendations and
accountability. Thin: forms parse, selectors read (outside the jurisdiction 404), services write;
the capability is checked first (403)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangtiao.assessment import forms as af
from fangtiao.assessment import runs, selectors, services
from fangtiao.assessment.choices import Level
from fangtiao.assessment.models import ComputeRun, Score
from fangtiao.assessment.periods import month_key, parse_period
from fangtiao.core.dbrouter import reporting_reads
from fangtiao.core.errors import DomainError
from fangtiao.core.views import Col, ListPage, add_domain_errors, raise_http
from fangtiao.org.permissions import has_capability


def _need(request: HttpRequest, capability: str) -> None:
    if not has_capability(request.user, capability):
        raise PermissionDenied




def fmt_value(value: float | None, uom: str) -> str:
    if value is None:
        return "—"
    if uom == "%":
        return f"{value * 100:.2f}%"
    return f"{value:g}{uom}"


def _items_text(s: Score) -> str:
    return "；".join(f"{i.indicator.name} {fmt_value(i.value, i.indicator.unit_of_measure)} 得{i.points}"
                    for i in s.items.all())


def _previous_month() -> str:
    first = timezone.localdate().replace(day=1)
    return month_key(first - dt.timedelta(days=1))


class ScoreList(ListPage):
    title = "考核得分与排名"
    export_name = "考核得分"
    capability = "assessment.view"
    template_name = "assessment/scores.html"
    filter_form = af.ScoreFilterForm
    columns: ClassVar[Sequence[Col]] = [
        Col("名次", lambda s: s.rank),
        Col("单位/调解员", lambda s: s.name, link=lambda s: reverse("assessment:score", args=[s.pk]), export=lambda s: s.name),
        Col("考核期", lambda s: s.period),
        Col("综合得分", lambda s: s.total, export=lambda s: float(s.total)),
        Col("本期得分（动态）", lambda s: s.dynamic_total, export=lambda s: float(s.dynamic_total)),
        Col("年度累计得分（静态）", lambda s: s.static_total, export=lambda s: float(s.static_total)),
        Col("各项指标", lambda s: f"{len(s.items.all())} 项", export=_items_text),
    ]

    def get(self, request: HttpRequest) -> HttpResponse:  # type: ignore[override]
        run = _pending_run(request)
        # the template shows the progress of ?run=<id> (ListPage renders its own context)
        request.assessment_run = _run_context(run) if run is not None else None  # type: ignore[attr-defined]
        # The ranking (and its audited export) reads the replica; the run's progress above stays on default.
        with reporting_reads():
            return super().get(request)

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        level = filters.get("level") or Level.TOWNSHIP
        period = filters.get("period") or selectors.latest_period(user=user, level=level) or _previous_month()
        return selectors.score_list(user=user, period=period, level=level, filters={"q": filters.get("q")})


@login_required
@require_POST
def compute(request: HttpRequest) -> HttpResponse:
    """计算得分: the computation goes to the background; the ranking page then shows its progress."""
    _need(request, "assessment.manage")
    form = af.ComputeForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return redirect("assessment:scores")
    period, level = form.cleaned_data["period"], form.cleaned_data["level"]
    try:
        run = runs.compute_request(actor=request.user, period=parse_period(period), level=level)
    except DomainError as exc:
        raise_http(exc)
        messages.error(request, exc.detail)
        return redirect(f"{reverse('assessment:scores')}?period={period}&level={level}")
    messages.info(request, f"已开始计算 {period} {Level(level).label} 得分")
    return redirect(f"{reverse('assessment:scores')}?period={period}&level={level}&run={run.pk}")


def _run_context(run: ComputeRun) -> dict[str, Any]:
    return {"run": run, "running": run.active, "percent": run.percent,
            "done_url": f"{reverse('assessment:scores')}?period={run.period}&level={run.level}"}


def _pending_run(request: HttpRequest) -> ComputeRun | None:
    raw = request.GET.get("run", "")
    if raw.isascii() and raw.isdigit() and len(raw) < 12:
        return runs.run_get(user=request.user, pk=int(raw))
    return None


@login_required
@require_GET
def compute_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment, polled every 2 s by htmx while the run is queued or running; when it
    is finished it stops polling and links to the refreshed ranking (or shows the error)."""
    _need(request, "assessment.view")
    run = runs.run_get(user=request.user, pk=pk)
    if run is None:
        raise Http404
    response = render(request, "assessment/_compute_progress.html", _run_context(run))
    response["Cache-Control"] = "no-store"
    return response


def _score(request: HttpRequest, pk: int) -> Score:
    _need(request, "assessment.view")
    s = selectors.score_get(user=request.user, pk=pk)
    if s is None:
        raise Http404
    return s


def _cases_link(s: Score, code: str) -> str:
    """The cases list's own filters where they express the item (township units: region + received dates)."""
    received = {"accepted_on_time_rate", "closed_on_time_rate", "participation_rate", "satisfaction_rate",
                "avg_response_days", "repeat_change", "skip_level_change"}
    if s.level != Level.TOWNSHIP or code not in received or s.unit is None:
        return ""
    flag = {"repeat_change": "&flag=repeat", "skip_level_change": "&flag=skip_level"}.get(code, "")
    return (f"{reverse('cases:list')}?region={s.unit.region.code}&received_from={s.start:%Y-%m-%d}"
            f"&received_to={s.end:%Y-%m-%d}{flag}")


@login_required
@require_GET
def score_detail(request: HttpRequest, pk: int) -> HttpResponse:
    s = _score(request, pk)
    from fangtiao.assessment.indicators import CASES

    rows = [{"item": i, "value": fmt_value(i.value, i.indicator.unit_of_measure),
             "static_value": fmt_value(i.static_value, i.indicator.unit_of_measure),
             "drill": i.indicator.code in CASES} for i in s.items.all()]
    for r in rows:
        r["cases_link"] = _cases_link(s, r["item"].indicator.code)
    return render(request, "assessment/score.html", {"title": f"{s.name} · {s.period}", "s": s, "rows": rows})


class ItemCases(ListPage):
    title = "得分项涉及的事项"
    export_name = "考核下钻事项"
    capability = "assessment.view"
    filter_form = af.ScoreFilterForm  # unused fields are ignored; the page is scoped by the URL
    columns: ClassVar[Sequence[Col]] = [
        Col("编号", lambda c: c.number, link=lambda c: reverse("cases:detail", args=[c.pk])),
        Col("事项标题", lambda c: c.title),
        Col("收到时间", lambda c: timezone.localtime(c.received_at).strftime("%Y-%m-%d %H:%M"),
            export=lambda c: timezone.localtime(c.received_at).replace(tzinfo=None)),
        Col("发生地", lambda c: c.region.name),
        Col("办理单位", lambda c: c.holder_unit.name),
        Col("状态", lambda c: c.get_status_display()),
    ]

    def get(self, request: HttpRequest, pk: int, item_id: int) -> HttpResponse:  # type: ignore[override]
        self.score = _score(request, pk)
        self.item = next((i for i in self.score.items.all() if i.pk == item_id), None)
        if self.item is None:
            raise Http404
        self.static = request.GET.get("span") == "year"
        span = "年度累计" if self.static else "本期"
        self.title = f"{self.score.name} {self.score.period} · {self.item.indicator.name}：{span}涉及的事项"
        return super().get(request)

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        qs = selectors.item_cases(user=user, score=self.score, item=self.item, static=self.static)
        if qs is None:
            raise Http404
        if filters.get("q"):
            qs = qs.filter(title__icontains=filters["q"])
        return qs


@login_required
@require_GET
def scheme_list(request: HttpRequest) -> HttpResponse:
    _need(request, "assessment.view")
    return render(request, "assessment/schemes.html", {
        "title": "考核方案", "schemes": selectors.scheme_list(request.user), "indicators": selectors.indicator_list(),
        "can_manage": has_capability(request.user, "assessment.manage")})


def _indicator_choices() -> list[tuple[str, str]]:
    return [(i.code, f"{i.name}（{i.get_direction_display()}，{i.unit_of_measure}）")
            for i in selectors.indicator_list().filter(active=True)]


@login_required
@require_http_methods(["GET", "POST"])
def scheme_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _need(request, "assessment.manage")
    scheme = None
    if pk is not None:
        scheme = selectors.scheme_get(pk, request.user)
        if scheme is None:
            raise Http404
    try:
        own_region = services.actor_region_path(request.user)
    except DomainError as exc:
        raise_http(exc)
        raise
    # Editing a scheme of another region (the default, or the city's) saves a scheme of one's own region.
    own = scheme is not None and scheme.region_path == own_region
    choices = _indicator_choices()
    status = 200
    if request.method == "POST":
        form = af.SchemeForm(request.POST, user=request.user)
        items = af.SchemeItemFormSet(request.POST, prefix="items", form_kwargs={"user": request.user, "indicators": choices})
        version = af.parse_version(request.POST.get("version"))
        if version is False:
            form.is_valid()
            form.add_error(None, "版本号无效，请刷新页面后重试")
        if version is not False and form.is_valid() and items.is_valid():
            rows = [{k: f.cleaned_data.get(k) for k in ("indicator", "weight", "method", "floor", "target", "if_empty")}
                    for f in items.forms if f.cleaned_data.get("indicator")]
            try:
                saved = services.scheme_save(actor=request.user, scheme_id=scheme.pk if own and scheme else None,
                                             version=version if own else None,
                                             items=rows, **form.cleaned_data)
            except DomainError as exc:
                raise_http(exc)
                status = exc.status
                _scheme_errors(form, items, exc, rows)
            else:
                messages.success(request, f"已保存考核方案“{saved.name}”")
                return redirect("assessment:schemes")
        else:
            status = 422
    else:
        initial = {"active": True, "dynamic_share": 60}
        item_initial: list[dict[str, Any]] = []
        if scheme is not None:
            initial = {k: getattr(scheme, k) for k in ("name", "period_type", "level", "dynamic_share", "active", "note")}
            item_initial = [{"indicator": i.indicator.code, "weight": i.weight, "method": i.method, "floor": i.floor,
                             "target": i.target, "if_empty": i.if_empty} for i in scheme.items.all()]
        form = af.SchemeForm(initial=initial, user=request.user)
        item_initial += [{} for _ in range(max(3, 14 - len(item_initial)))]
        items = af.SchemeItemFormSet(initial=item_initial, prefix="items",
                                     form_kwargs={"user": request.user, "indicators": choices})
    return render(request, "assessment/scheme_form.html", {
        "title": f"修改考核方案：{scheme.name}" if scheme else "新建考核方案", "form": form, "items": items,
        "scheme": scheme}, status=status)


def _scheme_errors(form: Any, items: Any, exc: DomainError, rows: list[dict[str, Any]]) -> None:
    """Service errors beside their fields: `items.<n>.<field>` is the n-th filled row."""
    filled = [f for f in items.forms if f.cleaned_data.get("indicator")]
    for err in exc.errors:
        parts = err.field.split(".")
        if parts[0] == "items" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(filled):
            filled[int(parts[1])].add_error(parts[2] if parts[2] in filled[0].fields else None, err.message)
        elif err.field in form.fields:
            form.add_error(err.field, err.message)
        else:
            form.add_error(None, err.message)
    if not exc.errors:
        form.add_error(None, exc.detail)


@login_required
@require_http_methods(["GET", "POST"])
def commendations(request: HttpRequest) -> HttpResponse:
    _need(request, "assessment.view")
    can_manage = has_capability(request.user, "assessment.manage")
    status = 200
    form = af.ProposeForm(initial={"period": _previous_month(), "level": Level.TOWNSHIP, "top": 3}, user=request.user)
    if request.method == "POST":
        _need(request, "assessment.manage")
        form = af.ProposeForm(request.POST, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                made = services.commendations_propose(actor=request.user, period=parse_period(d["period"]),
                                                      level=d["level"], top=d["top"], note=d.get("note") or "")
            except DomainError as exc:
                raise_http(exc)
                add_domain_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, f"已提出表彰建议 {len(made)} 个，待领导确认")
                return redirect("assessment:commendations")
        else:
            status = 422
    rows = list(selectors.commendation_list(user=request.user)[:200])
    from fangtiao.org.choices import Role

    can_confirm = can_manage and (request.user.is_superuser or Role.LEADER in request.user.role_codes)
    return render(request, "assessment/commendations.html", {
        "title": "表彰", "rows": rows, "form": form, "can_manage": can_manage, "can_confirm": can_confirm},
        status=status)


@login_required
@require_POST
def commendation_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "assessment.manage")
    try:
        c = services.commendation_confirm(actor=request.user, commendation_id=pk)
    except DomainError as exc:
        raise_http(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"已确认表彰：{c.name}")
    return redirect("assessment:commendations")


class AccountabilityList(ListPage):
    title = "问责记录"
    export_name = "问责记录"
    capability = "accountability.view"  # the records name people: leaders and officers only
    create_url_name = "assessment:accountability_new"
    create_capability = "accountability.record"
    filter_form = af.AccountabilityFilterForm
    columns: ClassVar[Sequence[Col]] = [
        Col("决定日期", lambda a: a.decided_on),
        Col("被问责单位", lambda a: a.unit.name),
        Col("被问责人", lambda a: a.person or "—"),
        Col("问责方式", lambda a: a.get_measure_display()),
        Col("事由", lambda a: a.reason),
        Col("关联", lambda a: f"预警 #{a.warning_id} {a.warning.title}" if a.warning_id
            else f"事项 {a.case.number if a.case_id else ''} 环节 #{a.case_event_id}"),
        Col("登记人", lambda a: a.recorded_by.name),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        f = dict(filters)
        f["from"], f["to"] = f.pop("decided_from", None), f.pop("decided_to", None)
        return selectors.accountability_list(user=user, filters=f)


@login_required
@require_http_methods(["GET", "POST"])
def accountability_new(request: HttpRequest) -> HttpResponse:
    _need(request, "accountability.record")
    status = 200
    if request.method == "POST":
        form = af.AccountabilityForm(request.POST, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.accountability_record(
                    actor=request.user, warning_id=int(d["warning"]) if d.get("warning") else None,
                    case_event_id=d.get("case_event"), unit_id=int(d["unit"]), person=d.get("person") or "",
                    reason=d["reason"], measure=d["measure"], decided_on=d["decided_on"])
            except DomainError as exc:
                raise_http(exc)
                add_domain_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, "已登记问责")
                return redirect("assessment:accountability")
        else:
            status = 422
    else:
        initial = {"decided_on": timezone.localdate(), "warning": request.GET.get("warning", ""),
                   "case_event": request.GET.get("case_event") or None}
        form = af.AccountabilityForm(initial=initial, user=request.user)
    return render(request, "assessment/accountability_form.html", {"title": "登记问责", "form": form}, status=status)
