"""State changes of screening (排查) and early warning (预警): every write is here, in one
transaction, checked for permission and jurisdiction, and audited.

- Screening: each unit with a plan screens `rounds_per_month` times a month (article: 每月2次开展
  矛盾纠纷排查). The month is cut into that many periods; a round is due on its period's last day
  and is marked missed `grace_days` later, which raises a warning. A round records who screened,
  where, what was found — or a nil return — and each finding can become a case (channel 排查发现)
  with early intervention by a mediation committee (人民调解法 第17条, 主动调解).
- Warnings are raised by the engine (screening.engine) through `warning_raise`, which keeps one row
  per signal (its key) and only ever raises its level; people acknowledge and resolve them.
- Lawyer intervention: a warning asks the public legal service for a lawyer to meet the petitioner;
  the service assigns one, who records the meeting and its result.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from fangtiao.audit import services as audit
from fangtiao.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from fangtiao.org.choices import ExpertKind, PersonStatus, UnitKind
from fangtiao.org.models import Expert, Region, Unit
from fangtiao.org.permissions import has_capability
from fangtiao.screening.choices import (
    LEVEL_RANK,
    InterventionStatus,
    RoundStatus,
    WarningStatus,
)
from fangtiao.screening.models import (
    EarlyWarning,
    Finding,
    LawyerIntervention,
    ScreeningPlan,
    ScreeningRound,
)

# Units that screen by default: the mediation committees of villages and townships and the
# township sub-centres (article: 村级调委会每月2次排查; 乡镇联合调解分中心).
SCREENING_UNIT_KINDS = (UnitKind.VILLAGE_COMMITTEE, UnitKind.TOWNSHIP_COMMITTEE, UnitKind.SUBCENTRE)


def _require(actor: Any, capability: str, message: str) -> None:
    if actor is not None and not has_capability(actor, capability):
        raise PermissionDenied(message)


# --- screening plans and rounds ----------------------------------------------------------------

def periods(year: int, month: int, n: int) -> list[tuple[dt.date, dt.date]]:
    """The month cut into n periods of (nearly) equal length: (first day, due day) each.
    Twice a month gives the 1st–15th and the 16th–end of month."""
    n = max(1, min(n, 8))
    days = calendar.monthrange(year, month)[1]
    out = []
    for i in range(n):
        first = 1 + (days * i) // n
        last = (days * (i + 1)) // n
        out.append((dt.date(year, month, first), dt.date(year, month, last)))
    return out


def plan_save(*, actor: Any, unit: Unit, rounds_per_month: int, grace_days: int = 3, active: bool = True) -> ScreeningPlan:
    _require(actor, "screening.plan", "您没有设置排查计划的权限")
    errors = []
    if not 1 <= rounds_per_month <= 8:
        errors.append(FieldError("rounds_per_month", "每月排查次数应在 1 到 8 次之间"))
    if not 0 <= grace_days <= 15:
        errors.append(FieldError("grace_days", "逾期宽限天数应在 0 到 15 天之间"))
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        plan, created = ScreeningPlan.objects.select_for_update().get_or_create(
            unit=unit, defaults={"rounds_per_month": rounds_per_month, "grace_days": grace_days, "active": active})
        before = {"rounds_per_month": None, "grace_days": None, "active": None} if created else \
            {"rounds_per_month": plan.rounds_per_month, "grace_days": plan.grace_days, "active": plan.active}
        plan.rounds_per_month, plan.grace_days, plan.active = rounds_per_month, grace_days, active
        plan.save()
        audit.record(actor=actor, action="screening.plan_saved", subject=plan,
                     changes=audit.diff(before, {"rounds_per_month": rounds_per_month, "grace_days": grace_days,
                                                 "active": active}))
    return plan


def ensure_default_plans() -> int:
    """Every screening unit without a plan gets the default one (twice a month)."""
    missing = Unit.objects.filter(kind__in=SCREENING_UNIT_KINDS, active=True, screening_plan__isnull=True)
    plans = [ScreeningPlan(unit=u) for u in missing.only("pk")]
    ScreeningPlan.objects.bulk_create(plans, ignore_conflicts=True)
    return len(plans)


def schedule_rounds(*, year: int, month: int) -> int:
    """Create the month's rounds for every active plan (idempotent: existing rounds stay)."""
    ensure_default_plans()
    rows = []
    for plan in ScreeningPlan.objects.filter(active=True).select_related("unit__region"):
        for seq, (first, due) in enumerate(periods(year, month, plan.rounds_per_month), start=1):
            rows.append(ScreeningRound(unit=plan.unit, region_path=plan.unit.region.path, period_start=first,
                                       due_on=due, seq=seq))
    before = ScreeningRound.objects.filter(period_start__year=year, period_start__month=month).count()
    ScreeningRound.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return ScreeningRound.objects.filter(period_start__year=year, period_start__month=month).count() - before


def mark_missed(*, today: dt.date) -> list[ScreeningRound]:
    """Rounds past their due day plus the plan's grace days, still not reported, become missed —
    each claimed by a compare-and-set update, so two workers never warn twice."""
    missed = []
    due = (ScreeningRound.objects.filter(status=RoundStatus.SCHEDULED, due_on__lt=today)
           .select_related("unit__region", "unit__screening_plan").order_by("due_on")[:2000])
    for r in due:
        plan = getattr(r.unit, "screening_plan", None)
        grace = plan.grace_days if plan else 3
        if r.due_on + dt.timedelta(days=grace) >= today:
            continue
        with transaction.atomic():
            if not ScreeningRound.objects.filter(pk=r.pk, status=RoundStatus.SCHEDULED).update(
                    status=RoundStatus.MISSED, version=F("version") + 1):
                continue
            r.status = RoundStatus.MISSED
            audit.record(actor=None, action="screening.round_missed", subject=r,
                         changes={"status": [RoundStatus.SCHEDULED, RoundStatus.MISSED]})
            missed.append(r)
    return missed


def _round_for_actor(actor: Any, round_id: int, *, lock: bool = False) -> ScreeningRound:
    qs = ScreeningRound.objects.visible_to(actor) if actor is not None else ScreeningRound.objects.all()
    if lock:
        qs = qs.select_for_update(of=("self",))
    r = qs.select_related("unit__region").filter(pk=round_id).first()
    if r is None:
        raise NotFound("排查轮次不存在或不在您的管辖范围内")
    return r


def round_record(*, actor: Any, round_id: int, screened_on: dt.date, screeners: str, places: str,
                 nil_return: bool, summary: str = "", findings: Iterable[dict[str, Any]] = (),
                 version: int | None = None) -> ScreeningRound:
    """Record what a round found (or a nil return: 零报告). A round past its period may still be
    reported (marked late, 逾期补报); a reported round is not reported twice (409)."""
    _require(actor, "screening.record", "您没有填报排查结果的权限")
    findings = list(findings)
    today = timezone.localdate()
    with transaction.atomic():
        r = _round_for_actor(actor, round_id, lock=True)
        if version is not None and version != r.version:
            raise Conflict("排查轮次已被他人修改，请刷新后重试")
        if r.status == RoundStatus.DONE:
            raise Conflict("本轮排查已填报")
        errors = []
        if screened_on > today:
            errors.append(FieldError("screened_on", "排查日期不能晚于今天"))
        if screened_on < r.period_start - dt.timedelta(days=31):
            errors.append(FieldError("screened_on", "排查日期与本轮排查周期相差过远"))
        if not screeners.strip():
            errors.append(FieldError("screeners", "请填写排查人员"))
        if not places.strip():
            errors.append(FieldError("places", "请填写排查范围"))
        if nil_return and findings:
            errors.append(FieldError("nil_return", "零报告不能同时填报排查发现的纠纷"))
        if not nil_return and not findings:
            errors.append(FieldError("findings", "未发现纠纷请勾选“零报告”；发现纠纷请逐条填报"))
        resolved = []
        for i, f in enumerate(findings):
            title = str(f.get("title") or "").strip()
            if not title:
                errors.append(FieldError(f"findings.{i}.title", "请填写纠纷概要"))
            region = Region.objects.filter(code=str(f.get("region") or "")).first()
            if region is None or not region.path.startswith(r.region_path):
                errors.append(FieldError(f"findings.{i}.region", "发生地不存在或不在本单位辖区"))
            category = None
            if f.get("category"):
                from fangtiao.org.models import DisputeCategory

                category = DisputeCategory.objects.filter(code=f["category"]).first()
                if category is None:
                    errors.append(FieldError(f"findings.{i}.category", "纠纷类型不存在"))
            headcount = f.get("headcount") or 1
            if not isinstance(headcount, int) or not 1 <= headcount <= 100000:
                errors.append(FieldError(f"findings.{i}.headcount", "涉及人数应为 1 到 100000 的整数"))
            risk = f.get("risk") or "low"
            if risk not in ("low", "medium", "high"):
                errors.append(FieldError(f"findings.{i}.risk", "风险等级只能是一般、较大或重大"))
            resolved.append((title, region, category, headcount, risk, f))
        if errors:
            raise ValidationFailed(errors=errors)
        before = {"status": r.status}
        r.status = RoundStatus.DONE
        r.late = today > r.due_on
        r.screened_on, r.screeners, r.places = screened_on, screeners.strip()[:300], places.strip()[:500]
        r.nil_return, r.summary = nil_return, summary.strip()
        r.recorded_by = actor if getattr(actor, "pk", None) else None
        r.recorded_at = timezone.now()
        r.version += 1
        r.save()
        Finding.objects.bulk_create([
            Finding(round=r, title=title[:200], description=str(f.get("description") or "").strip(), region=region,
                    category=category, parties=str(f.get("parties") or "").strip()[:300], headcount=headcount, risk=risk,
                    measures=str(f.get("measures") or "").strip())
            for title, region, category, headcount, risk, f in resolved
        ])
        # A missed round reported late clears its warning (the condition is gone).
        for w in EarlyWarning.objects.select_for_update().filter(screening_round=r, status__in=[WarningStatus.OPEN,
                                                                                               WarningStatus.ACKNOWLEDGED]):
            _close(w, actor=None, status=WarningStatus.CLEARED, note="已逾期补报排查结果")
        audit.record(actor=actor, action="screening.round_recorded", subject=r,
                     changes={"status": [before["status"], r.status]},
                     extra={"findings": len(resolved), "nil_return": nil_return, "late": r.late})
    return r


def finding_to_case(*, actor: Any, finding_id: int, kind: str = "dispute", intervene_unit: int | None = None,
                    consent: bool = False, parties: list[dict[str, Any]] | None = None) -> Any:
    """A finding becomes a case with channel 排查发现; with a mediation unit given, the committee
    intervenes at once (提前介入, 人民调解法 第17条 主动调解) — the case's `intervene` action."""
    from fangtiao.cases.services import case_act, case_register

    _require(actor, "case.register", "您没有登记事项的权限")
    with transaction.atomic():
        f = (Finding.objects.select_for_update(of=("self",)).select_related("round", "region", "category")
             .filter(pk=finding_id).first())
        if f is None or not ScreeningRound.objects.visible_to(actor).filter(pk=f.round_id).exists():
            raise NotFound("排查发现不存在或不在您的管辖范围内")
        if f.case_id:
            raise Conflict("该排查发现已转为事项")
        data = {"channel": "screening", "kind": kind, "title": f.title, "description": f.description or f.title,
                "category": f.category.code if f.category else None, "region": f.region.code,
                "headcount": f.headcount, "parties": parties or [], "escalation_risk": f.risk == "high"}
        case, _code = case_register(actor=actor, data=data)
        f.case = case
        f.save(update_fields=["case"])
        audit.record(actor=actor, action="screening.finding_to_case", subject=f.round,
                     extra={"finding": f.pk, "case": case.number})
        if intervene_unit is not None:
            case = case_act(case=case, actor=actor, action="intervene",
                            data={"version": case.version, "unit": intervene_unit, "consent": consent,
                                  "note": f"排查发现（{f.round.label}）"})
    return case


# --- warnings -----------------------------------------------------------------------------------

def territorial_unit(region: Region) -> Unit | None:
    """The unit answerable for a place: the township's joint mediation sub-centre (or petition
    office), else the district centre (属地管理)."""
    codes = [*region.ancestor_codes, region.code]
    units = {(u.kind, u.region.code): u for u in Unit.objects.filter(
        region__code__in=codes, active=True,
        kind__in=[UnitKind.SUBCENTRE, UnitKind.PETITION_OFFICE, UnitKind.CENTRE, UnitKind.PETITION_BUREAU],
    ).select_related("region")}
    for code in reversed(codes):
        for kind in (UnitKind.SUBCENTRE, UnitKind.PETITION_OFFICE, UnitKind.CENTRE, UnitKind.PETITION_BUREAU):
            if (kind, code) in units:
                return units[(kind, code)]
    return None


def _notify(w: EarlyWarning, title: str, body: str) -> None:
    """The owner unit's inbox — except for a warning about a 检举控告 matter, which goes only to those
    of the unit who may read accusations (信访工作条例 第30条第3款, 第46条(5))."""
    from fangtiao.notifications.services import notify_unit, notify_user
    from fangtiao.org.models import User

    if w.case_id and w.case.nature == "accusation":
        readers = (User.objects.filter(unit_id=w.owner_unit_id, is_active=True, roles__code__in=["officer", "leader"])
                   .values_list("pk", flat=True).distinct())
        for uid in readers:
            notify_user(user_id=uid, kind="warning", title=title, body=body, case=w.case)
        return
    notify_unit(unit_id=w.owner_unit_id, kind="warning", title=title, body=body, case=w.case)


def warning_raise(*, key: str, kind: str, level: str, title: str, reasons: list[str], region: Region,
                  owner_unit: Unit, case: Any = None, hotspot: Any = None, screening_round: Any = None,
                  now: dt.datetime | None = None) -> tuple[EarlyWarning, str]:
    """Raise a warning, or refresh the existing one with the same key. Returns (warning, what):
    'raised' (new), 'raised_level' (level went up), 'seen' (unchanged) or 'closed' (a resolved or
    cleared warning stays closed unless the level goes above what it was). Two registrations raising
    the same key at once: the second finds the first's row (unique key, savepoint) and refreshes it."""
    now = now or timezone.now()
    with transaction.atomic():
        w = EarlyWarning.objects.select_for_update().filter(key=key).first()
        if w is None:
            try:
                with transaction.atomic():
                    w = EarlyWarning.objects.create(
                        key=key, kind=kind, level=level, title=title[:200], reasons=reasons, region=region,
                        region_path=region.path, owner_unit=owner_unit, case=case, hotspot=hotspot,
                        screening_round=screening_round, raised_at=now, last_seen_at=now)
            except IntegrityError:
                w = EarlyWarning.objects.select_for_update().get(key=key)
            else:
                audit.record(actor=None, action="warning.raised", subject=w,
                             extra={"kind": kind, "level": level, "reasons": reasons})
                _notify(w, f"【{w.get_level_display()}预警】{w.title}", "；".join(reasons))
                return w, "raised"
        higher = LEVEL_RANK[level] > LEVEL_RANK[w.level]
        if not w.active and not higher:
            return w, "closed"
        changes: dict[str, Any] = {}
        if higher:
            changes["level"] = [w.level, level]
            w.level = level
            if not w.active:
                changes["status"] = [w.status, WarningStatus.OPEN]
                w.status = WarningStatus.OPEN
                w.resolved_at = None
        w.reasons, w.title, w.last_seen_at = reasons, title[:200], now
        if hotspot is not None:
            w.hotspot = hotspot
        if case is not None and w.case_id != case.pk:
            w.case = case  # the latest submission of a repeat chain is the one to act on
        w.version += 1
        w.save()
        if higher:
            audit.record(actor=None, action="warning.raised_level", subject=w, changes=changes,
                         extra={"reasons": reasons})
            _notify(w, f"【预警升级为{w.get_level_display()}】{w.title}", "；".join(reasons))
            return w, "raised_level"
        return w, "seen"


def _close(w: EarlyWarning, *, actor: Any, status: str, note: str) -> None:
    before = w.status
    w.status = status
    w.resolved_at = timezone.now()
    w.resolved_by = actor if getattr(actor, "pk", None) else None
    w.resolution = note
    w.version += 1
    w.save()
    audit.record(actor=actor, action="warning.resolved" if status == WarningStatus.RESOLVED else "warning.cleared",
                 subject=w, changes={"status": [before, status]}, extra={"note": note})


def warning_clear(*, warning_id: int, note: str) -> bool:
    """The engine found the condition gone (case closed, clock no longer overdue…)."""
    with transaction.atomic():
        w = EarlyWarning.objects.select_for_update().filter(pk=warning_id, status__in=[
            WarningStatus.OPEN, WarningStatus.ACKNOWLEDGED]).first()
        if w is None:
            return False
        _close(w, actor=None, status=WarningStatus.CLEARED, note=note)
        return True


def _warning_for_actor(actor: Any, warning_id: int) -> EarlyWarning:
    from fangtiao.screening.selectors import warnings_visible

    w = warnings_visible(actor).select_for_update(of=("self",)).filter(pk=warning_id).first()
    if w is None:
        raise NotFound("预警不存在或不在您的管辖范围内")
    return w


def warning_acknowledge(*, actor: Any, warning_id: int, version: int | None = None, note: str = "") -> EarlyWarning:
    """签收: the owner unit (or a leader above it) takes the warning in hand."""
    _require(actor, "warning.handle", "您没有签收预警的权限")
    with transaction.atomic():
        w = _warning_for_actor(actor, warning_id)
        if version is not None and version != w.version:
            raise Conflict("预警已被他人处理，请刷新后重试")
        if w.status != WarningStatus.OPEN:
            raise Conflict(f"预警当前为“{w.get_status_display()}”，不能签收")
        w.status = WarningStatus.ACKNOWLEDGED
        w.acknowledged_at, w.acknowledged_by = timezone.now(), actor
        if note.strip():
            w.resolution = note.strip()
        w.version += 1
        w.save()
        audit.record(actor=actor, action="warning.acknowledged", subject=w,
                     changes={"status": [WarningStatus.OPEN, WarningStatus.ACKNOWLEDGED]}, extra={"note": note.strip()})
    return w


def warning_resolve(*, actor: Any, warning_id: int, resolution: str, version: int | None = None) -> EarlyWarning:
    """处置: what was done about it (required); an unacknowledged warning is acknowledged with it."""
    _require(actor, "warning.handle", "您没有处置预警的权限")
    if not resolution.strip():
        raise ValidationFailed.on("resolution", "请填写处置情况")
    if len(resolution) > 4000:
        raise ValidationFailed.on("resolution", "处置情况不能超过4000字")
    with transaction.atomic():
        w = _warning_for_actor(actor, warning_id)
        if version is not None and version != w.version:
            raise Conflict("预警已被他人处理，请刷新后重试")
        if not w.active:
            raise Conflict(f"预警当前为“{w.get_status_display()}”，不能再处置")
        if w.acknowledged_at is None:
            w.acknowledged_at, w.acknowledged_by = timezone.now(), actor
        _close(w, actor=actor, status=WarningStatus.RESOLVED, note=resolution.strip())
    return w


# --- lawyer intervention -----------------------------------------------------------------------

def _legal_service_unit(region: Region) -> Unit | None:
    codes = [*region.ancestor_codes, region.code]
    return (Unit.objects.filter(kind=UnitKind.LEGAL_SERVICE, active=True, region__code__in=codes)
            .order_by("-region__path").first()
            or Unit.objects.filter(kind=UnitKind.LEGAL_SERVICE, active=True).order_by("region__path").first())


def lawyer_request(*, actor: Any, warning_id: int, note: str) -> LawyerIntervention:
    """Ask the public legal service for a lawyer to meet the petitioner (律师提前介入)."""
    from fangtiao.notifications.services import notify_unit

    _require(actor, "warning.handle", "您没有申请律师介入的权限")
    if not note.strip():
        raise ValidationFailed.on("note", "请说明需要律师介入的情况")
    with transaction.atomic():
        w = _warning_for_actor(actor, warning_id)
        if not w.active:
            raise Conflict("预警已处置，不能再申请律师介入")
        if w.interventions.filter(status__in=[InterventionStatus.REQUESTED, InterventionStatus.ASSIGNED]).exists():
            raise Conflict("该预警已有进行中的律师介入")
        unit = _legal_service_unit(w.region)
        li = LawyerIntervention.objects.create(warning=w, request_note=note.strip(), requested_by=actor, service_unit=unit)
        audit.record(actor=actor, action="warning.lawyer_requested", subject=li, extra={"warning": w.pk})
        if unit is not None:
            notify_unit(unit_id=unit.pk, kind="lawyer_request", title=f"律师介入申请：{w.title}", body=note.strip(),
                        case=w.case)
    return li


def _intervention_for_actor(actor: Any, pk: int) -> LawyerIntervention:
    from fangtiao.screening.selectors import interventions_visible

    li = interventions_visible(actor).select_for_update(of=("self",)).select_related("warning", "lawyer").filter(pk=pk).first()
    if li is None:
        raise NotFound("律师介入记录不存在或不在您的管辖范围内")
    return li


def lawyer_assign(*, actor: Any, intervention_id: int, lawyer_id: int) -> LawyerIntervention:
    from fangtiao.notifications.services import notify_user

    _require(actor, "warning.handle", "您没有指派律师的权限")
    with transaction.atomic():
        li = _intervention_for_actor(actor, intervention_id)
        if li.status not in (InterventionStatus.REQUESTED, InterventionStatus.ASSIGNED):
            raise Conflict(f"律师介入当前为“{li.get_status_display()}”，不能指派")
        lawyer = Expert.objects.filter(pk=lawyer_id, kind=ExpertKind.LAWYER, status=PersonStatus.ACTIVE).first()
        if lawyer is None:
            raise ValidationFailed.on("lawyer", "所选律师不存在或不在岗")
        before = {"status": li.status, "lawyer": li.lawyer_id}
        li.lawyer, li.status = lawyer, InterventionStatus.ASSIGNED
        li.assigned_by, li.assigned_at = actor, timezone.now()
        li.save()
        audit.record(actor=actor, action="warning.lawyer_assigned", subject=li,
                     changes=audit.diff(before, {"status": li.status, "lawyer": lawyer.pk}))
        if lawyer.user_id:
            notify_user(user_id=lawyer.user_id, kind="lawyer_request", title=f"请约见信访人：{li.warning.title}",
                        body=li.request_note, case=li.warning.case)
    return li


def lawyer_record(*, actor: Any, intervention_id: int, met_on: dt.date, place: str, summary: str,
                  outcome: str) -> LawyerIntervention:
    """The meeting and its result; the lawyer themself, or the staff who requested or assigned it."""
    _require(actor, "warning.lawyer", "您没有记录律师约谈的权限")
    errors: list[FieldError] = []
    if met_on > timezone.localdate():
        errors.append(FieldError("met_on", "约谈日期不能晚于今天"))
    if not place.strip():
        errors.append(FieldError("place", "请填写约谈地点"))
    if not summary.strip():
        errors.append(FieldError("summary", "请填写约谈情况"))
    if outcome not in ("resolved", "eased", "unchanged", "escalated"):
        errors.append(FieldError("outcome", "请选择约谈结果"))
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        li = _intervention_for_actor(actor, intervention_id)
        is_lawyer = li.lawyer is not None and li.lawyer.user_id == getattr(actor, "pk", None)
        if actor is not None and not is_lawyer and not has_capability(actor, "warning.handle"):
            raise PermissionDenied("约谈情况由指派的律师或负责处置预警的工作人员记录")
        if li.status != InterventionStatus.ASSIGNED:
            raise Conflict("请先指派律师，再记录约谈")
        # the meeting may be recorded for the day before the request (a lawyer on duty met the petitioner
        # first, the request was written up after); the day is the local one (Asia/Shanghai)
        if met_on < timezone.localdate(li.requested_at) - dt.timedelta(days=1):
            raise ValidationFailed.on("met_on", "约谈日期不能早于申请日期")
        li.status, li.met_on, li.place, li.summary, li.outcome = (InterventionStatus.MET, met_on, place.strip()[:200],
                                                                  summary.strip(), outcome)
        li.recorded_by, li.recorded_at = actor, timezone.now()
        li.save()
        audit.record(actor=actor, action="warning.lawyer_met", subject=li,
                     changes={"status": [InterventionStatus.ASSIGNED, InterventionStatus.MET]},
                     extra={"outcome": outcome})
        if outcome == "escalated":
            w = li.warning
            from fangtiao.screening.choices import Level

            warning_raise(key=w.key, kind=w.kind, level=Level.RED, title=w.title,
                          reasons=[*w.reasons, f"律师约谈后风险升级：{summary.strip()[:100]}"], region=w.region,
                          owner_unit=w.owner_unit, case=w.case)
    return li
