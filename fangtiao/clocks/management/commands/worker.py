"""`fangtiao worker`: the database-backed worker, the embedded default of the task interface
(fangtiao.tasks, docs/adr/0014-task-interface.md). No broker needed.

Every interval it runs the periodic schedule (fangtiao.tasks.registry.PERIODIC: the clock tick —
overdue marks and due-soon warnings —, the mediation tick — session reminders, obligations, the
daily backlog rule —, print jobs, screening and early warning, score runs, the statistics queue),
each slot taken by exactly one worker, each notice sent exactly once; then it drains the outbox
(claims due rows FOR UPDATE SKIP LOCKED) and hands rows of dead workers back. Several workers may
run. Each round it writes its heartbeat (clocks.WorkerHeartbeat), which `fangtiao check-deploy`
reads. A round the database breaks off is retried at the next interval. Stops cleanly on SIGTERM
(the running task finishes first; no new one starts). `--once` exits non-zero when the clock or
mediation tick failed."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections


class Command(BaseCommand):
    help = "后台任务：定期巡检法定时限（临期提醒、超期标记）和调解事务（会前提醒、履行督促、积案认定），执行排队的后台任务，每项只执行一次"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=int, default=60, help="巡检间隔（秒），默认60")
        parser.add_argument("--once", action="store_true", help="立即把每项周期任务执行一次，处理完排队任务后退出")

    def handle(self, *args: Any, **opts: Any) -> None:
        from fangtiao.tasks import registry
        from fangtiao.tasks import services as tasks

        stop = {"flag": False}

        def _stop(signum: int, frame: Any) -> None:
            stop["flag"] = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        interval = max(1, opts["interval"])
        me = tasks.worker_id()
        while True:
            close_old_connections()
            ran: dict[str, Any] = {}
            done = 0
            try:
                ran = tasks.run_schedule(tick=interval, worker=me, force=opts["once"])
                tasks.heartbeat(worker=me)
                done = tasks.drain(worker=me, budget_seconds=max(5.0, interval / 2), stop=lambda: stop["flag"])
                tasks.requeue_stale()
            except Exception as exc:  # the database went away mid-round: report, wait, try again
                tasks.log.exception("本轮后台任务中断（下一轮重试）")
                if opts["once"]:
                    raise CommandError(f"后台任务中断：{exc.__class__.__name__}: {exc}") from exc
                close_old_connections()
            self._report(ran, done, once=opts["once"])
            failed = sorted(n for n, v in ran.items() if isinstance(v, Exception) and n in registry.CRITICAL)
            if opts["once"] and failed:
                raise CommandError(f"法定时限相关的周期任务失败：{'，'.join(failed)}")
            if opts["once"] or stop["flag"]:
                break
            deadline = time.monotonic() + interval
            while time.monotonic() < deadline and not stop["flag"]:
                time.sleep(0.5)
            if stop["flag"]:
                break

    def _report(self, ran: dict[str, Any], done: int, *, once: bool) -> None:
        def ok(name: str) -> Any:
            value = ran.get(name)
            return None if isinstance(value, Exception) else value

        for name, value in ran.items():
            if isinstance(value, Exception):
                self.stderr.write(f"周期任务失败：{name}（{value.__class__.__name__}），下一轮重试")
        refreshed = ok("stats.refresh") or 0
        if refreshed or (once and "stats.refresh" in ran):
            self.stdout.write(f"统计汇总：更新 {refreshed} 条变更")
        sc = ok("screening.tick") or {}
        if sc and (once or sc.get("rounds_missed") or sc.get("hotspot_runs")):
            w = sc.get("warnings") or {}
            self.stdout.write(f"排查预警：新排期 {sc.get('rounds_scheduled', 0)} 轮，逾期未报 {sc.get('rounds_missed', 0)} 轮，"
                              f"超期预警 {w.get('overdue', 0)} 项，积案预警 {w.get('backlog', 0)} 项，"
                              f"热点计算 {sc.get('hotspot_runs', 0)} 次，补建文本索引 {sc.get('indexed', 0)} 件")
        printed = ok("documents.prints_sweep") or 0
        if printed:
            self.stdout.write(f"批量打印：完成 {printed} 项")
        counts = ok("clocks.tick")
        if counts and (counts["overdue"] or counts["due_soon"] or once):
            self.stdout.write(f"时限巡检：超期 {counts['overdue']} 项，临期 {counts['due_soon']} 项")
        m = ok("mediation.tick")
        if m and (any(m.values()) or once):
            self.stdout.write(f"调解巡检：会前提醒 {m['session_reminders']} 项，履行临期 {m['obligations_due']} 项，"
                              f"逾期未履行 {m['obligations_overdue']} 项，新认定积案 {m['backlog_marked']} 项")
        if done:
            self.stdout.write(f"排队任务：执行 {done} 项")
