"""Read queries of the public portal: the places and categories of the form, the intake unit, the
number + code lookup (constant-time, a wrong code indistinguishable from an unknown number) and the
masked progress view (阳光信访: 信访工作条例 第18、21条 — the petitioner can query the handling)."""

from __future__ import annotations

import datetime as dt
import hmac
import re
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone

from fangtiao.cases.choices import (
    DivertRoute,
    NotAcceptedChannel,
    PartyRole,
    ReplyOutcome,
    Satisfaction,
    Status,
)
from fangtiao.cases.models import Case, CaseEvent, Party
from fangtiao.cases.services import query_code_hash
from fangtiao.cases.workflow import BY_ACTION
from fangtiao.clocks.models import OPEN_STATES, Clock, ClockState
from fangtiao.core.masking import mask_name
from fangtiao.org.choices import UnitKind
from fangtiao.org.models import DisputeCategory, Region, Unit
from fangtiao.portal import throttle
from fangtiao.portal.rules import rating_state

NOT_FOUND_DETAIL = "未找到该事项，请核对编号和查询码"
INTAKE_LEVELS = ("township", "village")
MAX_NUMBER_LENGTH = 60
MAX_CODE_LENGTH = 32
_NO_MATCH = "!" * 64  # never equal to a hex digest

_BRACKETS = re.compile(r"[\[【(（〔〈［]\s*(\d{4})\s*[\]】)）〕〉］]")
_CODE_NOISE = re.compile(r"[\s\-—_]+")


# --- the form --------------------------------------------------------------------------------

def _centre_roots() -> list[str]:
    """Region paths of the districts the portal serves: those of the 矛调中心 units (or the one
    district named by the optional setting FANGTIAO_PORTAL_REGION)."""
    qs = Unit.objects.filter(kind=UnitKind.CENTRE, active=True)
    only = getattr(settings, "FANGTIAO_PORTAL_REGION", "") or ""
    if only:
        qs = qs.filter(region__code=only)
    return sorted(set(qs.values_list("region__path", flat=True)))


def _under(roots: list[str]) -> Q:
    q = Q(pk__in=[])
    for path in roots:
        q |= Q(path__startswith=path)
    return q


def intake_regions() -> list[tuple[Region, list[Region]]]:
    """Townships (街道/镇/乡) of the served district(s), each with its villages and communities."""
    roots = _centre_roots()
    if not roots:
        return []
    rows = list(Region.objects.filter(_under(roots), active=True, level__in=INTAKE_LEVELS).order_by("path"))
    townships: dict[int, tuple[Region, list[Region]]] = {}
    for r in rows:
        if r.level == "township":
            townships[r.pk] = (r, [])
    for r in rows:
        if r.level == "village" and r.parent_id in townships:
            townships[r.parent_id][1].append(r)
    return list(townships.values())


def intake_region(code: str) -> Region | None:
    """The chosen place, if it is a township or village of a served district."""
    code = (code or "").strip()
    if not code or not code.isdigit():
        return None
    roots = _centre_roots()
    if not roots:
        return None
    return Region.objects.filter(_under(roots), code=code, active=True, level__in=INTAKE_LEVELS).first()


def intake_unit_for(region: Region) -> Unit | None:
    """The 矛调中心 that registers online matters from this place: the deepest centre whose
    region is the place itself or one of its ancestors (一站式受理: the district's one window)."""
    codes = [c for c in region.path.strip("/").split("/") if c]
    return (Unit.objects.filter(kind=UnitKind.CENTRE, active=True, region__code__in=codes)
            .select_related("region").order_by("-region__depth", "pk").first())


def categories() -> list[DisputeCategory]:
    return list(DisputeCategory.objects.filter(active=True).order_by("sort", "code"))


# --- lookup ----------------------------------------------------------------------------------

def normalize_number(value: str | None) -> str:
    """What people type for 黄岩矛调访调〔2026〕00001号: spaces dropped, [2026] (2026) 【2026】 → 〔2026〕."""
    v = re.sub(r"\s+", "", value or "")
    return _BRACKETS.sub(r"〔\1〕", v)


def normalize_code(value: str | None) -> str:
    """Query codes are read aloud and copied in groups: spaces and dashes are ignored, case too."""
    return _CODE_NOISE.sub("", value or "").upper()


def case_by_number_and_code(*, number: str, code: str, for_update: bool = False) -> Case | None:
    """The case with this number if `code` is its query code, else None — and the same None, in
    the same way, for an unknown number, a wrong code or another case's code. The code is compared
    as keyed hashes with hmac.compare_digest (constant time); only the hash is stored."""
    number = normalize_number(number)
    code = normalize_code(code)
    # issue 9 (ASVS V6.6.3): at most FANGTIAO_PORTAL_CASE_FAIL_LIMIT failures per case number an
    # hour from all addresses together; then 429 (throttle.Throttled) for that number
    throttle.case_check(number[:MAX_NUMBER_LENGTH])
    case = None
    if number and len(number) <= MAX_NUMBER_LENGTH:
        qs = Case.objects.filter(number=number)
        if for_update:
            qs = qs.select_for_update()
        case = qs.first()
    expected = case.query_code_hash if case is not None and case.query_code_hash else _NO_MATCH
    given = query_code_hash(code[:MAX_CODE_LENGTH])
    matches = hmac.compare_digest(given.encode(), expected.encode())
    if not matches or case is None or not code or len(code) > MAX_CODE_LENGTH:
        if number and throttle.case_failed(number[:MAX_NUMBER_LENGTH]):
            from fangtiao.audit.services import record

            record(actor=None, action="portal.lookup_locked", success=False, subject=case,
                   extra={"number": number[:MAX_NUMBER_LENGTH]})
        return None
    return case


# --- progress --------------------------------------------------------------------------------

STEP_TEXT: dict[str, str] = {
    Status.REGISTERED: "已登记，正在审查是否受理",
    Status.ACCEPTED: "已受理，正在分流办理",
    Status.NOT_ACCEPTED: "不予受理，已告知依法解决的途径",
    Status.FORWARDED: "已转送有权处理的机关",
    Status.DIVERTED: "已导入法定途径处理",
    Status.TRANSFERRING: "正在移交承办单位，等待签收",
    Status.MEDIATING: "正在调解",
    Status.AGREED: "调解成功，已达成调解协议",
    Status.FAILED: "调解未达成协议",
    Status.WITHDRAWN: "已撤回",
    Status.HANDLING: "承办单位正在办理",
    Status.REPLIED: "已出具书面答复",
    Status.REVIEWING: "复查中",
    Status.RE_REVIEWING: "复核中",
    Status.CLOSED: "已办结",
    Status.ARCHIVED: "已办结",
}

# What the petitioner reads for each timeline entry: fixed wording per action, never the event's
# free-text note (officers' remarks) nor who did it.
EVENT_TEXT: dict[str, str] = {
    "accept": "已受理",
    "reject": "不予受理，已告知依法解决的途径",
    "forward": "已转送有权处理的机关",
    "divert": "已导入法定途径，已书面告知",
    "route": "已分流至承办单位办理",
    "transfer": "已移交有关单位",
    "receive": "承办单位已签收",
    "escalate": "已上报上级单位协调处理",
    "extend": "办理期限已依法延长",
    "reply": "已出具信访处理意见书",
    "agree": "调解成功，已达成调解协议",
    "fail": "调解未达成协议，已告知依法维权的途径",
    "withdraw": "事项已撤回",
    "request_review": "复查请求已登记",
    "answer_review": "已出具复查意见",
    "request_re_review": "复核请求已登记",
    "record_hearing": "已举行听证",
    "answer_re_review": "已出具复核意见",
    "close": "事项已办结",
    "rate": "您已对办理情况作出评价",
}

# Clocks the petitioner is told about: (what happens by the due date, whose turn it is).
NEXT_TEXT: dict[str, tuple[str, str]] = {
    "petition.acceptance_notice": ("书面告知是否受理", "unit"),
    "petition.disposition": ("依法作出处理（受理、转送或交办）", "unit"),
    "petition.handling": ("办结并出具书面答复", "unit"),
    "mediation.period": ("调解一般在此日期前结束", "unit"),
    "review.answer": ("出具书面复查意见", "unit"),
    "re_review.answer": ("出具复核意见", "unit"),
    "review.request": ("如对处理意见不服，可在此日期前向原办理机关的上一级机关请求复查", "citizen"),
    "re_review.request": ("如对复查意见不服，可在此日期前向复查机关的上一级机关请求复核", "citizen"),
    "confirmation.apply": ("双方当事人可在此日期前共同向人民法院申请司法确认", "citizen"),
}
CLOCK_STATE_TEXT = {ClockState.RUNNING: "进行中", ClockState.PAUSED: "暂停计时", ClockState.OVERDUE: "已超期"}


def _event_text(e: CaseEvent, case: Case) -> str:
    if e.action == "register":
        return f"事项已登记（{case.get_channel_display()}）"
    if e.action in EVENT_TEXT:
        return EVENT_TEXT[e.action]
    t = BY_ACTION.get(e.action)
    return (t.public_note or t.label) if t is not None else "办理进展"


def _next_steps(case: Case) -> list[dict[str, Any]]:
    clocks = list(case.clocks.all())
    open_codes = {c.code for c in clocks}
    out = []
    for c in clocks:
        if c.code not in NEXT_TEXT:
            continue
        if c.code == "petition.disposition" and "petition.acceptance_notice" in open_codes:
            continue  # the same 15 days, told once
        what, whose = NEXT_TEXT[c.code]
        if c.code == "petition.handling" and c.extended_days:
            what += f"（已依法延长{c.extended_days}日）"
        by = "您" if whose == "citizen" else (c.holder_unit.name if c.holder_unit_id else case.holder_unit.name)
        out.append({"code": c.code, "what": what, "due": c.due_on, "basis": c.rule.source, "state": c.state,
                    "state_label": CLOCK_STATE_TEXT.get(c.state, c.get_state_display()), "by": by})
    return out


def _notices(case: Case) -> list[str]:
    """What the law says the petitioner is told, in the wording given to them."""
    out = []
    if case.accepted_on:
        out.append(f"{case.accepted_on.year}年{case.accepted_on.month}月{case.accepted_on.day}日已受理。")
    if case.status in (Status.NOT_ACCEPTED, Status.CLOSED, Status.ARCHIVED) and case.not_accepted_reason:
        channel = NotAcceptedChannel(case.lawful_channel).label if case.lawful_channel in NotAcceptedChannel.values else ""
        out.append(f"不予受理：{case.not_accepted_reason}" + (f"（可通过{channel}依法解决）" if channel else ""))
    if case.forwarded_to:
        out.append(f"已转送{case.forwarded_to}处理，请向该机关了解办理情况。")
    if case.divert_route in DivertRoute.values:
        out.append(f"应通过法定途径解决：{DivertRoute(case.divert_route).label}。")
    if case.extended_days:
        out.append(f"经批准，办理期限延长{case.extended_days}日，理由：{case.extension_reason}（信访工作条例 第34条）")
    if case.review_stage == "final":
        out.append("已出具复核意见，信访程序终结；以同一事实和理由再次提出的，不再受理（信访工作条例 第36条）。")
    return out


def progress_queryset() -> Any:
    return Case.objects.select_related("region", "holder_unit").prefetch_related(
        Prefetch("events", queryset=CaseEvent.objects.filter(public=True).order_by("at", "id")),
        Prefetch("clocks", queryset=Clock.objects.filter(state__in=OPEN_STATES).select_related("rule", "holder_unit")
                 .order_by("due_on", "id")),
        Prefetch("parties", queryset=Party.objects.filter(role=PartyRole.PETITIONER).order_by("sort", "id")),
    )


def case_progress(*, case: Case, today: dt.date | None = None) -> dict[str, Any]:
    """The petitioner's view of the case: masked, public events only, no staff names, no notes."""
    case = progress_queryset().get(pk=case.pk)
    today = today or timezone.localdate()
    parties = list(case.parties.all())
    rating = rating_state(case, today)
    return {
        "number": case.number,
        "title": case.title,
        "kind": case.kind,
        "kind_label": "申请人民调解" if case.kind == "dispute" else case.get_kind_display(),
        "channel_label": case.get_channel_display(),
        "received_on": timezone.localdate(case.received_at),
        "place": case.region.name,
        "petitioner": mask_name(parties[0].name) if parties else "",
        "status": case.status,
        "status_label": case.get_status_display(),
        "step": STEP_TEXT.get(case.status, case.get_status_display()),
        "holder_unit": case.holder_unit.name,
        "events": [{"date": timezone.localdate(e.at), "action": e.action, "text": _event_text(e, case)}
                   for e in case.events.all()],
        "next": _next_steps(case),
        "notices": _notices(case),
        "reply": ({"outcome": case.reply_outcome, "outcome_label": ReplyOutcome(case.reply_outcome).label,
                   "replied_on": case.replied_on} if case.reply_outcome else None),
        "closed_on": case.closed_on,
        "rating": {
            "allowed": rating.allowed, "reason": rating.reason, "deadline": rating.deadline,
            "satisfaction": case.satisfaction,
            "satisfaction_label": Satisfaction(case.satisfaction).label if case.satisfaction else "",
            "rated_at": case.rated_at,
        },
    }
