"""The task interface (docs/adr/0014-task-interface.md): enqueue into the transactional outbox,
claim and run outbox rows, run the periodic schedule. Both backends call these functions; the
database worker (`fangtiao worker`) and Celery differ only in who calls them and when."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from fangtiao.core import context
from fangtiao.tasks import registry
from fangtiao.tasks.models import LIVE, ScheduleSlot, Task, TaskStatus

log = logging.getLogger("fangtiao.worker")

FINISHED_KEEP = dt.timedelta(days=7)
BACKOFF_BASE_SECONDS = 15
BACKOFF_MAX = dt.timedelta(hours=1)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _claim_token(worker: str) -> str:
    """One claim's identity: the process, and a nonce — threads of one process (Celery's thread
    pool, thread mode) must not take each other's claims for their own."""
    return f"{worker[:100]}/{uuid.uuid4().hex[:12]}"


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.FANGTIAO_TASK_LEASE_SECONDS)


# --- enqueue ----------------------------------------------------------------------------------

def enqueue(name: str, *, key: str | None = None, run_after: dt.datetime | None = None,
            mode: str = "worker", **kwargs: Any) -> Task:
    """Ask for background work, inside the caller's transaction: the row exists iff the caller's
    change commits. `key`: at most one live task per key (a second request returns the first).
    `mode` (the site's FANGTIAO_JOB_MODE / FANGTIAO_PRINT_MODE): "inline" runs it now in this
    transaction (tests), "thread" also starts it beside this process after commit (the demo: one
    machine, results in seconds; a worker still takes over what the thread did not finish),
    "worker" leaves it to the backend."""
    registry.task_target(name)  # an unknown name fails at the call, not later in a worker
    values = {"name": name, "args": kwargs, "key": key, "run_after": run_after or timezone.now()}
    try:
        with transaction.atomic():  # a savepoint: a duplicate key leaves the caller's transaction usable
            task = Task.objects.create(**values)
    except IntegrityError:
        if key is None:
            raise
        existing = Task.objects.filter(key=key, status__in=LIVE).first()
        if existing is None:  # finished between the insert and this read: ask again
            return enqueue(name, key=key, run_after=run_after, mode=mode, **kwargs)
        return existing
    if mode == "inline":
        run_task(task.pk)
        task.refresh_from_db()
        return task
    if mode == "thread":
        transaction.on_commit(lambda: threading.Thread(target=_run_in_thread, args=(task.pk,), daemon=True,
                                                       name=f"task-{task.pk}").start(), robust=True)
    if settings.FANGTIAO_TASK_BACKEND == "celery":
        # robust: the caller's change is committed whatever the broker does (the relay catches up)
        transaction.on_commit(lambda: publish(task.pk), robust=True)
    return task


def _run_in_thread(task_id: int) -> None:
    try:
        run_task(task_id)
    finally:
        connections.close_all()  # this thread's own connections: nothing else will close them


def publish(task_id: int, *, countdown: float | None = None) -> bool:
    """Hand a committed row to Celery. A failure is logged, not raised: the row stays pending and
    unpublished, and the relay (`relay()`, on the beat schedule) hands it over again."""
    from fangtiao.tasks.celery_app import app

    try:
        app.send_task("fangtiao.run", args=[task_id], queue=settings.FANGTIAO_TASK_QUEUE, countdown=countdown,
                      retry=True, retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2})
        Task.objects.filter(pk=task_id, status=TaskStatus.PENDING).update(published_at=timezone.now())
    except Exception:
        log.warning("任务 %s 未能投递到消息队列，稍后由补投重试", task_id, exc_info=True)
        return False
    return True


def relay(*, limit: int = 500) -> int:
    """Celery backend: publish the due pending rows that no broker holds — never published (the
    broker was down at commit), retried after a failure, or published so long ago that the message
    must have been lost. A row published twice still runs once (run_task claims it)."""
    now = timezone.now()
    lost = now - _lease()
    ids = list(Task.objects.filter(Q(published_at__isnull=True) | Q(published_at__lt=lost),
                                   status=TaskStatus.PENDING, run_after__lte=now)
               .order_by("run_after", "id").values_list("pk", flat=True)[:limit])
    return sum(1 for pk in ids if publish(pk))


# --- claim and run ----------------------------------------------------------------------------

def claim_due(*, worker: str | None = None, limit: int = 1, now: dt.datetime | None = None) -> list[tuple[int, str]]:
    """Claim up to `limit` due pending rows: [(id, claim token)]. On PostgreSQL the candidates are
    read FOR UPDATE SKIP LOCKED, so concurrent workers take disjoint rows without waiting; on SQLite
    the transaction holds the write lock (IMMEDIATE), which serialises claims."""
    now = now or timezone.now()
    token = _claim_token(worker or worker_id())
    with transaction.atomic():
        ids = list(Task.objects.select_for_update(skip_locked=True)
                   .filter(status=TaskStatus.PENDING, run_after__lte=now)
                   .order_by("run_after", "id").values_list("pk", flat=True)[:limit])
        if ids:
            Task.objects.filter(pk__in=ids, status=TaskStatus.PENDING).update(
                status=TaskStatus.RUNNING, claimed_by=token, lease_until=now + _lease(),
                attempts=F("attempts") + 1)
    return [(pk, token) for pk in ids]


def run_task(task_id: int, *, worker: str | None = None) -> bool:
    """Claim one row (compare-and-set: pending and due → running, with a lease) and run it. False when
    the row is not there to claim: done, failed, not yet due, or running under another claim —
    which is how a message delivered twice runs its task once."""
    now = timezone.now()
    token = _claim_token(worker or worker_id())
    claimed = Task.objects.filter(pk=task_id, status=TaskStatus.PENDING, run_after__lte=now).update(
        status=TaskStatus.RUNNING, claimed_by=token, lease_until=now + _lease(), attempts=F("attempts") + 1)
    if not claimed:
        return False
    return execute(task_id, claim=token)


def not_yet_due(task_id: int) -> float | None:
    """Seconds until a pending row is due, if it is pending and not yet due (a message that arrived
    early, or a worker whose clock is behind): the Celery task sends itself again for then."""
    row = Task.objects.filter(pk=task_id, status=TaskStatus.PENDING).values_list("run_after", flat=True).first()
    if row is None:
        return None
    wait = (row - timezone.now()).total_seconds()
    return wait if wait > 0 else None


class _LeaseKeeper:
    """Renews a running claim's lease every third of it while the task runs, from a thread with its
    own connection, so a long task is not taken for a dead worker's; a task whose process dies stops
    renewing and is handed on after one lease."""

    def __init__(self, task_id: int, claim: str) -> None:
        self.task_id, self.claim = task_id, claim
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"lease-{task_id}")

    def _run(self) -> None:
        every = max(1.0, settings.FANGTIAO_TASK_LEASE_SECONDS / 3)
        used = False
        try:
            while not self.stop.wait(every):
                used = True
                try:
                    Task.objects.filter(pk=self.task_id, status=TaskStatus.RUNNING, claimed_by=self.claim).update(
                        lease_until=timezone.now() + _lease())
                except Exception:
                    log.warning("任务 %s 续租失败", self.task_id, exc_info=True)
        finally:
            if used:
                connections.close_all()

    def __enter__(self) -> _LeaseKeeper:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)


def execute(task_id: int, *, claim: str) -> bool:
    """Run a row under `claim`; mark it done, or pending again with a backoff, or failed after
    FANGTIAO_TASK_MAX_ATTEMPTS. Nothing runs unless the claim still holds (its lease is renewed first
    and kept renewed), and every mark is conditional on the claim: a worker whose lease ran out and
    whose row another worker took neither runs it again nor marks it."""
    mine = Task.objects.filter(pk=task_id, status=TaskStatus.RUNNING, claimed_by=claim)
    if not mine.update(lease_until=timezone.now() + _lease()):
        return False
    task = Task.objects.get(pk=task_id)
    try:
        with _LeaseKeeper(task_id, claim), context.job(task.name):  # job id + system actor for the audit log
            registry.task_target(task.name)(**task.args)
    except Exception as exc:
        log.exception("后台任务失败：%s", task)
        now = timezone.now()
        error = f"{exc.__class__.__name__}: {exc}"[:2000]
        if task.attempts >= settings.FANGTIAO_TASK_MAX_ATTEMPTS:
            mine.update(status=TaskStatus.FAILED, finished_at=now, lease_until=None, last_error=error)
        else:
            delay = min(dt.timedelta(seconds=BACKOFF_BASE_SECONDS * 2 ** (task.attempts - 1)), BACKOFF_MAX)
            mine.update(status=TaskStatus.PENDING, run_after=now + delay, lease_until=None, claimed_by="",
                        published_at=None, last_error=error)
        return False
    return bool(mine.update(status=TaskStatus.DONE, finished_at=timezone.now(), lease_until=None))


def drain(*, worker: str | None = None, budget_seconds: float = 30.0, stop: Any = None) -> int:
    """The database worker's share of the outbox: claim and run one due row at a time until none is
    left, the time budget is spent (the schedule must not wait behind a long queue; a long task
    still runs to its end) or `stop()` says the process is stopping."""
    import time

    worker = worker or worker_id()
    deadline = time.monotonic() + budget_seconds
    done = 0
    while time.monotonic() < deadline and not (stop and stop()):
        claimed = claim_due(worker=worker, limit=1)
        if not claimed:
            break
        for pk, token in claimed:
            execute(pk, claim=token)
            done += 1
    return done


def requeue_stale(*, now: dt.datetime | None = None) -> int:
    """Rows whose worker died while running them (the lease ran out) go back to pending — or to
    failed when they have used up their attempts (a task that kills its worker must not loop)."""
    now = now or timezone.now()
    stale = Task.objects.filter(status=TaskStatus.RUNNING, lease_until__lt=now)
    dead = stale.filter(attempts__gte=settings.FANGTIAO_TASK_MAX_ATTEMPTS).update(
        status=TaskStatus.FAILED, finished_at=now, lease_until=None, last_error="执行进程中断次数过多，已停止重试")
    back = stale.update(status=TaskStatus.PENDING, lease_until=None, claimed_by="", published_at=None, run_after=now)
    return dead + back


def purge_finished(*, now: dt.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - FINISHED_KEEP
    return Task.objects.filter(status__in=[TaskStatus.DONE, TaskStatus.FAILED], finished_at__lt=cutoff).delete()[0]


# --- the periodic schedule --------------------------------------------------------------------

def claim_slot(name: str, *, every: int, worker: str | None = None, now: dt.datetime | None = None,
               force: bool = False, slack: float = 0.2) -> bool:
    """Take this period's run of a periodic job: move its next due time forward with a
    compare-and-set update. Exactly one of several workers (or beat processes) wins each slot.
    `slack` (a share of the period) lets a run start that much early: a fifth for the database
    worker, whose rounds are an interval apart anyway; half a period under Celery beat, whose
    messages reach a busy worker late and an idle one early — duplicates of one beat arrive within
    moments of each other, so they still meet a taken slot."""
    now = now or timezone.now()
    slot, _ = ScheduleSlot.objects.get_or_create(name=name, defaults={"next_run_at": now})
    if slot.next_run_at > now + dt.timedelta(seconds=every * slack) and not force:
        return False
    mine = ScheduleSlot.objects.filter(pk=slot.pk) if force else ScheduleSlot.objects.filter(
        pk=slot.pk, next_run_at=slot.next_run_at)
    return bool(mine.update(next_run_at=now + dt.timedelta(seconds=every), last_run_at=now,
                            last_run_by=(worker or worker_id())[:120]))


def run_periodic(name: str, *, tick: int, worker: str | None = None, force: bool = False,
                 slack: float = 0.2) -> tuple[bool, Any]:
    """Run one periodic job if this worker wins its slot. Returns (ran, result); a failure of the job
    is logged, kept on the slot and returned as the exception (the next slot retries: every job is
    idempotent). A database that does not answer raises (the caller's round is retried)."""
    job = registry.periodic(name)
    worker = worker or worker_id()
    if not claim_slot(name, every=job.every or tick, worker=worker, force=force, slack=slack):
        return False, None
    try:
        with context.job(name):  # job id + system actor for the audit log
            result = registry.resolve(job.target)(**job.kwargs)
    except Exception as exc:
        log.exception("周期任务失败：%s（下一轮重试）", name)
        try:
            ScheduleSlot.objects.filter(name=name).update(last_error=f"{exc.__class__.__name__}: {exc}"[:2000],
                                                          last_error_at=timezone.now())
        except Exception:
            log.warning("周期任务 %s 的错误未能记录", name, exc_info=True)
        return True, exc
    ScheduleSlot.objects.filter(name=name).exclude(last_error="").update(last_error="")  # recovered
    if name == "clocks.tick":
        _heartbeat(worker, clock_ticked=True)
    return True, result


def run_schedule(*, tick: int, worker: str | None = None, force: bool = False) -> dict[str, Any]:
    """One round of the schedule, in registry order: {job name: result or exception} for the jobs
    this worker ran. `force` (`fangtiao worker --once`) runs every job now."""
    worker = worker or worker_id()
    out: dict[str, Any] = {}
    for job in registry.PERIODIC:
        ran, result = run_periodic(job.name, tick=tick, worker=worker, force=force)
        if ran:
            out[job.name] = result
    return out


_STARTED = timezone.now()


def _heartbeat(worker: str, *, clock_ticked: bool = False) -> None:
    """The process's heartbeat for `fangtiao check-deploy` (clocks.WorkerHeartbeat): failures are
    logged, never raised — a full disk must not stop the statutory clocks."""
    from importlib import metadata

    from fangtiao.clocks import services as clock_services

    try:
        version = metadata.version("fangtiao")
    except metadata.PackageNotFoundError:
        version = "unknown"
    host, _, pid = worker.rpartition(":")
    try:
        clock_services.worker_heartbeat_touch(host=host, pid=int(pid), started_at=_STARTED, version=version,
                                              clock_ticked_at=timezone.now() if clock_ticked else None)
    except Exception:
        log.exception("心跳记录失败")


def heartbeat(*, worker: str | None = None) -> None:
    _heartbeat(worker or worker_id())
