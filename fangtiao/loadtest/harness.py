"""A production site on the loopback for load, fault and fuzz runs: one database (a SQLite file of its
own, or a fresh PostgreSQL database dropped at the end), a gunicorn master with its workers
(`fangtiao serve --no-worker`), the task worker (`fangtiao worker`), a seeded district and API
tokens. Built on the issue-8 topology harness (fangtiao.core.testing.topology: Proc, production_env,
fresh_database, redis_slot); nothing here touches a process or database it did not start or create.

The seed is the test world (fangtiao.core.testing.world: one district, two townships, two villages,
the personas) plus `petitions` public submissions made through the portal's service, whose receipts
(number + query code) the load client looks up, and one extra clerk per township pair so that the
fuzzer has peers in different townships."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fangtiao.core.testing.topology import (
    FANGTIAO,
    REDIS_HOST,
    REDIS_PORT,
    PgServer,
    Proc,
    free_port,
    fresh_database,
    production_env,
    redis_slot,
    run_command,
    wait_healthy,
)

# The portal's per-address limits are meant for the public internet; every load client here comes
# from 127.0.0.1, so they are lifted for the run (the limits have their own tests, portal/tests).
UNTHROTTLED = {
    "FANGTIAO_PORTAL_SUBMIT_LIMIT": "100000000",
    "FANGTIAO_PORTAL_LOOKUP_LIMIT": "100000000",
    "FANGTIAO_PORTAL_LOOKUP_FAIL_LIMIT": "100000000",
    "FANGTIAO_PORTAL_CASE_FAIL_LIMIT": "100000000",
}

PERSONAS = ("clerk_t01", "clerk_t02", "head_t01", "mediator_t01", "officer", "leader", "officer_t01", "officer_t02")

SEED = r"""
import json, sys
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from fangtiao.core.testing.world import PASSWORD, build_world
from fangtiao.org import services
from fangtiao.org.models import User
from fangtiao.portal import services as portal
PBKDF2PasswordHasher.iterations = 1000  # the seeded hashes only (see core/tests/test_topology.py)
w = build_world()
for key in ("t01", "t02"):
    services.staff_create(actor=None, username=f"officer_{key}", name=f"{key}信访干部", unit=w.units[f"{key}_subcentre"],
                          roles=["officer"], password=PASSWORD)
tokens = {u: services.token_issue(user=User.objects.get(username=u)) for u in PERSONAS}
receipts = []
for i in range(N_PETITIONS):
    region = ("331003001201", "331003002201")[i % 2]
    body = dict(kind="petition", name="种子%d" % i, phone="138%08d" % (90000000 + i), address="东城街道上洋村%d号" % i,
                region=region, category="property", title="物业费争议〔seed-%d〕" % i,
                facts="物业公司自今年起上调物业费，未经业主大会表决。", demands="请求恢复原收费标准。")
    receipts.append(portal.petition_submit_once(key=None, endpoint="POST /public/petitions", data=body))
print("SEED " + json.dumps({"tokens": tokens, "receipts": receipts, "password": PASSWORD,
                            "units": {k: u.pk for k, u in w.units.items()},
                            "users": {k: u.pk for k, u in w.users.items()}}))
"""


def pg_server(url: str) -> PgServer:
    import dj_database_url

    db = dj_database_url.parse(url)
    return PgServer(host=db.get("HOST") or "127.0.0.1", port=int(db.get("PORT") or 5432),
                    user=db.get("USER") or "postgres", password=db.get("PASSWORD") or "")


def children(pid: int) -> list[int]:
    """PIDs whose parent is `pid` (gunicorn's workers under its master), from /proc."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue
        # pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ')'.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            out.append(int(entry))
    return sorted(out)


@dataclass
class Site:
    kind: str  # "sqlite" | "postgres"
    root: Path
    env: dict[str, str]
    port: int
    web: Proc
    worker: Proc | None
    seed: dict[str, Any]
    database: str  # the SQLite file's path, or the PostgreSQL database's name
    pg: PgServer | None = None
    events: list[str] = field(default_factory=list)
    t0: float = field(default_factory=time.monotonic)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def mark(self, what: str) -> None:
        self.events.append(f"{time.monotonic() - self.t0:6.1f}s {what}")

    # --- the database, read directly (the processes are black boxes) -----------------------
    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        """One statement on the site's database: `%s` placeholders on both engines."""
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.database, timeout=30)
            try:
                return conn.execute(query.replace("%s", "?"), params).fetchall()
            finally:
                conn.close()
        import psycopg

        if self.pg is None:
            raise RuntimeError("no PostgreSQL server")
        with psycopg.connect(self.pg.conninfo(self.database), autocommit=True) as conn:
            return conn.execute(query, params).fetchall()  # type: ignore[arg-type]

    def value(self, query: str, *params: Any) -> Any:
        return self.sql(query, *params)[0][0]

    # --- processes --------------------------------------------------------------------------
    def web_workers(self) -> list[int]:
        if self.web.popen is None:
            return []
        return children(self.web.popen.pid)

    def kill_web_worker(self) -> int | None:
        """SIGKILL one gunicorn worker (the master respawns it); its PID, or None if none is up."""
        pids = self.web_workers()
        if not pids:
            return None
        pid = pids[int(time.monotonic() * 1000) % len(pids)]
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        self.web.kills += 1
        self.mark(f"SIGKILL gunicorn worker {pid}")
        return pid

    def restart_worker(self) -> None:
        """SIGKILL the task worker's tree and start it again (the harness is its supervisor)."""
        if self.worker is None:
            return
        self.worker.kill()
        self.worker.start()
        self.mark("SIGKILL task worker, restarted")


def _sqlite_wal_checkpoint(path: str) -> None:
    with contextlib.suppress(sqlite3.Error):
        conn = sqlite3.connect(path, timeout=30)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()


@contextlib.contextmanager
def site(kind: str, *, root: Path | None = None, database_url: str = "", web_workers: int = 2, threads: int = 4,
         petitions: int = 40, worker: bool = True, extra_env: dict[str, str] | None = None,
         media_root: Path | None = None, db_dir: Path | None = None, redis: bool | None = None,
         timeout: int = 60, tree: Path | None = None) -> Iterator[Site]:
    """The whole site, up and healthy; stopped (and the PostgreSQL database dropped) afterwards.
    `database_url` is the PostgreSQL server to create the database on (its database name is unused).
    `tree` (or FANGTIAO_LOAD_TREE) runs the processes from another checkout of the code (a snapshot of
    a commit: `git archive`), e.g. to measure a release while the working tree changes."""
    tree = tree or (Path(os.environ["FANGTIAO_LOAD_TREE"]) if os.environ.get("FANGTIAO_LOAD_TREE") else None)
    if kind not in ("sqlite", "postgres"):
        raise ValueError(f"kind must be sqlite or postgres, not {kind!r}")
    with contextlib.ExitStack() as stack:
        if root is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fangtiao-load-")))
        root.mkdir(parents=True, exist_ok=True)
        var = root / "var"
        var.mkdir(exist_ok=True)
        pg: PgServer | None = None
        if kind == "postgres":
            pg = pg_server(database_url or os.environ.get("DATABASE_URL", "") or "postgres://postgres@127.0.0.1:5432/postgres")
            dbname = stack.enter_context(fresh_database(pg, prefix="fangtiao_load"))
            url = pg.url(dbname)
        else:
            dbname = str((db_dir or var) / "fangtiao.sqlite3")
            for suffix in ("", "-wal", "-shm"):  # a run starts from an empty database
                Path(dbname + suffix).unlink(missing_ok=True)
            url = f"sqlite:///{dbname}"
        redis_url = ""
        if redis if redis is not None else kind == "postgres":
            redis_url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{stack.enter_context(redis_slot())}"
        extra = {**UNTHROTTLED, "FANGTIAO_TASK_LEASE_SECONDS": "10", "FANGTIAO_JOB_MODE": "worker",
                 "FANGTIAO_PRINT_MODE": "worker", **(extra_env or {})}
        if media_root is not None:
            extra["FANGTIAO_MEDIA_ROOT"] = str(media_root)
        if tree is not None:
            extra["PYTHONPATH"] = str(tree)
        env = production_env(database_url=url, redis_url=redis_url, var_dir=var, extra=extra)
        run_command([*FANGTIAO, "migrate", "--noinput", "-v", "0"], env=env, timeout=300, cwd=tree)
        seed_code = SEED.replace("PERSONAS", repr(PERSONAS)).replace("N_PETITIONS", str(petitions))
        out = run_command([*FANGTIAO, "shell", "-c", seed_code], env=env, timeout=300, cwd=tree)
        seed = json.loads(next(line[5:] for line in out.splitlines() if line.startswith("SEED ")))
        port = free_port()
        web = Proc("web", [*FANGTIAO, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(web_workers),
                           "--threads", str(threads), "--timeout", str(timeout), "--no-worker", "--access-log"],
                   env, root / "web.log", cwd=tree)
        task_worker = (Proc("worker", [*FANGTIAO, "worker", "--interval", "1"], env, root / "worker.log", cwd=tree)
                       if worker else None)
        s = Site(kind=kind, root=root, env=env, port=port, web=web, worker=task_worker, seed=seed, database=dbname, pg=pg)
        procs = [p for p in (web, task_worker) if p is not None]
        try:
            for p in procs:
                p.start()
            wait_healthy(port, web, timeout=120)
            s.mark("web up")
            yield s
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.stop(timeout=20)
            if kind == "sqlite":
                _sqlite_wal_checkpoint(dbname)


def python() -> str:
    return sys.executable


def run(argv: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
