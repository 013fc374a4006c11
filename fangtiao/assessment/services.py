"""Writes of the assessment, each one transaction with its audit row (信访工作条例 第39条: 信访工作
纳入考核; 第43–47条: 责任追究).

- `scheme_save`: a 考核方案 with its weighted indicators (weights must sum to 100).
- `scores_compute`: the scores of a period and level, replacing the stored ones.
- `commendations_propose` / `commendation_confirm`: 表彰 from the ranking, confirmed by a leader.
- `accountability_record`: 问责 tied to an early warning or a case event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from fangtiao.assessment import selectors
from fangtiao.assessment.choices import (
    CommendationStatus,
    Direction,
    IfEmpty,
    Level,
    Measure,
    Method,
    PeriodType,
)
from fangtiao.assessment.indicators import Ctx, Subject, measure
from fangtiao.assessment.models import (
    Accountability,
    Commendation,
    Indicator,
    Scheme,
    SchemeItem,
    Score,
    ScoreItem,
)
from fangtiao.assessment.periods import Period
from fangtiao.assessment.scoring import combined, competition_ranks, points
from fangtiao.audit import services as audit
from fangtiao.cases.access import case_scope_path
from fangtiao.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from fangtiao.org.choices import Role
from fangtiao.org.jurisdiction import scope_of
from fangtiao.org.permissions import has_capability

HUNDRED = Decimal(100)


def _need(actor: Any, capability: str) -> None:
    if not has_capability(actor, capability):
        raise PermissionDenied()


def _district_wide(actor: Any) -> None:
    """Schemes, computed rankings and commendations are the district's: they are set by those whose
    jurisdiction is the district (or above), not by a township's leader who sees only a part of it."""
    if actor is None or getattr(actor, "is_superuser", False):
        return
    unit = getattr(actor, "unit", None)
    if unit is None or unit.level not in ("district", "city", "province"):
        raise PermissionDenied("考核方案、得分计算和表彰由区级单位负责")


def actor_region_path(actor: Any) -> str:
    """The region an actor assesses: their jurisdiction's path; "" (everywhere) for the system
    (actor None) and superusers. 信访工作条例 第39条: each 党委和政府 assesses its own region."""
    if actor is None or getattr(actor, "is_superuser", False):
        return ""
    path = case_scope_path(actor)
    if path is None:
        raise PermissionDenied()
    return path


def _no_control(value: str, field: str, label: str) -> None:
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value or ""):
        raise ValidationFailed.on(field, f"{label}含有不允许的控制字符")


# --- schemes ------------------------------------------------------------------------------------

def validate_items(*, level: str, items: Sequence[dict[str, Any]]) -> tuple[list[FieldError], list[dict[str, Any]]]:
    """Field errors (Chinese) of a scheme's items and the cleaned items. Fields are named
    `items.<n>.<field>`; the weights' sum is `items`."""
    errors: list[FieldError] = []
    cleaned: list[dict[str, Any]] = []
    codes = {i.code: i for i in Indicator.objects.filter(active=True)}
    seen: set[str] = set()
    total = Decimal(0)
    if not items:
        errors.append(FieldError("items", "方案至少应包含一项指标"))
    for n, raw in enumerate(items):
        where = f"items.{n}"
        code = str(raw.get("indicator") or "")
        ind = codes.get(code)
        if ind is None:
            errors.append(FieldError(f"{where}.indicator", "指标不存在或已停用"))
            continue
        if level not in (ind.levels or []):
            errors.append(FieldError(f"{where}.indicator", f"指标“{ind.name}”不适用于{Level(level).label}"))
        if code in seen:
            errors.append(FieldError(f"{where}.indicator", f"指标“{ind.name}”重复"))
        seen.add(code)
        try:
            weight = Decimal(str(raw.get("weight"))).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            errors.append(FieldError(f"{where}.weight", "权重应为数字"))
            continue
        if weight <= 0 or weight > HUNDRED:
            errors.append(FieldError(f"{where}.weight", "权重应大于 0 且不超过 100"))
        total += weight
        method = raw.get("method") or Method.LINEAR
        if method not in Method.values:
            errors.append(FieldError(f"{where}.method", "计分方法无效"))
        if_empty = raw.get("if_empty") or IfEmpty.FULL
        if if_empty not in IfEmpty.values:
            errors.append(FieldError(f"{where}.if_empty", "取值无效"))
        try:
            floor, target = float(raw.get("floor") or 0), float(raw.get("target"))
        except (TypeError, ValueError):
            errors.append(FieldError(f"{where}.target", "保底值和目标值应为数字"))
            continue
        if method == Method.LINEAR:
            if ind.direction == Direction.HIGHER and not floor < target:
                errors.append(FieldError(f"{where}.floor", f"“{ind.name}”越高越好，保底值应小于目标值"))
            if ind.direction == Direction.LOWER and not floor > target:
                errors.append(FieldError(f"{where}.floor", f"“{ind.name}”越低越好，保底值应大于目标值"))
        cleaned.append({"indicator": ind, "weight": weight, "method": method, "floor": floor, "target": target,
                        "if_empty": if_empty, "sort": n})
    if items and total != HUNDRED and not any(e.field.endswith(".weight") for e in errors):
        errors.append(FieldError("items", f"各项权重之和应为 100，当前为 {total.normalize():f}"))
    return errors, cleaned


@transaction.atomic
def scheme_save(*, actor: Any, scheme_id: int | None = None, name: str, period_type: str, level: str,
                dynamic_share: int = 60, active: bool = True, note: str = "",
                items: Sequence[dict[str, Any]], version: int | None = None) -> Scheme:
    """Create or replace a scheme and its items for the actor's region (superuser/system: the default
    scheme of every region). Activating it retires the active scheme of the same period type, level
    and region only — other districts' schemes are untouched."""
    _need(actor, "assessment.manage")
    _district_wide(actor)
    region_path = actor_region_path(actor)
    _no_control(str(name or ""), "name", "方案名称")
    _no_control(str(note or ""), "note", "说明")
    try:
        dynamic_share = int(dynamic_share)
    except (TypeError, ValueError):
        raise ValidationFailed.on("dynamic_share", "动态考核占比应为 0 到 100 之间的整数") from None
    errors: list[FieldError] = []
    if not str(name or "").strip():
        errors.append(FieldError("name", "请填写方案名称"))
    if period_type not in PeriodType.values:
        errors.append(FieldError("period_type", "考核周期无效"))
    if level not in Level.values:
        errors.append(FieldError("level", "考核对象无效"))
    if not 0 <= int(dynamic_share) <= 100:
        errors.append(FieldError("dynamic_share", "动态考核占比应在 0 到 100 之间"))
    item_errors, cleaned = validate_items(level=level, items=items) if level in Level.values else ([], [])
    errors += item_errors
    if errors:
        raise ValidationFailed(detail=errors[0].message if len(errors) == 1 else "考核方案有误，请按提示修改",
                               errors=errors)
    before: dict[str, Any] = {}
    if scheme_id is not None:
        scheme = Scheme.objects.select_for_update().filter(pk=scheme_id).first()
        if scheme is None:
            raise NotFound()
        if scheme.region_path != region_path:
            raise PermissionDenied("该方案不是本地区的方案（默认方案或其他地区的方案），请新建本地区方案")
        if version is not None and version != scheme.version:
            raise Conflict("方案已被他人修改，请刷新后重试", code="stale")
        before = {"name": scheme.name, "active": scheme.active, "dynamic_share": scheme.dynamic_share,
                  "items": _items_repr(scheme.items.select_related("indicator"))}
        scheme.version += 1
    else:
        scheme = Scheme(region_path=region_path)
    retired = []
    if active:
        others = Scheme.objects.select_for_update().filter(period_type=period_type, level=level, active=True,
                                                           region_path=region_path)
        if scheme.pk:
            others = others.exclude(pk=scheme.pk)
        retired = list(others.values_list("pk", flat=True))
        others.update(active=False)
    scheme.name, scheme.period_type, scheme.level = name.strip(), period_type, level
    scheme.dynamic_share, scheme.active, scheme.note = int(dynamic_share), bool(active), note
    scheme.updated_by, scheme.updated_at = actor, timezone.now()
    scheme.save()
    scheme.items.all().delete()
    SchemeItem.objects.bulk_create([SchemeItem(scheme=scheme, **c) for c in cleaned])
    after = {"name": scheme.name, "active": scheme.active, "dynamic_share": scheme.dynamic_share,
             "items": _items_repr(scheme.items.select_related("indicator"))}
    audit.record(actor=actor, action="assessment.scheme_saved", subject=scheme,
                 changes={k: [before.get(k), v] for k, v in after.items() if before.get(k) != v},
                 extra={"retired": retired, "region": region_path}, region_path=region_path)
    return scheme


def _items_repr(items: Any) -> list[str]:
    return [f"{i.indicator.code}:{i.weight}:{i.method}:{i.floor}-{i.target}" for i in items]


# --- scores ----------------------------------------------------------------------------------------

def compute_rows(*, scheme: Scheme, period: Period, level: str, ctx: Ctx | None = None,
                 subjects: Sequence[Subject] | None = None,
                 progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """The subjects' items and totals for the period (dynamic) and the year to date (static),
    ranked among themselves; no writes. Without `subjects`: everyone of the level. `progress`, if
    given, is called with 1 after each subject."""
    ctx = ctx or Ctx()
    items = list(scheme.items.all())
    out = []
    for s in (selectors.subjects_of(level) if subjects is None else subjects):
        rows = []
        dyn = sta = Decimal(0)
        for it in items:
            ind = it.indicator
            now = measure(ind.code, ctx, s, period.start, period.end, ind.params)
            ytd = now if period.type == PeriodType.YEAR else measure(ind.code, ctx, s, period.year_start, period.end,
                                                                     ind.params)
            kw = {"weight": it.weight, "method": it.method, "floor": it.floor, "target": it.target,
                  "direction": ind.direction, "if_empty": it.if_empty}
            p, sp = points(value=now.value, **kw), points(value=ytd.value, **kw)
            dyn, sta = dyn + p, sta + sp
            rows.append({"indicator": ind, "weight": it.weight, "now": now, "ytd": ytd, "points": p, "static_points": sp,
                         "sort": it.sort})
        out.append({"subject": s, "items": rows, "dynamic": dyn, "static": sta,
                    "total": combined(dyn, sta, scheme.dynamic_share)})
        if progress is not None:
            progress(1)
    out.sort(key=lambda r: (-r["total"], r["subject"].name))
    for r, rank in zip(out, competition_ranks([r["total"] for r in out]), strict=True):
        r["rank"] = rank
    return out


def compute_check(actor: Any) -> str:
    """Who may compute (assessment.manage, district-wide; the system and superusers everywhere):
    the region path the actor computes."""
    if actor is not None:
        _need(actor, "assessment.manage")
        _district_wide(actor)
    return actor_region_path(actor)


def compute_plan(*, path: str, period: Period, level: str) -> tuple[dict[str, list[Subject]], dict[str, Scheme]]:
    """The subjects of `level` under `path` grouped by district, and each district's scheme; a
    Chinese 422 for an unknown level or a district without an active scheme."""
    if level not in Level.values:
        raise ValidationFailed.on("level", "考核对象应为 township（乡镇分中心）、village（村调委会）或 mediator（调解员）")
    districts = selectors.district_paths()
    groups: dict[str, list[Subject]] = {}
    for subject in selectors.subjects_of(level, path):
        groups.setdefault(selectors.district_of(subject.path, districts, default=path), []).append(subject)
    schemes = {g: selectors.active_scheme(period, level, g) for g in (groups or {path: []})}
    if any(sc is None for sc in schemes.values()):
        raise ValidationFailed.on("level", f"没有启用的{PeriodType(period.type).label}{Level(level).label}考核方案")
    return groups, schemes  # type: ignore[return-value]


def scores_compute(*, actor: Any, period: Period, level: str, path: str | None = None,
                   progress: Callable[[int, int], None] | None = None) -> int:
    """Compute and store the scores of `period` for `level` within the actor's region (system and
    superusers: everywhere), replacing what was stored for that region only (one transaction,
    audited). Subjects are ranked within their district (区/县) under the district's scheme (its
    own, else the nearest above, else the default). Returns the number of scores. 信访工作条例 第39条.

    `path` (a background run: the scope stored when it was requested, checked then) skips the
    permission check. `progress(done, total)` is called as subjects are measured (total = subjects
    + 1 for the write). The measuring reads run before the write transaction, so a caller's progress
    writes are seen by others while it works; the replacement itself is one transaction."""
    if path is None:
        path = compute_check(actor)
    groups, schemes = compute_plan(path=path, period=period, level=level)
    total = sum(len(subs) for subs in groups.values()) + 1
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(0, total)
    ctx = Ctx(scope=path)
    ranked = [(g, schemes[g], compute_rows(scheme=schemes[g], period=period, level=level, ctx=ctx, subjects=subs,
                                           progress=step))
              for g, subs in sorted(groups.items())]
    with transaction.atomic():
        old = Score.objects.filter(period=period.key, level=level, region_path__startswith=path)
        old_n = old.count()
        ScoreItem.objects.filter(score__in=old).delete()
        old.delete()
        now = timezone.now()
        flat = [(g, scheme, r) for g, scheme, rows in ranked for r in rows]
        scores = Score.objects.bulk_create([Score(
            period=period.key, period_type=period.type, start=period.start, end=period.end, level=level,
            scheme=scheme, unit_id=r["subject"].unit_id, mediator_id=r["subject"].mediator_id,
            name=r["subject"].name[:100], region_path=r["subject"].path, ranking_path=g, total=r["total"],
            dynamic_total=r["dynamic"], static_total=r["static"], rank=r["rank"], computed_at=now,
            computed_by=actor if getattr(actor, "pk", None) else None) for g, scheme, r in flat])
        ScoreItem.objects.bulk_create([ScoreItem(
            score=score, indicator=i["indicator"], weight=i["weight"], value=i["now"].value,
            numerator=i["now"].numerator, denominator=i["now"].denominator, points=i["points"],
            static_value=i["ytd"].value, static_numerator=i["ytd"].numerator, static_denominator=i["ytd"].denominator,
            static_points=i["static_points"], sort=i["sort"]) for score, (_g, _s, r) in zip(scores, flat, strict=True)
            for i in r["items"]])
        audit.record(actor=actor, action="assessment.computed", subject=next(iter(schemes.values())),
                     changes={"scores": [old_n, len(scores)]},
                     extra={"period": period.key, "level": level, "region": path,
                            "schemes": {g: sc.pk for g, sc in schemes.items() if sc is not None},
                            "top": [{"district": g, "rank": r["rank"], "name": r["subject"].name,
                                     "total": str(r["total"])} for g, _sc, rows in ranked for r in rows[:3]]},
                     region_path=path)
    step(1)
    return len(scores)


# --- commendations -----------------------------------------------------------------------------

@transaction.atomic
def commendations_propose(*, actor: Any, period: Period, level: str, top: int = 3, note: str = "") -> list[Commendation]:
    """Propose the top `top` ranks of a computed period (ties included); replaces earlier proposals
    not yet confirmed. The district-wide ranking is the basis, so proposing needs a district scope."""
    _need(actor, "assessment.manage")
    _district_wide(actor)
    try:
        top = int(top)
    except (TypeError, ValueError):
        raise ValidationFailed.on("top", "表彰名额应为 1 到 50 之间的整数") from None
    if not 1 <= top <= 50:
        raise ValidationFailed.on("top", "表彰名额应在 1 到 50 之间")
    _no_control(note, "note", "表彰说明")
    if not scope_of(actor).all and scope_of(actor).path is None:
        raise PermissionDenied()
    scores = list(selectors.scores_visible(actor).filter(period=period.key, level=level, rank__lte=top)
                  .order_by("rank", "name"))
    if not scores:
        raise ValidationFailed.on("period", "该考核期尚未计算得分，请先计算")
    Commendation.objects.filter(period=period.key, level=level, status=CommendationStatus.PROPOSED,
                                region_path__startswith=scope_of(actor).path or "").delete()
    confirmed = set(Commendation.objects.filter(period=period.key, level=level, status=CommendationStatus.CONFIRMED)
                    .values_list("unit_id", "mediator_id"))
    made = []
    for s in scores:
        if (s.unit_id, s.mediator_id) in confirmed:
            continue
        c = Commendation.objects.create(period=period.key, level=level, unit_id=s.unit_id, mediator_id=s.mediator_id,
                                        name=s.name, region_path=s.region_path, rank=s.rank, total=s.total,
                                        note=note[:300], proposed_by=actor)
        audit.record(actor=actor, action="assessment.commendation_proposed", subject=c,
                     changes={"status": [None, c.status]}, extra={"period": period.key, "level": level, "rank": s.rank})
        made.append(c)
    return made


@transaction.atomic
def commendation_confirm(*, actor: Any, commendation_id: int) -> Commendation:
    """A leader confirms a proposed commendation."""
    _need(actor, "assessment.manage")
    _district_wide(actor)
    c = Commendation.objects.visible_to(actor).select_for_update().filter(pk=commendation_id).first()
    if c is None:
        raise NotFound()
    if not (actor.is_superuser or Role.LEADER in actor.role_codes):
        raise PermissionDenied("表彰须由领导确认")
    if c.status != CommendationStatus.PROPOSED:
        raise Conflict("该表彰已确认或已撤回", code="wrong_state")
    c.status, c.confirmed_by, c.confirmed_at = CommendationStatus.CONFIRMED, actor, timezone.now()
    c.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    audit.record(actor=actor, action="assessment.commendation_confirmed", subject=c,
                 changes={"status": [CommendationStatus.PROPOSED, c.status]})
    return c


# --- accountability ---------------------------------------------------------------------------

@transaction.atomic
def accountability_record(*, actor: Any, unit_id: int, reason: str, measure: str, decided_on: dt.date,
                          person: str = "", warning_id: int | None = None,
                          case_event_id: int | None = None) -> Accountability:
    """登记问责 on an early warning or a case event (信访工作条例 第43–47条). The warning or the event's
    case and the unit held to account must lie in the leader's jurisdiction."""
    from fangtiao.cases.models import Case, CaseEvent
    from fangtiao.org.models import Unit
    from fangtiao.screening.models import EarlyWarning

    _need(actor, "accountability.record")
    errors: list[FieldError] = []
    if (warning_id is None) == (case_event_id is None):
        errors.append(FieldError("warning", "请关联一条预警或一个事项环节（二选一）"))
    if not str(reason or "").strip():
        errors.append(FieldError("reason", "请填写问责事由"))
    for value, field, label in ((reason, "reason", "问责事由"), (person, "person", "被问责人")):
        if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in str(value or "")):
            errors.append(FieldError(field, f"{label}含有不允许的控制字符"))
    if measure not in Measure.values:
        errors.append(FieldError("measure", "问责方式无效"))
    if decided_on > timezone.localdate():
        errors.append(FieldError("decided_on", "决定日期不能晚于今天"))
    if errors:
        raise ValidationFailed(detail=errors[0].message if len(errors) == 1 else "输入有误，请检查后重试", errors=errors)
    warning = event = case = None
    if warning_id is not None:
        warning = EarlyWarning.objects.visible_to(actor).filter(pk=warning_id).first()
        if warning is None:
            raise ValidationFailed.on("warning", "预警不存在或不在您的管辖范围内")
        case = warning.case
        region_path = warning.region_path
    else:
        event = CaseEvent.objects.filter(pk=case_event_id).select_related("case").first()
        if event is None or not Case.objects.visible_to(actor).filter(pk=event.case_id).exists():
            raise ValidationFailed.on("case_event", "事项环节不存在或不在您的管辖范围内")
        case = event.case
        region_path = case.region_path
    unit = Unit.objects.select_related("region").filter(pk=unit_id).first()
    if unit is None or not scope_of(actor).contains_path(unit.region.path):
        raise ValidationFailed.on("unit", "被问责单位不存在或不在您的管辖范围内")
    a = Accountability.objects.create(warning=warning, case_event=event, case=case, unit=unit, person=person.strip(),
                                      reason=reason.strip(), measure=measure, decided_on=decided_on,
                                      region_path=region_path, recorded_by=actor)
    audit.record(actor=actor, action="assessment.accountability_recorded", subject=a,
                 changes={"unit": [None, unit.name], "measure": [None, measure], "person": [None, a.person],
                          "reason": [None, a.reason]},
                 extra={"warning": warning_id, "case_event": case_event_id, "case": case.pk if case else None})
    return a
