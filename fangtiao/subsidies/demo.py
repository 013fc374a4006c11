"""The demo district's 以奖代补: the default rule (¥1000 per resolved backlog case) plus a rule for
successful mediations, and one district-wide payout sheet per month of the demo year — the older
months paid, the recent ones approved, the last one waiting for approval. Prepared by a petition
officer of the centre and approved by a leader (separation of duties), at simulated moments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fangtiao.core.errors import DomainError
from fangtiao.org.models import User
from fangtiao.subsidies import services
from fangtiao.subsidies.models import SubsidyBatch, SubsidyRule

# A backlog case resolved by a successful mediation earns once: the ¥1000 of the backlog rule, the
# better of the two (subsidies.services._compute).
MEDIATION_RULES = (
    {"name": "调解成功以奖代补（村级调委会）", "kind": "mediation", "amount": Decimal("200.00"), "split": "lead",
     "unit_level": "village", "valid_from": dt.date(2018, 1, 1)},
    {"name": "调解成功以奖代补（乡镇、区级调委会）", "kind": "mediation", "amount": Decimal("150.00"),
     "committee_amount": Decimal("50.00"), "split": "equal", "valid_from": dt.date(2018, 1, 1)},
)


def already_loaded() -> bool:
    return SubsidyBatch.objects.exists()


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, d = [], first.replace(day=1)
    while d <= last:
        out.append(d)
        d = (d + dt.timedelta(days=32)).replace(day=1)
    return out


def _staff(role: str) -> list[User]:
    # The district's officers (区信访局) prepare, its leaders (矛调中心) approve.
    return list(User.objects.filter(is_active=True, unit__level="district", unit__kind__in=["centre", "petition_bureau"],
                                    roles__code=role)
                .select_related("unit__region").distinct().order_by("id"))


def build(*, log: Callable[[str], None] | None = None) -> None:
    from fangtiao.cases.demo import demo_year, simulated_time

    say = log or (lambda _msg: None)
    if already_loaded():
        say("以奖代补：已有发放表，跳过")
        return
    services.ensure_default_rule()
    if not SubsidyRule.objects.filter(kind="mediation").exists():
        # Seeded by the system (actor=None) through the service, so the audit log shows the rules.
        for data in MEDIATION_RULES:
            services.rule_create(actor=None, data=data)
    officers, leaders = _staff("officer"), _staff("leader")
    if not officers or not leaders:
        say("以奖代补：区级没有信访干部或负责人，跳过")
        return
    preparer = officers[0]
    approver = next((u for u in leaders if u.pk != preparer.pk), None)
    if approver is None:
        say("以奖代补：没有可审批的负责人，跳过")
        return
    first, last = demo_year(timezone.localdate())
    months = [m for m in _months(first, last) if m < last.replace(day=1)]  # whole months only
    tz = timezone.get_current_timezone()
    made = {"prepared": 0, "approved": 0, "paid": 0}
    with transaction.atomic(), simulated_time() as clock:
        for i, month in enumerate(months):
            next_month = (month + dt.timedelta(days=32)).replace(day=1)
            clock.moment = dt.datetime.combine(next_month + dt.timedelta(days=4), dt.time(9, 30), tzinfo=tz)
            try:
                batch = services.batch_prepare(actor=preparer, period=f"{month:%Y-%m}", unit=preparer.unit_id)
            except DomainError:
                continue  # nothing earned that month
            made["prepared"] += 1
            if i >= len(months) - 1:
                continue  # the last month waits for approval
            clock.moment += dt.timedelta(days=3)
            batch = services.batch_act(actor=approver, batch_id=batch.pk, action="approve", version=batch.version)
            made["approved"] += 1
            if i >= len(months) - 3:
                continue  # approved, not yet paid
            clock.moment += dt.timedelta(days=5)
            services.batch_act(actor=preparer, batch_id=batch.pk, action="pay", version=batch.version)
            made["paid"] += 1
    say(f"以奖代补：编制发放表 {made['prepared']} 张，审批 {made['approved']} 张，已发放 {made['paid']} 张")
