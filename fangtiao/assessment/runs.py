"""Score computation in the background (DESIGN §7: every long job shows progress), shaped like the
hot-spot runs (screening.hotspots).

`compute_request` checks who may compute (as `services.scores_compute`: assessment.manage and a
district-wide unit), validates the period's schemes, refuses a second queued or running run for the
same period, level and region (409; a database constraint backs it), creates a `ComputeRun` and
dispatches it per FANGTIAO_JOB_MODE: `inline` runs it at once (tests), `thread` starts a thread
once the request's transaction commits, `worker` leaves it to `fangtiao worker` (`run_pending`).
A runner claims a run by compare-and-set (queued, or running with a stopped beat), calls the
existing computation with a progress callback that beats, and records done (with the number of
scores) or failed (a Chinese message; the replacement of the scores is one transaction, so the old
scores stay). Request and failure are audited; success is the computation's own audit row.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from fangtiao.assessment import services
from fangtiao.assessment.choices import RunStatus
from fangtiao.assessment.models import ComputeRun
from fangtiao.assessment.periods import Period, parse_period
from fangtiao.audit import services as audit
from fangtiao.core.errors import Conflict, DomainError

log = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=10)
BEAT_EVERY = 1.0  # seconds between progress writes while a run works
ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
BUSY = "该考核期该对象的得分正在计算中，请等待本次计算完成"


def compute_request(*, actor: Any, period: Period, level: str) -> ComputeRun:
    """A district leader asks for a period's scores; the computation goes to the background."""
    path = services.compute_check(actor)
    services.compute_plan(path=path, period=period, level=level)  # 422 now rather than a failed run later
    if ComputeRun.objects.filter(period=period.key, level=level, region_path=path, status__in=ACTIVE).exists():
        raise Conflict(BUSY, code="busy")
    try:
        with transaction.atomic():
            run = ComputeRun.objects.create(period=period.key, level=level, region_path=path,
                                            requested_by=actor if getattr(actor, "pk", None) else None)
            audit.record(actor=actor, action="assessment.compute_requested", subject=run,
                         extra={"run": run.pk, "period": period.key, "level": level, "region": path},
                         region_path=path)
    except IntegrityError:
        raise Conflict(BUSY, code="busy") from None
    return _dispatch(run)


def _dispatch(run: ComputeRun) -> ComputeRun:
    """Through the task interface (fangtiao.tasks): an outbox row in this transaction; "inline" runs
    it now, "thread" also starts it beside this process after commit, "worker" leaves it to the backend."""
    from fangtiao.tasks.services import enqueue

    enqueue("assessment.run", run_id=run.pk, mode=settings.FANGTIAO_JOB_MODE)
    if settings.FANGTIAO_JOB_MODE == "inline":
        run.refresh_from_db()
    return run


def _stale_q(now: dt.datetime) -> Q:
    return Q(status=RunStatus.QUEUED) | Q(status=RunStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER)


def _claim(run_id: int) -> bool:
    now = timezone.now()
    return bool(ComputeRun.objects.filter(_stale_q(now), pk=run_id).update(
        status=RunStatus.RUNNING, started_at=now, heartbeat_at=now, progress_done=0))


def _message(exc: BaseException) -> str:
    if isinstance(exc, DomainError):
        return f"计算失败：{exc.detail}"[:300]
    return f"计算失败：系统错误（{exc.__class__.__name__}），原有得分未改变，请稍后重试或联系管理员"[:300]


def run_one(run_id: int) -> ComputeRun | None:
    """Claim and work one run; None when someone else has it (or it is finished)."""
    if not _claim(run_id):
        return None
    run = ComputeRun.objects.select_related("requested_by").get(pk=run_id)
    last = {"at": 0.0}

    def progress(done: int, total: int) -> None:
        beat = time.monotonic()
        if done not in (0, total) and beat - last["at"] < BEAT_EVERY:
            return
        last["at"] = beat
        ComputeRun.objects.filter(pk=run_id).update(progress_done=done, progress_total=total,
                                                    heartbeat_at=timezone.now())

    try:
        n = services.scores_compute(actor=run.requested_by, period=parse_period(run.period), level=run.level,
                                    path=run.region_path, progress=progress)
    except Exception as exc:
        log.exception("assessment compute run %s failed", run_id)
        message = _message(exc)
        ComputeRun.objects.filter(pk=run_id).update(status=RunStatus.FAILED, finished_at=timezone.now(), error=message)
        audit.record(actor=run.requested_by, action="assessment.compute_failed", subject=run, success=False,
                     extra={"run": run.pk, "period": run.period, "level": run.level, "region": run.region_path,
                            "error": message}, region_path=run.region_path)
    else:
        ComputeRun.objects.filter(pk=run_id).update(status=RunStatus.DONE, finished_at=timezone.now(),
                                                    result_count=n, error="")
    run.refresh_from_db()
    return run


def run_pending() -> int:
    """The worker's share: queued runs, and running runs whose beat stopped (taken over)."""
    ids = list(ComputeRun.objects.filter(_stale_q(timezone.now())).order_by("created_at", "id")
               .values_list("pk", flat=True)[:5])
    done = 0
    for pk in ids:
        if run_one(pk) is not None:
            done += 1
    return done


def run_get(*, user: Any, pk: int) -> ComputeRun | None:
    """A run the user may see (its region within the user's scope), else None (→ 404)."""
    return ComputeRun.objects.visible_to(user).filter(pk=pk).first()
