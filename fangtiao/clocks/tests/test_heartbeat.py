"""The worker's heartbeat: one row per process, touched each round, read by `fangtiao check-deploy`."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from fangtiao.clocks.models import WorkerHeartbeat
from fangtiao.clocks.selectors import last_clock_tick_at, workers_alive
from fangtiao.clocks.services import worker_heartbeat_touch

pytestmark = pytest.mark.django_db


def _touch(pid: int, *, ago: dt.timedelta = dt.timedelta(0), ticked: bool = True, host: str = "w1") -> WorkerHeartbeat:
    at = timezone.now() - ago
    return worker_heartbeat_touch(host=host, pid=pid, started_at=at, version="0.1.0",
                                  clock_ticked_at=at if ticked else None, now=at)


def test_a_process_has_one_row_updated_each_round():
    first = _touch(101, ago=dt.timedelta(minutes=5))
    again = _touch(101)
    assert WorkerHeartbeat.objects.count() == 1 and again.pk == first.pk
    again.refresh_from_db()
    assert again.last_seen_at > first.last_seen_at and again.version == "0.1.0"


def test_a_round_without_a_clock_tick_keeps_the_last_tick():
    ticked = _touch(101, ago=dt.timedelta(minutes=1))
    _touch(101, ticked=False)
    row = WorkerHeartbeat.objects.get()
    assert row.last_clock_tick_at == ticked.last_clock_tick_at and row.last_seen_at > ticked.last_seen_at


def test_the_same_pid_on_another_host_is_another_worker():
    _touch(101, host="w1")
    _touch(101, host="w2")
    assert WorkerHeartbeat.objects.count() == 2


def test_rows_silent_for_more_than_seven_days_are_pruned():
    _touch(1, ago=dt.timedelta(days=8))
    _touch(2, ago=dt.timedelta(days=6))
    _touch(3)
    assert sorted(WorkerHeartbeat.objects.values_list("pid", flat=True)) == [2, 3]


def test_workers_alive_within_a_window():
    _touch(1, ago=dt.timedelta(minutes=10))
    _touch(2, ago=dt.timedelta(seconds=30))
    assert [w.pid for w in workers_alive(within=dt.timedelta(minutes=3))] == [2]
    assert [w.pid for w in workers_alive(within=dt.timedelta(minutes=15))] == [2, 1]


def test_last_clock_tick_is_the_latest_of_all_workers():
    assert last_clock_tick_at() is None
    _touch(1, ago=dt.timedelta(minutes=10))
    recent = _touch(2, ago=dt.timedelta(minutes=2))
    _touch(3, ticked=False)
    assert last_clock_tick_at() == recent.last_clock_tick_at


def _run_worker() -> str:
    out = StringIO()
    # The worker drops stale connections between rounds; inside the test's transaction that would close it.
    with mock.patch("fangtiao.clocks.management.commands.worker.close_old_connections"):
        call_command("worker", "--once", stdout=out)
    return out.getvalue()


def test_the_worker_writes_its_heartbeat():
    before = timezone.now()
    out = _run_worker()
    row = WorkerHeartbeat.objects.get()
    assert (row.host, row.pid) == (socket.gethostname(), os.getpid())
    assert row.version and row.last_seen_at >= before and row.last_clock_tick_at >= before
    assert row.started_at <= row.last_seen_at
    assert "时限巡检" in out and "调解巡检" in out  # the round's report is as before
    _run_worker()
    assert WorkerHeartbeat.objects.count() == 1


def test_a_failing_heartbeat_is_logged_and_the_round_goes_on(caplog):
    with mock.patch("fangtiao.clocks.services.worker_heartbeat_touch", side_effect=RuntimeError("disk full")), \
         caplog.at_level(logging.ERROR, logger="fangtiao.worker"):
        out = _run_worker()
    assert "时限巡检" in out and "调解巡检" in out
    assert any("心跳记录" in r.getMessage() for r in caplog.records)
    assert not WorkerHeartbeat.objects.exists()
