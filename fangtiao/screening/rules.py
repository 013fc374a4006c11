"""The early-warning rule table: for each kind of warning, what raises it and at which level.

The thresholds are this district's practice, not national law (legal-rules §6: 重复信访 and 积案
have no official definition — UNVERIFIED — and must be configurable). A WarningRule row overrides
any of the parameters below; `docs/warnings.md` is generated from this table.
"""

from __future__ import annotations

from typing import Any

from fangtiao.screening.choices import Level, WarningKind

K = WarningKind

# kind → (legal or practice source, parameters with their defaults, how the level is decided)
DEFAULTS: dict[str, dict[str, Any]] = {
    K.REPEAT: {
        "source": "重复信访（同人+同事）：legal-rules §6 重复信访（实践定义，UNVERIFIED）；信访工作条例 第19条第3款",
        "params": {"period_days": 365, "yellow": 2, "orange": 3, "red": 5},
        "rule": "同一信访人在 period_days 天内就同一事项第 yellow/orange/red 次（含本次）提出 → 黄/橙/红",
    },
    K.COLLECTIVE: {
        "source": "集体访：信访工作条例 第20条第3款（推选代表不超过5人）",
        "params": {"orange": 5, "red": 50},
        "rule": "涉及人数 ≥ orange → 橙；≥ red 或重大紧急 → 红（事项办结后自动消除）",
    },
    K.LIKELY_COLLECTIVE: {
        "source": "倾向性、普遍性问题（seed 文章）：同一乡镇短期内多人反映相似事项",
        "params": {"window_days": 30, "yellow": 3, "orange": 5, "red": 10, "min_similarity": 0.5},
        "rule": "window_days 天内同一乡镇（街道）不同信访人提出的相似事项（文字相似度 ≥ min_similarity）达 yellow/orange/red 件 → 黄/橙/红",
    },
    K.SKIP_LEVEL: {
        "source": "越级访：信访工作条例 第20条第1款（本级或者上一级）；legal-rules §1.4",
        "params": {"period_days": 730},
        "rule": "信访人 period_days 天内曾越级走访，或登记时表示将越级、文字中有进京/到省等字样 → 橙；两者兼有 → 红",
    },
    K.EMOTION: {
        "source": "极端情绪风险：人民调解法 第25条（可能激化的纠纷）；seed 文章（律师提前介入）",
        "params": {},
        "rule": "文字中有自杀、自焚、同归于尽等词 → 红；有拼命、走投无路等词，或登记人员评估有激化风险 → 橙",
    },
    K.OVERDUE: {
        "source": "超期未办：信访工作条例 第22、23、34条（期限）；第44、45条（责任）",
        "params": {"orange_days": 15, "red_days": 60},
        "rule": "有超期时限 → 黄；超期 ≥ orange_days 天 → 橙；≥ red_days 天 → 红",
    },
    K.BACKLOG: {
        "source": "信访积案：legal-rules §6（可配置的积案认定规则，见调解模块的积案规则）",
        "params": {"red_days": 365},
        "rule": "未化解的积案 → 橙；登记已满 red_days 天 → 红",
    },
    K.HOTSPOT: {
        "source": "热点问题：seed 文章（研判矛盾发展趋势）",
        "params": {"yellow": 5, "orange": 10, "red": 20},
        "rule": "热点事项数 ≥ yellow → 黄；上升且 ≥ orange → 橙；≥ red → 红",
    },
    K.SCREENING_MISSED: {
        "source": "排查：seed 文章（每月2次开展矛盾纠纷排查）",
        "params": {"orange_consecutive": 2, "recent_days": 62},
        "rule": "近 recent_days 天内应完成的排查轮次逾期未报 → 黄；连续 orange_consecutive 次 → 橙（更早的逾期计入完成率，不再预警）",
    },
}


def params(kind: str) -> dict[str, Any] | None:
    """The parameters of a kind (defaults overridden by its WarningRule row); None when disabled."""
    from fangtiao.screening.models import WarningRule

    merged = dict(DEFAULTS[kind]["params"])
    row = WarningRule.objects.filter(kind=kind).first()
    if row is not None:
        if not row.enabled:
            return None
        merged.update({k: v for k, v in (row.params or {}).items() if k in merged})
    return merged


def by_count(n: int, p: dict[str, Any]) -> str | None:
    """Yellow/orange/red by a count against the thresholds of the same names."""
    if n >= p.get("red", 10**9):
        return Level.RED
    if n >= p.get("orange", 10**9):
        return Level.ORANGE
    if n >= p.get("yellow", 10**9):
        return Level.YELLOW
    return None
