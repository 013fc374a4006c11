"""The worker's share of screening and early warning (called from `fangtiao worker` every interval).

Cheap steps run every tick (queued hot-spot runs, text index backfill); the rest at most once an
hour (missed rounds, the periodic warning rules, the rolling hot-spot window) or when due (retraining),
claimed through the cache so that several workers do not repeat one another."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from fangtiao.screening import engine, hotspots, routing, services
from fangtiao.screening.similar import index_missing


def _once(name: str, period: str) -> bool:
    return bool(cache.add(f"fangtiao:screening:{name}:{period}", 1, timeout=2 * 3600))


def tick(*, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    today = timezone.localdate(now)
    out: dict[str, Any] = {"indexed": 0, "hotspot_runs": hotspots.run_pending()}
    if _once("hourly", now.strftime("%Y%m%d%H")):
        out["indexed"] = index_missing(limit=5000)
        out["rounds_scheduled"] = services.schedule_rounds(year=today.year, month=today.month)
        nxt = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        if (nxt - today).days <= 5:
            out["rounds_scheduled"] += services.schedule_rounds(year=nxt.year, month=nxt.month)
        out["rounds_missed"] = len(services.mark_missed(today=today))
        out["warnings"] = engine.refresh(today=today)
        if hotspots.ensure_periodic(today=today) is not None:
            out["hotspot_runs"] += hotspots.run_pending()
        out["retrained"] = routing.retrain_if_due(now=now) is not None
    return out
