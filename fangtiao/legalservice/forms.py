"""Forms of the public legal service pages."""

from __future__ import annotations

from typing import Any

from django import forms

from fangtiao.core.forms import ChineseDateField, UserForm, choices_with_blank
from fangtiao.legalservice.choices import ConsultChannel, ConsultStatus, ParticipationKind, ParticipationRole


class ConsultationFilterForm(UserForm):
    channel = forms.ChoiceField(label="咨询方式", required=False, choices=choices_with_blank(ConsultChannel.choices),
                                error_messages={"invalid_choice": "没有这种咨询方式"})
    status = forms.ChoiceField(label="状态", required=False, choices=choices_with_blank(ConsultStatus.choices),
                               error_messages={"invalid_choice": "没有这个状态"})
    q = forms.CharField(label="咨询事项或咨询人", required=False, max_length=100)


def lawyer_choices() -> list[tuple[int, str]]:
    from fangtiao.screening.forms import lawyer_choices as active_lawyers

    return active_lawyers()


def _msgs(label: str, *, select: bool = False, max_len: int | None = None) -> dict[str, str]:
    out = {"required": f"请{'选择' if select else '填写'}{label}", "invalid_choice": f"请从列表中选择{label}"}
    if max_len:
        out["max_length"] = f"{label}不能超过{max_len}个字"
    return out


class ConsultationRecordForm(UserForm):
    """The record form of a consultation given at the counter, by phone or online (the staff's own)."""

    channel = forms.ChoiceField(label="咨询方式", choices=ConsultChannel.choices, initial=ConsultChannel.VISIT,
                                error_messages=_msgs("咨询方式", select=True))
    asker_name = forms.CharField(label="咨询人姓名", max_length=100, error_messages=_msgs("咨询人姓名", max_len=100))
    asker_phone = forms.CharField(label="联系电话", max_length=40, required=False,
                                  error_messages=_msgs("联系电话", max_len=40))
    region = forms.ChoiceField(label="咨询人所在地", error_messages=_msgs("咨询人所在地", select=True))
    category = forms.ChoiceField(label="咨询类别", required=False, error_messages=_msgs("咨询类别", select=True))
    topic = forms.CharField(label="咨询事项", max_length=200, error_messages=_msgs("咨询事项", max_len=200))
    question = forms.CharField(label="咨询内容", widget=forms.Textarea(attrs={"rows": 4}), max_length=20000,
                               error_messages=_msgs("咨询内容", max_len=20000))
    answer = forms.CharField(label="答复意见", widget=forms.Textarea(attrs={"rows": 4}), max_length=20000,
                             required=False, help_text="不填则为待答复", error_messages=_msgs("答复意见", max_len=20000))
    lawyer = forms.TypedChoiceField(label="值班律师", coerce=int, empty_value=None, required=False,
                                    error_messages=_msgs("值班律师", select=True))
    duration_minutes = forms.IntegerField(label="时长（分钟）", required=False, min_value=1, max_value=600,
                                          error_messages={"invalid": "时长应为整数分钟",
                                                          "min_value": "时长应在1到600分钟之间",
                                                          "max_value": "时长应在1到600分钟之间"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from fangtiao.cases.forms import category_choices, region_options

        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "请选择所在地"),
                                         *((r["code"], r["label"]) for r in region_options(self.user))]
        self.fields["category"].choices = [("", "（不分类）"), *category_choices()]
        lawyers = lawyer_choices()
        self.fields["lawyer"].choices = [("", "（无）" if lawyers else "（没有在岗律师）"), *lawyers]

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"channel": d["channel"], "region": d["region"], "asker_name": d["asker_name"],
                "asker_phone": d.get("asker_phone") or "", "topic": d["topic"], "question": d["question"],
                "answer": d.get("answer") or "", "category": d.get("category") or None, "lawyer": d.get("lawyer"),
                "duration_minutes": d.get("duration_minutes")}


class ConsultationAnswerForm(UserForm):
    answer = forms.CharField(label="答复意见", widget=forms.Textarea(attrs={"rows": 4}), max_length=20000,
                             error_messages=_msgs("答复意见", max_len=20000))
    lawyer = forms.TypedChoiceField(label="值班律师", coerce=int, empty_value=None, required=False,
                                    error_messages=_msgs("值班律师", select=True))
    duration_minutes = forms.IntegerField(label="时长（分钟）", required=False, min_value=1, max_value=600,
                                          error_messages={"invalid": "时长应为整数分钟",
                                                          "min_value": "时长应在1到600分钟之间",
                                                          "max_value": "时长应在1到600分钟之间"})
    version = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": "页面已过期，请刷新后重试"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lawyers = lawyer_choices()
        self.fields["lawyer"].choices = [("", "（无）" if lawyers else "（没有在岗律师）"), *lawyers]


class ConsultationToCaseForm(UserForm):
    kind = forms.ChoiceField(label="事项类型", choices=[("petition", "信访事项"), ("dispute", "矛盾纠纷")],
                             initial="petition", error_messages=_msgs("事项类型", select=True))
    version = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": "页面已过期，请刷新后重试"})


# --- lawyers' participation (律师参与化解) ------------------------------------------------------------

def _all_lawyers() -> list[tuple[int, str]]:
    """Every lawyer in the pool, active or not (a filter must find past participations too)."""
    from fangtiao.org.choices import ExpertKind
    from fangtiao.org.models import Expert

    return list(Expert.objects.filter(kind=ExpertKind.LAWYER).order_by("name", "id").values_list("pk", "name")[:500])


class ParticipationFilterForm(UserForm):
    lawyer = forms.TypedChoiceField(label="律师", coerce=int, empty_value=None, required=False,
                                    error_messages={"invalid_choice": "请从列表中选择律师"})
    kind = forms.ChoiceField(label="参与类型", required=False, choices=choices_with_blank(ParticipationKind.choices),
                             error_messages={"invalid_choice": "没有这种参与类型"})
    role = forms.ChoiceField(label="作用", required=False, choices=choices_with_blank(ParticipationRole.choices),
                             error_messages={"invalid_choice": "没有这种作用"})
    date_from = ChineseDateField(label="日期（起）", required=False)
    date_to = ChineseDateField(label="日期（止）", required=False)
    case = forms.CharField(label="事项编号", required=False, max_length=60,
                           error_messages={"max_length": "事项编号不能超过60个字"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lawyer"].choices = [("", "全部"), *_all_lawyers()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "结束日期不能早于开始日期")
            data.pop("date_to", None)
        # The selector's names for the dates.
        if "date_from" in data:
            data["from"] = data.pop("date_from")
        if "date_to" in data:
            data["to"] = data.pop("date_to")
        return data


class ParticipationForm(UserForm):
    """Record a lawyer's part in a case's mediation session or petition meeting."""

    case_number = forms.CharField(label="事项编号", max_length=60, error_messages=_msgs("事项编号", max_len=60),
                                  help_text="填写事项编号，如“东城分中心信〔2026〕00001号”")
    lawyer = forms.TypedChoiceField(label="律师", coerce=int, error_messages=_msgs("律师", select=True))
    kind = forms.ChoiceField(label="参与类型", choices=ParticipationKind.choices, error_messages=_msgs("参与类型", select=True))
    role = forms.ChoiceField(label="作用", choices=ParticipationRole.choices, error_messages=_msgs("作用", select=True))
    held_on = ChineseDateField(label="日期", error_messages={"required": "请填写日期"})
    note = forms.CharField(label="情况", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, required=False,
                           error_messages=_msgs("情况", max_len=4000))

    def __init__(self, *args: Any, case: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lawyers = lawyer_choices()
        self.fields["lawyer"].choices = [("", "请选择律师" if lawyers else "（没有在岗律师）"), *lawyers]
        self.case = case
        if case is not None:
            self.fields["case_number"].initial = case.number
            self.fields["case_number"].widget.attrs["readonly"] = "readonly"
            self.fields["case_number"].required = False

    def clean_case_number(self) -> str:
        return str(self.cleaned_data.get("case_number") or "").strip()
