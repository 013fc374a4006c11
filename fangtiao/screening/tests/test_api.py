"""The screening and warning endpoints over HTTP: list filters and page shape, the error shape and
codes of API.md (401/403/404/409/422, never a 500), Idempotency-Key, and the query count of the
lists."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangtiao.cases.tests.factories import frozen
from fangtiao.core.testing.api import ApiClient
from fangtiao.core.testing.queries import count_queries
from fangtiao.screening import services
from fangtiao.screening.models import EarlyWarning, Finding, LawyerIntervention, ScreeningRound
from fangtiao.screening.tests.support import (
    lawyer_user,
    person,
    screener,
    t01_leader,
    t02_leader,
    warning,
)


def five(xw):
    """Warnings of several kinds, levels, places and states."""
    return {
        "a": warning(xw, kind="emotion", level="red"),
        "b": warning(xw, kind="repeat", level="yellow"),
        "c": warning(xw, kind="repeat", level="orange", region=xw.v01),
        "d": warning(xw, kind="overdue", level="orange", region=xw.t02, owner=xw.units["t02_subcentre"]),
        "e": warning(xw, kind="collective", level="red", region=xw.district, owner=xw.units["centre"]),
    }


def ids(r):
    assert r.status_code == 200, r.content
    return {w["id"] for w in r.json()["items"]}


class TestWarningList:
    def test_shape_and_filters(self, xw):
        w = five(xw)
        api = ApiClient(xw.leader)
        r = api.get("/api/v1/warnings")
        body = r.json()
        assert set(body) == {"items", "count"} and body["count"] == 5
        item = next(i for i in body["items"] if i["id"] == w["a"].pk)
        assert item["kind"] == "emotion" and item["level"] == "red" and item["status"] == "open"
        assert item["owner_unit"] == xw.units["t01_subcentre"].pk and item["reasons"]
        assert ids(api.get("/api/v1/warnings", {"kind": "repeat"})) == {w["b"].pk, w["c"].pk}
        assert ids(api.get("/api/v1/warnings", {"level": "red"})) == {w["a"].pk, w["e"].pk}
        assert ids(api.get("/api/v1/warnings", {"region": xw.t01.code})) == {w["a"].pk, w["b"].pk, w["c"].pk}
        assert ids(api.get("/api/v1/warnings", {"region": xw.v01.code})) == {w["c"].pk}
        assert ids(api.get("/api/v1/warnings", {"region": "999999"})) == set()
        assert ids(api.get("/api/v1/warnings", {"kind": "repeat", "level": "orange"})) == {w["c"].pk}

    def test_status_filter(self, xw):
        w = five(xw)
        services.warning_resolve(actor=xw.leader, warning_id=w["a"].pk, resolution="已化解")
        services.warning_acknowledge(actor=xw.leader, warning_id=w["b"].pk)
        api = ApiClient(xw.leader)
        assert w["a"].pk not in ids(api.get("/api/v1/warnings"))  # active only by default
        assert ids(api.get("/api/v1/warnings", {"status": "resolved"})) == {w["a"].pk}
        assert ids(api.get("/api/v1/warnings", {"status": "acknowledged"})) == {w["b"].pk}
        assert len(ids(api.get("/api/v1/warnings", {"status": "all"}))) == 5

    def test_pagination(self, xw):
        five(xw)
        api = ApiClient(xw.leader)
        p1 = api.get("/api/v1/warnings", {"page_size": 2}).json()
        p3 = api.get("/api/v1/warnings", {"page_size": 2, "page": 3}).json()
        p9 = api.get("/api/v1/warnings", {"page_size": 2, "page": 9}).json()
        assert (len(p1["items"]), p1["count"], len(p3["items"]), p9["items"], p9["count"]) == (2, 5, 1, [], 5)
        assert api.get("/api/v1/warnings", {"page_size": 200}).status_code == 200
        assert api.get("/api/v1/warnings", {"page_size": 201}).status_code == 422
        assert api.get("/api/v1/warnings", {"page": 0}).status_code == 422

    @pytest.mark.parametrize("params", [{"level": "purple"}, {"status": "gone"}, {"kind": "DROP TABLE"},
                                        {"region": "abc"}, {"owner_unit": "x"}, {"case": -1}])
    def test_bad_filters_are_422_with_the_error_shape(self, xw, params):
        r = ApiClient(xw.leader).get("/api/v1/warnings", params)
        assert r.status_code == 422
        body = r.json()
        assert body["detail"] and isinstance(body["errors"], list) and body["errors"]

    def test_jurisdiction(self, xw):
        w = five(xw)
        assert ids(ApiClient(t02_leader(xw)).get("/api/v1/warnings")) == {w["d"].pk}
        assert ids(ApiClient(t01_leader(xw)).get("/api/v1/warnings")) == {w["a"].pk, w["b"].pk, w["c"].pk}
        r = ApiClient(t02_leader(xw)).get(f"/api/v1/warnings/{w['a'].pk}")
        assert r.status_code == 404
        r = ApiClient(t01_leader(xw)).get(f"/api/v1/warnings/{w['a'].pk}")
        assert r.status_code == 200 and r.json()["interventions"] == []

    def test_list_query_count_does_not_grow(self, xw):
        api = ApiClient(xw.leader)
        warning(xw)
        api.get("/api/v1/warnings")  # the token's first use is recorded once
        one = count_queries(lambda: api.get("/api/v1/warnings"))
        for _ in range(8):
            warning(xw)
        assert count_queries(lambda: api.get("/api/v1/warnings")) == one


class TestWarningWrites:
    def test_acknowledge_resolve_over_http(self, xw):
        w = warning(xw)
        api = ApiClient(t01_leader(xw))
        r = api.post(f"/api/v1/warnings/{w.pk}/acknowledge", {"version": w.version, "note": "已签收"})
        assert r.status_code == 200 and r.json()["status"] == "acknowledged"
        v = r.json()["version"]
        r = api.post(f"/api/v1/warnings/{w.pk}/resolve", {"version": v - 1, "resolution": "已处置"})
        assert r.status_code == 409 and r.json()["detail"]
        r = api.post(f"/api/v1/warnings/{w.pk}/resolve", {"version": v, "resolution": ""})
        assert r.status_code == 422
        r = api.post(f"/api/v1/warnings/{w.pk}/resolve", {"version": v, "resolution": "已上门化解"})
        assert r.status_code == 200 and r.json()["status"] == "resolved"
        r = api.post(f"/api/v1/warnings/{w.pk}/resolve", {"resolution": "再来一次"})
        assert r.status_code == 409

    def test_idempotency_key_returns_the_first_result(self, xw):
        w = warning(xw)
        api = ApiClient(t01_leader(xw))
        key = {"HTTP_IDEMPOTENCY_KEY": "resolve-1"}
        first = api.post(f"/api/v1/warnings/{w.pk}/resolve", {"resolution": "已化解"}, **key)
        again = api.post(f"/api/v1/warnings/{w.pk}/resolve", {"resolution": "已化解"}, **key)
        assert first.status_code == again.status_code == 200
        assert first.json() == again.json()
        other = api.post(f"/api/v1/warnings/{w.pk}/resolve", {"resolution": "另一内容"}, **key)
        assert other.status_code == 422  # the same key with another body
        w2 = warning(xw)
        key = {"HTTP_IDEMPOTENCY_KEY": "lawyer-1"}
        a = api.post(f"/api/v1/warnings/{w2.pk}/lawyer", {"note": "请派律师"}, **key)
        b = api.post(f"/api/v1/warnings/{w2.pk}/lawyer", {"note": "请派律师"}, **key)
        assert a.status_code == b.status_code == 200 and a.json()["id"] == b.json()["id"]
        assert LawyerIntervention.objects.filter(warning=w2).count() == 1

    def test_lawyer_flow_over_http(self, xw):
        w = warning(xw)
        boss = ApiClient(t01_leader(xw))
        r = boss.post(f"/api/v1/warnings/{w.pk}/lawyer", {"note": "信访人扬言越级"})
        assert r.status_code == 200 and r.json()["status"] == "requested"
        li = r.json()["id"]
        assert boss.post(f"/api/v1/interventions/{li}/assign", {"lawyer": 999_999}).status_code == 422
        r = boss.post(f"/api/v1/interventions/{li}/assign", {"lawyer": xw.w.experts["lawyer"].pk})
        assert r.status_code == 200 and r.json()["lawyer"] == xw.w.experts["lawyer"].pk
        lawyer = ApiClient(lawyer_user(xw))
        today = timezone.localdate()
        body = {"met_on": today.isoformat(), "place": "分中心", "summary": "释法明理", "outcome": "escalated"}
        assert lawyer.post(f"/api/v1/interventions/{li}/meeting", {**body, "outcome": "fine"}).status_code == 422
        assert lawyer.post(f"/api/v1/interventions/{li}/meeting",
                           {**body, "met_on": (today + dt.timedelta(days=2)).isoformat()}).status_code == 422
        r = lawyer.post(f"/api/v1/interventions/{li}/meeting", body)
        assert r.status_code == 200 and r.json()["status"] == "met"
        assert EarlyWarning.objects.get(pk=w.pk).level == "red"
        r = ApiClient(t01_leader(xw)).get(f"/api/v1/warnings/{w.pk}")
        assert r.json()["interventions"][0]["outcome"] == "escalated"
        # the lawyer may not handle warnings, nor assign
        assert lawyer.post(f"/api/v1/warnings/{w.pk}/resolve", {"resolution": "x"}).status_code == 403
        assert lawyer.post(f"/api/v1/interventions/{li}/assign", {"lawyer": 1}).status_code == 403

    def test_outside_jurisdiction_is_404_not_403(self, xw):
        w = warning(xw)
        other = ApiClient(t02_leader(xw))
        for path, body in ((f"/api/v1/warnings/{w.pk}/acknowledge", {}), (f"/api/v1/warnings/{w.pk}/resolve",
                                                                          {"resolution": "x"}),
                           (f"/api/v1/warnings/{w.pk}/lawyer", {"note": "x"})):
            assert other.post(path, body).status_code == 404, path
        assert EarlyWarning.objects.get(pk=w.pk).status == "open"


class TestScreeningApi:
    def _round(self, xw):
        services.schedule_rounds(year=2026, month=5)
        return ScreeningRound.objects.get(unit=xw.units["v01_committee"], seq=1, period_start__month=5,
                                          period_start__year=2026)

    def body(self, xw, r, **over):
        b = {"round": r.pk, "version": r.version, "screened_on": "2026-05-12", "screeners": "张三", "places": "一至五组",
             "nil_return": False, "findings": [{"title": "宅基地边界纠纷", "region": xw.v01.code,
                                                "category": "housing_homestead", "headcount": 2, "risk": "medium"}]}
        b.update(over)
        return b

    def test_record_list_detail(self, xw):
        r = self._round(xw)
        api = ApiClient(screener(xw))
        with frozen(dt.date(2026, 5, 14)):
            resp = api.post("/api/v1/screenings", self.body(xw, r))
            assert resp.status_code == 200, resp.content
            out = resp.json()
            assert out["status"] == "done" and len(out["findings"]) == 1 and out["late"] is False
            again = api.post("/api/v1/screenings", self.body(xw, r, version=out["version"]))
            assert again.status_code == 409
        lst = api.get("/api/v1/screenings", {"month": "2026-05"}).json()
        assert set(lst) == {"items", "count"} and lst["count"] == 2  # the committee's two rounds
        mine = next(i for i in lst["items"] if i["id"] == r.pk)
        assert mine["findings_count"] == 1
        assert api.get("/api/v1/screenings", {"status": "done"}).json()["count"] == 1
        assert api.get("/api/v1/screenings", {"month": "2026-13"}).status_code == 422
        assert api.get(f"/api/v1/screenings/{r.pk}").json()["findings"][0]["title"] == "宅基地边界纠纷"

    def test_record_field_errors(self, xw):
        r = self._round(xw)
        api = ApiClient(screener(xw))
        with frozen(dt.date(2026, 5, 14)):
            resp = api.post("/api/v1/screenings", self.body(xw, r, findings=[
                {"title": "越界", "region": xw.v02.code, "headcount": 1}]))
            assert resp.status_code == 422
            assert resp.json()["errors"][0]["field"] == "findings.0.region"
            resp = api.post("/api/v1/screenings", self.body(xw, r, nil_return=True))
            assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "nil_return"
            resp = api.post("/api/v1/screenings", self.body(xw, r, screened_on="2026-02-30"))
            assert resp.status_code == 422

    def test_record_idempotent(self, xw):
        r = self._round(xw)
        api = ApiClient(screener(xw))
        with frozen(dt.date(2026, 5, 14)):
            a = api.post("/api/v1/screenings", self.body(xw, r), HTTP_IDEMPOTENCY_KEY="round-1")
            b = api.post("/api/v1/screenings", self.body(xw, r), HTTP_IDEMPOTENCY_KEY="round-1")
        assert a.status_code == b.status_code == 200 and a.json() == b.json()
        assert Finding.objects.filter(round=r).count() == 1

    def _finding(self, xw):
        r = self._round(xw)
        with frozen(dt.date(2026, 5, 14)):
            ApiClient(screener(xw)).post("/api/v1/screenings", self.body(xw, r))
        return Finding.objects.get(round=r)

    def test_finding_to_case_over_http(self, xw):
        f = self._finding(xw)
        api = ApiClient(screener(xw))
        assert api.post(f"/api/v1/screenings/findings/{f.pk}/case", {}).status_code == 422  # who is it about?
        resp = api.post(f"/api/v1/screenings/findings/{f.pk}/case",
                        {"parties": [person()], "intervene_unit": xw.units["v01_committee"].pk, "consent": True})
        assert resp.status_code == 201, resp.content
        assert resp.json()["status"] == "mediating"
        f.refresh_from_db()
        assert f.case_id == resp.json()["case"] and f.case.channel == "screening"
        again = api.post(f"/api/v1/screenings/findings/{f.pk}/case", {"parties": [person()]})
        assert again.status_code == 409

    def test_finding_to_case_idempotent_and_outside_404(self, xw):
        f = self._finding(xw)
        body = {"parties": [person()]}
        key = {"HTTP_IDEMPOTENCY_KEY": "to-case-1"}
        a = ApiClient(screener(xw)).post(f"/api/v1/screenings/findings/{f.pk}/case", body, **key)
        b = ApiClient(screener(xw)).post(f"/api/v1/screenings/findings/{f.pk}/case", body, **key)
        assert a.status_code == b.status_code == 201 and a.json() == b.json()
        assert ApiClient(xw.clerk_t02).post(f"/api/v1/screenings/findings/{f.pk}/case", body).status_code == 404

    def test_completion_and_plans(self, xw):
        self._round(xw)
        api = ApiClient(xw.leader)
        r = api.get("/api/v1/screenings/completion", {"from": "2026-05-01", "to": "2026-05-31"})
        assert r.status_code == 200 and len(r.json()) == 6
        assert api.get("/api/v1/screenings/completion", {"from": "2026-05-31", "to": "2026-05-01"}).status_code == 422
        assert api.get("/api/v1/screenings/completion", {"from": "2026-05-01"}).status_code == 422
        r = api.get("/api/v1/screenings/completion", {"from": "2026-05-01", "to": "2026-05-31", "by": "township"})
        assert r.status_code == 200 and sum(row["due"] for row in r.json()) == 12
        r = api.post("/api/v1/screenings/plans", {"unit": xw.units["v01_committee"].pk, "rounds_per_month": 4})
        assert r.status_code == 200 and r.json()["rounds_per_month"] == 4
        assert api.post("/api/v1/screenings/plans", {"unit": xw.units["v01_committee"].pk,
                                                     "rounds_per_month": 9}).status_code == 422
        assert ApiClient(t02_leader(xw)).post("/api/v1/screenings/plans", {"unit": xw.units["v01_committee"].pk}
                                              ).status_code == 404
        assert ApiClient(xw.clerk_t01).post("/api/v1/screenings/plans", {"unit": xw.units["v01_committee"].pk}
                                            ).status_code == 403


ODD_GETS = [
    ("/api/v1/warnings", {"page": "x"}), ("/api/v1/warnings", {"page_size": "-5"}),
    ("/api/v1/warnings", {"region": "1" * 40}), ("/api/v1/warnings", {"kind": "é"}),
    ("/api/v1/warnings", {"owner_unit": "99999999999999999999999"}), ("/api/v1/screenings", {"unit": str(2**70)}),
    ("/api/v1/warnings", {"case": str(2**63)}),
    ("/api/v1/warnings/0", {}),
    ("/api/v1/warnings/99999999999", {}), ("/api/v1/hotspots", {"from": "2026-02-30"}),
    ("/api/v1/hotspots", {"from": "2026-05-10", "to": "2026-05-01"}), ("/api/v1/hotspots", {"to": "0001-01-01"}),
    ("/api/v1/hotspots", {"region": "x"}), ("/api/v1/hotspots/99999999999", {}),
    ("/api/v1/hotspots/runs/0", {}), ("/api/v1/screenings", {"month": "2026-00"}),
    ("/api/v1/screenings", {"month": "9999-12"}), ("/api/v1/screenings", {"unit": "0"}),
    ("/api/v1/screenings/999999", {}),
    ("/api/v1/screenings/completion", {"from": "1800-01-01", "to": "2026-01-01"}),
    ("/api/v1/screenings/completion", {"from": "2026-01-01", "to": "2026-02-01", "by": "village"}),
    ("/api/v1/screenings/completion", {"from": "2026-01-01", "to": "2026-02-01", "region": "\u0000"}),
]
ODD_POSTS = [
    ("/api/v1/warnings/1/acknowledge", "{not json"), ("/api/v1/warnings/1/acknowledge", "[]"),
    ("/api/v1/warnings/1/resolve", {"resolution": None}), ("/api/v1/warnings/1/resolve", {"version": "x",
                                                                                          "resolution": "a"}),
    ("/api/v1/warnings/1/lawyer", {"note": "x" * 5000}), ("/api/v1/interventions/1/assign", {"lawyer": "abc"}),
    ("/api/v1/interventions/1/meeting", {"met_on": "tomorrow"}), ("/api/v1/hotspots/runs", {"from": "x", "to": "y"}),
    ("/api/v1/hotspots/runs", {}), ("/api/v1/screenings", {"round": "1"}), ("/api/v1/screenings", "null"),
    ("/api/v1/screenings", {"round": 1, "screened_on": "2026-05-01", "screeners": "a", "places": "b",
                            "findings": [{"title": "ab", "region": "x"}]}),
    ("/api/v1/screenings/findings/1/case", {"kind": "alien"}), ("/api/v1/screenings/plans", {"unit": 10**30}),
    ("/api/v1/routing/suggest", {"title": "\ud800"}), ("/api/v1/routing/suggest", {"title": "x", "region": "1" * 50}),
]


class TestNeverA500:
    @pytest.mark.parametrize(("path", "params"), ODD_GETS)
    def test_odd_gets(self, xw, path, params):
        r = ApiClient(xw.leader).get(path, params)
        assert r.status_code in (200, 404, 422), (path, params, r.status_code, r.content[:300])
        if r.status_code != 200:
            assert "detail" in r.json()

    @pytest.mark.parametrize(("path", "body"), ODD_POSTS)
    def test_odd_posts(self, xw, path, body):
        r = ApiClient(xw.leader).post(path, body)
        assert r.status_code in (404, 409, 422), (path, body, r.status_code, r.content[:300])
        assert "detail" in r.json()

    def test_bad_json_is_422(self, xw):
        w = warning(xw)
        r = ApiClient(xw.leader).post(f"/api/v1/warnings/{w.pk}/resolve", "{\"resolution\": ")
        assert r.status_code == 422 and r.json()["detail"]
