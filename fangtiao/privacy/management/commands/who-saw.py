"""fangtiao who-saw --case NUMBER: every audit event that touched a case — reveals of its parties'
personal information, exports and copies naming it, views, changes — for a breach investigation
(个保法 第57条; docs/security.md §6). Read-only."""

from __future__ import annotations

import csv
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


class Command(BaseCommand):
    help = "列出审计日志中涉及某事项的全部查看、导出、披露事件（只读）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--case", required=True, help="事项编号")
        parser.add_argument("--format", choices=["text", "csv"], default="text")
        parser.add_argument("--all", action="store_true", help="包括普通修改事件（默认只列查看、导出、披露类）")

    def handle(self, *args: Any, **opts: Any) -> None:
        from fangtiao.privacy.audit_trail import events_for_case

        try:
            events = events_for_case(opts["case"], everything=opts["all"])
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        rows = [(timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"), e.actor_username, e.actor_name, e.unit_name,
                 e.action, e.action_label, "成功" if e.success else "失败", e.subject_type, e.subject_id,
                 str(e.ip or ""), e.request_id, _detail(e)) for e in events]
        if opts["format"] == "csv":
            w = csv.writer(self.stdout, lineterminator="\n")
            w.writerow(["时间", "账号", "姓名", "单位", "操作代码", "操作", "结果", "对象类型", "对象ID", "IP", "请求ID", "详情"])
            w.writerows(rows)
            return
        self.stdout.write(f"事项 {opts['case']}：{len(rows)} 条审计事件")
        for r in rows:
            self.stdout.write("  ".join(x for x in r if x))


def _detail(e: Any) -> str:
    extra = dict(e.extra or {})
    keep = {k: extra[k] for k in ("field", "reason", "list", "case", "rows", "right") if k in extra}
    return ", ".join(f"{k}={v}" for k, v in keep.items())
