"""Shared tables: gap-free number sequences and idempotency records."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class NumberSequence(models.Model):
    """One counter per (scope, unit, year): official document and case numbers without gaps.

    Allocated inside the transaction that uses the number (row lock), so a rolled-back
    registration gives its number back and two clerks never get the same one."""

    scope = models.CharField(max_length=32)
    unit_id = models.BigIntegerField()
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "unit_id", "year"], name="core_numberseq_uniq")]

    def __str__(self) -> str:
        return f"{self.scope}/{self.unit_id}/{self.year}: {self.last}"


class IdempotencyRecord(models.Model):
    """The first answer to a write sent with an `Idempotency-Key`, replayed for repeats."""

    user_id = models.BigIntegerField()
    key = models.CharField(max_length=100)
    endpoint = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64, blank=True)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "key"], name="core_idempotency_uniq")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
