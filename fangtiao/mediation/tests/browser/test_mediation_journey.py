"""The back half of the process in a real Chromium against the live server, through the menus and
pages each person uses (a tablet-sized window for the mediator's parts):

the committee head of 东城街道 signs for a transfer and assigns a mediator from the 指派看板 → the
mediator records a session from the 调解工作台 → writes the agreement with one obligation in the
editor (seeing a live check of 第29条 turn red for an oral agreement with a later due date) → the
parties, the mediator and the committee sign on the tablet (drawn on the canvas) → applies for
judicial confirmation → the court liaison records the confirmation from the 司法确认队列 → the
mediator records the performance and a follow-up → the head closes and archives → the 卷宗目录
lists the file with its 卷内目录."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangtiao.cases import services
from fangtiao.cases.models import Case, Transfer
from fangtiao.core.testing.world import PASSWORD, World, build_world
from fangtiao.core.validators import id_check_char
from fangtiao.mediation.models import Agreement, ArchiveFile, Signature
from fangtiao.org import services as org_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

V01 = "331003001201"  # 上洋村 (东城街道)
TABLET = {"width": 1024, "height": 1366}  # a tablet held upright


def idn(seq: int) -> str:
    first17 = f"33100319800101{seq:03d}"
    return first17 + id_check_char(first17)


def _world() -> tuple[World, Any]:
    world = build_world()
    officer = org_services.staff_create(actor=None, username="officer_t01", name="东城信访干部",
                                        unit=world.units["t01_subcentre"], roles=["officer"], password=PASSWORD)
    org_services.staff_create(actor=None, username="liaison_court", name="法院联络员", unit=world.units["court"],
                              roles=["court_liaison"], password=PASSWORD)
    return world, officer


def _transferred_case(world: World, officer: Any) -> Case:
    """A property-fee petition accepted and sent to the 东城 committee with both parties' consent."""
    case, _ = services.case_register(actor=world.users["clerk_t01"], data={
        "channel": "visit", "kind": "petition", "nature": "claim", "title": "物业公司多收电梯维修费",
        "oral_record": "信访人称物业公司2026年起每户多收电梯维修费300元。", "demands": "退还多收的300元",
        "description": "物业公司重复收取电梯维修费。", "category": "property", "region": V01,
        "parties": [
            {"role": "petitioner", "type": "person", "name": "周秀兰", "id_number": idn(7), "phone": "13812345601",
             "address": "上洋村幸福小区3幢"},
            {"role": "respondent", "type": "organisation", "name": "台州市某某物业服务有限公司"},
        ]})
    services.case_act(case=case.pk, actor=officer, action="accept", data={"version": case.version, "notice": "已受理"})
    case.refresh_from_db()
    services.case_act(case=case.pk, actor=officer, action="route", data={
        "version": case.version, "to": "mediation", "unit": world.units["t01_committee"].pk, "consent": True,
        "task": "请组织双方调解"})
    case.refresh_from_db()
    assert case.status == "transferring"
    return case


def _menu(page: Any, top: str, item: str) -> None:
    page.get_by_role("button", name=top).click()
    page.locator(".dropdown-menu.show").get_by_role("link", name=item, exact=True).click()


def _switch_user(page: Any, browser_login: Any, username: str) -> None:
    page.get_by_test_id("user-menu").click()
    with page.expect_navigation():
        page.get_by_role("button", name="退出登录").click()
    browser_login(username, PASSWORD)


def _open_action(page: Any, label: str) -> Any:
    page.get_by_test_id("case-actions").get_by_role("link", name=label, exact=True).click()
    form = page.get_by_test_id("action-form")
    expect(form).to_be_visible()
    return form


def _submit(page: Any, button: Any) -> None:
    with page.expect_navigation():
        button.click()
    expect(page.locator(".alert-success")).to_be_visible()


def _draw(page: Any, pad: Any) -> None:
    """A signature with the pointer: down, a few strokes, up (what a finger does on a tablet)."""
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 30, y + 120)
    page.mouse.down()
    page.mouse.move(x + 90, y + 40, steps=6)
    page.mouse.move(x + 150, y + 150, steps=6)
    page.mouse.move(x + 230, y + 60, steps=6)
    page.mouse.up()


def test_transfer_to_archive_on_the_tablet(
    transactional_db: None, live_server: Any, page: Any, browser_login: Any, tmp_path: Path,
) -> None:
    world, officer = _world()
    case = _transferred_case(world, officer)
    transfer = Transfer.objects.get(case=case)
    page.set_viewport_size(TABLET)

    # The committee head signs for the transfer …
    browser_login("head_t01", PASSWORD)
    page.get_by_test_id("nav-inbox").click()
    to_receive = page.get_by_test_id("to-receive")
    expect(to_receive).to_contain_text(transfer.number)
    to_receive.get_by_role("link", name="办理").click()
    form = _open_action(page, "签收")
    _submit(page, form.get_by_test_id("action-submit"))
    expect(page.get_by_test_id("case-status")).to_have_text("调解中")
    expect(page.get_by_test_id("mediation-panel")).to_contain_text("尚未指派调解员")

    # … and assigns the mediator the board suggests, with the reasons shown.
    _menu(page, "人民调解", "指派看板")
    card = page.get_by_test_id("round").filter(has_text=case.number)
    suggestion = card.get_by_test_id("suggestion").filter(has_text="王小明")
    expect(suggestion).to_contain_text("擅长物业纠纷")
    expect(suggestion).to_contain_text("本调委会调解员")
    expect(page.get_by_test_id("loads-table")).to_contain_text("王小明")
    page.screenshot(path=str(tmp_path / "board.png"), full_page=True)
    _submit(page, suggestion.get_by_test_id("assign"))
    expect(page.locator(".alert-success")).to_contain_text("已指派王小明")
    expect(page.get_by_test_id("board-empty")).to_be_visible()

    # The mediator records the session from the workspace.
    _switch_user(page, browser_login, "mediator_t01")
    _menu(page, "人民调解", "调解工作台")
    expect(page.get_by_test_id("stage-count-mediating")).to_have_text("1")
    page.screenshot(path=str(tmp_path / "workspace.png"), full_page=True)
    row = page.get_by_test_id("stage-mediating").locator(f'[data-case="{case.number}"]')
    row.get_by_role("link", name="记录调解").click()
    form = page.get_by_test_id("action-form")
    expect(form).to_have_attribute("data-action", "record_session")
    expect(form.get_by_label("如期进行（不勾选即记录当事人未到场）")).to_be_checked()
    form.get_by_label("申请人陈述", exact=True).fill("物业公司每户多收电梯维修费300元，要求退还。")
    form.get_by_label("被申请人陈述").fill("经核对确有重复收取，同意退还。")
    form.get_by_label("结果", exact=True).select_option(label="达成协议")
    _submit(page, form.get_by_test_id("action-submit"))
    expect(page.get_by_test_id("workspace")).to_be_visible()

    # The agreement in the editor, with the live checks of 第29条.
    page.get_by_test_id("stage-mediating").locator(f'[data-case="{case.number}"]').get_by_role("link", name="调解协议").click()
    expect(page.locator("h2.page-title")).to_have_text("调解协议")
    checks = page.get_by_test_id("law-checks")
    expect(checks.locator('[data-check="terms"]')).to_have_attribute("data-state", "error")
    page.get_by_label("协议内容").fill("台州市某某物业服务有限公司退还周秀兰多收的电梯维修费300元。")
    expect(checks.locator('[data-check="terms"]')).to_have_attribute("data-state", "ok")
    row = page.get_by_test_id("obligation-row").first
    row.get_by_label("履行义务人").select_option(label="台州市某某物业服务有限公司（被申请人/对方当事人）")
    row.get_by_label("义务内容").fill("退还电梯维修费")
    row.get_by_label("金额（元）").fill("300")
    due = timezone.localdate() + dt.timedelta(days=10)
    row.get_by_label("履行期限").fill(due.isoformat())
    page.get_by_label("口头协议").check()  # not performed at once: the law wants it in writing
    expect(checks.locator('[data-check="form"]')).to_have_attribute("data-state", "error")
    expect(checks.locator('[data-check="form"]')).to_contain_text("应当制作书面调解协议")
    expect(row.locator("[data-live-error]")).to_contain_text("应当制作书面调解协议")
    page.screenshot(path=str(tmp_path / "agreement-oral.png"), full_page=True)
    page.get_by_label("书面协议").check()
    expect(checks.locator('[data-check="form"]')).to_have_attribute("data-state", "ok")
    expect(checks.locator('[data-check="copies"]')).to_contain_text("一式3份")
    expect(checks.locator("[data-check-summary]")).to_have_text("已符合法定要件")
    with page.expect_navigation():
        page.get_by_test_id("agreement-submit").click()
    expect(page.locator("h2.page-title")).to_contain_text("签署调解协议")
    agreement = Agreement.objects.get(case=case)
    assert agreement.status == "signing" and agreement.obligations.get().due_on == due

    # Signing on the tablet: the petitioner and the mediator write by hand, the company seals.
    parties = {p.name: p for p in case.parties.all()}
    petitioner = page.get_by_test_id(f"signer-p{parties['周秀兰'].pk}")
    _draw(page, petitioner.locator("canvas"))
    expect(petitioner.locator("[data-sign-on]")).to_be_checked()
    company = page.get_by_test_id(f"signer-p{parties['台州市某某物业服务有限公司'].pk}")
    company.locator("[data-sign-on]").check()
    expect(company.get_by_label("方式")).to_have_value("seal")
    expect(company.locator("canvas")).to_be_hidden()  # a seal goes on the paper; no pad
    mediator = page.get_by_test_id(f"signer-m{world.mediators['wang_t01'].pk}")
    _draw(page, mediator.locator("canvas"))
    page.get_by_test_id("signer-seal").locator("[data-sign-on]").check()
    page.screenshot(path=str(tmp_path / "signing.png"), full_page=True)
    _submit(page, page.get_by_test_id("sign-submit"))
    expect(page.locator(".alert-success")).to_contain_text("调解协议自")
    panel = page.get_by_test_id("mediation-panel")
    expect(panel.get_by_test_id("agreement-status")).to_have_text("已生效")
    page.screenshot(path=str(tmp_path / "case-panel.png"), full_page=True)
    sig = Signature.objects.get(agreement=agreement, party=parties["周秀兰"])
    assert sig.image.startswith("data:image/png;base64,") and len(sig.image) > 500

    # Judicial confirmation: the competent court is offered with its reason.
    panel.get_by_test_id("mediation-actions").get_by_role("link", name="申请司法确认").click()
    form = page.get_by_test_id("action-form")
    form.get_by_label("人民法院").select_option(index=1)
    expect(form.get_by_label("人民法院")).to_contain_text("黄岩区人民法院")
    expect(form.get_by_label("双方当事人共同申请")).to_be_checked()
    _submit(page, form.get_by_test_id("action-submit"))
    expect(page.get_by_test_id("case-status")).to_have_text("司法确认中")

    # The court liaison decides from the queue, the clocks in view.
    _switch_user(page, browser_login, "liaison_court")
    _menu(page, "人民调解", "司法确认队列")
    queue = page.get_by_test_id("list-table")
    expect(queue).to_contain_text(case.number)
    expect(queue.locator('[data-clock="confirmation.accept"]')).to_contain_text("剩3日")
    queue.get_by_test_id("court-decide").click()
    form = page.get_by_test_id("action-form")
    form.get_by_label("结果", exact=True).select_option(label="裁定确认有效")
    form.get_by_label("案号").fill("（2026）浙1003民特1号")
    _submit(page, form.get_by_test_id("action-submit"))
    expect(page.locator("h2.page-title")).to_have_text("司法确认队列")
    expect(page.get_by_test_id("list-table")).not_to_contain_text(case.number)

    # The mediator records the payment and visits the parties again.
    _switch_user(page, browser_login, "mediator_t01")
    _menu(page, "人民调解", "调解工作台")
    page.get_by_test_id("stage-performing").locator(f'[data-case="{case.number}"]').get_by_role("link", name="登记履行").click()
    form = page.get_by_test_id("action-form")
    form.locator("#id_obligation").select_option(index=1)
    expect(form.locator("#id_obligation")).to_contain_text("退还电梯维修费")
    form.get_by_label("履行凭证").select_option(label="转账/汇款凭证")
    _submit(page, form.get_by_test_id("action-submit"))
    page.get_by_test_id("stage-follow_up").locator(f'[data-case="{case.number}"]').get_by_role("link", name="回访").click()
    form = page.get_by_test_id("action-form")
    form.get_by_label("方式", exact=True).select_option(label="电话回访")
    form.get_by_label("当事人满意度").select_option(label="满意")
    form.get_by_label("其他", exact=True).fill("已收到退款，双方无异议。")
    _submit(page, form.get_by_test_id("action-submit"))
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(page.get_by_test_id("case-status")).to_have_text("已履行")
    expect(page.get_by_test_id("follow-ups")).to_contain_text("满意")

    # The head closes and archives; the archive lists the file.
    _switch_user(page, browser_login, "head_t01")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    form = _open_action(page, "办结")
    _submit(page, form.get_by_test_id("action-submit"))
    expect(page.get_by_test_id("case-status")).to_have_text("已办结")
    form = _open_action(page, "归档")
    _submit(page, form.get_by_test_id("action-submit"))
    expect(page.get_by_test_id("case-status")).to_have_text("已归档")
    archive = ArchiveFile.objects.get(case=case)
    _menu(page, "人民调解", "卷宗目录")
    table = page.get_by_test_id("list-table")
    expect(table).to_contain_text(archive.number)
    expect(table).to_contain_text("必备材料齐全")
    table.get_by_role("link", name=archive.number).click()
    expect(page.get_by_test_id("archive-number")).to_have_text(archive.number)
    items = page.get_by_test_id("archive-items")
    expect(items.locator('[data-item="调解协议书"]')).to_contain_text("有")
    expect(items.locator('[data-item="司法确认有关材料"]')).to_contain_text("有")
    page.screenshot(path=str(tmp_path / "archive.png"), full_page=True)
    case.refresh_from_db()
    assert case.status == "archived"
