"""The case API of API.md: intake, list, detail, actions and their HTTP statuses, masking and
audited reveal, 检举控告 access, Idempotency-Key, and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.models import Case
from fangtiao.cases.tests.factories import (
    act,
    actor_for,
    ask_expert,
    bad_payload,
    case_in_state,
    expected_status,
    footprint,
    intake,
    make_case,
    permitted_user,
    person,
    valid_payload,
    variant,
)
from fangtiao.cases.workflow import TRANSITIONS
from fangtiao.core.errors import ValidationFailed
from fangtiao.core.models import NumberSequence
from fangtiao.core.testing.api import ApiClient
from fangtiao.notifications.models import Notification


def api(user=None):
    return ApiClient(user)


def _source(t):
    order = ["registered", "accepted", "handling", "mediating", "transferring", "replied", "reviewing", "re_reviewing",
             "agreed", "confirming", "performing", "closed"]
    source = next((s for s in order if s in t.sources), sorted(t.sources)[0])
    return variant(t.action, source)


def _wrong_state(t):
    return next(s for s in ("archived", "registered", "closed") if s not in t.sources)


@pytest.mark.parametrize("t", TRANSITIONS, ids=[t.action for t in TRANSITIONS])
def test_action_statuses_over_http(xw, t):
    """200 for a permitted holder, 403 for another role, 404 in another township, 409 for a stale
    version, 422 for bad input with field errors — each refusal changing nothing."""
    case = case_in_state(xw, _source(t))
    user = permitted_user(xw, case, t.action)
    url = f"/api/v1/cases/{case.pk}/actions/{t.action}"
    payload = valid_payload(xw, case, t.action, user)
    body = {**payload, "version": case.version}
    clients = {
        "ok": api(user),
        "role": api(xw.user(case.holder_unit, "admin")),
        "stranger": api(xw.user("t02_subcentre", sorted(t.roles)[0])),
    }
    before = footprint(case)

    r = clients["role"].post(url, body)
    assert r.status_code == 403 and not r.json()["detail"].isascii()
    r = clients["stranger"].post(url, body)
    assert r.status_code == 404 and r.json()["detail"] == "未找到该事项，或不在您的管辖范围内"
    r = clients["ok"].post(url, {**body, "version": case.version + 1})
    assert r.status_code == 409 and "刷新" in r.json()["detail"]
    data, field = bad_payload(xw, case, t.action, user)
    r = clients["ok"].post(url, {**data, "version": case.version})
    assert r.status_code == 422
    assert field in {e["field"] for e in r.json()["errors"]}
    r = clients["ok"].post(url, {k: v for k, v in body.items() if k != "version"})
    assert r.status_code == 422 and "version" in {e["field"] for e in r.json()["errors"]}
    r = clients["ok"].post(url, "{not json")
    assert r.status_code == 422
    assert footprint(case) == before

    expected = expected_status(case, t.action, payload)
    r = clients["ok"].post(url, body)
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["status"] == expected and out["version"] == case.version + 1
    assert out["events"][-1]["action"] == t.action


@pytest.mark.parametrize("t", TRANSITIONS, ids=[t.action for t in TRANSITIONS])
def test_wrong_state_over_http_is_409(xw, t):
    state = _wrong_state(t)
    case = case_in_state(xw, state)
    if t.roles == {"expert"}:
        ask_expert(xw, case)  # else the case does not exist for the expert (404)
        user = xw.expert_user
    else:
        user = xw.user(case.holder_unit, sorted(t.roles)[0])
    r = api(user).post(f"/api/v1/cases/{case.pk}/actions/{t.action}",
                       {**valid_payload(xw, case, t.action, user), "version": case.version})
    assert r.status_code == 409, (state, r.content)
    assert "不能" in r.json()["detail"]


class TestActionEndpoints:
    def test_unknown_action_is_404_and_no_credentials_401(self, xw):
        case = make_case(xw)
        officer = xw.user(case.holder_unit, "officer")
        assert api(officer).post(f"/api/v1/cases/{case.pk}/actions/explode", {"version": 1}).status_code == 404
        assert api().post(f"/api/v1/cases/{case.pk}/actions/accept", {"version": 1}).status_code == 401
        assert api().get(f"/api/v1/cases/{case.pk}/actions").status_code == 401
        assert api(officer).post("/api/v1/cases/999999/actions/accept", {"version": 1}).status_code == 404

    def test_auditor_has_no_case_access(self, xw):
        case = make_case(xw)
        auditor = api(xw.auditor)
        assert auditor.get(f"/api/v1/cases/{case.pk}").status_code == 403
        assert auditor.get("/api/v1/cases").status_code == 403
        assert auditor.post(f"/api/v1/cases/{case.pk}/actions/accept", {"version": 1}).status_code == 403

    def test_actions_listing_shape(self, xw):
        case = make_case(xw)
        data = api(xw.user(case.holder_unit, "officer")).get(f"/api/v1/cases/{case.pk}/actions").json()
        accept = next(a for a in data if a["action"] == "accept")
        assert accept["label"] == "受理" and accept["input_schema"] == "AcceptIn" and "23条" in accept["basis"]
        assert "version" in accept["schema"]["properties"]

    def test_lost_update_over_http(self, xw):
        case = make_case(xw)
        a, b = api(xw.user(case.holder_unit, "officer")), api(xw.user(case.holder_unit, "leader"))
        read_a = a.get(f"/api/v1/cases/{case.pk}").json()["version"]
        read_b = b.get(f"/api/v1/cases/{case.pk}").json()["version"]
        assert a.post(f"/api/v1/cases/{case.pk}/actions/accept", {"version": read_a}).status_code == 200
        r = b.post(f"/api/v1/cases/{case.pk}/actions/reject", {"version": read_b, "reason": "不属于受理范围",
                                                                "channel": "other"})
        assert r.status_code == 409
        assert Case.objects.get(pk=case.pk).status == "accepted"


class TestIntakeOverHttp:
    def test_created_with_number_flags_clocks_similar_and_query_code(self, xw):
        p = person()
        earlier = make_case(xw, parties=[p])
        r = api(xw.clerk_t01).post("/api/v1/cases", intake(parties=[p]))
        assert r.status_code == 201, r.content
        out = r.json()
        case = Case.objects.get(pk=out["id"])
        assert out["number"] == case.number and "访调〔" in out["number"]
        assert out["status"] == "registered" and out["flags"]["repeat"] is True
        assert {c["name"] for c in out["clocks"]} == {"信访部门登记后处理（转送/交办）", "书面告知受理"}
        assert all(set(c) >= {"name", "due", "rule", "state"} for c in out["clocks"])
        assert any("第23条" in c["rule"] for c in out["clocks"])
        assert [s["id"] for s in out["similar"]] == [earlier.pk]
        assert len(out["query_code"]) == 12
        assert [lk["case"] for lk in out["links"]] == [earlier.pk]

    def test_422_in_chinese_and_nothing_created(self, xw):
        c = api(xw.clerk_t01)
        before = Case.objects.count()
        r = c.post("/api/v1/cases", intake(parties=[person(id_number="331003198001011230")], nature=None))
        assert r.status_code == 422
        errors = {e["field"]: e["message"] for e in r.json()["errors"]}
        assert set(errors) >= {"nature", "parties.0.id_number"} and all(not m.isascii() for m in errors.values())
        r = c.post("/api/v1/cases", {"channel": "visit"})
        assert r.status_code == 422 and {"kind", "title", "region"} <= {e["field"] for e in r.json()["errors"]}
        assert Case.objects.count() == before
        assert not NumberSequence.objects.filter(scope="case").exists()

    def test_roles_that_may_not_register(self, xw):
        for user in (xw.auditor, xw.expert_user, xw.admin):
            assert api(user).post("/api/v1/cases", intake()).status_code == 403
        assert Case.objects.count() == 0


class TestMasking:
    def test_detail_and_list_mask_id_and_phone(self, xw):
        p = person()
        case = make_case(xw, parties=[p])
        c = api(xw.user(case.holder_unit, "officer"))
        detail = c.get(f"/api/v1/cases/{case.pk}")
        assert detail.status_code == 200
        party = detail.json()["parties"][0]
        assert party["id_number_masked"] == p["id_number"][:6] + "********" + p["id_number"][-4:]
        assert party["phone_masked"] == p["phone"][:3] + "****" + p["phone"][-4:]
        for r in (detail, c.get("/api/v1/cases"), c.get(f"/api/v1/cases/{case.pk}/actions"),
                  c.get(f"/api/v1/cases/{case.pk}/similar")):
            text = r.content.decode()
            assert p["id_number"] not in text and p["phone"] not in text and p["address"] not in text
        assert "id_number" not in party and "phone" not in party

    def test_intake_response_is_masked_too(self, xw):
        p = person()
        r = api(xw.clerk_t01).post("/api/v1/cases", intake(parties=[p]))
        assert r.status_code == 201
        assert p["id_number"] not in r.content.decode() and p["phone"] not in r.content.decode()

    def test_landline_mask(self, xw):
        case = make_case(xw, parties=[person(phone="0576-84123456")])
        party = api(xw.officer).get(f"/api/v1/cases/{case.pk}").json()["parties"][0]
        assert party["phone_masked"] == "0576-****3456"


class TestReveal:
    def _url(self, case):
        return f"/api/v1/cases/{case.pk}/parties/{case.parties.get().pk}/reveal"

    @pytest.mark.parametrize(("unit", "role"), [("t01_subcentre", "clerk"), ("t01_subcentre", "officer"),
                                                ("centre", "leader"), ("t01_committee", "committee_head")])
    def test_permitted_roles_see_the_value_and_it_is_audited(self, xw, unit, role):
        p = person()
        case = make_case(xw, parties=[p])
        user = xw.user(unit, role)
        for field in ("id_number", "phone", "address"):
            r = api(user).post(self._url(case), {"field": field, "reason": "电话回访"})
            assert r.status_code == 200 and r.json() == {"value": p[field]}
        events = AuditEvent.objects.filter(action="pii.revealed", actor_id=user.pk).order_by("id")
        assert [e.extra["field"] for e in events] == ["id_number", "phone", "address"]
        assert events[0].extra["case"] == case.number and events[0].extra["reason"] == "电话回访"
        assert events[0].subject_type == "cases.party" and p["id_number"] not in str(events[0].extra)

    def test_mediator_may_not(self, xw):
        case = make_case(xw)
        r = api(xw.mediator_t01).post(self._url(case), {"field": "id_number"})
        assert r.status_code == 403
        assert not AuditEvent.objects.filter(action="pii.revealed").exists()

    def test_other_township_is_404(self, xw):
        case = make_case(xw)
        r = api(xw.clerk_t02).post(self._url(case), {"field": "phone"})
        assert r.status_code == 404
        assert not AuditEvent.objects.filter(action="pii.revealed").exists()

    def test_party_of_another_case_and_bad_field(self, xw):
        a, b = make_case(xw), make_case(xw)
        clerk = api(xw.clerk_t01)
        r = clerk.post(f"/api/v1/cases/{a.pk}/parties/{b.parties.get().pk}/reveal", {"field": "phone"})
        assert r.status_code == 404
        assert clerk.post(self._url(a), {"field": "password"}).status_code == 422
        assert not AuditEvent.objects.filter(action="pii.revealed").exists()


class TestAccusations:
    """检举控告类 (第30条第3款, 第46条(5)): readable only by those who handle it; never by the accused unit."""

    def _case(self, xw, accused="line_dept"):
        return make_case(xw, nature="accusation", accused_unit=xw.unit(accused).pk, title="举报住建局工作人员违规收费")

    @pytest.mark.parametrize(("unit", "role"), [("t01_subcentre", "officer"), ("t01_subcentre", "leader"),
                                                ("centre", "officer"), ("centre", "leader")])
    def test_readable_by_officers_and_leaders(self, xw, unit, role):
        case = self._case(xw)
        c = api(xw.user(unit, role))
        assert c.get(f"/api/v1/cases/{case.pk}").status_code == 200
        assert case.pk in [i["id"] for i in c.get("/api/v1/cases").json()["items"]]

    @pytest.mark.parametrize(("unit", "role"), [("t01_subcentre", "clerk"), ("t01_committee", "committee_head"),
                                                ("t01_committee", "mediator"), ("centre", "admin")])
    def test_not_readable_by_other_roles(self, xw, unit, role):
        case = self._case(xw)
        c = api(xw.user(unit, role))
        if role == "admin":  # the system administrator handles no cases at all (GB/T 22239 8.1.4.2 d): 403
            assert c.get(f"/api/v1/cases/{case.pk}").status_code == 403
            assert c.get("/api/v1/cases").status_code == 403
            return
        assert c.get(f"/api/v1/cases/{case.pk}").status_code == 404
        assert case.pk not in [i["id"] for i in c.get("/api/v1/cases").json()["items"]]

    @pytest.mark.parametrize("role", ["officer", "leader", "clerk"])
    def test_never_by_the_accused_unit_even_in_the_jurisdiction(self, xw, role):
        case = self._case(xw)
        accused = xw.user("line_dept", role)
        c = api(accused)
        for path in (f"/api/v1/cases/{case.pk}", f"/api/v1/cases/{case.pk}/actions", f"/api/v1/cases/{case.pk}/similar"):
            assert c.get(path).status_code == 404, path
        assert case.pk not in [i["id"] for i in c.get("/api/v1/cases").json()["items"]]
        r = c.post(f"/api/v1/cases/{case.pk}/parties/{case.parties.get().pk}/reveal", {"field": "phone"})
        assert r.status_code == 404
        r = c.post(f"/api/v1/cases/{case.pk}/actions/report_major", {"version": case.version, "note": "查看"})
        assert r.status_code == 404

    def test_never_handed_to_the_accused_unit(self, xw):
        """第30条第3款: the accusation cannot be transferred, routed or escalated to the accused unit."""
        case = self._case(xw)
        officer = xw.user(case.holder_unit, "officer")
        with pytest.raises(ValidationFailed) as exc:
            act(case, officer, "transfer", to_unit=xw.line_dept.pk)
        assert "被检举控告的单位" in exc.value.errors[0].message
        assert api(xw.user("line_dept", "officer")).get(f"/api/v1/cases/{case.pk}").status_code == 404
        assert not Notification.objects.filter(unit=xw.line_dept).exists()

    def test_links_do_not_show_an_accusation(self, xw):
        """A clerk registering a matter of the same person does not see the accusation through its links."""
        p = person()
        secret = make_case(xw, nature="accusation", accused_unit=xw.line_dept.pk, parties=[p], actor=xw.officer)
        r = api(xw.clerk_t01).post("/api/v1/cases", intake(parties=[p]))
        assert r.status_code == 201
        assert secret.number not in r.content.decode()
        page = ApiClient(xw.clerk_t01).get(f"/api/v1/cases/{r.json()['id']}")
        assert secret.number not in page.content.decode()

    def test_intake_similar_hints_do_not_leak_accusations(self, xw):
        p = person()
        secret = make_case(xw, nature="accusation", accused_unit=xw.line_dept.pk, parties=[p], actor=xw.officer)
        r = api(xw.clerk_t01).post("/api/v1/cases", intake(parties=[p]))
        assert r.status_code == 201
        assert secret.pk not in [s["id"] for s in r.json()["similar"]]


class TestIdempotency:
    def test_same_key_same_case(self, xw):
        c = api(xw.clerk_t01)
        body = intake()
        first = c.post("/api/v1/cases", body, HTTP_IDEMPOTENCY_KEY="form-123")
        again = c.post("/api/v1/cases", body, HTTP_IDEMPOTENCY_KEY="form-123")
        assert first.status_code == 201 and again.status_code == 201
        assert first.json()["id"] == again.json()["id"] and first.json()["number"] == again.json()["number"]
        assert Case.objects.count() == 1
        other = c.post("/api/v1/cases", intake(), HTTP_IDEMPOTENCY_KEY="form-124")
        assert other.json()["id"] != first.json()["id"]
        assert Case.objects.get(pk=other.json()["id"]).number_seq == 2  # the replay consumed no number

    def test_same_key_on_another_endpoint_is_422(self, xw):
        c = api(xw.clerk_t01)
        created = c.post("/api/v1/cases", intake(), HTTP_IDEMPOTENCY_KEY="k-1").json()
        r = c.post(f"/api/v1/cases/{created['id']}/actions/withdraw", {"version": 1, "reason": "撤回"},
                   HTTP_IDEMPOTENCY_KEY="k-1")
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "Idempotency-Key"
        assert Case.objects.get(pk=created["id"]).status == "registered"

    def test_keys_are_per_user(self, xw):
        a = api(xw.clerk_t01).post("/api/v1/cases", intake(), HTTP_IDEMPOTENCY_KEY="same").json()
        b = api(xw.officer).post("/api/v1/cases", intake(), HTTP_IDEMPOTENCY_KEY="same").json()
        assert a["id"] != b["id"] and Case.objects.count() == 2

    def test_failed_request_is_not_remembered(self, xw):
        c = api(xw.clerk_t01)
        assert c.post("/api/v1/cases", intake(nature=None), HTTP_IDEMPOTENCY_KEY="retry").status_code == 422
        assert c.post("/api/v1/cases", intake(), HTTP_IDEMPOTENCY_KEY="retry").status_code == 201
        assert Case.objects.count() == 1

    def test_bad_key_is_400(self, xw):
        # a malformed header, not invalid input: 400 (IETF Idempotency-Key draft; issue 9, ADR 0019)
        r = api(xw.clerk_t01).post("/api/v1/cases", intake(), HTTP_IDEMPOTENCY_KEY="k" * 101)
        assert r.status_code == 400 and Case.objects.count() == 0
        assert r.json()["errors"][0]["field"] == "Idempotency-Key"

    def test_double_clicked_action_acts_once(self, xw):
        case = make_case(xw)
        c = api(xw.user(case.holder_unit, "officer"))
        url = f"/api/v1/cases/{case.pk}/actions/accept"
        one = c.post(url, {"version": 1}, HTTP_IDEMPOTENCY_KEY="accept-1")
        two = c.post(url, {"version": 1}, HTTP_IDEMPOTENCY_KEY="accept-1")
        assert one.status_code == two.status_code == 200 and one.json() == two.json()
        assert Case.objects.get(pk=case.pk).version == 2
        assert AuditEvent.objects.filter(action="case.accept").count() == 1


class TestList:
    def test_jurisdiction_and_filters(self, xw):
        a = make_case(xw, headcount=6, parties=[person(is_representative=True)])
        b = make_case(xw, actor=xw.clerk_t02, region="331003002201", channel="letter", category="neighbour",
                      oral_record="")
        accepted = case_in_state(xw, "accepted")

        def ids(user, **params):
            r = api(user).get("/api/v1/cases", params)
            assert r.status_code == 200
            return {i["id"] for i in r.json()["items"]}

        assert ids(xw.clerk_t01) == {a.pk, accepted.pk}
        assert ids(xw.clerk_t02) == {b.pk}
        assert ids(xw.officer) == {a.pk, b.pk, accepted.pk}
        assert ids(xw.officer, status="accepted") == {accepted.pk}
        assert ids(xw.officer, flag="collective") == {a.pk}
        assert ids(xw.officer, region="331003002") == {b.pk}
        assert ids(xw.officer, channel="letter") == {b.pk}
        assert ids(xw.officer, category="neighbour") == {b.pk}
        assert ids(xw.officer, q=a.number) == {a.pk}
        assert ids(xw.officer, region="999999") == set()
        assert api(xw.officer).get("/api/v1/cases", {"flag": "bogus"}).status_code == 422
        assert api(xw.officer).get("/api/v1/cases", {"page_size": 201}).status_code == 422
        item = api(xw.officer).get("/api/v1/cases", {"q": a.number}).json()["items"][0]
        assert set(item) >= {"id", "number", "version", "status", "kind", "channel", "category", "region", "title",
                             "holder_unit", "flags"}


class TestQueryCounts:
    def _cases(self, xw, n):
        for i in range(n):
            case = make_case(xw, parties=[person(), person(role="respondent")])
            if i % 2:
                act(case, actor_for(xw, case, "accept"), "accept")

    def test_list_is_constant_in_page_size(self, xw):
        self._cases(xw, 8)
        make_case(xw, actor=xw.clerk_t02, region="331003002201")
        c = api(xw.officer)

        def run(size):
            with CaptureQueriesContext(connection) as ctx:
                r = c.get("/api/v1/cases", {"page_size": size})
            assert r.status_code == 200 and len(r.json()["items"]) == min(size, 9)
            return len(ctx.captured_queries)

        run(1)  # warm: the token's first use is recorded once
        assert run(1) == run(50)

    def test_detail_is_bounded_whatever_the_case_holds(self, xw):
        small = make_case(xw)
        cases = []
        for n in (1, 5):
            case = case_in_state(xw, "handling+co", parties=[person() for _ in range(n)])
            for _ in range(n):
                act(case, xw.leader, "supervise", note="抓紧")
                act(case, xw.officer, "report_major", note="重大")
            act(case, xw.head_t01, "co_reply", reply="已核实")
            cases.append(case)
        c = api(xw.officer)
        c.get(f"/api/v1/cases/{small.pk}")

        def run(case):
            with CaptureQueriesContext(connection) as ctx:
                assert c.get(f"/api/v1/cases/{case.pk}").status_code == 200
            return len(ctx.captured_queries)

        assert run(cases[0]) == run(cases[1])  # 5× the parties, events and supervisions: same queries
        assert run(small) <= run(cases[1]) <= 16

    def _mediated(self, xw, n):
        """A mediated case with n of everything its mediation block lists: parties (notices, signatures),
        sessions, participants, opinions, risks, obligations with performances, follow-ups."""
        case = case_in_state(xw, "mediating+ready", parties=[person(), *(person(role="respondent") for _ in range(n))])
        head, liaison = xw.user(case.holder_unit, "committee_head"), xw.user(xw.units["court"], "court_liaison")
        party = case.parties.order_by("id").last().pk
        due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
        for i in range(n):
            case = act(case, head, "record_session", applicant_statement=f"第{i}次陈述", present=[party])
            case = act(case, head, "book_session", **valid_payload(xw, case, "book_session", head))
            case = act(case, head, "invite", name=f"邻居{i}", relation="neighbour", consent=True)
            case = act(case, head, "request_opinion", **valid_payload(xw, case, "request_opinion", head))
            case = act(case, head, "report_risk", description=f"风险{i}，情绪激动")
        case = act(case, head, "agree", form="written", terms="分期退还",
                   obligations=[{"party": party, "content": f"第{i + 1}期退款", "amount": "100.00", "due_on": due}
                                for i in range(n)])
        case = act(case, head, "apply_confirmation", court=xw.units["court"].pk)
        case = act(case, liaison, "record_confirmation", result="confirmed")
        for ob in case.obligations.all():
            case = act(case, head, "record_performance", obligation=ob.pk, amount="50.00")
        for i in range(n):
            case = act(case, head, "follow_up", method="phone", satisfaction="satisfied", notes=f"回访{i}")
        assert case.status == "performing"
        return case

    def test_mediated_detail_is_constant_in_sessions_and_obligations(self, xw):
        """The `mediation` block (mediation.api.mediation_out → selectors.mediation_summary) costs the same
        whether a case has one or five sessions, obligations, performances, follow-ups…"""
        one, five = self._mediated(xw, 1), self._mediated(xw, 5)
        c = api(xw.officer)
        c.get(f"/api/v1/cases/{one.pk}")

        def run(case):
            with CaptureQueriesContext(connection) as ctx:
                r = c.get(f"/api/v1/cases/{case.pk}")
                assert r.status_code == 200
            return len(ctx.captured_queries), r.json()["mediation"]

        (n1, m1), (n5, m5) = run(one), run(five)
        assert len(m1["sessions"]) == 3 and len(m1["obligations"]) == 1
        assert len(m5["sessions"]) == 11 and len(m5["obligations"]) == 5 and len(m5["follow_ups"]) == 5
        assert all(len(o["performances"]) == 1 for o in m5["obligations"])
        assert n1 == n5, (n1, n5)
        # 11 for the case itself (see the test above) + 21 for the mediation block: the existence check, the
        # rounds with their 5 prefetches, agreements with obligations, performances and signatures,
        # confirmations, opinions, follow-ups, enforcements, risks, backlog, archive, and the 4 of
        # handlers.enforcement_deadline (the agreement, confirmation and due dates read again, the calendar)
        assert n5 <= 34  # + the documents block (one prefetch)

    def test_actions_listing_is_bounded(self, xw):
        case = case_in_state(xw, "handling")
        c = api(xw.user(case.holder_unit, "officer"))
        c.get(f"/api/v1/cases/{case.pk}/actions")
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(f"/api/v1/cases/{case.pk}/actions").status_code == 200
        assert len(ctx.captured_queries) <= 20

