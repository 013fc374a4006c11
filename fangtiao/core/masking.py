"""Masks for sensitive personal information shown on screen, in exports and in API responses."""

from __future__ import annotations


def mask_id_number(value: str | None) -> str:
    """331003********123X: region kept, birth date and sequence hidden except the last 4.

    The region (county) and the last 4 stay, as clerks match people by them; the birth date never shows.
    security-reliability.md §3.2 suggests 3 + 4; the 6 + 4 rule is kept (ADR 0016, docs/security.md §4)."""
    if not value:
        return ""
    v = value.strip()
    if len(v) < 15:  # not an ID number (15 or 18): at most the last 4, never most of a short value
        return "*" * len(v) if len(v) <= 8 else "*" * (len(v) - 4) + v[-4:]
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


_PLACE_ENDS = ("村民委员会", "居民委员会", "村委会", "居委会", "社区", "村", "街道", "镇", "乡")


def mask_address(value: str | None) -> str:
    """浙江省台州市黄岩区东城街道某某村**** : down to the village or community, the rest (house
    number, building, room) masked; with no village, down to the township; digits never shown."""
    if not value:
        return ""
    v = value.strip()
    for marks in (_PLACE_ENDS[:6], _PLACE_ENDS[6:], ("区", "县", "市")):
        cut = max((v.rfind(m) + len(m) for m in marks if m in v), default=0)
        if cut:
            break
    kept = "".join("*" if ch.isdigit() else ch for ch in v[:cut])
    return kept + "****" if cut < len(v) else kept
