from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from fangtiao.core import enums
from fangtiao.core.api import ErrorOut

router = Router(tags=["元数据"])


@router.get("/meta/enums", response={200: dict[str, list[dict[str, str]]], 401: ErrorOut},
            summary="全部枚举的代码与中文名称")
def meta_enums(request: HttpRequest) -> dict[str, list[dict[str, str]]]:
    return enums.all_enums()
