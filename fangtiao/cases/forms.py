"""Case forms: they parse what the clerk typed into the shapes the services take. Every rule
(required fields per channel, representatives, ID check digits …) is the services'; a form only
turns text into dates, numbers, codes and unit ids, so a service error can be shown beside the
field it names (`parties.0.id_number` → row 1 of the party grid)."""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import types
import typing
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from annotated_types import Ge, Le, MaxLen, MinLen
from django import forms
from django.utils import timezone

from fangtiao.cases import choices as c
from fangtiao.core.forms import ChineseDateField, UserForm, choices_with_blank
from fangtiao.org.jurisdiction import scope_of
from fangtiao.org.models import DisputeCategory, Region, Unit

PARTY_FIELDS = ("role", "type", "name", "id_number", "phone", "address", "is_representative")
PARTY_TEXT_FIELDS = ("name", "id_number", "phone", "address")
MAX_PARTY_ROWS = 200
_PARTY_KEY = re.compile(r"^parties-(\d{1,4})-([a-z_]+)$")

# Fields of the action schemas that hold a unit id (or a list of them): a select of the units the
# user can see. A schema may also say so itself: Field(..., json_schema_extra={"ref": "unit"}).
UNIT_FIELDS = frozenset({"unit", "to_unit", "organ", "co_units", "court", "accused_unit"})

# References to rows of one case (json_schema_extra={"ref": ...}): given the case, a select of its
# options (fangtiao.mediation.forms.ref_field); without it, the plain number or unit field as before.
CASE_REFS = frozenset({"mediator", "party", "expert", "court", "room", "obligation", "session", "opinion_request",
                       "leader"})

# Labels of the closed code sets some schemas spell as a regex pattern (`^(written|oral)$`).
PATTERN_LABELS = {
    "written": "书面协议", "oral": "口头协议",
    "handling": "转回信访办理", "litigation": "诉讼", "arbitration": "仲裁", "reconsideration": "行政复议",
    "confirmed": "确认有效", "rejected": "驳回申请",
    "visit": "走访", "phone": "电话", "letter": "信函", "online": "网上",
}
_PATTERN_CHOICES = re.compile(r"^\^\(([A-Za-z0-9_|]+)\)\$$")
_ASCII_NOTE = re.compile(r"（[^）]*[A-Za-z][^）]*）")


def new_token() -> str:
    """The one-time token of an intake form: a double-submitted form is one registration."""
    return uuid.uuid4().hex


def region_options(user: Any) -> list[dict[str, str]]:
    """The places a user may register a matter at: the regions the user can see (the own subtree
    and the chain above it), indented by level, each with its pinyin key for type-to-filter."""
    qs = (Region.objects.visible_to(user).filter(active=True).order_by("path")
          .only("code", "name", "depth", "search_key"))
    regions = list(qs[:5000])
    base = min((r.depth for r in regions), default=0)
    return [{"code": r.code, "label": f"{'　' * (r.depth - base)}{r.name}",
             "search": f"{r.name} {r.search_key} {r.code}".lower()} for r in regions]


def category_choices() -> list[tuple[str, str]]:
    return list(DisputeCategory.objects.filter(active=True).order_by("sort", "code").values_list("code", "name"))


def unit_queryset(user: Any) -> Any:
    return Unit.objects.visible_to(user).filter(active=True).select_related("region").order_by("region__path", "kind", "name")


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return obj.name


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return obj.name


# --- intake ----------------------------------------------------------------------------------

class IntakeForm(UserForm):
    """The scalar part of the window intake; the party grid is parsed by `parse_parties`."""

    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_token(self) -> str:
        token = self.cleaned_data.get("token", "").strip()
        return token if 0 < len(token) <= 64 and token.isalnum() else new_token()
    channel = forms.ChoiceField(label="来源渠道", choices=c.Channel.choices, initial=c.Channel.VISIT)
    kind = forms.ChoiceField(label="类别", choices=c.Kind.choices, initial=c.Kind.PETITION)
    nature = forms.ChoiceField(label="信访事项性质", required=False, choices=choices_with_blank(c.Nature.choices, "请选择"))
    category = forms.ChoiceField(label="纠纷类型", required=False, choices=())
    region = forms.ChoiceField(label="发生地", choices=())
    title = forms.CharField(label="事项标题", min_length=2, max_length=200,
                            error_messages={"min_length": "事项标题至少2个字"})
    oral_record = forms.CharField(label="口头信访如实记录", required=False, max_length=20000,
                                  widget=forms.Textarea(attrs={"rows": 5}),
                                  help_text="如实记录信访人口述的事实、理由和请求（信访工作条例 第19条）")
    description = forms.CharField(label="事实", required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    reasons = forms.CharField(label="理由", required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 2}))
    demands = forms.CharField(label="请求", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    letter_received_on = ChineseDateField(label="收信日期", required=False,
                                          help_text="来信、传真到达本单位的日期；不填为今天")
    occurred_on = ChineseDateField(label="发生日期", required=False, help_text="如 2026-05-04 或 2026年5月4日")
    amount = forms.DecimalField(label="涉及金额（元）", required=False, min_value=Decimal("0"), max_digits=14, decimal_places=2)
    headcount = forms.IntegerField(label="涉及人数", min_value=1, max_value=100000, initial=1,
                                   help_text="5人以上为集体访，须推选不超过5名代表")
    accused_unit = UnitChoiceField(Unit.objects.none(), label="被检举控告单位", required=False, empty_label="（无）")
    administrative_dispute = forms.BooleanField(label="属于行政争议", required=False)
    litigation_pending = forms.BooleanField(label="涉法涉诉尚未终结", required=False)
    skip_level_declared = forms.BooleanField(label="信访人表示将越级上访", required=False)
    escalation_risk = forms.BooleanField(label="情绪激动，有激化风险（接待人员评估）", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region_options = region_options(self.user)
        self.fields["region"].choices = [("", "请选择发生地"), *((r["code"], r["label"]) for r in self.region_options)]
        self.fields["category"].choices = choices_with_blank(category_choices(), "请选择")
        self.fields["accused_unit"].queryset = unit_queryset(self.user)
        for name in ("title", "amount", "headcount"):
            self.fields[name].widget.attrs.setdefault("autocomplete", "off")
        self.fields["channel"].widget.attrs.update({"autofocus": True, "data-intake-channel": "1"})
        self.fields["region"].widget.attrs["data-searchable"] = "1"
        self.fields["headcount"].widget.attrs["data-intake-headcount"] = "1"
        self.fields["kind"].widget.attrs["data-intake-kind"] = "1"
        self.fields["nature"].widget.attrs["data-intake-nature"] = "1"

    def clean_letter_received_on(self) -> dt.date | None:
        value = self.cleaned_data.get("letter_received_on")
        if value is not None and value > timezone.localdate():
            raise forms.ValidationError("收信日期不能晚于今天")
        return value

    def payload(self, parties: list[dict[str, Any]]) -> dict[str, Any]:
        """The intake body of API.md (what services.case_register takes)."""
        d = self.cleaned_data
        body: dict[str, Any] = {
            "channel": d["channel"], "kind": d["kind"], "nature": d.get("nature") or None,
            "title": d["title"], "description": d.get("description", ""), "reasons": d.get("reasons", ""),
            "demands": d.get("demands", ""), "category": d.get("category") or None, "region": d["region"],
            "occurred_on": d.get("occurred_on"), "amount": d.get("amount"), "headcount": d.get("headcount") or 1,
            "parties": parties, "accused_unit": d["accused_unit"].pk if d.get("accused_unit") else None,
            "administrative_dispute": bool(d.get("administrative_dispute")),
            "litigation_pending": bool(d.get("litigation_pending")),
            "skip_level_declared": bool(d.get("skip_level_declared")),
            "escalation_risk": bool(d.get("escalation_risk")),
        }
        if d["channel"] not in c.ORAL_CHANNELS:
            body["oral_record"] = ""  # a box hidden for letters: never an oral record
        else:
            body["oral_record"] = d.get("oral_record", "")
        return body

    def received_at(self) -> dt.datetime | None:
        """For a letter or fax the day it arrived (the periods run from it); otherwise now."""
        day = self.cleaned_data.get("letter_received_on")
        if not day or self.cleaned_data.get("channel") not in (c.Channel.LETTER, c.Channel.FAX):
            return None
        if day == timezone.localdate():
            return None
        return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


def blank_party(role: str = c.PartyRole.PETITIONER) -> dict[str, Any]:
    return {"role": role, "type": c.PartyType.PERSON, "name": "", "id_number": "", "phone": "", "address": "",
            "is_representative": False}


def parse_parties(data: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The party grid (`parties-<n>-<field>`), rows in the order shown, blank rows dropped.

    Returns the rows (as PartyIn dicts) and grid-level parse errors."""
    rows: dict[int, dict[str, Any]] = {}
    for key in data:
        m = _PARTY_KEY.match(key)
        if not m or m.group(2) not in PARTY_FIELDS:
            continue
        row = rows.setdefault(int(m.group(1)), blank_party())
        field = m.group(2)
        if field == "is_representative":
            row[field] = str(data.get(key, "")).lower() in ("1", "on", "true", "yes")
        else:
            row[field] = str(data.get(key, "")).strip()
    errors: list[str] = []
    out = [rows[i] for i in sorted(rows) if any(rows[i][f] for f in PARTY_TEXT_FIELDS) or rows[i]["is_representative"]]
    if len(out) > MAX_PARTY_ROWS:
        errors.append(f"当事人最多登记{MAX_PARTY_ROWS}名；人数众多的，登记代表并填写涉及人数")
        out = out[:MAX_PARTY_ROWS]
    for row in out:
        if row["role"] not in c.PartyRole.values:
            row["role"] = c.PartyRole.PETITIONER
        if row["type"] not in c.PartyType.values:
            row["type"] = c.PartyType.PERSON
    return out, errors


def party_errors(errors: list[Any]) -> tuple[dict[int, dict[str, list[str]]], list[str], list[Any]]:
    """Split service field errors into per-row (`parties.3.phone`), grid-level (`parties`) and the rest."""
    rows: dict[int, dict[str, list[str]]] = {}
    grid: list[str] = []
    rest: list[Any] = []
    for err in errors:
        parts = err.field.split(".")
        if parts[0] != "parties":
            rest.append(err)
        elif len(parts) >= 3 and parts[1].isascii() and parts[1].isdigit():
            rows.setdefault(int(parts[1]), {}).setdefault(parts[2], []).append(err.message)
        else:
            grid.append(err.message)
    return rows, grid, rest


# --- case list -------------------------------------------------------------------------------

FLAG_CHOICES = [("collective", "集体"), ("repeat", "重复"), ("skip_level", "越级"), ("backlog", "积案"), ("overdue", "超期")]
# The statistics' filters (the dashboards link to them; stats.reference defines each one).
OUTCOME_CHOICES = [("agreed", "调解成功"), ("failed", "调解不成")]
MEDIATION_LEVEL_CHOICES = [("village", "村级"), ("township", "乡镇级"), ("district", "区级")]
TIMELY_CHOICES = [("on_time", "按期"), ("late", "超期办理"), ("overdue", "超期未办")]
HANDLING_CHOICES = [("on_time", "按期答复"), ("late", "超期答复"), ("pending", "未答复（期限内）"), ("overdue", "超期未答复")]
EVALUATION_CHOICES = [("rated", "已评价"), ("satisfied", "满意或基本满意"), ("overdue", "超期未评价")]
DATE_RANGES = (("received_from", "received_to"), ("mediated_from", "mediated_to"), ("confirmed_from", "confirmed_to"),
               ("backlog_marked_from", "backlog_marked_to"), ("backlog_resolved_from", "backlog_resolved_to"))
STATS_FIELDS = ("mediated_from", "mediated_to", "mediation_outcome", "mediation_level", "confirmed_from", "confirmed_to",
                "backlog_marked_from", "backlog_marked_to", "backlog_resolved_from", "backlog_resolved_to",
                "disposition", "acceptance", "handling", "evaluation")


class CaseFilterForm(UserForm):
    stats_fields = STATS_FIELDS
    q = forms.CharField(label="编号/标题/当事人（可拼音首字母）", required=False, max_length=100)
    status = forms.ChoiceField(label="状态", required=False, choices=choices_with_blank(c.Status.choices))
    kind = forms.ChoiceField(label="类别", required=False, choices=choices_with_blank(c.Kind.choices))
    channel = forms.ChoiceField(label="来源渠道", required=False, choices=choices_with_blank(c.Channel.choices))
    category = forms.ChoiceField(label="纠纷类型", required=False, choices=())
    region = forms.ChoiceField(label="发生地", required=False, choices=())
    flag = forms.ChoiceField(label="标记", required=False, choices=choices_with_blank(FLAG_CHOICES))
    mine = forms.BooleanField(label="本单位办理", required=False)
    received_from = ChineseDateField(label="收到日期从", required=False)
    received_to = ChineseDateField(label="至", required=False)
    mediated_from = ChineseDateField(label="调解终结日期从", required=False)
    mediated_to = ChineseDateField(label="至", required=False)
    mediation_outcome = forms.ChoiceField(label="调解结果", required=False, choices=choices_with_blank(OUTCOME_CHOICES))
    mediation_level = forms.ChoiceField(label="调解组织层级", required=False,
                                        choices=choices_with_blank(MEDIATION_LEVEL_CHOICES))
    confirmed_from = ChineseDateField(label="司法确认日期从", required=False)
    confirmed_to = ChineseDateField(label="至", required=False)
    backlog_marked_from = ChineseDateField(label="积案认定日期从", required=False)
    backlog_marked_to = ChineseDateField(label="至", required=False)
    backlog_resolved_from = ChineseDateField(label="积案化解日期从", required=False)
    backlog_resolved_to = ChineseDateField(label="至", required=False)
    disposition = forms.ChoiceField(label="信访部门处理", required=False, choices=choices_with_blank(TIMELY_CHOICES))
    acceptance = forms.ChoiceField(label="受理", required=False, choices=choices_with_blank(TIMELY_CHOICES))
    handling = forms.ChoiceField(label="答复", required=False, choices=choices_with_blank(HANDLING_CHOICES))
    evaluation = forms.ChoiceField(label="评价", required=False, choices=choices_with_blank(EVALUATION_CHOICES))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = choices_with_blank(category_choices())
        scope = scope_of(self.user)
        regions = Region.objects.visible_to(self.user).filter(level__in=["district", "township"]).order_by("path")
        if not scope.all and scope.path:
            regions = regions.filter(path__startswith=scope.path)
        self.fields["region"].choices = choices_with_blank(regions.values_list("code", "name"))
        for pair in DATE_RANGES:
            for name in pair:
                self.fields[name].widget.attrs.update({"placeholder": "2026-05-04", "size": 10})

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        for lo, hi in DATE_RANGES:
            if d.get(lo) and d.get(hi) and d[lo] > d[hi]:
                self.add_error(hi, "结束日期不能早于开始日期")
        return d

    @property
    def stats_open(self) -> bool:
        """The statistics' filters are shown unfolded when one is set or wrong."""
        return self.is_bound and any(self.data.get(n) or self.errors.get(n) for n in STATS_FIELDS)



# --- action forms, generated from the transition's input schema ------------------------------

def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _meta(info: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in info.metadata:
        if isinstance(m, MaxLen):
            out["max_length"] = m.max_length
        elif isinstance(m, MinLen):
            out["min_length"] = m.min_length
        elif isinstance(m, Ge):
            out["ge"] = m.ge
        elif isinstance(m, Le):
            out["le"] = m.le
        elif getattr(m, "pattern", None):
            out["pattern"] = m.pattern
    return out


def _label(name: str, info: Any) -> str:
    title = info.title or name
    return _ASCII_NOTE.sub("", title).strip() or title


def _enum_choices(tp: type[enum.Enum]) -> list[tuple[str, str]]:
    if hasattr(tp, "choices"):
        return [(str(v), str(lbl)) for v, lbl in tp.choices]  # Django TextChoices: Chinese labels
    return [(str(m.value), str(m.value)) for m in tp]


def _form_field(name: str, info: Any, user: Any, case: Any = None) -> forms.Field:
    tp, optional = _unwrap_optional(info.annotation)
    meta = _meta(info)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    required = info.is_required() and not optional
    label = _label(name, info)
    origin = typing.get_origin(tp)
    ref = extra.get("ref")
    if ref in CASE_REFS and case is not None:
        # A reference to a row of this case (its parties, the mediators the committee may draw on,
        # the competent courts …): a select of the right options, labelled for a person to choose.
        from fangtiao.mediation.forms import ref_field

        return ref_field(ref, name=name, label=label, required=required or bool(meta.get("min_length")),
                         many=origin is list, case=case, user=user)
    is_unit = name in UNIT_FIELDS or extra.get("ref") == "unit"
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        if is_unit and item is int:
            f: forms.Field = UnitMultipleChoiceField(unit_queryset(user), label=label, required=bool(meta.get("min_length")))
            f.widget.attrs["size"] = 6
            return f
        if isinstance(item, type) and issubclass(item, enum.Enum):
            return forms.MultipleChoiceField(label=label, choices=_enum_choices(item), required=bool(meta.get("min_length")))
        return _JSONField(label=label, required=required, help_text="以 JSON 列表填写")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return forms.ChoiceField(label=label, choices=[("", "请选择"), *_enum_choices(tp)], required=required)
    if tp is bool:
        return forms.BooleanField(label=label, required=False)
    if tp is int:
        if is_unit:
            return UnitChoiceField(unit_queryset(user), label=label, required=required, empty_label="请选择单位")
        return forms.IntegerField(label=label, required=required, min_value=meta.get("ge"), max_value=meta.get("le"))
    if tp is dt.date:
        return ChineseDateField(label=label, required=required, help_text="如 2026-05-04 或 2026年5月4日")
    if tp is Decimal or tp is float:
        return forms.DecimalField(label=label, required=required, min_value=meta.get("ge"), max_value=meta.get("le"))
    if tp is str:
        pattern = _PATTERN_CHOICES.match(meta.get("pattern") or "")
        if pattern:
            codes = pattern.group(1).split("|")
            choices = [(code, PATTERN_LABELS.get(code, code)) for code in codes]
            return forms.ChoiceField(label=label, choices=[("", "请选择"), *choices], required=required)
        max_length = meta.get("max_length")
        widget = forms.Textarea(attrs={"rows": 4 if (max_length or 0) > 2000 else 3}) if (max_length or 5000) > 200 else None
        return forms.CharField(label=label, required=bool(meta.get("min_length")) or required, max_length=max_length,
                               widget=widget, strip=True)
    return _JSONField(label=label, required=required, help_text="以 JSON 填写")


class _JSONField(forms.CharField):
    """Fallback for structured inputs a later schema may bring (the API takes them too)."""

    widget = forms.Textarea

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return json.loads(value)
        except ValueError as exc:
            raise forms.ValidationError("格式不正确（应为 JSON）") from exc


class ActionForm(UserForm):
    """Base of the generated action forms; `version` is the case version the user read."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def data_for_service(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if isinstance(value, Unit):
                value = value.pk
            elif hasattr(value, "model") and getattr(value, "model", None) is Unit:  # a queryset of units
                value = [u.pk for u in value]
            elif value is None or value == "":
                field = self.fields[name]
                if isinstance(field, forms.CharField) and not isinstance(field, _JSONField):
                    value = ""
                else:
                    continue  # let the schema's default apply
            out[name] = value
        return out


def action_form_class(transition: Any, user: Any, case: Any = None) -> type[ActionForm]:
    """A Django form for `transition.schema`: titles are the labels, enums become selects with their
    Chinese labels, unit ids selects of the units the user can see, dates accept Chinese dates; with
    `case`, references to the case's rows (parties, mediators, courts, obligations …) are selects."""
    fields: dict[str, forms.Field] = {}
    for name, info in transition.schema.model_fields.items():
        if name == "version":
            continue
        fields[name] = _form_field(name, info, user, case)
    return type(f"{transition.schema.__name__}Form", (ActionForm,), fields)
