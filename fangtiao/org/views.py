"""Registry pages. Thin: forms parse, selectors read, services write; no rules here."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from fangtiao.core.errors import DomainError
from fangtiao.core.excel import xlsx_response
from fangtiao.core.views import Col, ListPage, reveal_response
from fangtiao.org import forms as f
from fangtiao.org import selectors, services
from fangtiao.org.choices import Employment
from fangtiao.org.models import Region
from fangtiao.org.permissions import has_capability


def _need(request: HttpRequest, capability: str) -> None:
    if not has_capability(request.user, capability):
        raise PermissionDenied


def _badge(text: str, color: str = "secondary") -> str:
    return format_html('<span class="badge bg-{}-lt">{}</span>', color, text)


def _specialties(obj: Any) -> str:
    return "、".join(c.name for c in obj.specialties.all())


def _reveal(request: HttpRequest, kind: str, obj: Any, field: str = "phone") -> str:
    masked = getattr(obj, f"{field}_masked")
    if not masked:
        return "—"
    if not has_capability(request.user, "pii.reveal"):
        return masked
    url = reverse("org:reveal", args=[kind, obj.pk, field])
    return format_html(
        '<span id="reveal-{kind}-{pk}">{masked} <button type="button" class="btn btn-sm btn-ghost-secondary" '
        'hx-post="{url}" hx-target="#reveal-{kind}-{pk}" hx-swap="outerHTML" '
        'hx-confirm="查看完整号码将记入审计日志，确定查看？">查看</button></span>',
        kind=kind, pk=obj.pk, masked=masked, url=url,
    )


# --- regions ---------------------------------------------------------------------------------

class RegionList(ListPage):
    title = "行政区划"
    export_name = "行政区划"
    filter_form = f.RegionFilterForm
    columns = [
        Col("区划代码", lambda r: r.code),
        Col("名称", lambda r: r.name, link=lambda r: reverse("org:region", args=[r.code])),
        Col("层级", lambda r: r.get_level_display()),
        Col("类型", lambda r: r.get_kind_display()),
        Col("上级", lambda r: r.parent.name if r.parent_id else "—"),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        if "region" in filters and isinstance(filters["region"], Region):
            filters["region"] = filters["region"].code
        return selectors.region_list(user=user, filters=filters)


@login_required
def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    _need(request, "registry.view")
    region = selectors.region_get(user=request.user, code=code)
    if region is None:
        raise Http404
    children = list(selectors.region_children(user=request.user, region=region)[:500])
    units = list(selectors.unit_list(user=request.user, filters={"region": region.code}).filter(region=region)[:200])
    return render(request, "org/region_detail.html", {"region": region, "children": children, "units": units,
                                                       "ancestors": Region.objects.filter(code__in=region.ancestor_codes).order_by("path")})


# --- units -----------------------------------------------------------------------------------

class UnitList(ListPage):
    title = "单位与调委会"
    export_name = "单位"
    filter_form = f.UnitFilterForm
    create_url_name = "org:unit_create"
    create_capability = "registry.manage"
    columns = [
        Col("名称", lambda u: u.name, link=lambda u: reverse("org:unit", args=[u.pk])),
        Col("简称", lambda u: u.short_name),
        Col("类型", lambda u: u.get_kind_display()),
        Col("层级", lambda u: u.get_level_display()),
        Col("所在区划", lambda u: u.region.name),
        Col("办公电话", lambda u: u.phone or "—"),
        Col("状态", lambda u: "有效" if u.active else "停用"),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        return selectors.unit_list(user=user, filters=filters)


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "registry.view")
    unit = selectors.unit_get(user=request.user, pk=pk)
    if unit is None:
        raise Http404
    mediators = list(selectors.mediator_list(user=request.user, filters={"unit": unit.pk})[:200])
    staff = list(selectors.staff_list(user=request.user, filters={"unit": unit.pk})[:200]) if has_capability(request.user, "staff.view") else []
    children = list(selectors.unit_list(user=request.user).filter(parent=unit)[:200])
    return render(request, "org/unit_detail.html", {
        "unit": unit, "mediators": mediators, "staff": staff, "children": children,
        "can_edit": has_capability(request.user, "registry.manage"),
        "can_add_mediator": unit.is_mediation_committee and has_capability(request.user, "mediator.manage"),
    })


def _form_page(request: HttpRequest, form: Any, title: str, cancel: str) -> HttpResponse:
    return render(request, "core/form.html", {"form": form, "title": title, "cancel": cancel})


def _apply_errors(form: Any, exc: DomainError) -> None:
    for err in exc.errors or []:
        form.add_error(err.field if err.field in form.fields else None, err.message)
    if not exc.errors:
        form.add_error(None, exc.detail)


@login_required
def unit_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _need(request, "registry.manage")
    unit = None
    if pk is not None:
        unit = selectors.unit_get(user=request.user, pk=pk)
        if unit is None:
            raise Http404
    initial = {}
    if unit is not None:
        initial = {k: getattr(unit, k) for k in ("name", "short_name", "kind", "level", "phone", "address", "stationed", "joint_response", "active")}
        initial.update(region=unit.region, parent=unit.parent)
    form = f.UnitForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if unit is None:
                unit = services.unit_create(actor=request.user, **data)
                messages.success(request, f"已新增单位“{unit.name}”")
            else:
                unit = services.unit_update(actor=request.user, unit=unit, **data)
                messages.success(request, "已保存")
            return redirect("org:unit", pk=unit.pk)
        except DomainError as exc:
            _apply_errors(form, exc)
    cancel = reverse("org:unit", args=[unit.pk]) if unit else reverse("org:units")
    return _form_page(request, form, "修改单位" if unit else "新增单位", cancel)


# --- mediators -------------------------------------------------------------------------------

class MediatorList(ListPage):
    title = "调解员"
    export_name = "调解员名册"
    filter_form = f.MediatorFilterForm
    create_url_name = "org:mediator_create"
    create_capability = "mediator.manage"
    columns = [
        Col("姓名", lambda m: m.name, link=lambda m: reverse("org:mediator", args=[m.pk])),
        Col("性别", lambda m: m.get_gender_display() if m.gender else "—"),
        Col("所属调委会", lambda m: m.unit.name),
        Col("区划", lambda m: m.unit.region.name),
        Col("专兼职", lambda m: _badge(m.get_employment_display(), "green" if m.employment == Employment.FULL_TIME else "azure"),
            export=lambda m: m.get_employment_display()),
        Col("擅长纠纷类型", _specialties),
        Col("联系电话", lambda m: m.phone_masked or "—"),
        Col("状态", lambda m: m.get_status_display()),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        return selectors.mediator_list(user=user, filters=filters)


@login_required
def mediator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "registry.view")
    m = selectors.mediator_get(user=request.user, pk=pk)
    if m is None:
        raise Http404
    can_edit = has_capability(request.user, "mediator.manage") and (
        request.user.is_superuser or "admin" in request.user.role_codes or m.unit_id == request.user.unit_id)
    return render(request, "org/mediator_detail.html", {"m": m, "phone": _reveal(request, "mediator", m), "can_edit": can_edit})


@login_required
def mediator_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _need(request, "mediator.manage")
    m = None
    if pk is not None:
        m = selectors.mediator_get(user=request.user, pk=pk)
        if m is None:
            raise Http404
    initial: dict[str, Any] = {}
    if m is not None:
        initial = {k: getattr(m, k) for k in ("name", "gender", "employment", "rank", "phone", "status", "joined_on", "employer",
                                            "notes")}
        initial.update(unit=m.unit, specialties=[c.code for c in m.specialties.all()])
    elif request.GET.get("unit", "").isdigit():
        initial["unit"] = request.GET["unit"]
    form = f.MediatorForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if m is None:
                m = services.mediator_create(actor=request.user, **form.cleaned_data)
                messages.success(request, f"已新增调解员“{m.name}”")
            else:
                m = services.mediator_update(actor=request.user, mediator=m, **form.cleaned_data)
                messages.success(request, "已保存")
            return redirect("org:mediator", pk=m.pk)
        except DomainError as exc:
            _apply_errors(form, exc)
    cancel = reverse("org:mediator", args=[m.pk]) if m else reverse("org:mediators")
    return _form_page(request, form, "修改调解员" if m else "新增调解员", cancel)


# --- experts ---------------------------------------------------------------------------------

class ExpertList(ListPage):
    title = "调解专家库"
    export_name = "调解专家库"
    filter_form = f.ExpertFilterForm
    create_url_name = "org:expert_create"
    create_capability = "expert.manage"
    columns = [
        Col("姓名", lambda e: e.name, link=lambda e: reverse("org:expert", args=[e.pk])),
        Col("类别", lambda e: e.get_kind_display()),
        Col("专业领域", lambda e: e.fields_display or "—"),
        Col("对应纠纷类型", _specialties),
        Col("工作单位", lambda e: e.organisation or "—"),
        Col("职称/职务", lambda e: e.title or "—"),
        Col("联系电话", lambda e: e.phone_masked or "—"),
        Col("状态", lambda e: e.get_status_display()),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        return selectors.expert_list(user=user, filters=filters)


@login_required
def expert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "registry.view")
    e = selectors.expert_get(user=request.user, pk=pk)
    if e is None:
        raise Http404
    return render(request, "org/expert_detail.html", {"e": e, "phone": _reveal(request, "expert", e),
                                                       "can_edit": has_capability(request.user, "expert.manage")})


@login_required
def expert_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _need(request, "expert.manage")
    e = None
    if pk is not None:
        e = selectors.expert_get(user=request.user, pk=pk)
        if e is None:
            raise Http404
    initial: dict[str, Any] = {}
    if e is not None:
        initial = {k: getattr(e, k) for k in ("name", "gender", "kind", "organisation", "title", "phone", "status")}
        initial.update(unit=e.unit, specialties=[c.code for c in e.specialties.all()], fields_text="、".join(e.fields))
    form = f.ExpertForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["fields"] = data.pop("fields_text")
        try:
            if e is None:
                e = services.expert_create(actor=request.user, **data)
                messages.success(request, f"已新增专家“{e.name}”")
            else:
                e = services.expert_update(actor=request.user, expert=e, **data)
                messages.success(request, "已保存")
            return redirect("org:expert", pk=e.pk)
        except DomainError as exc:
            _apply_errors(form, exc)
    cancel = reverse("org:expert", args=[e.pk]) if e else reverse("org:experts")
    return _form_page(request, form, "修改专家" if e else "新增专家", cancel)


# --- staff -----------------------------------------------------------------------------------

class StaffList(ListPage):
    title = "工作人员"
    export_name = "工作人员"
    capability = "staff.view"
    filter_form = f.StaffFilterForm
    columns = [
        Col("账号", lambda u: u.username, link=lambda u: reverse("org:staff_detail", args=[u.pk])),
        Col("姓名", lambda u: u.name or "—"),
        Col("所属单位", lambda u: u.unit.name if u.unit_id else "—"),
        Col("角色", lambda u: "、".join(r.name for r in u.roles.all()) or "—"),
        Col("职务", lambda u: u.title or "—"),
        Col("状态", lambda u: "启用" if u.is_active else "停用"),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        return selectors.staff_list(user=user, filters=filters)


@login_required
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "staff.view")
    u = selectors.staff_get(user=request.user, pk=pk)
    if u is None:
        raise Http404
    return render(request, "org/staff_detail.html", {"u": u, "phone": _reveal(request, "staff", u)})


# --- staffing rule -----------------------------------------------------------------------------

@login_required
def staffing(request: HttpRequest) -> HttpResponse:
    """Townships against the full-time mediator minimum (article: 2 per township)."""
    _need(request, "staffing.view")
    rows = selectors.township_staffing(user=request.user)
    only_short = request.GET.get("short") == "1"
    if only_short:
        rows = [r for r in rows if r["shortfall"]]
    if request.GET.get("export") == "xlsx":
        _need(request, "export.xlsx")
        from fangtiao.audit import services as audit

        audit.record(actor=request.user, action="export.xlsx", extra={"list": "专职调解员配备"},
                     region_path=request.user.audit_region_path)
        return xlsx_response(title="专职调解员配备", filename="专职调解员配备", rows=rows, columns=[
            ("乡镇（街道）", lambda r: r["region"].name), ("区划代码", lambda r: r["region"].code),
            ("专职调解员", lambda r: r["full_time"]), ("应配备", lambda r: r["required"]), ("缺额", lambda r: r["shortfall"]),
        ])
    return render(request, "org/staffing.html", {
        "rows": rows, "minimum": settings.FANGTIAO_MIN_FULLTIME_MEDIATORS_PER_TOWNSHIP,
        "short_count": sum(1 for r in rows if r["shortfall"]), "only_short": only_short,
    })


# --- reveal ----------------------------------------------------------------------------------

@login_required
@require_POST
def reveal(request: HttpRequest, kind: str, pk: int, field: str) -> HttpResponse:
    return reveal_response(request, lambda reason: services.pii_reveal(
        actor=request.user, kind=kind, pk=pk, field=field, reason=reason))


