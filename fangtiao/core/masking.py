"""Masks for sensitive personal information shown on screen, in exports and in API responses."""

from __future__ import annotations


def mask_id_number(value: str | None) -> str:
    """331003********123X: region kept, birth date and sequence hidden except the last 4."""
    if not value:
        return ""
    v = value.strip()
    if len(v) < 10:
        return "*" * len(v)
    return v[:6] + "*" * (len(v) - 10) + v[-4:]


def mask_phone(value: str | None) -> str:
    """138****0000 for mobiles; 0576-****3456 for landlines."""
    if not value:
        return ""
    v = value.strip()
    if len(v) == 11 and v.startswith("1"):
        return v[:3] + "****" + v[-4:]
    if "-" in v:
        area, _, number = v.partition("-")
        return f"{area}-" + "*" * max(len(number) - 4, 0) + number[-4:]
    return "*" * max(len(v) - 4, 0) + v[-4:]


def mask_name(value: str | None) -> str:
    """王某某 style: keep the surname only (for the public portal)."""
    if not value:
        return ""
    return value[0] + "某" * max(len(value) - 1, 1)
