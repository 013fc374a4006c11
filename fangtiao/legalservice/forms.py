"""Forms of the public legal service pages."""

from __future__ import annotations

from typing import Any

from django import forms

from fangtiao.core.forms import UserForm, choices_with_blank
from fangtiao.legalservice.choices import ConsultChannel, ConsultStatus


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
