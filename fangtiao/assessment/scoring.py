"""Points from an indicator value (pure functions, no database).

- 线性计分 (linear): points = weight × clamp((value − floor) / (target − floor), 0, 1). For an
  indicator where lower is better the floor lies above the target, and the same formula holds.
- 达标计分 (threshold): the whole weight when the value reaches the target (≥ for higher-is-better,
  ≤ for lower-is-better), else 0.
- No value (nothing to measure, e.g. no rated matters): the whole weight or 0, per the item's
  `if_empty`.
Points are rounded half-up to 0.01; the combined total mixes the period's (dynamic) and the year to
date's (static) totals by the scheme's `dynamic_share`."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from fangtiao.assessment.choices import Direction, IfEmpty, Method

CENT = Decimal("0.01")


def points(*, weight: Decimal, method: str, floor: float, target: float, direction: str, if_empty: str,
           value: float | None) -> Decimal:
    weight = Decimal(weight)
    if value is None:
        return weight.quantize(CENT) if if_empty == IfEmpty.FULL else Decimal("0.00")
    if method == Method.THRESHOLD or floor == target:
        met = value >= target if direction == Direction.HIGHER else value <= target
        return weight.quantize(CENT) if met else Decimal("0.00")
    frac = (Decimal(str(value)) - Decimal(str(floor))) / (Decimal(str(target)) - Decimal(str(floor)))
    frac = min(max(frac, Decimal(0)), Decimal(1))
    return (weight * frac).quantize(CENT, rounding=ROUND_HALF_UP)


def combined(dynamic: Decimal, static: Decimal, dynamic_share: int) -> Decimal:
    share = Decimal(dynamic_share)
    return ((dynamic * share + static * (Decimal(100) - share)) / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def competition_ranks(totals: list[Decimal]) -> list[int]:
    """Ranks of totals sorted high to low, ties sharing a rank (1, 2, 2, 4)."""
    ranks: list[int] = []
    for i, t in enumerate(totals):
        ranks.append(ranks[-1] if i and totals[i - 1] == t else i + 1)
    return ranks
