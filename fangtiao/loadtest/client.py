"""The closed-loop load client: `users` threads, each sending its next request when the last one was
answered (plus a think time), for `duration` seconds, over http.client on the loopback.

The mix (security-reliability.md §6 item 30):
  70 % lookup        the portal's progress lookup by number + query code (a receipt of the seed or
                     of this run's own submissions)
  20 % staff         a staff member's case list, then one case of it (two requests: staff_list,
                     staff_detail), with an API token of a township clerk or the district officer
  10 % submit        the portal's online submission with an Idempotency-Key, retried with the same
                     key after a connection error or a 5xx until acknowledged (or the deadline);
                     1 in 10 is a large one (the portal takes no attachments — see ADR 0020 — so
                     the large submission carries 20,000 characters of facts, the schema's maximum)

Every 201's case number goes into the ledger with its key; `ledger_check` holds the ledger against
the database afterwards. Every response that is not the expected one is an error, and its body is
scanned for what must never leak (§6 item 7)."""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

MIX = (("lookup", 70), ("staff", 20), ("submit", 10))
KEY_RE = re.compile(r"〔(load-[\w-]+)〕")
# What a response must never contain (§6 item 7): a traceback, SQL, a file path, a setting's name.
LEAK_RE = re.compile(r"Traceback|File \"/|\bSELECT\b.+\bFROM\b|\bINSERT INTO\b|sqlite3\.|psycopg|/usr/lib/python|"
                     r"site-packages|\bFANGTIAO_[A-Z_]+|\bDJANGO_SETTINGS|SECRET_KEY", re.S)
LOCKED_RE = re.compile(r"database is locked", re.I)
SUBMIT_DEADLINE = 60.0


@dataclass
class Results:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    errors: Counter[str] = field(default_factory=Counter)  # by kind
    error_samples: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    locked: int = 0
    retries: int = 0
    unacknowledged: list[str] = field(default_factory=list)  # gave up retrying (deadline)
    rejected: list[str] = field(default_factory=list)  # answered 4xx: not acknowledged, not retried
    ledger: dict[str, str] = field(default_factory=dict)  # Idempotency-Key → case number of the 201
    ledger_conflicts: list[str] = field(default_factory=list)
    receipts: list[dict[str, str]] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0

    def record(self, kind: str, seconds: float, status: str, ok: bool, body: bytes) -> None:
        text = body[:20000].decode("utf-8", errors="replace") if not ok else ""
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[kind][status] += 1
            if not ok:
                self.errors[kind] += 1
                if len(self.error_samples) < 30:
                    self.error_samples.append(f"{kind} {status} {text[:200]}")
                if LEAK_RE.search(text):
                    self.leaks.append(f"{kind} {status} {text[:300]}")
                if LOCKED_RE.search(text):
                    self.locked += 1


def request(port: int, method: str, path: str, *, body: Any = None, token: str = "", key: str = "",
            timeout: float = 30) -> tuple[str, bytes]:
    """One request; the status as text ('200', or 'conn:ConnectionResetError') and the body."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        return str(resp.status), resp.read()
    except OSError as exc:
        return f"conn:{type(exc).__name__}", b""
    finally:
        conn.close()


def submission(key: str, n: int, large: bool) -> dict[str, Any]:
    facts = "物业公司自今年三月起上调物业费，未经业主大会表决，多次协商未果。"
    if large:
        facts = (facts * 700)[:20000]
    return {"kind": "petition", "name": f"负载{n % 1000}", "phone": f"139{n % 100_000_000:08d}",
            "address": f"东城街道上洋村{n % 500}号", "region": ("331003001201", "331003002201")[n % 2],
            "category": "property", "title": f"物业费争议〔{key}〕", "facts": facts, "demands": "请求恢复原收费标准。"}


class Load:
    """`users` closed-loop users against the web process on `port` until `stop` is set or `duration`
    seconds have passed."""

    def __init__(self, port: int, seed: dict[str, Any], *, users: int, duration: float, think: float = 1.0,
                 run: str = "", lookup_path: Callable[[str, str], tuple[str, str, Any]] | None = None,
                 rng_seed: int | None = None) -> None:
        self.port = port
        self.users = users
        self.duration = duration
        self.think = think
        self.run = run or uuid.uuid4().hex[:8]
        self.tokens = seed["tokens"]
        self.staff = [t for u, t in self.tokens.items() if u in ("clerk_t01", "clerk_t02", "officer", "officer_t01",
                                                                 "officer_t02", "leader")]
        self.results = Results(receipts=list(seed["receipts"]))
        self.stop = threading.Event()
        self.lookup_path = lookup_path or (lambda number, code: (
            "GET", f"/api/v1/public/petitions/{quote(number, safe='')}?code={quote(code, safe='')}", None))
        self.rng_seed = rng_seed if rng_seed is not None else random.SystemRandom().randrange(1 << 30)
        self._counter = 0
        self._counter_lock = threading.Lock()

    def next_n(self) -> int:
        with self._counter_lock:
            self._counter += 1
            return self._counter

    # --- the three kinds --------------------------------------------------------------------
    def lookup(self, rng: random.Random) -> None:
        with self.results.lock:
            receipt = rng.choice(self.results.receipts)
        method, path, body = self.lookup_path(receipt["number"], receipt["query_code"])
        t = time.perf_counter()
        status, raw = request(self.port, method, path, body=body)
        self.results.record("lookup", time.perf_counter() - t, status, status == "200", raw)

    def staff_work(self, rng: random.Random) -> None:
        token = rng.choice(self.staff)
        page = rng.randint(1, 3)
        t = time.perf_counter()
        status, raw = request(self.port, "GET", f"/api/v1/cases?page_size=20&page={page}", token=token)
        self.results.record("staff_list", time.perf_counter() - t, status, status == "200", raw)
        if status != "200":
            return
        items = json.loads(raw).get("items") or []
        if not items:
            return
        case_id = rng.choice(items)["id"]
        t = time.perf_counter()
        status, raw = request(self.port, "GET", f"/api/v1/cases/{case_id}", token=token)
        self.results.record("staff_detail", time.perf_counter() - t, status, status == "200", raw)

    def submit(self, rng: random.Random) -> None:
        n = self.next_n()
        key = f"load-{self.run}-{n}"
        body = submission(key, n, large=n % 10 == 0)
        kind = "submit_large" if n % 10 == 0 else "submit"
        deadline = time.monotonic() + SUBMIT_DEADLINE
        attempt = 0
        while True:
            t = time.perf_counter()
            status, raw = request(self.port, "POST", "/api/v1/public/petitions", body=body, key=key)
            ok = status == "201"
            self.results.record(kind, time.perf_counter() - t, status, ok, raw)
            if ok:
                receipt = json.loads(raw)
                with self.results.lock:
                    if key in self.results.ledger and self.results.ledger[key] != receipt["number"]:
                        self.results.ledger_conflicts.append(f"{key}: {self.results.ledger[key]} / {receipt['number']}")
                    self.results.ledger[key] = receipt["number"]
                    self.results.receipts.append(receipt)
                return
            # A lost answer, a 5xx, the key still in flight elsewhere (409) or a throttle: the same key again.
            retryable = status.startswith(("conn:", "5")) or status in ("409", "429")
            if not retryable or time.monotonic() > deadline:
                with self.results.lock:
                    (self.results.unacknowledged if retryable else self.results.rejected).append(f"{key} {status}")
                return
            attempt += 1
            with self.results.lock:
                self.results.retries += 1
            time.sleep(min(0.2 * attempt, 2.0))

    # --- the loop ---------------------------------------------------------------------------
    def user(self, i: int) -> None:
        rng = random.Random(self.rng_seed + i)  # noqa: S311 - a load mix, not a secret
        weights = [w for _, w in MIX]
        kinds = [k for k, _ in MIX]
        end = self.results.started + self.duration
        while not self.stop.is_set() and time.monotonic() < end:
            kind = rng.choices(kinds, weights)[0]
            try:
                {"lookup": self.lookup, "staff": self.staff_work, "submit": self.submit}[kind](rng)
            except Exception as exc:  # a client bug must not end the user silently
                with self.results.lock:
                    self.results.errors["client"] += 1
                    self.results.error_samples.append(f"client {type(exc).__name__}: {exc}")
            if self.think:
                self.stop.wait(rng.uniform(0.5 * self.think, 1.5 * self.think))

    def start(self) -> list[threading.Thread]:
        self.results.started = time.monotonic()
        threads = [threading.Thread(target=self.user, args=(i,), name=f"user{i}", daemon=True) for i in range(self.users)]
        # Ramp up over a second or two, as a crowd arrives (and so the first instant is no thundering herd).
        for t in threads:
            t.start()
            time.sleep(min(2.0 / max(self.users, 1), 0.1))
        self._threads = threads
        return threads

    def join(self) -> Results:
        for t in self._threads:
            t.join(timeout=self.duration + SUBMIT_DEADLINE + 60)
        self.results.ended = time.monotonic()
        return self.results

    def go(self) -> Results:
        self.start()
        return self.join()


def floor(port: int, *, users: int, duration: float, think: float, rng_seed: int = 0) -> list[float]:
    """The floor of the run (docs/benchmarks.md: figures are ratios to a floor measured in the same run):
    the same closed-loop users, the same think time, against `/healthz` — no database, no session, no
    template — so what is left of a request's time is the stack itself (gunicorn, Django, loopback)."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def one(i: int) -> None:
        rng = random.Random(rng_seed + i)  # noqa: S311 - think times, not a secret
        while time.monotonic() < stop_at:
            t0 = time.perf_counter()
            status, _ = request(port, "GET", "/healthz", timeout=10)
            if status == "200":
                with lock:
                    latencies.append(time.perf_counter() - t0)
            if think:
                time.sleep(rng.uniform(0.5 * think, 1.5 * think))

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(users)]
    for t in threads:
        t.start()
        time.sleep(min(2.0 / max(users, 1), 0.1))
    for t in threads:
        t.join(timeout=duration + 30)
    return latencies


def ledger_check(sql: Callable[..., list[tuple[Any, ...]]], results: Results, run: str) -> dict[str, Any]:
    """The client's ledger against the database: every acknowledged submission's case exists with the
    number the client was given (0 lost), and no key made more than one case (0 duplicates)."""
    rows = sql("SELECT number, title FROM cases_case WHERE title LIKE %s", f"%〔load-{run}-%")
    by_key: dict[str, list[str]] = defaultdict(list)
    for number, title in rows:
        m = KEY_RE.search(title)
        if m:
            by_key[m.group(1)].append(number)
    lost = sorted(k for k, number in results.ledger.items() if number not in by_key.get(k, []))
    duplicates = sorted(k for k, numbers in by_key.items() if len(numbers) > 1)
    return {"acknowledged": len(results.ledger), "cases_in_db": len(rows), "lost": len(lost), "lost_keys": lost[:20],
            "duplicates": len(duplicates), "duplicate_keys": duplicates[:20],
            "ledger_conflicts": len(results.ledger_conflicts), "unacknowledged": len(results.unacknowledged),
            "rejected": len(results.rejected), "rejected_samples": results.rejected[:5]}
