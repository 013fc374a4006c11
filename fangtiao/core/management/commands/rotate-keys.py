"""`fangtiao rotate-keys [--dry-run] [--batch N] [--no-files]`: re-encrypt every encrypted field and
file with today's algorithm and key, and recompute every blind index (ADR 0016, docs/security.md §4).
Idempotent and resumable: run it again after an interruption; it reports what it changed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "轮换加密密钥：用当前算法和密钥重新加密全部加密字段和加密文件，并重算盲索引（可中断后重跑）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="只统计，不写入")
        parser.add_argument("--batch", type=int, default=500, help="每批行数（每批一个事务）")
        parser.add_argument("--no-files", action="store_true", help="不处理加密文件")

    def handle(self, *args: Any, **opts: Any) -> None:
        from django.db import transaction

        from fangtiao.audit import services as audit
        from fangtiao.core import crypto
        from fangtiao.core.rotation import rotate

        counts = rotate(batch=max(opts["batch"], 1), dry_run=opts["dry_run"], files=not opts["no_files"],
                        say=lambda m: self.stdout.write(m))
        summary = {"cipher": crypto.current_alg(), "key": crypto.current_kid(), "index": crypto.index_alg(),
                   "rows": counts.rows_seen, "values": counts.values_rotated, "indexes": counts.indexes_updated,
                   "files": counts.files_rotated, "skipped": counts.skipped_concurrent, "dry_run": opts["dry_run"]}
        if not opts["dry_run"]:
            with transaction.atomic():
                audit.record(actor=None, action="crypto.rotated", actor_username="command:rotate-keys", extra=summary)
        verb = "需要" if opts["dry_run"] else "已"
        self.stdout.write(
            f"检查 {counts.rows_seen} 行：{verb}重新加密字段值 {counts.values_rotated} 个、更新盲索引 {counts.indexes_updated} 个、"
            f"重新加密文件 {counts.files_rotated} 个；期间被改动而跳过 {counts.skipped_concurrent} 行"
            f"（算法 {summary['cipher']}，密钥 {summary['key']}，索引 {summary['index']}）")
