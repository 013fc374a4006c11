"""`Idempotency-Key` for writes (API.md § Conventions): a repeat with the same key returns the
first result and creates nothing new — also when the two arrive at the same moment."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction

from fangtiao.core import crypto
from fangtiao.core.errors import ValidationFailed
from fangtiao.core.models import IdempotencyRecord


def _jsonable(body: Any) -> Any:
    return json.loads(json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False))


def _seal(body: Any, secret_fields: tuple[str, ...]) -> Any:
    if not secret_fields or not isinstance(body, dict):
        return body
    return {k: (crypto.encrypt(str(v), context=f"idempotency.{k}") if k in secret_fields and v else v) for k, v in body.items()}


def _open(body: Any, secret_fields: tuple[str, ...]) -> Any:
    if not secret_fields or not isinstance(body, dict):
        return body
    return {k: (crypto.decrypt(v, context=f"idempotency.{k}") if k in secret_fields and crypto.is_encrypted(v) else v)
            for k, v in body.items()}


def run_idempotent(*, key: str | None, user_id: int, endpoint: str, fn: Callable[[], tuple[int, Any]],
                   secret_fields: tuple[str, ...] = ()) -> tuple[int, Any]:
    """`secret_fields` of the response (e.g. a citizen's query code) are stored encrypted."""
    if not key:
        return fn()
    key = key.strip()
    if not key or len(key) > 100 or not key.isprintable():
        raise ValidationFailed.on("Idempotency-Key", "Idempotency-Key 应为1–100个可打印字符")
    existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
    if existing is not None:
        return _replay(existing, endpoint, secret_fields)
    try:
        with transaction.atomic():
            status, body = fn()
            body = _jsonable(body)
            if status < 300:
                IdempotencyRecord.objects.create(user_id=user_id, key=key, endpoint=endpoint, status_code=status,
                                                 response=_seal(body, secret_fields))
            return status, body
    except IntegrityError:
        # A concurrent request with the same key committed first: ours is rolled back, theirs stands.
        existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
        if existing is None:
            raise
        return _replay(existing, endpoint, secret_fields)


def _replay(record: IdempotencyRecord, endpoint: str, secret_fields: tuple[str, ...] = ()) -> tuple[int, Any]:
    if record.endpoint != endpoint:
        raise ValidationFailed.on("Idempotency-Key", "该 Idempotency-Key 已用于另一个请求")
    return record.status_code, _open(record.response, secret_fields)
