"""The benchmark harness: the generator is deterministic, correct and idempotent; the runner
measures every registered operation against a live server and reports the required keys."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from fangtiao.bench import generate as gen
from fangtiao.bench import runner
from fangtiao.bench.ops import FLOOR, REGISTRY, select
from fangtiao.core.crypto import blind_index
from fangtiao.org.choices import Employment, RegionLevel, UnitKind
from fangtiao.org.models import Expert, Mediator, Region, Unit, User

REQUIRED_KEYS = {"op", "db", "n_cases", "p50_ms", "p95_ms", "rps", "floor_ratio"}


def test_build_is_deterministic_and_scaled() -> None:
    a, b = gen.build(1000), gen.build(1000)
    assert a == b
    assert gen.build(1000, seed=7).mediators != a.mediators

    plan = gen.plan_for(1000)
    assert (plan.counties, plan.townships, plan.villages, plan.mediators, plan.experts) == (1, 19, 247, 300, 18)
    assert gen.plan_for(1_000_000).counties == 10
    assert gen.plan_for(1_000_000).mediators == 10_000
    assert gen.plan_for(10_000_000).cities == 2  # 100 counties: more than one fictional city holds

    codes = [r.code for r in a.regions]
    assert len(codes) == len(set(codes))
    assert all(c.startswith("3399") for c in codes)
    assert all(r.name.startswith(gen.NAME_PREFIX) for r in a.regions)
    assert all(u.name.startswith(gen.NAME_PREFIX) for u in a.units)
    assert len({s.username for s in a.staff}) == len(a.staff)


@pytest.mark.django_db
def test_generate_fills_the_registry_consistently_and_once() -> None:
    result = gen.generate(1000)
    assert result.created
    assert result.counts == gen.plan_for(1000).expected_counts()

    regions = {r.code: r for r in Region.objects.all()}
    generated = [r for r in regions.values() if r.path.startswith(gen.BENCH_PATH_PREFIX)]
    assert Counter(r.level for r in generated) == {
        RegionLevel.CITY: 1, RegionLevel.DISTRICT: 1, RegionLevel.TOWNSHIP: 19, RegionLevel.VILLAGE: 247,
    }
    for r in generated:
        parent = regions[r.path.strip("/").split("/")[-2]]
        assert r.parent_id == parent.pk
        assert r.path == f"{parent.path}{r.code}/"
        assert r.depth == parent.depth + 1
        assert r.search_key
    assert regions[gen.PROVINCE_CODE].path == "330000/"

    units = Unit.objects.filter(region__path__startswith=gen.BENCH_PATH_PREFIX)
    assert Counter(units.values_list("kind", flat=True)) == {
        UnitKind.CENTRE: 1, UnitKind.DISTRICT_COMMITTEE: 1, UnitKind.PROFESSIONAL_COMMITTEE: 2,
        UnitKind.SUBCENTRE: 19, UnitKind.TOWNSHIP_COMMITTEE: 19, UnitKind.VILLAGE_COMMITTEE: 247,
    }
    assert not units.filter(kind=UnitKind.TOWNSHIP_COMMITTEE, parent__kind__isnull=True).exists()

    mediators = Mediator.objects.filter(unit__region__path__startswith=gen.BENCH_PATH_PREFIX)
    assert mediators.count() == 300
    assert mediators.filter(employment=Employment.FULL_TIME).exists()
    assert mediators.filter(employment=Employment.PART_TIME).exists()
    for committee in units.filter(kind=UnitKind.TOWNSHIP_COMMITTEE):
        assert committee.mediators.filter(employment=Employment.FULL_TIME).count() >= gen.FULL_TIME_PER_TOWNSHIP
    m = mediators.order_by("pk").first()
    assert m is not None and m.phone.startswith("1") and len(m.phone) == 11  # decrypted by the field
    assert m.phone_index == blind_index(m.phone, purpose="phone")
    assert m.search_key and m.specialties.exists()
    with connection.cursor() as cur:  # raw SQL: the field would decrypt
        cur.execute("SELECT phone FROM org_mediator WHERE id = %s", [m.pk])
        assert cur.fetchone()[0].startswith("v2:")  # encrypted at rest
    assert Expert.objects.filter(unit__region__path__startswith=gen.BENCH_PATH_PREFIX).count() == 18

    bench = User.objects.select_related("unit__region").get(username=gen.BENCH_USERNAME)
    assert bench.check_password(gen.BENCH_PASSWORD)
    assert bench.role_codes == {"admin", "leader"} and bench.clearance == 2
    assert bench.unit is not None and bench.unit.region.code == gen.PROVINCE_CODE  # sees every generated county

    # The same size again: nothing to do. Another size on the same database: refused.
    again = gen.generate(1000)
    assert not again.created and again.counts == result.counts
    call_command("bench", "generate", "--n-cases", "1000", stdout=None)
    assert gen.generated_counts() == result.counts
    with pytest.raises(CommandError):
        call_command("bench", "--generate-only", "--n-cases", "500000")


def test_ops_registry_and_local_only() -> None:
    assert select(None)[0].name == FLOOR
    assert [o.name for o in select(["api.me"])] == [FLOOR, "api.me"]
    with pytest.raises(KeyError):
        select(["no.such.op"])
    assert runner.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert runner.percentile([1.0] * 19 + [100.0], 95) == 1.0
    with pytest.raises(runner.BenchError):
        runner._parse_base_url("http://example.com:8000")


def _reseed_after_flush() -> None:
    """A transactional test before this one (same worker) flushed the reference data the migrations
    seeded — roles, dispute types, clock rules, assessment indicators, the default subsidy rule — and
    the live server's operations need all of it: run those seeds again (only after a flush: they are
    written for an empty table)."""
    from importlib import import_module

    from django.apps import apps

    from fangtiao.org.models import Role

    if Role.objects.exists():
        return
    for module in ("org.migrations.0002_seed_roles_and_categories", "clocks.migrations.0002_seed_rules",
                   "mediation.migrations.0002_seed", "assessment.migrations.0002_seed_indicators_and_schemes",
                   "subsidies.migrations.0002_default_rule"):
        import_module(f"fangtiao.{module}").seed(apps, None)


@pytest.mark.django_db(transaction=True)
def test_runner_measures_every_operation_against_a_live_server(live_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _reseed_after_flush()
    gen.generate(1000)
    config = runner.RunConfig(n_cases=1000, requests=5, concurrency=1, warmup=1, base_url=live_server.url, op_timeout_s=30)
    results = runner.run(config, log=lambda _msg: None)
    out = tmp_path / "bench.json"
    runner.write_json(results, out)

    data = json.loads(out.read_text(encoding="utf-8"))
    assert [d["op"] for d in data] == [FLOOR, *(n for n in REGISTRY if n != FLOOR)]
    for d in data:
        assert d.keys() >= REQUIRED_KEYS
        assert d["errors"] == 0, d["first_error"]
        assert d["db"] in ("sqlite", "postgresql") and d["n_cases"] == 1000
        assert d["p50_ms"] > 0 and d["p95_ms"] >= d["p50_ms"] and d["rps"] > 0 and d["floor_ratio"] > 0
        assert d["requests"] == 5
    assert data[0]["floor_ratio"] == 1.0
    assert "floor_rps_ratio" in runner.table(results)
