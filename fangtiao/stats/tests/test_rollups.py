"""The rollups equal a direct count — after a rebuild, after incremental refreshes of every kind of
change (moves between townships, reopened and re-rated cases, new mediations, resolved backlog,
deleted records), for periods that cut months in half, that span years, for every jurisdiction
level and every breakdown; plus hand counts of the rates on a small case set."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from fangtiao.cases.models import Case
from fangtiao.clocks.models import Clock
from fangtiao.core import changes
from fangtiao.legalservice.models import Consultation
from fangtiao.mediation.models import BacklogRecord, Mediation, Obligation
from fangtiao.stats import reference, selectors, services
from fangtiao.stats.measures import CODES, DIMENSIONS, figures, ratio
from fangtiao.stats.models import Dirty, Fact, RollupDay, RollupMonth
from fangtiao.stats.tests.gen import generate

PERIODS = [
    (dt.date(2025, 1, 1), dt.date(2025, 12, 31)),    # a whole year
    (dt.date(2025, 3, 17), dt.date(2025, 3, 17)),    # one day
    (dt.date(2025, 2, 10), dt.date(2025, 2, 27)),    # inside one month
    (dt.date(2025, 1, 15), dt.date(2025, 8, 3)),     # edges on both sides
    (dt.date(2025, 11, 30), dt.date(2026, 2, 1)),    # across the year end
    (dt.date(2024, 6, 1), dt.date(2027, 1, 31)),     # beyond the data on both sides
    (dt.date(2026, 2, 1), dt.date(2026, 2, 28)),     # exactly one month
]


def paths(xw):
    return ["", xw.district.path, xw.t01.path, xw.t02.path, xw.city.path]


def assert_equal(xw):
    for path in paths(xw):
        for start, end in PERIODS:
            direct = reference.totals(path, start, end)
            rolled = selectors.rollup_counts(path, start, end)
            assert rolled == direct, (path, start, end, {k: (rolled[k], direct[k]) for k in CODES if rolled[k] != direct[k]})
            assert selectors.rollup_backlog_open(path, end) == reference.backlog_open(path, end), (path, end)


def assert_breakdowns(xw):
    for path in (xw.district.path, xw.t01.path):
        for dim in DIMENSIONS:
            first, last = dt.date(2025, 1, 1), dt.date(2026, 12, 1)
            rolled = {k: v for k, v in selectors.breakdown(path, dim, first, last).items() if any(v.values())}
            direct = {k: v for k, v in reference.counts(path, first, dt.date(2026, 12, 31), dim=dim).items() if any(v.values())}
            assert rolled == direct, (path, dim)


@pytest.fixture
def data(xw):
    ids = generate(xw, n=500)
    services.rebuild()
    return ids


class TestRebuild:
    def test_rollups_equal_direct_count(self, xw, data):
        assert Fact.objects.count() == Case.objects.count() + Consultation.objects.count()
        assert_equal(xw)
        assert_breakdowns(xw)

    def test_monthly_series_equal_direct_count(self, xw, data):
        months = selectors.monthly(xw.district.path, dt.date(2025, 1, 1), dt.date(2026, 12, 1))
        assert len(months) == 24
        for row in months[::5]:
            m = row["month"]
            assert {k: row[k] for k in CODES} == reference.totals(xw.district.path, m, selectors.month_end(m))

    def test_township_buckets_add_up(self, xw, data):
        first, last = dt.date(2025, 1, 1), dt.date(2026, 12, 1)
        rows = selectors.by_bucket(xw.district.path, first, last)
        assert set(rows) <= {xw.district.path, xw.t01.path, xw.t02.path}
        total = selectors.rollup_counts(xw.district.path, first, dt.date(2026, 12, 31))
        assert {k: sum(r[k] for r in rows.values()) for k in CODES} == total
        assert rows[xw.t01.path]["total"] == Case.objects.filter(region_path__startswith=xw.t01.path).count()

    def test_village_is_counted_directly(self, xw, data):
        s = selectors.summary(xw.v01.path, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
        assert s["source"] == "direct"
        assert s["counts"] == reference.totals(xw.v01.path, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
        assert selectors.summary(xw.t01.path, dt.date(2025, 1, 1), dt.date(2025, 12, 31))["source"] == "rollup"

    def test_rebuild_is_idempotent(self, xw, data):
        before = list(RollupMonth.objects.order_by("month", "bucket_path", "dim", "value").values())
        services.rebuild()
        after = list(RollupMonth.objects.order_by("month", "bucket_path", "dim", "value").values())
        strip = [{k: v for k, v in r.items() if k != "id"} for r in before]
        assert strip == [{k: v for k, v in r.items() if k != "id"} for r in after]


class TestIncremental:
    def test_every_kind_of_change_is_corrected(self, xw, data):
        rnd = random.Random(3)
        picked = rnd.sample(data, 120)
        # Moved between townships (and to a village, and up to the district).
        for pk, region in zip(picked[:30], [xw.t02, xw.v01, xw.district] * 10, strict=True):
            Case.objects.filter(pk=pk).update(region=region, region_path=region.path)
        # Flags and ratings changed later; a rating withdrawn (reopened for review).
        Case.objects.filter(pk__in=picked[30:50]).update(is_repeat=True, is_skip_level=True, satisfaction="")
        # Received on another day (a correction across a month boundary).
        for pk in picked[50:60]:
            Case.objects.filter(pk=pk).update(received_at=timezone.now() - dt.timedelta(days=400))
        # Clocks moved on: met late, overdue, cancelled (a restarted handling clock).
        Clock.objects.filter(case_id__in=picked[60:80]).update(state="late")
        Clock.objects.filter(case_id__in=picked[80:90]).update(state="cancelled")
        # Mediations concluded, reopened; obligations performed; backlog resolved and reopened.
        Mediation.objects.filter(case_id__in=picked[90:100]).update(status="agreed", ended_on=dt.date(2026, 3, 31))
        Mediation.objects.filter(case_id__in=picked[100:105]).update(status="open", ended_on=None)
        Obligation.objects.filter(case_id__in=picked).update(status="done")
        BacklogRecord.objects.filter(case_id__in=picked).update(resolved_on=None)
        BacklogRecord.objects.filter(case_id__in=data[:200], marked_on__lte=dt.date(2026, 6, 30)).update(resolved_on=dt.date(2026, 6, 30))
        # A case deleted outright, and a consultation moved.
        Case.objects.filter(pk=picked[105]).delete()
        consultation = Consultation.objects.order_by("pk").first()
        Consultation.objects.filter(pk=consultation.pk).update(region=xw.t02, region_path=xw.t02.path)
        changes.mark_many("case", picked + data[:200])
        changes.mark("consultation", consultation.pk)
        assert Dirty.objects.count() >= 320
        services.refresh()
        assert Dirty.objects.count() == 0
        assert_equal(xw)
        assert_breakdowns(xw)
        assert not Fact.objects.filter(source="case", source_id=picked[105]).exists()

    def test_refresh_in_small_batches_and_twice(self, xw, data, monkeypatch):
        monkeypatch.setattr(services, "BATCH", 7)
        Case.objects.filter(pk__in=data[:50]).update(region=xw.t02, region_path=xw.t02.path, is_collective=True)
        changes.mark_many("case", data[:50] + data[:50])
        assert services.refresh(limit=30) >= 30
        assert Dirty.objects.exists()
        services.refresh()
        services.refresh()  # nothing left: a no-op
        assert_equal(xw)

    def test_lifecycle_changes_reach_the_rollups(self, xw, data):
        """Through the services: a registration and its acceptance are audited, so queued."""
        from fangtiao.cases.tests.factories import make_case

        Dirty.objects.all().delete()
        case = make_case(xw)
        assert Dirty.objects.filter(source="case", source_id=case.pk).exists()
        services.refresh()
        today = timezone.localdate()
        path = xw.t01.path  # the case is in 上洋村 (v01): its township's bucket
        assert case.region_path.startswith(path)
        assert selectors.rollup_counts(path, today, today) == reference.totals(path, today, today)
        assert selectors.rollup_counts(path, today, today)["total"] >= 1

    def test_overdue_clock_tick_is_queued(self, xw, data):
        from fangtiao.cases.tests.factories import make_case
        from fangtiao.clocks.services import clock_tick

        case = make_case(xw, kind="petition")
        services.refresh()
        Clock.objects.filter(case=case, state="running").update(due_on=dt.date(2020, 1, 1))
        assert clock_tick()["overdue"] >= 1
        assert Dirty.objects.filter(source="case", source_id=case.pk).exists()
        services.refresh()
        today = timezone.localdate()
        assert selectors.rollup_counts(xw.t01.path, today, today) == reference.totals(xw.t01.path, today, today)
        assert selectors.period_counts(case.region_path, today, today)[0]["acc_overdue"] == 1


class TestFormulas:
    """The rates of legal-rules §6 on counts small enough to check by hand."""

    def test_rates(self):
        c = dict.fromkeys(CODES, 0)
        c.update(total=10, petitions=8, disputes=2, repeat=3, disp_timely=7, disp_late=0, disp_overdue=1, acc_timely=6, acc_late=1, acc_overdue=1,
                 rep_on_time=3, rep_late=1, rep_pending=2, rep_overdue=2, rated=4, rated_satisfied=3, eval_overdue=4,
                 mediated=5, mediation_agreed=4, agreed_village=3, confirmations=2, confirmations_performed=1,
                 backlog_resolved=2, consultations=7)
        f = figures(c, backlog_open=5)
        assert f["accepted_on_time_rate"] == 0.75          # 6 / (6+1+1)
        assert f["dispatched_on_time_rate"] == 0.875       # 7 / (7+0+1)
        assert f["closed_on_time_rate"] == 0.375           # 3 / (3+1+2+2)
        assert f["participation_rate"] == 0.5              # 4 / (4+4)
        assert f["satisfaction_rate"] == 0.75              # 3 / 4
        assert f["repeat_rate"] == 0.375                  # 3 / 8 petitions
        assert f["mediation_success_rate"] == 0.8
        assert f["village_level_share"] == 0.75
        assert f["confirmations_performed_rate"] == 0.5
        assert f["backlog_open"] == 5 and f["consultations"] == 7

    def test_no_denominator_is_null_not_zero(self):
        f = figures(dict.fromkeys(CODES, 0), backlog_open=0)
        assert f["accepted_on_time_rate"] is None and f["satisfaction_rate"] is None
        assert ratio(2, 3) == 0.6667 and ratio(1, 8) == 0.125

    def test_local_day_not_utc_day(self, xw):
        """A case received at 00:30 Beijing time on 1 March counts in March (UTC still says February)."""
        tz = timezone.get_current_timezone()
        generate(xw, n=1)
        case = Case.objects.order_by("-pk").first()
        Case.objects.filter(pk=case.pk).update(received_at=dt.datetime(2025, 3, 1, 0, 30, tzinfo=tz))
        services.rebuild()
        march = selectors.rollup_counts(case.region_path, dt.date(2025, 3, 1), dt.date(2025, 3, 31))
        feb = selectors.rollup_counts(case.region_path, dt.date(2025, 2, 1), dt.date(2025, 2, 28))
        assert march["total"] == reference.totals(case.region_path, dt.date(2025, 3, 1), dt.date(2025, 3, 31))["total"] >= 1
        assert feb == reference.totals(case.region_path, dt.date(2025, 2, 1), dt.date(2025, 2, 28))


def test_zero_rows_can_be_cleared(xw, data):
    Case.objects.filter(pk__in=data).update(region=xw.t02, region_path=xw.t02.path)
    changes.mark_many("case", data)
    services.refresh()
    removed = services.clear_zero_rows()
    assert removed > 0
    assert not RollupDay.objects.filter(**dict.fromkeys(CODES, 0)).exists()
    assert_equal(xw)


def test_village_months_are_grouped_in_one_count_per_source(xw, data):
    from fangtiao.core.testing.queries import count_queries

    first, last = dt.date(2025, 1, 1), dt.date(2026, 12, 1)
    rows = selectors.monthly(xw.v01.path, first, last)
    assert len(rows) == 24
    for row in rows:
        m = row["month"]
        assert {k: row[k] for k in CODES} == reference.totals(xw.v01.path, m, selectors.month_end(m)), m
    assert count_queries(lambda: selectors.monthly(xw.v01.path, first, last)) <= 8


def test_a_unit_changing_level_or_a_region_moving_is_queued(xw, data):
    """The village share counts agreements at village-level committees: a committee re-graded by the
    administrators moves its agreements — every figure that names the unit is recomputed."""
    from fangtiao.org import services as org_services

    Dirty.objects.all().delete()
    unit = xw.unit("v01_committee")
    admin = xw.user("centre", "admin")
    org_services.unit_update(actor=admin, unit=unit, level="township")
    assert Dirty.objects.filter(source="case").exists()
    services.refresh()
    assert_equal(xw)
    Dirty.objects.all().delete()
    org_services.unit_update(actor=admin, unit=xw.unit("v02_committee"), phone="0576-84000000")
    assert not Dirty.objects.exists()  # nothing the figures read


def test_the_worker_applies_the_queue_and_survives_a_failing_refresh(xw, data):
    from io import StringIO
    from unittest import mock

    from django.core.management import call_command

    case = Case.objects.filter(pk__in=data).first()
    Case.objects.filter(pk=case.pk).update(region=xw.t02, region_path=xw.t02.path)
    changes.mark("case", case.pk)
    out = StringIO()
    with mock.patch("fangtiao.clocks.management.commands.worker.close_old_connections"), \
            mock.patch.dict(services.FACTS, {"case": mock.Mock(side_effect=RuntimeError("boom"))}):
        call_command("worker", "--once", stdout=out)  # the clocks ran; the rollups wait
    assert "时限巡检" in out.getvalue() and Dirty.objects.filter(source_id=case.pk).exists()
    with mock.patch("fangtiao.clocks.management.commands.worker.close_old_connections"):
        call_command("worker", "--once", stdout=StringIO())
    assert not Dirty.objects.exists()
    assert_equal(xw)
