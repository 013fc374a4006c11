"""docs/warnings.md, generated from the rule table (screening.rules) so the two cannot drift."""

from __future__ import annotations

from fangtiao.screening.choices import Level, WarningKind
from fangtiao.screening.rules import DEFAULTS


def render() -> str:
    lines = [
        "# Early-warning rules (预警规则)",
        "",
        "Generated from `fangtiao/screening/rules.py` by `fangtiao workflow-doc --write`; do not edit by hand.",
        "Each parameter can be changed, and each kind switched off, by a `WarningRule` row (Django admin →",
        "预警规则). Levels: " + "、".join(f"{lv.label}（{lv.value}）" for lv in Level) + ".",
        "",
        "| kind | 类型 | rule | parameters (default) | source |",
        "|---|---|---|---|---|",
    ]
    for kind, spec in DEFAULTS.items():
        params = ", ".join(f"`{k}`={v}" for k, v in spec["params"].items()) or "—"
        lines.append(f"| `{kind}` | {WarningKind(kind).label} | {spec['rule']} | {params} | {spec['source']} |")
    lines += [
        "",
        "When a rule runs:",
        "",
        "- at registration (in the registration's transaction): `repeat`, `collective`, `likely_collective`,",
        "  `skip_level`, `emotion` — `fangtiao/screening/engine.py` `evaluate_case`;",
        "- hourly in `fangtiao worker`: `overdue`, `backlog`, `hotspot`, `screening_missed`, and clearing of",
        "  warnings whose condition is gone (the case closed, the clock no longer overdue, the backlog resolved,",
        "  a missed round reported late) — `engine.refresh`.",
        "",
        "One warning row per signal (its key): the engine refreshes its reasons and may raise its level, never",
        "lower it; a resolved or cleared warning re-opens only if the level goes above what it was. A new",
        "warning or a higher level posts a notice to the owner unit's inbox.",
        "",
    ]
    return "\n".join(lines)
