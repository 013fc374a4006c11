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
    from fangtiao.screening import engine, routing
    from fangtiao.screening.similar import index_cases

    try:
        with transaction.atomic():
            index_cases([case.pk])
            engine.evaluate_case(case, hits=[Hit(**h) for h in hits])
            routing.record_decision(case=case, actor=actor, stage="register")
    except Exception:  # derived features never block a registration (nothing acknowledged is lost)
        log.exception("screening hooks failed for case %s", case.pk)
        if settings.TESTING:
            raise


def case_routed(*, case: Any, actor: Any, action: str) -> None:
    from fangtiao.screening import routing

    try:
        with transaction.atomic():
            routing.record_decision(case=case, actor=actor, stage="route")
    except Exception:
        log.exception("routing decision not recorded for case %s (%s)", case.pk, action)
        if settings.TESTING:
            raise
