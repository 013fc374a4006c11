"""The permission matrix of the screening endpoints (STYLE.md §13): anonymous → 401, a role without
the capability → 403, an object outside the jurisdiction → 404 (never a 403 that leaks it), the
permitted user → 2xx. Who holds which capability is org.permissions; here: that each endpoint asks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from fangtiao.core.testing.api import ApiClient
from fangtiao.screening import services
from fangtiao.screening.models import Hotspot, HotspotRun, ScreeningRound
from fangtiao.screening.tests.support import screener, t01_leader, t02_leader, warning


@dataclass
class Objects:
    warning: Any
    round: Any
    hotspot: Any


def objects(xw) -> Objects:
    services.schedule_rounds(year=2026, month=5)
    r = ScreeningRound.objects.get(unit=xw.units["v01_committee"], seq=1, period_start__year=2026, period_start__month=5)
    run = HotspotRun.objects.create(window_start=dt.date(2026, 5, 1), window_end=dt.date(2026, 5, 31), status="done")
    h = Hotspot.objects.create(run=run, label="停车费", terms=["停车费"], size=5, trend="new", region=xw.t01,
                               region_path=xw.t01.path, window_start=run.window_start, window_end=run.window_end)
    return Objects(warning=warning(xw), round=r, hotspot=h)


# endpoint → (method, path, body, who lacks the capability, in-jurisdiction permitted user, outside user)
def matrix(xw, o: Objects):
    clerk, auditor, mediator = xw.clerk_t01, xw.user("centre", "auditor"), xw.user("t01_committee", "mediator")
    lead, far = t01_leader(xw), t02_leader(xw)
    return [
        ("GET", "/api/v1/warnings", None, auditor, clerk, None),
        ("GET", f"/api/v1/warnings/{o.warning.pk}", None, mediator, clerk, far),
        ("POST", f"/api/v1/warnings/{o.warning.pk}/acknowledge", {}, clerk, lead, far),
        ("POST", f"/api/v1/warnings/{o.warning.pk}/lawyer", {"note": "请派律师"}, mediator, lead, far),
        ("GET", "/api/v1/hotspots", None, clerk, lead, None),
        ("GET", f"/api/v1/hotspots/{o.hotspot.pk}", None, clerk, lead, far),
        ("GET", "/api/v1/screenings", None, clerk, mediator, None),
        ("GET", f"/api/v1/screenings/{o.round.pk}", None, clerk, mediator, xw.user("t02_committee", "mediator")),
        ("GET", "/api/v1/screenings/completion?from=2026-05-01&to=2026-05-31", None, clerk, lead, None),
        ("POST", "/api/v1/screenings/plans", {"unit": xw.units["v01_committee"].pk}, clerk, screener(xw),
         xw.user("t02_committee", "committee_head")),
        ("POST", "/api/v1/routing/suggest", {"title": "拖欠工资"}, auditor, clerk, None),
        ("POST", "/api/v1/routing/retrain", {}, clerk, None, None),
        ("POST", "/api/v1/hotspots/runs", {"from": "2026-05-01", "to": "2026-05-31"}, xw.user("t01_committee",
                                                                                             "committee_head"), None, None),
    ]


def call(user, method, path, body):
    api = ApiClient(user)
    return api.get(path) if method == "GET" else api.post(path, body)


def test_the_matrix(xw):
    o = objects(xw)
    for method, path, body, lacking, permitted, outside in matrix(xw, o):
        assert call(None, method, path, body).status_code == 401, path
        assert call(lacking, method, path, body).status_code == 403, path
        if outside is not None:
            assert call(outside, method, path, body).status_code == 404, path
        if permitted is not None:
            r = call(permitted, method, path, body)
            assert r.status_code in (200, 201, 202), (path, r.status_code, r.content[:300])


def test_screening_record_permissions(xw):
    o = objects(xw)
    body = {"round": o.round.pk, "screened_on": "2026-05-12", "screeners": "张三", "places": "全村", "nil_return": True}
    assert call(None, "POST", "/api/v1/screenings", body).status_code == 401
    assert call(xw.clerk_t01, "POST", "/api/v1/screenings", body).status_code == 403
    assert call(t01_leader(xw), "POST", "/api/v1/screenings", body).status_code == 403  # leaders view, committees record
    assert call(xw.user("t02_committee", "mediator"), "POST", "/api/v1/screenings", body).status_code == 404
    o.round.refresh_from_db()
    assert o.round.status == "scheduled"


@pytest.mark.parametrize(("unit", "role"), [("t02_subcentre", "clerk"), ("t02_subcentre", "officer"),
                                          ("t02_subcentre", "leader"), ("t02_committee", "committee_head")])
def test_a_warning_of_another_township_is_404_for_every_role(xw, unit, role):
    w = warning(xw)
    assert call(xw.user(unit, role), "GET", f"/api/v1/warnings/{w.pk}", None).status_code == 404


def test_accusation_warnings_hidden_from_clerks_and_the_accused_unit(xw):
    from fangtiao.screening.tests.support import BENIGN, petitioner, register

    officer = xw.user("t01_subcentre", "officer")
    c = register(xw, BENIGN, parties=[petitioner()], actor=officer, nature="accusation",
                 accused_unit=xw.units["t01_committee"].pk, escalation_risk=True)
    w = c.warnings.get(kind="emotion")
    assert call(xw.clerk_t01, "GET", f"/api/v1/warnings/{w.pk}", None).status_code == 404
    assert w.pk not in {i["id"] for i in ApiClient(xw.clerk_t01).get("/api/v1/warnings").json()["items"]}
    assert call(xw.user("t01_committee", "committee_head"), "GET", f"/api/v1/warnings/{w.pk}", None).status_code == 404
    assert call(officer, "GET", f"/api/v1/warnings/{w.pk}", None).status_code == 200
