"""The leader's dashboard in a real Chromium against the live server: the overview draws its charts
(ECharts canvases, no console errors), the leader changes the period to last year, follows a figure
to the cases behind it, and downloads a table's Excel export, which is opened and checked."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from fangtiao.cases import services as cases
from fangtiao.cases.tests.factories import frozen, intake
from fangtiao.core.testing.world import PASSWORD, build_world
from fangtiao.stats import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leader_reads_the_overview_follows_a_figure_and_exports(
    transactional_db: None, live_server: Any, page: Any, browser_login: Any, tmp_path: Any,
) -> None:
    world = build_world()
    today = timezone.localdate()
    this_year = [cases.case_register(actor=world.clerk_t01, data=intake(channel="visit"))[0] for _ in range(2)]
    with frozen(today - dt.timedelta(days=366)):
        old, _ = cases.case_register(actor=world.clerk_t01, data=intake(channel="phone", occurred_on=f"{today.year - 1}-01-01"))
    services.rebuild()

    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    browser_login("leader", PASSWORD)
    page.goto(f"{live_server.url}/stats/")
    expect(page.locator("h2.page-title")).to_have_text("领导驾驶舱")
    expect(page.get_by_test_id("card-total-value")).to_have_text("2")
    for key in ("trend", "channel", "warnings"):
        box = page.locator(f'[data-chart="{key}"]')
        expect(box).to_have_attribute("data-rendered", "1")
        expect(box.locator("canvas")).to_have_count(1)

    # the period: last year, whole
    page.locator("#stats-from").fill(f"{today.year - 1}-01")
    page.locator("#stats-to").fill(f"{today.year - 1}-12")
    with page.expect_navigation():
        page.get_by_test_id("period-submit").click()
    expect(page).to_have_url(re.compile(rf"from={today.year - 1}-01"))
    expect(page.get_by_test_id("card-total-value")).to_have_text("1")
    expect(page.locator('[data-chart="trend"] canvas')).to_have_count(1)

    # the Excel of one table: the channels of last year
    with page.expect_download() as info:
        page.get_by_test_id("export-form-channel").get_by_test_id("export-reason").fill("核对来源渠道")  # every export states why
        page.get_by_test_id("export-channel").click()
    target = tmp_path / "channel.xlsx"
    info.value.save_as(target)
    rows = list(load_workbook(target, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("来源渠道", "事项数", "占比（%）")
    assert rows[1:] == [("来电", 1, 100.0)]

    # a figure leads to the cases behind it
    with page.expect_navigation():
        page.get_by_test_id("card-total-value").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/cases/\?.*received_from="))
    body = page.locator("body")
    expect(body).to_contain_text(old.number)
    for c in this_year:
        expect(body).not_to_contain_text(c.number)
    assert not errors, errors
