"""Every background job by name: the one list both backends read (docs/adr/0014-task-interface.md).

`TASKS` are run on request through the outbox (`services.enqueue`), with keyword arguments that are
plain JSON. `PERIODIC` are run by the schedule: "tick" jobs every worker interval (`fangtiao worker
--interval`, or FANGTIAO_TICK_SECONDS under Celery beat), the others every so many seconds.
Every job here must be idempotent — a job may run again after a crash between its work and its
"done" mark — and each of them is: the clock and mediation ticks claim each notice with a
compare-and-set update, the runs and print jobs claim their own rows, the rollups apply a queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

TASKS: dict[str, str] = {
    "assessment.run": "fangtiao.assessment.runs:run_one",            # a leader's score computation
    "screening.hotspot_run": "fangtiao.screening.hotspots:run_one",  # a hot-spot run over a window
    "documents.print": "fangtiao.documents.services:print_run",      # a batch print (rendering)
    "screening.case_registered": "fangtiao.screening.hooks:index_and_evaluate",  # text index + warnings of a new matter
    # --- reliability (issue 9) ---
    "notifications.sms_send": "fangtiao.notifications.sms:send",  # one SMS, de-duplicated by its message id
}


@dataclass(frozen=True)
class Periodic:
    name: str
    target: str
    every: int | None = None  # seconds; None = every tick
    kwargs: dict[str, Any] = field(default_factory=dict)


# In this order within a round: the statutory clocks first, derived work after.
PERIODIC: tuple[Periodic, ...] = (
    Periodic("clocks.tick", "fangtiao.clocks.services:clock_tick"),
    Periodic("mediation.tick", "fangtiao.mediation.services:tick"),
    Periodic("documents.prints_sweep", "fangtiao.documents.services:run_queued_prints"),
    Periodic("screening.tick", "fangtiao.screening.tasks:tick"),
    Periodic("assessment.runs_sweep", "fangtiao.assessment.runs:run_pending"),
    Periodic("stats.refresh", "fangtiao.stats.services:refresh"),
    Periodic("idempotency.purge", "fangtiao.core.idempotency:purge_expired", every=3600),
    Periodic("tasks.purge", "fangtiao.tasks.services:purge_finished", every=3600),
    # --- authentication (issue 9) ---: lockouts that ran out (audited), accounts idle for 90 days
    Periodic("security.sweep", "fangtiao.security.services:periodic", every=3600),
    # --- audit log (issue 9) ---: chain the events older than FANGTIAO_AUDIT_SEAL_LAG_SECONDS (ADR 0017)
    Periodic("audit.seal", "fangtiao.audit.chain:seal_job"),
    # --- privacy (issue 9) ---: anonymise what the retention schedule says is due (ADR 0018), daily
    Periodic("privacy.retention_sweep", "fangtiao.privacy.services:sweep_job", every=86400),
)
# Jobs whose failure must not be silent at the next round's start: the statutory clocks.
CRITICAL = frozenset({"clocks.tick", "mediation.tick"})


def resolve(target: str) -> Callable[..., Any]:
    module, _, attr = target.partition(":")
    return getattr(import_module(module), attr)


def task_target(name: str) -> Callable[..., Any]:
    try:
        return resolve(TASKS[name])
    except KeyError:
        raise LookupError(f"unknown task {name!r}") from None


def periodic(name: str) -> Periodic:
    for p in PERIODIC:
        if p.name == name:
            return p
    raise LookupError(f"unknown periodic job {name!r}")
