"""The production topology on this machine's loopback, for the topology test (core/tests/test_topology.py).

  require_services()  PostgreSQL (the server of DATABASE_URL) and Redis on 127.0.0.1:6379, or skip —
                      or fail under CI, as the browser tests do when Chromium is missing
  fresh_database()    a PostgreSQL database of its own (pid + time in the name), dropped at the end
  redis_slot()        a Redis database number nobody else uses (claimed with SET NX), emptied at the end
  production_env()    the environment of a production process (secret key, field keys, allowed hosts)
  Proc                one process tree (`fangtiao serve`, `fangtiao worker`, later celery) started in its
                      own session, so SIGKILL takes the whole tree like a crashed host would
  Api                 a small JSON client over http.client that alternates between the web processes
                      (client-side round robin stands in for the reverse proxy) and retries writes with
                      the same Idempotency-Key until they are acknowledged

The processes are black boxes: everything is checked afterwards through the database tables."""

from __future__ import annotations

import base64
import contextlib
import http.client
import itertools
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

# The Redis server: that of REDIS_URL if the suite has one, else the machine's default (127.0.0.1:6379).
# The database number in it is chosen by redis_slot().
_redis = re.match(r"rediss?://(?:[^@/]*@)?([^:/]+)(?::(\d+))?", os.environ.get("REDIS_URL", ""))
REDIS_HOST, REDIS_PORT = (_redis.group(1), int(_redis.group(2) or 6379)) if _redis else ("127.0.0.1", 6379)
REDIS_CLAIM_KEY = "fangtiao:topology-test:claim"
FANGTIAO = [sys.executable, "-m", "fangtiao.cli"]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> None:
    """Skip — but under CI a missing service is a broken CI machine, not a reason to skip."""
    if in_ci():
        pytest.fail(f"{reason}（CI 环境中必须提供该服务）", pytrace=False)
    pytest.skip(reason)


# --- services --------------------------------------------------------------------------------

@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str
    password: str

    def conninfo(self, dbname: str) -> str:
        parts = {"host": self.host, "port": str(self.port), "user": self.user, "dbname": dbname, "connect_timeout": "5"}
        if self.password:
            parts["password"] = self.password
        return " ".join(f"{k}='{v}'" for k, v in parts.items())

    def url(self, dbname: str) -> str:
        auth = quote(self.user, safe="") + (":" + quote(self.password, safe="") if self.password else "")
        return f"postgres://{auth}@{self.host}:{self.port}/{dbname}"


def require_services() -> PgServer:
    """The PostgreSQL server the suite runs on (DATABASE_URL) and Redis, both answering."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        # Not a missing service: the suite runs on SQLite by choice (CI runs it on both).
        pytest.skip("拓扑测试只在 PostgreSQL 上运行（多个进程并发写入同一数据库；SQLite 单文件不代表生产拓扑）")
    server = PgServer(host=db.get("HOST") or "127.0.0.1", port=int(db.get("PORT") or 5432),
                      user=db.get("USER") or "postgres", password=db.get("PASSWORD") or "")
    import psycopg

    try:
        with psycopg.connect(server.conninfo("postgres"), autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        unavailable(f"PostgreSQL {server.host}:{server.port} 无法连接：{exc}")
    import redis

    try:
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=5).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis {REDIS_HOST}:{REDIS_PORT} 无法连接：{exc}")
    return server


@contextlib.contextmanager
def fresh_database(server: PgServer, prefix: str = "fangtiao_topology") -> Iterator[str]:
    """A new, empty database for this test alone; dropped afterwards, also on failure."""
    import psycopg
    from psycopg import sql

    name = f"{prefix}_{os.getpid()}_{int(time.time() * 1000)}"
    with psycopg.connect(server.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(server.conninfo("postgres"), autocommit=True) as conn:
            # FORCE (PostgreSQL 13+) ends connections left by a process that did not stop.
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def redis_slot(first: int = 1) -> Iterator[int]:
    """A Redis database number of our own: the first empty one we can claim (SET NX with a TTL), so
    two test processes (pytest-xdist) or a developer's instance never share sessions or cache keys.
    Django's cache takes only REDIS_URL (no key prefix), hence a database number, not a prefix."""
    import redis

    me = f"{socket.gethostname()}:{os.getpid()}:{time.time()}"
    top = int(redis.Redis(host=REDIS_HOST, port=REDIS_PORT).config_get("databases").get("databases", 16))
    for n in range(first, top):
        r = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=n)
        if r.dbsize() or not r.set(REDIS_CLAIM_KEY, me, nx=True, ex=900):
            continue
        if r.dbsize() != 1:  # someone started using it between the two calls
            r.delete(REDIS_CLAIM_KEY)
            continue
        try:
            yield n
        finally:
            if r.get(REDIS_CLAIM_KEY) == me.encode():
                r.flushdb()  # empty when claimed; everything in it is ours
        return
    unavailable(f"Redis {REDIS_HOST}:{REDIS_PORT} 没有空闲的数据库编号（{first}–{top - 1} 均在使用）")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def production_env(*, database_url: str, redis_url: str, var_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A production process's environment (settings.py refuses to start without the secret key,
    allowed hosts and both field-encryption keys): not FANGTIAO_DEMO, not FANGTIAO_DEBUG. Only TLS is
    off — a reverse proxy terminates it in front of gunicorn, and there is none on the loopback."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FANGTIAO_", "DATABASE_", "CELERY_", "PYTEST_", "DJANGO_")) and k != "REDIS_URL"}
    env.update({
        "DJANGO_SETTINGS_MODULE": "fangtiao.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "FANGTIAO_SECRET_KEY": secrets.token_urlsafe(50),
        "FANGTIAO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "FANGTIAO_FIELD_KEYS": "topo1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "FANGTIAO_BLIND_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "FANGTIAO_VAR_DIR": str(var_dir),
        "FANGTIAO_SSL_REDIRECT": "0",
        "FANGTIAO_HSTS_SECONDS": "0",
        "FANGTIAO_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra or {})
    return env


def run_command(argv: list[str], *, env: dict[str, str], timeout: float, cwd: Path | None = None) -> str:
    """Run a command to its end; its output is in the failure message if it fails."""
    try:
        done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{' '.join(argv[2:5])} 超时（{timeout} 秒）：{exc.stdout}\n{exc.stderr}", pytrace=False)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(argv[2:5])} 失败（{done.returncode}）：\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}",
                    pytrace=False)
    return done.stdout


# --- processes -------------------------------------------------------------------------------

@dataclass
class Proc:
    """One long-running process tree with its output in `log`. `argv` is the whole command line, so
    the same test can run another implementation (e.g. a Celery worker) by parametrizing it."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    cwd: Path | None = None
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: int = 0
    _terminated: bool = False

    def start(self) -> None:
        self.starts += 1
        self._terminated = False
        with open(self.log, "ab") as out:
            out.write(f"\n=== start #{self.starts} {time.strftime('%H:%M:%S')} {' '.join(self.argv)}\n".encode())
            out.flush()
            # A session of its own: SIGKILL to the group takes gunicorn's master and its workers at
            # once (a crashed host), and Ctrl-C in the terminal does not reach it.
            self.popen = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                          start_new_session=True)

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole tree: no cleanup, no graceful shutdown."""
        if self.popen is None:
            return
        self.kills += 1
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)

    def terminate(self) -> None:
        """SIGTERM to the leader (gunicorn's master, the worker), once: a clean shutdown. (A second
        SIGTERM can reach gunicorn's master after it has restored the default handler.)"""
        if self.popen is not None and self.popen.poll() is None and not self._terminated:
            self._terminated = True
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM and wait; SIGKILL the tree after `timeout`. Returns the leader's exit status."""
        if self.popen is None:
            return None
        self.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=timeout)
        # Anything left of the tree (an orphaned gunicorn worker) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)
        return self.popen.returncode

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


def stop_all(procs: list[Proc], timeout: float = 30) -> dict[str, int | None]:
    """SIGTERM to all at once, then wait for each: exit statuses by name."""
    for p in procs:
        p.terminate()
    return {p.name: p.stop(timeout) for p in procs}


def wait_healthy(port: int, proc: Proc, timeout: float) -> None:
    """Until GET /healthz answers 200 on `port` (the process must stay alive meanwhile)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive:
            pytest.fail(f"{proc.name} 启动后退出：\n{proc.output()[-4000:]}", pytrace=False)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    pytest.fail(f"{proc.name} 在 {timeout} 秒内没有就绪：\n{proc.output()[-4000:]}", pytrace=False)


# --- the client ------------------------------------------------------------------------------

class Unacknowledged(Exception):
    pass


@dataclass
class Stats:
    """What the clients saw, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: Counter[str] = field(default_factory=Counter)    # by "METHOD status"
    conn_errors: Counter[int] = field(default_factory=Counter)  # by port
    lost_answers: int = 0  # sent, then reset or timed out: the server may have done it (a retry must not redo it)
    server_errors: list[str] = field(default_factory=list)      # every 5xx answer, with its body
    retries: int = 0

    def count(self, key: str) -> None:
        with self.lock:
            self.requests[key] += 1


class Api:
    """JSON over HTTP to the web processes, in turn. `write()` retries a connection error or a 5xx
    with the same Idempotency-Key on the next process until a 2xx (or a 4xx) comes back."""

    def __init__(self, ports: list[int], stats: Stats, token: str = "", timeout: float = 30) -> None:
        self.ports = ports
        self.stats = stats
        self.token = token
        self.timeout = timeout
        self._turn = itertools.count(secrets.randbelow(len(ports)))

    def as_user(self, token: str) -> Api:
        return Api(self.ports, self.stats, token, self.timeout)

    def once(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
             port: int | None = None, timeout: float | None = None) -> tuple[int, Any]:
        port = port or self.ports[next(self._turn) % len(self.ports)]
        h = {"Accept": "application/json", **(headers or {})}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            h["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout or self.timeout)
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out, RemoteDisconnected,
            # or IncompleteRead: the process was killed while it sent the body
            with self.stats.lock:
                self.stats.conn_errors[port] += 1
                self.stats.lost_answers += not isinstance(exc, ConnectionRefusedError)
            raise
        finally:
            conn.close()
        self.stats.count(f"{method} {resp.status}")
        try:
            out = json.loads(raw) if raw else None
        except ValueError:
            out = raw.decode(errors="replace")
        if resp.status >= 500:
            with self.stats.lock:
                self.stats.server_errors.append(f"{method} {path} :{port} → {resp.status} {str(out)[:300]}")
        return resp.status, out

    def call(self, method: str, path: str, body: Any = None, *, key: str = "", deadline: float) -> tuple[int, Any]:
        """Until an answer below 500 arrives; each attempt on the next web process."""
        headers = {"Idempotency-Key": key} if key else None
        for attempt in itertools.count():
            if attempt:
                with self.stats.lock:
                    self.stats.retries += 1
                if time.monotonic() > deadline:
                    raise Unacknowledged(f"{method} {path} {key}: no answer after {attempt} attempts")
                time.sleep(min(0.1 * attempt, 1.0))
            try:
                status, out = self.once(method, path, body, headers)
            except (OSError, http.client.HTTPException):
                continue
            if status < 500:
                return status, out
        raise AssertionError("unreachable")

    def get(self, path: str, *, deadline: float) -> Any:
        status, out = self.call("GET", path, deadline=deadline)
        if status != 200:
            pytest.fail(f"GET {path} → {status} {out}", pytrace=False)
        return out

    def write(self, path: str, body: Any, *, key: str, deadline: float, ok: tuple[int, ...] = (200, 201)) -> Any:
        status, out = self.call("POST", path, body, key=key, deadline=deadline)
        if status not in ok:
            pytest.fail(f"POST {path} [{key}] → {status} {out}", pytrace=False)
        return out
