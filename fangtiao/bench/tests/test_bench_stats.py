"""The statistics part of the benchmark: generated data feeds the rollups, the in-process part times
the summary and the overview against `SELECT 1` and the hand SQL and finds them equal, the HTTP ops
answer, and (PostgreSQL) the set-based 10M path writes cases and rollups equal to `rebuild()`'s."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from fangtiao.bench import generate as gen
from fangtiao.bench import stats
from fangtiao.bench.ops import REGISTRY, Context
from fangtiao.stats.models import RollupDay, RollupMonth

N = 1000
STATS_OPS = ("stats.summary_year", "stats.summary_township", "stats.overview_monthly", "stats.overview_breakdown")


@pytest.mark.django_db
def test_a_cold_call_has_a_connection_of_its_own() -> None:
    def backend() -> object:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT 1")
            return cur.fetchone()[0]

    mine = backend()
    connection.in_atomic_block, was = False, connection.in_atomic_block  # as in `fangtiao bench` (autocommit)
    try:
        ms, theirs = stats.cold_call(backend)
    finally:
        connection.in_atomic_block = was
    assert ms > 0 and (theirs != mine or connection.vendor != "postgresql")


def test_stats_operations_are_registered() -> None:
    for name in STATS_OPS:
        assert name in REGISTRY and REGISTRY[name].login is not None


@pytest.mark.django_db
def test_stats_part_rebuilds_measures_and_checks() -> None:
    gen.generate(N)
    config = stats.StatsConfig(n_cases=N, repeats=3, warmup=1, cold=2)
    results = stats.run(config, log=lambda _m: None)
    by = {r.op: r for r in results}
    assert list(by) == [stats.FLOOR, "stats.hand_year", "stats.summary_year", "stats.hand_township",
                        "stats.summary_township", "stats.hand_overview", "stats.overview", "stats.overview_page"]
    floor = by[stats.FLOOR]
    assert floor.extra["rebuild"]["rebuilt"] and floor.extra["rebuild"]["cases"] == N
    assert floor.extra["rebuild"]["cases_per_s"] > 0 and floor.extra["rollup_rows"]["month"] > 0
    assert by["stats.overview_page"].p50_ms > 0 and by["stats.overview_page"].extra["cold_p50_ms"] > 0
    for name in ("stats.summary_year", "stats.summary_township", "stats.overview"):
        r = by[name]
        assert r.extra["check"] == "ok" and not r.errors, r.extra["check"]
        assert r.requests == 3 and r.p95_ms >= r.p50_ms > 0 and r.extra["cold_p50_ms"] > 0
        assert r.floor_ratio > 0 and r.extra["hand_ratio"] > 0 and r.extra["cold_hand_ratio"] > 0
    year = by["stats.summary_year"].extra
    assert year["total"] > 0 and year["previous_total"] > 0 and year["mediated"] > 0  # rounds are counted
    assert by["stats.hand_year"].extra["counts"]["now"]["total"] == year["total"]
    assert "stats.summary_year" in stats.table(results)
    # The second run finds the rollups current.
    again = stats.run(stats.StatsConfig(n_cases=N, repeats=1, warmup=0, cold=0), log=lambda _m: None)
    assert again[0].extra["rebuild"] == {"rebuilt": False, "cases": N}


@pytest.mark.django_db
def test_a_wrong_rollup_is_reported() -> None:
    gen.generate(N)
    stats.ensure_rollups("always", log=lambda _m: None)
    row = RollupMonth.objects.filter(dim="", total__gt=0, month=stats.periods()["last"]).first()
    RollupMonth.objects.filter(pk=row.pk).update(total=row.total + 1)
    results = stats.run(stats.StatsConfig(n_cases=N, repeats=1, warmup=0, cold=0, rebuild="never"), log=lambda _m: None)
    bad = [r for r in results if r.errors]
    assert bad and all("≠" in r.first_error for r in bad)


@pytest.mark.django_db
def test_stats_http_operations_answer() -> None:
    gen.generate(N)
    stats.ensure_rollups("always", log=lambda _m: None)
    ctx = Context()
    client = Client()
    token = client.post("/api/v1/auth/token", {"username": ctx.stats_leader_username, "password": gen.BENCH_PASSWORD},
                        content_type="application/json").json()["token"]
    summary = None
    for name in STATS_OPS:
        for path in REGISTRY[name].paths(ctx):
            response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
            assert response.status_code == 200, (name, response.content[:200])
            if name == "stats.summary_year":
                summary = response.json()
    assert summary is not None and summary["source"] == "rollup" and summary["total"] > 0
    assert Context().stats_leader_username == ctx.stats_leader_username  # created once
    assert gen.generated_counts() == gen.plan_for(N).expected_counts()  # not counted as generated staff


pg_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-based path is PostgreSQL only")


@pg_only
@pytest.mark.django_db
def test_set_based_rollups_equal_rebuild() -> None:
    from fangtiao.bench import stats_bulk
    from fangtiao.stats import services

    gen.generate(N)
    services.rebuild()
    receipt = stats_bulk.RECEIPT

    def snapshot() -> tuple[dict, dict]:
        month = {(r["month"], r["bucket_path"], r["dim"], r["value"]): tuple(r[c] for c in receipt)
                 for r in RollupMonth.objects.values("month", "bucket_path", "dim", "value", *receipt)}
        day = {(r["day"], r["bucket_path"]): tuple(r[c] for c in receipt)
               for r in RollupDay.objects.values("day", "bucket_path", *receipt)}
        return ({k: v for k, v in month.items() if any(v)}, {k: v for k, v in day.items() if any(v)})

    python = snapshot()
    stats_bulk.build_rollups()
    assert snapshot() == python


@pg_only
@pytest.mark.django_db
def test_set_based_generation_feeds_the_stats_part() -> None:
    from fangtiao.bench import stats_bulk

    n = 5000
    out = stats_bulk.generate(n, restore_all=True, log=lambda _m: None)
    assert stats_bulk.bulk_case_count() == n and out["cases_per_s"] > 0 and out["rollups"]["month_rows"] > 0
    assert stats_bulk.generate(n, log=lambda _m: None) == {"n_cases": n}  # idempotent
    results = stats.run(stats.StatsConfig(n_cases=n, repeats=2, warmup=0, cold=1, rebuild="never"), log=lambda _m: None)
    by = {r.op: r for r in results}
    for name in ("stats.summary_year", "stats.summary_township", "stats.overview"):
        assert by[name].extra["check"] == "ok", by[name].extra["check"]
    assert by["stats.summary_year"].extra["total"] > 0.4 * n
    with connection.cursor() as cur:
        cur.execute("SELECT count(DISTINCT channel), count(DISTINCT category_id), count(DISTINCT kind), "
                    "count(*) FILTER (WHERE is_repeat), count(*) FILTER (WHERE is_collective) FROM cases_case")
        channels, categories, kinds, repeat, collective = cur.fetchone()
    assert channels >= 6 and categories >= 5 and kinds == 2 and repeat > 0 and collective > 0


@pg_only
@pytest.mark.django_db
def test_the_command_generates_set_based_data() -> None:
    from io import StringIO

    from django.core.management import call_command

    from fangtiao.bench import stats_bulk

    out = StringIO()
    call_command("bench", "generate", "--stats-bulk", "--n-cases", "2000", stdout=out)
    assert stats_bulk.bulk_case_count() == 2000 and RollupMonth.objects.exists()
    assert "汇总完成" in out.getvalue()
