"""The in-app inbox: the notices posted to the user's unit (and to the user), mark-as-read, and
the unread badge of the navigation bar. Writes go through notifications.services.mark_read,
which only touches the notices of the user's own unit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from fangtiao.core.forms import UserForm
from fangtiao.core.masking import mask_phone
from fangtiao.core.views import Col, ListPage
from fangtiao.notifications import services, sms
from fangtiao.notifications.models import Notification, SmsMessage, SmsStatus

KIND_LABELS = {
    "transfer": "待签收", "returned": "被退回", "co_task": "协办", "co_reply": "协办答复", "supervision": "督办",
    "major": "重大紧急", "mediation_failed": "调解不成", "review": "复查", "re_review": "复核",
    "due_soon": "临期", "overdue": "超期",
}


def notices_for(user: Any) -> QuerySet[Notification]:
    """The notices a user reads: those of the user's unit and those addressed to the user."""
    q = Q(user_id=user.pk)
    if user.unit_id:
        q |= Q(unit_id=user.unit_id)
    return Notification.objects.filter(q).order_by("-created_at", "-id")


class NotificationFilterForm(UserForm):
    state = forms.ChoiceField(label="状态", required=False, choices=[("", "全部"), ("unread", "未读"), ("read", "已读")])
    q = forms.CharField(label="标题", required=False, max_length=100)


def _title(n: Notification) -> str:
    if n.case_id:
        return format_html('<a href="{}">{}</a>', reverse("cases:detail", args=[n.case_id]), n.title)
    return n.title


def _state(n: Notification) -> str:
    if n.read_at:
        return format_html('<span class="badge bg-secondary-lt">{}</span>', "已读")
    button = ""
    if n.unit_id:
        button = format_html(
            ' <button type="button" class="btn btn-sm btn-ghost-primary" hx-post="{}" hx-vals=\'{{"ids": "{}"}}\' '
            'data-testid="mark-read">{}</button>', reverse("notifications:read"), n.pk, "标为已读")
    return format_html('<span class="badge bg-red-lt">{}</span>{}', "未读", button)


class NotificationList(ListPage):
    title = "通知"
    export_name = "通知"
    template_name = "notifications/list.html"
    filter_form = NotificationFilterForm
    columns = [
        Col("时间", lambda n: timezone.localtime(n.created_at).strftime("%Y-%m-%d %H:%M"), export=lambda n: n.created_at),
        Col("类型", lambda n: KIND_LABELS.get(n.kind, n.kind)),
        Col("标题", _title, export=lambda n: n.title),
        Col("内容", lambda n: n.body, css="wrap"),
        Col("状态", _state, export=lambda n: "已读" if n.read_at else "未读"),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> QuerySet[Notification]:
        qs = notices_for(user)
        if filters.get("state") == "unread":
            qs = qs.filter(read_at__isnull=True)
        elif filters.get("state") == "read":
            qs = qs.filter(read_at__isnull=False)
        if filters.get("q"):
            qs = qs.filter(title__icontains=filters["q"].strip())
        return qs


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return redirect("cases:inbox")


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    """标为已读: the listed ids, or every unread notice of the unit (`all=1`)."""
    if request.POST.get("all"):
        ids = list(notices_for(request.user).filter(unit_id=request.user.unit_id, read_at__isnull=True)
                   .values_list("pk", flat=True)[:5000]) if request.user.unit_id else []
    else:
        raw = request.POST.get("ids", "")
        ids = [int(x) for x in raw.replace(",", " ").split() if x.isdigit()][:500]
    n = services.mark_read(user=request.user, ids=ids)
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    messages.success(request, f"已标为已读 {n} 条")
    return redirect(request.POST.get("next") if _safe_next(request) else reverse("notifications:list"))


def _safe_next(request: HttpRequest) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    nxt = request.POST.get("next", "")
    return bool(nxt) and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()})


def unread_count(request: HttpRequest) -> HttpResponse:
    """The badge beside 待办 in the navigation bar (loaded by htmx, so pages cost no extra query).
    Not behind login_required: after the session ends the badge is empty, not a login page."""
    user = request.user
    unit_id = getattr(user, "unit_id", None) if user.is_authenticated else None
    n = Notification.objects.filter(unit_id=unit_id, read_at__isnull=True).count() if unit_id else 0
    if not n:
        return HttpResponse('<span data-testid="unread-count"></span>')
    return HttpResponse(format_html('<span class="badge bg-red text-red-fg ms-1" data-testid="unread-count" title="{}">{}</span>',
                                    "未读通知", n if n < 100 else "99+"))


# --- SMS outbox (issue 9, docs/adr/0019-reliability-outbox.md) ---------------------------------

class SmsFilterForm(UserForm):
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部"), *SmsStatus.choices])
    kind = forms.ChoiceField(label="类型", required=False, choices=[("", "全部"), *sms.KIND_LABELS.items()])


_SMS_BADGE = {SmsStatus.PENDING: "bg-yellow-lt", SmsStatus.SENT: "bg-green-lt", SmsStatus.FAILED: "bg-red-lt"}


def _sms_case(m: SmsMessage) -> str:
    if not m.case_id:
        return ""
    return format_html('<a href="{}">{}</a>', reverse("cases:detail", args=[m.case_id]), m.case.number)


class SmsList(ListPage):
    """短信发送情况: the text messages of the cases the user may see — failed ones for a call instead."""

    title = "短信发送情况"
    export_name = "短信发送情况"
    capability = "case.view"
    filter_form = SmsFilterForm
    columns = [
        Col("时间", lambda m: timezone.localtime(m.created_at).strftime("%Y-%m-%d %H:%M"), export=lambda m: m.created_at),
        Col("类型", lambda m: sms.KIND_LABELS.get(m.kind, m.kind)),
        Col("事项", _sms_case, export=lambda m: m.case.number if m.case_id else ""),
        Col("手机号", lambda m: mask_phone(m.phone)),
        Col("内容", lambda m: m.text, css="wrap"),
        Col("状态", lambda m: format_html('<span class="badge {}" data-testid="sms-status">{}</span>',
                                         _SMS_BADGE.get(m.status, ""), m.get_status_display()),
            export=lambda m: m.get_status_display()),
        Col("尝试次数", lambda m: m.attempts),
        Col("最近错误", lambda m: m.last_error, css="wrap"),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> QuerySet[SmsMessage]:
        from fangtiao.cases.models import Case

        qs = SmsMessage.objects.filter(case__in=Case.objects.visible_to(user)).select_related("case")
        if filters.get("status"):
            qs = qs.filter(status=filters["status"])
        if filters.get("kind"):
            qs = qs.filter(kind=filters["kind"])
        return qs.order_by("-created_at", "-id")
