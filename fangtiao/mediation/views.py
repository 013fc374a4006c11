"""Work surfaces of people's mediation (staff pages, tablet-friendly): the mediator's workspace,
the agreement editor and the signing page, the committee head's assignment board, the court
liaison's confirmation queue, the expert's requests, the leaders' oversight lists, the archive,
a case-aware action page, and the mediation panel of the case page.

Thin: forms parse, selectors read, `cases.services.case_act` writes (every state change is a
lifecycle action, audited there); the capability is checked first, the jurisdiction by the
querysets (outside it: 404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from fangtiao.cases import selectors as case_selectors
from fangtiao.cases import services
from fangtiao.cases.choices import Status
from fangtiao.cases.models import Case, Party
from fangtiao.cases.views import status_badge
from fangtiao.cases.workflow import BY_ACTION
from fangtiao.clocks.models import Clock
from fangtiao.core.errors import DomainError, FieldError
from fangtiao.core.views import Col, ListPage
from fangtiao.mediation import forms as mf
from fangtiao.mediation import selectors
from fangtiao.mediation.choices import AgreementStatus, MediationStatus, SignerKind
from fangtiao.mediation.models import (
    Agreement,
    ArchiveFile,
    Assignment,
    Confirmation,
    Mediation,
    Obligation,
)
from fangtiao.mediation.services import ROUND_ENDED
from fangtiao.mediation.workflow import MEDIATION_TRANSITIONS
from fangtiao.org.choices import MEDIATION_UNIT_KINDS, Role
from fangtiao.org.permissions import has_capability

MEDIATION_ACTIONS = frozenset(t.action for t in MEDIATION_TRANSITIONS)
# Actions with a page of their own (the generic action page sends them there).
DEDICATED = {"agree": "mediation:agree", "sign_agreement": "mediation:sign"}
END_OF_ROUND = ROUND_ENDED  # services.end_round's end_reason: the mediator stayed on the case to the end
CONFIRMATION_CLOCKS = ("confirmation.accept", "confirmation.decide", "confirmation.limit")
PANEL_CLOCKS = ("mediation.period", "confirmation.apply", *CONFIRMATION_CLOCKS, "confirmation.objection", "follow_up")


def _need(request: HttpRequest, capability: str) -> None:
    if not has_capability(request.user, capability):
        raise PermissionDenied


def _case(request: HttpRequest, pk: int) -> Case:
    _need(request, "case.view")
    case = case_selectors.case_detail(user=request.user, pk=pk)
    if case is None:
        raise Http404
    return case


def _next(request: HttpRequest, default: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return nxt
    return default


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _refusal_status(case: Case, t: Any) -> int:
    """409 when the case is not in a state for the action now (its state, kind or a guard of the case),
    403 when the user may not take it (as services.case_act answers)."""
    if case.status not in t.sources or case.kind not in t.kinds or (t.guard is not None and t.guard(case)):
        return 409
    return 403


def _add_error(form: Any, err: FieldError) -> None:
    name = err.field.split(".")[0]
    form.add_error(name if name in form.fields and name != "version" else None, err.message)


def _own_committee(user: Any) -> Any:
    unit = getattr(user, "unit", None)
    return unit if unit is not None and unit.kind in MEDIATION_UNIT_KINDS else None


def action_url(case: Case, action: str, **params: Any) -> str:
    """Where a mediator takes an action on a tablet: the dedicated page or the case-aware form."""
    if action in DEDICATED:
        return reverse(DEDICATED[action], args=[case.pk])
    url = reverse("mediation:act", args=[case.pk, action])
    if params:
        from urllib.parse import urlencode

        url += "?" + urlencode(params)
    return url


def _d(day: dt.date | None) -> str:
    return f"{day:%Y-%m-%d}" if day else "—"


def _money(v: Any) -> str:
    return f"{v:,.2f}" if v is not None else "—"


def _badge(text: str, color: str = "secondary", **data: str) -> str:
    attrs = format_html_join("", ' data-{}="{}"', data.items())
    return format_html('<span class="badge bg-{}-lt"{}>{}</span>', color, attrs, text)


def _btn(url: str, label: str, style: str = "primary", testid: str = "") -> str:
    return format_html('<a class="btn btn-{} btn-touch" href="{}"{}>{}</a>', style, url,
                       format_html(' data-testid="{}"', testid) if testid else "", label)


def clock_state(clock: Clock | None, today: dt.date | None = None) -> dict[str, Any]:
    """How a statutory clock stands for a badge: colour, words and days left (or over)."""
    if clock is None:
        return {"color": "secondary", "text": "未开始", "days": None, "due": None}
    today = today or timezone.localdate()
    due = clock.due_on
    if clock.state in ("met", "late", "cancelled", "exempt"):
        return {"color": "green" if clock.state == "met" else "secondary", "text": clock.get_state_display(),
                "days": None, "due": due}
    if due is None:
        return {"color": "secondary", "text": clock.get_state_display(), "days": None, "due": None}
    left = (due - today).days
    if left < 0 or clock.state == "overdue":
        return {"color": "red", "text": f"已超期{abs(left)}日", "days": left, "due": due}
    soon = clock.rule.due_soon_days if clock.rule_id else 1
    color = "yellow" if left <= soon else "blue"
    return {"color": color, "text": "今日到期" if left == 0 else f"剩{left}日", "days": left, "due": due}


def _clock_badge(clock: Clock | None, label: str) -> str:
    st = clock_state(clock)
    due = f"{st['due']:%m月%d日}" if st["due"] else ""
    return format_html('<span class="badge bg-{}-lt clock-badge" data-clock="{}" title="{}">{} {} {}</span>',
                       st["color"], clock.code if clock else "", clock.rule.name if clock else label, label, due, st["text"])


def _clock_text(clock: Clock | None) -> str:
    st = clock_state(clock)
    return f"{_d(st['due'])} {st['text']}" if clock else "—"


def _case_link(case: Case) -> str:
    return format_html('<a href="{}">{}</a>', reverse("cases:detail", args=[case.pk]), case.number)


def _short(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[:n] + "…"


class ScreenOnly(ListPage):
    """A list whose 操作 column (buttons) is left out of the Excel export."""

    def export(self, request: HttpRequest, qs: QuerySet, filters: dict[str, Any]) -> HttpResponse:
        self.columns = [c for c in type(self).columns if c.label != "操作"]  # this request's view instance only
        return super().export(request, qs, filters)


# --- 1. the mediator's workspace ---------------------------------------------------------------

def _mine(user: Any) -> QuerySet[Case]:
    """The cases a mediator works on (assigned now, or to the end of a round that agreed) and, for a
    committee head, the cases the committee holds; within the user's jurisdiction.
    (A selector `my_cases(user)` in mediation.selectors would be the home of this query.)"""
    q = Q(pk__in=selectors.my_mediations(user).values("pk"))
    if Role.COMMITTEE_HEAD in user.role_codes and user.unit_id:
        q |= Q(holder_unit_id=user.unit_id)
    signing = Agreement.objects.filter(case_id=OuterRef("pk"), status=AgreementStatus.SIGNING)
    follow = Clock.objects.filter(case_id=OuterRef("pk"), code="follow_up", state__in=["running", "overdue"])
    return Case.objects.visible_to(user).filter(q).annotate(m_signing=Exists(signing), m_follow=Exists(follow))


STAGE_Q: dict[str, Q] = {
    "mediating": Q(status=Status.MEDIATING),
    "signing": Q(status=Status.AGREED, m_signing=True),
    "confirming": Q(status=Status.CONFIRMING),
    "performing": Q(status=Status.PERFORMING) | Q(status=Status.AGREED, m_signing=False),
    "follow_up": Q(m_follow=True) & ~Q(status__in=[Status.CLOSED, Status.ARCHIVED]),
}
STAGE_ACTIONS: dict[str, list[tuple[str, str]]] = {
    "mediating": [("record_session", "记录调解"), ("agree", "调解协议")],
    "signing": [("sign_agreement", "签署")],
    "confirming": [],
    "performing": [("record_performance", "登记履行"), ("apply_confirmation", "申请司法确认")],
    "follow_up": [("follow_up", "回访")],
}


def _stage_buttons(case: Case, stage: str, nxt: str) -> str:
    actions = [(a, label) for a, label in STAGE_ACTIONS.get(stage, [])
               if case.status in BY_ACTION[a].sources]  # the page says why not; no button that cannot work
    return format_html_join(" ", "{}", ((_btn(action_url(case, a, next=nxt), label, "outline-primary btn-sm"),)
                                        for a, label in actions))


@login_required
def workspace(request: HttpRequest) -> HttpResponse:
    """调解工作台: my cases by stage, today's sessions and the quick links to record them."""
    _need(request, "mediation.workspace")
    user = request.user
    mine = _mine(user)
    counts = mine.aggregate(**{key: Count("pk", filter=q) for key, q in STAGE_Q.items()})
    here = reverse("mediation:workspace")
    stages = []
    for key, label in mf.STAGES.items():
        rows = list(mine.filter(STAGE_Q[key]).select_related("category", "holder_unit").order_by("-received_at", "-id")[:6])
        stages.append({"key": key, "label": label, "count": counts[key],
                       "rows": [{"case": c, "badge": status_badge(c), "buttons": _stage_buttons(c, key, here)} for c in rows]})
    today = timezone.localdate()
    sessions = list(selectors.sessions_on(user, today).filter(case__in=Case.objects.visible_to(user).values("pk"))[:20])
    return render(request, "mediation/workspace.html", {
        "title": "调解工作台", "stages": stages, "today": today, "here": here,
        "sessions": [{"s": s, "record": action_url(s.case, "record_session", session=s.pk, next=here)} for s in sessions],
    })


class MyCases(ListPage):
    title = "我的调解案件"
    export_name = "调解案件"
    capability = "mediation.workspace"
    filter_form = mf.MyCasesFilterForm
    template_name = "mediation/list.html"
    columns = [
        Col("编号", lambda c: c.number, link=lambda c: reverse("cases:detail", args=[c.pk])),
        Col("标题", lambda c: _short(c.title), export=lambda c: c.title, css="wrap"),
        Col("状态", status_badge, export=lambda c: c.get_status_display()),
        Col("纠纷类型", lambda c: c.category.name if c.category_id else "—"),
        Col("发生地", lambda c: c.region.name),
        Col("当前办理单位", lambda c: c.holder_unit.name),
        Col("收到时间", lambda c: timezone.localtime(c.received_at).strftime("%Y-%m-%d %H:%M"), export=lambda c: c.received_at),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        qs = _mine(user).select_related("category", "region", "holder_unit")
        if filters.get("stage") in STAGE_Q:
            qs = qs.filter(STAGE_Q[filters["stage"]])
        if filters.get("q"):
            qs = qs.filter(mf.text_q(filters["q"].strip(), "number", "title"))
        return qs.order_by("-received_at", "-id")


class SessionList(ScreenOnly):
    title = "调解场次"
    export_name = "调解场次"
    capability = "mediation.workspace"
    filter_form = mf.SessionFilterForm
    template_name = "mediation/list.html"
    columns = [
        Col("时间", lambda s: timezone.localtime(s.starts_at).strftime("%Y-%m-%d %H:%M"), export=lambda s: s.starts_at),
        Col("事项", lambda s: _case_link(s.case), export=lambda s: s.case.number),
        Col("标题", lambda s: _short(s.case.title), export=lambda s: s.case.title, css="wrap"),
        Col("类型", lambda s: f"第{s.seq}次{s.get_kind_display()}"),
        Col("地点", lambda s: str(s.room) if s.room_id else (s.place or ("就地调解" if s.on_site else "—"))),
        Col("调解组织", lambda s: s.mediation.unit.name),
        Col("状态", lambda s: s.get_status_display()),
        Col("操作", lambda s: _btn(action_url(s.case, "record_session", session=s.pk, next=reverse("mediation:sessions")),
                                  "记录", "primary btn-sm") if s.status == "scheduled" else "—"),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        day = filters.get("day") or timezone.localdate()
        return selectors.sessions_on(user, day).filter(case__in=Case.objects.visible_to(user).values("pk"))


# --- 2. the agreement editor and the signing page ------------------------------------------------

def _editor_page(request: HttpRequest, case: Case, form: Any, rows: list[dict[str, str]], *, row_errors: Any = None,
                 grid: list[str] | None = None, error: str = "", status: int = 200) -> HttpResponse:
    from fangtiao.mediation.handlers import agree_blockers

    parties = list(case.parties.all())
    if form is not None:
        for name in form.errors:
            if name in form.fields:
                w = form.fields[name].widget
                w.attrs["class"] = f"{w.attrs.get('class', '')} is-invalid".strip()
    return render(request, "mediation/agreement.html", {
        "title": "调解协议", "case": case, "form": form, "parties": parties, "error": error,
        "rows": [{**r, "i": i, "errors": (row_errors or {}).get(i, {})} for i, r in enumerate(rows)],
        "blank_row": {**mf.blank_obligation(), "i": "__N__", "errors": {}}, "grid_errors": grid or [],
        "blockers": agree_blockers(case) if form is not None else [], "today": timezone.localdate(),
        "copies": len(parties) + 1, "stale": "已被他人修改" in error,
    }, status=status)


@login_required
def agreement_editor(request: HttpRequest, pk: int) -> HttpResponse:
    """调解协议: the `agree` action with obligation rows and the live checks of 人民调解法 第28–30条."""
    t = BY_ACTION["agree"]
    case = _case(request, pk)
    reason = services.why_not(case, request.user, t)
    if reason:
        return _editor_page(request, case, None, [], error=reason, status=_refusal_status(case, t))
    form_class = mf.agreement_form_for(t, request.user, case)
    if request.method != "POST":
        initial = {**mf.schema_initial(t.schema), "version": case.version, "signed": False,
                   "reached_on": timezone.localdate(), "facts": case.description or case.oral_record,
                   "disputes": case.demands, "recorder": request.user.name or request.user.username}
        return _editor_page(request, case, form_class(user=request.user, initial=initial), [mf.blank_obligation()])
    form = form_class(request.POST, user=request.user)
    rows, payload, row_errors, grid = mf.parse_obligations(request.POST)
    if not form.is_valid() or row_errors or grid:
        return _editor_page(request, case, form, rows or [mf.blank_obligation()], row_errors=row_errors, grid=grid, status=422)
    data = form.data_for_service()
    data["obligations"] = payload
    try:
        services.case_act(case=case.pk, actor=request.user, action="agree", data=data)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        row_errors, grid, rest = mf.split_errors(exc.errors, "obligations")
        for err in rest:
            _add_error(form, err)
        return _editor_page(request, case, form, rows or [mf.blank_obligation()], row_errors=row_errors, grid=grid,
                            error=exc.detail if not exc.errors else "", status=exc.status)
    a = case.agreements.exclude(status=AgreementStatus.SUPERSEDED).order_by("-id").first()
    if a is not None and a.status == AgreementStatus.SIGNING:
        messages.success(request, f"已登记书面调解协议（{a.number}，一式{a.copies}份），请各方签署")
        return redirect("mediation:sign", pk=case.pk)
    messages.success(request, f"调解成功：已登记{a.get_form_display() if a else '调解协议'}" + (f"（{a.number}）" if a else ""))
    return redirect("cases:detail", pk=case.pk)


def _signers(case: Case, agreement: Agreement) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Who still signs (each party, each mediator of the round, the committee's seal) and who has."""
    sigs = list(agreement.signatures.all())
    parties = list(case.parties.all())
    names = {p.pk: p.name for p in parties}
    on_case = Assignment.objects.filter(mediation_id=agreement.mediation_id).filter(Q(active=True) | Q(end_reason=END_OF_ROUND))
    mediators = {a.mediator_id: a.mediator for a in on_case.select_related("mediator").order_by("-lead", "id")}
    signed_parties = {s.party_id for s in sigs if s.signer_kind == SignerKind.PARTY}
    signed_mediators = {s.mediator_id for s in sigs if s.signer_kind == SignerKind.MEDIATOR}
    todo: list[dict[str, Any]] = []
    for p in parties:
        if p.pk not in signed_parties:
            todo.append({"key": f"p{p.pk}", "kind": "party", "signer": str(p.pk), "id": p.pk, "name": p.name or "（未留姓名）",
                         "who": p.get_role_display(), "canvas": True,
                         "default_method": "seal" if p.type == "organisation" else "sign"})
    for mid, med in mediators.items():
        if mid not in signed_mediators:
            todo.append({"key": f"m{mid}", "kind": "mediator", "signer": "mediator", "id": mid, "name": med.name,
                         "who": "人民调解员", "canvas": True, "default_method": "sign"})
    if not any(s.signer_kind == SignerKind.SEAL for s in sigs):
        todo.append({"key": "seal", "kind": "seal", "signer": "seal", "id": None, "name": agreement.mediation.unit.name,
                     "who": "调委会印章", "canvas": False, "default_method": "seal"})
    done = []
    for s in sigs:
        if s.signer_kind == SignerKind.PARTY:
            who = names.get(s.party_id, "当事人")
        elif s.signer_kind == SignerKind.MEDIATOR:
            who = f"调解员{mediators[s.mediator_id].name}" if s.mediator_id in mediators else "调解员"
        else:
            who = agreement.mediation.unit.name
        done.append({"s": s, "who": who})
    for s in todo:
        s.update(typed={}, errors=[])
    return todo, done


@login_required
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    """签署协议 on a tablet: each party signs by hand (or seals, or presses a fingerprint), the
    mediator signs and the committee seals (第29条: effective on the last of them)."""
    t = BY_ACTION["sign_agreement"]
    case = _case(request, pk)
    agreement = (case.agreements.filter(status=AgreementStatus.SIGNING).select_related("mediation__unit")
                 .prefetch_related("signatures", Prefetch("obligations", queryset=Obligation.objects.select_related("party")))
                 .first())
    reason = services.why_not(case, request.user, t)
    ctx: dict[str, Any] = {"title": "签署调解协议", "case": case, "agreement": agreement, "today": timezone.localdate(),
                           "methods": mf.SIGN_METHODS, "error": reason or "", "signers": None}
    if reason or agreement is None:
        ctx["error"] = reason or "没有待签署的书面调解协议"
        return render(request, "mediation/sign.html", ctx, status=_refusal_status(case, t) if reason else 409)
    todo, done = _signers(case, agreement)
    ctx.update(signers=todo, signed=done, version=case.version)
    if request.method != "POST":
        return render(request, "mediation/sign.html", ctx)
    payload, keys, typed = mf.parse_signatures(request.POST, todo)
    for s in todo:
        s["typed"] = typed.get(s["key"], {})
    ctx.update(version=request.POST.get("version", ""), signed_on=request.POST.get("signed_on", ""))
    if request.POST.get("signed_on") and payload and payload[0]["signed_on"] is None:
        ctx["error"] = "签署日期格式不正确，请按“2026-05-04”填写"
        return render(request, "mediation/sign.html", ctx, status=422)
    if not payload:
        ctx["error"] = "请勾选本次签署的当事人、调解员或调委会印章"
        return render(request, "mediation/sign.html", ctx, status=422)
    version = request.POST.get("version", "")
    if not (version.isascii() and version.isdigit() and len(version) < 12):
        ctx.update(error="页面已过期，请刷新后重试", stale=True, version=case.version)
        return render(request, "mediation/sign.html", ctx, status=409)
    try:
        services.case_act(case=case.pk, actor=request.user, action="sign_agreement",
                          data={"version": int(version), "signatures": payload})
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        rows, grid, rest = mf.split_errors(exc.errors, "signatures")
        by_key = {keys[i]: errs for i, errs in rows.items() if i < len(keys)}
        for s in todo:
            s["errors"] = [m for errs in by_key.get(s["key"], {}).values() for m in errs]
        ctx["error"] = "；".join([*grid, *(e.message for e in rest)]) or (exc.detail if not rows else "")
        ctx["stale"] = "已被他人修改" in exc.detail
        return render(request, "mediation/sign.html", ctx, status=exc.status)
    agreement.refresh_from_db()
    if agreement.status == AgreementStatus.EFFECTIVE:
        messages.success(request, f"各方已签署，调解协议自{agreement.effective_on.year}年{agreement.effective_on.month}月{agreement.effective_on.day}日起生效")
        return redirect("cases:detail", pk=case.pk)
    messages.success(request, "已记录签署，尚待其他各方签署")
    return redirect("mediation:sign", pk=case.pk)


# --- the case-aware action page (any lifecycle action, on a tablet) ------------------------------

def _action_page(request: HttpRequest, case: Case, t: Any, form: Any, *, nxt: str, error: str = "",
                 status: int = 200) -> HttpResponse:
    return render(request, "mediation/action.html", {
        "title": t.label, "case": case, "t": t, "form": form, "error": error, "next": nxt,
        "stale": "已被他人修改" in error}, status=status)


@login_required
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """GET: the form of one action for this case (references as selects of the case's rows).
    POST: services.case_act; errors beside their fields, nothing changed."""
    t = BY_ACTION.get(action)
    if t is None:
        raise Http404
    case = _case(request, pk)
    if action in DEDICATED:
        return redirect(DEDICATED[action], pk=case.pk)
    nxt = _next(request, reverse("cases:detail", args=[case.pk]))
    form_class = mf.action_form_for(t, request.user, case)
    if request.method != "POST":
        reason = services.why_not(case, request.user, t)
        if reason:
            return _action_page(request, case, t, None, nxt=nxt, error=reason, status=_refusal_status(case, t))
        initial = {**mf.schema_initial(t.schema), "version": case.version}
        initial.update({k: v for k, v in request.GET.items() if k in form_class.base_fields and k != "version"})
        return _action_page(request, case, t, form_class(user=request.user, initial=initial), nxt=nxt)
    form = form_class(request.POST, user=request.user)
    if not form.is_valid():
        return _action_page(request, case, t, form, nxt=nxt, status=422)
    try:
        services.case_act(case=case.pk, actor=request.user, action=action, data=form.data_for_service())
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        for err in exc.errors:
            _add_error(form, err)
        return _action_page(request, case, t, form, nxt=nxt, error=exc.detail if not exc.errors else "", status=exc.status)
    messages.success(request, f"{t.label}：操作成功")
    return redirect(nxt)


# --- 3. the committee head's assignment board ---------------------------------------------------

class Board(ListPage):
    title = "指派看板"
    export_name = "待指派调解"
    capability = "mediation.board"
    filter_form = mf.BoardFilterForm
    template_name = "mediation/board.html"
    page_size = 10  # each card loads its suggestions
    columns = [
        Col("卷号", lambda m: m.number),
        Col("事项", lambda m: m.case.number),
        Col("标题", lambda m: m.case.title),
        Col("纠纷类型", lambda m: m.case.category.name if m.case.category_id else "—"),
        Col("发生地", lambda m: m.case.region.name),
        Col("当事人", lambda m: "、".join(p.name for p in m.case.parties.all())),
        Col("调解组织", lambda m: m.unit.name),
        Col("开始日期", lambda m: m.started_on),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        unit = filters.get("unit") or _own_committee(user)
        if unit is None:
            return Mediation.objects.none()
        qs = (selectors.unassigned_rounds(unit.pk).filter(case__in=Case.objects.visible_to(user).values("pk"))
              .select_related("unit").prefetch_related(Prefetch("case__parties", queryset=Party.objects.order_by("sort", "id"))))
        if filters.get("q"):
            qs = qs.filter(mf.text_q(filters["q"].strip(), "case__number", "case__title"))
        return qs


def _round(request: HttpRequest, pk: int) -> Mediation:
    _need(request, "mediation.board")
    m = (Mediation.objects.filter(pk=pk, case__in=Case.objects.visible_to(request.user).values("pk"))
         .select_related("unit__region", "case__category", "case__region", "case__holder_unit").first())
    if m is None:
        raise Http404
    return m


def _suggestions(request: HttpRequest, m: Mediation, *, error: str = "") -> HttpResponse:
    case = m.case
    assigned = m.status != MediationStatus.OPEN or m.assignments.filter(active=True).exists()
    ranked = [] if assigned else selectors.suggest_mediators(case, m.unit, limit=12)
    t = BY_ACTION["assign"]
    return render(request, "mediation/_suggestions.html", {
        "m": m, "case": case, "assigned": assigned, "error": error,
        "top": [s for s in ranked if not s.conflict][:3], "conflicted": [s for s in ranked if s.conflict],
        "why_not": services.why_not(case, request.user, t), "next": _next(request, reverse("mediation:board")),
        "more": action_url(case, "assign", next=reverse("mediation:board")),
    })


@login_required
def board_suggestions(request: HttpRequest, pk: int) -> HttpResponse:
    """The top suggested mediators of one round, with their reasons, and those who must step aside."""
    return _suggestions(request, _round(request, pk))


class AssignForm(forms.Form):
    version = forms.IntegerField(min_value=1, error_messages={"required": "页面已过期，请刷新后重试", "invalid": "页面已过期，请刷新后重试"})
    mediator = forms.IntegerField(min_value=1, error_messages={"required": "请选择调解员", "invalid": "请选择调解员"})
    reason = forms.CharField(required=False, max_length=2000)


@login_required
@require_POST
def board_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """One click: 指派 the suggested mediator (case_act "assign", 人民调解法 第19条)."""
    m = _round(request, pk)
    board = _next(request, reverse("mediation:board"))
    form = AssignForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "；".join(e for errs in form.errors.values() for e in errs)
    else:
        d = form.cleaned_data
        try:
            services.case_act(case=m.case_id, actor=request.user, action="assign",
                              data={"version": d["version"], "mediators": [d["mediator"]], "chosen_by": "committee",
                                    "reason": d.get("reason") or ""})
        except DomainError as exc:
            if exc.status == 404:
                raise Http404 from exc
            error = exc.errors[0].message if exc.errors else exc.detail
    if error:
        if _is_htmx(request):
            return _suggestions(request, m, error=error)
        messages.error(request, f"{m.case.number}：{error}")
        return redirect(board)
    name = m.assignments.filter(active=True).select_related("mediator").values_list("mediator__name", flat=True).first()
    messages.success(request, f"已指派{name or ''}调解{m.case.number}")
    if _is_htmx(request):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = board
        return response
    return redirect(board)


class MediatorLoads(ListPage):
    title = "调解员工作量"
    export_name = "调解员工作量"
    capability = "mediation.board"
    filter_form = mf.BoardFilterForm
    template_name = "mediation/list.html"
    columns = [
        Col("姓名", lambda x: x.name),
        Col("调解组织", lambda x: x.unit.name),
        Col("专兼职", lambda x: x.get_employment_display()),
        Col("等级", lambda x: x.get_rank_display()),
        Col("在办件数", lambda x: x.load),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        from fangtiao.org.models import Mediator

        unit = filters.get("unit") or _own_committee(user)
        if unit is None:
            return Mediator.objects.none()
        qs = selectors.mediator_loads(unit)
        if filters.get("q"):
            qs = qs.filter(name__icontains=filters["q"].strip())
        return qs


@login_required
def loads_panel(request: HttpRequest) -> HttpResponse:
    """The board's workload table: the committee's mediators by cases in hand (top 12)."""
    _need(request, "mediation.board")
    form = mf.BoardFilterForm(request.GET or None, user=request.user)
    unit = (form.cleaned_data.get("unit") if form.is_bound and form.is_valid() else None) or _own_committee(request.user)
    rows = list(selectors.mediator_loads(unit)[:12]) if unit is not None else []
    return render(request, "mediation/_loads.html", {"rows": rows, "unit": unit,
                                                     "query": request.GET.urlencode()})


# --- 4. the court liaison's confirmation queue --------------------------------------------------

def _conf_clock(c: Confirmation, code: str) -> Clock | None:
    found = [k for k in c.case.confirmation_clocks if k.code == code]
    return found[-1] if found else None


def _court_buttons(c: Confirmation) -> str:
    back = reverse("mediation:court")
    out = []
    if not c.accepted_on:
        out.append(_btn(action_url(c.case, "accept_confirmation", next=back), "立案受理", "primary", "court-accept"))
    elif not c.extended:
        out.append(_btn(action_url(c.case, "extend_confirmation", next=back), "延长审查期限", "outline-secondary"))
    out.append(_btn(action_url(c.case, "record_confirmation", next=back), "记录确认结果", "success", "court-decide"))
    return format_html_join(" ", "{}", ((b,) for b in out))


class CourtQueue(ScreenOnly):
    title = "司法确认队列"
    export_name = "司法确认队列"
    capability = "mediation.court"
    filter_form = mf.CourtFilterForm
    template_name = "mediation/list.html"
    columns = [
        Col("事项", lambda c: _case_link(c.case), export=lambda c: c.case.number),
        Col("标题", lambda c: _short(c.case.title), export=lambda c: c.case.title, css="wrap"),
        Col("调解协议", lambda c: c.agreement.number),
        Col("调解组织", lambda c: c.case.holder_unit.name),
        Col("管辖依据", lambda c: c.get_court_basis_display()),
        Col("申请日期", lambda c: c.applied_on),
        Col("立案", lambda c: f"{_d(c.accepted_on)} {c.court_number}".strip() if c.accepted_on else "待立案",
            export=lambda c: c.accepted_on),
        Col("受理（3日）", lambda c: _clock_badge(_conf_clock(c, "confirmation.accept"), "受理"),
            export=lambda c: _clock_text(_conf_clock(c, "confirmation.accept"))),
        Col("审查（15日）", lambda c: _clock_badge(_conf_clock(c, "confirmation.decide"), "审查"),
            export=lambda c: _clock_text(_conf_clock(c, "confirmation.decide"))),
        Col("法定上限（30日）", lambda c: _clock_badge(_conf_clock(c, "confirmation.limit"), "上限"),
            export=lambda c: _clock_text(_conf_clock(c, "confirmation.limit"))),
        Col("操作", _court_buttons),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        clocks = Clock.objects.filter(code__in=CONFIRMATION_CLOCKS).select_related("rule").order_by("started_on", "id")
        qs = (selectors.confirmation_queue(user).filter(case__in=Case.objects.visible_to(user).values("pk"))
              .select_related("case__holder_unit")
              .prefetch_related(Prefetch("case__clocks", queryset=clocks, to_attr="confirmation_clocks")))
        if filters.get("stage") == "accept":
            qs = qs.filter(accepted_on__isnull=True)
        elif filters.get("stage") == "decide":
            qs = qs.filter(accepted_on__isnull=False)
        if filters.get("q"):
            qs = qs.filter(mf.text_q(filters["q"].strip(), "case__number", "case__title", "court_number"))
        return qs


# --- 5. the expert's requests -------------------------------------------------------------------

class OpinionList(ListPage):
    title = "专家咨询"
    export_name = "专家咨询"
    capability = "mediation.opinions"
    filter_form = mf.OpinionFilterForm
    template_name = "mediation/opinions.html"
    columns = [
        Col("事项", lambda r: r.case.number),
        Col("标题", lambda r: r.case.title),
        Col("咨询问题", lambda r: r.question),
        Col("答复期限", lambda r: r.due_on),
        Col("答复时间", lambda r: r.answered_at),
        Col("书面意见", lambda r: r.opinion),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        qs = selectors.opinion_requests_for(user).filter(case__in=Case.objects.visible_to(user).values("pk"))
        if filters.get("status") == "pending":
            qs = qs.filter(answered_at__isnull=True)
        elif filters.get("status") == "answered":
            qs = qs.filter(answered_at__isnull=False)
        return qs


@login_required
@require_POST
def answer_opinion(request: HttpRequest, pk: int) -> HttpResponse:
    """出具专家意见 (case_act "record_opinion") on one request addressed to the logged-in expert."""
    _need(request, "mediation.opinions")
    req = selectors.opinion_requests_for(request.user).filter(pk=pk).first()
    if req is None:
        raise Http404
    back = _next(request, reverse("mediation:opinions"))
    form = mf.OpinionAnswerForm(request.POST)
    error, status = "", 422
    if req.answered_at is not None:
        error, status = "该咨询已经答复", 409
    elif form.is_valid():
        try:
            services.case_act(case=req.case_id, actor=request.user, action="record_opinion",
                              data={"version": form.cleaned_data["version"], "request": req.pk,
                                    "opinion": form.cleaned_data["opinion"]})
        except DomainError as exc:
            if exc.status == 404:
                raise Http404 from exc
            error, status = (exc.errors[0].message if exc.errors else exc.detail), exc.status
        else:
            messages.success(request, f"已出具书面意见（{req.case.number}）")
            return redirect(back)
    else:
        error = "；".join(e for errs in form.errors.values() for e in errs)
    req.case.refresh_from_db(fields=["version"])
    return render(request, "mediation/opinion_answer.html", {
        "title": "出具专家意见", "r": req, "error": error, "opinion": request.POST.get("opinion", ""),
        "version": req.case.version, "next": back}, status=status)


# --- 6. leaders' oversight ----------------------------------------------------------------------

OVERSIGHT_TABS = (("mediation:oversight", "滞留调解"), ("mediation:overdue", "逾期履行"), ("mediation:backlog", "积案包案"))


def _period_clock(m: Mediation) -> Clock | None:
    found = getattr(m.case, "period_clocks", [])
    return found[-1] if found else None


class StuckList(ListPage):
    title = "调解督导：滞留调解"
    export_name = "滞留调解"
    capability = "mediation.oversight"
    filter_form = mf.StuckFilterForm
    template_name = "mediation/oversight.html"
    columns = [
        Col("事项", lambda m: _case_link(m.case), export=lambda m: m.case.number),
        Col("标题", lambda m: _short(m.case.title), export=lambda m: m.case.title, css="wrap"),
        Col("卷号", lambda m: m.number),
        Col("调解组织", lambda m: m.unit.name),
        Col("开始日期", lambda m: m.started_on),
        Col("调解期限", lambda m: _clock_badge(_period_clock(m), "期限"), export=lambda m: _clock_text(_period_clock(m))),
        Col("已延长（日）", lambda m: m.extended_days or "—"),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        clocks = Clock.objects.filter(code="mediation.period").select_related("rule").order_by("started_on", "id")
        qs = (selectors.stuck_in_mediation(Case.objects.visible_to(user))
              .prefetch_related(Prefetch("case__clocks", queryset=clocks, to_attr="period_clocks")))
        if filters.get("unit"):
            qs = qs.filter(unit=filters["unit"])
        if filters.get("q"):
            qs = qs.filter(mf.text_q(filters["q"].strip(), "case__number", "case__title"))
        return qs


class OverdueList(ListPage):
    title = "调解督导：逾期履行"
    export_name = "逾期履行"
    capability = "mediation.oversight"
    filter_form = mf.OverdueFilterForm
    template_name = "mediation/oversight.html"
    columns = [
        Col("事项", lambda o: _case_link(o.case), export=lambda o: o.case.number),
        Col("协议", lambda o: o.agreement.number),
        Col("义务人", lambda o: o.party.name),
        Col("义务内容", lambda o: _short(o.content), export=lambda o: o.content, css="wrap"),
        Col("金额（元）", lambda o: _money(o.amount), export=lambda o: o.amount),
        Col("已履行（元）", lambda o: _money(o.performed_amount), export=lambda o: o.performed_amount),
        Col("履行期限", lambda o: o.due_on),
        Col("逾期（日）", lambda o: (timezone.localdate() - o.due_on).days),
        Col("状态", lambda o: o.get_status_display()),
        Col("强制执行", lambda o: "已申请" if o.enforced else "未申请"),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        qs = selectors.overdue_obligations(Case.objects.visible_to(user))
        if filters.get("enforced") == "yes":
            qs = qs.filter(enforced=True)
        elif filters.get("enforced") == "no":
            qs = qs.filter(enforced=False)
        if filters.get("q"):
            qs = qs.filter(mf.text_q(filters["q"].strip(), "case__number", "case__title", "content"))
        return qs


class BacklogList(ListPage):
    title = "调解督导：积案包案"
    export_name = "信访积案"
    capability = "mediation.oversight"
    filter_form = mf.BacklogFilterForm
    template_name = "mediation/oversight.html"
    columns = [
        Col("包案领导", lambda b: (b.responsible_leader.name or b.responsible_leader.username) if b.responsible_leader_id
            else "（未指定）"),
        Col("事项", lambda b: _case_link(b.case), export=lambda b: b.case.number),
        Col("标题", lambda b: _short(b.case.title), export=lambda b: b.case.title, css="wrap"),
        Col("状态", lambda b: status_badge(b.case), export=lambda b: b.case.get_status_display()),
        Col("认定理由", lambda b: _short(b.reason, 40), export=lambda b: b.reason, css="wrap"),
        Col("认定方式", lambda b: "按规则" if b.by_rule else "领导认定"),
        Col("认定日期", lambda b: b.marked_on),
        Col("化解日期", lambda b: b.resolved_on or "未化解"),
        Col("化解单位", lambda b: b.resolved_unit.name if b.resolved_unit_id else "—"),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        qs = backlog = selectors.backlog_by_leader(Case.objects.visible_to(user))
        if filters.get("leader") == 0:
            qs = backlog.filter(responsible_leader__isnull=True)
        elif filters.get("leader"):
            qs = backlog.filter(responsible_leader_id=filters["leader"])
        if filters.get("resolved") == "yes":
            qs = qs.filter(resolved_on__isnull=False)
        elif filters.get("resolved") == "no":
            qs = qs.filter(resolved_on__isnull=True)
        if filters.get("q"):
            qs = qs.filter(mf.text_q(filters["q"].strip(), "case__number", "case__title"))
        return qs


# --- 7. the archive -------------------------------------------------------------------------------

def _items_summary(a: ArchiveFile) -> str:
    missing = [i["name"] for i in a.items if i.get("required") and not i.get("present")]
    return "必备材料齐全" if not missing else "缺：" + "、".join(missing)


class ArchiveList(ListPage):
    title = "卷宗目录"
    export_name = "卷宗目录"
    capability = "mediation.archive"
    filter_form = mf.ArchiveFilterForm
    template_name = "mediation/list.html"
    columns = [
        Col("卷号", lambda a: a.number, link=lambda a: reverse("mediation:archive", args=[a.pk])),
        Col("卷名", lambda a: _short(a.title), export=lambda a: a.title, css="wrap"),
        Col("事项", lambda a: _case_link(a.case), export=lambda a: a.case.number),
        Col("调解组织", lambda a: a.unit.name),
        Col("年度", lambda a: a.year),
        Col("人民调解员", lambda a: a.mediators or "—"),
        Col("调解日期", lambda a: f"{_d(a.mediated_from)} 至 {_d(a.mediated_to)}"),
        Col("立卷人", lambda a: a.filed_by.name or a.filed_by.username),
        Col("立卷日期", lambda a: a.filed_on),
        Col("保管期限", lambda a: a.get_retention_display()),
        Col("卷内材料", _items_summary),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        qs = (ArchiveFile.objects.filter(case__in=Case.objects.visible_to(user).values("pk"))
              .select_related("unit", "case", "filed_by"))
        if filters.get("unit"):
            qs = qs.filter(unit=filters["unit"])
        if filters.get("year"):
            qs = qs.filter(year=filters["year"])
        if filters.get("retention"):
            qs = qs.filter(retention=filters["retention"])
        if filters.get("q"):
            qs = qs.filter(mf.text_q(filters["q"].strip(), "number", "title", "case__number"))
        return qs.order_by("-year", "unit_id", "-id")


@login_required
def archive_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """卷宗: the cover fields (§4.1) and the 卷内目录 (§4.2), each item 必须/按需 and present or not."""
    _need(request, "mediation.archive")
    a = (ArchiveFile.objects.filter(pk=pk, case__in=Case.objects.visible_to(request.user).values("pk"))
         .select_related("unit", "case", "filed_by").first())
    if a is None:
        raise Http404
    return render(request, "mediation/archive.html", {"title": a.number, "a": a, "missing": _items_summary(a)})


# --- 8. the mediation panel of the case page ----------------------------------------------------

def panel_context(*, case: Case, user: Any, actions: list[Any]) -> dict[str, Any] | None:
    """What the case page shows about mediation (None if the case never reached it): rounds with
    mediators (how chosen, why suggested), notices and consent per party, sessions, agreements with
    signatures and obligations, judicial confirmation with its clocks, the enforcement deadline,
    follow-ups, backlog and archive; and the mediation actions the user may take now."""
    from fangtiao.mediation.handlers import enforcement_deadline
    from fangtiao.mediation.services import missing_signatures

    data = selectors.mediation_summary(case)
    if not data["rounds"] and not data["backlog"] and not data["opinions"]:
        return None
    parties = {p.pk: p for p in case.parties.all()}
    mediators = {a.mediator_id: a.mediator.name for m in data["rounds"] for a in m.assignments.all()}
    agreements = []
    for a in data["agreements"]:
        a.case = case  # the parties are already loaded with the case
        sigs = []
        for s in a.signatures.all():
            if s.signer_kind == SignerKind.PARTY:
                who = parties[s.party_id].name if s.party_id in parties else "当事人"
            elif s.signer_kind == SignerKind.MEDIATOR:
                who = f"调解员{mediators.get(s.mediator_id, '')}"
            else:
                who = "调委会印章"
            sigs.append({"s": s, "who": who})
        agreements.append({"a": a, "signatures": sigs,
                           "missing": missing_signatures(a) if a.status == AgreementStatus.SIGNING else []})
    clocks = {k.code: k for k in case.clocks.all() if k.code in PANEL_CLOCKS}
    confirmed = any(c.result == "confirmed" for c in data["confirmations"])
    return {
        **data,
        "agreements": agreements,
        "clocks": [{"code": code, "clock": clocks[code], "state": clock_state(clocks[code])}
                   for code in PANEL_CLOCKS if code in clocks],
        "enforcement_deadline": enforcement_deadline(case) if confirmed else None,
        "actions": [{"t": t, "url": action_url(case, t.action)} for t in actions if t.action in MEDIATION_ACTIONS],
        "can_archive": has_capability(user, "mediation.archive"),
    }
