"""The production topology on the loopback (issue 8): PostgreSQL, Redis, two web processes
(`fangtiao serve --no-worker`, gunicorn) and one worker, each a separate process, driven through the
HTTP API by a scripted day of work — with the worker and one web process SIGKILLed midway and
restarted. Afterwards, from the database: every acknowledged intake exists exactly once and no other
does, every acknowledged action took effect, every reminder that fell due was posted exactly once
(and none that did not), no 5xx was answered or logged, and the worker's heartbeat is fresh.

PostgreSQL only (skipped on SQLite); needs Redis; under CI a missing service fails the test. Its own
database, Redis database number, var directory and ports, so it runs beside other tests (xdist).
The worker is a black box given by its command line (WORKERS): the database worker, and Celery on
Redis with beat. `pytest -s` prints a summary of the day."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import sys
import threading
import time
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fangtiao.cases.tests.factories import intake, person
from fangtiao.core.testing.topology import (
    FANGTIAO,
    REDIS_HOST,
    REDIS_PORT,
    Api,
    Proc,
    Stats,
    free_port,
    fresh_database,
    production_env,
    redis_slot,
    require_services,
    run_command,
    stop_all,
    wait_healthy,
)

pytestmark = pytest.mark.topology

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
PASSWORD = "Test-Passw0rd!"  # the test world's (fangtiao.core.testing.world.PASSWORD)
CLIENTS = 3
# Seconds of driving, at least, in each part of the day (the afternoon's once web1 answers again).
PHASES = {"morning": 5.0, "outage": 4.0, "afternoon": 4.0}
REQUEST_DEADLINE = 60.0  # one request may keep being retried this long before the test fails
SETTLE_TIMEOUT = 30.0

# The worker under test, given the Redis URL and the test's directory: (command line, extra
# environment). The extra environment is given to the web processes too (they choose where tasks go).
def _db_worker(redis_url: str, tmp: Path) -> tuple[list[str], dict[str, str]]:
    return [*FANGTIAO, "worker", "--interval", "1"], {}


def _celery_worker(redis_url: str, tmp: Path) -> tuple[list[str], dict[str, str]]:
    """Celery on Redis (its own database number), beat in the same process, a one-second tick."""
    return ([sys.executable, "-m", "celery", "-A", "fangtiao.tasks.celery_app", "worker", "--beat",
             "-s", str(tmp / "celerybeat-schedule"), "-P", "threads", "-c", "4", "-l", "warning",
             "--without-heartbeat", "--without-mingle", "--without-gossip"],
            {"FANGTIAO_TASK_BACKEND": "celery", "FANGTIAO_BROKER_URL": redis_url, "FANGTIAO_TICK_SECONDS": "1",
             "FANGTIAO_JOB_MODE": "worker", "FANGTIAO_PRINT_MODE": "worker"})


WORKERS = {"db-worker": _db_worker, "celery-redis": _celery_worker}

PERSONAS = ("clerk_t01", "clerk_t02", "officer_t01", "officer_t02", "head_t01")

# The test world (districts, townships, units, personas) plus the two petition officers of the
# township sub-centres who accept what their clerks registered. Prints the ids the day needs.
SEED = """
import json
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from fangtiao.core.testing.world import PASSWORD, build_world
from fangtiao.org import services
from fangtiao.org.models import User
# The personas' stored hashes only: a million PBKDF2 rounds per account cost seconds each on a loaded CI
# machine. The web processes keep the production hashers (a login upgrades the hash to full rounds).
PBKDF2PasswordHasher.iterations = 1000
w = build_world()
for key in ("t01", "t02"):
    services.staff_create(actor=None, username=f"officer_{key}", name=f"{key}信访干部", unit=w.units[f"{key}_subcentre"],
                          roles=["officer"], password=PASSWORD)
tokens = {u: services.token_issue(user=User.objects.get(username=u)) for u in PERSONAS}
# Production requires MFA (FANGTIAO_MFA=required): the clerk who logs in through the API has a TOTP device.
from fangtiao.security import services as security
from fangtiao.security.models import TOTPDevice
device = security.enrol_begin(user=User.objects.get(username="clerk_t02"))
TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
print("SEED " + json.dumps({"units": {k: u.pk for k, u in w.units.items()},
                            "mediators": {k: m.pk for k, m in w.mediators.items()},
                            "users": {k: u.pk for k, u in w.users.items()}, "tokens": tokens,
                            "otp_key": security.device_key_b32(device)}))
""".replace("PERSONAS", repr(PERSONAS))

def _otp_now(key_b32: str) -> str:
    """The clerk's current TOTP code (RFC 6238, as an authenticator app computes it)."""
    import base64
    import datetime as dt

    from fangtiao.security.services import totp_code

    return totp_code(base64.b32decode(key_b32 + "=" * (-len(key_b32) % 8)), dt.datetime.now(dt.UTC))


TOPICS = ["小区物业费收取争议", "邻里排水沟堵塞纠纷", "工地拖欠工资", "宅基地界址争议", "婚后房产分割纠纷", "门面租金退还纠纷"]
CATEGORY = {"小区物业费收取争议": "property", "邻里排水沟堵塞纠纷": "neighbour", "工地拖欠工资": "labour",
            "宅基地界址争议": "housing_homestead", "婚后房产分割纠纷": "marriage_family", "门面租金退还纠纷": "contract"}
REGION = {"t01": "331003001201", "t02": "331003002201"}
KEY_RE = re.compile(r"〔(topo-[\w-]+)〕")


@dataclass
class Day:
    """What the clients were told (every acknowledgement), to hold against the database."""

    run: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: set[str] = field(default_factory=set)
    acked: dict[str, tuple[int, str]] = field(default_factory=dict)  # intake key → (case id, number)
    accepted: set[int] = field(default_factory=set)                 # cases whose accept was acknowledged
    conflicts: int = 0
    impatient: int = 0  # intakes whose first answer the client did not wait for
    replayed_after_409: int = 0  # actions answered 409 whose retry with the same key was the replay
    reads: int = 0
    errors: list[str] = field(default_factory=list)
    backdated: dict[str, list[int]] = field(default_factory=lambda: {"overdue": [], "due_soon": []})  # clock ids
    sessions: dict[int, int] = field(default_factory=dict)  # case id → session id (booked ~2 h ahead)
    events: list[str] = field(default_factory=list)


def intake_body(day: Day, key: str, township: str, n: int) -> dict[str, Any]:
    topic = TOPICS[n % len(TOPICS)]
    return intake(title=f"{topic}〔{key}〕", category=CATEGORY[topic], region=REGION[township],
                  description=f"拓扑测试 {day.run}：{topic}，第{n}件。", parties=[person()])


def register(api: Api, day: Day, key: str, township: str, n: int, deadline: float,
             body: dict[str, Any] | None = None) -> dict[str, Any]:
    with day.lock:
        day.sent.add(key)
    out = api.write("/api/v1/cases", body or intake_body(day, key, township, n), key=key, deadline=deadline)
    with day.lock:
        if key in day.acked and day.acked[key] != (out["id"], out["number"]):
            day.errors.append(f"{key}: two different acknowledgements {day.acked[key]} / {out['id']} {out['number']}")
        day.acked[key] = (out["id"], out["number"])
    return out


def act(api: Api, day: Day, case_id: int, action: str, body: dict[str, Any], version: int, key: str,
        deadline: float) -> dict[str, Any]:
    """One lifecycle action; a 409 (the case changed meanwhile) re-reads the case and tries again with
    a new key (the key is bound to the body, which carries the version)."""
    path = f"/api/v1/cases/{case_id}/actions/{action}"
    for attempt in range(5):
        status, out = api.call("POST", path, {**body, "version": version}, key=f"{key}-{attempt}", deadline=deadline)
        if status == 409:
            # Once more with the same key: when an earlier attempt of this key committed while a retry of
            # it waited for the case's row lock, the retry was told 409 (core/idempotency.py checks the
            # key before the lock); now the key's record exists and the first answer is replayed.
            status, out = api.call("POST", path, {**body, "version": version}, key=f"{key}-{attempt}", deadline=deadline)
            if status == 200:
                with day.lock:
                    day.replayed_after_409 += 1
        if status == 200:
            return out
        if status != 409:
            raise AssertionError(f"{action} on {case_id} → {status} {out}")
        with day.lock:
            day.conflicts += 1
        version = api.get(f"/api/v1/cases/{case_id}", deadline=deadline)["version"]
    raise AssertionError(f"{action} on {case_id}: still 409 after 5 attempts")


def client(i: int, api: Api, tokens: dict[str, str], day: Day, stop: threading.Event) -> None:
    """A window clerk's and a petition officer's day in one township: register a visit, look at the
    list and the case, and (every third) accept it."""
    township = "t01" if i % 2 == 0 else "t02"
    clerk, officer = api.as_user(tokens[f"clerk_{township}"]), api.as_user(tokens[f"officer_{township}"])
    try:
        for n in range(10_000):
            if stop.is_set():
                return
            deadline = time.monotonic() + REQUEST_DEADLINE
            key = f"topo-{day.run}-c{i}-{n}"
            case = register(clerk, day, key, township, n, deadline)
            listing = clerk.get("/api/v1/cases?page_size=20&status=registered", deadline=deadline)
            detail = clerk.get(f"/api/v1/cases/{case['id']}", deadline=deadline)
            assert listing["count"] >= 1 and detail["number"] == case["number"], (listing["count"], detail["number"])
            with day.lock:
                day.reads += 2
            if n % 3 == 0:
                act(officer, day, case["id"], "accept", {"notice": "予以受理。"}, case["version"], f"{key}-accept", deadline)
                with day.lock:
                    day.accepted.add(case["id"])
    except BaseException as exc:  # pytest.fail() too: reported by the test, which then fails
        with day.lock:
            day.errors.append(f"client {i}: {type(exc).__name__}: {exc}")


class Db:
    """Plain SQL on the topology's database (the test process's Django talks to its own test database)."""

    def __init__(self, conninfo: str) -> None:
        import psycopg

        self.conn = psycopg.connect(conninfo, autocommit=True)

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, params).fetchall()

    def value(self, sql: str, *params: Any) -> Any:
        return self.conn.execute(sql, params).fetchone()[0]

    def close(self) -> None:
        self.conn.close()


def backdate(db: Db, day: Day, case_ids: list[int], kind: str) -> list[int]:
    """Move the running 15-day clocks of these cases so that they are overdue (due two days ago) or due
    tomorrow: the worker runs on real time, so the calendar is moved instead of the clock."""
    today = dt.datetime.now(SHANGHAI).date()
    code, due = ("petition.acceptance_notice", today - dt.timedelta(days=2)) if kind == "overdue" \
        else ("petition.disposition", today + dt.timedelta(days=1))
    ids = [r[0] for r in db.rows("UPDATE clocks_clock SET due_on = %s WHERE case_id = ANY(%s) AND code = %s "
                                 "AND state = 'running' RETURNING id", due, case_ids, code)]
    assert len(ids) == len(case_ids), f"{kind}: {len(ids)} clocks for {len(case_ids)} cases"
    day.backdated[kind] += ids
    return ids


def stale_matters(api: Api, day: Day, tokens: dict[str, str], db: Db, tag: str, n: int = 2) -> None:
    """Registered matters nobody acts on, whose clocks are then moved: n overdue, n due soon."""
    clerk = api.as_user(tokens["clerk_t01"])
    ids = []
    for j in range(2 * n):
        deadline = time.monotonic() + REQUEST_DEADLINE
        ids.append(register(clerk, day, f"topo-{day.run}-{tag}-{j}", "t01", j, deadline)["id"])
    backdate(db, day, ids[:n], "overdue")
    backdate(db, day, ids[n:], "due_soon")


def impatient_intakes(api: Api, day: Day, tokens: dict[str, str], tag: str, n: int = 2) -> None:
    """A client that gives up before the answer (50 ms) and sends the same intake again, with the same
    key, to the other web process — usually while the first is still being written: one case each."""
    clerk = api.as_user(tokens["clerk_t02"])
    for j in range(n):
        key = f"topo-{day.run}-{tag}-{j}"
        body = intake_body(day, key, "t02", j)
        with day.lock:
            day.sent.add(key)
        try:
            clerk.once("POST", "/api/v1/cases", body, {"Idempotency-Key": key}, timeout=0.05)
        except OSError:
            with day.lock:
                day.impatient += 1
        register(clerk, day, key, "t02", j, time.monotonic() + REQUEST_DEADLINE, body=body)


def mediation_with_session(api: Api, day: Day, tokens: dict[str, str], seed: dict[str, Any], tag: str) -> None:
    """访调对接 through the API: register, accept, route to the township committee with both parties'
    consent, sign for the transfer, assign a mediator (who has a login) and book a session two hours
    ahead — which the worker must remind the committee and the mediator of, once."""
    clerk, officer, head = (api.as_user(tokens[u]) for u in ("clerk_t01", "officer_t01", "head_t01"))
    deadline = time.monotonic() + REQUEST_DEADLINE
    key = f"topo-{day.run}-{tag}"
    case = register(clerk, day, key, "t01", 0, deadline)
    cid = case["id"]
    c = act(officer, day, cid, "accept", {"notice": "予以受理。"}, case["version"], f"{key}-accept", deadline)
    c = act(officer, day, cid, "route", {"to": "mediation", "unit": seed["units"]["t01_committee"], "consent": True},
            c["version"], f"{key}-route", deadline)
    assert c["status"] == "transferring", c["status"]
    c = act(head, day, cid, "receive", {"note": "签收。"}, c["version"], f"{key}-receive", deadline)
    assert c["status"] == "mediating", c["status"]
    c = act(head, day, cid, "assign", {"mediators": [seed["mediators"]["wang_t01"]]}, c["version"], f"{key}-assign", deadline)
    starts = (dt.datetime.now(SHANGHAI) + dt.timedelta(hours=2)).replace(microsecond=0)
    c = act(head, day, cid, "book_session", {"starts_at": starts.isoformat(), "place": "东城街道调解室"}, c["version"],
            f"{key}-book", deadline)
    sessions = c["mediation"]["sessions"] if isinstance(c.get("mediation"), dict) else []
    day.sessions[cid] = sessions[-1]["id"] if sessions and "id" in sessions[-1] else 0


def wait_for(predicate: Any, timeout: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.25)
    raise AssertionError(f"{what}: not within {timeout} s")


def due_notices(db: Db) -> list[tuple[Any, ...]]:
    return db.rows("SELECT kind, case_id, unit_id, user_id, title FROM notifications_notification "
                   "WHERE kind IN ('overdue', 'due_soon', 'session_reminder', 'window_lapsed')")


@pytest.mark.parametrize("variant", list(WORKERS), ids=list(WORKERS))
def test_a_day_on_the_production_topology(variant: str, tmp_path: Path) -> None:
    server = require_services()
    t0 = time.monotonic()
    with fresh_database(server) as dbname, redis_slot() as redis_db, contextlib.ExitStack() as cleanup:
        redis_url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}"
        worker_argv, worker_env = WORKERS[variant](redis_url, tmp_path)
        env = production_env(database_url=server.url(dbname), redis_url=redis_url,
                             var_dir=tmp_path / "var", extra=worker_env)
        day = Day(run=f"{int(time.time()) % 100000}")

        def mark(what: str) -> None:
            day.events.append(f"{time.monotonic() - t0:5.1f}s {what}")

        run_command([*FANGTIAO, "migrate", "--noinput", "-v", "0"], env=env, timeout=240)
        mark("migrated")

        ports = [free_port(), free_port()]
        webs = [Proc(f"web{i + 1}", [*FANGTIAO, "serve", "--host", "127.0.0.1", "--port", str(p), "--workers", "1",
                                     "--threads", "4", "--no-worker", "--access-log"], env, tmp_path / f"web{i + 1}.log")
                for i, p in enumerate(ports)]
        worker = Proc("worker", worker_argv, env, tmp_path / "worker.log")
        procs = [*webs, worker]
        db = Db(server.conninfo(dbname))
        cleanup.callback(db.close)
        stop = threading.Event()
        threads: list[threading.Thread] = []
        stats = Stats()
        try:
            for p in procs:  # they start while the seed runs: nothing they do needs its rows
                p.start()
            out = run_command([*FANGTIAO, "shell", "-c", SEED], env=env, timeout=120)
            seed = json.loads(next(line[5:] for line in out.splitlines() if line.startswith("SEED ")))
            mark("seeded")
            for p, port in zip(webs, ports, strict=True):
                wait_healthy(port, p, timeout=90)
            t_ready = time.monotonic()
            mark("web1 and web2 up")
            api = Api(ports, stats)
            tokens = dict(seed["tokens"])
            # One login through the API (POST /auth/token); the other personas use tokens issued by the seed.
            status, body = api.call("POST", "/api/v1/auth/token",
                                    {"username": "clerk_t02", "password": PASSWORD, "otp": _otp_now(seed["otp_key"])},
                                    deadline=time.monotonic() + REQUEST_DEADLINE)
            assert status == 200, (status, body)
            tokens["clerk_t02"] = body["token"]

            threads = [threading.Thread(target=client, args=(i, api, tokens, day, stop), name=f"client{i}", daemon=True)
                       for i in range(CLIENTS)]
            for t in threads:
                t.start()

            # Morning: clients at work; matters whose clocks ran out; a mediation session booked.
            phase_end = time.monotonic() + PHASES["morning"]
            stale_matters(api, day, tokens, db, "morning")
            impatient_intakes(api, day, tokens, "impatient-morning")
            mediation_with_session(api, day, tokens, seed, "mediation-morning")
            time.sleep(max(0.0, phase_end - time.monotonic()))

            # Midday: the worker and web1 crash (SIGKILL to the whole process tree); work goes on on web2.
            worker.kill()
            webs[0].kill()
            mark("SIGKILL worker and web1")
            phase_end = time.monotonic() + PHASES["outage"]
            notices_before = len(due_notices(db))
            stale_matters(api, day, tokens, db, "outage")
            mediation_with_session(api, day, tokens, seed, "mediation-outage")
            time.sleep(max(0.0, phase_end - time.monotonic()))
            # Nothing posts reminders while the worker is down: the outage's reminders are the restarted worker's.
            assert len(due_notices(db)) == notices_before, "reminders were posted while no worker was running"

            # Afternoon: both come back (the clients find web1 again when it answers); more matters fall due.
            restarted_at = dt.datetime.now(dt.UTC)
            webs[0].start()
            worker.start()
            mark("web1 and worker restarting")
            stale_matters(api, day, tokens, db, "afternoon")
            wait_healthy(ports[0], webs[0], timeout=90)
            mark("web1 up again")
            time.sleep(PHASES["afternoon"])  # the clients on both web processes again
            stop.set()
            for t in threads:
                t.join(timeout=REQUEST_DEADLINE + 30)
            assert not any(t.is_alive() for t in threads), "a client did not finish"
            t_driven = time.monotonic()
            mark("clients done")

            # Evening: the worker catches up with everything that fell due, then all stop cleanly.
            overdue, soon = day.backdated["overdue"], day.backdated["due_soon"]
            settled = wait_for(lambda: db.value(
                "SELECT count(*) FROM clocks_clock WHERE (id = ANY(%s) AND NOT notified_overdue) OR (id = ANY(%s) AND NOT notified_soon)",
                overdue, soon) == 0 and db.value(
                "SELECT count(*) FROM mediation_session WHERE case_id = ANY(%s) AND NOT reminded", list(day.sessions)) == 0,
                SETTLE_TIMEOUT, "the worker posting every reminder that fell due")
            time.sleep(2.5)  # two more rounds: a duplicate would show now
            stopped_at = dt.datetime.now(dt.UTC)
            exits = stop_all(procs, timeout=30)
            mark(f"all stopped (exit statuses {exits})")
            assert set(exits.values()) == {0}, f"not a clean shutdown on SIGTERM: {exits}"
        finally:
            stop.set()
            stop_all(procs, timeout=10)

        assert not day.errors, "clients failed:\n" + "\n".join(day.errors)
        summary = check_database(db, day, seed, restarted_at, stopped_at)
        check_logs(procs, stats)

    total = time.monotonic() - t0
    print(f"\n[topology:{variant}] {total:.0f}s (up {t_ready - t0:.0f}s, driving {t_driven - t_ready:.0f}s, "
          f"settle {settled:.1f}s) · intakes sent {len(day.sent)} acked {len(day.acked)} · accepted {len(day.accepted)} · "
          f"reads {day.reads} · 409s {day.conflicts} (replayed after 409 {day.replayed_after_409}) · kills {sum(p.kills for p in procs)} · "
          f"connection errors {dict(stats.conn_errors)} (answers lost in flight {stats.lost_answers}, of which "
          f"impatient {day.impatient}) · retries {stats.retries} · 5xx {len(stats.server_errors)}\n"
          f"  requests {dict(sorted(stats.requests.items()))}\n  {summary}\n  " + "\n  ".join(day.events))


def check_database(db: Db, day: Day, seed: dict[str, Any], restarted_at: dt.datetime, stopped_at: dt.datetime) -> str:
    # Every acknowledged intake exists exactly once; no intake exists that was not sent.
    cases = db.rows("SELECT id, number, title FROM cases_case")
    by_key: dict[str, list[tuple[int, str]]] = {}
    for cid, number, title in cases:
        m = KEY_RE.search(title)
        assert m, f"case {cid} {number} {title!r} was not registered by this test"
        by_key.setdefault(m.group(1), []).append((cid, number))
    dupes = {k: v for k, v in by_key.items() if len(v) > 1}
    assert not dupes, f"intakes registered more than once: {dupes}"
    assert not set(by_key) - day.sent, f"cases nobody sent: {sorted(set(by_key) - day.sent)}"
    missing = {k: v for k, v in day.acked.items() if by_key.get(k) != [v]}
    assert not missing, f"acknowledged intakes missing or different: {missing}"
    assert set(day.acked) == day.sent, f"sent, never acknowledged: {sorted(day.sent - set(day.acked))}"
    numbers = Counter(n for _, n, _ in cases)
    assert all(v == 1 for v in numbers.values()), f"case numbers used twice: {[n for n, v in numbers.items() if v > 1]}"
    assert db.value("SELECT count(*) FROM core_idempotencyrecord WHERE endpoint = 'POST /cases'") == len(day.acked)

    # Every acknowledged acceptance took effect (and its handling clock runs).
    accepted = dict(db.rows("SELECT id, status FROM cases_case WHERE id = ANY(%s)", list(day.accepted)))
    assert all(s in ("accepted", "transferring", "mediating") for s in accepted.values()) and len(accepted) == len(day.accepted)
    handling = db.value("SELECT count(DISTINCT case_id) FROM clocks_clock WHERE case_id = ANY(%s) AND code = 'petition.handling'",
                        list(day.accepted))
    assert handling == len(day.accepted)

    # Clock notices: exactly one per clock and kind where the clock says it notified; none elsewhere.
    clocks = db.rows("SELECT k.id, k.case_id, k.holder_unit_id, k.notified_soon, k.notified_overdue, k.state, c.number, r.name "
                     "FROM clocks_clock k JOIN cases_case c ON c.id = k.case_id JOIN clocks_clockrule r ON r.id = k.rule_id")
    notices = Counter((kind, case_id, unit_id, user_id, title) for kind, case_id, unit_id, user_id, title in due_notices(db))
    twice = {k: v for k, v in notices.items() if v > 1}
    assert not twice, f"notices posted more than once: {twice}"
    expected: set[tuple[Any, ...]] = set()
    for kid, case_id, unit_id, soon, over, state, number, rule in clocks:
        if over:
            expected.add(("overdue", case_id, unit_id, None, f"已超期：{number} {rule}"))
        if soon:
            expected.add(("due_soon", case_id, unit_id, None, f"临期：{number} {rule}"))
        if kid in day.backdated["overdue"]:
            assert over and state == "overdue", f"clock {kid} fell due but was not marked overdue ({state})"
        if kid in day.backdated["due_soon"]:
            assert soon, f"clock {kid} came due soon but nobody was told"
    # Session reminders: one to the committee and one to the assigned mediator per booked session.
    sessions = db.rows("SELECT s.id, s.case_id, s.reminded, m.unit_id FROM mediation_session s "
                       "JOIN mediation_mediation m ON m.id = s.mediation_id")
    mediator_user = seed["users"]["mediator_t01"]
    for sid, case_id, reminded, unit_id in sessions:
        assert reminded, f"session {sid} (case {case_id}) starts within the reminder window but was not reminded"
        title = next((k[4] for k in notices if k[0] == "session_reminder" and k[1] == case_id), "")
        expected |= {("session_reminder", case_id, unit_id, None, title), ("session_reminder", case_id, None, mediator_user, title)}
    assert set(notices) == expected, (f"missing: {sorted(expected - set(notices), key=str)}\n"
                                      f"unexpected: {sorted(set(notices) - expected, key=str)}")
    assert len(sessions) == len(day.sessions)

    # The worker that came back is alive and has ticked the clocks up to the end.
    beats = db.rows("SELECT pid, last_seen_at, last_clock_tick_at FROM clocks_workerheartbeat WHERE last_seen_at >= %s",
                    restarted_at)
    assert beats, "no heartbeat from the restarted worker"
    last_seen = max(b[1] for b in beats)
    assert stopped_at - last_seen < dt.timedelta(seconds=30), f"heartbeat stale: {last_seen} (stopped {stopped_at})"
    assert max(b[2] for b in beats if b[2]) >= restarted_at

    kinds = Counter(k[0] for k in notices)
    return (f"cases {len(cases)} · clocks moved: overdue {len(day.backdated['overdue'])}, due soon "
            f"{len(day.backdated['due_soon'])} · notices {dict(kinds)} · sessions {len(sessions)} · heartbeat rows {len(beats)}")


def check_logs(procs: list[Proc], stats: Stats) -> None:
    """No 5xx was answered (the kill shows as refused or reset connections, never as a 500) or logged,
    and the restarted web process served the clients again."""
    assert not stats.server_errors, "5xx answers:\n" + "\n".join(stats.server_errors[:20]) + "\n" + "\n".join(
        line[:1500] for p in procs for line in p.output().splitlines() if '"exception"' in line or "Traceback" in line)
    for p in procs:
        text = p.output()
        access_5xx = [line for line in text.splitlines() if re.search(r'" 5\d\d ', line)]
        assert not access_5xx, f"{p.name}: 5xx in the access log:\n" + "\n".join(access_5xx[:10])
        assert "Internal Server Error" not in text and "Traceback" not in text, f"{p.name} logged an error:\n{text[-6000:]}"
        if p.name.startswith("web") and p.starts > 1:
            after = text.rsplit("=== start #", 1)[1]
            assert re.search(r'"(GET|POST) /api/v1/cases[^"]*" 2\d\d ', after), f"{p.name} served nothing after its restart"
