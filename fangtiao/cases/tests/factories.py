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
  the table-driven transition tests.
- `frozen(day)` fixes "today" (django.utils.timezone.now) for clock tests.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
            user = User.objects.create(username=f"u{u.pk}_{role}", name=f"{u.short_name}{role}", unit=u)
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
    """A user at the holding unit with a role the action permits (committees: head or mediator first)."""
    t = BY_ACTION[action]
    unit = case.holder_unit
    order = COMMITTEE_PREFERRED if unit.is_mediation_committee else PREFERRED_ROLES
    role = next(r for r in order if r in t.roles)
    return xw.user(unit, role)


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
    return dict(_STATIC_PAYLOADS[action])


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
    "agree": {"form": "written", "terms": "物业公司于30日内退还多收费用"},
    "fail": {"reason": "物业公司拒绝退费", "next": "litigation"},
    "withdraw": {"reason": "信访人主动撤回"},
    "answer_review": {"outcome": "explain", "opinion": "维持原处理意见并作解释"},
    "record_hearing": {"days": 10, "note": "举行听证"},
    "answer_re_review": {"outcome": "reject", "opinion": "复核维持"},
    "close": {"note": "已办结"},
    "archive": {"note": ""},
}


# (payload change, the field whose error is expected)
BAD_PAYLOADS: dict[str, tuple[dict[str, Any], str]] = {
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
    "agree": ({"form": "video"}, "form"),
    "fail": ({"next": "heaven"}, "next"),
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
    p.update(change)
    return p, field


def expected_status(case: Case, action: str) -> str:
    """The state an action leads to from the case's current state."""
    t = BY_ACTION[action]
    if t.target is not None:
        return t.target
    if action == "route":
        return "handling"  # valid_payload routes to the holder itself
    if action in ("receive", "return"):
        pending = Transfer.objects.filter(case=case, status="pending").latest("sent_at", "id")
        return pending.resume_status if action == "receive" else pending.previous_status
    if action == "fail":
        return "failed"
    return case.status  # report_major, supervise, extend, co_reply, record_hearing


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
    actor = actor_for(xw, case, step)
    return act(case, actor, step, **valid_payload(xw, case, step, actor))


_MEDIATING = ["accept", "route_mediation", "receive"]
_HANDLING = ["accept", "route_handling"]
_REPLIED = [*_HANDLING, "reply"]
_REVIEWED = [*_REPLIED, "request_review", "answer_review"]
STATE_STEPS: dict[str, list[str]] = {
    "registered": [],
    "accepted": ["accept"],
    "transferring": ["accept", "transfer"],
    "mediating": _MEDIATING,
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
    "agreed": [*_MEDIATING, "agree"],
    "failed": [*_MEDIATING, "fail"],
    "withdrawn": ["withdraw"],
    "archived": [*_REPLIED, "close", "archive"],
}


def case_in_state(xw: XWorld, state: str, **overrides: Any) -> Case:
    """A fresh case driven through the services into `state` (or a variant such as "replied+review")."""
    case = make_case(xw, **overrides)
    for step in STATE_STEPS[state]:
        case = _step(xw, case, step)
    assert case.status == state.split("+")[0], (state, case.status)
    return case


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
