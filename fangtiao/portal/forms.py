"""Forms of the public pages. They parse and render; the rules (required fields, ID check digit,
mobile numbers, places) are the service's, so the page and the API give the same messages."""

from __future__ import annotations

from typing import Any

from django import forms

from fangtiao.cases.choices import Kind, Nature, PartyType, Satisfaction
from fangtiao.core.errors import DomainError
from fangtiao.core.forms import ChineseDateField
from fangtiao.portal import selectors

KIND_CHOICES = [(Kind.PETITION.value, "信访事项（向有关部门反映问题、提出诉求）"),
                (Kind.DISPUTE.value, "申请人民调解（与对方的纠纷）")]
NATURE_CHOICES = [
    (Nature.CLAIM.value, "反映问题、提出诉求（申诉求决）"),
    (Nature.SUGGESTION.value, "对工作提出建议意见"),
    (Nature.ACCUSATION.value, "检举、控告"),
]


def _text(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


def _area(rows: int = 4, **attrs: Any) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "form-control", "rows": rows, **attrs})


def region_choices() -> list[tuple[str, Any]]:
    """Grouped by township: the township itself first, then its villages and communities."""
    out: list[tuple[str, Any]] = [("", "请选择乡镇（街道）或村（社区）")]
    for township, villages in selectors.intake_regions():
        out.append((township.name, [(township.code, f"{township.name}（乡镇/街道）")]
                    + [(v.code, f"{township.name} {v.name}") for v in villages]))
    return out


class SubmitForm(forms.Form):
    kind = forms.ChoiceField(label="您要办理的是", choices=KIND_CHOICES, widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                             error_messages={"required": "请选择信访事项或申请人民调解",
                                             "invalid_choice": "请选择信访事项或申请人民调解"})
    nature = forms.ChoiceField(label="信访事项的性质", choices=NATURE_CHOICES, required=False,
                               widget=forms.Select(attrs={"class": "form-select"}),
                               help_text="申请调解无需选择；不确定的选第一项，工作人员会依法分类。")
    name = forms.CharField(label="姓名", max_length=50, required=False, widget=_text(autocomplete="name"))
    id_number = forms.CharField(label="身份证号码（选填）", max_length=30, required=False,
                                widget=_text(autocomplete="off", inputmode="text"),
                                help_text="填写后便于工作人员核实身份、关联您以前反映过的事项。")
    phone = forms.CharField(label="手机号码", max_length=30, required=False, widget=_text(autocomplete="tel", inputmode="tel"))
    address = forms.CharField(label="住址", max_length=200, required=False, widget=_text(autocomplete="street-address"))
    region = forms.CharField(label="事发地", max_length=12, required=False)
    category = forms.CharField(label="纠纷类型", max_length=32, required=False)
    other_party = forms.CharField(label="对方当事人姓名或名称（申请调解必填）", max_length=100, required=False, widget=_text())
    other_party_type = forms.ChoiceField(label="对方是", choices=PartyType.choices, required=False,
                                         widget=forms.Select(attrs={"class": "form-select"}))
    title = forms.CharField(label="事项标题", max_length=200, required=False,
                            widget=_text(placeholder="用一句话概括，例如：邻居加建房屋导致我家墙体开裂"))
    facts = forms.CharField(label="事实经过", max_length=20000, required=False, widget=_area(6))
    reasons = forms.CharField(label="理由（选填）", max_length=20000, required=False, widget=_area(3))
    demands = forms.CharField(label="您的请求", max_length=5000, required=False, widget=_area(3))
    occurred_on = ChineseDateField(label="发生日期（选填）", required=False, widget=_text(placeholder="例如 2026-05-04"))
    pledge = forms.BooleanField(
        label="我承诺所反映的情况真实，对材料的真实性负责（信访工作条例 第19条）", required=True,
        error_messages={"required": "请确认所反映情况真实"},
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = forms.Select(choices=region_choices(), attrs={"class": "form-select"})
        self.fields["category"].widget = forms.Select(
            choices=[("", "请选择（申请调解必选）")] + [(c.code, c.name) for c in selectors.categories()],
            attrs={"class": "form-select"})

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "kind": d["kind"], "nature": d.get("nature") or None, "name": d.get("name", ""),
            "id_number": d.get("id_number", ""), "phone": d.get("phone", ""), "address": d.get("address", ""),
            "region": d.get("region", ""), "category": d.get("category", ""), "title": d.get("title", ""),
            "facts": d.get("facts", ""), "reasons": d.get("reasons", ""), "demands": d.get("demands", ""),
            "occurred_on": d.get("occurred_on"), "other_party": d.get("other_party", ""),
            "other_party_type": d.get("other_party_type") or PartyType.PERSON,
        }

    def add_domain_errors(self, exc: DomainError) -> None:
        for err in exc.errors:
            self.add_error(err.field if err.field in self.fields else None, err.message)
        if not exc.errors:
            self.add_error(None, exc.detail)


class TrackForm(forms.Form):
    number = forms.CharField(label="事项编号", max_length=80,
                             error_messages={"required": "请填写事项编号"},
                             widget=_text(placeholder="例如 黄岩矛调访调〔2026〕00001号", autocomplete="off"))
    code = forms.CharField(label="查询码", max_length=64,
                           error_messages={"required": "请填写查询码"},
                           widget=_text(autocomplete="off", autocapitalize="characters", spellcheck="false"))


class RateForm(forms.Form):
    number = forms.CharField(widget=forms.HiddenInput, max_length=80)
    code = forms.CharField(widget=forms.HiddenInput, max_length=64)
    satisfaction = forms.ChoiceField(label="您对办理情况的评价", choices=Satisfaction.choices,
                                     widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                                     error_messages={"required": "请选择满意、基本满意或不满意",
                                                     "invalid_choice": "请选择满意、基本满意或不满意"})
    comment = forms.CharField(label="意见建议（选填）", max_length=1000, required=False, widget=_area(3))


class LegalConsultForm(forms.Form):
    """The public online consultation request (网上法律咨询): parsed here, the rules are the service's."""

    name = forms.CharField(label="姓名", max_length=50, required=False, widget=_text(autocomplete="name"))
    phone = forms.CharField(label="手机号码", max_length=30, required=False,
                            widget=_text(autocomplete="tel", inputmode="tel"),
                            help_text="工作人员将通过此号码答复您。")
    region = forms.CharField(label="您所在的乡镇（街道）或村（社区）", max_length=12, required=False)
    category = forms.CharField(label="咨询类别（选填）", max_length=32, required=False)
    topic = forms.CharField(label="咨询事项", max_length=200, required=False,
                            widget=_text(placeholder="用一句话概括，例如：单位拖欠工资怎么办"))
    question = forms.CharField(label="咨询内容", max_length=5000, required=False, widget=_area(6))

    FIELD_OF = {"asker_name": "name", "asker_phone": "phone"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = forms.Select(choices=region_choices(), attrs={"class": "form-select"})
        self.fields["category"].widget = forms.Select(
            choices=[("", "不清楚可不选")] + [(c.code, c.name) for c in selectors.categories()],
            attrs={"class": "form-select"})

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"region": d.get("region", ""), "asker_name": d.get("name", ""), "asker_phone": d.get("phone", ""),
                "topic": d.get("topic", ""), "question": d.get("question", ""), "category": d.get("category") or None}

    def add_domain_errors(self, exc: DomainError) -> None:
        for err in exc.errors:
            field = self.FIELD_OF.get(err.field, err.field)
            self.add_error(field if field in self.fields else None, err.message)
        if not exc.errors:
            self.add_error(None, exc.detail)
