"""Rate limits per client address (fixed windows in Django's cache): submissions, lookups and,
above all, failed lookups — a wall against guessing query codes."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.core.cache import cache
from django.test import override_settings

from fangtiao.cases.models import Case
from fangtiao.core.testing.api import ApiClient
from fangtiao.portal import throttle
from fangtiao.portal.tests.helpers import petition_body

TOO_MANY = {"detail": "请求过于频繁，请稍后再试", "errors": []}


def submit(**extra: str) -> Any:
    return ApiClient().post("/api/v1/public/petitions", petition_body(), **extra)


def get(number: str, code: str, **extra: str) -> Any:
    return ApiClient().client.get(f"/api/v1/public/petitions/{quote(number)}?code={quote(code)}", **extra)


@override_settings(FANGTIAO_PORTAL_SUBMIT_LIMIT=2)
def test_submissions_over_the_limit_are_429(world: Any) -> None:
    assert submit().status_code == 201
    assert submit().status_code == 201
    r = submit()
    assert r.status_code == 429
    assert r.json() == TOO_MANY
    assert 1 <= int(r["Retry-After"]) <= 3600
    assert Case.objects.count() == 2
    # Another address has its own counter.
    assert submit(REMOTE_ADDR="10.1.2.3").status_code == 201


@override_settings(FANGTIAO_PORTAL_SUBMIT_LIMIT=2)
def test_invalid_submissions_count_too(world: Any) -> None:
    for _ in range(2):
        assert ApiClient().post("/api/v1/public/petitions", petition_body(name="")).status_code == 422
    assert submit().status_code == 429
    assert not Case.objects.exists()


@override_settings(FANGTIAO_PORTAL_LOOKUP_FAIL_LIMIT=3)
def test_failed_lookups_lock_out_every_lookup_from_the_address(world: Any) -> None:
    r = submit()
    number, code = r.json()["number"], r.json()["query_code"]
    assert get(number, code).status_code == 200  # successes do not count as failures
    for _ in range(3):
        assert get(number, "WRONGWRONG22").status_code == 404
    locked = get(number, code)  # even the right code: a guess must not be confirmable
    assert locked.status_code == 429
    assert locked.json() == TOO_MANY
    assert get(number, code, REMOTE_ADDR="10.9.9.9").status_code == 200
    # Rating attempts are lookups too.
    rated = ApiClient().post(f"/api/v1/public/petitions/{quote(number)}/rating", {"code": code, "satisfaction": "satisfied"})
    assert rated.status_code == 429


@override_settings(FANGTIAO_PORTAL_LOOKUP_LIMIT=2)
def test_all_lookups_have_a_ceiling(world: Any) -> None:
    r = submit()
    number, code = r.json()["number"], r.json()["query_code"]
    assert get(number, code).status_code == 200
    assert get(number, code).status_code == 200
    assert get(number, code).status_code == 429


@override_settings(FANGTIAO_PORTAL_LOOKUP_FAIL_LIMIT=2, FANGTIAO_PORTAL_LOOKUP_WINDOW=60)
def test_the_window_ends(world: Any, monkeypatch: Any) -> None:
    now = [1_000_020.0]
    monkeypatch.setattr("fangtiao.portal.throttle.time.time", lambda: now[0])
    for _ in range(2):
        assert get("没有", "WRONGWRONG22").status_code == 404
    assert get("没有", "WRONGWRONG22").status_code == 429
    now[0] += 60
    assert get("没有", "WRONGWRONG22").status_code == 404


def test_counters_are_keyed_by_a_hash_not_the_address(world: Any, rf: Any) -> None:
    request = rf.get("/", REMOTE_ADDR="192.0.2.77")
    other = rf.get("/", REMOTE_ADDR="192.0.2.78")
    who = throttle.client_key(request)
    assert "192.0.2.77" not in who and len(who) == 24 and who != throttle.client_key(other)
    throttle.hit(request, "submit")
    assert throttle.current(request, "submit") == 1 and throttle.current(other, "submit") == 0
    cache.clear()
    assert throttle.current(request, "submit") == 0
