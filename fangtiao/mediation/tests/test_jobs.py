"""The periodic mediation job (`services.tick`, run by `fangtiao worker`): session reminders once,
the once-a-day claim of the backlog rule, and the worker running it. (Obligation reminders and
overdue marking are in test_performance; the day-20 confirmation warning in test_confirmation.)"""

from __future__ import annotations

import datetime as dt
from io import StringIO
from unittest import mock

from django.core.management import call_command
from django.utils import timezone

from fangtiao.cases.tests.factories import act
from fangtiao.mediation import services
from fangtiao.mediation.models import DailyJob, Room, Session
from fangtiao.mediation.tests.support import mediating_case, mediator
from fangtiao.notifications.models import Notification


def _booked(xw, days=2):
    case = mediating_case(xw)
    room = Room.objects.create(unit=xw.units["t01_committee"], name=f"调解室{case.pk}")
    start = (timezone.localtime() + dt.timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)
    case = act(case, mediator(xw), "book_session", starts_at=start.isoformat(), room=room.pk)
    return case, Session.objects.get(case=case)


def _reminders(case, **kw):
    return Notification.objects.filter(kind="session_reminder", case=case, **kw).count()


def test_a_session_is_reminded_once_within_the_day_before(xw):
    case, s = _booked(xw)
    assert services.tick(now=s.starts_at - dt.timedelta(hours=25))["session_reminders"] == 0
    assert services.tick(now=s.starts_at - dt.timedelta(hours=23))["session_reminders"] == 1
    assert services.tick(now=s.starts_at - dt.timedelta(hours=22))["session_reminders"] == 0
    assert _reminders(case, unit=xw.units["t01_committee"]) == 1
    assert _reminders(case, user=xw.w.mediators["wang_t01"].user) == 1  # the assigned mediator's own login
    assert "调解室" in Notification.objects.filter(kind="session_reminder", case=case).first().body
    s.refresh_from_db()
    assert s.reminded is True


def test_a_recorded_or_past_session_is_not_reminded(xw):
    case, s = _booked(xw)
    act(case, mediator(xw), "record_session", session=s.pk, held=False)
    assert services.tick(now=s.starts_at - dt.timedelta(hours=1))["session_reminders"] == 0
    other, later = _booked(xw, days=3)
    assert services.tick(now=later.starts_at + dt.timedelta(minutes=1))["session_reminders"] == 0
    assert _reminders(case) == _reminders(other) == 0


def test_the_daily_claim_is_taken_once_per_day(xw):
    today = timezone.localdate()
    assert services.claim_daily("job_x", today) is True
    assert services.claim_daily("job_x", today) is False
    assert services.claim_daily("job_x", today - dt.timedelta(days=1)) is False
    assert services.claim_daily("job_x", today + dt.timedelta(days=1)) is True
    assert DailyJob.objects.get(name="job_x").last_on == today + dt.timedelta(days=1)


def test_the_worker_runs_the_mediation_tick(xw):
    out = StringIO()
    # The worker drops stale connections between rounds; inside the test's transaction that would close it.
    with mock.patch("fangtiao.clocks.management.commands.worker.close_old_connections"):
        call_command("worker", "--once", stdout=out)
    assert "调解巡检" in out.getvalue() and "时限巡检" in out.getvalue()
    assert DailyJob.objects.get(name="backlog_rule").last_on == timezone.localdate()
