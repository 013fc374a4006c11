"""Real `fangtiao worker` processes, one killed with SIGKILL in the middle of a batch of SMS (issue 9;
§6 item 26; ADR 0019): the other takes over the dead one's claim when its lease runs out, and every
message reaches the SMS stub (the file backend) exactly once — none lost, none doubled. Bounded: the
run stops within 40 seconds of the workers' start whatever happens (recovery takes one 5 s lease plus
a round)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from fangtiao.cases.tests.factories import extend_world, make_case
from fangtiao.core.tests.concurrency.harness import file_database, in_thread
from fangtiao.notifications import sms
from fangtiao.notifications.models import SmsMessage, SmsStatus
from fangtiao.tasks import registry
from fangtiao.tasks.models import ScheduleSlot

N = 40
BUDGET = 40.0  # seconds from the workers' start: a hard stop (typically start-up + one 5 s lease + a round)


def _database_url(tmp_path: Path) -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'race.sqlite3'}"
    d = connection.settings_dict
    auth = d["USER"] + (f":{d['PASSWORD']}" if d.get("PASSWORD") else "")
    return f"postgres://{auth}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


def _worker(tmp_path: Path, stub: Path, name: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DATABASE_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "fangtiao.settings", "FANGTIAO_TESTING": "1", "DATABASE_URL": _database_url(tmp_path),
        "FANGTIAO_SECRET_KEY": settings.SECRET_KEY, "FANGTIAO_VAR_DIR": str(tmp_path / "var"),
        "FANGTIAO_SMS_BACKEND": "file", "FANGTIAO_SMS_FILE": str(stub), "FANGTIAO_TASK_LEASE_SECONDS": "5",
        "FANGTIAO_JOB_MODE": "worker", "FANGTIAO_PRINT_MODE": "worker", "PYTHONUNBUFFERED": "1",
    })
    if settings.FANGTIAO_FIELD_KEYS:
        env["FANGTIAO_FIELD_KEYS"] = settings.FANGTIAO_FIELD_KEYS
    if settings.FANGTIAO_BLIND_INDEX_KEY:
        env["FANGTIAO_BLIND_INDEX_KEY"] = settings.FANGTIAO_BLIND_INDEX_KEY
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process below
    return subprocess.Popen([sys.executable, "-m", "fangtiao.cli", "worker", "--interval", "1"],  # noqa: S603
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _delivered(stub: Path) -> list[str]:
    if not stub.exists():
        return []
    return [json.loads(x)["message_id"] for x in stub.read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_and_doubles_no_message(world: Any, tmp_path: Path) -> None:
    case = make_case(extend_world(world))
    with transaction.atomic():
        ids = [str(sms.queue_sms(phone=f"1380013{i:04d}", kind="case_accepted", case=case, text=f"测试短信{i}").message_id)
               for i in range(N)]
    # The periodic jobs are not what this test is about: their slots are taken for the next hour, so
    # the workers go straight to the outbox.
    for job in registry.PERIODIC:
        ScheduleSlot.objects.update_or_create(name=job.name, defaults={"next_run_at": timezone.now() + dt.timedelta(hours=1)})
    stub = tmp_path / "sms.jsonl"
    start = time.monotonic()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with file_database(tmp_path):
            # Two workers drain the outbox side by side; one is killed mid-batch, the other carries
            # on and takes over the dead one's claim when its lease runs out.
            first, second = _worker(tmp_path, stub, "worker1"), _worker(tmp_path, stub, "worker2")
            procs += [first, second]
            while time.monotonic() - start < BUDGET and len(_delivered(stub)) < 3 and first.poll() is None:
                time.sleep(0.02)
            os.killpg(first.pid, signal.SIGKILL)  # mid-batch: no chance to mark what it sent
            first.wait(5)
            at_kill = len(_delivered(stub))
            statuses: list[str] = []
            while time.monotonic() - start < BUDGET:
                statuses = in_thread(lambda: list(SmsMessage.objects.values_list("status", flat=True)))
                if statuses.count(SmsStatus.SENT) == N:
                    break
                time.sleep(0.3)
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
    delivered = _delivered(stub)
    log = (tmp_path / "worker2.log").read_text(errors="replace")[-2000:]
    print(f"\nworker kill ({connection.vendor}): {N} messages, {at_kill} delivered before SIGKILL, "
          f"{len(delivered)} lines in the stub, {len(set(delivered))} distinct, "
          f"all sent after {time.monotonic() - start:.1f} s")
    assert at_kill > 0, "the first worker delivered nothing before the kill"
    assert sorted(set(delivered)) == sorted(ids), log
    assert len(delivered) == N, "a message reached the stub twice"
    assert statuses.count(SmsStatus.SENT) == N, (statuses, log)
