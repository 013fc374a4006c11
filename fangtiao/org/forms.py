from __future__ import annotations

from typing import Any

from django import forms

from fangtiao.core.forms import ChineseDateField, UserForm, choices_with_blank
from fangtiao.org import choices as c
from fangtiao.org.models import DisputeCategory, Region, Unit


def _region_field(user: Any) -> forms.ModelChoiceField:
    qs = Region.objects.visible_to(user).filter(level__in=["district", "township"]).order_by("path")
    return forms.ModelChoiceField(qs, to_field_name="code", required=False, label="区划", empty_label="全部")


def _categories_choices() -> list[tuple[str, str]]:
    return list(DisputeCategory.objects.filter(active=True).order_by("sort").values_list("code", "name"))


class RegionFilterForm(UserForm):
    q = forms.CharField(label="名称/拼音/代码", required=False, max_length=50)
    level = forms.ChoiceField(label="层级", required=False, choices=choices_with_blank(c.RegionLevel.choices))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"] = _region_field(self.user)
        self.fields["region"].widget.attrs["class"] = "form-select"


class UnitFilterForm(UserForm):
    q = forms.CharField(label="名称/拼音", required=False, max_length=50)
    kind = forms.ChoiceField(label="类型", required=False, choices=choices_with_blank(c.UnitKind.choices))
    level = forms.ChoiceField(label="层级", required=False, choices=choices_with_blank(c.UnitLevel.choices))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"] = _region_field(self.user)
        self.fields["region"].widget.attrs["class"] = "form-select"

    def clean_region(self) -> str | None:
        r = self.cleaned_data.get("region")
        return r.code if r else None


class MediatorFilterForm(UserForm):
    q = forms.CharField(label="姓名/拼音首字母", required=False, max_length=50)
    employment = forms.ChoiceField(label="专兼职", required=False, choices=choices_with_blank(c.Employment.choices))
    level = forms.ChoiceField(label="层级", required=False, choices=choices_with_blank(c.UnitLevel.choices))
    status = forms.ChoiceField(label="状态", required=False, choices=choices_with_blank(c.PersonStatus.choices))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"] = _region_field(self.user)
        self.fields["region"].widget.attrs["class"] = "form-select"
        self.fields["specialty"] = forms.ChoiceField(
            label="擅长类型", required=False, choices=choices_with_blank(_categories_choices()),
            widget=forms.Select(attrs={"class": "form-select"}),
        )

    def clean_region(self) -> str | None:
        r = self.cleaned_data.get("region")
        return r.code if r else None


class ExpertFilterForm(UserForm):
    q = forms.CharField(label="姓名/拼音/领域", required=False, max_length=50)
    kind = forms.ChoiceField(label="类别", required=False, choices=choices_with_blank(c.ExpertKind.choices))
    status = forms.ChoiceField(label="状态", required=False, choices=choices_with_blank(c.PersonStatus.choices))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["specialty"] = forms.ChoiceField(
            label="对应纠纷类型", required=False, choices=choices_with_blank(_categories_choices()),
            widget=forms.Select(attrs={"class": "form-select"}),
        )


class StaffFilterForm(UserForm):
    q = forms.CharField(label="姓名/账号/拼音", required=False, max_length=50)
    role = forms.ChoiceField(label="角色", required=False, choices=choices_with_blank(c.Role.choices))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"] = _region_field(self.user)
        self.fields["region"].widget.attrs["class"] = "form-select"

    def clean_region(self) -> str | None:
        r = self.cleaned_data.get("region")
        return r.code if r else None


# --- edit forms (values go to services, which validate again) -------------------------------

class MediatorForm(UserForm):
    name = forms.CharField(label="姓名", max_length=50)
    gender = forms.ChoiceField(label="性别", required=False, choices=c.Gender.choices)
    unit = forms.ModelChoiceField(Unit.objects.none(), label="所属调委会")
    employment = forms.ChoiceField(label="专兼职", choices=c.Employment.choices)
    rank = forms.ChoiceField(label="等级", choices=c.MediatorRank.choices, initial=c.MediatorRank.REGULAR)
    specialties = forms.MultipleChoiceField(label="擅长纠纷类型", required=False, choices=())
    phone = forms.CharField(label="联系电话", required=False, max_length=30,
                            help_text="手机11位，或固定电话“区号-号码”")
    status = forms.ChoiceField(label="状态", choices=c.PersonStatus.choices, initial=c.PersonStatus.ACTIVE)
    joined_on = ChineseDateField(label="聘任日期", required=False, help_text="如 2026-05-04 或 2026年5月4日")
    employer = forms.CharField(label="工作单位", required=False, max_length=100,
                               help_text="兼职调解员的本职单位；与当事人同单位的须回避")
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = Unit.objects.visible_to(self.user).filter(kind__in=c.MEDIATION_UNIT_KINDS).select_related("region")
        if self.user is not None and not self.user.is_superuser and "admin" not in self.user.role_codes:
            qs = qs.filter(pk=self.user.unit_id)
        self.fields["unit"].queryset = qs.order_by("region__path", "name")
        self.fields["specialties"].choices = _categories_choices()
        self.fields["specialties"].widget.attrs["size"] = 6


class ExpertForm(UserForm):
    name = forms.CharField(label="姓名", max_length=50)
    gender = forms.ChoiceField(label="性别", required=False, choices=c.Gender.choices)
    kind = forms.ChoiceField(label="类别", choices=c.ExpertKind.choices)
    fields_text = forms.CharField(label="专业领域", required=False, max_length=300, help_text="多个领域用顿号或逗号分隔")
    specialties = forms.MultipleChoiceField(label="对应纠纷类型", required=False, choices=())
    organisation = forms.CharField(label="工作单位", required=False, max_length=100)
    title = forms.CharField(label="职称/职务", required=False, max_length=50)
    unit = forms.ModelChoiceField(Unit.objects.none(), label="管理单位")
    phone = forms.CharField(label="联系电话", required=False, max_length=30)
    status = forms.ChoiceField(label="状态", choices=c.PersonStatus.choices, initial=c.PersonStatus.ACTIVE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.visible_to(self.user).filter(level="district").order_by("name")
        self.fields["specialties"].choices = _categories_choices()
        self.fields["specialties"].widget.attrs["size"] = 6


class UnitForm(UserForm):
    name = forms.CharField(label="单位名称", max_length=100)
    short_name = forms.CharField(label="简称", max_length=20, help_text="用于文书编号")
    kind = forms.ChoiceField(label="类型", choices=c.UnitKind.choices)
    level = forms.ChoiceField(label="层级", choices=c.UnitLevel.choices)
    region = forms.ModelChoiceField(Region.objects.none(), label="所在区划", to_field_name="code")
    parent = forms.ModelChoiceField(Unit.objects.none(), label="所属单位", required=False)
    phone = forms.CharField(label="办公电话", required=False, max_length=30)
    address = forms.CharField(label="地址", required=False, max_length=200)
    stationed = forms.BooleanField(label="进驻矛调中心", required=False)
    joint_response = forms.BooleanField(label="一级响应联动单位", required=False)
    active = forms.BooleanField(label="有效", required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.visible_to(self.user).filter(
            path__startswith=_scope_path(self.user)).order_by("path")
        self.fields["parent"].queryset = Unit.objects.visible_to(self.user).filter(
            level__in=["district", "township"]).order_by("name")


def _scope_path(user: Any) -> str:
    from fangtiao.org.jurisdiction import scope_of

    scope = scope_of(user)
    return "" if scope.all else (scope.path or "-")



