"""GET /api/v1/stats/summary (API.md "Summary figures") and the series behind the dashboards."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import model_validator

from fangtiao.core.api import ERRORS, ErrorOut
from fangtiao.core.dbrouter import reporting_reads
from fangtiao.screening.api import D_MAX, D_MIN, _need
from fangtiao.stats import selectors
from fangtiao.stats.access import stats_path
from fangtiao.stats.measures import DIMENSIONS

router = Router(tags=["统计"])
MAX_DAYS = 366 * 5


class PeriodIn(Schema):
    from_: dt.date | None = Field(None, alias="from", ge=D_MIN, le=D_MAX, description="起始日（含），默认本年1月1日")
    to: dt.date | None = Field(None, ge=D_MIN, le=D_MAX, description="截止日（含），默认今天")
    region: str | None = Field(None, max_length=12, pattern="^[0-9]+$", description="区划代码（含下级），默认本辖区")

    @model_validator(mode="after")
    def _order(self) -> PeriodIn:
        start, end = self.period()
        if start > end:
            raise ValueError("起始日不能晚于截止日")
        if (end - start).days > MAX_DAYS:
            raise ValueError("统计区间不能超过5年")
        return self

    def period(self) -> tuple[dt.date, dt.date]:
        today = timezone.localdate()
        end = self.to or today
        start = self.from_ or end.replace(month=1, day=1)
        return start, end


class SeriesIn(PeriodIn):
    dim: Literal["channel", "category", "kind", "level"] | None = Field(None, description="分组维度")


@router.get("/stats/summary", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="统计摘要（含去年同期）")
def summary(request: HttpRequest, params: Query[PeriodIn]) -> Any:
    _need(request, "stats.view")
    path = stats_path(request.user, params.region)
    start, end = params.period()
    with reporting_reads():
        return selectors.summary(path, start, end)


@router.get("/stats/monthly", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="按月统计（含去年同期）")
def monthly(request: HttpRequest, params: Query[PeriodIn]) -> Any:
    _need(request, "stats.view")
    path = stats_path(request.user, params.region)
    start, end = params.period()
    with reporting_reads():
        return {"months": selectors.monthly(path, start, end),
                "previous": selectors.monthly(path, selectors.year_earlier(start), selectors.year_earlier(end))}


@router.get("/stats/breakdown", response={200: dict[str, Any], 403: ErrorOut, **ERRORS}, summary="分类统计（按整月）")
def breakdown(request: HttpRequest, params: Query[SeriesIn]) -> Any:
    _need(request, "stats.view")
    path = stats_path(request.user, params.region)
    start, end = params.period()
    dims = [params.dim] if params.dim else list(DIMENSIONS)
    with reporting_reads():
        return {d: selectors.breakdown(path, d, start, end) for d in dims}
