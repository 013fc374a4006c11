"""`fangtiao assessment-compute --period 2026-05 --level township`: compute and store the scores."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "计算考核得分（覆盖该期该对象已存的得分）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--period", required=True, help="考核期：2026-05、2026-Q2 或 2026")
        parser.add_argument("--level", default="township", choices=["township", "village", "mediator"],
                            help="考核对象")

    def handle(self, *args: Any, **opts: Any) -> None:
        from fangtiao.assessment.periods import parse_period
        from fangtiao.assessment.services import scores_compute
        from fangtiao.core.errors import DomainError

        try:
            period = parse_period(opts["period"])
            n = scores_compute(actor=None, period=period, level=opts["level"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(self.style.SUCCESS(f"已计算 {period.key} {opts['level']} 得分 {n} 条"))
