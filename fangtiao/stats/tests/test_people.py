"""stats.people: each mediator's figures against hand counts over rows written straight to the
mediation tables (the counting rules are under test, not the lifecycle), the scope (a committee head
sees the own committee, a township leader the township), the pinyin search, and two queries."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from fangtiao.cases.tests.factories import make_case
from fangtiao.core.testing.queries import count_queries
from fangtiao.mediation.models import Agreement, Assignment, FollowUp, Mediation
from fangtiao.mediation.services import ROUND_ENDED
from fangtiao.stats.people import mediator_figures

D = dt.date
START, END = D(2026, 1, 1), D(2026, 12, 31)
_seq = itertools.count(1)


def mediation(xw, case, *, started, ended=None, status="open", unit="t01_committee"):
    n = next(_seq)
    return Mediation.objects.create(case=case, round=n, unit=xw.units[unit], number=f"TP-{case.pk}-{n}", status=status,
                                    started_on=started, ended_on=ended)


def assign(xw, m, key, *, lead=True, active=False, end_reason=ROUND_ENDED):
    return Assignment.objects.create(mediation=m, case=m.case, mediator=xw.mediators[key], chosen_by="committee",
                                     lead=lead, assigned_by=xw.head_t01, active=active,
                                     end_reason="" if active else end_reason)


def follow_up(xw, agreement, visited, satisfaction):
    return FollowUp.objects.create(case=agreement.case, agreement=agreement, method="phone", visited_on=visited,
                                   satisfaction=satisfaction, visitor=xw.head_t01)


@pytest.fixture
def rounds(xw):
    case = make_case(xw)
    m1 = mediation(xw, case, started=D(2026, 2, 1), ended=D(2026, 2, 11), status="agreed")
    assign(xw, m1, "wang_t01")
    a1 = Agreement.objects.create(mediation=m1, case=case, number=f"TA-{m1.pk}", form="written", facts="事实",
                                  disputes="争议", terms="协议", performance="当场", reached_on=D(2026, 2, 11), copies=3,
                                  created_by=xw.head_t01)
    follow_up(xw, a1, D(2026, 3, 1), "satisfied")
    follow_up(xw, a1, D(2026, 3, 5), "unsatisfied")
    follow_up(xw, a1, D(2025, 12, 1), "satisfied")  # outside the period
    m2 = mediation(xw, case, started=D(2026, 3, 1), ended=D(2026, 3, 21), status="failed")
    assign(xw, m2, "wang_t01")
    m3 = mediation(xw, case, started=D(2026, 4, 1))
    assign(xw, m3, "wang_t01", active=True)
    assign(xw, m3, "zhao_v01", lead=False, active=True)
    # wang led it, was replaced half-way; shan concluded it (人民调解法 第20条)
    m4 = mediation(xw, case, started=D(2026, 1, 10), ended=D(2026, 1, 20), status="agreed")
    assign(xw, m4, "wang_t01", end_reason="当事人申请更换")
    assign(xw, m4, "shan_t01")
    # started last year, concluded in the period
    m5 = mediation(xw, case, started=D(2025, 12, 1), ended=D(2026, 1, 5), status="agreed")
    assign(xw, m5, "wang_t01")
    # refused and superseded rounds are not concluded
    m6 = mediation(xw, case, started=D(2026, 5, 1), ended=D(2026, 5, 2), status="refused")
    assign(xw, m6, "shan_t01")
    # li in 西城: a round outside the period
    m7 = mediation(xw, case, started=D(2024, 5, 1), ended=D(2024, 5, 9), status="agreed", unit="t02_committee")
    assign(xw, m7, "li_t02")


def by_name(rows):
    return {r["name"]: r for r in rows}


def test_figures_equal_hand_counts(xw, rounds):
    rows = by_name(mediator_figures(user=xw.leader, path="", start=START, end=END))
    wang = rows["王小明"]
    assert (wang["led"], wang["concluded"], wang["agreed"], wang["open_now"]) == (4, 3, 2, 1)
    assert wang["success_rate"] == pytest.approx(0.6667)
    assert wang["avg_days"] == pytest.approx((10 + 20 + 35) / 3, abs=0.05)
    assert (wang["follow_ups"], wang["satisfied"], wang["satisfaction_rate"]) == (2, 1, 0.5)
    shan = rows["单晓曾"]
    assert (shan["led"], shan["concluded"], shan["agreed"], shan["open_now"], shan["avg_days"]) == (2, 1, 1, 0, 10.0)
    assert shan["success_rate"] == 1.0 and shan["follow_ups"] == 0 and shan["satisfaction_rate"] is None
    zhao = rows["赵春花"]
    assert (zhao["led"], zhao["concluded"], zhao["open_now"], zhao["avg_days"]) == (0, 0, 1, None)
    li = rows["李建国"]
    assert (li["led"], li["concluded"], li["success_rate"]) == (0, 0, None)
    last_year = by_name(mediator_figures(user=xw.leader, path="", start=D(2024, 1, 1), end=D(2024, 12, 31)))
    assert (last_year["李建国"]["led"], last_year["李建国"]["agreed"], last_year["李建国"]["avg_days"]) == (1, 1, 8.0)


def test_scope_and_search(xw, rounds):
    def names(user, **kw):
        return {r["name"] for r in mediator_figures(user=user, path=kw.pop("path", ""), start=START, end=END, **kw)}

    assert names(xw.leader) == {"王小明", "单晓曾", "李建国", "赵春花", "钱大伟"}
    assert names(xw.head_t01) == {"王小明", "单晓曾"}  # the own committee only
    assert names(xw.user("t01_subcentre", "leader")) == {"王小明", "单晓曾", "赵春花"}
    assert names(xw.leader, path=xw.t02.path) == {"李建国"}
    assert names(xw.leader, q="wxm") == {"王小明"}
    assert names(xw.leader, q="李") == {"李建国"}
    assert names(xw.clerk_t02, q="zzz") == set()


def test_two_queries_whatever_the_number_of_mediators(xw, rounds):
    user = xw.leader
    mediator_figures(user=user, path="", start=START, end=END)  # the user's scope and roles are cached on it
    # the page of mediators, their aggregates, their follow-ups
    assert count_queries(lambda: mediator_figures(user=user, path="", start=START, end=END)) == 3


def test_pages_of_mediators(xw, rounds):
    from fangtiao.stats.people import mediator_count

    everyone = [r["id"] for r in mediator_figures(user=xw.leader, path="", start=START, end=END, page_size=1000)]
    assert mediator_count(user=xw.leader, path="") == len(everyone) >= 2
    first = mediator_figures(user=xw.leader, path="", start=START, end=END, page=1, page_size=1)
    second = mediator_figures(user=xw.leader, path="", start=START, end=END, page=2, page_size=1)
    assert [r["id"] for r in first + second] == everyone[:2]
    assert mediator_figures(user=xw.leader, path="", start=START, end=END, page=10_000) == []
