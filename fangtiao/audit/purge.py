"""The retention purge: the one way rows leave the audit tables (ADR 0017).

网络安全法 第21条(3): network logs are kept at least six months (we count 184 days); 个人信息保护法
第56条 and the access-log rule of the project (security-reliability.md §6 item 15): reveals of full
personal data, exports and the other access-log events at least three years. `purge()` refuses a
cutoff younger than FANGTIAO_AUDIT_RETENTION_DAYS (≥ 184), never removes a protected event younger
than FANGTIAO_AUDIT_PROTECTED_DAYS (≥ 1096), removes only events already sealed into the chain, in
chunks of one transaction each, and first writes an `AuditPurge` record (with the anchor: the chain
hash of the last link at or below its boundary) and the `audit.purged` event, so that an interrupted
purge leaves a chain that still verifies and can simply be run again."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from fangtiao.audit.models import AuditEvent, AuditPurge, AuditSeal
from fangtiao.core.errors import DomainError

MIN_RETENTION_DAYS = 184  # 网络安全法 第21条(3): 不少于六个月
MIN_PROTECTED_DAYS = 1096  # 个人信息保护法 第56条 (three years, a leap day included)
# PIPL access log: every reveal of full personal data, every export (of lists, reports, pay sheets, a
# person's own data, the log itself) and every download of a document carrying personal data.
PROTECTED_ACTIONS: frozenset[str] = frozenset({
    "pii.revealed", "export.xlsx", "audit.exported", "stats.exported", "subsidy.sheet_exported",
    "privacy.copy_exported", "document.downloaded", "document.scan_downloaded", "document.print_downloaded",
})


def protected_actions() -> frozenset[str]:
    return PROTECTED_ACTIONS


@contextmanager
def permit(*, using: str = DEFAULT_DB_ALIAS) -> Iterator[Any]:
    """Inside an open transaction: let this transaction (and only it) delete audit rows. The permit
    row is removed again before the transaction ends; on PostgreSQL the token also goes into a
    transaction-local setting that the trigger compares."""
    conn = connections[using]
    if not conn.in_atomic_block:
        raise RuntimeError("the audit purge permit needs an open transaction")
    token = secrets.token_hex(16)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO audit_purgepermit (token) VALUES (%s)", [token])
        if conn.vendor == "postgresql":
            cur.execute("SELECT set_config('fangtiao.audit_purge', %s, true)", [token])
        yield cur  # on an exception the caller's atomic block rolls the permit back with the rest
        if conn.vendor == "postgresql":
            cur.execute("SELECT set_config('fangtiao.audit_purge', '', true)")
        cur.execute("DELETE FROM audit_purgepermit WHERE token = %s", [token])


@dataclass(frozen=True)
class PurgePlan:
    cutoff: dt.datetime
    protected_cutoff: dt.datetime
    boundary_event_id: int | None
    count: int


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def retention_days() -> int:
    return max(MIN_RETENTION_DAYS, int(settings.FANGTIAO_AUDIT_RETENTION_DAYS))


def protected_days() -> int:
    return max(MIN_PROTECTED_DAYS, int(settings.FANGTIAO_AUDIT_PROTECTED_DAYS))


def _eligible(plan_cutoff: dt.datetime, protected_cutoff: dt.datetime, boundary: int) -> Q:
    """Old enough, at or below the boundary, and sealed: an unsealed event below the head (evidence
    of an insertion the verifier reports) is never purged away."""
    sealed = Exists(AuditSeal.objects.filter(event_id=OuterRef("id")))
    return Q(sealed, id__lte=boundary, at__lt=plan_cutoff) & (
        ~Q(action__in=sorted(protected_actions())) | Q(at__lt=protected_cutoff))


def plan(*, before: dt.date, today: dt.date | None = None) -> PurgePlan:
    """What a purge of the events before `before` (a local date) would remove; refuses a cutoff
    younger than the retention period."""
    today = today or timezone.localdate()
    youngest = today - dt.timedelta(days=retention_days())
    if before > youngest:
        raise DomainError(
            detail=f"截止日期过近：审计日志至少保存{retention_days()}日（网络安全法第二十一条），"
            f"只能清理{youngest:%Y年%m月%d日}（含）之前的记录",
            code="too_young")
    cutoff = _local_midnight(before)
    protected_cutoff = min(cutoff, _local_midnight(today - dt.timedelta(days=protected_days())))
    boundary = AuditSeal.objects.filter(event_at__lt=cutoff).aggregate(m=Max("event_id"))["m"]
    count = AuditEvent.objects.filter(_eligible(cutoff, protected_cutoff, boundary)).count() if boundary else 0
    return PurgePlan(cutoff=cutoff, protected_cutoff=protected_cutoff, boundary_event_id=boundary, count=count)


def purge(*, before: dt.date, actor_username: str, dry_run: bool = False, chunk: int = 2000,
          today: dt.date | None = None) -> tuple[PurgePlan, AuditPurge | None]:
    """Remove the eligible sealed events before `before`. Returns the plan and the purge record."""
    from fangtiao.audit import chain
    from fangtiao.audit.services import record
    from fangtiao.core import context

    p = plan(before=before, today=today)
    if dry_run or not p.boundary_event_id or not p.count:
        return p, None
    boundary = p.boundary_event_id
    with transaction.atomic():
        anchor = chain.link_hash_at(boundary)
        ctx = context.current()
        rec = AuditPurge.objects.create(
            cutoff=p.cutoff, protected_cutoff=p.protected_cutoff, protected_actions=sorted(protected_actions()),
            boundary_event_id=boundary, anchor=anchor, count=p.count, actor_username=actor_username[:150],
            request_id=ctx.request_id if ctx else "")
        record(actor=None, actor_username=actor_username, action="audit.purged", subject=rec,
               extra={"before": before.isoformat(), "cutoff": p.cutoff.isoformat(),
                      "protected_cutoff": p.protected_cutoff.isoformat(), "boundary_event_id": boundary,
                      "count": p.count, "anchor": anchor})
    eligible = _eligible(p.cutoff, p.protected_cutoff, boundary)
    low = 0
    while True:
        ids = list(AuditEvent.objects.filter(eligible, id__gt=low).order_by("id").values_list("id", flat=True)[:chunk])
        if not ids:
            break
        with transaction.atomic(), permit() as cur:
            placeholders = ",".join(["%s"] * len(ids))
            cur.execute(f"DELETE FROM audit_auditevent WHERE id IN ({placeholders})", ids)  # noqa: S608  # nosec B608  # — identifiers from model metadata or fixed names, values bound as parameters  # nosemgrep: fangtiao-sql-string-formatting — identifiers from model metadata or fixed names (quoted), values bound as parameters
        low = ids[-1]
    return p, rec
