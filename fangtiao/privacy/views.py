"""Pages of the privacy app: the retention schedule (with legal holds and what the sweep did), the
legal-basis register (Excel export), and the PIPL rights requests (list with filters and export,
登记, the request's page with 审查/答复/拒绝 and the person's data copy). Thin: the capability is
checked first (403), selectors scope to the jurisdiction (404 outside), services write."""

from __future__ import annotations

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

from fangtiao.core.errors import DomainError
from fangtiao.core.excel import xlsx_response
from fangtiao.core.views import Col, ListPage, add_domain_errors, raise_http
from fangtiao.org.permissions import has_capability
from fangtiao.privacy import forms as pf
from fangtiao.privacy import selectors, services
from fangtiao.privacy.choices import RequestStatus, Right
from fangtiao.privacy.models import RetentionRule, RightsRequest


def _need(request: HttpRequest, capability: str) -> None:
    if not has_capability(request.user, capability):
        raise PermissionDenied


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


# --- retention schedule -------------------------------------------------------------------------

@login_required
@require_GET
def retention(request: HttpRequest) -> HttpResponse:
    return _retention_page(request)


def _retention_page(request: HttpRequest, *, hold_form: Any = None, status: int = 200) -> HttpResponse:
    _need(request, "privacy.view")
    today = timezone.localdate()
    rows = []
    for rule in selectors.rules():
        rows.append({"rule": rule, "due": services.due_queryset(rule, today=today).count() if rule.active else 0,
                     "held": services.held_count(rule, today=today) if rule.active else 0})
    can_manage = has_capability(request.user, "privacy.manage")
    return render(request, "privacy/retention.html", {
        "title": "个人信息保存期限", "rows": rows, "can_manage": can_manage,
        "holds": selectors.holds_visible(request.user)[:100],
        "done": selectors.recent_anonymisations(request.user),
        "hold_form": hold_form or pf.HoldForm(user=request.user),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "privacy.manage")
    rule = RetentionRule.objects.filter(pk=pk).first()
    if rule is None:
        raise Http404
    status = 200
    if request.method == "POST":
        form = pf.RuleForm(request.POST, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.rule_update(actor=request.user, rule_id=rule.pk, **d)
            except DomainError as exc:
                raise_http(exc)
                add_domain_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, f"已修改「{rule.get_record_type_display()}」的保存期限")
                return redirect("privacy:retention")
        else:
            status = 422
    else:
        form = pf.RuleForm(user=request.user, initial={
            "years": rule.years, "from_date": rule.from_date, "action": rule.action, "legal_source": rule.legal_source,
            "verified": rule.verified, "active": rule.active, "version": rule.version})
    return render(request, "core/form.html", {"title": f"修改保存期限：{rule.get_record_type_display()}", "form": form,
                                              "cancel": reverse("privacy:retention")}, status=status)


@login_required
@require_POST
def hold_new(request: HttpRequest) -> HttpResponse:
    _need(request, "privacy.manage")
    form = pf.HoldForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.hold_place(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            raise_http(exc)
            add_domain_errors(form, exc)
            return _retention_page(request, hold_form=form, status=exc.status)
        messages.success(request, "已设置法律保留：该事项不会被匿名化")
        return redirect("privacy:retention")
    return _retention_page(request, hold_form=form, status=422)


@login_required
@require_POST
def hold_release(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "privacy.manage")
    try:
        services.hold_release(actor=request.user, hold_id=pk)
    except DomainError as exc:
        raise_http(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, "已解除法律保留")
    return redirect("privacy:retention")


# --- legal-basis register -----------------------------------------------------------------------

class RegisterList(ListPage):
    title = "个人信息处理登记（法律依据）"
    export_name = "个人信息处理登记"
    capability = "privacy.view"
    filter_form = pf.RegisterFilterForm
    page_size = 100
    columns: ClassVar[Sequence[Col]] = [
        Col("数据类别", lambda e: e.category),
        Col("处理目的", lambda e: e.purpose),
        Col("法律依据", lambda e: e.get_basis_display()),
        Col("依据说明", lambda e: e.basis_note or "—"),
        Col("敏感", lambda e: "是" if e.sensitive else "否"),
        Col("字段", lambda e: "、".join(e.fields) or "—"),
        Col("保存期限", lambda e: str(e.retention) if e.retention_id else (e.retention_note or "—")),
        Col("可见范围", lambda e: e.who_may_see),
        Col("版本", lambda e: e.version),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        return selectors.register_entries(filters=filters)


# --- rights requests ----------------------------------------------------------------------------

class RequestList(ListPage):
    title = "个人信息权利请求"
    export_name = "个人信息权利请求"
    capability = "privacy.requests"
    create_url_name = "privacy:request_new"
    create_capability = "privacy.requests"
    filter_form = pf.RequestFilterForm
    columns: ClassVar[Sequence[Col]] = [
        Col("编号", lambda r: r.number, link=lambda r: reverse("privacy:request", args=[r.pk])),
        Col("请求人", lambda r: r.name_masked),
        Col("请求事项", lambda r: r.get_right_display()),
        Col("涉及事项", lambda r: r.case.number if r.case_id else "—"),
        Col("收到日期", lambda r: r.received_on.strftime("%Y-%m-%d"), export=lambda r: r.received_on),
        Col("答复期限", lambda r: r.due_on.strftime("%Y-%m-%d"), export=lambda r: r.due_on),
        Col("状态", lambda r: r.get_status_display()),
        Col("受理单位", lambda r: r.unit.name),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        return selectors.request_list(user=user, filters=filters)


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    _need(request, "privacy.requests")
    status = 200
    if request.method == "POST":
        form = pf.RequestForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                r = services.request_register(actor=request.user, data=form.cleaned_data)
            except DomainError as exc:
                raise_http(exc)
                add_domain_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, f"已登记个人信息权利请求 {r.number}，答复期限 {r.due_on:%Y-%m-%d}")
                return redirect("privacy:request", pk=r.pk)
        else:
            status = 422
    else:
        form = pf.RequestForm(user=request.user)
    return _no_store(render(request, "privacy/request_form.html", {"title": "登记个人信息权利请求", "form": form},
                            status=status))


def _request(request: HttpRequest, pk: int) -> RightsRequest:
    _need(request, "privacy.requests")
    r = selectors.request_get(user=request.user, pk=pk)
    if r is None:
        raise Http404
    return r


def _page(request: HttpRequest, r: RightsRequest, *, forms: dict[str, Any] | None = None, error: str = "",
          status: int = 200) -> HttpResponse:
    forms = forms or {}
    user = request.user
    initial = {"version": r.version}
    return _no_store(render(request, "privacy/request.html", {
        "title": f"个人信息权利请求 {r.number}", "r": r, "error": error,
        "can_review": r.status == RequestStatus.REGISTERED,
        "can_answer": r.status == RequestStatus.REVIEWING,
        "can_refuse": r.is_open,
        "can_copy": r.status == RequestStatus.REVIEWING and r.right == Right.ACCESS and has_capability(user, "pii.reveal"),
        "overdue": r.is_open and r.due_on < timezone.localdate(),
        "review_form": forms.get("review") or pf.ReviewForm(user=user, initial=initial, auto_id="review_%s"),
        "answer_form": forms.get("answer") or pf.AnswerForm(user=user, initial=initial, auto_id="answer_%s"),
        "refuse_form": forms.get("refuse") or pf.RefuseForm(user=user, initial=initial, auto_id="refuse_%s"),
        "copy_form": forms.get("copy") or pf.CopyForm(user=user, auto_id="copy_%s"),
    }, status=status))


@login_required
@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _request(request, pk))


def _post(request: HttpRequest, pk: int, *, key: str, form: Any, call: Any, done: str) -> HttpResponse:
    r = _request(request, pk)
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except DomainError as exc:
            raise_http(exc)
            error = add_domain_errors(form, exc)
            return _page(request, _request(request, pk), forms={key: form}, error=error, status=exc.status)
        messages.success(request, done)
        return redirect("privacy:request", pk=pk)
    return _page(request, r, forms={key: form}, error="；".join(e for errs in form.errors.values() for e in errs),
                 status=422)


@login_required
@require_POST
def request_review(request: HttpRequest, pk: int) -> HttpResponse:
    form = pf.ReviewForm(request.POST, user=request.user, auto_id="review_%s")
    return _post(request, pk, key="review", form=form, done="已开始审查",
                 call=lambda d: services.request_review(actor=request.user, pk=pk, version=d["version"], note=d["note"]))


@login_required
@require_POST
def request_answer(request: HttpRequest, pk: int) -> HttpResponse:
    form = pf.AnswerForm(request.POST, user=request.user, auto_id="answer_%s")
    return _post(request, pk, key="answer", form=form, done="已答复",
                 call=lambda d: services.request_answer(actor=request.user, pk=pk, version=d["version"],
                                                        answer=d["answer"]))


@login_required
@require_POST
def request_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    form = pf.RefuseForm(request.POST, user=request.user, auto_id="refuse_%s")
    return _post(request, pk, key="refuse", form=form, done="已拒绝并说明理由",
                 call=lambda d: services.request_refuse(actor=request.user, pk=pk, version=d["version"],
                                                        reason=d["refusal_reason"], basis=d["refusal_basis"]))


@login_required
@require_POST
def request_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """The person's data as .xlsx (查阅复制, 个保法 第45条); audited with the reason."""
    r = _request(request, pk)
    form = pf.CopyForm(request.POST, user=request.user, auto_id="copy_%s")
    if not form.is_valid():
        return _page(request, r, forms={"copy": form}, error="导出个人信息副本须说明理由", status=422)
    try:
        r, rows = services.request_copy(actor=request.user, pk=pk, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        raise_http(exc)
        error = add_domain_errors(form, exc)
        return _page(request, _request(request, pk), forms={"copy": form}, error=error, status=exc.status)
    columns = [("数据类别", lambda x: x[0]), ("来源", lambda x: x[1]), ("项目", lambda x: x[2]), ("内容", lambda x: x[3])]
    return _no_store(xlsx_response(title="个人信息副本", columns=columns, rows=rows, filename=f"个人信息副本-{r.number}"))

