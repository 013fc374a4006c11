"""The layout of an official document, independent of Word or PDF: a title, an optional number
line, and blocks (paragraphs, ruled tables, signature/fingerprint/seal blocks, cut lines, page
breaks). Both renderers (render_docx, render_pdf) draw the same blocks, so the Word file and the
PDF say the same thing in the same places.

Page: A4 with the margins of GB/T 9704-2012 §5.2.1 (天头 37 mm, 订口 28 mm, text 156 × 225 mm)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

PAGE_W, PAGE_H = 210.0, 297.0
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 37.0, 35.0, 28.0, 26.0
TEXT_W = PAGE_W - MARGIN_LEFT - MARGIN_RIGHT

TITLE_PT = 22.0   # 二号 (GB/T 9704 §7.3.1: 标题一般用2号小标宋)
BODY_PT = 14.0    # 四号: forms carry more text than a 公文 body (三号)
TABLE_PT = 12.0   # 小四
SMALL_PT = 10.5   # 五号


@dataclass(frozen=True)
class Text:
    text: str
    align: str = "justify"   # left | center | right | justify
    size: float = BODY_PT
    bold: bool = False
    indent: bool = False     # first line indented two characters
    space_after: float = 3.0  # points


@dataclass(frozen=True)
class Cell:
    text: str
    span: int = 1
    bold: bool = False
    align: str = "left"
    image: str = ""  # a PNG data URL (a handwritten signature captured on a tablet) drawn in the cell


@dataclass(frozen=True)
class Table:
    """A ruled table; `widths` are relative column widths; a row's spans add up to the columns."""

    widths: tuple[float, ...]
    rows: tuple[tuple[Cell, ...], ...]
    min_height: float = 9.0  # mm
    size: float = TABLE_PT


@dataclass(frozen=True)
class Signatures:
    """Signature lines: (who, how) such as ("申请人 张三", "签名、盖章或按指印"). With `fingerprint`
    each line carries a box to press the fingerprint in (人民调解法 第29条: 签名、盖章或者按指印)."""

    lines: tuple[tuple[str, str], ...]
    fingerprint: bool = False


@dataclass(frozen=True)
class Seal:
    """The issuing body's name with the place of its seal (印) and the date, at the right."""

    unit: str
    date: str
    note: str = "（印）"


@dataclass(frozen=True)
class Cut:
    """A cut line before a tear-off slip (回执)."""

    label: str = "（沿此线剪开）"


@dataclass(frozen=True)
class Spacer:
    mm: float = 6.0


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Text | Table | Signatures | Seal | Cut | Spacer | PageBreak


@dataclass
class Doc:
    title: str
    blocks: list[Block] = field(default_factory=list)
    number: str = ""      # the number line, e.g. 〔2026〕黄岩信受告字第12号
    heading: str = ""     # the issuing body above the title, where the form has one
    issued_on: dt.date | None = None  # the document's own date: fixes the files' metadata


# --- helpers the forms share ---------------------------------------------------------------

def cn_date(day: dt.date | None, blank: str = "    年    月    日") -> str:
    """成文日期 in the form GB/T 9704-2012 §7.3.5.3 prescribes: Arabic numerals, 年月日, no zero padding."""
    if day is None:
        return blank
    return f"{day.year}年{day.month}月{day.day}日"


def cn_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return "    年    月    日    时    分"
    return f"{value.year}年{value.month}月{value.day}日 {value.hour:02d}时{value.minute:02d}分"


def box(checked: bool) -> str:
    return "■" if checked else "□"


def choices_line(options: list[tuple[str, bool]]) -> str:
    """□ 当事人申请  ■ 信访部门移交 — the tick-box lines of the paper forms."""
    return "  ".join(f"{box(on)}{label}" for label, on in options)


def numbered(lines: list[str]) -> str:
    """一、…  二、… — the numbering of requests and terms on the forms."""
    digits = "一二三四五六七八九十"
    out = []
    for i, line in enumerate(lines, start=1):
        mark = digits[i - 1] if i <= 10 else str(i)
        out.append(f"{mark}、{line}")
    return "\n".join(out)


def blank(text: str, width: int = 12) -> str:
    """A value, or an underlined blank to fill in by hand."""
    return text if text else "_" * width


def row(*cells: Cell | str) -> tuple[Cell, ...]:
    return tuple(c if isinstance(c, Cell) else Cell(c) for c in cells)


def png_bytes(data_url: str) -> bytes | None:
    """The PNG inside a ``data:image/png;base64,…`` URL, or None if it is not one (or not a PNG)."""
    import base64
    import binascii

    head, _, b64 = (data_url or "").partition(",")
    if head != "data:image/png;base64" or not b64:
        return None
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if raw.startswith(b"\x89PNG\r\n\x1a\n") else None


def label(text: str, span: int = 1) -> Cell:
    return Cell(text, span=span, bold=True, align="center")
