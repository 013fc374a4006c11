"""Journey: a citizen is guided to the right route, files a petition online without logging in,
keeps the number and query code, follows the case while staff accept, route and reply (through
the services), then rates the reply — in a real Chromium against the live server. A wrong code
shows the same not-found message as an unknown number."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from fangtiao.core.testing.world import build_world
from fangtiao.portal.tests.helpers import OFFICER_PASSWORD, reply

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOT_FOUND = "未找到该事项，请核对编号和查询码"


def _track(page: Any, base: str, number: str, code: str) -> None:
    page.goto(f"{base}/portal/track/")
    page.get_by_label("事项编号").fill(number)
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()


def test_citizen_files_tracks_and_rates_a_petition(
    transactional_db: None, live_server: Any, page: Any, asset_errors: list[str], tmp_path: Path,
) -> None:
    from fangtiao.cases.models import Case
    from fangtiao.org.services import staff_create

    cache.clear()
    world = build_world()
    officer = staff_create(actor=None, username="portal_officer", name="信访干部庚", unit=world.units["centre"],
                           roles=["officer", "leader"], password=OFFICER_PASSWORD)
    base = live_server.url

    # 引导: four answers lead to 信访, which links to the online form.
    page.goto(f"{base}/portal/")
    expect(page.locator("h1.page-title")).to_have_text("办事引导")
    assert not asset_errors, asset_errors
    page.get_by_role("button", name="想反映问题或解决一件具体的事").click()
    page.get_by_role("button", name="都没有").click()
    page.get_by_role("button", name="不是", exact=True).click()
    page.get_by_role("button", name="不是，是向有关部门反映问题或提出诉求").click()
    route = page.get_by_test_id("route-petition")
    expect(route).to_contain_text("提出信访事项")
    expect(route).to_contain_text("《信访工作条例》第22、23条")
    expect(page.get_by_test_id("route-advice")).to_be_visible()
    page.screenshot(path=str(tmp_path / "guide-result.png"), full_page=True)
    route.get_by_role("link", name="网上提交信访事项").click()

    # The form, in Chinese; a mistake first, then corrected.
    expect(page.locator("h1.page-title")).to_have_text("网上提交")
    expect(page.get_by_label("信访事项（向有关部门反映问题、提出诉求）")).to_be_checked()
    page.get_by_label("姓名", exact=True).fill("王小二")
    page.get_by_label("手机号码").fill("1381234567")
    page.get_by_label("身份证号码（选填）").fill("331003198001011231")
    page.get_by_label("住址").fill("东城街道上洋村1号")
    page.get_by_label("事发地").select_option(world.v01.code)
    page.get_by_label("纠纷类型").select_option("property")
    page.get_by_label("事项标题").fill("小区物业费上涨未经业主大会")
    page.get_by_label("事实经过").fill("物业公司自3月起将物业费由每平方米1.5元上调为2.5元。")
    page.get_by_label("您的请求").fill("请求恢复原收费标准。")
    page.get_by_label("我承诺所反映的情况真实").check()
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    expect(page.get_by_text("手机号码应为以1开头的11位数字")).to_be_visible()
    assert not Case.objects.exists()
    page.screenshot(path=str(tmp_path / "form-error.png"), full_page=True)
    page.get_by_label("手机号码").fill("13812345678")
    page.get_by_label("我承诺所反映的情况真实").check()
    page.get_by_role("button", name="提交", exact=True).click()

    # The receipt: number and code, once.
    expect(page.get_by_test_id("receipt")).to_contain_text("您的事项已提交并登记")
    number = page.get_by_test_id("receipt-number").inner_text().strip()
    code = page.get_by_test_id("receipt-code").inner_text().strip()
    case = Case.objects.get()
    assert case.number == number and case.channel == "online"
    page.screenshot(path=str(tmp_path / "receipt.png"), full_page=True)
    page.get_by_role("link", name="查询办理进度").click()
    expect(page.get_by_label("事项编号")).to_have_value(number)
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("progress-status")).to_have_text("已登记")
    expect(page.get_by_test_id("progress-petitioner")).to_have_text("王某某")
    expect(page.get_by_test_id("progress-next")).to_contain_text("书面告知是否受理")
    expect(page.get_by_test_id("progress")).not_to_contain_text("13812345678")
    expect(page.get_by_test_id("rating-unavailable")).to_have_text("该事项尚未答复或办结，暂不能评价")
    page.reload()  # the receipt is gone for good
    page.goto(f"{base}/portal/submit/done/")
    expect(page).to_have_url(f"{base}/portal/track/")

    # Staff accept, route to handling at the centre and reply (services, as the officer).
    reply(case, officer, world.units["centre"])

    _track(page, base, number, code)
    expect(page.get_by_test_id("progress-status")).to_have_text("已答复")
    expect(page.get_by_test_id("progress-reply")).to_contain_text("予以支持")
    events = page.get_by_test_id("progress-events")
    for text in ("事项已登记（网上）", "已受理", "已分流至承办单位办理", "已出具信访处理意见书"):
        expect(events).to_contain_text(text)
    expect(page.locator("body")).not_to_contain_text(officer.name)
    expect(page.get_by_test_id("progress-next")).to_contain_text("请求复查")
    form = page.get_by_test_id("rate-form")
    form.get_by_label("满意", exact=True).check()
    form.get_by_label("意见建议（选填）").fill("答复及时，谢谢。")
    form.get_by_role("button", name="提交评价").click()
    expect(page.get_by_test_id("rated")).to_have_text("感谢您的评价！")
    expect(page.get_by_test_id("rating-done")).to_contain_text("满意")
    expect(page.get_by_test_id("rate-form")).to_have_count(0)
    case.refresh_from_db()
    assert case.satisfaction == "satisfied" and case.rated_at is not None
    page.screenshot(path=str(tmp_path / "rated.png"), full_page=True)

    # A wrong code and an unknown number: the same message.
    _track(page, base, number, "WRONGWRONG22")
    expect(page.get_by_test_id("not-found")).to_have_text(NOT_FOUND)
    expect(page.get_by_test_id("progress")).to_have_count(0)
    _track(page, base, "黄岩矛调访调〔2026〕99999号", code)
    expect(page.get_by_test_id("not-found")).to_have_text(NOT_FOUND)
    assert not asset_errors, asset_errors
