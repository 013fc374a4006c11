"""Idempotent submission (security-reliability.md §4.2, §6 item 25): 20 concurrent submissions with
one Idempotency-Key — the public portal's `POST /api/v1/public/petitions` and the staff
`POST /api/v1/cases` — give one case and 20 identical answers (status and body), on SQLite (a file
database: see harness.py) and PostgreSQL. The same key with another body is a 422, a malformed key a
400 with the header as the field, and a key is forgotten after 24 hours."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from fangtiao.cases.models import Case
from fangtiao.cases.tests.factories import intake
from fangtiao.core import idempotency
from fangtiao.core.models import IdempotencyRecord
from fangtiao.core.testing.api import ApiClient
from fangtiao.core.tests.concurrency.harness import file_database, in_thread, run_threads
from fangtiao.portal.tests.helpers import petition_body

N = 20
PORTAL = "/api/v1/public/petitions"


def _same(results: list[tuple[int, Any]]) -> set[str]:
    return {json.dumps([status, body], sort_keys=True, ensure_ascii=False) for status, body in results}


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_portal_submissions_with_one_key_make_one_case(world: Any, tmp_path: Any, settings: Any) -> None:
    settings.FANGTIAO_PORTAL_SUBMIT_LIMIT = 10_000
    body = petition_body()
    Client().get("/api/v1/public/petitions/none?code=x")  # load the URL conf before the race

    def submit(i: int) -> tuple[int, Any]:
        r = Client().post(PORTAL, data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="form-token-1",
                          REMOTE_ADDR="10.9.8.7")
        return r.status_code, r.json()

    with file_database(tmp_path):
        results, errors = run_threads(N, submit)
        cases, records = in_thread(lambda: (Case.objects.count(), IdempotencyRecord.objects.count()))
    assert errors == []
    assert len(results) == N and {s for s, _ in results} == {201}, results[:3]
    assert len(_same(results)) == 1 and results[0][1]["number"] and results[0][1]["query_code"]
    assert (cases, records) == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_staff_registrations_with_one_key_make_one_case(world: Any, tmp_path: Any) -> None:
    clerk = world.users["clerk_t01"]
    token = ApiClient(clerk)
    assert token.get("/api/v1/me").status_code == 200  # the token, and the URL conf loaded
    auth = token.headers["HTTP_AUTHORIZATION"]
    body = intake()

    def register(i: int) -> tuple[int, Any]:
        r = Client().post("/api/v1/cases", data=body, content_type="application/json", HTTP_AUTHORIZATION=auth,
                          HTTP_IDEMPOTENCY_KEY="double-click-20")
        return r.status_code, r.json()

    with file_database(tmp_path):
        results, errors = run_threads(N, register)
        cases, records = in_thread(lambda: (Case.objects.count(), IdempotencyRecord.objects.count()))
    assert errors == []
    assert len(results) == N and {s for s, _ in results} == {201}, results[:3]
    assert len(_same(results)) == 1
    assert (cases, records) == (1, 1)


def test_same_key_other_body_is_422_and_creates_nothing(world: Any, settings: Any) -> None:
    settings.FANGTIAO_PORTAL_SUBMIT_LIMIT = 100
    api = ApiClient()
    first = api.post(PORTAL, petition_body(), HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    again = api.post(PORTAL, petition_body(), HTTP_IDEMPOTENCY_KEY="k-1")
    assert (again.status_code, again.json()) == (201, first.json())
    other = api.post(PORTAL, petition_body(title="另一件事：噪音扰民"), HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    staff = ApiClient(world.users["clerk_t01"])
    assert staff.post("/api/v1/cases", intake(), HTTP_IDEMPOTENCY_KEY="s-1").status_code == 201
    clash = staff.post("/api/v1/cases", intake(title="另一件事：噪音扰民"), HTTP_IDEMPOTENCY_KEY="s-1")
    assert clash.status_code == 422 and clash.json()["errors"][0]["field"] == "Idempotency-Key"
    assert Case.objects.count() == 2


@pytest.mark.parametrize("key", ["k" * 101, "a\tb", "键\x7f"])
def test_a_malformed_key_is_400_with_the_header_as_the_field(world: Any, key: str) -> None:
    r = ApiClient(world.users["clerk_t01"]).post("/api/v1/cases", intake(), HTTP_IDEMPOTENCY_KEY=key)
    assert r.status_code == 400 and r.json()["errors"] == [{"field": "Idempotency-Key", "message": idempotency.KEY_ERROR}]
    assert not Case.objects.exists()


def test_a_key_expires_after_24_hours(world: Any) -> None:
    staff = ApiClient(world.users["clerk_t01"])
    body = intake()
    first = staff.post("/api/v1/cases", body, HTTP_IDEMPOTENCY_KEY="day-1")
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=23))
    assert staff.post("/api/v1/cases", body, HTTP_IDEMPOTENCY_KEY="day-1").json()["id"] == first.json()["id"]
    assert idempotency.purge_expired() == 0
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    later = staff.post("/api/v1/cases", body, HTTP_IDEMPOTENCY_KEY="day-1")  # a new request, not a replay
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert idempotency.purge_expired() == 1 and not IdempotencyRecord.objects.exists()
