"""Registry pages: access per role and jurisdiction, filters, Excel export, forms, reveal."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from fangtiao.audit.models import AuditEvent
from fangtiao.org import services
from fangtiao.org.models import Mediator, Unit


def test_login_required(db, client):
    for path in ["/", "/org/mediators/", "/org/units/", "/audit/"]:
        r = client.get(path)
        assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_login_page_in_chinese(db, client):
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans">' in html and "账号" in html and "密码" in html


def test_wrong_password_message(world, client):
    html = client.post("/accounts/login/", {"username": "clerk_t01", "password": "x"}).content.decode()
    assert "账号或密码错误" in html


@pytest.mark.parametrize(
    ("username", "path", "status"),
    [
        ("clerk_t01", "/org/mediators/", 200),
        ("clerk_t01", "/org/staff/", 403),
        ("clerk_t01", "/org/staffing/", 403),
        ("clerk_t01", "/org/mediators/new/", 403),
        ("head_t01", "/org/mediators/new/", 200),
        ("head_t01", "/org/units/new/", 403),
        ("admin", "/org/units/new/", 200),
        ("leader", "/org/staffing/", 200),
        ("leader", "/org/staff/", 200),
        ("expert_user", "/org/experts/", 200),
    ],
)
def test_page_permissions(world, login, username, path, status):
    assert login(world.users[username]).get(path).status_code == status


def test_navigation_follows_capabilities(world, login):
    clerk = login(world.users["clerk_t01"]).get("/").content.decode()
    assert "调解员" in clerk and "审计日志" not in clerk and "工作人员" not in clerk
    admin = login(world.users["admin"]).get("/").content.decode()
    assert "审计日志" not in admin and "工作人员" in admin  # issue 9: the audit log is the audit administrator's
    auditor = login(world.users["auditor"]).get("/").content.decode()
    assert "审计日志" in auditor


def test_other_township_detail_is_404(world, login):
    c = login(world.users["clerk_t02"])
    assert c.get(f"/org/mediators/{world.mediators['wang_t01'].pk}/").status_code == 404
    assert c.get(f"/org/units/{world.units['t01_committee'].pk}/").status_code == 404
    assert c.get("/org/regions/331003001/").status_code == 404
    r = c.get(f"/org/mediators/{world.mediators['li_t02'].pk}/")
    assert r.status_code == 200 and "李建国" in r.content.decode()


def test_mediator_list_filters_and_pinyin(world, login):
    c = login(world.users["clerk_t01"])
    r = c.get("/org/mediators/", {"q": "wxm"})
    assert [row[0] for row in r.context["rows"]][0].startswith('<a href="/org/mediators/')
    assert r.context["page"].paginator.count == 1
    r = c.get("/org/mediators/", {"employment": "full_time"})
    assert r.context["page"].paginator.count == 2
    r = c.get("/org/mediators/", {"region": "331003002"})  # not offered, not valid
    assert "选择一个有效的选项" in r.content.decode() or r.context["form"].errors


def test_htmx_partial(world, login):
    r = login(world.users["clerk_t01"]).get("/org/mediators/", {"q": "wxm"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="list-table")
    html = r.content.decode()
    assert "<html" not in html and "王小明" in html


def test_excel_export(world, login):
    r = login(world.users["clerk_t01"]).get("/org/mediators/", {"employment": "full_time", "export": "xlsx", "reason": "核对"})
    assert r.status_code == 200
    assert "filename*=UTF-8''" in r["Content-Disposition"]
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "姓名"
    names = sorted(row[0] for row in rows[1:])
    assert names == ["单晓曾", "王小明"]
    phones = [row[6] for row in rows[1:]]
    assert "139****5678" in phones and "13912345678" not in phones
    event = AuditEvent.objects.filter(action="export.xlsx").latest("id")
    assert event.actor_username == "clerk_t01" and event.extra["list"] == "调解员"


def test_expert_cannot_export(world, login):
    assert login(world.users["expert_user"]).get("/org/experts/", {"export": "xlsx", "reason": "核对"}).status_code == 403


def test_staffing_rule(world, login):
    """西城街道 has 1 full-time township mediator (< 2): listed as short; 东城街道 has 2."""
    c = login(world.users["leader"])
    r = c.get("/org/staffing/")
    rows = {row["region"].name: row for row in r.context["rows"]}
    assert rows["东城街道"]["full_time"] == 2 and rows["东城街道"]["shortfall"] == 0
    assert rows["西城街道"]["full_time"] == 1 and rows["西城街道"]["shortfall"] == 1
    short = c.get("/org/staffing/", {"short": "1"})
    assert [row["region"].name for row in short.context["rows"]] == ["西城街道"]
    home = c.get("/").content.decode()
    assert "西城街道：1 / 2" in home
    # Retiring one of 东城's two makes it short too.
    services.mediator_update(actor=world.users["admin"], mediator=world.mediators["shan_t01"], status="retired")
    rows = {row["region"].name: row for row in c.get("/org/staffing/").context["rows"]}
    assert rows["东城街道"]["shortfall"] == 1


def test_staffing_minimum_is_configurable(world, login, settings):
    settings.FANGTIAO_MIN_FULLTIME_MEDIATORS_PER_TOWNSHIP = 1
    r = login(world.users["leader"]).get("/org/staffing/", {"short": "1"})
    assert r.context["rows"] == []


def test_mediator_create_form(world, login):
    c = login(world.users["head_t01"])
    r = c.post("/org/mediators/new/", {"name": "周新", "unit": world.units["t01_committee"].pk, "employment": "part_time",
                                       "rank": "regular", "status": "active", "specialties": ["neighbour"],
                                       "phone": "13600001111", "joined_on": "2025年3月1日"})
    assert r.status_code == 302
    m = Mediator.objects.get(name="周新")
    assert str(m.joined_on) == "2025-03-01" and m.phone == "13600001111"


def test_mediator_form_bad_input(world, login):
    c = login(world.users["head_t01"])
    r = c.post("/org/mediators/new/", {"name": "周新", "unit": world.units["t01_committee"].pk, "employment": "part_time",
                                       "rank": "regular", "status": "active", "phone": "12345", "joined_on": "明年"})
    html = r.content.decode()
    assert r.status_code == 200
    assert "日期格式不正确" in html
    assert not Mediator.objects.filter(name="周新").exists()
    r = c.post("/org/mediators/new/", {"name": "周新", "unit": world.units["t01_committee"].pk, "employment": "part_time",
                                       "rank": "regular", "status": "active", "phone": "12345"})
    assert "手机号码应为以1开头的11位数字" in r.content.decode()
    assert not Mediator.objects.filter(name="周新").exists()


def test_head_cannot_pick_another_committee(world, login):
    r = login(world.users["head_t01"]).post("/org/mediators/new/", {
        "name": "周新", "unit": world.units["v01_committee"].pk, "employment": "part_time", "rank": "regular", "status": "active"})
    assert r.status_code == 200 and not Mediator.objects.filter(name="周新").exists()


def test_unit_edit_form(world, login):
    c = login(world.users["admin"])
    unit = world.units["t01_committee"]
    r = c.post(f"/org/units/{unit.pk}/edit/", {"name": unit.name, "short_name": "东城调委会", "kind": unit.kind, "level": unit.level,
                                                 "region": unit.region.code, "phone": "0576-84000000", "active": "on"})
    assert r.status_code == 302
    assert Unit.objects.get(pk=unit.pk).short_name == "东城调委会"
    assert AuditEvent.objects.filter(action="org.unit.updated", subject_id=str(unit.pk)).exists()


def test_expert_create_form(world, login):
    c = login(world.users["admin"])
    r = c.post("/org/experts/new/", {"name": "吴工", "kind": "specialist", "fields_text": "建筑工程、造价",
                                     "unit": world.units["centre"].pk, "status": "active"})
    assert r.status_code == 302


def test_reveal_endpoint(world, login):
    m = world.mediators["wang_t01"]
    c = login(world.users["clerk_t01"])
    detail = c.get(f"/org/mediators/{m.pk}/").content.decode()
    assert "139****5678" in detail and "13912345678" not in detail
    r = c.post(f"/org/reveal/mediator/{m.pk}/phone/", {"reason": "联系调解"})
    assert r.status_code == 200 and "13912345678" in r.content.decode()
    assert "no-store" in r["Cache-Control"]
    assert AuditEvent.objects.filter(action="pii.revealed", subject_id=str(m.pk), actor_username="clerk_t01").exists()
    assert c.get(f"/org/reveal/mediator/{m.pk}/phone/").status_code == 405


def test_reveal_denied(world, login):
    m = world.mediators["wang_t01"]
    assert login(world.users["mediator_t01"]).post(f"/org/reveal/mediator/{m.pk}/phone/", {"reason": "x"}).status_code == 403
    assert login(world.users["clerk_t02"]).post(f"/org/reveal/mediator/{m.pk}/phone/", {"reason": "x"}).status_code == 404
    assert not AuditEvent.objects.filter(action="pii.revealed").exists()


@pytest.mark.parametrize(
    ("path", "narrow"),
    [("/org/mediators/", "调解员1"), ("/org/experts/", "专家1"), ("/org/units/", "东城"), ("/org/regions/", "东城"),
     ("/org/staff/", "clerk_t01")],
)
def test_list_page_query_count_constant(world, login, path, narrow):
    """A full page (30 rows) costs the same queries as a page of a few rows."""
    for i in range(35):
        services.mediator_create(actor=None, name=f"调解员{i}", unit=world.units["t01_committee"], employment="part_time",
                                 specialties=["neighbour"])
        services.expert_create(actor=None, name=f"专家{i}", kind="lawyer", unit=world.units["centre"], specialties=["labour"])
    c = login(world.users["admin"])

    def run(params):
        with CaptureQueriesContext(connection) as ctx:
            r = c.get(path, params)
        assert r.status_code == 200 and r.context["rows"]
        return len(ctx.captured_queries), len(r.context["rows"])

    run({})
    full_queries, full_rows = run({})
    narrow_queries, narrow_rows = run({"q": narrow})
    assert narrow_rows < full_rows
    assert full_queries == narrow_queries


def test_detail_pages(world, login):
    c = login(world.users["admin"])
    assert "王小明" in c.get(f"/org/mediators/{world.mediators['wang_t01'].pk}/").content.decode()
    assert "孙律师" in c.get(f"/org/experts/{world.experts['lawyer'].pk}/").content.decode()
    html = c.get(f"/org/units/{world.units['t01_committee'].pk}/").content.decode()
    assert "王小明" in html and "单晓曾" in html
    html = c.get("/org/regions/331003001/").content.decode()
    assert "上洋村" in html and "东城街道联合调解分中心" in html
    assert "clerk_t01" in c.get(f"/org/staff/{world.users['clerk_t01'].pk}/").content.decode()


def test_vendored_assets_are_served(db, client):
    """Tabler and htmx come from our own server (offline intranets), never from a CDN."""
    for path in ["/static/vendor/tabler-1.6.1/tabler.min.css", "/static/vendor/htmx-2.0.11/htmx.min.js", "/static/fangtiao/app.js"]:
        r = client.get(path)
        assert r.status_code == 200, path
    html = client.get("/accounts/login/").content.decode()
    assert "http://" not in html and "https://" not in html
