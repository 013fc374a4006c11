"""`Idempotency-Key` for writes (API.md § Conventions): a repeat with the same key returns the
first result and creates nothing new — also when the two arrive at the same moment."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from fangtiao.core import crypto
from fangtiao.core.errors import DomainError, ValidationFailed
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


RETENTION = dt.timedelta(days=7)


def fingerprint(body: Any) -> str:
    """A digest of the request body: the same key with a different body is a client error."""
    return hashlib.sha256(json.dumps(_jsonable(body), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def purge_expired(*, now: dt.datetime | None = None) -> int:
    """Forget answers older than RETENTION (they hold case data; a retry comes within minutes)."""
    cutoff = (now or timezone.now()) - RETENTION
    return IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()[0]


def run_idempotent(*, key: str | None, user_id: int, endpoint: str, fn: Callable[[], tuple[int, Any]],
                   secret_fields: tuple[str, ...] = (), request_hash: str = "") -> tuple[int, Any]:
    """`secret_fields` of the response (e.g. a citizen's query code) are stored encrypted;
    `request_hash` (see fingerprint()) makes a reused key with another body a 422."""
    if not key:
        return fn()
    key = key.strip()
    if not key or len(key) > 100 or not key.isprintable():
        raise ValidationFailed.on("Idempotency-Key", "Idempotency-Key 应为1–100个可打印字符")
    existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
    if existing is not None:
        return _replay(existing, endpoint, secret_fields, request_hash)
    try:
        with transaction.atomic():
            status, body = fn()
            body = _jsonable(body)
            if status < 300:
                IdempotencyRecord.objects.create(user_id=user_id, key=key, endpoint=endpoint, status_code=status,
                                                 response=_seal(body, secret_fields), request_hash=request_hash)
            return status, body
    except (IntegrityError, DomainError):
        # A concurrent request with the same key committed first: ours is rolled back, theirs stands.
        # It may end on the record's unique key (IntegrityError) or earlier, on the row the first one
        # changed — a retry of an action that waited for the first one's row lock and then found the
        # version moved on (Conflict): either way the retry answers what the first one answered.
        existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
        if existing is None:
            raise
        return _replay(existing, endpoint, secret_fields, request_hash)


def _replay(record: IdempotencyRecord, endpoint: str, secret_fields: tuple[str, ...] = (),
            request_hash: str = "") -> tuple[int, Any]:
    if record.endpoint != endpoint:
        raise ValidationFailed.on("Idempotency-Key", "该 Idempotency-Key 已用于另一个请求")
    if request_hash and record.request_hash and record.request_hash != request_hash:
        raise ValidationFailed.on("Idempotency-Key", "该 Idempotency-Key 已用于内容不同的请求")
    return record.status_code, _open(record.response, secret_fields)
