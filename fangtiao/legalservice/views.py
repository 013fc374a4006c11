"""Pages of the public legal service: the consultation list (filters, Excel export), the record
form, and a consultation's page with 答复 and 转为事项. Thin: forms parse, selectors read (outside the
jurisdiction 404), services write; the capability is checked first (403). Domain errors are shown
in Chinese beside the form, nothing changed."""

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

from fangtiao.audit import services as audit
from fangtiao.core.errors import DomainError
from fangtiao.core.excel import xlsx_response
from fangtiao.core.views import Col, ListPage, add_domain_errors, export_reason, raise_http, refuse_export
from fangtiao.legalservice import forms as lf
from fangtiao.legalservice import participations, selectors, services
from fangtiao.legalservice.choices import ConsultStatus
from fangtiao.legalservice.models import Consultation
from fangtiao.org.permissions import has_capability


class ConsultationList(ListPage):
    title = "法律咨询"
    template_name = "legalservice/consultation_list.html"
    export_name = "法律咨询"
    capability = "consultation.view"
    create_url_name = "legalservice:consultation_new"
    create_capability = "consultation.record"
    filter_form = lf.ConsultationFilterForm
    columns: ClassVar[Sequence[Col]] = [
        Col("编号", lambda c: c.number, link=lambda c: reverse("legalservice:consultation", args=[c.pk])),
        Col("方式", lambda c: c.get_channel_display()),
        Col("咨询时间", lambda c: timezone.localtime(c.received_at).strftime("%Y-%m-%d %H:%M"),
            export=lambda c: timezone.localtime(c.received_at).replace(tzinfo=None)),
        Col("咨询人", lambda c: c.asker_name),
        Col("电话", lambda c: c.phone_masked),
        Col("所在地", lambda c: c.region.name),
        Col("咨询事项", lambda c: c.topic),
        Col("律师", lambda c: c.lawyer.name if c.lawyer_id else "—"),
        Col("时长（分钟）", lambda c: c.duration_minutes or "—"),
        Col("状态", lambda c: c.get_status_display()),
        Col("转为事项", lambda c: c.case.number if c.case_id else "—"),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        return selectors.consultation_list(user=user, filters=filters)


def _need(request: HttpRequest, capability: str) -> None:
    if not has_capability(request.user, capability):
        raise PermissionDenied




@login_required
@require_http_methods(["GET", "POST"])
def consultation_new(request: HttpRequest) -> HttpResponse:
    _need(request, "consultation.record")
    status = 200
    if request.method == "POST":
        form = lf.ConsultationRecordForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                c = services.consultation_record(actor=request.user, **form.service_data())
            except DomainError as exc:
                raise_http(exc)
                add_domain_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, f"已登记法律咨询 {c.number}")
                return redirect("legalservice:consultation", pk=c.pk)
        else:
            status = 422
    else:
        form = lf.ConsultationRecordForm(user=request.user)
    return render(request, "legalservice/consultation_form.html", {"title": "登记法律咨询", "form": form},
                  status=status)


def _consultation(request: HttpRequest, pk: int) -> Consultation:
    _need(request, "consultation.view")
    c = selectors.consultation_get(user=request.user, pk=pk)
    if c is None:
        raise Http404
    return c


def _page(request: HttpRequest, c: Consultation, *, forms: dict[str, Any] | None = None, error: str = "",
          status: int = 200) -> HttpResponse:
    forms = forms or {}
    user = request.user
    pending = c.status == ConsultStatus.PENDING
    return render(request, "legalservice/consultation.html", {
        "title": f"法律咨询 {c.number}", "c": c, "error": error, "stale": "刷新" in error,
        "can_answer": pending and has_capability(user, "consultation.record"),
        "can_case": not c.case_id and has_capability(user, "case.register"),
        "answer_form": forms.get("answer") or lf.ConsultationAnswerForm(
            user=user, initial={"version": c.version, "lawyer": c.lawyer_id, "duration_minutes": c.duration_minutes},
            auto_id="answer_%s"),
        "case_form": forms.get("case") or lf.ConsultationToCaseForm(user=user, initial={"version": c.version},
                                                                     auto_id="case_%s"),
    }, status=status)


@login_required
@require_GET
def consultation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _consultation(request, pk))


def _post(request: HttpRequest, pk: int, *, key: str, form: Any, call: Any, done: Any) -> HttpResponse:
    c = _consultation(request, pk)
    if form.is_valid():
        try:
            result = call(form.cleaned_data)
        except DomainError as exc:
            raise_http(exc)
            error = add_domain_errors(form, exc)
            return _page(request, _consultation(request, pk), forms={key: form}, error=error, status=exc.status)
        messages.success(request, done(result))
        return redirect("legalservice:consultation", pk=pk)
    return _page(request, c, forms={key: form}, error="；".join(e for errs in form.errors.values() for e in errs),
                 status=422)


@login_required
@require_POST
def consultation_answer(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "consultation.record")
    form = lf.ConsultationAnswerForm(request.POST, user=request.user, auto_id="answer_%s")
    return _post(request, pk, key="answer", form=form, done=lambda _c: "已答复",
                 call=lambda d: services.consultation_answer(
                     actor=request.user, consultation_id=pk, answer=d["answer"], lawyer=d.get("lawyer"),
                     duration_minutes=d.get("duration_minutes"), version=d["version"]))


@login_required
@require_POST
def consultation_case(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "case.register")
    form = lf.ConsultationToCaseForm(request.POST, user=request.user, auto_id="case_%s")
    return _post(request, pk, key="case", form=form, done=lambda case: f"已转为事项 {case.number}",
                 call=lambda d: services.consultation_to_case(actor=request.user, consultation_id=pk, kind=d["kind"],
                                                              version=d["version"]))


# --- lawyers' participation (律师参与化解) ------------------------------------------------------------

def _case_link(p: Any) -> str:
    return reverse("cases:detail", args=[p.case_id])


class ParticipationList(ListPage):
    """Lawyers' participations in mediation sessions and petition meetings, in the caller's jurisdiction."""

    title = "律师参与化解"
    export_name = "律师参与化解"
    capability = participations.VIEW
    template_name = "legalservice/participation_list.html"
    create_url_name = "legalservice:participation_new"
    create_capability = "lawyer.participation"
    filter_form = lf.ParticipationFilterForm
    columns: ClassVar[Sequence[Col]] = [
        Col("日期", lambda p: p.held_on.isoformat(), export=lambda p: p.held_on),
        Col("律师", lambda p: p.lawyer.name),
        Col("律师事务所", lambda p: p.lawyer.organisation or "—"),
        Col("参与类型", lambda p: p.get_kind_display()),
        Col("作用", lambda p: p.get_role_display()),
        Col("事项", lambda p: p.case.number, link=_case_link),
        Col("事项标题", lambda p: p.case.title),
        Col("情况", lambda p: p.note or "—"),
        Col("记录人", lambda p: str(p.recorded_by) if p.recorded_by_id else "—"),
    ]

    def select(self, user: Any, filters: dict[str, Any]) -> Any:
        return participations.participation_list(user=user, filters=filters)


@login_required
@require_GET
def participation_counts(request: HttpRequest) -> HttpResponse:
    """Participations per lawyer (the list's filters); `?export=xlsx` downloads them (audited)."""
    _need(request, participations.VIEW)
    form = lf.ParticipationFilterForm(request.GET or None, user=request.user)
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        filters = {k: v for k, v in getattr(form, "cleaned_data", {}).items() if v not in (None, "", [])}
    rows = participations.participation_counts(user=request.user, filters=filters)
    if request.GET.get("export") == "xlsx":
        _need(request, "export.xlsx")
        reason = export_reason(request)  # every export states why (个人信息保护法 第51条)
        if reason is None:
            return refuse_export(request)
        audit.record(actor=request.user, action="export.xlsx", region_path=request.user.audit_region_path,
                     extra={"list": "律师参与化解统计", "filters": {k: str(v) for k, v in filters.items()},
                            "reason": reason})
        cols = [("律师", lambda r: r["name"]), ("律师事务所", lambda r: r["organisation"]),
                ("参与调解", lambda r: r["mediation"]), ("参与信访接谈", lambda r: r["petition"]),
                ("合计", lambda r: r["total"]), ("涉及事项", lambda r: r["cases"])]
        return xlsx_response(title="律师参与化解统计", columns=cols, rows=rows, filename="律师参与化解统计")
    query = request.GET.copy()
    query.pop("export", None)
    totals = {k: sum(r[k] for r in rows) for k in ("mediation", "petition", "total")}
    return render(request, "legalservice/participation_counts.html", {
        "title": "律师参与化解统计", "form": form, "rows": rows, "totals": totals, "query": query.urlencode(),
        "can_export": has_capability(request.user, "export.xlsx"),
    })


@login_required
@require_http_methods(["GET", "POST"])
def participation_new(request: HttpRequest, case_id: int | None = None) -> HttpResponse:
    """Record a lawyer's participation; from a case's page (`case_id`, 404 outside the jurisdiction) or
    by typing the case number."""
    from fangtiao.cases.models import Case

    _need(request, "lawyer.participation")
    case = None
    if case_id is not None:
        case = Case.objects.visible_to(request.user).filter(pk=case_id).only("pk", "number", "title").first()
        if case is None:
            raise Http404
    status = 200
    if request.method == "POST":
        form = lf.ParticipationForm(request.POST, user=request.user, case=case)
        if form.is_valid():
            d = form.cleaned_data
            target = case
            if target is None:
                target = (Case.objects.visible_to(request.user).filter(number=d["case_number"])
                          .only("pk", "number").first())
            if target is None:
                form.add_error("case_number", "事项不存在或不在您的管辖范围内")
                status = 422
            else:
                try:
                    p = services.participation_record(actor=request.user, case_id=target.pk, lawyer=d["lawyer"],
                                                      kind=d["kind"], role=d["role"], held_on=d["held_on"],
                                                      note=d.get("note") or "")
                except DomainError as exc:
                    raise_http(exc)
                    add_domain_errors(form, exc)
                    status = exc.status
                else:
                    messages.success(request, f"已记录{p.lawyer.name}律师{p.get_kind_display()}（{target.number}）")
                    return redirect(f"{reverse('legalservice:participations')}?case={target.number}")
        else:
            status = 422
    else:
        form = lf.ParticipationForm(user=request.user, case=case,
                                    initial={"held_on": timezone.localdate().isoformat()})
    return render(request, "legalservice/participation_form.html",
                  {"title": "记录律师参与化解", "form": form, "case": case}, status=status)
