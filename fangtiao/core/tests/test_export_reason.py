"""Every export and every full reveal needs a reason and is audited with it (个人信息保护法 第51条;
security-reliability.md §6 item 15)."""

import pytest

from fangtiao.audit.models import AuditEvent
from fangtiao.core.errors import ValidationFailed
from fangtiao.org import services as org_services


def test_export_without_a_valid_reason_is_refused_with_the_message(world, login):
    c = login(world.users["clerk_t01"])
    for reason in (None, "", "   ", "长" * 201):
        query = {"employment": "full_time", "export": "xlsx"} | ({} if reason is None else {"reason": reason})
        r = c.get("/org/mediators/", query)
        assert r.status_code == 302 and r["Location"] == "/org/mediators/?employment=full_time"
        page = c.get(r["Location"])
        assert "导出前请填写导出事由" in page.content.decode()
    assert not AuditEvent.objects.filter(action="export.xlsx").exists()


def test_export_reason_is_audited_and_the_list_offers_the_form(world, login):
    c = login(world.users["clerk_t01"])
    html = c.get("/org/mediators/", {"employment": "full_time", "page": "1"}).content.decode()
    assert 'data-testid="export-form"' in html and 'name="reason"' in html and "required" in html
    assert '<input type="hidden" name="employment" value="full_time">' in html and 'name="page"' not in html
    r = c.get("/org/mediators/", {"employment": "full_time", "export": "xlsx", "reason": " 核对专职名册 "})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    event = AuditEvent.objects.get(action="export.xlsx")
    assert event.extra["reason"] == "核对专职名册" and "full_time" in str(event.extra["filters"])


def test_export_without_reason_from_htmx_is_a_400(world, login):
    r = login(world.users["clerk_t01"]).get("/org/mediators/", {"export": "xlsx"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400 and "导出事由" in r.content.decode()


def test_reveal_needs_a_reason(world, login):
    m = world.mediators["wang_t01"]
    c = login(world.users["clerk_t01"])
    for data in ({}, {"reason": ""}, {"reason": "  "}, {"reason": "长" * 201}):
        r = c.post(f"/org/reveal/mediator/{m.pk}/phone/", data)
        assert r.status_code == 400 and "查看事由" in r.content.decode(), data
        assert "13912345678" not in r.content.decode()
    assert not AuditEvent.objects.filter(action="pii.revealed").exists()
    r = c.post(f"/org/reveal/mediator/{m.pk}/phone/", {"reason": "联系调解"})
    assert r.status_code == 200 and "13912345678" in r.content.decode()
    assert AuditEvent.objects.get(action="pii.revealed").extra == {"field": "phone", "reason": "联系调解"}
    # Outside the jurisdiction it stays a 404 with a reason, and the service refuses an empty one itself.
    assert login(world.users["clerk_t02"]).post(f"/org/reveal/mediator/{m.pk}/phone/", {"reason": "x"}).status_code == 404
    with pytest.raises(ValidationFailed):
        org_services.pii_reveal(actor=world.users["clerk_t01"], kind="mediator", pk=m.pk, field="phone", reason=" ")
