"""Model fields for personal information: encrypted at rest, decrypted on load."""

from __future__ import annotations

from typing import Any

from django.db import models

from fangtiao.core import crypto


class EncryptedCharField(models.TextField):
    """Stores AES-GCM ciphertext; the Python value is the plaintext string ("" when empty).

    Not searchable by content: pair it with a blind-index column for exact matches.
    The model label and field name are bound into the ciphertext so values cannot be moved
    between columns unnoticed."""

    description = "Encrypted text"

    def _context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}" if hasattr(self, "model") else self.name

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str:
        if value is None or value == "":
            return ""
        return crypto.decrypt(value, context=self._context())

    def to_python(self, value: Any) -> str:
        # Values reach Python decrypted (from_db_value); whatever a user types — even text that
        # looks like our ciphertext format — is plaintext to be encrypted, never decrypted.
        return "" if value is None else str(value)

    def get_prep_value(self, value: Any) -> str:
        if value is None or value == "":
            return ""
        return crypto.encrypt(str(value), context=self._context())

    def get_lookup(self, lookup_name: str):  # type: ignore[no-untyped-def]
        if lookup_name not in {"isnull", "exact"}:
            return None  # content lookups on ciphertext are meaningless; use the blind index
        return super().get_lookup(lookup_name)
