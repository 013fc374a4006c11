"""The issue-8 parts of the harness that need no server: sizes, per-size databases, the curve and
its sublinear check, the markdown table, and the registry's floors and concurrency."""

from __future__ import annotations

import pytest

from fangtiao.bench import scale
from fangtiao.bench.ops import REGISTRY


def test_parse_sizes_and_labels():
    assert scale.parse_sizes("1000000,100000,100_000") == [100_000, 1_000_000]
    assert [scale.label(n) for n in (100_000, 1_000_000, 10_000_000, 250_000, 1234)] == ["100k", "1m", "10m", "250k", "1234"]
    for bad in ("", "abc", "10", "100000000"):
        with pytest.raises(scale.ScaleError):
            scale.parse_sizes(bad)


def test_database_per_size_needs_postgresql():
    assert scale.database_url("postgres://u@h:5432/ft_bench", 1_000_000) == "postgres://u@h:5432/ft_bench_1m"
    with pytest.raises(scale.ScaleError):
        scale.database_url("sqlite:///var/db.sqlite3", 100_000)


def _r(op, p50, p95=None, **kw):
    return {"op": op, "p50_ms": p50, "p95_ms": p95 or p50 * 1.5, "p99_ms": p50 * 2, "floor_ratio": 2.0, "sql_ratio": 1.5,
            "rps": 10.0, "sql_rps": 20.0, "sql_rps_share": 0.5, **kw}


def test_curve_checks_lookups_grow_sublinearly():
    runs = {"100k": [_r("floor", 1.0), _r("api.cases.list", 10.0), _r("api.cases.q", 10.0), _r("api.cases.intake", 50.0)],
            "1m": [_r("floor", 1.0), _r("api.cases.list", 12.0), _r("api.cases.q", 150.0), _r("api.cases.intake", 600.0)]}
    curve = {c["op"]: c for c in scale.curve([100_000, 1_000_000], runs)}
    assert curve["api.cases.list"]["sublinear"] is True and curve["api.cases.list"]["steps"][0]["growth_p50"] == 1.2
    assert curve["api.cases.q"]["sublinear"] is False  # 15× for 10× the data
    assert curve["api.cases.intake"]["lookup"] is False and curve["floor"]["lookup"] is False
    report = {"sizes": [100_000, 1_000_000], "runs": runs, "curve": list(curve.values())}
    md = scale.markdown(report)
    assert "| `api.cases.q` |" in md and "**no**" in md and "= **50 %**" in md
    assert "api.cases.list" in scale.table(report)


def test_every_issue8_op_is_registered_with_its_floor():
    lists = [n for n in REGISTRY if n.startswith(("api.cases.filter_", "api.cases.list"))]
    assert len(lists) >= 15 and all(callable(REGISTRY[n].floor) for n in lists)
    assert REGISTRY["api.cases.intake"].floor == "intake" and REGISTRY["api.cases.intake_c16"].concurrency == 16
    assert all(callable(REGISTRY[n].floor) for n in ("api.cases.detail", "api.cases.similar", "stats.summary_year"))
