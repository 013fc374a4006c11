"""What the case lifecycle tells screening: a matter was registered (index its text, evaluate its
warnings, keep the routing suggestion beside the clerk's choice) or moved to another unit (the
routing decision the suggestion learns from).

These run inside the case's transaction, each in a savepoint: a failure of the derived features
is logged and never loses the registration — the backfill (`index_missing`) and the periodic
engine pick the case up again."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction

from fangtiao.screening.similar import Hit

log = logging.getLogger(__name__)


def case_registered(*, case: Any, actor: Any, hits: list[dict[str, Any]]) -> None:
    """The routing sample is kept in the registration's transaction; indexing the text and
    evaluating the warnings (a third of an intake's time, all of it CPU) go through the task
    interface — an outbox row in the same transaction, run right after commit (FANGTIAO_JOB_MODE:
    beside the web process, or by the worker), so the clerk's answer does not wait for them and a
    crash between the two cannot lose them."""
    from fangtiao.screening import routing
    from fangtiao.tasks.services import enqueue

    try:
        with transaction.atomic():
            routing.record_decision(case=case, actor=actor, stage="register")
            enqueue("screening.case_registered", case_id=case.pk, mode=settings.FANGTIAO_JOB_MODE,
                    hits=[{k: v for k, v in {**h, "case_id": h["case"].pk}.items() if k != "case"} for h in hits])
    except Exception:  # derived features never block a registration (nothing acknowledged is lost)
        log.exception("screening hooks failed for case %s", case.pk)
        if settings.TESTING:
            raise


def index_and_evaluate(*, case_id: int, hits: list[dict[str, Any]]) -> None:
    """The task: index a registered matter's text and raise the warnings it raises at once, with the
    similar matters the intake found. Idempotent: the index is rewritten, warnings are keyed."""
    from fangtiao.cases.models import Case
    from fangtiao.screening import engine
    from fangtiao.screening.similar import index_cases

    case = Case.objects.select_related("region", "holder_unit", "category").filter(pk=case_id).first()
    if case is None:  # deleted since (a registration cannot be; kept for safety)
        return
    others = Case.objects.select_related("region", "holder_unit").in_bulk([h["case_id"] for h in hits])
    with transaction.atomic():
        index_cases([case.pk])
        engine.evaluate_case(case, hits=[Hit(case=others[h["case_id"]], **{k: v for k, v in h.items() if k != "case_id"})
                                         for h in hits if h["case_id"] in others])


def case_routed(*, case: Any, actor: Any, action: str) -> None:
    from fangtiao.screening import routing

    try:
        with transaction.atomic():
            routing.record_decision(case=case, actor=actor, stage="route")
    except Exception:
        log.exception("routing decision not recorded for case %s (%s)", case.pk, action)
        if settings.TESTING:
            raise
