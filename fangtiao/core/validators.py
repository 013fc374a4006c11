"""Validation of Chinese identity documents and phone numbers, with Chinese messages.

- 居民身份证号码: GB 11643-1999 (18 characters, ISO 7064 MOD 11-2 check character).
- Mobile numbers: 11 digits starting 1[3-9] (工业和信息化部 numbering plan).
- Landlines: area code 0xx/0xxx + 7–8 digit subscriber number, optional extension.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?[1-9]\d{6,7}(?:-\d{1,6})?$")
# Province-level prefixes of GB/T 2260 (the first two digits of every region code).
_PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
}


def normalize_id_number(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_error(value: str, *, today: dt.date | None = None) -> str | None:
    """Return a Chinese message describing what is wrong with an ID number, or None if valid."""
    v = normalize_id_number(value)
    if len(v) != 18:
        return "身份证号码应为18位"
    if not _ID_RE.match(v):
        return "身份证号码前17位应为数字，最后一位为数字或X"
    if v[:2] not in _PROVINCES:
        return "身份证号码的地区码无效"
    try:
        born = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return "身份证号码中的出生日期无效"
    if today is None:
        from django.utils import timezone

        today = timezone.localdate()
    if born > today or born.year < 1900:
        return "身份证号码中的出生日期不合理"
    if id_check_char(v[:17]) != v[17]:
        return "身份证号码校验位不正确，请核对"
    return None


def validate_id_number(value: str) -> None:
    msg = id_number_error(value)
    if msg:
        raise ValidationError(msg, code="id_number")


def normalize_phone(value: str) -> str:
    v = (value or "").strip().replace(" ", "").replace("（", "(").replace("）", ")")
    v = v.replace("(", "").replace(")", "-") if v.startswith("(") else v
    if v.startswith("+86"):
        v = v[3:]
    elif v.startswith("0086"):
        v = v[4:]
    return v.lstrip("-")


def phone_error(value: str) -> str | None:
    v = normalize_phone(value)
    if not v:
        return "请填写电话号码"
    if v.startswith("1"):
        return None if _MOBILE_RE.match(v) else "手机号码应为以1开头的11位数字"
    if v.startswith("0"):
        return None if _LANDLINE_RE.match(v) else "固定电话格式应为“区号-号码”，如 0576-84123456"
    return "电话号码格式不正确：手机号码11位，固定电话需带区号"


def validate_phone(value: str) -> None:
    msg = phone_error(value)
    if msg:
        raise ValidationError(msg, code="phone")


def is_mobile(value: str) -> bool:
    return bool(_MOBILE_RE.match(normalize_phone(value)))
