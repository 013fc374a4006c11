"""Read queries of the public legal service: jurisdiction first, then filters, N+1-free."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from fangtiao.legalservice.choices import ConsultChannel
from fangtiao.legalservice.models import Consultation, LawyerParticipation
from fangtiao.org.models import Region
from fangtiao.org.permissions import has_capability


def _day_start(d: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(d, dt.time.min))


def _region_filter(qs: QuerySet, code: str | None) -> QuerySet:
    if not code:
        return qs
    region = Region.objects.filter(code=code).only("path").first()
    return qs.none() if region is None else qs.filter(region_path__startswith=region.path)


def consultations_visible(user: Any) -> QuerySet[Consultation]:
    if not has_capability(user, "consultation.view"):
        return Consultation.objects.none()
    return Consultation.objects.visible_to(user)


def consultation_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Consultation]:
    f = dict(filters or {})
    qs = consultations_visible(user)
    for key in ("channel", "status"):
        if f.get(key):
            qs = qs.filter(**{key: f[key]})
    if f.get("lawyer"):
        qs = qs.filter(lawyer_id=getattr(f["lawyer"], "pk", f["lawyer"]))
    if f.get("from"):
        qs = qs.filter(received_at__gte=_day_start(f["from"]))
    if f.get("to"):
        qs = qs.filter(received_at__lt=_day_start(f["to"] + dt.timedelta(days=1)))
    region = f.get("region")
    qs = _region_filter(qs, getattr(region, "code", region))
    if q := str(f.get("q") or "").strip():
        qs = qs.filter(Q(topic__icontains=q) | Q(asker_name__icontains=q) | Q(number__icontains=q))
    return qs.select_related("region", "unit", "category", "lawyer", "answered_by", "case").order_by("-received_at", "-id")


def consultation_get(*, user: Any, pk: int) -> Consultation | None:
    return consultation_list(user=user).filter(pk=pk).first()


def consultation_counts(user: Any, start: dt.date | None, end: dt.date | None,
                        region: str | None = None) -> dict[str, Any]:
    """Consultations in the period (inclusive dates), by channel and by lawyer — aggregated in the
    database. The statistics' headline `consultations` is `total`."""
    qs = consultation_list(user=user, filters={"from": start, "to": end, "region": region}).order_by()
    by_channel = {row["channel"]: row["n"] for row in qs.values("channel").annotate(n=Count("id"))}
    totals = qs.aggregate(n=Count("id"), minutes=Sum("duration_minutes"), referred=Count("id", filter=Q(case__isnull=False)))
    lawyers = list(qs.filter(lawyer__isnull=False).values("lawyer_id", "lawyer__name").annotate(n=Count("id"))
                   .order_by("-n", "lawyer__name"))
    return {
        "from": start, "to": end, "region": region or None, "total": totals["n"],
        "by_channel": {c: by_channel.get(c, 0) for c in ConsultChannel.values},
        "by_lawyer": [{"lawyer": r["lawyer_id"], "name": r["lawyer__name"], "count": r["n"]} for r in lawyers],
        "minutes": totals["minutes"] or 0, "to_case": totals["referred"],
    }


def participations_of(*, user: Any, case_id: int) -> QuerySet[LawyerParticipation]:
    return (LawyerParticipation.objects.visible_to(user).filter(case_id=case_id)
            .select_related("lawyer", "recorded_by"))
