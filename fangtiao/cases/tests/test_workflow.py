"""The lifecycle state machine, table-driven from workflow.TRANSITIONS.

For every transition and every state it leaves: each permitted role at the holding unit
succeeds; every other role is refused (403); a permitted role at another unit of the same
jurisdiction is refused where only the holder may act; another township does not see the case
(404); a stale version and bad input change nothing (409, 422). For every state: every action
not allowed from it is a 409, and every action offered to a user (GET …/actions, the buttons)
is one that then succeeds."""

from __future__ import annotations

import pytest
from django.db import transaction

from fangtiao.audit.models import AuditEvent
from fangtiao.cases import services
from fangtiao.cases.choices import Status
from fangtiao.cases.models import Case, CaseEvent, CoTask, Supervision, Transfer
from fangtiao.cases.tests.factories import (
    ALL_ROLES,
    STATE_STEPS,
    act,
    acting_unit,
    actor_for,
    ask_expert,
    bad_payload,
    case_in_state,
    confirmation_court,
    expected_status,
    footprint,
    fresh,
    make_case,
    other_unit,
    permitted_user,
    valid_payload,
    variant,
)
from fangtiao.cases.workflow import BY_ACTION, TRANSITIONS
from fangtiao.clocks.models import Clock
from fangtiao.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from fangtiao.core.testing.api import ApiClient
from fangtiao.notifications.models import Notification
from fangtiao.org.permissions import has_capability


class _Rollback(Exception):
    pass


def try_in_savepoint(case_pk, actor, action, data):
    """Perform an action and undo it: returns the resulting case (or raises the refusal)."""
    result = None
    try:
        with transaction.atomic():
            services.case_act(case=case_pk, actor=actor, action=action, data=data)
            result = fresh(case_pk)
            raise _Rollback
    except _Rollback:
        pass
    return result


PAIRS = [(t.action, s) for t in TRANSITIONS for s in sorted(t.sources)]
STATES = [s.value for s in Status]


def _elsewhere(action):
    """What a permitted role at another unit of the case's jurisdiction gets, for actions any unit may take:
    None (it succeeds), or the refusal. The court's actions belong to the court the confirmation was
    applied to (403 for a liaison elsewhere); an opinion to the expert consulted (an expert not asked
    does not see the case: 404)."""
    if BY_ACTION[action].roles == {"court_liaison"}:
        return PermissionDenied
    if action == "record_opinion":
        return NotFound
    return None


@pytest.mark.parametrize(("action", "source"), PAIRS, ids=[f"{a}-from-{s}" for a, s in PAIRS])
def test_transition_matrix(xw, action, source):
    t = BY_ACTION[action]
    case = case_in_state(xw, variant(action, source))
    before = footprint(case)
    unit = acting_unit(xw, case, action)

    # 1. every permitted role at the acting unit succeeds (each tried on the same starting state)
    for role in sorted(t.roles):
        user = permitted_user(xw, case, action, role)
        data = valid_payload(xw, case, action, user)
        after = try_in_savepoint(case.pk, user, action, {**data, "version": case.version})
        assert after.status == expected_status(case, action, data), (role, after.status)
        assert after.version == case.version + 1

    # 2. every other role at the holding unit (and at the acting unit, where that is elsewhere): 403
    #    (experts see no cases but those they are asked about: 404)
    for where in dict.fromkeys([case.holder_unit, unit]):
        for role in sorted(set(ALL_ROLES) - t.roles):
            user = xw.user(where, role)
            expected = NotFound if role == "expert" else PermissionDenied
            with pytest.raises(expected):
                services.case_act(case=case.pk, actor=user, action=action,
                                  data={**valid_payload(xw, case, action, user), "version": case.version})

    # 3. a permitted role at another unit of the same jurisdiction: 403 where only the holder may act
    other = other_unit(xw, case) if action != "co_reply" else case.holder_unit
    role = sorted(t.roles)[0]
    user = xw.user(other, role)
    data = {**valid_payload(xw, case, action, user), "version": case.version}
    refused = PermissionDenied if t.holder_only or action == "co_reply" else _elsewhere(action)
    if refused is not None:
        with pytest.raises(refused):
            services.case_act(case=case.pk, actor=user, action=action, data=data)
    else:
        after = try_in_savepoint(case.pk, user, action, data)
        assert after.status == expected_status(case, action, data)

    # 4. a permitted role in another township: the case does not exist for them (404)
    stranger = xw.user("t02_subcentre", role)
    with pytest.raises(NotFound):
        services.case_act(case=case.pk, actor=stranger, action=action,
                          data={**valid_payload(xw, case, action, stranger), "version": case.version})

    user = permitted_user(xw, case, action, sorted(t.roles)[0])
    # 5. a stale version (read before the last change) or one from the future: 409
    for version in {case.version - 1, case.version + 1} - {0}:
        with pytest.raises(Conflict) as exc:
            services.case_act(case=case.pk, actor=user, action=action,
                              data={**valid_payload(xw, case, action, user), "version": version})
        assert exc.value.code == "stale_version"

    # 6. bad input: 422 with the field named and a Chinese message
    data, field = bad_payload(xw, case, action, user)
    with pytest.raises(ValidationFailed) as exc:
        services.case_act(case=case.pk, actor=user, action=action, data={**data, "version": case.version})
    fields = {e.field: e.message for e in exc.value.errors}
    assert field in fields, fields
    assert not fields[field].isascii()

    # none of the refusals changed anything: version, status, holder, timeline, audit, clocks, notices,
    # and the mediation records
    assert footprint(case) == before

    # 7. and for real: state, version, timeline entry and audit event
    data = valid_payload(xw, case, action, user)
    expected = expected_status(case, action, data)
    after = act(case, user, action, **data)
    assert after.status == expected
    assert after.version == case.version + 1
    ev = CaseEvent.objects.filter(case=case).latest("id")
    assert ev.action == action and ev.actor_id == user.pk
    audit = AuditEvent.objects.filter(action=f"case.{action}", subject_id=str(case.pk)).latest("id")
    assert audit.actor_username == user.username
    if expected != case.status:
        assert audit.changes["status"] == [case.status, expected]


def _refusing_actor(xw, case, t):
    """Who tries an action in a state it does not leave: a permitted role at the holding unit; for an
    opinion the expert, asked about this case (else the case would not exist for them)."""
    if t.roles == {"expert"}:
        ask_expert(xw, case)
        return xw.expert_user
    return xw.user(case.holder_unit, sorted(t.roles)[0])


@pytest.mark.parametrize("state", STATES)
def test_actions_not_allowed_from_a_state_are_conflicts(xw, state):
    case = case_in_state(xw, state)
    refused = [t for t in TRANSITIONS if state not in t.sources]
    assert refused, state
    actors = {t.action: _refusing_actor(xw, case, t) for t in refused}
    before = footprint(case)
    for t in refused:
        user = actors[t.action]
        with pytest.raises(Conflict) as exc:
            services.case_act(case=case.pk, actor=user, action=t.action,
                              data={**valid_payload(xw, case, t.action, user), "version": case.version})
        assert exc.value.code == "not_allowed_now", t.action
        assert "不能" in exc.value.detail
    assert footprint(case) == before


def test_every_state_is_reachable_and_every_transition_targets_a_state():
    targets = {t.target for t in TRANSITIONS if t.target}
    assert targets <= set(STATES)
    sources = set().union(*(t.sources for t in TRANSITIONS))
    assert sources <= set(STATES)
    assert {s.split("+")[0] for s in STATE_STEPS} == set(STATES)
    # every state except the end states has a way out
    assert set(STATES) - sources == {"archived"}


def _observers(xw, case):
    """Who looks at a case: every role at the holder, officers/clerks of the other township
    unit and of the district, the city, another township; the court's liaison and the lawyer of the
    expert pool (each sees the case only once it is sent to them)."""
    users = [xw.user(case.holder_unit, r) for r in ALL_ROLES]
    other = other_unit(xw, case)
    users += [xw.user(other, r) for r in ("officer", "clerk", "mediator")]
    users += [xw.leader, xw.user("city_bureau", "officer"), xw.user("t02_subcentre", "officer")]
    users += [xw.user(confirmation_court(xw, case), "court_liaison"), xw.expert_user]
    return users


@pytest.mark.parametrize("state", list(STATE_STEPS))
def test_offered_actions_are_exactly_the_ones_that_succeed(xw, state):
    """GET /cases/{id}/actions = available_actions(), and nothing offered is then refused."""
    case = case_in_state(xw, state)
    clients = [(user, ApiClient(user)) for user in _observers(xw, case)]
    before = footprint(case)
    for user, client in clients:
        offered = services.available_actions(case=fresh(case), actor=user)
        r = client.get(f"/api/v1/cases/{case.pk}/actions")
        if not has_capability(user, "case.view"):  # the auditor and the system administrator (等保 separation)
            assert r.status_code == 403, user.username
            continue
        visible = Case.objects.visible_to(user).filter(pk=case.pk).exists()
        if not visible:
            assert r.status_code == 404, (user.username, r.status_code)
            continue
        assert r.status_code == 200, (user.username, r.content)
        assert [a["action"] for a in r.json()] == [t.action for t in offered], user.username
        for t in offered:
            payload = valid_payload(xw, case, t.action, user)
            try:
                after = try_in_savepoint(case.pk, user, t.action, {**payload, "version": case.version})
            except DomainError as exc:
                pytest.fail(f"{user.username} was offered “{t.action}” in {state} but it was refused: {exc.detail}")
            assert after.status == expected_status(case, t.action, payload)
    assert footprint(case) == before


# --- guards and side effects, one rule each ----------------------------------------------------

class TestGuards:
    def test_divert_only_for_claims(self, xw):
        """诉访分离 (第31条 routes 1–5) applies to 申诉求决类 only."""
        case = make_case(xw, nature="suggestion")
        case = act(case, actor_for(xw, case, "accept"), "accept")
        officer = actor_for(xw, case, "divert")
        assert "divert" not in [t.action for t in services.available_actions(case=case, actor=officer)]
        with pytest.raises(Conflict):
            act(case, officer, "divert", route="arbitration")

    def test_extend_once_by_a_leader_at_most_30_days(self, xw):
        """第34条: one extension, ≤30 days, approved by the organ's head, reason told to the petitioner."""
        case = case_in_state(xw, "handling")
        leader = xw.user(case.holder_unit, "leader")
        handling = Clock.objects.get(case=case, code="petition.handling", state="running")
        with pytest.raises(ValidationFailed):
            act(case, leader, "extend", days=31, reason="情况复杂")
        with pytest.raises(PermissionDenied):
            act(case, xw.user(case.holder_unit, "officer"), "extend", days=30, reason="情况复杂")
        case = act(case, leader, "extend", days=30, reason="需要现场核查")
        assert case.extended_days == 30 and case.extension_approver_id == leader.pk
        assert case.extension_reason == "需要现场核查"
        assert CaseEvent.objects.filter(case=case, action="extend", public=True).exists()  # told to the petitioner
        longer = Clock.objects.get(pk=handling.pk)
        assert longer.extended_days == 30 and longer.due_on > handling.due_on
        with pytest.raises(Conflict) as exc:
            act(case, leader, "extend", days=5, reason="再延")
        assert "只能延长一次" in exc.value.detail

    def test_disputes_cannot_be_extended(self, xw):
        case = make_case(xw, kind="dispute", nature=None, oral_record="")
        case = act(case, actor_for(xw, case, "accept"), "accept")
        case = act(case, actor_for(xw, case, "route"), "route", to="handling", unit=case.holder_unit_id)
        with pytest.raises(Conflict):
            act(case, xw.user(case.holder_unit, "leader"), "extend", days=10, reason="复杂")

    def test_re_review_only_after_review(self, xw):
        case = case_in_state(xw, "replied")
        officer = xw.officer
        with pytest.raises(Conflict) as exc:
            act(case, officer, "request_re_review", **valid_payload(xw, case, "request_re_review", officer))
        assert "先经复查" in exc.value.detail

    def test_no_second_review(self, xw):
        case = case_in_state(xw, "replied+review")
        with pytest.raises(Conflict):
            act(case, xw.officer, "request_review", organ=xw.city_bureau.pk, requested_on=str(case.replied_on))

    def test_after_re_review_the_petition_process_ends(self, xw):
        """第36条: after 复核 the same matter is not accepted again."""
        case = case_in_state(xw, "replied+final")
        assert case.review_stage == "final"
        officer = xw.user("city_bureau", "officer")
        for action in ("request_re_review", "request_review"):
            assert action not in [t.action for t in services.available_actions(case=case, actor=officer)]
            with pytest.raises(Conflict):
                act(case, officer, action, **valid_payload(xw, case, action, officer))
        closed = act(case, officer, "close")
        with pytest.raises(Conflict) as exc:
            act(closed, officer, "request_re_review", **valid_payload(xw, closed, "request_re_review", officer))
        assert "不再受理" in exc.value.detail

    def test_review_goes_to_the_next_higher_organ(self, xw):
        """第35条: 复查 is asked of the organ above the one that replied."""
        case = case_in_state(xw, "replied")
        clerk = xw.user(case.holder_unit, "clerk")
        before = footprint(case)
        with pytest.raises(ValidationFailed) as exc:
            act(case, clerk, "request_review", organ=xw.units["t01_committee"].pk, requested_on=str(case.replied_on))
        assert "上一级" in exc.value.errors[0].message
        assert footprint(case) == before
        case = act(case, clerk, "request_review", organ=xw.units["centre"].pk, requested_on=str(case.replied_on))
        assert case.holder_unit_id == xw.units["centre"].pk and case.review_stage == "review"
        assert Notification.objects.filter(unit=xw.units["centre"], kind="review", case=case).count() == 1

    def test_escalate_only_upwards(self, xw):
        case = case_in_state(xw, "accepted")
        officer = actor_for(xw, case, "escalate")
        with pytest.raises(ValidationFailed) as exc:
            act(case, officer, "escalate", to_unit=xw.units["t01_committee"].pk, reason="请协调")
        assert exc.value.errors[0].field == "to_unit"
        with pytest.raises(ValidationFailed):  # another township's unit is not visible to a township officer
            act(case, officer, "escalate", to_unit=xw.units["t02_subcentre"].pk, reason="请协调")
        case = act(case, officer, "escalate", to_unit=xw.units["centre"].pk, reason="涉及多个街道")
        assert case.status == "transferring" and case.holder_unit_id == xw.units["centre"].pk
        t = Transfer.objects.get(case=case)
        assert t.purpose == "escalation" and t.status == "pending"

    def test_transfer_to_self_refused(self, xw):
        case = case_in_state(xw, "accepted")
        officer = actor_for(xw, case, "transfer")
        with pytest.raises(ValidationFailed):
            act(case, officer, "transfer", to_unit=case.holder_unit_id)


class TestMediationRouting:
    """调解前置 only for civil-type 申诉求决类 matters with both parties' consent (访调对接 2025 意见;
    人民调解法 第17条)."""

    def _route(self, xw, case, **kw):
        officer = actor_for(xw, case, "route")
        data = {"to": "mediation", "unit": xw.units["t01_committee"].pk, "consent": True, **kw}
        return act(case, officer, "route", **data)

    @pytest.mark.parametrize(("overrides", "fragment"), [
        ({"nature": "suggestion"}, "申诉求决类"),
        ({"nature": "accusation"}, "申诉求决类"),
        ({"administrative_dispute": True}, "行政争议"),
        ({"litigation_pending": True}, "涉法涉诉"),
    ])
    def test_not_mediable_is_409_with_reason(self, xw, overrides, fragment):
        case = make_case(xw, **overrides)
        case = act(case, actor_for(xw, case, "accept"), "accept")
        before = footprint(case)
        with pytest.raises(Conflict) as exc:
            self._route(xw, case)
        assert fragment in exc.value.detail
        assert footprint(case) == before

    def test_consent_required(self, xw):
        case = case_in_state(xw, "accepted")
        before = footprint(case)
        with pytest.raises(ValidationFailed) as exc:
            self._route(xw, case, consent=False)
        assert exc.value.errors[0].field == "consent" and "同意" in exc.value.errors[0].message
        assert footprint(case) == before

    def test_only_to_a_mediation_organisation(self, xw):
        case = case_in_state(xw, "accepted")
        with pytest.raises(ValidationFailed) as exc:
            self._route(xw, case, unit=xw.units["court"].pk)
        assert exc.value.errors[0].field == "unit"

    def test_routing_to_a_committee_is_a_transfer_signed_for(self, xw):
        case = case_in_state(xw, "accepted")
        case = self._route(xw, case)
        committee = xw.units["t01_committee"]
        assert case.status == "transferring" and case.holder_unit_id == committee.pk and case.mediation_consent
        t = Transfer.objects.get(case=case)
        assert t.purpose == "mediation" and t.resume_status == "mediating"
        assert "移" in t.number and t.number.startswith("东城分中心")
        assert Notification.objects.filter(unit=committee, kind="transfer", case=case).count() == 1
        objection = Clock.objects.get(case=case, code="transfer.objection", state="running")
        assert objection.holder_unit_id == committee.pk
        case = act(case, xw.mediator_t01, "receive")
        assert case.status == "mediating"
        assert Clock.objects.get(case=case, code="mediation.period", state="running").holder_unit_id == committee.pk
        assert Clock.objects.get(case=case, code="transfer.objection").state == "met"
        assert Transfer.objects.get(pk=t.pk).status == "received"

    def test_failed_mediation_returns_to_the_sending_unit(self, xw):
        """结果反馈: a failed mediation goes back to handling by the unit that sent it."""
        case = case_in_state(xw, "mediating")
        case = act(case, xw.mediator_t01, "fail", reason="物业公司拒绝", next="handling")
        sub = xw.units["t01_subcentre"]
        assert case.status == "failed" and case.holder_unit_id == sub.pk
        handling = Clock.objects.get(case=case, code="petition.handling", state="running")
        assert handling.holder_unit_id == sub.pk  # the 60 days are the sending unit's again
        assert Notification.objects.filter(unit=sub, kind="mediation_failed", case=case).exists()
        case = act(case, xw.user(sub, "officer"), "route", to="handling", unit=sub.pk)
        assert case.status == "handling"


class TestReturnAndJointHandling:
    def test_return_with_reasons_goes_back_to_the_sender(self, xw):
        case = case_in_state(xw, "transferring")
        committee, sub = xw.units["t01_committee"], xw.units["t01_subcentre"]
        case = act(case, xw.head_t01, "return", reason="不属于调委会受理范围")
        assert case.status == "accepted" and case.holder_unit_id == sub.pk
        t = Transfer.objects.get(case=case)
        assert t.status == "returned" and t.return_reason == "不属于调委会受理范围" and t.handled_by_id == xw.head_t01.pk
        assert Notification.objects.filter(unit=sub, kind="returned", case=case).count() == 1
        assert not CaseEvent.objects.get(case=case, action="return").public
        assert committee.pk != case.holder_unit_id

    def test_co_units_reply_then_lead_replies(self, xw):
        """联动化解 (第24条): each co-unit has its own task and reply; the lead unit replies last."""
        case = case_in_state(xw, "handling+co")
        committee = xw.units["t01_committee"]
        task = CoTask.objects.get(case=case)
        assert task.unit_id == committee.pk and case.lead_unit_id == case.holder_unit_id
        assert Notification.objects.filter(unit=committee, kind="co_task").count() == 1
        officer = xw.user(case.holder_unit, "officer")
        offered = [t.action for t in services.available_actions(case=case, actor=officer)]
        assert "reply" not in offered, "the lead unit is offered 出具处理意见书 before the co-units replied"
        with pytest.raises(Conflict) as exc:
            act(case, officer, "reply", **valid_payload(xw, case, "reply", officer))
        assert committee.name in exc.value.detail
        case = act(case, xw.head_t01, "co_reply", reply="已核实属实")
        with pytest.raises(PermissionDenied):  # a co-unit replies once
            act(case, xw.head_t01, "co_reply", reply="再答复")
        assert "reply" in [t.action for t in services.available_actions(case=case, actor=officer)]
        case = act(case, officer, "reply", **valid_payload(xw, case, "reply", officer))
        assert case.status == "replied" and case.reply_outcome == "support"

    def test_route_without_unit_falls_back_to_the_district_centre(self, xw):
        case = case_in_state(xw, "accepted")
        case = act(case, actor_for(xw, case, "route"), "route", to="handling")
        assert case.status == "transferring" and case.holder_unit_id == xw.units["centre"].pk
        assert case.lead_unit_id == xw.units["centre"].pk


class TestSideEffects:
    def test_accept_writes_the_notice_and_starts_handling(self, xw):
        case = make_case(xw)
        case = act(case, actor_for(xw, case, "accept"), "accept", notice="")
        assert case.accepted_on is not None and "受理" in case.acceptance_notice
        states = dict(Clock.objects.filter(case=case).values_list("code", "state"))
        assert states["petition.disposition"] == "met" and states["petition.acceptance_notice"] == "met"
        assert states["petition.handling"] == "running"

    def test_reject_records_reason_and_lawful_route(self, xw):
        case = make_case(xw)
        case = act(case, actor_for(xw, case, "reject"), "reject", reason="应当通过仲裁解决", channel="arbitration")
        assert case.not_accepted_reason == "应当通过仲裁解决" and case.lawful_channel == "arbitration"
        assert "仲裁" in CaseEvent.objects.get(case=case, action="reject").note
        assert not Clock.objects.filter(case=case, state__in=["running", "overdue"]).exists()

    def test_reply_is_the_written_opinion(self, xw):
        """第32条: request, facts and reasons, opinion, legal basis; one of three outcomes."""
        case = case_in_state(xw, "handling")
        officer = xw.user(case.holder_unit, "officer")
        for missing in ("request", "facts", "opinion", "basis"):
            data = valid_payload(xw, case, "reply", officer)
            del data[missing]
            with pytest.raises(ValidationFailed) as exc:
                act(case, officer, "reply", **data)
            assert exc.value.errors[0].field == missing
        case = act(case, officer, "reply", **{**valid_payload(xw, case, "reply", officer), "outcome": "explain"})
        assert case.reply_outcome == "explain" and case.reply_basis and case.replied_on
        states = dict(Clock.objects.filter(case=case).values_list("code", "state"))
        assert states["petition.handling"] == "met" and states["review.request"] == "running"
        assert Clock.objects.get(case=case, code="review.request").holder_unit_id is None  # the citizen's window

    def test_supervision_by_a_leader_is_recorded_and_notified(self, xw):
        case = case_in_state(xw, "handling")
        with pytest.raises(PermissionDenied):
            act(case, xw.officer, "supervise", note="请加快")
        case = act(case, xw.leader, "supervise", note="请于本周内办结", due_on="2026-12-31")
        s = Supervision.objects.get(case=case)
        assert s.by_id == xw.leader.pk and s.note == "请于本周内办结" and str(s.due_on) == "2026-12-31"
        n = Notification.objects.get(kind="supervision", case=case)
        assert n.unit_id == case.holder_unit_id and "2026年12月31日" in n.body
        assert case.status == "handling" and case.version == 4

    def test_major_report_flags_and_notifies_the_centre(self, xw):
        case = case_in_state(xw, "accepted")
        case = act(case, xw.officer, "report_major", note="二百户业主聚集")
        assert case.is_major
        assert Notification.objects.filter(unit=xw.units["centre"], kind="major", case=case).count() == 1

    def test_closing_cancels_running_unit_clocks_but_keeps_the_citizen_windows(self, xw):
        case = case_in_state(xw, "replied")
        case = act(case, xw.user(case.holder_unit, "officer"), "close")
        states = dict(Clock.objects.filter(case=case).values_list("code", "state"))
        assert states["review.request"] == "running"
        assert states["petition.handling"] == "met"

    def test_withdraw_ends_all_clocks(self, xw):
        case = case_in_state(xw, "accepted")
        case = act(case, xw.user(case.holder_unit, "clerk"), "withdraw", reason="已自行和解")
        assert case.status == "withdrawn"
        assert not Clock.objects.filter(case=case, state__in=["running", "paused", "overdue"]).exists()
