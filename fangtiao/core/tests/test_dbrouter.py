"""Read replicas (fangtiao.core.dbrouter, docs/adr/0011-read-replicas.md): reads inside
reporting_reads() go to a replica, writes never do, outside the context everything is default,
an export's audit row lands on default, a broken or missing replica falls back to default, and
the dashboards, reports, summary API and ranking answer 200 with a replica configured.

How the second alias exists here, the same way on SQLite and PostgreSQL, without a subprocess:
the module fixture `replica` adds the alias `replica` to `connections.settings` as a copy of the
default *test* database's settings with TEST = {"MIRROR": "default"} (what DATABASE_REPLICA_URL
produces under test), and turns the router on with override_settings(DATABASE_ROUTERS,
FANGTIAO_READ_REPLICAS). Overriding DATABASES itself would not reach the already-built connection
handler, so the alias is registered (and removed afterwards) on the handler directly.

The replica is a second connection to the same test database. A row written inside a test's
transaction is invisible to another PostgreSQL connection, so the tests that read through the
replica are transactional (`transaction=True`): their rows are committed and flushed afterwards.
Inside the usual rolled-back test transaction `default` is in an atomic block, and the router then
keeps every read on default by design — which is also why the rest of the suite is unaffected."""

from __future__ import annotations

import datetime as dt
import runpy
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.models import Case
from fangtiao.core import dbrouter
from fangtiao.core.dbrouter import reporting_reads, reporting_reads_active
from fangtiao.core.testing.api import ApiClient
from fangtiao.org.models import Region

ROUTER = "fangtiao.core.dbrouter.ReplicaRouter"
BOTH = ["default", "replica"]


def _add_alias(alias: str, **changes: Any) -> None:
    """Register `alias` as a mirror of the default test database (with `changes` applied)."""
    cfg = dict(connections["default"].settings_dict)
    cfg.update(changes)
    cfg["TEST"] = {**cfg.get("TEST", {}), "MIRROR": "default"}
    connections.settings[alias] = cfg


def _drop_alias(alias: str) -> None:
    if hasattr(connections._connections, alias):  # noqa: SLF001 - the handler keeps one per thread
        connections[alias].close()
        del connections[alias]
    connections.settings.pop(alias, None)


@pytest.fixture(scope="module", autouse=True)
def replica(django_db_setup: Any, django_db_blocker: Any) -> Any:
    _add_alias("replica")
    # A replica that cannot be reached (a missing file on SQLite, a closed port on PostgreSQL),
    # configured as an alias but used only by the fallback test.
    broken = ({"NAME": str(Path(tempfile.gettempdir()) / "fangtiao-no-such-dir" / "replica.sqlite3")}
              if connections["default"].vendor == "sqlite" else {"PORT": "1"})
    _add_alias("replica_down", **broken)
    override = override_settings(DATABASE_ROUTERS=[ROUTER], FANGTIAO_READ_REPLICAS=["replica"])
    override.enable()
    dbrouter.reset_state()
    try:
        yield "replica"
    finally:
        override.disable()
        dbrouter.reset_state()
        with django_db_blocker.unblock():
            _drop_alias("replica")
            _drop_alias("replica_down")


@pytest.fixture
def world(replica: str) -> Any:
    """A committed world with a few matters and rebuilt rollups (the tests below are transactional)."""
    from fangtiao.cases.tests.factories import extend_world, make_case
    from fangtiao.core.testing.world import build_world
    from fangtiao.stats import services

    xw = extend_world(build_world())
    xw.base_staff = {}
    xw.staff = {}
    make_case(xw, channel="visit")
    make_case(xw, channel="phone", kind="dispute", nature=None)
    services.rebuild()
    return xw


def _sql(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries]


# Queries the request makes before the view body (bearer token, session, the logged-in user and
# its roles) run on default; nothing the dashboards count may.
AUTH_TABLES = ("token", "session", "org_user", "org_role", "auth_")


def _only_auth(queries: list[str]) -> bool:
    return all(any(t in q for t in AUTH_TABLES) and "stats_" not in q and "cases_" not in q for q in queries)


# --- routing decisions --------------------------------------------------------------------------

class TestRouting:
    def test_outside_the_context_everything_uses_default(self):
        assert not reporting_reads_active()
        assert router.db_for_read(Case) == DEFAULT_DB_ALIAS
        assert router.db_for_write(Case) == DEFAULT_DB_ALIAS

    @pytest.mark.django_db(transaction=True, databases=BOTH)
    def test_reads_in_the_context_go_to_the_replica_and_writes_never(self):
        with reporting_reads():
            assert router.db_for_read(Case) == "replica"
            assert router.db_for_read(Region) == "replica"
            assert router.db_for_write(Case) == DEFAULT_DB_ALIAS
            assert router.db_for_write(AuditEvent) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Case) == DEFAULT_DB_ALIAS

    @pytest.mark.django_db(transaction=True, databases=BOTH)
    def test_a_read_inside_a_transaction_stays_on_default(self):
        with reporting_reads():
            with transaction.atomic():
                assert router.db_for_read(Case) == DEFAULT_DB_ALIAS
            assert router.db_for_read(Case) == "replica"

    def test_the_context_never_leaks(self):
        with pytest.raises(RuntimeError), reporting_reads():
            raise RuntimeError
        assert not reporting_reads_active()

        seen: list[bool] = []
        with reporting_reads():
            t = threading.Thread(target=lambda: seen.append(reporting_reads_active()))
            t.start()
            t.join()
            assert reporting_reads_active()
        assert seen == [False]

        @reporting_reads()
        def body() -> bool:
            return reporting_reads_active()

        assert body() is True and body() is True
        assert not reporting_reads_active()

    def test_migrations_only_on_default_and_relations_across(self):
        assert router.allow_migrate("default", "cases") is True
        assert router.allow_migrate("replica", "cases") is False
        a, b = Region(), Region()
        a._state.db, b._state.db = "default", "replica"
        assert router.allow_relation(a, b) is True

    def test_several_replicas_in_turn(self, monkeypatch):
        connections.settings["replica_2"] = dict(connections.settings["replica"])
        monkeypatch.setattr(dbrouter, "_usable", lambda alias: True)
        try:
            with override_settings(FANGTIAO_READ_REPLICAS=["replica", "replica_2"]):
                picks = {dbrouter.choose_replica() for _ in range(4)}
        finally:
            connections.settings.pop("replica_2", None)
        assert picks == {"replica", "replica_2"}


class TestFallback:
    def test_a_missing_alias_reads_default(self):
        with override_settings(FANGTIAO_READ_REPLICAS=["replica_9"]):
            assert dbrouter.choose_replica() == DEFAULT_DB_ALIAS

    @pytest.mark.django_db(transaction=True, databases=["default", "replica_down"])
    def test_a_failing_replica_is_skipped_for_a_while(self, monkeypatch):
        attempts: list[str] = []
        real = dbrouter._usable

        def counted(alias: str) -> bool:
            attempts.append(alias)
            return real(alias)

        monkeypatch.setattr(dbrouter, "_usable", counted)
        try:
            with override_settings(FANGTIAO_READ_REPLICAS=["replica_down"]):
                assert dbrouter.choose_replica() == DEFAULT_DB_ALIAS  # OperationalError caught once
                assert dbrouter.choose_replica() == DEFAULT_DB_ALIAS  # marked down: not tried again
                assert attempts == ["replica_down"]
                now = dbrouter.time.monotonic()
                monkeypatch.setattr(dbrouter.time, "monotonic", lambda: now + 3600)
                assert dbrouter.choose_replica() == DEFAULT_DB_ALIAS  # retried after the pause
                assert attempts == ["replica_down", "replica_down"]
        finally:
            dbrouter.reset_state()


def test_settings_add_one_alias_per_replica_url(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("FANGTIAO_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_REPLICA_URL", f"sqlite:///{tmp_path}/r1.sqlite3")
    one = runpy.run_path("fangtiao/settings.py")
    assert one["FANGTIAO_READ_REPLICAS"] == ["replica"] and one["DATABASE_ROUTERS"] == [ROUTER]
    assert one["DATABASES"]["replica"]["TEST"] == {"MIRROR": "default"}
    assert one["DATABASES"]["replica"]["OPTIONS"] == one["DATABASES"]["default"]["OPTIONS"]
    monkeypatch.setenv("DATABASE_REPLICA_URL", f"sqlite:///{tmp_path}/r1.sqlite3, sqlite:///{tmp_path}/r2.sqlite3")
    two = runpy.run_path("fangtiao/settings.py")
    assert two["FANGTIAO_READ_REPLICAS"] == ["replica_1", "replica_2"]
    monkeypatch.delenv("DATABASE_REPLICA_URL")
    none = runpy.run_path("fangtiao/settings.py")
    assert none["FANGTIAO_READ_REPLICAS"] == [] and none["DATABASE_ROUTERS"] == [] and set(none["DATABASES"]) == {"default"}


# --- the read paths ----------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True, databases=BOTH)
class TestReadPaths:
    def test_the_summary_is_counted_on_the_replica(self, world):
        api = ApiClient(world.leader)
        today = dt.date.today()
        with CaptureQueriesContext(connections["default"]) as on_default, \
                CaptureQueriesContext(connections["replica"]) as on_replica:
            r = api.get("/api/v1/stats/summary", {"from": f"{today.year}-01-01", "to": today.isoformat()})
        assert r.status_code == 200, r.content
        assert r.json()["total"] == 2
        assert any("stats_" in q for q in _sql(on_replica)), _sql(on_replica)
        assert _only_auth(_sql(on_default)), _sql(on_default)
        for path in ("/api/v1/stats/monthly", "/api/v1/stats/breakdown"):
            assert api.get(path).status_code == 200

    def test_outside_the_read_paths_nothing_reads_the_replica(self, world, client):
        client.force_login(world.clerk_t01)
        with CaptureQueriesContext(connections["replica"]) as on_replica:
            assert client.get(reverse("cases:list")).status_code == 200
        assert on_replica.captured_queries == []

    def test_dashboards_and_reports_answer_from_the_replica(self, world, client):
        client.force_login(world.leader)
        for name in ("stats:overview", "stats:townships", "stats:mediators", "stats:reports", "assessment:scores"):
            with CaptureQueriesContext(connections["default"]) as on_default, \
                    CaptureQueriesContext(connections["replica"]) as on_replica:
                r = client.get(reverse(name))
            assert r.status_code == 200, name
            assert on_replica.captured_queries, name
            assert _only_auth(_sql(on_default)), (name, _sql(on_default))

    def test_an_export_is_audited_on_default(self, world, client):
        client.force_login(world.leader)
        with CaptureQueriesContext(connections["default"]) as on_default, \
                CaptureQueriesContext(connections["replica"]) as on_replica:
            r = client.get(reverse("stats:overview"), {"export": "xlsx", "reason": "核对", "table": "summary"})
        assert r.status_code == 200
        assert any("INSERT" in q and "audit" in q for q in _sql(on_default))
        assert not any("INSERT" in q or "UPDATE" in q for q in _sql(on_replica))
        assert AuditEvent.objects.filter(action="export.xlsx", actor_id=world.leader.pk).count() == 1
        r = client.get(reverse("stats:report_xlsx"), {"period": f"{dt.date.today().year}"})
        assert r.status_code in (200, 400)
        if r.status_code == 200:
            assert AuditEvent.objects.filter(action="stats.exported").count() == 1
