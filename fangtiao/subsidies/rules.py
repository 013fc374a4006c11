"""Pure parts of 以奖代补: periods, rule validation, which rule a case earns, how an amount splits.

Which rule: among the active rules of the kind whose dates cover the day the case was resolved
(or the mediation succeeded) and whose conditions the case meets, the one paying the most per
case (then the most specific, then the newest). A case earns one subsidy, once: when it both
resolved a backlog and succeeded in mediation, the better of the two (the same order) is paid."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from fangtiao.core.errors import FieldError
from fangtiao.subsidies.choices import PeriodKind, RuleKind, Split, UnitLevel

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("100000.00")  # a rule's amount per case (well below the ¥1,000,000 a 12-digit column holds)
MAX_MIN_AMOUNT = Decimal("999999999999")  # a case amount condition (the column holds 14 digits, 2 of them cents)
MAX_HEADCOUNT = 100000
CONTROL_ERROR = "不能包含控制字符"
_PERIOD = re.compile(r"^(\d{4})-(?:(\d{2})|Q([1-4]))$")


@dataclass(frozen=True)
class Period:
    code: str
    kind: str
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"


def parse_period(value: str | None) -> Period | None:
    """2026-05 (a month) or 2026-Q2 (a quarter); None if malformed."""
    m = _PERIOD.match((value or "").strip().upper())
    if not m:
        return None
    year = int(m.group(1))
    if not 2000 <= year <= 2100:
        return None
    if m.group(2):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            return None
        start = dt.date(year, month, 1)
        end = dt.date(year, month, calendar.monthrange(year, month)[1])
        return Period(f"{year}-{month:02d}", PeriodKind.MONTH, start, end)
    q = int(m.group(3))
    start = dt.date(year, 3 * q - 2, 1)
    last = 3 * q
    return Period(f"{year}-Q{q}", PeriodKind.QUARTER, start, dt.date(year, last, calendar.monthrange(year, last)[1]))


PERIOD_ERROR = "期间格式应为“2026-05”（月度）或“2026-Q2”（季度）"


def money(value: Any) -> Decimal | None:
    try:
        d = Decimal(str(value).strip())
    except (ArithmeticError, ValueError, TypeError):
        return None
    if not d.is_finite():
        return None
    return d


def has_control(value: Any) -> bool:
    """Text with a control character (a NUL byte, which PostgreSQL refuses) is refused, not a 500."""
    return isinstance(value, str) and any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in value)


def rule_errors(rule: Any) -> list[FieldError]:
    """Every problem of a rule, in Chinese (model.clean(), the services and the page use it)."""
    errors: list[FieldError] = []
    if not str(rule.name or "").strip():
        errors.append(FieldError("name", "请填写规则名称"))
    if rule.kind not in RuleKind.values:
        errors.append(FieldError("kind", "奖补类型应为信访积案化解或调解成功"))
    for field, label, allow_zero in (("amount", "每件奖补金额", False), ("committee_amount", "调委会每件金额", True)):
        value = getattr(rule, field)
        d = money(value) if value is not None else None
        if d is None:
            errors.append(FieldError(field, f"请填写{label}（元）"))
        elif d < 0 or (d == 0 and not allow_zero):
            errors.append(FieldError(field, f"{label}应大于0" if not allow_zero else f"{label}不能为负数"))
        elif d > MAX_AMOUNT:
            errors.append(FieldError(field, f"{label}不能超过{MAX_AMOUNT}元"))
        elif d != d.quantize(CENT):
            errors.append(FieldError(field, f"{label}最多保留两位小数（分）"))
    if rule.split not in Split.values:
        errors.append(FieldError("split", "分配方式应为主调全得或平分"))
    if rule.unit_level and rule.unit_level not in UnitLevel.values:
        errors.append(FieldError("unit_level", "调委会层级应为区级、乡镇级或村级"))
    for field, label in (("name", "规则名称"), ("note", "说明")):
        if has_control(getattr(rule, field)):
            errors.append(FieldError(field, f"{label}{CONTROL_ERROR}"))
    if rule.min_amount is not None:
        d = money(rule.min_amount)
        if d is None or d < 0:
            errors.append(FieldError("min_amount", "涉及金额下限不能为负数"))
        elif d > MAX_MIN_AMOUNT:
            errors.append(FieldError("min_amount", f"涉及金额下限不能超过{MAX_MIN_AMOUNT}元"))
        elif d != d.quantize(CENT):
            errors.append(FieldError("min_amount", "涉及金额下限最多保留两位小数（分）"))
    if rule.min_headcount is not None:
        if not isinstance(rule.min_headcount, int) or isinstance(rule.min_headcount, bool):
            errors.append(FieldError("min_headcount", "人数应为整数"))
        elif rule.min_headcount < 1:
            errors.append(FieldError("min_headcount", "涉及人数下限至少为1"))
        elif rule.min_headcount > MAX_HEADCOUNT:
            errors.append(FieldError("min_headcount", f"涉及人数下限不能超过{MAX_HEADCOUNT}"))
    if rule.valid_from is None:
        errors.append(FieldError("valid_from", "请填写生效日期"))
    elif rule.valid_to is not None and rule.valid_to < rule.valid_from:
        errors.append(FieldError("valid_to", "失效日期不能早于生效日期"))
    return errors


@dataclass(frozen=True)
class Facts:
    """What a rule looks at for one case (read once, in bulk)."""

    category_id: str | None
    amount: Decimal | None
    headcount: int
    collective: bool
    region_path: str
    committee_level: str | None
    day: dt.date


def matches(rule: Any, f: Facts) -> bool:
    if not rule.active or f.day < rule.valid_from or (rule.valid_to is not None and f.day > rule.valid_to):
        return False
    if rule.category_id and rule.category_id != f.category_id:
        return False
    if rule.min_amount is not None and (f.amount is None or f.amount < rule.min_amount):
        return False
    if rule.min_headcount and f.headcount < rule.min_headcount:
        return False
    if rule.collective_only and not f.collective:
        return False
    if rule.unit_level and rule.unit_level != f.committee_level:
        return False
    return not (rule.region_path and not f.region_path.startswith(rule.region_path))


def _specificity(rule: Any) -> int:
    return sum(bool(x) for x in (rule.category_id, rule.min_amount is not None, rule.min_headcount,
                                  rule.collective_only, rule.unit_level, rule.region_path))


def rank(rule: Any) -> tuple[Decimal, int, int]:
    """Which of two rules a case earns: the one paying most per case, then the most specific, then
    the newest — within a kind and, since a case is paid once, across kinds."""
    return (rule.amount + rule.committee_amount, _specificity(rule), rule.pk or 0)


def best_rule(rules: Iterable[Any], f: Facts) -> Any | None:
    candidates = [r for r in rules if matches(r, f)]
    if not candidates:
        return None
    return max(candidates, key=rank)


def split(amount: Decimal, mediators: Sequence[Any], how: str) -> list[tuple[Any, Decimal]]:
    """The mediators' shares (lead first in `mediators`): the lead takes all, or equal shares with the
    odd cents to the first ones, so the shares always add up to the amount exactly."""
    if not mediators:
        return []
    if how == Split.LEAD:
        return [(mediators[0], amount)]
    n = len(mediators)
    base = (amount / n).quantize(CENT, rounding=ROUND_DOWN)
    rest = int(((amount - base * n) / CENT).to_integral_value())
    return [(m, base + (CENT if i < rest else 0)) for i, m in enumerate(mediators)]
