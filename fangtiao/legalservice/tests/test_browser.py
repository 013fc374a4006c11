"""A consultation in a real Chromium against the live server: the 东城 clerk opens 法律咨询, records a
visitor's question through the form (masked phone on its page), then turns it into a matter and
follows the link to the case page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from fangtiao.core.testing.world import PASSWORD, build_world
from fangtiao.legalservice.models import Consultation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

V01 = "331003001201"  # 上洋村 (东城街道)


def test_clerk_records_a_consultation_and_turns_it_into_a_case(
    transactional_db: None, live_server: Any, page: Any, browser_login: Any,
) -> None:
    world = build_world()
    browser_login("clerk_t01", PASSWORD)
    page.goto(f"{live_server.url}/legal/consultations/")
    with page.expect_navigation():
        page.get_by_role("link", name="新增").click()
    form = page.get_by_test_id("consultation-form")
    form.get_by_label("咨询方式").select_option("visit")
    form.get_by_label("咨询人姓名").fill("周秀兰")
    form.get_by_label("联系电话").fill("13812345601")
    form.get_by_label("咨询人所在地").select_option(V01)
    form.get_by_label("咨询事项").fill("物业公司多收电梯维修费")
    form.get_by_label("咨询内容").fill("物业公司按每户500元收取电梯维修费，未经业主大会表决，怎么办？")
    form.get_by_label("值班律师").select_option(str(world.experts["lawyer"].pk))
    form.get_by_label("时长（分钟）").fill("15")
    with page.expect_navigation():
        page.get_by_test_id("consultation-submit").click()

    c = Consultation.objects.get()
    expect(page).to_have_url(re.compile(rf"/legal/consultations/{c.pk}/$"))
    expect(page.get_by_test_id("consultation-status")).to_have_text("待答复")
    expect(page.get_by_test_id("consultation-phone")).not_to_contain_text("13812345601")
    expect(page.get_by_test_id("answer-form")).to_be_visible()

    with page.expect_navigation():
        page.get_by_test_id("case-submit").click()
    expect(page.get_by_test_id("consultation-status")).to_have_text("已转为事项")
    c.refresh_from_db()
    assert c.case_id is not None
    link = page.get_by_test_id("consultation-case")
    expect(link).to_have_text(c.case.number)
    with page.expect_navigation():
        link.click()
    expect(page).to_have_url(re.compile(rf"/cases/{c.case_id}/$"))
    expect(page.locator("body")).to_contain_text(c.case.number)
