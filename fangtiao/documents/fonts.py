"""The Chinese font the PDFs embed. Officials print these documents, so the glyphs must travel
inside the file (a PDF that leans on the reader's fonts prints boxes on a machine without them).

We look for a serif (宋体-style) CJK font: FANGTIAO_PDF_FONT if set, else
the Noto Serif CJK files Debian's `fonts-noto-cjk` installs (the Simplified Chinese face of the
collection), else other common locations. `make install` installs that package where it can."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from fangtiao.core.errors import DomainError

CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


class FontMissing(DomainError):
    def __init__(self, detail: str):
        super().__init__(detail=detail, errors=[], code="pdf_font_missing", status=503)


@dataclass(frozen=True)
class FontFace:
    path: str
    index: int  # face number inside a .ttc collection (0 for a single font)


@dataclass(frozen=True)
class Fonts:
    regular: FontFace


def _sc_index(path: str) -> int:
    """The Simplified Chinese face of a collection (Noto CJK orders JP, KR, SC, TC, HK)."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection

    coll = TTCollection(path, lazy=True)
    try:
        for i, font in enumerate(coll.fonts):
            name = font["name"].getDebugName(1) or ""
            if name.endswith(" SC") or " SC " in name or "CN" in name:
                return i
        return 0
    finally:
        coll.close()


@functools.cache
def find_fonts() -> Fonts:
    configured = getattr(settings, "FANGTIAO_PDF_FONT", "")
    for regular in ([configured] if configured else []) + list(CANDIDATES):
        if regular and Path(regular).is_file():
            return Fonts(FontFace(regular, _sc_index(regular)))
    raise FontMissing("服务器未安装中文字体，无法生成 PDF（Word 版不受影响）。请安装 fonts-noto-cjk，"
                      "或用 FANGTIAO_PDF_FONT 指定字体文件。")
