"""Database connection settings for scale-out (settings § database, docs/deploy.md § Database
connections): persistent connections (FANGTIAO_DB_CONN_MAX_AGE), Django's psycopg pool
(FANGTIAO_DB_POOL) or PgBouncer in transaction mode (FANGTIAO_DB_PGBOUNCER), the same on every replica
alias, and loud refusals of combinations that cannot work. Each case boots the settings in a fresh
interpreter with its own environment (as test_settings does); the last one opens real pooled
connections to the PostgreSQL on the loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from typing import Any
from urllib.parse import urlsplit

import pytest

from fangtiao.core.testing.topology import unavailable

PG = "postgres://postgres@127.0.0.1:5432/fangtiao_settings_only"  # parsed, never connected to
REPLICA = "postgres://postgres@127.0.0.1:5433/fangtiao_settings_only"

DUMP = ("import django, json, os; os.environ['DJANGO_SETTINGS_MODULE']='fangtiao.settings'; django.setup(); "
        "from django.conf import settings; print(json.dumps(settings.DATABASES, default=str))")


def _run(env: dict[str, str], code: str = DUMP) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("FANGTIAO_") and k not in ("DATABASE_URL", "DATABASE_REPLICA_URL")}
    clean.update({"FANGTIAO_TESTING": "1", **env})
    return subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=60)


def _databases(env: dict[str, str]) -> dict[str, Any]:
    r = _run(env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def _refused(env: dict[str, str]) -> str:
    r = _run(env)
    assert r.returncode != 0 and "ImproperlyConfigured" in r.stderr, r.stderr
    return r.stderr


def test_persistent_connections_for_60_seconds_by_default(tmp_path: Any) -> None:
    dbs = _databases({"DATABASE_URL": PG, "DATABASE_REPLICA_URL": REPLICA})
    for alias in ("default", "replica"):
        db = dbs[alias]
        assert db["CONN_MAX_AGE"] == 60 and db["CONN_HEALTH_CHECKS"] is True, alias
        assert "pool" not in db.get("OPTIONS", {}) and not db.get("DISABLE_SERVER_SIDE_CURSORS"), alias
    assert dbs["replica"]["PORT"] == 5433 and dbs["replica"]["TEST"]["MIRROR"] == "default"
    # SQLite: one connection per request whatever is set (the file is shared by a few processes).
    sqlite = _databases({"FANGTIAO_VAR_DIR": str(tmp_path), "FANGTIAO_DB_CONN_MAX_AGE": "300"})["default"]
    assert sqlite["CONN_MAX_AGE"] == 0 and sqlite["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.parametrize("seconds", [0, 300])
def test_conn_max_age_comes_from_the_environment(seconds: int) -> None:
    dbs = _databases({"DATABASE_URL": PG, "DATABASE_REPLICA_URL": REPLICA, "FANGTIAO_DB_CONN_MAX_AGE": str(seconds)})
    assert dbs["default"]["CONN_MAX_AGE"] == dbs["replica"]["CONN_MAX_AGE"] == seconds


def test_the_pool_on_default_and_each_replica() -> None:
    dbs = _databases({"DATABASE_URL": PG, "DATABASE_REPLICA_URL": f"{REPLICA},{REPLICA}", "FANGTIAO_DB_POOL": "1",
                      "FANGTIAO_DB_POOL_MAX_SIZE": "20"})
    for alias in ("default", "replica_1", "replica_2"):
        db = dbs[alias]
        assert db["CONN_MAX_AGE"] == 0, alias  # Django refuses a pool with persistent connections
        assert db["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 20, "timeout": 10,
                                         "name": "database_url" if alias == "default" else alias}
        assert not db.get("DISABLE_SERVER_SIDE_CURSORS")
    explicit_zero = _databases({"DATABASE_URL": PG, "FANGTIAO_DB_POOL": "1", "FANGTIAO_DB_CONN_MAX_AGE": "0"})
    assert explicit_zero["default"]["CONN_MAX_AGE"] == 0 and "pool" in explicit_zero["default"]["OPTIONS"]


def test_pgbouncer_transaction_pooling_on_default_and_each_replica() -> None:
    dbs = _databases({"DATABASE_URL": PG, "DATABASE_REPLICA_URL": REPLICA, "FANGTIAO_DB_PGBOUNCER": "1"})
    for alias in ("default", "replica"):
        db = dbs[alias]
        assert db["DISABLE_SERVER_SIDE_CURSORS"] is True and "pool" not in db.get("OPTIONS", {}), alias
        assert db["CONN_MAX_AGE"] == 60, alias  # a kept connection to PgBouncer is cheap and harmless
    dbs = _databases({"DATABASE_URL": PG, "FANGTIAO_DB_PGBOUNCER": "1", "FANGTIAO_DB_CONN_MAX_AGE": "0"})
    assert dbs["default"]["CONN_MAX_AGE"] == 0


@pytest.mark.parametrize(("env", "message"), [
    ({"FANGTIAO_DB_POOL": "1", "FANGTIAO_DB_PGBOUNCER": "1"}, "FANGTIAO_DB_POOL and FANGTIAO_DB_PGBOUNCER exclude each other"),
    ({"FANGTIAO_DB_POOL": "1", "FANGTIAO_DB_CONN_MAX_AGE": "60"}, "persistent connections must be off"),
    ({"FANGTIAO_DB_POOL": "1", "FANGTIAO_DB_POOL_MIN_SIZE": "30"}, "FANGTIAO_DB_POOL_MIN_SIZE must not exceed"),
    ({"FANGTIAO_DB_POOL": "1", "FANGTIAO_DB_POOL_MAX_SIZE": "0"}, "FANGTIAO_DB_POOL_MAX_SIZE must be >= 1"),
    ({"FANGTIAO_DB_CONN_MAX_AGE": "-1"}, "FANGTIAO_DB_CONN_MAX_AGE must be >= 0"),
    ({"FANGTIAO_DB_POOL": "maybe"}, "FANGTIAO_DB_POOL must be a boolean"),
])
def test_combinations_that_cannot_work_are_refused_at_start(env: dict[str, str], message: str) -> None:
    assert message in _refused({"DATABASE_URL": PG, **env})


def test_the_pool_and_pgbouncer_need_postgresql(tmp_path: Any) -> None:
    for flag in ("FANGTIAO_DB_POOL", "FANGTIAO_DB_PGBOUNCER"):
        assert "need PostgreSQL" in _refused({"FANGTIAO_VAR_DIR": str(tmp_path), flag: "1"})


# --- a real pool ------------------------------------------------------------------------------------

def _postgres_url() -> str:
    """The suite's PostgreSQL server when it runs on one, else the loopback server's maintenance
    database; only `SELECT`s are sent, nothing is created."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=2):
            pass
    except OSError:
        unavailable("no PostgreSQL on the loopback")  # a skip here, a failure under CI
    return url


POOLED = """
import django, json, os, threading
os.environ['DJANGO_SETTINGS_MODULE'] = 'fangtiao.settings'
django.setup()
from django.db import connection, connections

def pid(alias='default'):
    with connections[alias].cursor() as cur:
        cur.execute('SELECT pg_backend_pid()')
        return cur.fetchone()[0]

out = {'pool': type(connection.pool).__name__, 'replica_pool': type(connections['replica'].pool).__name__}
sequential = set()
for _ in range(10):
    sequential.add(pid())
    connection.close()  # back to the pool, not closed (CONN_MAX_AGE is 0: without the pool, a new one each time)
out['sequential_backends'] = len(sequential)
seen = set()
def work():
    seen.add(pid())
    connections.close_all()
threads = [threading.Thread(target=work) for _ in range(6)]
for t in threads: t.start()
for t in threads: t.join()
stats = connection.pool.get_stats()
out['threads_backends'] = len(seen)
out['pool_max'] = connection.pool.max_size
out['pool_size'] = stats.get('pool_size')
out['replica_pid'] = pid('replica') != pid()
out['replica_name'] = connections['replica'].pool.name
print(json.dumps(out))
"""


def test_pooled_connections_on_a_real_postgresql() -> None:
    url = _postgres_url()
    r = _run({"DATABASE_URL": url, "DATABASE_REPLICA_URL": url, "FANGTIAO_DB_POOL": "1",
              "FANGTIAO_DB_POOL_MIN_SIZE": "1", "FANGTIAO_DB_POOL_MAX_SIZE": "3"}, POOLED)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["pool"] == out["replica_pool"] == "ConnectionPool"
    assert out["sequential_backends"] <= 3  # ten connect/close cycles, served by the pool's few connections
    assert out["pool_max"] == 3 and out["threads_backends"] <= 3 and out["pool_size"] <= 3  # six threads, three connections
    assert out["replica_pid"] is True and out["replica_name"] == "replica"  # the replica has a pool of its own
