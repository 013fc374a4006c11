"""Screening and early-warning pages: for each page the permission boundary (a role without the
capability gets 403), the jurisdiction (a warning, round or hot spot of the other township is 404),
bad input (a Chinese message, nothing changed, never a 500), the Excel export, and query counts that
do not grow with the list (no N+1)."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from fangtiao.cases.tests.factories import make_case
from fangtiao.screening import services
from fangtiao.screening.choices import InterventionStatus, RoundStatus, WarningStatus
from fangtiao.screening.models import (
    EarlyWarning,
    Finding,
    Hotspot,
    HotspotMember,
    HotspotRun,
    LawyerIntervention,
    ScreeningRound,
)

V01 = "331003001201"  # 上洋村, 东城街道
V02 = "331003002201"  # 下叶村, 西城街道
_keys = itertools.count(1)


# --- data through the services ---------------------------------------------------------------------

def warning(xw: Any, *, township: str = "t01", level: str = "red", kind: str = "emotion", case: Any = None,
            title: str = "信访人情绪激动，扬言到省里上访") -> EarlyWarning:
    region = xw.t01 if township == "t01" else xw.t02
    w, what = services.warning_raise(key=f"test:{next(_keys)}", kind=kind, level=level, title=title,
                                     reasons=["文字中有“走投无路”等词", "登记人员评估有激化风险"], region=region,
                                     owner_unit=xw.units[f"{township}_subcentre"], case=case)
    assert what == "raised"
    return w


def rounds(xw: Any, day: dt.date | None = None) -> list[ScreeningRound]:
    day = day or timezone.localdate()
    services.schedule_rounds(year=day.year, month=day.month)
    return list(ScreeningRound.objects.filter(period_start__year=day.year, period_start__month=day.month)
                .select_related("unit"))


def round_of(xw: Any, unit: str, seq: int = 1) -> ScreeningRound:
    today = timezone.localdate()
    rounds(xw, today)
    return ScreeningRound.objects.get(unit=xw.units[unit], period_start__year=today.year,
                                      period_start__month=today.month, seq=seq)


def hotspot_run(xw: Any, cases: list[Any], *, region: Any = None, label: str = "物业公司多收电梯维修费") -> Hotspot:
    today = timezone.localdate()
    run = HotspotRun.objects.create(window_start=today - dt.timedelta(days=29), window_end=today, status="done",
                                    finished_at=timezone.now(), n_cases=len(cases), progress_total=1, progress_done=1)
    region = region or xw.district
    h = Hotspot.objects.create(run=run, label=label, terms=["物业", "电梯", "维修费"], size=len(cases), previous_size=1,
                               trend="rising", region=region, region_path=region.path, window_start=run.window_start,
                               window_end=run.window_end)
    HotspotMember.objects.bulk_create([HotspotMember(hotspot=h, case=c) for c in cases])
    return h


# --- helpers -----------------------------------------------------------------------------------------

def html(response: Any) -> str:
    return response.content.decode()


def sheet(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(wb.worksheets[0].iter_rows(values_only=True))


def queries(client: Any, url: str, **kw: Any) -> int:
    client.get(url, kw)  # warm: session, user and roles load the same way on every request
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url, kw)
    assert r.status_code == 200, r.status_code
    return len(ctx.captured_queries)


def leader(xw: Any) -> Any:
    return xw.users["leader"]


def head_t01(xw: Any) -> Any:
    return xw.users["head_t01"]


# --- navigation -----------------------------------------------------------------------------------

def test_menu_shows_only_the_pages_a_role_may_open(xw: Any, client: Any) -> None:
    client.force_login(leader(xw))
    page = html(client.get("/"))
    for url in ("/screening/warnings/", "/screening/hotspots/", "/screening/rounds/", "/screening/completion/"):
        assert url in page
    client.force_login(xw.users["mediator_t01"])  # screening yes, warnings and hot spots no
    page = html(client.get("/"))
    assert "/screening/rounds/" in page and "/screening/warnings/" not in page and "/screening/hotspots/" not in page
    client.force_login(xw.users["auditor"])
    assert "排查预警" not in html(client.get("/"))


@pytest.mark.parametrize("url", ["/screening/warnings/", "/screening/hotspots/", "/screening/rounds/",
                                 "/screening/completion/"])
def test_anonymous_goes_to_login(xw: Any, client: Any, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


# --- 1. warnings list ------------------------------------------------------------------------------

def test_warning_list_permission(xw: Any, client: Any) -> None:
    w = warning(xw)
    client.force_login(xw.users["mediator_t01"])  # no warning.view
    assert client.get("/screening/warnings/").status_code == 403
    assert client.get(f"/screening/warnings/{w.pk}/").status_code == 403
    client.force_login(xw.users["clerk_t01"])  # a clerk sees warnings but may not handle them
    assert client.get("/screening/warnings/").status_code == 200
    page = html(client.get(f"/screening/warnings/{w.pk}/"))
    assert 'data-testid="resolve-form"' not in page
    r = client.post(f"/screening/warnings/{w.pk}/resolve/", {"version": w.version, "resolution": "已化解"})
    assert r.status_code == 403
    w.refresh_from_db()
    assert w.status == WarningStatus.OPEN


def test_warning_list_filters_counts_jurisdiction_and_export(xw: Any, client: Any) -> None:
    red = warning(xw, level="red", title="东城红色预警")
    warning(xw, level="yellow", kind="overdue", title="东城黄色预警")
    other = warning(xw, township="t02", level="red", title="西城红色预警")
    client.force_login(xw.users["clerk_t01"])  # 东城 only
    r = client.get("/screening/warnings/")
    page = html(r)
    assert "东城红色预警" in page and "东城黄色预警" in page and "西城红色预警" not in page
    assert 'data-testid="count-red"' in page and r.context["levels"][0]["n"] == 1
    assert client.get(f"/screening/warnings/{other.pk}/").status_code == 404
    r = client.get("/screening/warnings/", {"level": "yellow"})
    assert "东城黄色预警" in html(r) and "东城红色预警" not in html(r)
    r = client.get("/screening/warnings/", {"kind": "emotion"})
    assert [row[2] for row in r.context["rows"]] and "东城黄色预警" not in html(r)
    # The default is the active ones; a resolved warning shows under 已处置 and 全部.
    services.warning_resolve(actor=head_t01(xw), warning_id=red.pk, resolution="已约谈化解")
    assert "东城红色预警" not in html(client.get("/screening/warnings/"))
    assert "东城红色预警" in html(client.get("/screening/warnings/", {"status": "resolved"}))
    assert "东城红色预警" in html(client.get("/screening/warnings/", {"status": "all"}))
    # Bad filter values: a Chinese message, never a 500.
    r = client.get("/screening/warnings/", {"level": "purple", "owner_unit": xw.units["t02_subcentre"].pk,
                                            "region": "331003002"})
    assert r.status_code == 200
    page = html(r)
    assert "没有这个预警等级" in page and "所选单位不在您的管辖范围内" in page and "所选区域不在您的管辖范围内" in page
    rows = sheet(client.get("/screening/warnings/", {"status": "all", "export": "xlsx", "reason": "核对"}))
    assert rows[0][:3] == ("等级", "类型", "预警事项")
    assert {r[2] for r in rows[1:]} == {"东城红色预警", "东城黄色预警"}
    assert "预警理由" in rows[0] and any("走投无路" in str(c) for c in rows[1])


def test_warning_list_filters_by_region_and_owner_unit(xw: Any, client: Any) -> None:
    warning(xw, title="东城的")
    warning(xw, township="t02", title="西城的")
    client.force_login(leader(xw))
    r = client.get("/screening/warnings/", {"region": "331003002"})
    assert "西城的" in html(r) and "东城的" not in html(r)
    r = client.get("/screening/warnings/", {"owner_unit": xw.units["t01_subcentre"].pk})
    assert "东城的" in html(r) and "西城的" not in html(r)


def test_warning_list_query_count_does_not_grow(xw: Any, client: Any, django_assert_max_num_queries: Any) -> None:
    warning(xw, case=make_case(xw))
    client.force_login(leader(xw))
    n = queries(client, "/screening/warnings/")
    for _ in range(4):
        warning(xw, case=make_case(xw))
        warning(xw, township="t02", level="orange")
    with django_assert_max_num_queries(n):
        r = client.get("/screening/warnings/")
    # Nine raised here (the engine may add its own about the new cases: they count too).
    active = EarlyWarning.objects.filter(status__in=["open", "acknowledged"]).count()
    assert active >= 9 and len(r.context["rows"]) == active


# --- 2. warning page: acknowledge, resolve, lawyer -------------------------------------------------

def test_warning_page_shows_reasons_and_links(xw: Any, client: Any) -> None:
    case = make_case(xw)
    w = warning(xw, case=case)
    client.force_login(leader(xw))
    page = html(client.get(f"/screening/warnings/{w.pk}/"))
    assert "文字中有“走投无路”等词" in page and f"/cases/{case.pk}/" in page and case.number in page
    assert 'data-testid="ack-form"' in page and 'data-testid="resolve-form"' in page
    assert 'data-testid="lawyer-form"' in page


def test_acknowledge_then_resolve(xw: Any, client: Any) -> None:
    w = warning(xw)
    client.force_login(head_t01(xw))
    r = client.post(f"/screening/warnings/{w.pk}/acknowledge/", {"version": w.version, "note": "已安排专人稳控"})
    assert r.status_code == 302 and r["Location"] == f"/screening/warnings/{w.pk}/"
    w.refresh_from_db()
    assert w.status == WarningStatus.ACKNOWLEDGED and w.acknowledged_by_id == head_t01(xw).pk
    page = html(client.get(r["Location"]))
    assert "已签收预警" in page and "处置中" in page and 'data-testid="ack-form"' not in page
    r = client.post(f"/screening/warnings/{w.pk}/resolve/", {"version": w.version, "resolution": "律师约谈后息访"})
    assert r.status_code == 302
    w.refresh_from_db()
    assert w.status == WarningStatus.RESOLVED and w.resolution == "律师约谈后息访"
    page = html(client.get(r["Location"]))
    assert "已处置预警" in page and "律师约谈后息访" in page and 'data-testid="resolve-form"' not in page


def test_empty_resolution_and_stale_version_change_nothing(xw: Any, client: Any) -> None:
    w = warning(xw)
    client.force_login(head_t01(xw))
    r = client.post(f"/screening/warnings/{w.pk}/resolve/", {"version": w.version, "resolution": "   "})
    assert r.status_code == 422 and "请填写处置情况" in html(r)
    w.refresh_from_db()
    assert w.status == WarningStatus.OPEN and w.resolution == ""
    r = client.post(f"/screening/warnings/{w.pk}/resolve/", {"version": "abc", "resolution": "已化解"})
    assert r.status_code == 422 and "页面已过期，请刷新后重试" in html(r)
    services.warning_acknowledge(actor=leader(xw), warning_id=w.pk)  # someone else, meanwhile
    r = client.post(f"/screening/warnings/{w.pk}/resolve/", {"version": w.version, "resolution": "已化解"})
    assert r.status_code == 409 and "预警已被他人处理，请刷新后重试" in html(r)
    w.refresh_from_db()
    assert w.status == WarningStatus.ACKNOWLEDGED
    r = client.post(f"/screening/warnings/{w.pk}/acknowledge/", {"version": w.version})
    assert r.status_code == 409 and "不能签收" in html(r)


def test_warning_writes_of_another_township_are_404(xw: Any, client: Any) -> None:
    w = warning(xw, township="t02")
    client.force_login(head_t01(xw))
    for action, data in (("acknowledge", {"version": w.version}), ("resolve", {"version": w.version, "resolution": "x"}),
                         ("lawyer", {"note": "请律师约谈"})):
        assert client.post(f"/screening/warnings/{w.pk}/{action}/", data).status_code == 404
    w.refresh_from_db()
    assert w.status == WarningStatus.OPEN and not w.interventions.exists()


def test_lawyer_request_assign_and_record(xw: Any, client: Any) -> None:
    w = warning(xw)
    lawyer = xw.experts["lawyer"]
    client.force_login(head_t01(xw))
    r = client.post(f"/screening/warnings/{w.pk}/lawyer/", {"note": ""})
    assert r.status_code == 422 and "请说明需要律师介入的情况" in html(r)
    assert not LawyerIntervention.objects.filter(warning=w).exists()
    r = client.post(f"/screening/warnings/{w.pk}/lawyer/", {"note": "信访人扬言到省里，请律师释法"})
    assert r.status_code == 302
    li = LawyerIntervention.objects.get(warning=w)
    page = html(client.get(f"/screening/warnings/{w.pk}/"))
    assert "待指派律师" in page and 'data-testid="assign-form"' in page and lawyer.name in page
    r = client.post(f"/screening/warnings/{w.pk}/lawyer/{li.pk}/assign/", {"lawyer": "999999"})
    assert r.status_code == 422 and "所选律师不存在或不在岗" in html(r)
    r = client.post(f"/screening/warnings/{w.pk}/lawyer/{li.pk}/assign/", {"lawyer": lawyer.pk})
    assert r.status_code == 302
    li.refresh_from_db()
    assert li.status == InterventionStatus.ASSIGNED and li.lawyer_id == lawyer.pk
    # A bad date and a missing outcome: Chinese messages, nothing recorded.
    r = client.post(f"/screening/warnings/{w.pk}/lawyer/{li.pk}/record/",
                    {"met_on": "上周三", "place": "东城分中心", "summary": "释法", "outcome": ""})
    assert r.status_code == 422
    assert "日期格式不正确" in html(r) and "请选择约谈结果" in html(r)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    r = client.post(f"/screening/warnings/{w.pk}/lawyer/{li.pk}/record/",
                    {"met_on": f"{tomorrow.year}年{tomorrow.month}月{tomorrow.day}日", "place": "东城分中心",
                     "summary": "释法", "outcome": "eased"})
    assert r.status_code == 422 and "约谈日期不能晚于今天" in html(r)
    li.refresh_from_db()
    assert li.status == InterventionStatus.ASSIGNED
    today = timezone.localdate()
    r = client.post(f"/screening/warnings/{w.pk}/lawyer/{li.pk}/record/",
                    {"met_on": f"{today:%Y-%m-%d}", "place": "东城分中心", "summary": "释法析理，情绪缓和",
                     "outcome": "eased"})
    assert r.status_code == 302
    li.refresh_from_db()
    assert li.status == InterventionStatus.MET and li.outcome == "eased"
    assert "已约谈" in html(client.get(f"/screening/warnings/{w.pk}/"))


def test_lawyer_intervention_of_another_warning_is_404(xw: Any, client: Any) -> None:
    w1, w2 = warning(xw), warning(xw, township="t02")
    li = services.lawyer_request(actor=leader(xw), warning_id=w2.pk, note="请律师约谈")
    client.force_login(head_t01(xw))
    r = client.post(f"/screening/warnings/{w1.pk}/lawyer/{li.pk}/assign/", {"lawyer": xw.experts["lawyer"].pk})
    assert r.status_code == 404
    li.refresh_from_db()
    assert li.status == InterventionStatus.REQUESTED


# --- 3. hot spots ----------------------------------------------------------------------------------

def test_hotspot_pages_permission_and_jurisdiction(xw: Any, client: Any) -> None:
    h_t02 = hotspot_run(xw, [make_case(xw, actor=xw.users["clerk_t02"], region=V02)], region=xw.t02)
    client.force_login(xw.users["clerk_t01"])  # no hotspot.view
    assert client.get("/screening/hotspots/").status_code == 403
    assert client.get(f"/screening/hotspots/{h_t02.pk}/").status_code == 403
    client.force_login(head_t01(xw))
    assert client.get(f"/screening/hotspots/{h_t02.pk}/").status_code == 404
    assert client.post("/screening/hotspots/runs/", {"start": "2026-01-01", "end": "2026-01-31"}).status_code == 403
    assert "物业公司多收电梯维修费" not in html(client.get("/screening/hotspots/"))


def test_hotspot_list_detail_members_and_export(xw: Any, client: Any) -> None:
    mine = [make_case(xw, title=f"物业多收电梯费{i}") for i in range(2)]
    theirs = make_case(xw, actor=xw.users["clerk_t02"], region=V02, title="物业多收电梯费西城")
    h = hotspot_run(xw, [*mine, theirs])
    client.force_login(leader(xw))
    r = client.get("/screening/hotspots/")
    page = html(r)
    assert h.label in page and "上升" in page and f"/screening/hotspots/{h.pk}/" in page
    assert f"{h.window_start:%Y-%m-%d}" in page and 'data-testid="run-form"' in page
    rows = sheet(client.get("/screening/hotspots/", {"export": "xlsx", "reason": "核对"}))
    assert rows[0][0] == "热点" and rows[1][0] == h.label and rows[1][2] == 3 and rows[1][4] == "上升"
    r = client.get(f"/screening/hotspots/{h.pk}/")
    assert len(r.context["rows"]) == 3 and all(f'href="/cases/{c.pk}/"' in html(r) for c in [*mine, theirs])
    # A township sees the member cases it may read only (a 东城 hot spot holding a 西城 case here).
    Hotspot.objects.filter(pk=h.pk).update(region=xw.t01, region_path=xw.t01.path)
    client.force_login(head_t01(xw))
    page = html(client.get(f"/screening/hotspots/{h.pk}/"))
    assert mine[0].number in page and mine[1].number in page and theirs.number not in page
    rows = sheet(client.get(f"/screening/hotspots/{h.pk}/", {"export": "xlsx", "reason": "核对"}))
    assert rows[0][:2] == ("编号", "标题") and {r[0] for r in rows[1:]} == {c.number for c in mine}
    r = client.get("/screening/hotspots/", {"region": "331003002"})
    assert r.status_code == 200 and "所选区域不在您的管辖范围内" in html(r)


def test_hotspot_lists_query_counts(xw: Any, client: Any, django_assert_max_num_queries: Any) -> None:
    h = hotspot_run(xw, [make_case(xw)])
    client.force_login(leader(xw))
    n = queries(client, "/screening/hotspots/")
    m = queries(client, f"/screening/hotspots/{h.pk}/")
    for i in range(4):
        Hotspot.objects.create(run=h.run, label=f"热点{i}", terms=["土地"], size=2, previous_size=0, trend="new",
                               region=xw.t01, region_path=xw.t01.path, window_start=h.window_start,
                               window_end=h.window_end)
        HotspotMember.objects.create(hotspot=h, case=make_case(xw))
    with django_assert_max_num_queries(n):
        r = client.get("/screening/hotspots/")
    assert len(r.context["rows"]) == 5
    with django_assert_max_num_queries(m):
        r = client.get(f"/screening/hotspots/{h.pk}/")
    assert len(r.context["rows"]) == 5


def test_hotspot_run_bad_input_and_progress(xw: Any, client: Any, monkeypatch: Any) -> None:
    client.force_login(leader(xw))
    r = client.post("/screening/hotspots/runs/", {"start": "五月一日", "end": "2026-05-31"}, follow=True)
    assert "日期格式不正确" in html(r)
    r = client.post("/screening/hotspots/runs/", {"start": "2026-05-31", "end": "2026-05-01"}, follow=True)
    assert "结束日期不能早于开始日期" in html(r)
    assert not HotspotRun.objects.exists()
    # A run in progress: the page shows its progress fragment, polled every 2 s until done.
    run = HotspotRun.objects.create(window_start=dt.date(2026, 1, 1), window_end=dt.date(2026, 1, 31), status="running",
                                    progress_total=10, progress_done=4)
    page = html(client.get("/screening/hotspots/", {"pending": run.pk}))
    assert 'hx-trigger="every 2s"' in page and "40%" in page
    r = client.get(f"/screening/hotspots/runs/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "HX-Redirect" not in r and "every 2s" in html(r)
    HotspotRun.objects.filter(pk=run.pk).update(status="done", progress_done=10)
    r = client.get(f"/screening/hotspots/runs/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert r["HX-Redirect"] == f"/screening/hotspots/?run={run.pk}" and "every 2s" not in html(r)
    assert client.get("/screening/hotspots/runs/999999/progress/").status_code == 404


def test_hotspot_run_starts_a_background_run(xw: Any, client: Any, monkeypatch: Any) -> None:
    pytest.importorskip("fangtiao.screening.text.hotspots")
    from fangtiao.screening import hotspots

    monkeypatch.setattr(hotspots, "_dispatch", lambda run: None)  # the worker takes it later
    client.force_login(leader(xw))
    today = timezone.localdate()
    start = today - dt.timedelta(days=6)
    r = client.post("/screening/hotspots/runs/", {"start": f"{start:%Y-%m-%d}", "end": f"{today:%Y-%m-%d}"})
    run = HotspotRun.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/screening/hotspots/?pending={run.pk}"
    assert (run.window_start, run.window_end) == (start, today)
    assert 'data-testid="run-progress"' in html(client.get(r["Location"]))
    r = client.post("/screening/hotspots/runs/", {"start": "2025-01-01", "end": f"{today:%Y-%m-%d}"}, follow=True)
    assert "时间窗口不能超过" in html(r) and HotspotRun.objects.count() == 1


# --- 4. screening rounds ---------------------------------------------------------------------------

def test_round_pages_permission_and_jurisdiction(xw: Any, client: Any) -> None:
    r02 = round_of(xw, "t02_committee")
    client.force_login(xw.users["clerk_t01"])  # no screening.view
    assert client.get("/screening/rounds/").status_code == 403
    assert client.get("/screening/completion/").status_code == 403
    assert client.get(f"/screening/rounds/{r02.pk}/").status_code == 403
    client.force_login(xw.users["mediator_t01"])
    assert client.get(f"/screening/rounds/{r02.pk}/").status_code == 404
    r = client.post(f"/screening/rounds/{r02.pk}/", {"version": r02.version, "screened_on": "2026-01-01",
                                                     "screeners": "甲", "places": "乙", "nil_return": "on"})
    assert r.status_code == 404
    r02.refresh_from_db()
    assert r02.status == RoundStatus.SCHEDULED
    client.force_login(leader(xw))  # sees all, may not record
    r01 = round_of(xw, "t01_committee")
    page = html(client.get(f"/screening/rounds/{r01.pk}/"))
    assert 'data-testid="record-form"' not in page
    r = client.post(f"/screening/rounds/{r01.pk}/", {"version": r01.version, "screened_on": "2026-01-01",
                                                     "screeners": "甲", "places": "乙", "nil_return": "on"})
    assert r.status_code == 403


def test_round_list_filters_missed_and_export(xw: Any, client: Any) -> None:
    all_rounds = rounds(xw)
    missed = next(r for r in all_rounds if r.unit_id == xw.units["t01_committee"].pk)
    ScreeningRound.objects.filter(pk=missed.pk).update(status=RoundStatus.MISSED)
    client.force_login(xw.users["mediator_t01"])  # 东城: its sub-centre, committee and 上洋村
    r = client.get("/screening/rounds/")
    assert r.status_code == 200 and 'href="?status=missed"' in html(r)
    assert r.context["page"].paginator.count == 6
    r = client.get("/screening/rounds/", {"status": "missed"})
    assert r.context["page"].paginator.count == 1 and "逾期未报" in html(r) and "text-red" in html(r)
    today = timezone.localdate()
    r = client.get("/screening/rounds/", {"month": f"{today:%Y-%m}", "unit": xw.units["v01_committee"].pk})
    assert r.context["page"].paginator.count == 2
    r = client.get("/screening/rounds/", {"month": "2026-13"})
    assert r.status_code == 200 and "月份格式不正确" in html(r)
    r = client.get("/screening/rounds/", {"unit": xw.units["t02_committee"].pk})
    assert "所选单位不在您的管辖范围内" in html(r)
    rows = sheet(client.get("/screening/rounds/", {"status": "missed", "export": "xlsx", "reason": "核对"}))
    assert rows[0][0] == "排查单位" and len(rows) == 2 and rows[1][0] == missed.unit.name and rows[1][4] == "逾期未报"


def test_round_list_query_count(xw: Any, client: Any, django_assert_max_num_queries: Any) -> None:
    today = timezone.localdate()
    rounds(xw, today)
    client.force_login(leader(xw))
    n = queries(client, "/screening/rounds/")
    previous = (today.replace(day=1) - dt.timedelta(days=1))
    rounds(xw, previous)
    rounds(xw, previous.replace(day=1) - dt.timedelta(days=1))
    with django_assert_max_num_queries(n):
        r = client.get("/screening/rounds/")
    assert len(r.context["rows"]) == 30 and r.context["page"].paginator.count == 36


def _record_body(r: ScreeningRound, **over: Any) -> dict[str, Any]:
    body = {"version": r.version, "screened_on": f"{timezone.localdate():%Y-%m-%d}", "screeners": "张三、李四",
            "places": "上洋村一组、二组", "summary": "走访农户20户",
            "findings-0-title": "宅基地边界纠纷", "findings-0-region": V01, "findings-0-category": "neighbour",
            "findings-0-parties": "王某、李某", "findings-0-headcount": "2", "findings-0-risk": "medium",
            "findings-0-description": "两户因院墙位置争执", "findings-0-measures": "村调委已劝解",
            "findings-3-title": "土地流转款拖欠", "findings-3-region": V01, "findings-3-headcount": "12",
            "findings-3-risk": "high"}
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def test_round_record_with_findings_then_to_case(xw: Any, client: Any) -> None:
    r = round_of(xw, "t01_committee")
    client.force_login(xw.users["mediator_t01"])
    page = html(client.get(f"/screening/rounds/{r.pk}/"))
    assert 'data-testid="record-form"' in page and "screening/findings.js" in page and "<script>" not in page
    assert "上洋村" in page and "下叶村" not in page  # the places offered: under the unit's region
    resp = client.post(f"/screening/rounds/{r.pk}/", _record_body(r))
    assert resp.status_code == 302, html(resp)
    r.refresh_from_db()
    assert r.status == RoundStatus.DONE and r.screeners == "张三、李四"
    findings = list(Finding.objects.filter(round=r).order_by("id"))
    assert [f.title for f in findings] == ["宅基地边界纠纷", "土地流转款拖欠"] and findings[1].headcount == 12
    page = html(client.get(f"/screening/rounds/{r.pk}/"))
    assert "已填报" in page and page.count('data-testid="to-case-form"') == 2 and 'data-testid="record-form"' not in page
    # 转为事项: the applicant is asked for (offered from the finding's parties); consent is required for
    # early intervention; without a mediation unit, the case is only registered.
    assert 'value="王某"' in page
    f = findings[0]
    resp = client.post(f"/screening/findings/{f.pk}/case/", {"kind": "dispute", "applicant": ""})
    assert resp.status_code == 422 and "请填写申请人（信访人）姓名" in html(resp)
    resp = client.post(f"/screening/findings/{f.pk}/case/", {"kind": "dispute", "applicant": "王某",
                                                             "intervene_unit": xw.units["t01_committee"].pk})
    assert resp.status_code == 422 and "须经当事人同意" in html(resp)
    resp = client.post(f"/screening/findings/{f.pk}/case/", {"kind": "dispute", "applicant": "王某", "phone": "12345"})
    assert resp.status_code == 422 and 'data-testid="error-phone"' in html(resp)
    f.refresh_from_db()
    assert f.case_id is None
    resp = client.post(f"/screening/findings/{f.pk}/case/", {"kind": "dispute", "applicant": "王某",
                                                             "phone": "13912340001", "respondent": "李某"})
    assert resp.status_code == 302, [ln for ln in html(resp).splitlines() if "danger" in ln or "invalid" in ln]
    f.refresh_from_db()
    assert f.case is not None and f.case.channel == "screening"
    assert sorted(f.case.parties.values_list("name", flat=True)) == ["李某", "王某"]
    page = html(client.get(resp["Location"]))
    assert f"/cases/{f.case_id}/" in page and f.case.number in page
    resp = client.post(f"/screening/findings/{f.pk}/case/", {"kind": "dispute", "applicant": "王某"})
    assert resp.status_code == 409 and "该排查发现已转为事项" in html(resp)


def test_round_record_bad_input_changes_nothing(xw: Any, client: Any) -> None:
    r = round_of(xw, "t01_committee")
    client.force_login(xw.users["mediator_t01"])
    resp = client.post(f"/screening/rounds/{r.pk}/", _record_body(r, screened_on="上个月", screeners=""))
    assert resp.status_code == 422
    page = html(resp)
    assert "日期格式不正确" in page and "请填写排查人员" in page and "宅基地边界纠纷" in page  # rows kept as typed
    resp = client.post(f"/screening/rounds/{r.pk}/", _record_body(r, **{"findings-0-region": "", "findings-3-headcount": "很多"}))
    assert resp.status_code == 422 and "请选择发生地" in html(resp) and "涉及人数应为 1 到 100000 的整数" in html(resp)
    # Outside the unit's region (a service rule): beside its row.
    resp = client.post(f"/screening/rounds/{r.pk}/", _record_body(r, **{"findings-0-region": V02}))
    assert resp.status_code == 422 and "发生地不存在或不在本单位辖区" in html(resp)
    # Nil return with findings, and neither: the service's messages.
    resp = client.post(f"/screening/rounds/{r.pk}/", _record_body(r, nil_return="on"))
    assert resp.status_code == 422 and "零报告不能同时填报排查发现的纠纷" in html(resp)
    body = {k: v for k, v in _record_body(r).items() if not k.startswith("findings-")}
    resp = client.post(f"/screening/rounds/{r.pk}/", body)
    assert resp.status_code == 422 and "请勾选“零报告”" in html(resp)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    resp = client.post(f"/screening/rounds/{r.pk}/", {**body, "nil_return": "on", "screened_on": f"{tomorrow:%Y-%m-%d}"})
    assert resp.status_code == 422 and "排查日期不能晚于今天" in html(resp)
    r.refresh_from_db()
    assert r.status == RoundStatus.SCHEDULED and not Finding.objects.filter(round=r).exists()
    # Stale page, then a round recorded twice.
    resp = client.post(f"/screening/rounds/{r.pk}/", {**body, "nil_return": "on", "version": r.version + 5})
    assert resp.status_code == 409 and "请刷新后重试" in html(resp)
    resp = client.post(f"/screening/rounds/{r.pk}/", {**body, "nil_return": "on", "screened_on": "2026年1月2日"
                                                      if r.period_start.year == 2026 and r.period_start.month <= 2
                                                      else f"{timezone.localdate():%Y-%m-%d}"})
    assert resp.status_code == 302
    r.refresh_from_db()
    assert r.status == RoundStatus.DONE and r.nil_return
    resp = client.post(f"/screening/rounds/{r.pk}/", {**body, "nil_return": "on", "version": r.version})
    assert resp.status_code == 403 or "本轮排查已填报" in html(resp)


# --- 5. completion ---------------------------------------------------------------------------------

def test_completion_table_defaults_filters_and_export(xw: Any, client: Any, django_assert_max_num_queries: Any) -> None:
    today = timezone.localdate()
    previous = today.replace(day=1) - dt.timedelta(days=1)  # last month: all its rounds are due
    rounds(xw, previous)
    done = ScreeningRound.objects.get(unit=xw.units["t01_committee"], period_start__year=previous.year,
                                      period_start__month=previous.month, seq=1)
    ScreeningRound.objects.filter(pk=done.pk).update(status=RoundStatus.DONE, late=False, nil_return=True)
    ScreeningRound.objects.filter(unit=xw.units["t01_committee"], period_start__year=previous.year,
                                  period_start__month=previous.month, seq=2).update(status=RoundStatus.MISSED)
    client.force_login(leader(xw))
    r = client.get("/screening/completion/")
    assert r.status_code == 200
    assert f"{today.replace(day=1):%Y-%m-%d}" in html(r)  # the default window: this month
    first = previous.replace(day=1)
    q = {"start": f"{first:%Y-%m-%d}", "end": f"{previous.year}年{previous.month}月{previous.day}日"}
    r = client.get("/screening/completion/", q)
    rows = {row[0]: row for row in r.context["rows"]}
    assert rows["东城街道人民调解委员会"][1:] == [2, 1, 1, 1, 1, 0, "50.0%"]
    n = queries(client, "/screening/completion/", **q)
    rounds(xw, first - dt.timedelta(days=1))
    with django_assert_max_num_queries(n):
        client.get("/screening/completion/", {**q, "start": f"{(first - dt.timedelta(days=1)).replace(day=1):%Y-%m-%d}"})
    xl = sheet(client.get("/screening/completion/", {**q, "export": "xlsx", "reason": "核对"}))
    assert xl[0] == ("排查单位", "应排查", "已排查", "按期", "零报告", "逾期未报", "发现纠纷", "完成率")
    assert ("东城街道人民调解委员会", 2, 1, 1, 1, 1, 0, 50.0) in xl
    xl = sheet(client.get("/screening/completion/", {**q, "by": "township", "export": "xlsx", "reason": "核对"}))
    assert xl[0] == ("乡镇（街道）", "应排查", "已排查", "按期", "零报告", "逾期未报", "发现纠纷", "完成率")
    r = client.get("/screening/completion/", {"start": "5月1日", "end": "2026-05-01"})
    assert r.status_code == 200 and "日期格式不正确" in html(r)
    r = client.get("/screening/completion/", {"start": "2026-05-31", "end": "2026-05-01"})
    assert "结束日期不能早于开始日期" in html(r)


def test_completion_of_a_township_user_is_its_own(xw: Any, client: Any) -> None:
    today = timezone.localdate()
    previous = today.replace(day=1) - dt.timedelta(days=1)
    rounds(xw, previous)
    client.force_login(xw.users["mediator_t01"])
    r = client.get("/screening/completion/", {"start": f"{previous.replace(day=1):%Y-%m-%d}",
                                               "end": f"{previous:%Y-%m-%d}"})
    names = {row[0] for row in r.context["rows"]}
    assert names and not any("西城" in n or "下叶" in n for n in names)


def test_completion_by_township_groups_by_township(xw: Any, client: Any) -> None:
    previous = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    rounds(xw, previous)
    client.force_login(leader(xw))
    r = client.get("/screening/completion/", {"start": f"{previous.replace(day=1):%Y-%m-%d}",
                                               "end": f"{previous:%Y-%m-%d}", "by": "township"})
    towns = {row[0]: row for row in r.context["rows"]}
    assert set(towns) >= {"东城街道", "西城街道"} and towns["东城街道"][1] == 6


def test_district_wide_hotspot_shows_a_township_its_own_cases(xw: Any, client: Any) -> None:
    mine = make_case(xw)
    theirs = make_case(xw, actor=xw.users["clerk_t02"], region=V02)
    h = hotspot_run(xw, [mine, theirs])  # region: the district
    client.force_login(head_t01(xw))
    r = client.get(f"/screening/hotspots/{h.pk}/")
    assert r.status_code == 200 and mine.number in html(r) and theirs.number not in html(r)
