"""Journey: a township clerk finds a mediator, filters, exports, opens the record and reveals the
phone number — in a real Chromium against the live server, through the menus a user would use."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from fangtiao.core.testing.world import PASSWORD, World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

T01_MEDIATORS = ("王小明", "单晓曾", "赵春花")  # 东城街道 and its village 上洋村
OUTSIDE_T01 = ("李建国", "钱大伟")  # 西城街道 (another township); district committee (above the township)


def _world() -> World:
    return build_world()  # re-seeds the reference tables a previous transactional test flushed


def _table(page: Any) -> Any:
    return page.get_by_test_id("list-table")


def _names(page: Any) -> list[str]:
    """The 姓名 column (first cell) of the rows currently in the list table."""
    return [t.strip() for t in _table(page).locator("tbody tr td:first-child a").all_inner_texts()]


def _wait_for_list(page: Any, action: Any) -> None:
    """Run `action` (which triggers the htmx filter request) and wait for #list-table to be swapped."""
    with page.expect_response(lambda r: "/org/mediators/" in r.url and r.request.headers.get("hx-request") == "true") as resp:
        action()
    assert resp.value.ok, resp.value.status
    page.wait_for_function("() => !document.querySelector('#list-table.htmx-swapping, #list-table.htmx-settling')")


def test_clerk_finds_filters_exports_and_reveals_a_mediator(
    transactional_db: None, live_server: Any, page: Any, browser_login: Any, tmp_path: Path,
) -> None:
    from fangtiao.audit.models import AuditEvent

    world = _world()
    wang = world.mediators["wang_t01"]
    browser_login("clerk_t01", PASSWORD)

    # Through the navigation menu: 组织机构 → 调解员.
    page.get_by_role("button", name="组织机构").click()
    page.locator(".dropdown-menu.show").get_by_role("link", name="调解员", exact=True).click()
    expect(page.locator("h2.page-title")).to_have_text("调解员")
    expect(_table(page)).to_be_visible()
    names = _names(page)
    for name in T01_MEDIATORS:
        assert name in names, (name, names)
    for name in OUTSIDE_T01:
        assert name not in names, (name, names)
    expect(page.get_by_test_id("list-count")).to_contain_text(f"共 {len(T01_MEDIATORS)} 条")

    # Pinyin initials in the name box, submitted: htmx swaps #list-table only.
    box = page.get_by_label("姓名/拼音首字母")
    box.fill("wxm")
    _wait_for_list(page, lambda: page.get_by_role("button", name="查询").click())
    expect(_table(page).locator("tbody tr")).to_have_count(1)
    assert _names(page) == ["王小明"]
    expect(page.get_by_test_id("list-count")).to_contain_text("共 1 条")
    expect(page).to_have_url(re.compile(r"[?&]q=wxm"))  # hx-push-url keeps the filter in the address bar

    # 专兼职 = 专职 submits on change (app.js); the name box is cleared first so the filter shows.
    box.fill("")
    _wait_for_list(page, lambda: page.get_by_label("专兼职").select_option(label="专职"))
    expect(page.get_by_test_id("list-count")).to_contain_text("共 2 条")
    shown = _names(page)
    assert sorted(shown) == sorted(["王小明", "单晓曾"]), shown  # 赵春花 is part-time
    page.screenshot(path=str(tmp_path / "mediators-full-time.png"), full_page=True)

    # Export what the page shows.
    with page.expect_download() as dl:
        page.get_by_test_id("export-reason").fill("核对专职调解员名册")  # every export needs a reason
        page.get_by_test_id("export-xlsx").click()
    download = dl.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    saved = tmp_path / "mediators.xlsx"
    download.save_as(saved)
    ws = load_workbook(saved, read_only=True).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header, data = rows[0], rows[1:]
    assert "姓名" in header and "联系电话" in header, header
    name_i, phone_i = header.index("姓名"), header.index("联系电话")
    exported = [r[name_i] for r in data]
    assert sorted(exported) == sorted(shown), (exported, shown)
    assert "李建国" not in exported
    wang_row = next(r for r in data if r[name_i] == "王小明")
    assert "****" in str(wang_row[phone_i]) and "13912345678" not in str(wang_row[phone_i]), wang_row
    assert all("13912345678" not in str(v) for r in data for v in r)

    # The record: committee and the masked phone.
    _table(page).get_by_role("link", name="王小明", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/org/mediators/{wang.pk}/$"))
    fields = page.get_by_test_id("mediator-fields")
    expect(fields).to_contain_text("东城街道人民调解委员会")
    expect(fields).to_contain_text("139****5678")
    expect(fields).not_to_contain_text("13912345678")
    assert not AuditEvent.objects.filter(action="pii.revealed", subject_id=str(wang.pk)).exists()

    # 查看: the clerk may reveal; the hx-confirm dialog is accepted and the reveal is audited.
    dialogs: list[str] = []

    def _accept(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept("联系调解员")  # the reveal asks for its reason (a prompt)

    page.on("dialog", _accept)
    fields.get_by_role("button", name="查看").click()
    expect(fields.locator("[data-revealed]")).to_have_text("13912345678")
    assert dialogs and "审计" in dialogs[0], dialogs
    events = AuditEvent.objects.filter(action="pii.revealed", subject_type="org.mediator", subject_id=str(wang.pk))
    assert events.count() == 1
    event = events.get()
    assert event.actor_username == "clerk_t01"
    assert event.extra.get("field") == "phone"
    assert event.extra.get("reason") == "联系调解员"
    assert AuditEvent.objects.filter(action="export.xlsx", extra__reason="核对专职调解员名册").count() == 1


def test_other_township_clerk_gets_404_for_the_mediator(
    transactional_db: None, live_server: Any, page: Any, browser_login: Any,
) -> None:
    world = _world()
    browser_login("clerk_t02", PASSWORD)
    response = page.goto(f"{live_server.url}/org/mediators/{world.mediators['wang_t01'].pk}/")
    assert response is not None and response.status == 404
    expect(page.get_by_text("页面不存在，或不在您的管辖范围内")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("王小明")
