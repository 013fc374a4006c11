"""Writing the audit log. Services call `record()` inside their own transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import os
import sys
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from fangtiao.audit.models import AuditEvent
from fangtiao.audit.registry import ACTIONS
from fangtiao.core import changes as changes_feed
from fangtiao.core import context

SENSITIVE_MARK = "（已加密，内容不记入日志）"
ANONYMOUS = "anonymous"  # a request without a signed-in user (the public portal, a failed login)
SYSTEM = "system"  # code outside any request, job or command context (a shell)


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(_jsonable(v) for v in value) if isinstance(value, set | frozenset) else [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Current values of `fields` (foreign keys as ids) for a before/after diff."""
    out: dict[str, Any] = {}
    for name in fields:
        f = obj._meta.get_field(name)
        if f.many_to_many:
            out[name] = sorted(str(pk) for pk in getattr(obj, name).values_list("pk", flat=True)) if obj.pk else []
        elif f.is_relation:
            out[name] = getattr(obj, f.attname)
        else:
            out[name] = getattr(obj, name)
    return out


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], *, sensitive: Iterable[str] = ()
) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields that changed; sensitive fields only say that they changed."""
    secret = set(sensitive)
    changes: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if _jsonable(old) == _jsonable(new):
            continue
        if key in secret:
            changes[key] = [SENSITIVE_MARK if old else "", SENSITIVE_MARK if new else ""]
        else:
            changes[key] = [_jsonable(old), _jsonable(new)]
    return changes


_process: tuple[int, str] | None = None


def _process_id() -> str:
    """One id per process for records written outside any request, job or command context (a
    management command of another app, a shell), so that its records stay correlated."""
    global _process
    if _process is None or _process[0] != os.getpid():
        _process = (os.getpid(), f"proc-{uuid.uuid4().hex}")
    return _process[1]


def _process_actor() -> str:
    """`system:<command>` under `fangtiao <command>` / `manage.py <command>`, else `system`."""
    prog = os.path.basename(sys.argv[0]) if sys.argv else ""
    if prog in ("fangtiao", "manage.py", "django-admin") and len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        return f"{SYSTEM}:{sys.argv[1]}"
    return SYSTEM


def _actor_fields(actor: Any) -> dict[str, Any]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor_id": None, "actor_username": "", "actor_name": "", "actor_roles": "", "unit_id": None, "unit_name": ""}
    unit = getattr(actor, "unit", None)
    roles = getattr(actor, "role_codes", None)
    return {
        "actor_id": actor.pk,
        "actor_username": actor.get_username(),
        "actor_name": getattr(actor, "name", "") or "",
        "actor_roles": ",".join(sorted(roles)) if roles else "",
        "unit_id": getattr(unit, "pk", None),
        "unit_name": str(unit) if unit is not None else "",
    }


def record(
    *,
    actor: Any,
    action: str,
    subject: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    success: bool = True,
    region_path: str | None = None,
    actor_username: str = "",
) -> AuditEvent:
    """Append one audit event. Call it inside the transaction of the change it records."""
    if action not in ACTIONS:
        raise ValueError(f"unregistered audit action {action!r}")
    ctx = context.current()
    fields = _actor_fields(actor)
    if actor_username and not fields["actor_username"]:
        fields["actor_username"] = actor_username[:150]
    if not fields["actor_username"]:
        # V16.2.1: every record names who acted — a job's or command's system actor, else the
        # anonymous visitor of a request, else the process itself.
        fields["actor_username"] = (ctx.actor if ctx and ctx.actor else ANONYMOUS if ctx else _process_actor())[:150]
    if region_path is None and subject is not None:
        region_path = getattr(subject, "audit_region_path", "") or ""
    event = AuditEvent(
        action=action,
        success=success,
        subject_type=subject._meta.label_lower if subject is not None else "",
        subject_id=str(subject.pk) if subject is not None else "",
        subject_repr=str(subject)[:200] if subject is not None else "",
        region_path=region_path or "",
        changes={k: _jsonable(v) for k, v in (changes or {}).items()},
        extra={k: _jsonable(v) for k, v in (extra or {}).items()},
        request_id=ctx.request_id if ctx else _process_id(),
        ip=ctx.ip if ctx else None,
        user_agent=ctx.user_agent if ctx else "",
        **fields,
    )
    event.save()
    source = changes_feed.subject_source(subject, (changes or {}).keys())
    if source is not None:
        changes_feed.mark(*source)
    return event
