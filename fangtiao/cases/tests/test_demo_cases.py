"""The demo's year of cases: made through the services, at the article's proportions, with the
article's two cases, real timelines, clocks and audit, and loaded only once."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from fangtiao.audit.models import AuditEvent
from fangtiao.cases import demo as case_demo
from fangtiao.cases.models import Case, CaseEvent, CaseLink, Party, Transfer
from fangtiao.clocks.models import Clock
from fangtiao.core.validators import id_number_error
from fangtiao.notifications.models import Notification
from fangtiao.org import demo as district
from fangtiao.org.models import Unit, User

SMALL = {"villages": 30, "village_mediators": 40}
N = 120


def run_demo(**options: object) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("demo", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def row_counts() -> Counter[str]:
    return Counter({
        m._meta.label: m._default_manager.count()
        for label in ("cases", "clocks", "audit", "notifications", "org")
        for m in apps.get_app_config(label).get_models(include_auto_created=True)
    })


# --- no database ---------------------------------------------------------------------------


def test_demo_year_runs_twelve_months_to_yesterday() -> None:
    assert case_demo.demo_year(dt.date(2026, 11, 29)) == (dt.date(2025, 12, 1), dt.date(2026, 11, 28))
    assert case_demo.demo_year(dt.date(2027, 1, 5)) == (dt.date(2026, 2, 1), dt.date(2027, 1, 4))
    assert case_demo.demo_year(dt.date(2026, 12, 1)) == (dt.date(2026, 1, 1), dt.date(2026, 11, 30))


def test_simulated_time_reaches_field_defaults() -> None:
    moment = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 30))
    with case_demo.simulated_time() as clock:
        clock.moment = moment
        assert timezone.now() == moment
        assert timezone.localdate() == dt.date(2026, 3, 2)
        # A model default holds a reference to timezone.now; it must see the simulated moment too.
        assert CaseEvent._meta.get_field("at").get_default() == moment
        assert isinstance(timezone.now(), dt.datetime)
    assert timezone.now() > moment + dt.timedelta(days=200)


def test_case_logins_are_planned_from_the_district() -> None:
    p = district.plan(**SMALL)
    logins = case_demo.case_logins(p)
    names = [s.username for s in logins]
    assert len(names) == len(set(names))
    assert {"city_clerk", "city_officer", "room_head", "jiwei_officer", "zhujian_officer", "zhujian_leader"} <= set(names)
    villages = [s for s in logins if s.unit.startswith("v.")]
    assert len(villages) == SMALL["villages"]
    chairs = {m.unit: m.name for m in reversed(p.mediators)}
    assert all(s.name == chairs[s.unit] for s in villages if s.unit in chairs)


# --- the built year -------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_builds_a_year_of_cases_through_the_services() -> None:
    out, err = run_demo(cases=N, **SMALL)
    assert "已生成演示事项" in out, out
    assert "未能办理" not in err, err
    today = timezone.localdate()
    first, last = case_demo.demo_year(today)

    cases = Case.objects.all()
    assert cases.count() == N
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    assert not cases.filter(received_at__lt=start).exists()
    assert not cases.filter(received_at__gte=end).exists()

    # Every case: registered through the service (audit at the simulated moment), a timeline in
    # time order that starts at registration, and a number of its registering unit.
    registered = {e.subject_id: e for e in AuditEvent.objects.filter(action="case.registered")}
    events: dict[int, list[CaseEvent]] = {}
    for e in CaseEvent.objects.order_by("case_id", "at", "id"):
        events.setdefault(e.case_id, []).append(e)
    for c in cases.select_related("registered_unit"):
        assert registered[str(c.pk)].at == c.received_at
        timeline = events[c.pk]
        assert timeline[0].action == "register" and timeline[0].at == c.received_at
        assert all(a.at <= b.at < end for a, b in zip(timeline, timeline[1:], strict=False))
        assert c.number.startswith(c.registered_unit.short_name) and f"〔{c.number_year}〕" in c.number
    assert Clock.objects.exists()
    # Every petition runs a clock, but the one recorded and not accepted at intake (第19条第3款).
    assert not cases.filter(kind="petition").exclude(links__kind="duplicate_pending").exclude(clocks__isnull=False).exists()

    # The 绿城 collective visit: 200 owners, 5 representatives, at the centre, mediated by the 信访调解室.
    lvcheng = Case.objects.get(title__contains="绿城")
    assert (lvcheng.headcount, lvcheng.is_collective, lvcheng.category_id) == (200, True, "property")
    assert lvcheng.parties.filter(is_representative=True).count() == 5
    assert lvcheng.registered_unit.kind == "centre" and lvcheng.channel == "visit"
    assert (timezone.localtime(lvcheng.received_at).month, timezone.localtime(lvcheng.received_at).day) >= (7, 24)
    actions = list(lvcheng.events.values_list("action", flat=True))
    assert actions[:7] == ["register", "transfer", "receive", "accept", "report_major", "route", "receive"]
    assert "agree" in actions
    room = Unit.objects.get(kind="petition_mediation_room")
    assert lvcheng.transfers.filter(to_unit=room, purpose="mediation", status="received").exists()

    # The 宁溪 wall crack: a neighbour dispute petition mediated by the 宁溪镇 committee.
    ningxi = Case.objects.get(title__contains="墙面开裂")
    assert ningxi.region.code.startswith(district.NINGXI_CODE) and ningxi.category_id == "neighbour"
    assert ningxi.events.get(action="agree").unit.name == "宁溪镇人民调解委员会"

    # The mix: at least one of each path.
    assert cases.filter(registered_unit__level="village", kind="dispute").count() >= N * 0.3  # settled in the village
    assert cases.filter(channel="screening", events__action="agree").exists()
    assert CaseEvent.objects.filter(action="agree").exists()
    assert cases.exclude(reply_outcome="").exclude(reply_basis="").exists()
    assert cases.filter(events__action="reject").exclude(not_accepted_reason="").exists()
    assert cases.filter(events__action="divert").exists() and cases.filter(events__action="forward").exists()
    assert cases.filter(events__action="escalate", registered_unit__level="village").exists()
    assert cases.filter(extended_days__gt=0).exists()
    assert cases.filter(review_stage="final").exists()
    assert cases.filter(co_tasks__replied_at__isnull=False).exists()
    returned = Transfer.objects.filter(status="returned").exclude(return_reason="")
    assert returned.exists()
    assert Transfer.objects.filter(status="received").count() > returned.count()
    # Repeats are linked to the earlier case; one raised above the unit still handling it is not accepted.
    assert cases.filter(is_repeat=True, links__kind="repeat").exists()
    pending = CaseLink.objects.get(kind="duplicate_pending")
    assert pending.case.is_repeat and pending.case.not_accepted_reason.startswith("同一事项已由")
    # Skip-level: a visit to the city bureau about a village matter of 黄岩.
    skip = cases.filter(is_skip_level=True, registered_unit__level="city")
    assert skip.exists() and skip.filter(region__level="village").exists()
    # Still open, and overdue by the clock worker's run for today (with the holder told).
    assert cases.filter(status__in=["mediating", "handling", "transferring"]).exists()
    overdue = cases.filter(is_overdue=True)
    assert overdue.exists()
    assert Clock.objects.filter(state="overdue", holder_unit__isnull=False, case__in=overdue).exists()
    assert Notification.objects.filter(kind="overdue").exists()
    assert cases.filter(supervisions__isnull=False).exists()

    # Parties: invented, valid ID numbers and plausible birth dates.
    ids = [p.id_number for p in Party.objects.exclude(id_number="")]
    assert ids and all(id_number_error(i) is None for i in ids)
    assert all(18 <= today.year - int(i[6:10]) <= 95 for i in ids)

    # The logins the cases need exist, and the marker records the load.
    assert User.objects.get(username="city_clerk").unit.name == "台州市信访局"
    marker = AuditEvent.objects.get(action="demo.loaded", extra__part="cases")
    assert marker.extra["cases"] == N and marker.extra["failures"] == 0

    # Same seed, same day: the same plan.
    p = district.plan(**SMALL)
    directory = case_demo.load_directory(p, password="Unused-Passw0rd!")

    def digest() -> list[tuple[object, ...]]:
        planner = case_demo.Planner(directory, seed=p.seed, today=today)
        return [(s.scenario, st.at, st.actor, st.action, st.data.get("title")) for s in planner.plan(N) for st in s.steps]

    assert digest() == digest()

    # A second run creates nothing.
    before = row_counts()
    out, _err = run_demo(cases=N, **SMALL)
    assert "演示事项已存在" in out
    assert row_counts() == before


@pytest.mark.django_db
def test_no_cases_and_bad_counts() -> None:
    out, _err = run_demo(no_cases=True, **SMALL)
    assert "演示事项" not in out
    assert not Case.objects.exists()
    with pytest.raises(CommandError):
        run_demo(cases=5, **SMALL)
