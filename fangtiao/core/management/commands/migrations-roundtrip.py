"""`fangtiao migrations-roundtrip`: every migration forward, every app back to zero, forward again.

Issue 9 (security-reliability.md §4.5, §6 item 31): a release can only be rolled back if each of its
migrations can be reversed, and a data migration that cannot be replayed breaks the next install.
Runs in one process on the database DATABASE_URL names — an empty scratch database: CI gives it a
fresh SQLite file and a fresh PostgreSQL database. Exits non-zero on the first failure."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor


class Command(BaseCommand):
    help = "迁移往返检查：全部正向迁移、全部回退到零、再次正向迁移（须在空的临时数据库上运行）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.introspection.table_names():
            executor = MigrationExecutor(connection)
            if executor.loader.applied_migrations:
                raise CommandError("目标数据库不是空库：请在临时数据库上运行（它会把全部迁移回退到零）")
        for step, label in ((self._forward, "正向迁移"), (self._zero, "回退到零"), (self._forward, "再次正向迁移")):
            started = time.perf_counter()
            count = step(connection)
            self.stdout.write(f"{label}: {count} 个迁移，{time.perf_counter() - started:.1f} 秒")
        self.stdout.write(self.style.SUCCESS("迁移往返检查通过"))

    @staticmethod
    def _forward(connection: Any) -> int:
        executor = MigrationExecutor(connection)
        targets = executor.loader.graph.leaf_nodes()
        plan = executor.migration_plan(targets)
        executor.migrate(targets, plan=plan)
        return len(plan)

    @staticmethod
    def _zero(connection: Any) -> int:
        executor = MigrationExecutor(connection)
        apps = {app for app, _ in executor.loader.graph.leaf_nodes()}
        targets = [(app, None) for app in sorted(apps)]
        plan = executor.migration_plan(targets)
        if not all(backwards for _, backwards in plan):
            raise CommandError("回退计划中出现正向迁移")
        executor.migrate(targets, plan=plan)
        left = MigrationExecutor(connection).loader.applied_migrations
        if left:
            raise CommandError(f"回退后仍有已应用的迁移：{sorted(left)[:5]}")
        return len(plan)
