"""Consultations and lawyers' participation: rules, bad input (nothing changed), permission and
jurisdiction, the encrypted and masked phone, audit rows, the list's query count, the counts
against a hand count, and the API contract."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.tests.factories import make_case
from fangtiao.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from fangtiao.core.testing.api import ApiClient
from fangtiao.core.testing.queries import count_queries
from fangtiao.legalservice import selectors, services
from fangtiao.legalservice.models import Consultation, LawyerParticipation


def clerk(xw):
    return xw.user("t01_subcentre", "clerk")


def record(xw, actor=None, **kw):
    data = {"channel": "visit", "region": xw.v01.code, "asker_name": "张三", "asker_phone": "13912340000",
            "topic": "土地承包纠纷咨询", "question": "承包地被占用怎么办？", "answer": "可申请调解或仲裁。",
            "lawyer": xw.w.experts["lawyer"].pk, "duration_minutes": 20}
    data.update(kw)
    return services.consultation_record(actor=actor or clerk(xw), **data)


class TestRecord:
    def test_recorded_numbered_encrypted_audited(self, xw):
        c = record(xw)
        assert c.status == "answered" and c.number.endswith("号") and "法咨" in c.number
        assert record(xw).number != c.number
        raw = connection.cursor()
        raw.execute("SELECT asker_phone FROM legalservice_consultation WHERE id = %s", [c.pk])
        assert "13912340000" not in raw.fetchone()[0]
        assert Consultation.objects.get(pk=c.pk).asker_phone == "13912340000"
        assert c.phone_masked != "13912340000" and c.phone_masked.endswith("0000")
        ev = AuditEvent.objects.filter(action="consultation.recorded").latest("id")
        assert "13912340000" not in str(ev.changes)

    def test_pending_without_answer(self, xw):
        assert record(xw, answer="").status == "pending"

    @pytest.mark.parametrize("bad", [
        {"channel": "fax"}, {"region": "999999"}, {"asker_name": " "}, {"asker_phone": "12345"}, {"topic": ""},
        {"question": ""}, {"duration_minutes": 0}, {"lawyer": 99999999}, {"category": "nope"},
        {"region": "331003002201"},  # 下叶村 is outside the 东城 clerk's jurisdiction
    ])
    def test_bad_input_changes_nothing(self, xw, bad):
        before = (Consultation.objects.count(), AuditEvent.objects.count())
        with pytest.raises(ValidationFailed):
            record(xw, **bad)
        assert (Consultation.objects.count(), AuditEvent.objects.count()) == before

    def test_capability(self, xw):
        with pytest.raises(PermissionDenied):
            record(xw, actor=xw.user("t01_subcentre", "auditor"))


class TestAnswerAndCase:
    def test_answer_once(self, xw):
        c = record(xw, answer="")
        c = services.consultation_answer(actor=clerk(xw), consultation_id=c.pk, answer="答复", version=c.version)
        assert c.status == "answered" and c.version == 2
        with pytest.raises(Conflict):
            services.consultation_answer(actor=clerk(xw), consultation_id=c.pk, answer="再答")
        assert AuditEvent.objects.filter(action="consultation.answered").count() == 1

    def test_version_conflict(self, xw):
        c = record(xw, answer="")
        with pytest.raises(Conflict):
            services.consultation_answer(actor=clerk(xw), consultation_id=c.pk, answer="答复", version=9)

    def test_to_case_once(self, xw):
        c = record(xw, channel="phone")
        case = services.consultation_to_case(actor=clerk(xw), consultation_id=c.pk)
        c.refresh_from_db()
        assert c.case_id == case.pk and c.status == "referred" and case.channel == "phone"
        assert case.parties.get().name == "张三"
        with pytest.raises(Conflict):
            services.consultation_to_case(actor=clerk(xw), consultation_id=c.pk)
        assert AuditEvent.objects.filter(action="consultation.to_case").count() == 1

    def test_other_township_cannot_see(self, xw):
        c = record(xw)
        other = xw.user("t02_subcentre", "clerk")
        assert selectors.consultation_get(user=other, pk=c.pk) is None
        with pytest.raises(NotFound):
            services.consultation_to_case(actor=other, consultation_id=c.pk)
        assert selectors.consultation_get(user=xw.leader, pk=c.pk) is not None


class TestOnlineAndParticipation:
    def test_online_request_waits_at_territorial_unit(self, xw):
        c = services.consultation_request_online(region=xw.v01.code, asker_name="李四", asker_phone="13800001111",
                                                 topic="工资拖欠", question="老板欠薪三个月。")
        assert c.status == "pending" and c.channel == "online" and c.unit == xw.units["t01_subcentre"]
        with pytest.raises(ValidationFailed):
            services.consultation_request_online(region=xw.v01.code, asker_name="李四", asker_phone="",
                                                 topic="x", question="y")

    def test_participation(self, xw):
        case = make_case(xw)
        p = services.participation_record(actor=clerk(xw), case_id=case.pk, lawyer=xw.w.experts["lawyer"].pk,
                                          kind="mediation", role="explain", held_on=dt.date(2026, 1, 5))
        assert p.region_path == case.region_path
        assert AuditEvent.objects.filter(action="lawyer.participated").count() == 1
        with pytest.raises(NotFound):
            services.participation_record(actor=xw.user("t02_subcentre", "clerk"), case_id=case.pk,
                                          lawyer=xw.w.experts["lawyer"].pk, kind="mediation", role="explain",
                                          held_on=dt.date(2026, 1, 5))
        assert LawyerParticipation.objects.count() == 1


class TestSelectors:
    def test_counts_equal_hand_count(self, xw):
        rows = [record(xw, channel=ch, lawyer=lw) for ch, lw in
                [("visit", xw.w.experts["lawyer"].pk), ("visit", None), ("phone", xw.w.experts["lawyer"].pk),
                 ("online", None)]]
        services.consultation_to_case(actor=clerk(xw), consultation_id=rows[0].pk)
        today = dt.date.today()
        out = selectors.consultation_counts(xw.leader, today - dt.timedelta(days=1), today + dt.timedelta(days=1))
        assert out["total"] == 4 and out["by_channel"] == {"visit": 2, "phone": 1, "online": 1}
        assert out["by_lawyer"] == [{"lawyer": xw.w.experts["lawyer"].pk, "name": "孙律师", "count": 2}]
        assert out["to_case"] == 1 and out["minutes"] == 80
        assert selectors.consultation_counts(xw.leader, None, None, xw.t02.code)["total"] == 0

    def test_list_query_count_bounded(self, xw):
        for _ in range(3):
            record(xw)
        api = ApiClient(xw.leader)
        api.get("/api/v1/consultations")  # warm the session and the user's roles
        q3 = count_queries(lambda: api.get("/api/v1/consultations"))
        for _ in range(5):
            record(xw)
        q8 = count_queries(lambda: api.get("/api/v1/consultations"))
        assert api.get("/api/v1/consultations").json()["count"] == 8
        assert q8 == q3


class TestApi:
    def test_contract(self, xw):
        api = ApiClient(clerk(xw))
        body = {"channel": "visit", "region": xw.v01.code, "asker_name": "张三", "asker_phone": "13912340000",
                "topic": "继承咨询", "question": "遗产如何分割？"}
        r = api.post("/api/v1/consultations", body)
        assert r.status_code == 201, r.content
        item = r.json()
        assert item["status"] == "pending" and item["asker_phone"] != "13912340000"
        lst = api.get("/api/v1/consultations", {"status": "pending", "q": "继承"}).json()
        assert set(lst) == {"items", "count"} and lst["count"] == 1
        r = api.post(f"/api/v1/consultations/{item['id']}/answer", {"answer": "依法定继承。", "version": 1})
        assert r.status_code == 200 and r.json()["status"] == "answered"
        assert api.post(f"/api/v1/consultations/{item['id']}/answer", {"answer": "again"}).status_code == 409
        r = api.post(f"/api/v1/consultations/{item['id']}/case", {})
        assert r.status_code == 201 and r.json()["case_number"]
        assert api.post(f"/api/v1/consultations/{item['id']}/case", {}).status_code == 409
        assert api.get(f"/api/v1/consultations/{item['id']}").json()["case"] == r.json()["case"]
        counts = api.get("/api/v1/consultations/counts", {"from": "2000-01-01", "to": "2100-01-01"}).json()
        assert counts["total"] == 1
        case = make_case(xw)
        r = api.post(f"/api/v1/cases/{case.pk}/lawyer-participations",
                     {"lawyer": xw.w.experts["lawyer"].pk, "kind": "petition_meeting", "role": "witness",
                      "held_on": "2026-01-02"})
        assert r.status_code == 201, r.content

    def test_errors_never_500(self, xw):
        api = ApiClient(clerk(xw))
        c = record(xw)
        n = Consultation.objects.count()
        for path, params in [("/api/v1/consultations", {"from": "2026-13-01"}),
                             ("/api/v1/consultations", {"lawyer": str(2**70)}),
                             ("/api/v1/consultations/counts", {"to": "x"})]:
            assert api.get(path, params).status_code == 422
        assert api.get(f"/api/v1/consultations/{2**70}").status_code in (404, 422)
        bad = {"channel": "visit", "region": xw.v01.code, "asker_name": "张\x00三", "topic": "t", "question": "q"}
        assert api.post("/api/v1/consultations", bad).status_code == 422
        assert api.post("/api/v1/consultations", {**bad, "asker_name": "张三", "region": "999999"}).status_code == 422
        assert api.post(f"/api/v1/consultations/{2**70}/answer", {"answer": "a"}).status_code in (404, 422)
        assert Consultation.objects.count() == n
        assert ApiClient(xw.user("t02_subcentre", "clerk")).get(f"/api/v1/consultations/{c.pk}").status_code == 404
        assert ApiClient(xw.user("t01_subcentre", "auditor")).get("/api/v1/consultations").status_code == 403
        assert ApiClient(None).get("/api/v1/consultations").status_code == 401
