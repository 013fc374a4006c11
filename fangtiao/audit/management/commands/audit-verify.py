"""`fangtiao audit-verify`: recompute the audit hash chain and name the first broken link.

Seals what is due first unless --no-seal. Exit status 0 when the chain is whole, 1 when it is not
(the first problem is printed: event id and what broke), 2 when it cannot run (no key)."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand

from fangtiao.audit import chain
from fangtiao.core import context


class Command(BaseCommand):
    help = "校验审计日志哈希链，指出第一个断裂的链环（事件ID与类型）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-seal", action="store_true", help="校验前不封存新记录")
        parser.add_argument("--chunk", type=int, default=5000, help="每批读取的行数")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.command("audit-verify"):
            try:
                chain.key()
            except chain.AuditKeyMissing as exc:
                self.stderr.write(str(exc))
                sys.exit(2)
            started = time.monotonic()
            sealed = 0 if options["no_seal"] else chain.seal()
            report = chain.verify(chunk=max(100, options["chunk"]))
            took = time.monotonic() - started
        summary = (f"链环 {report.links}，事件 {report.events}（其中已按保留期清理 {report.purged}，"
                   f"待封存 {report.awaiting}），本次封存 {sealed}，用时 {took:.1f} 秒")
        if report.ok:
            self.stdout.write(f"审计日志哈希链完整：{summary}")
            return
        self.stderr.write(f"审计日志哈希链断裂：{report.problem}")
        self.stderr.write(summary)
        sys.exit(1)
