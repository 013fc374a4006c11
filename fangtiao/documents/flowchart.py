"""工作流程图, drawn from the lifecycle table itself (cases.workflow.TRANSITIONS, which joins the
mediation rows) and the clock rule table, so the chart cannot drift from what the system enforces.

Layout: one box per state, in lifecycle order, down the left; beside each box, every action that
leaves that state: its label, where it leads, who may take it, the statutory clocks it starts
(with their periods and sources) and the documents it produces (documents.catalogue). Arrows
join a state to the next one on the main line when an action leads there. The same geometry is
written as SVG (for the page) and drawn into a PDF (for printing), so both show the same chart.
A fingerprint of the table is printed at the foot: two charts with the same fingerprint show the
same rules."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from fangtiao.cases.choices import Status
from fangtiao.org.choices import Role

log = logging.getLogger(__name__)

WIDTH = 297.0          # mm (A3 width: the chart is printed on A3, one tall page)
BOX_X, BOX_W = 10.0, 52.0
TEXT_X = 68.0
LINE_H = 4.6
FONT = 3.0             # mm (about 8.5 pt)
CHARS_PER_LINE = 70    # CJK characters that fit between TEXT_X and the right margin at FONT
MAIN_LINE = ("registered", "accepted", "transferring", "mediating", "agreed", "confirming", "performing",
             "performed", "closed", "archived")


@dataclass
class Box:
    state: str
    label: str
    y: float
    h: float
    lines: list[tuple[str, bool]] = field(default_factory=list)  # (text, is the action's first line)


@dataclass
class Chart:
    title: str
    subtitle: str
    boxes: list[Box]
    arrows: list[tuple[float, float, float]]  # x, y1, y2
    legend: list[str]
    footer: str
    height: float


def _wrap(text: str, width: int = CHARS_PER_LINE) -> list[str]:
    lines, cur, n = [], "", 0.0
    for ch in text:
        w = 1.0 if ord(ch) > 0x2E80 else 0.55
        if n + w > width:
            lines.append(cur)
            cur, n = "", 0.0
            if ch == " ":
                continue
        cur += ch
        n += w
    if cur:
        lines.append(cur)
    return lines


def _rules() -> dict[str, dict[str, object]]:
    """The clock rules in force (the district-wide rows an administrator may have edited), else the seeds."""
    from fangtiao.clocks.rules import SEED_RULES

    rules = {str(r["code"]): dict(r) for r in SEED_RULES}
    try:
        from fangtiao.clocks.models import ClockRule

        for r in ClockRule.objects.filter(region__isnull=True, active=True).values("code", "name", "days", "working_days", "source"):
            rules[r["code"]] = {**rules.get(r["code"], {}), **r}
    except Exception:  # no database (docs generation): the seeds are the law's figures
        log.debug("clock rules not readable; the chart uses the seeded rules", exc_info=True)
    return rules


def _period(rule: dict[str, object]) -> str:
    return f"{rule['days']}{'个工作日' if rule.get('working_days') else '日'}"


def fingerprint() -> str:
    from fangtiao.cases.workflow import TRANSITIONS

    rows = sorted((t.action, tuple(sorted(t.sources)), t.target or "", tuple(sorted(t.roles)), t.starts, t.stops)
                  for t in TRANSITIONS)
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:12]


def build() -> Chart:
    from fangtiao.cases.workflow import TRANSITIONS
    from fangtiao.documents import catalogue

    rules = _rules()
    produced: dict[str, list[str]] = {}
    for d in catalogue.all_types():
        for action in d.produced_by:
            produced.setdefault(action, []).append(d.title)
    by_state: dict[str, list[object]] = {s.value: [] for s in Status}
    for t in TRANSITIONS:
        for s in sorted(t.sources):
            by_state.setdefault(s, []).append(t)
    boxes: list[Box] = []
    y = 34.0
    used_clocks: list[str] = []
    for state in Status:
        lines: list[tuple[str, bool]] = []
        for t in by_state.get(state.value, []):
            targets = [t.target] if t.target else sorted(t.extra.get("targets", []))
            dest = "、".join(Status(x).label for x in targets) if targets else "（视情况而定）"
            who = "、".join(Role(r).label for r in sorted(t.roles))
            parts = [f"▶ {t.label} → {dest}", f"办理：{who}"]
            for code in t.starts:
                rule = rules.get(code)
                if rule:
                    parts.append(f"时限：{rule['name']} {_period(rule)}（{rule['source']}）")
                    if code not in used_clocks:
                        used_clocks.append(code)
            if produced.get(t.action):
                parts.append("文书：" + "、".join(produced[t.action]))
            for i, line in enumerate(_wrap("；".join(parts))):
                lines.append((line, i == 0))
        if state.value == "registered" and produced.get("register"):
            lines.insert(0, ("登记即出具：" + "、".join(produced["register"]), True))
        h = max(12.0, len(lines) * LINE_H + 5)
        boxes.append(Box(state.value, state.label, y, h, lines))
        y += h + 6
    pos = {b.state: b for b in boxes}
    arrows = []
    for a, b in zip(MAIN_LINE, MAIN_LINE[1:], strict=False):
        leads = any(t.target == b or b in t.extra.get("targets", ()) for t in TRANSITIONS if a in t.sources)
        if leads and a in pos and b in pos and boxes.index(pos[b]) == boxes.index(pos[a]) + 1:
            arrows.append((BOX_X + BOX_W / 2, pos[a].y + pos[a].h, pos[b].y))
    legend = [f"{rules[c]['name']}：{_period(rules[c])}（{rules[c]['source']}）" for c in used_clocks]
    legend_lines = [line for item in legend for line in _wrap("● " + item, 95)]
    height = y + 12 + len(legend_lines) * LINE_H + 16
    return Chart(
        title="访调对接工作流程图",
        subtitle=f"由系统状态机自动生成：{len(boxes)}个状态、{len(TRANSITIONS)}项操作；时限按现行规则表",
        boxes=boxes, arrows=arrows, legend=legend_lines,
        footer=f"规则指纹 {fingerprint()}", height=height,
    )


def render_svg(chart: Chart | None = None) -> str:
    c = chart or build()
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {c.height:.1f}" '
           f'width="{WIDTH}mm" height="{c.height:.1f}mm" role="img" aria-label="{escape(c.title)}" '
           'font-family="Noto Serif CJK SC, Source Han Serif SC, SimSun, serif">',
           '<defs><marker id="arrow" markerWidth="6" markerHeight="6" refX="5" refY="3" orient="auto">'
           '<path d="M0,0 L6,3 L0,6 z" fill="#1d4ed8"/></marker></defs>',
           f'<rect width="{WIDTH}" height="{c.height:.1f}" fill="#fff"/>',
           f'<text x="{WIDTH / 2}" y="16" font-size="8" font-weight="bold" text-anchor="middle">{escape(c.title)}</text>',
           f'<text x="{WIDTH / 2}" y="24" font-size="3.4" text-anchor="middle" fill="#444">{escape(c.subtitle)}</text>']
    for b in c.boxes:
        main = b.state in MAIN_LINE
        out.append(f'<g data-state="{b.state}"><rect x="{BOX_X}" y="{b.y:.1f}" width="{BOX_W}" height="{b.h:.1f}" rx="2" '
                   f'fill="{"#eff6ff" if main else "#f8fafc"}" stroke="{"#1d4ed8" if main else "#64748b"}" stroke-width="0.5"/>')
        out.append(f'<text x="{BOX_X + BOX_W / 2}" y="{b.y + b.h / 2 + 1.5:.1f}" font-size="4.2" font-weight="bold" '
                   f'text-anchor="middle">{escape(b.label)}</text>')
        for i, (line, first) in enumerate(b.lines):
            ty = b.y + 5 + i * LINE_H
            weight = ' font-weight="bold"' if first else ""
            out.append(f'<text x="{TEXT_X}" y="{ty:.1f}" font-size="{FONT}"{weight}>{escape(line)}</text>')
        if b.lines:
            out.append(f'<line x1="{BOX_X + BOX_W}" y1="{b.y + b.h / 2:.1f}" x2="{TEXT_X - 2}" y2="{b.y + b.h / 2:.1f}" '
                       'stroke="#94a3b8" stroke-width="0.3" stroke-dasharray="1,1"/>')
        out.append("</g>")
    for x, y1, y2 in c.arrows:
        out.append(f'<line x1="{x}" y1="{y1:.1f}" x2="{x}" y2="{y2 - 0.8:.1f}" stroke="#1d4ed8" stroke-width="0.6" '
                   'marker-end="url(#arrow)"/>')
    ly = c.boxes[-1].y + c.boxes[-1].h + 12 if c.boxes else 40
    out.append(f'<text x="{BOX_X}" y="{ly:.1f}" font-size="4" font-weight="bold">法定时限</text>')
    for i, line in enumerate(c.legend):
        out.append(f'<text x="{BOX_X}" y="{ly + 6 + i * LINE_H:.1f}" font-size="{FONT}">{escape(line)}</text>')
    out.append(f'<text x="{WIDTH - 10}" y="{c.height - 6:.1f}" font-size="2.6" text-anchor="end" fill="#666">'
               f'{escape(c.footer)}</text>')
    out.append("</svg>")
    return "\n".join(out)


_PDF_CACHE: dict[str, bytes] = {}


def render_pdf(chart: Chart | None = None) -> bytes:
    """The chart as a one-page PDF (cached per chart: drawing it embeds a large font subset)."""
    c = chart or build()
    key = hashlib.sha256(repr(c).encode()).hexdigest()
    if key not in _PDF_CACHE:
        _PDF_CACHE.clear()
        _PDF_CACHE[key] = _draw_pdf(c)
    return _PDF_CACHE[key]


def _draw_pdf(c: Chart) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import TextMode

    from fangtiao.documents.fonts import find_fonts

    face = find_fonts().regular
    pdf = FPDF(orientation="P", unit="mm", format=(WIDTH, c.height))
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", "", face.path, collection_font_number=face.index)
    pdf.set_creation_date(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    pdf.set_title(c.title)
    pdf.set_producer("访调通")
    pdf.set_lang("zh-CN")
    pdf.add_page()
    pt = 1 / 0.3528  # mm → pt

    def text(x: float, y: float, s: str, size: float, *, bold: bool = False, align: str = "L") -> None:
        pdf.set_font("cjk", size=size * pt)
        w = pdf.get_string_width(s)
        x0 = x - w / 2 if align == "C" else (x - w if align == "R" else x)
        with pdf.local_context():
            if bold:
                pdf.text_mode = TextMode.FILL_STROKE
                pdf.set_line_width(size * 0.04)
            pdf.text(x0, y, s)

    text(WIDTH / 2, 16, c.title, 8, bold=True, align="C")
    text(WIDTH / 2, 24, c.subtitle, 3.4, align="C")
    for b in c.boxes:
        main = b.state in MAIN_LINE
        pdf.set_draw_color(*((29, 78, 216) if main else (100, 116, 139)))
        pdf.set_fill_color(*((239, 246, 255) if main else (248, 250, 252)))
        pdf.set_line_width(0.5)
        pdf.rect(BOX_X, b.y, BOX_W, b.h, style="DF", round_corners=True, corner_radius=2)
        text(BOX_X + BOX_W / 2, b.y + b.h / 2 + 1.5, b.label, 4.2, bold=True, align="C")
        for i, (line, first) in enumerate(b.lines):
            text(TEXT_X, b.y + 5 + i * LINE_H, line, FONT, bold=first)
    pdf.set_draw_color(29, 78, 216)
    pdf.set_fill_color(29, 78, 216)
    pdf.set_line_width(0.6)
    for x, y1, y2 in c.arrows:
        pdf.line(x, y1, x, y2 - 1.5)
        pdf.polygon([(x - 1.2, y2 - 1.8), (x + 1.2, y2 - 1.8), (x, y2)], style="F")
    ly = c.boxes[-1].y + c.boxes[-1].h + 12 if c.boxes else 40
    text(BOX_X, ly, "法定时限", 4, bold=True)
    for i, line in enumerate(c.legend):
        text(BOX_X, ly + 6 + i * LINE_H, line, FONT)
    text(WIDTH - 10, c.height - 6, c.footer, 2.6, align="R")
    return bytes(pdf.output())
