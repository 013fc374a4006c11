"""Hot spots (热点): clusters of similar matters in a time window, computed by a background run.

A run reads the window's matters and the window before it (for the trend) in chunks, clusters them
with screening.text.hotspots (the code `fangtiao text-eval hotspots` measures), and stores each
cluster with its label, size, trend, region (the smallest region holding all its members) and
members. Progress is kept on the run row; runs are claimed by compare-and-set, beat while they
work, and a run whose beat stopped is taken over by the worker. The periodic run (the last
FANGTIAO_HOTSPOT_WINDOW_DAYS days) is skipped when no matter arrived since the last one
(incremental in the sense that matters: an unchanged window is not recomputed).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from fangtiao.audit import services as audit
from fangtiao.cases.models import Case
from fangtiao.core.errors import PermissionDenied, ValidationFailed
from fangtiao.org.models import Region
from fangtiao.org.permissions import has_capability
from fangtiao.screening.choices import RunStatus
from fangtiao.screening.models import Hotspot, HotspotMember, HotspotRun, TextProfile
from fangtiao.screening.similar import case_text

log = logging.getLogger(__name__)

CHUNK = 2000
STALE_AFTER = dt.timedelta(minutes=10)
MAX_WINDOW_DAYS = 366


def run_request(*, actor: Any, start: dt.date, end: dt.date) -> HotspotRun:
    """A leader asks for hot spots over a window; the run goes to the background."""
    if actor is not None and not has_capability(actor, "hotspot.compute"):
        raise PermissionDenied("您没有计算热点的权限")
    if end < start:
        raise ValidationFailed.on("to", "结束日期不能早于开始日期")
    if (end - start).days + 1 > MAX_WINDOW_DAYS:
        raise ValidationFailed.on("from", f"时间窗口不能超过{MAX_WINDOW_DAYS}天")
    if end > timezone.localdate():
        raise ValidationFailed.on("to", "结束日期不能晚于今天")
    with transaction.atomic():
        same = HotspotRun.objects.filter(window_start=start, window_end=end,
                                         status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).first()
        if same is not None:
            return same
        run = HotspotRun.objects.create(window_start=start, window_end=end,
                                        requested_by=actor if getattr(actor, "pk", None) else None)
    _dispatch(run)
    return run


def _dispatch(run: HotspotRun) -> None:
    """Through the task interface (fangtiao.tasks): an outbox row in the request's transaction;
    "inline" runs it once the transaction commits, "thread" starts it beside this process then,
    "worker" leaves it to the backend."""
    from fangtiao.tasks.services import enqueue, run_task

    mode = settings.FANGTIAO_JOB_MODE
    task = enqueue("screening.hotspot_run", run_id=run.pk, mode="worker" if mode == "inline" else mode)
    if mode == "inline":
        transaction.on_commit(lambda: run_task(task.pk))


def _claim(run_id: int) -> bool:
    now = timezone.now()
    fresh = Q(status=RunStatus.QUEUED) | Q(status=RunStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    return bool(HotspotRun.objects.filter(fresh, pk=run_id).update(status=RunStatus.RUNNING, started_at=now,
                                                                   heartbeat_at=now, progress_done=0))


def _window(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


def _docs(run: HotspotRun, start: dt.date, end: dt.date, paths: dict[int, str], *, done_before: int = 0) -> list[Any]:
    from fangtiao.screening.text import hotspots as text_hotspots

    lo, hi = _window(start, end)
    docs = []
    # 检举控告 matters are not clustered: a hot spot's label and size are read by everyone in its area
    # (信访工作条例 第30条第3款).
    qs = (Case.objects.filter(received_at__gte=lo, received_at__lt=hi).exclude(nature="accusation").order_by("id")
          .values_list("pk", "title", "description", "demands", "received_at", "region_path"))
    last = 0
    while True:
        chunk = list(qs.filter(pk__gt=last)[:CHUNK])
        if not chunk:
            break
        # the words segmented when each matter was indexed: a year's run does not run jieba again
        stored = dict(TextProfile.objects.filter(case_id__in=[r[0] for r in chunk]).values_list("case_id", "words"))
        for pk, title, description, demands, received_at, region_path in chunk:
            words = stored.get(pk)
            docs.append(text_hotspots.Doc(id=pk, text="" if words is not None else case_text(title, description, demands),
                                          time=received_at, region=region_path,
                                          words=tuple(words.split()) if words is not None else None))
            paths[pk] = region_path
        last = chunk[-1][0]
        HotspotRun.objects.filter(pk=run.pk).update(progress_done=done_before + len(docs), heartbeat_at=timezone.now())
    return docs


def _common_region(paths: list[str]) -> Region | None:
    if not paths:
        return None
    parts = [p.strip("/").split("/") for p in paths]
    common = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return Region.objects.filter(path="/".join(common) + "/").first() if common else None


def run_one(run_id: int) -> HotspotRun | None:
    if not _claim(run_id):
        return None
    run = HotspotRun.objects.get(pk=run_id)
    try:
        from fangtiao.screening.similar import ensure_place_names

        ensure_place_names()
        span = (run.window_end - run.window_start).days + 1
        prev_end = run.window_start - dt.timedelta(days=1)
        prev_start = prev_end - dt.timedelta(days=span - 1)
        lo, hi = _window(run.window_start, run.window_end)
        ordinary = Case.objects.exclude(nature="accusation")
        total = ordinary.filter(received_at__gte=lo, received_at__lt=hi).count()
        plo, phi = _window(prev_start, prev_end)
        total += ordinary.filter(received_at__gte=plo, received_at__lt=phi).count()
        HotspotRun.objects.filter(pk=run.pk).update(progress_total=total + 1)
        paths: dict[int, str] = {}
        current = _docs(run, run.window_start, run.window_end, paths)
        previous = _docs(run, prev_start, prev_end, {}, done_before=len(current))
        HotspotRun.objects.filter(pk=run.pk).update(progress_done=len(current) + len(previous), heartbeat_at=timezone.now())
        from fangtiao.screening.text import hotspots as text_hotspots

        clusters = text_hotspots.cluster(current, window_start=run.window_start, window_end=run.window_end,
                                         previous=previous)
        root = Region.objects.filter(parent__isnull=True).order_by("path").first()
        with transaction.atomic():
            for c in clusters:
                region = _common_region([paths[m] for m in c.members if m in paths]) or root
                if region is None:
                    continue
                h = Hotspot.objects.create(run=run, label=c.label[:200], terms=list(c.terms)[:12], size=c.size,
                                           previous_size=c.previous_size, trend=c.trend, region=region,
                                           region_path=region.path, window_start=run.window_start,
                                           window_end=run.window_end)
                HotspotMember.objects.bulk_create([HotspotMember(hotspot=h, case_id=m) for m in c.members],
                                                  ignore_conflicts=True, batch_size=2000)
            max_id = Case.objects.aggregate(m=Max("id"))["m"] or 0
            HotspotRun.objects.filter(pk=run.pk).update(
                status=RunStatus.DONE, finished_at=timezone.now(), progress_done=total + 1, n_cases=len(current),
                source_max_id=max_id, message=f"{len(current)} 件事项，{len(clusters)} 个热点")
            audit.record(actor=run.requested_by, action="hotspot.computed", subject=None, region_path="",
                         extra={"run": run.pk, "window": f"{run.window_start}~{run.window_end}", "clusters": len(clusters),
                                "cases": len(current)})
    except Exception as exc:
        log.exception("hot-spot run %s failed", run_id)
        HotspotRun.objects.filter(pk=run_id).update(status=RunStatus.FAILED, finished_at=timezone.now(),
                                                    message=f"计算失败：{exc.__class__.__name__}"[:300])
        if settings.TESTING:
            raise
    run.refresh_from_db()
    return run


def run_pending() -> int:
    """The worker's share: queued runs, and runs whose beat stopped."""
    now = timezone.now()
    ids = list(HotspotRun.objects.filter(Q(status=RunStatus.QUEUED)
                                         | Q(status=RunStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER))
               .order_by("created_at").values_list("pk", flat=True)[:5])
    done = 0
    for pk in ids:
        if run_one(pk) is not None:
            done += 1
    return done


def ensure_periodic(*, today: dt.date | None = None) -> HotspotRun | None:
    """Queue the rolling window's run (ending yesterday) unless it exists and nothing is new."""
    today = today or timezone.localdate()
    end = today - dt.timedelta(days=1)
    start = end - dt.timedelta(days=settings.FANGTIAO_HOTSPOT_WINDOW_DAYS - 1)
    last = HotspotRun.objects.filter(window_start=start, window_end=end).order_by("-created_at").first()
    if last is not None and last.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        return None
    if last is not None and last.status == RunStatus.DONE:
        newest = Case.objects.aggregate(m=Max("id"))["m"] or 0
        if newest <= last.source_max_id:
            return None
    if last is not None and last.status == RunStatus.FAILED and timezone.now() - last.created_at < dt.timedelta(hours=6):
        return None
    run = HotspotRun.objects.create(window_start=start, window_end=end)
    return run
