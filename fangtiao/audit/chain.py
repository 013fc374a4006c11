"""The HMAC hash chain over the audit log: sealing and verification (ADR 0017).

GB/T 22239-2019 8.1.4.3 c) and 8.1.4.7 b), ASVS V16.4.2: tampering with the log must be evident.
Events are written in the business transactions, concurrently; chaining them at write time would
serialise every audited transaction behind one lock. Instead the periodic job `audit.seal` appends,
in event-id order, the events older than FANGTIAO_AUDIT_SEAL_LAG_SECONDS to `AuditSeal`:

    digest = SHA-256(canonical encoding of every column of the event)
    hash   = HMAC-SHA256(key, prev_hash | event_id | event_at | event_action | digest)

The key (FANGTIAO_AUDIT_KEY) is not in the database, so whoever can write the tables cannot forge
links. `verify()` streams the events and the links in id order (keyset pages: constant memory) and
names the first problem:
- changed_row     the event's columns no longer give the sealed digest;
- changed_link    a link's own fields were altered (its HMAC does not recompute);
- deleted_row     a sealed event is gone and no retention purge allowed its removal;
- deleted_link    a link is missing (the next link's prev_hash is not the previous link's hash);
- reordered_link  the links' event ids are not strictly increasing;
- inserted_row    an event below the sealed head has no link: written behind the sealer's back
                  (or committed later than the seal lag — see the ADR);
- anchor          a purge record's anchor is not the chain hash at its boundary;
- permit_left     a purge permit row was left committed (it would open the DELETE gate).
Events above the head are "awaiting seal", not a problem."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import DateTimeField, JSONField, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from fangtiao.audit.models import AuditEvent, AuditPurge, AuditSeal, PurgePermit

log = logging.getLogger(__name__)
GENESIS = "0" * 64
FIELDS: tuple[str, ...] = tuple(sorted(f.attname for f in AuditEvent._meta.concrete_fields))
_JSON = frozenset(f.attname for f in AuditEvent._meta.concrete_fields if isinstance(f, JSONField))
_DATETIMES = frozenset(f.attname for f in AuditEvent._meta.concrete_fields if isinstance(f, DateTimeField))


class AuditKeyMissing(ImproperlyConfigured):
    pass


@cache
def _key_for(configured: str, secret: str, local: bool) -> bytes:
    if not configured and not local:
        raise AuditKeyMissing("生产环境必须配置 FANGTIAO_AUDIT_KEY（审计哈希链密钥）")
    if configured:
        key = base64.b64decode(configured, validate=True)
        if len(key) < 32:
            raise ValueError("FANGTIAO_AUDIT_KEY must be at least 32 bytes (base64)")
        return key
    # Demo and tests only (settings refuse production without a key): derived like the field keys.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"fangtiao-audit-chain", info=b"audit-hmac").derive(
        secret.encode())


def key() -> bytes:
    return _key_for(settings.FANGTIAO_AUDIT_KEY, settings.SECRET_KEY, bool(settings.LOCAL))


def canonical(row: tuple[Any, ...]) -> bytes:
    """Every column as `name, value` pairs in a fixed order and textual form (times as UTC ISO with
    microseconds, JSON columns as the database's own text). NULL and empty values are left out, so a
    column added later with a NULL or empty default leaves the links sealed before it valid; a value
    changed to or from empty still changes the encoding (its pair appears or disappears)."""
    out: list[Any] = []
    for name, value in zip(FIELDS, row, strict=True):
        if value is None or value == "":
            continue
        if name in _DATETIMES:
            value = _at(value)
        elif not isinstance(value, bool | int | str):
            value = str(value)
        out.append(name)
        out.append(value)
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode()


def digest(row: tuple[Any, ...]) -> str:
    return hashlib.sha256(canonical(row)).hexdigest()


def _at(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def link(prev_hash: str, event_id: int, event_at: dt.datetime, event_action: str, event_digest: str) -> str:
    msg = "|".join((prev_hash, str(event_id), _at(event_at), event_action, event_digest)).encode()
    return hmac.new(key(), msg, hashlib.sha256).hexdigest()


def _rows(qs: Any) -> Any:
    annotations = {f"_{n}": Cast(n, TextField()) for n in _JSON}
    names = [f"_{n}" if n in _JSON else n for n in FIELDS]
    return qs.annotate(**annotations).values_list(*names)


# --- sealing -------------------------------------------------------------------------------------

def seal(*, lag_seconds: int | None = None, chunk: int = 2000, limit: int | None = None) -> int:
    """Append links for the events above the head older than the lag, in id order. Returns how many.
    Idempotent and safe to run concurrently (PostgreSQL: an advisory lock; SQLite: one writer)."""
    lag = settings.FANGTIAO_AUDIT_SEAL_LAG_SECONDS if lag_seconds is None else lag_seconds
    sealed = 0
    while limit is None or sealed < limit:
        horizon = timezone.now() - dt.timedelta(seconds=lag)
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_advisory_xact_lock(hashtext('fangtiao.audit.seal'))")
            head = AuditSeal.objects.order_by("-event_id").values_list("event_id", "hash").first()
            head_id, prev = head if head else (0, GENESIS)
            size = chunk if limit is None else min(chunk, limit - sealed)
            rows = list(_rows(AuditEvent.objects.filter(id__gt=head_id).order_by("id"))[:size])
            links = []
            i_id, i_at, i_action = FIELDS.index("id"), FIELDS.index("at"), FIELDS.index("action")
            for row in rows:
                if row[i_at] >= horizon:
                    break  # too young: a transaction holding a lower id may still commit
                d = digest(row)
                h = link(prev, row[i_id], row[i_at], row[i_action], d)
                links.append(AuditSeal(event_id=row[i_id], event_at=row[i_at], event_action=row[i_action],
                                       digest=d, prev_hash=prev, hash=h))
                prev = h
            AuditSeal.objects.bulk_create(links)
        sealed += len(links)
        if len(links) < size:
            break
    return sealed


def seal_job() -> int:
    """The periodic job `audit.seal` (tasks/registry.py). Without a key in production it only warns:
    the events stay unsealed (and `audit-verify` refuses) until FANGTIAO_AUDIT_KEY is set."""
    try:
        key()
    except AuditKeyMissing as exc:
        log.warning("%s：审计日志暂未封存", exc)
        return 0
    return seal()


def link_hash_at(event_id: int) -> str:
    return AuditSeal.objects.values_list("hash", flat=True).get(event_id=event_id)


# --- verification --------------------------------------------------------------------------------

@dataclass
class Problem:
    kind: str
    event_id: int
    detail: str = ""

    LABELS = {
        "changed_row": "记录被修改", "changed_link": "链环被修改", "deleted_row": "记录被删除",
        "deleted_link": "链环被删除", "reordered_link": "链环顺序被调换", "inserted_row": "插入了未封存的记录",
        "anchor": "清理锚点不符", "permit_left": "遗留清理许可",
    }

    def __str__(self) -> str:
        return f"{self.LABELS.get(self.kind, self.kind)}（{self.kind}）：事件ID {self.event_id}{'，' + self.detail if self.detail else ''}"


@dataclass
class Report:
    links: int = 0
    events: int = 0
    purged: int = 0
    awaiting: int = 0
    head: int = 0
    problem: Problem | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None


def _pages(qs: Any, key_index: int, chunk: int) -> Iterator[tuple[Any, ...]]:
    """Keyset pages of an id-ordered values_list (constant memory, any size)."""
    last = None
    while True:
        page_qs = qs if last is None else qs.filter(id__gt=last)
        page = list(page_qs[:chunk])
        yield from page
        if len(page) < chunk:
            return
        last = page[-1][key_index]


def _event_stream(chunk: int) -> Iterator[tuple[int, str | None]]:
    """(id, digest) of every event in id order; a row the database can no longer decode gives None."""
    base = AuditEvent.objects.order_by("id")
    i_id = FIELDS.index("id")
    last = 0
    while True:
        try:
            page = [(row[i_id], digest(row)) for row in _rows(base.filter(id__gt=last))[:chunk]]
        except Exception:  # a value that no longer parses: find it row by row
            page = []
            for pk in base.filter(id__gt=last).values_list("id", flat=True)[:chunk]:
                try:
                    page.extend((pk, digest(row)) for row in _rows(base.filter(id=pk)))
                except Exception:
                    page.append((pk, None))
        yield from page
        if len(page) < chunk:
            return
        last = page[-1][0]


def verify(*, chunk: int = 5000) -> Report:
    """Recompute the whole chain; stop at the first problem."""
    report = Report()
    left = list(PurgePermit.objects.values_list("id", flat=True)[:1])
    if left:
        report.problem = Problem("permit_left", 0, "audit_purgepermit 中有已提交的许可，删除闸门处于打开状态")
        return report
    purges = list(AuditPurge.objects.order_by("id").values(
        "boundary_event_id", "cutoff", "protected_cutoff", "protected_actions", "anchor"))
    anchors: dict[int, list[str]] = {}
    for p in purges:
        anchors.setdefault(p["boundary_event_id"], []).append(p["anchor"])

    def purge_allowed(event_id: int, at: dt.datetime, action: str) -> bool:
        return any(event_id <= p["boundary_event_id"] and at < p["cutoff"]
                   and (action not in p["protected_actions"] or at < p["protected_cutoff"]) for p in purges)

    events = _event_stream(chunk)
    ev = next(events, None)
    prev, last_id = GENESIS, 0
    seals = AuditSeal.objects.order_by("id").values_list("id", "event_id", "event_at", "event_action", "digest",
                                                          "prev_hash", "hash")
    for _sid, event_id, event_at, action, d, prev_hash, stored in _pages(seals, 0, chunk):
        report.links += 1
        if event_id <= last_id:
            report.problem = Problem("reordered_link", event_id, f"排在事件ID {last_id} 之后")
            return report
        if ev is not None and ev[0] < event_id:
            if AuditSeal.objects.filter(event_id=ev[0]).exists():  # its link is elsewhere in the table
                report.problem = Problem("reordered_link", event_id, f"事件ID {ev[0]} 的链环被移到了后面")
            else:
                report.problem = Problem("inserted_row", ev[0], f"低于已封存的事件ID {event_id}，但没有链环")
            return report
        if prev_hash != prev:
            if AuditSeal.objects.filter(prev_hash=prev).exists():  # one query, only on a failure
                report.problem = Problem("reordered_link", event_id, f"应接在事件ID {last_id} 之后的链环不在此处")
            else:
                report.problem = Problem("deleted_link", event_id, f"事件ID {last_id} 与 {event_id} 之间的链环缺失")
            return report
        h = link(prev, event_id, event_at, action, d)
        if not hmac.compare_digest(h, stored):
            report.problem = Problem("changed_link", event_id)
            return report
        if ev is not None and ev[0] == event_id:
            report.events += 1
            if ev[1] is None or not hmac.compare_digest(ev[1], d):
                report.problem = Problem("changed_row", event_id)
                return report
            ev = next(events, None)
        elif purge_allowed(event_id, event_at, action):
            report.purged += 1
        else:
            report.problem = Problem("deleted_row", event_id)
            return report
        if event_id in anchors and any(a != h for a in anchors[event_id]):
            report.problem = Problem("anchor", event_id)
            return report
        prev, last_id = h, event_id
    report.head = last_id
    while ev is not None:  # above the head: not sealed yet
        report.events += 1
        report.awaiting += 1
        ev = next(events, None)
    return report
