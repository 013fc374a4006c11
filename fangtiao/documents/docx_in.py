"""A rendered district template (.docx) → layout blocks, so that the PDF of a document made from
a district's own template says what its Word file says. Reads paragraphs (alignment, size, bold),
tables (merged cells become spans) and page breaks in body order; anything else (text boxes,
images, headers) is not carried into the PDF (docs/documents.md)."""

from __future__ import annotations

import io

from docx import Document as open_docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph

from fangtiao.documents import layout as L

_ALIGN = {WD_ALIGN_PARAGRAPH.CENTER: "center", WD_ALIGN_PARAGRAPH.RIGHT: "right",
          WD_ALIGN_PARAGRAPH.JUSTIFY: "justify", WD_ALIGN_PARAGRAPH.LEFT: "left"}


def _paragraph(p: Paragraph) -> L.Text:
    runs = [r for r in p.runs if r.text]
    size = next((r.font.size.pt for r in runs if r.font.size is not None), None)
    bold = bool(runs) and all(r.bold for r in runs)
    indent = p.paragraph_format.first_line_indent is not None and p.paragraph_format.first_line_indent > 0
    return L.Text(p.text, align=_ALIGN.get(p.alignment, "left"), size=size or L.BODY_PT, bold=bold, indent=indent)


def _table(t: DocxTable) -> L.Table:
    rows = []
    ncols = max((len(r.cells) for r in t.rows), default=1)
    for r in t.rows:
        cells: list[L.Cell] = []
        prev = None
        for c in r.cells:
            if prev is not None and c._tc is prev._tc:
                last = cells[-1]
                cells[-1] = L.Cell(last.text, span=last.span + 1, bold=last.bold, align=last.align)
                continue
            cells.append(L.Cell(c.text))
            prev = c
        span = sum(c.span for c in cells)
        if span < ncols:
            cells[-1] = L.Cell(cells[-1].text, span=cells[-1].span + ncols - span)
        rows.append(tuple(cells))
    return L.Table(widths=tuple(1.0 for _ in range(ncols)), rows=tuple(rows))


def docx_to_blocks(data: bytes) -> tuple[str, list[L.Block]]:
    """(first non-empty paragraph as the title, the remaining blocks)."""
    doc = open_docx(io.BytesIO(data))
    blocks: list[L.Block] = []
    for child in doc.element.body.iterchildren():
        if child.tag == qn("w:p"):
            p = Paragraph(child, doc)
            if any(br.get(qn("w:type")) == "page" for br in child.iter(qn("w:br"))):
                blocks.append(L.PageBreak())
            blocks.append(_paragraph(p))
        elif child.tag == qn("w:tbl"):
            blocks.append(_table(DocxTable(child, doc)))
    title = ""
    for i, b in enumerate(blocks):
        if isinstance(b, L.Text) and b.text.strip():
            title = b.text.strip()
            del blocks[i]
            break
    return title, blocks
