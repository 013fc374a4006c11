"""The mediation API: the `mediation` block of GET /api/v1/cases/{id}, the whole back half over HTTP
(transfer receipt → archived) with an idempotent write, the query count of the detail, and the
mediation endpoints' authentication and permissions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.tests.factories import act, make_case
from fangtiao.clocks.services import work_calendar
from fangtiao.core.testing.api import ApiClient
from fangtiao.mediation.models import ArchiveFile, Performance, Room
from fangtiao.mediation.tests.support import (
    confirmed_case,
    head,
    held,
    liaison,
    mediating_case,
    mediator,
    parties,
    two_parties,
)

TZ = ZoneInfo("Asia/Shanghai")


class Journey:
    """Posts actions with the version of the last response, as a browser would."""

    def __init__(self, case_id, version):
        self.case_id = case_id
        self.version = version
        self.last = None

    def post(self, user, action, key=None, **body):
        extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        r = ApiClient(user).post(f"/api/v1/cases/{self.case_id}/actions/{action}", {**body, "version": self.version},
                                 **extra)
        assert r.status_code == 200, (action, r.status_code, r.content.decode())
        self.last = r.json()
        self.version = self.last["version"]
        return self.last


def test_the_whole_back_half_over_http(xw):
    """Received from the 东城 sub-centre → assigned → told → booked and held → signed → confirmed →
    performed → followed up → closed → archived, every step through POST …/actions/{name}."""
    case = make_case(xw, parties=two_parties())
    officer = xw.user("t01_subcentre", "officer")
    j = Journey(case.pk, case.version)
    j.post(officer, "accept", notice="已受理")
    out = j.post(officer, "route", to="mediation", unit=xw.units["t01_committee"].pk, consent=True, task="请调解")
    assert out["status"] == "transferring"
    assert ApiClient(head(xw)).get(f"/api/v1/cases/{case.pk}").json()["mediation"] is None

    out = j.post(head(xw), "receive", note="已签收")
    assert out["status"] == "mediating" and out["mediation"]["rounds"][0]["status"] == "open"
    p0, p1 = (p["id"] for p in out["parties"])
    sugg = ApiClient(head(xw)).get(f"/api/v1/cases/{case.pk}/mediator-suggestions").json()
    j.post(head(xw), "assign", mediators=[sugg[0]["mediator"]], reason="系统推荐第一")
    for p in (p0, p1):
        j.post(mediator(xw), "record_notice", party=p, consent="consented", wants_public=False)
    room = Room.objects.create(unit=xw.units["t01_committee"], name="第一调解室")
    rooms = ApiClient(mediator(xw)).get("/api/v1/mediation/rooms", {"unit": xw.units["t01_committee"].pk}).json()
    assert [r["id"] for r in rooms["items"]] == [room.pk]
    start = timezone.localtime() + dt.timedelta(days=1)
    out = j.post(mediator(xw), "book_session", starts_at=start.replace(hour=9, minute=0, second=0, microsecond=0).isoformat(),
                 room=room.pk)
    session = out["mediation"]["sessions"][0]
    assert session["status"] == "scheduled" and session["room"] == str(room)
    j.post(mediator(xw), "record_session", session=session["id"], present=[p0, p1], applicant_statement="多收300元",
           respondent_statement="同意退还", outcome="agreed")
    today = timezone.localdate()
    out = j.post(mediator(xw), "agree", form="written", terms="物业公司退还300元", signed=False, obligations=[
        {"party": p1, "content": "退还电梯维修费", "amount": "300.00", "due_on": (today + dt.timedelta(days=10)).isoformat()}])
    assert out["status"] == "agreed" and out["mediation"]["agreement"]["status"] == "signing"
    assert out["mediation"]["agreement"]["copies"] == 3 and len(out["mediation"]["agreement"]["missing_signatures"]) == 4
    out = j.post(mediator(xw), "sign_agreement", signatures=[
        {"signer": str(p0), "method": "sign"}, {"signer": str(p1), "method": "seal"},
        {"signer": "mediator", "mediator": sugg[0]["mediator"]}, {"signer": "seal"}])
    assert out["mediation"]["agreement"]["status"] == "effective"
    assert out["mediation"]["agreement"]["effective_on"] == today.isoformat()
    courts = ApiClient(mediator(xw)).get(f"/api/v1/cases/{case.pk}/courts").json()
    j.post(mediator(xw), "apply_confirmation", court=courts[0]["court"])
    j.post(liaison(xw), "accept_confirmation", court_number="（2026）浙1003民特8号")
    out = j.post(liaison(xw), "record_confirmation", result="confirmed")
    assert out["status"] == "performing" and out["mediation"]["confirmation"]["result"] == "confirmed"
    ob = out["mediation"]["agreement"]["obligations"][0]

    # A double-clicked payment: the same Idempotency-Key returns the same answer and records once.
    url = f"/api/v1/cases/{case.pk}/actions/record_performance"
    body = {"obligation": ob["id"], "amount": "100.00", "proof_kind": "transfer", "version": j.version}
    client = ApiClient(mediator(xw))
    first = client.post(url, body, HTTP_IDEMPOTENCY_KEY="pay-1")
    audits = AuditEvent.objects.count()
    again = client.post(url, body, HTTP_IDEMPOTENCY_KEY="pay-1")
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert Performance.objects.filter(obligation_id=ob["id"]).count() == 1
    assert AuditEvent.objects.count() == audits
    j.version = first.json()["version"]
    assert first.json()["mediation"]["agreement"]["obligations"][0]["status"] == "partial"

    out = j.post(mediator(xw), "record_performance", obligation=ob["id"], proof_kind="receipt")
    assert out["status"] == "performed"
    j.post(mediator(xw), "follow_up", method="phone", satisfaction="satisfied", party=p0, performance="已退款")
    j.post(head(xw), "close", note="履行完毕")
    out = j.post(head(xw), "archive", note="")
    assert out["status"] == "archived"
    assert out["mediation"]["archive"]["number"] == ArchiveFile.objects.get(case_id=case.pk).number
    assert [e["action"] for e in out["events"]][-3:] == ["follow_up", "close", "archive"]


def test_the_mediation_block(xw):
    case = confirmed_case(xw)
    ob = case.obligations.get()
    case = act(case, mediator(xw), "record_performance", obligation=ob.pk, amount="100.00")
    case = act(case, mediator(xw), "follow_up", method="visit", satisfaction="basically", notes="尚欠200元")
    r = ApiClient(head(xw)).get(f"/api/v1/cases/{case.pk}")
    assert r.status_code == 200
    block = r.json()["mediation"]
    assert {"rounds", "mediators", "sessions", "agreement", "obligations", "confirmation", "follow_ups"} <= set(block)
    (m,) = block["mediators"]
    assert (m["id"], m["name"], m["chosen_by"], m["lead"]) == (xw.w.mediators["wang_t01"].pk, "王小明", "committee", True)
    (s,) = block["sessions"]
    assert set(s) >= {"id", "status", "starts_at", "present", "outcome"} and s["status"] == "held"
    a = block["agreement"]
    assert (a["form"], a["status"], a["copies"]) == ("written", "effective", 3)
    (o,) = a["obligations"]
    assert (o["id"], o["status"], o["amount"], o["performed_amount"]) == (ob.pk, "partial", "300.00", "100.00")
    assert o["performances"][0]["amount"] == "100.00" and block["obligations"] == a["obligations"]
    assert block["confirmation"]["result"] == "confirmed" and block["confirmation"]["court"] == xw.units["court"].pk
    (f,) = block["follow_ups"]
    assert (f["method"], f["satisfaction"], f["notes"]) == ("visit", "basically", "尚欠200元")
    # 2 years from the last due date (民诉法 第250条), moved past a closing weekend or holiday (第85条).
    deadline = dt.date.fromisoformat(block["enforcement_deadline"])
    plain = ob.due_on.replace(year=ob.due_on.year + 2)
    assert plain <= deadline <= plain + dt.timedelta(days=8)
    assert deadline == plain or not work_calendar(plain, plain).is_workday(plain)
    assert block["rounds"][0]["notices"][0]["consent"] == "consented"


def test_a_replaced_mediator_shows_inactive_with_the_reason(xw):
    case = mediating_case(xw)
    act(case, head(xw), "replace_mediator", mediator=xw.w.mediators["wang_t01"].pk,
        replacement=xw.w.mediators["shan_t01"].pk, party=parties(case)[0].pk, reason="当事人申请更换")
    rows = ApiClient(head(xw)).get(f"/api/v1/cases/{case.pk}").json()["mediation"]["mediators"]
    assert [(x["name"], x["active"], x["end_reason"]) for x in rows] == [
        ("王小明", False, "当事人申请更换"), ("单晓曾", True, "")]


def _rich(xw, n):
    """A confirmed case with `n` sessions, `n` obligations each part paid, and `n` follow-ups."""
    case = mediating_case(xw)
    for _ in range(n - 1):
        case = held(case, xw)
    due = timezone.localdate() + dt.timedelta(days=30)
    case = confirmed_case(xw, case=case, obligations=[
        {"content": f"第{i + 1}期", "amount": "100.00", "due_on": due, "instalment": f"{i + 1}/{n}"} for i in range(n)])
    for ob in case.obligations.all():
        case = act(case, mediator(xw), "record_performance", obligation=ob.pk, amount="10.00")
    for _ in range(n):
        case = act(case, mediator(xw), "follow_up", method="phone", satisfaction="satisfied")
    return case


def test_the_detail_costs_the_same_whatever_the_case_holds(xw):
    small, big = _rich(xw, 1), _rich(xw, 5)
    assert big.obligations.count() == 5 and big.follow_ups.count() == 5
    c = ApiClient(xw.officer)
    c.get(f"/api/v1/cases/{small.pk}")  # warm: the token's first use is recorded once

    def run(case):
        with CaptureQueriesContext(connection) as ctx:
            r = c.get(f"/api/v1/cases/{case.pk}")
        assert r.status_code == 200
        return len(ctx.captured_queries)

    assert run(small) == run(big)
    assert len(c.get(f"/api/v1/cases/{big.pk}").json()["mediation"]["sessions"]) == 5


ENDPOINTS = ["/api/v1/mediation/rooms", "/api/v1/confirmations", "/api/v1/archives",
             "/api/v1/mediation/confirmation-performance"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_endpoints_need_a_login_and_case_access(xw, path):
    assert ApiClient().get(path).status_code == 401
    assert ApiClient(xw.auditor).get(path).status_code == 403
    assert ApiClient(xw.officer).get(path).status_code == 200


@pytest.mark.parametrize("tail", ["mediator-suggestions", "courts"])
def test_case_endpoints_need_a_login_and_the_jurisdiction(xw, tail):
    case = mediating_case(xw)
    path = f"/api/v1/cases/{case.pk}/{tail}"
    assert ApiClient().get(path).status_code == 401
    assert ApiClient(xw.auditor).get(path).status_code == 403
    assert ApiClient(xw.user("t02_committee", "committee_head")).get(path).status_code == 404
    assert ApiClient(head(xw)).get(path).status_code == 200
    assert ApiClient(head(xw)).get("/api/v1/cases/999999/" + tail).status_code == 404


def test_rooms_are_those_of_visible_units(xw):
    east = Room.objects.create(unit=xw.units["t01_committee"], name="东城调解室")
    west = Room.objects.create(unit=xw.units["t02_committee"], name="西城调解室")
    Room.objects.create(unit=xw.units["t01_committee"], name="停用调解室", active=False)

    def ids(user, **params):
        return [r["id"] for r in ApiClient(user).get("/api/v1/mediation/rooms", params).json()["items"]]

    assert east.pk in ids(head(xw)) and west.pk not in ids(head(xw))
    assert set(ids(xw.officer)) == {east.pk, west.pk}
    assert ids(xw.officer, unit=xw.units["t02_committee"].pk) == [west.pk]
