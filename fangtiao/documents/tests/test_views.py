"""Documents pages: for each page the permission boundaries (a role without the capability gets 403,
a case of another township 404), bad uploads (a Chinese message beside the field, nothing stored,
never a 500), the print job's progress partial and JSON, the list's Excel export, and query counts
of the panel that do not grow with the case's documents and scans (no N+1)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from fangtiao.cases.models import Case
from fangtiao.cases.tests.factories import ask_expert, make_case
from fangtiao.documents import catalogue, services
from fangtiao.documents.models import Document, DocumentTemplate, PrintJob, SignedCopy
from fangtiao.documents.tests.support import docx_text
from fangtiao.mediation.tests.support import agreed_case, held, mediating_case, mediator, two_parties

HX = {"HTTP_HX_REQUEST": "true"}
V02 = "331003002201"  # 下叶村, 西城街道


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


# --- helpers ---------------------------------------------------------------------------------------

def html(response: Any) -> str:
    return response.content.decode()


def png(size: int = 24) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (size, size), "white").save(buf, "PNG")
    return buf.getvalue()


def upload(name: str, data: bytes, ctype: str = "application/octet-stream") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=ctype)


def agreement_code(case: Case) -> str:
    return "petition_agreement" if case.kind == "petition" else "agreement"


def issued(case: Case, user: Any, code: str | None = None) -> Document:
    return services.document_issue(case=case, doc_type=code or agreement_code(case), actor=user)


def other_township_case(xw: Any) -> Case:
    return make_case(xw, actor=xw.users["clerk_t02"], region=V02, parties=two_parties())


def queries(client: Any, url: str, **kw: Any) -> int:
    client.get(url, **kw)  # warm: session, user and roles load the same way on every request
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url, **kw)
    assert r.status_code == 200, r.status_code
    return len(ctx.captured_queries)


def docx_bytes(*paragraphs: str) -> bytes:
    from docx import Document as new_docx

    doc = new_docx()
    for p in paragraphs:
        doc.add_paragraph(p)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --- navigation and the case page ----------------------------------------------------------------

def test_menu_entries_follow_capabilities(xw: Any, client: Any) -> None:
    client.force_login(mediator(xw))
    page = html(client.get("/"))
    assert 'data-testid="nav-documents"' in page
    assert "/documents/print/" in page and "/documents/flowchart/" in page and "/documents/templates/" not in page
    client.force_login(xw.users["admin"])
    page = html(client.get("/"))
    assert "/documents/templates/" in page and "/documents/print/" not in page  # an administrator prints nothing
    client.force_login(xw.users["auditor"])
    assert 'data-testid="nav-documents"' not in html(client.get("/"))


def test_case_page_loads_the_panel_only_for_documents_view(xw: Any, client: Any) -> None:
    case = agreed_case(xw)
    client.force_login(mediator(xw))
    page = html(client.get(f"/cases/{case.pk}/"))
    assert f'hx-get="/documents/cases/{case.pk}/panel/"' in page
    # The expert consulted on the case sees the case page, but no documents (no documents.view).
    ask_expert(xw, case)
    client.force_login(xw.users["expert_user"])
    r = client.get(f"/cases/{case.pk}/")
    assert r.status_code == 200 and "/documents/cases/" not in html(r)
    assert client.get(f"/documents/cases/{case.pk}/panel/").status_code == 403
    assert client.get(f"/documents/cases/{case.pk}/").status_code == 403


# --- 1. the panel ---------------------------------------------------------------------------------

def test_panel_lists_the_forms_with_subjects_and_issued_versions(xw: Any, client: Any) -> None:
    case = agreed_case(xw)
    user = mediator(xw)
    row = issued(case, user)
    client.force_login(user)
    r = client.get(f"/documents/cases/{case.pk}/panel/")
    assert r.status_code == 200
    page = html(r)
    doc = catalogue.get(agreement_code(case))
    assert doc is not None and doc.title in page
    assert row.number in page and "第1版" in page and row.docx_sha256[:12] in page
    assert ("本区设计" if not doc.national else "国家格式") in page
    assert 'data-doc="mediation_record"' in page  # one row per held session
    assert f"/documents/cases/{case.pk}/documents/{row.pk}/pdf/" in page
    assert f"/documents/cases/{case.pk}/documents/{row.pk}/docx/" in page
    assert 'data-testid="print-archive"' in page and 'data-testid="scan-form"' in page
    # The same panel on a page of its own.
    assert client.get(f"/documents/cases/{case.pk}/").status_code == 200


def test_panel_of_another_township_is_404_and_anonymous_goes_to_login(xw: Any, client: Any) -> None:
    other = other_township_case(xw)
    client.force_login(mediator(xw))
    for url in (f"/documents/cases/{other.pk}/panel/", f"/documents/cases/{other.pk}/"):
        assert client.get(url).status_code == 404
    r = client.post(f"/documents/cases/{other.pk}/issue/", {"doc_type": "petition_register"}, **HX)
    assert r.status_code == 404
    assert not Document.objects.filter(case=other).exists()
    client.logout()
    assert client.get(f"/documents/cases/{other.pk}/panel/").status_code == 302


def test_generate_then_unchanged_then_refused_form(xw: Any, client: Any) -> None:
    case = agreed_case(xw)
    code = agreement_code(case)
    client.force_login(mediator(xw))
    r = client.post(f"/documents/cases/{case.pk}/issue/", {"doc_type": code, "subject": ""}, **HX)
    assert r.status_code == 200
    row = Document.objects.get(case=case, doc_type=code)
    assert "已生成" in html(r) and row.number in html(r)
    r = client.post(f"/documents/cases/{case.pk}/issue/", {"doc_type": code, "subject": row.subject}, **HX)
    assert "内容未变化，仍为第1版" in html(r)
    assert Document.objects.filter(case=case, doc_type=code).count() == 1
    # A form this case does not have: the service's message in the panel, not a 500.
    r = client.post(f"/documents/cases/{case.pk}/issue/", {"doc_type": "no_such_form"}, **HX)
    assert r.status_code == 200 and "没有这种文书" in html(r)
    r = client.post(f"/documents/cases/{case.pk}/issue/", {"doc_type": "no_such_form"})
    assert r.status_code == 404 and "没有这种文书" in html(r)
    # Without htmx a success goes back to the documents page with the message.
    r = client.post(f"/documents/cases/{case.pk}/issue/", {"doc_type": code, "subject": row.subject}, follow=True)
    assert r.redirect_chain[-1][0] == f"/documents/cases/{case.pk}/" and "内容未变化" in html(r)


def test_preview_pdf_inline_and_word_as_attachment(xw: Any, client: Any) -> None:
    case = agreed_case(xw)
    user = mediator(xw)
    row = issued(case, user)
    client.force_login(user)
    r = client.get(f"/documents/cases/{case.pk}/documents/{row.pk}/pdf/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith("inline;") and r["X-Content-Type-Options"] == "nosniff"
    assert r.content.startswith(b"%PDF-")
    r = client.get(f"/documents/cases/{case.pk}/documents/{row.pk}/docx/")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment;")
    party = case.parties.order_by("sort", "id").first()
    assert party.name in docx_text(r.content)
    # Someone else's case: 404 even with the document's id.
    client.force_login(xw.user("t02_subcentre", "officer"))
    assert client.get(f"/documents/cases/{case.pk}/documents/{row.pk}/pdf/").status_code == 404


def test_scan_upload_good_and_bad(xw: Any, client: Any) -> None:
    case = agreed_case(xw)
    user = mediator(xw)
    row = issued(case, user)
    client.force_login(user)
    url = f"/documents/cases/{case.pk}/documents/{row.pk}/scans/"

    bad = [
        ({"note": "x"}, "请选择要上传的扫描件"),
        ({"file": upload("协议.png", b"just some text, not an image"), "note": ""}, "只能上传 PDF、JPEG 或 PNG 格式的扫描件"),
        ({"file": upload("协议.pdf", png())}, "文件内容与扩展名不符"),
        ({"file": upload("协议.pdf", b"%PDF-1.4\n/JavaScript (app.alert(1))\n%%EOF")}, "PDF 含有脚本"),
        ({"file": upload("协议.png", png()), "note": "长" * 201}, "说明不能超过200字"),
    ]
    for data, message in bad:
        r = client.post(url, data, **HX)
        assert r.status_code == 200, message
        page = html(r)
        assert message in page, message
        assert 'data-testid="error-' in page and "<details open" in page  # beside the field, form kept open
    r = client.post(url, {"file": upload("协议.png", b"not an image")})  # without htmx: the page, 422
    assert r.status_code == 422 and "只能上传" in html(r)
    assert not SignedCopy.objects.exists()

    r = client.post(url, {"file": upload("协议签章件.png", png(), "image/png"), "note": "双方签字后扫描"}, **HX)
    assert r.status_code == 200
    scan = SignedCopy.objects.get()
    assert scan.document_id == row.pk and scan.kind == "png" and scan.note == "双方签字后扫描"
    page = html(r)
    assert "已上传" in page and "协议签章件.png" in page and f"/documents/cases/{case.pk}/scans/{scan.pk}/" in page

    # The scan comes back only as a download, byte for byte.
    r = client.get(f"/documents/cases/{case.pk}/scans/{scan.pk}/")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment;") and r.content == png()


def test_scan_upload_needs_the_capability_and_the_case(xw: Any, client: Any) -> None:
    case = agreed_case(xw)
    row = issued(case, mediator(xw))
    url = f"/documents/cases/{case.pk}/documents/{row.pk}/scans/"
    client.force_login(xw.user("centre", "grid"))  # sees documents, uploads nothing
    assert client.get(f"/documents/cases/{case.pk}/panel/").status_code == 200
    assert 'data-testid="scan-form"' not in html(client.get(f"/documents/cases/{case.pk}/panel/"))
    assert client.post(url, {"file": upload("a.png", png())}, **HX).status_code == 403
    client.force_login(xw.user("t02_subcentre", "clerk"))
    assert client.post(url, {"file": upload("a.png", png())}, **HX).status_code == 404
    assert not SignedCopy.objects.exists()


def test_panel_query_count_does_not_grow_with_documents_and_scans(xw: Any, client: Any,
                                                                   django_assert_max_num_queries: Any) -> None:
    case = held(mediating_case(xw), xw)
    user = mediator(xw)
    first = services.document_issue(case=case, doc_type="mediation_record", actor=user)
    services.scan_upload(row=first, data=png(), name="a.png", note="", actor=user)
    client.force_login(user)
    url = f"/documents/cases/{case.pk}/panel/"
    n = queries(client, url)
    for _ in range(3):
        case = held(case, xw)
    for key in [k for k, _label in catalogue.get("mediation_record").subjects(case)]:
        row = services.document_issue(case=case, doc_type="mediation_record", subject=key, actor=user)
        services.scan_upload(row=row, data=png(), name="b.png", note="", actor=user)
    with django_assert_max_num_queries(n):
        r = client.get(url)
    assert html(r).count('data-doc="mediation_record" data-subject="session:') >= 4 * 2  # 4 rows, each with scans
    assert html(r).count('data-testid="scan-link"') == 5


# --- 2. batch printing ----------------------------------------------------------------------------

def test_print_the_case_documents_from_the_panel(xw: Any, client: Any) -> None:
    case = make_case(xw)  # a registered case: few forms, so the PDF is drawn quickly
    client.force_login(xw.users["clerk_t01"])
    panel = html(client.get(f"/documents/cases/{case.pk}/panel/"))
    assert 'data-testid="print-all"' in panel and 'data-testid="print-archive"' not in panel  # no 卷宗 forms yet
    r = client.post(f"/documents/cases/{case.pk}/print/", {"kind": "case"})
    job = PrintJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/documents/print/{job.pk}/"
    assert job.case_id == case.pk and job.status == "done", job.error  # FANGTIAO_PRINT_MODE=inline in tests
    page = html(client.get(r["Location"]))
    assert 'data-status="done"' in page and "100%" in page and f"/documents/print/{job.pk}/file/" in page
    assert "hx-trigger" not in page.split('id="job-progress"', 1)[1].split(">", 1)[0]  # polling stopped
    r = client.get(f"/documents/print/{job.pk}/progress/", {"format": "json"})
    data = json.loads(r.content)
    assert data["status"] == "done" and data["progress"] == 100 and data["done"] == data["total"] == job.total > 0
    r = client.get(f"/documents/print/{job.pk}/file/")
    assert r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF-")
    # A bad kind is refused with a message; no job.
    r = client.post(f"/documents/cases/{case.pk}/print/", {"kind": "everything"}, follow=True)
    assert "没有这种打印任务" in html(r) and PrintJob.objects.count() == 1
    # A 卷宗 of a case without its forms: the job fails, and says why in Chinese.
    r = client.post(f"/documents/cases/{case.pk}/print/", {"kind": "archive"}, follow=True)
    page = html(r)
    assert 'data-status="failed"' in page and "打印失败" in page and "没有可打印的文书" in page


def test_job_progress_partial_polls_while_running_and_shows_failure(xw: Any, client: Any) -> None:
    clerk = xw.users["clerk_t01"]
    running = PrintJob.objects.create(kind="receipts", unit=clerk.unit, day=timezone.localdate(), created_by=clerk,
                                      status="running", total=4, done=1)
    failed = PrintJob.objects.create(kind="receipts", unit=clerk.unit, day=timezone.localdate(), created_by=clerk,
                                     status="failed", total=0, error="该日没有登记的事项")
    client.force_login(clerk)
    page = html(client.get(f"/documents/print/{running.pk}/progress/", **HX))
    assert f'hx-get="/documents/print/{running.pk}/progress/"' in page and 'hx-trigger="every 1s"' in page
    assert "25%" in page and 'value="25"' in page and "已完成 1 / 4 份文书" in page
    assert client.get(f"/documents/print/{running.pk}/file/").status_code == 409  # not yet: a message page
    page = html(client.get(f"/documents/print/{failed.pk}/"))
    assert "打印失败" in page and "该日没有登记的事项" in page and "every 1s" not in page
    # A job is its requester's.
    client.force_login(xw.user("t01_subcentre", "officer"))
    assert client.get(f"/documents/print/{running.pk}/").status_code == 404
    assert client.get(f"/documents/print/{running.pk}/progress/").status_code == 404


def test_print_page_receipts_dates_and_export(xw: Any, client: Any) -> None:
    clerk = xw.users["clerk_t01"]
    make_case(xw)  # registered today at the 东城 sub-centre
    client.force_login(clerk)
    r = client.get("/documents/print/")
    assert r.status_code == 200 and timezone.localdate().isoformat() in html(r)

    for bad, message in (("2026-13-45", "日期格式不正确"), ("昨天", "日期格式不正确"),
                         ((timezone.localdate() + dt.timedelta(days=1)).isoformat(), "日期不能晚于今天")):
        r = client.post("/documents/print/", {"day": bad})
        assert r.status_code == 422 and message in html(r) and bad in html(r), bad
    assert not PrintJob.objects.exists()

    today = timezone.localdate()
    r = client.post("/documents/print/", {"day": f"{today.year}年{today.month}月{today.day}日"})
    job = PrintJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/documents/print/{job.pk}/"
    assert job.kind == "receipts" and job.day == today and job.unit_id == clerk.unit_id
    assert job.status == "done", job.error
    page = html(client.get("/documents/print/"))
    assert f"/documents/print/{job.pk}/" in page and "当日登记回执" in page
    r = client.get("/documents/print/", {"export": "xlsx", "reason": "核对"})
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "任务" and rows[1][0] == job.pk and rows[1][4] == "已完成"


def test_print_pages_need_the_capability(xw: Any, client: Any) -> None:
    clerk = xw.users["clerk_t01"]
    job = PrintJob.objects.create(kind="receipts", unit=clerk.unit, day=timezone.localdate(), created_by=clerk)
    for user in (xw.users["auditor"], xw.users["expert_user"], xw.users["admin"]):
        client.force_login(user)
        for url in ("/documents/print/", f"/documents/print/{job.pk}/", f"/documents/print/{job.pk}/progress/"):
            assert client.get(url).status_code == 403, (user.username, url)
        assert client.post("/documents/print/", {"day": ""}).status_code == 403
    case = agreed_case(xw)
    client.force_login(xw.users["admin"])
    assert client.post(f"/documents/cases/{case.pk}/print/", {"kind": "case"}).status_code == 403
    assert PrintJob.objects.count() == 1


# --- 3. district templates --------------------------------------------------------------------------

def test_templates_page_lists_forms_and_placeholders(xw: Any, client: Any) -> None:
    client.force_login(xw.users["admin"])
    r = client.get("/documents/templates/")
    assert r.status_code == 200
    page = html(r)
    for doc in catalogue.all_types():
        assert doc.title in page and f'id="tpl-{doc.code}"' in page
    assert "{{ number }}" in page and "{{ case_number }}" in page and "占位符说明" in page
    assert 'data-placeholder="petitioner_names"' in page
    for user in (mediator(xw), xw.users["clerk_t01"], xw.users["auditor"]):
        client.force_login(user)
        assert client.get("/documents/templates/").status_code == 403
        assert client.post("/documents/templates/acceptance_notice/upload/", {}).status_code == 403


def test_template_upload_messages_change_nothing(xw: Any, client: Any) -> None:
    client.force_login(xw.users["admin"])
    url = "/documents/templates/acceptance_notice/upload/"
    t01 = xw.t01.pk
    required = "编号 {{ number }} 信访人 {{ petitioner_names }} 事项 {{ case_title }} 期限 {{ handling_due }} 日期 {{ issued_on }}"
    bad = [
        ({"region": t01}, "请选择 .docx 模板文件"),
        ({"file": upload("告知书.doc", b"whatever"), "region": t01}, "请上传 .docx 格式的 Word 模板"),
        ({"file": upload("告知书.docx", b"not a zip at all"), "region": t01}, "不是 Word 文档（.docx）"),
        ({"file": upload("告知书.docx", docx_bytes(required, "{{ nonsense }}")), "region": t01}, "未知的占位符"),
        ({"file": upload("告知书.docx", docx_bytes("编号 {{ number }}")), "region": t01}, "模板缺少本文书必需的内容"),
        ({"file": upload("告知书.docx", docx_bytes("{% if %}")), "region": t01}, "模板占位符语法错误"),
        ({"file": upload("告知书.docx", docx_bytes(required)), "region": "999999"}, "只能为本辖区上传模板"),
    ]
    for data, message in bad:
        r = client.post(url, data)
        assert r.status_code == 422, message
        page = html(r)
        assert message in page, message
        assert 'id="tpl-acceptance_notice"' in page and "<details class=\"mb-2\" open" in page
    assert not DocumentTemplate.objects.exists()

    r = client.post(url, {"file": upload("东城告知书.docx", docx_bytes(required)), "region": t01, "note": "东城格式"})
    assert r.status_code == 302 and r["Location"] == "/documents/templates/#tpl-acceptance_notice"
    tpl = DocumentTemplate.objects.get()
    assert tpl.active and tpl.region_id == t01 and tpl.version == 1 and tpl.note == "东城格式"
    page = html(client.get("/documents/templates/"))
    assert "使用地区模板" in page and "东城告知书.docx" in page and "东城格式" in page
    r = client.post(f"/documents/templates/{tpl.pk}/disable/")
    assert r.status_code == 302
    tpl.refresh_from_db()
    assert not tpl.active
    assert client.post(f"/documents/templates/{tpl.pk}/disable/").status_code == 404  # already off


def test_template_regions_stay_within_the_admins_jurisdiction(xw: Any, client: Any) -> None:
    admin_t01 = xw.user("t01_subcentre", "admin")
    client.force_login(admin_t01)
    page = html(client.get("/documents/templates/"))
    assert "东城街道" in page and "西城街道" not in page
    r = client.post("/documents/templates/acceptance_notice/upload/",
                    {"file": upload("a.docx", docx_bytes("{{ number }}")), "region": xw.t02.pk})
    assert r.status_code == 422 and "只能为本辖区上传模板" in html(r)
    assert not DocumentTemplate.objects.exists()
    assert client.post("/documents/templates/no_such_form/upload/", {}).status_code == 404


# --- 4. the flow chart ------------------------------------------------------------------------------

def test_flowchart_page_and_pdf(xw: Any, client: Any) -> None:
    client.force_login(xw.users["clerk_t01"])
    r = client.get("/documents/flowchart/")
    assert r.status_code == 200
    page = html(r)
    assert "<svg" in page and 'data-testid="flowchart-svg"' in page and 'width="297.0mm"' not in page
    assert "访调对接工作流程图" in page and "/documents/flowchart.pdf" in page
    r = client.get("/documents/flowchart.pdf")
    assert r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF-")
    client.force_login(xw.users["auditor"])
    assert client.get("/documents/flowchart/").status_code == 403
    assert client.get("/documents/flowchart.pdf").status_code == 403
