from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from fangtiao.audit import selectors
from fangtiao.audit.registry import ACTIONS
from fangtiao.audit.services import record
from fangtiao.core.forms import ChineseDateField, UserForm, choices_with_blank
from fangtiao.core.views import Col, ListPage
from fangtiao.org.permissions import has_capability


class AuditFilterForm(UserForm):
    actor = forms.CharField(label="操作人账号", required=False, max_length=150)
    action = forms.ChoiceField(label="操作", required=False, choices=())
    subject_type = forms.CharField(label="对象类型", required=False, max_length=100)
    subject_id = forms.CharField(label="对象ID", required=False, max_length=64)
    date_from = ChineseDateField(label="起始日期", required=False)
    date_to = ChineseDateField(label="截止日期", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = choices_with_blank(sorted(ACTIONS.items()))
        self.fields["action"].widget.attrs["class"] = "form-select"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "截止日期不能早于起始日期")
        return data


def _changes(e: Any) -> str:
    return "；".join(f"{k}: {v[0]!s} → {v[1]!s}" for k, v in (e.changes or {}).items() if isinstance(v, list) and len(v) == 2)[:300]


class AuditList(ListPage):
    title = "审计日志"
    export_name = "审计日志"
    capability = "audit.view"
    filter_form = AuditFilterForm
    page_size = 50
    columns = [
        Col("时间", lambda e: e.at, link=lambda e: reverse("audit:detail", args=[e.pk])),
        Col("操作人", lambda e: f"{e.actor_name or ''}（{e.actor_username}）" if e.actor_username else "—"),
        Col("单位", lambda e: e.unit_name or "—"),
        Col("操作", lambda e: e.action_label),
        Col("结果", lambda e: "成功" if e.success else "失败"),
        Col("对象", lambda e: e.subject_repr or "—"),
        Col("变更", _changes),
        Col("地址", lambda e: e.ip or "—"),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        return selectors.audit_list(user=user, filters=filters)

    def export(self, request: HttpRequest, qs: Any, filters: dict[str, Any]) -> HttpResponse:
        """The shared Excel export (which records `export.xlsx`, with the reason when the list asks
        for one) plus `audit.exported`: exporting the log itself is an audit event of its own."""
        with transaction.atomic():
            response = super().export(request, qs, filters)
            if response.status_code != 200:  # refused (no reason): nothing exported, nothing to record
                return response
            record(actor=request.user, action="audit.exported", region_path=request.user.audit_region_path,
                   extra={"filters": {k: str(v) for k, v in filters.items()},
                          "reason": str(request.GET.get("reason", request.POST.get("reason", "")))[:200]})
        return response


@login_required
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not has_capability(request.user, "audit.view"):
        raise PermissionDenied
    event = selectors.audit_get(user=request.user, pk=pk)
    if event is None:
        raise Http404
    return render(request, "audit/detail.html", {"e": event})
