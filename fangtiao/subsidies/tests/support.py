"""Builders for the subsidy tests: resolved backlog cases and agreed mediations, written straight
into the mediation tables (the mediation app's own tests cover how those rows come about)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from fangtiao.cases.models import Case
from fangtiao.cases.tests.factories import make_case
from fangtiao.mediation.models import Assignment, BacklogRecord, Mediation
from fangtiao.mediation.services import ROUND_ENDED
from fangtiao.subsidies import services
from fangtiao.subsidies.models import SubsidyBatch

_n = itertools.count(1)
MAY = dt.date(2026, 5, 10)


def t02_case(xw: Any, **kw: Any) -> Case:
    return make_case(xw, actor=xw.user("t02_subcentre", "clerk"), region=xw.v02.code, **kw)


def backlog_case(xw: Any, *, on: dt.date = MAY, mediators: tuple[str, ...] = ("wang_t01",), unit: str = "t01_committee",
                 lead: str | None = None, case: Case | None = None, **kw: Any) -> Case:
    case = case or make_case(xw, **kw)
    Case.objects.filter(pk=case.pk).update(is_backlog=True)
    rec = BacklogRecord.objects.create(case=case, reason="超期未化解", marked_on=on - dt.timedelta(days=90), resolved_on=on,
                                       resolved_unit=xw.units[unit])
    rec.resolvers.set([xw.w.mediators[k].pk for k in mediators])
    if lead:
        _assign(xw, case, None, lead, lead=True)
    return case


def _assign(xw: Any, case: Case, mediation: Mediation | None, key: str, *, lead: bool) -> None:
    if mediation is None:
        mediation = Mediation.objects.create(case=case, round=9, unit=xw.units["t01_committee"], number=f"T-{next(_n)}",
                                             status="superseded", started_on=MAY, ended_on=MAY)
    Assignment.objects.create(mediation=mediation, case=case, mediator=xw.w.mediators[key], chosen_by="committee",
                              lead=lead, assigned_by=xw.w.users["head_t01"], active=False, end_reason=ROUND_ENDED)


def agreed_case(xw: Any, *, on: dt.date = MAY, unit: str = "t01_committee", mediators: tuple[str, ...] = ("wang_t01",),
                lead: str | None = None, case: Case | None = None, **kw: Any) -> Case:
    case = case or make_case(xw, **kw)
    m = Mediation.objects.create(case=case, round=1, unit=xw.units[unit], number=f"M-{next(_n)}", status="agreed",
                                 started_on=on - dt.timedelta(days=10), ended_on=on)
    for key in mediators:
        _assign(xw, case, m, key, lead=(key == lead))
    return case


def officer_t01(xw: Any) -> Any:
    return xw.user("t01_subcentre", "officer")


def leader_t01(xw: Any) -> Any:
    return xw.user("t01_subcentre", "leader")


def prepare(xw: Any, period: str = "2026-05", actor: Any = None, unit: str | None = "t01_subcentre") -> SubsidyBatch:
    return services.batch_prepare(actor=actor or officer_t01(xw), period=period,
                                  unit=xw.units[unit].pk if unit else None)


def act(batch: SubsidyBatch, actor: Any, action: str, **kw: Any) -> SubsidyBatch:
    batch.refresh_from_db()
    return services.batch_act(actor=actor, batch_id=batch.pk, action=action, version=kw.pop("version", batch.version),
                              **kw)


def amounts(batch: SubsidyBatch) -> dict[str, Decimal]:
    return dict(batch.lines.values_list("name", "amount"))


def mediation_rule(**kw: Any) -> Any:
    from fangtiao.subsidies.models import SubsidyRule

    data = {"name": "调解成功奖补", "kind": "mediation", "amount": Decimal("200.00"), "split": "equal",
            "valid_from": dt.date(2026, 1, 1)}
    data.update(kw)
    return SubsidyRule.objects.create(**data)
