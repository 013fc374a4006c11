"""Lost updates (security-reliability.md §4.1, §6 item 24): randomized trials of 2–8 concurrent edits
of one case at the same version, through the service behind `POST /api/v1/cases/{id}/actions/{action}`
(cases.services.case_act: a compare-and-set on `version`). Each trial: exactly one edit wins, every
other one is told 409 (`stale_version`), and nothing is overwritten silently — the version, the
supervision rows and the audit events each grow by exactly one per trial.

The suite runs FANGTIAO_RACE_TRIALS (default 20) trials per database; `make race TRIALS=1000` runs the
long variant and prints the counts (docs/security.md §7)."""

from __future__ import annotations

import os
import random
from collections import Counter

import pytest
from django.db import connection

from fangtiao.audit.models import AuditEvent
from fangtiao.cases import services
from fangtiao.cases.models import Case, Supervision
from fangtiao.cases.tests.factories import act, extend_world, make_case
from fangtiao.core.errors import Conflict
from fangtiao.core.tests.concurrency.harness import file_database, in_thread, run_threads
from fangtiao.org.models import User

TRIALS = int(os.environ.get("FANGTIAO_RACE_TRIALS", "20"))


@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_at_one_version_one_wins_the_rest_409(world, tmp_path):
    xw = extend_world(world)
    case = make_case(xw)
    act(case, xw.user(case.holder_unit, "officer"), "accept")
    leader_pk = xw.user(case.holder_unit, "leader").pk
    start = Case.objects.get(pk=case.pk).version
    seed = int(os.environ.get("FANGTIAO_RACE_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    tally: Counter[str] = Counter()
    bad: list[tuple[int, list[str]]] = []

    def edit(version: int, i: int) -> str:
        actor = User.objects.select_related("unit__region").get(pk=leader_pk)
        try:
            services.case_act(case=case.pk, actor=actor, action="supervise",
                              data={"version": version, "note": f"督办意见 {version}-{i}"})
        except Conflict as exc:
            return exc.code
        return "won"

    with file_database(tmp_path):
        version = start
        for trial in range(TRIALS):
            writers = rng.randint(2, 8)
            results, errors = run_threads(writers, lambda i, v=version: edit(v, i))
            outcome = sorted([*results, *(f"error:{e.__class__.__name__}:{e}" for e in errors)])
            tally.update(outcome)
            tally["edits"] += writers
            if outcome.count("won") != 1 or outcome.count("stale_version") != writers - 1:
                bad.append((trial, outcome))
            version += outcome.count("won")

        final = in_thread(lambda: (Case.objects.get(pk=case.pk).version, Supervision.objects.filter(case=case.pk).count(),
                                   AuditEvent.objects.filter(action="case.supervise").count()))

    silent = tally["won"] - (final[0] - start)  # a win the version does not show: an overwrite
    print(f"\nlost-update race ({connection.vendor}, seed {seed}): {TRIALS} trials of 2–8 concurrent edits, "
          f"{tally['edits']} edits: {tally['won']} won, {tally['stale_version']} answered 409, "
          f"{silent} silent overwrites, {len(bad)} trials not exactly one winner")
    assert bad == [], bad[:5]
    assert final == (start + TRIALS, TRIALS, TRIALS)
    assert silent == 0
