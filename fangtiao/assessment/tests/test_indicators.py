"""Each indicator formula against a hand count (tests/support.py), the scoring method, periods."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fangtiao.assessment import indicators
from fangtiao.assessment.indicators import Ctx, Subject, change, measure
from fangtiao.assessment.models import Indicator
from fangtiao.assessment.periods import parse_period
from fangtiao.assessment.scoring import combined, competition_ranks, points
from fangtiao.assessment.tests.support import EXPECTED_T01, TODAY, build_month, rebuild
from fangtiao.cases.tests.factories import frozen

MAY = (dt.date(2026, 5, 1), dt.date(2026, 5, 31))


@pytest.fixture
def month(xw):
    rows = build_month(xw)
    rebuild()
    return rows


def unit_subject(xw, region, key):
    return Subject(level="township" if region.level == "township" else "village", path=region.path, name=key,
                   unit_id=xw.unit(key).pk)


def mediator_subject(xw, key):
    m = xw.w.mediators[key]
    return Subject(level="mediator", path=m.unit.region.path, name=m.name, mediator_id=m.pk)


def test_every_seeded_indicator_has_a_calculator_and_the_expected_hand_count(xw, month):
    seeded = set(Indicator.objects.values_list("code", flat=True))
    assert seeded == set(EXPECTED_T01) == set(indicators.CALCULATORS)
    s = unit_subject(xw, xw.t01, "t01_subcentre")
    with frozen(TODAY):
        ctx = Ctx()
        for code, (value, num, den) in EXPECTED_T01.items():
            got = measure(code, ctx, s, *MAY, Indicator.objects.get(code=code).params)
            assert (got.numerator, got.denominator) == (num, den), code
            assert got.value == pytest.approx(value, abs=1e-4), code


def test_village_counts_only_its_village(xw, month):
    s = unit_subject(xw, xw.v01, "v01_committee")
    with frozen(TODAY):
        ctx = Ctx()
        got = {code: measure(code, ctx, s, *MAY, {}) for code in EXPECTED_T01}
    assert (got["accepted_on_time_rate"].numerator, got["accepted_on_time_rate"].denominator) == (0, 2)
    assert (got["screening_completion_rate"].numerator, got["screening_completion_rate"].denominator) == (1, 3)
    assert (got["mediation_success_rate"].numerator, got["mediation_success_rate"].denominator) == (0, 1)  # m3 failed
    assert (got["avg_response_days"].numerator, got["avg_response_days"].denominator) == (20, 1)
    assert (got["warning_ack_rate"].numerator, got["warning_ack_rate"].denominator) == (1, 2)
    assert got["repeat_change"] == change(2, 1) and got["skip_level_change"] == change(1, 1)


def test_mediators_count_what_they_led(xw, month):
    with frozen(TODAY):
        ctx = Ctx()
        wang, zhao = mediator_subject(xw, "wang_t01"), mediator_subject(xw, "zhao_v01")
        assert measure("mediation_success_rate", ctx, wang, *MAY, {}).value == 0.5
        assert measure("mediation_success_rate", ctx, zhao, *MAY, {}).value == 1.0
        f = measure("follow_up_rate", ctx, wang, *MAY, {})
        assert (f.numerator, f.denominator, f.value) == (1, 1, 1.0)
        f = measure("follow_up_rate", ctx, zhao, *MAY, {})
        assert (f.numerator, f.denominator, f.value) == (0, 1, 0.0)
        assert measure("backlog_resolved", ctx, wang, *MAY, {}).numerator == 1
        assert measure("backlog_resolved", ctx, zhao, *MAY, {}).numerator == 0


def test_not_yet_due_is_not_counted(xw, month):
    # On 10 May the agreement a2 (due 20 May) and a round still scheduled for 25 May are not yet due;
    # on 15 June the round counts (unreported).
    from fangtiao.assessment.tests.support import round_

    round_(xw, "t01_committee", dt.date(2026, 5, 25), "scheduled")
    s = unit_subject(xw, xw.t01, "t01_subcentre")
    with frozen(dt.date(2026, 5, 10)):
        ctx = Ctx()
        assert measure("follow_up_rate", ctx, s, *MAY, {}).denominator == 1
        r = measure("screening_completion_rate", ctx, s, *MAY, {})
        assert (r.numerator, r.denominator) == (2, 4)
    with frozen(TODAY):
        r = measure("screening_completion_rate", Ctx(), s, *MAY, {})
        assert (r.numerator, r.denominator) == (2, 5)


def test_change_without_a_year_earlier():
    assert change(0, 0).value == 0.0 and change(3, 0).value == 1.0 and change(1, 4).value == -0.75


def test_points_linear_threshold_lower_and_empty():
    kw = {"weight": Decimal(10), "method": "linear", "floor": 0.6, "target": 1.0, "direction": "higher",
          "if_empty": "full"}
    assert points(value=0.8, **kw) == Decimal("5.00")
    assert points(value=0.5, **kw) == Decimal("0.00") and points(value=1.2, **kw) == Decimal("10.00")
    assert points(value=None, **kw) == Decimal("10.00")
    assert points(value=None, **{**kw, "if_empty": "zero"}) == Decimal("0.00")
    lower = {**kw, "floor": 0.2, "target": -0.1, "direction": "lower"}
    assert points(value=0.05, **lower) == Decimal("5.00") and points(value=-0.5, **lower) == Decimal("10.00")
    assert points(value=0.3, **lower) == Decimal("0.00")
    th = {**kw, "method": "threshold", "target": 1, "floor": 0}
    assert points(value=1, **th) == Decimal("10.00") and points(value=0.99, **th) == Decimal("0.00")
    assert points(value=3, **{**th, "direction": "lower", "target": 3}) == Decimal("10.00")
    assert combined(Decimal(80), Decimal(60), 60) == Decimal("72.00")
    assert competition_ranks([Decimal(9), Decimal(8), Decimal(8), Decimal(7)]) == [1, 2, 2, 4]


@pytest.mark.parametrize(("text", "key", "start", "end"), [
    ("2026-05", "2026-05", dt.date(2026, 5, 1), dt.date(2026, 5, 31)),
    ("2026-q2", "2026-Q2", dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
    ("2024-02", "2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
    ("2026", "2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
])
def test_periods(text, key, start, end):
    p = parse_period(text)
    assert (p.key, p.start, p.end, p.year_start) == (key, start, end, dt.date(start.year, 1, 1))


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "26-05", "abc", "", "1999", "2026-5"])
def test_bad_periods(text):
    with pytest.raises(ValueError, match="考核期格式"):
        parse_period(text)
