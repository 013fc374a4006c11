"""`fangtiao hotspots --from 2026-05-01 --to 2026-05-31`: compute the hot spots of a window now,
with progress on stderr (the worker computes the rolling window by itself)."""

from __future__ import annotations

import datetime as dt
import sys
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


def _date(value: str) -> dt.date:
    from fangtiao.core.forms import parse_chinese_date

    d = parse_chinese_date(value)
    if d is None:
        raise CommandError(f"无法识别的日期：{value}（如 2026-05-04 或 2026年5月4日）")
    return d


class Command(BaseCommand):
    help = "计算一个时间窗口内的热点（相似事项聚类），显示进度"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", required=True, help="开始日期")
        parser.add_argument("--to", dest="end", required=True, help="结束日期")

    def handle(self, *args: Any, **opts: Any) -> None:
        from django.db import connection

        from fangtiao.screening import hotspots
        from fangtiao.screening.models import HotspotRun

        start, end = _date(opts["start"]), _date(opts["end"])
        if (end - start).days + 1 > hotspots.MAX_WINDOW_DAYS:
            raise CommandError(f"时间窗口不能超过{hotspots.MAX_WINDOW_DAYS}天")
        if end < start:
            raise CommandError("结束日期不能早于开始日期")
        run = HotspotRun.objects.create(window_start=start, window_end=end)
        done = threading.Event()

        def progress() -> None:
            try:
                while not done.wait(1.0):
                    r = HotspotRun.objects.filter(pk=run.pk).values("progress_done", "progress_total").first() or {}
                    if r.get("progress_total"):
                        sys.stderr.write(f"\r计算热点 {r['progress_done']}/{r['progress_total']}")
                        sys.stderr.flush()
            finally:
                connection.close()

        t = threading.Thread(target=progress, daemon=True)
        t.start()
        started = time.perf_counter()
        try:
            result = hotspots.run_one(run.pk)
        finally:
            done.set()
            sys.stderr.write("\n")
        if result is None or result.status != "done":
            raise CommandError(f"热点计算失败：{getattr(result, 'message', '')}")
        self.stdout.write(self.style.SUCCESS(f"{result.message}（用时 {time.perf_counter() - started:.1f} 秒）"))
        for h in result.hotspots.select_related("region")[:20]:
            self.stdout.write(f"  {h.size:>5}  {h.get_trend_display()}  {h.region.name}  {h.label}")
