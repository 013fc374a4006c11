"""Helpers of the documents tests: the text of a PDF as a browser's PDF viewer (PDFium) reads it,
its fonts, and the text of a Word file (paragraphs and table cells)."""

from __future__ import annotations

import io

import pypdf
import pypdfium2 as pdfium
from docx import Document as open_docx


def pdf_text(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def pdf_fonts(data: bytes) -> list[dict[str, object]]:
    """Each font of the first page: name, and whether its program is embedded."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    out = []
    for ref in reader.pages[0]["/Resources"]["/Font"].values():
        font = ref.get_object()
        desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object() if "/DescendantFonts" in font \
            else font.get("/FontDescriptor", {})
        out.append({"name": str(font["/BaseFont"]),
                    "embedded": any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))})
    return out


def pdf_pages(data: bytes) -> list[tuple[float, float]]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages]


A4_POINTS = (595, 842)


def docx_text(data: bytes) -> str:
    doc = open_docx(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            seen = set()
            for cell in row.cells:
                if id(cell._tc) in seen:
                    continue
                seen.add(id(cell._tc))
                parts.append(cell.text)
    return "\n".join(parts)
