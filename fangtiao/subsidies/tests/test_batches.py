"""Batches: no double pay (re-prepare, overlapping batches, recompute, the constraint itself), the
approval flow with separation of duties, 409 on a wrong state or a stale version, jurisdiction,
permissions, bad input changing nothing, audit rows with old and new values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from fangtiao.audit.models import AuditEvent
from fangtiao.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from fangtiao.subsidies import services
from fangtiao.subsidies.models import Earning, LineItem, PayoutLine, SubsidyBatch
from fangtiao.subsidies.tests.support import (
    act,
    agreed_case,
    backlog_case,
    leader_t01,
    mediation_rule,
    officer_t01,
    prepare,
    t02_case,
)

Y = Decimal


class TestNoDoublePay:
    def test_same_period_twice_is_refused(self, xw):
        backlog_case(xw)
        first = prepare(xw)
        with pytest.raises(Conflict) as exc:
            prepare(xw)
        assert first.number in exc.value.detail
        assert SubsidyBatch.objects.count() == 1

    def test_overlapping_batches_pay_a_case_once(self, xw):
        """The township's May sheet and the district's second-quarter sheet overlap: the district's
        pays only what the township's did not."""
        a = backlog_case(xw)
        township = prepare(xw)
        b = backlog_case(xw, on=dt.date(2026, 4, 20))
        district = services.batch_prepare(actor=xw.w.users["officer"], period="2026-Q2", unit=xw.units["centre"].pk)
        assert set(township.earnings.values_list("case_id", flat=True)) == {a.pk}
        assert set(district.earnings.values_list("case_id", flat=True)) == {b.pk}
        assert Earning.objects.filter(case=a, kind="backlog", cancelled=False).count() == 1
        # And a quarter sheet of the township itself finds nothing new: 409, nothing created.
        with pytest.raises(Conflict):
            prepare(xw, period="2026-Q2")
        assert SubsidyBatch.objects.count() == 2

    def test_a_backlog_case_resolved_by_mediation_earns_once(self, xw):
        """积案化解 ¥1000 and 调解成功 ¥200 for the same case: one earning, the better rule."""
        mediation_rule()
        case = backlog_case(xw)
        agreed_case(xw, case=case)
        batch = prepare(xw)
        assert list(batch.earnings.values_list("case_id", "kind", "amount")) == [(case.pk, "backlog", Y("1000.00"))]
        assert batch.total == Y("1000.00") and batch.case_count == 1
        assert LineItem.objects.filter(line__batch=batch).count() == 1

    def test_the_better_rule_wins_across_kinds(self, xw):
        """The best across kinds: highest amount (with the committee's), then most specific, then newest."""
        rich = mediation_rule(name="重大调解", amount=Y("900.00"), committee_amount=Y("200.00"))
        case = backlog_case(xw)
        agreed_case(xw, case=case)
        batch = prepare(xw)
        e = batch.earnings.get()
        assert (e.kind, e.rule_id, e.amount) == ("mediation", rich.pk, Y("1100.00"))
        assert batch.total == Y("1100.00")
        # equal amounts: the more specific rule, whatever its kind
        act(batch, officer_t01(xw), "cancel", reason="重算")
        rich.active = False
        rich.save()
        village = mediation_rule(name="村级", amount=Y("1000.00"), unit_level="village")
        other = backlog_case(xw, mediators=("zhao_v01",), unit="v01_committee")
        agreed_case(xw, case=other, unit="v01_committee", mediators=("zhao_v01",))
        again = prepare(xw)
        by_case = {e.case_id: (e.kind, e.rule_id) for e in again.earnings.all()}
        assert by_case[other.pk] == ("mediation", village.pk)
        assert by_case[case.pk][0] == "backlog"

    def test_a_case_earned_for_one_kind_does_not_earn_the_other_later(self, xw):
        mediation_rule()
        case = backlog_case(xw)
        prepare(xw)
        agreed_case(xw, case=case, on=dt.date(2026, 6, 5))
        with pytest.raises(Conflict):
            prepare(xw, period="2026-06")
        assert Earning.objects.filter(case=case, cancelled=False).count() == 1

    def test_a_second_agreed_round_does_not_pay_again(self, xw):
        mediation_rule()
        case = agreed_case(xw)
        prepare(xw)
        from fangtiao.mediation.models import Mediation

        Mediation.objects.create(case=case, round=2, unit=xw.units["t01_committee"], number="M-again", status="agreed",
                                 started_on=dt.date(2026, 6, 1), ended_on=dt.date(2026, 6, 5))
        with pytest.raises(Conflict):
            prepare(xw, period="2026-06")

    def test_the_database_refuses_a_second_live_earning(self, xw):
        backlog_case(xw)
        batch = prepare(xw)
        e = batch.earnings.get()
        other = SubsidyBatch.objects.create(number="X-1", period="2026-06", period_kind="month",
                                            period_start=dt.date(2026, 6, 1), period_end=dt.date(2026, 6, 30),
                                            unit=xw.units["centre"], region_path=xw.district.path,
                                            prepared_by=xw.w.users["officer"])
        with pytest.raises(IntegrityError), transaction.atomic():
            Earning.objects.create(batch=other, case_id=e.case_id, kind="backlog", rule=e.rule, earned_on=e.earned_on,
                                   amount=e.amount)
        # nor one of the other kind: a case earns once
        with pytest.raises(IntegrityError), transaction.atomic():
            Earning.objects.create(batch=other, case_id=e.case_id, kind="mediation", rule=e.rule,
                                   earned_on=e.earned_on, amount=e.amount)
        # a cancelled earning does not count
        Earning.objects.filter(pk=e.pk).update(cancelled=True)
        Earning.objects.create(batch=other, case_id=e.case_id, kind="backlog", rule=e.rule, earned_on=e.earned_on,
                               amount=e.amount)

    def test_the_latest_agreed_round_of_a_day_wins(self, xw):
        """Two agreed rounds ended the same day: the later round (its committee and mediators) is paid."""
        from fangtiao.mediation.models import Assignment, Mediation
        from fangtiao.mediation.services import ROUND_ENDED

        mediation_rule(split="lead")
        case = agreed_case(xw)  # round 1 at 东城街道调委会, 王小明
        second = Mediation.objects.create(case=case, round=2, unit=xw.units["v01_committee"], number="M-r2",
                                          status="agreed", started_on=dt.date(2026, 5, 1), ended_on=dt.date(2026, 5, 10))
        Assignment.objects.create(mediation=second, case=case, mediator=xw.w.mediators["zhao_v01"], chosen_by="committee",
                                  lead=True, assigned_by=xw.w.users["head_t01"], active=False, end_reason=ROUND_ENDED)
        batch = prepare(xw)
        assert dict(batch.lines.values_list("name", "amount")) == {"赵春花": Y("200.00")}

    def test_recompute_replaces_lines_and_picks_up_new_cases(self, xw):
        backlog_case(xw)
        batch = prepare(xw)
        old_lines = set(batch.lines.values_list("pk", flat=True))
        backlog_case(xw, mediators=("shan_t01",))
        batch = act(batch, officer_t01(xw), "recompute")
        assert batch.total == Y("2000.00") and batch.case_count == 2 and batch.version == 2
        assert not old_lines & set(batch.lines.values_list("pk", flat=True))
        assert Earning.objects.filter(batch=batch).count() == 2
        assert LineItem.objects.filter(line__batch=batch).count() == 2
        assert PayoutLine.objects.count() == 2

    def test_cancel_releases_cases_to_a_new_batch(self, xw):
        backlog_case(xw)
        batch = prepare(xw)
        act(batch, officer_t01(xw), "cancel", reason="范围有误")
        assert Earning.objects.filter(batch=batch, cancelled=True).count() == 1
        again = prepare(xw)
        assert again.total == Y("1000.00")

    def test_paid_batch_cannot_be_recomputed(self, xw):
        backlog_case(xw)
        batch = prepare(xw)
        act(batch, leader_t01(xw), "approve")
        act(batch, officer_t01(xw), "pay")
        with pytest.raises(Conflict):
            act(batch, officer_t01(xw), "recompute")


class TestFlow:
    def test_prepared_approved_paid_audited(self, xw):
        backlog_case(xw)
        batch = prepare(xw)
        assert batch.status == "prepared" and batch.version == 1 and "奖补〔2026〕" in batch.number
        ev = AuditEvent.objects.filter(action="subsidy.batch_prepared").latest("id")
        assert ev.changes["status"] == [None, "prepared"] and ev.region_path == xw.t01.path
        batch = act(batch, leader_t01(xw), "approve")
        assert batch.status == "approved" and batch.approved_by == leader_t01(xw) and batch.version == 2
        ev = AuditEvent.objects.filter(action="subsidy.batch_approved").latest("id")
        assert ev.changes["status"] == ["prepared", "approved"] and ev.changes["version"] == [1, 2]
        batch = act(batch, officer_t01(xw), "pay")
        assert batch.status == "paid" and batch.paid_at is not None
        assert AuditEvent.objects.filter(action="subsidy.batch_paid").latest("id").changes["status"] == ["approved", "paid"]

    def test_reject_back_to_prepared_with_reason(self, xw):
        backlog_case(xw)
        batch = prepare(xw)
        with pytest.raises(ValidationFailed) as exc:
            act(batch, leader_t01(xw), "reject", reason=" ")
        assert exc.value.errors[0].field == "reason"
        act(batch, leader_t01(xw), "approve")
        batch = act(batch, leader_t01(xw), "reject", reason="金额需复核")
        assert batch.status == "prepared" and batch.rejected_reason == "金额需复核" and batch.approved_by is None
        ev = AuditEvent.objects.filter(action="subsidy.batch_rejected").latest("id")
        assert ev.changes["status"] == ["approved", "prepared"] and ev.extra["reason"] == "金额需复核"

    def test_preparer_cannot_approve(self, xw):
        """Separation of duties: a leader who prepared (superuser here) cannot approve their own sheet."""
        backlog_case(xw)
        boss = xw.user("t01_subcentre", "leader")
        boss.is_superuser = True
        batch = prepare(xw, actor=boss)
        with pytest.raises(PermissionDenied) as exc:
            act(batch, boss, "approve")
        assert "职责分离" in exc.value.detail
        assert services.available_actions(boss, batch).count("approve") == 0
        batch.refresh_from_db()
        assert batch.status == "prepared"
        # after a recompute by someone else, the first preparer may approve
        act(batch, officer_t01(xw), "recompute")
        assert act(batch, boss, "approve").status == "approved"

    def test_stale_version_and_wrong_state_are_409(self, xw):
        backlog_case(xw)
        batch = prepare(xw)
        with pytest.raises(Conflict) as exc:
            act(batch, leader_t01(xw), "approve", version=7)
        assert exc.value.status == 409 and "刷新" in exc.value.detail
        with pytest.raises(Conflict):
            act(batch, officer_t01(xw), "pay")
        batch.refresh_from_db()
        assert (batch.status, batch.version) == ("prepared", 1)

    def test_permissions(self, xw):
        backlog_case(xw)
        with pytest.raises(PermissionDenied):
            prepare(xw, actor=xw.user("t01_subcentre", "clerk"))
        with pytest.raises(PermissionDenied):
            prepare(xw, actor=xw.user("t01_committee", "mediator"))
        batch = prepare(xw)
        with pytest.raises(PermissionDenied):
            act(batch, officer_t01(xw), "approve")  # officers prepare and pay, leaders approve
        with pytest.raises(PermissionDenied):
            act(batch, xw.user("t01_committee", "mediator"), "cancel", reason="x")

    def test_jurisdiction(self, xw):
        t02_case(xw)
        backlog_case(xw)
        batch = prepare(xw)
        with pytest.raises(NotFound):
            act(batch, xw.user("t02_subcentre", "leader"), "approve")
        with pytest.raises(ValidationFailed) as exc:
            services.batch_prepare(actor=officer_t01(xw), period="2026-05", unit=xw.units["t02_subcentre"].pk)
        assert exc.value.errors[0].field == "unit"
        with pytest.raises(ValidationFailed):
            services.batch_prepare(actor=officer_t01(xw), period="2026-05", unit=xw.units["centre"].pk)

    def test_scope_counts_only_cases_of_the_subtree(self, xw):
        backlog_case(xw)
        other = backlog_case(xw, case=t02_case(xw), mediators=("li_t02",), unit="t02_committee")
        batch = prepare(xw)
        assert other.pk not in set(batch.earnings.values_list("case_id", flat=True))
        assert batch.case_count == 1

    @pytest.mark.parametrize("period", ["2026-5", "2026-13", "26-05", "", "2026-Q9", "2099-01"])
    def test_bad_period_changes_nothing(self, xw, period):
        backlog_case(xw)
        before = (SubsidyBatch.objects.count(), AuditEvent.objects.count())
        with pytest.raises(ValidationFailed) as exc:
            prepare(xw, period=period)
        assert exc.value.errors[0].field == "period"
        assert (SubsidyBatch.objects.count(), AuditEvent.objects.count()) == before

    def test_unknown_action(self, xw):
        backlog_case(xw)
        batch = prepare(xw)
        with pytest.raises(ValidationFailed):
            act(batch, leader_t01(xw), "explode")
