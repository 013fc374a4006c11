"""The screening part of the benchmark: generated cases get their text-index rows (the band keys of
the text they get), with resubmissions and hot-spot matters among them, and `--screening` measures
the similar lookup against its floor and the hot-spot runs."""

from __future__ import annotations

import pytest

from fangtiao.bench import generate as gen
from fangtiao.bench import generate_cases as gc
from fangtiao.bench import screening
from fangtiao.bench.ops import REGISTRY
from fangtiao.cases.models import Case
from fangtiao.screening.models import HotspotRun, TextKey
from fangtiao.screening.similar import case_text

N = 1000


def test_drafts_have_resubmissions_and_hotspot_matters() -> None:
    composer = gc._Composer(gen.SEED, N)
    drafts = list(gc.iter_drafts(gen.build(N), N, composer=composer))
    assert composer.resubmissions > 0 and composer.hotspot_cases > 0
    assert len({d.title for d in drafts}) > 0.9 * N  # composed, not a few templates
    again = [d for d in drafts if d.title.startswith(("再次反映", "仍未解决"))]
    assert again and all(d.is_repeat and d.parties for d in again)


@pytest.mark.django_db
def test_generated_cases_have_text_keys_and_screening_part_runs() -> None:
    gen.generate(N)
    cases = Case.objects.filter(region_path__startswith=gen.BENCH_PATH_PREFIX, registered_by__isnull=True)
    assert cases.count() == N
    keyed = set(TextKey.objects.values_list("case_id", flat=True))
    assert set(cases.values_list("pk", flat=True)) <= keyed
    c = cases.order_by("pk")[17]
    assert sorted(TextKey.objects.filter(case=c).values_list("key", flat=True)) == sorted(gc.text_keys(
        [case_text(c.title, c.description, c.demands)])[0])
    assert gc.backfill_text_keys() == 0  # nothing missing

    config = screening.ScreeningConfig(n_cases=N, lookups=5, warmup=1, hotspot_windows=(30,), warnings=True)
    results = screening.run(config, log=lambda _m: None)
    by = {r.op: r for r in results}
    assert list(by) == [screening.FLOOR_KEY, screening.SIMILAR, screening.HOT_30, screening.WARNINGS]
    sim = by[screening.SIMILAR]
    assert sim.requests == 5 and sim.p95_ms >= sim.p50_ms > 0 and sim.floor_ratio > 0
    assert {"candidates_mean", "candidates_p95", "hits_mean"} <= set(sim.extra)
    hot = by[screening.HOT_30].extra
    assert hot["status"] == "done" and hot["progress_ok"] and hot["n_cases"] > 0 and hot["peak_rss_mb"] > 0
    assert HotspotRun.objects.get(pk=hot["run"]).n_cases == hot["n_cases"]
    assert "scr.similar" in screening.table(results)
    assert all(r.as_json()["extra"] is not None for r in results)


def test_screening_operations_are_registered() -> None:
    for name in ("api.cases.similar", "api.routing.suggest", "api.warnings.list", "api.hotspots.list"):
        assert name in REGISTRY
    assert REGISTRY["api.routing.suggest"].method == "POST"
