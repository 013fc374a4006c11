"""Concurrency: gap-free unique case numbers under concurrent intake, idempotent intake under
concurrent retries, lost updates (optimistic versions), and a clock tick run by two workers.

The threaded tests need a database with real concurrent writers and row locks: PostgreSQL.
SQLite serialises writers on one file (and the test database is in memory), so there they are
skipped; the lost-update rule is also checked without threads on every database."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import close_old_connections, connection, connections

from fangtiao.audit.models import AuditEvent
from fangtiao.cases import services
from fangtiao.cases.models import Case
from fangtiao.cases.tests.factories import act, extend_world, frozen, intake, make_case, person
from fangtiao.clocks.models import Clock
from fangtiao.clocks.services import clock_tick
from fangtiao.core.errors import Conflict
from fangtiao.core.models import IdempotencyRecord, NumberSequence
from fangtiao.core.testing.api import ApiClient
from fangtiao.notifications.models import Notification
from fangtiao.org.models import User

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: concurrent writer threads and row locks (SQLite serialises writers on one file)",
)


def run_threads(n: int, fn: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run fn(i) in n threads released together; each thread closes its own connection."""
    barrier = threading.Barrier(n)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def target(i: int) -> None:
        try:
            close_old_connections()
            barrier.wait(timeout=30)
            out = fn(i)
            with lock:
                results.append(out)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results, errors


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_case_numbers_unique_and_gap_free_under_concurrent_intake(world):
    clerk_pk = world.users["clerk_t01"].pk
    unit = world.units["t01_subcentre"]

    def intake_five(i: int) -> list[str]:
        clerk = User.objects.select_related("unit__region").get(pk=clerk_pk)
        return [services.case_register(actor=clerk, data=intake())[0].number for _ in range(5)]

    results, errors = run_threads(8, intake_five)
    assert errors == []
    numbers = [n for batch in results for n in batch]
    assert len(numbers) == 40 and len(set(numbers)) == 40
    seqs = sorted(Case.objects.filter(number_unit=unit).values_list("number_seq", flat=True))
    assert seqs == list(range(1, 41))
    year = Case.objects.first().number_year
    assert NumberSequence.objects.get(scope="case", unit_id=unit.pk, year=year).last == 40
    assert {n[:len("东城分中心访调〔")] for n in numbers} == {"东城分中心访调〔"}


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_idempotent_intake_under_concurrent_retries(world):
    clerk = world.users["clerk_t01"]
    token_client = ApiClient(clerk)
    assert token_client.get("/api/v1/me").status_code == 200  # load the URL conf before the race
    auth = token_client.headers["HTTP_AUTHORIZATION"]
    body = intake()

    def post(i: int) -> tuple[int, int]:
        from django.test import Client

        r = Client().post("/api/v1/cases", data=body, content_type="application/json", HTTP_AUTHORIZATION=auth,
                          HTTP_IDEMPOTENCY_KEY="double-click-1")
        return r.status_code, r.json().get("id")

    results, errors = run_threads(10, post)
    assert errors == []
    assert {status for status, _ in results} == {201}
    assert len({pk for _, pk in results}) == 1
    assert Case.objects.count() == 1
    assert IdempotencyRecord.objects.filter(key="double-click-1").count() == 1
    # the retries that lost the race gave their numbers back: the next case is number 2
    nxt, _ = services.case_register(actor=User.objects.get(pk=clerk.pk), data=intake())
    assert nxt.number_seq == 2


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_action_retried_while_the_first_is_running_replays_the_first_answer(world):
    """Six retries of one accept with one Idempotency-Key, all at once: the first takes the row lock,
    the others wait, find the version moved on — and answer the first one's 200, not a 409."""
    from fangtiao.cases.tests.factories import actor_for

    xw = extend_world(world)
    case = make_case(xw)
    officer = actor_for(xw, case, "accept")
    token_client = ApiClient(officer)
    assert token_client.get("/api/v1/me").status_code == 200  # load the URL conf before the race
    auth = token_client.headers["HTTP_AUTHORIZATION"]

    def post(i: int) -> tuple[int, Any]:
        from django.test import Client

        r = Client().post(f"/api/v1/cases/{case.pk}/actions/accept", data={"version": case.version},
                          content_type="application/json", HTTP_AUTHORIZATION=auth,
                          HTTP_IDEMPOTENCY_KEY="accept-double-click")
        return r.status_code, r.json()

    results, errors = run_threads(6, post)
    assert errors == []
    assert [status for status, _ in results] == [200] * 6, results
    assert len({json.dumps(body, sort_keys=True) for _, body in results}) == 1  # jsonb keeps no key order
    assert Case.objects.get(pk=case.pk).version == case.version + 1
    assert IdempotencyRecord.objects.filter(key="accept-double-click").count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_registration_task_and_the_backfill_index_one_case_at_once(world):
    """Both rewrite the same case's text keys and profile at the same moment (the registration's
    task after commit, the worker's backfill): neither collides on the profile's key, and the case
    ends with one set of keys (found by the topology test)."""
    from fangtiao.screening.models import TextKey, TextProfile
    from fangtiao.screening.similar import index_cases

    case = make_case(extend_world(world))
    index_cases([case.pk])
    keys = sorted(TextKey.objects.filter(case=case).values_list("key", flat=True))
    results, errors = run_threads(4, lambda i: index_cases([case.pk]))
    assert errors == [] and results == [1, 1, 1, 1]
    assert sorted(TextKey.objects.filter(case=case).values_list("key", flat=True)) == keys
    assert TextProfile.objects.filter(case=case).count() == 1


def test_lost_update_second_writer_gets_409(world):
    xw = extend_world(world)
    case = make_case(xw)
    officer, leader = xw.user(case.holder_unit, "officer"), xw.user(case.holder_unit, "leader")
    read_by_both = case.version
    services.case_act(case=case.pk, actor=officer, action="accept", data={"version": read_by_both})
    before = (Case.objects.get(pk=case.pk).version, AuditEvent.objects.count())
    with pytest.raises(Conflict) as exc:
        services.case_act(case=case.pk, actor=leader, action="reject",
                          data={"version": read_by_both, "reason": "不属于本机关职权范围", "channel": "other"})
    assert exc.value.code == "stale_version"
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == "accepted" and (fresh.version, AuditEvent.objects.count()) == before


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_lost_update_under_concurrent_writers(world):
    xw = extend_world(world)
    case = make_case(xw)
    users = [xw.user(case.holder_unit, "officer").pk, xw.user(case.holder_unit, "leader").pk]

    def accept(i: int) -> str:
        actor = User.objects.select_related("unit__region").get(pk=users[i])
        try:
            services.case_act(case=case.pk, actor=actor, action="accept", data={"version": 1})
        except Conflict as exc:
            return exc.code
        return "ok"

    results, errors = run_threads(2, accept)
    assert errors == []
    assert sorted(results) == ["ok", "stale_version"]
    assert Case.objects.get(pk=case.pk).version == 2
    assert AuditEvent.objects.filter(action="case.accept").count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_tick_each_clock_once(world):
    xw = extend_world(world)
    with frozen(dt.date(2026, 3, 2)):
        for _ in range(6):
            make_case(xw, parties=[person()])
    overdue_clocks = Clock.objects.filter(state="running", due_on__lt=dt.date(2026, 3, 18)).count()
    assert overdue_clocks == 12

    results, errors = run_threads(2, lambda i: clock_tick(today=dt.date(2026, 3, 18)))
    assert errors == []
    assert sum(r["overdue"] for r in results) == 12
    assert Notification.objects.filter(kind="overdue").count() == 12
    assert Clock.objects.filter(state="overdue", notified_overdue=True).count() == 12
    assert clock_tick(today=dt.date(2026, 3, 18))["overdue"] == 0


def test_clock_tick_twice_notifies_once(world):
    """The same rule without threads, on every database."""
    xw = extend_world(world)
    with frozen(dt.date(2026, 3, 2)):
        case = make_case(xw)
    first = clock_tick(today=dt.date(2026, 3, 18))
    second = clock_tick(today=dt.date(2026, 3, 18))
    assert (first["overdue"], second["overdue"]) == (2, 0)
    assert Notification.objects.filter(kind="overdue", case=case).count() == 2
    act(case, xw.user(case.holder_unit, "officer"), "accept")
    assert not Case.objects.get(pk=case.pk).is_overdue
