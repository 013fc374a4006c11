"""Layout → Word (.docx, python-docx): A4 with the GB/T 9704 margins, 宋体 for Chinese text,
ruled tables with merged cells, signature lines with fingerprint boxes, page numbers in the
footer. The file stays editable (real paragraphs and tables, no images of text).

Deterministic: fixed core properties (the document's own date) and fixed zip timestamps, so the
same layout gives the same bytes and the same checksum."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from fangtiao.documents import layout as L

CJK_FONT = "宋体"
LATIN_FONT = "Times New Roman"
_ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
          "right": WD_ALIGN_PARAGRAPH.RIGHT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}


def _fonts(run, *, size: float, bold: bool = False, east_asia: str = CJK_FONT) -> None:  # type: ignore[no-untyped-def]
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = LATIN_FONT
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), east_asia)


def _para(container, text: str, *, align: str = "justify", size: float = L.BODY_PT, bold: bool = False,  # type: ignore[no-untyped-def]
          indent: bool = False, space_after: float = 3.0):
    p = container.add_paragraph()
    p.alignment = _ALIGN[align]
    fmt = p.paragraph_format
    fmt.space_after = Pt(space_after)
    fmt.space_before = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    _fonts(p.add_run(text), size=size, bold=bold)
    return p


def _borders(cell, on: bool) -> None:  # type: ignore[no-untyped-def]
    tcpr = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    for edge in ("top", "left", "bottom", "right"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single" if on else "nil")
        if on:
            el.set(qn("w:sz"), "6")
            el.set(qn("w:color"), "000000")
        borders.append(el)
    tcpr.append(borders)


def _set_cell(cell, text: str, *, size: float, bold: bool = False, align: str = "left") -> None:  # type: ignore[no-untyped-def]
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    lines = (text or "").split("\n")
    first = cell.paragraphs[0]
    first.alignment = _ALIGN[align]
    _fonts(first.add_run(lines[0]), size=size, bold=bold)
    for line in lines[1:]:
        p = cell.add_paragraph()
        p.alignment = _ALIGN[align]
        _fonts(p.add_run(line), size=size, bold=bold)


def _table(doc, b: L.Table) -> None:  # type: ignore[no-untyped-def]
    cols = len(b.widths)
    table = doc.add_table(rows=len(b.rows), cols=cols)
    table.style = "Table Grid"
    table.autofit = False
    total = sum(b.widths)
    widths = [Mm(L.TEXT_W * w / total) for w in b.widths]
    for r, cells in enumerate(b.rows):
        row = table.rows[r]
        row.height = Mm(b.min_height)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        for c in range(cols):
            row.cells[c].width = widths[c]
        col = 0
        for cell in cells:
            target = table.cell(r, col)
            if cell.span > 1:
                target = target.merge(table.cell(r, col + cell.span - 1))
            png = L.png_bytes(cell.image) if cell.image else None
            if png:
                target.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
                target.paragraphs[0].add_run().add_picture(io.BytesIO(png), height=Mm(12))
            else:
                _set_cell(target, cell.text, size=b.size, bold=cell.bold, align=cell.align)
            col += cell.span
    doc.add_paragraph().paragraph_format.space_after = Pt(2)


def _signatures(doc, b: L.Signatures) -> None:  # type: ignore[no-untyped-def]
    table = doc.add_table(rows=len(b.lines), cols=2 if b.fingerprint else 1)
    table.autofit = False
    for r, (who, how) in enumerate(b.lines):
        row = table.rows[r]
        row.height = Mm(16 if b.fingerprint else 11)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        caption = f"{who}（{how}）：" if how else f"{who}："
        left = row.cells[0]
        left.width = Mm(L.TEXT_W - (20 if b.fingerprint else 0))
        left.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
        _fonts(left.paragraphs[0].add_run(caption + "＿" * 10), size=L.BODY_PT)
        _borders(left, False)
        if b.fingerprint:
            box = row.cells[1]
            box.width = Mm(16)
            box.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
            box.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            _fonts(box.paragraphs[0].add_run("指印"), size=7)
            _borders(box, True)
    doc.add_paragraph().paragraph_format.space_after = Pt(2)


def _page_number_footer(section) -> None:  # type: ignore[no-untyped-def]
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(p.add_run("— "), size=L.SMALL_PT)
    run = p.add_run()
    _fonts(run, size=L.SMALL_PT)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._element.append(el)
    _fonts(p.add_run(" —"), size=L.SMALL_PT)


def new_document(*, title: str, day: dt.date | None):  # type: ignore[no-untyped-def]
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(L.PAGE_W), Mm(L.PAGE_H)
    section.top_margin, section.bottom_margin = Mm(L.MARGIN_TOP), Mm(L.MARGIN_BOTTOM)
    section.left_margin, section.right_margin = Mm(L.MARGIN_LEFT), Mm(L.MARGIN_RIGHT)
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(L.BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), CJK_FONT)
    _page_number_footer(section)
    stamp = dt.datetime.combine(day or dt.date(2000, 1, 1), dt.time(0, 0), tzinfo=dt.UTC)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = title, "访调通", "访调通"
    props.created = props.modified = stamp
    props.revision = 1
    props.comments = ""
    return doc


def draw(doc, d: L.Doc, *, first: bool = True) -> None:  # type: ignore[no-untyped-def]
    if not first:
        doc.add_page_break()
    if d.heading:
        _para(doc, d.heading, align="center", size=16, bold=True, space_after=2)
    _para(doc, d.title, align="center", size=L.TITLE_PT, bold=True, space_after=4)
    if d.number:
        _para(doc, d.number, align="right", size=L.TABLE_PT, space_after=8)
    for b in d.blocks:
        if isinstance(b, L.Text):
            for line in (b.text or "").split("\n"):
                _para(doc, line, align=b.align, size=b.size, bold=b.bold, indent=b.indent and bool(line),
                      space_after=b.space_after)
        elif isinstance(b, L.Table):
            _table(doc, b)
        elif isinstance(b, L.Signatures):
            _signatures(doc, b)
        elif isinstance(b, L.Seal):
            _para(doc, "", space_after=6)
            _para(doc, f"{b.unit}{b.note}", align="right", space_after=2)
            _para(doc, b.date, align="right")
        elif isinstance(b, L.Cut):
            _para(doc, f"- - - - - - - - - - - - {b.label} - - - - - - - - - - - -", align="center", size=L.SMALL_PT)
        elif isinstance(b, L.Spacer):
            _para(doc, "", space_after=b.mm * 2.83)
        elif isinstance(b, L.PageBreak):
            doc.add_page_break()


def normalise(data: bytes) -> bytes:
    """Rewrite the zip with fixed timestamps so equal content gives equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def save(doc) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    doc.save(buf)
    return normalise(buf.getvalue())


def render_docx(d: L.Doc) -> bytes:
    doc = new_document(title=d.title, day=d.issued_on)
    draw(doc, d)
    return save(doc)
