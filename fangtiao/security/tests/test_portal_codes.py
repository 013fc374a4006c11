"""The portal's query codes (security-reliability §6 item 11; ASVS V6.5.2/V6.6.3): ≥ 40 bits, kept
only as a keyed hash, ≤ 10 failures per case an hour then 429 and an audit event, ≤ 30 lookups per
address an hour, no personal data in the lookup's answer."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.core.cache import cache

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.models import Case
from fangtiao.cases.services import QUERY_CODE_ALPHABET, new_query_code
from fangtiao.core.testing.api import ApiClient
from fangtiao.portal import conf
from fangtiao.portal.tests.helpers import GOOD_ID, petition_body

ID_RE = re.compile(r"\d{17}[\dXx]")
PHONE_RE = re.compile(r"1[3-9]\d{9}")


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def get(number: str, code: str, ip: str = "127.0.0.1") -> Any:
    return ApiClient().client.get(f"/api/v1/public/petitions/{quote(number)}?code={quote(code)}", REMOTE_ADDR=ip)


def submitted(world: Any) -> tuple[str, str]:
    r = ApiClient().post("/api/v1/public/petitions", petition_body(), REMOTE_ADDR="10.50.0.1")
    assert r.status_code == 201
    return r.json()["number"], r.json()["query_code"]


def test_code_has_at_least_40_bits() -> None:
    assert len(set(QUERY_CODE_ALPHABET)) == len(QUERY_CODE_ALPHABET) == 32
    codes = {new_query_code() for _ in range(200)}
    assert len(codes) == 200 and all(len(c) == 12 and set(c) <= set(QUERY_CODE_ALPHABET) for c in codes)
    assert 12 * math.log2(len(QUERY_CODE_ALPHABET)) >= 40


def test_code_stored_only_hashed(world: Any) -> None:
    number, code = submitted(world)
    row = Case.objects.filter(number=number).values().get()
    assert all(code not in str(v) and code.lower() not in str(v).lower() for v in row.values())
    assert row["query_code_hash"] and row["query_code_hash"] != code


def test_eleventh_failure_for_a_case_is_429_and_audited(world: Any) -> None:
    number, code = submitted(world)
    for k in range(10):  # from ten addresses: the per-address limits are not what stops it
        assert get(number, "WRONGWRONG22", ip=f"10.60.0.{k + 1}").status_code == 404
    assert AuditEvent.objects.filter(action="portal.lookup_locked").count() == 1
    r = get(number, code, ip="10.60.1.1")  # even the right code, from a fresh address
    assert r.status_code == 429 and r.json()["detail"] == "请求过于频繁，请稍后再试"
    other_number = "黄岩矛调访调〔2099〕99999号"
    assert get(other_number, "WRONGWRONG22", ip="10.60.1.2").status_code == 404  # other numbers unaffected


def test_thirty_lookups_per_address_per_hour(world: Any) -> None:
    assert conf.DEFAULTS["FANGTIAO_PORTAL_LOOKUP_LIMIT"] == 30 and conf.DEFAULTS["FANGTIAO_PORTAL_LOOKUP_WINDOW"] == 3600
    number, code = submitted(world)
    for _ in range(30):
        assert get(number, code, ip="10.70.0.1").status_code == 200
    assert get(number, code, ip="10.70.0.1").status_code == 429
    assert get(number, code, ip="10.70.0.2").status_code == 200


def test_no_personal_data_in_the_lookup_answer(world: Any) -> None:
    number, code = submitted(world)
    body = get(number, code).content.decode()
    assert ID_RE.findall(body) == [] and PHONE_RE.findall(body) == []
    assert GOOD_ID not in body and "13812345678" not in body and "王小二" not in body
