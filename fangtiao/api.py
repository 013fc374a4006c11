"""The JSON API v1 (../shared/API.md). Routers live in each app's api.py; this assembles them,
sets authentication (bearer token or browser session) and turns every error into one shape."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from fangtiao.core.api import translate_validation_errors
from fangtiao.core.errors import DomainError


class BearerAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from fangtiao.org.services import token_user

        user = token_user(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """A logged-in browser session (CSRF-checked on unsafe methods)."""

    param_name = "sessionid"

    def _get_key(self, request: HttpRequest) -> str | None:
        return "session"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        # ninja exempts its views from Django's CSRF middleware; a cookie-authenticated write must
        # still carry the CSRF token (bearer tokens are not sent by browsers on their own).
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE") and check_csrf(request) is not None:
            raise HttpError(403, "CSRF 校验失败")
        return user


api = NinjaAPI(
    title="访调通 API",
    version="1",
    description="访调通（访调对接）HTTP API。认证：POST /api/v1/auth/token 获取令牌，以 Authorization: Bearer <token> 发送。",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=[BearerAuth(), SessionAuth(csrf=True)],
)


def _error(request: HttpRequest, status: int, detail: str, errors: list[dict[str, str]] | None = None) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


@api.exception_handler(NinjaValidationError)
def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = translate_validation_errors(exc.errors)
    detail = errors[0]["message"] if len(errors) == 1 else "输入有误，请检查后重试"
    if len(errors) == 1 and errors[0]["field"] != "__all__":
        detail = f"{errors[0]['field']}：{errors[0]['message']}"
    return _error(request, 422, detail, errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "未登录或令牌无效，请先获取令牌")


@api.exception_handler(DomainError)
def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.status, exc.detail, [e.as_dict() for e in exc.errors])


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "未找到该对象，或不在您的管辖范围内")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # ninja answers a body it cannot parse with 400; the contract says invalid input is 422.
        return _error(request, 422, "请求体不是有效的 JSON", [{"field": "__all__", "message": "请求体不是有效的 JSON"}])
    messages = {401: "未登录或令牌无效", 403: "您没有执行此操作的权限（或页面已过期，请刷新后重试）", 404: "未找到",
                405: "不支持的请求方法"}
    return _error(request, exc.status_code, messages.get(exc.status_code, "请求无效"))


def _register_routers() -> None:
    from fangtiao.assessment.api import router as assessment_router
    from fangtiao.cases.api import router as cases_router
    from fangtiao.core.api_routes import router as core_router
    from fangtiao.documents.api import router as documents_router
    from fangtiao.legalservice.api import router as legalservice_router
    from fangtiao.mediation.api import router as mediation_router
    from fangtiao.org.api import router as org_router
    from fangtiao.portal.api import router as portal_router
    from fangtiao.screening.api import router as screening_router
    from fangtiao.stats.api import router as stats_router
    from fangtiao.subsidies.api import router as subsidies_router

    api.add_router("", core_router)
    api.add_router("", org_router)
    api.add_router("", cases_router)
    api.add_router("", mediation_router)
    api.add_router("", documents_router)
    api.add_router("", screening_router)
    api.add_router("", legalservice_router)
    api.add_router("", portal_router)
    api.add_router("", stats_router)
    api.add_router("", assessment_router)
    api.add_router("", subsidies_router)


_register_routers()
