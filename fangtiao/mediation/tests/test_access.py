"""Who outside the committee sees a mediated case: an expert only the cases they were asked about
(调解专家库), and answers only their own open request; a court liaison only the cases sent to
their court (司法确认, 强制执行)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fangtiao.cases.models import Case
from fangtiao.cases.tests.factories import act
from fangtiao.core.testing.api import ApiClient
from fangtiao.mediation.models import OpinionRequest
from fangtiao.mediation.tests.support import (
    agreed_case,
    head,
    liaison,
    mediating_case,
    mediator,
    refuse,
    unit,
)
from fangtiao.notifications.models import Notification
from fangtiao.org import services as org_services


def _ask(case, xw, **data):
    body = {"expert": xw.w.experts["lawyer"].pk, "question": "物业公司重复收费是否违法？"}
    body.update(data)
    return act(case, mediator(xw), "request_opinion", **body)


def _ids(user, path="/api/v1/cases", **params):
    r = ApiClient(user).get(path, params)
    assert r.status_code == 200, r.content
    return [i["id"] if "id" in i and path == "/api/v1/cases" else i["case"] for i in r.json()["items"]]


class TestExpert:
    def test_sees_only_the_cases_asked_about(self, xw):
        expert = xw.w.users["expert_user"]
        asked, other = mediating_case(xw), mediating_case(xw)
        assert _ids(expert) == []
        asked = _ask(asked, xw)
        req = OpinionRequest.objects.get(case=asked)
        assert (req.expert, req.due_on, req.requested_by) == (xw.w.experts["lawyer"],
                                                             timezone.localdate() + dt.timedelta(days=7), mediator(xw))
        assert Notification.objects.filter(user=expert, kind="opinion_request", case=asked).count() == 1
        assert _ids(expert) == [asked.pk]
        c = ApiClient(expert)
        assert c.get(f"/api/v1/cases/{asked.pk}").status_code == 200
        assert c.get(f"/api/v1/cases/{other.pk}").status_code == 404
        assert c.get(f"/api/v1/cases/{other.pk}/mediator-suggestions").status_code == 404
        assert not Case.objects.visible_to(expert).filter(pk=other.pk).exists()

    def test_answers_only_an_open_request_of_their_own(self, xw):
        expert = xw.w.users["expert_user"]
        asked, other = _ask(mediating_case(xw), xw), mediating_case(xw)
        refuse(other, expert, "record_opinion", 404, opinion="依法应当退还多收费用")
        refuse(asked, expert, "record_opinion", 422, "opinion", opinion="")
        asked = act(asked, expert, "record_opinion", opinion="依据《物业管理条例》，应当退还多收费用")
        req = OpinionRequest.objects.get(case=asked)
        assert req.opinion.startswith("依据") and req.answered_by == expert and req.answered_at is not None
        assert Notification.objects.filter(unit=asked.holder_unit, kind="opinion", case=asked).count() == 1
        refuse(asked, expert, "record_opinion", 403, opinion="补充意见：另需书面致歉")  # nothing open any more
        refuse(asked, expert, "record_session", 403, applicant_statement="专家不能记录调解")
        refuse(asked, head(xw), "record_opinion", 403, opinion="主任代写意见")
        # Asked again, the expert may answer again.
        asked = _ask(asked, xw, question="分期退还是否可行？")
        act(asked, expert, "record_opinion", opinion="可以分期，但应载明期限")
        assert OpinionRequest.objects.filter(case=asked, answered_at__isnull=False).count() == 2

    def test_bad_requests(self, xw):
        case = mediating_case(xw)
        yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
        refuse(case, mediator(xw), "request_opinion", 422, "due_on", expert=xw.w.experts["lawyer"].pk,
               question="是否违法？？", due_on=yesterday)
        refuse(case, mediator(xw), "request_opinion", 422, "expert", expert=999_999, question="是否违法？？")
        no_login = org_services.expert_create(actor=None, name="周医生", kind="specialist", fields=["医疗"],
                                              unit=xw.units["centre"], organisation="区人民医院", specialties=[],
                                              phone="13700000001", user=None)
        refuse(case, mediator(xw), "request_opinion", 422, "expert", expert=no_login.pk, question="伤残等级如何认定？")
        refuse(case, mediator(xw), "request_opinion", 422, "question", expert=xw.w.experts["lawyer"].pk, question="?")


class TestCourt:
    def test_a_liaison_sees_only_what_was_sent_to_the_court(self, xw):
        court_user = liaison(xw)
        sent = agreed_case(xw)
        kept = agreed_case(xw)
        assert _ids(court_user) == []
        sent = act(sent, mediator(xw), "apply_confirmation", court=xw.units["court"].pk)
        assert _ids(court_user) == [sent.pk]
        c = ApiClient(court_user)
        assert c.get(f"/api/v1/cases/{sent.pk}").status_code == 200
        assert c.get(f"/api/v1/cases/{kept.pk}").status_code == 404
        assert _ids(court_user, "/api/v1/confirmations") == [sent.pk]
        refuse(kept, court_user, "record_confirmation", 404, result="confirmed")

    def test_another_courts_liaison_sees_nothing(self, xw):
        tribunal = unit(xw, "东城法庭", "黄岩区人民法院东城人民法庭", "tribunal", "township", xw.t01)
        sent = act(agreed_case(xw), mediator(xw), "apply_confirmation", court=xw.units["court"].pk)
        other = liaison(xw, tribunal)
        assert _ids(other) == [] and _ids(other, "/api/v1/confirmations") == []
        assert ApiClient(other).get(f"/api/v1/cases/{sent.pk}").status_code == 404
        refuse(sent, other, "accept_confirmation", 404)
