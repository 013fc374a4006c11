"""Score computation in the background (assessment.runs): POST /assessment/compute answers 202 with
the run (inline mode: already done), GET /assessment/compute/{id} its state (404 outside the
caller's scope), 409 for a second active run, the worker picking up queued runs and taking over a
stale one, a failing computation marking the run failed and keeping the old scores, permissions,
and the ranking page's progress fragment polled by htmx."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from fangtiao.assessment import runs, services
from fangtiao.assessment.models import ComputeRun, Scheme, Score
from fangtiao.assessment.periods import parse_period
from fangtiao.assessment.tests.support import TODAY, build_month, rebuild
from fangtiao.audit.models import AuditEvent
from fangtiao.cases.tests.factories import frozen
from fangtiao.core.testing.api import ApiClient

URL = "/api/v1/assessment/compute"
MAY = parse_period("2026-05")


@pytest.fixture
def month(xw):
    rows = build_month(xw)
    rebuild()
    return rows


def leader(xw):
    return xw.w.users["leader"]


def queued(xw, level="township", **kw):
    return ComputeRun.objects.create(period="2026-05", level=level, region_path=services.actor_region_path(leader(xw)),
                                     requested_by=leader(xw), **kw)


def test_inline_end_to_end(xw, month):
    api = ApiClient(leader(xw))
    with frozen(TODAY):
        r = api.post(URL, {"period": "2026-05", "level": "township"})
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["status"] == "done" and body["count"] == 2 and body["progress"]["percent"] == 100
    assert body["region_path"] == services.actor_region_path(leader(xw))
    run = ComputeRun.objects.get(pk=body["id"])
    assert run.requested_by == leader(xw) and run.started_at and run.finished_at and run.error == ""
    assert Score.objects.filter(period="2026-05", level="township").count() == 2
    state = api.get(f"{URL}/{run.pk}")
    assert state.status_code == 200 and state.json()["status"] == "done" and state.json()["count"] == 2
    actions = list(AuditEvent.objects.filter(action__startswith="assessment.comput").order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["assessment.compute_requested", "assessment.computed"]
    # a finished run does not block the next one, and is not run again
    with frozen(TODAY):
        assert api.post(URL, {"period": "2026-05", "level": "township"}).status_code == 202
    assert runs.run_one(run.pk) is None


def test_a_second_active_run_is_409(xw, month):
    active = queued(xw)
    api = ApiClient(leader(xw))
    with frozen(TODAY):
        r = api.post(URL, {"period": "2026-05", "level": "township"})
        assert r.status_code == 409 and "正在计算中" in r.json()["detail"]
        assert ComputeRun.objects.count() == 1
        # another level is another run
        assert api.post(URL, {"period": "2026-05", "level": "village"}).status_code == 202
    active.status = "running"
    active.heartbeat_at = timezone.now()
    active.save()
    with frozen(TODAY), pytest.raises(runs.Conflict):
        runs.compute_request(actor=leader(xw), period=MAY, level="township")


def test_no_active_scheme_is_422_without_a_run(xw, month):
    Scheme.objects.filter(period_type="month", level="village").update(active=False)
    r = ApiClient(leader(xw)).post(URL, {"period": "2026-05", "level": "village"})
    assert r.status_code == 422 and "没有启用的" in r.json()["detail"]
    assert not ComputeRun.objects.exists()


def test_the_worker_picks_up_a_queued_run(xw, month, settings):
    settings.FANGTIAO_JOB_MODE = "worker"
    with frozen(TODAY):
        r = ApiClient(leader(xw)).post(URL, {"period": "2026-05", "level": "township"})
        assert r.status_code == 202 and r.json()["status"] == "queued" and r.json()["progress"]["percent"] == 0
        assert not Score.objects.exists()
        assert runs.run_pending() == 1
        assert runs.run_pending() == 0
    run = ComputeRun.objects.get(pk=r.json()["id"])
    assert run.status == "done" and run.result_count == 2 and run.progress_done == run.progress_total == 3
    assert Score.objects.filter(period="2026-05", level="township").count() == 2


def test_a_stale_running_run_is_taken_over(xw, month):
    with frozen(TODAY):
        old = timezone.now() - dt.timedelta(minutes=30)
        stale = queued(xw, status="running", started_at=old, heartbeat_at=old)
        fresh = queued(xw, level="village", status="running", started_at=timezone.now(), heartbeat_at=timezone.now())
        assert runs.run_pending() == 1
        assert runs.run_one(fresh.pk) is None  # someone else is on it
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == "done" and stale.result_count == 2 and stale.started_at > old
    assert fresh.status == "running"


def test_a_failing_compute_marks_the_run_failed_and_keeps_the_old_scores(xw, month, monkeypatch):
    with frozen(TODAY):
        services.scores_compute(actor=leader(xw), period=MAY, level="township")
    before = sorted(Score.objects.values_list("pk", "total"))

    class Broken:
        @staticmethod
        def record(**kw):
            raise RuntimeError("boom")  # inside the write transaction, after the old scores were deleted

    monkeypatch.setattr(services, "audit", Broken)
    with frozen(TODAY):
        r = ApiClient(leader(xw)).post(URL, {"period": "2026-05", "level": "township"})
    assert r.status_code == 202 and r.json()["status"] == "failed"
    assert r.json()["error"].startswith("计算失败") and "原有得分未改变" in r.json()["error"]
    assert sorted(Score.objects.values_list("pk", "total")) == before
    failed = AuditEvent.objects.get(action="assessment.compute_failed")
    assert failed.success is False and failed.extra["run"] == r.json()["id"]
    # a failed run does not block a new one
    monkeypatch.undo()
    with frozen(TODAY):
        assert runs.compute_request(actor=leader(xw), period=MAY, level="township").status == "done"


def test_permissions(xw, month):
    clerk = ApiClient(xw.w.users["clerk_t01"])
    assert clerk.post(URL, {"period": "2026-05", "level": "township"}).status_code == 403
    r = ApiClient(xw.user("t01_subcentre", "leader")).post(URL, {"period": "2026-05", "level": "township"})
    assert r.status_code == 403 and "区级" in r.json()["detail"]
    assert not ComputeRun.objects.exists()
    with pytest.raises(runs.DomainError):
        runs.compute_request(actor=xw.user("t01_subcentre", "leader"), period=MAY, level="township")
    run = queued(xw)
    assert clerk.get(f"{URL}/{run.pk}").status_code == 403
    assert ApiClient().get(f"{URL}/{run.pk}").status_code == 401


def test_404_outside_the_scope(xw, month, client):
    run = queued(xw)
    township = ApiClient(xw.user("t01_subcentre", "leader"))
    assert township.get(f"{URL}/{run.pk}").status_code == 404
    assert ApiClient(leader(xw)).get(f"{URL}/{run.pk + 1000}").status_code == 404
    assert ApiClient(leader(xw)).get(f"{URL}/{run.pk}").status_code == 200
    system = ComputeRun.objects.create(period="2026-05", level="mediator", region_path="")  # everywhere
    assert ApiClient(leader(xw)).get(f"{URL}/{system.pk}").status_code == 404  # the system's run: all regions
    client.force_login(xw.user("t01_subcentre", "leader"))
    assert client.get(reverse("assessment:compute_progress", args=[run.pk])).status_code == 404
    page = client.get(reverse("assessment:scores"), {"run": run.pk})
    assert page.status_code == 200 and "compute-progress" not in page.content.decode()


def test_page_starts_a_run_and_shows_its_progress(xw, month, client, settings):
    settings.FANGTIAO_JOB_MODE = "worker"
    client.force_login(xw.user("t01_subcentre", "officer"))
    assert client.post(reverse("assessment:compute"), {"period": "2026-05", "level": "township"}).status_code == 403
    client.force_login(leader(xw))
    with frozen(TODAY):
        r = client.post(reverse("assessment:compute"), {"period": "2026-05", "level": "township"})
    run = ComputeRun.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"level=township&run={run.pk}")
    page = client.get(r["Location"]).content.decode()
    assert 'data-testid="compute-progress"' in page and 'data-status="queued"' in page and "排队中" in page
    progress_url = reverse("assessment:compute_progress", args=[run.pk])
    assert f'hx-get="{progress_url}"' in page and 'hx-trigger="every 2s"' in page
    part = client.get(progress_url, headers={"HX-Request": "true"})
    html = part.content.decode()
    assert part.status_code == 200 and "no-store" in part["Cache-Control"] and "<script" not in html
    assert 'hx-get="' in html and "<html" not in html
    with frozen(TODAY):
        assert runs.run_pending() == 1
    html = client.get(progress_url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-status="done"' in html and "hx-get" not in html and "已计算得分 2 条" in html
    assert f"{reverse('assessment:scores')}?period=2026-05&amp;level=township" in html
    with frozen(TODAY):  # a second request while one is active: the page says so
        queued(xw, level="village")
        r = client.post(reverse("assessment:compute"), {"period": "2026-05", "level": "village"}, follow=True)
    assert "正在计算中" in r.content.decode()
    ComputeRun.objects.filter(level="village").update(status="failed", error="计算失败：测试")
    failed = ComputeRun.objects.get(level="village")
    html = client.get(reverse("assessment:compute_progress", args=[failed.pk])).content.decode()
    assert 'data-testid="compute-error"' in html and "计算失败：测试" in html and "hx-get" not in html
