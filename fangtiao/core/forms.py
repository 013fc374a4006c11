"""Form helpers: filter forms that know the user, and dates as people in China write them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms

_DATE_RE = re.compile(r"^\s*(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*(?:[-/.月])\s*(\d{1,2})\s*日?\s*$")
_COMPACT_RE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")


def parse_chinese_date(value: str) -> dt.date | None:
    """2026-05-04, 2026/5/4, 2026.5.4, 2026年5月4日 and 20260504 all mean 4 May 2026."""
    m = _DATE_RE.match(value or "") or _COMPACT_RE.match(value or "")
    if not m:
        return None
    try:
        day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    return day if dt.date(1900, 1, 1) <= day <= dt.date(2100, 12, 31) else None


class ChineseDateField(forms.DateField):
    default_error_messages = {"invalid": "日期格式不正确，请按“2026-05-04”或“2026年5月4日”填写"}

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        parsed = parse_chinese_date(str(value))
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class UserForm(forms.Form):
    """A form that receives the acting user (to scope its choices to the jurisdiction)."""

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select | forms.SelectMultiple) else "form-control"
            if isinstance(field.widget, forms.CheckboxInput):
                css = "form-check-input"
            field.widget.attrs.setdefault("class", css)


def choices_with_blank(choices: Any, blank: str = "全部") -> list[tuple[str, str]]:
    return [("", blank), *[(str(c), str(lbl)) for c, lbl in choices]]
