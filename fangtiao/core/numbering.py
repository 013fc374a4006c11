"""Gap-free numbering (case numbers, transfer forms) safe under concurrent intake."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from fangtiao.core.models import NumberSequence


def next_number(*, scope: str, unit_id: int, year: int) -> int:
    """The next number of (scope, unit, year). Call inside the transaction that uses it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number() must run inside the transaction that stores the number")
    for _ in range(5):
        updated = NumberSequence.objects.select_for_update().filter(scope=scope, unit_id=unit_id, year=year).first()
        if updated is not None:
            updated.last += 1
            NumberSequence.objects.filter(pk=updated.pk).update(last=updated.last)
            return updated.last
        try:
            with transaction.atomic():
                NumberSequence.objects.create(scope=scope, unit_id=unit_id, year=year, last=1)
            return 1
        except IntegrityError:
            continue  # another transaction created the counter first: lock it and go on
    raise RuntimeError("could not allocate a number")


def chinese_year_number(prefix: str, year: int, seq: int, *, width: int = 5, word: str = "") -> str:
    """黄岩矛调访调〔2026〕00001号 — the official 〔year〕number号 form."""
    return f"{prefix}{word}〔{year}〕{seq:0{width}d}号"
