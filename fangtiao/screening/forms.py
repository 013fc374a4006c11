"""Screening and early-warning forms: filters of the lists, the small forms of the warning page,
the round record with its finding rows, and the hot-spot window. They only parse what people typed;
every rule is the services' (fangtiao.screening.services / hotspots)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils import timezone

from fangtiao.core.forms import ChineseDateField, UserForm, choices_with_blank
from fangtiao.org.models import Region, Unit
from fangtiao.screening.choices import (
    FindingRisk,
    InterventionOutcome,
    Level,
    RoundStatus,
    WarningKind,
    WarningStatus,
)

MAX_FINDINGS = 100
FINDING_FIELDS = ("title", "description", "region", "category", "parties", "headcount", "risk", "measures")
_FINDING_KEY = re.compile(r"^findings-(\d{1,3})-(" + "|".join(FINDING_FIELDS) + r")$")
_MONTH = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")
_STALE = {"required": "页面已过期，请刷新后重试", "invalid": "页面已过期，请刷新后重试",
          "min_value": "页面已过期，请刷新后重试"}


# --- choices scoped to the user ------------------------------------------------------------------

def filter_regions(user: Any) -> list[tuple[str, str]]:
    """The district and townships a user may filter by (within the own jurisdiction)."""
    from fangtiao.cases.access import case_scope_path

    qs = Region.objects.visible_to(user).filter(level__in=["district", "township"]).order_by("path")
    path = case_scope_path(user)
    if path:
        qs = qs.filter(path__startswith=path)
    return list(qs.values_list("code", "name")[:1000])


def scoped_units(user: Any, kinds: Any = None) -> Any:
    qs = Unit.objects.visible_to(user).filter(active=True)
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    return qs.select_related("region").order_by("region__path", "name")


class UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return obj.name


def region_options_under(path: str) -> list[tuple[str, str]]:
    """The places of a round's unit: its region and every region under it, indented by level."""
    regions = list(Region.objects.filter(path__startswith=path, active=True).order_by("path")
                   .only("code", "name", "depth")[:3000])
    base = min((r.depth for r in regions), default=0)
    return [(r.code, f"{'　' * (r.depth - base)}{r.name}") for r in regions]


def parse_month(value: str) -> tuple[int, int] | None:
    m = _MONTH.match(value or "")
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    return (year, month) if 1900 <= year <= 2100 and 1 <= month <= 12 else None


# --- warnings --------------------------------------------------------------------------------------

WARNING_STATUS_CHOICES = [("active", "当前有效（待签收、处置中）"), ("all", "全部"), *WarningStatus.choices]


class WarningFilterForm(UserForm):
    level = forms.ChoiceField(label="等级", required=False, choices=choices_with_blank(Level.choices),
                              error_messages={"invalid_choice": "没有这个预警等级"})
    kind = forms.ChoiceField(label="类型", required=False, choices=choices_with_blank(WarningKind.choices),
                             error_messages={"invalid_choice": "没有这个预警类型"})
    status = forms.ChoiceField(label="状态", required=False, choices=WARNING_STATUS_CHOICES,
                               error_messages={"invalid_choice": "没有这个状态"})
    region = forms.ChoiceField(label="属地", required=False, choices=(),
                               error_messages={"invalid_choice": "所选区域不在您的管辖范围内"})
    owner_unit = UnitChoice(Unit.objects.none(), label="责任单位", required=False, empty_label="全部",
                            error_messages={"invalid_choice": "所选单位不在您的管辖范围内"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = choices_with_blank(filter_regions(self.user))
        from fangtiao.org.choices import UnitKind

        self.fields["owner_unit"].queryset = scoped_units(
            self.user, [UnitKind.SUBCENTRE, UnitKind.PETITION_OFFICE, UnitKind.CENTRE, UnitKind.PETITION_BUREAU])


class _Ids(forms.Form):
    """Several small forms share a page: each gets ids of its own, so every label finds its field."""

    id_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if self.id_prefix:
            kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class _Versioned(_Ids):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, error_messages=_STALE)


class AcknowledgeForm(_Versioned):
    id_prefix = "ack"
    note = forms.CharField(label="签收说明", required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
                           error_messages={"max_length": "签收说明不能超过2000字"})


class ResolveForm(_Versioned):
    id_prefix = "resolve"
    resolution = forms.CharField(label="处置情况", max_length=4000,
                                 widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
                                 error_messages={"required": "请填写处置情况", "max_length": "处置情况不能超过4000字"})


class LawyerRequestForm(_Ids):
    id_prefix = "lawyer"
    note = forms.CharField(label="需要律师介入的情况", max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
                           error_messages={"required": "请说明需要律师介入的情况", "max_length": "说明不能超过2000字"})


def lawyer_choices() -> list[tuple[int, str]]:
    from fangtiao.org.choices import ExpertKind, PersonStatus
    from fangtiao.org.models import Expert

    rows = (Expert.objects.filter(kind=ExpertKind.LAWYER, status=PersonStatus.ACTIVE).order_by("name", "id")
            .values_list("pk", "name", "organisation")[:500])
    return [(pk, f"{name}（{org}）" if org else name) for pk, name, org in rows]


class LawyerAssignForm(forms.Form):
    lawyer = forms.TypedChoiceField(label="律师", coerce=int, empty_value=None, choices=(),
                                    error_messages={"required": "请选择律师", "invalid_choice": "所选律师不存在或不在岗"})

    def __init__(self, *args: Any, lawyers: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = lawyers if lawyers is not None else lawyer_choices()
        self.fields["lawyer"].choices = [("", "请选择律师" if options else "（没有在岗律师）"), *options]
        self.fields["lawyer"].widget.attrs["class"] = "form-select"


class LawyerRecordForm(forms.Form):
    met_on = ChineseDateField(label="约谈日期", error_messages={"required": "请填写约谈日期"})
    place = forms.CharField(label="约谈地点", max_length=200,
                            error_messages={"required": "请填写约谈地点", "max_length": "约谈地点不能超过200字"})
    summary = forms.CharField(label="约谈情况", max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"required": "请填写约谈情况", "max_length": "约谈情况不能超过5000字"})
    outcome = forms.ChoiceField(label="结果", choices=choices_with_blank(InterventionOutcome.choices, "请选择"),
                                error_messages={"required": "请选择约谈结果", "invalid_choice": "请选择约谈结果"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("class", "form-select" if name == "outcome" else "form-control")
        self.fields["met_on"].widget.attrs.update({"placeholder": "2026-05-04", "autocomplete": "off"})


# --- hot spots -------------------------------------------------------------------------------------

class HotspotFilterForm(UserForm):
    region = forms.ChoiceField(label="区域", required=False, choices=(),
                               error_messages={"invalid_choice": "所选区域不在您的管辖范围内"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = choices_with_blank(filter_regions(self.user))


class HotspotMembersForm(UserForm):
    """The hot-spot detail has no filters of its own (the paging and export keep the query)."""


class HotspotRunForm(forms.Form):
    start = ChineseDateField(label="开始日期", error_messages={"required": "请填写开始日期"})
    end = ChineseDateField(label="结束日期", error_messages={"required": "请填写结束日期"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.update({"class": "form-control", "placeholder": "2026-05-04", "size": 11,
                                       "autocomplete": "off"})

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        if d.get("start") and d.get("end") and d["end"] < d["start"]:
            self.add_error("end", "结束日期不能早于开始日期")
        return d


# --- screening rounds ------------------------------------------------------------------------------

class RoundFilterForm(UserForm):
    month = forms.CharField(label="月份", required=False, max_length=12,
                            help_text="如 2026-05")
    status = forms.ChoiceField(label="状态", required=False, choices=choices_with_blank(RoundStatus.choices),
                               error_messages={"invalid_choice": "没有这个状态"})
    unit = UnitChoice(Unit.objects.none(), label="排查单位", required=False, empty_label="全部",
                      error_messages={"invalid_choice": "所选单位不在您的管辖范围内"})
    region = forms.ChoiceField(label="区域", required=False, choices=(),
                               error_messages={"invalid_choice": "所选区域不在您的管辖范围内"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from fangtiao.screening.services import SCREENING_UNIT_KINDS

        self.fields["unit"].queryset = scoped_units(self.user, SCREENING_UNIT_KINDS)
        self.fields["region"].choices = choices_with_blank(filter_regions(self.user))
        self.fields["month"].widget.attrs.update({"placeholder": "2026-05", "size": 8, "autocomplete": "off"})

    def clean_month(self) -> tuple[int, int] | None:
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return None
        month = parse_month(value)
        if month is None:
            raise forms.ValidationError("月份格式不正确，请按“2026-05”填写")
        return month


class RoundRecordForm(_Versioned):
    screened_on = ChineseDateField(label="排查日期", error_messages={"required": "请填写排查日期"})
    screeners = forms.CharField(label="排查人员", max_length=300,
                                error_messages={"required": "请填写排查人员", "max_length": "排查人员不能超过300字"})
    places = forms.CharField(label="排查范围（村组、小区、企业、工地等）", max_length=500,
                             error_messages={"required": "请填写排查范围", "max_length": "排查范围不能超过500字"})
    nil_return = forms.BooleanField(label="未发现矛盾纠纷（零报告）", required=False)
    summary = forms.CharField(label="排查情况", required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"max_length": "排查情况不能超过5000字"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name == "nil_return":
                field.widget.attrs["class"] = "form-check-input"
            elif name != "version":
                field.widget.attrs.setdefault("class", "form-control")
        self.fields["screened_on"].widget.attrs.update({"placeholder": "2026-05-04", "autocomplete": "off"})


def blank_finding() -> dict[str, str]:
    return {"title": "", "description": "", "region": "", "category": "", "parties": "", "headcount": "1",
            "risk": FindingRisk.LOW, "measures": ""}


def parse_findings(data: Mapping[str, Any]) -> tuple[list[dict[str, str]], list[dict[str, Any]],
                                                     dict[int, dict[str, list[str]]], list[str]]:
    """The finding rows as typed (`findings-<n>-<field>`, rows renumbered in order), the payloads
    for round_record, errors per row and field, and errors of the grid as a whole. Wholly empty rows
    (an added row left blank) are dropped."""
    by_index: dict[int, dict[str, str]] = {}
    for key in data:
        m = _FINDING_KEY.match(key)
        if m:
            by_index.setdefault(int(m.group(1)), {})[m.group(2)] = str(data.get(key, ""))[:5000]
    rows: list[dict[str, str]] = []
    for i in sorted(by_index):
        raw = {**blank_finding(), **by_index[i]}
        if not any(raw[f].strip() for f in ("title", "description", "region", "parties", "measures")):
            continue
        rows.append(raw)
    grid: list[str] = []
    if len(rows) > MAX_FINDINGS:
        grid.append(f"一次最多填报{MAX_FINDINGS}条排查发现")
        rows = rows[:MAX_FINDINGS]
    payload: list[dict[str, Any]] = []
    errors: dict[int, dict[str, list[str]]] = {}
    for i, raw in enumerate(rows):
        errs: dict[str, list[str]] = {}
        title = raw["title"].strip()
        if len(title) < 2:
            errs.setdefault("title", []).append("请填写纠纷概要（至少2个字）")
        elif len(title) > 200:
            errs.setdefault("title", []).append("纠纷概要不能超过200字")
        if not raw["region"].strip():
            errs.setdefault("region", []).append("请选择发生地")
        head = raw["headcount"].strip() or "1"
        headcount: Any = int(head) if head.isascii() and head.isdigit() and len(head) <= 6 else None
        if headcount is None or not 1 <= headcount <= 100000:
            errs.setdefault("headcount", []).append("涉及人数应为 1 到 100000 的整数")
        if raw["risk"] not in FindingRisk.values:
            errs.setdefault("risk", []).append("风险等级只能是一般、较大或重大")
        if errs:
            errors[i] = errs
        payload.append({"title": title, "description": raw["description"].strip(), "region": raw["region"].strip(),
                        "category": raw["category"].strip() or None, "parties": raw["parties"].strip()[:300],
                        "headcount": headcount, "risk": raw["risk"], "measures": raw["measures"].strip()})
    return rows, payload, errors, grid


class FindingToCaseForm(UserForm):
    kind = forms.ChoiceField(label="类别", choices=[("dispute", "矛盾纠纷"), ("petition", "信访事项")], initial="dispute",
                             error_messages={"invalid_choice": "类别只能是矛盾纠纷或信访事项"})
    intervene_unit = forms.TypedChoiceField(label="提前介入的调解组织", required=False, coerce=int, empty_value=None,
                                            choices=(), error_messages={"invalid_choice": "所选调解组织不在您的辖区内"})
    applicant = forms.CharField(label="申请人（信访人）", max_length=100,
                                error_messages={"required": "请填写申请人（信访人）姓名", "max_length": "姓名不能超过100字"})
    phone = forms.CharField(label="联系电话", required=False, max_length=30,
                            error_messages={"max_length": "联系电话不能超过30位"})
    respondent = forms.CharField(label="对方当事人", required=False, max_length=100,
                                 error_messages={"max_length": "名称不能超过100字"})
    consent = forms.BooleanField(label="当事人同意调解", required=False)

    def __init__(self, *args: Any, units: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["intervene_unit"].choices = [("", "（只登记，不提前介入）"), *(units or [])]
        for name in ("applicant", "phone", "respondent"):
            self.fields[name].widget.attrs.update({"size": 12, "autocomplete": "off"})

    def parties(self) -> list[dict[str, Any]]:
        """The parties of the new case: the applicant, and the other side when named."""
        d = self.cleaned_data
        out = [{"role": "petitioner", "type": "person", "name": d["applicant"].strip(), "phone": d.get("phone", "").strip()}]
        if d.get("respondent", "").strip():
            out.append({"role": "respondent", "type": "person", "name": d["respondent"].strip()})
        return out

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        if d.get("intervene_unit") and not d.get("consent"):
            self.add_error("consent", "提前介入调解须经当事人同意（人民调解法 第17条）")
        return d


def first_party(parties: str) -> str:
    """The first name in a finding's free-text list of parties (王某、李某 → 王某)."""
    return re.split(r"[、，,；;\s]+", parties.strip(), maxsplit=1)[0][:100] if parties.strip() else ""


def committee_choices(user: Any) -> list[tuple[int, str]]:
    from fangtiao.org.choices import MEDIATION_UNIT_KINDS

    return list(scoped_units(user, MEDIATION_UNIT_KINDS).values_list("pk", "name")[:500])


# --- completion ------------------------------------------------------------------------------------

def month_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    first = today.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)


class CompletionForm(UserForm):
    start = ChineseDateField(label="开始日期", required=False)
    end = ChineseDateField(label="结束日期", required=False)
    by = forms.ChoiceField(label="统计口径", required=False, choices=[("unit", "按单位"), ("township", "按乡镇（街道）")],
                           error_messages={"invalid_choice": "统计口径只能是按单位或按乡镇"})
    region = forms.ChoiceField(label="区域", required=False, choices=(),
                               error_messages={"invalid_choice": "所选区域不在您的管辖范围内"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = choices_with_blank(filter_regions(self.user))
        for name in ("start", "end"):
            self.fields[name].widget.attrs.update({"placeholder": "2026-05-04", "size": 11, "autocomplete": "off"})

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        if d.get("start") and d.get("end") and d["end"] < d["start"]:
            self.add_error("end", "结束日期不能早于开始日期")
        if d.get("start") and d.get("end") and (d["end"] - d["start"]).days > 3660:
            self.add_error("start", "统计区间不能超过10年")
        return d

    def window(self) -> tuple[dt.date, dt.date]:
        first, last = month_bounds(timezone.localdate())
        d = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return d.get("start") or first, d.get("end") or last
