"""Pure working-day arithmetic for statutory deadlines. No database, no clock: tested alone.

Rules encoded (legal-rules §1.6):
- Periods in 「日」 are calendar days; the start day is not counted (民法典 第201条;
  民事诉讼法(2023) 第85条), so a 15-day period from 1 May ends on 16 May.
- If the last day falls on a 法定休假日 (statutory holiday or weekend day off), the period ends
  on the first working day after it (民法典 第203条) — applied to 信访 deadlines by analogy,
  UNVERIFIED, therefore a per-jurisdiction setting (`shift_to_workday`).
- Periods in 「工作日」 (信访工作条例 第23条: 5个工作日) count working days only, skipping
  weekends and statutory holidays but counting make-up working days (调休上班).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are worked. `holidays`: weekdays off; `workdays`: weekend days worked."""

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def next_workday(self, day: dt.date) -> dt.date:
        """`day` itself if worked, else the first worked day after it."""
        guard = 0
        while not self.is_workday(day):
            day += DAY
            guard += 1
            if guard > 60:  # no real calendar has 60 consecutive days off
                raise ValueError("calendar has no working day within 60 days")
        return day


@dataclass(frozen=True)
class CountingRule:
    """How a jurisdiction counts periods (configurable per region)."""

    count_start_day: bool = False
    shift_to_workday: bool = True


DEFAULT_RULE = CountingRule()


def due_date(start: dt.date, days: int, *, working_days: bool, calendar: WorkCalendar,
             rule: CountingRule = DEFAULT_RULE) -> dt.date:
    """The last day of a period of `days` (calendar or working) starting on `start`."""
    if days < 0:
        raise ValueError("a period cannot be negative")
    if working_days:
        return add_working_days(start, days, calendar=calendar, count_start_day=rule.count_start_day)
    end = start + dt.timedelta(days=days - (1 if rule.count_start_day and days > 0 else 0))
    if rule.shift_to_workday:
        end = calendar.next_workday(end)
    return end


def add_working_days(start: dt.date, days: int, *, calendar: WorkCalendar, count_start_day: bool = False) -> dt.date:
    """The `days`-th working day after `start` (start excluded unless count_start_day)."""
    if days == 0:
        return start
    day = start
    counted = 0
    if count_start_day and calendar.is_workday(start):
        counted = 1
        if counted == days:
            return start
    while counted < days:
        day += DAY
        if calendar.is_workday(day):
            counted += 1
    return day


def days_between(start: dt.date, end: dt.date, *, working_days: bool, calendar: WorkCalendar) -> int:
    """How many (working) days after `start` until `end` inclusive; negative if end < start."""
    if end < start:
        return -days_between(end, start, working_days=working_days, calendar=calendar)
    if not working_days:
        return (end - start).days
    n, day = 0, start
    while day < end:
        day += DAY
        if calendar.is_workday(day):
            n += 1
    return n
