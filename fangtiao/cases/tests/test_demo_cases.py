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
from fangtiao.mediation import selectors as mediation_selectors
from fangtiao.mediation.models import (
    Agreement,
    ArchiveFile,
    Assignment,
    BacklogRecord,
    Confirmation,
    Enforcement,
    FollowUp,
    Mediation,
    MediatorRelation,
    Obligation,
    OpinionRequest,
    Performance,
    RiskReport,
    Room,
    Session,
)
from fangtiao.notifications.models import Notification
from fangtiao.org import demo as district
from fangtiao.org.models import Mediator, Unit, User

SMALL = {"villages": 30, "village_mediators": 40}
N = case_demo.MIN_CASES  # the showcase (the article's cases, campaign and backlog) and a few of the mix


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

    history = Case.objects.filter(imported_from__isnull=False)  # the year before, from the "old system"
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    assert history.exists() and not history.filter(received_at__gte=start).exists()
    assert history.filter(kind="petition").count() > Case.objects.filter(imported_from__isnull=True, kind="petition").count()
    assert "上一年度历史事项" in out
    cases = Case.objects.filter(imported_from__isnull=True)
    assert cases.count() == N
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
        assert all(a.at <= b.at for a, b in zip(timeline, timeline[1:], strict=False))
        # Steps run before today; only the worker's run of today (the backlog rule) writes at 00:05.
        assert all(e.at < end or (e.action == "mark_backlog" and e.actor_id is None) for e in timeline)
        assert c.number.startswith(c.registered_unit.short_name) and f"〔{c.number_year}〕" in c.number
    assert Clock.objects.exists()
    # Every petition runs a clock, but the one recorded and not accepted at intake (第19条第3款).
    assert not cases.filter(kind="petition").exclude(links__kind="duplicate_pending").exclude(clocks__isnull=False).exists()

    # The 绿城 collective visit: 200 owners, 5 representatives, at the centre, mediated by the 信访调解室.
    lvcheng = Case.objects.get(title="绿城社区200余名业主反映物业费收取不合理")
    assert (lvcheng.headcount, lvcheng.is_collective, lvcheng.category_id) == (200, True, "property")
    assert lvcheng.parties.filter(is_representative=True).count() == 5
    assert lvcheng.registered_unit.kind == "centre" and lvcheng.channel == "visit"
    assert (timezone.localtime(lvcheng.received_at).month, timezone.localtime(lvcheng.received_at).day) >= (7, 24)
    actions = list(lvcheng.events.values_list("action", flat=True))
    assert actions[:7] == ["register", "transfer", "receive", "accept", "report_major", "route", "receive"]
    assert {"assign", "report_risk", "request_opinion", "record_opinion", "record_session", "agree", "follow_up",
            "close"} <= set(actions)
    room = Unit.objects.get(kind="petition_mediation_room")
    assert lvcheng.transfers.filter(to_unit=room, purpose="mediation", status="received").exists()
    assert lvcheng.mediations.get().assignments.count() == 2  # a collective dispute: two mediators
    assert not lvcheng.obligations.exclude(status="done").exists()

    # The 宁溪 wall crack: a backlog petition with a responsible leader, mediated on the spot by the 宁溪镇
    # committee after a building expert's opinion, confirmed by the 宁溪 tribunal the same day, paid at once.
    ningxi = Case.objects.get(title__contains="墙面开裂")
    assert ningxi.region.code.startswith(district.NINGXI_CODE) and ningxi.category_id == "neighbour"
    assert ningxi.events.get(action="agree").unit.name == "宁溪镇人民调解委员会"
    agreement = ningxi.agreements.get()
    confirmation = ningxi.confirmations.get()
    assert confirmation.court.name == "黄岩区人民法院宁溪人民法庭" and confirmation.result == "confirmed"
    assert confirmation.applied_on == confirmation.accepted_on == confirmation.decided_on == agreement.reached_on
    assert ningxi.events.get(action="record_confirmation").actor.username == "court_ningxi"
    (paid,) = Performance.objects.filter(obligation__agreement=agreement)
    assert paid.done_on == agreement.reached_on and not paid.enforced and paid.amount == 28000
    assert ningxi.opinion_requests.get().expert.user.username == "expert_build"
    assert ningxi.backlog.resolved_on and ningxi.backlog.responsible_leader.username == "zfw_leader"
    assert ningxi.status == "archived" and ArchiveFile.objects.filter(case=ningxi).exists()

    # The article's campaign: 45 screening rounds found 60 disputes; 58 mediated successfully, 2 of
    # them collective; taken up at once by the committees (提前介入).
    screened = cases.filter(channel="screening")
    assert screened.count() == 60
    assert screened.filter(events__action="agree").distinct().count() == 58
    assert screened.filter(events__action="agree", is_collective=True).distinct().count() == 2
    assert screened.filter(events__action="fail").distinct().count() == 2
    assert len({(c.registered_unit_id, timezone.localdate(c.received_at)) for c in screened}) == 45
    assert all(c.events.filter(action="intervene").exists() for c in screened)

    # 3 judicial confirmations, all paid voluntarily: none enforced (the article).
    confirmed = Confirmation.objects.filter(result="confirmed")
    assert confirmed.count() == Confirmation.objects.count() == 3
    assert set(confirmed.values_list("court__name", flat=True)) == {
        "黄岩区人民法院", "黄岩区人民法院宁溪人民法庭", "黄岩区人民法院院桥人民法庭"}
    confirmed_obligations = Obligation.objects.filter(agreement__confirmations__in=confirmed)
    assert confirmed_obligations.exists() and not confirmed_obligations.exclude(status="done").exists()
    assert not confirmed_obligations.filter(enforced=True).exists() and not Enforcement.objects.exists()
    assert not Performance.objects.filter(obligation__in=confirmed_obligations, enforced=True).exists()
    assert confirmed_obligations.exclude(instalment="").count() == 3  # the district court's: three instalments
    assert set(Case.objects.filter(confirmations__in=confirmed).values_list("status", flat=True)) <= {
        "performed", "closed", "archived"}

    # 22 backlog cases (信访积案) resolved, each with a responsible leader; some still open.
    resolved = BacklogRecord.objects.filter(resolved_on__isnull=False)
    assert resolved.count() == 22
    assert all(r.responsible_leader.role_codes == {"leader"} and r.resolved_by_id and r.case.status in ("closed", "archived")
               for r in resolved.select_related("case", "responsible_leader"))
    assert BacklogRecord.objects.filter(resolved_on__isnull=True).exists()

    # Mediation through the real actions: every round that held a session had a mediator assigned, the
    # best one the system suggested without a conflict.
    held = Mediation.objects.filter(sessions__status="held").distinct()
    assert held.count() > N / 2
    assert not held.exclude(assignments__isnull=False).exists()
    leads = Assignment.objects.filter(lead=True)
    assert leads.exists() and all(a.suggestion.get("rank") == 1 for a in leads)
    assert Session.objects.filter(status="no_show").exists()
    assert Session.objects.filter(room__isnull=False).exists()
    assert RiskReport.objects.filter(police_unit__kind="public_security").count() >= 2
    assert Agreement.objects.filter(form="oral").exists() and Agreement.objects.filter(form="written").exists()
    assert Obligation.objects.exclude(instalment="").exists()
    # Experts answer through their own logins; one request still waits at today.
    answered = OpinionRequest.objects.filter(answered_at__isnull=False).select_related("expert", "answered_by")
    assert answered.exists() and all(o.answered_by_id == o.expert.user_id for o in answered)
    assert OpinionRequest.objects.filter(answered_at__isnull=True).exists()
    # A follow-up found the dispute back: a second round and a second agreement.
    reopened = FollowUp.objects.get(recurrence="reopen").case
    assert reopened.mediations.count() == 2 and reopened.agreements.filter(status="superseded").exists()
    # Rounds stuck past their mediation period at today.
    assert mediation_selectors.stuck_in_mediation(Case.objects.all(), today=today).count() >= 2
    # Most finished mediations are filed (卷宗).
    finished = cases.filter(status__in=["closed", "archived"], mediations__sessions__status="held").distinct()
    assert ArchiveFile.objects.filter(case__in=finished).count() > finished.count() / 2

    # Conflicts (回避) in the suggestions: a declared relative, the village committee as a party, the
    # employer of a part-time mediator; the one assigned is never the conflicted one.
    relation = MediatorRelation.objects.filter(mediator__unit__kind="village_committee").first()
    assert relation is not None
    cases_with_conflicts = {
        "已申报回避": Case.objects.get(parties__id_index=relation.id_index),
        "民委员会是一方当事人": Case.objects.get(title="村委会收回承包地引发补偿纠纷"),
        "同属": Case.objects.filter(parties__name__in=Mediator.objects.exclude(employer="")
                                  .filter(unit__region__code="331003005").values("employer"),
                                  region_path__contains="/331003005/", category="labour").first(),
    }
    for why, case in cases_with_conflicts.items():
        assert case is not None, why
        m = case.mediations.order_by("round").first()
        suggested = mediation_selectors.suggest_mediators(case, m.unit, limit=50)
        conflicted = {s.mediator.pk for s in suggested if why in s.conflict}
        assert conflicted, why
        assert not m.assignments.filter(mediator_id__in=conflicted).exists(), why

    # Mediator logins are linked: the chairs of village committees and the committees' mediators.
    assert Assignment.objects.filter(mediator__user__isnull=False).exists()
    for a in Assignment.objects.filter(active=True, mediation__status="open", mediator__user__isnull=False) \
            .select_related("mediator__user"):
        assert mediation_selectors.my_mediations(a.mediator.user).filter(pk=a.case_id).exists()

    # The mix: at least one of each path.
    assert cases.filter(events__action="agree", holder_unit__kind="village_committee", kind="dispute").exists()
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

    # The logins the cases need exist (and are listed with their roles), and the marker records the load.
    assert User.objects.get(username="city_clerk").unit.name == "台州市信访局"
    for login in ("court_ningxi", "expert_build", "zfw_leader"):
        assert login in out
    assert Room.objects.filter(unit__kind="centre").count() == len(district.CENTRE_ROOMS)
    marker = AuditEvent.objects.get(action="demo.loaded", extra__part="cases")
    assert marker.extra["cases"] == N and marker.extra["failures"] == 0

    # Petitioners rated replies on the portal; the year's statistics, subsidies and scores are there.
    from fangtiao.assessment.models import Score
    from fangtiao.legalservice.models import Consultation
    from fangtiao.stats import reference, selectors
    from fangtiao.subsidies.models import SubsidyBatch

    assert cases.exclude(satisfaction="").filter(events__action="rate").exists()
    assert Consultation.objects.exists()
    district_path = Case.objects.filter(imported_from__isnull=True).first().region.path.split("/")[0] + "/"
    figures = selectors.summary(district_path, first, last)
    assert figures["total"] == N and figures["satisfaction_rate"] is not None
    assert figures["previous"]["petitions"] > figures["petitions"]  # 三下降: the year before had more
    assert selectors.rollup_counts(district_path, first, last) == reference.totals(district_path, first, last)
    assert Score.objects.exists() and SubsidyBatch.objects.exists()

    # Same seed, same day: the same plan.
    p = district.plan(**SMALL)
    directory = case_demo.load_directory(p, password="Unused-Passw0rd!")

    def digest() -> list[tuple[object, ...]]:
        planner = case_demo.Planner(directory, seed=p.seed, today=today)
        return [(s.scenario, st.at, st.actor, st.action, st.data.get("title") if isinstance(st.data, dict) else None)
                for s in planner.plan(N) for st in s.steps]

    assert digest() == digest()

    # A second run creates nothing.
    before = row_counts()
    out, _err = run_demo(cases=N, **SMALL)
    assert "演示事项已存在" in out
    assert row_counts() == before


@pytest.mark.django_db
def test_the_default_year_keeps_the_article_proportions() -> None:
    """At the default size (planned, not run): more than half of the disputes are settled in the
    village (把50%以上的矛盾纠纷化解在村里); the campaign's 60 screened disputes, 58 settled; three
    judicial confirmations; 22 backlog cases resolved and three still open."""
    p = district.plan()
    district.build(p, password="Unused-Passw0rd!")
    directory = case_demo.load_directory(p, password="Unused-Passw0rd!")
    scripts = case_demo.Planner(directory, seed=p.seed, today=timezone.localdate()).plan(case_demo.DEFAULT_CASES)
    assert len(scripts) == case_demo.DEFAULT_CASES

    def has(script: case_demo.Script, action: str, actor: str = "") -> bool:
        return any(st.action == action and st.actor.startswith(actor) for st in script.steps)

    first = {s.key: s.steps[0].data for s in scripts}
    disputes = [s for s in scripts if first[s.key]["kind"] == "dispute"]
    assert sum(has(s, "agree", "v33") for s in disputes) > len(disputes) / 2
    screened = [s for s in scripts if first[s.key]["channel"] == "screening"]
    assert len(screened) == 60 and sum(has(s, "agree") for s in screened) == 58
    assert len({(s.steps[0].actor, timezone.localdate(s.steps[0].at)) for s in screened}) == 45  # screening rounds
    assert sum(has(s, "record_confirmation") for s in scripts) == 3
    assert not any(has(s, "apply_enforcement") for s in scripts)
    backlog = [s for s in scripts if has(s, "mark_backlog")]
    assert len(backlog) == 25 and sum(has(s, "close") for s in backlog) == 22
    mediated = [s for s in scripts if has(s, "assign")]
    assert sum(has(s, "archive") for s in mediated) > len(mediated) / 3


@pytest.mark.django_db
def test_no_cases_and_bad_counts() -> None:
    out, _err = run_demo(no_cases=True, **SMALL)
    assert "演示事项" not in out
    assert not Case.objects.exists()
    with pytest.raises(CommandError):
        run_demo(cases=5, **SMALL)
