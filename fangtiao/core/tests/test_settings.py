"""Settings come from the environment; production refuses to start without its secrets."""

import base64
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from fangtiao.env import env_bool, env_int, env_list


def _boot(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FANGTIAO_") and k != "DATABASE_URL"}
    clean.update(env)
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='fangtiao.settings'; django.setup(); print('ok')"
    return subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=60)


def test_production_requires_secret_key():
    r = _boot({})
    assert r.returncode != 0 and "FANGTIAO_SECRET_KEY" in r.stderr


def test_production_requires_allowed_hosts():
    r = _boot({"FANGTIAO_SECRET_KEY": "x" * 50})
    assert r.returncode != 0 and "FANGTIAO_ALLOWED_HOSTS" in r.stderr


def test_production_boots_with_both(tmp_path):
    prod = {"FANGTIAO_SECRET_KEY": "x" * 50, "FANGTIAO_ALLOWED_HOSTS": "fangtiao.example.gov.cn",
            "FANGTIAO_VAR_DIR": str(tmp_path)}
    r = _boot(prod)
    assert r.returncode != 0 and "FANGTIAO_FIELD_KEYS" in r.stderr  # no key derived from the secret in production
    key = base64.b64encode(b"k" * 32).decode()
    r = _boot({**prod, "FANGTIAO_FIELD_KEYS": f"k1:{key}", "FANGTIAO_BLIND_INDEX_KEY": key})
    assert r.returncode == 0, r.stderr


def test_bad_boolean_is_loud():
    r = _boot({"FANGTIAO_DEBUG": "maybe"})
    assert r.returncode != 0 and "FANGTIAO_DEBUG" in r.stderr


def test_env_helpers(monkeypatch):
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    monkeypatch.setenv("X_BOOL", "on")
    assert env_int("X_INT", 1) == 12
    assert env_list("X_LIST") == ["a", "b", "c"]
    assert env_bool("X_BOOL") is True
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ImproperlyConfigured):
        env_int("X_INT", 1)
    monkeypatch.setenv("X_INT", "-1")
    with pytest.raises(ImproperlyConfigured):
        env_int("X_INT", 1, minimum=0)


def test_healthz_is_cheap(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        r = client.get("/healthz")
    assert r.json() == {"status": "ok"}
    assert r["X-Request-ID"]


def test_production_settings_pass_the_deploy_checks(tmp_path):
    """`check --deploy` is clean on production settings: HSTS and the HTTPS redirect are on unless the
    reverse proxy does them (GB/T 22239 8.1.4.4; Django's deployment checklist)."""
    key = base64.b64encode(b"k" * 32).decode()
    env = {"FANGTIAO_SECRET_KEY": "s3cr3t-" + "x" * 60, "FANGTIAO_ALLOWED_HOSTS": "fangtiao.example.gov.cn",
           "FANGTIAO_VAR_DIR": str(tmp_path), "FANGTIAO_FIELD_KEYS": f"k1:{key}", "FANGTIAO_BLIND_INDEX_KEY": key}
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FANGTIAO_") and k != "DATABASE_URL"}
    clean.update(env)
    r = subprocess.run([sys.executable, "-m", "fangtiao.cli", "check", "--deploy", "--fail-level", "WARNING"],
                       env=clean, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    clean.update({"FANGTIAO_HSTS_SECONDS": "0", "FANGTIAO_SSL_REDIRECT": "0"})
    r = subprocess.run([sys.executable, "-m", "fangtiao.cli", "check", "--deploy", "--fail-level", "WARNING"],
                       env=clean, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "W004" in r.stdout + r.stderr and "W008" in r.stdout + r.stderr
