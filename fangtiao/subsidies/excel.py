"""发放表: the payout sheet of one batch as an Excel workbook — title, period, unit, one row per
mediator and per committee with its case numbers and amount, the total in yuan, and the signature
lines 编制/审核/审批. Cell values pass through core.excel's sanitiser (no formula injection)."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from fangtiao.core.excel import _cell
from fangtiao.subsidies.rules import parse_period

HEADERS = ("序号", "姓名/名称", "类别", "所在调委会", "件数", "事项编号", "金额（元）", "领取人签字")
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def payout_workbook(batch: Any, lines: list[Any]) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "发放表"
    width = len(HEADERS)
    p = parse_period(batch.period)
    ws.append([f"{batch.unit.name}以奖代补发放表"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([f"期间：{p.label if p else batch.period}（{batch.period_start:%Y-%m-%d} 至 {batch.period_end:%Y-%m-%d}）",
               None, None, None, f"编号：{batch.number}"])
    ws.append([f"单位：{batch.unit.name}", None, None, None, f"状态：{batch.get_status_display()}"])
    ws.append(list(HEADERS))
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.border = _BOX
    total = Decimal("0.00")
    for i, line in enumerate(lines, start=1):
        numbers = "、".join(item.case.number for item in line.items.all())
        ws.append([i, _cell(line.name), "调委会" if line.is_committee else "调解员",
                   _cell(line.unit.name), line.case_count, _cell(numbers), line.amount, ""])
        row = ws.max_row
        ws.cell(row=row, column=7).number_format = "#,##0.00"
        for cell in ws[row]:
            cell.border = _BOX
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        total += line.amount
    ws.append(["合计", None, None, None, sum(li.case_count for li in lines), f"共{batch.case_count}件事项", total, ""])
    total_row = ws.max_row
    ws.cell(row=total_row, column=7).number_format = "#,##0.00"
    for cell in ws[total_row]:
        cell.font = Font(bold=True)
        cell.border = _BOX
    ws.append([])
    prepared = (batch.prepared_by.name or batch.prepared_by.username) if batch.prepared_by_id else ""
    approved = (batch.approved_by.name or batch.approved_by.username) if batch.approved_by_id else ""
    ws.append([f"编制：{prepared}", None, "审核：", None, None, f"审批：{approved}"])
    ws.append([f"日期：{timezone.localtime(batch.prepared_at):%Y-%m-%d}", None, "日期：", None, None,
               f"日期：{timezone.localtime(batch.approved_at):%Y-%m-%d}" if batch.approved_at else "日期："])
    for col, w in zip("ABCDEFGH", (6, 18, 8, 24, 6, 48, 14, 14), strict=True):
        ws.column_dimensions[col].width = w
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    return wb


def payout_response(batch: Any, lines: list[Any]) -> FileResponse:
    wb = payout_workbook(batch, lines)
    tmp = tempfile.TemporaryFile()  # noqa: SIM115 - handed to FileResponse, which closes it
    wb.save(tmp)
    tmp.seek(0)
    name = f"以奖代补发放表-{batch.unit.short_name or batch.unit.name}-{batch.period}.xlsx"
    response = FileResponse(tmp, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = (f"attachment; filename=\"subsidy-{batch.pk}-{batch.period}.xlsx\"; "
                                       f"filename*=UTF-8''{quote(name)}")
    return response
