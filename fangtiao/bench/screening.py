"""The screening part of the benchmark: the similar-matter lookup and the hot-spot run, in the
process (like `documents.py`), each against what it cannot be cheaper than.

| op | what is timed | its floor |
|---|---|---|
| `scr.floor_key` | one indexed lookup of one MinHash band key in `screening_textkey` (raw SQL, the case ids sharing it) | — |
| `scr.similar` | `similar.similar_to_case(case)` of a random generated case: its petitioners' blind indexes on Party, its 32 band keys on TextKey (the 200 candidates sharing most keys), the candidates loaded and scored (同人 + 同事, text similarity with the IDF) | `scr.floor_key` |
| `scr.hotspots_30d` | `hotspots.run_one` over the last 30 days of the generated cases (and the 30 days before, for the trend): read in chunks, clustered, stored with members, progress on the run row | — (seconds, cases per second) |
| `scr.hotspots_365d` | the same over a year (the longest window a leader may ask for) | — |
| `scr.warnings_refresh` | `engine.refresh()`: the periodic warnings (overdue, backlog, hot spots, screening) over the whole table | — |

The lookup is what intake and `GET /api/v1/cases/{id}/similar` do per matter, so it must not grow
with the number of cases: `candidates` (the rows the band keys match, mean per lookup) and the p95
at two sizes say whether it does. Hot-spot runs report their peak memory (`ru_maxrss` of the
process after the run, and its growth during the run) and whether the run's progress fields moved
forward and ended at their total (polled from a second connection while the run works).

Run with the HTTP benchmark: `fangtiao bench --screening` (before the server starts, so the hot
spots and warnings it computes are there for `api.hotspots.list` and `api.warnings.list`), or alone:
`fangtiao shell -c "from fangtiao.bench import screening; screening.main()"`.
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, connections
from django.db.models import Max, Min

from fangtiao.bench.generate import BENCH_PATH_PREFIX, GenerationError, database_vendor
from fangtiao.bench.runner import OpResult, percentile

FLOOR_KEY = "scr.floor_key"
SIMILAR = "scr.similar"
HOT_30 = "scr.hotspots_30d"
HOT_365 = "scr.hotspots_365d"
WARNINGS = "scr.warnings_refresh"


@dataclass(frozen=True)
class ScreeningConfig:
    n_cases: int = 0
    lookups: int = 200
    warmup: int = 10
    hotspot_windows: tuple[int, ...] = (30, 365)
    warnings: bool = True
    seed: str = "bench-screening"


@dataclass
class ScreeningResult(OpResult):
    extra: dict[str, Any] = field(default_factory=dict)


# --- what is measured --------------------------------------------------------------------------

def random_case_ids(k: int, seed: str) -> list[int]:
    """`k` generated cases at random (seeded; one indexed probe each, no scan of the table)."""
    from fangtiao.cases.models import Case

    qs = Case.objects.filter(region_path__startswith=BENCH_PATH_PREFIX, registered_by__isnull=True)
    bounds = qs.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        raise GenerationError("没有找到基准事项，请先运行 fangtiao bench generate")
    rng = random.Random(seed)  # noqa: S311 - which cases, not a secret
    ids: list[int] = []
    for _ in range(k * 3):
        pk = qs.filter(pk__gte=rng.randint(bounds["lo"], bounds["hi"])).order_by("pk").values_list("pk", flat=True).first()
        if pk is not None and pk not in ids:
            ids.append(pk)
        if len(ids) == k:
            break
    return ids


def _keys_of(case_ids: list[int]) -> dict[int, list[int]]:
    from fangtiao.screening.models import TextKey

    out: dict[int, list[int]] = {}
    for case_id, key in TextKey.objects.filter(case_id__in=case_ids).order_by("id").values_list("case_id", "key"):
        out.setdefault(case_id, []).append(key)
    return out


def _floor_times(keys: list[int], warmup: int) -> list[float]:
    """One band key looked up in the index (the ids of the cases sharing it), raw SQL."""
    sql = "SELECT case_id FROM screening_textkey WHERE key = %s"
    times = []
    with connection.cursor() as cursor:
        for i, key in enumerate([*keys[:warmup], *keys]):
            t0 = time.perf_counter()
            cursor.execute(sql, [key])
            cursor.fetchall()
            if i >= warmup:
                times.append((time.perf_counter() - t0) * 1000)
    return times


def _similar_times(case_ids: list[int], warmup: int) -> tuple[list[float], list[int], float]:
    """(ms of each lookup, the hits of each, wall seconds of the timed lookups)."""
    from fangtiao.cases.models import Case
    from fangtiao.screening.similar import similar_to_case

    cases = {c.pk: c for c in Case.objects.filter(pk__in=case_ids).prefetch_related("parties")}
    order = [cases[i] for i in case_ids if i in cases]
    for c in order[:warmup]:
        similar_to_case(c)
    times, hits = [], []
    start = time.perf_counter()
    for c in order:
        t0 = time.perf_counter()
        found = similar_to_case(c)
        times.append((time.perf_counter() - t0) * 1000)
        hits.append(len(found))
    return times, hits, time.perf_counter() - start


def _candidates(keys: dict[int, list[int]]) -> list[int]:
    """Rows the band keys of each case match (what the lookup's GROUP BY reads), excluding its own."""
    out = []
    with connection.cursor() as cursor:
        for case_id, ks in keys.items():
            cursor.execute("SELECT count(*) FROM screening_textkey WHERE key = ANY(%s) AND case_id <> %s"
                           if connection.vendor == "postgresql" else
                           f"SELECT count(*) FROM screening_textkey WHERE key IN ({', '.join(['%s'] * len(ks))}) "  # noqa: S608
                           "AND case_id <> %s", [ks, case_id] if connection.vendor == "postgresql" else [*ks, case_id])
            out.append(int(cursor.fetchone()[0]))
    return out


def generated_end() -> dt.date:
    """The (Beijing) day of the newest generated case: the windows end there."""
    from django.utils import timezone

    from fangtiao.cases.models import Case

    newest = (Case.objects.filter(region_path__startswith=BENCH_PATH_PREFIX, registered_by__isnull=True)
              .aggregate(m=Max("received_at"))["m"])
    if newest is None:
        raise GenerationError("没有找到基准事项，请先运行 fangtiao bench generate")
    return timezone.localtime(newest).date()


class _ProgressWatch:
    """Polls the run's progress from its own connection while the run works."""

    def __init__(self, run_id: int, every: float = 0.2) -> None:
        self.run_id, self.every = run_id, every
        self.seen: list[tuple[int, int]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, name="bench-hotspot-progress", daemon=True)

    def _poll(self) -> None:
        from fangtiao.screening.models import HotspotRun

        try:
            while not self.stop.wait(self.every):
                row = HotspotRun.objects.filter(pk=self.run_id).values_list("progress_done", "progress_total").first()
                if row is not None and (not self.seen or self.seen[-1] != row):
                    self.seen.append(row)
        finally:
            connections.close_all()

    def __enter__(self) -> _ProgressWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def hotspot_run(days: int, end: dt.date) -> dict[str, Any]:
    """One hot-spot run over the `days` days ending `end`, timed, with its memory and progress."""
    from fangtiao.screening import hotspots
    from fangtiao.screening.models import Hotspot, HotspotRun

    start = end - dt.timedelta(days=days - 1)
    run = HotspotRun.objects.create(window_start=start, window_end=end)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    watch_ok = connection.vendor == "postgresql"  # SQLite: one writer; the poller would only see the end
    t0 = time.perf_counter()
    if watch_ok:
        with _ProgressWatch(run.pk) as watch:
            done = hotspots.run_one(run.pk)
        seen = watch.seen
    else:
        done, seen = hotspots.run_one(run.pk), []
    seconds = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if done is None:
        raise GenerationError(f"热点计算未能开始（run {run.pk}）")
    dones = [d for d, _t in seen]
    backwards = [(a, b) for a, b in zip(dones, dones[1:], strict=False) if b < a]
    progress_ok = (done.status == "done" and done.progress_total > 0 and done.progress_done == done.progress_total
                   and done.percent == 100 and not backwards)
    return {
        "window_days": days, "from": start.isoformat(), "to": end.isoformat(), "run": done.pk, "status": done.status,
        "seconds": round(seconds, 2), "n_cases": done.n_cases,
        "cases_per_s": round(done.n_cases / seconds, 1) if seconds else 0.0,
        "read_cases": done.progress_total - 1,  # the window and the window before it (the trend)
        "hotspots": Hotspot.objects.filter(run=done).count(),
        "peak_rss_mb": round(rss1 / 1024, 1), "rss_growth_mb": round((rss1 - rss0) / 1024, 1),
        "progress_total": done.progress_total, "progress_done": done.progress_done, "progress_seen": len(seen),
        "progress_ok": progress_ok, "progress_backwards": backwards[:3], "message": done.message,
    }


# --- the run -----------------------------------------------------------------------------------

def _op(name: str, times: list[float], wall: float, *, config: ScreeningConfig, db: str, path: str,
        **extra: Any) -> ScreeningResult:
    return ScreeningResult(op=name, db=db, n_cases=config.n_cases, p50_ms=round(percentile(times, 50), 3),
                           p95_ms=round(percentile(times, 95), 3), p99_ms=round(percentile(times, 99), 3),
                           rps=round(len(times) / wall, 2) if wall > 0 else 0.0, floor_ratio=0.0, requests=len(times),
                           concurrency=1, path=path, extra=extra)


def run(config: ScreeningConfig, *, log: Callable[[str], None] = print) -> list[ScreeningResult]:
    from fangtiao.screening.similar import ensure_place_names

    db = database_vendor()
    log(f"排查预警：相似事项查询 {config.lookups} 次（基线：按一个 band key 查索引），"
        f"热点计算 {'、'.join(f'{d} 天' for d in config.hotspot_windows)}（进程内）")
    ensure_place_names()
    ids = random_case_ids(config.lookups, config.seed)
    keys = _keys_of(ids)
    missing = [i for i in ids if i not in keys]
    if len(missing) > len(ids) // 10:
        raise GenerationError(f"{len(missing)} 件基准事项没有文本索引（screening_textkey），请重新生成基准数据")
    rng = random.Random(config.seed)  # noqa: S311
    probe = [rng.choice(keys[i]) for i in ids if i in keys]

    t0 = time.perf_counter()
    times = _floor_times(probe, config.warmup)
    floor = _op(FLOOR_KEY, times, time.perf_counter() - t0, config=config, db=db,
                path="SELECT case_id FROM screening_textkey WHERE key = %s")
    times, hits, wall = _similar_times(ids, config.warmup)
    cands = _candidates(keys)
    similar = _op(SIMILAR, times, wall, config=config, db=db, path="similar.similar_to_case(case)",
                  candidates_mean=round(sum(cands) / max(len(cands), 1), 1),
                  candidates_p95=percentile(cands, 95), candidates_max=max(cands, default=0),
                  hits_mean=round(sum(hits) / max(len(hits), 1), 2))
    floor.floor_ratio = floor.floor_rps_ratio = 1.0
    similar.floor_ratio = round(similar.p50_ms / floor.p50_ms, 1) if floor.p50_ms else 0.0
    similar.floor_rps_ratio = round(floor.rps / similar.rps, 1) if similar.rps else 0.0
    results = [floor, similar]

    end = generated_end()
    for days in config.hotspot_windows:
        log(f"  热点计算：{days} 天窗口（截至 {end}）……")
        h = hotspot_run(days, end)
        log(f"    {h['n_cases']} 件事项，{h['hotspots']} 个热点，{h['seconds']} 秒，峰值内存 {h['peak_rss_mb']} MB，"
            f"进度{'正常' if h['progress_ok'] else '异常'}")
        results.append(ScreeningResult(
            op=f"scr.hotspots_{days}d", db=db, n_cases=config.n_cases, p50_ms=round(h["seconds"] * 1000, 1),
            p95_ms=round(h["seconds"] * 1000, 1), rps=h["cases_per_s"], floor_ratio=0.0, requests=1, concurrency=1,
            errors=0 if h["progress_ok"] else 1,
            first_error="" if h["progress_ok"] else f"进度字段异常（回退 {h['progress_backwards']}，"
                                                      f"{h['progress_done']}/{h['progress_total']}，{h['status']}）",
            path=f"hotspots.run_one({h['from']}~{h['to']})", extra=h))
    if config.warnings:
        from fangtiao.screening import engine

        log("  预警刷新（engine.refresh）……")
        t0 = time.perf_counter()
        counts = engine.refresh(today=end)
        seconds = time.perf_counter() - t0
        results.append(ScreeningResult(op=WARNINGS, db=db, n_cases=config.n_cases, p50_ms=round(seconds * 1000, 1),
                                       p95_ms=round(seconds * 1000, 1), rps=0.0, floor_ratio=0.0, requests=1,
                                       concurrency=1, path="engine.refresh()", extra={"seconds": round(seconds, 2), **counts}))
    return results


def table(results: list[ScreeningResult]) -> str:
    lines = ["op                    p50_ms     p95_ms  ×floor  notes", "-" * 96]
    for r in results:
        e = r.extra
        if r.op == SIMILAR:
            notes = (f"candidates mean {e['candidates_mean']} p95 {e['candidates_p95']} max {e['candidates_max']}, "
                     f"hits {e['hits_mean']}")
        elif r.op.startswith("scr.hotspots_"):
            notes = (f"{e['seconds']} s, {e['n_cases']} cases ({e['read_cases']} read), {e['cases_per_s']}/s, "
                     f"{e['hotspots']} hot spots, peak RSS {e['peak_rss_mb']} MB (+{e['rss_growth_mb']}), "
                     f"progress {'ok' if e['progress_ok'] else 'NOT ok'} ({e['progress_seen']} polls"
                     + (f", went back {e['progress_backwards']}" if e["progress_backwards"] else "") + ")")
        elif r.op == WARNINGS:
            notes = ", ".join(f"{k} {v}" for k, v in e.items())
        else:
            notes = r.path
        ratio = f"{r.floor_ratio:>6}" if r.floor_ratio else "     -"
        lines.append(f"{r.op:<20} {r.p50_ms:>9} {r.p95_ms:>10}  {ratio}  {notes}")
    return "\n".join(lines)


def main(n_cases: int = 0, **kw: Any) -> list[ScreeningResult]:
    """Measure and print the table (for `fangtiao shell -c`)."""
    results = run(ScreeningConfig(n_cases=n_cases, **kw))
    print(table(results))  # noqa: T201
    return results
