"""Append-only at the database level on both engines (GB/T 22239-2019 8.1.4.3 c; ADR 0017).

UPDATE is always rejected on the audit tables (events, chain links, purge records). DELETE — and
TRUNCATE on PostgreSQL — is rejected unless the transaction holds a purge permit: a row of
`audit_purgepermit` that the retention purge inserts at the start of its transaction and deletes
before the commit (so no other transaction ever sees it); on PostgreSQL the session setting
`fangtiao.audit_purge` must also carry that row's token (`SET LOCAL`, gone at the transaction's end).
Ordinary code never writes that table: it has no model manager use outside `fangtiao.audit.purge`.
The test runner's `flush` takes the same permit (`audit/management/commands/flush.py`, LOCAL only)."""

from django.db import migrations

TABLES = ("audit_auditevent", "audit_auditseal", "audit_auditpurge")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'TRUNCATE') AND EXISTS (
       SELECT 1 FROM audit_purgepermit WHERE token = current_setting('fangtiao.audit_purge', true)) THEN
    IF TG_OP = 'DELETE' THEN
      RETURN OLD;
    END IF;
    RETURN NULL;
  END IF;
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def _pg_up() -> list[str]:
    sql = ["DROP TRIGGER IF EXISTS audit_no_update ON audit_auditevent;",
           "DROP TRIGGER IF EXISTS audit_no_delete ON audit_auditevent;", PG_FUNCTION]
    for t in TABLES:
        sql += [
            f"CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION audit_append_only();",
            f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION audit_append_only();",
            f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();",
        ]
    return sql


def _pg_down() -> list[str]:
    sql = []
    for t in TABLES:
        sql += [f"DROP TRIGGER IF EXISTS {t}_no_update ON {t};", f"DROP TRIGGER IF EXISTS {t}_no_delete ON {t};",
                f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t};"]
    sql += ["""CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;""",
            "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_auditevent FOR EACH ROW EXECUTE FUNCTION audit_append_only();",
            "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_auditevent FOR EACH ROW EXECUTE FUNCTION audit_append_only();"]
    return sql


def _sqlite_up() -> list[str]:
    sql = ["DROP TRIGGER IF EXISTS audit_no_update;"]
    for t in TABLES:
        sql += [
            f"CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} "
            f"BEGIN SELECT RAISE(ABORT, '{t} is append-only (UPDATE refused)'); END;",
            f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} "
            f"WHEN NOT EXISTS (SELECT 1 FROM audit_purgepermit) "
            f"BEGIN SELECT RAISE(ABORT, '{t} is append-only (DELETE refused)'); END;",
        ]
    return sql


def _sqlite_down() -> list[str]:
    sql = []
    for t in TABLES:
        sql += [f"DROP TRIGGER IF EXISTS {t}_no_update;", f"DROP TRIGGER IF EXISTS {t}_no_delete;"]
    sql.append("CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_auditevent "
               "BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only'); END;")
    return sql


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in _pg_up() if vendor == "postgresql" else _sqlite_up() if vendor == "sqlite" else []:
        schema_editor.execute(statement, None)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in _pg_down() if vendor == "postgresql" else _sqlite_down() if vendor == "sqlite" else []:
        schema_editor.execute(statement, None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain_and_purge")]
    operations = [migrations.RunPython(up, down)]
