"""`fangtiao backup --out DIR_OR_FILE`: one encrypted archive of the database and every stored file,
with its manifest (row counts, per-table digests, file checksums). GB/T 22239-2019 8.1.4.9 a."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "备份数据库和全部附件为一个加密的备份文件（含清单：各表行数与摘要、附件校验和）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="备份文件路径，或目录（在其中生成 fangtiao-<时间>.ftbak）")

    def handle(self, *args: Any, **opts: Any) -> None:
        from fangtiao.audit import services as audit
        from fangtiao.backup.archive import BackupError, create_backup

        try:
            result = create_backup(opts["out"], say=lambda m: self.stdout.write(m))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        m = result.manifest
        audit.record(actor=None, action="backup.created", actor_username="command:backup",
                     extra={"file": result.path.name, "size": result.size, "tables": len(m["tables"]),
                            "rows": sum(t["rows"] for t in m["tables"].values()), "files": len(m["files"])})
        self.stdout.write(f"备份完成：{result.path}（{result.size:,} 字节，用时 {result.seconds:.1f} 秒）")
