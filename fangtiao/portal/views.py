"""The public pages (no login): the guided path, the online form and its receipt, the progress
page with the rating. Thin: forms parse, selectors read, services write; no rules here."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from fangtiao.core.errors import Conflict, NotFound, ValidationFailed
from fangtiao.core.validators import normalize_phone
from fangtiao.portal import guide, selectors, services, throttle
from fangtiao.portal.forms import LegalConsultForm, RateForm, SubmitForm, TrackForm

RECEIPT_SESSION_KEY = "portal_receipt"
LEGAL_SESSION_KEY = "portal_legal_number"


def throttled_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Render the rate limit as a Chinese page with 429 and Retry-After."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except throttle.Throttled as exc:
            response = render(request, "portal/throttled.html", {"title": "请求过于频繁", "detail": exc.detail, "nav": "",
                                                                  "minutes": max(exc.retry_after // 60, 1)}, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response

    return wrapper


def guide_view(request: HttpRequest) -> HttpResponse:
    step = guide.advance(request.GET)
    number, total = guide.position(step)
    previous = dict(list(step.answers.items())[:-1])
    return render(request, "portal/guide.html", {
        "title": "办事引导", "nav": "guide", "step": step, "answered": guide.answered(step), "number": number,
        "total": total, "back": urlencode(previous) if step.answers else None,
    })


@never_cache
@throttled_page
@require_http_methods(["GET", "POST"])
def submit_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        kind = request.GET.get("kind", "")
        form = SubmitForm(initial={"kind": kind if kind in ("petition", "dispute") else "",
                                   "token": secrets.token_hex(16)})
        return render(request, "portal/submit.html", {"title": "网上提交", "nav": "submit", "form": form})
    throttle.hit(request, "submit")
    form = SubmitForm(request.POST)
    if form.is_valid():
        data = form.service_data()
        try:
            # The form's one-time token makes a double-clicked or re-sent form one submission.
            key = services.scoped_idempotency_key(client=throttle.client_key(request), raw=form.cleaned_data.get("token"),
                                                  scope=normalize_phone(data["phone"]))
            receipt = services.petition_submit_once(key=key, endpoint="POST /portal/submit", data=data)
        except ValidationFailed as exc:
            form.add_domain_errors(exc)
        else:
            # Kept sealed in the session until the receipt page shows it, once.
            request.session[RECEIPT_SESSION_KEY] = {
                "number": receipt["number"], "sealed": services.seal_code(receipt["number"], receipt["query_code"])}
            return redirect("portal:submitted")
    return render(request, "portal/submit.html", {"title": "网上提交", "nav": "submit", "form": form})


@never_cache
def submitted_view(request: HttpRequest) -> HttpResponse:
    """The receipt, shown once: the query code is taken out of the session as it is displayed."""
    stored = request.session.pop(RECEIPT_SESSION_KEY, None)
    if not stored:
        return redirect("portal:track")
    receipt = {"number": stored["number"], "query_code": services.unseal_code(stored["number"], stored["sealed"])}
    return render(request, "portal/submitted.html", {"title": "提交成功", "nav": "submit", "receipt": receipt})


def _progress_page(request: HttpRequest, *, form: TrackForm, case: Any = None, status: int = 200,
                   error: str = "", rate_error: str = "", rated: bool = False, rate_form: RateForm | None = None) -> HttpResponse:
    ctx: dict[str, Any] = {"title": "进度查询与评价", "nav": "track", "form": form, "error": error}
    if case is not None:
        progress = selectors.case_progress(case=case)
        ctx["progress"] = progress
        ctx["rate_error"] = rate_error
        ctx["rated"] = rated
        if progress["rating"]["allowed"]:
            ctx["rate_form"] = rate_form or RateForm(initial={"number": case.number,
                                                              "code": selectors.normalize_code(form.data.get("code", ""))})
    return render(request, "portal/track.html", ctx, status=status)


def _not_found(request: HttpRequest, form: TrackForm) -> HttpResponse:
    return _progress_page(request, form=form, status=404, error=selectors.NOT_FOUND_DETAIL)


@never_cache
@throttled_page
@require_http_methods(["GET", "POST"])
def track_view(request: HttpRequest) -> HttpResponse:
    """By POST, so the query code stays out of addresses, history and server logs."""
    if request.method != "POST":
        return _progress_page(request, form=TrackForm(initial={"number": request.GET.get("number", "")[:80]}))
    form = TrackForm(request.POST)
    if not form.is_valid():
        return _progress_page(request, form=form, status=422)
    throttle.lookup_attempt(request)
    case = selectors.case_by_number_and_code(number=form.cleaned_data["number"], code=form.cleaned_data["code"])
    if case is None:
        throttle.lookup_failed(request)
        return _not_found(request, form)
    return _progress_page(request, form=form, case=case)


@never_cache
@throttled_page
@require_POST
def rate_view(request: HttpRequest) -> HttpResponse:
    rate_form = RateForm(request.POST)
    track_form = TrackForm({"number": request.POST.get("number", ""), "code": request.POST.get("code", "")})
    track_form.is_valid()
    throttle.lookup_attempt(request)
    case = selectors.case_by_number_and_code(number=request.POST.get("number", ""), code=request.POST.get("code", ""))
    if case is None:
        throttle.lookup_failed(request)
        return _not_found(request, track_form)
    if not rate_form.is_valid():
        return _progress_page(request, form=track_form, case=case, status=422, rate_form=rate_form)
    d = rate_form.cleaned_data
    try:
        case = services.case_rate(number=d["number"], code=d["code"], satisfaction=d["satisfaction"], comment=d["comment"])
    except NotFound:
        throttle.lookup_failed(request)
        return _not_found(request, track_form)
    except Conflict as exc:
        return _progress_page(request, form=track_form, case=case, status=409, rate_error=exc.detail)
    return _progress_page(request, form=track_form, case=case, rated=True)


@never_cache
@throttled_page
@require_http_methods(["GET", "POST"])
def legal_view(request: HttpRequest) -> HttpResponse:
    """网上法律咨询: the request waits (待答复) at the territorial unit of the asker's place, which
    answers by phone. Rate-limited like the online form (scope `submit`, invalid requests count)."""
    from fangtiao.legalservice.services import consultation_request_online

    ctx: dict[str, Any] = {"title": "法律咨询", "nav": "legal"}
    if request.method != "POST":
        return render(request, "portal/legal.html", {**ctx, "form": LegalConsultForm()})
    throttle.hit(request, "submit")
    form = LegalConsultForm(request.POST)
    if form.is_valid():
        try:
            c = consultation_request_online(**form.service_data())
        except ValidationFailed as exc:
            form.add_domain_errors(exc)
        else:
            request.session[LEGAL_SESSION_KEY] = {"number": c.number, "unit": c.unit.name}
            return redirect("portal:legal_done")
    return render(request, "portal/legal.html", {**ctx, "form": form}, status=422)


@never_cache
def legal_done_view(request: HttpRequest) -> HttpResponse:
    stored = request.session.pop(LEGAL_SESSION_KEY, None)
    if not stored:
        return redirect("portal:legal")
    return render(request, "portal/legal_done.html", {"title": "咨询已提交", "nav": "legal", "receipt": stored})
