"""Writes of 以奖代补: rules, and payout batches prepared → approved → paid (rejected back to
prepared with a reason; a prepared batch may be recomputed or cancelled). Each runs in one
transaction, checks capability and jurisdiction, locks the batch and checks its state and version
(409), and writes an audit row with old and new values.

The article (黄岩区, 2018): "将人民调解参与信访矛盾化解纳入‘以奖代补’，……将补贴标准提高至每件1000元"."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.utils import timezone

from fangtiao.audit import services as audit
from fangtiao.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from fangtiao.core.numbering import chinese_year_number, next_number
from fangtiao.org.permissions import has_capability
from fangtiao.subsidies.choices import BatchAction, BatchStatus, RuleKind, Split
from fangtiao.subsidies.models import Earning, LineItem, PayoutLine, SubsidyBatch, SubsidyRule
from fangtiao.subsidies.rules import (
    CONTROL_ERROR,
    PERIOD_ERROR,
    Facts,
    Period,
    best_rule,
    has_control,
    money,
    parse_period,
    rank,
    rule_errors,
    split,
)

ZERO = Decimal("0.00")


def _require(actor: Any, capability: str, message: str) -> None:
    if actor is None or not has_capability(actor, capability):
        raise PermissionDenied(message)


def _fail(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(detail=errors[0].message if len(errors) == 1 else "输入有误，请检查后重试", errors=errors)


# --- rules ---------------------------------------------------------------------------------------

# The subsidy standard is money set for the whole district (黄岩区: "补贴标准提高至每件1000元"): a
# township may apply it, not change it.
RULE_LEVELS = frozenset({"district", "city", "province"})
RULE_LEVEL_ERROR = "以奖代补规则由区级单位负责"
RULE_SCOPE_ERROR = "该规则的适用区域不在您的管辖范围内"


def _rule_setter_level_ok(actor: Any) -> bool:
    if actor.is_superuser:
        return True
    unit = getattr(actor, "unit", None) if actor.unit_id else None
    return unit is not None and unit.level in RULE_LEVELS


def rule_region_ok(actor: Any, region_path: str) -> bool:
    """Whether a rule for `region_path` lies in the actor's jurisdiction: a region inside the
    actor's subtree; no region ("全区", every case of the deployment) only for one whose subtree
    holds every district of the region tree (the district itself in a district's deployment, or the
    city above it) — so in a city's deployment one district cannot set the others' standard."""
    from fangtiao.cases.access import case_scope_path
    from fangtiao.org.models import Region

    path = case_scope_path(actor)
    if path is None:
        return False
    if path == "":
        return True
    if not region_path:
        return not Region.objects.filter(level="district").exclude(path__startswith=path).exists()
    return region_path.startswith(path)


def may_set_rules(actor: Any, rule: SubsidyRule | None = None) -> bool:
    """Whether the page shows `actor` the rule buttons (the services check the same, and more)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if not has_capability(actor, "subsidy.rules") or not _rule_setter_level_ok(actor):
        return False
    return rule is None or rule_region_ok(actor, rule.region_path)


def _require_rule_setter(actor: Any) -> None:
    """Rules are set at district level (or above). `actor=None` is the system (a migration, the demo)."""
    if actor is None:
        return
    _require(actor, "subsidy.rules", "您没有维护以奖代补规则的权限")
    if not _rule_setter_level_ok(actor):
        raise PermissionDenied(RULE_LEVEL_ERROR)

RULE_FIELDS = ("name", "kind", "amount", "committee_amount", "split", "category", "min_amount", "min_headcount",
               "collective_only", "unit_level", "region", "valid_from", "valid_to", "active", "note")


def rule_snapshot(r: SubsidyRule) -> dict[str, Any]:
    return {"name": r.name, "kind": r.kind, "amount": f"{r.amount:.2f}", "committee_amount": f"{r.committee_amount:.2f}",
            "split": r.split, "category": r.category_id, "min_amount": None if r.min_amount is None else f"{r.min_amount:.2f}",
            "min_headcount": r.min_headcount, "collective_only": r.collective_only, "unit_level": r.unit_level,
            "region": r.region.code if r.region_id else None, "valid_from": r.valid_from, "valid_to": r.valid_to,
            "active": r.active, "note": r.note}


def _apply_rule(rule: SubsidyRule, data: Mapping[str, Any], actor: Any = None) -> list[FieldError]:
    from fangtiao.org.models import DisputeCategory, Region

    errors: list[FieldError] = []
    for key in RULE_FIELDS:
        if key not in data:
            continue
        value = data[key]
        if key == "category":
            cat = DisputeCategory.objects.filter(code=value).first() if value else None
            if value and cat is None:
                errors.append(FieldError("category", "纠纷类型不存在"))
            rule.category = cat
        elif key == "region":
            region = Region.objects.filter(code=value).first() if value else None
            if value and region is None:
                errors.append(FieldError("region", "适用区域（区划代码）不存在"))
            rule.region = region
        elif key in ("amount", "committee_amount", "min_amount"):
            if value in (None, "") and key == "min_amount":
                rule.min_amount = None
                continue
            if value in (None, "") and key == "committee_amount":
                value = "0"
            d = money(value) if value not in (None, "") else None
            if d is None:
                errors.append(FieldError(key, "金额应为数字（元），如 1000.00"))
                continue
            setattr(rule, key, d)
        elif key in ("name", "note", "unit_level"):
            setattr(rule, key, str(value or "").strip())
        elif key == "min_headcount" and value in (None, ""):
            rule.min_headcount = None
        else:
            setattr(rule, key, value)
    if has_control(rule.unit_level):
        errors.append(FieldError("unit_level", f"调委会层级{CONTROL_ERROR}"))
        rule.unit_level = ""
    if len(rule.name) > 100:
        errors.append(FieldError("name", "规则名称不能超过100个字"))
    if len(rule.note) > 200:
        errors.append(FieldError("note", "说明不能超过200个字"))
    region_path = rule.region.path if rule.region_id and rule.region else ""
    if actor is not None and "region" not in {e.field for e in errors} and not rule_region_ok(actor, region_path):
        errors.append(FieldError("region", "适用区域不在您的管辖范围内" if region_path
                                 else "您只能设置本辖区内的规则，请选择适用区域"))
    taken = {e.field for e in errors}
    errors += [e for e in rule_errors(rule) if e.field not in taken]
    return errors


def rule_create(*, actor: Any, data: Mapping[str, Any]) -> SubsidyRule:
    """A new rule (the default: 积案化解 ¥1000.00 a case, seeded by the migration), set by a
    district-level unit (or above) for a region of its jurisdiction; `actor=None` is the system
    seeding rules (the demo)."""
    _require_rule_setter(actor)
    rule = SubsidyRule(split=Split.EQUAL, committee_amount=ZERO, active=True)
    _fail(_apply_rule(rule, data, actor))
    with transaction.atomic():
        rule.save()
        audit.record(actor=actor, action="subsidy.rule_created", subject=rule, changes=audit.diff({}, rule_snapshot(rule)))
    return rule


def rule_update(*, actor: Any, rule_id: int, data: Mapping[str, Any], version: int | None = None) -> SubsidyRule:
    """Change a rule. Batches already prepared keep the amounts they computed; recompute a prepared
    batch to apply the change. Only a district-level unit (or above), and only a rule whose region
    lies in its jurisdiction."""
    _require_rule_setter(actor)
    with transaction.atomic():
        rule = SubsidyRule.objects.select_for_update(of=("self",)).filter(pk=rule_id).select_related("region").first()
        if rule is None:
            raise NotFound("以奖代补规则不存在")
        if actor is not None and not rule_region_ok(actor, rule.region_path):
            raise PermissionDenied(RULE_SCOPE_ERROR)
        if version is not None and version != rule.version:
            raise Conflict("该规则已被他人修改，请刷新后重试")
        before = rule_snapshot(rule)
        _fail(_apply_rule(rule, data, actor))
        rule.version = F("version") + 1
        rule.save()
        rule.refresh_from_db()
        audit.record(actor=actor, action="subsidy.rule_updated", subject=rule,
                     changes=audit.diff(before, rule_snapshot(rule)))
    return rule


# --- computing a batch ---------------------------------------------------------------------------

@dataclass
class _Candidate:
    case_id: int
    kind: str
    day: dt.date
    facts: Facts
    mediators: list[Any]  # lead first
    committee: Any | None  # a Unit


@dataclass
class _LineAcc:
    mediator: Any | None
    unit: Any
    items: list[tuple[int, int, Decimal]] = field(default_factory=list)  # (case_id, earning key index, amount)


def _facts(case: Any, committee: Any | None, day: dt.date) -> Facts:
    return Facts(category_id=case.category_id, amount=case.amount, headcount=case.headcount or 1,
                 collective=case.is_collective, region_path=case.region_path,
                 committee_level=committee.level if committee is not None else None, day=day)


def _earned() -> Any:
    """Cases with a live earning of any kind: a case is paid once (subsidy_earning_once)."""
    return Earning.objects.filter(cancelled=False).values("case_id")


def _backlog_candidates(batch: SubsidyBatch) -> list[_Candidate]:
    from fangtiao.mediation.models import Assignment, BacklogRecord
    from fangtiao.org.models import Mediator

    records = list(
        BacklogRecord.objects.filter(resolved_on__gte=batch.period_start, resolved_on__lte=batch.period_end,
                                     case__region_path__startswith=batch.region_path)
        .exclude(case_id__in=_earned())
        .select_related("case", "resolved_unit__region")
        .prefetch_related(Prefetch("resolvers", queryset=Mediator.objects.select_related("unit__region").order_by("id")))
        .order_by("resolved_on", "case_id"))
    leads = dict(Assignment.objects.filter(case_id__in=[r.case_id for r in records], lead=True)
                 .order_by("assigned_at", "id").values_list("case_id", "mediator_id"))
    out = []
    for r in records:
        mediators = list(r.resolvers.all())
        lead = leads.get(r.case_id)
        mediators.sort(key=lambda m, lead=lead: (m.pk != lead, m.pk))
        if r.resolved_unit_id and r.resolved_unit.is_mediation_committee:
            committee = r.resolved_unit
        elif mediators:
            committee = mediators[0].unit
        else:
            committee = r.resolved_unit
        out.append(_Candidate(r.case_id, RuleKind.BACKLOG, r.resolved_on, _facts(r.case, committee, r.resolved_on),
                              mediators, committee))
    return out


def _mediation_candidates(batch: SubsidyBatch) -> list[_Candidate]:
    from fangtiao.mediation.choices import MediationStatus
    from fangtiao.mediation.models import Assignment, Mediation
    from fangtiao.mediation.services import ROUND_ENDED

    rounds = (Mediation.objects.filter(status=MediationStatus.AGREED, ended_on__gte=batch.period_start,
                                       ended_on__lte=batch.period_end,
                                       case__region_path__startswith=batch.region_path)
              .exclude(case_id__in=_earned())
              .select_related("case", "unit__region")
              .prefetch_related(Prefetch(
                  "assignments", queryset=Assignment.objects.filter(Q(active=True) | Q(end_reason=ROUND_ENDED))
                  .select_related("mediator__unit__region").order_by("-lead", "assigned_at", "id")))
              .order_by("ended_on", "case_id", "round"))
    latest: dict[int, Any] = {}
    for m in rounds:
        latest[m.case_id] = m  # the last agreed round of the period: by day, then the higher round
    out = []
    for m in latest.values():
        seen: set[int] = set()
        mediators = [a.mediator for a in m.assignments.all() if not (a.mediator_id in seen or seen.add(a.mediator_id))]
        out.append(_Candidate(m.case_id, RuleKind.MEDIATION, m.ended_on, _facts(m.case, m.unit, m.ended_on),
                              mediators, m.unit))
    return out


def _compute(batch: SubsidyBatch) -> dict[str, Any]:
    """Fill a batch with its earnings, lines and items, in a fixed number of queries. A case earns
    once, whatever the kind: one already earning elsewhere is skipped, and a case that both resolved
    a backlog and succeeded in mediation in the period earns the better rule of the two. Two batches
    racing for a case are settled by the unique constraint (the loser's insert is ignored, so it
    pays nothing for that case)."""
    rules = list(SubsidyRule.objects.filter(active=True, valid_from__lte=batch.period_end)
                 .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=batch.period_start)))
    by_kind: dict[str, list[SubsidyRule]] = defaultdict(list)
    for r in rules:
        by_kind[r.kind].append(r)
    best: dict[int, tuple[_Candidate, SubsidyRule, list[tuple[Any, Decimal]], Decimal]] = {}
    for cand in _backlog_candidates(batch) + _mediation_candidates(batch):
        rule = best_rule(by_kind.get(cand.kind, []), cand.facts)
        if rule is None:
            continue
        shares = split(rule.amount, cand.mediators, rule.split)
        committee_share = rule.committee_amount if cand.committee is not None else ZERO
        if not shares and cand.committee is not None:
            committee_share += rule.amount  # nobody named: the committee that resolved it takes the case
        if not shares and not committee_share:
            continue
        held = best.get(cand.case_id)
        if held is None or rank(rule) > rank(held[1]):
            best[cand.case_id] = (cand, rule, shares, committee_share)
    plans = list(best.values())
    Earning.objects.bulk_create(
        [Earning(batch=batch, case_id=c.case_id, kind=c.kind, rule=rule, earned_on=c.day,
                 amount=sum((s for _, s in shares), ZERO) + cs) for c, rule, shares, cs in plans],
        ignore_conflicts=True)
    won = dict(Earning.objects.filter(batch=batch).values_list("case_id", "pk"))
    lines: dict[tuple[str, int], _LineAcc] = {}
    for cand, _rule, shares, committee_share in plans:
        earning_id = won.get(cand.case_id)
        if earning_id is None:
            continue
        for mediator, amount in shares:
            acc = lines.setdefault(("m", mediator.pk), _LineAcc(mediator, mediator.unit))
            acc.items.append((cand.case_id, earning_id, amount))
        if committee_share:
            acc = lines.setdefault(("u", cand.committee.pk), _LineAcc(None, cand.committee))
            acc.items.append((cand.case_id, earning_id, committee_share))
    line_rows = [PayoutLine(batch=batch, mediator=acc.mediator, unit=acc.unit,
                            name=(acc.mediator.name if acc.mediator is not None else acc.unit.name)[:100],
                            region_path=acc.unit.region.path, amount=sum((a for _, _, a in acc.items), ZERO),
                            case_count=len({c for c, _, _ in acc.items})) for acc in lines.values()]
    PayoutLine.objects.bulk_create(line_rows)
    LineItem.objects.bulk_create([LineItem(line=row, earning_id=eid, case_id=case_id, amount=amount)
                                  for row, acc in zip(line_rows, lines.values(), strict=True)
                                  for case_id, eid, amount in acc.items])
    batch.total = sum((row.amount for row in line_rows), ZERO)
    batch.case_count = len(won)
    return {"total": f"{batch.total:.2f}", "cases": batch.case_count, "lines": len(line_rows)}


def _clear(batch: SubsidyBatch) -> None:
    LineItem.objects.filter(line__batch=batch).delete()
    PayoutLine.objects.filter(batch=batch).delete()
    Earning.objects.filter(batch=batch).delete()


# --- batches -------------------------------------------------------------------------------------

def _scope_unit(actor: Any, unit_id: int | None, errors: list[FieldError]) -> Any:
    from fangtiao.cases.access import case_scope_path
    from fangtiao.org.models import Unit

    uid = unit_id or actor.unit_id
    unit = Unit.objects.select_related("region").filter(pk=uid).first() if uid else None
    path = case_scope_path(actor)
    if unit is None or path is None or not unit.region.path.startswith(path):
        errors.append(FieldError("unit", "单位不存在或不在您的管辖范围内"))
        return None
    return unit


def batch_prepare(*, actor: Any, period: str, unit: int | None = None, note: str = "") -> SubsidyBatch:
    """编制发放表: every resolved backlog case and successful mediation of the period in the unit's
    region subtree that has not yet earned a subsidy (of either kind), paid per the rules."""
    _require(actor, "subsidy.prepare", "您没有编制以奖代补发放表的权限")
    errors: list[FieldError] = []
    p: Period | None = parse_period(period)
    if p is None:
        errors.append(FieldError("period", PERIOD_ERROR))
    elif p.start > timezone.localdate():
        errors.append(FieldError("period", "期间尚未开始，不能编制"))
    scope = _scope_unit(actor, unit, errors)
    note_v = str(note or "").strip()
    if len(note_v) > 500:
        errors.append(FieldError("note", "备注不能超过500个字"))
    elif has_control(note_v):
        errors.append(FieldError("note", f"备注{CONTROL_ERROR}"))
    _fail(errors)
    assert p is not None and scope is not None  # noqa: S101 - errors above otherwise
    with transaction.atomic():
        live = (SubsidyBatch.objects.select_for_update().filter(unit=scope, period=p.code)
                .exclude(status=BatchStatus.CANCELLED).first())
        if live is not None:
            raise Conflict(f"{scope.name}{p.label}已有发放表 {live.number}（{live.get_status_display()}），"
                           "请在该表上重新计算，或先作废")
        seq = next_number(scope="subsidy_batch", unit_id=scope.pk, year=p.start.year)
        batch = SubsidyBatch.objects.create(
            number=chinese_year_number(scope.short_name or scope.name, p.start.year, seq, width=4, word="奖补"),
            period=p.code, period_kind=p.kind, period_start=p.start, period_end=p.end, unit=scope,
            region_path=scope.region.path, prepared_by=actor, note=note_v)
        result = _compute(batch)
        if batch.case_count == 0:
            raise Conflict(f"{scope.name}{p.label}没有尚未奖补的积案化解或调解成功事项"
                           "（已编入其他发放表的事项不再重复计算）", code="nothing_to_pay")
        batch.save(update_fields=["total", "case_count"])
        audit.record(actor=actor, action="subsidy.batch_prepared", subject=batch,
                     changes=audit.diff({}, {"status": batch.status, "total": result["total"], "version": 1}),
                     extra={"period": p.code, "unit": scope.pk, **result})
    return batch


# (action → source states, capability, target state)
TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    BatchAction.APPROVE: (frozenset({BatchStatus.PREPARED}), "subsidy.approve", BatchStatus.APPROVED),
    BatchAction.REJECT: (frozenset({BatchStatus.PREPARED, BatchStatus.APPROVED}), "subsidy.approve", BatchStatus.PREPARED),
    BatchAction.PAY: (frozenset({BatchStatus.APPROVED}), "subsidy.pay", BatchStatus.PAID),
    BatchAction.RECOMPUTE: (frozenset({BatchStatus.PREPARED}), "subsidy.prepare", BatchStatus.PREPARED),
    BatchAction.CANCEL: (frozenset({BatchStatus.PREPARED}), "subsidy.prepare", BatchStatus.CANCELLED),
}


def available_actions(user: Any, batch: SubsidyBatch) -> list[str]:
    """The actions `user` may take on `batch` now (the page's buttons)."""
    out = []
    for action, (sources, capability, _target) in TRANSITIONS.items():
        if batch.status not in sources or not has_capability(user, capability):
            continue
        if action == BatchAction.APPROVE and batch.prepared_by_id == user.pk:
            continue
        out.append(str(action))
    return out


def _locked(actor: Any, batch_id: int, version: int | None) -> SubsidyBatch:
    batch = (SubsidyBatch.objects.visible_to(actor).select_for_update(of=("self",)).select_related("unit__region")
             .filter(pk=batch_id).first())
    if batch is None:
        raise NotFound("发放表不存在或不在您的管辖范围内")
    if version is None:
        raise ValidationFailed.on("version", "请提供发放表的版本号（version）")
    if version != batch.version:
        raise Conflict("该发放表已被他人修改，请刷新后重试", code="stale")
    return batch


def batch_act(*, actor: Any, batch_id: int, action: str, version: int | None, reason: str = "") -> SubsidyBatch:
    """One transition of a batch. Approval is by someone other than the preparer (职责分离); a
    rejection needs a reason and returns the batch to 已编制; recomputing replaces a prepared batch's
    lines; cancelling releases its cases to a later batch."""
    if action not in TRANSITIONS:
        raise ValidationFailed.on("action", "操作应为审批通过、退回、登记已发放、重新计算或作废")
    sources, capability, target = TRANSITIONS[action]
    _require(actor, capability, "您没有执行此操作的权限")
    reason_v = str(reason or "").strip()
    if action in (BatchAction.REJECT, BatchAction.CANCEL) and not reason_v:
        raise ValidationFailed.on("reason", "请填写退回理由" if action == BatchAction.REJECT else "请填写作废理由")
    if len(reason_v) > 500:
        raise ValidationFailed.on("reason", "理由不能超过500个字")
    if has_control(reason_v):
        raise ValidationFailed.on("reason", f"理由{CONTROL_ERROR}")
    with transaction.atomic():
        batch = _locked(actor, batch_id, version)
        if batch.status not in sources:
            raise Conflict(f"发放表{batch.get_status_display()}，不能{BatchAction(action).label}", code="wrong_state")
        if action == BatchAction.APPROVE and batch.prepared_by_id == actor.pk:
            raise PermissionDenied("编制人不能审批自己编制的发放表（职责分离）", code="separation_of_duties")
        now = timezone.now()
        before = {"status": batch.status, "total": f"{batch.total:.2f}", "cases": batch.case_count,
                  "version": batch.version}
        extra: dict[str, Any] = {}
        update = ["status", "version"]
        if action == BatchAction.APPROVE:
            batch.approved_by, batch.approved_at, batch.rejected_reason = actor, now, ""
            update += ["approved_by", "approved_at", "rejected_reason"]
        elif action == BatchAction.REJECT:
            batch.approved_by, batch.approved_at, batch.rejected_reason = None, None, reason_v
            update += ["approved_by", "approved_at", "rejected_reason"]
            extra["reason"] = reason_v
        elif action == BatchAction.PAY:
            batch.paid_by, batch.paid_at = actor, now
            update += ["paid_by", "paid_at"]
        elif action == BatchAction.RECOMPUTE:
            _clear(batch)
            extra.update(_compute(batch))
            batch.prepared_by, batch.prepared_at, batch.rejected_reason = actor, now, ""
            update += ["total", "case_count", "prepared_by", "prepared_at", "rejected_reason"]
        elif action == BatchAction.CANCEL:
            Earning.objects.filter(batch=batch).update(cancelled=True)
            batch.cancelled_reason = reason_v
            update += ["cancelled_reason"]
            extra["reason"] = reason_v
        batch.status = target
        batch.version = F("version") + 1
        batch.save(update_fields=update)
        batch.refresh_from_db(fields=["version"])
        after = {"status": batch.status, "total": f"{batch.total:.2f}", "cases": batch.case_count,
                 "version": batch.version}
        audit.record(actor=actor, action=f"subsidy.batch_{ACTION_VERB[action]}", subject=batch,
                     changes=audit.diff(before, after), extra=extra)
    return batch


ACTION_VERB = {BatchAction.APPROVE: "approved", BatchAction.REJECT: "rejected", BatchAction.PAY: "paid",
               BatchAction.RECOMPUTE: "recomputed", BatchAction.CANCEL: "cancelled"}

AUDIT_ACTIONS = {
    "subsidy.rule_created": "新增以奖代补规则",
    "subsidy.rule_updated": "修改以奖代补规则",
    "subsidy.batch_prepared": "编制以奖代补发放表",
    "subsidy.batch_approved": "审批以奖代补发放表",
    "subsidy.batch_rejected": "退回以奖代补发放表",
    "subsidy.batch_paid": "登记以奖代补已发放",
    "subsidy.batch_recomputed": "重新计算以奖代补发放表",
    "subsidy.batch_cancelled": "作废以奖代补发放表",
    "subsidy.sheet_exported": "导出以奖代补发放表",
}


DEFAULT_RULE_NAME = "信访积案化解以奖代补（每件1000元）"


def ensure_default_rule() -> SubsidyRule:
    """The article's rate (¥1000.00 per resolved backlog case), as the data migration seeds it — for a
    database whose tables were emptied (a transactional test's flush, a fresh demo). Created by the
    system through `rule_create`, so the audit log shows it."""
    rule = SubsidyRule.objects.filter(kind=RuleKind.BACKLOG).order_by("id").first()
    if rule is None:
        rule = rule_create(actor=None, data={"name": DEFAULT_RULE_NAME, "kind": RuleKind.BACKLOG, "amount": "1000.00",
                                             "split": Split.EQUAL, "valid_from": dt.date(2018, 1, 1)})
    return rule
