"""Screening (排查): periods of a month, plans and rounds, missed rounds and their warnings, recording a
round (nil return or findings), a finding becoming a case, completion rates, who may record."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.tests.factories import frozen
from fangtiao.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from fangtiao.screening import selectors, services
from fangtiao.screening.models import EarlyWarning, Finding, ScreeningPlan, ScreeningRound
from fangtiao.screening.tests.support import fields, person, screener

MAY = (2026, 5)


def rounds_of(xw, key, year=2026, month=5):
    return list(ScreeningRound.objects.filter(unit=xw.units[key], period_start__year=year, period_start__month=month)
                .order_by("period_start"))


def first_round(xw, key="v01_committee"):
    services.schedule_rounds(year=2026, month=5)
    return rounds_of(xw, key)[0]


def record(r, actor, *, on=dt.date(2026, 5, 12), nil_return=True, findings=(), **kw):
    return services.round_record(actor=actor, round_id=r.pk, screened_on=on, screeners="张三、李四",
                                 places="上洋村一组至五组、村办企业两家", nil_return=nil_return, findings=findings, **kw)


def refresh(*, today):
    from fangtiao.screening import engine

    return engine.refresh(today=today)


def finding(xw, **over):
    f = {"title": "两户村民因宅基地边界发生争执", "description": "上洋村三组两户村民为院墙位置争吵多次。",
         "region": xw.v01.code, "category": "housing_homestead", "parties": "王某、陈某", "headcount": 2, "risk": "medium"}
    f.update(over)
    return f


# --- periods -------------------------------------------------------------------------------------

class TestPeriods:
    def test_twice_a_month_is_first_half_and_second_half(self):
        assert services.periods(2026, 5, 2) == [(dt.date(2026, 5, 1), dt.date(2026, 5, 15)),
                                                (dt.date(2026, 5, 16), dt.date(2026, 5, 31))]
        assert services.periods(2026, 4, 2) == [(dt.date(2026, 4, 1), dt.date(2026, 4, 15)),
                                                (dt.date(2026, 4, 16), dt.date(2026, 4, 30))]

    def test_february_common_and_leap_year(self):
        assert services.periods(2026, 2, 2) == [(dt.date(2026, 2, 1), dt.date(2026, 2, 14)),
                                                (dt.date(2026, 2, 15), dt.date(2026, 2, 28))]
        assert services.periods(2028, 2, 2)[-1] == (dt.date(2028, 2, 15), dt.date(2028, 2, 29))

    def test_three_times_a_month(self):
        assert services.periods(2026, 5, 3) == [(dt.date(2026, 5, 1), dt.date(2026, 5, 10)),
                                                (dt.date(2026, 5, 11), dt.date(2026, 5, 20)),
                                                (dt.date(2026, 5, 21), dt.date(2026, 5, 31))]

    @pytest.mark.parametrize("n", range(1, 9))
    def test_periods_tile_every_month_without_gap_or_overlap(self, n):
        for year, month in ((2026, 1), (2026, 2), (2028, 2), (2026, 4), (2026, 12)):
            ps = services.periods(year, month, n)
            assert len(ps) == n
            assert ps[0][0] == dt.date(year, month, 1)
            assert ps[-1][1] == dt.date(year, month, calendar.monthrange(year, month)[1])
            for (a0, a1), (b0, _b1) in zip(ps, ps[1:], strict=False):
                assert a0 <= a1 and b0 == a1 + dt.timedelta(days=1)

    def test_out_of_range_counts_are_clamped(self):
        assert len(services.periods(2026, 5, 0)) == 1
        assert len(services.periods(2026, 5, 99)) == 8


# --- plans and scheduling ------------------------------------------------------------------------

class TestPlansAndScheduling:
    SCREENING_UNITS = {"t01_subcentre", "t02_subcentre", "t01_committee", "t02_committee", "v01_committee",
                       "v02_committee"}

    def test_default_plans_for_committees_and_subcentres_only(self, xw):
        services.schedule_rounds(year=2026, month=5)
        with_plan = set(ScreeningPlan.objects.values_list("unit_id", flat=True))
        assert with_plan == {xw.units[k].pk for k in self.SCREENING_UNITS}
        assert {p.rounds_per_month for p in ScreeningPlan.objects.all()} == {2}
        for key in ("centre", "court", "district_committee"):
            assert not ScreeningRound.objects.filter(unit=xw.units[key]).exists()

    def test_schedule_is_idempotent(self, xw):
        assert services.schedule_rounds(year=2026, month=5) == 2 * len(self.SCREENING_UNITS)
        assert services.schedule_rounds(year=2026, month=5) == 0
        assert ScreeningRound.objects.count() == 12
        r = rounds_of(xw, "v01_committee")
        assert [(x.period_start, x.due_on, x.seq) for x in r] == [
            (dt.date(2026, 5, 1), dt.date(2026, 5, 15), 1), (dt.date(2026, 5, 16), dt.date(2026, 5, 31), 2)]
        assert r[0].region_path == xw.v01.path and r[0].status == "scheduled"
        assert r[0].label == "2026年5月第1次"

    def test_a_plan_of_three_and_an_inactive_plan(self, xw):
        head = screener(xw)
        services.plan_save(actor=head, unit=xw.units["v01_committee"], rounds_per_month=3, grace_days=5)
        services.plan_save(actor=xw.leader, unit=xw.units["v02_committee"], rounds_per_month=2, active=False)
        services.schedule_rounds(year=2026, month=6)
        assert [x.due_on.day for x in rounds_of(xw, "v01_committee", month=6)] == [10, 20, 30]
        assert rounds_of(xw, "v02_committee", month=6) == []
        assert AuditEvent.objects.filter(action="screening.plan_saved").count() == 2

    def test_plan_validation_and_permission(self, xw):
        with pytest.raises(ValidationFailed) as e:
            services.plan_save(actor=xw.leader, unit=xw.units["v01_committee"], rounds_per_month=9, grace_days=16)
        assert fields(e) == {"rounds_per_month", "grace_days"}
        with pytest.raises(PermissionDenied):
            services.plan_save(actor=xw.clerk_t01, unit=xw.units["v01_committee"], rounds_per_month=2)
        assert not ScreeningPlan.objects.exists()


# --- missed rounds -------------------------------------------------------------------------------

class TestMissed:
    def test_missed_only_after_the_grace_days_and_only_once(self, xw):
        services.schedule_rounds(year=2026, month=5)
        r = rounds_of(xw, "v01_committee")[0]  # due 5-15, grace 3 days
        assert services.mark_missed(today=dt.date(2026, 5, 18)) == []
        r.refresh_from_db()
        assert r.status == "scheduled"
        missed = services.mark_missed(today=dt.date(2026, 5, 19))
        assert r.pk in {m.pk for m in missed}
        assert len(missed) == 6  # every unit's first round; the second is not due yet
        r.refresh_from_db()
        assert (r.status, r.version) == ("missed", 2)
        assert services.mark_missed(today=dt.date(2026, 5, 19)) == []
        assert services.mark_missed(today=dt.date(2026, 5, 25)) == []
        assert AuditEvent.objects.filter(action="screening.round_missed", subject_id=str(r.pk)).count() == 1

    def test_longer_grace_of_the_plan_is_respected(self, xw):
        services.plan_save(actor=None, unit=xw.units["v01_committee"], rounds_per_month=2, grace_days=10)
        services.schedule_rounds(year=2026, month=5)
        services.mark_missed(today=dt.date(2026, 5, 20))
        assert rounds_of(xw, "v01_committee")[0].status == "scheduled"
        assert rounds_of(xw, "v02_committee")[0].status == "missed"

    def test_a_reported_round_is_never_marked_missed(self, xw):
        r = first_round(xw)
        with frozen(dt.date(2026, 5, 14)):
            record(r, screener(xw))
        services.mark_missed(today=dt.date(2026, 6, 30))
        r.refresh_from_db()
        assert r.status == "done"

    def test_refresh_raises_a_yellow_warning_then_orange_for_consecutive_misses(self, xw):
        services.schedule_rounds(year=2026, month=5)
        first, second = rounds_of(xw, "v01_committee")
        services.mark_missed(today=dt.date(2026, 5, 19))
        refresh(today=dt.date(2026, 5, 19))
        w1 = EarlyWarning.objects.get(screening_round=first)
        assert (w1.kind, w1.level, w1.status) == ("screening_missed", "yellow", "open")
        assert w1.owner_unit_id == xw.units["v01_committee"].pk and w1.region_path == xw.v01.path
        n = EarlyWarning.objects.count()
        refresh(today=dt.date(2026, 5, 20))  # nothing new: no second warning
        assert EarlyWarning.objects.count() == n
        services.mark_missed(today=dt.date(2026, 6, 4))
        refresh(today=dt.date(2026, 6, 4))
        w2 = EarlyWarning.objects.get(screening_round=second)
        assert w2.level == "orange"
        assert any("连续2次" in r for r in w2.reasons)

    def test_a_missed_round_reported_late_clears_its_warning(self, xw):
        services.schedule_rounds(year=2026, month=5)
        r = rounds_of(xw, "v01_committee")[0]
        services.mark_missed(today=dt.date(2026, 5, 19))
        refresh(today=dt.date(2026, 5, 19))
        with frozen(dt.date(2026, 5, 21)):
            out = record(r, screener(xw), on=dt.date(2026, 5, 20))
        assert (out.status, out.late) == ("done", True)
        w = EarlyWarning.objects.get(screening_round=r)
        assert w.status == "cleared"


# --- recording a round ---------------------------------------------------------------------------

class TestRecord:
    def test_nil_return(self, xw):
        r = first_round(xw)
        head = screener(xw)
        with frozen(dt.date(2026, 5, 14)):
            out = record(r, head)
        r.refresh_from_db()
        assert (r.status, r.nil_return, r.late, r.version, r.recorded_by_id) == ("done", True, False, 2, head.pk)
        assert r.screened_on == dt.date(2026, 5, 12) and out.pk == r.pk
        assert not r.findings.exists()
        ev = AuditEvent.objects.get(action="screening.round_recorded", subject_id=str(r.pk))
        assert ev.extra["nil_return"] is True and ev.extra["findings"] == 0 and ev.actor_id == head.pk

    def test_findings_are_stored(self, xw):
        r = first_round(xw)
        with frozen(dt.date(2026, 5, 14)):
            record(r, screener(xw), nil_return=False,
                   findings=[finding(xw), finding(xw, title="村办企业拖欠三名工人工资", category="labour", headcount=3,
                                                  risk="high")])
        rows = list(Finding.objects.filter(round=r).order_by("id"))
        assert [(f.title, f.category.code, f.headcount, f.risk, f.region_id) for f in rows] == [
            ("两户村民因宅基地边界发生争执", "housing_homestead", 2, "medium", xw.v01.pk),
            ("村办企业拖欠三名工人工资", "labour", 3, "high", xw.v01.pk)]

    def test_nil_return_with_findings_and_neither(self, xw):
        r = first_round(xw)
        with frozen(dt.date(2026, 5, 14)):
            with pytest.raises(ValidationFailed) as e:
                record(r, screener(xw), nil_return=True, findings=[finding(xw)])
            assert "nil_return" in fields(e)
            with pytest.raises(ValidationFailed) as e:
                record(r, screener(xw), nil_return=False, findings=[])
            assert "findings" in fields(e)
        r.refresh_from_db()
        assert r.status == "scheduled" and r.version == 1

    def test_a_finding_outside_the_units_area_is_a_field_error(self, xw):
        r = first_round(xw)
        with frozen(dt.date(2026, 5, 14)), pytest.raises(ValidationFailed) as e:
            record(r, screener(xw), nil_return=False,
                   findings=[finding(xw), finding(xw, region=xw.v02.code), finding(xw, region="999999999999")])
        assert fields(e) == {"findings.1.region", "findings.2.region"}
        assert not Finding.objects.exists()

    def test_bad_finding_values(self, xw):
        r = first_round(xw)
        with frozen(dt.date(2026, 5, 14)), pytest.raises(ValidationFailed) as e:
            record(r, screener(xw), nil_return=False,
                   findings=[finding(xw, title=" ", category="nonsense", headcount=-3, risk="extreme")])
        assert fields(e) == {"findings.0.title", "findings.0.category", "findings.0.headcount", "findings.0.risk"}

    def test_late_flag(self, xw):
        r = first_round(xw)
        with frozen(dt.date(2026, 5, 16)):  # the day after the due day, before it is marked missed
            record(r, screener(xw), on=dt.date(2026, 5, 16))
        r.refresh_from_db()
        assert r.late is True

    def test_recorded_on_the_due_day_is_not_late(self, xw):
        r = first_round(xw)
        with frozen(dt.date(2026, 5, 15)):
            record(r, screener(xw), on=dt.date(2026, 5, 15))
        r.refresh_from_db()
        assert r.late is False

    def test_twice_is_a_conflict(self, xw):
        r = first_round(xw)
        with frozen(dt.date(2026, 5, 14)):
            record(r, screener(xw))
            with pytest.raises(Conflict):
                record(r, screener(xw))
        assert AuditEvent.objects.filter(action="screening.round_recorded").count() == 1

    def test_stale_version_is_a_conflict(self, xw):
        r = first_round(xw)
        with frozen(dt.date(2026, 5, 14)), pytest.raises(Conflict):
            record(r, screener(xw), version=7)

    def test_bad_dates(self, xw):
        r = first_round(xw)
        with frozen(dt.date(2026, 5, 14)):
            with pytest.raises(ValidationFailed) as e:
                record(r, screener(xw), on=dt.date(2026, 5, 15))  # tomorrow
            assert fields(e) == {"screened_on"}
            with pytest.raises(ValidationFailed) as e:
                record(r, screener(xw), on=dt.date(2026, 3, 1))  # two months before the period
            assert fields(e) == {"screened_on"}
            with pytest.raises(ValidationFailed) as e:
                services.round_record(actor=screener(xw), round_id=r.pk, screened_on=dt.date(2026, 5, 12), screeners=" ",
                                      places="", nil_return=True)
            assert fields(e) == {"screeners", "places"}

    def test_a_clerk_cannot_record_and_another_township_cannot_see(self, xw):
        r = first_round(xw)
        with frozen(dt.date(2026, 5, 14)):
            with pytest.raises(PermissionDenied):
                record(r, xw.clerk_t01)
            with pytest.raises(NotFound):
                record(r, xw.user("t02_committee", "committee_head"))
            with pytest.raises(NotFound):
                record(r, xw.user("v02_committee", "mediator"))
        r.refresh_from_db()
        assert r.status == "scheduled"

    def test_the_township_committee_may_record_a_village_round_in_its_area(self, xw):
        r = first_round(xw)
        with frozen(dt.date(2026, 5, 14)):
            record(r, xw.user("t01_committee", "mediator"))
        r.refresh_from_db()
        assert r.status == "done"


# --- a finding becomes a case --------------------------------------------------------------------

class TestFindingToCase:
    def _finding(self, xw, **over):
        r = first_round(xw)
        with frozen(dt.date(2026, 5, 14)):
            record(r, screener(xw), nil_return=False, findings=[finding(xw, **over)])
        return Finding.objects.get(round=r)

    def test_creates_a_case_with_channel_screening(self, xw):
        f = self._finding(xw, risk="high")
        case = services.finding_to_case(actor=screener(xw), finding_id=f.pk, parties=[person()])
        case.refresh_from_db()
        assert (case.channel, case.kind, case.status, case.region_id) == ("screening", "dispute", "registered", xw.v01.pk)
        assert case.category.code == "housing_homestead" and case.headcount == 2
        assert case.is_escalation_risk is True  # a high-risk finding
        assert case.holder_unit_id == xw.units["v01_committee"].pk
        f.refresh_from_db()
        assert f.case_id == case.pk
        assert AuditEvent.objects.filter(action="screening.finding_to_case").count() == 1

    def test_with_intervention_the_committee_mediates_at_once(self, xw):
        f = self._finding(xw)
        case = services.finding_to_case(actor=screener(xw), finding_id=f.pk, parties=[person()],
                                        intervene_unit=xw.units["v01_committee"].pk, consent=True)
        case.refresh_from_db()
        assert case.status == "mediating"
        assert case.holder_unit_id == xw.units["v01_committee"].pk

    def test_twice_is_a_conflict(self, xw):
        f = self._finding(xw)
        services.finding_to_case(actor=screener(xw), finding_id=f.pk, parties=[person()])
        with pytest.raises(Conflict):
            services.finding_to_case(actor=screener(xw), finding_id=f.pk, parties=[person()])

    def test_outside_the_jurisdiction_is_not_found(self, xw):
        f = self._finding(xw)
        with pytest.raises(NotFound):
            services.finding_to_case(actor=xw.clerk_t02, finding_id=f.pk, parties=[person()])
        with pytest.raises(NotFound):
            services.finding_to_case(actor=screener(xw), finding_id=999_999, parties=[person()])


# --- completion ----------------------------------------------------------------------------------

class TestCompletion:
    def _may(self, xw):
        services.schedule_rounds(year=2026, month=5)
        by_key = {k: rounds_of(xw, k) for k in ("v01_committee", "v02_committee", "t01_committee", "t02_committee",
                                                 "t01_subcentre", "t02_subcentre")}
        with frozen(dt.date(2026, 5, 14)):
            record(by_key["v01_committee"][0], screener(xw))
            record(by_key["t01_committee"][0], xw.user("t01_committee", "mediator"), nil_return=False,
                   findings=[finding(xw), finding(xw, title="楼上漏水纠纷")])
        with frozen(dt.date(2026, 5, 17)):
            record(by_key["t02_committee"][0], xw.user("t02_committee", "mediator"))  # late
        services.mark_missed(today=dt.date(2026, 5, 25))  # the other first rounds
        with frozen(dt.date(2026, 5, 31)):
            record(by_key["v01_committee"][1], screener(xw), on=dt.date(2026, 5, 30))

    def test_rates_per_unit_equal_a_hand_count(self, xw):
        self._may(xw)
        today = dt.date(2026, 6, 1)
        rows = {r["unit"]: r for r in selectors.completion(user=xw.leader, start=dt.date(2026, 5, 1),
                                                            end=dt.date(2026, 5, 31), today=today)}
        expect = {  # due, done, on_time, nil, missed, findings
            "v01_committee": (2, 2, 2, 2, 0, 0),
            "t01_committee": (2, 1, 1, 0, 0, 2),
            "t02_committee": (2, 1, 0, 1, 0, 0),
            "v02_committee": (2, 0, 0, 0, 1, 0),
            "t01_subcentre": (2, 0, 0, 0, 1, 0),
            "t02_subcentre": (2, 0, 0, 0, 1, 0),
        }
        assert set(rows) == {xw.units[k].pk for k in expect}
        for key, (due, done, on_time, nil, missed, found) in expect.items():
            r = rows[xw.units[key].pk]
            assert (r["due"], r["done"], r["on_time"], r["nil_returns"], r["missed"], r["findings"]) == (
                due, done, on_time, nil, missed, found), key
            assert r["rate"] == round(done / due, 4)
        # not yet due rounds are not counted; a township leader sees only its own units
        early = selectors.completion(user=xw.leader, start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31),
                                     today=dt.date(2026, 5, 20))
        assert {r["due"] for r in early} == {1}
        mine = selectors.completion(user=xw.user("t01_subcentre", "leader"), start=dt.date(2026, 5, 1),
                                    end=dt.date(2026, 5, 31), today=today)
        assert {r["unit"] for r in mine} == {xw.units[k].pk for k in ("v01_committee", "t01_committee", "t01_subcentre")}

    def test_rates_per_township_equal_a_hand_count(self, xw):
        self._may(xw)
        today = dt.date(2026, 6, 1)
        towns = {r["region"]: r for r in selectors.completion(user=xw.leader, start=dt.date(2026, 5, 1),
                                                               end=dt.date(2026, 5, 31), today=today, by="township")}
        assert set(towns) == {xw.t01.code, xw.t02.code}
        assert (towns[xw.t01.code]["due"], towns[xw.t01.code]["done"], towns[xw.t01.code]["findings"]) == (6, 3, 2)
        assert towns[xw.t01.code]["rate"] == 0.5 and towns[xw.t01.code]["region_name"] == "东城街道"
        assert (towns[xw.t02.code]["due"], towns[xw.t02.code]["done"], towns[xw.t02.code]["rate"]) == (6, 1, round(1 / 6, 4))
