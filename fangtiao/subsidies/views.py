"""Pages of 以奖代补: the batches (filters, Excel export of the list), a batch with its lines, cases
and the buttons its state allows, the 发放表 download, the prepare form, and the rules. Thin: forms
parse, selectors read (outside the jurisdiction 404), services write; the capability first (403)."""

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

from fangtiao.audit import services as audit
from fangtiao.core.errors import DomainError
from fangtiao.core.views import (
    EXPORT_REASON_MESSAGE,
    Col,
    ListPage,
    add_domain_errors,
    export_reason,
    raise_http,
)
from fangtiao.org.permissions import has_capability
from fangtiao.subsidies import forms as sf
from fangtiao.subsidies import selectors, services
from fangtiao.subsidies.choices import BatchAction
from fangtiao.subsidies.excel import payout_response
from fangtiao.subsidies.models import SubsidyBatch, SubsidyRule

SEPARATION = frozenset({"separation_of_duties"})  # shown beside the form, not a 403 page


def _yuan(d: Any) -> str:
    return f"{d:,.2f}"


class BatchList(ListPage):
    title = "以奖代补发放表"
    export_name = "以奖代补发放表"
    capability = "subsidy.view"
    create_url_name = "subsidies:batch_new"
    create_capability = "subsidy.prepare"
    filter_form = sf.BatchFilterForm
    columns: ClassVar[Sequence[Col]] = [
        Col("编号", lambda b: b.number, link=lambda b: reverse("subsidies:batch", args=[b.pk])),
        Col("期间", lambda b: b.period),
        Col("编制范围", lambda b: b.unit.name),
        Col("件数", lambda b: b.case_count),
        Col("合计（元）", lambda b: _yuan(b.total), export=lambda b: b.total),
        Col("状态", lambda b: b.get_status_display()),
        Col("编制人", lambda b: b.prepared_by.name or b.prepared_by.username),
        Col("编制时间", lambda b: timezone.localtime(b.prepared_at).strftime("%Y-%m-%d %H:%M"),
            export=lambda b: timezone.localtime(b.prepared_at).replace(tzinfo=None)),
        Col("审批人", lambda b: (b.approved_by.name or b.approved_by.username) if b.approved_by_id else "—"),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        return selectors.batch_list(user=user, filters=filters)


class RuleList(ListPage):
    title = "以奖代补规则"
    export_name = "以奖代补规则"
    capability = "subsidy.view"
    create_url_name = "subsidies:rule_new"
    create_capability = "subsidy.rules"
    filter_form = sf.RuleFilterForm
    columns: ClassVar[Sequence[Col]] = [
        Col("规则名称", lambda r: r.name, link=lambda r: reverse("subsidies:rule_edit", args=[r.pk])),
        Col("奖补类型", lambda r: r.get_kind_display()),
        Col("每件（元）", lambda r: _yuan(r.amount), export=lambda r: r.amount),
        Col("调委会另计（元）", lambda r: _yuan(r.committee_amount), export=lambda r: r.committee_amount),
        Col("分配方式", lambda r: r.get_split_display()),
        Col("条件", lambda r: r.conditions()),
        Col("有效期", lambda r: f"{r.valid_from:%Y-%m-%d} 至 {r.valid_to:%Y-%m-%d}" if r.valid_to
            else f"{r.valid_from:%Y-%m-%d} 起"),
        Col("启用", lambda r: "是" if r.active else "否"),
    ]

    def check(self, request: HttpRequest) -> None:
        if not (has_capability(request.user, "subsidy.view") or has_capability(request.user, "subsidy.rules")):
            raise PermissionDenied

    def get(self, request: HttpRequest) -> HttpResponse:
        # Rules are set at district level: a township leader (subsidy.rules, but below district) reads
        # the list without the 新增 button. A View instance serves one request, so this stays local.
        if not services.may_set_rules(request.user):
            self.create_url_name = None  # type: ignore[misc]
        return super().get(request)

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        return selectors.rule_list(user=user, filters=filters)


def _need(request: HttpRequest, capability: str) -> None:
    if not has_capability(request.user, capability):
        raise PermissionDenied




@login_required
@require_http_methods(["GET", "POST"])
def batch_new(request: HttpRequest) -> HttpResponse:
    _need(request, "subsidy.prepare")
    status = 200
    if request.method == "POST":
        form = sf.PrepareForm(request.POST, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                b = services.batch_prepare(actor=request.user, period=d["period"], unit=d["unit"], note=d.get("note", ""))
            except DomainError as exc:
                raise_http(exc, keep=SEPARATION)
                add_domain_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, f"已编制发放表 {b.number}，合计 {_yuan(b.total)} 元")
                return redirect("subsidies:batch", pk=b.pk)
        else:
            status = 422
    else:
        last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
        form = sf.PrepareForm(user=request.user, initial={"period": last_month, "unit": request.user.unit_id})
    return render(request, "subsidies/batch_form.html", {"title": "编制以奖代补发放表", "form": form}, status=status)


def _batch(request: HttpRequest, pk: int) -> SubsidyBatch:
    _need(request, "subsidy.view")
    b = selectors.batch_get(user=request.user, pk=pk)
    if b is None:
        raise Http404
    return b


ACTION_STYLE = {BatchAction.APPROVE: "btn-success", BatchAction.REJECT: "btn-outline-danger",
                BatchAction.PAY: "btn-primary", BatchAction.RECOMPUTE: "btn-outline-primary",
                BatchAction.CANCEL: "btn-outline-secondary"}
NEEDS_REASON = (BatchAction.REJECT, BatchAction.CANCEL)


def _page(request: HttpRequest, b: SubsidyBatch, *, error: str = "", status: int = 200) -> HttpResponse:
    actions = [{"code": a, "label": BatchAction(a).label, "style": ACTION_STYLE[BatchAction(a)],
                "reason": a in NEEDS_REASON} for a in services.available_actions(request.user, b)]
    lines = selectors.lines_of(user=request.user, batch=b)
    return render(request, "subsidies/batch.html", {
        "title": f"以奖代补发放表 {b.number}", "b": b, "lines": lines, "actions": actions, "error": error,
        "stale": "刷新" in error, "own_only": selectors.own_lines_only(request.user),
        "can_export": has_capability(request.user, "export.xlsx"),
        "awaiting_other": b.status == "prepared" and has_capability(request.user, "subsidy.approve")
        and b.prepared_by_id == request.user.pk,
    }, status=status)


@login_required
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _batch(request, pk))


@login_required
@require_GET
def batch_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    b = _batch(request, pk)
    _need(request, "export.xlsx")
    reason = export_reason(request)  # names and amounts: every export states why (个人信息保护法 第51条)
    if reason is None:
        from django.contrib import messages

        messages.error(request, EXPORT_REASON_MESSAGE)
        return redirect("subsidies:batch", pk=b.pk)
    lines = selectors.lines_of(user=request.user, batch=b)
    audit.record(actor=request.user, action="subsidy.sheet_exported", subject=b,
                 extra={"lines": len(lines), "reason": reason})
    return payout_response(b, lines)


@login_required
@require_POST
def batch_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    b = _batch(request, pk)
    if action not in BatchAction.values:
        raise Http404
    form = sf.ActionForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, b, error="；".join(e for errs in form.errors.values() for e in errs), status=422)
    try:
        services.batch_act(actor=request.user, batch_id=pk, action=action, version=form.cleaned_data["version"],
                           reason=form.cleaned_data.get("reason") or "")
    except DomainError as exc:
        raise_http(exc, keep=SEPARATION)
        return _page(request, _batch(request, pk), error=exc.errors[0].message if exc.errors else exc.detail,
                     status=exc.status)
    messages.success(request, f"已{BatchAction(action).label}")
    return redirect("subsidies:batch", pk=pk)


def _rule_page(request: HttpRequest, form: Any, rule: SubsidyRule | None, status: int = 200) -> HttpResponse:
    return render(request, "subsidies/rule_form.html", {
        "title": f"以奖代补规则：{rule.name}" if rule else "新增以奖代补规则", "form": form, "rule": rule,
        "can_edit": services.may_set_rules(request.user, rule)}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def rule_new(request: HttpRequest) -> HttpResponse:
    _need(request, "subsidy.rules")
    if not services.may_set_rules(request.user):
        raise PermissionDenied(services.RULE_LEVEL_ERROR)
    if request.method != "POST":
        form = sf.RuleForm(user=request.user, initial={"kind": "mediation", "split": "equal", "active": True,
                                                       "valid_from": timezone.localdate().replace(month=1, day=1)})
        return _rule_page(request, form, None)
    form = sf.RuleForm(request.POST, user=request.user)
    if not form.is_valid():
        return _rule_page(request, form, None, status=422)
    try:
        rule = services.rule_create(actor=request.user, data=form.service_data())
    except DomainError as exc:
        raise_http(exc, keep=SEPARATION)
        add_domain_errors(form, exc)
        return _rule_page(request, form, None, status=exc.status)
    messages.success(request, f"已新增规则 {rule.name}")
    return redirect("subsidies:rules")


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not (has_capability(request.user, "subsidy.view") or has_capability(request.user, "subsidy.rules")):
        raise PermissionDenied
    rule = SubsidyRule.objects.select_related("region", "category").filter(pk=pk).first()
    if rule is None:
        raise Http404
    if request.method != "POST":
        return _rule_page(request, sf.RuleForm(user=request.user, initial=sf.RuleForm.initial_of(rule)), rule)
    _need(request, "subsidy.rules")
    form = sf.RuleForm(request.POST, user=request.user)
    if not form.is_valid():
        return _rule_page(request, form, rule, status=422)
    try:
        services.rule_update(actor=request.user, rule_id=pk, data=form.service_data(),
                             version=form.cleaned_data.get("version"))
    except DomainError as exc:
        raise_http(exc, keep=SEPARATION)
        add_domain_errors(form, exc)
        return _rule_page(request, form, rule, status=exc.status)
    messages.success(request, "已保存规则")
    return redirect("subsidies:rules")
