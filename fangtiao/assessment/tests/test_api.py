"""The assessment API: GET /assessment/scores scoped to the caller's jurisdiction (other township
→ not listed, detail 404), 403 without the capability, 422 with field errors for bad input, the
compute endpoint, schemes, commendations and accountability, and the list's query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangtiao.assessment import services
from fangtiao.assessment.models import Accountability, Score
from fangtiao.assessment.periods import parse_period
from fangtiao.assessment.tests.support import TODAY, build_month, rebuild
from fangtiao.audit.models import AuditEvent
from fangtiao.cases.tests.factories import frozen
from fangtiao.core.testing.api import ApiClient

URL = "/api/v1/assessment/scores"


@pytest.fixture
def computed(xw):
    rows = build_month(xw)
    rebuild()
    with frozen(TODAY):
        for level in ("township", "village", "mediator"):
            services.scores_compute(actor=xw.w.users["leader"], period=parse_period("2026-05"), level=level)
    return rows


def test_district_leader_sees_the_ranking(xw, computed):
    r = ApiClient(xw.w.users["leader"]).get(URL, {"period": "2026-05", "level": "township"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["count"] == 2 and [i["rank"] for i in body["items"]] == sorted(i["rank"] for i in body["items"])
    first = body["items"][0]
    assert {"rank", "unit", "unit_name", "mediator", "total", "items"} <= set(first)
    assert {"indicator", "value", "points", "numerator", "denominator"} <= set(first["items"][0])
    assert len(first["items"]) == 13


def test_township_leader_sees_only_its_own(xw, computed):
    api = ApiClient(xw.user("t01_subcentre", "leader"))
    body = api.get(URL, {"period": "2026-05", "level": "township"}).json()
    assert [i["unit"] for i in body["items"]] == [xw.unit("t01_subcentre").pk]
    villages = api.get(URL, {"period": "2026-05", "level": "village"}).json()
    assert [i["unit"] for i in villages["items"]] == [xw.unit("v01_committee").pk]
    other = Score.objects.get(period="2026-05", level="township", unit=xw.unit("t02_subcentre"))
    assert api.get(f"{URL}/{other.pk}").status_code == 404
    mine = Score.objects.get(period="2026-05", level="township", unit=xw.unit("t01_subcentre"))
    detail = api.get(f"{URL}/{mine.pk}").json()
    item = next(i for i in detail["items"] if i["indicator"] == "satisfaction_rate")
    cases = api.get(f"{URL}/{mine.pk}/items/{item['id']}/cases").json()
    assert cases["drilldown"] and sorted(c["number"] for c in cases["items"]) == sorted(
        [computed["c1"].number, computed["c2"].number])


def test_a_mediator_sees_only_their_own_score(xw, computed):
    body = ApiClient(xw.w.users["mediator_t01"]).get(URL, {"period": "2026-05", "level": "mediator"}).json()
    assert [i["mediator"] for i in body["items"]] == [xw.w.mediators["wang_t01"].pk]


def test_without_the_capability_403(xw, computed):
    api = ApiClient(xw.w.users["clerk_t01"])
    r = api.get(URL, {"period": "2026-05", "level": "township"})
    assert r.status_code == 403 and r.json()["detail"]
    assert api.post("/api/v1/assessment/compute", {"period": "2026-05", "level": "township"}).status_code == 403
    assert ApiClient(xw.user("t01_subcentre", "officer")).post(
        "/api/v1/assessment/accountability", {"warning": computed["w1"].pk, "unit": xw.unit("t01_subcentre").pk,
                                              "reason": "x", "measure": "notice", "decided_on": "2026-05-20"}
    ).status_code == 403
    assert ApiClient().get(URL, {"period": "2026-05", "level": "township"}).status_code == 401


def test_a_township_leader_cannot_recompute_the_district_ranking(xw, computed):
    """The ranking is the district's: a township leader (who sees only a part of it) may read its own
    scores but not recompute everyone's, edit the schemes or propose commendations."""
    before = sorted(Score.objects.filter(period="2026-05", level="township").values_list("pk", flat=True))
    api = ApiClient(xw.user("t01_subcentre", "leader"))
    r = api.post("/api/v1/assessment/compute", {"period": "2026-05", "level": "township"})
    assert r.status_code == 403 and "区级" in r.json()["detail"]
    assert sorted(Score.objects.filter(period="2026-05", level="township").values_list("pk", flat=True)) == before


@pytest.mark.parametrize(("params", "field"), [
    ({"period": "2026-13", "level": "township"}, "period"),
    ({"period": "五月", "level": "township"}, "period"),
    ({"period": "2026-05", "level": "county"}, "level"),
    ({"level": "township"}, "period"),
    ({"period": "2026-05", "level": "township", "page": 0}, "page"),
])
def test_bad_input_422(xw, params, field):
    r = ApiClient(xw.w.users["leader"]).get(URL, params)
    assert r.status_code == 422
    body = r.json()
    assert body["detail"] and body["errors"][0]["field"] == field and body["errors"][0]["message"]


def test_compute_endpoint(xw):
    api = ApiClient(xw.w.users["leader"])
    build_month(xw)
    rebuild()
    with frozen(TODAY):
        r = api.post("/api/v1/assessment/compute", {"period": "2026-Q2", "level": "township"})
    body = r.json()
    assert r.status_code == 202, r.content
    assert {k: body[k] for k in ("period", "level", "status", "count")} == {
        "period": "2026-Q2", "level": "township", "status": "done", "count": 2}  # inline mode: already done
    assert body["progress"] == {"done": 3, "total": 3, "percent": 100} and body["error"] is None
    assert api.get(f"/api/v1/assessment/compute/{body['id']}").json()["status"] == "done"
    r = api.post("/api/v1/assessment/compute", {"period": "2026-Q9", "level": "township"})
    assert r.status_code == 422 and r.json()["errors"][0] == {"field": "period",
                                                               "message": "考核期格式应为 2026-05（月）、2026-Q2（季）或 2026（年）"}
    assert api.post("/api/v1/assessment/compute", "{not json").status_code == 422
    assert AuditEvent.objects.filter(action="assessment.computed").count() == 1


def test_list_query_count_does_not_grow(xw, computed, django_assert_max_num_queries):
    api = ApiClient(xw.w.users["leader"])
    api.get(URL, {"period": "2026-05", "level": "village"})  # warm the per-process caches
    with CaptureQueriesContext(connection) as two:
        api.get(URL, {"period": "2026-05", "level": "township"})
    with CaptureQueriesContext(connection) as five:
        api.get(URL, {"period": "2026-05", "level": "mediator"})
    assert len(two) == len(five)
    with django_assert_max_num_queries(10):
        api.get(URL, {"period": "2026-05", "level": "mediator"})


def test_schemes_and_indicators(xw):
    api = ApiClient(xw.w.users["officer"])
    schemes = api.get("/api/v1/assessment/schemes").json()
    assert schemes["count"] == 9 and all(sum(i["weight"] for i in s["items"]) == 100 for s in schemes["items"])
    assert api.get("/api/v1/assessment/indicators").json()["count"] == 13
    body = {"name": "新方案", "period_type": "month", "level": "mediator",
            "items": [{"indicator": "mediation_success_rate", "weight": 70, "floor": 0.5, "target": 0.9}]}
    assert api.post("/api/v1/assessment/schemes", body).status_code == 403
    r = ApiClient(xw.w.users["leader"]).post("/api/v1/assessment/schemes", body)
    assert r.status_code == 422 and r.json()["errors"][0] == {"field": "items", "message": "各项权重之和应为 100，当前为 70"}
    body["items"][0]["weight"] = 100
    assert ApiClient(xw.w.users["leader"]).post("/api/v1/assessment/schemes", body).status_code == 201


def test_commendations_and_accountability(xw, computed):
    leader = ApiClient(xw.w.users["leader"])
    r = leader.post("/api/v1/assessment/commendations/propose", {"period": "2026-05", "level": "township", "top": 1})
    assert r.status_code == 201 and r.json()["count"] >= 1
    cid = r.json()["items"][0]["id"]
    assert leader.post(f"/api/v1/assessment/commendations/{cid}/confirm", {}).json()["status"] == "confirmed"
    assert leader.post(f"/api/v1/assessment/commendations/{cid}/confirm", {}).status_code == 409
    assert leader.get("/api/v1/assessment/commendations", {"status": "confirmed"}).json()["count"] == 1
    r = leader.post("/api/v1/assessment/accountability", {
        "warning": computed["w1"].pk, "unit": xw.unit("v01_committee").pk, "person": "张某", "reason": "签收不及时",
        "measure": "interview", "decided_on": "2026-05-20"})
    assert r.status_code == 201, r.content
    assert r.json()["unit_name"] == xw.unit("v01_committee").name
    bad = leader.post("/api/v1/assessment/accountability", {
        "unit": xw.unit("v01_committee").pk, "reason": "x", "measure": "caning", "decided_on": "2026-05-20"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "measure"
    none = leader.post("/api/v1/assessment/accountability", {
        "unit": xw.unit("v01_committee").pk, "reason": "x", "measure": "notice", "decided_on": "2026-05-20"})
    assert none.status_code == 422 and none.json()["errors"][0]["field"] == "warning"
    assert leader.get("/api/v1/assessment/accountability").json()["count"] == 1
    assert ApiClient(xw.user("t02_subcentre", "leader")).get("/api/v1/assessment/accountability").json()["count"] == 0
    assert Accountability.objects.get().decided_on == dt.date(2026, 5, 20)
