"""Forms of the assessment pages (Chinese messages); the services validate again and their field
errors are shown beside the fields."""

from __future__ import annotations

from typing import Any

from django import forms

from fangtiao.assessment.choices import IfEmpty, Level, Measure, Method, PeriodType
from fangtiao.assessment.periods import PERIOD_ERROR, parse_period
from fangtiao.core.forms import ChineseDateField, UserForm, choices_with_blank


def no_control_chars(value: Any) -> None:
    """NUL and the other control characters (but line breaks and tabs) are refused in text."""
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in str(value or "")):
        raise forms.ValidationError("不能包含控制字符")


def parse_version(raw: Any) -> int | None | bool:
    """The scheme editor's hidden version: None when absent, False when not a positive integer."""
    raw = str(raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18 or int(raw) < 1:
        return False
    return int(raw)


def _msgs(label: str, *, select: bool = False) -> dict[str, str]:
    return {"required": f"请{'选择' if select else '填写'}{label}", "invalid_choice": f"请从列表中选择{label}",
            "invalid": f"{label}格式不正确", "max_length": f"{label}过长"}


class PeriodField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "考核期")
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("help_text", "如 2026-05、2026-Q2、2026")
        kwargs.setdefault("error_messages", _msgs("考核期"))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if not value:
            return value
        try:
            return parse_period(value).key
        except ValueError:
            raise forms.ValidationError(PERIOD_ERROR) from None


class ScoreFilterForm(UserForm):
    period = PeriodField(required=False)
    level = forms.ChoiceField(label="考核对象", required=False, choices=Level.choices, error_messages=_msgs("考核对象", select=True))
    q = forms.CharField(label="名称", required=False, max_length=50, validators=[no_control_chars])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].widget.attrs.update({"placeholder": "2026-05", "size": 8})


class ComputeForm(UserForm):
    period = PeriodField()
    level = forms.ChoiceField(label="考核对象", choices=Level.choices, error_messages=_msgs("考核对象", select=True))


class ProposeForm(UserForm):
    period = PeriodField()
    level = forms.ChoiceField(label="考核对象", choices=Level.choices, error_messages=_msgs("考核对象", select=True))
    top = forms.IntegerField(label="表彰名额（前 N 名）", min_value=1, max_value=50, initial=3,
                             error_messages={**_msgs("表彰名额"), "min_value": "名额至少为 1", "max_value": "名额不能超过 50"})
    note = forms.CharField(label="表彰说明", required=False, max_length=300, validators=[no_control_chars])


class SchemeForm(UserForm):
    name = forms.CharField(label="方案名称", max_length=100, validators=[no_control_chars], error_messages=_msgs("方案名称"))
    period_type = forms.ChoiceField(label="考核周期", choices=PeriodType.choices, error_messages=_msgs("考核周期", select=True))
    level = forms.ChoiceField(label="考核对象", choices=Level.choices, error_messages=_msgs("考核对象", select=True))
    dynamic_share = forms.IntegerField(label="动态考核占比（%）", min_value=0, max_value=100, initial=60,
                                       help_text="综合得分 = 本期得分 × 占比 + 年度累计得分 × (100 − 占比)",
                                       error_messages={**_msgs("动态考核占比"), "min_value": "不能小于 0", "max_value": "不能大于 100"})
    active = forms.BooleanField(label="启用（同周期同对象的原方案将停用）", required=False, initial=True)
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                           validators=[no_control_chars])


class SchemeItemForm(UserForm):
    indicator = forms.ChoiceField(label="指标", required=False, choices=())
    weight = forms.DecimalField(label="权重（分）", required=False, max_digits=5, decimal_places=2, min_value=0,
                                error_messages={"invalid": "权重应为数字", "min_value": "权重不能为负",
                                                "max_digits": "权重过大", "max_decimal_places": "权重最多两位小数"})
    method = forms.ChoiceField(label="计分方法", choices=Method.choices, initial=Method.LINEAR)
    floor = forms.FloatField(label="保底值", required=False, initial=0, error_messages={"invalid": "保底值应为数字"})
    target = forms.FloatField(label="目标值", required=False, error_messages={"invalid": "目标值应为数字"})
    if_empty = forms.ChoiceField(label="无数据时", choices=IfEmpty.choices, initial=IfEmpty.FULL)

    def __init__(self, *args: Any, indicators: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = choices_with_blank(indicators or [], blank="（不选）")

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        if d.get("indicator"):
            if d.get("weight") in (None, ""):
                self.add_error("weight", "请填写权重")
            if d.get("target") is None:
                self.add_error("target", "请填写目标值")
        return d


SchemeItemFormSet = forms.formset_factory(SchemeItemForm, extra=0, max_num=40, absolute_max=40)


class AccountabilityFilterForm(UserForm):
    measure = forms.ChoiceField(label="问责方式", required=False, choices=choices_with_blank(Measure.choices),
                                error_messages=_msgs("问责方式", select=True))
    decided_from = ChineseDateField(label="决定日期从", required=False)
    decided_to = ChineseDateField(label="至", required=False)
    q = forms.CharField(label="事由或被问责人", required=False, max_length=100, validators=[no_control_chars])


class AccountabilityForm(UserForm):
    warning = forms.ChoiceField(label="关联预警", required=False, choices=())
    case_event = forms.IntegerField(label="或：关联事项环节编号", required=False, min_value=1, max_value=2**63 - 1,
                                    help_text="事项办理记录中的环节编号；与预警二选一",
                                    error_messages={"invalid": "请填写环节编号（数字）", "min_value": "编号无效",
                                                    "max_value": "编号无效"})
    unit = forms.ChoiceField(label="被问责单位", choices=(), error_messages=_msgs("被问责单位", select=True))
    person = forms.CharField(label="被问责人", required=False, max_length=50, validators=[no_control_chars])
    measure = forms.ChoiceField(label="问责方式", choices=Measure.choices, error_messages=_msgs("问责方式", select=True))
    decided_on = ChineseDateField(label="决定日期", error_messages=_msgs("决定日期"))
    reason = forms.CharField(label="问责事由", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000,
                             error_messages=_msgs("问责事由"), validators=[no_control_chars])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from fangtiao.org.jurisdiction import scope_of
        from fangtiao.org.models import Unit
        from fangtiao.screening.models import EarlyWarning

        warnings = EarlyWarning.objects.visible_to(self.user).order_by("-raised_at", "-id")[:200]
        self.fields["warning"].choices = choices_with_blank(
            [(str(w.pk), f"#{w.pk} {w.title}") for w in warnings], blank="（不关联预警）")
        scope = scope_of(self.user)
        units = Unit.objects.filter(active=True).order_by("region__path", "name")
        if not scope.all:
            units = units.filter(region__path__startswith=scope.path or "\x00")
        self.fields["unit"].choices = choices_with_blank([(str(u.pk), u.name) for u in units], blank="请选择")

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        if bool(d.get("warning")) == bool(d.get("case_event")):
            self.add_error("warning", "请关联一条预警或一个事项环节（二选一）")
        return d
