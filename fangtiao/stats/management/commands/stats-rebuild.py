"""`fangtiao stats-rebuild`: recompute every statistics rollup from the source tables."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "重建统计汇总（全部事实和汇总表从源数据重新计算）"

    def handle(self, *args: Any, **opts: Any) -> None:
        from fangtiao.stats import services

        def progress(source: str, n: int) -> None:
            if n % 50000 == 0:
                self.stdout.write(f"  {source}: {n}")

        counts = services.rebuild(progress=progress)
        self.stdout.write(self.style.SUCCESS(f"统计汇总已重建：事项 {counts['case']} 件，法律咨询 {counts['consultation']} 件"))
