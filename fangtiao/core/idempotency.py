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
from fangtiao.core.errors import DomainError, FieldError, ValidationFailed
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


# Keys expire after 24 hours (security-reliability.md §4.2, the IETF Idempotency-Key draft): a retry
# comes within minutes, and the answers hold case data. A record past it is neither replayed nor
# kept from a new use of its key; the hourly purge (tasks.registry "idempotency.purge") deletes it.
RETENTION = dt.timedelta(hours=24)
KEY_ERROR = "Idempotency-Key 应为1–100个可打印字符"


def invalid_key(message: str = KEY_ERROR) -> DomainError:
    """400 with the header as the field (the IETF draft: a malformed key is a client error)."""
    return DomainError(detail=message, errors=[FieldError("Idempotency-Key", message)], code="invalid_idempotency_key",
                       status=400)


def check_key(raw: str | None) -> str | None:
    """The key as sent, stripped; None when none was sent; 400 when it is not 1–100 printable characters."""
    if raw is None or not raw.strip():
        return None
    key = raw.strip()
    if len(key) > 100 or not key.isprintable():
        raise invalid_key()
    return key


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
    key = check_key(key)
    if key is None:
        return fn()
    existing = _live(user_id, key)
    if existing is not None:
        return _replay(existing, endpoint, secret_fields, request_hash)
    try:
        with transaction.atomic():
            # Again inside the transaction: on SQLite (IMMEDIATE) a retry that queued behind the first
            # one's write lock sees its record here and replays without doing the work twice.
            existing = _live(user_id, key)
            if existing is not None:
                return _replay(existing, endpoint, secret_fields, request_hash)
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
        existing = _live(user_id, key)
        if existing is None:
            raise
        return _replay(existing, endpoint, secret_fields, request_hash)


def _live(user_id: int, key: str) -> IdempotencyRecord | None:
    """The stored answer for the key, unless it has expired (then it is deleted: the key is free)."""
    record = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
    if record is not None and record.created_at < timezone.now() - RETENTION:
        IdempotencyRecord.objects.filter(pk=record.pk, created_at=record.created_at).delete()
        return None
    return record


def _replay(record: IdempotencyRecord, endpoint: str, secret_fields: tuple[str, ...] = (),
            request_hash: str = "") -> tuple[int, Any]:
    if record.endpoint != endpoint:
        raise ValidationFailed.on("Idempotency-Key", "该 Idempotency-Key 已用于另一个请求")
    if request_hash and record.request_hash and record.request_hash != request_hash:
        raise ValidationFailed.on("Idempotency-Key", "该 Idempotency-Key 已用于内容不同的请求")
    return record.status_code, _open(record.response, secret_fields)
