"""Layout → PDF (fpdf2): A4, the CJK font embedded as a subset (fonts.py), page numbers at the
foot (GB/T 9704 §7.5: 4号 with a dash each side). Deterministic: the same layout gives the same
bytes (the creation date is the document's own date, and the file id hashes the content)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator

from fpdf import FPDF
from fpdf.enums import TextMode, WrapMode, XPos, YPos

from fangtiao.documents import layout as L
from fangtiao.documents.fonts import find_fonts

PT = 0.3528  # mm per point
FAMILY = "cjk"
_ALIGN = {"left": "L", "center": "C", "right": "R", "justify": "J"}


class _PDF(FPDF):
    def footer(self) -> None:
        self.set_y(-22)
        self.set_font(FAMILY, size=L.SMALL_PT)
        self.cell(0, 6, f"— {self.page_no()} —", align="C")


def new_pdf(*, title: str, day: dt.date | None) -> FPDF:
    fonts = find_fonts()
    pdf = _PDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(L.MARGIN_LEFT, L.MARGIN_TOP, L.MARGIN_RIGHT)
    pdf.set_auto_page_break(True, margin=L.MARGIN_BOTTOM)
    pdf.add_font(FAMILY, "", fonts.regular.path, collection_font_number=fonts.regular.index)
    day = day or dt.date(2000, 1, 1)
    pdf.set_creation_date(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))
    pdf.set_producer("访调通")
    pdf.set_creator("访调通")
    pdf.set_title(title)
    pdf.set_lang("zh-CN")
    return pdf


@contextlib.contextmanager
def _bold(pdf: FPDF, on: bool = True, size: float = L.BODY_PT) -> Iterator[None]:
    """Bold by stroking the outlines: one embedded face instead of two halves the rendering time
    (loading and subsetting a CJK face is most of it)."""
    if not on:
        yield
        return
    with pdf.local_context():
        pdf.text_mode = TextMode.FILL_STROKE
        pdf.set_line_width(size * 0.016)
        yield


# 禁则 (line-breaking rules of Chinese typesetting): these never begin a line, those never end one;
# ASCII words and numbers (300.00元, 2026) are not split.
_NO_START = frozenset("，。、；：？！）》」』】〕〉”’…—·%,.;:?!)]}")
_NO_END = frozenset("（《「『【〔〈“‘([{")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.,:%/+\-]*|.", re.S)


def break_lines(pdf: FPDF, text: str, width: float) -> list[str]:
    """`text` broken into lines no wider than `width` (mm) at the current font, by the 禁则: a
    closing mark that would begin a line takes the previous character down with it (推出), an
    opening mark at a line's end moves down, an ASCII run moves whole unless it alone is too wide."""
    lines: list[str] = []
    cur = ""
    for tok in _TOKEN.findall(text):
        if not cur or pdf.get_string_width(cur + tok) <= width:
            cur += tok
            continue
        if len(tok) > 1 and pdf.get_string_width(tok) > width:  # a run longer than a line: split it
            for ch in tok:
                if pdf.get_string_width(cur + ch) > width and cur:
                    lines.append(cur)
                    cur = ""
                cur += ch
            continue
        carry = ""
        if tok in _NO_START and len(cur) > 1:
            carry, cur = cur[-1], cur[:-1]
        while len(cur) > 1 and cur[-1] in _NO_END:
            carry, cur = cur[-1] + carry, cur[:-1]
        lines.append(cur)
        cur = carry + tok
    lines.append(cur)
    return lines


def _wrapped(pdf: FPDF, text: str, width: float) -> str:
    return "\n".join(line for para in text.split("\n") for line in break_lines(pdf, para, width))


def _line_h(size: float) -> float:
    return size * PT * 1.65


def _text(pdf: FPDF, b: L.Text) -> None:
    pdf.set_font(FAMILY, "", b.size)
    width = L.TEXT_W - 2 * pdf.c_margin - 0.2
    for para in (b.text or " ").split("\n"):
        body = ("\u3000\u3000" + para) if b.indent and para else (para or " ")
        lines = break_lines(pdf, body, width)
        # justified lines stay justified; a paragraph's last line is not stretched
        with _bold(pdf, b.bold, b.size):
            for i, line in enumerate(lines):
                align = _ALIGN[b.align]
                if align == "J" and i == len(lines) - 1:
                    align = "L"
                pdf.multi_cell(0, _line_h(b.size), line or " ", align=align, wrapmode=WrapMode.CHAR,
                               new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(b.space_after * PT)


def _table(pdf: FPDF, b: L.Table) -> None:
    """A ruled table. A cell too long for a page (a 20,000-character statement of facts) cannot be one
    table row: it says 「见表后」 and its text follows the table as paragraphs under the row's label."""
    pdf.set_font(FAMILY, "", b.size)
    total = sum(b.widths)
    lh = _line_h(b.size)
    limit = (L.PAGE_H - L.MARGIN_TOP - L.MARGIN_BOTTOM) * 0.6
    rows: list[list[tuple[L.Cell, str]]] = []
    overflow: list[tuple[str, str]] = []
    for cells in b.rows:
        out, col = [], 0
        for c in cells:
            width = L.TEXT_W * sum(b.widths[col:col + c.span]) / total - 3.0 - 0.05  # fpdf2: padding, no c_margin
            text = _wrapped(pdf, c.text, width) if c.text else " "
            if text.count("\n") * lh > limit:
                label = next((x.text for x in cells if x.bold and x.text), "") or "续"
                overflow.append((label, c.text))
                text = "（内容较长，见表后）"
            out.append((c, text))
            col += c.span
        rows.append(out)
    with pdf.table(col_widths=b.widths, width=L.TEXT_W, first_row_as_headings=False, wrapmode=WrapMode.CHAR,
                   line_height=lh, padding=(1.2, 1.5), text_align="LEFT", v_align="MIDDLE",
                   min_row_height=b.min_height) as table:
        for out in rows:
            r = table.row()
            for c, text in out:
                png = L.png_bytes(c.image) if c.image else None
                if png:
                    r.cell(img=io.BytesIO(png), colspan=c.span, img_fill_width=False)
                else:
                    r.cell(text, colspan=c.span, align=_ALIGN[c.align])
    pdf.ln(3)
    for label, text in overflow:
        _text(pdf, L.Text(f"{label}：", bold=True, align="left"))
        _text(pdf, L.Text(text, indent=True))


def _signatures(pdf: FPDF, b: L.Signatures) -> None:
    pdf.set_font(FAMILY, "", L.BODY_PT)
    h = 16.0 if b.fingerprint else 11.0
    for who, how in b.lines:
        if pdf.will_page_break(h):
            pdf.add_page()
        y = pdf.get_y()
        caption = f"{who}（{how}）：" if how else f"{who}："
        pdf.set_xy(L.MARGIN_LEFT, y + h - 9)
        pdf.cell(0, 7, caption)
        start = L.MARGIN_LEFT + pdf.get_string_width(caption) + 2
        end = L.MARGIN_LEFT + L.TEXT_W - (18 if b.fingerprint else 0)
        if end - start > 8:
            pdf.line(start, y + h - 2.5, end, y + h - 2.5)
        if b.fingerprint:
            pdf.rect(L.MARGIN_LEFT + L.TEXT_W - 15, y + 1, 15, 15)
            pdf.set_font(FAMILY, "", 7)
            pdf.set_xy(L.MARGIN_LEFT + L.TEXT_W - 15, y + 12)
            pdf.cell(15, 3, "指印", align="C")
            pdf.set_font(FAMILY, "", L.BODY_PT)
        pdf.set_xy(L.MARGIN_LEFT, y + h)
    pdf.ln(2)


def _seal(pdf: FPDF, b: L.Seal) -> None:
    pdf.set_font(FAMILY, "", L.BODY_PT)
    need = 2 * _line_h(L.BODY_PT) + 3
    if pdf.will_page_break(need + 6):
        # GB/T 9704 §7.3.5.1: the seal is not left alone on a page; close up rather than break
        if not pdf.will_page_break(need):
            pdf.ln(1)
        else:
            pdf.add_page()
    else:
        pdf.ln(6)
    pdf.multi_cell(0, _line_h(L.BODY_PT), f"{b.unit}{b.note}", align="R", wrapmode=WrapMode.CHAR,
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.multi_cell(0, _line_h(L.BODY_PT), b.date, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _cut(pdf: FPDF, b: L.Cut) -> None:
    pdf.ln(4)
    y = pdf.get_y() + 3
    pdf.set_font(FAMILY, "", L.SMALL_PT)
    with pdf.local_context():
        pdf.set_dash_pattern(dash=1.5, gap=1.5)
        pdf.line(L.MARGIN_LEFT, y, L.MARGIN_LEFT + L.TEXT_W, y)
    w = pdf.get_string_width(b.label) + 4
    pdf.set_fill_color(255, 255, 255)
    pdf.set_xy(L.MARGIN_LEFT + (L.TEXT_W - w) / 2, y - 3)
    pdf.cell(w, 6, b.label, align="C", fill=True)
    pdf.set_xy(L.MARGIN_LEFT, y + 6)


def draw(pdf: FPDF, doc: L.Doc) -> None:
    """Append `doc` to `pdf`, starting on a new page (batch printing draws many into one file)."""
    pdf.add_page()
    with _bold(pdf, size=L.TITLE_PT):
        if doc.heading:
            pdf.set_font(FAMILY, "", 16)
            pdf.multi_cell(0, _line_h(16), doc.heading, align="C", wrapmode=WrapMode.CHAR,
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", L.TITLE_PT)
        pdf.multi_cell(0, _line_h(L.TITLE_PT), doc.title, align="C", wrapmode=WrapMode.CHAR,
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if doc.number:
        pdf.set_font(FAMILY, "", L.TABLE_PT)
        pdf.multi_cell(0, _line_h(L.TABLE_PT), doc.number, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    for b in doc.blocks:
        if isinstance(b, L.Text):
            _text(pdf, b)
        elif isinstance(b, L.Table):
            _table(pdf, b)
        elif isinstance(b, L.Signatures):
            _signatures(pdf, b)
        elif isinstance(b, L.Seal):
            _seal(pdf, b)
        elif isinstance(b, L.Cut):
            _cut(pdf, b)
        elif isinstance(b, L.Spacer):
            pdf.ln(b.mm)
        elif isinstance(b, L.PageBreak):
            pdf.add_page()


def render_pdf(doc: L.Doc) -> tuple[bytes, int]:
    """The PDF bytes and page count of one document."""
    pdf = new_pdf(title=doc.title, day=doc.issued_on)
    draw(pdf, doc)
    return bytes(pdf.output()), pdf.page


def render_many(docs: Iterable[L.Doc], *, title: str, day: dt.date | None) -> tuple[bytes, int]:
    pdf = new_pdf(title=title, day=day)
    for doc in docs:
        draw(pdf, doc)
    return bytes(pdf.output()), pdf.page
