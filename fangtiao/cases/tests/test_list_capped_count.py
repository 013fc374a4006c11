"""The case list's capped count (issue 8, ADR 0013): exact up to COUNT_CAP, then `count_is_exact:
false` in the API and 超过 10,000 件 on the page; right at the boundary (9,999 / 10,000 / 10,001
rows, on SQLite and on PostgreSQL); keyset paging by `cursor`; bad cursors a 422 with the field;
the list's query count the same for every page size and page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fangtiao.cases import selectors
from fangtiao.cases.models import Case
from fangtiao.cases.tests.factories import make_case
from fangtiao.core.testing.api import ApiClient


def _clone(case: Case, n: int) -> None:
    """`n` more rows like `case` in one bulk insert (numbers unique), spread over received_at."""
    base = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields if not f.primary_key}
    rows = []
    for i in range(n):
        row = Case(**base)
        row.number, row.number_seq = f"BENCH-CAP-{i:06d}", 900_000 + i
        row.received_at = case.received_at.replace(microsecond=0) - dt.timedelta(minutes=i + 1)
        rows.append(row)
    Case.objects.bulk_create(rows, batch_size=2000)


@pytest.mark.django_db
def test_capped_count_at_the_boundary(xw):
    """9,999, 10,000 and 10,001 matching rows with the real cap: exact, exact, capped."""
    case = make_case(xw)
    _clone(case, selectors.COUNT_CAP)  # COUNT_CAP + 1 rows in all
    qs = selectors.case_list(user=xw.officer, filters={})
    assert selectors.capped_count(qs) == (selectors.COUNT_CAP, False)
    Case.objects.filter(number="BENCH-CAP-000000").delete()  # exactly the cap
    assert selectors.capped_count(qs) == (selectors.COUNT_CAP, True)
    Case.objects.filter(number="BENCH-CAP-000001").delete()
    assert selectors.capped_count(qs) == (selectors.COUNT_CAP - 1, True)
    assert qs.count() == selectors.COUNT_CAP - 1  # the exact count agrees below the cap


@pytest.mark.django_db
def test_capped_count_is_one_limited_query(xw):
    make_case(xw)
    qs = selectors.case_list(user=xw.officer, filters={"status": "registered"})
    with CaptureQueriesContext(connection) as ctx:
        assert selectors.capped_count(qs, cap=5) == (1, True)
    assert len(ctx.captured_queries) == 1
    sql = ctx.captured_queries[0]["sql"].upper()
    assert "LIMIT 6" in sql and "ORDER BY" not in sql  # the database stops at cap + 1, in any order


def _small_cap(monkeypatch, cap=3):
    monkeypatch.setattr(selectors, "COUNT_CAP", cap)


@pytest.mark.django_db
def test_api_says_when_the_count_is_capped(xw, monkeypatch):
    _small_cap(monkeypatch)
    for _ in range(3):
        make_case(xw)
    c = ApiClient(xw.officer)
    r = c.get("/api/v1/cases", {"page_size": 2}).json()
    assert (r["count"], r["count_is_exact"], r["count_cap"]) == (3, True, 3)
    make_case(xw)
    r = c.get("/api/v1/cases", {"page_size": 2}).json()
    assert (r["count"], r["count_is_exact"]) == (3, False)  # "3+": at least the cap
    assert len(r["items"]) == 2 and r["next_cursor"]


@pytest.mark.django_db
def test_cursor_pages_through_the_list_in_order(xw):
    for _ in range(5):
        make_case(xw)
    c = ApiClient(xw.officer)
    whole = [i["id"] for i in c.get("/api/v1/cases", {"page_size": 50}).json()["items"]]
    seen, cursor = [], None
    for _ in range(10):
        params = {"page_size": 2, **({"cursor": cursor} if cursor else {})}
        r = c.get("/api/v1/cases", params).json()
        seen += [i["id"] for i in r["items"]]
        cursor = r["next_cursor"]
        if cursor is None:
            break
    assert seen == whole and len(whole) == 5
    # the same order as the numbered pages
    assert [i["id"] for i in c.get("/api/v1/cases", {"page_size": 2, "page": 2}).json()["items"]] == whole[2:4]


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["abc", "1_", "_1", "99999999999999999999_1", "1_2_3", "-5_1", "1" * 41])
def test_bad_cursor_is_a_422_with_the_field(xw, cursor):
    make_case(xw)
    r = ApiClient(xw.officer).get("/api/v1/cases", {"cursor": cursor})
    assert r.status_code == 422
    assert any("cursor" in str(e.get("field", "")) or "cursor" in str(e.get("loc", "")) for e in r.json()["errors"])


@pytest.mark.django_db
def test_out_of_range_cursor_is_a_422(xw):
    make_case(xw)
    r = ApiClient(xw.officer).get("/api/v1/cases", {"cursor": "9999999999999999999_1"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "cursor"


@pytest.mark.django_db
def test_list_queries_do_not_depend_on_page_size_page_or_cursor(xw):
    for _ in range(4):
        make_case(xw)
    c = ApiClient(xw.officer)
    cursor = c.get("/api/v1/cases", {"page_size": 1}).json()["next_cursor"]

    def run(params):
        with CaptureQueriesContext(connection) as ctx:
            r = c.get("/api/v1/cases", params)
        assert r.status_code == 200
        return len(ctx.captured_queries)

    run({"page_size": 1})  # warm: the token's first use is recorded once
    counts = {run({"page_size": 1}), run({"page_size": 50}), run({"page_size": 1, "page": 3}),
              run({"page_size": 2, "cursor": cursor}), run({"page_size": 1, "status": "registered"})}
    assert len(counts) == 1, counts


@pytest.mark.django_db
def test_page_shows_the_capped_count_in_chinese(xw, client, monkeypatch):
    _small_cap(monkeypatch, 2)
    for _ in range(2):
        make_case(xw)
    client.force_login(xw.officer)
    html = client.get(reverse("cases:list")).content.decode()
    assert "共 2 条" in html and "超过" not in html
    make_case(xw)
    html = client.get(reverse("cases:list")).content.decode()
    assert "超过 2 件" in html and "共 3 条" not in html
