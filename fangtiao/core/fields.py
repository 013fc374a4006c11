"""Model fields for personal information: encrypted at rest, decrypted on load."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from fangtiao.core import crypto

SERIAL_PREFIX = "enc:"


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
        # looks like our ciphertext format — is plaintext to be encrypted, never decrypted. The one
        # exception is what `value_to_string` wrote (dumpdata → loaddata): "enc:" + a ciphertext that
        # authenticates under this column's context, which only our key can produce.
        if value is None:
            return ""
        text = str(value)
        if text.startswith(SERIAL_PREFIX):
            try:
                return crypto.decrypt(text[len(SERIAL_PREFIX):], context=self._context())
            except (crypto.DecryptionError, ImproperlyConfigured):
                return text
        return text

    def value_to_string(self, obj: Any) -> str:
        """Serialisation (dumpdata, fixtures) carries the ciphertext, never the plaintext (issue 9:
        0 plaintext ID or phone numbers in dumps)."""
        value = self.value_from_object(obj)
        return SERIAL_PREFIX + crypto.encrypt(str(value), context=self._context()) if value else ""

    def get_prep_value(self, value: Any) -> str:
        if value is None or value == "":
            return ""
        return crypto.encrypt(str(value), context=self._context())

    def get_lookup(self, lookup_name: str):  # type: ignore[no-untyped-def]
        if lookup_name not in {"isnull", "exact"}:
            return None  # content lookups on ciphertext are meaningless; use the blind index
        return super().get_lookup(lookup_name)
