"""Benchmark cases: the generator is deterministic and spread like a real network's year, the rows
are what the services would have written (numbers, paths, holders, encrypted parties), intake
continues after them, and the case operations are registered."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict

import pytest
from django.db import connection
from django.utils import timezone

from fangtiao.bench import generate as gen
from fangtiao.bench import generate_cases as gc
from fangtiao.bench.ops import REGISTRY, Context
from fangtiao.cases import services
from fangtiao.cases.models import Case, CaseEvent, Party
from fangtiao.cases.schemas import CaseIn
from fangtiao.core.crypto import blind_index
from fangtiao.core.models import NumberSequence
from fangtiao.core.numbering import chinese_year_number
from fangtiao.core.validators import id_number_error
from fangtiao.org.models import User

N = 1000


def test_drafts_are_deterministic_and_spread() -> None:
    ds = gen.build(N)
    a = list(gc.iter_drafts(ds, N))
    assert a == list(gc.iter_drafts(gen.build(N), N))
    assert [d.title for d in gc.iter_drafts(ds, N, seed=7)] != [d.title for d in a]

    times = [d.received_at for d in a]
    assert times == sorted(times)
    assert gc.END - dt.timedelta(days=gc.SPAN_DAYS) <= times[0] and times[-1] <= gc.END
    # Gap-free numbers per registering unit and year, in order of receipt.
    seqs: dict[tuple[str, int], list[int]] = defaultdict(list)
    for d in a:
        seqs[(d.number_unit, d.year)].append(d.seq)
        assert d.year == (d.received_at + dt.timedelta(hours=8)).year
    assert all(s == list(range(1, len(s) + 1)) for s in seqs.values())
    assert gc.sequences(a) == {k: len(s) for k, s in seqs.items()}
    # Only units with a short name of their own number cases (else two would number alike).
    shorts = Counter(u.short_name for u in ds.units)
    short_of = {u.key: u.short_name for u in ds.units}
    assert all(shorts[short_of[k]] == 1 for k, _y in seqs)

    kinds = Counter(d.kind for d in a)
    assert 0.5 < kinds["dispute"] / N < 0.7
    assert len({d.channel for d in a}) >= 6 and len({d.category for d in a if d.category}) >= 10
    assert {"closed", "mediating", "handling", "agreed", "not_accepted"} <= {d.status for d in a}
    assert all(d.category for d in a if d.kind == "dispute")
    assert all(d.nature for d in a if d.kind == "petition")
    assert any(d.is_collective and d.headcount >= 5 for d in a)
    assert any(d.is_repeat for d in a) and any(d.is_overdue for d in a) and any(d.is_skip_level for d in a)
    assert not any(d.is_overdue and d.status in ("closed", "archived") for d in a)
    with_parties = [d for d in a if d.parties]
    assert 0.12 < len(with_parties) / N < 0.28
    assert all(id_number_error(p.id_number) is None for d in with_parties for p in d.parties if p.id_number)
    # Recent cases are mostly open, old ones mostly closed.
    recent = [d for d in a if (gc.END - d.received_at).days <= 90]
    old = [d for d in a if (gc.END - d.received_at).days > 90]
    assert sum(d.status in gc.OPEN for d in recent) / len(recent) > sum(d.status in gc.OPEN for d in old) / len(old)


@pytest.mark.django_db
def test_generated_cases_are_consistent_and_intake_continues_after_them() -> None:
    result = gen.generate(N)
    assert result.counts["cases"] == N and gc.generated_case_count() == N

    cases = list(Case.objects.filter(region_path__startswith=gen.BENCH_PATH_PREFIX)
                 .select_related("number_unit", "region", "holder_unit", "registered_unit"))
    assert len(cases) == N and len({c.number for c in cases}) == N
    last: dict[tuple[int, int], int] = {}
    for c in cases:
        assert c.number == chinese_year_number(c.number_unit.short_name, c.number_year, c.number_seq, word="访调")
        assert c.region_path == c.region.path and c.registered_unit_id == c.number_unit_id
        assert c.holder_unit.region.path.startswith(gen.BENCH_PATH_PREFIX)
        assert c.registered_by_id is None
        last[(c.number_unit_id, c.number_year)] = max(last.get((c.number_unit_id, c.number_year), 0), c.number_seq)
    seqs = {(s.unit_id, s.year): s.last for s in NumberSequence.objects.filter(scope="case")}
    assert seqs == last
    assert all(sorted(c.number_seq for c in cases if (c.number_unit_id, c.number_year) == k) == list(range(1, v + 1))
               for k, v in last.items())

    # Every case has its registration event; parties are encrypted at rest with blind indexes.
    assert CaseEvent.objects.filter(action="register").count() == N
    assert not Case.objects.filter(events__isnull=True).exists()
    parties = list(Party.objects.filter(case__region_path__startswith=gen.BENCH_PATH_PREFIX).exclude(id_number=""))
    assert parties
    for p in parties[:50]:
        assert id_number_error(p.id_number) is None
        assert p.id_index == blind_index(p.id_number, purpose="id")
        assert p.phone_index == blind_index(p.phone, purpose="phone")
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone FROM cases_party WHERE id = %s", [parties[0].pk])
        assert all(v.startswith("v2:") for v in cur.fetchone())
    repeats = Counter(p.id_index for p in parties)
    assert repeats.most_common(1)[0][1] >= 2  # the same person again (repeat flag set on the later case)

    # Intake by the bench clerk: the next number after the generated ones, and the earlier case found.
    ctx = Context()
    clerk = User.objects.select_related("unit__region").get(username=ctx.intake_username)
    year = timezone.localdate().year
    before = NumberSequence.objects.filter(scope="case", unit_id=clerk.unit_id, year=year).values_list("last", flat=True).first() or 0
    bodies = ctx.intake_bodies(20)
    assert len(set(bodies)) == 20
    for body in bodies:
        CaseIn.model_validate(json.loads(body))
    known = next(b for b in map(json.loads, bodies) if b["parties"][0]["name"] in {p["name"] for p in ctx.known_petitioners})
    case, _code = services.case_register(actor=clerk, data=known)
    assert case.number_seq == before + 1
    assert services.similar_earlier(parties=[services.PartyIn(**known["parties"][0])], region=None)

    # Generating again: nothing to do.
    assert gc.generate_cases(N) is None
    assert gen.generate(N).created is False


@pytest.mark.django_db
def test_generated_disputes_have_their_rounds_and_mediators() -> None:
    """Every dispute that reached a committee has its round and lead mediator (bulk, not services), so the
    suggestions weigh real workloads; numbering continues after them; an older bench database is backfilled."""
    from fangtiao.mediation import selectors
    from fangtiao.mediation.models import Assignment, Mediation

    gen.generate(N)
    bench = Case.objects.filter(region_path__startswith=gen.BENCH_PATH_PREFIX)
    rounds = Mediation.objects.filter(case__in=bench).select_related("unit", "case")
    assert rounds.count() == gc.generated_mediation_count() > 0
    assert not rounds.exclude(case__kind="dispute").exists()
    assert set(bench.filter(kind="dispute", status="mediating").values_list("pk", flat=True)) == set(
        rounds.filter(status="open").values_list("case_id", flat=True))
    assert len({m.number for m in rounds}) == rounds.count()
    assert all(m.unit.kind in gc.COMMITTEE_KINDS for m in rounds)
    seqs: dict[tuple[int, int], int] = {}
    for m in rounds:
        seqs[(m.unit_id, m.started_on.year)] = seqs.get((m.unit_id, m.started_on.year), 0) + 1
    assert {(s.unit_id, s.year): s.last for s in NumberSequence.objects.filter(scope="mediation")} == seqs

    assignments = Assignment.objects.filter(case__in=bench).select_related("mediator__unit__region", "mediation__unit__region",
                                                                           "assigned_by")
    assert assignments.count() == rounds.count()
    for a in assignments:
        assert a.lead and a.active == (a.mediation.status == "open")
        assert a.mediator.status == "active" and a.assigned_by.role_codes == {"committee_head"}
        county = a.mediation.unit.region.path.split("/")[3]
        assert a.mediator.unit.region.path.split("/")[3] == county  # a mediator of the case's own county
    # The suggestion for a case in mediation sees those workloads.
    m = rounds.filter(status="open").first()
    suggested = selectors.suggest_mediators(m.case, m.unit, limit=50)
    assert suggested
    assert sum(s.load for s in suggested) == Assignment.objects.filter(
        active=True, mediation__status="open", mediator__in=[s.mediator for s in suggested]).count()

    # A bench database generated before rounds were: backfilled, the same rows again.
    before = sorted(rounds.values_list("case_id", "unit_id", "status", "number"))
    Assignment.objects.filter(case__in=bench).delete()
    Mediation.objects.filter(case__in=bench).delete()
    NumberSequence.objects.filter(scope="mediation").delete()
    assert gen.generate(N).created
    assert sorted(Mediation.objects.filter(case__in=bench).values_list("case_id", "unit_id", "status", "number")) == before
    assert gen.generate(N).created is False


def test_case_operations_are_registered() -> None:
    names = {"api.cases.intake", "api.cases.list", "api.cases.filter_status", "api.cases.filter_region",
             "api.cases.filter_flag", "api.cases.q", "api.cases.detail"}
    assert names <= set(REGISTRY)
    intake = REGISTRY["api.cases.intake"]
    assert (intake.method, intake.expect) == ("POST", 201) and intake.bodies is not None and intake.login is not None
    assert all(REGISTRY[n].method == "GET" for n in names - {"api.cases.intake"})
    assert {"api.mediation.suggestions", "api.mediation.suggestions_county"} <= set(REGISTRY)
