"""Forms of the 以奖代补 pages."""

from __future__ import annotations

from typing import Any

from django import forms

from fangtiao.core.forms import ChineseDateField, UserForm, choices_with_blank
from fangtiao.subsidies.choices import BatchStatus, RuleKind, Split, UnitLevel
from fangtiao.subsidies.rules import (
    CONTROL_ERROR,
    MAX_AMOUNT,
    MAX_HEADCOUNT,
    MAX_MIN_AMOUNT,
    PERIOD_ERROR,
    has_control,
    parse_period,
)


def no_control(value: Any) -> None:
    """Django's CharField refuses a NUL byte; the other control characters are refused here."""
    if has_control(value):
        raise forms.ValidationError(CONTROL_ERROR, code="control")


def _msgs(label: str, *, select: bool = False) -> dict[str, str]:
    return {"required": f"请{'选择' if select else '填写'}{label}", "invalid_choice": f"请从列表中选择{label}",
            "invalid": f"{label}格式不正确", "max_length": f"{label}过长"}


class PeriodField(forms.CharField):
    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if value and parse_period(value) is None:
            raise forms.ValidationError(PERIOD_ERROR, code="invalid")
        return parse_period(value).code if value else ""  # type: ignore[union-attr]


class BatchFilterForm(UserForm):
    period = PeriodField(label="期间", required=False, max_length=7,
                         widget=forms.TextInput(attrs={"placeholder": "2026-05 或 2026-Q2"}))
    status = forms.ChoiceField(label="状态", required=False, choices=choices_with_blank(BatchStatus.choices),
                               error_messages={"invalid_choice": "没有这个状态"})


def unit_choices(user: Any) -> list[tuple[int, str]]:
    """Units whose region subtree the user may prepare a sheet for: the user's unit first, then the
    centres, sub-centres and committees of their jurisdiction."""
    from fangtiao.cases.access import case_scope_path
    from fangtiao.org.models import Unit

    path = case_scope_path(user)
    if path is None:
        return []
    kinds = ("centre", "subcentre", "justice_bureau", "justice_office", "petition_bureau", "petition_office",
             "district_committee", "township_committee", "village_committee")
    qs = Unit.objects.filter(active=True, region__path__startswith=path, kind__in=kinds).order_by("region__path", "id")
    out = [(u.pk, u.name) for u in qs.only("pk", "name")]
    own = getattr(user, "unit_id", None)
    out.sort(key=lambda c: c[0] != own)
    return out


class PrepareForm(UserForm):
    period = PeriodField(label="期间", max_length=7, help_text="月度如 2026-05，季度如 2026-Q2",
                         error_messages=_msgs("期间"))
    unit = forms.TypedChoiceField(label="编制范围", coerce=int, error_messages=_msgs("编制范围", select=True),
                                  help_text="该单位所在区划（含下级）内化解、调解成功的事项")
    note = forms.CharField(label="备注", required=False, max_length=500, error_messages=_msgs("备注"),
                           validators=[no_control])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices(self.user)


class ActionForm(UserForm):
    version = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": "页面已过期，请刷新后重试"})
    reason = forms.CharField(label="理由", required=False, max_length=500, validators=[no_control],
                             error_messages={"max_length": "理由不能超过500个字"})


class RuleForm(UserForm):
    name = forms.CharField(label="规则名称", max_length=100, error_messages=_msgs("规则名称"), validators=[no_control])
    kind = forms.ChoiceField(label="奖补类型", choices=RuleKind.choices, error_messages=_msgs("奖补类型", select=True))
    amount = forms.DecimalField(label="每件奖补（元）", max_digits=12, decimal_places=2, max_value=MAX_AMOUNT,
                                error_messages={**_msgs("每件奖补金额"), "max_decimal_places": "金额最多保留两位小数（分）",
                                                "max_digits": "金额过大", "invalid": "金额应为数字（元）",
                                                "max_value": f"每件奖补金额不能超过{MAX_AMOUNT}元"})
    committee_amount = forms.DecimalField(label="调委会每件另计（元）", max_digits=12, decimal_places=2, required=False,
                                          max_value=MAX_AMOUNT, help_text="为0或不填则调委会不单列",
                                          error_messages={"max_decimal_places": "金额最多保留两位小数（分）",
                                                          "max_digits": "金额过大", "invalid": "金额应为数字（元）",
                                                          "max_value": f"调委会每件金额不能超过{MAX_AMOUNT}元"})
    split = forms.ChoiceField(label="调解员分配方式", choices=Split.choices, error_messages=_msgs("分配方式", select=True))
    category = forms.ChoiceField(label="纠纷类型", required=False, error_messages=_msgs("纠纷类型", select=True))
    min_amount = forms.DecimalField(label="涉及金额不低于（元）", max_digits=14, decimal_places=2, required=False,
                                    min_value=0, max_value=MAX_MIN_AMOUNT,
                                    error_messages={"invalid": "金额应为数字（元）", "max_digits": "金额过大",
                                                    "max_decimal_places": "金额最多保留两位小数（分）",
                                                    "min_value": "涉及金额下限不能为负数",
                                                    "max_value": f"涉及金额下限不能超过{MAX_MIN_AMOUNT}元"})
    min_headcount = forms.IntegerField(label="涉及人数不少于", required=False, min_value=1, max_value=MAX_HEADCOUNT,
                                       error_messages={"invalid": "人数应为整数", "min_value": "涉及人数下限至少为1",
                                                       "max_value": f"涉及人数下限不能超过{MAX_HEADCOUNT}"})
    collective_only = forms.BooleanField(label="仅限集体事项", required=False)
    unit_level = forms.ChoiceField(label="调委会层级", required=False,
                                   choices=[("", "不限"), *UnitLevel.choices], error_messages=_msgs("调委会层级", select=True))
    region = forms.ChoiceField(label="适用区域", required=False, error_messages=_msgs("适用区域", select=True))
    valid_from = ChineseDateField(label="生效日期", error_messages={"required": "请填写生效日期"})
    valid_to = ChineseDateField(label="失效日期", required=False, help_text="不填则长期有效")
    active = forms.BooleanField(label="启用", required=False, initial=True)
    note = forms.CharField(label="说明", required=False, max_length=200, error_messages=_msgs("说明"),
                           validators=[no_control])
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from fangtiao.cases.access import case_scope_path
        from fangtiao.cases.forms import category_choices
        from fangtiao.org.models import Region

        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "不限"), *category_choices()]
        # Only the regions of the user's jurisdiction (the service checks the same).
        path = case_scope_path(self.user)
        regions = Region.objects.filter(level__in=("district", "township")).order_by("path").only("code", "name", "level")
        regions = regions.none() if path is None else regions.filter(path__startswith=path)
        choices = [("", "全区"), *((r.code, r.name) for r in regions)]
        current = self.initial.get("region")
        if current and current not in {c for c, _ in choices}:  # a rule outside it, shown read-only
            choices += [(r.code, r.name) for r in Region.objects.filter(code=current).only("code", "name")]
        self.fields["region"].choices = choices

    def service_data(self) -> dict[str, Any]:
        d = dict(self.cleaned_data)
        d.pop("version", None)
        d["category"] = d.get("category") or None
        d["region"] = d.get("region") or None
        d["committee_amount"] = d.get("committee_amount") or "0"
        return d

    @staticmethod
    def initial_of(rule: Any) -> dict[str, Any]:
        return {"name": rule.name, "kind": rule.kind, "amount": rule.amount, "committee_amount": rule.committee_amount,
                "split": rule.split, "category": rule.category_id or "", "min_amount": rule.min_amount,
                "min_headcount": rule.min_headcount, "collective_only": rule.collective_only,
                "unit_level": rule.unit_level, "region": rule.region.code if rule.region_id else "",
                "valid_from": rule.valid_from, "valid_to": rule.valid_to, "active": rule.active, "note": rule.note,
                "version": rule.version}


class RuleFilterForm(UserForm):
    kind = forms.ChoiceField(label="奖补类型", required=False, choices=choices_with_blank(RuleKind.choices),
                             error_messages={"invalid_choice": "没有这种奖补类型"})
