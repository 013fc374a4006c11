from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "输出（或用 --write 写入 docs/state-machine.md）由流程表生成的状态机文档"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        from fangtiao.cases.docs import render

        text = render()
        if opts["write"]:
            path = Path(settings.PROJECT_DIR) / "docs" / "state-machine.md"
            path.write_text(text, encoding="utf-8")
            self.stdout.write(f"已写入 {path}")
        else:
            self.stdout.write(text)
