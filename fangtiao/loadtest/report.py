"""Figures of a load run: percentiles per kind, error rate, throughput; JSON and a Markdown table."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from fangtiao.loadtest.client import Results

TARGETS = {"p95_ms": 500, "p99_ms": 1000, "error_rate": 0.0, "sqlite_submits_per_s": 20}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0–100) of seconds, in milliseconds."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return round(ordered[rank - 1] * 1000, 1)


def summarise(results: Results, *, meta: dict[str, Any], ledger: dict[str, Any], server_locked: int,
              server_errors: int, floor: list[float] | None = None) -> dict[str, Any]:
    elapsed = max(results.ended - results.started, 1e-9)
    kinds = {}
    total = errors = 0
    every: list[float] = []
    for kind in sorted(results.latencies):
        lat = results.latencies[kind]
        n = len(lat)
        total += n
        errors += results.errors.get(kind, 0)
        every += lat
        kinds[kind] = {"requests": n, "errors": results.errors.get(kind, 0), "per_s": round(n / elapsed, 2),
                       "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95), "p99_ms": percentile(lat, 99),
                       "max_ms": percentile(lat, 100), "statuses": dict(results.statuses[kind])}
    submits = sum(results.statuses[k].get("201", 0) for k in ("submit", "submit_large"))
    return {
        **meta,
        "elapsed_s": round(elapsed, 1),
        "requests": total,
        "throughput_per_s": round(total / elapsed, 2),
        "submissions_acknowledged_per_s": round(submits / elapsed, 2),
        "errors": errors + results.errors.get("client", 0),
        "error_rate": round(errors / total, 5) if total else 0.0,
        "all": {"p50_ms": percentile(every, 50), "p95_ms": percentile(every, 95), "p99_ms": percentile(every, 99)},
        "kinds": kinds,
        "floor": _floor(floor or [], every),
        "retries": results.retries,
        "database_is_locked": {"responses": results.locked, "server_log": server_locked},
        "server_errors_logged": server_errors,
        "leaks": len(results.leaks),
        "leak_samples": results.leaks[:5],
        "error_samples": results.error_samples[:10],
        "ledger": ledger,
    }


def _floor(floor: list[float], every: list[float]) -> dict[str, Any]:
    """The floor's percentiles and the run's as multiples of them (the same users, think time, site)."""
    if not floor:
        return {}
    out: dict[str, Any] = {"requests": len(floor)}
    for q in (50, 95, 99):
        f = percentile(floor, q)
        out[f"p{q}_ms"] = f
        out[f"p{q}_ratio"] = round(percentile(every, q) / f, 1) if f else None
    return out


def markdown(summary: dict[str, Any]) -> str:
    s = summary
    lines = [
        f"**{s['db']}**, {s['users']} users × {s['duration_s']} s (think time {s['think_s']} s), "
        f"gunicorn {s['web_workers']} workers × {s['threads']} threads, seed {s['rng_seed']}, {s['when']}",
        "",
        "| kind | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, k in s["kinds"].items():
        lines.append(f"| {kind} | {k['requests']} | {k['errors']} | {k['per_s']} | {k['p50_ms']} | {k['p95_ms']} | "
                     f"{k['p99_ms']} | {k['max_ms']} |")
    a = s["all"]
    lines.append(f"| **all** | {s['requests']} | {s['errors']} | {s['throughput_per_s']} | {a['p50_ms']} | "
                 f"{a['p95_ms']} | {a['p99_ms']} | |")
    led = s["ledger"]
    lines += [
        "",
        f"error rate {s['error_rate'] * 100:.2f} % · acknowledged submissions {led['acknowledged']} "
        f"({s['submissions_acknowledged_per_s']}/s) · lost {led['lost']} · duplicates {led['duplicates']} · "
        f"retries {s['retries']} · \"database is locked\" {s['database_is_locked']['responses']} in responses, "
        f"{s['database_is_locked']['server_log']} in the server log · 5xx logged {s['server_errors_logged']} · "
        f"leaks (traceback/SQL/paths in a body) {s['leaks']}",
    ]
    fl = s.get("floor") or {}
    if fl:
        lines += ["", f"floor (`/healthz`, same users and think time, {fl['requests']} requests): p50 {fl['p50_ms']} ms, "
                      f"p95 {fl['p95_ms']} ms, p99 {fl['p99_ms']} ms · the run as multiples of it: "
                      f"p50 ×{fl['p50_ratio']}, p95 ×{fl['p95_ratio']}, p99 ×{fl['p99_ratio']}"]
    return "\n".join(lines) + "\n"


def write(summary: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    stem = f"load-{summary['db']}-{summary['users']}u-{summary['duration_s']}s"
    j, m = out / f"{stem}.json", out / f"{stem}.md"
    j.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    m.write_text(markdown(summary), encoding="utf-8")
    return j, m
