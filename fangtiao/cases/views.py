"""Staff work surfaces of cases: window intake, receipt, list, unit inbox, case detail and the
lifecycle action forms. Thin: forms parse, selectors read, services write; no rules here."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from fangtiao.cases import forms as f
from fangtiao.cases import selectors, services
from fangtiao.cases.choices import PartyRole, PartyType, Status
from fangtiao.cases.models import Case
from fangtiao.cases.schemas import PartyIn
from fangtiao.cases.workflow import ACTION_LABELS, BY_ACTION
from fangtiao.core import crypto
from fangtiao.core.errors import DomainError, FieldError
from fangtiao.core.idempotency import run_idempotent
from fangtiao.core.views import Col, ListPage, reveal_response
from fangtiao.org.models import DisputeCategory, Region
from fangtiao.org.permissions import has_capability

SESSION_CODES = "cases.query_codes"  # {case id: query code}, each shown once on the receipt

STATUS_COLORS = {
    Status.REGISTERED: "blue", Status.ACCEPTED: "azure", Status.TRANSFERRING: "yellow", Status.MEDIATING: "purple",
    Status.HANDLING: "indigo", Status.REPLIED: "teal", Status.AGREED: "green", Status.CLOSED: "green",
    Status.ARCHIVED: "secondary", Status.NOT_ACCEPTED: "orange", Status.FORWARDED: "secondary",
    Status.DIVERTED: "secondary", Status.FAILED: "red", Status.WITHDRAWN: "secondary", Status.REVIEWING: "pink",
    Status.RE_REVIEWING: "pink",
}
FLAG_BADGES = (("is_collective", "集体", "orange"), ("is_repeat", "重复", "yellow"), ("is_skip_level", "越级", "red"),
               ("is_backlog", "积案", "purple"), ("is_overdue", "超期", "red"), ("is_major", "重大紧急", "red"),
               ("identity_incomplete", "姓名或住址不清", "secondary"))
CLOCK_COLORS = {"running": "blue", "paused": "secondary", "met": "green", "overdue": "red", "late": "orange",
                "cancelled": "secondary", "exempt": "secondary"}


def _need(request: HttpRequest, capability: str) -> None:
    if not has_capability(request.user, capability):
        raise PermissionDenied


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def status_badge(case: Case) -> str:
    return format_html('<span class="badge bg-{}-lt" data-testid="case-status">{}</span>',
                       STATUS_COLORS.get(case.status, "secondary"), case.get_status_display())


def flag_badges(case: Case) -> str:
    flags = [(label, color) for attr, label, color in FLAG_BADGES if getattr(case, attr)]
    return format_html_join(" ", '<span class="badge bg-{}-lt">{}</span>', ((color, label) for label, color in flags))


def flag_text(case: Case) -> str:
    return "、".join(label for attr, label, _ in FLAG_BADGES if getattr(case, attr))


def _keep_code(request: HttpRequest, case_id: int, code: str) -> None:
    """Hold a new query code for the one receipt that shows it, sealed (sessions may sit in Redis)."""
    codes = dict(request.session.get(SESSION_CODES, {}))
    codes[str(case_id)] = crypto.encrypt(code, context="session.query_code")
    request.session[SESSION_CODES] = codes


def _get_case(request: HttpRequest, pk: int) -> Case:
    _need(request, "case.view")
    case = selectors.case_detail(user=request.user, pk=pk)
    if case is None:
        raise Http404
    return case


# --- intake ----------------------------------------------------------------------------------

def _party_rows(parties: list[dict[str, Any]], row_errors: dict[int, dict[str, list[str]]] | None = None) -> list[dict[str, Any]]:
    rows = []
    for i, p in enumerate(parties):
        rows.append({**p, "i": i, "errors": (row_errors or {}).get(i, {})})
    return rows


def _intake_page(request: HttpRequest, form: f.IntakeForm, parties: list[dict[str, Any]], *,
                 row_errors: dict[int, dict[str, list[str]]] | None = None, grid_errors: list[str] | None = None,
                 status: int = 200) -> HttpResponse:
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
    return render(request, "cases/intake.html", {
        "title": "窗口登记", "form": form, "rows": _party_rows(parties, row_errors), "grid_errors": grid_errors or [],
        "rows_have_errors": bool(row_errors),
        "role_choices": PartyRole.choices, "type_choices": PartyType.choices,
        "max_representatives": services.MAX_REPRESENTATIVES,
        "blank_row": {**f.blank_party(), "i": "__N__", "errors": {}},
    }, status=status)


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """窗口登记: one form, one registration (a double-submitted form is one case), then the receipt."""
    _need(request, "case.register")
    if request.method != "POST":
        region = getattr(getattr(request.user, "unit", None), "region", None)
        form = f.IntakeForm(user=request.user, initial={"token": f.new_token(), "region": region.code if region else ""})
        return _intake_page(request, form, [f.blank_party(), f.blank_party(PartyRole.RESPONDENT)])
    form = f.IntakeForm(request.POST, user=request.user)
    parties, grid_errors = f.parse_parties(request.POST)
    if not form.is_valid() or grid_errors:
        return _intake_page(request, form, parties or [f.blank_party()], grid_errors=grid_errors, status=422)
    issued: dict[str, Any] = {}

    def run() -> tuple[int, Any]:
        case, code = services.case_register(actor=request.user, data=form.payload(parties), received_at=form.received_at())
        issued.update(id=case.pk, code=code)
        return 201, {"id": case.pk, "number": case.number}  # the query code is not kept in the idempotency record

    try:
        _, body = run_idempotent(key=form.cleaned_data.get("token") or None, user_id=request.user.pk, endpoint="cases:intake", fn=run)
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.detail) from exc
        row_errors, grid, rest = f.party_errors(exc.errors)
        for err in rest:
            form.add_error(err.field if err.field in form.fields else None, err.message)
        if not exc.errors:
            form.add_error(None, exc.detail)
        return _intake_page(request, form, parties or [f.blank_party()], row_errors=row_errors, grid_errors=grid, status=422)
    if issued.get("id") == body["id"]:
        _keep_code(request, body["id"], issued["code"])
    messages.success(request, f"已登记，事项编号 {body['number']}")
    return redirect("cases:receipt", pk=body["id"])


@login_required
@require_POST
def hints(request: HttpRequest) -> HttpResponse:
    """Beside the intake form before saving: the routing suggestion (dispute type and handling unit,
    with its confidence) and earlier matters likely the same — of the same person, or alike in text."""
    from fangtiao.screening.routing import suggest
    from fangtiao.screening.similar import case_text

    _need(request, "case.register")
    rows, _ = f.parse_parties(request.POST)
    parties = []
    for row in rows:
        try:
            parties.append(PartyIn.model_validate(row))
        except ValueError:
            continue
    region = Region.objects.filter(code=request.POST.get("region", ""), active=True).first()
    category = DisputeCategory.objects.filter(code=request.POST.get("category") or "", active=True).first()
    title = request.POST.get("title", "")[:200].strip()
    text = case_text(title, request.POST.get("description", "")[:20000], request.POST.get("demands", "")[:5000])
    searched = bool(parties) or len(text) >= 8
    hits = services.similar_earlier(parties=parties, region=region, category=category, text=text) if searched else []
    visible = set(Case.objects.visible_to(request.user).filter(pk__in=[h["case"].pk for h in hits]).values_list("pk", flat=True))
    shown = [h for h in hits if h["case"].pk in visible]
    suggestion = suggest(title=title, description=request.POST.get("description", "")[:20000],
                         region_path=region.path if region else "") if len(text) >= 4 else None
    # Matters the clerk may not see are not mentioned at all, not even by count (accusations).
    response = render(request, "cases/_hints.html", {"hits": shown, "hidden": 0, "searched": searched,
                                                     "suggestion": suggestion})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """回执: printable; the citizen's query code appears once, right after intake or reissue."""
    _need(request, "case.view")
    # The registering clerk gets the receipt even of a matter they may not read afterwards (检举控告).
    case = selectors.case_for_receipt(user=request.user, pk=pk)
    if case is None:
        raise Http404
    codes = dict(request.session.get(SESSION_CODES, {}))
    sealed = codes.pop(str(case.pk), None)
    code = crypto.decrypt(sealed, context="session.query_code") if sealed else None
    if sealed is not None:
        request.session[SESSION_CODES] = codes
    clocks = [k for k in case.clocks.all() if k.state in ("running", "paused")]
    response = render(request, "cases/receipt.html", {
        "title": "登记回执", "case": case, "code": code, "clocks": clocks,
        "petitioners": [p for p in case.parties.all() if p.role == PartyRole.PETITIONER],
        "portal_url": request.build_absolute_uri("/portal/"), "printed_at": timezone.localtime(),
        "can_reissue": has_capability(request.user, "case.register"),
    })
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def reissue_code(request: HttpRequest, pk: int) -> HttpResponse:
    """重新生成查询码: the old code stops working; the new one is shown once on the receipt."""
    _need(request, "case.register")
    case = _get_case(request, pk)
    try:
        code = services.reissue_query_code(actor=request.user, case=case)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        raise PermissionDenied(exc.detail) from exc
    _keep_code(request, case.pk, code)
    messages.success(request, "已重新生成查询码，原查询码作废。新查询码只显示这一次，请交给信访人。")
    return redirect("cases:receipt", pk=case.pk)


# --- list ------------------------------------------------------------------------------------

class CappedPaginator(Paginator):
    """Counts at most `selectors.COUNT_CAP` matters (one LIMIT subquery, not a COUNT over the whole
    jurisdiction); beyond it the page says 超过 10,000 件 and pages up to the cap."""

    count_is_exact = True

    @cached_property
    def count(self) -> int:
        n, self.count_is_exact = selectors.capped_count(self.object_list)
        return n

    @property
    def cap_display(self) -> str:
        return f"{selectors.COUNT_CAP:,}"


class CaseList(ListPage):
    title = "事项列表"
    export_name = "事项"
    capability = "case.view"
    filter_form = f.CaseFilterForm
    template_name = "cases/list.html"
    create_url_name = "cases:intake"
    create_capability = "case.register"
    paginator_class = CappedPaginator
    columns = [
        Col("编号", lambda c: c.number, link=lambda c: reverse("cases:detail", args=[c.pk])),
        Col("标题", lambda c: c.title if len(c.title) <= 30 else c.title[:30] + "…", export=lambda c: c.title, css="wrap"),
        Col("类别", lambda c: c.get_kind_display()),
        Col("来源渠道", lambda c: c.get_channel_display()),
        Col("纠纷类型", lambda c: c.category.name if c.category_id else "—"),
        Col("发生地", lambda c: c.region.name),
        Col("当前办理单位", lambda c: c.holder_unit.name),
        Col("状态", status_badge, export=lambda c: c.get_status_display()),
        Col("标记", flag_badges, export=flag_text),
        Col("涉及人数", lambda c: c.headcount),
        Col("收到时间", lambda c: timezone.localtime(c.received_at).strftime("%Y-%m-%d %H:%M"), export=lambda c: c.received_at),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        if filters.pop("mine", False):
            filters["holder_unit"] = user.unit_id or 0  # the inbox's "all of it", with paging and export
        return selectors.case_list(user=user, filters=filters)


# --- unit inbox ------------------------------------------------------------------------------

@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """本单位待办: transfers to sign for, matters held, periods due soon and overdue."""
    _need(request, "case.view")
    data = selectors.inbox(user=request.user)
    todo = list(data["todo"])
    from fangtiao.notifications.models import Notification

    unread = list(Notification.objects.filter(unit_id=request.user.unit_id, read_at__isnull=True)
                  .order_by("-created_at", "-id")[:5]) if request.user.unit_id else []
    return render(request, "cases/inbox.html", {
        "title": "待办", "to_receive": list(data["to_receive"]), "todo": todo,
        "todo_rows": [(c, STATUS_COLORS.get(c.status, "secondary")) for c in todo],
        "due_soon": list(data["due_soon"]), "overdue": list(data["overdue"]), "unread": unread,
    })


# --- detail ----------------------------------------------------------------------------------

def _clock_rows(case: Case) -> list[dict[str, Any]]:
    today = timezone.localdate()
    rows = []
    for k in case.clocks.all():
        state = k.state
        color = CLOCK_COLORS.get(state, "secondary")
        label = k.get_state_display()
        if state == "running" and k.due_on and (k.due_on - today).days <= k.rule.due_soon_days:
            color, label = ("red", "已过期满日") if k.due_on < today else ("yellow", "临期")
        rows.append({"clock": k, "color": color, "label": label,
                     "holder": k.holder_unit.name if k.holder_unit_id else "信访人"})
    return rows


CASE_HANDLERS = "fangtiao.cases.handlers"


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    from fangtiao.mediation.views import panel_context

    case = _get_case(request, pk)
    actions = services.available_actions(case=case, actor=request.user)
    events = [{"e": e, "label": ACTION_LABELS.get(e.action, e.action)} for e in case.events.all()]
    # Mediation actions are offered by the mediation panel (case-aware forms, tablet pages).
    case_actions = [t for t in actions if t.module == CASE_HANDLERS]
    return render(request, "cases/detail.html", {
        "mediation": panel_context(case=case, user=request.user, actions=actions),
        "title": case.number, "case": case, "status_badge": status_badge(case), "flags": flag_badges(case),
        "parties": list(case.parties.all()), "clocks": _clock_rows(case), "events": events,
        "links": list(case.links.all()), "transfers": list(case.transfers.all()), "co_tasks": list(case.co_tasks.all()),
        "supervisions": list(case.supervisions.all()), "reviews": list(case.reviews.all()), "actions": case_actions,
        "can_reveal": has_capability(request.user, "pii.reveal"),
        "can_reissue": has_capability(request.user, "case.register"),
    })


@login_required
@require_POST
def reveal(request: HttpRequest, pk: int, party: int, field: str) -> HttpResponse:
    """查看: a party's full ID number, phone or address, for a permitted role; audited by the service."""
    return reveal_response(request, lambda reason: services.party_reveal(
        actor=request.user, case_id=pk, party_id=party, field=field, reason=reason))


# --- lifecycle actions (one view for every transition of the table) --------------------------

def _action_page(request: HttpRequest, case: Case, t: Any, form: Any, *, error: str = "", status: int = 200) -> HttpResponse:
    ctx = {"title": t.label, "case": case, "t": t, "form": form, "error": error, "stale": "已被他人修改" in error}
    if _is_htmx(request):
        return render(request, "cases/_action_form.html", ctx, status=200)  # htmx swaps 2xx only
    return render(request, "cases/action.html", ctx, status=status)


@login_required
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """GET: the form of one action, generated from its input schema. POST: services.case_act."""
    t = BY_ACTION.get(action)
    if t is None:
        raise Http404
    if t.module != CASE_HANDLERS:
        from fangtiao.mediation import views as mediation_views

        return mediation_views.act(request, pk, action)  # one form per action: the case-aware one
    case = _get_case(request, pk)
    form_class = f.action_form_class(t, request.user)
    if request.method != "POST":
        reason = services.why_not(case, request.user, t)
        form = form_class(user=request.user, initial={"version": case.version})
        return _action_page(request, case, t, None if reason else form, error=reason or "", status=403 if reason else 200)
    form = form_class(request.POST, user=request.user)
    if not form.is_valid():
        return _action_page(request, case, t, form, status=422)
    try:
        services.case_act(case=case.pk, actor=request.user, action=action, data=form.data_for_service())
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        for err in exc.errors:
            _add_error(form, err)
        return _action_page(request, case, t, form, error=exc.detail if not exc.errors else "", status=exc.status)
    messages.success(request, f"{t.label}：操作成功")
    url = reverse("cases:detail", args=[case.pk])
    if _is_htmx(request):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _add_error(form: Any, err: FieldError) -> None:
    name = err.field.split(".")[0]
    form.add_error(name if name in form.fields and name != "version" else None, err.message)
