from __future__ import annotations

from fangtiao.clocks.rules import SEED_RULES


def ensure_rules(model: type | None = None) -> None:
    """Create the default rules that are missing (an administrator's edits are kept)."""
    if model is None:
        from fangtiao.clocks.models import ClockRule as model  # noqa: N813
    for rule in SEED_RULES:
        model.objects.get_or_create(code=rule["code"], region=None, defaults={k: v for k, v in rule.items() if k != "code"})
