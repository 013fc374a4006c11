"""Every change to the organisation registry: one transaction, checked, audited.

Callers (views, API, commands) pass the acting user; these functions check the capability
and the jurisdiction again, so no caller can skip them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from fangtiao.audit import services as audit
from fangtiao.core import crypto
from fangtiao.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from fangtiao.core.pinyin import search_key
from fangtiao.core.validators import normalize_phone, phone_error
from fangtiao.org.choices import (
    Employment,
    ExpertKind,
    Gender,
    MediatorRank,
    PersonStatus,
    RegionKind,
    RegionLevel,
    UnitKind,
    UnitLevel,
)
from fangtiao.org.jurisdiction import in_scope
from fangtiao.org.models import ApiToken, DisputeCategory, Expert, Mediator, Region, Role, Unit, User
from fangtiao.org.permissions import has_capability

_MEDIATOR_FIELDS = ("name", "gender", "unit", "employment", "rank", "phone", "status", "joined_on", "employer", "notes",
                    "specialties", "user")
_EXPERT_FIELDS = ("name", "gender", "kind", "fields", "organisation", "title", "unit", "phone", "status", "notes", "specialties", "user")
_UNIT_FIELDS = ("name", "short_name", "kind", "level", "region", "parent", "phone", "address", "stationed", "joint_response", "active")
_STAFF_FIELDS = ("username", "name", "unit", "title", "phone", "is_active", "roles")


def _require(actor: Any, capability: str) -> None:
    if not has_capability(actor, capability):
        raise PermissionDenied()


def _require_region_in_scope(actor: Any, region: Region, field: str = "region") -> None:
    if actor is not None and not in_scope(actor, region.path):
        raise ValidationFailed.on(field, "所选区划不在您的管辖范围内")


def _choice(value: str, choices: Any, field: str, label: str, *, allow_blank: bool = False) -> str:
    if allow_blank and value in ("", None):
        return ""
    if value not in choices.values:
        raise ValidationFailed.on(field, f"{label}“{value}”无效")
    return value


def _clean_name(value: str, field: str = "name", label: str = "姓名", max_len: int = 50) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed.on(field, f"请填写{label}")
    if len(value) > max_len:
        raise ValidationFailed.on(field, f"{label}不能超过{max_len}个字")
    return value


def _clean_phone(value: str, *, required: bool = False) -> str:
    value = normalize_phone(value or "")
    if not value:
        if required:
            raise ValidationFailed.on("phone", "请填写联系电话")
        return ""
    msg = phone_error(value)
    if msg:
        raise ValidationFailed.on("phone", msg)
    return value


def _categories(codes: Iterable[str], field: str = "specialties") -> list[DisputeCategory]:
    codes = list(dict.fromkeys(codes or []))
    if not codes:
        return []
    found = {c.code: c for c in DisputeCategory.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationFailed.on(field, f"纠纷类型代码无效：{'、'.join(missing)}")
    return [found[c] for c in codes]


# --- regions ---------------------------------------------------------------------------------

_LEVEL_DEPTH = {RegionLevel.PROVINCE: 0, RegionLevel.CITY: 1, RegionLevel.DISTRICT: 2, RegionLevel.TOWNSHIP: 3, RegionLevel.VILLAGE: 4}


@transaction.atomic
def region_create(*, actor: Any, code: str, name: str, level: str, kind: str, parent: Region | None) -> Region:
    """Add a division to the tree. Codes follow GB/T 2260 (6 digits) and 统计用区划代码 (9/12)."""
    if actor is not None:
        _require(actor, "registry.manage")
    code = (code or "").strip()
    if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
        raise ValidationFailed.on("code", "区划代码应为6位（县级及以上）、9位（乡镇街道）或12位（村社区）数字")
    name = _clean_name(name, label="名称", max_len=100)
    level = _choice(level, RegionLevel, "level", "层级")
    kind = _choice(kind, RegionKind, "kind", "类型")
    if parent is not None:
        if actor is not None:
            _require_region_in_scope(actor, parent, "parent")
        if _LEVEL_DEPTH[RegionLevel(level)] <= _LEVEL_DEPTH[RegionLevel(parent.level)]:
            raise ValidationFailed.on("level", "下级区划的层级必须低于上级区划")
    elif actor is not None and not actor.is_superuser:
        raise ValidationFailed.on("parent", "请选择上级区划")
    path = (parent.path if parent else "") + code + "/"
    region = Region(code=code, name=name, level=level, kind=kind, parent=parent, path=path,
                    depth=(parent.depth + 1) if parent else 0, search_key=search_key(name))
    try:
        with transaction.atomic():
            region.save()
    except IntegrityError as exc:
        raise ValidationFailed.on("code", f"区划代码 {code} 已存在") from exc
    audit.record(actor=actor, action="org.region.created", subject=region,
                 changes=audit.diff({}, {"code": code, "name": name, "level": level, "parent": parent.code if parent else None}))
    return region


@transaction.atomic
def region_update(*, actor: Any, region: Region, name: str | None = None, active: bool | None = None) -> Region:
    _require(actor, "registry.manage")
    if not in_scope(actor, region.path):
        raise NotFound()
    before = audit.snapshot(region, ("name", "active"))
    if name is not None:
        region.name = _clean_name(name, label="名称", max_len=100)
        region.search_key = search_key(region.name)
    if active is not None:
        region.active = bool(active)
    region.save()
    changes = audit.diff(before, audit.snapshot(region, ("name", "active")))
    if changes:
        audit.record(actor=actor, action="org.region.updated", subject=region, changes=changes)
    return region


# --- units -----------------------------------------------------------------------------------

def _unit_values(data: dict[str, Any], *, actor: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = _clean_name(data["name"], label="单位名称", max_len=100)
    if "short_name" in data:
        out["short_name"] = _clean_name(data["short_name"], field="short_name", label="简称", max_len=20)
    if "kind" in data:
        out["kind"] = _choice(data["kind"], UnitKind, "kind", "单位类型")
    if "level" in data:
        out["level"] = _choice(data["level"], UnitLevel, "level", "单位层级")
    if "region" in data:
        region = data["region"]
        if not isinstance(region, Region):
            raise ValidationFailed.on("region", "请选择所在区划")
        if actor is not None:
            _require_region_in_scope(actor, region)
        out["region"] = region
    if "parent" in data:
        parent = data["parent"]
        if parent is not None and actor is not None and not Unit.objects.visible_to(actor).filter(pk=parent.pk).exists():
            raise ValidationFailed.on("parent", "所属单位不在您的管辖范围内")
        out["parent"] = parent
    if "phone" in data:
        phone = (data["phone"] or "").strip()
        if phone and phone_error(phone):
            raise ValidationFailed.on("phone", phone_error(phone) or "")
        out["phone"] = normalize_phone(phone) if phone else ""
    for key in ("address",):
        if key in data:
            value = (data[key] or "").strip()
            if len(value) > 200:
                raise ValidationFailed.on(key, "地址不能超过200个字")
            out[key] = value
    for key in ("stationed", "joint_response", "active"):
        if key in data:
            out[key] = bool(data[key])
    return out


def _short_name_free(unit: Unit) -> None:
    """The short name heads every case and transfer number of the unit (〔年〕号): unique."""
    other = Unit.objects.filter(short_name=unit.short_name).exclude(pk=unit.pk).first()
    if other is not None:
        raise ValidationFailed.on("short_name", f"简称“{unit.short_name}”已被{other.name}使用，文书编号需要唯一的简称")


@transaction.atomic
def unit_create(*, actor: Any, **data: Any) -> Unit:
    if actor is not None:
        _require(actor, "registry.manage")
    for required in ("name", "short_name", "kind", "level", "region"):
        if data.get(required) in (None, ""):
            raise ValidationFailed.on(required, "此项为必填项")
    values = _unit_values(data, actor=actor)
    unit = Unit(**values)
    unit.search_key = search_key(unit.name)
    _short_name_free(unit)
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError as exc:
        raise ValidationFailed.on("name", "该区划下已有同名单位") from exc
    audit.record(actor=actor, action="org.unit.created", subject=unit, changes=audit.diff({}, audit.snapshot(unit, _UNIT_FIELDS)))
    return unit


@transaction.atomic
def unit_update(*, actor: Any, unit: Unit, **data: Any) -> Unit:
    _require(actor, "registry.manage")
    unit = Unit.objects.visible_to(actor).select_for_update().select_related("region").filter(pk=unit.pk).first()
    if unit is None or not in_scope(actor, unit.region.path):
        raise NotFound()
    before = audit.snapshot(unit, _UNIT_FIELDS)
    for key, value in _unit_values(data, actor=actor).items():
        setattr(unit, key, value)
    if unit.parent_id == unit.pk:
        raise ValidationFailed.on("parent", "单位不能隶属于自身")
    unit.search_key = search_key(unit.name)
    _short_name_free(unit)
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError as exc:
        raise ValidationFailed.on("name", "该区划下已有同名单位") from exc
    changes = audit.diff(before, audit.snapshot(unit, _UNIT_FIELDS))
    if changes:
        audit.record(actor=actor, action="org.unit.updated", subject=unit, changes=changes)
    return unit


# --- mediators -------------------------------------------------------------------------------

def _mediator_unit(actor: Any, unit: Any) -> Unit:
    if not isinstance(unit, Unit):
        raise ValidationFailed.on("unit", "请选择所属调委会")
    if not unit.is_mediation_committee:
        raise ValidationFailed.on("unit", "调解员只能隶属于人民调解委员会、调解工作室或信访调解室")
    if actor is not None:
        if not in_scope(actor, unit.region.path):
            raise ValidationFailed.on("unit", "所选调委会不在您的管辖范围内")
        if not actor.is_superuser and "admin" not in actor.role_codes and unit.pk != actor.unit_id:
            # A committee head maintains the mediators of their own committee only.
            raise ValidationFailed.on("unit", "调委会主任只能维护本调委会的调解员")
    return unit


def _mediator_values(data: dict[str, Any], *, actor: Any) -> tuple[dict[str, Any], list[DisputeCategory] | None]:
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = _clean_name(data["name"])
    if "gender" in data:
        out["gender"] = _choice(data["gender"] or "", Gender, "gender", "性别", allow_blank=True)
    if "unit" in data:
        out["unit"] = _mediator_unit(actor, data["unit"])
    if "employment" in data:
        out["employment"] = _choice(data["employment"], Employment, "employment", "专兼职")
    if "rank" in data:
        out["rank"] = _choice(data["rank"] or MediatorRank.REGULAR, MediatorRank, "rank", "等级")
    if "status" in data:
        out["status"] = _choice(data["status"], PersonStatus, "status", "状态")
    if "phone" in data:
        out["phone"] = _clean_phone(data["phone"])
    if "joined_on" in data:
        joined = data["joined_on"]
        if joined is not None and not isinstance(joined, dt.date):
            raise ValidationFailed.on("joined_on", "聘任日期格式不正确")
        if joined is not None and joined > timezone.localdate():
            raise ValidationFailed.on("joined_on", "聘任日期不能晚于今天")
        out["joined_on"] = joined
    if "notes" in data:
        notes = (data["notes"] or "").strip()
        if len(notes) > 2000:
            raise ValidationFailed.on("notes", "备注不能超过2000个字")
        out["notes"] = notes
    if "employer" in data:
        employer = (data["employer"] or "").strip()
        if len(employer) > 100:
            raise ValidationFailed.on("employer", "工作单位不能超过100个字")
        out["employer"] = employer
    if "user" in data:
        out["user"] = data["user"]
    specialties = _categories(data["specialties"]) if "specialties" in data else None
    return out, specialties


@transaction.atomic
def mediator_create(*, actor: Any, **data: Any) -> Mediator:
    """Register a people's mediator (人民调解法 第13条: committee members and hired mediators)."""
    if actor is not None:
        _require(actor, "mediator.manage")
    for required in ("name", "unit", "employment"):
        if data.get(required) in (None, ""):
            raise ValidationFailed.on(required, "此项为必填项")
    values, specialties = _mediator_values(data, actor=actor)
    mediator = Mediator(**values)
    mediator.search_key = search_key(mediator.name, person=True)
    mediator.phone_index = crypto.blind_index(mediator.phone, purpose="phone") if mediator.phone else ""
    mediator.save()
    if specialties:
        mediator.specialties.set(specialties)
    audit.record(actor=actor, action="org.mediator.created", subject=mediator,
                 changes=audit.diff({}, audit.snapshot(mediator, _MEDIATOR_FIELDS), sensitive={"phone"}))
    return mediator


def _locked(model: Any, actor: Any, pk: Any) -> Any:
    obj = model.objects.visible_to(actor).select_for_update().filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    return obj


@transaction.atomic
def mediator_update(*, actor: Any, mediator: Mediator, **data: Any) -> Mediator:
    _require(actor, "mediator.manage")
    mediator = _locked(Mediator, actor, mediator.pk)
    if not actor.is_superuser and "admin" not in actor.role_codes and mediator.unit_id != actor.unit_id:
        raise PermissionDenied("调委会主任只能维护本调委会的调解员")
    before = audit.snapshot(mediator, _MEDIATOR_FIELDS)
    values, specialties = _mediator_values(data, actor=actor)
    for key, value in values.items():
        setattr(mediator, key, value)
    mediator.search_key = search_key(mediator.name, person=True)
    mediator.phone_index = crypto.blind_index(mediator.phone, purpose="phone") if mediator.phone else ""
    mediator.save()
    if specialties is not None:
        mediator.specialties.set(specialties)
    changes = audit.diff(before, audit.snapshot(mediator, _MEDIATOR_FIELDS), sensitive={"phone"})
    if changes:
        audit.record(actor=actor, action="org.mediator.updated", subject=mediator, changes=changes)
    return mediator


# --- experts ---------------------------------------------------------------------------------

def _expert_values(data: dict[str, Any], *, actor: Any) -> tuple[dict[str, Any], list[DisputeCategory] | None]:
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = _clean_name(data["name"])
    if "gender" in data:
        out["gender"] = _choice(data["gender"] or "", Gender, "gender", "性别", allow_blank=True)
    if "kind" in data:
        out["kind"] = _choice(data["kind"], ExpertKind, "kind", "专家类别")
    if "fields" in data:
        raw = data["fields"] or []
        if isinstance(raw, str):
            raw = list(raw.replace("，", ",").replace("、", ",").split(","))
        fields = [str(f).strip() for f in raw if str(f).strip()]
        if len(fields) > 20 or any(len(f) > 30 for f in fields):
            raise ValidationFailed.on("fields", "专业领域最多20项，每项不超过30个字")
        out["fields"] = fields
    for key, label, size in (("organisation", "工作单位", 100), ("title", "职称/职务", 50)):
        if key in data:
            value = (data[key] or "").strip()
            if len(value) > size:
                raise ValidationFailed.on(key, f"{label}不能超过{size}个字")
            out[key] = value
    if "unit" in data:
        unit = data["unit"]
        if not isinstance(unit, Unit):
            raise ValidationFailed.on("unit", "请选择管理单位")
        if actor is not None:
            _require_region_in_scope(actor, unit.region, "unit")
        out["unit"] = unit
    if "status" in data:
        out["status"] = _choice(data["status"], PersonStatus, "status", "状态")
    if "phone" in data:
        out["phone"] = _clean_phone(data["phone"])
    if "notes" in data:
        out["notes"] = (data["notes"] or "").strip()[:2000]
    if "user" in data:
        out["user"] = data["user"]
    specialties = _categories(data["specialties"]) if "specialties" in data else None
    return out, specialties


@transaction.atomic
def expert_create(*, actor: Any, **data: Any) -> Expert:
    """Add a member to the 调解专家库 (article: 2 mediation experts, 5 lawyers, 11 specialists)."""
    if actor is not None:
        _require(actor, "expert.manage")
    for required in ("name", "kind", "unit"):
        if data.get(required) in (None, ""):
            raise ValidationFailed.on(required, "此项为必填项")
    values, specialties = _expert_values(data, actor=actor)
    expert = Expert(**values)
    expert.search_key = search_key(expert.name, person=True)
    expert.save()
    if specialties:
        expert.specialties.set(specialties)
    audit.record(actor=actor, action="org.expert.created", subject=expert,
                 changes=audit.diff({}, audit.snapshot(expert, _EXPERT_FIELDS), sensitive={"phone"}))
    return expert


@transaction.atomic
def expert_update(*, actor: Any, expert: Expert, **data: Any) -> Expert:
    _require(actor, "expert.manage")
    expert = _locked(Expert, actor, expert.pk)
    before = audit.snapshot(expert, _EXPERT_FIELDS)
    values, specialties = _expert_values(data, actor=actor)
    for key, value in values.items():
        setattr(expert, key, value)
    expert.search_key = search_key(expert.name, person=True)
    expert.save()
    if specialties is not None:
        expert.specialties.set(specialties)
    changes = audit.diff(before, audit.snapshot(expert, _EXPERT_FIELDS), sensitive={"phone"})
    if changes:
        audit.record(actor=actor, action="org.expert.updated", subject=expert, changes=changes)
    return expert


# --- staff accounts --------------------------------------------------------------------------

def _roles(codes: Iterable[str]) -> list[Role]:
    codes = list(dict.fromkeys(codes or []))
    found = {r.code: r for r in Role.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationFailed.on("roles", f"角色代码无效：{'、'.join(missing)}")
    return [found[c] for c in codes]


@transaction.atomic
def staff_create(
    *, actor: Any, username: str, name: str, unit: Unit, roles: Iterable[str], password: str,
    phone: str = "", title: str = "",
) -> User:
    """Create a staff account. Accounts are personal (GB/T 22239 8.1.4.1: no shared accounts)."""
    if actor is not None:
        _require(actor, "staff.manage")
    username = (username or "").strip()
    if not username or len(username) > 150 or not all(c.isalnum() or c in "_.-@" for c in username):
        raise ValidationFailed.on("username", "账号只能包含字母、数字和 _ . - @，不超过150个字符")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed.on("username", f"账号 {username} 已存在")
    if not isinstance(unit, Unit):
        raise ValidationFailed.on("unit", "请选择所属单位")
    if actor is not None:
        _require_region_in_scope(actor, unit.region, "unit")
    role_objs = _roles(roles)
    if not role_objs:
        raise ValidationFailed.on("roles", "请至少选择一个角色")
    user = User(username=username, name=_clean_name(name), unit=unit, phone=_clean_phone(phone),
                title=(title or "").strip()[:50])
    user.search_key = search_key(user.name, person=True)
    _set_password(user, password)
    user.save()
    user.roles.set(role_objs)
    audit.record(actor=actor, action="org.staff.created", subject=user,
                 changes=audit.diff({}, audit.snapshot(user, _STAFF_FIELDS), sensitive={"phone"}))
    return user


def _set_password(user: User, password: str) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(detail="密码不符合要求", errors=[FieldError("password", m) for m in exc.messages]) from exc
    user.set_password(password)


@transaction.atomic
def staff_update(
    *, actor: Any, user: User, name: str | None = None, unit: Unit | None = None,
    roles: Iterable[str] | None = None, is_active: bool | None = None, phone: str | None = None,
    title: str | None = None,
) -> User:
    _require(actor, "staff.manage")
    user = _locked(User, actor, user.pk)
    before = audit.snapshot(user, _STAFF_FIELDS)
    if name is not None:
        user.name = _clean_name(name)
        user.search_key = search_key(user.name, person=True)
    if unit is not None:
        _require_region_in_scope(actor, unit.region, "unit")
        user.unit = unit
    if is_active is not None:
        if user.pk == actor.pk and not is_active:
            raise ValidationFailed.on("is_active", "不能停用自己的账号")
        user.is_active = bool(is_active)
    if phone is not None:
        user.phone = _clean_phone(phone)
    if title is not None:
        user.title = title.strip()[:50]
    user.save()
    if roles is not None:
        role_objs = _roles(roles)
        if not role_objs:
            raise ValidationFailed.on("roles", "请至少选择一个角色")
        user.roles.set(role_objs)
        user._role_codes = None
    changes = audit.diff(before, audit.snapshot(user, _STAFF_FIELDS), sensitive={"phone"})
    if changes:
        audit.record(actor=actor, action="org.staff.updated", subject=user, changes=changes)
    return user


# --- API tokens ------------------------------------------------------------------------------

@transaction.atomic
def token_issue(*, user: User) -> str:
    """Issue a bearer token after a successful password check; returns the raw token once."""
    raw = ApiToken.new_raw()
    ApiToken.objects.create(
        user=user, key_hash=ApiToken.hash(raw), prefix=raw[3:11],
        expires_at=timezone.now() + dt.timedelta(days=settings.FANGTIAO_API_TOKEN_DAYS),
    )
    audit.record(actor=user, action="auth.token_issued", subject=user)
    return raw


def token_user(raw: str) -> User | None:
    """The active user a bearer token belongs to, or None. Updates last use at most once a minute."""
    if not raw or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__unit", "user__unit__region", "user__credential")
        .filter(key_hash=ApiToken.hash(raw), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    # issue 9: a token stops working once its owner's password has expired (or was reset to an
    # initial one), until the password is changed
    from fangtiao.security.services import password_must_change

    cred = getattr(token.user, "credential", None) if hasattr(token.user, "credential") else None
    if cred is not None and password_must_change(cred):
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def token_revoke(*, actor: User, raw: str) -> bool:
    n = ApiToken.objects.filter(user=actor, key_hash=ApiToken.hash(raw), revoked_at__isnull=True).update(revoked_at=timezone.now())
    if n:
        audit.record(actor=actor, action="auth.token_revoked", subject=actor)
    return bool(n)


# --- personal information ----------------------------------------------------------------------

_REVEALABLE = {"mediator": (Mediator, ("phone",)), "expert": (Expert, ("phone",)), "staff": (User, ("phone",))}


@transaction.atomic
def pii_reveal(*, actor: Any, kind: str, pk: Any, field: str, reason: str = "") -> str:
    """Return one full personal field and audit the reveal (个人信息保护法 第51条; GB/T 22239 8.1.4.11)."""
    _require(actor, "pii.reveal")
    if kind not in _REVEALABLE or field not in _REVEALABLE[kind][1]:
        raise NotFound()
    model = _REVEALABLE[kind][0]
    obj = model.objects.visible_to(actor).filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:  # every full reveal carries its reason into the audit row (data at rest, issue 9)
        raise ValidationFailed.on("reason", "请填写查看事由（200字以内）")
    audit.record(actor=actor, action="pii.revealed", subject=obj, extra={"field": field, "reason": reason})
    return getattr(obj, field)
