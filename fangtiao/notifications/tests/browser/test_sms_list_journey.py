"""The SMS outbox in a real Chromium (issue 9, ADR 0019): the 东城 clerk opens 通知, follows
短信发送情况, narrows the list to failed messages and sees the one that could not be sent — its
case, the masked number and the gateway's error — to phone the petitioner instead."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from fangtiao.cases.tests.factories import act, intake, person
from fangtiao.core.testing.world import PASSWORD
from fangtiao.notifications.models import SmsMessage, SmsStatus
from fangtiao.org import services as org_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_finds_a_failed_sms_in_the_inbox_area(transactional_db: None, live_server: Any, page: Any,
                                                    browser_login: Any, world: Any) -> None:
    from fangtiao.cases import services

    officer = org_services.staff_create(actor=None, username="officer_sms", name="东城信访干部",
                                        unit=world.units["t01_subcentre"], roles=["officer"], password=PASSWORD)
    case, _ = services.case_register(actor=world.users["clerk_t01"], data=intake(parties=[person(phone="13812345601")]))
    act(case, officer, "accept")
    SmsMessage.objects.filter(case=case).update(status=SmsStatus.FAILED, attempts=5, last_error="短信网关返回 503")

    browser_login("clerk_t01", PASSWORD)
    page.goto(f"{live_server.url}/inbox/notifications/")
    page.get_by_test_id("sms-list").click()
    expect(page).to_have_url(f"{live_server.url}/inbox/notifications/sms/")
    page.get_by_label("状态").select_option("failed")
    page.get_by_role("button", name="查询").click()
    table = page.get_by_test_id("list-table")
    expect(table).to_contain_text(case.number)
    expect(table).to_contain_text("138****5601")
    expect(table).to_contain_text("短信网关返回 503")
    expect(page.get_by_test_id("sms-status")).to_have_text("发送失败（已停止重试）")
    expect(table).not_to_contain_text("13812345601")
