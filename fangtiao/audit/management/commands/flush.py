"""Django's `flush`, holding the audit purge permit while it empties the tables.

The audit tables refuse DELETE and TRUNCATE (migration 0004, ADR 0017); `flush` — run by the test
runner between transactional tests and by developers resetting a demo database — must still empty
them. It takes the permit only in LOCAL settings (debug, demo, tests): in production the triggers
refuse and `flush` fails before it removes anything, because emptying the audit log there is never
an operator's routine."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from fangtiao.audit.purge import permit


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        database = options.get("database") or DEFAULT_DB_ALIAS
        if not settings.LOCAL:
            return super().handle(**options)
        with transaction.atomic(using=database), permit(using=database) as cur:
            if connections[database].vendor != "postgresql":
                # SQLite empties table by table: the events and links go first, while the permit row
                # is still there (PostgreSQL truncates every table in one statement, after the checks).
                for table in ("audit_auditevent", "audit_auditseal", "audit_auditpurge"):
                    cur.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names  # nosec B608  # — identifiers from model metadata or fixed names, values bound as parameters  # nosemgrep: fangtiao-sql-string-formatting — identifiers from model metadata or fixed names (quoted), values bound as parameters
            super().handle(**options)
        return None
