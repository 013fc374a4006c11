"""Regression tests of the review of the screening app: accusations never feed hot spots or other
matters' warnings, control characters are field errors, the public legal service sees what it is
asked to do, unit notices of accusation warnings go to those who may read them, the backfill walks
ids, a second raise of a new key refreshes the first's row."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from fangtiao.core.testing.api import ApiClient
from fangtiao.notifications.models import Notification
from fangtiao.org import services as org_services
from fangtiao.screening import hotspots, services
from fangtiao.screening.models import EarlyWarning, Hotspot, HotspotMember
from fangtiao.screening.tests.support import PARKING, PARKING_REWORDED, petitioner, register, warning


def _window():
    from django.utils import timezone

    end = timezone.localdate()
    return end - dt.timedelta(days=29), end


def test_accusations_are_not_clustered_into_hot_spots(xw, django_capture_on_commit_callbacks):
    """A hot spot's label and size are read by everyone in its area: 检举控告 text never goes in."""
    for i in range(4):
        register(xw, PARKING if i % 2 else PARKING_REWORDED, parties=[petitioner()], days_ago=1 + i,
                 actor=xw.officer, nature="accusation", accused_unit=xw.units["t01_committee"].pk)
    start, end = _window()
    with django_capture_on_commit_callbacks(execute=True):
        run = hotspots.run_request(actor=xw.leader, start=start, end=end)
    run.refresh_from_db()
    assert run.status == "done" and not Hotspot.objects.filter(run=run).exists()
    assert not HotspotMember.objects.exists()


def test_an_accusation_is_not_cited_by_an_ordinary_matters_warning(xw):
    secret = register(xw, PARKING, parties=[petitioner()], days_ago=3, actor=xw.officer, nature="accusation",
                      accused_unit=xw.units["t01_committee"].pk)
    register(xw, PARKING, parties=[petitioner()], days_ago=2)
    register(xw, PARKING_REWORDED, parties=[petitioner()])
    for w in EarlyWarning.objects.exclude(case=secret):
        assert secret.number not in "".join(w.reasons) and w.case_id != secret.pk


def test_accusation_warnings_are_not_posted_to_the_whole_unit(xw):
    case = register(xw, PARKING, parties=[petitioner()], actor=xw.officer, nature="accusation",
                    accused_unit=xw.units["t02_committee"].pk, escalation_risk=True)
    w = EarlyWarning.objects.get(case=case, kind="emotion")
    notes = Notification.objects.filter(title__contains=w.title)
    assert notes.exists() and not notes.filter(unit__isnull=False).exists()
    assert set(notes.values_list("user__roles__code", flat=True)) <= {"officer", "leader"}


@pytest.mark.parametrize("path,body", [
    ("acknowledge", {"note": "已\u0000签收"}), ("resolve", {"resolution": "已\u0000处置"}),
    ("lawyer", {"note": "请\u0000律师"}),
])
def test_control_characters_are_field_errors(xw, path, body):
    w = warning(xw)
    r = ApiClient(xw.leader).post(f"/api/v1/warnings/{w.pk}/{path}", body)
    assert r.status_code == 422 and "控制字符" in r.json()["detail"]
    w.refresh_from_db()
    assert w.status == "open" and not w.interventions.exists()


def test_screenings_month_out_of_range(xw):
    for month in ("0000-01", "2026-13", "9999-12"):
        assert ApiClient(xw.leader).get("/api/v1/screenings", {"month": month}).status_code == 422


def test_the_public_legal_service_sees_and_assigns_what_it_is_asked(xw):
    centre = org_services.unit_create(actor=None, name="黄岩区公共法律服务中心", short_name="黄岩法服", kind="legal_service",
                                      level="district", region=xw.w.district)
    staff = org_services.staff_create(actor=None, username="fawu", name="法服中心干部", unit=centre, roles=["officer"],
                                      password="Fawu-Passw0rd-26")  # issue 9: no context words in passwords
    w = warning(xw, kind="skip_level")
    li = services.lawyer_request(actor=xw.leader, warning_id=w.pk, note="信访人扬言进京，请律师约谈")
    assert li.service_unit_id == centre.pk
    assert Notification.objects.filter(unit=centre, kind="lawyer_request").exists()
    r = ApiClient(staff).get(f"/api/v1/warnings/{w.pk}")
    assert r.status_code == 200 and r.json()["interventions"][0]["id"] == li.pk
    lawyer = xw.w.experts["lawyer"]
    r = ApiClient(staff).post(f"/api/v1/interventions/{li.pk}/assign", {"lawyer": lawyer.pk})
    assert r.status_code == 200 and r.json()["status"] == "assigned"
    # other warnings of the district are still outside the service's area
    other = warning(xw)
    assert ApiClient(staff).get(f"/api/v1/warnings/{other.pk}").status_code == 404


def test_a_concurrent_first_raise_refreshes_the_existing_row(xw, monkeypatch):
    """Two registrations raising the same new key: the loser of the insert refreshes the winner's row."""
    first = warning(xw, key="race:1", level="yellow")
    real = EarlyWarning.objects.select_for_update

    class Miss:
        def __init__(self):
            self.calls = 0

        def __call__(self, *a, **k):
            self.calls += 1
            qs = real(*a, **k)
            return qs.none() if self.calls == 1 else qs  # the first look finds nothing, as in the race

    monkeypatch.setattr(EarlyWarning.objects, "select_for_update", Miss())
    w, what = services.warning_raise(key="race:1", kind="emotion", level="orange", title="测试", reasons=["再次"],
                                     region=xw.t01, owner_unit=xw.units["t01_subcentre"])
    assert w.pk == first.pk and what == "raised_level" and EarlyWarning.objects.filter(key="race:1").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        EarlyWarning.objects.create(key="race:1", kind="emotion", level="red", title="x", region=xw.t01,
                                    region_path=xw.t01.path, owner_unit=xw.units["t01_subcentre"])


def test_rules_and_plans_in_the_admin_are_audited(xw, client):
    from fangtiao.audit.models import AuditEvent
    from fangtiao.screening.models import WarningRule

    admin = xw.w.users["admin"]
    admin.is_superuser = True  # the Django admin works with model permissions; the superuser has them all
    admin.save()
    client.force_login(admin)
    assert client.get("/admin/screening/warningrule/").status_code == 200
    assert client.get("/admin/screening/screeningplan/").status_code == 200
    r = client.post("/admin/screening/warningrule/add/", {"kind": "repeat", "enabled": "on", "params": '{"yellow": 3}'})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert WarningRule.objects.get(kind="repeat").params == {"yellow": 3}
    assert AuditEvent.objects.filter(action="admin.changed").exists()


def test_the_worker_tick_runs_the_hourly_share_once_an_hour(xw):
    from django.core.cache import cache
    from django.utils import timezone

    from fangtiao.screening import tasks
    from fangtiao.screening.models import ScreeningRound

    now = timezone.now()
    cache.delete(f"fangtiao:screening:hourly:{now:%Y%m%d%H}")
    register(xw, PARKING, parties=[petitioner()])
    first = tasks.tick(now=now)
    assert first["rounds_scheduled"] > 0 and "warnings" in first and first["retrained"] is False
    assert ScreeningRound.objects.filter(period_start__month=timezone.localdate(now).month).exists()
    second = tasks.tick(now=now)
    assert "warnings" not in second and second["indexed"] == 0
