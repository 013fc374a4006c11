"""`fangtiao bench --assessment` (issue 8): the assessment computation, synchronously, in process.

`asm.compute_month` = `assessment.services.scores_compute(actor=None, period=<the last full month of
the data>, level="township", path=<the first generated county>)` — every township of one district
measured on every indicator of its scheme for the month and the year to date, ranked and stored
(replacing the month's scores: one transaction, audited), exactly what `POST
/api/v1/assessment/compute` runs in the background. Its floor, `asm.hand_month`, is one hand-written
SQL count of the same district-month straight from cases_case per region (received, closed,
collective, repeat, skip-level): the rows the computation cannot avoid reading. p50/p95/p99 of
`repeats` calls after one warm-up call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection

from fangtiao.bench.generate import BENCH_PATH_PREFIX, GenerationError, database_vendor
from fangtiao.bench.runner import OpResult, percentile


@dataclass
class AssessmentConfig:
    n_cases: int
    repeats: int = 5


def _district_and_month() -> tuple[str, Any]:
    from fangtiao.assessment.periods import parse_period
    from fangtiao.bench import stats
    from fangtiao.org.models import Region

    path = (Region.objects.filter(path__startswith=BENCH_PATH_PREFIX, level="district").order_by("path")
            .values_list("path", flat=True).first())
    if path is None:
        raise GenerationError("没有找到基准区县，请先运行 fangtiao bench generate")
    last = stats.periods()["last"]
    return path, parse_period(f"{last.year}-{last.month:02d}")


def hand_month_sql(path: str, period: Any) -> tuple[str, list[Any]]:
    from fangtiao.stats.reference import day_bounds

    lo, hi = day_bounds(period.start, period.end)
    sql = ("SELECT region_id, count(*), count(*) FILTER (WHERE status IN ('closed', 'archived')), "
           "count(*) FILTER (WHERE is_collective), count(*) FILTER (WHERE is_repeat), "
           "count(*) FILTER (WHERE is_skip_level) FROM cases_case "
           "WHERE region_path LIKE %s AND received_at >= %s AND received_at < %s GROUP BY region_id")
    return sql, [path + "%", lo, hi]


def _timed(fn: Callable[[], Any], repeats: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def run(config: AssessmentConfig, *, log: Callable[[str], None] = print) -> list[OpResult]:
    from fangtiao.assessment import services

    path, period = _district_and_month()
    log(f"考核计算（进程内，{config.repeats} 次）：区县 {path}，{period.key}，乡镇分中心")
    sql, params = hand_month_sql(path, period)

    def hand() -> None:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            cur.fetchall()

    scores: list[int] = []
    compute = _timed(lambda: scores.append(services.scores_compute(actor=None, period=period, level="township",
                                                                   path=path)), config.repeats)
    floor = _timed(hand, config.repeats)
    db = database_vendor()

    def result(name: str, ms: list[float], where: str) -> OpResult:
        return OpResult(op=name, db=db, n_cases=config.n_cases, p50_ms=round(percentile(ms, 50), 2),
                        p95_ms=round(percentile(ms, 95), 2), p99_ms=round(percentile(ms, 99), 2),
                        rps=round(1000 / percentile(ms, 50), 2) if ms else 0.0, floor_ratio=0.0, requests=len(ms),
                        concurrency=1, path=where)

    hand_r = result("asm.hand_month", floor, sql[:200])
    comp = result("asm.compute_month", compute,
                  f"scores_compute(period={period.key!r}, level='township', path={path!r}) → {scores[-1]} scores")
    comp.sql_p50_ms, comp.sql_p95_ms, comp.sql_p99_ms = hand_r.p50_ms, hand_r.p95_ms, hand_r.p99_ms
    comp.sql_ratio = round(comp.p50_ms / hand_r.p50_ms, 2) if hand_r.p50_ms else 0.0
    comp.sql_floor = sql[:400]
    log(f"  asm.compute_month p50 {comp.p50_ms} ms（{scores[-1]} 个得分），手写 SQL p50 {hand_r.p50_ms} ms")
    return [hand_r, comp]


__all__ = ["AssessmentConfig", "run"]
