"""The early-warning rules (screening.rules, screening.engine): each kind with its edge cases, the
WarningRule overrides, and `warning_raise` — one row per key, levels only go up, notifications to
the owner unit and audit rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.models import Case
from fangtiao.clocks.models import Clock
from fangtiao.notifications.models import Notification
from fangtiao.screening.models import EarlyWarning, Hotspot, HotspotRun
from fangtiao.screening.services import warning_raise
from fangtiao.screening.tests.support import (
    BENIGN,
    NOISE,
    PARKING,
    PARKING_REWORDED,
    WAGES,
    petitioner,
    register,
    rule,
    warning,
    warnings_of,
)


def refresh(today=None):
    from fangtiao.screening import engine

    return engine.refresh(today=today or timezone.localdate())


def level(kind, case=None):
    rows = warnings_of(kind, case)
    assert len(rows) <= 1, rows
    return rows[0].level if rows else None


# --- 重复信访 ---------------------------------------------------------------------------------------

class TestRepeat:
    def test_levels_by_the_count_of_the_same_matter(self, xw):
        me = petitioner()
        first = register(xw, PARKING, parties=[me], days_ago=50)
        assert warnings_of("repeat") == []
        texts = [PARKING_REWORDED, PARKING, PARKING, PARKING_REWORDED]
        seen = []
        for days_ago, text in zip((40, 30, 20, 10), texts, strict=True):
            register(xw, text, parties=[me], days_ago=days_ago)
            seen.append(level("repeat"))
        assert seen == ["yellow", "orange", "orange", "red"]
        w = EarlyWarning.objects.get(kind="repeat")
        assert w.key == f"repeat:{first.pk}" and w.status == "open"
        assert "第5次" in w.reasons[0] and first.number in w.reasons[0]
        assert w.owner_unit_id == xw.units["t01_subcentre"].pk
        assert AuditEvent.objects.filter(action="warning.raised", subject_id=str(w.pk)).count() == 1
        assert AuditEvent.objects.filter(action="warning.raised_level", subject_id=str(w.pk)).count() == 2

    def test_outside_the_period_not_counted(self, xw):
        me = petitioner()
        register(xw, PARKING, parties=[me], days_ago=400)
        register(xw, PARKING, parties=[me], days_ago=5)
        assert warnings_of("repeat") == []
        register(xw, PARKING_REWORDED, parties=[me])
        assert level("repeat") == "yellow"  # the two within 365 days

    def test_same_person_different_matter_is_not_a_repeat(self, xw):
        me = petitioner()
        register(xw, PARKING, parties=[me], days_ago=3)
        register(xw, WAGES, parties=[me])
        assert warnings_of("repeat") == []

    def test_different_people_same_matter_is_a_repeated_matter_and_likely_collective(self, xw):
        """The issue: repeat petitions are the same person *or* the same matter within a period. The
        case's 重复 flag stays the legal 同人+同事; the warning says who raised it."""
        a = register(xw, PARKING, parties=[petitioner()], days_ago=6)
        b = register(xw, PARKING, parties=[petitioner()], days_ago=3)
        [r] = warnings_of("repeat")
        assert r.level == "yellow" and "同一事项" in r.reasons[0] and not b.is_repeat
        assert warnings_of("likely_collective") == []
        register(xw, PARKING, parties=[petitioner()])
        assert level("repeat") == "orange"
        [w] = warnings_of("likely_collective")
        assert w.level == "yellow" and w.key == f"likely_collective:{a.pk}"
        assert w.region_id == xw.t01.pk  # the township, not the village
        assert "3件" in w.reasons[0]

    def test_disabled_and_overridden_thresholds(self, xw):
        rule("repeat", yellow=3)
        me = petitioner()
        register(xw, PARKING, parties=[me], days_ago=2)
        register(xw, PARKING, parties=[me], days_ago=1)
        assert warnings_of("repeat") == []
        register(xw, PARKING, parties=[me])
        assert level("repeat") == "orange"  # 3 ≥ orange (3) wins over yellow
        rule("repeat", enabled=False)
        other = petitioner()
        register(xw, WAGES, parties=[other], days_ago=1)
        for _ in range(3):
            register(xw, WAGES, parties=[other])
        assert len(warnings_of("repeat")) == 1


# --- 可能形成集体访 ---------------------------------------------------------------------------------

class TestLikelyCollective:
    def test_in_different_townships_none(self, xw):
        register(xw, NOISE, parties=[petitioner()], days_ago=4)
        register(xw, NOISE, parties=[petitioner()], days_ago=2)
        register(xw, NOISE, parties=[petitioner()], region=xw.v02.code)
        assert warnings_of("likely_collective") == []

    def test_older_than_the_window_none(self, xw):
        register(xw, NOISE, parties=[petitioner()], days_ago=45)
        register(xw, NOISE, parties=[petitioner()], days_ago=10)
        register(xw, NOISE, parties=[petitioner()])
        assert warnings_of("likely_collective") == []

    def test_window_override(self, xw):
        rule("likely_collective", window_days=60)
        register(xw, NOISE, parties=[petitioner()], days_ago=45)
        register(xw, NOISE, parties=[petitioner()], days_ago=10)
        register(xw, NOISE, parties=[petitioner()])
        assert level("likely_collective") == "yellow"

    def test_five_people_orange(self, xw):
        for d in (5, 4, 3, 2, 1):
            register(xw, NOISE, parties=[petitioner()], days_ago=d)
        assert level("likely_collective") == "orange"


# --- 集体访 ----------------------------------------------------------------------------------------

def crowd(n):
    return [petitioner(is_representative=True)] + [petitioner() for _ in range(min(n, 3) - 1)]


class TestCollective:
    @pytest.mark.parametrize(("headcount", "expected"), [(4, None), (5, "orange"), (49, "orange"), (50, "red")])
    def test_by_headcount(self, xw, headcount, expected):
        c = register(xw, BENIGN, parties=crowd(headcount), headcount=headcount)
        assert level("collective", c) == expected

    def test_disabled(self, xw):
        rule("collective", enabled=False)
        register(xw, BENIGN, parties=crowd(60), headcount=60)
        assert warnings_of("collective") == []

    def test_lower_thresholds(self, xw):
        rule("collective", orange=3, red=10)
        assert level("collective", register(xw, BENIGN, parties=crowd(3), headcount=3)) == "orange"
        assert level("collective", register(xw, BENIGN, parties=crowd(10), headcount=10)) == "red"

    def test_cleared_when_the_case_is_closed(self, xw):
        c = register(xw, BENIGN, parties=crowd(8), headcount=8)
        Case.objects.filter(pk=c.pk).update(status="closed")
        refresh()
        assert EarlyWarning.objects.get(kind="collective", case=c).status == "cleared"


# --- 越级 -----------------------------------------------------------------------------------------

class TestSkipLevel:
    def test_prior_skip_level_visit_of_the_same_person_is_orange(self, xw):
        me = petitioner()
        city_clerk = xw.user("city_bureau", "clerk")
        before = register(xw, BENIGN, parties=[me], actor=city_clerk, days_ago=30)
        assert before.is_skip_level  # a village matter received at the city
        later = register(xw, NOISE, parties=[me])
        w = EarlyWarning.objects.get(kind="skip_level", case=later)
        assert w.level == "orange"
        assert any(before.number in r for r in w.reasons)

    def test_prior_skip_level_of_someone_else_is_nothing(self, xw):
        register(xw, BENIGN, parties=[petitioner()], actor=xw.user("city_bureau", "clerk"), days_ago=30)
        c = register(xw, NOISE, parties=[petitioner()])
        assert warnings_of("skip_level", c) == []

    def test_declared_alone_is_orange(self, xw):
        c = register(xw, BENIGN, parties=[petitioner()], skip_level_declared=True)
        assert level("skip_level", c) == "orange"

    def test_declared_and_a_text_hint_is_red(self, xw):
        text = (BENIGN[0], BENIGN[1] + "如果街道再不处理，我就进京上访，到省里去反映。", BENIGN[2])
        c = register(xw, text, parties=[petitioner()], skip_level_declared=True)
        w = EarlyWarning.objects.get(kind="skip_level", case=c)
        assert w.level == "red" and len(w.reasons) >= 2

    def test_no_sign_no_warning(self, xw):
        assert warnings_of("skip_level", register(xw, BENIGN, parties=[petitioner()])) == []


# --- 极端情绪 -------------------------------------------------------------------------------------

class TestEmotion:
    def test_suicide_words_are_red(self, xw):
        text = (WAGES[0], WAGES[1] + "再拿不到工资，我就从工地楼顶跳楼自杀。", WAGES[2])
        c = register(xw, text, parties=[petitioner()], category="labour")
        w = EarlyWarning.objects.get(kind="emotion", case=c)
        assert w.level == "red"
        assert any("跳楼" in r or "自杀" in r for r in w.reasons)

    def test_clerks_assessment_alone_is_orange(self, xw):
        c = register(xw, BENIGN, parties=[petitioner()], escalation_risk=True)
        assert level("emotion", c) == "orange"

    def test_benign_text_none(self, xw):
        c = register(xw, BENIGN, parties=[petitioner()])
        assert warnings_of("emotion", c) == []

    def test_disabled(self, xw):
        rule("emotion", enabled=False)
        text = (WAGES[0], WAGES[1] + "我活不下去了，要自杀。", WAGES[2])
        assert warnings_of("emotion", register(xw, text, parties=[petitioner()], escalation_risk=True)) == []


# --- 超期 / 积案 (refresh) -------------------------------------------------------------------------

def make_overdue(case, days):
    today = timezone.localdate()
    Clock.objects.filter(case=case, code="petition.disposition").update(state="overdue",
                                                                        due_on=today - dt.timedelta(days=days))
    Case.objects.filter(pk=case.pk).update(is_overdue=True)


class TestOverdue:
    @pytest.mark.parametrize(("days", "expected"), [(1, "yellow"), (14, "yellow"), (15, "orange"), (59, "orange"),
                                                    (60, "red")])
    def test_levels_by_days_overdue(self, xw, days, expected):
        c = register(xw, BENIGN, parties=[petitioner()])
        make_overdue(c, days)
        out = refresh()
        assert out["overdue"] == 1
        w = EarlyWarning.objects.get(kind="overdue", case=c)
        assert w.level == expected and f"{days}天" in w.reasons[0]

    def test_refresh_again_keeps_one_row_and_goes_up(self, xw):
        c = register(xw, BENIGN, parties=[petitioner()])
        make_overdue(c, 3)
        refresh()
        make_overdue(c, 20)
        refresh()
        [w] = warnings_of("overdue", c)
        assert w.level == "orange"

    def test_cleared_when_no_longer_overdue_or_closed(self, xw):
        a = register(xw, BENIGN, parties=[petitioner()])
        b = register(xw, NOISE, parties=[petitioner()])
        make_overdue(a, 5)
        make_overdue(b, 5)
        refresh()
        Case.objects.filter(pk=a.pk).update(is_overdue=False)
        Case.objects.filter(pk=b.pk).update(status="closed")
        assert refresh()["cleared"] >= 2
        assert {w.status for w in warnings_of("overdue")} == {"cleared"}
        assert AuditEvent.objects.filter(action="warning.cleared").count() >= 2

    def test_not_overdue_nothing(self, xw):
        register(xw, BENIGN, parties=[petitioner()])
        assert refresh()["overdue"] == 0


class TestBacklog:
    def test_open_backlog_orange_old_red_resolved_cleared(self, xw):
        young = register(xw, BENIGN, parties=[petitioner()], days_ago=100)
        old = register(xw, NOISE, parties=[petitioner()], days_ago=400)
        Case.objects.filter(pk__in=[young.pk, old.pk]).update(is_backlog=True)
        refresh()
        assert level("backlog", young) == "orange"
        assert level("backlog", old) == "red"
        Case.objects.filter(pk=young.pk).update(is_backlog=False)
        refresh()
        assert warnings_of("backlog", young)[0].status == "cleared"
        assert warnings_of("backlog", old)[0].status == "open"

    def test_red_days_override(self, xw):
        rule("backlog", red_days=30)
        c = register(xw, BENIGN, parties=[petitioner()], days_ago=40)
        Case.objects.filter(pk=c.pk).update(is_backlog=True)
        refresh()
        assert level("backlog", c) == "red"


# --- 热点 -----------------------------------------------------------------------------------------

class TestHotspotWarnings:
    def _run(self, xw, *spots):
        today = timezone.localdate()
        run = HotspotRun.objects.create(window_start=today - dt.timedelta(days=30), window_end=today, status="done")
        out = []
        for i, (size, trend, region) in enumerate(spots):
            out.append(Hotspot.objects.create(run=run, label=f"热点{i}", terms=[f"词{i}", "停车费"], size=size,
                                              previous_size=1, trend=trend, region=region, region_path=region.path,
                                              window_start=run.window_start, window_end=run.window_end))
        return out

    def test_levels_from_the_latest_done_run(self, xw):
        small, yellow, rising, steady, big = self._run(
            xw, (4, "rising", xw.t01), (5, "steady", xw.t01), (12, "rising", xw.t01), (12, "steady", xw.t02),
            (25, "falling", xw.district))
        assert refresh()["hotspot"] == 4
        by = {w.hotspot_id: w for w in warnings_of("hotspot")}
        assert small.pk not in by
        assert by[yellow.pk].level == "yellow"
        assert by[rising.pk].level == "orange"
        assert by[steady.pk].level == "yellow"
        assert by[big.pk].level == "red"
        assert by[rising.pk].owner_unit_id == xw.units["t01_subcentre"].pk
        assert by[steady.pk].owner_unit_id == xw.units["t02_subcentre"].pk
        assert by[big.pk].owner_unit_id == xw.units["centre"].pk
        refresh()
        assert len(warnings_of("hotspot")) == 4  # same key: no copies

    def test_disabled(self, xw):
        rule("hotspot", enabled=False)
        self._run(xw, (30, "rising", xw.t01))
        assert refresh()["hotspot"] == 0


# --- warning_raise ----------------------------------------------------------------------------------

class TestWarningRaise:
    def _raise(self, xw, key, lvl):
        return warning_raise(key=key, kind="emotion", level=lvl, title="测试：信访人情绪激动", reasons=[f"理由{lvl}"],
                             region=xw.v01, owner_unit=xw.units["t01_subcentre"])

    def test_dedup_by_key_and_levels_only_go_up(self, xw):
        unit = xw.units["t01_subcentre"]
        notes = Notification.objects.filter(unit=unit, kind="warning")
        w, what = self._raise(xw, "k1", "yellow")
        assert what == "raised" and notes.count() == 1
        assert w.region_path == xw.v01.path and w.owner_unit_id == unit.pk
        w2, what = self._raise(xw, "k1", "yellow")
        assert (what, w2.pk) == ("seen", w.pk) and notes.count() == 1
        w3, what = self._raise(xw, "k1", "red")
        assert what == "raised_level" and w3.level == "red" and notes.count() == 2
        assert "红色" in notes.first().title
        w4, what = self._raise(xw, "k1", "orange")
        assert what == "seen" and w4.level == "red" and notes.count() == 2
        assert EarlyWarning.objects.filter(key="k1").count() == 1
        assert list(AuditEvent.objects.filter(subject_id=str(w.pk), action__startswith="warning.")
                    .order_by("id").values_list("action", flat=True)) == ["warning.raised", "warning.raised_level"]

    def test_a_resolved_warning_reopens_only_on_a_higher_level(self, xw):
        from fangtiao.screening.services import warning_resolve

        w, _ = self._raise(xw, "k2", "orange")
        warning_resolve(actor=xw.leader, warning_id=w.pk, resolution="已与信访人谈话，情绪稳定")
        for lvl in ("yellow", "orange"):
            w2, what = self._raise(xw, "k2", lvl)
            assert what == "closed" and w2.status == "resolved"
        w3, what = self._raise(xw, "k2", "red")
        assert what == "raised_level" and w3.status == "open" and w3.level == "red" and w3.resolved_at is None

    def test_only_the_owner_unit_is_notified(self, xw):
        before = Notification.objects.exclude(unit=xw.units["t02_subcentre"]).count()
        warning(xw, owner=xw.units["t02_subcentre"], region=xw.t02)
        assert Notification.objects.filter(unit=xw.units["t02_subcentre"], kind="warning").count() == 1
        assert Notification.objects.exclude(unit=xw.units["t02_subcentre"]).count() == before

    def test_registration_warning_notifies_the_holder(self, xw):
        c = register(xw, BENIGN, parties=[petitioner()], escalation_risk=True)
        n = Notification.objects.filter(unit=c.holder_unit, kind="warning", case=c)
        assert n.count() == 1 and "橙色" in n.get().title
