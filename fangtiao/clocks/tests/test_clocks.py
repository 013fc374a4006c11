"""Statutory clocks in the database: the seeded rule table, per-region rules and day counting,
the holiday calendar (chinesecalendar for 2026, the admin table beyond it), and the clocks of
the lifecycle — acceptance notice, transfer objection (5 working days), handling (60 + 30),
复查/复核 windows with hearings excluded, overdue and due-soon notices (each exactly once)."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from fangtiao.cases import selectors, services
from fangtiao.cases.models import Case, Supervision
from fangtiao.cases.tests.factories import (
    act,
    case_in_state,
    footprint,
    frozen,
    make_case,
    valid_payload,
)
from fangtiao.clocks.models import CalendarDay, Clock, ClockRule, CountingSetting
from fangtiao.clocks.rules import SEED_RULES
from fangtiao.clocks.seed import ensure_rules
from fangtiao.clocks.services import (
    PACKAGE_YEARS,
    clock_tick,
    compute_due,
    counting_for,
    rule_for,
    work_calendar,
)
from fangtiao.core.errors import Conflict, ValidationFailed
from fangtiao.notifications.models import Notification

D = dt.date




def clock(case, code):
    return Clock.objects.filter(case=case, code=code).latest("id")


# --- the rule table --------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "days", "working", "article"), [
    ("petition.disposition", 15, False, "信访工作条例 第22条"),
    ("petition.acceptance_notice", 15, False, "信访工作条例 第23条"),
    ("transfer.objection", 5, True, "信访工作条例 第23条"),
    ("petition.handling", 60, False, "信访工作条例 第34条"),
    ("review.request", 30, False, "信访工作条例 第35条"),
    ("review.answer", 30, False, "信访工作条例 第35条"),
    ("re_review.request", 30, False, "信访工作条例 第36条"),
    ("re_review.answer", 30, False, "信访工作条例 第36条"),
    ("confirmation.apply", 30, False, "人民调解法 第33条"),
])
def test_seeded_rules_carry_the_law(db, code, days, working, article):
    ensure_rules()
    rule = ClockRule.objects.get(code=code, region=None)
    assert (rule.days, rule.working_days, rule.active) == (days, working, True)
    assert article in rule.source
    assert rule.note  # the article's words, shown to administrators


def test_every_seeded_rule_cites_a_source(db):
    ensure_rules()
    assert ClockRule.objects.filter(region=None).count() == len(SEED_RULES)
    for rule in ClockRule.objects.all():
        assert "第" in rule.source and "条" in rule.source or "〔" in rule.source, rule.code
    assert "5个工作日" in str(ClockRule.objects.get(code="transfer.objection"))


def test_reseeding_keeps_an_administrators_edit(db):
    ensure_rules()
    ClockRule.objects.filter(code="petition.handling", region=None).update(days=45)
    ensure_rules()
    assert ClockRule.objects.get(code="petition.handling", region=None).days == 45


class TestRegionalRules:
    def test_override_applies_inside_its_subtree_only(self, xw):
        ClockRule.objects.create(code="transfer.objection", name="异议（东城）", days=3, working_days=True,
                                 source="浙江省信访条例（示例）", region=xw.t01)
        ClockRule.objects.create(code="transfer.objection", name="异议（上洋村）", days=2, working_days=True,
                                 source="示例", region=xw.v01)
        assert rule_for("transfer.objection", xw.v01).days == 2  # the deepest override wins
        assert rule_for("transfer.objection", xw.t01).days == 3
        assert rule_for("transfer.objection", xw.t02).days == 5  # another township: the default
        assert rule_for("transfer.objection", xw.district).days == 5
        assert rule_for("transfer.objection", None).days == 5

    def test_inactive_override_is_ignored(self, xw):
        ClockRule.objects.create(code="petition.handling", name="办理", days=30, source="示例", region=xw.t01, active=False)
        assert rule_for("petition.handling", xw.v01).days == 60

    def test_override_drives_a_cases_due_date(self, xw):
        ClockRule.objects.create(code="petition.acceptance_notice", name="告知（东城）", days=5, working_days=True,
                                 source="浙江省信访条例 第20条（示例）", region=xw.t01)
        with frozen(D(2026, 7, 3)):  # a Friday
            here = make_case(xw)
            there = make_case(xw, actor=xw.clerk_t02, region="331003002201")
        assert clock(here, "petition.acceptance_notice").due_on == D(2026, 7, 10)  # 5 working days
        assert clock(there, "petition.acceptance_notice").due_on == D(2026, 7, 20)  # 15 days → Sat 18 → Mon 20
        assert clock(here, "petition.acceptance_notice").rule.region_id == xw.t01.pk


class TestCountingSetting:
    """Start day excluded and a due date on a day off moves to the next working day (民法典 第201、203条
    by analogy, UNVERIFIED for 信访) — a per-jurisdiction setting."""

    def _due(self, xw, region_code="331003001201", actor=None):
        with frozen(D(2026, 7, 3)):
            case = make_case(xw, region=region_code, actor=actor or xw.clerk_t01)
        return clock(case, "petition.acceptance_notice").due_on

    def test_default(self, xw):
        assert counting_for(xw.v01) == counting_for(None)
        assert self._due(xw) == D(2026, 7, 20)  # 3 Jul + 15 = Sat 18 Jul → Mon 20 Jul

    def test_no_shift(self, xw):
        CountingSetting.objects.create(region=xw.district, shift_to_workday=False)
        assert self._due(xw) == D(2026, 7, 18)

    def test_start_day_counted(self, xw):
        CountingSetting.objects.create(region=xw.district, count_start_day=True)
        assert self._due(xw) == D(2026, 7, 17)

    def test_deeper_setting_wins(self, xw):
        CountingSetting.objects.create(region=xw.district, shift_to_workday=False)
        CountingSetting.objects.create(region=xw.t01, shift_to_workday=True)
        assert self._due(xw) == D(2026, 7, 20)  # 东城 shifts
        assert self._due(xw, "331003002201", xw.clerk_t02) == D(2026, 7, 18)  # 西城 follows the district


class TestCalendar:
    def test_2026_comes_from_chinesecalendar(self, db):
        cal = work_calendar(D(2026, 9, 1), D(2026, 10, 31))
        day = D(2026, 9, 1)
        while day <= D(2026, 10, 31):
            assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
            day += dt.timedelta(days=1)
        # National Day 2026: 1–7 Oct off; Sun 20 Sep and Sat 10 Oct are make-up working days; 中秋 25 Sep off
        assert {D(2026, 10, d) for d in (1, 2, 5, 6, 7)} <= cal.holidays
        assert D(2026, 9, 25) in cal.holidays
        assert {D(2026, 9, 20), D(2026, 10, 10)} <= cal.workdays
        assert cal.is_workday(D(2026, 10, 8))

    def test_admin_table_covers_a_year_the_package_does_not(self, xw):
        year = PACKAGE_YEARS.stop  # the first year the installed package has no data for
        monday = D(year, 1, 11) + dt.timedelta(days=(7 - D(year, 1, 11).weekday()) % 7)
        with pytest.raises(NotImplementedError):  # the premise: the package cannot say
            chinese_calendar.is_workday(monday)
        received = monday - dt.timedelta(days=15)
        with frozen(received):
            before = make_case(xw)
        assert clock(before, "petition.acceptance_notice").due_on == monday
        CalendarDay.objects.create(date=monday, is_workday=False, name="调休（示例）")
        with frozen(received):
            after = make_case(xw)
        assert clock(after, "petition.acceptance_notice").due_on == monday + dt.timedelta(days=1)

    def test_admin_make_up_workday_holds_a_due_date(self, xw):
        # 2 Jan 2027 + … : a period ending on Sat 9 Jan 2027 moves to Mon 11 Jan unless that Saturday is worked
        rule = ClockRule.objects.get(code="petition.handling", region=None)
        assert compute_due(rule, D(2026, 11, 10)) == D(2027, 1, 11)
        CalendarDay.objects.create(date=D(2027, 1, 9), is_workday=True, name="调休上班（示例）")
        assert compute_due(rule, D(2026, 11, 10)) == D(2027, 1, 9)

    def test_admin_table_wins_over_the_package(self, db):
        ensure_rules()
        rule = ClockRule.objects.get(code="transfer.objection", region=None)
        assert compute_due(rule, D(2026, 9, 30)) == D(2026, 10, 13)
        CalendarDay.objects.create(date=D(2026, 10, 10), is_workday=False, name="更正")
        assert compute_due(rule, D(2026, 9, 30)) == D(2026, 10, 14)


# --- clocks of the lifecycle ----------------------------------------------------------------

class TestAcceptance:
    def test_acceptance_notice_and_disposition_15_days(self, xw):
        with frozen(D(2026, 3, 2)):
            case = make_case(xw)
        for code in ("petition.acceptance_notice", "petition.disposition"):
            c = clock(case, code)
            assert (c.started_on, c.due_on, c.state) == (D(2026, 3, 2), D(2026, 3, 17), "running")
            assert c.holder_unit_id == xw.units["t01_subcentre"].pk
        with frozen(D(2026, 3, 17)):  # on the last day: met
            act(case, xw.user(case.holder_unit, "officer"), "accept")
        assert clock(case, "petition.acceptance_notice").state == "met"
        assert clock(case, "petition.handling").due_on == D(2026, 5, 18)  # 自受理之日起60日: 17 Mar + 60 = Sat 16 May

    def test_late_acceptance_is_recorded_late(self, xw):
        with frozen(D(2026, 3, 2)):
            case = make_case(xw)
        with frozen(D(2026, 3, 18)):
            act(case, xw.user(case.holder_unit, "officer"), "accept")
        assert clock(case, "petition.acceptance_notice").state == "late"
        assert clock(case, "petition.acceptance_notice").stopped_on == D(2026, 3, 18)

    def test_a_transferred_petition_gets_its_own_notice_clock_on_receipt(self, xw):
        """第23条: the receiving organ notifies within 15 days of receiving a transferred petition."""
        with frozen(D(2026, 3, 2)):
            case = make_case(xw)
            case = act(case, xw.user(case.holder_unit, "officer"), "transfer", to_unit=xw.units["centre"].pk)
        with frozen(D(2026, 3, 4)):
            act(case, xw.officer, "receive")
        notices = Clock.objects.filter(case=case, code="petition.acceptance_notice").order_by("id")
        latest = notices.last()
        assert (latest.started_on, latest.due_on, latest.holder_unit_id) == (D(2026, 3, 4), D(2026, 3, 19),
                                                                             xw.units["centre"].pk)
        assert notices.filter(state="running").count() == 1


class TestTransferObjection:
    """第23条: a misrouted transfer is objected to within 5 working days."""

    def _transferred(self, xw, day):
        with frozen(day):
            case = case_in_state(xw, "accepted")
            return act(case, xw.user(case.holder_unit, "officer"), "transfer", to_unit=xw.units["t01_committee"].pk)

    def test_five_working_days_across_national_day(self, xw):
        case = self._transferred(xw, D(2026, 9, 30))
        c = Clock.objects.get(case=case, code="transfer.objection", state="running")
        # working days after Wed 30 Sep 2026: Thu 8, Fri 9, Sat 10 (make-up), Mon 12, Tue 13 Oct
        assert c.due_on == D(2026, 10, 13)
        assert c.holder_unit_id == xw.units["t01_committee"].pk

    def test_return_on_the_last_day(self, xw):
        case = self._transferred(xw, D(2026, 9, 30))
        with frozen(D(2026, 10, 13)):
            case = act(case, xw.head_t01, "return", reason="不属于本调委会职责")
        assert case.status == "accepted" and case.holder_unit_id == xw.units["t01_subcentre"].pk
        assert clock(case, "transfer.objection").state == "met"

    def test_return_after_the_window_is_409_and_not_offered(self, xw):
        case = self._transferred(xw, D(2026, 9, 30))
        before = footprint(case)
        with frozen(D(2026, 10, 14)):
            assert "return" not in [t.action for t in services.available_actions(case=case, actor=xw.head_t01)]
            with pytest.raises(Conflict) as exc:
                act(case, xw.head_t01, "return", reason="不属于本调委会职责")
            assert "5个工作日" in exc.value.detail
            assert footprint(case) == before
            case = act(case, xw.head_t01, "receive")  # it must now be signed for
        assert case.status == "accepted" and case.holder_unit_id == xw.units["t01_committee"].pk
        assert clock(case, "transfer.objection").state == "late"


class TestHandling:
    def test_60_days_and_one_30_day_extension(self, xw):
        with frozen(D(2026, 3, 2)):
            case = case_in_state(xw, "handling")
        handling = clock(case, "petition.handling")
        assert handling.due_on == D(2026, 5, 6)
        leader = xw.user(case.holder_unit, "leader")
        with frozen(D(2026, 4, 20)):
            case = act(case, leader, "extend", days=30, reason="涉及多个部门，需要联合调查")
        assert clock(case, "petition.handling").due_on == D(2026, 6, 1)  # 2 Mar + 90 = Sun 31 May → Mon 1 Jun
        before = footprint(case)
        with frozen(D(2026, 5, 20)), pytest.raises(Conflict):
            act(case, leader, "extend", days=10, reason="再延长")
        assert footprint(case) == before

    def test_extension_after_overdue_runs_again(self, xw):
        with frozen(D(2026, 3, 2)):
            case = case_in_state(xw, "handling")
        clock_tick(today=D(2026, 5, 7))
        assert clock(case, "petition.handling").state == "overdue" and Case.objects.get(pk=case.pk).is_overdue
        with frozen(D(2026, 5, 8)):
            case = act(case, xw.user(case.holder_unit, "leader"), "extend", days=30, reason="补办延期")
        c = clock(case, "petition.handling")
        assert c.state == "running" and c.due_on == D(2026, 6, 1) and not c.notified_overdue
        assert not case.is_overdue


class TestTick:
    def test_overdue_marked_and_notified_exactly_once(self, xw):
        with frozen(D(2026, 3, 2)):
            case = make_case(xw)
        version = case.version
        assert clock_tick(today=D(2026, 3, 17))["overdue"] == 0  # due today is not overdue yet
        counts = clock_tick(today=D(2026, 3, 18))
        assert counts["overdue"] == 2  # 第22条 disposition and 第23条 notice
        again = clock_tick(today=D(2026, 3, 18))
        later = clock_tick(today=D(2026, 3, 25))
        assert again["overdue"] == later["overdue"] == 0
        notes = Notification.objects.filter(kind="overdue", case=case)
        assert notes.count() == 2
        assert set(notes.values_list("unit_id", flat=True)) == {xw.units["t01_subcentre"].pk}
        assert any("第23条" in n.body for n in notes)
        fresh = Case.objects.get(pk=case.pk)
        assert fresh.is_overdue and fresh.version == version  # a flag, not an edit
        assert set(Clock.objects.filter(case=case, state="overdue").values_list("code", flat=True)) == {
            "petition.disposition", "petition.acceptance_notice"}
        inbox = selectors.inbox(user=xw.clerk_t01)
        assert {c.code for c in inbox["overdue"]} == {"petition.disposition", "petition.acceptance_notice"}
        assert case.pk in [c.pk for c in selectors.case_list(user=xw.officer, filters={"flag": "overdue"})]
        with frozen(D(2026, 3, 26)):
            act(case, xw.user(case.holder_unit, "officer"), "accept")
        assert clock(case, "petition.acceptance_notice").state == "late"
        assert not Case.objects.get(pk=case.pk).is_overdue

    def test_due_soon_notified_once(self, xw):
        with frozen(D(2026, 3, 2)):
            case = make_case(xw)
        assert clock_tick(today=D(2026, 3, 13))["due_soon"] == 0  # 4 days before
        assert clock_tick(today=D(2026, 3, 14))["due_soon"] == 2  # 3 days before (rule.due_soon_days)
        assert clock_tick(today=D(2026, 3, 15))["due_soon"] == 0
        assert clock_tick(today=D(2026, 3, 16))["due_soon"] == 0
        notes = Notification.objects.filter(kind="due_soon", case=case)
        assert notes.count() == 2 and all(n.unit_id == xw.units["t01_subcentre"].pk for n in notes)
        with frozen(D(2026, 3, 14)):
            inbox = selectors.inbox(user=xw.clerk_t01)
        assert {c.code for c in inbox["due_soon"]} == {"petition.acceptance_notice", "petition.disposition"}

    def test_the_citizens_lapsed_window_is_not_the_units_delay(self, xw):
        """复查 request window (第35条) runs against the petitioner: its lapse flags no unit overdue."""
        with frozen(D(2026, 3, 2)):
            case = case_in_state(xw, "closed")
        window = clock(case, "review.request")
        assert window.holder_unit_id is None and window.due_on == D(2026, 4, 1)
        clock_tick(today=D(2026, 4, 2))
        assert not Case.objects.get(pk=case.pk).is_overdue
        assert not Notification.objects.filter(kind="overdue", case=case).exists()
        assert case.pk not in [c.pk for c in selectors.case_list(user=xw.officer, filters={"flag": "overdue"})]

    def test_the_handling_clock_follows_the_unit_that_signed_for_the_case(self, xw):
        """The unit now holding a case gets its overdue notice and sees it in its inbox."""
        with frozen(D(2026, 3, 2)):
            case = case_in_state(xw, "handling")
            case = act(case, xw.user(case.holder_unit, "officer"), "transfer", to_unit=xw.units["centre"].pk)
            case = act(case, xw.officer, "receive")
        assert case.status == "handling" and case.holder_unit_id == xw.units["centre"].pk
        assert clock(case, "petition.handling").holder_unit_id == xw.units["centre"].pk
        clock_tick(today=D(2026, 5, 7))
        assert list(Notification.objects.filter(kind="overdue", case=case).values_list("unit_id", flat=True)) == [
            xw.units["centre"].pk]
        with frozen(D(2026, 5, 7)):
            assert [c.case_id for c in selectors.inbox(user=xw.officer)["overdue"]] == [case.pk]
            assert list(selectors.inbox(user=xw.user("t01_subcentre", "officer"))["overdue"]) == []

    def test_supervision_of_an_overdue_case(self, xw):
        with frozen(D(2026, 3, 2)):
            case = case_in_state(xw, "handling")
        clock_tick(today=D(2026, 5, 7))
        case = act(case, xw.leader, "supervise", note="已超期，请三日内办结", due_on="2026-05-11")
        s = Supervision.objects.get(case=case)
        assert s.by_id == xw.leader.pk and s.due_on == D(2026, 5, 11)
        assert Notification.objects.filter(kind="supervision", case=case, unit=case.holder_unit).count() == 1


class TestReviewWindows:
    """复查 (第35条) and 复核 (第36条): 30-day request windows, 30-day answers, hearing time excluded,
    and the end of the petition process after 复核."""

    def _replied(self, xw):
        with frozen(D(2026, 3, 2)):
            case = case_in_state(xw, "handling")
        with frozen(D(2026, 4, 1)):
            case = act(case, xw.user(case.holder_unit, "officer"), "reply",
                       **valid_payload(xw, case, "reply", None))
        return case

    def test_review_request_window(self, xw):
        case = self._replied(xw)
        window = clock(case, "review.request")
        assert (window.started_on, window.due_on) == (D(2026, 4, 1), D(2026, 5, 6))  # 1 May is a holiday
        clerk = xw.user(case.holder_unit, "clerk")
        before = footprint(case)
        with frozen(D(2026, 5, 7)):
            with pytest.raises(ValidationFailed) as exc:
                act(case, clerk, "request_review", organ=xw.units["centre"].pk, requested_on="2026-05-07")
            assert exc.value.errors[0].field == "requested_on" and "第35条" in exc.value.errors[0].message
            with pytest.raises(ValidationFailed):
                act(case, clerk, "request_review", organ=xw.units["centre"].pk, requested_on="2026-05-08")  # future
            assert footprint(case) == before
            # a request made (e.g. posted) within the window and registered a day later is in time
            case = act(case, clerk, "request_review", organ=xw.units["centre"].pk, requested_on="2026-05-06")
        assert case.status == "reviewing"

    def test_review_then_re_review_with_hearing_then_the_end(self, xw):
        case = self._replied(xw)
        clerk = xw.user(case.holder_unit, "clerk")
        with frozen(D(2026, 4, 20)):
            case = act(case, clerk, "request_review", organ=xw.units["centre"].pk, requested_on="2026-04-20")
        answer = clock(case, "review.answer")
        assert (answer.due_on, answer.holder_unit_id) == (D(2026, 5, 20), xw.units["centre"].pk)
        assert clock(case, "review.request").state == "met"
        with frozen(D(2026, 5, 11)):
            case = act(case, xw.officer, "answer_review", outcome="explain", opinion="维持原意见")
        assert case.status == "replied" and case.review_stage == "review"
        assert clock(case, "review.answer").state == "met"
        window = clock(case, "re_review.request")
        assert window.due_on == D(2026, 6, 10) and window.holder_unit_id is None
        city_officer = xw.user("city_bureau", "officer")
        with frozen(D(2026, 6, 1)):
            case = act(case, xw.officer, "request_re_review", organ=xw.city_bureau.pk, requested_on="2026-06-01")
        assert case.status == "re_reviewing" and case.holder_unit_id == xw.city_bureau.pk
        assert clock(case, "re_review.answer").due_on == D(2026, 7, 1)
        with frozen(D(2026, 6, 15)):
            case = act(case, city_officer, "record_hearing", days=10, note="公开听证")
        c = clock(case, "re_review.answer")
        assert c.extended_days == 10 and c.due_on == D(2026, 7, 13)  # 1 Jun + 40 = Sat 11 Jul → Mon 13 Jul
        assert case.reviews.get(stage="re_review").hearing_days == 10
        with frozen(D(2026, 7, 10)):
            case = act(case, city_officer, "answer_re_review", outcome="reject", opinion="复核维持")
        assert case.review_stage == "final" and clock(case, "re_review.answer").state == "met"
        before = footprint(case)
        with frozen(D(2026, 7, 11)), pytest.raises(Conflict) as exc:
            act(case, city_officer, "request_re_review", organ=xw.city_bureau.pk, requested_on="2026-07-11")
        assert "不再受理" in exc.value.detail
        assert footprint(case) == before

    def test_re_review_window_lapsed(self, xw):
        case = self._replied(xw)
        with frozen(D(2026, 4, 20)):
            case = act(case, xw.officer, "request_review", organ=xw.units["centre"].pk, requested_on="2026-04-20")
        with frozen(D(2026, 5, 11)):
            case = act(case, xw.officer, "answer_review", outcome="explain", opinion="维持原意见")
        with frozen(D(2026, 6, 11)), pytest.raises(ValidationFailed) as exc:
            act(case, xw.officer, "request_re_review", organ=xw.city_bureau.pk, requested_on="2026-06-11")
        assert "第36条" in exc.value.errors[0].message

    def test_re_review_only_after_review(self, xw):
        case = self._replied(xw)
        with frozen(D(2026, 4, 2)), pytest.raises(Conflict) as exc:
            act(case, xw.officer, "request_re_review", organ=xw.city_bureau.pk, requested_on="2026-04-02")
        assert "复查" in exc.value.detail
