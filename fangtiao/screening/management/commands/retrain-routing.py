"""`fangtiao retrain-routing`: train the routing suggestion on this district's categorised matters
now (the worker does it every FANGTIAO_RETRAIN_DAYS days) and refit the similarity IDF table."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "用本区已分类的事项重新训练分流建议模型（并更新相似度词频表）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=60_000, help="最多使用最近的多少件事项，默认 60000")

    def handle(self, *args: Any, **opts: Any) -> None:
        from fangtiao.screening.routing import retrain

        if opts["limit"] < 1:
            raise CommandError("--limit 应为正整数")
        row = retrain(limit=opts["limit"])
        if row is None:
            raise CommandError("已分类事项不足（每类至少5件、共至少50件、至少两类），继续使用关键词规则")
        self.stdout.write(self.style.SUCCESS(
            f"已训练分流建议模型：{row.n_train} 件事项，{len(row.labels)} 类，用时 {row.train_seconds:.1f} 秒"))
