"""`fangtiao audit-seal`: append the due audit events to the hash chain now (the periodic job
`audit.seal` does the same every worker round)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from fangtiao.audit import chain
from fangtiao.core import context


class Command(BaseCommand):
    help = "将已到封存时间的审计记录加入哈希链"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--lag", type=int, default=None, help="只封存早于此秒数的记录（默认 FANGTIAO_AUDIT_SEAL_LAG_SECONDS）")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.command("audit-seal"):
            n = chain.seal(lag_seconds=options["lag"])
        self.stdout.write(f"已封存 {n} 条审计记录")
