"""A hand-countable month (May 2026, with May 2025 for the year-earlier comparisons) written
straight to the source tables, as the statistics tests do: the rules under test are the counting
rules, not the lifecycle. `TODAY` is 15 June 2026; the expected figures are in EXPECTED.

东城 (t01, with its village 上洋村 v01):
  c1 t01 05-03 petition: acceptance met, handling met, 满意, accepted 05-05 (2 days)
  c2 v01 05-10 petition, repeat: acceptance late, handling overdue, 不满意, accepted 05-30 (20 days)
  c3 v01 05-20 petition, repeat + skip-level: acceptance overdue, handling running, unrated, evaluation overdue
  c4 t01 05-25 dispute
  a year earlier: c5 v01 2025-05-08 repeat; c6 t01 2025-05-09 and c7 v01 2025-05-12 skip-level
  mediations ended in May: m1 (c4, 上洋村调委, 赵春花 lead) agreed; m2 (c1, 东城调委, 王小明 lead) agreed;
    m3 (c2, 东城调委, 王小明 lead) failed; m4 (c3) still open
  agreements: a1 (m2) effective 04-05 → follow-up due 05-05, visited 05-07; a2 (m1) reached 04-20, no
    effective date → due 05-20, not visited; a3 (m3) effective 03-10 → due 04-09 (not May)
  backlog: c2 resolved 05-18 by 王小明; (t02: c8 resolved 05-03)
  screening rounds due in May: 上洋村调委 r1 done on time, r2 done late, r3 missed; 东城调委 r4 done on time
  warnings raised in May: w1 acknowledged in 10 h, w2 after 2 days, w3 never (open), w4 cleared unacknowledged
西城 (t02): c8 05-05 petition, acceptance met, 满意; backlog resolved 05-03.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from fangtiao.cases.models import Case, Party
from fangtiao.clocks.models import Clock, ClockRule
from fangtiao.mediation.models import Agreement, Assignment, BacklogRecord, FollowUp, Mediation
from fangtiao.screening.models import EarlyWarning, ScreeningRound

TODAY = dt.date(2026, 6, 15)
_seq = itertools.count(1)

EXPECTED_T01 = {
    "accepted_on_time_rate": (1 / 3, 1, 3),
    "closed_on_time_rate": (1 / 3, 1, 3),
    "participation_rate": (2 / 3, 2, 3),
    "satisfaction_rate": (0.5, 1, 2),
    "screening_completion_rate": (0.5, 2, 4),
    "follow_up_rate": (0.5, 1, 2),
    "backlog_resolved": (1.0, 1, 0),
    "repeat_change": (1.0, 2, 1),
    "skip_level_change": (-0.5, 1, 2),
    "village_level_share": (0.5, 1, 2),
    "mediation_success_rate": (2 / 3, 2, 3),
    "avg_response_days": (11.0, 22, 2),
    "warning_ack_rate": (1 / 3, 1, 3),
}


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def case(xw: Any, region: Any, day: dt.date, kind: str = "petition", **kw: Any) -> Case:
    n = next(_seq)
    unit = xw.unit("t01_subcentre")
    c = Case.objects.create(number=f"ASM-{n}", number_unit=unit, number_year=day.year, number_seq=900000 + n,
                            kind=kind, channel="visit", title=f"考核测试事项{n}", region=region,
                            region_path=region.path, registered_unit=unit, holder_unit=unit, received_at=at(day), **kw)
    Party.objects.create(case=c, role="respondent", name="某某")
    return c


def clocks(c: Case, **states: str) -> None:
    codes = {"acc": "petition.acceptance_notice", "rep": "petition.handling", "ev": "satisfaction.window"}
    day = timezone.localtime(c.received_at).date()
    for key, state in states.items():
        code = codes[key]
        rule = ClockRule.objects.filter(code=code, region__isnull=True).first()
        Clock.objects.create(case=c, rule=rule, code=code, started_on=day, due_on=day + dt.timedelta(days=15), state=state)


def mediation(xw: Any, c: Case, unit_key: str, status: str, ended: dt.date | None, lead: str) -> Mediation:
    n = next(_seq)
    m = Mediation.objects.create(case=c, unit=xw.unit(unit_key), number=f"ASM-M-{n}", status=status,
                                 started_on=dt.date(2026, 4, 1), ended_on=ended)
    Assignment.objects.create(mediation=m, case=c, mediator=xw.w.mediators[lead], chosen_by="committee", lead=True,
                              assigned_by=xw.w.users["clerk_t01"])
    return m


def agreement(xw: Any, m: Mediation, reached: dt.date, effective: dt.date | None) -> Agreement:
    n = next(_seq)
    return Agreement.objects.create(mediation=m, case=m.case, number=f"ASM-A-{n}", form="written", status="effective",
                                    reached_on=reached, effective_on=effective, copies=3,
                                    created_by=xw.w.users["clerk_t01"])


def round_(xw: Any, unit_key: str, due: dt.date, status: str, late: bool = False) -> ScreeningRound:
    unit = xw.unit(unit_key)
    return ScreeningRound.objects.create(unit=unit, region_path=unit.region.path, period_start=due - dt.timedelta(days=10),
                                         due_on=due, status=status, late=late,
                                         screened_on=due if status == "done" else None)


def warning(xw: Any, region: Any, raised: dt.datetime, acked: dt.datetime | None, status: str) -> EarlyWarning:
    n = next(_seq)
    return EarlyWarning.objects.create(key=f"asm-{n}", kind="repeat", level="yellow", status=status, title=f"考核测试预警{n}",
                                       region=region, region_path=region.path, owner_unit=xw.unit("t01_subcentre"),
                                       raised_at=raised, last_seen_at=raised, acknowledged_at=acked)


def build_month(xw: Any) -> dict[str, Any]:
    """The scenario of the module docstring; returns the rows by name. Rebuild the rollups after."""
    d = dt.date
    t01, v01, t02 = xw.t01, xw.v01, xw.t02
    c1 = case(xw, t01, d(2026, 5, 3), satisfaction="satisfied", accepted_on=d(2026, 5, 5))
    clocks(c1, acc="met", rep="met")
    c2 = case(xw, v01, d(2026, 5, 10), satisfaction="unsatisfied", accepted_on=d(2026, 5, 30), is_repeat=True)
    clocks(c2, acc="late", rep="overdue")
    c3 = case(xw, v01, d(2026, 5, 20), is_repeat=True, is_skip_level=True)
    clocks(c3, acc="overdue", rep="running", ev="overdue")
    c4 = case(xw, t01, d(2026, 5, 25), kind="dispute")
    case(xw, v01, d(2025, 5, 8), is_repeat=True)
    case(xw, t01, d(2025, 5, 9), is_skip_level=True)
    case(xw, v01, d(2025, 5, 12), is_skip_level=True)
    c8 = case(xw, t02, d(2026, 5, 5), satisfaction="satisfied", accepted_on=d(2026, 5, 6))
    clocks(c8, acc="met")
    m1 = mediation(xw, c4, "v01_committee", "agreed", d(2026, 5, 26), "zhao_v01")
    m2 = mediation(xw, c1, "t01_committee", "agreed", d(2026, 5, 15), "wang_t01")
    m3 = mediation(xw, c2, "t01_committee", "failed", d(2026, 5, 28), "wang_t01")
    mediation(xw, c3, "t01_committee", "open", None, "wang_t01")
    agreement(xw, m2, d(2026, 4, 5), d(2026, 4, 5))
    agreement(xw, m1, d(2026, 4, 20), None)
    agreement(xw, m3, d(2026, 3, 10), d(2026, 3, 10))
    FollowUp.objects.create(case=c1, method="phone", visited_on=d(2026, 5, 7), satisfaction="satisfied",
                            visitor=xw.w.users["clerk_t01"])
    b = BacklogRecord.objects.create(case=c2, reason="测试", marked_on=d(2026, 1, 10), resolved_on=d(2026, 5, 18))
    b.resolvers.add(xw.w.mediators["wang_t01"])
    BacklogRecord.objects.create(case=c8, reason="测试", marked_on=d(2026, 1, 10), resolved_on=d(2026, 5, 3))
    round_(xw, "v01_committee", d(2026, 5, 15), "done")
    round_(xw, "v01_committee", d(2026, 5, 31), "done", late=True)
    round_(xw, "v01_committee", d(2026, 5, 20) + dt.timedelta(days=40), "scheduled")  # due in July: not counted
    ScreeningRound.objects.create(unit=xw.unit("v01_committee"), region_path=xw.v01.path, period_start=d(2026, 5, 2),
                                  due_on=d(2026, 5, 20), status="missed")
    round_(xw, "t01_committee", d(2026, 5, 15), "done")
    w1 = warning(xw, v01, at(d(2026, 5, 2)), at(d(2026, 5, 2), 20), "acknowledged")
    warning(xw, t01, at(d(2026, 5, 3)), at(d(2026, 5, 5)), "resolved")
    warning(xw, v01, at(d(2026, 5, 4)), None, "open")
    warning(xw, t01, at(d(2026, 5, 6)), None, "cleared")
    return {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "c8": c8, "w1": w1}


def rebuild() -> None:
    from fangtiao.stats import services

    services.rebuild()
