"""The statistics part of the benchmark: the summary and the leader overview read from the rollups,
in the process (like `screening.py`), each against a floor and against the hand-written SQL count
of the same figures straight from the case table.

| op | what is timed | compared with |
|---|---|---|
| `stats.floor` | `SELECT 1` (one round trip on the same connection) | — |
| `stats.hand_year` | one SQL statement over `cases_case`: the six receipt counts (total, petitions, disputes, repeat and skip-level petitions, collective) of the province for the rolling year and the year before it (`count(*) FILTER (…)`, `region_path LIKE 'path%'`, local-midnight bounds) | `stats.floor` |
| `stats.summary_year` | `selectors.summary(province, start, end)`: every figure of API.md for the year and the year before (full months from `RollupMonth`, the edge days from `RollupDay`, the open backlog) | `stats.floor`, `stats.hand_year` |
| `stats.hand_township` / `stats.summary_township` | the same for one township | floor, hand |
| `stats.hand_overview` | one SQL statement: the receipt counts of the province per local month × channel × category × kind × the registering unit's level over the 12 months and the 12 before (summed in Python to the monthly series and the four breakdowns) | `stats.floor` |
| `stats.overview` | what the leader overview reads besides the summary: `selectors.monthly` for the 12 months and for the 12 a year earlier, and `selectors.breakdown` for each of the four dimensions | floor, `stats.hand_overview` |
| `stats.overview_page` | the leader overview page itself (`GET /stats/?from=…&to=…&region=<province>`, the 12 whole months) through Django's test client in the process, as a province leader: the summary, both monthly series, three breakdowns, the warnings block, the HTML | `stats.floor` |

Each op is timed **warm** (p50/p95 of `repeats` calls after `warmup`, one connection; the hand SQL
`hand_repeats` calls after one) and **cold**:
the first call in a new database connection after `DISCARD ALL` (a new backend: no catalog, relation
or plan cache), `cold` times. Cold does *not* mean an empty buffer cache: the database server is
shared (restarting it or dropping the OS page cache would disturb other work), so the tables' pages
are wherever the previous calls left them (shared buffers, then the OS cache).

The rolling year ends on the local day of the newest generated case and starts a year before the
next day, so it has edge days at both ends (11 full months + days): the worst shape for the read path.
The receipt figures of every summary and of the overview are **checked against the hand SQL** at
each size (`check` in `extra`; a mismatch counts as an error), and the mediations concluded against
a direct count over `mediation_mediation` where there are rounds.

`rebuild`: `auto` rebuilds the rollups (`stats.services.rebuild()`, timed, cases per second) when
their receipt total differs from the number of cases; `always` / `never`.

Run with the HTTP benchmark: `fangtiao bench --stats` (before the server starts), or alone:
`fangtiao shell -c "from fangtiao.bench import stats; stats.main()"`.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, connections
from django.db.models import Max, Sum

from fangtiao.bench.generate import BENCH_PATH_PREFIX, PROVINCE_CODE, GenerationError, database_vendor
from fangtiao.bench.runner import OpResult, percentile

FLOOR = "stats.floor"
RECEIPT = ("total", "petitions", "disputes", "repeat", "skip_level", "collective")
DIMS = ("channel", "category", "kind", "level")


@dataclass(frozen=True)
class StatsConfig:
    n_cases: int = 0
    repeats: int = 30
    warmup: int = 3
    cold: int = 5
    hand_repeats: int = 10  # the hand SQL reads the case table: seconds per call at 10M
    rebuild: str = "auto"  # auto | always | never


@dataclass
class StatsResult(OpResult):
    extra: dict[str, Any] = field(default_factory=dict)


# --- the period and the places -----------------------------------------------------------------

def periods() -> dict[str, Any]:
    """The rolling year ending on the newest generated case's local day, the year before it, and
    the overview's 12 whole months (the last full month back) and the 12 before them."""
    from django.utils import timezone

    from fangtiao.cases.models import Case
    from fangtiao.stats import selectors

    newest = Case.objects.filter(region_path__startswith=BENCH_PATH_PREFIX).aggregate(m=Max("received_at"))["m"]
    if newest is None:
        raise GenerationError("没有找到基准事项，请先运行 fangtiao bench generate")
    end = timezone.localtime(newest).date() - dt.timedelta(days=1)  # the last whole day of the data
    start = selectors.year_earlier(end) + dt.timedelta(days=1)
    last = selectors.month_start(end) if end == selectors.month_end(end) else \
        selectors.month_start(selectors.month_start(end) - dt.timedelta(days=1))
    first = selectors.month_start(selectors.year_earlier(last) + dt.timedelta(days=31))
    return {"start": start, "end": end, "p_start": selectors.year_earlier(start), "p_end": selectors.year_earlier(end),
            "first": first, "last": last, "p_first": selectors.year_earlier(first), "p_last": selectors.year_earlier(last)}


def places() -> dict[str, str]:
    """The province's path and the path of the township with the most generated cases' villages
    (the first township by code: every township gets about the same share)."""
    from fangtiao.org.models import Region

    province = Region.objects.filter(code=PROVINCE_CODE).values_list("path", flat=True).first()
    township = (Region.objects.filter(path__startswith=BENCH_PATH_PREFIX, level="township").order_by("path")
                .values_list("path", "code").first())
    if province is None or township is None:
        raise GenerationError("没有找到基准区划，请先运行 fangtiao bench generate")
    return {"province": province, "township": township[0], "township_code": township[1]}


# --- the hand-written SQL ----------------------------------------------------------------------

def _bounds(start: dt.date, end: dt.date) -> tuple[Any, Any]:
    from fangtiao.stats.reference import day_bounds

    lo, hi = day_bounds(start, end)
    adapt = connection.ops.adapt_datetimefield_value
    return adapt(lo), adapt(hi)


def _receipt_filters(cond: str) -> list[str]:
    return [f"count(*) FILTER (WHERE {cond})", f"count(*) FILTER (WHERE {cond} AND kind = 'petition')",
            f"count(*) FILTER (WHERE {cond} AND kind <> 'petition')",
            f"count(*) FILTER (WHERE {cond} AND is_repeat AND kind = 'petition')",
            f"count(*) FILTER (WHERE {cond} AND is_skip_level AND kind = 'petition')",
            f"count(*) FILTER (WHERE {cond} AND is_collective)"]


def hand_summary_sql(path: str, p: dict[str, Any]) -> tuple[str, list[Any]]:
    """One statement: the six receipt counts of the period and of the year before it."""
    lo, hi = _bounds(p["start"], p["end"])
    plo, phi = _bounds(p["p_start"], p["p_end"])
    now = _receipt_filters("received_at >= %s AND received_at < %s")
    before = _receipt_filters("received_at >= %s AND received_at < %s")
    sql = (f"SELECT {', '.join(now + before)} FROM cases_case "  # noqa: S608 - constants only
           "WHERE region_path LIKE %s AND received_at >= %s AND received_at < %s")
    params = [*[lo, hi] * 6, *[plo, phi] * 6, path + "%", min(lo, plo), max(hi, phi)]
    return sql, params


def hand_summary(path: str, p: dict[str, Any]) -> dict[str, dict[str, int]]:
    sql, params = hand_summary_sql(path, p)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        row = [int(v or 0) for v in cur.fetchone()]
    return {"now": dict(zip(RECEIPT, row[:6], strict=True)), "previous": dict(zip(RECEIPT, row[6:], strict=True))}


def _local_month_sql() -> tuple[str, list[Any]]:
    if connection.vendor == "postgresql":
        return "date_trunc('month', c.received_at AT TIME ZONE %s)::date", [settings.TIME_ZONE]
    # SQLite keeps UTC text; Asia/Shanghai has had no daylight saving since 1991 (a fixed offset).
    offset = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).astimezone(ZoneInfo(settings.TIME_ZONE)).utcoffset()
    hours = int(offset.total_seconds() // 3600) if offset else 0
    return f"strftime('%%Y-%%m-01', c.received_at, '{hours:+d} hours')", []


def hand_overview_sql(path: str, p: dict[str, Any]) -> tuple[str, list[Any]]:
    """One statement: receipt counts per local month × channel × category × kind × registering level
    over the overview's 12 months and the 12 before them."""
    from fangtiao.stats import selectors

    lo, _ = _bounds(p["p_first"], p["p_first"])
    _, hi = _bounds(p["last"], selectors.month_end(p["last"]))
    month, month_params = _local_month_sql()
    sql = (f"SELECT {month} AS m, c.channel, coalesce(c.category_id, '') AS cat, c.kind, coalesce(u.level, '') AS lvl, "  # noqa: S608
           "count(*), count(*) FILTER (WHERE c.kind = 'petition'), count(*) FILTER (WHERE c.kind <> 'petition'), "
           "count(*) FILTER (WHERE c.is_repeat AND c.kind = 'petition'), "
           "count(*) FILTER (WHERE c.is_skip_level AND c.kind = 'petition'), "
           "count(*) FILTER (WHERE c.is_collective) "
           "FROM cases_case c LEFT JOIN org_unit u ON u.id = c.registered_unit_id "
           "WHERE c.region_path LIKE %s AND c.received_at >= %s AND c.received_at < %s GROUP BY 1, 2, 3, 4, 5")
    return sql, [*month_params, path + "%", lo, hi]


def hand_overview(path: str, p: dict[str, Any]) -> dict[str, Any]:
    """{"months": {month: counts}, dim: {value: counts over the 12 months}}."""
    sql, params = hand_overview_sql(path, p)
    months: dict[dt.date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(RECEIPT, 0))
    dims: dict[str, dict[str, dict[str, int]]] = {d: defaultdict(lambda: dict.fromkeys(RECEIPT, 0)) for d in DIMS}
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    for m, channel, cat, kind, lvl, *counts in rows:
        month = m if isinstance(m, dt.date) else dt.date.fromisoformat(str(m)[:10])
        for code, n in zip(RECEIPT, counts, strict=True):
            months[month][code] += int(n)
            if p["first"] <= month <= p["last"]:
                for dim, value in zip(DIMS, (channel, cat, kind, lvl), strict=True):
                    dims[dim][value or ""][code] += int(n)
    return {"months": dict(months), **{d: dict(v) for d, v in dims.items()}}


# --- what the rollups answer -------------------------------------------------------------------

def summary(path: str, p: dict[str, Any]) -> dict[str, Any]:
    from fangtiao.stats import selectors

    return selectors.summary(path, p["start"], p["end"])


def overview(path: str, p: dict[str, Any]) -> dict[str, Any]:
    """The overview's series: 12 months and the 12 a year earlier, and the four breakdowns."""
    from fangtiao.stats import selectors

    return {"months": selectors.monthly(path, p["first"], p["last"]),
            "previous": selectors.monthly(path, p["p_first"], p["p_last"]),
            **{d: selectors.breakdown(path, d, p["first"], p["last"]) for d in DIMS}}


def overview_page(p: dict[str, Any]) -> Callable[[], Any]:
    """A call of the leader overview page for the province's 12 months (raises unless 200)."""
    from urllib.parse import urlencode

    from django.test import Client
    from django.urls import reverse

    from fangtiao.bench.ops import Context
    from fangtiao.org.models import User

    user = User.objects.get(username=Context().stats_leader_username)
    url = reverse("stats:overview") + "?" + urlencode(
        {"from": f"{p['first']:%Y-%m}", "to": f"{p['last']:%Y-%m}", "region": PROVINCE_CODE})

    def call() -> int:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        response = client.get(url)
        if response.status_code != 200:
            raise GenerationError(f"{url}: HTTP {response.status_code}")
        return len(response.content)

    call.url = url  # type: ignore[attr-defined]
    return call


def check_summary(s: dict[str, Any], hand: dict[str, dict[str, int]]) -> list[str]:
    out = []
    for key, part in (("counts", "now"), ("previous_counts", "previous")):
        for code in RECEIPT:
            if s[key][code] != hand[part][code]:
                out.append(f"{part}.{code}: rollup {s[key][code]} ≠ SQL {hand[part][code]}")
    return out


def check_overview(o: dict[str, Any], hand: dict[str, Any]) -> list[str]:
    out = []
    zero = dict.fromkeys(RECEIPT, 0)
    for row in [*o["months"], *o["previous"]]:
        want = hand["months"].get(row["month"], zero)
        out += [f"{row['month']:%Y-%m}.{c}: rollup {row[c]} ≠ SQL {want[c]}" for c in RECEIPT if row[c] != want[c]]
    for dim in DIMS:
        got = {v: {c: n[c] for c in RECEIPT} for v, n in o[dim].items() if any(n[c] for c in RECEIPT)}
        if got != hand[dim]:
            diff = sorted(set(got) ^ set(hand[dim])) or [v for v in got if got[v] != hand[dim].get(v)]
            out.append(f"{dim}: rollup ≠ SQL ({', '.join(map(str, diff[:5]))})")
    return out


def check_mediated(path: str, p: dict[str, Any], s: dict[str, Any]) -> list[str]:
    """Mediations concluded (agreed or failed) in the period, counted over the rounds."""
    sql = ("SELECT count(*), count(*) FILTER (WHERE m.status = 'agreed') FROM mediation_mediation m "
           "JOIN cases_case c ON c.id = m.case_id WHERE c.region_path LIKE %s AND m.status IN ('agreed', 'failed') "
           "AND m.ended_on >= %s AND m.ended_on <= %s")
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cur:
        cur.execute(sql, [path + "%", adapt(p["start"]), adapt(p["end"])])
        mediated, agreed = (int(v or 0) for v in cur.fetchone())
    got = (s["counts"]["mediated"], s["counts"]["mediation_agreed"])
    return [] if got == (mediated, agreed) else [f"mediated/agreed: rollup {got} ≠ SQL {(mediated, agreed)}"]


# --- timing ------------------------------------------------------------------------------------

def cold_call(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(ms, answer) of `fn` as the first call of a new database connection: in a thread of its own
    (Django's connections are per thread), after `DISCARD ALL` on PostgreSQL; the connection is closed
    after. Inside a transaction (the tests) the call runs on the current connection."""
    if connection.in_atomic_block:
        # Inside a transaction (the tests) a new connection would not see its rows: time the call on
        # this connection instead.
        t0 = time.perf_counter()
        value = fn()
        return (time.perf_counter() - t0) * 1000, value
    out: dict[str, Any] = {}

    def work() -> None:
        try:
            connection.ensure_connection()
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute("DISCARD ALL")
            t0 = time.perf_counter()
            out["value"] = fn()
            out["ms"] = (time.perf_counter() - t0) * 1000
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            out["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=work, name="bench-stats-cold")
    thread.start()
    thread.join()
    if "error" in out:
        raise out["error"]
    return out["ms"], out["value"]


def timed(fn: Callable[[], Any], *, repeats: int, warmup: int, cold: int) -> dict[str, Any]:
    """{"warm": [ms…], "cold": [ms…], "wall": s, "value": the last answer}."""
    cold_ms = []
    value: Any = None
    for _ in range(cold):
        ms, value = cold_call(fn)
        cold_ms.append(ms)
    for _ in range(warmup):
        value = fn()
    warm_ms = []
    start = time.perf_counter()
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = fn()
        warm_ms.append((time.perf_counter() - t0) * 1000)
    return {"warm": warm_ms, "cold": cold_ms, "wall": time.perf_counter() - start, "value": value}


def floor_call() -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()


def _rollup_total() -> int:
    from fangtiao.stats.models import RollupMonth

    return RollupMonth.objects.filter(dim="").aggregate(n=Sum("total"))["n"] or 0


def ensure_summary_rollups(*, log: Callable[[str], None]) -> None:
    """For the HTTP summary ops without `--stats` (issue 8's run): rollups that count every case, built
    set-based on PostgreSQL (`stats_bulk.build_rollups`, the receipt measures: seconds at 1M — every
    other measure stays 0, the read path reads every column anyway), with `rebuild()` elsewhere."""
    from fangtiao.cases.models import Case

    n, have = Case.objects.count(), _rollup_total()
    if n and have == n:
        return
    if connection.vendor == "postgresql":
        from fangtiao.bench import stats_bulk

        log(f"  统计汇总（集合式，接收口径，{n} 件事项）……")
        out = stats_bulk.build_rollups(say=log)
        log(f"    完成：{out['seconds']} 秒")
    else:
        ensure_rollups("always", log=log)


def ensure_rollups(mode: str, *, log: Callable[[str], None]) -> dict[str, Any]:
    """Rebuild the rollups if asked (or, `auto`, when they do not count every case); timed."""
    from fangtiao.cases.models import Case
    from fangtiao.stats import services

    n = Case.objects.count()
    have = _rollup_total()
    if mode == "never" or (mode == "auto" and have == n and n):
        log(f"  统计汇总已是最新（{have} 件事项），不重建")
        return {"rebuilt": False, "cases": n}
    log(f"  重建统计汇总（stats.services.rebuild，{n} 件事项）……")

    def progress(source: str, done: int) -> None:
        if done % 100_000 == 0:
            log(f"    {source} {done}（{time.perf_counter() - t0:.0f} 秒）")

    t0 = time.perf_counter()
    counts = services.rebuild(progress=progress)
    seconds = time.perf_counter() - t0
    out = {"rebuilt": True, "cases": counts["case"], "consultations": counts["consultation"],
           "seconds": round(seconds, 1), "cases_per_s": round(counts["case"] / seconds, 1) if seconds else 0.0}
    log(f"    重建完成：{out['seconds']} 秒，{out['cases_per_s']} 件/秒")
    return out


def _result(name: str, t: dict[str, Any], *, config: StatsConfig, db: str, path: str, **extra: Any) -> StatsResult:
    warm, cold = t["warm"], t["cold"]
    return StatsResult(
        op=name, db=db, n_cases=config.n_cases, p50_ms=round(percentile(warm, 50), 3),
        p95_ms=round(percentile(warm, 95), 3), p99_ms=round(percentile(warm, 99), 3),
        rps=round(len(warm) / t["wall"], 2) if t["wall"] > 0 else 0.0, floor_ratio=0.0, requests=len(warm),
        concurrency=1, path=path,
        extra={"cold_p50_ms": round(percentile(cold, 50), 3), "cold_max_ms": round(max(cold, default=0.0), 3),
               "cold_first_ms": round(cold[0], 3) if cold else 0.0, **extra})


def run(config: StatsConfig, *, log: Callable[[str], None] = print) -> list[StatsResult]:
    db = database_vendor()
    log(f"统计：摘要和领导驾驶舱（进程内，热 {config.repeats} 次、冷 {config.cold} 次；基线 SELECT 1 和手写 SQL 计数）")
    rebuild = ensure_rollups(config.rebuild, log=log)
    p, where = periods(), places()
    log(f"  滚动年 {p['start']}～{p['end']}（上年 {p['p_start']}～{p['p_end']}），驾驶舱 {p['first']:%Y-%m}～{p['last']:%Y-%m}，"
        f"乡镇 {where['township']}")
    rep = {"repeats": config.repeats, "warmup": config.warmup, "cold": config.cold}
    hand_rep = {"repeats": min(config.hand_repeats, config.repeats), "warmup": min(1, config.warmup), "cold": config.cold}
    province, township = where["province"], where["township"]
    results: list[StatsResult] = []
    results.append(_result(FLOOR, timed(floor_call, **rep), config=config, db=db, path="SELECT 1"))

    def pair(scope: str, path: str) -> None:
        hand_sql, _ = hand_summary_sql(path, p)
        h = timed(lambda: hand_summary(path, p), **hand_rep)
        s = timed(lambda: summary(path, p), **rep)
        problems = check_summary(s["value"], h["value"])
        if s["value"]["counts"]["mediated"] or _has_rounds():
            problems += check_mediated(path, p, s["value"])
        results.append(_result(f"stats.hand_{scope}", h, config=config, db=db, path=hand_sql[:120] + "…",
                               counts=h["value"]))
        results.append(_result(f"stats.summary_{scope}", s, config=config, db=db,
                               path=f"selectors.summary({path!r}, {p['start']}, {p['end']})",
                               check="ok" if not problems else "; ".join(problems[:5]),
                               total=s["value"]["counts"]["total"], previous_total=s["value"]["previous_counts"]["total"],
                               mediated=s["value"]["counts"]["mediated"]))
        if problems:
            results[-1].errors, results[-1].first_error = len(problems), problems[0]

    log("  省：滚动年摘要和手写 SQL……")
    pair("year", province)
    log("  乡镇：滚动年摘要和手写 SQL……")
    pair("township", township)
    log("  驾驶舱：月度序列（含上年）和四个分组……")
    hand_sql, _ = hand_overview_sql(province, p)
    h = timed(lambda: hand_overview(province, p), **hand_rep)
    o = timed(lambda: overview(province, p), **rep)
    problems = check_overview(o["value"], h["value"])
    results.append(_result("stats.hand_overview", h, config=config, db=db, path=hand_sql[:120] + "…"))
    results.append(_result("stats.overview", o, config=config, db=db,
                           path=f"monthly×2 + breakdown×4 ({p['first']:%Y-%m}..{p['last']:%Y-%m})",
                           check="ok" if not problems else "; ".join(problems[:5])))
    if problems:
        results[-1].errors, results[-1].first_error = len(problems), problems[0]

    log("  驾驶舱页面（进程内，Django test client）……")
    page = overview_page(p)
    results.append(_result("stats.overview_page", timed(page, **rep), config=config, db=db, path=page.url))  # type: ignore[attr-defined]

    floor = results[0]
    by = {r.op: r for r in results}
    for r in results:
        r.floor_ratio = round(r.p50_ms / floor.p50_ms, 1) if floor.p50_ms else 0.0
        r.extra["cold_floor_ratio"] = round(r.extra["cold_p50_ms"] / floor.extra["cold_p50_ms"], 1) \
            if floor.extra["cold_p50_ms"] else 0.0
        hand = by.get(r.op.replace("stats.summary_", "stats.hand_").replace("stats.overview", "stats.hand_overview"))
        if hand is not None and hand is not r and hand.p50_ms:
            r.extra["hand_ratio"] = round(r.p50_ms / hand.p50_ms, 3)
            r.extra["cold_hand_ratio"] = round(r.extra["cold_p50_ms"] / hand.extra["cold_p50_ms"], 3) \
                if hand.extra["cold_p50_ms"] else 0.0
    floor.floor_ratio = 1.0
    floor.extra["rebuild"] = rebuild
    floor.extra["rollup_rows"] = _rollup_rows()
    floor.extra.update({k: v.isoformat() for k, v in p.items()})
    return results


def _has_rounds() -> bool:
    from fangtiao.mediation.models import Mediation

    return Mediation.objects.exists()


def _rollup_rows() -> dict[str, int]:
    from fangtiao.stats.models import RollupDay, RollupMonth

    return {"month": RollupMonth.objects.count(), "day": RollupDay.objects.count()}


def table(results: list[StatsResult]) -> str:
    lines = ["op                      warm p50    p95   cold p50  ×floor  ×hand  cold×hand  notes", "-" * 110]
    for r in results:
        e = r.extra
        notes = e.get("check", "") if r.op.startswith(("stats.summary", "stats.overview")) else ""
        if r.op == FLOOR and e.get("rebuild", {}).get("rebuilt"):
            notes = f"rebuild {e['rebuild']['seconds']} s, {e['rebuild']['cases_per_s']} cases/s"
        if r.op.startswith("stats.summary"):
            notes += f", total {e.get('total')} / {e.get('previous_total')}, mediated {e.get('mediated')}"
        hand = f"{e['hand_ratio']:>6}" if "hand_ratio" in e else "     -"
        chand = f"{e['cold_hand_ratio']:>9}" if "cold_hand_ratio" in e else "        -"
        lines.append(f"{r.op:<22} {r.p50_ms:>9} {r.p95_ms:>7} {e['cold_p50_ms']:>9} {r.floor_ratio:>7} {hand} {chand}  {notes}")
    return "\n".join(lines)


def main(n_cases: int = 0, **kw: Any) -> list[StatsResult]:
    """Measure and print the table (for `fangtiao shell -c`)."""
    results = run(StatsConfig(n_cases=n_cases, **kw))
    print(table(results))  # noqa: T201
    return results
