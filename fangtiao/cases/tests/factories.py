"""Case-building helpers for the cases and clocks tests.

- `extend_world(world)` adds a province and a city above the test district (so 复核 can go to
  the city, and a visit at the city about a village matter is 越级), a city petition bureau, a
  district line department, and staff of any role at any unit on demand (`xw.user(unit, role)`).
- `shared_world(django_db_blocker)` builds that world once per test module inside an outer
  transaction; each test runs in a savepoint of it (pytest-django's `db`) and `xw.reset()`
  forgets staff a test created, so tests stay independent but do not rebuild the world.
- `intake(**overrides)` is a valid intake body (a 申诉求决类 visit at the 东城 sub-centre about
  上洋村) with a fresh, valid ID number and phone per call, so cases never link by accident.
- `make_case(xw, actor=..., **overrides)` registers it through the services.
- `case_in_state(xw, state)` drives a fresh case through the services into any lifecycle state.
- `act(...)` runs one lifecycle action with the case's current version.
- `valid_payload(...)`, `bad_payload(...)` and `expected_status(...)` describe each action for
  the table-driven transition tests; `variant(action, source)` names the state variant (e.g.
  "agreed+signing", "performing+overdue") that meets an action's guard.
- `actor_for` / `permitted_user` pick who takes an action: a role at the holding unit, or — for the
  actions taken elsewhere — the court liaison of the court applied to and the consulted expert
  (`ask_expert` puts a case before the test world's lawyer).
- `frozen(day)` fixes "today" (django.utils.timezone.now) for clock tests.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from fangtiao.audit.models import AuditEvent
from fangtiao.cases import services
from fangtiao.cases.models import Case, CaseEvent, Transfer
from fangtiao.cases.workflow import BY_ACTION
from fangtiao.clocks.models import Clock
from fangtiao.core.testing.world import World, build_world
from fangtiao.core.validators import id_check_char
from fangtiao.notifications.models import Notification
from fangtiao.org import services as org_services
from fangtiao.org.models import Region, Role, Unit, User

TZ = ZoneInfo("Asia/Shanghai")
ALL_ROLES = ("clerk", "officer", "leader", "committee_head", "mediator", "expert", "court_liaison", "admin", "auditor")
_seq = itertools.count(1)


# --- time ------------------------------------------------------------------------------------

@contextmanager
def frozen(day: dt.date, hour: int = 10) -> Iterator[None]:
    """Make `timezone.now()` (and so `timezone.localdate()`) a fixed moment on `day`."""
    moment = dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=TZ)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


# --- identities ------------------------------------------------------------------------------

def id_number(born: dt.date | None = None, seq: int | None = None, region: str = "331003") -> str:
    """A valid 18-character ID number (GB 11643 check character)."""
    n = next(_seq) if seq is None else seq
    born = born or dt.date(1960, 1, 1) + dt.timedelta(days=(n * 37) % 15000)
    first17 = f"{region}{born:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def mobile(seq: int | None = None) -> str:
    n = next(_seq) if seq is None else seq
    return f"139{n % 100_000_000:08d}"


def person(**overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    p = {"role": "petitioner", "type": "person", "name": f"王{'一二三四五六七八九十'[n % 10]}{n}",
         "id_number": id_number(seq=n), "phone": mobile(n), "address": f"上洋村{n}号", "is_representative": False}
    p.update(overrides)
    return p


def intake(**overrides: Any) -> dict[str, Any]:
    """A valid intake body; `parties` may be overridden, else one fresh petitioner."""
    body: dict[str, Any] = {
        "channel": "visit", "kind": "petition", "nature": "claim", "title": "小区物业费收取争议",
        "description": "物业公司重复收取电梯维修费。", "reasons": "收费无依据。", "demands": "退还多收的费用。",
        "oral_record": "信访人口述：物业公司2026年起每户多收电梯费300元，要求退还。",
        "category": "property", "region": "331003001201", "occurred_on": "2026-01-15", "amount": "12000.00",
        "headcount": 1,
    }
    body.update(overrides)
    if "parties" not in overrides:
        body["parties"] = [person()]
    return body


# --- the extended world ----------------------------------------------------------------------

@dataclass
class XWorld:
    """The test world plus a city above it and staff created on demand."""

    w: World
    province: Region
    city: Region
    city_bureau: Unit
    line_dept: Unit
    staff: dict[tuple[int, str], User]
    base_staff: dict[tuple[int, str], User] | None = None

    def reset(self) -> XWorld:
        """Forget staff created by the previous test (its savepoint was rolled back)."""
        self.staff = dict(self.base_staff or {})
        return self

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "w":
            raise AttributeError(name)
        return getattr(self.w, name)

    def unit(self, key: str | Unit) -> Unit:
        if isinstance(key, Unit):
            return key
        if key == "city_bureau":
            return self.city_bureau
        if key == "line_dept":
            return self.line_dept
        return self.w.units[key]

    def user(self, unit: str | Unit, role: str) -> User:
        """A staff member with exactly `role` at `unit` (created on first use)."""
        u = self.unit(unit)
        key = (u.pk, role)
        if key not in self.staff:
            # Accusation handlers hold 涉及检举揭发 clearance (ADR 0022), as the data migration gives them.
            user = User.objects.create(username=f"u{u.pk}_{role}", name=f"{u.short_name}{role}", unit=u,
                                       clearance=2 if role in ("officer", "leader") else 0)
            user.roles.set([Role.objects.get(code=role)])
            self.staff[key] = User.objects.select_related("unit__region").get(pk=user.pk)
        return self.staff[key]


def extend_world(w: World) -> XWorld:
    """Put the district under 台州市 (330000/331000) and add a city bureau and a line department."""
    province = org_services.region_create(actor=None, code="330000", name="浙江省", level="province", kind="province",
                                          parent=None)
    city = org_services.region_create(actor=None, code="331000", name="台州市", level="city", kind="city", parent=province)
    prefix = city.path
    Region.objects.filter(path__startswith=w.district.path).update(path=Concat(Value(prefix), F("path")),
                                                                   depth=F("depth") + 2)
    Region.objects.filter(pk=w.district.pk).update(parent=city)
    for name in ("district", "t01", "t02", "v01", "v02"):
        setattr(w, name, Region.objects.get(pk=getattr(w, name).pk))
    for key, unit in list(w.units.items()):
        w.units[key] = Unit.objects.select_related("region").get(pk=unit.pk)
    for key, user in list(w.users.items()):
        w.users[key] = User.objects.select_related("unit__region").get(pk=user.pk)
    city_bureau = org_services.unit_create(actor=None, name="台州市信访局", short_name="台州信访", kind="petition_bureau",
                                           level="city", region=city)
    line_dept = org_services.unit_create(actor=None, name="黄岩区住房和城乡建设局", short_name="黄岩住建",
                                         kind="line_department", level="district", region=w.district)
    city_bureau = Unit.objects.select_related("region").get(pk=city_bureau.pk)
    line_dept = Unit.objects.select_related("region").get(pk=line_dept.pk)
    return XWorld(w=w, province=province, city=city, city_bureau=city_bureau, line_dept=line_dept, staff={})


STAFFED_UNITS = ("t01_subcentre", "t01_committee", "t02_subcentre", "centre", "city_bureau", "line_dept",
                 "v01_committee")


@contextmanager
def shared_world(django_db_blocker: Any) -> Iterator[XWorld]:
    """One extended world (with staff of every role at the units the tests use) for a whole test
    module, inside a transaction rolled back when the module ends."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        with django_db_blocker.unblock():
            xw = extend_world(build_world())
            for unit in STAFFED_UNITS:
                for role in ALL_ROLES:
                    xw.user(unit, role)
            xw.base_staff = dict(xw.staff)
        yield xw
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- building cases --------------------------------------------------------------------------

def make_case(xw: XWorld, actor: Any = "default", **overrides: Any) -> Case:
    """Register a case through the services (default: the 东城 clerk, a visit about 上洋村)."""
    if actor == "default":
        actor = xw.w.users["clerk_t01"]
    case, _code = services.case_register(actor=actor, data=intake(**overrides))
    return fresh(case)


def fresh(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    return Case.objects.select_related("holder_unit__region", "region").get(pk=pk)


def act(case: Case | int, actor: Any, action: str, **data: Any) -> Case:
    """One lifecycle action with the case's current version (unless `version` is given)."""
    c = fresh(case)
    data.setdefault("version", c.version)
    services.case_act(case=c.pk, actor=actor, action=action, data=data)
    return fresh(c)


PREFERRED_ROLES = ("officer", "committee_head", "leader", "clerk", "mediator")
COMMITTEE_PREFERRED = ("committee_head", "mediator", "officer", "leader", "clerk")


def actor_for(xw: XWorld, case: Case, action: str) -> User:
    """A user at the holding unit with a role the action permits (committees: head or mediator first);
    for the actions taken outside the holding unit: the consulted expert, the court's liaison."""
    t = BY_ACTION[action]
    if t.roles == {"expert"}:
        return xw.w.users["expert_user"]
    if t.roles == {"court_liaison"}:
        return xw.user(confirmation_court(xw, case), "court_liaison")
    unit = case.holder_unit
    order = COMMITTEE_PREFERRED if unit.is_mediation_committee else PREFERRED_ROLES
    role = next(r for r in order if r in t.roles)
    return xw.user(unit, role)


def acting_unit(xw: XWorld, case: Case, action: str) -> Unit:
    """Where a permitted user sits: the co-unit for co_reply, the court the confirmation was applied to
    for the court's actions, the consulted expert's unit for an opinion, else the holder."""
    roles = BY_ACTION[action].roles
    if action == "co_reply":
        return xw.units["t01_committee"]
    if roles == {"expert"}:
        return xw.w.users["expert_user"].unit
    if roles == {"court_liaison"}:
        return confirmation_court(xw, case)
    return case.holder_unit


def permitted_user(xw: XWorld, case: Case, action: str, role: str | None = None) -> User:
    """A user with `role` (default: the first the action permits) where the action is taken. An expert acts
    through the expert record linked to the login — the test world's lawyer — not a role at a unit."""
    role = role or sorted(BY_ACTION[action].roles)[0]
    if role == "expert":
        return xw.w.users["expert_user"]
    return xw.user(acting_unit(xw, case, action), role)


def confirmation_court(xw: XWorld, case: Case) -> Unit:
    """The court a confirmation of `case` was applied to (the district court if none yet)."""
    from fangtiao.mediation.models import Confirmation

    c = Confirmation.objects.filter(case=case).select_related("court__region").order_by("-id").first()
    return c.court if c is not None else xw.units["court"]


def higher_unit(xw: XWorld, unit: Unit) -> Unit:
    """The unit one level above `unit` on the test chain: village → township sub-centre → centre → city."""
    if unit.level == "village":
        return xw.units["t01_subcentre"] if unit.region.path.startswith(xw.t01.path) else xw.units["t02_subcentre"]
    if unit.level == "township":
        return xw.units["centre"]
    return xw.city_bureau


def other_unit(xw: XWorld, case: Case) -> Unit:
    """A transfer target in the case's township that is not the holder."""
    t01_committee = xw.units["t01_committee"]
    return xw.units["t01_subcentre"] if case.holder_unit_id == t01_committee.pk else t01_committee


def valid_payload(xw: XWorld, case: Case, action: str, actor: Any) -> dict[str, Any]:
    """A payload `actor` may send for `action` on `case` as it is now (without the version)."""
    today = timezone.localdate().isoformat()
    if action == "route":
        return {"to": "handling", "unit": case.holder_unit_id, "task": "请依法办理"}
    if action == "transfer":
        return {"to_unit": other_unit(xw, case).pk, "note": "请签收办理"}
    if action == "escalate":
        return {"to_unit": higher_unit(xw, case.holder_unit).pk, "reason": "需上级协调"}
    if action == "request_review":
        return {"organ": higher_unit(xw, case.holder_unit).pk, "requested_on": today, "reasons": "不服处理意见"}
    if action == "request_re_review":
        return {"organ": xw.city_bureau.pk, "requested_on": today, "reasons": "不服复查意见"}
    if action in _MEDIATION_PAYLOADS:
        return _MEDIATION_PAYLOADS[action](xw, case)
    return dict(_STATIC_PAYLOADS[action])


# --- the mediation actions: payloads that name the case's parties, mediators and obligations -----

def parties_of(case: Case) -> list[Any]:
    return list(case.parties.order_by("sort", "id"))


def obligor(case: Case) -> Any:
    """Who owes under the agreement: the other side if registered, else the petitioner."""
    parties = parties_of(case)
    return next((p for p in parties if p.role == "respondent"), parties[0])


def active_mediators(case: Case) -> list[int]:
    from fangtiao.mediation.models import Assignment

    return list(Assignment.objects.filter(case=case, active=True, mediation__status="open")
                .order_by("-lead", "id").values_list("mediator_id", flat=True))


def current_agreement(case: Case) -> Any:
    from fangtiao.mediation.selectors import current_agreement as current

    return current(case)


def open_obligations(case: Case) -> list[Any]:
    a = current_agreement(case)
    if a is None:
        return []
    return list(a.obligations.filter(status__in=["pending", "partial", "overdue"]).order_by("seq", "id"))


def _assign(xw: XWorld, case: Case) -> dict[str, Any]:
    busy = set(active_mediators(case))
    pick = next((m for m in (xw.w.mediators["wang_t01"], xw.w.mediators["shan_t01"]) if m.pk not in busy),
                xw.w.mediators["wang_t01"])
    return {"mediators": [pick.pk], "reason": "擅长物业纠纷"}


def _replace(xw: XWorld, case: Case) -> dict[str, Any]:
    busy = active_mediators(case)
    current = busy[0] if busy else xw.w.mediators["wang_t01"].pk
    replacement = next(m.pk for m in (xw.w.mediators[k] for k in ("shan_t01", "wang_t01", "zhao_v01"))
                       if m.pk not in busy and m.pk != current)
    return {"mediator": current, "replacement": replacement, "party": parties_of(case)[0].pk,
            "reason": "当事人认为调解员与对方熟识"}


def _obligations(case: Case) -> list[dict[str, Any]]:
    due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    who = obligor(case).pk
    return [{"party": who, "content": "退还多收的电梯维修费", "amount": "300.00", "due_on": due},
            {"party": who, "content": "张贴书面致歉", "due_on": due}]


def _agree(xw: XWorld, case: Case, **kw: Any) -> dict[str, Any]:
    return {"form": "written", "terms": "物业公司于10日内退还多收费用并书面致歉", "facts": "物业公司重复收取电梯维修费",
            "obligations": _obligations(case), **kw}


def _signatures(xw: XWorld, case: Case) -> dict[str, Any]:
    from fangtiao.mediation.models import Assignment

    a = current_agreement(case)
    mediator = (Assignment.objects.filter(mediation=a.mediation).order_by("-lead", "id")
                .values_list("mediator_id", flat=True).first() if a else None) or xw.w.mediators["wang_t01"].pk
    return {"signatures": [*({"signer": str(p.pk), "method": "sign_fingerprint"} for p in parties_of(case)),
                           {"signer": "mediator", "mediator": mediator}, {"signer": "seal", "method": "seal"}]}


def _performance(xw: XWorld, case: Case) -> dict[str, Any]:
    obs = open_obligations(case)
    return {"obligation": obs[0].pk if obs else 999_999, "proof_kind": "receipt", "proof_note": "收条一张"}


def _enforcement(xw: XWorld, case: Case) -> dict[str, Any]:
    overdue = [o.pk for o in open_obligations(case) if o.status == "overdue" and not o.enforced]
    return {"obligations": overdue or [999_999], "note": "逾期未履行"}


def _book(xw: XWorld, case: Case) -> dict[str, Any]:
    starts = timezone.now() + dt.timedelta(days=1)
    return {"starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=2)).isoformat(),
            "place": "东城调委第一调解室"}


_MEDIATION_PAYLOADS: dict[str, Any] = {
    "intervene": lambda xw, case: {"unit": xw.units["t01_committee"].pk, "consent": True, "note": "排查发现，提前介入"},
    "assign": _assign,
    "replace_mediator": _replace,
    "record_notice": lambda xw, case: {"party": parties_of(case)[0].pk, "note": "已签收须知"},
    "invite": lambda xw, case: {"name": "王阿姨", "relation": "neighbour", "organisation": "上洋村3号", "consent": True},
    "request_opinion": lambda xw, case: {"expert": xw.w.experts["lawyer"].pk, "question": "重复收取电梯费是否有依据？"},
    "record_opinion": lambda xw, case: {"opinion": "依据《物业管理条例》，重复收费无依据，应予退还。"},
    "book_session": _book,
    "record_session": lambda xw, case: {"applicant_statement": "多收300元", "respondent_statement": "愿意退还",
                                        "proposal": "退还并致歉", "outcome": "agreed"},
    "report_risk": lambda xw, case: {"description": "双方情绪激动，可能激化", "measures": "分开做思想工作"},
    "extend_mediation": lambda xw, case: {"days": 15, "both_parties_request": True, "reason": "需要补充证据"},
    "agree": _agree,
    "sign_agreement": _signatures,
    "apply_confirmation": lambda xw, case: {"court": confirmation_court(xw, case).pk, "property_proof": True},
    "record_performance": _performance,
    "apply_enforcement": _enforcement,
}


_STATIC_PAYLOADS: dict[str, dict[str, Any]] = {
    "accept": {"notice": "您反映的物业收费问题已受理。"},
    "reject": {"reason": "该事项已经或者依法应当通过诉讼途径解决", "channel": "litigation"},
    "forward": {"authority": "黄岩区人民法院", "reason": "涉诉事项"},
    "divert": {"route": "judicial", "note": "请向人民法院起诉"},
    "receive": {"note": "已签收"},
    "return": {"reason": "不属于本单位职责范围"},
    "report_major": {"note": "涉及二百户业主，可能引发群体性事件"},
    "supervise": {"note": "请加快办理", "due_on": None},
    "extend": {"days": 30, "reason": "情况复杂，需现场核查"},
    "co_reply": {"reply": "已核实，物业费收取有误"},
    "reply": {"outcome": "support", "request": "退还多收费用", "facts": "经查物业公司重复收费属实",
              "opinion": "责令退还", "basis": "《物业管理条例》第四十二条"},
    "fail": {"reason": "物业公司拒绝退费", "next": "litigation", "routes_told": ["arbitration"]},
    "remediate": {"reason": "双方要求变更协议内容"},
    "accept_confirmation": {"court_number": "（2026）浙1003民特1号"},
    "extend_confirmation": {"reason": "案情复杂，经院长批准延长"},
    "record_confirmation": {"result": "confirmed", "court_number": "（2026）浙1003民特1号"},
    "follow_up": {"method": "phone", "satisfaction": "satisfied", "performance": "已按协议履行", "notes": "无反复"},
    "mark_backlog": {"reason": "同一事项多次信访，久拖未决"},
    "withdraw": {"reason": "信访人主动撤回"},
    "answer_review": {"outcome": "explain", "opinion": "维持原处理意见并作解释"},
    "record_hearing": {"days": 10, "note": "举行听证"},
    "answer_re_review": {"outcome": "reject", "opinion": "复核维持"},
    "close": {"note": "已办结"},
    "archive": {"note": ""},
}


# (payload change, the field whose error is expected); a change may be computed from the world and
# the case. The mediation actions mostly break a rule their handler checks (after the schema), so the
# matrix also shows that a refusal half-way through a handler leaves nothing behind.
BAD_PAYLOADS: dict[str, tuple[Any, str]] = {
    "accept": ({"notice": "告" * 5001}, "notice"),
    "reject": ({"channel": "moon"}, "channel"),
    "forward": ({"authority": ""}, "authority"),
    "divert": ({"route": "nowhere"}, "route"),
    "route": ({"to": "nowhere"}, "to"),
    "transfer": ({"to_unit": 999_999}, "to_unit"),
    "receive": ({"note": "签" * 2001}, "note"),
    "return": ({"reason": "不要"}, "reason"),
    "escalate": ({"reason": ""}, "reason"),
    "report_major": ({"note": ""}, "note"),
    "supervise": ({"due_on": "2026-02-30"}, "due_on"),
    "extend": ({"days": 31}, "days"),
    "co_reply": ({"reply": ""}, "reply"),
    "reply": ({"outcome": "maybe"}, "outcome"),
    "intervene": ({"consent": False}, "consent"),  # 第17条: not without both parties' consent
    # a mediator of another township is not in the committee's pool
    "assign": (lambda xw, case: {"mediators": [xw.w.mediators["li_t02"].pk]}, "mediators.0"),
    "replace_mediator": (lambda xw, case: {"replacement": xw.w.mediators["li_t02"].pk}, "replacement"),
    "record_notice": ({"party": 999_999}, "party"),
    "invite": ({"consent": False}, "consent"),  # 第20条: only with the parties' consent
    "request_opinion": ({"due_on": "2020-01-01"}, "due_on"),
    "record_opinion": ({"opinion": "同意"}, "opinion"),
    "book_session": (lambda xw, case: {"ends_at": (timezone.now() + dt.timedelta(hours=20)).isoformat()}, "ends_at"),
    "record_session": ({"present": [999_999]}, "present.0"),
    "report_risk": ({"description": ""}, "description"),
    "extend_mediation": ({"both_parties_request": False}, "both_parties_request"),
    "agree": ({"obligations": [{"party": 999_999, "content": "赔偿损失", "amount": "100.00"}]}, "obligations.0.party"),
    "sign_agreement": ({"signatures": [{"signer": "路人"}]}, "signatures.0.signer"),
    "fail": ({"next": "heaven"}, "next"),
    "remediate": ({"reason": ""}, "reason"),
    "apply_confirmation": ({"joint": False}, "joint"),  # 第33条: both parties apply jointly
    "accept_confirmation": ({"accepted_on": "2020-01-01"}, "accepted_on"),
    "extend_confirmation": ({"reason": ""}, "reason"),
    "record_confirmation": ({"result": "rejected"}, "ground"),  # 解释 第358条: a rejection states its ground
    "record_performance": ({"amount": "99999.00"}, "amount"),
    "apply_enforcement": ({"obligations": [999_999]}, "obligations"),
    "follow_up": ({"lawsuit": True}, "lawsuit_result"),
    "mark_backlog": ({"responsible_leader": 999_999}, "responsible_leader"),
    "withdraw": ({"reason": ""}, "reason"),
    "request_review": ({"requested_on": "2026-13-01"}, "requested_on"),
    "answer_review": ({"opinion": ""}, "opinion"),
    "request_re_review": ({"organ": "市局"}, "organ"),
    "record_hearing": ({"days": 0}, "days"),
    "answer_re_review": ({"outcome": ""}, "outcome"),
    "close": ({"note": "结" * 2001}, "note"),
    "archive": ({"note": "档" * 2001}, "note"),
}


def bad_payload(xw: XWorld, case: Case, action: str, actor: Any) -> tuple[dict[str, Any], str]:
    change, field = BAD_PAYLOADS[action]
    p = valid_payload(xw, case, action, actor)
    p.update(change(xw, case) if callable(change) else change)
    return p, field


def expected_status(case: Case, action: str, data: dict[str, Any] | None = None) -> str:
    """The state an action leads to from the case's current state (with `data`, default the valid payload)."""
    t = BY_ACTION[action]
    case = fresh(case)
    data = data or {}
    if t.target is not None:
        return t.target
    if action == "route":
        return "handling"  # valid_payload routes to the holder itself
    if action in ("receive", "return"):
        pending = Transfer.objects.filter(case=case, status="pending").latest("sent_at", "id")
        return pending.resume_status if action == "receive" else pending.previous_status
    if action == "fail":
        return "failed"
    if action == "intervene":  # to another unit through a transfer signed for, else at once
        return "mediating" if data.get("unit") == case.holder_unit_id else "transferring"
    if action == "record_notice":  # 第17条: a party's refusal ends the mediation
        return "failed" if data.get("consent") == "refused" else case.status
    if action == "record_confirmation":
        if data.get("result", "confirmed") != "confirmed":
            return "agreed"  # rejected, withdrawn, not accepted: vary, re-mediate or sue
        return "performing" if open_obligations(case) else "performed"
    if action == "record_performance":
        ob = next((o for o in open_obligations(case) if o.pk == data.get("obligation")), None)
        if ob is None and not data:
            obs = open_obligations(case)
            ob = obs[0] if obs else None
        paid_off = ob is not None and (data.get("amount") is None
                                       or ob.amount is None or ob.performed_amount + Decimal(data["amount"]) >= ob.amount)
        others = [o for o in open_obligations(case) if ob is None or o.pk != ob.pk]
        if paid_off and not others and case.status in ("agreed", "performing"):
            return "performed"
        return case.status
    if action == "follow_up" and data.get("recurrence") == "reopen":
        return "mediating"
    # report_major, supervise, extend, co_reply, record_hearing, the mediation records, mark_backlog
    return case.status


# --- driving a case into a state ---------------------------------------------------------------

def _step(xw: XWorld, case: Case, step: str) -> Case:
    if step == "route_mediation":
        actor = actor_for(xw, case, "route")
        return act(case, actor, "route", to="mediation", unit=xw.units["t01_committee"].pk, consent=True, task="请调解")
    if step == "route_handling":
        actor = actor_for(xw, case, "route")
        return act(case, actor, "route", to="handling", unit=case.holder_unit_id, task="请依法办理")
    if step == "route_handling_co":
        actor = actor_for(xw, case, "route")
        return act(case, actor, "route", to="handling", unit=case.holder_unit_id, co_units=[xw.units["t01_committee"].pk],
                   task="协同核查")
    if step == "agree_unsigned":  # a written agreement to be signed later (第29条)
        return act(case, actor_for(xw, case, "agree"), "agree", **_agree(xw, case, signed=False))
    if step == "agree_oral":  # an oral agreement performed on the spot (第28条): nothing left to perform
        return act(case, actor_for(xw, case, "agree"), "agree", form="oral", terms="物业公司当场退还300元",
                   performance="当场履行完毕")
    if step == "overdue":  # the worker marks obligations past their day (run after building in the past)
        from fangtiao.mediation.services import tick

        tick(today=timezone.localdate())
        return fresh(case)
    actor = actor_for(xw, case, step)
    return act(case, actor, step, **valid_payload(xw, case, step, actor))


_MEDIATING = ["accept", "route_mediation", "receive"]
_READY = [*_MEDIATING, "assign", "record_session"]  # a mediator assigned and a session held (第19、27条)
_AGREED = [*_READY, "agree"]
_CONFIRMING = [*_AGREED, "apply_confirmation"]
_PERFORMING = [*_CONFIRMING, "record_confirmation"]  # confirmed with obligations still to perform
_PERFORMED = [*_PERFORMING, "record_performance", "record_performance"]
_HANDLING = ["accept", "route_handling"]
_REPLIED = [*_HANDLING, "reply"]
_REVIEWED = [*_REPLIED, "request_review", "answer_review"]
STATE_STEPS: dict[str, list[str]] = {
    "registered": [],
    "accepted": ["accept"],
    "transferring": ["accept", "transfer"],
    "mediating": _MEDIATING,
    "mediating+assigned": [*_MEDIATING, "assign"],
    "mediating+ready": _READY,
    "mediating+opinion": [*_MEDIATING, "request_opinion"],
    "handling": _HANDLING,
    "handling+co": ["accept", "route_handling_co"],
    "replied": _REPLIED,
    "reviewing": [*_REPLIED, "request_review"],
    "replied+review": _REVIEWED,
    "closed+review": [*_REVIEWED, "close"],
    "re_reviewing": [*_REVIEWED, "request_re_review"],
    "replied+final": [*_REVIEWED, "request_re_review", "answer_re_review"],
    "closed": [*_REPLIED, "close"],
    "not_accepted": ["reject"],
    "forwarded": ["forward"],
    "diverted": ["accept", "divert"],
    "agreed": _AGREED,
    "agreed+signing": [*_READY, "agree_unsigned"],
    "agreed+opinion": [*_AGREED, "request_opinion"],
    "agreed+followed": [*_READY, "agree_oral", "follow_up"],
    "confirming": _CONFIRMING,
    "confirming+accepted": [*_CONFIRMING, "accept_confirmation"],
    "performing": _PERFORMING,
    "performing+overdue": [*_PERFORMING, "overdue"],
    "performing+enforced": [*_PERFORMING, "overdue", "apply_enforcement", "follow_up"],
    "performed": _PERFORMED,
    "performed+followed": [*_PERFORMED, "follow_up"],
    "failed": [*_MEDIATING, "fail"],
    "failed+opinion": [*_MEDIATING, "request_opinion", "fail"],
    "withdrawn": ["withdraw"],
    "archived": [*_REPLIED, "close", "archive"],
}
# Variants built this many days ago (up to the step "overdue", which runs today): an obligation due
# 10 days after the agreement is then past its day.
BUILT_DAYS_AGO: dict[str, int] = {"performing+overdue": 20, "performing+enforced": 20}


# The variant of a source state that satisfies an action's guard or its handler's preconditions.
_VARIANTS: dict[tuple[str, str], str] = {
    ("request_re_review", "replied"): "replied+review",  # 复核 only after 复查 (第36条)
    ("request_re_review", "closed"): "closed+review",
    ("co_reply", "handling"): "handling+co",  # a co-unit with a task (第24条)
    ("replace_mediator", "mediating"): "mediating+assigned",  # someone to replace (第23条)
    ("agree", "mediating"): "mediating+ready",  # a mediator assigned and a session held (第19、27条)
    ("record_opinion", "mediating"): "mediating+opinion",  # the expert was asked
    ("record_opinion", "agreed"): "agreed+opinion",
    ("record_opinion", "failed"): "failed+opinion",
    ("sign_agreement", "agreed"): "agreed+signing",  # a written agreement not yet signed (第29条)
    ("extend_confirmation", "confirming"): "confirming+accepted",  # the court accepted it (2011 规定 第5条)
    ("apply_enforcement", "performing"): "performing+overdue",  # 民诉法 第206条: not performed in time
    # closing a mediated case: obligations performed or enforced, and the parties visited (第31条)
    ("close", "agreed"): "agreed+followed",
    ("close", "performing"): "performing+enforced",
    ("close", "performed"): "performed+followed",
}


def variant(action: str, source: str) -> str:
    """The state variant that satisfies the transition's guard."""
    return _VARIANTS.get((action, source), source)


def case_in_state(xw: XWorld, state: str, **overrides: Any) -> Case:
    """A fresh case driven through the services into `state` (or a variant such as "replied+review")."""
    steps = STATE_STEPS[state]
    days_ago = BUILT_DAYS_AGO.get(state, 0)
    past = steps[:steps.index("overdue")] if days_ago else []
    if past:
        with frozen(timezone.localdate() - dt.timedelta(days=days_ago)):
            case = make_case(xw, **overrides)
            for step in past:
                case = _step(xw, case, step)
    else:
        case = make_case(xw, **overrides)
    for step in steps[len(past):]:
        case = _step(xw, case, step)
    assert case.status == state.split("+")[0], (state, case.status)
    return case


def ask_expert(xw: XWorld, case: Case) -> Any:
    """An unanswered opinion request to the test world's lawyer (so the expert sees the case)."""
    from fangtiao.mediation.models import OpinionRequest

    return OpinionRequest.objects.create(case=case, expert=xw.w.experts["lawyer"], question="请出具书面意见",
                                         due_on=timezone.localdate() + dt.timedelta(days=7),
                                         requested_by=xw.w.users["head_t01"])


# --- observing that nothing changed -----------------------------------------------------------

def footprint(case: Case | int) -> dict[str, Any]:
    """Everything an action could change: compare before and after a refused action."""
    c = fresh(case)
    return {
        "version": c.version, "status": c.status, "holder": c.holder_unit_id, "route": c.route,
        "review_stage": c.review_stage, "extended_days": c.extended_days, "is_major": c.is_major,
        "events": CaseEvent.objects.filter(case=c).count(),
        "audit": AuditEvent.objects.count(),
        "clocks": sorted(Clock.objects.filter(case=c).values_list("code", "state", "due_on")),
        "transfers": sorted(Transfer.objects.filter(case=c).values_list("number", "status")),
        "notifications": Notification.objects.count(),
        "is_backlog": c.is_backlog, "is_escalation_risk": c.is_escalation_risk,
        "mediation": _mediation_footprint(c),
    }


def _mediation_footprint(case: Case) -> dict[str, Any]:
    """The mediation records of the case: rounds, mediators, notices, sessions, agreements with their
    signatures and obligations, confirmations, performance, enforcement, follow-ups, opinions, risks."""
    from fangtiao.mediation import models as m

    return {
        "rounds": sorted(m.Mediation.objects.filter(case=case).values_list("round", "status", "extended_days", "public")),
        "assignments": sorted(m.Assignment.objects.filter(case=case).values_list("mediator_id", "active")),
        "notices": sorted(m.PartyNotice.objects.filter(case=case).values_list("party_id", "consent")),
        "participants": m.Participant.objects.filter(case=case).count(),
        "sessions": sorted(m.Session.objects.filter(case=case).values_list("seq", "status")),
        "agreements": sorted(m.Agreement.objects.filter(case=case).values_list("number", "status")),
        "signatures": m.Signature.objects.filter(case=case).count(),
        "obligations": sorted(m.Obligation.objects.filter(case=case).values_list("id", "status", "enforced")),
        "performances": m.Performance.objects.filter(case=case).count(),
        "confirmations": sorted(m.Confirmation.objects.filter(case=case).values_list("id", "result", "accepted_on",
                                                                                     "extended")),
        "enforcements": m.Enforcement.objects.filter(case=case).count(),
        "follow_ups": m.FollowUp.objects.filter(case=case).count(),
        "opinions": sorted(m.OpinionRequest.objects.filter(case=case).values_list("id", "answered_at")),
        "risks": m.RiskReport.objects.filter(case=case).count(),
        "backlog": m.BacklogRecord.objects.filter(case=case).count(),
        "archive": m.ArchiveFile.objects.filter(case=case).count(),
    }


# --- fixtures (registered for the whole suite in the root conftest) ----------------------------

@pytest.fixture(scope="module")
def _shared_world(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The extended world, built once per test module; each test runs in a savepoint of it."""
    with shared_world(django_db_blocker) as world:
        yield world


@pytest.fixture
def xw(_shared_world: Any, db: Any) -> Any:
    return _shared_world.reset()
