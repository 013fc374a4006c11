"""Reading the statistics: the summary, monthly series, breakdowns and the township comparison.

Rollups answer for any jurisdiction at township level or above: full months from `RollupMonth`,
the edge days of a period from `RollupDay`, each one aggregate query over an indexed range. A
jurisdiction below the buckets (a village) is counted directly (`stats.reference`): its data is
small. Every function takes a region *path* the caller has already been allowed to see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Sum

from fangtiao.stats import reference
from fangtiao.stats.measures import CODES, DIMENSIONS, figures, zero
from fangtiao.stats.models import RollupDay, RollupMonth


def month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def next_month(d: dt.date) -> dt.date:
    return (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_end(d: dt.date) -> dt.date:
    return next_month(d) - dt.timedelta(days=1)


def year_earlier(d: dt.date) -> dt.date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def split_period(start: dt.date, end: dt.date) -> tuple[list[tuple[dt.date, dt.date]], tuple[dt.date, dt.date] | None]:
    """(day ranges at the edges, (first full month, last full month) or None)."""
    first_full = start if start.day == 1 else next_month(start)
    last_full_end = end if end == month_end(end) else month_start(end) - dt.timedelta(days=1)
    if first_full > last_full_end:
        return [(start, end)], None
    edges = []
    if start < first_full:
        edges.append((start, first_full - dt.timedelta(days=1)))
    if last_full_end < end:
        edges.append((last_full_end + dt.timedelta(days=1), end))
    return edges, (first_full, month_start(last_full_end))


def _sum(qs: Any) -> dict[str, int]:
    row = qs.aggregate(**{c: Sum(c) for c in CODES})
    return {c: row[c] or 0 for c in CODES}


def _add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {c: a[c] + b[c] for c in CODES}


def rollup_counts(path: str, start: dt.date, end: dt.date) -> dict[str, int]:
    edges, months = split_period(start, end)
    total = zero()
    if months:
        total = _add(total, _sum(RollupMonth.objects.filter(dim="", month__gte=months[0], month__lte=months[1],
                                                            bucket_path__startswith=path)))
    for lo, hi in edges:
        total = _add(total, _sum(RollupDay.objects.filter(day__gte=lo, day__lte=hi, bucket_path__startswith=path)))
    return total


def rollup_backlog_open(path: str, at: dt.date) -> int:
    months = RollupMonth.objects.filter(dim="", bucket_path__startswith=path)
    if at == month_end(at):
        months = months.filter(month__lte=month_start(at))
        days = None
    else:
        months = months.filter(month__lt=month_start(at))
        days = RollupDay.objects.filter(day__gte=month_start(at), day__lte=at, bucket_path__startswith=path)
    row = months.aggregate(m=Sum("backlog_marked"), r=Sum("backlog_resolved"))
    n = (row["m"] or 0) - (row["r"] or 0)
    if days is not None:
        row = days.aggregate(m=Sum("backlog_marked"), r=Sum("backlog_resolved"))
        n += (row["m"] or 0) - (row["r"] or 0)
    return n


def below_buckets(path: str) -> bool:
    """True for a village (or deeper) path: the rollups do not keep it apart."""
    from fangtiao.org.models import Region

    if not path:
        return False
    return Region.objects.filter(path=path, level="village").exists()


def period_counts(path: str, start: dt.date, end: dt.date, *, direct: bool | None = None) -> tuple[dict[str, int], int]:
    direct = below_buckets(path) if direct is None else direct
    if direct:
        return reference.totals(path, start, end), reference.backlog_open(path, end)
    return rollup_counts(path, start, end), rollup_backlog_open(path, end)


def summary(path: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """API.md's summary figures for the period and the same period a year earlier (`previous`),
    with the counts behind every rate (`counts`)."""
    direct = below_buckets(path)
    now, open_now = period_counts(path, start, end, direct=direct)
    p_start, p_end = year_earlier(start), year_earlier(end)
    before, open_before = period_counts(path, p_start, p_end, direct=direct)
    out: dict[str, Any] = figures(now, open_now)
    out["previous"] = figures(before, open_before)
    out["counts"] = now
    out["previous_counts"] = before
    out["period"] = {"from": start, "to": end, "previous_from": p_start, "previous_to": p_end}
    out["source"] = "direct" if direct else "rollup"
    return out


def monthly(path: str, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """Counts per month from `first`'s month to `last`'s month (each whole), oldest first."""
    first, last = month_start(first), month_start(last)
    months: list[dt.date] = []
    m = first
    while m <= last:
        months.append(m)
        m = next_month(m)
    if below_buckets(path):  # a village: one grouped count per source
        direct = reference.counts(path, first, month_end(last), dim="month")
        return [{"month": m, **{c: direct.get(m.isoformat(), {}).get(c, 0) for c in CODES}} for m in months]
    rows = (RollupMonth.objects.filter(dim="", month__gte=first, month__lte=last, bucket_path__startswith=path)
            .values("month").annotate(**{c: Sum(c) for c in CODES}).order_by("month"))
    by_month = {r["month"]: r for r in rows}
    return [{"month": m, **{c: (by_month.get(m) or {}).get(c) or 0 for c in CODES}} for m in months]


def breakdown(path: str, dim: str, first: dt.date, last: dt.date) -> dict[str, dict[str, int]]:
    """{value: counts} over whole months first..last for one dimension of `DIMENSIONS`."""
    if dim not in DIMENSIONS:
        raise ValueError(dim)
    first, last = month_start(first), month_start(last)
    if below_buckets(path):
        return reference.counts(path, first, month_end(last), dim=dim)
    rows = (RollupMonth.objects.filter(dim=dim, month__gte=first, month__lte=last, bucket_path__startswith=path)
            .values("value").annotate(**{c: Sum(c) for c in CODES}).order_by("value"))
    return {r["value"]: {c: r[c] or 0 for c in CODES} for r in rows}


def by_bucket(path: str, first: dt.date, last: dt.date) -> dict[str, dict[str, int]]:
    """{bucket path: counts} over whole months — one row per township (and the district itself)."""
    first, last = month_start(first), month_start(last)
    rows = (RollupMonth.objects.filter(dim="", month__gte=first, month__lte=last, bucket_path__startswith=path)
            .values("bucket_path").annotate(**{c: Sum(c) for c in CODES}).order_by("bucket_path"))
    return {r["bucket_path"]: {c: r[c] or 0 for c in CODES} for r in rows}
