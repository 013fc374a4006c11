"""The assessment pages: ranking (filter, export, compute), a score with its drill-down, the scheme
editor with Chinese errors, commendations and accountability; 403 without the capability, 404
outside the jurisdiction; and the demo hook."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fangtiao.assessment import services
from fangtiao.assessment.models import Accountability, Commendation, Scheme, Score
from fangtiao.assessment.periods import parse_period
from fangtiao.assessment.tests.support import TODAY, build_month, rebuild
from fangtiao.cases.tests.factories import frozen


@pytest.fixture
def computed(xw):
    rows = build_month(xw)
    rebuild()
    with frozen(TODAY):
        services.scores_compute(actor=xw.w.users["leader"], period=parse_period("2026-05"), level="township")
    return rows


def test_url_names():
    for name in ("scores", "schemes", "accountability", "commendations"):
        assert reverse(f"assessment:{name}").startswith("/assessment/")


def test_ranking_page_filter_export_and_scope(xw, client, computed, django_assert_max_num_queries):
    client.force_login(xw.w.users["leader"])
    with django_assert_max_num_queries(20):
        page = client.get(reverse("assessment:scores"), {"period": "2026-05", "level": "township"})
    html = page.content.decode()
    assert page.status_code == 200 and "东城街道联合调解分中心" in html and "西城街道联合调解分中心" in html
    assert "计算得分" in html
    assert "东城街道" in client.get(reverse("assessment:scores")).content.decode()  # latest computed period
    r = client.get(reverse("assessment:scores"), {"period": "2026-05", "level": "township", "export": "xlsx", "reason": "核对"})
    assert r.status_code == 200 and "spreadsheet" in r["Content-Type"]
    bad = client.get(reverse("assessment:scores"), {"period": "2026-99"})
    assert bad.status_code == 200 and "考核期格式应为" in bad.content.decode()
    client.force_login(xw.user("t02_subcentre", "leader"))
    html = client.get(reverse("assessment:scores"), {"period": "2026-05"}).content.decode()
    assert "西城街道联合调解分中心" in html and "东城街道联合调解分中心" not in html


def test_detail_and_drill_down(xw, client, computed):
    s = Score.objects.get(unit=xw.unit("t01_subcentre"))
    client.force_login(xw.user("t01_subcentre", "leader"))
    html = client.get(reverse("assessment:score", args=[s.pk])).content.decode()
    assert "及时受理率" in html and "33.33%" in html and "排查轮次，非事项" in html and "/cases/?region=" in html
    item = s.items.get(indicator__code="repeat_change")
    page = client.get(reverse("assessment:item_cases", args=[s.pk, item.pk])).content.decode()
    assert computed["c2"].number in page and computed["c3"].number in page and computed["c1"].number not in page
    screening = s.items.get(indicator__code="screening_completion_rate")
    assert client.get(reverse("assessment:item_cases", args=[s.pk, screening.pk])).status_code == 404
    other = Score.objects.get(unit=xw.unit("t02_subcentre"))
    assert client.get(reverse("assessment:score", args=[other.pk])).status_code == 404
    client.force_login(xw.w.users["clerk_t01"])
    assert client.get(reverse("assessment:score", args=[s.pk])).status_code == 403
    assert client.get(reverse("assessment:scores")).status_code == 403


def test_compute_from_the_page(xw, client):
    client.force_login(xw.user("t01_subcentre", "officer"))
    assert client.post(reverse("assessment:compute"), {"period": "2026-05", "level": "township"}).status_code == 403
    client.force_login(xw.w.users["leader"])
    r = client.post(reverse("assessment:compute"), {"period": "2026-05", "level": "village"}, follow=True)
    html = r.content.decode()
    assert "已开始计算 2026-05" in html and Score.objects.filter(level="village").count() == 2
    assert 'data-testid="compute-progress"' in html and 'data-status="done"' in html and "查看最新排名" in html
    r = client.post(reverse("assessment:compute"), {"period": "x", "level": "village"}, follow=True)
    assert "考核期格式应为" in r.content.decode()


def test_scheme_editor(xw, client):
    client.force_login(xw.w.users["officer"])
    assert client.get(reverse("assessment:schemes")).status_code == 200
    assert client.get(reverse("assessment:scheme_new")).status_code == 403
    client.force_login(xw.w.users["leader"])
    scheme = Scheme.objects.get(period_type="month", level="mediator", active=True)
    page = client.get(reverse("assessment:scheme_edit", args=[scheme.pk]))
    assert page.status_code == 200 and "调解成功率" in page.content.decode()
    data = {"name": "调解员月度方案", "period_type": "month", "level": "mediator", "dynamic_share": "60", "active": "on",
            "note": "", "version": str(scheme.version), "items-TOTAL_FORMS": "3", "items-INITIAL_FORMS": "0",
            "items-0-indicator": "mediation_success_rate", "items-0-weight": "60", "items-0-method": "linear",
            "items-0-floor": "0.5", "items-0-target": "0.9", "items-0-if_empty": "full",
            "items-1-indicator": "follow_up_rate", "items-1-weight": "30", "items-1-method": "linear",
            "items-1-floor": "0.9", "items-1-target": "0.5", "items-1-if_empty": "full",
            "items-2-indicator": "", "items-2-method": "linear", "items-2-if_empty": "full"}
    r = client.post(reverse("assessment:scheme_edit", args=[scheme.pk]), data)
    html = r.content.decode()
    assert r.status_code == 422 and "越高越好，保底值应小于目标值" in html and "各项权重之和应为 100" in html
    data.update({"items-1-floor": "0.5", "items-1-target": "1", "items-1-weight": "40"})
    r = client.post(reverse("assessment:scheme_edit", args=[scheme.pk]), data)
    assert r.status_code == 302
    # the default scheme is not the district's: editing it saves the district's own scheme, the default stays
    own = Scheme.objects.get(period_type="month", level="mediator", active=True, region_path=xw.w.district.path)
    assert own.name == "调解员月度方案" and own.items.count() == 2
    scheme.refresh_from_db()
    assert scheme.active and scheme.name != own.name and scheme.region_path == ""
    data["version"] = "abc"  # a tampered version is a form error, never a 500
    r = client.post(reverse("assessment:scheme_edit", args=[own.pk]), data)
    assert r.status_code == 422 and "版本号无效" in r.content.decode()
    for field, value in (("items-0-weight", "abc"), ("items-0-floor", "x"), ("items-0-target", "inf"),
                         ("dynamic_share", "6o"), ("name", "方案\x00"), ("note", "说明\x07")):
        r = client.post(reverse("assessment:scheme_edit", args=[own.pk]), {**data, "version": str(own.version),
                                                                           field: value})
        assert r.status_code == 422, field
    own.refresh_from_db()
    assert own.version == 1


def test_bad_numbers_and_control_characters_are_form_errors(xw, client, computed):
    client.force_login(xw.w.users["leader"])
    for data in ({"period": "2026-05", "level": "township", "top": "abc"},
                 {"period": "2026-05", "level": "township", "top": "1", "note": "a\x00b"}):
        r = client.post(reverse("assessment:commendations"), data)
        assert r.status_code == 422
    assert not Commendation.objects.exists()
    r = client.post(reverse("assessment:accountability_new"), {"reason": "x\x01", "measure": "interview",
                                                               "decided_on": "2026-05-01", "unit": "abc"})
    assert r.status_code == 422


def test_accountability_needs_the_view_capability(xw, client):
    client.force_login(xw.w.users["mediator_t01"])
    assert client.get(reverse("assessment:accountability")).status_code == 403
    assert client.get("/api/v1/assessment/accountability").status_code == 403
    client.force_login(xw.w.users["officer"])
    assert client.get(reverse("assessment:accountability")).status_code == 200
    assert client.get("/api/v1/assessment/accountability").status_code == 200


def test_commendations_page(xw, client, computed):
    client.force_login(xw.w.users["leader"])
    r = client.post(reverse("assessment:commendations"), {"period": "2026-05", "level": "township", "top": "1"})
    assert r.status_code == 302
    c = Commendation.objects.get()
    html = client.get(reverse("assessment:commendations")).content.decode()
    assert c.name in html and "确认表彰" in html
    client.post(reverse("assessment:commendation_confirm", args=[c.pk]))
    c.refresh_from_db()
    assert c.status == "confirmed"
    r = client.post(reverse("assessment:commendations"), {"period": "2025-01", "level": "township", "top": "1"})
    assert r.status_code == 422 and "尚未计算" in r.content.decode()


def test_accountability_pages(xw, client, computed):
    client.force_login(xw.w.users["officer"])
    assert client.get(reverse("assessment:accountability")).status_code == 200
    assert client.get(reverse("assessment:accountability_new")).status_code == 403
    client.force_login(xw.w.users["leader"])
    form = client.get(reverse("assessment:accountability_new"), {"warning": computed["w1"].pk})
    assert form.status_code == 200 and "关联预警" in form.content.decode()
    r = client.post(reverse("assessment:accountability_new"), {"unit": xw.unit("t01_subcentre").pk, "measure": "notice",
                                                               "decided_on": "2026-05-20", "reason": ""})
    html = r.content.decode()
    assert r.status_code == 422 and "请关联一条预警或一个事项环节" in html and "请填写问责事由" in html
    r = client.post(reverse("assessment:accountability_new"), {
        "warning": computed["w1"].pk, "unit": xw.unit("t01_subcentre").pk, "measure": "notice", "person": "李某",
        "decided_on": "2026-05-20", "reason": "预警签收不及时"})
    assert r.status_code == 302 and Accountability.objects.get().person == "李某"
    html = client.get(reverse("assessment:accountability")).content.decode()
    assert "预警签收不及时" in html and "通报批评" in html
    assert client.get(reverse("assessment:accountability"), {"export": "xlsx", "reason": "核对"}).status_code == 200


def test_demo_hook(xw):
    from fangtiao.assessment import demo

    build_month(xw)
    rebuild()
    assert not demo.already_loaded()
    lines: list[str] = []
    with frozen(TODAY):
        demo.build(log=lines.append)
    assert demo.already_loaded()
    months = set(Score.objects.filter(level="township").values_list("period", flat=True))
    assert len(months) == 12 and "2026-05" in months
    assert Score.objects.filter(level="mediator", period="2026-05").exists()
    assert any("乡镇分中心" in line for line in lines)
    demo.build(log=lines.append)
    assert lines[-1] == "考核得分已存在，跳过"
    assert dt.date(2026, 6, 1) in set(Score.objects.values_list("start", flat=True))
