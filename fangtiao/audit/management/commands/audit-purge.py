"""`fangtiao audit-purge --before YYYY-MM-DD [--dry-run]`: the retention purge of the audit log.

Refuses a date younger than FANGTIAO_AUDIT_RETENTION_DAYS (≥ 184 days, 网络安全法 第21条(3)); keeps
reveals, exports and access-log events for FANGTIAO_AUDIT_PROTECTED_DAYS (≥ 3 years, 个人信息保护法
第56条); seals what is due first and removes only sealed events; records `audit.purged`."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fangtiao.audit import chain, purge
from fangtiao.core import context
from fangtiao.core.errors import DomainError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期格式不正确：{text}（应为 YYYY-MM-DD）") from None


class Command(BaseCommand):
    help = "按保留期清理过期审计日志（至少保留184日；查看完整个人信息与导出记录至少保留三年）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--before", required=True, type=_date, help="清理此日期（不含）之前的记录，YYYY-MM-DD")
        parser.add_argument("--dry-run", action="store_true", help="只统计，不删除")
        parser.add_argument("--chunk", type=int, default=2000, help="每个事务删除的行数")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.command("audit-purge"):
            try:
                chain.key()
            except chain.AuditKeyMissing as exc:
                self.stderr.write(str(exc))
                sys.exit(2)
            if not options["dry_run"]:
                chain.seal()
            try:
                plan, rec = purge.purge(before=options["before"], dry_run=options["dry_run"],
                                        chunk=max(1, options["chunk"]), actor_username="system:audit-purge")
            except DomainError as exc:
                raise CommandError(exc.detail) from None
        word = "将清理" if options["dry_run"] else "已清理"
        self.stdout.write(f"{word} {plan.count} 条审计记录（早于 {plan.cutoff:%Y-%m-%d %H:%M %Z}；"
                          f"受保护的查看/导出记录早于 {plan.protected_cutoff:%Y-%m-%d}）")
        if rec is not None:
            self.stdout.write(f"清理记录 {rec.pk}：边界事件ID {rec.boundary_event_id}，锚点 {rec.anchor}")
