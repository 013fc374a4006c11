"""Shared pieces of the JSON API: error shape, Chinese validation messages, pagination."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db.models import QuerySet
from ninja import Field, Schema

T = TypeVar("T")

# pydantic error types → Chinese messages (the API answers in Chinese, API.md § Conventions).
_MESSAGES: dict[str, str] = {
    "missing": "此项为必填项",
    "string_type": "应为文本",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "greater_than_equal": "数值过小",
    "greater_than": "数值过小",
    "less_than_equal": "数值过大",
    "less_than": "数值过大",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式不正确",
    "literal_error": "取值无效",
    "enum": "取值无效",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_attributes_type": "应为对象",
    "json_invalid": "请求体不是有效的 JSON",
    "value_error": "取值无效",
    "extra_forbidden": "不允许的字段",
    "too_long": "项目过多",
}


def translate_validation_errors(errors: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload", "filters", "params")]
        field = ".".join(loc) or "__all__"
        kind = err.get("type", "")
        msg = _MESSAGES.get(kind)
        if kind == "value_error" and err.get("msg", "").startswith("Value error, "):
            msg = err["msg"].removeprefix("Value error, ")
        if kind == "less_than_equal" and isinstance(err.get("ctx"), dict) and "le" in err["ctx"]:
            msg = f"不能大于 {err['ctx']['le']}"
        if kind == "greater_than_equal" and isinstance(err.get("ctx"), dict) and "ge" in err["ctx"]:
            msg = f"不能小于 {err['ctx']['ge']}"
        out.append({"field": field, "message": msg or "取值无效"})
    return out


class ErrorItem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem] = []


class PageIn(Schema):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(settings.FANGTIAO_PAGE_SIZE, ge=1, le=settings.FANGTIAO_MAX_PAGE_SIZE)


class Page(Schema, Generic[T]):
    items: list[T]
    count: int


def paginate(qs: QuerySet, params: PageIn, to_out: Callable[[Any], T]) -> dict[str, Any]:
    """One COUNT and one page query (plus the selector's fixed prefetches)."""
    count = qs.count()
    start = (params.page - 1) * params.page_size
    items = [to_out(obj) for obj in qs[start : start + params.page_size]] if start < count else []
    return {"items": items, "count": count}


ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
