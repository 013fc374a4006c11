"""Starting, stopping and ticking statutory clocks. Callers are the case services (inside their
transaction) and the worker (`fangtiao worker` / `fangtiao clocks-tick`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import chinese_calendar
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fangtiao.clocks.calendar import CountingRule, WorkCalendar, due_date
from fangtiao.clocks.models import CalendarDay, Clock, ClockRule, ClockState, CountingSetting, WorkerHeartbeat
from fangtiao.core import changes as changes_feed

# The years the installed chinesecalendar knows (1.11: 2004–2026), read from its own tables so that an
# upgraded package is used for its new years without a code change; other years: weekends plus the
# administrators' CalendarDay table.
_KNOWN = [*chinese_calendar.holidays, *chinese_calendar.workdays]
PACKAGE_YEARS = range(min(_KNOWN).year, max(_KNOWN).year + 1)


def work_calendar(start: dt.date, end: dt.date) -> WorkCalendar:
    """Holidays and make-up working days between two dates: the maintained package for the
    years it covers, then the administrators' table (which wins where both speak)."""
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    day = start - dt.timedelta(days=1)
    while day <= end:
        if day.year in PACKAGE_YEARS:
            is_work = chinese_calendar.is_workday(day)
            if is_work and day.weekday() >= 5:
                workdays.add(day)
            elif not is_work and day.weekday() < 5:
                holidays.add(day)
        day += dt.timedelta(days=1)
    for row in CalendarDay.objects.filter(date__gte=start, date__lte=end):
        holidays.discard(row.date)
        workdays.discard(row.date)
        if row.is_workday and row.date.weekday() >= 5:
            workdays.add(row.date)
        elif not row.is_workday and row.date.weekday() < 5:
            holidays.add(row.date)
    return WorkCalendar(holidays=frozenset(holidays), workdays=frozenset(workdays))


def _ancestor_ids(region: Any) -> list[str]:
    return [c for c in region.path.strip("/").split("/") if c] if region is not None else []


def rule_for(code: str, region: Any = None) -> ClockRule:
    """The rule of the deepest region on the path that overrides it, else the default."""
    codes = _ancestor_ids(region)
    rows = list(ClockRule.objects.filter(code=code, active=True).select_related("region"))
    best, depth = None, -1
    for row in rows:
        if row.region is None:
            if depth < 0:
                best = row
        elif row.region.code in codes and codes.index(row.region.code) > depth:
            best, depth = row, codes.index(row.region.code)
    if best is None:
        raise LookupError(f"no active clock rule {code!r}")
    return best


def counting_for(region: Any = None) -> CountingRule:
    codes = _ancestor_ids(region)
    settings = {s.region.code: s for s in CountingSetting.objects.filter(region__code__in=codes).select_related("region")}
    for code in reversed(codes):
        if code in settings:
            s = settings[code]
            return CountingRule(count_start_day=s.count_start_day, shift_to_workday=s.shift_to_workday)
    return CountingRule()


def compute_due(rule: ClockRule, start: dt.date, region: Any = None, *, extra_days: int = 0) -> dt.date:
    days = rule.days + extra_days
    horizon = start + dt.timedelta(days=days * 2 + 60)
    return due_date(start, days, working_days=rule.working_days, calendar=work_calendar(start, horizon),
                    rule=counting_for(region))


def clock_start(*, case: Any, code: str, start_on: dt.date, holder_unit: Any = None, note: str = "",
                watch_unit: Any = None) -> Clock:
    """Start (or restart) the clock `code` on a case. An open clock of the same code is closed first.

    `holder_unit` owes the act within the period (its delay flags the case overdue); `watch_unit`
    is only reminded (a party's own window, such as applying for judicial confirmation)."""
    rule = rule_for(code, case.region)
    Clock.objects.filter(case=case, code=code, state__in=[ClockState.RUNNING, ClockState.PAUSED, ClockState.OVERDUE]).update(
        state=ClockState.CANCELLED, stopped_on=start_on)
    return Clock.objects.create(case=case, rule=rule, code=code, started_on=start_on,
                                due_on=compute_due(rule, start_on, case.region), holder_unit=holder_unit, note=note[:200],
                                watch_unit=watch_unit)


def clock_exempt(*, case: Any, code: str, on: dt.date, note: str) -> Clock:
    """Record that the law does not require this period here (e.g. 第23条: name or address unclear)."""
    rule = rule_for(code, case.region)
    return Clock.objects.create(case=case, rule=rule, code=code, started_on=on, due_on=None,
                                state=ClockState.EXEMPT, stopped_on=on, note=note[:200])


def clock_stop(*, case: Any, code: str, on: dt.date) -> int:
    """Stop the open clock(s) `code`: met if on or before the due date, late otherwise."""
    n = 0
    for clock in Clock.objects.filter(case=case, code=code, state__in=[ClockState.RUNNING, ClockState.PAUSED, ClockState.OVERDUE]):
        clock.state = ClockState.MET if clock.due_on is None or on <= clock.due_on else ClockState.LATE
        clock.stopped_on = on
        clock.save(update_fields=["state", "stopped_on"])
        n += 1
    return n


def clock_cancel(*, case: Any, codes: list[str] | None = None, on: dt.date) -> int:
    qs = Clock.objects.filter(case=case, state__in=[ClockState.RUNNING, ClockState.PAUSED, ClockState.OVERDUE])
    if codes is not None:
        qs = qs.filter(code__in=codes)
    return qs.update(state=ClockState.CANCELLED, stopped_on=on)


def clock_extend(*, case: Any, code: str, days: int) -> Clock | None:
    clock = Clock.objects.filter(case=case, code=code, state__in=[ClockState.RUNNING, ClockState.OVERDUE]).first()
    if clock is None:
        return None
    clock.extended_days += days
    clock.due_on = compute_due(clock.rule, clock.started_on, case.region, extra_days=clock.extended_days + clock.paused_days)
    if clock.state == ClockState.OVERDUE and clock.due_on >= timezone.localdate():
        clock.state = ClockState.RUNNING
        clock.notified_overdue = False
    clock.notified_soon = False
    clock.save(update_fields=["extended_days", "due_on", "state", "notified_overdue", "notified_soon"])
    return clock


def clock_pause(*, case: Any, code: str, on: dt.date) -> int:
    """Pause (e.g. 听证 time excluded from 复核, 第36条)."""
    return Clock.objects.filter(case=case, code=code, state=ClockState.RUNNING).update(state=ClockState.PAUSED, paused_on=on)


def clock_resume(*, case: Any, code: str, on: dt.date) -> int:
    n = 0
    for clock in Clock.objects.filter(case=case, code=code, state=ClockState.PAUSED):
        clock.paused_days += max((on - (clock.paused_on or on)).days, 0)
        clock.due_on = compute_due(clock.rule, clock.started_on, case.region, extra_days=clock.extended_days + clock.paused_days)
        clock.state = ClockState.RUNNING
        clock.paused_on = None
        clock.save(update_fields=["paused_days", "due_on", "state", "paused_on"])
        n += 1
    return n


def clock_tick(*, today: dt.date | None = None, batch: int = 500) -> dict[str, int]:
    """Mark overdue clocks and warn of those due soon, each exactly once.

    Claims rows with compare-and-set updates (state/flag in the WHERE clause), so several
    workers can run at once without double notices. Reads only the partial index on open clocks."""
    from fangtiao.notifications.services import notify_unit

    today = today or timezone.localdate()
    counts = {"overdue": 0, "due_soon": 0}
    overdue_ids = list(Clock.objects.filter(state=ClockState.RUNNING, due_on__lt=today).values_list("pk", flat=True)[:batch])
    for pk in overdue_ids:
        with transaction.atomic():
            if not Clock.objects.filter(pk=pk, state=ClockState.RUNNING).update(state=ClockState.OVERDUE, notified_overdue=True):
                continue  # another worker claimed it
            clock = Clock.objects.select_related("case", "rule").get(pk=pk)
            from fangtiao.cases.models import Case

            changes_feed.mark("case", clock.case_id)  # the petition rates class overdue clocks

            if clock.holder_unit_id:  # a lapsed window of the citizen's (复查/复核 request) is no unit's delay
                Case.objects.filter(pk=clock.case_id).update(is_overdue=True, version=F("version"))
                notify_unit(unit_id=clock.holder_unit_id, kind="overdue", case=clock.case,
                            title=f"已超期：{clock.case.number} {clock.rule.name}",
                            body=f"期满日 {clock.due_on.year}年{clock.due_on.month}月{clock.due_on.day}日，依据 {clock.rule.source}")
            elif clock.watch_unit_id:
                notify_unit(unit_id=clock.watch_unit_id, kind="window_lapsed", case=clock.case,
                            title=f"期限已过：{clock.case.number} {clock.rule.name}",
                            body=f"期满日 {clock.due_on.year}年{clock.due_on.month}月{clock.due_on.day}日，依据 {clock.rule.source}")
            counts["overdue"] += 1
    soon_rows = list(
        Clock.objects.filter(state=ClockState.RUNNING, notified_soon=False, due_on__gte=today,
                             due_on__lte=today + dt.timedelta(days=30))
        .select_related("rule").values_list("pk", "due_on", "rule__due_soon_days", "started_on", "rule__days",
                                            "rule__working_days", "extended_days", "paused_days")[: batch * 4]
    )
    for pk, due_on, soon_days, started_on, days, working, extended, paused in soon_rows:
        # Warn `due_soon_days` before the period's nominal last day: a last day moved past a holiday
        # must not delay the warning (the 30-day confirmation window warns on day 20 regardless).
        nominal = due_on if working else min(due_on, started_on + dt.timedelta(days=days + extended + paused))
        if (nominal - today).days > soon_days:
            continue
        with transaction.atomic():
            if not Clock.objects.filter(pk=pk, notified_soon=False).update(notified_soon=True):
                continue
            clock = Clock.objects.select_related("case", "rule").get(pk=pk)
            if clock.holder_unit_id or clock.watch_unit_id:
                notify_unit(unit_id=clock.holder_unit_id or clock.watch_unit_id, kind="due_soon", case=clock.case,
                            title=f"临期：{clock.case.number} {clock.rule.name}",
                            body=f"期满日 {clock.due_on.year}年{clock.due_on.month}月{clock.due_on.day}日，依据 {clock.rule.source}")
            counts["due_soon"] += 1
    return counts


HEARTBEAT_KEEP = dt.timedelta(days=7)


def worker_heartbeat_touch(*, host: str, pid: int, started_at: dt.datetime, version: str = "",
                           clock_ticked_at: dt.datetime | None = None,
                           now: dt.datetime | None = None) -> WorkerHeartbeat:
    """Record that the worker process (host, pid) is alive — and, when given, that it has just run
    the clock tick. Rows of processes silent for more than 7 days are pruned (a restart gets a new
    pid, so without pruning the table would grow by one row per restart)."""
    now = now or timezone.now()
    values: dict[str, Any] = {"started_at": started_at, "last_seen_at": now, "version": version[:50]}
    if clock_ticked_at is not None:
        values["last_clock_tick_at"] = clock_ticked_at
    with transaction.atomic():
        row, _ = WorkerHeartbeat.objects.update_or_create(host=host[:255], pid=pid, defaults=values)
        WorkerHeartbeat.objects.filter(last_seen_at__lt=now - HEARTBEAT_KEEP).delete()
    return row
