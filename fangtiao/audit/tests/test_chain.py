"""The audit log at 等保 level 3 (ADR 0017): append-only in the database on both engines, the HMAC
chain and its verifier (first broken link, by id and kind), the retention purge
(security-reliability.md §6 items 13, 15, 17)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fangtiao.audit import chain, purge
from fangtiao.audit.models import AppendOnlyError, AuditEvent, AuditPurge, AuditSeal, PurgePermit
from fangtiao.audit.services import record
from fangtiao.core import context
from fangtiao.core.errors import DomainError

TABLES = ("audit_auditevent", "audit_auditseal", "audit_auditpurge")


def _triggers() -> list[tuple[str, str]]:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal "
                        "AND tgrelid::regclass::text LIKE 'audit_%%'")
        else:
            cur.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit_%'")
        return list(cur.fetchall())


@contextmanager
def tampering() -> Iterator[object]:
    """A raw connection with the append-only triggers dropped — an attacker with DDL rights — inside a
    savepoint that is rolled back afterwards (triggers and rows come back)."""
    sid = transaction.savepoint()
    try:
        with connection.cursor() as cur:
            for name, table in _triggers():
                cur.execute(f'DROP TRIGGER "{name}" ON {table}' if connection.vendor == "postgresql"
                            else f'DROP TRIGGER "{name}"')
            yield cur
    finally:
        transaction.savepoint_rollback(sid)


def _event(**kw: object) -> AuditEvent:
    e = AuditEvent(action=kw.pop("action", "demo.loaded"), actor_username=kw.pop("actor_username", "system:test"),
                   request_id="job-test", **kw)
    e.save()
    return e


@pytest.fixture
def sealed(db):
    for i in range(30):
        _event(subject_repr=f"对象{i}", extra={"n": i}, actor_id=i, ip="10.0.0.1")
    assert chain.seal(lag_seconds=0) >= 30
    return list(AuditEvent.objects.order_by("id").values_list("id", flat=True))


def _refused(sql: str, params: list[object] | None = None) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params or [])


def test_update_delete_truncate_refused_through_the_apps_connection(sealed):
    """§6 item 17: 0 successful UPDATE or DELETE, by the ORM or by raw SQL, on both engines."""
    pk = sealed[3]
    AuditPurge.objects.create(cutoff=timezone.now(), protected_cutoff=timezone.now(), boundary_event_id=0,
                              anchor=chain.GENESIS, count=0, actor_username="t", request_id="t")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditSeal.objects.filter(event_id=pk).update(hash="0")
    for table in TABLES:
        _refused(f"UPDATE {table} SET id = id")  # noqa: S608
        _refused(f"DELETE FROM {table}")  # noqa: S608
        if connection.vendor == "postgresql":
            _refused(f"TRUNCATE {table} CASCADE")
    assert AuditEvent.objects.count() == len(sealed) and AuditSeal.objects.count() >= len(sealed)
    assert chain.verify().ok


def test_the_purge_permit_opens_delete_only_inside_its_own_transaction(sealed):
    pk = sealed[0]
    with transaction.atomic(), purge.permit() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE id = %s", [pk])
    assert not AuditEvent.objects.filter(pk=pk).exists()
    assert not PurgePermit.objects.exists()  # gone before the commit
    _refused("DELETE FROM audit_auditevent WHERE id = %s", [sealed[1]])
    if connection.vendor == "postgresql":  # a setting without its permit row opens nothing
        _refused("SELECT set_config('fangtiao.audit_purge', 'guess', true); DELETE FROM audit_auditevent")
    # the event was removed behind the retention rules' back: the verifier names it
    report = chain.verify()
    assert (report.problem.kind, report.problem.event_id) == ("deleted_row", pk)


def test_a_clean_chain_verifies_and_the_sealer_is_idempotent(sealed):
    assert chain.seal(lag_seconds=0) == 0
    young = _event()
    assert chain.seal() == 0  # younger than the lag: waits
    report = chain.verify()
    assert report.ok and report.links == len(sealed) and report.awaiting == 1
    assert chain.seal(lag_seconds=0) == 1
    assert AuditSeal.objects.order_by("-id").first().event_id == young.pk
    out = StringIO()
    call_command("audit-verify", "--no-seal", stdout=out)
    assert "完整" in out.getvalue()


@pytest.mark.parametrize("kind", ["changed_row", "deleted_row", "inserted_row", "reordered_link", "deleted_link",
                                  "changed_link"])
def test_manual_edits_are_caught_at_the_exact_first_id(sealed, kind):
    k = sealed[10]
    later = sealed[20]
    with tampering() as cur:
        if kind == "changed_row":
            cur.execute("UPDATE audit_auditevent SET subject_repr = 'x' WHERE id IN (%s, %s)", [k, later])
        elif kind == "deleted_row":
            cur.execute("DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [k, later])
        elif kind == "inserted_row":
            head = sealed[-1]
            _event(id=head + 50)  # a legitimate event with a higher id, sealed …
            chain.seal(lag_seconds=0)
            _event(id=head + 20)  # … then one slipped in below the head
            k = head + 20
        elif kind == "reordered_link":  # two whole links swapped
            a, b = (list(AuditSeal.objects.filter(event_id=e).values_list(
                "event_id", "event_at", "event_action", "digest", "prev_hash", "hash")[0]) for e in (k, sealed[11]))
            for row, target in ((b, k), (a, sealed[11])):
                cur.execute("UPDATE audit_auditseal SET event_id = %s, event_at = %s, event_action = %s, digest = %s, "
                            "prev_hash = %s, hash = %s WHERE event_id = %s", [-row[0], *row[1:], target])
            cur.execute("UPDATE audit_auditseal SET event_id = -event_id WHERE event_id < 0")
            k = sealed[11]
        elif kind == "deleted_link":  # the event and its link removed together
            cur.execute("DELETE FROM audit_auditseal WHERE event_id = %s", [k])
            cur.execute("DELETE FROM audit_auditevent WHERE id = %s", [k])
            k = sealed[11]
        elif kind == "changed_link":
            cur.execute("UPDATE audit_auditseal SET event_action = 'auth.login' WHERE event_id = %s", [k])
        report = chain.verify(chunk=7)  # pages smaller than the table
        err = StringIO()
        with pytest.raises(SystemExit) as exit_:
            call_command("audit-verify", "--no-seal", stderr=err)
    assert (report.problem.kind, report.problem.event_id) == (kind, k), str(report.problem)
    assert exit_.value.code == 1 and f"事件ID {k}" in err.getvalue()
    assert chain.verify().ok  # rolled back: whole again


def test_one_flipped_byte_in_any_of_100_random_rows_is_detected(sealed):
    """§6 item 13, the audit-row part: 100 of 100 single-byte flips are reported, at that row."""
    rng = random.Random(20261129)  # noqa: S311 - test data
    text_cols = ["action", "actor_username", "subject_repr", "request_id", "region_path", "actor_roles"]
    caught = 0
    with tampering() as cur:
        for _ in range(100):
            pk = rng.choice(sealed)
            col = rng.choice([*text_cols, "actor_id", "success", "ip"])
            cur.execute(f"SELECT {col} FROM audit_auditevent WHERE id = %s", [pk])  # noqa: S608  # nosec B608  # — identifiers from model metadata or fixed names, values bound as parameters
            old = cur.fetchone()[0]
            if col == "actor_id":
                new = old ^ (1 << rng.randrange(8))
            elif col == "success":
                new = not old
            elif col == "ip":
                new = "10.0.0.3"
            else:
                text = old if isinstance(old, str) and old else "x"
                i = rng.randrange(len(text))
                new = text[:i] + chr(ord(text[i]) ^ (1 << rng.randrange(5))) + text[i + 1:]
            cur.execute(f"UPDATE audit_auditevent SET {col} = %s WHERE id = %s", [new, pk])  # noqa: S608  # nosec B608  # — identifiers from model metadata or fixed names, values bound as parameters
            problem = chain.verify().problem
            caught += bool(problem and problem.kind == "changed_row" and problem.event_id == pk)
            cur.execute(f"UPDATE audit_auditevent SET {col} = %s WHERE id = %s", [old, pk])  # noqa: S608  # nosec B608  # — identifiers from model metadata or fixed names, values bound as parameters
    assert caught == 100


def test_verification_streams_in_constant_queries_per_page(sealed):
    with CaptureQueriesContext(connection) as small:
        chain.verify(chunk=10)
    for _ in range(30):
        _event()
    chain.seal(lag_seconds=0)
    with CaptureQueriesContext(connection) as big:
        chain.verify(chunk=10)
    # keyset pages: queries grow with rows / chunk, never with one query per row
    assert len(big) <= len(small) + 2 * (30 // 10) + 2


# --- retention ------------------------------------------------------------------------------------

def _aged(days: int, action: str = "demo.loaded") -> AuditEvent:
    return _event(at=timezone.now() - dt.timedelta(days=days), action=action)


def test_purge_refuses_a_cutoff_younger_than_184_days(db):
    today = timezone.localdate()
    old = _aged(400)
    chain.seal(lag_seconds=0)
    with pytest.raises(DomainError, match="至少保存184日"):
        purge.purge(before=today - dt.timedelta(days=183), actor_username="t")
    with pytest.raises(CommandError, match="至少保存184日"):
        call_command("audit-purge", "--before", (today - dt.timedelta(days=100)).isoformat())
    with pytest.raises(CommandError, match="日期格式不正确"):
        call_command("audit-purge", "--before", "2026-13-01")
    assert AuditEvent.objects.filter(pk=old.pk).exists()


def test_purge_keeps_reveals_and_exports_three_years_and_the_chain_verifiable(db):
    today = timezone.localdate()
    old = _aged(400)
    old_reveal = _aged(400, "pii.revealed")
    old_export = _aged(800, "export.xlsx")
    ancient_reveal = _aged(1200, "pii.revealed")
    recent = _aged(100)
    gap = _aged(500)
    with transaction.atomic(), purge.permit() as cur:  # an id left unused before sealing
        cur.execute("DELETE FROM audit_auditevent WHERE id = %s", [gap.pk])
    slipped_in = _aged(500)
    chain.seal(lag_seconds=0)
    # below the sealed head without a link (an insertion the verifier reports): never purged away
    inserted = _event(id=gap.pk, at=timezone.now() - dt.timedelta(days=500))
    before = today - dt.timedelta(days=200)
    out = StringIO()
    call_command("audit-purge", "--before", before.isoformat(), "--dry-run", stdout=out)
    assert "将清理 3 条" in out.getvalue() and AuditEvent.objects.filter(pk=old.pk).exists()
    plan, rec = purge.purge(before=before, actor_username="system:audit-purge", chunk=1)
    left = set(AuditEvent.objects.values_list("pk", flat=True))
    assert {old.pk, ancient_reveal.pk}.isdisjoint(left)
    assert {old_reveal.pk, old_export.pk, recent.pk, inserted.pk} <= left
    assert slipped_in.pk not in left
    assert rec.count == 3 and rec.anchor == AuditSeal.objects.get(event_id=rec.boundary_event_id).hash
    event = AuditEvent.objects.get(action="audit.purged")
    assert event.extra["count"] == 3 and event.actor_username == "system:audit-purge"
    chain.seal(lag_seconds=0)
    report = chain.verify()
    assert (report.problem.kind, report.problem.event_id) == ("inserted_row", inserted.pk)
    with tampering() as cur:  # without the inserted row the rest verifies, the purged links included
        cur.execute("DELETE FROM audit_auditevent WHERE id = %s", [inserted.pk])
        report = chain.verify()
    assert report.ok and report.purged == 3, report.problem
    # a protected reveal removed outside the rules is still reported, at its id
    with transaction.atomic(), purge.permit() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE id = %s", [old_reveal.pk])
    assert (chain.verify().problem.kind, chain.verify().problem.event_id) == ("deleted_row", old_reveal.pk)
    assert AuditPurge.objects.count() == 1


def test_retention_settings_below_the_legal_minimum_are_refused(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from fangtiao.env import env_int

    monkeypatch.setenv("FANGTIAO_AUDIT_RETENTION_DAYS", "183")
    with pytest.raises(ImproperlyConfigured):
        env_int("FANGTIAO_AUDIT_RETENTION_DAYS", 184, minimum=184)


def test_production_without_an_audit_key_seals_nothing_and_verify_refuses(db, settings):
    settings.LOCAL = False
    settings.FANGTIAO_AUDIT_KEY = ""
    _event()
    assert chain.seal_job() == 0 and not AuditSeal.objects.exists()
    with pytest.raises(SystemExit) as exit_:
        call_command("audit-verify", stderr=StringIO())
    assert exit_.value.code == 2


# --- required fields outside requests --------------------------------------------------------------

def test_jobs_and_commands_record_a_system_actor_and_a_job_id(db, monkeypatch):
    from fangtiao.tasks import services as tasks

    def job() -> None:
        record(actor=None, action="demo.loaded")

    monkeypatch.setattr(chain, "seal_job", job)
    ran, result = tasks.run_periodic("audit.seal", tick=60, force=True)
    assert ran and not isinstance(result, Exception)
    e = AuditEvent.objects.latest("id")
    assert e.actor_username == "system:audit.seal" and e.request_id.startswith("job-")
    with context.command("audit-purge"):
        e = record(actor=None, action="demo.loaded")
    assert e.actor_username == "system:audit-purge" and e.request_id.startswith("cmd-")
    e = record(actor=None, action="demo.loaded")  # a shell: still named, still an id
    assert e.actor_username == "system" and e.request_id.startswith("proc-")


def test_flush_empties_the_audit_tables_only_in_local_settings(db, settings):
    """The test runner's flush takes the purge permit (LOCAL only); in production it cannot empty the log
    (tried inside the test's transaction, rolled back afterwards)."""
    _event()
    chain.seal(lag_seconds=0)
    settings.LOCAL = False
    with pytest.raises(CommandError):
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    assert AuditEvent.objects.exists() and AuditSeal.objects.exists()
    # LOCAL: every transactional test of the suite (e.g. tasks/tests/test_outbox.py) flushes through it.
