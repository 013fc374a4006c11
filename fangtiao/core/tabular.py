"""Reading the spreadsheets other systems export: CSV (UTF-8 with or without BOM, or GB18030 —
what Excel on a Chinese Windows writes) and XLSX (the first sheet). Rows come out as dicts keyed
by the header, streamed, with their 1-based line number in the file, so an import can report
"第 12 行" and resume from a row without holding the file in memory."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fangtiao.core.errors import ValidationFailed

ENCODINGS = ("utf-8-sig", "gb18030")
FIELD_LIMIT = 16 * 1024 * 1024  # one cell; Python's default (128 KiB) is less than a long complaint with attachments pasted in


@dataclass(frozen=True)
class Table:
    path: Path
    header: list[str]

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(line number, row) for every data row; cells are stripped strings ('' for empty)."""
        if self.path.suffix.lower() == ".xlsx":
            yield from _xlsx_rows(self.path, self.header)
        else:
            yield from _csv_rows(self.path, self.header)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _encoding(path: Path) -> str:
    head = path.read_bytes()[:1 << 20]
    for enc in ENCODINGS:
        try:
            head.decode(enc)
            return enc
        except UnicodeDecodeError as exc:
            if enc == "utf-8-sig" and exc.reason == "unexpected end of data":
                return enc  # a multi-byte character cut by the 1 MiB sample (positions shift by the BOM)
    raise ValidationFailed.on("file", "文件编码无法识别：请另存为 UTF-8 或 GBK 编码的 CSV，或 Excel（.xlsx）文件")


def _csv_rows(path: Path, header: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    csv.field_size_limit(FIELD_LIMIT)
    with path.open(encoding=_encoding(path), newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ValidationFailed.on("file", f"第 {reader.line_num} 行无法读取：{exc}") from exc
            if not any(c.strip() for c in row):
                continue
            yield reader.line_num, {h: _cell(row[i]) if i < len(row) else "" for i, h in enumerate(header)}


def _xlsx_rows(path: Path, header: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
            if n == 1:
                continue
            cells = [_cell(v) for v in row]
            if not any(cells):
                continue
            yield n, {h: cells[i] if i < len(cells) else "" for i, h in enumerate(header)}
    finally:
        wb.close()


def open_table(path: str | Path) -> Table:
    """Open a CSV or XLSX file and read its header (422-style errors in Chinese on a bad file)."""
    p = Path(path)
    if not p.is_file():
        raise ValidationFailed.on("file", f"找不到文件：{p}")
    suffix = p.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(p, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise ValidationFailed.on("file", f"无法读取 Excel 文件：{exc.__class__.__name__}") from exc
        try:
            first = next(wb.worksheets[0].iter_rows(values_only=True, max_row=1), ())
        finally:
            wb.close()
        header = [_cell(v) for v in first]
    elif suffix in (".csv", ".txt"):
        csv.field_size_limit(FIELD_LIMIT)
        with p.open(encoding=_encoding(p), newline="") as fh:
            header = [_cell(v) for v in next(csv.reader(fh), [])]
    else:
        raise ValidationFailed.on("file", "只支持 CSV 或 Excel（.xlsx）文件")
    if not any(header):
        raise ValidationFailed.on("file", "文件第一行应为列名")
    return Table(path=p, header=header)


def columns(spec: str, table: Table, *, field: str) -> list[str]:
    """`--text 留言主题,留言详情` → the named columns, each checked against the header."""
    names = [c.strip() for c in spec.split(",") if c.strip()]
    missing = [c for c in names if c not in table.header]
    if not names or missing:
        raise ValidationFailed.on(field, f"文件中没有列：{'、'.join(missing) or spec}（现有列：{'、'.join(table.header)}）")
    return names

