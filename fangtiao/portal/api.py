"""Public (no login) endpoints: online submission, progress by number + code, rating.

Every handler is rate-limited per client address (throttle.py) and answers in the common error
shape; a wrong code and an unknown number get byte-for-byte the same 404."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from fangtiao.core.api import ErrorOut
from fangtiao.core.errors import NotFound
from fangtiao.core.idempotency import run_idempotent
from fangtiao.core.validators import normalize_phone
from fangtiao.portal import selectors, services, throttle
from fangtiao.portal.schemas import PetitionIn, ProgressOut, RatingIn, ReceiptOut

router = Router(tags=["群众自助"], auth=None)

PUBLIC_ERRORS = {404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def idempotency_key(request: HttpRequest, *, scope: str = "") -> str | None:
    return services.scoped_idempotency_key(client=throttle.client_key(request),
                                           raw=request.headers.get("Idempotency-Key"), scope=scope)


def too_many(response: HttpResponse, exc: throttle.Throttled) -> Status:
    """429 in the common error shape, with Retry-After (seconds to the end of the window)."""
    response["Retry-After"] = str(exc.retry_after)
    return Status(429, {"detail": exc.detail, "errors": []})


def lookup(request: HttpRequest, number: str, code: str) -> Any:
    """Counted lookup: 429 while too many have failed; the one 404 for every kind of miss."""
    throttle.lookup_attempt(request)
    case = selectors.case_by_number_and_code(number=number, code=code)
    if case is None:
        throttle.lookup_failed(request)
        raise NotFound(selectors.NOT_FOUND_DETAIL)
    return case


@router.post("/public/petitions", response={201: ReceiptOut, 200: ReceiptOut, **PUBLIC_ERRORS},
             summary="网上提交信访事项或人民调解申请（无需登录）")
def petition_create(request: HttpRequest, response: HttpResponse, body: PetitionIn) -> Any:
    try:
        throttle.hit(request, "submit")
    except throttle.Throttled as exc:
        return too_many(response, exc)
    key = idempotency_key(request, scope=normalize_phone(body.phone))
    receipt = services.petition_submit_once(key=key, endpoint="POST /public/petitions", data=body)
    return Status(201, receipt)


class CodeQuery(Schema):
    code: str = ""


@router.get("/public/petitions/{number}", response={200: ProgressOut, **PUBLIC_ERRORS},
            summary="按编号和查询码查询办理进度（脱敏）")
def petition_progress(request: HttpRequest, response: HttpResponse, number: str, params: Query[CodeQuery]) -> Any:
    try:
        case = lookup(request, number, params.code)
    except throttle.Throttled as exc:
        return too_many(response, exc)
    return selectors.case_progress(case=case)


@router.post("/public/petitions/{number}/rating", response={200: ProgressOut, **PUBLIC_ERRORS},
             summary="对办理情况作出评价（满意/基本满意/不满意）")
def petition_rate(request: HttpRequest, response: HttpResponse, number: str, body: RatingIn) -> Any:
    try:
        throttle.lookup_attempt(request)
    except throttle.Throttled as exc:
        return too_many(response, exc)

    def run() -> tuple[int, Any]:
        try:
            case = services.case_rate(number=number, code=body.code, satisfaction=body.satisfaction,
                                      comment=body.comment)
        except NotFound:
            throttle.lookup_failed(request)
            raise
        return 200, ProgressOut.model_validate(selectors.case_progress(case=case)).model_dump(mode="json")

    key = idempotency_key(request, scope=selectors.normalize_code(body.code))
    status, out = run_idempotent(key=key, user_id=services.IDEMPOTENCY_USER,
                                 endpoint=f"POST /public/petitions/{selectors.normalize_number(number)}/rating", fn=run)
    return Status(status, out)
