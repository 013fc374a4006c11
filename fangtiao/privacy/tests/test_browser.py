"""A PIPL rights request in a real Chromium: the district officer opens 个人信息保护 → 权利请求,
registers a 解释说明 request (identity verified at the counter), starts the review and answers it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from fangtiao.core.testing.world import PASSWORD, build_world
from fangtiao.privacy.models import RightsRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_registers_reviews_and_answers_a_request(
    transactional_db: None, live_server: Any, page: Any, browser_login: Any,
) -> None:
    build_world()
    browser_login("officer", PASSWORD)
    page.goto(f"{live_server.url}/")
    with page.expect_navigation():
        page.get_by_test_id("nav-privacy").click()
    with page.expect_navigation():
        page.get_by_test_id("requests-link").click()
    with page.expect_navigation():
        page.get_by_role("link", name="新增").click()
    form = page.get_by_test_id("request-form")
    form.get_by_label("请求人姓名").fill("欧阳小明")
    form.get_by_label("联系电话").fill("13812345601")
    form.get_by_label("请求事项").select_option("explain")
    form.get_by_label("身份核验方式").select_option("id_card")
    form.get_by_label("请求内容").fill("要求说明本人信息的处理目的和保存期限")
    with page.expect_navigation():
        page.get_by_test_id("request-submit").click()

    r = RightsRequest.objects.get()
    expect(page).to_have_url(re.compile(rf"/privacy/requests/{r.pk}/$"))
    expect(page.get_by_test_id("request-status")).to_have_text("已登记")
    expect(page.get_by_test_id("request-due")).to_have_text(r.due_on.strftime("%Y-%m-%d"))
    expect(page.locator("body")).not_to_contain_text("13812345601")
    with page.expect_navigation():
        page.get_by_test_id("review-submit").click()
    expect(page.get_by_test_id("request-status")).to_have_text("审查中")
    page.get_by_test_id("answer-form").get_by_label("答复内容").fill("已书面说明处理目的（履行法定职责）和保存期限。")
    with page.expect_navigation():
        page.get_by_test_id("answer-submit").click()
    expect(page.get_by_test_id("request-status")).to_have_text("已答复")
    expect(page.get_by_test_id("request-answer")).to_contain_text("履行法定职责")
    r.refresh_from_db()
    assert r.status == "answered" and r.closed_by.username == "officer"
