"""`fangtiao check-deploy`: each check passing and failing, the exit status and the JSON output."""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.db.migrations import Migration
from django.test import override_settings
from django.utils import timezone

from fangtiao.clocks.services import worker_heartbeat_touch

pytestmark = pytest.mark.django_db

PRODUCTION = {
    "DEBUG": False,
    "DEMO": False,
    "SECRET_KEY": "k3Jx9-Qw7pLm2Zr8Vt5Yb1Nc4Hs6Df0Ga7Ue3Io9Pk2Lj5Mh8Xq1Wz4Ry6Tv0Sb",
    "ALLOWED_HOSTS": ["fangtiao.example.gov.cn"],
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "FANGTIAO_FIELD_KEYS": "k1:" + base64.b64encode(b"\x01" * 32).decode(),
    "FANGTIAO_BLIND_INDEX_KEY": base64.b64encode(b"\x02" * 32).decode(),
    "REDIS_URL": "",
}


@pytest.fixture(autouse=True)
def _no_broker_env(monkeypatch):
    monkeypatch.delenv("FANGTIAO_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)


@pytest.fixture
def production():
    with override_settings(**PRODUCTION):
        yield


def _beat(ago: dt.timedelta = dt.timedelta(0)) -> None:
    at = timezone.now() - ago
    worker_heartbeat_touch(host="w1", pid=4242, started_at=at, clock_ticked_at=at, now=at)


def _run(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("check-deploy", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def _json(*args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    code, out, _ = _run("--json", *args)
    return code, {r["id"]: r for r in json.loads(out)}


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ------------------------------------------------------------------ the whole run
def test_a_good_production_configuration_passes(production):
    _beat()
    code, out, err = _run()
    assert code == 0 and err == ""
    assert "✗" not in out and "✓ Django 部署检查：全部通过" in out
    assert "✓ 后台进程" in out and "✓ 时限巡检" in out and "✓ 数据库迁移" in out


def test_a_failing_check_exits_1_with_a_chinese_message_and_no_traceback(production):
    code, out, err = _run()  # no worker has ever run
    assert code == 1
    assert "✗ 后台进程" in out and "启动 fangtiao worker" in out
    assert err.startswith("部署检查未通过：2 项失败") and "Traceback" not in err + out


def test_json_lists_every_check_with_its_status(production):
    _beat()
    code, results = _json()
    assert code == 0
    assert {"django", "database", "migrations", "cache", "storage", "broker", "worker", "clock", "tasks",
            "settings.secret_key", "settings.debug", "settings.allowed_hosts", "settings.database",
            "settings.field_keys"} == set(results)
    assert all({"id", "name", "status", "ok", "message", "hint", "details"} <= set(r) for r in results.values())
    assert results["worker"]["status"] == "ok" and results["cache"]["status"] == "skipped"


def test_skip_leaves_checks_out(production):
    code, results = _json("--skip", "worker,clock")
    assert code == 0
    assert results["worker"]["status"] == results["clock"]["status"] == "skipped"


def test_an_unknown_check_name_is_refused():
    with pytest.raises(CommandError, match="未知的检查项"):
        _run("--skip", "wrker")


def test_a_check_that_raises_is_reported_failed(production):
    with mock.patch("fangtiao.clocks.selectors.workers_alive", side_effect=RuntimeError("boom")):
        code, results = _json("--skip", "clock")
    assert code == 1
    assert results["worker"]["status"] == "fail" and "boom" in results["worker"]["message"]


# ------------------------------------------------------------------ Django deploy checks
def test_django_deploy_warnings_are_listed_with_chinese_explanations(production):
    _beat()
    with override_settings(DEBUG=True, SECURE_HSTS_SECONDS=0, SESSION_COOKIE_SECURE=False):
        code, results = _json("--skip", "settings")
    django = results["django"]
    assert code == 1 and django["status"] == "fail"
    ids = {d["id"]: d["text"] for d in django["details"]}
    assert {"security.W004", "security.W012", "security.W018"} <= set(ids)
    assert "DEBUG 已开启" in ids["security.W018"] and "HSTS" in ids["security.W004"]


def test_weak_secret_key_and_empty_hosts_fail_the_deploy_checks(production):
    with override_settings(SECRET_KEY="short", ALLOWED_HOSTS=[]):
        _, results = _json("--skip", "worker,clock")
    ids = {d["id"] for d in results["django"]["details"]}
    assert {"security.W009", "security.W020"} <= ids


def test_behind_a_proxy_hsts_and_redirect_are_warnings(production):
    _beat()
    with override_settings(SECURE_HSTS_SECONDS=0, SECURE_SSL_REDIRECT=False,
                           SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        code, results = _json()
    assert code == 0 and results["django"]["status"] == "warn"
    assert {d["id"] for d in results["django"]["details"]} == {"security.W004", "security.W008"}
    with override_settings(SECURE_HSTS_SECONDS=0, SECURE_SSL_REDIRECT=False):
        code, results = _json()
    assert code == 1 and results["django"]["status"] == "fail"


def test_silenced_checks_are_not_reported(production):
    _beat()
    with override_settings(SECURE_SSL_REDIRECT=False, SILENCED_SYSTEM_CHECKS=["security.W008"]):
        code, results = _json()
    assert code == 0 and results["django"]["status"] == "ok"


# ------------------------------------------------------------------ settings
@pytest.mark.parametrize(("overrides", "check"), [
    ({"SECRET_KEY": "insecure-development-key-do-not-use-in-production-0123456789"}, "settings.secret_key"),
    ({"SECRET_KEY": "too-short"}, "settings.secret_key"),
    ({"DEBUG": True}, "settings.debug"),
    ({"DEMO": True}, "settings.debug"),
    ({"ALLOWED_HOSTS": []}, "settings.allowed_hosts"),
    ({"ALLOWED_HOSTS": ["*"]}, "settings.allowed_hosts"),
    ({"FANGTIAO_FIELD_KEYS": ""}, "settings.field_keys"),
    ({"FANGTIAO_BLIND_INDEX_KEY": ""}, "settings.field_keys"),
    ({"FANGTIAO_FIELD_KEYS": "k1:bm90LTMyLWJ5dGVz"}, "settings.field_keys"),
])
def test_settings_sanity_fails(production, overrides, check):
    with override_settings(**overrides):
        code, results = _json("--skip", "django,worker,clock")
    assert code == 1 and results[check]["status"] == "fail" and results[check]["hint"]


def test_settings_sanity_passes(production):
    _, results = _json("--skip", "django,worker,clock")
    for check in ("settings.secret_key", "settings.debug", "settings.allowed_hosts", "settings.field_keys"):
        assert results[check]["status"] == "ok", results[check]


def test_localhost_only_is_a_warning(production):
    with override_settings(ALLOWED_HOSTS=["localhost", "127.0.0.1"]):
        code, results = _json("--skip", "django,worker,clock")
    assert code == 0 and results["settings.allowed_hosts"]["status"] == "warn"


def test_sqlite_is_a_warning_for_pilots_only(production):
    from django.db import connection

    code, results = _json("--skip", "django,worker,clock")
    assert code == 0
    if connection.vendor == "sqlite":
        assert results["settings.database"]["status"] == "warn" and "试点" in results["settings.database"]["message"]
    else:
        assert results["settings.database"]["status"] == "ok"


# ------------------------------------------------------------------ database
def test_an_unreachable_database_fails(production):
    with mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.cursor",
                    side_effect=OperationalError("connection refused")):
        code, results = _json("--skip", "django,migrations,worker,clock")
    assert code == 1 and results["database"]["status"] == "fail"
    assert "connection refused" in results["database"]["message"] and "DATABASE_URL" in results["database"]["hint"]


def test_an_unmigrated_database_fails(production):
    _beat()
    pending = [(Migration("0099_not_yet", "clocks"), False)]
    with mock.patch("django.db.migrations.executor.MigrationExecutor.migration_plan", return_value=pending):
        code, results = _json()
    assert code == 1 and results["migrations"]["status"] == "fail"
    assert "clocks.0099_not_yet" in results["migrations"]["message"] and "fangtiao migrate" in results["migrations"]["hint"]
    assert results["database"]["status"] == "ok"


# ------------------------------------------------------------------ cache
def test_the_cache_is_checked_when_redis_is_configured(production):
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "check-deploy"}}
    with override_settings(REDIS_URL="redis://127.0.0.1:6379/0", CACHES=locmem):
        code, results = _json("--skip", "django,worker,clock")
    assert code == 0 and results["cache"]["status"] == "ok"


def test_an_unreachable_redis_fails(production):
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    redis = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    with override_settings(REDIS_URL=url, CACHES=redis):
        code, results = _json("--skip", "django,worker,clock")
    assert code == 1 and results["cache"]["status"] == "fail" and "REDIS_URL" in results["cache"]["hint"]


# ------------------------------------------------------------------ broker
def test_a_reachable_broker_passes(production, monkeypatch):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        monkeypatch.setenv("CELERY_BROKER_URL", f"amqp://guest@127.0.0.1:{server.getsockname()[1]}//")
        code, results = _json("--skip", "django,worker,clock")
    assert code == 0 and results["broker"]["status"] == "ok"


def test_an_unreachable_broker_fails(production):
    with override_settings(FANGTIAO_BROKER_URL=f"redis://127.0.0.1:{_closed_port()}/1"):
        code, results = _json("--skip", "django,worker,clock")
    assert code == 1 and results["broker"]["status"] == "fail" and "无法连接" in results["broker"]["message"]


def test_a_broker_url_without_a_host_fails(production):
    with override_settings(FANGTIAO_BROKER_URL="nonsense"):
        _, results = _json("--skip", "django,worker,clock")
    assert results["broker"]["status"] == "fail"


# ------------------------------------------------------------------ worker and clock tick
def test_a_worker_silent_for_three_intervals_is_not_alive(production):
    _beat(ago=dt.timedelta(minutes=4))
    code, results = _json("--skip", "clock")
    assert code == 1 and results["worker"]["status"] == "fail" and "180 秒" in results["worker"]["message"]
    code, results = _json("--skip", "clock", "--interval", "120")
    assert code == 0 and results["worker"]["status"] == "ok"


def test_a_clock_tick_older_than_ten_minutes_fails(production):
    _beat(ago=dt.timedelta(minutes=11))
    worker_heartbeat_touch(host="w1", pid=4243, started_at=timezone.now())  # alive, but has not ticked
    code, results = _json()
    assert code == 1 and results["worker"]["status"] == "ok" and results["clock"]["status"] == "fail"


def test_a_clock_tick_never_run_fails(production):
    code, results = _json("--skip", "worker")
    assert code == 1 and results["clock"]["status"] == "fail" and "从未运行" in results["clock"]["message"]


# --- the task queue (ADR 0014) -------------------------------------------------------------------

def test_tasks_waiting_too_long_fail_and_failures_warn(production, monkeypatch):
    from fangtiao.tasks import registry
    from fangtiao.tasks.models import ScheduleSlot, Task, TaskStatus

    monkeypatch.setitem(registry.TASKS, "test.record", "fangtiao.tasks.tests.targets:record")
    _beat()
    code, results = _json()
    assert results["tasks"]["status"] == "ok" and "待执行 0 项" in results["tasks"]["message"]

    Task.objects.create(name="test.record", status=TaskStatus.FAILED, finished_at=timezone.now())
    ScheduleSlot.objects.create(name="stats.refresh", last_error="RuntimeError: boom", last_error_at=timezone.now())
    code, results = _json()
    assert code == 0 and results["tasks"]["status"] == "warn"
    assert "1 项任务多次重试后失败" in results["tasks"]["message"] and "stats.refresh" in results["tasks"]["message"]

    Task.objects.create(name="test.record", run_after=timezone.now() - dt.timedelta(minutes=11))
    code, results = _json()
    assert code == 1 and results["tasks"]["status"] == "fail"
    assert "1 项任务待执行" in results["tasks"]["message"] and "fangtiao worker" in results["tasks"]["hint"]
