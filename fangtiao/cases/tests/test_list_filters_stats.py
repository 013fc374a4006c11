"""The case list's statistics filters (the cases behind a dashboard figure): on generated data each
filter selects exactly the distinct cases stats.reference counts for its measure — mediation rounds
ended agreed/failed (by outcome and committee level), confirmations ruled valid, backlog marked and
resolved, and the rate classes of acceptance, handling and evaluation; bad input is a Chinese
message (page) or a 422 (API), never a 500; the list stays one query whatever the filters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fangtiao.cases.models import Case
from fangtiao.cases.selectors import case_list
from fangtiao.core.testing.api import ApiClient
from fangtiao.mediation.models import BacklogRecord, Confirmation, Mediation
from fangtiao.stats import reference
from fangtiao.stats.tests.gen import generate

PERIODS = [
    (dt.date(2025, 1, 1), dt.date(2025, 12, 31)),  # a year
    (dt.date(2025, 3, 1), dt.date(2025, 3, 31)),   # a month
    (dt.date(2025, 11, 15), dt.date(2026, 2, 10)),  # across the year end, edges inside months
]


@pytest.fixture(scope="module")
def _ids(_shared_world, django_db_blocker):
    """Built once per module inside the shared world's transaction (each test runs in a savepoint)."""
    with django_db_blocker.unblock():
        return set(generate(_shared_world, n=200))


@pytest.fixture
def ids(_ids, xw):
    return _ids


def regions(xw):
    return [("", ""), (xw.district.code, xw.district.path), (xw.t01.code, xw.t01.path)]


def listed(xw, ids, **filters):
    return set(case_list(user=xw.leader, filters=filters).values_list("pk", flat=True)) & ids


def case_ids(qs, ids):
    return set(qs.values_list("case_id", flat=True)) & ids


def reference_cases(path, start, end):
    """stats.reference's receipt-side cases with the latest clock state of each rate."""
    lo, hi = reference.day_bounds(start, end)
    return Case.objects.filter(region_path__startswith=path, received_at__gte=lo, received_at__lt=hi).annotate(
        disp=reference._latest_state("petition.disposition"), acc=reference._latest_state("petition.acceptance_notice"),
        rep=reference._latest_state("petition.handling"), ev=reference._latest_state("satisfaction.window"))


def test_mediation_filters_equal_the_reference(xw, ids):
    seen = 0
    for code, path in regions(xw):
        for start, end in PERIODS:
            rounds = Mediation.objects.filter(case__region_path__startswith=path, status__in=["agreed", "failed"],
                                              ended_on__gte=start, ended_on__lte=end)
            base = {"region": code, "mediated_from": start, "mediated_to": end}
            assert listed(xw, ids, **base) == case_ids(rounds, ids), (code, start)
            for outcome in ("agreed", "failed"):
                expected = case_ids(rounds.filter(status=outcome), ids)
                assert listed(xw, ids, **base, mediation_outcome=outcome) == expected, (code, start, outcome)
                for level in ("village", "township", "district"):
                    expected = case_ids(rounds.filter(status=outcome, unit__level=level), ids)
                    assert listed(xw, ids, **base, mediation_outcome=outcome, mediation_level=level) == expected
                    seen += len(expected)
            # 村级调解成功 (agreed_village): the village share's numerator
            village = case_ids(rounds.filter(status="agreed", unit__level="village"), ids)
            assert listed(xw, ids, **base, mediation_outcome="agreed", mediation_level="village") == village
    assert seen  # the generated data has rounds of every kind
    # the counts are rounds; as distinct cases they are the reference's distinct case ids
    start, end = PERIODS[0]
    n = reference.counts(xw.district.path, start, end)[""]["mediation_agreed"]
    agreed = Mediation.objects.filter(case__region_path__startswith=xw.district.path, status="agreed",
                                      ended_on__gte=start, ended_on__lte=end)
    assert agreed.count() == n
    assert len(listed(xw, ids, region=xw.district.code, mediated_from=start, mediated_to=end,
                      mediation_outcome="agreed")) == agreed.values("case_id").distinct().count()


def test_one_mediation_round_satisfies_all_its_filters(xw, ids):
    """Outcome, level and days are of the same round, not of any two rounds of the case."""
    case = Case.objects.get(pk=min(ids))
    Mediation.objects.filter(case=case).delete()
    Mediation.objects.create(case=case, round=1, unit=xw.unit("v01_committee"), number="T-1", status="failed",
                             started_on=dt.date(2025, 5, 1), ended_on=dt.date(2025, 5, 2))
    Mediation.objects.create(case=case, round=2, unit=xw.unit("district_committee"), number="T-2", status="agreed",
                             started_on=dt.date(2025, 6, 1), ended_on=dt.date(2025, 6, 2))
    Mediation.objects.create(case=case, round=3, unit=xw.unit("v01_committee"), number="T-3", status="refused",
                             started_on=dt.date(2025, 7, 1), ended_on=dt.date(2025, 7, 2))
    one = {case.pk}
    assert listed(xw, one, mediation_outcome="agreed", mediation_level="district") == one
    assert listed(xw, one, mediation_outcome="agreed", mediation_level="village") == set()
    assert listed(xw, one, mediation_outcome="failed", mediated_from=dt.date(2025, 6, 1)) == set()
    assert listed(xw, one, mediated_from=dt.date(2025, 7, 1), mediated_to=dt.date(2025, 7, 31)) == set()  # refused


def test_confirmation_and_backlog_filters_equal_the_reference(xw, ids):
    seen = 0
    for code, path in regions(xw):
        for start, end in PERIODS:
            confirmed = Confirmation.objects.filter(case__region_path__startswith=path, result="confirmed",
                                                    decided_on__gte=start, decided_on__lte=end)
            assert listed(xw, ids, region=code, confirmed_from=start, confirmed_to=end) == case_ids(confirmed, ids)
            backlog = BacklogRecord.objects.filter(case__region_path__startswith=path)
            marked = case_ids(backlog.filter(marked_on__gte=start, marked_on__lte=end), ids)
            resolved = case_ids(backlog.filter(resolved_on__gte=start, resolved_on__lte=end), ids)
            assert listed(xw, ids, region=code, backlog_marked_from=start, backlog_marked_to=end) == marked
            assert listed(xw, ids, region=code, backlog_resolved_from=start, backlog_resolved_to=end) == resolved
            seen += len(marked) + len(resolved)
            if code == xw.district.code:  # one record per generated case: the count is the figure
                figures = reference.counts(path, start, end)[""]
                assert figures["backlog_marked"] == len(marked) and figures["backlog_resolved"] == len(resolved)
    assert seen
    # one bound only
    day = dt.date(2025, 6, 30)
    assert listed(xw, ids, backlog_resolved_to=day) == case_ids(BacklogRecord.objects.filter(resolved_on__lte=day), ids)
    assert listed(xw, ids, confirmed_from=day) == case_ids(
        Confirmation.objects.filter(result="confirmed", decided_on__gte=day), ids)


RATE_CLASSES = [
    ("disposition", "on_time", "disp_timely", Q(disp="met")),
    ("disposition", "late", "disp_late", Q(disp="late")),
    ("disposition", "overdue", "disp_overdue", Q(disp="overdue")),
    ("acceptance", "on_time", "acc_timely", Q(acc="met")),
    ("acceptance", "late", "acc_late", Q(acc="late")),
    ("acceptance", "overdue", "acc_overdue", Q(acc="overdue")),
    ("handling", "on_time", "rep_on_time", Q(rep="met")),
    ("handling", "late", "rep_late", Q(rep="late")),
    ("handling", "pending", "rep_pending", Q(rep__in=["running", "paused"])),
    ("handling", "overdue", "rep_overdue", Q(rep="overdue")),
    ("evaluation", "rated", "rated", ~Q(satisfaction="")),
    ("evaluation", "satisfied", "rated_satisfied", Q(satisfaction__in=["satisfied", "basically"])),
    ("evaluation", "overdue", "eval_overdue", Q(satisfaction="", ev="overdue")),
]


@pytest.mark.parametrize(("name", "value", "measure", "q"), RATE_CLASSES, ids=[f"{r[0]}={r[1]}" for r in RATE_CLASSES])
def test_rate_classes_equal_the_reference(xw, ids, name, value, measure, q):
    seen = 0
    for code, path in regions(xw):
        for start, end in PERIODS:
            expected = set(reference_cases(path, start, end).filter(q).values_list("pk", flat=True)) & ids
            got = listed(xw, ids, region=code, received_from=start, received_to=end, **{name: value})
            assert got == expected, (code, start, name, value)
            if code == "":  # the figure counts cases: with nothing else in the world, the same number
                others = reference_cases(path, start, end).filter(q).exclude(pk__in=ids).count()
                assert reference.counts(path, start, end)[""][measure] == len(expected) + others
            seen += len(expected)
    assert seen, (name, value)


def test_bad_input_is_a_chinese_message_not_an_error(client, xw, ids):
    client.force_login(xw.leader)
    url = reverse("cases:list")
    r = client.get(url, {"mediated_from": "2025-13-45", "confirmed_to": "昨天"})
    assert r.status_code == 200
    html = r.content.decode()
    assert html.count("日期格式不正确") == 2 and 'data-testid="stats-filters" open' in html
    r = client.get(url, {"backlog_marked_from": "2025-06-01", "backlog_marked_to": "2025-05-01"})
    assert r.status_code == 200 and "结束日期不能早于开始日期" in r.content.decode()
    for params in ({"mediation_outcome": "maybe"}, {"mediation_level": "province"}, {"handling": "soon"},
                   {"acceptance": "<script>"}, {"evaluation": "x" * 500}, {"mediated_to": "0000-00-00"}):
        r = client.get(url, params)
        assert r.status_code == 200, params
        assert "选择一个有效的选项" in r.content.decode() or "日期格式不正确" in r.content.decode(), params
    # a bad filter is dropped (the rest still applies), never a wider or a failing list
    r = client.get(url, {"mediation_outcome": "maybe", "mediated_from": "2025-01-01", "mediated_to": "2025-12-31"})
    assert r.status_code == 200
    api = ApiClient(xw.leader)
    for params in ({"mediated_from": "2025-13-01"}, {"mediation_outcome": "maybe"}, {"handling": "soon"},
                   {"backlog_resolved_to": "3000-01-01"}, {"evaluation": "all"}):
        assert api.get("/api/v1/cases", params).status_code == 422, params
    r = api.get("/api/v1/cases", {"mediated_from": "2025-01-01", "mediated_to": "2025-12-31", "mediation_outcome": "agreed",
                                  "mediation_level": "village", "page_size": 100})
    assert r.status_code == 200
    got = {row["id"] for row in r.json()["items"]} & ids
    rounds = Mediation.objects.filter(status="agreed", unit__level="village", ended_on__year=2025)
    assert got == case_ids(rounds, ids) or len(got) == 100


ALL_FILTERS = {
    "received_from": dt.date(2025, 1, 1), "received_to": dt.date(2026, 12, 31),
    "mediated_from": dt.date(2025, 1, 1), "mediated_to": dt.date(2026, 12, 31), "mediation_outcome": "agreed",
    "mediation_level": "village", "confirmed_from": dt.date(2025, 1, 1), "confirmed_to": dt.date(2026, 12, 31),
    "backlog_marked_from": dt.date(2025, 1, 1), "backlog_marked_to": dt.date(2026, 12, 31),
    "backlog_resolved_from": dt.date(2025, 1, 1), "backlog_resolved_to": dt.date(2026, 12, 31),
    "disposition": "on_time", "acceptance": "on_time", "handling": "late", "evaluation": "rated",
}


def test_one_query_whatever_the_filters(client, xw, ids):
    for filters in ({}, ALL_FILTERS, {"handling": "pending"}, {"evaluation": "overdue", "mediated_to": dt.date(2026, 1, 1)}):
        with CaptureQueriesContext(connection) as ctx:
            list(case_list(user=xw.leader, filters=filters)[:30])
        assert len(ctx.captured_queries) == 1, filters
    client.force_login(xw.leader)
    url = reverse("cases:list")
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as plain:
        assert client.get(url).status_code == 200
    params = {k: (f"{v:%Y-%m-%d}" if isinstance(v, dt.date) else v) for k, v in ALL_FILTERS.items()}
    with CaptureQueriesContext(connection) as every:  # likely no case matches all: no page of rows to read
        assert client.get(url, params).status_code == 200
    assert len(every.captured_queries) <= len(plain.captured_queries)
    some = {"mediated_from": "2025-01-01", "mediated_to": "2026-12-31", "mediation_outcome": "agreed",
            "mediation_level": "village", "backlog_marked_from": "2025-01-01", "evaluation": "rated"}
    assert case_list(user=xw.leader, filters={k: dt.date.fromisoformat(v) if k.endswith(("_from", "_to")) else v
                                              for k, v in some.items()}).exists()
    with CaptureQueriesContext(connection) as filtered:
        assert client.get(url, some).status_code == 200
    assert len(filtered.captured_queries) == len(plain.captured_queries)
