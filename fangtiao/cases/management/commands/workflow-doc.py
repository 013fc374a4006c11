from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "输出（或用 --write 写入 docs/state-machine.md、docs/documents-forms.md 和 docs/warnings.md）由流程表和文书目录生成的文档"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        from fangtiao.cases.docs import render
        from fangtiao.documents.docs import render as render_forms
        from fangtiao.screening.docs import render as render_warnings

        for name, text in (("state-machine.md", render()), ("documents-forms.md", render_forms()),
                           ("warnings.md", render_warnings())):
            if opts["write"]:
                path = Path(settings.PROJECT_DIR) / "docs" / name
                path.write_text(text, encoding="utf-8")
                self.stdout.write(f"已写入 {path}")
            else:
                self.stdout.write(text)
