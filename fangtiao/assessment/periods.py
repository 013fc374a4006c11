"""Assessment periods: `2026-05` (month), `2026-Q2` (quarter), `2026` (year).

The dynamic assessment (动态考核) reads the period itself; the static one (静态考核) the cumulative
span from 1 January of the same year to the period's last day."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from fangtiao.assessment.choices import PeriodType

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
MIN_YEAR, MAX_YEAR = 2000, 2100
PERIOD_ERROR = "考核期格式应为 2026-05（月）、2026-Q2（季）或 2026（年）"


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    key: str
    type: str
    start: dt.date
    end: dt.date

    @property
    def year_start(self) -> dt.date:
        return dt.date(self.start.year, 1, 1)

    @property
    def label(self) -> str:
        if self.type == PeriodType.MONTH:
            return f"{self.start.year}年{self.start.month}月"
        if self.type == PeriodType.QUARTER:
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        return f"{self.start.year}年"

    def __str__(self) -> str:
        return self.key


def parse_period(text: str) -> Period:
    """A period from its key; ValueError (with the Chinese message) when malformed."""
    text = (text or "").strip()
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12 or not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(PERIOD_ERROR)
        return Period(f"{year}-{month:02d}", PeriodType.MONTH, dt.date(year, month, 1), _month_end(year, month))
    if m := _QUARTER.match(text):
        year, q = int(m[1]), int(m[2])
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(PERIOD_ERROR)
        first = 3 * (q - 1) + 1
        return Period(f"{year}-Q{q}", PeriodType.QUARTER, dt.date(year, first, 1), _month_end(year, first + 2))
    if m := _YEAR.match(text):
        year = int(m[1])
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(PERIOD_ERROR)
        return Period(str(year), PeriodType.YEAR, dt.date(year, 1, 1), dt.date(year, 12, 31))
    raise ValueError(PERIOD_ERROR)


def month_key(d: dt.date) -> str:
    return f"{d.year}-{d.month:02d}"
