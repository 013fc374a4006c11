"""fangtiao privacy-sweep [--dry-run] [--batch N] [--limit N]: anonymise (or restrict/delete) every
record whose retention period has ended (个保法 第47条). Idempotent: a processed object is recorded
once in privacy.Anonymisation; cases under a legal hold are skipped."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "按保存期限匿名化到期的个人信息（--dry-run 只统计）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="只统计到期数量，不做修改")
        parser.add_argument("--batch", type=int, default=None, help="每批处理的对象数")
        parser.add_argument("--limit", type=int, default=None, help="每类记录最多处理的对象数")

    def handle(self, *args: Any, **opts: Any) -> None:
        from fangtiao.privacy.services import retention_sweep

        result = retention_sweep(dry_run=opts["dry_run"], batch=opts["batch"], limit=opts["limit"])
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, sort_keys=True))
