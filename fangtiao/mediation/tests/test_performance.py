"""Performance of the agreement (人民调解法 第31条: the committee supervises and urges it), the
periodic reminders and overdue marking, enforcement of a confirmed agreement (民诉法(2023) 第206、
250条: within 2 years of the last day set for performance) and the voluntary-vs-enforced report."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from fangtiao.cases.tests.factories import act, frozen
from fangtiao.core.testing.api import ApiClient
from fangtiao.mediation import services
from fangtiao.mediation.models import Enforcement, Obligation, Performance
from fangtiao.mediation.tests.support import (
    agree_body,
    agreed_case,
    confirmed_case,
    head,
    held,
    liaison,
    mediating_case,
    mediator,
    parties,
    refuse,
)
from fangtiao.notifications.models import Notification


def _obligations(case):
    return list(Obligation.objects.filter(case=case).order_by("seq"))


def _pay(case, xw, ob, **data):
    return act(case, mediator(xw), "record_performance", obligation=ob.pk, **data)


def _two_duties(days=10):
    due = timezone.localdate() + dt.timedelta(days=days)
    return [{"content": "退还电梯维修费", "amount": "300.00", "due_on": due},
            {"content": "书面致歉", "due_on": due}]


class TestRecordPerformance:
    def test_partial_then_full_then_the_case_is_performed(self, xw):
        case = confirmed_case(xw, obligations=_two_duties())
        money, apology = _obligations(case)
        today = timezone.localdate()
        case = _pay(case, xw, money, amount="100.00", proof_kind="transfer", proof_note="银行转账")
        money.refresh_from_db()
        assert (money.status, money.performed_amount, money.done_on) == ("partial", Decimal("100.00"), None)
        assert case.status == "performing"
        case = _pay(case, xw, money, proof_kind="receipt")  # the rest by default
        money.refresh_from_db()
        assert (money.status, money.performed_amount, money.done_on) == ("done", Decimal("300.00"), today)
        assert sorted(Performance.objects.filter(obligation=money).values_list("amount", "proof_kind")) == [
            (Decimal("100.00"), "transfer"), (Decimal("200.00"), "receipt")]
        assert case.status == "performing"  # the apology is still owed
        case = _pay(case, xw, apology, proof_kind="statement")
        assert case.status == "performed"
        assert "协议义务全部履行完毕" in case.events.filter(action="record_performance").latest("id").note
        refuse(case, mediator(xw), "record_performance", 409, obligation=apology.pk)  # nothing left to perform

    def test_an_unconfirmed_agreement_is_performed_too(self, xw):
        case = agreed_case(xw)
        (ob,) = _obligations(case)
        case = _pay(case, xw, ob)
        assert case.status == "performed"

    def test_bad_inputs_are_422(self, xw):
        case = confirmed_case(xw, obligations=_two_duties())
        money, apology = _obligations(case)
        other = agreed_case(xw)
        today = timezone.localdate()
        m = mediator(xw)
        refuse(case, m, "record_performance", 422, "amount", obligation=money.pk, amount="300.01")
        refuse(case, m, "record_performance", 422, "amount", obligation=money.pk, amount="0")
        refuse(case, m, "record_performance", 422, "amount", obligation=money.pk, amount="-5")
        refuse(case, m, "record_performance", 422, "amount", obligation=apology.pk, amount="10.00")
        refuse(case, m, "record_performance", 422, "done_on", obligation=money.pk,
               done_on=(today + dt.timedelta(days=1)).isoformat())
        refuse(case, m, "record_performance", 422, "done_on", obligation=money.pk,
               done_on=(today - dt.timedelta(days=1)).isoformat())
        refuse(case, m, "record_performance", 422, "obligation", obligation=_obligations(other)[0].pk)
        refuse(case, m, "record_performance", 422, "enforced", obligation=money.pk, enforced=True)
        refuse(case, m, "record_performance", 422, "proof_kind", obligation=money.pk, proof_kind="promise")
        _pay(case, xw, money, amount="100.00")
        refuse(case, m, "record_performance", 422, "amount", obligation=money.pk, amount="200.01")
        _pay(case, xw, money)
        refuse(case, m, "record_performance", 422, "obligation", obligation=money.pk)
        refuse(case, xw.user("t01_committee", "clerk"), "record_performance", 403, obligation=apology.pk)
        refuse(case, xw.user("t02_committee", "mediator"), "record_performance", 404, obligation=apology.pk)


# --- the periodic job ----------------------------------------------------------------------------

D0 = dt.date(2026, 3, 2)


def _notices(case, kind):
    return Notification.objects.filter(unit__pk=case.holder_unit_id, kind=kind, case=case).count()


class TestTick:
    def test_reminds_before_the_due_date_once(self, xw):
        with frozen(D0):
            case = agreed_case(xw, obligations=[{"content": "退还", "amount": "300.00", "due_on": D0 + dt.timedelta(days=5)}])
        assert services.tick(today=D0 + dt.timedelta(days=1))["obligations_due"] == 0  # 4 days ahead: not yet
        assert services.tick(today=D0 + dt.timedelta(days=2))["obligations_due"] == 1
        assert services.tick(today=D0 + dt.timedelta(days=3))["obligations_due"] == 0
        assert _notices(case, "obligation_due") == 1
        assert _obligations(case)[0].status == "pending"

    def test_marks_overdue_once(self, xw):
        with frozen(D0):
            case = agreed_case(xw, obligations=[{"content": "退还", "amount": "300.00", "due_on": D0 + dt.timedelta(days=5)}])
        assert services.tick(today=D0 + dt.timedelta(days=5))["obligations_overdue"] == 0  # due today: not late yet
        assert services.tick(today=D0 + dt.timedelta(days=6))["obligations_overdue"] == 1
        assert services.tick(today=D0 + dt.timedelta(days=7))["obligations_overdue"] == 0
        assert _notices(case, "obligation_overdue") == 1
        (ob,) = _obligations(case)
        assert ob.status == "overdue"
        with frozen(D0 + dt.timedelta(days=8)):
            case = _pay(case, xw, ob, amount="100.00")
        ob.refresh_from_db()
        assert ob.status == "overdue"  # part paid, still late
        services.tick(today=D0 + dt.timedelta(days=9))
        assert _notices(case, "obligation_overdue") == 1

    def test_a_done_obligation_is_left_alone(self, xw):
        with frozen(D0):
            case = agreed_case(xw, obligations=[{"content": "退还", "amount": "300.00", "due_on": D0 + dt.timedelta(days=5)}])
            _pay(case, xw, _obligations(case)[0])
        services.tick(today=D0 + dt.timedelta(days=4))
        services.tick(today=D0 + dt.timedelta(days=6))
        assert _notices(case, "obligation_due") == _notices(case, "obligation_overdue") == 0

    def test_obligations_of_a_superseded_agreement_are_not_chased(self, xw):
        with frozen(D0):
            case = agreed_case(xw, obligations=[{"content": "旧协议退还", "amount": "300.00",
                                                 "due_on": D0 + dt.timedelta(days=5)}])
            case = act(case, mediator(xw), "apply_confirmation", court=xw.units["court"].pk)
            case = act(case, liaison(xw), "record_confirmation", result="rejected", ground="unclear")
            case = act(case, mediator(xw), "remediate", reason="重新调解")
            case = act(case, head(xw), "assign", mediators=[xw.w.mediators["wang_t01"].pk])
            case = held(case, xw, outcome="agreed")
            case = act(case, mediator(xw), "agree", **agree_body(case, obligations=[
                {"content": "新协议退还", "amount": "200.00", "due_on": D0 + dt.timedelta(days=60)}]))
        old = Obligation.objects.get(case=case, content="旧协议退还")
        assert old.agreement.status == "superseded"
        services.tick(today=D0 + dt.timedelta(days=3))
        services.tick(today=D0 + dt.timedelta(days=6))
        old.refresh_from_db()
        assert old.status == "pending"
        assert _notices(case, "obligation_due") == _notices(case, "obligation_overdue") == 0


# --- enforcement ---------------------------------------------------------------------------------

def _overdue_confirmed(xw, start, due):
    """Confirmed on `start`, one 300-yuan obligation due `due`, marked overdue the day after."""
    with frozen(start):
        case = mediating_case(xw, occurred_on=(start - dt.timedelta(days=30)).isoformat())
        case = confirmed_case(xw, case=case, obligations=[{"content": "退还电梯维修费", "amount": "300.00", "due_on": due}])
    with frozen(due + dt.timedelta(days=1)):
        services.tick(today=due + dt.timedelta(days=1))
    (ob,) = _obligations(case)
    assert ob.status == "overdue"
    return case, ob


class TestEnforcement:
    def test_applies_for_overdue_obligations_of_a_confirmed_agreement(self, xw):
        case, ob = _overdue_confirmed(xw, D0, D0 + dt.timedelta(days=5))
        with frozen(D0 + dt.timedelta(days=10)):
            case = act(case, mediator(xw), "apply_enforcement", obligations=[ob.pk], note="被申请人拒不履行")
            e = Enforcement.objects.get(case=case)
            assert (e.court, e.applied_on, list(e.obligations.all())) == (xw.units["court"], D0 + dt.timedelta(days=10),
                                                                          [ob])
            ob.refresh_from_db()
            assert ob.enforced is True and case.status == "performing"
            assert Notification.objects.filter(unit=xw.units["court"], kind="enforcement", case=case).count() == 1
            refuse(case, mediator(xw), "apply_enforcement", 409, obligations=[ob.pk])  # nothing else overdue
            case = _pay(case, xw, ob, enforced=True, proof_kind="other", proof_note="法院执行到位")
        assert case.status == "performed"
        assert Performance.objects.get(obligation=ob).enforced is True

    def test_not_for_an_unconfirmed_agreement(self, xw):
        with frozen(D0):
            case = agreed_case(xw, obligations=[{"content": "退还", "amount": "300.00", "due_on": D0 + dt.timedelta(days=5)}])
        services.tick(today=D0 + dt.timedelta(days=6))
        (ob,) = _obligations(case)
        assert ob.status == "overdue"
        with frozen(D0 + dt.timedelta(days=7)):
            refuse(case, mediator(xw), "apply_enforcement", 409, obligations=[ob.pk])

    def test_not_before_an_obligation_is_overdue(self, xw):
        case = confirmed_case(xw)
        (ob,) = _obligations(case)
        err = refuse(case, mediator(xw), "apply_enforcement", 409, obligations=[ob.pk])
        assert "逾期" in err.detail

    def test_bad_inputs_are_422(self, xw):
        due = D0 + dt.timedelta(days=5)
        with frozen(D0):
            case = confirmed_case(xw, obligations=[{"content": "第一期", "amount": "100.00", "due_on": due},
                                                   {"content": "第二期", "amount": "200.00", "due_on": due + dt.timedelta(days=30)}])
        services.tick(today=due + dt.timedelta(days=1))
        first, second = _obligations(case)
        other = confirmed_case(xw)
        with frozen(due + dt.timedelta(days=2)):
            m = mediator(xw)
            refuse(case, m, "apply_enforcement", 422, "obligations", obligations=[second.pk])  # not yet due
            refuse(case, m, "apply_enforcement", 422, "obligations", obligations=[_obligations(other)[0].pk])
            refuse(case, m, "apply_enforcement", 422, "applied_on", obligations=[first.pk],
                   applied_on=(due + dt.timedelta(days=3)).isoformat())
            refuse(case, m, "apply_enforcement", 422, "court", obligations=[first.pk], court=xw.units["t01_committee"].pk)
            refuse(case, m, "apply_enforcement", 422, "obligations", obligations=[])
            refuse(case, xw.user("t01_committee", "clerk"), "apply_enforcement", 403, obligations=[first.pk])

    def test_within_two_years_of_the_last_due_date(self, xw):
        start, due = dt.date(2024, 3, 4), dt.date(2024, 4, 1)
        case, ob = _overdue_confirmed(xw, start, due)
        with frozen(dt.date(2026, 4, 2)):
            err = refuse(case, mediator(xw), "apply_enforcement", 409, obligations=[ob.pk])
            assert "2年" in err.detail and "第250条" in err.detail
        with frozen(dt.date(2026, 4, 1)):
            case = act(case, mediator(xw), "apply_enforcement", obligations=[ob.pk])
        assert Enforcement.objects.get(case=case).applied_on == dt.date(2026, 4, 1)
        block = ApiClient(mediator(xw)).get(f"/api/v1/cases/{case.pk}").json()["mediation"]
        assert block["enforcement_deadline"] == "2026-04-01"

    def test_the_two_years_end_after_a_closing_holiday(self, xw):
        start, due = dt.date(2024, 9, 2), dt.date(2024, 10, 1)
        case, ob = _overdue_confirmed(xw, start, due)
        # Two years run to 1 October 2026 — 国庆 — so the last day is 8 October 2026.
        with frozen(dt.date(2026, 10, 8)):
            act(case, mediator(xw), "apply_enforcement", obligations=[ob.pk])


# --- the report ----------------------------------------------------------------------------------

def test_confirmation_performance_report_counts_voluntary_and_enforced(xw):
    today = timezone.localdate()
    voluntary = confirmed_case(xw)
    _pay(voluntary, xw, _obligations(voluntary)[0])
    confirmed_case(xw)  # still performing
    with frozen(today - dt.timedelta(days=20)):
        enforced = confirmed_case(xw, obligations=[{"content": "退还", "amount": "300.00",
                                                    "due_on": today - dt.timedelta(days=10)}])
    services.tick(today=today)
    act(enforced, mediator(xw), "apply_enforcement", obligations=[_obligations(enforced)[0].pk])
    agreed_case(xw)  # not confirmed: not counted

    url = "/api/v1/mediation/confirmation-performance"
    r = ApiClient(xw.officer).get(url)
    assert r.status_code == 200
    assert r.json() == {"confirmed": 3, "performed_voluntarily": 1, "enforced": 1, "performing": 1}
    since = ApiClient(xw.officer).get(url, {"decided_from": (today - dt.timedelta(days=1)).isoformat()}).json()
    assert since == {"confirmed": 2, "performed_voluntarily": 1, "enforced": 0, "performing": 1}
    assert ApiClient(xw.user("t02_committee", "committee_head")).get(url).json()["confirmed"] == 0
    assert ApiClient(xw.auditor).get(url).status_code == 403
    assert parties(voluntary)
