"""Journeys of issue 3 in a real Chromium against the live server, through the menus a user uses:

(a) a township clerk of 东城街道 registers a collective petition at the window (200 owners, a
    property fee, 5 representatives) from the keyboard → an officer of the same sub-centre accepts
    it and routes it to mediation at the 东城街道人民调解委员会 with both parties' consent (a
    transfer) → the committee head signs for it in 待签收 → 调解中.
(b) a transfer returned with reasons: the officer transfers a matter to the committee, the head
    returns it (退回), the officer finds it back in 待办 with the reason in the timeline and inbox.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from fangtiao.cases import services
from fangtiao.cases.models import Case, Transfer
from fangtiao.core.testing.world import PASSWORD, World, build_world
from fangtiao.core.validators import id_check_char
from fangtiao.org import services as org_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

V01 = "331003001201"  # 上洋村 (东城街道)
REPRESENTATIVES = ("张建华", "李秀英", "王志强", "陈美玲", "刘国栋")


def idn(seq: int) -> str:
    first17 = f"33100319750315{seq:03d}"
    return first17 + id_check_char(first17)


def _world() -> tuple[World, Any]:
    world = build_world()  # re-seeds the reference tables a previous transactional test flushed
    officer = org_services.staff_create(actor=None, username="officer_t01", name="东城信访干部",
                                        unit=world.units["t01_subcentre"], roles=["officer"], password=PASSWORD)
    return world, officer


def _menu(page: Any, top: str, item: str) -> None:
    page.get_by_role("button", name=top).click()
    page.locator(".dropdown-menu.show").get_by_role("link", name=item, exact=True).click()


def _switch_user(page: Any, browser_login: Any, username: str) -> None:
    """Log out through the user menu, then log in as someone else."""
    page.get_by_test_id("user-menu").click()
    with page.expect_navigation():
        page.get_by_role("button", name="退出登录").click()
    browser_login(username, PASSWORD)


def _open_action(page: Any, label: str) -> Any:
    """Click an action button of the case page; htmx loads its form into the action panel."""
    page.get_by_test_id("case-actions").get_by_role("link", name=label, exact=True).click()
    form = page.get_by_test_id("action-form")
    expect(form).to_be_visible()
    return form


def _submit_action(page: Any, form: Any) -> None:
    with page.expect_navigation():
        form.get_by_test_id("action-submit").click()
    expect(page.locator(".alert-success")).to_contain_text("操作成功")


def _row(page: Any, i: int, field: str) -> Any:
    return page.locator(f'[name="parties-{i}-{field}"]')


def test_window_intake_of_a_collective_petition_to_mediation(
    transactional_db: None, live_server: Any, page: Any, browser_login: Any, tmp_path: Path,
) -> None:
    world, officer = _world()
    # An earlier matter of the first representative (another dispute type): shown as a hint, not linked.
    earlier, _ = services.case_register(actor=world.users["clerk_t01"], data={
        "channel": "visit", "kind": "dispute", "title": "邻里漏水纠纷", "category": "neighbour", "region": V01,
        "demands": "修复漏水", "parties": [{"role": "petitioner", "name": REPRESENTATIVES[0], "id_number": idn(1),
                                            "address": "上洋村幸福小区1幢"}]})

    browser_login("clerk_t01", PASSWORD)
    _menu(page, "事项", "窗口登记")
    expect(page.locator("h2.page-title")).to_have_text("窗口登记")
    expect(page.locator("#id_channel")).to_be_focused()  # keyboard-first: the first field has the focus

    # Channel variants: a letter has no oral record but a date of arrival; a visit is recorded verbatim.
    oral = page.locator('[data-field="oral_record"]')
    expect(oral).to_be_visible()
    page.locator("#id_channel").select_option(label="来信")
    expect(oral).to_be_hidden()
    expect(page.get_by_label("收信日期")).to_be_visible()
    page.locator("#id_channel").select_option(label="来访")
    expect(oral).to_be_visible()
    expect(page.get_by_label("收信日期")).to_be_hidden()

    page.locator("#id_kind").select_option(label="信访事项")
    page.get_by_label("信访事项性质").select_option(label="申诉求决类")
    page.locator("#id_category").select_option(label="物业")
    page.get_by_label("筛选发生地").fill("syc")  # pinyin initials of 上洋村
    expect(page.locator("#id_region")).to_have_value(V01)
    page.get_by_label("事项标题").fill("幸福小区200户业主反映物业费上涨")
    page.get_by_label("口头信访如实记录").fill("业主代表称：物业公司未经业主大会同意将物业费由每平方米1.2元上调至2元，"
                                                 "业主多次协商未果，约200户业主联名要求恢复原收费标准。")
    page.get_by_label("请求").fill("恢复原物业费标准，退还多收部分")
    page.get_by_label("发生日期").fill("2026年10月1日")
    page.get_by_label("涉及人数").fill("200")
    expect(page.locator("[data-collective-note]")).to_be_visible()

    # The party grid from the keyboard: Enter never submits; at the end of the last row it adds a row.
    rows = page.locator("#party-rows tr")
    expect(rows).to_have_count(2)
    _row(page, 1, "role").select_option(label="信访人/申请人")
    for i, name in enumerate(REPRESENTATIVES):
        if i >= 2:
            _row(page, i - 1, "address").press("Enter")
            expect(rows).to_have_count(i + 1)
            expect(_row(page, i, "name")).to_be_focused()
        _row(page, i, "name").fill(name)
        _row(page, i, "id_number").fill(idn(i + 1))
        _row(page, i, "phone").fill(f"1391234{i + 1:04d}")
        _row(page, i, "address").fill(f"上洋村幸福小区{i + 1}幢")
        _row(page, i, "is_representative").check()
    expect(page.get_by_test_id("rep-counter")).to_contain_text("5 / 5")
    assert page.url.endswith("/cases/new/") and Case.objects.count() == 1  # nothing submitted by Enter

    # Duplicate hints while typing: the first representative's earlier matter appears beside the form.
    expect(page.get_by_test_id("hint")).to_contain_text(earlier.number)

    page.get_by_test_id("add-party").click()
    expect(rows).to_have_count(6)
    _row(page, 5, "role").select_option(label="被申请人/对方当事人")
    _row(page, 5, "type").select_option(label="法人或其他组织")
    _row(page, 5, "name").fill("台州市某某物业服务有限公司")
    page.screenshot(path=str(tmp_path / "intake.png"), full_page=True)

    with page.expect_navigation():
        page.get_by_label("请求").press("Control+Enter")
    expect(page.locator("h2.page-title")).to_have_text("登记回执")
    case = Case.objects.exclude(pk=earlier.pk).get()
    assert case.is_collective and case.headcount == 200 and case.oral
    assert case.parties.filter(is_representative=True).count() == 5
    assert not case.links.exists()  # another matter of the same person: a hint only
    receipt = page.get_by_test_id("receipt")
    expect(receipt.get_by_test_id("receipt-number")).to_have_text(case.number)
    code = page.get_by_test_id("query-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{12}", code), code
    assert services.query_code_hash(code) == case.query_code_hash
    expect(receipt).to_contain_text("/portal/")
    expect(page.get_by_test_id("receipt-next")).to_contain_text("年")
    page.screenshot(path=str(tmp_path / "receipt.png"), full_page=True)
    page.emulate_media(media="print")  # the printed receipt: no navigation, no buttons, the code kept
    expect(page.locator("header.navbar")).to_be_hidden()
    expect(page.get_by_test_id("print-a5")).to_be_hidden()
    expect(page.get_by_test_id("query-code")).to_be_visible()
    page.pdf(path=str(tmp_path / "receipt.pdf"), prefer_css_page_size=True)
    page.emulate_media(media="screen")
    page.reload()
    expect(page.get_by_test_id("no-query-code")).to_be_visible()  # shown once only
    expect(page.locator("body")).not_to_contain_text(code)

    # The officer of the same sub-centre accepts and routes to mediation with both parties' consent.
    _switch_user(page, browser_login, "officer_t01")
    _menu(page, "事项", "待办")
    page.get_by_test_id("todo").get_by_role("link", name=case.number).click()
    expect(page.get_by_test_id("case-flags")).to_contain_text("集体")
    expect(page.get_by_test_id("parties")).not_to_contain_text(idn(1))  # masked
    form = _open_action(page, "受理")
    form.get_by_label("受理告知内容").fill("您反映的物业费问题已依法受理。")
    _submit_action(page, form)
    expect(page.get_by_test_id("case-status")).to_have_text("已受理")
    form = _open_action(page, "分流")
    form.get_by_label("分流去向").select_option(label="调解前置（人民调解）")
    form.get_by_label("承办单位").select_option(label="东城街道人民调解委员会")
    form.get_by_label("交办要求").fill("请组织业主代表与物业公司调解")
    form.get_by_label("双方当事人同意调解").check()
    _submit_action(page, form)
    expect(page.get_by_test_id("case-status")).to_have_text("移交待签收")
    transfer = Transfer.objects.get(case=case)
    expect(page.get_by_test_id("transfers")).to_contain_text(transfer.number)

    # The committee head signs for it.
    _switch_user(page, browser_login, "head_t01")
    page.get_by_test_id("nav-inbox").click()
    to_receive = page.get_by_test_id("to-receive")
    expect(to_receive).to_contain_text(transfer.number)
    to_receive.get_by_role("link", name="办理").click()
    form = _open_action(page, "签收")
    _submit_action(page, form)
    expect(page.get_by_test_id("case-status")).to_have_text("调解中")
    expect(page.get_by_test_id("holder-unit")).to_have_text("东城街道人民调解委员会")
    expect(page.get_by_test_id("transfers")).to_contain_text("已签收")
    page.screenshot(path=str(tmp_path / "detail.png"), full_page=True)
    case.refresh_from_db()
    assert case.status == "mediating" and case.holder_unit_id == world.units["t01_committee"].pk


def test_transfer_returned_with_reasons(
    transactional_db: None, live_server: Any, page: Any, browser_login: Any,
) -> None:
    world, officer = _world()
    case, _ = services.case_register(actor=world.users["clerk_t01"], data={
        "channel": "phone", "kind": "petition", "nature": "claim", "title": "村道施工影响通行",
        "oral_record": "来电人称村道施工半年未完工。", "demands": "尽快完工", "category": "other", "region": V01,
        "parties": [{"role": "petitioner", "name": "周某", "phone": "13812345678", "address": "上洋村"}]})
    reason = "该事项属于村道建设管理，不属于人民调解范围，请转交职能部门"

    browser_login("officer_t01", PASSWORD)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    form = _open_action(page, "移交")
    form.get_by_label("移交单位").select_option(label="东城街道人民调解委员会")
    form.get_by_label("移交说明").fill("请调处")
    _submit_action(page, form)
    expect(page.get_by_test_id("case-status")).to_have_text("移交待签收")

    _switch_user(page, browser_login, "head_t01")
    page.get_by_test_id("nav-inbox").click()
    page.get_by_test_id("to-receive").get_by_role("link", name="办理").click()
    form = _open_action(page, "退回（说明理由）")
    form.get_by_test_id("action-submit").click()  # no reason: the form says so and nothing changes
    expect(form.locator(".invalid-feedback")).to_be_visible()
    form = page.get_by_test_id("action-form")
    form.get_by_label("退回理由").fill(reason)
    _submit_action(page, form)
    expect(page.get_by_test_id("transfers")).to_contain_text("已退回")

    _switch_user(page, browser_login, "officer_t01")
    inbox_link = page.get_by_test_id("nav-inbox")
    expect(inbox_link.get_by_test_id("unread-count")).to_have_text("1")
    inbox_link.click()
    todo = page.get_by_test_id("todo")
    expect(todo).to_contain_text(case.number)
    expect(page.get_by_test_id("inbox-notifications")).to_contain_text(reason)
    todo.get_by_role("link", name=case.number).click()
    expect(page.get_by_test_id("case-status")).to_have_text("已登记")
    expect(page.get_by_test_id("timeline")).to_contain_text(reason)
    expect(page.get_by_test_id("transfers")).to_contain_text(reason)

    # The notice list: mark it read, the badge goes.
    page.goto(f"{live_server.url}/inbox/notifications/")
    expect(page.get_by_test_id("list-table")).to_contain_text("被退回")
    page.get_by_test_id("mark-read").click()
    expect(page.get_by_test_id("list-table")).to_contain_text("已读")
    expect(page.get_by_test_id("mark-read")).to_have_count(0)
    expect(page.get_by_test_id("nav-inbox").get_by_test_id("unread-count")).to_have_text("")
