"""The rule of the petitioner's satisfaction rating, as a pure function of the case and the day:
the progress page shows it and `services.case_rate` enforces it (409 with the reason).

- Who rates what: 国信发〔2014〕16号 (in force 2015-01-01): three levels 满意/基本满意/不满意
  (legal-rules §6, item 41); the petitioner rates once the matter is answered (已答复) or closed.
- Scope (第4条): matters that went to 诉讼、仲裁、行政复议 are not rated.
- Window: the number of days is **UNVERIFIED** (legal-rules §6): the `satisfaction.window` rule of
  the clock table (default 30 days from the written reply, editable per jurisdiction); for a case
  closed without a reply, FANGTIAO_RATING_DAYS (default 30) from closing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fangtiao.cases.choices import NotAcceptedChannel, Status
from fangtiao.cases.models import Case
from fangtiao.portal import conf

RATABLE_STATUSES = frozenset({Status.REPLIED, Status.CLOSED, Status.ARCHIVED})
OUT_OF_SCOPE_CHANNELS = frozenset({NotAcceptedChannel.LITIGATION, NotAcceptedChannel.ARBITRATION,
                                   NotAcceptedChannel.RECONSIDERATION})

NOT_YET = "该事项尚未答复或办结，暂不能评价"
ALREADY = "该事项已经评价，每个事项只能评价一次"
OUT_OF_SCOPE = "该事项已导入诉讼、仲裁、行政复议等法定途径，不在满意度评价范围内（国信发〔2014〕16号 第4条）"


def window_closed_message(days: int) -> str:
    return f"已超过评价期限（答复或办结之日起{days}日内），不能再评价"


@dataclass(frozen=True)
class RatingState:
    allowed: bool
    reason: str
    deadline: dt.date | None
    code: str  # ok | already_rated | not_ratable_yet | out_of_scope | window_closed


def anchor_date(case: Case) -> dt.date | None:
    return case.replied_on or case.closed_on


def rating_state(case: Case, today: dt.date) -> RatingState:
    days = conf.rating_days()
    anchor = anchor_date(case)
    deadline = anchor + dt.timedelta(days=days) if anchor else None
    # One window: where the reply started the `satisfaction.window` clock of the editable rule
    # table, its due date (holidays and the jurisdiction's counting rule applied) is the deadline.
    clock = case.clocks.filter(code="satisfaction.window").select_related("rule").order_by("-id").first()
    if clock is not None and clock.due_on is not None:
        deadline, days = clock.due_on, clock.rule.days
    if case.satisfaction:
        return RatingState(False, ALREADY, deadline, "already_rated")
    if case.status not in RATABLE_STATUSES or anchor is None:
        return RatingState(False, NOT_YET, None, "not_ratable_yet")
    if case.divert_route or (case.lawful_channel in OUT_OF_SCOPE_CHANNELS and not case.replied_on):
        return RatingState(False, OUT_OF_SCOPE, None, "out_of_scope")
    if deadline is not None and today > deadline:
        return RatingState(False, window_closed_message(days), deadline, "window_closed")
    return RatingState(True, "", deadline, "ok")
