"""The 人民调解工作统计表 page and its Excel download. Thin: the capability first (403), the region
inside the caller's jurisdiction (404 otherwise, stats.access.stats_path), a period that parses (a
Chinese message and 400 otherwise, never 500); the selectors in stats.reports count in the database.
Every download is audited (`stats.exported`)."""

from __future__ import annotations

import tempfile
from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from fangtiao.audit import services as audit
from fangtiao.core.dbrouter import reporting_reads
from fangtiao.org.permissions import has_capability
from fangtiao.stats import reports
from fangtiao.stats.access import stats_path

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _region_choices(user: Any) -> list[tuple[str, str]]:
    """The regions a caller may report on: their own subtree (district, townships, villages)."""
    from fangtiao.org.models import Region

    base = stats_path(user)
    qs = Region.objects.filter(path__startswith=base, active=True).order_by("path").only("code", "name", "depth")
    regions = list(qs[:2000])
    top = min((r.depth for r in regions), default=0)
    return [(r.code, f"{'　' * (r.depth - top)}{r.name}") for r in regions]


def _prepare(request: HttpRequest) -> tuple[str, str, reports.Period | None, str]:
    """(region code, path, period or None, error message). 403 and 404 are raised here."""
    if not has_capability(request.user, "stats.view"):
        raise PermissionDenied
    code = str(request.GET.get("region") or "").strip()[:12]
    if code and not code.isdigit():  # a region code is digits: anything else names no region
        raise Http404
    path = stats_path(request.user, code or None)
    try:
        period = reports.parse_period(request.GET)
    except reports.PeriodError as exc:
        return code, path, None, str(exc)
    return code, path, period, ""


@login_required
@require_GET
@reporting_reads()
def report_page(request: HttpRequest) -> HttpResponse:
    code, path, period, error = _prepare(request)
    report = reports.build_report(user=request.user, path=path, period=period) if period else None
    query = request.GET.copy()
    ctx = {
        "title": "人民调解工作统计表", "report": report, "error": error,
        "regions": _region_choices(request.user), "region": code,
        "period_value": request.GET.get("period", ""), "from": request.GET.get("from", ""),
        "to": request.GET.get("to", ""), "query": query.urlencode(),
        "notes": reports.NOTES[1:],
    }
    return render(request, "stats/reports.html", ctx, status=400 if error else 200)


@login_required
@require_GET
@reporting_reads()
def report_xlsx(request: HttpRequest) -> HttpResponse:
    code, path, period, error = _prepare(request)
    if period is None:
        return render(request, "stats/reports.html", {
            "title": "人民调解工作统计表", "report": None, "error": error, "regions": _region_choices(request.user),
            "region": code, "period_value": request.GET.get("period", ""), "from": request.GET.get("from", ""),
            "to": request.GET.get("to", ""), "query": "", "notes": reports.NOTES[1:]}, status=400)
    report = reports.build_report(user=request.user, path=path, period=period)
    wb = reports.report_workbook(report)
    tmp = tempfile.TemporaryFile()  # noqa: SIM115 - handed to FileResponse, which closes it
    wb.save(tmp)
    tmp.seek(0)
    audit.record(actor=request.user, action="stats.exported",
                 extra={"report": reports.REPORT_TITLE, "region": code or None, "path": path,
                        "from": period.start.isoformat(), "to": period.end.isoformat()},
                 region_path=path or request.user.audit_region_path)
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    name = f"{report.title}-{stamp}.xlsx"
    response = FileResponse(tmp, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename=\"mediation-report-{stamp}.xlsx\"; filename*=UTF-8''{quote(name)}"
    return response
