"""`fangtiao migrations-lint`: backward-incompatible migrations need a recorded approval.

Issue 9 (security-reliability.md §4.5, §6 item 31): django-migration-linter flags the operations an
old release cannot run against (a NOT NULL column without a database default, a dropped or renamed
column, a new unique constraint…). Fangtiao's release procedure (docs/deploy.md § Upgrading) stops
the old web and worker processes before `migrate` and starts the new release after it, so no old
code ever writes to the new schema — the flagged operations are safe under that procedure, and
each one is approved below by name with its reason. A migration flagged and not listed fails the
check: its author either makes it compatible (e.g. `db_default=` instead of `default=`) or records
why it is safe here. Run it on PostgreSQL (CI: on the round trip's scratch database)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

_BEFORE_RULE = ("早于兼容性规则发布（issue 9 之前）：新增非空列或约束，旧版代码写入会失败；"
                "升级到含此迁移的版本须按 docs/deploy.md §4 单机顺序停机迁移，不可滚动重启")

# "app.migration" → why it is accepted. Linted on PostgreSQL (on SQLite every ALTER is a table
# rebuild, which the linter flags whatever the change).
APPROVED: dict[str, str] = {
    **dict.fromkeys((
        "assessment.0003_scheme_region_score_ranking", "cases.0003_skip_level_risk",
        "cases.0005_mediation_fields", "core.0002_idempotency_request_hash",
        "mediation.0004_agreement_special_procedure", "org.0003_unit_short_name_unique",
        "org.0004_mediator_employer", "stats.0002_dispatch_timeliness_petition_labels_day_index",
        "subsidies.0003_earning_once_per_case",
    ), _BEFORE_RULE),
    "cases.0002_link_kind_length": "只加长 varchar 列（16→32），旧版代码写入的值仍合法",
}


class Command(BaseCommand):
    help = "迁移兼容性检查：不向后兼容的迁移须在批准清单中登记理由"

    def handle(self, *args: Any, **options: Any) -> None:
        from django.db import connection

        if connection.vendor != "postgresql":
            raise CommandError("请在 PostgreSQL 上运行（SQLite 的每次 ALTER 都是重建表，检查工具一律报不兼容）")
        try:
            from django_migration_linter import MigrationLinter
        except ImportError as exc:  # a test-extra tool: `make install-test`
            raise CommandError("未安装 django-migration-linter（make install-test）") from exc

        flagged: list[str] = []

        class Linter(MigrationLinter):
            def lint_migration(self, migration: Any) -> None:
                before = self.nb_erroneous
                super().lint_migration(migration)
                if self.nb_erroneous > before:
                    flagged.append(f"{migration.app_label}.{migration.name}")

        linter = Linter(None, database="default", no_cache=True, only_applied_migrations=False,
                        exclude_apps=["admin", "auth", "contenttypes", "sessions"], quiet=["ok"])
        linter.lint_all_migrations()
        unapproved = sorted(set(flagged) - set(APPROVED))
        stale = sorted(set(APPROVED) - set(flagged))
        self.stdout.write(f"检查迁移 {linter.nb_total} 个，不兼容 {len(flagged)} 个，均须登记理由")
        if stale:
            self.stdout.write(f"批准清单中已不再被标记的迁移（可删除）：{', '.join(stale)}")
        if unapproved:
            raise CommandError(f"未登记理由的不兼容迁移：{', '.join(unapproved)}")
        self.stdout.write(self.style.SUCCESS("迁移兼容性检查通过"))
