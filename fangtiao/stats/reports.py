"""人民调解工作统计报表 (legal-rules §5.1): four tables for a period and a region inside the caller's
jurisdiction — by dispute type, by committee level/kind, by case source, and the prevention figures —
aggregated in the database, plus the workbook that carries them.

The official 司法部 2010 统计报表 layout was not found (legal-rules §4, §5.1: UNVERIFIED); the tables
follow what the domain document describes, and the workbook's notes sheet says so.

Counting rules (also on the notes sheet and in docs/statistics-reports.md):
- the unit counted is a mediation round (`Mediation`) of a case whose place (`Case.region_path`) lies
  in the region; a round superseded by re-mediation is not counted (its successor is);
- a round belongs to the period by its start date (`started_on`, 受理); its result is its state now;
- 成功率 = 调解成功 ÷ (调解成功 + 调解不成 + 撤回或拒绝), the rounds that have ended."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case as When_
from django.db.models import CharField, Count, Exists, OuterRef, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from fangtiao.cases.choices import CaseSource
from fangtiao.mediation.choices import ConfirmationResult, MediationStatus, ObligationStatus

MAX_SPAN_DAYS = 366 * 5
CN_NUM = "一二三四"


class PeriodError(ValueError):
    """A period the caller typed that is not one (the message is shown as is)."""


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        """2026年 / 2026年3月 / 2026年1—6月 / 2026年1月5日—2026年3月2日."""
        s, e = self.start, self.end
        month_start = s.day == 1
        month_end = e.day == calendar.monthrange(e.year, e.month)[1]
        if month_start and month_end and s.year == e.year:
            if s.month == 1 and e.month == 12:
                return f"{s.year}年"
            if s.month == e.month:
                return f"{s.year}年{s.month}月"
            return f"{s.year}年{s.month}—{e.month}月"
        if month_start and month_end:
            return f"{s.year}年{s.month}月—{e.year}年{e.month}月"
        return f"{s.year}年{s.month}月{s.day}日—{e.year}年{e.month}月{e.day}日"

    @property
    def span(self) -> str:
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"


def _date(value: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise PeriodError(f"{label}应为日期，格式如 2026-01-31") from None


def parse_period(params: Mapping[str, Any], *, today: dt.date | None = None) -> Period:
    """`period` = 2026 | 2026-03 | 2026-Q2 | 2026-H1, or `from` and `to` (YYYY-MM-DD); neither: this year
    to today. Anything else is a PeriodError with a Chinese message."""
    today = today or timezone.localdate()
    raw = str(params.get("period") or "").strip().upper()
    start_raw, end_raw = str(params.get("from") or "").strip(), str(params.get("to") or "").strip()
    if raw and (start_raw or end_raw):
        raise PeriodError("统计期间只能按年、季、月选择，或填写起止日期，不能同时使用")
    if start_raw or end_raw:
        if not (start_raw and end_raw):
            raise PeriodError("请同时填写开始日期和结束日期")
        start, end = _date(start_raw, "开始日期"), _date(end_raw, "结束日期")
    elif raw:
        m = re.fullmatch(r"(\d{4})(?:-(?:(\d{1,2})|Q([1-4])|H([12])))?", raw)
        if not m:
            raise PeriodError("统计期间格式不对：应为年（2026）、季度（2026-Q1）、半年（2026-H1）或月份（2026-03）")
        year = int(m.group(1))
        if not 2000 <= year <= 2100:
            raise PeriodError("统计年份应在2000年至2100年之间")
        if m.group(2):
            month = int(m.group(2))
            if not 1 <= month <= 12:
                raise PeriodError("月份应在1到12之间")
            first, last = month, month
        elif m.group(3):
            first = (int(m.group(3)) - 1) * 3 + 1
            last = first + 2
        elif m.group(4):
            first = 1 if m.group(4) == "1" else 7
            last = first + 5
        else:
            first, last = 1, 12
        start = dt.date(year, first, 1)
        end = dt.date(year, last, calendar.monthrange(year, last)[1])
    else:
        start, end = dt.date(today.year, 1, 1), today
    if end < start:
        raise PeriodError("结束日期不能早于开始日期")
    if start.year < 2000 or end.year > 2100:
        raise PeriodError("统计期间应在2000年至2100年之间")
    if (end - start).days > MAX_SPAN_DAYS:
        raise PeriodError("统计期间不能超过5年")
    return Period(start, end)


# --- the measures of a mediation table ---------------------------------------------------------

COLUMNS: tuple[tuple[str, str], ...] = (
    ("accepted", "受理"),
    ("agreed", "调解成功"),
    ("failed", "调解不成"),
    ("ended_other", "撤回或拒绝"),
    ("open", "调解中"),
    ("rate", "成功率（%）"),
    ("amount", "协议涉及金额（元）"),
    ("performed", "已履行"),
    ("confirmed", "司法确认"),
)
COUNT_KEYS = ("accepted", "agreed", "failed", "ended_other", "open", "performed", "confirmed")


@dataclass
class Row:
    key: str
    label: str
    values: dict[str, Any] = field(default_factory=dict)
    indent: bool = False


@dataclass
class Table:
    code: str
    title: str
    dimension: str
    columns: list[tuple[str, str]]
    rows: list[Row]
    total: Row | None

    def cells(self, row: Row) -> list[Any]:
        return [row.values.get(k, 0) for k, _ in self.columns]

    @property
    def lines(self) -> list[tuple[Row, list[Any], bool]]:
        """(row, cells, is the total) for the page."""
        out = [(r, self.cells(r), False) for r in self.rows]
        if self.total is not None:
            out.append((self.total, self.cells(self.total), True))
        return out


def _rate(agreed: int, ended: int) -> Decimal | None:
    if not ended:
        return None
    return (Decimal(agreed) * 100 / Decimal(ended)).quantize(Decimal("0.1"))


def _finish(values: dict[str, Any]) -> dict[str, Any]:
    for k in COUNT_KEYS:
        values.setdefault(k, 0)
    values["amount"] = values.get("amount") or Decimal("0.00")
    values["rate"] = _rate(values["agreed"], values["agreed"] + values["failed"] + values["ended_other"])
    return values


def mediations_in(path: str, period: Period) -> QuerySet:
    """The counted rounds: started in the period, the case's place in the region, not superseded."""
    from fangtiao.mediation.models import Mediation

    return Mediation.objects.filter(case__region_path__startswith=path, started_on__gte=period.start,
                                    started_on__lte=period.end).exclude(status=MediationStatus.SUPERSEDED)


def _measures(base: QuerySet, dim: Any) -> dict[Any, dict[str, Any]]:
    """Per value of `dim` (a field path or an expression on Mediation): the counts in one grouped
    query and the agreement amounts in another (a join to obligations would multiply the counts)."""
    from fangtiao.mediation.models import Confirmation, Obligation

    S = MediationStatus
    open_ob = Obligation.objects.filter(agreement__mediation=OuterRef("pk")).exclude(
        agreement__status="superseded").exclude(status=ObligationStatus.DONE)
    confirmed = Confirmation.objects.filter(agreement__mediation=OuterRef("pk"),
                                            result=ConfirmationResult.CONFIRMED)
    qs = base.annotate(dim=dim, has_open=Exists(open_ob), has_confirm=Exists(confirmed)).order_by()
    out: dict[Any, dict[str, Any]] = {}
    for r in qs.values("dim").annotate(
        accepted=Count("id"),
        agreed=Count("id", filter=Q(status=S.AGREED)),
        failed=Count("id", filter=Q(status=S.FAILED)),
        ended_other=Count("id", filter=Q(status__in=[S.WITHDRAWN, S.REFUSED])),
        open=Count("id", filter=Q(status=S.OPEN)),
        performed=Count("id", filter=Q(status=S.AGREED, has_open=False)),
        confirmed=Count("id", filter=Q(status=S.AGREED, has_confirm=True)),
    ):
        out[r.pop("dim")] = r
    amounts = (Obligation.objects.filter(agreement__mediation__in=base.filter(status=S.AGREED).values("pk"))
               .exclude(agreement__status="superseded")
               .annotate(dim=_prefixed(dim)).order_by().values("dim").annotate(total=Sum("amount")))
    for r in amounts:
        out.setdefault(r["dim"], {})["amount"] = r["total"] or Decimal("0.00")
    return out


def _prefixed(dim: Any) -> Any:
    """The same dimension seen from an Obligation (through agreement → mediation)."""
    from django.db.models import F

    if isinstance(dim, F):
        return F(f"agreement__mediation__{dim.name}")
    return _unit_group(prefix="agreement__mediation__")


def _rows(keys: Iterable[tuple[Any, str, bool]], data: dict[Any, dict[str, Any]]) -> list[Row]:
    return [Row(key=str(k), label=label, values=_finish(dict(data.get(k, {}))), indent=indent)
            for k, label, indent in keys]


def _total(rows: list[Row], extra: Iterable[str] = ()) -> Row:
    values: dict[str, Any] = {k: sum(r.values.get(k, 0) for r in rows if not r.indent) for k in (*COUNT_KEYS, *extra)}
    values["amount"] = sum((r.values.get("amount") or Decimal("0.00") for r in rows if not r.indent), Decimal("0.00"))
    return Row(key="total", label="合计", values=_finish(values))


# --- table 1: by dispute type --------------------------------------------------------------------

def by_category(path: str, period: Period) -> Table:
    from django.db.models import F

    from fangtiao.org.models import DisputeCategory

    data = _measures(mediations_in(path, period), F("case__category_id"))
    cats = list(DisputeCategory.objects.filter(Q(active=True) | Q(code__in=[k for k in data if k]))
                .order_by("sort", "code").values_list("code", "name"))
    keys = [(code, name, False) for code, name in cats]
    if None in data:
        keys.append((None, "未分类", False))
    rows = _rows(keys, data)
    return Table("category", "表一 矛盾纠纷类型及调解结果", "纠纷类型", list(COLUMNS), rows, _total(rows))


# --- table 2: by committee level and kind ---------------------------------------------------------

UNIT_GROUPS: tuple[tuple[str, str], ...] = (
    ("village", "村（居）人民调解委员会"),
    ("township", "乡镇（街道）人民调解委员会"),
    ("professional", "行业性专业性人民调解委员会"),
    ("other", "其他调解组织（区调委会、调解工作室、信访调解室等）"),
)


def _unit_group(prefix: str = "") -> Any:
    kind = f"{prefix}unit__kind"
    return When_(
        When(**{kind: "village_committee"}, then=Value("village")),
        When(**{f"{kind}__in": ["township_committee", "subcentre"]}, then=Value("township")),
        When(**{kind: "professional_committee"}, then=Value("professional")),
        default=Value("other"), output_field=CharField(),
    )


def mediator_counts(path: str) -> dict[str, int]:
    """Active mediators of the committees in the region, by the same groups (by the unit's place)."""
    from fangtiao.org.models import Mediator

    qs = (Mediator.objects.filter(unit__region__path__startswith=path, status="active")
          .annotate(dim=_unit_group()).order_by().values("dim").annotate(n=Count("id")))
    return {r["dim"]: r["n"] for r in qs}


def by_unit(path: str, period: Period) -> Table:
    data = _measures(mediations_in(path, period), _unit_group())
    mediators = mediator_counts(path)
    rows = _rows(((k, label, False) for k, label in UNIT_GROUPS), data)
    for r in rows:
        r.values["mediators"] = mediators.get(r.key, 0)
    cols = [*COLUMNS, ("mediators", "调解员（人）")]
    return Table("unit", "表二 调解组织层级、类型及调解结果", "调解组织", cols, rows, _total(rows, extra=("mediators",)))


# --- table 3: by case source ----------------------------------------------------------------------

PETITION_TRANSFER = "transfer_petition"


def by_source(path: str, period: Period) -> Table:
    from django.db.models import F

    base = mediations_in(path, period)
    data = _measures(base, F("source"))
    petition = _measures(base.filter(source=CaseSource.TRANSFER, case__kind="petition"), F("source"))
    keys: list[tuple[Any, str, bool]] = [
        (CaseSource.APPLICATION.value, "申请调解", False),
        (CaseSource.INITIATIVE.value, "主动调解", False),
        (CaseSource.TRANSFER.value, "接受移交·委托调解", False),
    ]
    if "" in data:
        keys.append(("", "来源未注明", False))
    rows = _rows(keys, data)
    sub = Row(key=PETITION_TRANSFER, label="其中：信访部门移交的信访事项",
              values=_finish(dict(petition.get(CaseSource.TRANSFER.value, {}))), indent=True)
    rows.insert(3, sub)
    return Table("source", "表三 案件来源及调解结果", "案件来源", list(COLUMNS), rows, _total(rows))


# --- table 4: prevention ---------------------------------------------------------------------------

PREVENTION_COLUMNS = [("cases", "件（次）数"), ("persons", "涉及人数")]


def prevention(path: str, period: Period) -> Table:
    from fangtiao.cases.models import Case
    from fangtiao.mediation.models import RiskReport
    from fangtiao.screening.models import Finding, ScreeningRound

    rounds = ScreeningRound.objects.filter(region_path__startswith=path, status="done",
                                           screened_on__gte=period.start, screened_on__lte=period.end)
    screened = rounds.aggregate(n=Count("id"))["n"]
    findings = Finding.objects.filter(round__in=rounds.values("pk"))
    found = findings.aggregate(n=Count("id"), p=Sum("headcount"))
    prevented = findings.filter(case__isnull=True).exclude(measures="").aggregate(n=Count("id"), p=Sum("headcount"))
    agreed = mediations_in(path, period).filter(status=MediationStatus.AGREED)
    resolved_cases = Case.objects.filter(pk__in=agreed.values("case_id"))
    risky = resolved_cases.filter(Exists(RiskReport.objects.filter(case=OuterRef("pk")))).aggregate(
        n=Count("id"), p=Sum("headcount"))
    collective = resolved_cases.filter(is_collective=True).aggregate(n=Count("id"), p=Sum("headcount"))

    def row(key: str, label: str, n: int | None, p: int | None, *, persons: bool = True) -> Row:
        return Row(key=key, label=label, values={"cases": n or 0, "persons": (p or 0) if persons else None})

    rows = [
        row("screenings", "排查次数（已完成的排查轮次）", screened, None, persons=False),
        row("found", "排查发现矛盾纠纷", found["n"], found["p"]),
        row("prevented", "预防纠纷（排查发现、已采取措施、未形成事项）", prevented["n"], prevented["p"]),
        row("criminal", "防止民转刑（有激化风险报告且调解成功）", risky["n"], risky["p"]),
        row("collective", "防止群体性上访（集体事项调解成功）", collective["n"], collective["p"]),
    ]
    return Table("prevention", "表四 矛盾纠纷排查和预防", "项目", PREVENTION_COLUMNS, rows, None)


# --- the whole report ------------------------------------------------------------------------------

REPORT_TITLE = "人民调解工作统计表"


@dataclass
class Report:
    period: Period
    region_name: str
    unit_name: str
    made_on: dt.date
    tables: list[Table]

    @property
    def title(self) -> str:
        return f"{REPORT_TITLE}（{self.period.label}）"


def build_report(*, user: Any, path: str, period: Period) -> Report:
    from fangtiao.org.models import Region

    region = Region.objects.filter(path=path).values_list("name", flat=True).first() if path else None
    unit = getattr(getattr(user, "unit", None), "name", "") or ""
    return Report(period=period, region_name=region or "全部辖区", unit_name=unit or region or "全部辖区",
                  made_on=timezone.localdate(),
                  tables=[by_category(path, period), by_unit(path, period), by_source(path, period),
                          prevention(path, period)])


NOTES: tuple[str, ...] = (
    "说明",
    "1. 本表按《人民调解法》及本系统领域资料（legal-rules §5.1）所述的统计口径制作。司法部2010年《人民调解文书格式和统计报表》"
    "的全国统一报表格式未能取得原件，本表栏目和排列未经与全国报表核对（UNVERIFIED），上报前请按当地要求调整。",
    "2. 统计对象为人民调解案件（调解轮次）：事项发生地在所选区划内、调解开始日期（受理）在统计期间内；"
    "因纠纷反复或司法确认被驳回而重新调解的，只统计新的一轮。",
    "3. 调解结果为制表时的状态：调解成功＝达成协议；调解不成＝终止调解；撤回或拒绝＝当事人撤回或拒绝调解；调解中＝尚未结束。",
    "4. 成功率＝调解成功÷（调解成功＋调解不成＋撤回或拒绝），即占已结束案件的百分比，保留一位小数；没有已结束案件的为空。",
    "5. 协议涉及金额＝调解成功案件现行有效协议中各项义务金额之和（元）。",
    "6. 已履行＝调解成功且协议义务全部履行完毕的件数（协议未约定具体义务的视为已履行）；司法确认＝协议经人民法院裁定确认有效的件数。",
    "7. 表二按调解组织类型归类：乡镇（街道）调委会含联合调解分中心；其他含区调委会、个人调解工作室、信访调解室等。"
    "调解员为所选区划内各组织在册、在岗的人民调解员人数（按调解组织所在地统计）。",
    "8. 表三案件来源：申请调解、主动调解、接受移交·委托调解（含信访部门移交、法院委派）；"
    "“其中：信访部门移交的信访事项”为移交·委托中属于信访事项的部分，不计入合计。",
    "9. 表四：排查次数为排查日期在期间内、已完成的排查轮次数；排查发现矛盾纠纷为这些轮次登记的纠纷条数；"
    "预防纠纷为其中已采取措施且未转为事项的条数（本地口径）；防止民转刑为有激化风险报告（《人民调解法》第25条）且调解成功的事项；"
    "防止群体性上访为集体事项调解成功的件数；人数取事项登记的涉及人数。",
)


# --- the workbook --------------------------------------------------------------------------------

def report_workbook(report: Report) -> Any:
    """One sheet per table (title row, 填报单位/统计期间/填表日期, two header rows, data, 合计) and a notes
    sheet. Values, not formulas, so the file reads the same in Excel, WPS and openpyxl."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    wb = Workbook()
    wb.remove(wb.active)
    for n, table in enumerate(report.tables):
        ws = wb.create_sheet(title=f"表{CN_NUM[n]}")
        width = 1 + len(table.columns)
        last = get_column_letter(width)
        ws["A1"] = report.title
        ws["A1"].font = Font(bold=True, size=16)
        ws["A1"].alignment = centre
        ws.merge_cells(f"A1:{last}1")
        ws["A2"] = table.title
        ws["A2"].font = Font(bold=True, size=12)
        ws["A2"].alignment = centre
        ws.merge_cells(f"A2:{last}2")
        ws["A3"] = f"填报单位：{report.unit_name}"
        ws.cell(row=3, column=max(2, width // 2), value=f"统计期间：{report.period.span}（{report.region_name}）")
        ws.cell(row=3, column=width, value=f"填表日期：{report.made_on.isoformat()}")
        _headers(ws, table, box, centre)
        row_no = 6
        for row in [*table.rows, *([table.total] if table.total else [])]:
            label = ("    " + row.label) if row.indent else row.label
            ws.cell(row=row_no, column=1, value=label).border = box
            for col, value in enumerate(table.cells(row), start=2):
                c = ws.cell(row=row_no, column=col, value=value)
                c.border = box
                if isinstance(value, Decimal):
                    c.number_format = "0.0" if table.columns[col - 2][0] == "rate" else "#,##0.00"
            if row is table.total:
                for col in range(1, width + 1):
                    ws.cell(row=row_no, column=col).font = Font(bold=True)
            row_no += 1
        ws.column_dimensions["A"].width = 46
        for col in range(2, width + 1):
            ws.column_dimensions[get_column_letter(col)].width = 14
        ws.freeze_panes = "B6"
    notes = wb.create_sheet(title="说明")
    notes.column_dimensions["A"].width = 120
    for i, line in enumerate(NOTES, start=1):
        c = notes.cell(row=i, column=1, value=line)
        c.alignment = Alignment(wrap_text=True, vertical="top")
        if i == 1:
            c.font = Font(bold=True, size=14)
    notes.cell(row=len(NOTES) + 2, column=1, value=f"报表：{report.title}；区划：{report.region_name}；"
                                                   f"统计期间：{report.period.span}；填表日期：{report.made_on.isoformat()}")
    return wb


def _headers(ws: Any, table: Table, box: Any, centre: Any) -> None:
    """Rows 4–5: the dimension spans both; 调解结果 groups its four outcomes; the rest span both rows."""
    ws.cell(row=4, column=1, value=table.dimension)
    ws.merge_cells(start_row=4, start_column=1, end_row=5, end_column=1)
    outcome = ("agreed", "failed", "ended_other", "open")
    keys = [k for k, _ in table.columns]
    col = 2
    while col - 2 < len(keys):
        key, label = table.columns[col - 2]
        if key == outcome[0] and keys[col - 2:col + 2] == list(outcome):
            ws.cell(row=4, column=col, value="调解结果")
            ws.merge_cells(start_row=4, start_column=col, end_row=4, end_column=col + 3)
            for i, k in enumerate(outcome):
                ws.cell(row=5, column=col + i, value=dict(table.columns)[k])
            col += 4
            continue
        ws.cell(row=4, column=col, value=label)
        ws.merge_cells(start_row=4, start_column=col, end_row=5, end_column=col)
        col += 1
    from openpyxl.styles import Font

    for r in (4, 5):
        for c in range(1, len(keys) + 2):
            cell = ws.cell(row=r, column=c)
            cell.border, cell.alignment, cell.font = box, centre, Font(bold=True)
