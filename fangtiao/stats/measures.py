"""The counted measures of the statistics and the figures computed from them.

Each measure is a count attributed to one day — the day of the event it counts — and to the place
of the matter (its region, 发生地). The rates are ratios of these counts, with the formulas of
legal-rules §6 / item 40 (observed provincial formulas; the official ones are UNVERIFIED):

- 及时受理率 = 及时受理 / (及时受理 + 超期受理 + 超期未受理) — each petition with an acceptance clock
  (信访工作条例 第23条, 15日) is classed by that clock; one still inside its period is not yet classed.
  legal-rules item 40 asks for the rate separately for the 信访部门 and the 责任单位: the 信访部门's is
  `dispatched_on_time_rate`, by its 15-day disposition clock (第22条: 转送、交办 or accept);
- 按期办结率 = 按期答复 / (按期答复 + 超期答复 + 未答复 + 超期未答复) — by the handling clock (第35条, 60日);
- 参评率 = 已评价 / (已评价 + 超期未评价) — by the evaluation window (国信发〔2014〕16号; days configurable);
- 满意率 = (满意 + 基本满意) / 已评价;
- 重复信访率 = 重复件次 / 总件次 — of petitions: `repeat` and `skip_level` count 信访事项 only (the
  三下降 are petitions'), though the flags are set on disputes too.

Receipt-side measures (the first groups below) count a matter on the day it was received and
classify it by its current state; event measures count on their own day. See docs/statistics.md."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# (code, Chinese label, what day it is counted on)
MEASURES: tuple[tuple[str, str, str], ...] = (
    ("total", "事项总数", "收到日"),
    ("petitions", "信访事项", "收到日"),
    ("disputes", "矛盾纠纷", "收到日"),
    ("repeat", "重复信访（信访事项）", "收到日"),
    ("skip_level", "越级信访（信访事项）", "收到日"),
    ("collective", "集体访", "收到日"),
    ("disp_timely", "信访部门按期处理（转送、交办、受理）", "收到日"),
    ("disp_late", "信访部门超期处理", "收到日"),
    ("disp_overdue", "信访部门超期未处理", "收到日"),
    ("acc_timely", "及时受理", "收到日"),
    ("acc_late", "超期受理", "收到日"),
    ("acc_overdue", "超期未受理", "收到日"),
    ("rep_on_time", "按期答复", "收到日"),
    ("rep_late", "超期答复", "收到日"),
    ("rep_pending", "未答复（未到期）", "收到日"),
    ("rep_overdue", "超期未答复", "收到日"),
    ("rated", "已评价", "收到日"),
    ("rated_satisfied", "满意和基本满意", "收到日"),
    ("eval_overdue", "超期未评价", "收到日"),
    ("mediated", "调解终结（成功+不成）", "调解结束日"),
    ("mediation_agreed", "调解成功", "调解结束日"),
    ("agreed_village", "村级调解成功", "调解结束日"),
    ("confirmations", "司法确认有效", "裁定日"),
    ("confirmations_performed", "确认后已履行", "裁定日"),
    ("backlog_marked", "认定积案", "认定日"),
    ("backlog_resolved", "化解积案", "化解日"),
    ("consultations", "法律咨询", "咨询日"),
)
CODES: tuple[str, ...] = tuple(m[0] for m in MEASURES)
LABELS: dict[str, str] = {m[0]: m[1] for m in MEASURES}

# Breakdown dimensions kept in the monthly rollup ('' = no breakdown).
DIMENSIONS: tuple[str, ...] = ("channel", "category", "kind", "level")

FOUR = Decimal("0.0001")


def ratio(num: int, den: int) -> float | None:
    """A rate rounded half-up to 4 places, or None when nothing was counted."""
    if not den:
        return None
    return float((Decimal(num) / Decimal(den)).quantize(FOUR, rounding=ROUND_HALF_UP))


def figures(c: dict[str, int], backlog_open: int) -> dict[str, object]:
    """The API.md summary figures from one period's counts (`c` has every code of MEASURES)."""
    acc_classed = c["acc_timely"] + c["acc_late"] + c["acc_overdue"]
    disp_classed = c["disp_timely"] + c["disp_late"] + c["disp_overdue"]
    rep_classed = c["rep_on_time"] + c["rep_late"] + c["rep_pending"] + c["rep_overdue"]
    return {
        "total": c["total"],
        "petitions": c["petitions"],
        "disputes": c["disputes"],
        "repeat": c["repeat"],
        "skip_level": c["skip_level"],
        "collective": c["collective"],
        "repeat_rate": ratio(c["repeat"], c["petitions"]),
        "accepted_on_time_rate": ratio(c["acc_timely"], acc_classed),
        "dispatched_on_time_rate": ratio(c["disp_timely"], disp_classed),
        "closed_on_time_rate": ratio(c["rep_on_time"], rep_classed),
        "participation_rate": ratio(c["rated"], c["rated"] + c["eval_overdue"]),
        "satisfaction_rate": ratio(c["rated_satisfied"], c["rated"]),
        "mediated": c["mediated"],
        "mediation_success_rate": ratio(c["mediation_agreed"], c["mediated"]),
        "village_level_share": ratio(c["agreed_village"], c["mediation_agreed"]),
        "confirmations": c["confirmations"],
        "confirmations_performed_rate": ratio(c["confirmations_performed"], c["confirmations"]),
        "backlog_open": backlog_open,
        "backlog_resolved": c["backlog_resolved"],
        "consultations": c["consultations"],
    }


def zero() -> dict[str, int]:
    return dict.fromkeys(CODES, 0)
