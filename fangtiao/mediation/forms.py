"""Mediation forms: they turn what the mediator typed (or drew) into the payloads the lifecycle
actions take, and nothing more — every rule (第28–33条, conflicts, courts …) is the handlers'.

- `ref_field` gives the generated action forms (fangtiao.cases.forms) a select for a reference to
  a row of the case: its parties, the mediators the committee may draw on (with the reasons of the
  suggestion), the competent courts, the current agreement's open obligations, booked sessions …
- `action_form_for` is the generated form of one transition for one case, made fit for a tablet
  (schema defaults as initial values, date and time pickers, check boxes for lists).
- The agreement editor's obligation rows and the signing page's signatures are parsed here.
- Filter forms of the work lists."""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from pydantic_core import PydanticUndefined

from fangtiao.cases.forms import ActionForm, action_form_class
from fangtiao.core.forms import ChineseDateField, UserForm, choices_with_blank, parse_chinese_date
from fangtiao.mediation import selectors
from fangtiao.mediation.choices import OPEN_OBLIGATION, Retention, SessionStatus, SignMethod
from fangtiao.org.choices import MEDIATION_UNIT_KINDS, PersonStatus
from fangtiao.org.models import Unit

MAX_ROWS = 100
_OBLIGATION_KEY = re.compile(r"^obligations-(\d{1,3})-(party|content|amount|due_on|instalment)$")
OBLIGATION_FIELDS = ("party", "content", "amount", "due_on", "instalment")


# --- references to rows of the case ------------------------------------------------------------

def _money(v: Any) -> str:
    return f"{v:,.2f}元" if v is not None else ""


def ref_choices(ref: str, *, name: str, case: Any, user: Any) -> tuple[list[tuple[int, str]], str]:
    """The options of a reference field for this case (and a hint on how they were chosen)."""
    if ref == "party":
        return [(p.pk, f"{p.name or '（未留姓名）'}（{p.get_role_display()}）") for p in case.parties.all()], ""
    if ref == "mediator":
        m = selectors.open_round(case)
        if name == "mediator" and m is not None:  # the one to be replaced: a mediator now on the case
            active = m.assignments.filter(active=True).select_related("mediator")
            return [(a.mediator_id, a.mediator.name + ("（主调）" if a.lead else "")) for a in active], ""
        unit = m.unit if m is not None else case.holder_unit
        out = []
        for s in selectors.suggest_mediators(case, unit, limit=30):
            med = s.mediator
            if s.conflict:
                out.append((med.pk, f"{med.name} · {med.unit.name} · 须回避：{s.conflict}"))
            else:
                out.append((med.pk, f"{med.name} · {med.unit.name} · 推荐分{s.score:g} · {'、'.join(s.reasons)}"))
        return out, "按系统推荐排序（擅长类型、本调委会、熟悉当地、等级、在办数量、轮换）；须回避的调解员排在最后，不能选定"
    if ref == "expert":
        from fangtiao.org.models import Expert

        experts = (Expert.objects.visible_to(user).filter(status=PersonStatus.ACTIVE, user__isnull=False)
                   .order_by("kind", "name", "id"))
        return [(e.pk, f"{e.name}（{e.get_kind_display()}{'·' + e.organisation if e.organisation else ''}）")
                for e in experts[:500]], "只列出已开通系统账号、可在线出具意见的专家"
    if ref == "court":
        a = selectors.current_agreement(case)
        m = a.mediation if a is not None else selectors.current_round(case)
        options = selectors.court_options(case, m)
        return [(o.court.pk, f"{o.court.name}（{o.reason}）") for o in options], "民事诉讼法(2023) 第205条：有管辖权的人民法院"
    if ref == "room":
        from fangtiao.mediation.models import Room

        rooms = (Room.objects.filter(active=True, unit__in=Unit.objects.visible_to(user)).select_related("unit")
                 .order_by("unit_id", "name"))
        return [(r.pk, f"{r.unit.short_name or r.unit.name}·{r.name}（{r.capacity}人）") for r in rooms[:500]], ""
    if ref == "obligation":
        from fangtiao.mediation.models import Obligation

        a = selectors.current_agreement(case)
        if a is None:
            return [], ""
        obs = Obligation.objects.filter(agreement=a, status__in=OPEN_OBLIGATION).select_related("party").order_by("seq")
        out = []
        for o in obs:
            due = f"，{o.due_on.year}年{o.due_on.month}月{o.due_on.day}日前" if o.due_on else ""
            rest = f"，未履行{_money(o.outstanding)}" if o.amount is not None else ""
            out.append((o.pk, f"第{o.seq}项 {o.party.name}：{o.content}{rest}{due}（{o.get_status_display()}）"))
        return out, ""
    if ref == "session":
        m = selectors.open_round(case)
        if m is None:
            return [], ""
        sessions = m.sessions.filter(status=SessionStatus.SCHEDULED).select_related("room").order_by("starts_at")
        return [(s.pk, f"第{s.seq}次 {timezone.localtime(s.starts_at):%m月%d日 %H:%M} {s.room or s.place}") for s in sessions], \
            "不选即记录一次未预约的调解"
    if ref == "opinion_request":
        reqs = case.opinion_requests.filter(expert__user=user, answered_at__isnull=True).order_by("requested_at")
        return [(r.pk, f"{r.question[:40]}（{r.due_on:%m月%d日}前答复）") for r in reqs], ""
    if ref == "leader":
        from fangtiao.org.models import User

        leaders = (User.objects.visible_to(user).filter(is_active=True, roles__code="leader").select_related("unit")
                   .distinct().order_by("unit_id", "name"))
        return [(u.pk, f"{u.name or u.username}（{u.unit.name if u.unit_id else ''}）") for u in leaders[:500]], ""
    raise ValueError(f"unknown reference {ref!r}")


def ref_field(ref: str, *, name: str, label: str, required: bool, many: bool, case: Any, user: Any) -> forms.Field:
    choices, hint = ref_choices(ref, name=name, case=case, user=user)
    if many:
        return forms.TypedMultipleChoiceField(
            label=label, choices=choices, coerce=int, required=required, help_text=hint,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
            error_messages={"required": "请至少选择一项", "invalid_choice": "所选项目不在可选范围内"})
    blank = "请选择" if choices else "（没有可选项）"
    return forms.TypedChoiceField(label=label, choices=[("", blank), *choices], coerce=int, empty_value=None,
                                  required=required, help_text=hint,
                                  error_messages={"required": "请选择" + label, "invalid_choice": "所选项目不在可选范围内"})


# --- the generated action form, fit for a tablet ------------------------------------------------

def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def schema_initial(schema: Any) -> dict[str, Any]:
    """The schema's defaults as the form's initial values (a box that defaults to true is ticked)."""
    out: dict[str, Any] = {}
    for name, info in schema.model_fields.items():
        if name == "version" or info.default is PydanticUndefined or info.default is None:
            continue
        value = info.default
        out[name] = getattr(value, "value", value)
    return out


def action_form_for(transition: Any, user: Any, case: Any) -> type[ActionForm]:
    """The generated form of `transition` for `case`, with date/time pickers in place of text."""
    base = action_form_class(transition, user, case=case)
    extra: dict[str, forms.Field] = {}
    for name, info in transition.schema.model_fields.items():
        if name != "version" and _unwrap(info.annotation) is dt.datetime:
            required = info.is_required()
            extra[name] = forms.DateTimeField(
                label=base.base_fields[name].label, required=required, input_formats=DATETIME_FORMATS,
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                error_messages={"invalid": "时间格式不正确，请按“2026-05-04 09:30”填写"})

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        ActionForm.__init__(self, *args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, ChineseDateField):
                field.widget = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")
            elif isinstance(field.widget, forms.DateTimeInput):
                field.widget.attrs["class"] = "form-control"

    return type(base.__name__, (base,), {**extra, "__init__": __init__})


# --- the agreement editor -------------------------------------------------------------------------

def agreement_form_for(transition: Any, user: Any, case: Any) -> type[ActionForm]:
    """The `agree` form without its obligation list (the editor's rows carry it)."""
    base = action_form_for(transition, user, case)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        base.__init__(self, *args, **kwargs)
        self.fields.pop("obligations", None)
        form = self.fields["form"]
        form.choices = [c for c in form.choices if c[0]]
        form.widget = forms.RadioSelect(choices=form.choices, attrs={"class": "form-check-input", "data-check-input": "form"})
        for name, rows in (("facts", 4), ("disputes", 3), ("terms", 5), ("performance", 3)):
            self.fields[name].widget.attrs.update({"rows": rows, "data-check-input": name})
        self.fields["reached_on"].widget.attrs["data-check-input"] = "reached_on"
        self.fields["signed"].label = "纸质协议已当场签署（各方当事人签名、调解员签名并加盖调委会印章，不再在平板上签署）"

    return type(base.__name__, (base,), {"__init__": __init__})


def blank_obligation() -> dict[str, str]:
    return dict.fromkeys(OBLIGATION_FIELDS, "")


def parse_obligations(data: Mapping[str, Any]) -> tuple[list[dict[str, str]], list[dict[str, Any]], dict[int, dict[str, list[str]]], list[str]]:
    """The obligation rows (`obligations-<n>-<field>`) in the order shown, blank rows dropped.

    Returns the rows as typed (for showing them again), the payload for the service, per-row
    errors of what could not be read (keyed by the row's place in the payload) and list errors."""
    raw: dict[int, dict[str, str]] = {}
    for key in data:
        m = _OBLIGATION_KEY.match(key)
        if m:
            raw.setdefault(int(m.group(1)), blank_obligation())[m.group(2)] = str(data.get(key, "")).strip()
    rows = [raw[i] for i in sorted(raw) if any(raw[i][f] for f in ("party", "content", "amount", "due_on", "instalment"))]
    grid: list[str] = []
    if len(rows) > MAX_ROWS:
        grid.append(f"义务最多填写{MAX_ROWS}项")
        rows = rows[:MAX_ROWS]
    payload: list[dict[str, Any]] = []
    errors: dict[int, dict[str, list[str]]] = {}
    for i, row in enumerate(rows):
        err = errors.setdefault(i, {})
        party: int | None = None
        if not row["party"]:
            err.setdefault("party", []).append("请选择履行义务人")
        elif not (row["party"].isascii() and row["party"].isdigit() and len(row["party"]) < 19):
            err.setdefault("party", []).append("履行义务人应为本事项的当事人")
        else:
            party = int(row["party"])
        amount: str | None = None
        if row["amount"]:
            text = row["amount"].replace(",", "").replace("，", "").removesuffix("元").strip()
            try:
                amount = str(Decimal(text))
                if not Decimal(text).is_finite():
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                err.setdefault("amount", []).append("金额格式不正确，请填写数字，如 3000 或 3000.50")
        due: dt.date | None = None
        if row["due_on"]:
            due = parse_chinese_date(row["due_on"])
            if due is None:
                err.setdefault("due_on", []).append("日期格式不正确，请按“2026-05-04”或“2026年5月4日”填写")
        payload.append({"party": party, "content": row["content"], "amount": amount, "due_on": due,
                        "instalment": row["instalment"]})
    return rows, payload, {i: e for i, e in errors.items() if e}, grid


def split_errors(errors: list[Any], prefix: str) -> tuple[dict[int, dict[str, list[str]]], list[str], list[Any]]:
    """Service field errors `<prefix>.3.due_on` → row 3; `<prefix>` → the list; the rest as they are."""
    rows: dict[int, dict[str, list[str]]] = {}
    grid: list[str] = []
    rest: list[Any] = []
    for err in errors:
        parts = err.field.split(".")
        if parts[0] != prefix:
            rest.append(err)
        elif len(parts) >= 3 and parts[1].isascii() and parts[1].isdigit():
            rows.setdefault(int(parts[1]), {}).setdefault(parts[2], []).append(err.message)
        else:
            grid.append(err.message)
    return rows, grid, rest


# --- the signing page ---------------------------------------------------------------------------

SIGN_METHODS = SignMethod.choices
PNG_PREFIX = "data:image/png;base64,"


def parse_signatures(data: Mapping[str, Any], signers: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str], dict[str, dict[str, str]]]:
    """The signers ticked on the signing page, in the order shown: the `signatures` payload, the key
    of each payload entry (to put a service error back on its signer) and what was typed per signer."""
    payload: list[dict[str, Any]] = []
    keys: list[str] = []
    typed: dict[str, dict[str, str]] = {}
    signed_on = parse_chinese_date(str(data.get("signed_on", ""))) if data.get("signed_on") else None
    for s in signers:
        key = s["key"]
        on = str(data.get(f"sig-{key}-on", "")).lower() in ("1", "on", "true", "yes")
        method = str(data.get(f"sig-{key}-method", "")) or s["default_method"]
        image = str(data.get(f"sig-{key}-image", ""))
        typed[key] = {"on": "1" if on else "", "method": method, "image": image}
        if not on:
            continue
        entry: dict[str, Any] = {"signer": s["signer"], "method": method, "signed_on": signed_on, "image": image}
        if s["kind"] == "mediator":
            entry["mediator"] = s["id"]
        payload.append(entry)
        keys.append(key)
    return payload, keys, typed


# --- filters of the work lists ------------------------------------------------------------------

def mediation_units(user: Any) -> Any:
    return (Unit.objects.visible_to(user).filter(kind__in=list(MEDIATION_UNIT_KINDS), active=True)
            .select_related("region").order_by("region__path", "name"))


class _UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return obj.name


STAGES: dict[str, str] = {
    "mediating": "调解中",
    "signing": "协议待签署",
    "confirming": "司法确认中",
    "performing": "履行中",
    "follow_up": "待回访",
}


class MyCasesFilterForm(UserForm):
    stage = forms.ChoiceField(label="阶段", required=False, choices=choices_with_blank(STAGES.items()),
                              error_messages={"invalid_choice": "没有这个阶段"})
    q = forms.CharField(label="编号/标题", required=False, max_length=100)


class SessionFilterForm(UserForm):
    day = ChineseDateField(label="日期", required=False, help_text="不填为今天")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["day"].widget = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


class BoardFilterForm(UserForm):
    unit = _UnitChoice(Unit.objects.none(), label="调解组织", required=False, empty_label="本调委会",
                       error_messages={"invalid_choice": "所选调解组织不在您的辖区内"})
    q = forms.CharField(label="编号/标题", required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = mediation_units(self.user)


class CourtFilterForm(UserForm):
    stage = forms.ChoiceField(label="阶段", required=False,
                              choices=choices_with_blank([("accept", "待立案"), ("decide", "已立案待裁定")]),
                              error_messages={"invalid_choice": "没有这个阶段"})
    q = forms.CharField(label="编号/标题", required=False, max_length=100)


class OpinionFilterForm(UserForm):
    status = forms.ChoiceField(label="状态", required=False,
                               choices=choices_with_blank([("pending", "待答复"), ("answered", "已答复")]),
                               error_messages={"invalid_choice": "没有这个状态"})


class OpinionAnswerForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1,
                                 error_messages={"required": "页面已过期，请刷新后重试", "invalid": "页面已过期，请刷新后重试"})
    opinion = forms.CharField(label="书面意见", min_length=4, max_length=20000,
                              widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
                              error_messages={"required": "请填写书面意见", "min_length": "书面意见至少4个字",
                                              "max_length": "书面意见不能超过20000字"})


class StuckFilterForm(UserForm):
    unit = _UnitChoice(Unit.objects.none(), label="调解组织", required=False, empty_label="全部",
                       error_messages={"invalid_choice": "所选调解组织不在您的辖区内"})
    q = forms.CharField(label="编号/标题", required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = mediation_units(self.user)


class OverdueFilterForm(UserForm):
    enforced = forms.ChoiceField(label="强制执行", required=False,
                                 choices=choices_with_blank([("no", "未申请"), ("yes", "已申请")]),
                                 error_messages={"invalid_choice": "取值无效"})
    q = forms.CharField(label="编号/标题", required=False, max_length=100)


class BacklogFilterForm(UserForm):
    leader = forms.TypedChoiceField(label="包案领导", required=False, coerce=int, empty_value=None, choices=(),
                                    error_messages={"invalid_choice": "所选领导不在您的辖区内"})
    resolved = forms.ChoiceField(label="化解情况", required=False,
                                 choices=choices_with_blank([("no", "未化解"), ("yes", "已化解")]),
                                 error_messages={"invalid_choice": "取值无效"})
    q = forms.CharField(label="编号/标题", required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from fangtiao.org.models import User

        leaders = (User.objects.visible_to(self.user).filter(roles__code="leader").distinct()
                   .order_by("name", "id").values_list("pk", "name", "username"))
        self.fields["leader"].choices = [("", "全部"), ("0", "（未指定）"),
                                         *((pk, name or username) for pk, name, username in leaders[:500])]


class ArchiveFilterForm(UserForm):
    unit = _UnitChoice(Unit.objects.none(), label="调解组织", required=False, empty_label="全部",
                       error_messages={"invalid_choice": "所选调解组织不在您的辖区内"})
    year = forms.IntegerField(label="年度", required=False, min_value=2000, max_value=2100,
                              error_messages={"invalid": "年度应为4位数字，如 2026", "min_value": "年度不能早于2000年",
                                              "max_value": "年度不能晚于2100年"})
    retention = forms.ChoiceField(label="保管期限", required=False, choices=choices_with_blank(Retention.choices),
                                  error_messages={"invalid_choice": "取值无效"})
    q = forms.CharField(label="卷号/卷名", required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = mediation_units(self.user)
        self.fields["year"].widget.attrs.update({"placeholder": "2026", "size": 6})


def text_q(q: str, *fields: str) -> Q:
    out = Q()
    for f in fields:
        out |= Q(**{f"{f}__icontains": q})
    return out
