"""GET /api/v1/stats/summary, /monthly and /breakdown: every API.md figure with `previous`, the
caller's jurisdiction (a township leader sees its own figures only), bad input as 422 with field
errors, 403 without the capability, 404 for a region outside, and bounded query counts."""

from __future__ import annotations

import datetime as dt

import pytest

from fangtiao.core.testing.api import ApiClient
from fangtiao.core.testing.queries import count_queries
from fangtiao.stats import reference, services
from fangtiao.stats.tests.gen import generate

FIGURES = ["total", "petitions", "disputes", "repeat", "skip_level", "collective", "accepted_on_time_rate",
           "closed_on_time_rate", "satisfaction_rate", "mediated", "mediation_success_rate", "village_level_share",
           "confirmations", "confirmations_performed_rate", "backlog_open", "backlog_resolved", "consultations"]


@pytest.fixture
def data(xw):
    generate(xw, n=300, seed=11)
    services.rebuild()


def get(user, path="/api/v1/stats/summary", **params):
    return ApiClient(user).get(path, params)


class TestSummary:
    def test_every_figure_for_the_period_and_a_year_earlier(self, xw, data):
        r = get(xw.leader, **{"from": "2026-01-01", "to": "2026-06-30"})
        assert r.status_code == 200, r.content
        body = r.json()
        for name in FIGURES:
            assert name in body and name in body["previous"], name
        now = reference.totals(xw.district.path, dt.date(2026, 1, 1), dt.date(2026, 6, 30))
        before = reference.totals(xw.district.path, dt.date(2025, 1, 1), dt.date(2025, 6, 30))
        assert body["total"] == now["total"] and body["previous"]["total"] == before["total"]
        assert body["consultations"] == now["consultations"]
        assert body["backlog_open"] == reference.backlog_open(xw.district.path, dt.date(2026, 6, 30))
        assert body["period"]["previous_from"] == "2025-01-01"
        assert body["source"] == "rollup"

    def test_township_leader_sees_its_own_figures_only(self, xw, data):
        t01_leader = xw.user("t01_subcentre", "leader")
        mine = get(t01_leader, **{"from": "2025-01-01", "to": "2025-12-31"}).json()
        assert mine["total"] == reference.totals(xw.t01.path, dt.date(2025, 1, 1), dt.date(2025, 12, 31))["total"]
        district = get(xw.leader, **{"from": "2025-01-01", "to": "2025-12-31"}).json()
        assert 0 < mine["total"] < district["total"]
        assert get(t01_leader, region=xw.t02.code).status_code == 404
        assert get(t01_leader, region=xw.district.code).status_code == 404
        assert get(t01_leader, region=xw.v01.code).status_code == 200
        assert get(xw.leader, region=xw.t02.code).status_code == 200

    def test_village_region_is_counted_directly(self, xw, data):
        body = get(xw.leader, region=xw.v01.code, **{"from": "2025-01-01", "to": "2025-12-31"}).json()
        assert body["source"] == "direct"
        assert body["total"] == reference.totals(xw.v01.path, dt.date(2025, 1, 1), dt.date(2025, 12, 31))["total"]

    @pytest.mark.parametrize("params", [
        {"from": "2026-13-01"}, {"to": "昨天"}, {"from": "2026-06-01", "to": "2026-01-01"},
        {"from": "2010-01-01", "to": "2026-01-01"}, {"region": "abc"}, {"region": "1" * 13}, {"from": "0001-01-01"},
    ])
    def test_bad_input_is_422_with_field_errors(self, xw, params):
        r = get(xw.leader, **params)
        assert r.status_code == 422, (params, r.content)
        assert r.json()["detail"] and isinstance(r.json()["errors"], list)

    def test_unknown_region_is_404(self, xw):
        assert get(xw.leader, region="999999999").status_code == 404

    def test_capability_and_login(self, xw):
        assert get(xw.user("t01_subcentre", "clerk")).status_code == 403
        assert get(xw.user("t01_subcentre", "mediator")).status_code == 403
        assert ApiClient().get("/api/v1/stats/summary").status_code == 401

    def test_query_count_is_bounded(self, xw, data):
        api = ApiClient(xw.leader)
        api.get("/api/v1/stats/summary")  # warm the token and the user
        n = count_queries(lambda: api.get("/api/v1/stats/summary", {"from": "2025-02-10", "to": "2025-11-20"}))
        # token, user, unit; region level; 3 period parts × 2 periods; backlog 2 × 2 — independent of the data
        assert n <= 18, n


class TestSeries:
    def test_monthly_with_previous_year(self, xw, data):
        body = get(xw.leader, "/api/v1/stats/monthly", **{"from": "2026-01-01", "to": "2026-06-30"}).json()
        assert [m["month"] for m in body["months"]] == [f"2026-0{i}-01" for i in range(1, 7)]
        assert [m["month"] for m in body["previous"]] == [f"2025-0{i}-01" for i in range(1, 7)]
        assert sum(m["total"] for m in body["months"]) == reference.totals(
            xw.district.path, dt.date(2026, 1, 1), dt.date(2026, 6, 30))["total"]

    def test_breakdown_by_channel(self, xw, data):
        body = get(xw.leader, "/api/v1/stats/breakdown", dim="channel", **{"from": "2025-01-01", "to": "2025-12-31"}).json()
        direct = reference.counts(xw.district.path, dt.date(2025, 1, 1), dt.date(2025, 12, 31), dim="channel")
        assert {k: v["total"] for k, v in body["channel"].items() if v["total"]} == {
            k: v["total"] for k, v in direct.items() if v["total"]}
        assert get(xw.leader, "/api/v1/stats/breakdown", dim="colour").status_code == 422
