"""The task interface's rules on both databases: the outbox row exists iff the caller's change
commits, one live task per key, claims are exclusive, failures back off and stop after the
configured attempts, a dead worker's rows come back, each periodic slot runs once."""

from __future__ import annotations

import datetime as dt
import threading
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from fangtiao.tasks import registry, services
from fangtiao.tasks.models import ScheduleSlot, Task, TaskStatus
from fangtiao.tasks.tests import targets


@pytest.fixture(autouse=True)
def test_targets(monkeypatch):
    targets.RUNS.clear()
    monkeypatch.delenv("FANGTIAO_TEST_RUNS_FILE", raising=False)
    for name, target in targets.TASKS.items():
        monkeypatch.setitem(registry.TASKS, name, target)
    yield
    targets.RUNS.clear()


pytestmark = pytest.mark.django_db


def test_the_row_exists_only_if_the_callers_change_commits():
    with pytest.raises(RuntimeError), transaction.atomic():
        services.enqueue("test.record", n=1)
        raise RuntimeError("the caller's change fails")
    assert not Task.objects.exists()
    task = services.enqueue("test.record", n=2)
    assert (task.status, task.args, task.attempts) == (TaskStatus.PENDING, {"n": 2}, 0)


def test_an_unknown_task_fails_at_the_call():
    with pytest.raises(LookupError):
        services.enqueue("nope.never")
    assert not Task.objects.exists()


def test_one_live_task_per_key_and_a_new_one_after_it_finished():
    first = services.enqueue("test.record", key="k1", n=1)
    again = services.enqueue("test.record", key="k1", n=2)
    assert again.pk == first.pk and Task.objects.count() == 1
    assert services.drain(worker="w:1") == 1 and targets.RUNS == [{"n": 1}]
    later = services.enqueue("test.record", key="k1", n=3)
    assert later.pk != first.pk and Task.objects.filter(key="k1").count() == 2


def test_a_duplicate_key_leaves_the_callers_transaction_usable():
    with transaction.atomic():
        services.enqueue("test.record", key="k2")
        services.enqueue("test.record", key="k2")
        assert Task.objects.count() == 1  # the transaction still works after the caught conflict


def test_inline_runs_now_and_marks_done():
    task = services.enqueue("test.record", mode="inline", n=7)
    assert task.status == TaskStatus.DONE and task.attempts == 1 and targets.RUNS == [{"n": 7}]


def test_a_row_runs_once_however_often_it_is_delivered():
    task = services.enqueue("test.record", n=1)
    assert services.run_task(task.pk, worker="a:1") is True
    assert services.run_task(task.pk, worker="b:2") is False  # a second delivery of the same message
    assert services.drain(worker="c:3") == 0
    assert targets.RUNS == [{"n": 1}]
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.claimed_by.startswith("a:1/") and task.finished_at


def test_a_row_not_yet_due_is_not_claimed():
    later = services.enqueue("test.record", run_after=timezone.now() + dt.timedelta(minutes=5))
    assert services.claim_due(worker="w:1") == [] and services.run_task(later.pk) is False
    assert 290 < services.not_yet_due(later.pk) <= 300  # a Celery message that came early waits this long
    assert services.not_yet_due(services.enqueue("test.record").pk) is None  # due now


def test_claims_are_exclusive_and_in_order():
    ids = [services.enqueue("test.record", n=i).pk for i in range(5)]
    a = services.claim_due(worker="a:1", limit=3)
    b = services.claim_due(worker="b:2", limit=3)
    assert [pk for pk, _ in a] == ids[:3] and [pk for pk, _ in b] == ids[3:]
    token = a[0][1]
    assert token.startswith("a:1/") and token != b[0][1]  # a nonce per claim, not per process
    assert set(Task.objects.filter(claimed_by=token).values_list("pk", flat=True)) == set(ids[:3])
    assert Task.objects.filter(status=TaskStatus.RUNNING).count() == 5


def test_a_failure_backs_off_then_stops_after_the_attempts(settings):
    settings.FANGTIAO_TASK_MAX_ATTEMPTS = 3
    task = services.enqueue("test.boom", n=1)
    assert services.run_task(task.pk, worker="w:1") is False
    task.refresh_from_db()
    assert task.status == TaskStatus.PENDING and task.attempts == 1 and "目标失败" in task.last_error
    assert task.run_after > timezone.now() + dt.timedelta(seconds=10) and task.claimed_by == ""
    for attempt in (2, 3):
        Task.objects.filter(pk=task.pk).update(run_after=timezone.now())
        services.drain(worker="w:1")
        task.refresh_from_db()
        assert task.attempts == attempt
    assert task.status == TaskStatus.FAILED and task.finished_at is not None
    assert len(targets.RUNS) == 3
    assert services.drain(worker="w:1") == 0  # a failed row stays failed


def test_a_dead_workers_rows_come_back_and_a_row_that_keeps_killing_stops(settings):
    settings.FANGTIAO_TASK_MAX_ATTEMPTS = 2
    task = services.enqueue("test.record", n=1)
    assert [pk for pk, _ in services.claim_due(worker="dead:1")] == [task.pk]  # claimed, then the process died
    assert services.requeue_stale() == 0  # its lease is still running
    Task.objects.filter(pk=task.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert services.requeue_stale() == 1
    task.refresh_from_db()
    assert task.status == TaskStatus.PENDING and task.claimed_by == "" and task.attempts == 1
    assert abs((task.run_after - timezone.now()).total_seconds()) < 5  # waiting from now, not from its enqueue
    assert [pk for pk, _ in services.claim_due(worker="dead:2")] == [task.pk]  # and died again
    Task.objects.filter(pk=task.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    services.requeue_stale()
    task.refresh_from_db()
    assert task.status == TaskStatus.FAILED and targets.RUNS == []


def test_a_worker_whose_lease_ran_out_neither_runs_nor_marks_the_row():
    task = services.enqueue("test.record", n=1)
    [(pk, slow)] = services.claim_due(worker="slow:1")  # claimed, then stalled past its lease
    Task.objects.filter(pk=task.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    services.requeue_stale()
    assert services.drain(worker="fast:2") == 1
    assert services.execute(pk, claim=slow) is False  # the slow one wakes up: its claim is gone
    task.refresh_from_db()
    assert targets.RUNS == [{"n": 1}] and task.claimed_by.startswith("fast:2/") and task.status == TaskStatus.DONE


def test_finished_rows_are_purged_after_a_week():
    old = services.enqueue("test.record", mode="inline")
    new = services.enqueue("test.record", mode="inline")
    pending = services.enqueue("test.record")
    Task.objects.filter(pk=old.pk).update(finished_at=timezone.now() - dt.timedelta(days=8))
    assert services.purge_finished() == 1
    assert set(Task.objects.values_list("pk", flat=True)) == {new.pk, pending.pk}


# --- the periodic schedule --------------------------------------------------------------------

def test_each_slot_is_taken_once():
    now = timezone.now()
    assert services.claim_slot("x", every=60, worker="a:1", now=now) is True
    assert services.claim_slot("x", every=60, worker="b:2", now=now + dt.timedelta(seconds=1)) is False
    assert services.claim_slot("x", every=60, worker="b:2", now=now + dt.timedelta(seconds=56)) is True  # slack
    assert ScheduleSlot.objects.get(name="x").last_run_by == "b:2"
    assert services.claim_slot("x", every=60, worker="c:3", now=now + dt.timedelta(seconds=57), force=True)


def test_a_round_runs_every_job_in_order_and_a_failure_does_not_stop_the_clocks():
    order: list[str] = []

    def fake(name):
        def fn(**kw):
            order.append(name)
            if name == "stats.refresh":
                raise RuntimeError("boom")
            return {"overdue": 0, "due_soon": 0} if name == "clocks.tick" else 0
        return fn

    with mock.patch.object(registry, "resolve", side_effect=lambda target: fake(
            next(p.name for p in registry.PERIODIC if p.target == target))):
        ran = services.run_schedule(tick=60, worker="w:1")
        assert order == [p.name for p in registry.PERIODIC]
        assert isinstance(ran["stats.refresh"], RuntimeError)
        assert "boom" in ScheduleSlot.objects.get(name="stats.refresh").last_error
        assert services.run_schedule(tick=60, worker="w:2") == {}  # the slots are taken for this period


def test_the_worker_command_runs_the_schedule_and_drains_the_outbox():
    services.enqueue("test.record", n=1)
    out = StringIO()
    with mock.patch("fangtiao.clocks.management.commands.worker.close_old_connections"):
        call_command("worker", "--once", stdout=out)
    assert targets.RUNS == [{"n": 1}] and "排队任务：执行 1 项" in out.getvalue()
    assert "时限巡检" in out.getvalue()
    assert set(ScheduleSlot.objects.values_list("name", flat=True)) == {p.name for p in registry.PERIODIC}


def test_once_fails_when_a_statutory_job_fails_or_the_database_breaks_off():
    from django.core.management.base import CommandError
    from django.db import OperationalError

    with mock.patch("fangtiao.clocks.management.commands.worker.close_old_connections"), \
            mock.patch("fangtiao.clocks.services.clock_tick", side_effect=RuntimeError("boom")), \
            pytest.raises(CommandError, match="clocks.tick"):
        call_command("worker", "--once", stdout=StringIO(), stderr=StringIO())
    with mock.patch("fangtiao.clocks.management.commands.worker.close_old_connections"), \
            mock.patch.object(services, "claim_slot", side_effect=OperationalError("server closed the connection")), \
            pytest.raises(CommandError, match="后台任务中断"):
        call_command("worker", "--once", stdout=StringIO(), stderr=StringIO())


def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SKIP LOCKED) and a second connection on the same data are PostgreSQL's")


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_take_disjoint_rows():
    """Four workers on their own connections claim 200 rows at once: each row once, none left."""
    _postgres_only()
    ids = {services.enqueue("test.record", n=i).pk for i in range(200)}
    claimed: list[list[int]] = [[] for _ in range(4)]
    barrier = threading.Barrier(4)

    def work(i: int) -> None:
        from django.db import connection as conn
        try:
            barrier.wait()
            while got := services.claim_due(worker=f"w:{i}", limit=7):
                claimed[i].extend(pk for pk, _ in got)
        finally:
            conn.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    everything = [pk for c in claimed for pk in c]
    assert sorted(everything) == sorted(ids)  # each exactly once
    assert sum(1 for c in claimed if c) >= 2  # and they really ran side by side


@pytest.mark.django_db(transaction=True)
def test_a_row_locked_by_another_worker_is_skipped_not_waited_for():
    _postgres_only()
    first = services.enqueue("test.record", n=1)
    second = services.enqueue("test.record", n=2)
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        from django.db import connection as conn
        try:
            with transaction.atomic():
                Task.objects.select_for_update().get(pk=first.pk)  # another worker mid-claim
                locked.set()
                release.wait(30)
        finally:
            conn.close()

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert locked.wait(30)
        with connection.cursor() as cur:
            cur.execute("SET lock_timeout = '2s'")  # waiting instead of skipping would fail here
        assert [pk for pk, _ in services.claim_due(worker="w:2")] == [second.pk]
    finally:
        release.set()
        t.join(30)
        with connection.cursor() as cur:
            cur.execute("SET lock_timeout = 0")


@pytest.mark.django_db(transaction=True)
def test_a_long_task_keeps_its_lease(settings):
    """A task running longer than its lease renews it (from a thread of its own), so the sweep does
    not hand it to another worker while it runs."""
    _postgres_only()
    settings.FANGTIAO_TASK_LEASE_SECONDS = 3
    task = services.enqueue("test.slow", n=1, seconds=2.5)
    [(pk, token)] = services.claim_due(worker="w:1")
    claimed_until = Task.objects.get(pk=pk).lease_until
    sweeps: list[int] = []

    def sweep_after_the_first_lease() -> None:
        import time

        from django.db import connection as conn
        try:
            time.sleep(1.5)
            sweeps.append(services.requeue_stale(now=claimed_until + dt.timedelta(seconds=0.5)))
        finally:
            conn.close()

    t = threading.Thread(target=sweep_after_the_first_lease)
    t.start()
    assert services.execute(pk, claim=token) is True
    t.join(30)
    assert sweeps == [0]  # the lease had been renewed past the first one
    assert [r["at"] for r in targets.RUNS] == ["start", "end"]
    assert Task.objects.get(pk=task.pk).status == TaskStatus.DONE
