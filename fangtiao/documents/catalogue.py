"""The catalogue of official forms: for each, what it is called, whether it carries its own 文号,
when a case has one (and for which subject: a session, a follow-up visit, a transfer…), the
context it is filled from, and its built-in layout. The context is plain data (strings, lists of
dicts) so that the same values fill a district's own .docx template (docxtpl placeholders) and the
built-in layout, and so that its hash tells whether a re-render would change anything.

Contents follow ../shared/domain/legal-rules.md §1.3, §3 and §4 (see docs/documents.md for the
table of forms, sources, and the layouts we designed where no national one exists)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from fangtiao.documents import layout as L

Context = dict[str, Any]
Subject = tuple[str, str]  # (key such as "session:12", label such as "第2次调解（2026年3月1日）")

# Placeholders every form's context has (catalogue.base_context).
COMMON_FIELDS: dict[str, str] = {
    "title": "文书名称",
    "number": "文号/编号（无编号的文书为空）",
    "issued_on": "成文日期（如 2026年11月29日）",
    "case_number": "事项编号",
    "case_title": "事项标题",
    "case_kind": "类别（信访事项/矛盾纠纷）",
    "channel": "来源渠道",
    "category": "纠纷类型",
    "region": "发生地",
    "received_on": "登记日期",
    "registered_unit": "登记单位",
    "parties": "全部当事人（列表：role 身份, name 姓名/名称, gender 性别, age 年龄, id_number 身份证号码/统一社会信用代码, "
               "phone 联系电话, address 住址, employer 工作单位, is_unit 是否单位）",
    "applicants": "申请人/信访人（列表，字段同 parties）",
    "respondents": "被申请人/对方当事人（列表，字段同 parties）",
    "third_parties": "第三人（列表，字段同 parties）",
}


@dataclass(frozen=True)
class DocType:
    code: str
    title: str
    side: str                      # petition | mediation | court | archive
    available: Callable[[Any], bool]
    context: Callable[[Any, str], Context]
    layout: Callable[[Context], L.Doc]
    fields: dict[str, str] = field(default_factory=dict)   # the form's own placeholders
    required: tuple[str, ...] = ()  # placeholders a district template must use (the form's legal content)
    number_word: str = ""           # has its own 文号: 〔年〕 number of scope doc:<code>
    subjects: Callable[[Any], list[Subject]] | None = None  # several per case (per session, per visit…)
    produced_by: tuple[str, ...] = ()  # lifecycle actions after which it is issued (drawn on the flow chart)
    basis: str = ""
    national: bool = True          # False: no national layout exists; ours is a district design
    court: bool = False            # a court liaison sees it (the agreement and the confirmation papers)
    sort: int = 0

    @property
    def all_fields(self) -> dict[str, str]:
        return {**COMMON_FIELDS, **self.fields}


REGISTRY: dict[str, DocType] = {}

# The order of a 卷宗 (legal-rules §4.2 卷内目录): every form of the case that is available, in this
# order, each with all its subjects (every session record, every follow-up visit).
ARCHIVE_ORDER: tuple[str, ...] = (
    "archive_cover", "archive_contents", "mediation_application", "mediation_register", "rights_notice",
    "acceptance_instructions", "investigation_record", "mediation_record", "agreement", "petition_agreement",
    "oral_agreement", "termination_notice", "follow_up_record", "confirmation_application_person",
    "confirmation_application_unit", "archive_note", "archive_back",
)


def per_case(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Remember a lookup on the case object it was asked about, so that the ~30 forms asking "has this
    case a mediation round / a held session / an agreement?" cost one query each per request (the
    documents panel, a print job). A changed case is a new object (services reload it), so nothing
    stale is remembered across changes."""
    def wrapper(case: Any, *args: Any) -> Any:
        memo = case.__dict__.setdefault("_documents_memo", {})
        key = (fn.__name__, *args)
        if key not in memo:
            memo[key] = fn(case, *args)
        return memo[key]

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def register(doc: DocType) -> DocType:
    if doc.code in REGISTRY:
        raise ValueError(f"duplicate document type {doc.code!r}")
    REGISTRY[doc.code] = doc
    return doc


def get(code: str) -> DocType | None:
    _load()
    return REGISTRY.get(code)


def all_types() -> list[DocType]:
    _load()
    return sorted(REGISTRY.values(), key=lambda d: (d.sort, d.code))


def _load() -> None:
    # The forms register themselves on import.
    from fangtiao.documents.builtin import mediation, petition  # noqa: F401


# --- shared context ------------------------------------------------------------------------

def _gender_age(id_number: str, on: dt.date) -> tuple[str, str]:
    """性别 and 年龄 read from an 18-digit 居民身份证号码 (GB 11643-1999: birth date in digits
    7–14, the 17th digit odd for men)."""
    if len(id_number) != 18 or not id_number[:17].isdigit():
        return "", ""
    try:
        born = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return "", ""
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return ("男" if int(id_number[16]) % 2 else "女"), str(age)


def party_dict(p: Any, on: dt.date) -> dict[str, Any]:
    is_unit = p.type == "organisation"
    gender, age = ("", "") if is_unit else _gender_age(p.id_number or "", on)
    return {
        "role": p.get_role_display(), "role_code": p.role, "type": p.get_type_display(), "is_unit": is_unit,
        "name": p.name or "", "gender": gender, "age": age, "id_number": p.id_number or "",
        "phone": p.phone or "", "address": p.address or "", "employer": p.employer or "",
        "representative": bool(p.is_representative),
    }


def base_context(case: Any, *, code: str, number: str, issued_on: dt.date | None) -> Context:
    """What every form has. Nothing here changes when the case merely moves between units (the unit
    holding the case is not a placeholder), so a transfer does not re-issue documents already served."""
    on = issued_on or dt.date(2000, 1, 1)
    parties = [party_dict(p, on) for p in case.parties.all()]
    return {
        "title": REGISTRY[code].title,
        "number": number,
        "issued_on": L.cn_date(issued_on),
        "case_number": case.number,
        "case_title": case.title,
        "case_kind": case.get_kind_display(),
        "channel": case.get_channel_display() + ("（口头）" if case.oral else ""),
        "category": case.category.name if case.category_id else "",
        "region": case.region.name,
        "received_on": L.cn_date(timezone.localtime(case.received_at).date() if case.received_at else None),
        "registered_unit": case.registered_unit.name,
        "parties": parties,
        "applicants": [p for p in parties if p["role_code"] == "petitioner"],
        "respondents": [p for p in parties if p["role_code"] == "respondent"],
        "third_parties": [p for p in parties if p["role_code"] == "third_party"],
    }


def names(parties: list[dict[str, Any]]) -> str:
    return "、".join(p["name"] or "（未留姓名）" for p in parties) or "—"


def party_rows(parties: list[dict[str, Any]], label: str) -> list[tuple[L.Cell, ...]]:
    """The party block of the 申请书/协议书 (legal-rules §4.3, §4.7): 姓名 性别 民族 年龄 职业 联系方式 住址;
    for a unit, 名称 and 法定代表人. 民族 and 职业 are not recorded by the system: left to fill in by hand."""
    rows: list[tuple[L.Cell, ...]] = []
    for p in parties or [{"name": "", "is_unit": False, "gender": "", "age": "", "phone": "", "address": "",
                          "employer": "", "id_number": ""}]:
        if p["is_unit"]:
            rows.append(L.row(L.label(label), L.Cell(p["name"], span=3), L.label("统一社会信用代码"), L.Cell(p["id_number"], span=1)))
            rows.append(L.row(L.label("法定代表人"), L.Cell("", span=3), L.label("联系电话"), p["phone"]))
            rows.append(L.row(L.label("住所"), L.Cell(p["address"], span=5)))
        else:
            rows.append(L.row(L.label(label), p["name"], L.label("性别"), p["gender"], L.label("民族"), ""))
            rows.append(L.row(L.label("年龄"), p["age"], L.label("职业或职务"), "", L.label("联系方式"), p["phone"]))
            rows.append(L.row(L.label("单位或住址"), L.Cell("、".join(x for x in (p["employer"], p["address"]) if x), span=5)))
    return rows


PARTY_WIDTHS = (2.2, 2.6, 2.0, 2.4, 2.4, 3.4)
