"""The statistics dashboards (驾驶舱): the leader's overview, the township comparison and the
mediators' figures.

Every page reads the rollups through `stats.selectors` (the mediators through `stats.people`),
for a period of whole months (default: this year so far) and a region inside the caller's
jurisdiction (`stats.access.stats_path`: outside it 404). Each figure is a *block*: a table of
cells, the chart drawn from the same numbers (ECharts, fed by `json_script`, no inline script),
an Excel export (`?export=xlsx&table=<key>`, audited like every export) and, where the case list
can filter that way, a link from each count to the cases behind it.

Bad input never reaches the selectors: a malformed month is shown in Chinese and the default
period used; a region outside the jurisdiction is a 404; without `stats.view` a 403."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from fangtiao.audit import services as audit
from fangtiao.core.dbrouter import reporting_reads
from fangtiao.core.excel import xlsx_response
from fangtiao.core.views import export_reason, refuse_export
from fangtiao.org.permissions import has_capability
from fangtiao.stats import people, selectors
from fangtiao.stats.access import stats_path
from fangtiao.stats.measures import figures, ratio

MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
REGION_CODE = re.compile(r"^[0-9]{1,12}$")
MAX_MONTHS = 60
FIRST_YEAR, LAST_YEAR = 2000, 2100

# The summary figures of API.md, in reading order: (code, label, is a rate)
FIGURES: tuple[tuple[str, str, bool], ...] = (
    ("total", "事项总数", False),
    ("petitions", "信访事项", False),
    ("disputes", "矛盾纠纷", False),
    ("repeat", "重复信访", False),
    ("skip_level", "越级信访", False),
    ("collective", "集体访", False),
    ("repeat_rate", "重复信访率", True),
    ("accepted_on_time_rate", "及时受理率", True),
    ("closed_on_time_rate", "按期办结率", True),
    ("participation_rate", "参评率", True),
    ("satisfaction_rate", "满意率", True),
    ("mediated", "调解终结", False),
    ("mediation_success_rate", "调解成功率", True),
    ("village_level_share", "村级调解成功占比", True),
    ("confirmations", "司法确认", False),
    ("confirmations_performed_rate", "确认后履行率", True),
    ("backlog_open", "在册积案", False),
    ("backlog_resolved", "化解积案", False),
    ("consultations", "法律咨询", False),
)
THREE_DECLINES = ("petitions", "repeat", "skip_level")  # 三下降: fewer is better
# How the case list filters the cases behind a figure: the period on the figure's own day (`on`:
# received by default, or the end of the mediation round, the ruling, the backlog marking or
# resolution) and the filters of stats.reference's count. A rate links to its numerator's cases.
CASE_FILTERS: dict[str, dict[str, str]] = {
    "total": {}, "petitions": {"kind": "petition"}, "disputes": {"kind": "dispute"}, "repeat": {"flag": "repeat", "kind": "petition"},
    "skip_level": {"flag": "skip_level", "kind": "petition"}, "collective": {"flag": "collective"},
    "repeat_rate": {"flag": "repeat", "kind": "petition"},
    "accepted_on_time_rate": {"acceptance": "on_time"}, "closed_on_time_rate": {"handling": "on_time"},
    "participation_rate": {"evaluation": "rated"}, "satisfaction_rate": {"evaluation": "satisfied"},
    "mediated": {"on": "mediated"}, "mediation_success_rate": {"on": "mediated", "mediation_outcome": "agreed"},
    "village_level_share": {"on": "mediated", "mediation_outcome": "agreed", "mediation_level": "village"},
    "confirmations": {"on": "confirmed"}, "backlog_resolved": {"on": "backlog_resolved"},
}
MEDIATION_LEVELS = ("village", "township", "district")  # the case list's mediation_level
LEVEL_LABELS = {"province": "省级", "city": "市级", "district": "区级", "township": "乡镇级", "village": "村级", "": "未注明"}
LEVEL_ORDER = ("village", "township", "district", "city", "province", "")


# --- period and region ---------------------------------------------------------------------------

def _month(value: str) -> dt.date | None:
    m = MONTH.match(value.strip())
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    return dt.date(year, month, 1)


@dataclass
class Scope:
    """What a dashboard counts: whole months first..last (`start`..`end` in days, `end` no later
    than today), a region path, and the selected region's code ('' = the whole jurisdiction)."""

    first: dt.date
    last: dt.date
    start: dt.date
    end: dt.date
    path: str
    region: str
    errors: list[str] = field(default_factory=list)

    @property
    def query(self) -> dict[str, str]:
        q = {"from": f"{self.first:%Y-%m}", "to": f"{self.last:%Y-%m}"}
        if self.region:
            q["region"] = self.region
        return q

    @property
    def previous(self) -> tuple[dt.date, dt.date]:
        return selectors.year_earlier(self.start), selectors.year_earlier(self.end)


def _scope(request: HttpRequest) -> Scope:
    """The capability first (403), then the region (404 outside), then the months (Chinese errors,
    the default period instead)."""
    if not has_capability(request.user, "stats.view"):
        raise PermissionDenied
    region = request.GET.get("region", "").strip()
    if region and not REGION_CODE.match(region):
        raise Http404
    path = stats_path(request.user, region or None)
    today = timezone.localdate()
    first, last = today.replace(month=1, day=1), today.replace(day=1)
    errors: list[str] = []
    raw_from, raw_to = request.GET.get("from", "").strip(), request.GET.get("to", "").strip()
    f = _month(raw_from) if raw_from else first
    t = _month(raw_to) if raw_to else last
    if f is None or t is None:
        errors.append("月份格式不正确，请按“2026-05”填写（2000年至2100年）；已显示本年数据")
    elif f > t:
        errors.append("起始月份不能晚于截止月份；已显示本年数据")
    elif (t.year - f.year) * 12 + t.month - f.month + 1 > MAX_MONTHS:
        errors.append("统计区间不能超过5年；已显示本年数据")
    else:
        first, last = f, t
    end = min(selectors.month_end(last), max(today, first))
    return Scope(first=first, last=last, start=first, end=end, path=path, region=region, errors=errors)


def _region_choices(request: HttpRequest, scope: Scope) -> list[tuple[str, str]]:
    from fangtiao.cases.access import case_scope_path
    from fangtiao.org.models import Region

    base = case_scope_path(request.user) or ""
    qs = Region.objects.filter(path__startswith=base, level__in=["district", "township"]).order_by("path")
    rows = [(code, ("　" if level == "township" else "") + name) for code, name, level in qs.values_list("code", "name", "level")[:500]]
    if scope.region and scope.region not in {c for c, _ in rows}:
        name = Region.objects.filter(code=scope.region).values_list("name", flat=True).first() or scope.region
        rows.append((scope.region, name))
    return rows


# --- blocks ----------------------------------------------------------------------------------------

@dataclass
class Cell:
    value: Any
    text: str = ""
    href: str = ""
    testid: str = ""

    def __post_init__(self) -> None:
        if not self.text:
            self.text = "—" if self.value is None or self.value == "" else str(self.value)


def pct(rate: float | None) -> Cell:
    """A rate shown (and exported) as a percentage with two decimals."""
    if rate is None:
        return Cell(None, "—")
    v = round(rate * 100, 2)
    return Cell(v, f"{v:.2f}%")


@dataclass
class Block:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    chart: dict[str, Any] | None = None
    note: str = ""
    wide: bool = False
    header_links: list[str] = field(default_factory=list)
    header_marks: dict[int, str] = field(default_factory=dict)  # e.g. the sort arrow, on screen only

    @property
    def header_cells(self) -> list[tuple[str, str]]:
        links = self.header_links or [""] * len(self.headers)
        return [(h + self.header_marks.get(i, ""), link) for i, (h, link) in enumerate(zip(self.headers, links, strict=True))]

    def chart_spec(self) -> dict[str, Any] | None:
        return {"key": self.key, **self.chart} if self.chart else None


def cases_link(scope: Scope, *, start: dt.date | None = None, end: dt.date | None = None, region: str | None = None,
               dated: bool = True, on: str = "received", **filters: str) -> str:
    """The case list of the cases behind a count: days start..end (default the scope's) of the
    figure's day `on` (received, mediated, confirmed, backlog_marked, backlog_resolved)."""
    q: dict[str, str] = {}
    if dated:
        q[f"{on}_from"] = f"{start or scope.start:%Y-%m-%d}"
        q[f"{on}_to"] = f"{end or scope.end:%Y-%m-%d}"
    region = scope.region if region is None else region
    if region:
        q["region"] = region
    q.update({k: v for k, v in filters.items() if v})
    return f"{reverse('cases:list')}?{urlencode(q)}"


def _export(request: HttpRequest, page: str, block: Block, scope: Scope) -> HttpResponse:
    if not has_capability(request.user, "export.xlsx"):
        raise PermissionDenied
    reason = export_reason(request)  # every export states why (个人信息保护法 第51条; docs/security.md §4)
    if reason is None:
        return refuse_export(request)
    audit.record(
        actor=request.user, action="export.xlsx",
        extra={"list": f"{page}·{block.title}", "filters": {**scope.query, "table": block.key},
               "limit": settings.FANGTIAO_EXPORT_MAX_ROWS, "reason": reason},
        region_path=request.user.audit_region_path,
    )
    columns: list[tuple[str, Callable[[Any], Any]]] = [(h, itemgetter(i)) for i, h in enumerate(block.headers)]
    rows = [[c.value for c in row] for row in block.rows]
    return xlsx_response(title=block.title, columns=columns, rows=rows, filename=f"{page}-{block.title}")


def _page(request: HttpRequest, *, template: str, title: str, scope: Scope, blocks: list[Block],
          extra: dict[str, Any] | None = None) -> HttpResponse:
    if request.GET.get("export") == "xlsx":
        key = request.GET.get("table", "")
        block = next((b for b in blocks if b.key == key), None)
        if block is None:
            raise Http404("没有这张统计表")
        return _export(request, title, block, scope)
    query = urlencode(scope.query)
    ctx = {
        "title": title, "scope": scope, "blocks": blocks, "query": query, "base_query": query,
        "charts": [s for s in (b.chart_spec() for b in blocks) if s],
        "region_choices": _region_choices(request, scope),
        "can_export": has_capability(request.user, "export.xlsx"),
        **(extra or {}),
    }
    return render(request, template, ctx)


def _series(name: str, data: list[Any], **kw: Any) -> dict[str, Any]:
    return {"name": name, "data": data, **kw}


# --- the overview ------------------------------------------------------------------------------------

def _cards(s: dict[str, Any], scope: Scope) -> list[dict[str, Any]]:
    p_start, p_end = scope.previous
    cards = []
    for code, label, is_rate in FIGURES:
        now, before = s[code], s["previous"][code]
        card: dict[str, Any] = {"code": code, "label": label, "decline": code in THREE_DECLINES,
                                "now": pct(now).text if is_rate else now, "before": pct(before).text if is_rate else before,
                                "href": "", "before_href": "", "arrow": "", "color": "secondary", "delta": "—"}
        if now is not None and before is not None:
            diff = (now - before) * 100 if is_rate else now - before
            card["arrow"] = "↑" if diff > 0 else "↓" if diff < 0 else "→"
            if is_rate:
                card["delta"] = f"{diff:+.2f}个百分点"
            else:
                card["delta"] = f"{diff:+d}" + (f"（{diff / before * 100:+.1f}%）" if before else "")
            if code in THREE_DECLINES:
                card["color"] = "green" if diff < 0 else "red" if diff > 0 else "secondary"
        if code in CASE_FILTERS:
            card["href"] = cases_link(scope, **CASE_FILTERS[code])
            card["before_href"] = cases_link(scope, start=p_start, end=p_end, **CASE_FILTERS[code])
        elif code == "backlog_open":
            card["href"] = cases_link(scope, dated=False, flag="backlog")
        cards.append(card)
    return cards


def _summary_block(s: dict[str, Any], cards: list[dict[str, Any]]) -> Block:
    rows = []
    for card, (code, label, is_rate) in zip(cards, FIGURES, strict=True):
        now, before = s[code], s["previous"][code]
        if is_rate:
            a, b = pct(now), pct(before)
            a.href, b.href = (card["href"], card["before_href"]) if now is not None else ("", "")
            if a.href:
                a.testid = f"summary-{code}"
            diff = Cell(round(a.value - b.value, 2) if a.value is not None and b.value is not None else None)
            rows.append([Cell(label + "（%）"), a, b, diff, Cell("")])
        else:
            change = round((now - before) / before * 100, 1) if before else None
            rows.append([Cell(label), Cell(now, href=card["href"], testid=f"summary-{code}"),
                         Cell(before, href=card["before_href"]), Cell(now - before),
                         Cell(change, f"{change:+.1f}%" if change is not None else "—")])
    return Block("summary", "主要指标", ["指标", "本期", "去年同期", "增减", "增减幅度（%）"], rows, wide=True,
                 note="三下降：信访事项、重复信访、越级信访较去年同期下降为好（绿色↓）。")


def _month_label(m: dt.date) -> str:
    return f"{m:%Y-%m}"


def _trend_block(months: list[dict[str, Any]], previous: list[dict[str, Any]], scope: Scope) -> Block:
    rows, cats = [], []
    measures = (("petitions", "信访事项", {"kind": "petition"}), ("repeat", "重复信访", {"flag": "repeat", "kind": "petition"}),
                ("skip_level", "越级信访", {"flag": "skip_level", "kind": "petition"}))
    series: dict[str, list[int]] = {}
    for now, before in zip(months, previous, strict=False):
        m, pm = now["month"], before["month"]
        cats.append(_month_label(m))
        row = [Cell(_month_label(m))]
        for code, _label, filt in measures:
            row.append(Cell(now[code], href=cases_link(scope, start=m, end=selectors.month_end(m), **filt),
                            testid=f"trend-{code}-{_month_label(m)}"))
            row.append(Cell(before[code], href=cases_link(scope, start=pm, end=selectors.month_end(pm), **filt)))
            series.setdefault(code, []).append(now[code])
            series.setdefault(code + "_prev", []).append(before[code])
        rows.append(row)
    headers = ["月份"]
    chart_series = []
    for code, label, _ in measures:
        headers += [label, f"{label}（去年同期）"]
        chart_series += [_series(label, series.get(code, [])),
                         _series(f"{label}（去年同期）", series.get(code + "_prev", []), dashed=True)]
    return Block("trend", "月度趋势（三下降，同比）", headers, rows,
                 {"type": "line", "categories": cats, "series": chart_series}, wide=True)


def _share_rows(counts: dict[str, int], labels: dict[str, str], link: Callable[[str], str] | None) -> list[list[Cell]]:
    total = sum(counts.values())
    rows = []
    for value, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if not n:
            continue
        rows.append([Cell(labels.get(value, value or "未分类")), Cell(n, href=link(value) if link and value else ""),
                     pct(n / total if total else None)])
    return rows


def _pie(rows: list[list[Cell]]) -> dict[str, Any]:
    return {"type": "pie", "series": [_series("", [{"name": r[0].text, "value": r[1].value} for r in rows])]}


def _breakdown_blocks(scope: Scope) -> list[Block]:
    from fangtiao.cases.choices import Channel
    from fangtiao.org.models import DisputeCategory

    channel = selectors.breakdown(scope.path, "channel", scope.first, scope.last)
    category = selectors.breakdown(scope.path, "category", scope.first, scope.last)
    level = selectors.breakdown(scope.path, "level", scope.first, scope.last)
    names = dict(DisputeCategory.objects.values_list("code", "name"))
    ch_rows = _share_rows({k: v["total"] for k, v in channel.items()}, dict(Channel.choices),
                          lambda v: cases_link(scope, channel=v))
    cat_rows = _share_rows({k: v["total"] for k, v in category.items()}, names, lambda v: cases_link(scope, category=v))
    lvl_rows = _share_rows({k: v["total"] for k, v in level.items()}, LEVEL_LABELS, None)
    blocks = [
        Block("channel", "按来源渠道", ["来源渠道", "事项数", "占比（%）"], ch_rows, _pie(ch_rows)),
        Block("category", "按纠纷类型", ["纠纷类型", "事项数", "占比（%）"], cat_rows,
              {"type": "bar", "horizontal": True, "categories": [r[0].text for r in cat_rows],
               "series": [_series("事项数", [r[1].value for r in cat_rows])]}),
        Block("level", "按登记层级", ["登记单位层级", "事项数", "占比（%）"], lvl_rows, _pie(lvl_rows),
              note="事项按登记单位的层级归类（整月）。"),
    ]
    agreed_total = sum(v["mediation_agreed"] for v in level.values())
    res_rows = []
    whole = {"start": scope.first, "end": selectors.month_end(scope.last), "on": "mediated"}
    for lv in sorted(level, key=lambda x: LEVEL_ORDER.index(x) if x in LEVEL_ORDER else 99):
        c = level[lv]
        if not c["mediated"]:
            continue
        linked = lv in MEDIATION_LEVELS
        res_rows.append([Cell(LEVEL_LABELS.get(lv, lv)),
                         Cell(c["mediated"], href=cases_link(scope, mediation_level=lv, **whole) if linked else "",
                              testid=f"resolution-mediated-{lv}"),
                         Cell(c["mediation_agreed"], testid=f"resolution-agreed-{lv}",
                              href=cases_link(scope, mediation_level=lv, mediation_outcome="agreed", **whole) if linked else ""),
                         pct(ratio(c["mediation_agreed"], c["mediated"])),
                         pct(ratio(c["mediation_agreed"], agreed_total))])
    blocks.append(Block("resolution", "化解层级（调解成功在各级的占比）",
                        ["调解组织层级", "调解终结", "调解成功", "调解成功率（%）", "占全部调解成功（%）"], res_rows,
                        {"type": "pie", "series": [_series("调解成功", [{"name": r[0].text, "value": r[2].value}
                                                                       for r in res_rows])]},
                        note="小事不出村、大事不出镇：村级占比越高越好。"))
    return blocks


def _monthly_blocks(months: list[dict[str, Any]], scope: Scope) -> list[Block]:
    cats = [_month_label(m["month"]) for m in months]

    def cell(m: dict[str, Any], code: str, on: str, **filters: str) -> Cell:
        """A month's count, linked to its cases (the whole month on the figure's own day)."""
        month = m["month"]
        return Cell(m[code], href=cases_link(scope, start=month, end=selectors.month_end(month), on=on, **filters),
                    testid=f"{code}-{_month_label(month)}")

    med = [[Cell(_month_label(m["month"])), cell(m, "mediated", "mediated"),
            cell(m, "mediation_agreed", "mediated", mediation_outcome="agreed"),
            pct(ratio(m["mediation_agreed"], m["mediated"]))] for m in months]
    conf = [[Cell(_month_label(m["month"])), cell(m, "confirmations", "confirmed"), Cell(m["confirmations_performed"]),
             pct(ratio(m["confirmations_performed"], m["confirmations"]))] for m in months]
    back = [[Cell(_month_label(m["month"])), cell(m, "backlog_marked", "backlog_marked"),
             cell(m, "backlog_resolved", "backlog_resolved")] for m in months]
    return [
        Block("mediation", "调解成效", ["月份", "调解终结", "调解成功", "调解成功率（%）"], med,
              {"type": "bar", "categories": cats, "series": [_series("调解终结", [r[1].value for r in med]),
                                                             _series("调解成功", [r[2].value for r in med])]}),
        Block("confirmations", "司法确认与履行", ["月份", "司法确认", "确认后已履行", "履行率（%）"], conf,
              {"type": "bar", "categories": cats, "series": [_series("司法确认", [r[1].value for r in conf]),
                                                             _series("确认后已履行", [r[2].value for r in conf])]}),
        Block("backlog", "信访积案认定与化解", ["月份", "认定积案", "化解积案"], back,
              {"type": "bar", "categories": cats, "series": [_series("认定积案", [r[1].value for r in back]),
                                                             _series("化解积案", [r[2].value for r in back])]}),
    ]


def warning_counts(*, user: Any, path: str) -> dict[tuple[str, str], int]:
    """Active early warnings under `path` by (kind, level), counted in the database (one query)."""
    from fangtiao.cases.access import region_path_q
    from fangtiao.screening.choices import ACTIVE_WARNING
    from fangtiao.screening.models import EarlyWarning

    qs = EarlyWarning.objects.filter(status__in=ACTIVE_WARNING, region_path__startswith=path)
    scope_q = region_path_q(user)
    if scope_q is not None:
        qs = qs.filter(scope_q)
    return {(r["kind"], r["level"]): r["n"] for r in qs.values("kind", "level").annotate(n=Count("id")).order_by()}


def _warnings_block(request: HttpRequest, scope: Scope) -> Block:
    from fangtiao.screening.choices import Level, WarningKind

    counts = warning_counts(user=request.user, path=scope.path)
    linkable = has_capability(request.user, "warning.view")

    def link(**q: str) -> str:
        if not linkable:
            return ""
        if scope.region:
            q["region"] = scope.region
        return f"{reverse('screening:warnings')}?{urlencode(q)}"

    rows = []
    for kind, label in WarningKind.choices:
        row = [Cell(label)]
        for level, _ in Level.choices:
            n = counts.get((kind, level), 0)
            row.append(Cell(n, href=link(kind=kind, level=level) if n else ""))
        total = sum(counts.get((kind, lv), 0) for lv, _ in Level.choices)
        row.append(Cell(total, href=link(kind=kind) if total else ""))
        rows.append(row)
    totals = [sum(counts.get((k, lv), 0) for k, _ in WarningKind.choices) for lv, _ in Level.choices]
    rows.append([Cell("合计"), *(Cell(n, href=link(level=lv) if n else "") for n, (lv, _) in zip(totals, Level.choices,
                                                                                               strict=True)),
                 Cell(sum(totals), href=link() if sum(totals) else "", testid="warnings-total")])
    colors = {"red": "#d63939", "orange": "#f76707", "yellow": "#f59f00"}
    return Block("warnings", "当前预警（待签收和处置中）", ["预警类型", *(lbl for _, lbl in Level.choices), "合计"], rows,
                 {"type": "bar", "stack": True, "categories": [lbl for _, lbl in WarningKind.choices],
                  "series": [_series(lbl, [counts.get((k, lv), 0) for k, _ in WarningKind.choices], color=colors[lv])
                             for lv, lbl in Level.choices]},
                 note="当前状态，不随统计期间变化。")


@login_required
@require_GET
@reporting_reads()
def overview(request: HttpRequest) -> HttpResponse:
    """领导驾驶舱: the summary against the same period a year earlier, the monthly trend of the
    three declines with last year's line, the breakdowns, mediation, confirmations, backlog and
    the warnings standing now."""
    scope = _scope(request)
    s = selectors.summary(scope.path, scope.start, scope.end)
    cards = _cards(s, scope)
    months = selectors.monthly(scope.path, scope.first, scope.last)
    p_first, p_last = selectors.year_earlier(scope.first), selectors.year_earlier(scope.last)
    previous = selectors.monthly(scope.path, p_first, p_last)
    blocks = [_summary_block(s, cards), _trend_block(months, previous, scope), *_breakdown_blocks(scope),
              *_monthly_blocks(months, scope), _warnings_block(request, scope)]
    p_start, p_end = scope.previous
    return _page(request, template="stats/overview.html", title="领导驾驶舱", scope=scope, blocks=blocks,
                 extra={"cards": cards, "previous_start": p_start, "previous_end": p_end, "source": s["source"]})


# --- the townships ------------------------------------------------------------------------------------

TOWNSHIP_COLS: tuple[tuple[str, str, bool, dict[str, str] | None], ...] = (
    ("total", "事项总数", False, {}),
    ("petitions", "信访事项", False, {"kind": "petition"}),
    ("repeat", "重复信访", False, {"flag": "repeat", "kind": "petition"}),
    ("skip_level", "越级信访", False, {"flag": "skip_level", "kind": "petition"}),
    ("collective", "集体访", False, {"flag": "collective"}),
    ("repeat_rate", "重复信访率（%）", True, CASE_FILTERS["repeat_rate"]),
    ("accepted_on_time_rate", "及时受理率（%）", True, CASE_FILTERS["accepted_on_time_rate"]),
    ("closed_on_time_rate", "按期办结率（%）", True, CASE_FILTERS["closed_on_time_rate"]),
    ("satisfaction_rate", "满意率（%）", True, CASE_FILTERS["satisfaction_rate"]),
    ("mediated", "调解终结", False, CASE_FILTERS["mediated"]),
    ("mediation_success_rate", "调解成功率（%）", True, CASE_FILTERS["mediation_success_rate"]),
    ("village_level_share", "村级调解成功占比（%）", True, CASE_FILTERS["village_level_share"]),
    ("confirmations", "司法确认", False, CASE_FILTERS["confirmations"]),
    ("backlog_resolved", "化解积案", False, CASE_FILTERS["backlog_resolved"]),
    ("consultations", "法律咨询", False, None),
)


def township_rows(scope: Scope) -> list[dict[str, Any]]:
    """One row per bucket (each township, and the district's own matters) under the scope."""
    from fangtiao.org.models import Region

    buckets = selectors.by_bucket(scope.path, scope.first, scope.last)
    regions = {r["path"]: r for r in Region.objects.filter(path__in=list(buckets)).values("path", "code", "name", "level")}
    out = []
    for path, counts in buckets.items():
        r = regions.get(path)
        if r is None:
            continue
        own = r["level"] != "township"
        out.append({"path": path, "code": r["code"], "name": r["name"] + ("（本级）" if own else ""), "own": own,
                    **figures(counts, 0)})
    return out


@login_required
@require_GET
@reporting_reads()
def townships(request: HttpRequest) -> HttpResponse:
    """乡镇（街道）对比: one row per township with the headline counts and rates, sortable."""
    scope = _scope(request)
    rows = township_rows(scope)
    keys = [c[0] for c in TOWNSHIP_COLS]
    sort = request.GET.get("sort", "")
    if sort not in keys:
        sort = ""
    desc = request.GET.get("dir", "desc") != "asc"
    if sort:
        with_value = [r for r in rows if r[sort] is not None]
        rows = sorted(with_value, key=lambda r: (r[sort], r["name"]), reverse=desc) + [r for r in rows if r[sort] is None]
    table = []
    for r in rows:
        first = Cell(r["name"], href="" if r["own"] else
                     f"{reverse('stats:overview')}?{urlencode({**scope.query, 'region': r['code']})}",
                     testid=f"township-{r['code']}")
        cells = [first]
        for key, _label, is_rate, filt in TOWNSHIP_COLS:
            # Whole months, as the rollup buckets count; a rate links to its numerator's cases.
            href = (cases_link(scope, region=r["code"], end=selectors.month_end(scope.last), **filt)
                    if filt is not None and not r["own"] and (not is_rate or r[key] is not None) else "")
            if is_rate:
                cell = pct(r[key])
                cell.href = href
                cells.append(cell)
            else:
                cells.append(Cell(r[key], href=href, testid=f"{key}-{r['code']}"))
        table.append(cells)
    headers = ["乡镇（街道）", *(c[1] for c in TOWNSHIP_COLS)]
    chart = {"type": "bar", "categories": [r["name"] for r in rows],
             "series": [_series("信访事项", [r["petitions"] for r in rows]), _series("重复信访", [r["repeat"] for r in rows]),
                        _series("越级信访", [r["skip_level"] for r in rows])]}
    block = Block("townships", "乡镇（街道）对比", headers, table, chart, wide=True,
                  note="按整月汇总；事项按发生地归入所在乡镇（街道），区本级为发生地在区级的事项。")
    links = [""]
    for i, (key, *_) in enumerate(TOWNSHIP_COLS, start=1):
        next_dir = "asc" if sort == key and desc else "desc"
        if sort == key:
            block.header_marks[i] = "↓" if desc else "↑"
        links.append("?" + urlencode({**scope.query, "sort": key, "dir": next_dir}))
    block.header_links = links
    query = urlencode({**scope.query, **({"sort": sort, "dir": "desc" if desc else "asc"} if sort else {})})
    return _page(request, template="stats/townships.html", title="乡镇对比", scope=scope, blocks=[block],
                 extra={"sort": sort, "query": query})


# --- the mediators -------------------------------------------------------------------------------------

EXPORT_PAGES = 200  # 20,000 mediators in one workbook

@login_required
@require_GET
@reporting_reads()
def mediators(request: HttpRequest) -> HttpResponse:
    """调解员工作量与成效: per mediator in the caller's jurisdiction (a committee head: the own
    committee), the figures of `stats.people`, with a pinyin-initial search by name."""
    scope = _scope(request)
    q = "".join(ch for ch in request.GET.get("q", "") if ch.isprintable()).strip()[:50]
    try:
        page = max(1, min(int(request.GET.get("page") or 1), 100_000))
    except ValueError:
        page = 1
    total = people.mediator_count(user=request.user, path=scope.path, q=q)
    pages = max(1, -(-total // people.PAGE_SIZE))
    page = min(page, pages)
    if request.GET.get("export") == "xlsx":  # every mediator, a page of aggregates at a time
        rows = []
        for n in range(1, min(pages, EXPORT_PAGES) + 1):
            rows += people.mediator_figures(user=request.user, path=scope.path, start=scope.start, end=scope.end, q=q,
                                            page=n)
    else:
        rows = people.mediator_figures(user=request.user, path=scope.path, start=scope.start, end=scope.end, q=q,
                                       page=page)
    table = []
    for r in rows:
        table.append([
            Cell(r["name"], href=reverse("org:mediator", args=[r["id"]]), testid=f"mediator-{r['id']}"),
            Cell(r["unit"]), Cell(r["led"], testid=f"led-{r['id']}"), Cell(r["concluded"]), Cell(r["agreed"]),
            pct(r["success_rate"]), Cell(r["avg_days"]), Cell(r["follow_ups"]), pct(r["satisfaction_rate"]),
            Cell(r["open_now"]),
        ])
    headers = ["调解员", "所属调委会", "主持调解", "调解终结", "调解成功", "调解成功率（%）", "平均用时（天）",
               "回访", "回访满意率（%）", "在办"]
    top = sorted(rows, key=lambda r: (-r["led"], -r["concluded"], r["name"]))[:20]
    chart = {"type": "bar", "categories": [r["name"] for r in top],
             "series": [_series("主持调解", [r["led"] for r in top]), _series("调解终结", [r["concluded"] for r in top]),
                        _series("调解成功", [r["agreed"] for r in top])]}
    block = Block("mediators", "调解员工作量与成效", headers, table, chart, wide=True,
                  note="主持调解按开始日、终结与成功按结束日、回访按回访日计入期间；在办为当前状态。")
    return _page(request, template="stats/mediators.html", title="调解员统计", scope=scope, blocks=[block],
                 extra={"q": q, "query": urlencode({**scope.query, **({"q": q} if q else {})}),
                        "page": page, "pages": pages, "total": total,
                        "page_query": urlencode({**scope.query, **({"q": q} if q else {})})})
