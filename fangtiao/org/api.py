"""Registry and account endpoints of the API (API.md § Resources). Thin: selectors do the work."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fangtiao.core.api import ERRORS, ErrorOut, Page, PageIn, paginate
from fangtiao.core.errors import PermissionDenied
from fangtiao.org import selectors
from fangtiao.org.jurisdiction import scope_of
from fangtiao.org.models import Expert, Mediator, Region, Unit, User
from fangtiao.org.permissions import has_capability
from fangtiao.org.services import token_issue, token_revoke

router = Router(tags=["组织机构"])


def _need(request: HttpRequest, capability: str) -> None:
    if not has_capability(request.user, capability):
        raise PermissionDenied()


# --- auth ------------------------------------------------------------------------------------

class TokenIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=256)
    otp: str = Field("", max_length=10, description="动态口令（6位数字）；要求动态口令时必填")


class TokenOut(Schema):
    token: str
    expires_in_days: int


@router.post("/auth/token", auth=None, response={200: TokenOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut},
             tags=["认证"], summary="用账号密码（及动态口令）换取接口令牌")
def auth_token(request: HttpRequest, body: TokenIn) -> Any:
    """The same checks as the browser login (issue 9): lockout per (account, address), password,
    expiry and initial password, then the OTP code (required when MFA is required or enrolled)."""
    from django.conf import settings

    from fangtiao.core.middleware import client_ip
    from fangtiao.security import services as security

    ip = client_ip(request)
    if security.is_locked(username=body.username, ip=ip):
        return Status(429, {"detail": security.LOCKED_MESSAGE, "errors": []})
    user = authenticate(request, username=body.username, password=body.password)
    if user is None or not user.is_active:
        security.attempt_failed(username=body.username, ip=ip)
        return Status(401, {"detail": "账号或密码错误", "errors": []})
    security.attempt_succeeded(username=body.username, ip=ip)
    cred = security.credential(user)
    if security.password_must_change(cred):
        return Status(403, {"detail": "密码已过期或为初始密码，请先登录网页修改密码", "errors": [
            {"field": "password", "message": "密码已过期或为初始密码"}]})
    from fangtiao.security.receivers import mfa_needed

    if mfa_needed(user):
        if security.confirmed_device(user) is None:
            return Status(403, {"detail": "请先登录网页绑定动态口令", "errors": [{"field": "otp", "message": "尚未绑定动态口令"}]})
        if not body.otp or not security.otp_verify(user=user, code=body.otp, ip=ip):
            return Status(401, {"detail": "动态口令错误或已使用", "errors": [{"field": "otp", "message": "动态口令错误或已使用"}]})
    return Status(200, {"token": token_issue(user=user), "expires_in_days": settings.FANGTIAO_API_TOKEN_DAYS})


@router.delete("/auth/token", response={204: None, 401: ErrorOut}, tags=["认证"], summary="吊销当前令牌")
def auth_token_revoke(request: HttpRequest) -> Any:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        token_revoke(actor=request.user, raw=header[7:].strip())
    return Status(204, None)


class MeOut(Schema):
    username: str
    name: str
    roles: list[str]
    unit: int | None
    unit_name: str | None
    region: str | None
    mediator: int | None
    expert: int | None
    capabilities: list[str]


@router.get("/me", response={200: MeOut, 401: ErrorOut}, tags=["认证"], summary="当前用户")
def me(request: HttpRequest) -> dict[str, Any]:
    from fangtiao.org.permissions import capabilities_of

    user: User = request.user  # type: ignore[assignment]
    scope = scope_of(user)
    root = None
    if scope.region_id:
        root = Region.objects.filter(pk=scope.region_id).values_list("code", flat=True).first()
    mediator_id = Mediator.objects.filter(user=user).values_list("pk", flat=True).first()
    expert_id = Expert.objects.filter(user=user).values_list("pk", flat=True).first()
    return {
        "username": user.username,
        "name": user.name or user.username,
        "roles": sorted(user.role_codes),
        "unit": user.unit_id,
        "unit_name": user.unit.name if user.unit_id else None,
        "region": root,
        "mediator": mediator_id,
        "expert": expert_id,
        "capabilities": sorted(capabilities_of(user)),
    }


# --- regions ---------------------------------------------------------------------------------

class RegionOut(Schema):
    code: str
    name: str
    level: str
    kind: str
    parent: str | None


class RegionFilter(PageIn):
    region: str | None = Field(None, max_length=12, description="区划代码，含下级")
    level: str | None = Field(None, max_length=16)
    parent: str | None = Field(None, max_length=12)
    q: str | None = Field(None, max_length=50, description="名称、拼音首字母或代码")


def _region_out(r: Region) -> dict[str, Any]:
    return {"code": r.code, "name": r.name, "level": r.level, "kind": r.kind, "parent": r.parent.code if r.parent_id else None}


@router.get("/regions", response={200: Page[RegionOut], **ERRORS}, summary="行政区划列表")
def region_list(request: HttpRequest, filters: Query[RegionFilter]) -> dict[str, Any]:
    _need(request, "registry.view")
    qs = selectors.region_list(user=request.user, filters=filters.dict())
    return paginate(qs, filters, _region_out)


@router.get("/regions/{code}", response={200: RegionOut, **ERRORS}, summary="行政区划详情")
def region_detail(request: HttpRequest, code: str) -> dict[str, Any]:
    _need(request, "registry.view")
    region = selectors.region_get(user=request.user, code=code[:12])
    if region is None:
        raise Http404
    return _region_out(region)


# --- units -----------------------------------------------------------------------------------

class UnitOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    level: str
    region: str
    region_name: str
    parent: int | None
    phone: str
    address: str
    stationed: bool
    joint_response: bool
    active: bool


class UnitFilter(PageIn):
    region: str | None = Field(None, max_length=12)
    kind: str | None = Field(None, max_length=32)
    level: str | None = Field(None, max_length=16)
    mediation_only: bool = False
    q: str | None = Field(None, max_length=50)


def _unit_out(u: Unit) -> dict[str, Any]:
    return {
        "id": u.pk, "name": u.name, "short_name": u.short_name, "kind": u.kind, "level": u.level,
        "region": u.region.code, "region_name": u.region.name, "parent": u.parent_id, "phone": u.phone,
        "address": u.address, "stationed": u.stationed, "joint_response": u.joint_response, "active": u.active,
    }


@router.get("/units", response={200: Page[UnitOut], **ERRORS}, summary="单位列表")
def unit_list(request: HttpRequest, filters: Query[UnitFilter]) -> dict[str, Any]:
    _need(request, "registry.view")
    return paginate(selectors.unit_list(user=request.user, filters=filters.dict()), filters, _unit_out)


@router.get("/units/{int:unit_id}", response={200: UnitOut, **ERRORS}, summary="单位详情")
def unit_detail(request: HttpRequest, unit_id: int) -> dict[str, Any]:
    _need(request, "registry.view")
    unit = selectors.unit_get(user=request.user, pk=unit_id)
    if unit is None:
        raise Http404
    return _unit_out(unit)


# --- mediators -------------------------------------------------------------------------------

class MediatorOut(Schema):
    id: int
    name: str
    gender: str
    unit: int
    unit_name: str
    region: str
    level: str
    employment: str
    rank: str
    specialties: list[str]
    phone_masked: str
    status: str


class MediatorFilter(PageIn):
    region: str | None = Field(None, max_length=12)
    unit: int | None = Field(None, ge=1)
    employment: str | None = Field(None, max_length=16)
    status: str | None = Field(None, max_length=16)
    level: str | None = Field(None, max_length=16)
    specialty: str | None = Field(None, max_length=32)
    q: str | None = Field(None, max_length=50)


def _mediator_out(m: Mediator) -> dict[str, Any]:
    return {
        "id": m.pk, "name": m.name, "gender": m.gender, "unit": m.unit_id, "unit_name": m.unit.name,
        "region": m.unit.region.code, "level": m.unit.level, "employment": m.employment, "rank": m.rank,
        "specialties": [c.code for c in m.specialties.all()], "phone_masked": m.phone_masked, "status": m.status,
    }


@router.get("/mediators", response={200: Page[MediatorOut], **ERRORS}, summary="调解员列表")
def mediator_list(request: HttpRequest, filters: Query[MediatorFilter]) -> dict[str, Any]:
    _need(request, "registry.view")
    return paginate(selectors.mediator_list(user=request.user, filters=filters.dict()), filters, _mediator_out)


@router.get("/mediators/{int:mediator_id}", response={200: MediatorOut, **ERRORS}, summary="调解员详情")
def mediator_detail(request: HttpRequest, mediator_id: int) -> dict[str, Any]:
    _need(request, "registry.view")
    m = selectors.mediator_get(user=request.user, pk=mediator_id)
    if m is None:
        raise Http404
    return _mediator_out(m)


# --- experts ---------------------------------------------------------------------------------

class ExpertOut(Schema):
    id: int
    name: str
    kind: str
    fields: list[str]
    specialties: list[str]
    organisation: str
    title: str
    unit: int
    phone_masked: str
    status: str


class ExpertFilter(PageIn):
    region: str | None = Field(None, max_length=12)
    kind: str | None = Field(None, max_length=32)
    status: str | None = Field(None, max_length=16)
    specialty: str | None = Field(None, max_length=32)
    q: str | None = Field(None, max_length=50)


def _expert_out(e: Expert) -> dict[str, Any]:
    return {
        "id": e.pk, "name": e.name, "kind": e.kind, "fields": list(e.fields or []),
        "specialties": [c.code for c in e.specialties.all()], "organisation": e.organisation, "title": e.title,
        "unit": e.unit_id, "phone_masked": e.phone_masked, "status": e.status,
    }


@router.get("/experts", response={200: Page[ExpertOut], **ERRORS}, summary="专家库列表")
def expert_list(request: HttpRequest, filters: Query[ExpertFilter]) -> dict[str, Any]:
    _need(request, "registry.view")
    return paginate(selectors.expert_list(user=request.user, filters=filters.dict()), filters, _expert_out)


@router.get("/experts/{int:expert_id}", response={200: ExpertOut, **ERRORS}, summary="专家详情")
def expert_detail(request: HttpRequest, expert_id: int) -> dict[str, Any]:
    _need(request, "registry.view")
    e = selectors.expert_get(user=request.user, pk=expert_id)
    if e is None:
        raise Http404
    return _expert_out(e)


# --- staff -----------------------------------------------------------------------------------

class StaffOut(Schema):
    id: int
    username: str
    name: str
    unit: int | None
    roles: list[str]
    title: str
    phone_masked: str
    is_active: bool


class StaffFilter(PageIn):
    region: str | None = Field(None, max_length=12)
    unit: int | None = Field(None, ge=1)
    role: str | None = Field(None, max_length=32)
    q: str | None = Field(None, max_length=50)


def _staff_out(u: User) -> dict[str, Any]:
    return {
        "id": u.pk, "username": u.username, "name": u.name, "unit": u.unit_id,
        "roles": [r.code for r in u.roles.all()], "title": u.title, "phone_masked": u.phone_masked,
        "is_active": u.is_active,
    }


@router.get("/staff", response={200: Page[StaffOut], 403: ErrorOut, **ERRORS}, summary="工作人员列表")
def staff_list(request: HttpRequest, filters: Query[StaffFilter]) -> dict[str, Any]:
    _need(request, "staff.view")
    return paginate(selectors.staff_list(user=request.user, filters=filters.dict()), filters, _staff_out)


@router.get("/staff/{int:user_id}", response={200: StaffOut, 403: ErrorOut, **ERRORS}, summary="工作人员详情")
def staff_detail(request: HttpRequest, user_id: int) -> dict[str, Any]:
    _need(request, "staff.view")
    u = selectors.staff_get(user=request.user, pk=user_id)
    if u is None:
        raise Http404
    return _staff_out(u)
