"""The working-day arithmetic, across holidays, make-up days and the counting setting."""

import datetime as dt

import pytest

from fangtiao.clocks.calendar import CountingRule, WorkCalendar, add_working_days, days_between, due_date

D = dt.date
# 2026 National Day as the State Council announced it (and chinesecalendar 1.11 has it): 1–7 Oct off,
# Sun 20 Sep and Sat 10 Oct worked. Weekdays off: 1, 2, 5, 6, 7 Oct.
CAL = WorkCalendar(
    holidays=frozenset({D(2026, 10, 1), D(2026, 10, 2), D(2026, 10, 5), D(2026, 10, 6), D(2026, 10, 7)}),
    workdays=frozenset({D(2026, 9, 20), D(2026, 10, 10)}),
)


def test_calendar_days_start_day_excluded():
    # 15 days from Fri 1 May 2026 → 16 May (Sat) → shifted to Mon 18 May.
    assert due_date(D(2026, 5, 1), 15, working_days=False, calendar=CAL) == D(2026, 5, 18)
    assert due_date(D(2026, 5, 1), 15, working_days=False, calendar=CAL, rule=CountingRule(shift_to_workday=False)) == D(2026, 5, 16)


def test_start_day_counted_setting():
    assert due_date(D(2026, 5, 4), 15, working_days=False, calendar=CAL, rule=CountingRule(count_start_day=True)) == D(2026, 5, 18)


def test_due_on_holiday_moves_past_the_holiday():
    # 30 days from 3 Sep → 3 Oct (holiday) → the first working day after is Thu 8 Oct.
    assert due_date(D(2026, 9, 3), 30, working_days=False, calendar=CAL) == D(2026, 10, 8)


def test_due_on_makeup_workday_stays():
    # 10 Oct 2026 is a Saturday worked (调休): a period ending there does not move.
    assert due_date(D(2026, 9, 30), 10, working_days=False, calendar=CAL) == D(2026, 10, 10)


def test_five_working_days_across_national_day():
    # Transfer received Wed 30 Sep: working days after it are 8, 9, 10 (Sat, make-up), 12 and 13 Oct.
    assert add_working_days(D(2026, 9, 30), 5, calendar=CAL) == D(2026, 10, 13)
    assert due_date(D(2026, 9, 30), 5, working_days=True, calendar=CAL) == D(2026, 10, 13)


def test_five_working_days_ordinary_week():
    assert add_working_days(D(2026, 5, 4), 5, calendar=CAL) == D(2026, 5, 11)  # Mon → next Mon


def test_working_days_from_a_weekend():
    assert add_working_days(D(2026, 5, 9), 1, calendar=CAL) == D(2026, 5, 11)


def test_days_between():
    assert days_between(D(2026, 9, 30), D(2026, 10, 13), working_days=True, calendar=CAL) == 5
    assert days_between(D(2026, 5, 1), D(2026, 5, 16), working_days=False, calendar=CAL) == 15
    assert days_between(D(2026, 5, 16), D(2026, 5, 1), working_days=False, calendar=CAL) == -15


def test_zero_and_negative():
    assert due_date(D(2026, 5, 4), 0, working_days=True, calendar=CAL) == D(2026, 5, 4)
    with pytest.raises(ValueError):
        due_date(D(2026, 5, 4), -1, working_days=False, calendar=CAL)
