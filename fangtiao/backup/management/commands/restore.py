"""`fangtiao restore --from FILE [--verify] [--target PATH | --target-url URL] [--media-root DIR] [--force]`.

Restores into an empty database (refused otherwise unless --force) and media directory; `--verify`
recomputes row counts, per-table digests, file checksums and the integrity check and compares them
with the manifest, printing a table; any mismatch exits non-zero. `--verify-only` checks an already
restored target against the archive without restoring."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "从加密备份恢复数据库和附件，并可校验（行数、各表摘要、附件校验和、完整性检查）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="archive", required=True, help="备份文件")
        parser.add_argument("--target", default="", help="SQLite 目标文件（默认：当前配置的数据库）")
        parser.add_argument("--target-url", default="", help="PostgreSQL 目标库 postgres://…（须为空库）")
        parser.add_argument("--media-root", default="", help="附件恢复到的目录（默认 MEDIA_ROOT）")
        parser.add_argument("--verify", action="store_true", help="恢复后逐项校验")
        parser.add_argument("--verify-only", action="store_true", help="不恢复，只校验已恢复的目标")
        parser.add_argument("--force", action="store_true", help="目标非空时仍然覆盖")
        parser.add_argument("--all", action="store_true", help="校验表列出每一项（默认只列不一致项和合计）")

    def handle(self, *args: Any, **opts: Any) -> None:
        from fangtiao.backup.archive import BackupError, Target, restore, verify, verify_archive

        if opts["target"] and opts["target_url"]:
            raise CommandError("--target 与 --target-url 只能选一个")
        target = Target.parse(opts["target_url"] or opts["target"]) if (opts["target"] or opts["target_url"]) else Target.current()
        media = opts["media_root"] or None
        t0 = time.monotonic()
        try:
            if opts["verify_only"]:
                report = verify_archive(opts["archive"], target=target, media_root=media)
            else:
                manifest = restore(opts["archive"], target=target, media_root=media, force=opts["force"],
                                   say=lambda m: self.stdout.write(m))
                self.stdout.write(f"恢复用时 {time.monotonic() - t0:.1f} 秒")
                if not opts["verify"]:
                    return
                report = verify(manifest, target=target, media_root=media)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(report.table(all_rows=opts["all"]))
        self.stdout.write(f"恢复与校验共用时 {time.monotonic() - t0:.1f} 秒")
        if not report.ok:
            names = "、".join(f"{c.kind} {c.name}" for c in report.failures[:10])
            raise CommandError(f"校验失败（{len(report.failures)} 项不一致）：{names}")
        self.stdout.write("校验通过：行数、各表摘要、附件校验和与完整性检查全部一致")
