"""The Celery backend on real brokers (Redis and RabbitMQ on this machine's loopback), with real
`celery worker` processes on the test database: committed rows run once however often they are
delivered, a broker that was down at commit is caught up by the relay, a periodic slot runs once
however many beat messages arrive, and a worker killed in the middle of a task (acks late) leaves
the task to be run again — to its end exactly once — by another worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from fangtiao.tasks import registry, services
from fangtiao.tasks.models import Task, TaskStatus
from fangtiao.tasks.tests import targets

BROKERS = {"redis": "redis://127.0.0.1:6379/0", "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//"}
LEASE_SECONDS = 8

pytestmark = pytest.mark.django_db(transaction=True)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _reachable(url: str) -> bool:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


def _wait(predicate: Any, timeout: float = 45.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return bool(predicate())


def _database_url(db: dict[str, Any]) -> str:
    from urllib.parse import quote

    auth = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Broker:
    """One test's broker, queue, runs file and worker processes."""

    def __init__(self, name: str, url: str, queue: str, tmp: Path) -> None:
        self.name, self.url, self.queue, self.tmp = name, url, queue, tmp
        self.runs_file = tmp / "runs.jsonl"
        self.procs: list[subprocess.Popen[bytes]] = []

    def env(self, **extra: str) -> dict[str, str]:
        db = connection.settings_dict
        return {**os.environ, "FANGTIAO_DEMO": "1", "FANGTIAO_VAR_DIR": str(self.tmp),
                "DATABASE_URL": _database_url(db),
                "FANGTIAO_TASK_BACKEND": "celery", "FANGTIAO_BROKER_URL": self.url, "FANGTIAO_TASK_QUEUE": self.queue,
                "FANGTIAO_TASK_LEASE_SECONDS": str(LEASE_SECONDS), "FANGTIAO_TICK_SECONDS": "1",
                "FANGTIAO_TEST_RUNS_FILE": str(self.runs_file), **extra}

    def start_worker(self, *, beat: bool = False) -> subprocess.Popen[bytes]:
        n = len(self.procs)
        cmd = [sys.executable, "-m", "celery", "-A", "fangtiao.tasks.tests.celery_test_app", "worker",
               "-P", "threads", "-c", "4", "-Q", self.queue, "-n", f"w{n}-{self.queue}@%h", "-l", "warning",
               "--without-heartbeat", "--without-mingle", "--without-gossip"]
        if beat:
            cmd += ["-B", "-s", str(self.tmp / f"beat-{n}")]
        log = (self.tmp / f"worker-{n}.log").open("wb")
        proc = subprocess.Popen(cmd, env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def runs(self) -> list[dict[str, Any]]:
        if not self.runs_file.exists():
            return []
        return [json.loads(line) for line in self.runs_file.read_text().splitlines() if line.strip()]

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.tmp.glob("worker-*.log")))

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture(params=sorted(BROKERS))
def broker(request: pytest.FixtureRequest, settings: Any, monkeypatch: pytest.MonkeyPatch,
           tmp_path: Path) -> Iterator[Broker]:
    if connection.vendor != "postgresql":
        pytest.skip("Celery workers are separate processes: they share the test database only on PostgreSQL")
    url = BROKERS[request.param]
    if not _reachable(url):
        if _in_ci():
            pytest.fail(f"{request.param} 未运行（{url}）：CI 环境需要消息代理", pytrace=False)
        pytest.skip(f"{request.param} is not running at {url}")
    from fangtiao.tasks.celery_app import app

    queue = f"fangtiao-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"  # parallel test runs share the broker
    for name, target in targets.TASKS.items():
        monkeypatch.setitem(registry.TASKS, name, target)
    settings.FANGTIAO_TASK_BACKEND = "celery"
    settings.FANGTIAO_BROKER_URL = url
    settings.FANGTIAO_TASK_QUEUE = queue
    settings.FANGTIAO_TASK_LEASE_SECONDS = LEASE_SECONDS
    old_url, old_options = app.conf.broker_url, dict(app.conf.broker_transport_options)
    _switch(app, url, {**old_options, "visibility_timeout": LEASE_SECONDS, "global_keyprefix": f"{queue}:"})
    b = Broker(request.param, url, queue, tmp_path)
    try:
        yield b
    finally:
        b.stop()
        try:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_delete(queue)
            if request.param == "redis":
                import redis

                r = redis.Redis.from_url(url)
                for key in r.scan_iter(f"*{queue}*"):  # global_keyprefix: every key names the queue
                    r.delete(key)
        finally:
            _switch(app, old_url, old_options)


def _switch(app: Any, url: str | None, options: dict[str, Any]) -> None:
    """Point this process's publisher at another broker and queue (the key prefix is the queue's, as
    in the worker processes): the producer pool and the amqp helper, which caches its producer pool,
    are dropped with the old connection."""
    app.close()
    app.__dict__.pop("amqp", None)
    app.conf.update(broker_url=url, broker_transport_options=options)


def _done(n: int) -> bool:
    return Task.objects.filter(status=TaskStatus.DONE).count() == n


def test_each_committed_row_runs_once_however_often_it_is_delivered(broker: Broker) -> None:
    broker.start_worker()
    ids = [services.enqueue("test.record", n=i).pk for i in range(20)]  # autocommit: published at once
    for pk in ids:  # each message delivered twice more (a redelivery after acks late, a relay race)
        services.publish(pk)
        services.publish(pk)
    assert _wait(lambda: _done(20)), broker.logs()
    time.sleep(1.0)  # the duplicate deliveries arrive and are refused
    assert sorted(r["n"] for r in broker.runs()) == list(range(20))
    assert not Task.objects.filter(published_at__isnull=True).exists()


def test_a_broker_down_at_commit_is_caught_up_by_the_relay(broker: Broker, monkeypatch: pytest.MonkeyPatch) -> None:
    from fangtiao.tasks.celery_app import app

    def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("broker down")

    with monkeypatch.context() as m:
        m.setattr(app, "send_task", down)
        task = services.enqueue("test.record", n=42)
    task.refresh_from_db()
    assert task.published_at is None and task.status == TaskStatus.PENDING
    broker.start_worker()
    time.sleep(1.0)
    assert broker.runs() == []  # nothing ran: the message never reached the broker
    assert services.relay() == 1
    assert _wait(lambda: _done(1)), broker.logs()
    assert broker.runs() == [{"n": 42}] and services.relay() == 0


def test_a_periodic_slot_runs_once_for_many_beat_messages(broker: Broker) -> None:
    from fangtiao.tasks.celery_app import app

    broker.start_worker()
    for _ in range(5):  # two beats by mistake, or a beat that resent after a restart
        app.send_task("fangtiao.periodic", args=["test.tick"], queue=broker.queue)
    assert _wait(lambda: len(broker.runs()) >= 1), broker.logs()
    time.sleep(2.0)
    assert broker.runs() == [{"tick": True}]


def test_a_worker_killed_mid_task_leaves_it_to_another_which_runs_it_to_the_end_once(broker: Broker) -> None:
    first = broker.start_worker()
    task = services.enqueue("test.slow", n=7, seconds=4)
    assert _wait(lambda: any(r.get("at") == "start" for r in broker.runs())), broker.logs()
    first.send_signal(signal.SIGKILL)  # the process dies holding the claim and the unacked message
    first.wait(10)
    task.refresh_from_db()
    assert task.status == TaskStatus.RUNNING and task.attempts == 1
    broker.start_worker(beat=True)  # beat: requeue_stale after the lease, then the relay republishes
    assert _wait(lambda: _done(1), timeout=LEASE_SECONDS + 45), broker.logs()
    runs = broker.runs()
    assert [r["at"] for r in runs] == ["start", "start", "end"], runs  # killed once, finished once
    task.refresh_from_db()
    assert task.attempts == 2


def test_a_message_that_arrives_before_its_task_is_due_waits_for_it(broker: Broker) -> None:
    import datetime as dt

    from django.utils import timezone

    broker.start_worker()
    assert _wait(lambda: _reachable(broker.url))
    due = timezone.now() + dt.timedelta(seconds=3)
    task = services.enqueue("test.record", n=5, run_after=due)  # published at commit, 3 s early
    assert _wait(lambda: _done(1), timeout=30), broker.logs()
    task.refresh_from_db()
    assert task.finished_at >= due and (task.finished_at - due).total_seconds() < LEASE_SECONDS
    assert broker.runs() == [{"n": 5}]
