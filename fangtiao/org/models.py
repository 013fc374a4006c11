"""The organisation registry: regions, units, people (staff accounts, mediators, experts).

Jurisdiction rests on the region tree: each region stores its materialised path
("330000/331000/331003/331003101/"), so a subtree is one indexed prefix query."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone

from fangtiao.core.fields import EncryptedCharField
from fangtiao.core.masking import mask_phone
from fangtiao.core.querysets import RestrictedQuerySet, TimeStamped
from fangtiao.org.choices import (
    Clearance,
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


class RegionQuerySet(RestrictedQuerySet):
    def subtree(self, region: Region) -> RegionQuerySet:
        return self.filter(path__startswith=region.path)


class Region(models.Model):
    """行政区划 with its GB/T 2260 / 统计用区划代码 code."""

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=16, choices=RegionLevel.choices)
    kind = models.CharField("类型", max_length=16, choices=RegionKind.choices)
    parent = models.ForeignKey("self", verbose_name="上级区划", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField("路径", max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField("深度", default=0, editable=False)
    search_key = models.CharField("拼音检索", max_length=255, blank=True, editable=False)
    active = models.BooleanField("有效", default=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="org_region_path_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["level", "path"], name="org_region_level_path"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_path(self) -> str:
        return self.path

    @property
    def ancestor_codes(self) -> list[str]:
        return [c for c in self.path.strip("/").split("/")[:-1] if c]

    @classmethod
    def visible_q(cls, user: Any) -> Q | None:
        from fangtiao.org.jurisdiction import scope_of

        scope = scope_of(user)
        if scope.all:
            return None
        if scope.path is None:
            return Q(pk__in=[])
        # Its own subtree, plus the chain of regions above it (so a township sees its district).
        return Q(path__startswith=scope.path) | Q(code__in=scope.ancestor_codes)


class DisputeCategory(models.Model):
    """纠纷类型 code table (legal-rules §5.1; the official list is UNVERIFIED, so it is editable)."""

    code = models.CharField("代码", max_length=32, primary_key=True)
    name = models.CharField("名称", max_length=50, unique=True)
    sort = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "纠纷类型"
        verbose_name_plural = "纠纷类型"
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class UnitQuerySet(RestrictedQuerySet):
    pass


class Unit(TimeStamped):
    """单位: the centre, stationed and line units, sub-centres, committees, courts and tribunals."""

    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=20, help_text="用于文书编号，如“黄岩矛调”")
    kind = models.CharField("类型", max_length=32, choices=UnitKind.choices)
    level = models.CharField("层级", max_length=16, choices=UnitLevel.choices)
    region = models.ForeignKey(Region, verbose_name="所在区划", on_delete=models.PROTECT, related_name="units")
    parent = models.ForeignKey("self", verbose_name="所属单位", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    phone = models.CharField("办公电话", max_length=30, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    stationed = models.BooleanField("进驻矛调中心", default=False)
    joint_response = models.BooleanField("一级响应联动单位", default=False)
    active = models.BooleanField("有效", default=True)
    search_key = models.CharField("拼音检索", max_length=255, blank=True, editable=False)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["region__path", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="org_unit_region_name_uniq"),
            # Case and transfer numbers start with the short name: it must identify the unit.
            models.UniqueConstraint(fields=["short_name"], name="org_unit_short_name_uniq"),
        ]
        indexes = [
            models.Index(fields=["kind", "level"], name="org_unit_kind_level"),
            models.Index(fields=["search_key"], name="org_unit_search"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_path(self) -> str:
        return self.region.path

    @property
    def is_mediation_committee(self) -> bool:
        from fangtiao.org.choices import MEDIATION_UNIT_KINDS

        return self.kind in MEDIATION_UNIT_KINDS

    @classmethod
    def visible_q(cls, user: Any) -> Q | None:
        from fangtiao.org.jurisdiction import scope_of

        scope = scope_of(user)
        if scope.all:
            return None
        if scope.path is None:
            return Q(pk__in=[])
        # Units in the caller's subtree and the units above it (transfer and escalation targets).
        return Q(region__path__startswith=scope.path) | Q(region__code__in=scope.ancestor_codes)


class Role(models.Model):
    """A role is a named permission set (capabilities in fangtiao.org.permissions)."""

    code = models.CharField("代码", max_length=32, primary_key=True)
    name = models.CharField("名称", max_length=50)

    class Meta:
        verbose_name = "角色"
        verbose_name_plural = "角色"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class StaffQuerySet(RestrictedQuerySet):
    pass


class StaffManager(UserManager.from_queryset(StaffQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A staff account. Every staff member belongs to a unit; roles give capabilities."""

    name = models.CharField("姓名", max_length=50, blank=True)
    unit = models.ForeignKey(Unit, verbose_name="所属单位", null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
    roles = models.ManyToManyField(Role, verbose_name="角色", blank=True, related_name="users")
    phone = EncryptedCharField("手机号码", blank=True, default="")
    title = models.CharField("职务", max_length=50, blank=True)
    search_key = models.CharField("拼音检索", max_length=255, blank=True, editable=False)
    # 安全标记 (GB/T 22239-2019 8.1.4.2 g): the highest case sensitivity label this user may see.
    clearance = models.PositiveSmallIntegerField("密级授权", choices=Clearance.choices, default=Clearance.NORMAL,
                                                 db_default=Clearance.NORMAL)

    objects = StaffManager()

    class Meta:
        verbose_name = "工作人员"
        verbose_name_plural = "工作人员"
        ordering = ["username"]
        indexes = [models.Index(fields=["search_key"], name="org_user_search")]

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def role_codes(self) -> frozenset[str]:
        cached = getattr(self, "_role_codes", None)
        if cached is None:
            if not self.pk:
                return frozenset()
            cached = frozenset(r.code for r in self.roles.all())
            self._role_codes = cached
        return cached

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def audit_region_path(self) -> str:
        return self.unit.region.path if self.unit_id and self.unit else ""

    @classmethod
    def visible_q(cls, user: Any) -> Q | None:
        from fangtiao.org.jurisdiction import scope_of

        scope = scope_of(user)
        if scope.all:
            return None
        if scope.path is None:
            return Q(pk=user.pk)
        return Q(unit__region__path__startswith=scope.path)


class PersonQuerySet(RestrictedQuerySet):
    def active(self) -> PersonQuerySet:
        return self.filter(status=PersonStatus.ACTIVE)


class Mediator(TimeStamped):
    """人民调解员 (人民调解法 第13–15条): full- or part-time, in a committee, with specialties."""

    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=8, choices=Gender.choices, blank=True)
    unit = models.ForeignKey(Unit, verbose_name="所属调委会", on_delete=models.PROTECT, related_name="mediators")
    employment = models.CharField("专兼职", max_length=16, choices=Employment.choices)
    rank = models.CharField("等级", max_length=16, choices=MediatorRank.choices, default=MediatorRank.REGULAR)
    specialties = models.ManyToManyField(DisputeCategory, verbose_name="擅长纠纷类型", blank=True, related_name="mediators")
    phone = EncryptedCharField("联系电话", blank=True, default="")
    phone_index = models.CharField("电话索引", max_length=40, blank=True, editable=False, db_index=True)
    status = models.CharField("状态", max_length=16, choices=PersonStatus.choices, default=PersonStatus.ACTIVE)
    joined_on = models.DateField("聘任日期", null=True, blank=True)
    employer = models.CharField("工作单位", max_length=100, blank=True, default="",
                                help_text="兼职调解员的本职单位；与当事人同单位的须回避")
    user = models.OneToOneField(User, verbose_name="登录账号", null=True, blank=True, on_delete=models.SET_NULL, related_name="mediator")
    notes = models.TextField("备注", blank=True)
    search_key = models.CharField("拼音检索", max_length=255, blank=True, editable=False)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = "调解员"
        verbose_name_plural = "调解员"
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["unit", "status", "employment"], name="org_mediator_unit_status"),
            models.Index(fields=["search_key"], name="org_mediator_search"),
            models.Index(fields=["name"], name="org_mediator_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def audit_region_path(self) -> str:
        return self.unit.region.path

    @classmethod
    def visible_q(cls, user: Any) -> Q | None:
        from fangtiao.org.jurisdiction import scope_of

        scope = scope_of(user)
        if scope.all:
            return None
        if scope.path is None:
            return Q(pk__in=[])
        return Q(unit__region__path__startswith=scope.path)


class Expert(TimeStamped):
    """调解专家库成员: mediation experts, lawyers and domain specialists (article: 2 + 5 + 11)."""

    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=8, choices=Gender.choices, blank=True)
    kind = models.CharField("类别", max_length=32, choices=ExpertKind.choices)
    fields = models.JSONField("专业领域", default=list, blank=True)
    specialties = models.ManyToManyField(DisputeCategory, verbose_name="对应纠纷类型", blank=True, related_name="experts")
    organisation = models.CharField("工作单位", max_length=100, blank=True)
    title = models.CharField("职称/职务", max_length=50, blank=True)
    unit = models.ForeignKey(Unit, verbose_name="管理单位", on_delete=models.PROTECT, related_name="experts")
    phone = EncryptedCharField("联系电话", blank=True, default="")
    status = models.CharField("状态", max_length=16, choices=PersonStatus.choices, default=PersonStatus.ACTIVE)
    user = models.OneToOneField(User, verbose_name="登录账号", null=True, blank=True, on_delete=models.SET_NULL, related_name="expert")
    notes = models.TextField("备注", blank=True)
    search_key = models.CharField("拼音检索", max_length=255, blank=True, editable=False)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = "专家"
        verbose_name_plural = "调解专家库"
        ordering = ["kind", "name", "id"]
        indexes = [
            models.Index(fields=["kind", "status"], name="org_expert_kind_status"),
            models.Index(fields=["search_key"], name="org_expert_search"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def fields_display(self) -> str:
        return "、".join(self.fields or [])

    @property
    def audit_region_path(self) -> str:
        return self.unit.region.path

    @classmethod
    def visible_q(cls, user: Any) -> Q | None:
        from fangtiao.org.jurisdiction import scope_of

        scope = scope_of(user)
        if scope.all:
            return None
        if scope.path is None:
            return Q(pk__in=[])
        # The expert pool is kept at district level and serves every township below it.
        return Q(unit__region__path__startswith=scope.path) | Q(unit__region__code__in=scope.ancestor_codes)


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the raw value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField("前缀", max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField("过期时间")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def new_raw() -> str:
        return "ft_" + secrets.token_urlsafe(32)

    @staticmethod
    def hash(raw: str) -> str:
        return _hash_token(raw)
