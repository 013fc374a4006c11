"""Measure the registered operations against a real server and compare them with the floor.

The runner starts `fangtiao serve` (gunicorn) on a free 127.0.0.1 port over the same
DATABASE_URL — or measures an already running local server (`base_url`) — logs in as the bench
user (an API token, and a browser session for "ui." operations), then sends a bounded number of
requests per operation from a few client threads, each with its own keep-alive connection.
Every loop is bounded in count and in time, and the server is stopped in every case.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.db import connections

from fangtiao.bench.generate import BENCH_PASSWORD, BENCH_USERNAME, database_vendor
from fangtiao.bench.ops import FLOOR, Context, Op, select

HOST = "127.0.0.1"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
REQUEST_TIMEOUT_S = 30.0


class BenchError(Exception):
    """The benchmark could not run (server did not start, login failed …)."""


@dataclass(frozen=True)
class RunConfig:
    n_cases: int
    requests: int = 200
    concurrency: int = 2
    warmup: int = 20
    ops: Sequence[str] | None = None
    base_url: str | None = None
    workers: int = 2
    op_timeout_s: float = 120.0
    start_timeout_s: float = 60.0
    # The documents part (fangtiao.bench.documents: issuing and rendering, in process, against its
    # own fpdf2 floor): `fangtiao bench --documents`.
    documents: bool = False
    # Issue 8: the raw-SQL floors (fangtiao.bench.floors) measured after each op that has one.
    sql_floors: bool = True


@dataclass
class OpResult:
    op: str
    db: str
    n_cases: int
    p50_ms: float
    p95_ms: float
    rps: float
    floor_ratio: float
    p99_ms: float = 0.0
    floor_rps_ratio: float = 0.0
    requests: int = 0
    concurrency: int = 0
    errors: int = 0
    first_error: str = ""
    truncated: bool = False
    path: str = ""
    # The raw-SQL floor of the same op (issue 8; fangtiao.bench.floors), measured right after it at the
    # same concurrency: p50/p95/p99 and throughput, ×sql = p50 ÷ its p50, share = rps ÷ its rps.
    sql_p50_ms: float = 0.0
    sql_p95_ms: float = 0.0
    sql_p99_ms: float = 0.0
    sql_rps: float = 0.0
    sql_ratio: float = 0.0
    sql_rps_share: float = 0.0
    sql_floor: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Sample:
    latencies_ms: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    errors: int = 0
    first_error: str = ""
    truncated: bool = False


# --- statistics ----------------------------------------------------------------------------------

def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (the value p% of requests did not exceed)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


# --- HTTP ----------------------------------------------------------------------------------------

def _parse_base_url(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOCAL_HOSTS:
        raise BenchError(f"只能测量本机服务（http://127.0.0.1:端口），不接受 {url}")
    return parts.hostname or HOST, parts.port or 80


class Client:
    """One keep-alive connection; reconnects once if the server closed it in between."""

    def __init__(self, host: str, port: int, headers: dict[str, str] | None = None):
        self.host, self.port = host, port
        self.headers = {"Accept-Encoding": "identity", "User-Agent": "fangtiao-bench", **(headers or {})}
        self.conn = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_S)

    def request(self, method: str, path: str, *, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
        all_headers = {**self.headers, **(headers or {})}
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=all_headers)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.will_close:
                    self.conn.close()
                return resp.status, resp.headers, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest):
                self.conn.close()  # an idle keep-alive connection the server dropped
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def _cookies(headers: http.client.HTTPMessage) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return {k: m.value for k, m in jar.items()}


def login_token(host: str, port: int, username: str = BENCH_USERNAME) -> str:
    client = Client(host, port)
    try:
        body = json.dumps({"username": username, "password": BENCH_PASSWORD}).encode()
        status, _, data = client.request("POST", "/api/v1/auth/token", body=body,
                                         headers={"Content-Type": "application/json"})
    finally:
        client.close()
    if status != 200:
        raise BenchError(f"获取接口令牌失败（{username}）：HTTP {status} {data[:200]!r}")
    return str(json.loads(data)["token"])


def login_session(host: str, port: int) -> str:
    """Log in through the login form (CSRF cookie and token) and return the session id."""
    client = Client(host, port)
    try:
        status, headers, page = client.request("GET", "/accounts/login/")
        csrf_cookie = _cookies(headers).get("csrftoken", "")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not csrf_cookie or match is None:
            raise BenchError(f"打开登录页失败：HTTP {status}")
        form = urlencode({
            "csrfmiddlewaretoken": match.group(1).decode(), "username": BENCH_USERNAME,
            "password": BENCH_PASSWORD, "next": "/",
        }).encode()
        status, headers, data = client.request("POST", "/accounts/login/", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": f"http://{host}:{port}/accounts/login/",
        })
    finally:
        client.close()
    session = _cookies(headers).get("sessionid", "")
    if status != 302 or not session:
        raise BenchError(f"页面登录失败：HTTP {status} {data[:200]!r}")
    return session


def measure(host: str, port: int, paths: Sequence[str], headers: dict[str, str], *, requests: int,
            concurrency: int, warmup: int, timeout_s: float, method: str = "GET",
            bodies: Sequence[bytes] | None = None, expect: int = 200) -> Sample:
    """`requests` measured requests (after `warmup`) from `concurrency` threads, round-robin over
    `paths`; the threads start together and stop at `timeout_s` whatever is left, or as soon as
    the main thread is interrupted (so the server can shut down without clients still talking).
    With `bodies`, every request (warm-up included) sends the next unused body."""
    stop = threading.Event()
    feed = iter(bodies or ())
    feed_lock = threading.Lock()
    if bodies is not None and len(bodies) < requests + warmup:
        raise BenchError(f"请求体不足：需要 {requests + warmup} 个，只有 {len(bodies)} 个")
    send_headers = {"Content-Type": "application/json"} if bodies is not None else None

    def send(client: Client, path: str) -> tuple[int, bytes]:
        body = None
        if bodies is not None:
            with feed_lock:
                body = next(feed)
        status, _, data = client.request(method, path, body=body, headers=send_headers)
        return status, data

    concurrency = max(1, min(concurrency, requests))
    shares = [requests // concurrency + (1 if i < requests % concurrency else 0) for i in range(concurrency)]
    warm = [warmup // concurrency + (1 if i < warmup % concurrency else 0) for i in range(concurrency)]
    barrier = threading.Barrier(concurrency)
    lock = threading.Lock()
    sample = Sample()
    spans: list[tuple[float, float]] = []

    def worker(i: int) -> None:
        client = Client(host, port, headers)
        latencies: list[float] = []
        errors, first_error, truncated = 0, "", False
        try:
            for j in range(warm[i]):
                if stop.is_set():
                    return
                send(client, paths[(i + j) % len(paths)])
            barrier.wait(timeout=REQUEST_TIMEOUT_S * 2)
            start = time.perf_counter()
            deadline = time.monotonic() + timeout_s
            for j in range(shares[i]):
                if time.monotonic() > deadline or stop.is_set():
                    truncated = True
                    break
                path = paths[(i + j * concurrency) % len(paths)]
                t0 = time.perf_counter()
                status, data = send(client, path)
                latencies.append((time.perf_counter() - t0) * 1000)
                if status != expect:
                    errors += 1
                    first_error = first_error or f"HTTP {status} {path}: {data[:160]!r}"
            end = time.perf_counter()
        finally:
            client.close()
        with lock:
            sample.latencies_ms.extend(latencies)
            sample.errors += errors
            sample.first_error = sample.first_error or first_error
            sample.truncated = sample.truncated or truncated
            spans.append((start, end))

    failures: list[BaseException] = []

    def run(i: int) -> None:
        try:
            worker(i)
        except BaseException as exc:  # report it from the main thread; never hang the others
            failures.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,), name=f"bench-client-{i}", daemon=True) for i in range(concurrency)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=timeout_s + REQUEST_TIMEOUT_S * 4)
    finally:
        stop.set()
        barrier.abort()
    if any(t.is_alive() for t in threads):
        raise BenchError("客户端线程超时未结束")
    if failures:
        raise BenchError(f"请求失败：{failures[0]!r}") from failures[0]
    if len(spans) != concurrency:
        raise BenchError("客户端线程未完成测量")
    sample.wall_s = max(e for _, e in spans) - min(s for s, _ in spans)
    return sample


# --- the server ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _healthy(port: int) -> bool:
    conn = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


@contextlib.contextmanager
def server(workers: int, start_timeout_s: float, *, floors: Path | None = None) -> Iterator[str]:
    """`fangtiao serve` on a free local port; yields its base URL and always stops it. With `floors`
    (the captured floor statements), the server runs fangtiao.bench.settings: the project plus the
    floor views."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="fangtiao-bench-", suffix=".log", delete=False)  # noqa: SIM115
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "fangtiao.settings")}
    if floors is not None:
        from fangtiao.bench.floors import FLOORS_ENV

        env.update({"DJANGO_SETTINGS_MODULE": "fangtiao.bench.settings", FLOORS_ENV: str(floors)})
    cmd = [sys.executable, "-m", "fangtiao.cli", "serve", "--host", HOST, "--port", str(port), "--workers", str(workers),
           "--no-worker"]  # no background worker competing for the cores while we measure
    # Its own process group, so the gunicorn workers go with the master if it must be killed; and
    # (Linux) a parent-death signal, so even a killed bench process leaves no server behind.
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
                            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    try:
        deadline = time.monotonic() + start_timeout_s
        while not _healthy(port):
            if proc.poll() is not None:
                raise BenchError(f"服务启动失败（退出码 {proc.returncode}）：\n{_tail(log.name)}")
            if time.monotonic() > deadline:
                raise BenchError(f"服务在 {start_timeout_s:.0f} 秒内未就绪：\n{_tail(log.name)}")
            time.sleep(0.2)
        yield f"http://{HOST}:{port}"
    finally:
        _stop(proc)
        log.close()
        with contextlib.suppress(OSError):
            Path(log.name).unlink()


def _die_with_parent() -> None:
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown
    try:
        proc.wait(timeout=25)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _tail(path: str, lines: int = 30) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- the run -------------------------------------------------------------------------------------

def run(config: RunConfig, *, log: Callable[[str], None] = print) -> list[OpResult]:
    """Measure the floor and the selected operations; returns one result per operation."""
    ops = select(config.ops)
    ctx = Context()
    paths = {o.name: list(o.paths(ctx)) for o in ops}  # every database lookup before measuring
    bodies = {o.name: o.bodies(ctx, config.requests + config.warmup) for o in ops if o.bodies is not None}
    logins = {o.name: o.login(ctx) for o in ops if o.login is not None}
    floors = {} if config.base_url or not config.sql_floors else {
        o.name: o.floor(ctx) for o in ops if callable(o.floor)}
    db = database_vendor()
    connections.close_all()  # the bench process holds no connection (or SQLite lock) while measuring

    with contextlib.ExitStack() as stack:
        if config.base_url:
            base_url = config.base_url.rstrip("/")
        else:
            log(f"正在启动服务（gunicorn，{config.workers} 个进程）……")
            floor_file = tempfile.NamedTemporaryFile(prefix="fangtiao-floors-", suffix=".json", delete=False)  # noqa: SIM115
            stack.callback(lambda: Path(floor_file.name).unlink(missing_ok=True))
            floor_file.write(json.dumps(floors, default=str, ensure_ascii=False).encode())
            floor_file.close()
            base_url = stack.enter_context(server(config.workers, config.start_timeout_s, floors=Path(floor_file.name)))
        host, port = _parse_base_url(base_url)
        log(f"测量 {base_url}：数据库 {db}，规模 {config.n_cases} 件，每项 {config.requests} 次请求，并发 {config.concurrency}")
        auth: dict[str, dict[str, str]] = {"none": {}}
        if any(o.auth == "token" for o in ops):
            auth["token"] = {"Authorization": f"Bearer {login_token(host, port)}", "Accept": "application/json"}
        if any(o.auth == "session" for o in ops):
            auth["session"] = {"Cookie": f"sessionid={login_session(host, port)}"}
        for username in dict.fromkeys(logins.values()):
            auth[f"token:{username}"] = {"Authorization": f"Bearer {login_token(host, port, username)}",
                                         "Accept": "application/json"}
        results = []
        for o in ops:
            r = _measure_op(o, paths[o.name], auth[f"token:{logins[o.name]}" if o.name in logins else o.auth], host, port,
                            config, db, bodies=bodies.get(o.name))
            if o.name in floors or (o.floor == "intake" and not config.base_url and config.sql_floors
                                    and db == "postgresql"):  # the intake floor's SQL is PostgreSQL's
                _measure_floor(o, r, floors.get(o.name), host, port, config, bodies=bodies.get(o.name))
            log(f"  {r.op:<32} p50 {r.p50_ms:>8} ms  p95 {r.p95_ms:>8}  p99 {r.p99_ms:>8}  {r.rps:>7} req/s"
                + (f"  | sql floor p50 {r.sql_p50_ms} ms ({r.sql_rps} req/s)" if r.sql_floor else ""))
            results.append(r)

    floor = results[0]
    for r in results:
        r.floor_ratio = round(r.p50_ms / floor.p50_ms, 2) if floor.p50_ms else 0.0
        r.floor_rps_ratio = round(floor.rps / r.rps, 2) if r.rps else 0.0
    floor.floor_ratio = 1.0
    floor.floor_rps_ratio = 1.0
    if config.documents:  # after the server has stopped: the renders have the cores to themselves
        from fangtiao.bench import documents

        results += documents.run(documents.DocConfig(n_cases=config.n_cases), log=log)
    return results


def op_concurrency(o: Op, config: RunConfig, db: str) -> int:
    """An op's own concurrency (intake at 16 clients) on PostgreSQL; SQLite has one writer at a time
    (16 concurrent intakes would measure its lock, and fail on an in-memory test database), so there
    every op runs at the run's concurrency."""
    return o.concurrency if o.concurrency and db == "postgresql" else config.concurrency


def _measure_floor(o: Op, r: OpResult, statements: list[Any] | None, host: str, port: int, config: RunConfig,
                   *, bodies: Sequence[bytes] | None) -> None:
    """The op's raw-SQL floor at the op's concurrency, into `r.sql_*`."""
    concurrency = r.concurrency or config.concurrency
    if o.floor == "intake":
        s = measure(host, port, ["/bench-floor/intake"], {}, requests=config.requests, concurrency=concurrency,
                    warmup=config.warmup, timeout_s=config.op_timeout_s, method="POST", bodies=bodies, expect=201)
        r.sql_floor = "POST /bench-floor/intake"
    else:
        paths = [f"/bench-floor/sql/{o.name}/{i}" for i in range(len(statements or ()))]
        s = measure(host, port, paths, {}, requests=config.requests, concurrency=concurrency,
                    warmup=config.warmup, timeout_s=config.op_timeout_s)
        r.sql_floor = str((statements or [["", []]])[0][0])[:400]
    if s.errors:
        r.errors += s.errors
        r.first_error = r.first_error or f"floor: {s.first_error}"
    n = len(s.latencies_ms)
    r.sql_p50_ms, r.sql_p95_ms, r.sql_p99_ms = (round(percentile(s.latencies_ms, p), 2) for p in (50, 95, 99))
    r.sql_rps = round(n / s.wall_s, 1) if s.wall_s > 0 else 0.0
    r.sql_ratio = round(r.p50_ms / r.sql_p50_ms, 2) if r.sql_p50_ms else 0.0
    r.sql_rps_share = round(r.rps / r.sql_rps, 3) if r.sql_rps else 0.0


def _measure_op(o: Op, paths: list[str], headers: dict[str, str], host: str, port: int, config: RunConfig, db: str,
                *, bodies: Sequence[bytes] | None = None) -> OpResult:
    concurrency = op_concurrency(o, config, db)
    s = measure(host, port, paths, headers, requests=config.requests, concurrency=concurrency,
                warmup=config.warmup, timeout_s=config.op_timeout_s, method=o.method, bodies=bodies, expect=o.expect)
    n = len(s.latencies_ms)
    return OpResult(
        op=o.name, db=db, n_cases=config.n_cases,
        p50_ms=round(percentile(s.latencies_ms, 50), 2), p95_ms=round(percentile(s.latencies_ms, 95), 2),
        p99_ms=round(percentile(s.latencies_ms, 99), 2), rps=round(n / s.wall_s, 1) if s.wall_s > 0 else 0.0,
        floor_ratio=0.0, requests=n, concurrency=min(concurrency, config.requests), errors=s.errors,
        first_error=s.first_error, truncated=s.truncated, path=paths[0] if o.method == "GET" else f"{o.method} {paths[0]}",
    )


# --- output --------------------------------------------------------------------------------------

COLUMNS = ("op", "db", "n_cases", "concurrency", "p50_ms", "p95_ms", "p99_ms", "rps", "floor_ratio", "floor_rps_ratio", "sql_p50_ms",
           "sql_ratio", "sql_rps", "sql_rps_share", "errors")


def table(results: Sequence[OpResult]) -> str:
    rows = [[str(getattr(r, c, "")) for c in COLUMNS] for r in results]
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(COLUMNS)]
    fmt = "  ".join(f"{{:<{w}}}" if i < 2 else f"{{:>{w}}}" for i, w in enumerate(widths))
    lines = [fmt.format(*COLUMNS), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row) for row in rows]
    return "\n".join(lines)


def write_json(results: Sequence[OpResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([r.as_json() for r in results], ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


__all__ = ["FLOOR", "BenchError", "OpResult", "RunConfig", "run", "table", "write_json"]
