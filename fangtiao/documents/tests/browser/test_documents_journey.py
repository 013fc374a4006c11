"""Documents in a real Chromium against the live server, through the pages each person uses:

the 东城 mediator opens a mediated case → the documents panel loads into the case page → generates
the written agreement → previews its PDF in a new tab → downloads the Word file (it opens with
python-docx and names the party) → uploads a PNG scan of the signed paper and sees it listed →
prints the 卷宗 and watches the job reach 100% with a link to the PDF; then the 东城 clerk prints
the day's 登记回执 from 文书 → 批量打印, typing the date the way people write it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from fangtiao.cases import services
from fangtiao.cases.models import Case
from fangtiao.cases.tests.factories import act
from fangtiao.core.testing.world import PASSWORD, World, build_world
from fangtiao.core.validators import id_check_char
from fangtiao.documents.models import Document, PrintJob, SignedCopy
from fangtiao.documents.tests.support import docx_text
from fangtiao.mediation.tests.support import agree_body
from fangtiao.org import services as org_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

V01 = "331003001201"  # 上洋村 (东城街道)
SLOW_MS = 180_000  # issuing draws a PDF with an embedded CJK font; a 卷宗 draws a dozen


def idn(seq: int) -> str:
    first17 = f"33100319800101{seq:03d}"
    return first17 + id_check_char(first17)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def _agreed_case(world: World) -> Case:
    """A property-fee petition routed to the 东城 committee, mediated by 王小明, a written agreement."""
    officer = org_services.staff_create(actor=None, username="officer_t01", name="东城信访干部",
                                        unit=world.units["t01_subcentre"], roles=["officer"], password=PASSWORD)
    case, _ = services.case_register(actor=world.users["clerk_t01"], data={
        "channel": "visit", "kind": "petition", "nature": "claim", "title": "物业公司多收电梯维修费",
        "oral_record": "信访人称物业公司2026年起每户多收电梯维修费300元。", "demands": "退还多收的300元",
        "description": "物业公司重复收取电梯维修费。", "category": "property", "region": V01,
        "parties": [
            {"role": "petitioner", "type": "person", "name": "周秀兰", "id_number": idn(7), "phone": "13812345601",
             "address": "上洋村幸福小区3幢"},
            {"role": "respondent", "type": "organisation", "name": "台州市某某物业服务有限公司"},
        ]})
    case = act(case, officer, "accept", notice="已受理")
    case = act(case, officer, "route", to="mediation", unit=world.units["t01_committee"].pk, consent=True,
               task="请组织双方调解")
    head = world.users["head_t01"]
    case = act(case, head, "receive", note="已签收")
    case = act(case, head, "assign", mediators=[world.mediators["wang_t01"].pk])
    mediator = world.users["mediator_t01"]
    case = act(case, mediator, "record_session", applicant_statement="物业公司每户多收电梯维修费300元",
               respondent_statement="经核对确有重复收取，同意退还", outcome="agreed")
    case = act(case, mediator, "agree", **agree_body(case))
    assert case.status == "agreed"
    return case


def _png(path: Path) -> Path:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(buf, "PNG")
    path.write_bytes(buf.getvalue())
    return path


def _menu(page: Any, top: str, item: str) -> None:
    page.get_by_role("button", name=top).click()
    page.locator(".dropdown-menu.show").get_by_role("link", name=item, exact=True).click()


def _switch_user(page: Any, browser_login: Any, username: str) -> None:
    page.get_by_test_id("user-menu").click()
    with page.expect_navigation():
        page.get_by_role("button", name="退出登录").click()
    browser_login(username, PASSWORD)


def test_mediator_issues_previews_downloads_scans_and_prints(
    transactional_db: None, live_server: Any, page: Any, browser_login: Any, tmp_path: Path,
) -> None:
    world = build_world()
    case = _agreed_case(world)
    browser_login("mediator_t01", PASSWORD)
    page.goto(f"{live_server.url}/cases/{case.pk}/")

    # The panel arrives after the page (htmx), listing the forms of the case.
    panel = page.get_by_test_id("documents-panel")
    expect(panel).to_be_visible()
    agreement = panel.locator('[data-testid="document-row"][data-doc="petition_agreement"]')
    expect(agreement).to_contain_text("信访事项人民调解协议书")
    expect(agreement).to_contain_text("未生成")
    expect(agreement).to_contain_text("本区设计")
    expect(panel.locator('[data-testid="document-row"][data-doc="mediation_record"]')).to_have_count(1)

    # 生成: the panel is redrawn with the number and the first version.
    agreement.get_by_test_id("issue").click()
    expect(page.get_by_test_id("documents-notice")).to_contain_text("已生成", timeout=SLOW_MS)
    row = Document.objects.get(case=case, doc_type="petition_agreement")
    agreement = page.locator('[data-testid="document-row"][data-doc="petition_agreement"]')
    expect(agreement.get_by_test_id("document-version")).to_have_text("第1版")
    expect(agreement.get_by_test_id("document-number")).to_have_text(row.number)
    page.screenshot(path=str(tmp_path / "documents-panel.png"), full_page=True)

    # 预览PDF opens a new tab with the PDF itself (inline, application/pdf).
    is_pdf = lambda r: r.url.endswith(f"/documents/{row.pk}/pdf/")  # noqa: E731
    with page.context.expect_event("response", predicate=is_pdf) as got, page.context.expect_page() as popup_info:
        agreement.get_by_test_id("preview-pdf").click()
    popup = popup_info.value
    response = got.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline;")
    assert popup.url.endswith(f"/documents/{row.pk}/pdf/")
    popup.wait_for_load_state()
    for _ in range(100):  # Chromium's PDF viewer (an extension frame) takes the tab over
        if any(f.url.startswith("chrome-extension://") for f in popup.frames):
            break
        popup.wait_for_timeout(100)
    assert any(f.url.startswith("chrome-extension://") for f in popup.frames), [f.url for f in popup.frames]
    popup.wait_for_timeout(1500)
    popup.screenshot(path=str(tmp_path / "preview.png"))
    popup.close()
    pdf = page.request.get(response.url)
    assert pdf.ok and pdf.body().startswith(b"%PDF-")

    # 下载Word: a .docx that opens with python-docx and names the petitioner.
    with page.expect_download() as dl:
        agreement.get_by_test_id("download-docx").click()
    download = dl.value
    assert download.suggested_filename.endswith(".docx")
    text = docx_text(Path(download.path()).read_bytes())
    assert "周秀兰" in text and "台州市某某物业服务有限公司" in text

    # 上传签章件: a PNG of the signed paper, listed with a download link.
    scans = page.locator('[data-testid="document-scans"][data-doc="petition_agreement"]')
    scans.get_by_text("上传签章件").click()
    form = scans.get_by_test_id("scan-form")
    form.get_by_label("签章扫描件").set_input_files(str(_png(tmp_path / "协议签章件.png")))
    form.get_by_label("说明").fill("双方签字盖章后扫描")
    form.get_by_test_id("scan-submit").click()
    expect(page.get_by_test_id("documents-notice")).to_contain_text("已上传", timeout=SLOW_MS)
    listed = page.locator('[data-testid="document-scans"][data-doc="petition_agreement"]').get_by_test_id("scan-list")
    expect(listed).to_contain_text("协议签章件.png")
    expect(listed).to_contain_text("双方签字盖章后扫描")
    scan = SignedCopy.objects.get(document=row)
    assert scan.kind == "png" and scan.uploaded_by.username == "mediator_t01"
    with page.expect_download() as dl:
        listed.get_by_test_id("scan-link").click()
    assert dl.value.suggested_filename == "协议签章件.png"

    # 打印卷宗: the job page reaches 100% and offers the PDF.
    with page.expect_navigation(timeout=SLOW_MS):
        page.get_by_test_id("print-archive").click(timeout=SLOW_MS)
    progress = page.get_by_test_id("job-progress")
    expect(progress).to_have_attribute("data-status", "done", timeout=SLOW_MS)
    expect(page.get_by_test_id("job-percent")).to_have_text("100%")
    link = page.get_by_test_id("job-file")
    expect(link).to_contain_text("打开PDF")
    page.screenshot(path=str(tmp_path / "print-job.png"), full_page=True)
    job = PrintJob.objects.get(case=case)
    assert job.kind == "archive" and job.done == job.total > 0 and job.pages > 0
    pdf = page.request.get(live_server.url + link.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF-")

    # The clerk prints the day's receipts of the 东城 sub-centre, the date written the Chinese way.
    _switch_user(page, browser_login, "clerk_t01")
    _menu(page, "文书", "批量打印")
    expect(page.locator("h2.page-title")).to_have_text("批量打印")
    today = timezone.localdate()
    day = page.get_by_label("登记日期")
    expect(day).to_have_value(today.isoformat())
    day.fill(f"{today.year}年{today.month}月{today.day}日")
    with page.expect_navigation(timeout=SLOW_MS):
        page.get_by_test_id("print-receipts").click(timeout=SLOW_MS)
    expect(page.get_by_test_id("job-progress")).to_have_attribute("data-status", "done", timeout=SLOW_MS)
    expect(page.get_by_test_id("job-percent")).to_have_text("100%")
    expect(page.get_by_test_id("job-count")).to_contain_text("已完成 1 / 1 份文书")
    expect(page.get_by_test_id("job-file")).to_be_visible()
    receipts = PrintJob.objects.get(kind="receipts")
    assert receipts.unit_id == world.units["t01_subcentre"].pk and receipts.day == today
    _menu(page, "文书", "批量打印")
    expect(page.get_by_test_id("list-table")).to_contain_text(f"#{receipts.pk}")
    expect(page.get_by_test_id("list-table")).to_contain_text("当日登记回执")
