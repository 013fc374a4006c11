"""`fangtiao pii-scan PATH...`: plaintext ID and mobile numbers in files; exit 1 on any (hits masked)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "扫描文件（数据库及其 -wal、转储、备份、日志）中的明文身份证号和手机号；发现即以 1 退出（输出已脱敏）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="文件或目录（目录递归扫描）")
        parser.add_argument("--max-hits", type=int, default=50, help="最多列出的命中数")

    def handle(self, *args: Any, **opts: Any) -> None:
        from fangtiao.core.piiscan import scan

        n, hits = scan(opts["paths"])
        for h in hits[: opts["max_hits"]]:
            self.stdout.write(str(h))
        if hits:
            self.stderr.write(f"发现明文个人信息 {len(hits)} 处（扫描文件 {n} 个）")
            sys.exit(1)
        self.stdout.write(f"未发现明文身份证号或手机号（扫描文件 {n} 个）")
