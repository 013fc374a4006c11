"""Reads of the privacy app: jurisdiction first (rights requests are seen in the region subtree of
the user's cases; outside it they do not exist), then filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from fangtiao.org.permissions import has_capability
from fangtiao.privacy.models import Anonymisation, LegalHold, RegisterEntry, RetentionRule, RightsRequest


def rules() -> QuerySet[RetentionRule]:
    from fangtiao.privacy.services import ensure_seeded

    ensure_seeded()
    return RetentionRule.objects.select_related("updated_by").order_by("record_type")


def register_entries(*, filters: Mapping[str, Any] | None = None) -> QuerySet[RegisterEntry]:
    from fangtiao.privacy.services import ensure_seeded

    ensure_seeded()
    f = dict(filters or {})
    qs = RegisterEntry.objects.select_related("retention").order_by("sort", "code")
    if f.get("basis"):
        qs = qs.filter(basis=f["basis"])
    if q := str(f.get("q") or "").strip():
        qs = qs.filter(Q(category__icontains=q) | Q(purpose__icontains=q) | Q(code__icontains=q))
    return qs


def holds_visible(user: Any) -> QuerySet[LegalHold]:
    if not has_capability(user, "privacy.view"):
        return LegalHold.objects.none()
    return (LegalHold.objects.visible_to(user).filter(released_at__isnull=True)
            .select_related("case", "placed_by").order_by("-placed_at", "-id"))


def recent_anonymisations(user: Any, limit: int = 20) -> list[Anonymisation]:
    if not has_capability(user, "privacy.view"):
        return []
    from fangtiao.cases.access import region_path_q

    q = region_path_q(user)
    qs = Anonymisation.objects.all() if q is None else Anonymisation.objects.filter(q)
    return list(qs.order_by("-at", "-id")[:limit])


def requests_visible(user: Any) -> QuerySet[RightsRequest]:
    if not has_capability(user, "privacy.requests"):
        return RightsRequest.objects.none()
    return RightsRequest.objects.visible_to(user)


def request_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[RightsRequest]:
    f = dict(filters or {})
    qs = requests_visible(user)
    for key in ("status", "right"):
        if f.get(key):
            qs = qs.filter(**{key: f[key]})
    if f.get("overdue"):
        qs = qs.filter(status__in=["registered", "reviewing"], due_on__lt=timezone.localdate())
    if f.get("from"):
        qs = qs.filter(received_on__gte=f["from"])
    if f.get("to"):
        qs = qs.filter(received_on__lte=f["to"])
    if q := str(f.get("q") or "").strip():
        qs = qs.filter(Q(number__icontains=q) | Q(requester_name__icontains=q) | Q(case__number__icontains=q))
    return qs.select_related("unit", "case", "registered_by", "closed_by").order_by("-received_on", "-id")


def request_get(*, user: Any, pk: int) -> RightsRequest | None:
    return request_list(user=user).filter(pk=pk).first()


def person_data(*, user: Any, id_index: str, phone_index: str) -> list[tuple[str, str, str, str]]:
    """(数据类别, 来源, 字段, 内容) of everything held on the person in the user's jurisdiction,
    found by blind index (ID number or phone) — the 查阅复制 copy (个保法 第45条)."""
    from fangtiao.cases.models import Case, Party
    from fangtiao.legalservice.models import Consultation

    match = Q(pk__in=[])
    if id_index:
        match |= Q(id_index=id_index)
    if phone_index:
        match |= Q(phone_index=phone_index)
    out: list[tuple[str, str, str, str]] = []
    parties = (Party.objects.filter(match, case__in=Case.objects.visible_to(user))
               .select_related("case", "village").order_by("case__received_at", "pk"))
    for p in parties:
        src = f"事项 {p.case.number}（{p.case.title}）"
        out += [("身份信息", src, "姓名/名称", p.name), ("身份信息", src, "身份", p.get_role_display()),
                ("身份信息", src, "身份证号码", p.id_number), ("联系方式", src, "联系电话", p.phone),
                ("住址", src, "住址", p.address),
                ("住址", src, "户籍或居住村（社区）", p.village.name if p.village_id else ""),
                ("身份信息", src, "工作单位", p.employer),
                ("信访内容", src, "登记时间", timezone.localtime(p.case.received_at).strftime("%Y-%m-%d")),
                ("信访内容", src, "状态", p.case.get_status_display()),
                ("信访内容", src, "请求", p.case.demands)]
    if phone_index:
        for c in Consultation.objects.visible_to(user).filter(phone_index=phone_index).order_by("received_at", "pk"):
            src = f"法律咨询 {c.number}"
            out += [("身份信息", src, "咨询人", c.asker_name), ("联系方式", src, "联系电话", c.asker_phone),
                    ("信访内容", src, "咨询事项", c.topic), ("信访内容", src, "咨询内容", c.question),
                    ("信访内容", src, "答复意见", c.answer)]
    return out


def overdue_count(user: Any, today: dt.date | None = None) -> int:
    return requests_visible(user).filter(status__in=["registered", "reviewing"],
                                          due_on__lt=today or timezone.localdate()).count()
