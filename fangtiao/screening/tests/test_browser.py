"""The leader's early-warning journey in a real Chromium against the live server, through the menu:

the district leader opens 排查预警 → 预警, sees the red warning counted at the top, opens it, reads its
reasons, 签收 it with a note (status 处置中), 处置 it with what was done (status 已处置, gone from the
active list) → opens 排查预警 → 热点, sees the latest run's cluster with its trend, opens it and finds
its member cases, each a link to the case page."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangtiao.cases import services as case_services
from fangtiao.core.testing.world import PASSWORD, World, build_world
from fangtiao.core.validators import id_check_char
from fangtiao.screening import services
from fangtiao.screening.models import EarlyWarning, Hotspot, HotspotMember, HotspotRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

V01 = "331003001201"  # 上洋村 (东城街道)


def idn(seq: int) -> str:
    first17 = f"33100319700101{seq:03d}"
    return first17 + id_check_char(first17)


def _case(world: World, seq: int, title: str) -> Any:
    case, _ = case_services.case_register(actor=world.users["clerk_t01"], data={
        "channel": "visit", "kind": "petition", "nature": "claim", "title": title,
        "oral_record": f"信访人称{title}。", "description": title, "demands": "退还多收的费用",
        "category": "property", "region": V01,
        "parties": [{"role": "petitioner", "type": "person", "name": f"周秀兰{seq}", "id_number": idn(seq),
                     "phone": f"138123456{seq:02d}", "address": "上洋村幸福小区"}]})
    return case


def _data(world: World) -> tuple[EarlyWarning, Hotspot, list[Any]]:
    cases = [_case(world, i, f"物业公司多收电梯维修费（{i}号楼）") for i in range(1, 4)]
    red, _ = services.warning_raise(
        key="journey:red", kind="emotion", level="red", title="周秀兰扬言到省里上访", case=cases[0],
        reasons=["文字中有“走投无路”等词", "登记人员评估有激化风险"], region=world.v01,
        owner_unit=world.units["t01_subcentre"])
    services.warning_raise(key="journey:yellow", kind="overdue", level="yellow", title="物业费信访超期未办",
                           reasons=["超期3天"], region=world.v01, owner_unit=world.units["t01_subcentre"])
    today = timezone.localdate()
    run = HotspotRun.objects.create(window_start=today.replace(day=1), window_end=today, status="done",
                                    finished_at=timezone.now(), n_cases=3, progress_total=4, progress_done=4)
    hotspot = Hotspot.objects.create(run=run, label="物业多收电梯维修费", terms=["物业", "电梯", "维修费"], size=3,
                                     previous_size=1, trend="rising", region=world.t01, region_path=world.t01.path,
                                     window_start=run.window_start, window_end=run.window_end)
    HotspotMember.objects.bulk_create([HotspotMember(hotspot=hotspot, case=c) for c in cases])
    return red, hotspot, cases


def _menu(page: Any, top: str, item: str) -> None:
    page.get_by_role("button", name=top).click()
    with page.expect_navigation():
        page.locator(".dropdown-menu.show").get_by_role("link", name=item, exact=True).click()


def test_leader_handles_a_red_warning_and_reads_a_hot_spot(
    transactional_db: None, live_server: Any, page: Any, browser_login: Any,
) -> None:
    world = build_world()
    red, hotspot, cases = _data(world)

    browser_login("leader", PASSWORD)
    _menu(page, "排查预警", "预警")
    expect(page.locator("h2.page-title")).to_have_text("预警")
    # The engine may raise its own warnings about the three similar matters: count what is there.
    active = EarlyWarning.objects.filter(status__in=["open", "acknowledged"])
    reds = active.filter(level="red").count()
    assert reds >= 1
    expect(page.get_by_test_id("count-red").locator("[data-count]")).to_have_text(str(reds))
    expect(page.get_by_test_id("count-yellow").locator("[data-count]")).to_have_text(
        str(active.filter(level="yellow").count()))
    table = page.get_by_test_id("list-table")
    expect(table).to_contain_text("物业费信访超期未办")

    # The red warning: its reasons and the case it is about.
    with page.expect_navigation():
        table.get_by_role("link", name=red.title).click()
    card = page.get_by_test_id("warning")
    expect(card).to_have_attribute("data-status", "open")
    expect(page.get_by_test_id("warning-reasons")).to_contain_text("登记人员评估有激化风险")
    expect(page.get_by_test_id("warning-case")).to_have_text(cases[0].number)

    # 签收 with a note.
    ack = page.get_by_test_id("ack-form")
    ack.get_by_label("签收说明").fill("已安排东城分中心专人稳控")
    with page.expect_navigation():
        ack.get_by_test_id("ack-submit").click()
    expect(page.locator(".alert-success")).to_contain_text("已签收预警")
    expect(page.get_by_test_id("warning-status")).to_have_text("处置中")
    expect(page.get_by_test_id("warning-acknowledged")).to_contain_text("区领导丙")
    expect(page.get_by_test_id("ack-form")).to_have_count(0)

    # 处置: an empty text is refused in Chinese, then the real one.
    resolve = page.get_by_test_id("resolve-form")
    with page.expect_navigation():
        resolve.get_by_test_id("resolve-submit").click()
    expect(page.get_by_test_id("error-resolution")).to_have_text("请填写处置情况")
    expect(page.get_by_test_id("warning-status")).to_have_text("处置中")
    resolve = page.get_by_test_id("resolve-form")
    resolve.get_by_label("处置情况").fill("律师约谈释法，信访人同意通过调解解决")
    with page.expect_navigation():
        resolve.get_by_test_id("resolve-submit").click()
    expect(page.locator(".alert-success")).to_contain_text("已处置预警")
    expect(page.get_by_test_id("warning-status")).to_have_text("已处置")
    expect(page.get_by_test_id("warning-resolution")).to_contain_text("信访人同意通过调解解决")
    expect(page.get_by_test_id("resolve-form")).to_have_count(0)
    red.refresh_from_db()
    assert red.status == "resolved" and red.resolved_by_id == world.users["leader"].pk

    # The active list no longer shows it.
    _menu(page, "排查预警", "预警")
    expect(page.get_by_test_id("count-red").locator("[data-count]")).to_have_text(str(reds - 1))
    expect(page.get_by_test_id("list-table")).not_to_contain_text(red.title)

    # Hot spots: the latest run's cluster, then its member cases.
    _menu(page, "排查预警", "热点")
    expect(page.get_by_test_id("run-window")).to_contain_text(f"{hotspot.window_start:%Y-%m-%d}")
    table = page.get_by_test_id("list-table")
    expect(table.locator("[data-trend='rising']")).to_contain_text("上升")
    with page.expect_navigation():
        table.get_by_role("link", name=hotspot.label).click()
    expect(page.locator("h2.page-title")).to_have_text(hotspot.label)
    expect(page.get_by_test_id("hotspot-terms")).to_contain_text("维修费")
    members = page.get_by_test_id("list-table")
    for case in cases:
        expect(members.get_by_role("link", name=case.number)).to_have_attribute("href", f"/cases/{case.pk}/")
    expect(page.get_by_test_id("list-count")).to_contain_text("共 3 条")
    with page.expect_navigation():
        members.get_by_role("link", name=cases[1].number).click()
    expect(page.locator("body")).to_contain_text(cases[1].title)


def test_clerk_sees_the_routing_suggestion_and_an_earlier_similar_matter_while_typing(
    transactional_db: None, live_server: Any, page: Any, browser_login: Any,
) -> None:
    """Beside the intake form: the suggested dispute type with its confidence (keyword rules before a
    model exists), 采用 puts it into the form; an earlier matter of the same text shows as similar."""
    world = build_world()
    earlier = _case(world, 7, "物业公司多收电梯维修费，业主要求退还")
    browser_login("clerk_t01", PASSWORD)
    page.goto(f"{live_server.url}/cases/new/")
    page.locator("#id_title").fill("物业公司多收电梯维修费，业主要求退还")
    page.locator("#id_description").fill("物业公司多收电梯维修费，业主要求退还")
    page.locator("#id_description").dispatch_event("change")
    suggestion = page.get_by_test_id("routing-suggestion")
    expect(suggestion).to_contain_text("物业")
    expect(page.get_by_test_id("suggested-category")).to_have_attribute("data-code", "property")
    expect(page.get_by_test_id("hint").first).to_contain_text(earlier.number)
    page.get_by_test_id("apply-category").click()
    expect(page.locator("#id_category")).to_have_value("property")
