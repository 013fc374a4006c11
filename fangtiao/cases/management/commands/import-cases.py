"""`fangtiao import-cases FILE --mapping MAPPING.toml`: historical matters from another system
(docs/import.md). Exit status: 0 done, 1 invalid rows (nothing imported), 2 bad file, mapping or
option, 3 interrupted (whole batches kept; run the same command again to continue)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from fangtiao.core.errors import DomainError

EXIT_INVALID_ROWS = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 3


class ProgressBar:
    """`导入 1234/2816 [#####.....] 44%` redrawn in place on a terminal; a line every 10 % otherwise."""

    def __init__(self, out: OutputWrapper, label: str = "导入", width: int = 30) -> None:
        self.out = out
        self.label = label
        self.width = width
        self.tty = bool(getattr(out, "isatty", lambda: False)())
        self.last_step = -1
        out.style_func = None  # progress is not an error: not in Django's red stderr style

    def __call__(self, done: int, total: int) -> None:
        pct = 100 if total == 0 else done * 100 // total
        if self.tty:
            filled = self.width * pct // 100
            bar = "#" * filled + "." * (self.width - filled)
            self.out.write(f"\r{self.label} {done}/{total} [{bar}] {pct}%", ending="\n" if done >= total else "")
            self.out.flush()
            return
        step = pct // 10
        if step > self.last_step:
            self.last_step = step
            self.out.write(f"{self.label} {done}/{total} {pct}%")


class Command(BaseCommand):
    help = "导入其他系统的历史事项（CSV 或 Excel），按对照文件（TOML）对应各列；先校验全部行，有误则不导入"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV（UTF-8 或 GBK）或 Excel（.xlsx）文件")
        parser.add_argument("--mapping", required=True, help="列对照文件（TOML），见 docs/import.md")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入任何数据")
        parser.add_argument("--skip-invalid", action="store_true", help="跳过无效行，导入其余有效行")
        parser.add_argument("--unit", help="登记单位：ID、名称或简称（默认：对照文件 [source] unit，或唯一的矛调中心）")
        parser.add_argument("--user", help="记为操作人的账号（默认：系统）")
        parser.add_argument("--batch-size", type=int, default=500, help="每批导入的行数（每批一个事务，默认500）")
        parser.add_argument("--report", help="把校验报告写入此 CSV 文件")
        parser.add_argument("--no-resume", action="store_true",
                            help="不续传：此前已导入过的行作为无效行报告，而不是跳过")

    def execute(self, *args: Any, **options: Any) -> Any:
        # On the command line: the error in Chinese, without Django's "CommandError:" prefix and
        # never a traceback (unless --traceback). From call_command() the CommandError propagates.
        try:
            return super().execute(*args, **options)
        except CommandError as exc:
            if not getattr(self, "_called_from_command_line", False) or options.get("traceback"):
                raise
            self.stderr.write(f"错误：{exc}", style_func=self.style.ERROR)
            sys.exit(exc.returncode)

    def handle(self, *args: Any, **opts: Any) -> None:
        from fangtiao.cases.importer import import_cases, load_mapping

        try:
            mapping = load_mapping(opts["mapping"])
            unit = self._unit(opts["unit"] or mapping.unit, required=not opts["dry_run"])
            actor = self._user(opts["user"])
        except DomainError as exc:
            raise CommandError(exc.detail, returncode=EXIT_BAD_INPUT) from exc
        if opts["batch_size"] < 1:
            raise CommandError("--batch-size 至少为1", returncode=EXIT_BAD_INPUT)
        bar = ProgressBar(self.stderr)
        try:
            report = import_cases(path=opts["file"], mapping=mapping, actor_unit=unit, dry_run=opts["dry_run"],
                                  resume=not opts["no_resume"], batch_size=opts["batch_size"], progress=bar,
                                  skip_invalid=opts["skip_invalid"], actor=actor)
        except DomainError as exc:
            raise CommandError(exc.detail, returncode=EXIT_BAD_INPUT) from exc
        except KeyboardInterrupt as exc:
            raise CommandError("导入被中断：已完成的批次已保存，重新运行同一命令即可从中断处继续",
                               returncode=EXIT_INTERRUPTED) from exc
        except Exception as exc:
            if opts.get("traceback"):
                raise
            if opts["dry_run"]:
                raise CommandError(f"校验中断（{exc.__class__.__name__}: {exc}）", returncode=EXIT_INTERRUPTED) from exc
            raise CommandError(f"导入中断（{exc.__class__.__name__}: {exc}）：已完成的批次已保存，"
                               "排除问题后重新运行同一命令即可从中断处继续", returncode=EXIT_INTERRUPTED) from exc

        if report.errors:
            self.stdout.write(f"校验发现 {report.invalid} 行无效：")
            for line in report.error_lines():
                self.stdout.write("  " + line)
        if opts["report"]:
            try:
                report.write_csv(opts["report"])
            except OSError as exc:
                raise CommandError(f"无法写入报告文件：{opts['report']}（{exc.strerror}）",
                                   returncode=EXIT_BAD_INPUT) from exc
            self.stdout.write(f"校验报告已写入 {Path(opts['report'])}")
        for line in report.summary_lines():
            self.stdout.write(line)
        if report.indexed is None and report.imported and not opts["dry_run"]:
            self.stdout.write("提示：文本检索索引尚不可用，导入的事项将在索引功能上线后补建索引")
        if report.invalid and not opts["skip_invalid"]:
            raise CommandError(f"有 {report.invalid} 行无效" + ("" if opts["dry_run"] else "，未导入任何事项"),
                               returncode=EXIT_INVALID_ROWS)

    def _unit(self, key: str | None, *, required: bool) -> Any:
        from django.db.models import Q

        from fangtiao.org.models import Unit

        if key:
            key = str(key).strip()
            qs = Unit.objects.filter(pk=int(key)) if key.isdigit() else Unit.objects.filter(Q(name=key) | Q(short_name=key))
            units = list(qs[:2])
            if len(units) != 1:
                raise CommandError(f"找不到登记单位“{key}”（可用单位ID、全称或简称）", returncode=EXIT_BAD_INPUT)
            return units[0]
        centres = list(Unit.objects.filter(kind="centre")[:2])
        if len(centres) == 1:
            return centres[0]
        if required:
            raise CommandError("请用 --unit 指定登记单位（ID、全称或简称）", returncode=EXIT_BAD_INPUT)
        return None

    def _user(self, username: str | None) -> Any:
        if not username:
            return None
        from fangtiao.org.models import User

        user = User.objects.select_related("unit").filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"找不到账号“{username}”", returncode=EXIT_BAD_INPUT)
        return user
