"""`fangtiao worker`: the embedded background worker (no broker needed).

Every interval it runs the clock tick (marks overdue clocks and warns of those due soon) and the
mediation tick (session reminders, obligations due soon or overdue, the daily backlog rule), each
notice exactly once, and runs batch print jobs no web process took (documents.services.run_queued_prints) (compare-and-set claims, so several workers may run). Stops cleanly on SIGTERM.
Each round it writes its heartbeat (clocks.WorkerHeartbeat), which `fangtiao check-deploy` reads."""

from __future__ import annotations

import functools
import logging
import os
import signal
import socket
import time
from importlib import metadata
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

log = logging.getLogger("fangtiao.worker")


def _guarded(name: str, fn: Any, default: Any) -> Any:
    """Derived work (rollups, score runs) must not stop the statutory clocks: a failure is logged
    and retried at the next interval (its queue rows and runs stay as they were)."""
    try:
        return fn()
    except Exception:
        log.exception("后台任务失败：%s（下一轮重试）", name)
        return default


def _version() -> str:
    try:
        return metadata.version("fangtiao")
    except metadata.PackageNotFoundError:
        return "unknown"


class Command(BaseCommand):
    help = "后台任务：定期巡检法定时限（临期提醒、超期标记）和调解事务（会前提醒、履行督促、积案认定），每项只通知一次"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=int, default=60, help="巡检间隔（秒），默认60")
        parser.add_argument("--once", action="store_true", help="只巡检一次后退出")

    def handle(self, *args: Any, **opts: Any) -> None:
        from fangtiao.assessment.runs import run_pending as assessment_runs
        from fangtiao.clocks.services import clock_tick, worker_heartbeat_touch
        from fangtiao.core.idempotency import purge_expired
        from fangtiao.documents.services import run_queued_prints
        from fangtiao.mediation.services import tick as mediation_tick
        from fangtiao.screening.tasks import tick as screening_tick
        from fangtiao.stats.services import refresh as stats_refresh

        stop = {"flag": False}

        def _stop(signum: int, frame: Any) -> None:
            stop["flag"] = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        interval = max(1, opts["interval"])
        me = {"host": socket.gethostname(), "pid": os.getpid(), "started_at": timezone.now(), "version": _version()}
        while True:
            close_old_connections()
            counts = clock_tick()
            # After the tick, so check-deploy sees both that this process lives and when clocks last ran.
            _guarded("心跳记录", functools.partial(worker_heartbeat_touch, **me, clock_ticked_at=timezone.now()), None)
            m = mediation_tick()
            purge_expired()
            printed = run_queued_prints()
            sc = _guarded("排查预警", screening_tick, {"hotspot_runs": 0, "indexed": 0})
            _guarded("考核计算", assessment_runs, None)  # background score runs (assessment.runs), stale ones taken over
            refreshed = _guarded("统计汇总", stats_refresh, 0)
            if refreshed or opts["once"]:
                self.stdout.write(f"统计汇总：更新 {refreshed} 条变更")
            if opts["once"] or sc.get("rounds_missed") or sc.get("hotspot_runs"):
                w = sc.get("warnings") or {}
                self.stdout.write(f"排查预警：新排期 {sc.get('rounds_scheduled', 0)} 轮，逾期未报 {sc.get('rounds_missed', 0)} 轮，"
                                  f"超期预警 {w.get('overdue', 0)} 项，积案预警 {w.get('backlog', 0)} 项，"
                                  f"热点计算 {sc['hotspot_runs']} 次，补建文本索引 {sc['indexed']} 件")
            if printed:
                self.stdout.write(f"批量打印：完成 {printed} 项")
            if counts["overdue"] or counts["due_soon"] or opts["once"]:
                self.stdout.write(f"时限巡检：超期 {counts['overdue']} 项，临期 {counts['due_soon']} 项")
            if any(m.values()) or opts["once"]:
                self.stdout.write(f"调解巡检：会前提醒 {m['session_reminders']} 项，履行临期 {m['obligations_due']} 项，"
                                  f"逾期未履行 {m['obligations_overdue']} 项，新认定积案 {m['backlog_marked']} 项")
            if opts["once"] or stop["flag"]:
                break
            deadline = time.monotonic() + interval
            while time.monotonic() < deadline and not stop["flag"]:
                time.sleep(0.5)
            if stop["flag"]:
                break
