"""The load report: percentiles, and the run as multiples of the floor measured in the same run."""

from __future__ import annotations

from fangtiao.loadtest import report
from fangtiao.loadtest.client import Results

LEDGER = {"acknowledged": 1, "lost": 0, "duplicates": 0}
META = {"db": "sqlite", "users": 2, "duration_s": 1, "think_s": 1.0, "web_workers": 2, "threads": 4,
        "rng_seed": 1, "when": "now"}


def test_the_run_is_reported_as_multiples_of_its_floor() -> None:
    results = Results()
    results.latencies["lookup"] = [i / 1000 for i in range(1, 101)]  # 1 … 100 ms
    results.statuses["lookup"]["200"] = 100
    results.started, results.ended = 0.0, 10.0
    floor = [0.002] * 90 + [0.004] * 10  # p50 2 ms, p95 4 ms
    s = report.summarise(results, meta=META, ledger=LEDGER, server_locked=0, server_errors=0, floor=floor)
    assert s["all"]["p95_ms"] == 95.0 and s["floor"]["p95_ms"] == 4.0
    assert s["floor"]["p50_ratio"] == 25.0 and s["floor"]["p95_ratio"] == 23.8 and s["floor"]["p99_ratio"] == 24.8
    assert "p95 ×23.8" in report.markdown(s)


def test_without_a_floor_phase_nothing_is_claimed() -> None:
    results = Results()
    results.latencies["lookup"] = [0.01]
    results.started, results.ended = 0.0, 1.0
    s = report.summarise(results, meta=META, ledger=LEDGER, server_locked=0, server_errors=0)
    assert s["floor"] == {} and "floor" not in report.markdown(s)
