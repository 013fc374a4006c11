"""The early-warning engine: the rules of screening.rules applied to the case data.

Two entry points:
- `evaluate_case(case)` at registration — repeat petitions (同人+同事 within a period), collective
  matters and those likely to become collective (several people raising similar matters in one
  township), skip-level risk and extreme-emotion risk are known the moment a matter is registered;
- `refresh(today)` from the worker — overdue clocks, backlog cases, hot spots and missed screening
  rounds, each read through a partial index (only the flagged rows), and the clearing of warnings
  whose condition is gone (the case closed, the clock no longer overdue).

Every warning carries reasons a leader can read and the unit that must act on it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Min, Q
from django.utils import timezone

from fangtiao.cases.choices import OPEN_STATUSES
from fangtiao.cases.models import Case, Party
from fangtiao.org.models import Region
from fangtiao.screening import rules
from fangtiao.screening.choices import ACTIVE_WARNING, LEVEL_RANK, Level, RoundStatus, WarningKind
from fangtiao.screening.models import EarlyWarning, Hotspot, HotspotRun, ScreeningRound
from fangtiao.screening.routing import township_path
from fangtiao.screening.services import territorial_unit, warning_clear, warning_raise
from fangtiao.screening.similar import Hit, case_text, person_keys, similar_to_case

K = WarningKind


def _label(case: Case) -> str:
    return f"{case.number} {case.title[:60]}"


def evaluate_case(case: Case, *, hits: list[Hit] | None = None, now: dt.datetime | None = None) -> list[EarlyWarning]:
    """The warnings a newly registered (or edited) matter raises at once."""
    from fangtiao.screening.text import emotion

    now = now or timezone.now()
    if hits is None:
        hits = similar_to_case(case, limit=50)
    raised: list[EarlyWarning] = []
    owner = case.holder_unit
    text = case_text(case.title, case.description, case.demands) + ("。" + case.oral_record if case.oral_record else "")

    def raise_(key: str, kind: str, level: str, title: str, reasons: list[str], *, region: Region | None = None,
               about_case: bool = True) -> None:
        w, _what = warning_raise(key=key, kind=kind, level=level, title=title, reasons=reasons,
                                 region=region or case.region, owner_unit=owner, case=case if about_case else None,
                                 now=now)
        raised.append(w)

    # Reasons cite other matters by number and shared words: never 检举控告 matters in a warning about
    # an ordinary one (their readers differ: 信访工作条例 第30条第3款).
    if case.nature != "accusation":
        hits = [h for h in hits if h.case.nature != "accusation"]

    # 重复信访: the same matter raised again within the period — by the same petitioner (同人+同事, the
    # legal sense, which also sets the case's 重复 flag) or by someone else about the same facts.
    p = rules.params(K.REPEAT)
    if p is not None:
        since = case.received_at - dt.timedelta(days=p["period_days"])
        earlier = [h for h in hits if h.same_matter and since <= h.case.received_at <= case.received_at]
        n = 1 + len(earlier)
        level = rules.by_count(n, p)
        if level and earlier:
            root = min([h.case.pk for h in earlier] + [case.pk])
            numbers = "、".join(h.case.number for h in sorted(earlier, key=lambda h: h.case.received_at)[:5])
            best = max(earlier, key=lambda h: (h.same_person, h.score))
            own = sum(1 for h in earlier if h.same_person)
            who = (f"同一信访人{p['period_days']}天内第{own + 1}次反映同一事项" if own == len(earlier) else
                   f"同一事项{p['period_days']}天内第{n}次被反映（其中同一信访人{own + 1}次）")
            raise_(f"repeat:{root}", K.REPEAT, level, f"重复信访：{_label(case)}",
                   [f"{who}（此前：{numbers}）", *best.reasons])

    # 集体访: by headcount.
    p = rules.params(K.COLLECTIVE)
    if p is not None and case.headcount >= p["orange"]:
        level = Level.RED if case.headcount >= p["red"] or case.is_major else Level.ORANGE
        raise_(f"collective:{case.pk}", K.COLLECTIVE, level, f"集体访：{_label(case)}",
               [f"涉及{case.headcount}人" + ("，重大紧急" if case.is_major else "")])

    # 可能形成集体访: different people, similar matters, one township, a short window.
    p = rules.params(K.LIKELY_COLLECTIVE)
    if p is not None and case.nature != "accusation":
        township = township_path(case.region_path)
        since = case.received_at - dt.timedelta(days=p["window_days"])
        alike = [h for h in hits if not h.same_person and h.text_score >= p["min_similarity"]
                 and h.case.region_path.startswith(township) and since <= h.case.received_at <= case.received_at]
        n = 1 + len(alike)
        level = rules.by_count(n, p)
        if level:
            region = Region.objects.filter(path=township).first() or case.region
            terms = []
            for h in alike:
                terms.extend(t for t in h.shared_terms if t not in terms)
            root = min([h.case.pk for h in alike] + [case.pk])
            raise_(f"likely_collective:{root}", K.LIKELY_COLLECTIVE, level,
                   f"可能形成集体访：{region.name}{'、'.join(terms[:3]) or case.title[:30]}",
                   [f"{region.name}{p['window_days']}天内有{n}件不同信访人反映的相似事项",
                    "共同关键词：" + "、".join(terms[:6]) if terms else "文字内容相似",
                    "相关事项：" + "、".join(h.case.number for h in alike[:8])], region=region, about_case=False)

    # 越级风险: went above the competent level before, says they will, or this visit already did.
    p = rules.params(K.SKIP_LEVEL)
    if p is not None:
        reasons = []
        if case.is_skip_level:
            reasons.append("本次走访已越过本级和上一级（信访工作条例 第20条）")
        id_keys, np_keys = person_keys(case.parties.all())
        if id_keys or np_keys:
            before = Case.objects.filter(
                pk__in=Party.objects.filter(Q(id_index__in=id_keys) | Q(name_phone_index__in=np_keys),
                                            role="petitioner").values("case_id"),
                is_skip_level=True, received_at__gte=case.received_at - dt.timedelta(days=p["period_days"]),
            ).exclude(pk=case.pk).values_list("number", flat=True)[:5]
            before = list(before)
            if before:
                reasons.append(f"信访人此前曾越级走访（{'、'.join(before)}）")
        if case.skip_level_risk:
            reasons.append("登记时信访人表示将越级上访")
        hint = emotion.skip_level_hint(text)
        if hint:
            reasons.append("反映内容中有“" + "”“".join(hint[:3]) + "”等字样")
        if reasons:
            raise_(f"skip_level:{case.pk}", K.SKIP_LEVEL, Level.RED if len(reasons) >= 2 else Level.ORANGE,
                   f"越级风险：{_label(case)}", reasons)

    # 极端情绪风险: from the text and from the clerk's assessment.
    p = rules.params(K.EMOTION)
    if p is not None:
        risk = emotion.emotion_risk(text)
        reasons = []
        if risk.level:
            reasons.append("反映内容中有“" + "”“".join(risk.words[:4]) + "”等字样")
        if case.is_escalation_risk:
            reasons.append("接待人员评估：情绪激动，有激化风险")
        if reasons:
            level = Level.RED if risk.level == Level.RED or (risk.level and case.is_escalation_risk) else Level.ORANGE
            raise_(f"emotion:{case.pk}", K.EMOTION, level, f"极端情绪风险：{_label(case)}", reasons)
    return raised


# --- periodic ----------------------------------------------------------------------------------

def _raise_changed(items: list[dict[str, Any]], now: dt.datetime) -> int:
    """Raise only what is new or went up a level; the unchanged ones are touched in one UPDATE (so the
    hourly run costs a query per 500 flagged cases, not a locked write per case)."""
    known = {k: (lv, st) for k, lv, st in EarlyWarning.objects.filter(key__in=[it["key"] for it in items])
             .values_list("key", "level", "status")}
    same = []
    for it in items:
        k = known.get(it["key"])
        if k is not None and LEVEL_RANK[it["level"]] <= LEVEL_RANK[k[0]]:
            if k[1] in ACTIVE_WARNING:
                same.append(it["key"])
            continue
        warning_raise(now=now, **it)
    if same:
        EarlyWarning.objects.filter(key__in=same).update(last_seen_at=now)
    return len(items)


def _chunks(qs: Any, size: int = 500) -> Any:
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last).order_by("pk")[:size])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def _overdue(today: dt.date, now: dt.datetime) -> int:
    p = rules.params(K.OVERDUE)
    if p is None:
        return 0
    n = 0
    cases = (Case.objects.filter(is_overdue=True, status__in=OPEN_STATUSES)
             .select_related("region", "holder_unit")
             .annotate(first_due=Min("clocks__due_on", filter=Q(clocks__state="overdue"))))
    for chunk in _chunks(cases):
        items = []
        for c in chunk:
            days = (today - c.first_due).days if c.first_due else 0
            level = Level.RED if days >= p["red_days"] else Level.ORANGE if days >= p["orange_days"] else Level.YELLOW
            items.append({"key": f"overdue:{c.pk}", "kind": K.OVERDUE, "level": level, "title": f"超期未办：{_label(c)}",
                          "reasons": [f"法定时限已超期{days}天" if days else "法定时限已超期",
                                      f"当前办理单位：{c.holder_unit.name}"],
                          "region": c.region, "owner_unit": c.holder_unit, "case": c})
        n += _raise_changed(items, now)
    return n


def _backlog(today: dt.date, now: dt.datetime) -> int:
    p = rules.params(K.BACKLOG)
    if p is None:
        return 0
    n = 0
    for chunk in _chunks(Case.objects.filter(is_backlog=True, status__in=OPEN_STATUSES).select_related("region", "holder_unit")):
        items = []
        for c in chunk:
            age = (today - timezone.localdate(c.received_at)).days
            items.append({"key": f"backlog:{c.pk}", "kind": K.BACKLOG,
                          "level": Level.RED if age >= p["red_days"] else Level.ORANGE, "title": f"信访积案：{_label(c)}",
                          "reasons": [f"列为信访积案，登记已{age}天仍未化解", f"当前办理单位：{c.holder_unit.name}"],
                          "region": c.region, "owner_unit": c.holder_unit, "case": c})
        n += _raise_changed(items, now)
    return n


def _hotspots(now: dt.datetime) -> int:
    p = rules.params(K.HOTSPOT)
    if p is None:
        return 0
    run = HotspotRun.objects.filter(status="done").order_by("-window_end", "-id").first()
    if run is None:
        return 0
    n = 0
    owners: dict[int, Any] = {}  # one lookup per region, not per hot spot
    for h in Hotspot.objects.filter(run=run, size__gte=p["yellow"]).select_related("region"):
        if h.size >= p["red"]:
            level = Level.RED
        elif h.size >= p["orange"] and h.trend in ("rising", "new"):
            level = Level.ORANGE
        else:
            level = Level.YELLOW
        if h.region_id not in owners:
            owners[h.region_id] = territorial_unit(h.region)
        owner = owners[h.region_id]
        if owner is None:
            continue
        key = f"hotspot:{h.region.code}:{'|'.join(sorted(h.terms[:3]))}"[:120]
        warning_raise(key=key, kind=K.HOTSPOT, level=level, title=f"热点问题：{h.region.name} {h.label}",
                      reasons=[f"{h.window_start:%Y-%m-%d}至{h.window_end:%Y-%m-%d}共{h.size}件相似事项"
                               f"（上期{h.previous_size}件，{h.get_trend_display()}）", "关键词：" + "、".join(h.terms[:6])],
                      region=h.region, owner_unit=owner, hotspot=h, now=now)
        n += 1
    # A hot spot the latest run no longer finds is over: its warning is cleared.
    for pk in EarlyWarning.objects.filter(kind=K.HOTSPOT, status__in=ACTIVE_WARNING, last_seen_at__lt=now) \
            .values_list("pk", flat=True)[:5000]:
        warning_clear(warning_id=pk, note="最近一次热点计算中已无此热点")
    return n


def _screening(today: dt.date, now: dt.datetime) -> int:
    p = rules.params(K.SCREENING_MISSED)
    if p is None:
        return 0
    n = 0
    since = today - dt.timedelta(days=p["recent_days"])
    for r in ScreeningRound.objects.filter(status=RoundStatus.MISSED, warnings__isnull=True, due_on__gte=since) \
            .select_related("unit__region").order_by("due_on")[:2000]:
        previous = (ScreeningRound.objects.filter(unit_id=r.unit_id, period_start__lt=r.period_start)
                    .order_by("-period_start").values_list("status", flat=True)[: max(1, p["orange_consecutive"] - 1)])
        consecutive = 1
        for status in previous:  # missed rounds back to back, newest first
            if status != RoundStatus.MISSED:
                break
            consecutive += 1
        level = Level.ORANGE if consecutive >= p["orange_consecutive"] else Level.YELLOW
        warning_raise(key=f"screening:{r.pk}", kind=K.SCREENING_MISSED, level=level,
                      title=f"排查逾期未报：{r.unit.name}{r.label}",
                      reasons=[f"应于{r.due_on.year}年{r.due_on.month}月{r.due_on.day}日前完成排查并填报，至今未报",
                               *([f"已连续{consecutive}次逾期"] if consecutive > 1 else [])],
                      region=r.unit.region, owner_unit=r.unit, screening_round=r, now=now)
        n += 1
    return n


def _clear_gone(now: dt.datetime) -> int:
    """Warnings whose condition no longer holds are cleared (not deleted: the record stays)."""
    n = 0
    p = rules.params(K.LIKELY_COLLECTIVE)
    if p is not None:  # no similar matter for a whole window: the tendency has passed
        quiet = EarlyWarning.objects.filter(kind=K.LIKELY_COLLECTIVE, status__in=ACTIVE_WARNING,
                                            last_seen_at__lt=now - dt.timedelta(days=p["window_days"]))
        for pk in quiet.values_list("pk", flat=True)[:5000]:
            n += warning_clear(warning_id=pk, note=f"{p['window_days']}天内无新的相似事项")
    gone = EarlyWarning.objects.filter(status__in=ACTIVE_WARNING, case__isnull=False).filter(
        ~Q(case__status__in=OPEN_STATUSES)
        | Q(kind=K.OVERDUE, case__is_overdue=False)
        | Q(kind=K.BACKLOG, case__is_backlog=False)
    ).values_list("pk", flat=True)[:5000]
    for pk in list(gone):
        n += warning_clear(warning_id=pk, note="事项已办结或预警条件已消除")
    return n


def refresh(*, today: dt.date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    now = timezone.now()
    return {"overdue": _overdue(today, now), "backlog": _backlog(today, now), "hotspot": _hotspots(now),
            "screening": _screening(today, now), "cleared": _clear_gone(now)}


def rule_table() -> list[dict[str, Any]]:
    """The rule table as data (for docs/warnings.md and the rules page)."""
    return [{"kind": k, "label": K(k).label, **v} for k, v in rules.DEFAULTS.items()]
