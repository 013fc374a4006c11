"""A province deployment: each district computes, ranks and keeps its own scores and schemes; the
mediator's success counts the lead at the end of the round; the computation's query count does not
grow with the number of subjects; the admin cannot edit results."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.contrib import admin as django_admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangtiao.assessment import selectors, services
from fangtiao.assessment.indicators import Ctx, Subject, measure
from fangtiao.assessment.models import Accountability, Commendation, Score, ScoreItem
from fangtiao.assessment.periods import parse_period
from fangtiao.assessment.tests.support import TODAY, build_month, case, rebuild
from fangtiao.cases.tests.factories import frozen
from fangtiao.core.testing.world import PASSWORD
from fangtiao.mediation.models import Assignment, Mediation
from fangtiao.org import services as org

MAY = parse_period("2026-05")
_codes = itertools.count(1)


def second_district(xw):
    d = org.region_create(actor=None, code="331004", name="路桥区", level="district", kind="district", parent=None)
    t = org.region_create(actor=None, code="331004001", name="路南街道", level="township", kind="street", parent=d)
    centre = org.unit_create(actor=None, name="路桥区矛盾纠纷综合化解中心", short_name="路桥矛调", kind="centre",
                             level="district", region=d)
    sub = org.unit_create(actor=None, name="路南街道联合调解分中心", short_name="路南分中心", kind="subcentre",
                          level="township", region=t)
    boss = org.staff_create(actor=None, username="leader_lq", name="路桥领导", unit=centre, roles=["leader"],
                            password=PASSWORD, phone="")
    return d, t, sub, boss


@pytest.fixture
def month(xw):
    rows = build_month(xw)
    rebuild()
    return rows


def test_a_district_computes_ranks_and_replaces_only_its_own_scores(xw, month):
    district_b, _t, sub_b, leader_b = second_district(xw)
    leader_a = xw.w.users["leader"]
    with frozen(TODAY):
        assert services.scores_compute(actor=leader_a, period=MAY, level="township") == 2
        a_rows = sorted(Score.objects.values_list("pk", "unit_id", "rank", "ranking_path"))
        assert {r[3] for r in a_rows} == {xw.w.district.path}
        assert services.scores_compute(actor=leader_b, period=MAY, level="township") == 1
        # county B's compute left county A's rows as they were, and ranked B's township first in B
        assert sorted(Score.objects.filter(ranking_path=xw.w.district.path)
                      .values_list("pk", "unit_id", "rank", "ranking_path")) == a_rows
        b = Score.objects.get(unit=sub_b)
        assert (b.rank, b.ranking_path, b.region_path.startswith(district_b.path)) == (1, district_b.path, True)
        # the system (demo) computes everywhere, ranking within each district
        assert services.scores_compute(actor=None, period=MAY, level="township") == 3
    ranks = {(s.ranking_path, s.rank) for s in Score.objects.filter(level="township")}
    assert ranks == {(xw.w.district.path, 1), (xw.w.district.path, 2), (district_b.path, 1)}
    # county A's leader does not see B's score
    assert not selectors.score_list(user=leader_a, period="2026-05", level="township").filter(unit=sub_b).exists()


def test_a_districts_scheme_does_not_retire_another_districts(xw):
    _d, _t, _sub, leader_b = second_district(xw)
    items = [{"indicator": "satisfaction_rate", "weight": 100, "method": "linear", "floor": 0.5, "target": 0.9}]
    a = services.scheme_save(actor=xw.w.users["leader"], name="A方案", period_type="month", level="township", items=items)
    b = services.scheme_save(actor=leader_b, name="B方案", period_type="month", level="township", items=items)
    a.refresh_from_db()
    assert a.active and b.active and a.region_path != b.region_path
    assert selectors.active_scheme(MAY, "township", a.region_path) == a
    assert selectors.active_scheme(MAY, "township", b.region_path) == b
    assert selectors.active_scheme(MAY, "township", "999999/").region_path == ""  # the default
    assert b not in selectors.scheme_list(xw.w.users["leader"])


def test_mediator_success_credits_the_lead_at_the_end_of_the_round(xw, month):
    """As stats.people: a lead replaced half-way is not credited; the lead who finished is."""
    wang, shan = xw.w.mediators["wang_t01"], xw.w.mediators["shan_t01"]
    m = Mediation.objects.create(case=month["c1"], unit=xw.unit("t01_committee"), number="ASM-M-RPL", round=9, status="agreed",
                                 started_on=dt.date(2026, 5, 2), ended_on=dt.date(2026, 5, 20))
    Assignment.objects.create(mediation=m, case=m.case, mediator=shan, chosen_by="committee", lead=True, active=False,
                              end_reason="更换调解员", assigned_by=xw.w.users["clerk_t01"])
    Assignment.objects.create(mediation=m, case=m.case, mediator=wang, chosen_by="committee", lead=True,
                              assigned_by=xw.w.users["clerk_t01"])
    ctx = Ctx(today=TODAY)
    assert measure("mediation_success_rate", ctx, Subject("mediator", "", "王", mediator_id=wang.pk),
                   MAY.start, MAY.end, {}) == measure("mediation_success_rate", Ctx(today=TODAY),
                                                      Subject("mediator", "", "王", mediator_id=wang.pk),
                                                      MAY.start, MAY.end, {})
    got = measure("mediation_success_rate", ctx, Subject("mediator", "", "王", mediator_id=wang.pk), MAY.start, MAY.end, {})
    assert (got.numerator, got.denominator) == (2, 3)
    got = measure("mediation_success_rate", ctx, Subject("mediator", "", "单", mediator_id=shan.pk), MAY.start, MAY.end, {})
    assert (got.value, got.numerator, got.denominator) == (None, 0, 0)
    from fangtiao.stats.people import mediator_figures

    rows = {r["id"]: r for r in mediator_figures(user=xw.w.users["leader"], path="", start=MAY.start, end=MAY.end)}
    assert (rows[wang.pk]["agreed"], rows[wang.pk]["concluded"]) == (2, 3) and rows[shan.pk]["concluded"] == 0


def test_avg_response_days_in_the_database_matches_the_hand_count(xw, month):
    # a case accepted before its local receipt date counts 0 days (as before)
    case(xw, xw.t01, dt.date(2026, 5, 12), accepted_on=dt.date(2026, 5, 11))
    got = measure("avg_response_days", Ctx(today=TODAY), Subject("township", xw.t01.path, "东城"), MAY.start, MAY.end, {})
    assert (got.value, got.numerator, got.denominator) == (round(22 / 3, 2), 22, 3)


GROUPED = [("accepted_on_time_rate", 20, 0, 1), ("follow_up_rate", 20, 0, 1), ("warning_ack_rate", 20, 0, 1),
           ("avg_response_days", 20, 15, 3), ("screening_completion_rate", 20, 0, 1)]


def test_compute_query_count_does_not_grow_with_the_subjects(xw, month):
    items = [{"indicator": c, "weight": w, "method": "linear", "floor": f, "target": t} for c, w, f, t in GROUPED]
    scheme = services.scheme_save(actor=xw.w.users["leader"], name="分组", period_type="month", level="township",
                                  items=items)

    def count(n_extra: int) -> int:
        for _i in range(n_extra):
            code = f"331003{100 + next(_codes):03d}"
            r = org.region_create(actor=None, code=code, name=f"测试镇{code}", level="township", kind="town",
                                  parent=xw.w.district)
            org.unit_create(actor=None, name=f"测试镇{code}分中心", short_name=f"测{code}", kind="subcentre",
                            level="township", region=r)
        subjects = selectors.subjects_of("township", xw.w.district.path)
        with frozen(TODAY), CaptureQueriesContext(connection) as q:
            rows = services.compute_rows(scheme=scheme, period=MAY, level="township",
                                         ctx=Ctx(scope=xw.w.district.path), subjects=subjects)
        assert len(rows) == len(subjects)
        return len(q.captured_queries)

    small = count(2)   # 4 townships
    large = count(4)   # 8 townships
    assert small == large, (small, large)


def test_admin_results_are_read_only_and_edits_audited(xw, rf):
    from fangtiao.core.admin import AuditedAdmin

    request = rf.get("/")
    request.user = xw.w.users["admin"]
    for model in (Score, ScoreItem, Commendation):
        ma = django_admin.site._registry[model]
        assert isinstance(ma, AuditedAdmin)
        assert not ma.has_change_permission(request) and not ma.has_add_permission(request)
        assert not ma.has_delete_permission(request)
    assert isinstance(django_admin.site._registry[Accountability], AuditedAdmin)


def test_bad_numbers_in_services_are_field_errors(xw):
    from fangtiao.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as e:
        services.scheme_save(actor=xw.w.users["leader"], name="x", period_type="month", level="township",
                             dynamic_share="abc", items=[])
    assert e.value.errors[0].field == "dynamic_share"
    with pytest.raises(ValidationFailed) as e:
        services.commendations_propose(actor=xw.w.users["leader"], period=MAY, level="township", top="x")
    assert e.value.errors[0].field == "top"
