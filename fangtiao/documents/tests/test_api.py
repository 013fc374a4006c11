"""The documents API (documents/api.py, ../shared/API.md): the documents of a case, one form as
Word or PDF with its version and checksum, who sees which forms (outside the jurisdiction, an
expert or auditor, a form the case lacks, a court liaison asking for a non-court form: 404; an
upload without the capability: 403), batch print jobs, the flow chart, and bounded query counts."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.tests.factories import case_in_state, make_case
from fangtiao.core.testing.api import ApiClient
from fangtiao.documents import catalogue, services
from fangtiao.documents.models import Document, PrintJob, SignedCopy
from fangtiao.mediation.tests.support import confirmed_case, held, liaison, mediating_case, mediator

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LIST_QUERY_BOUND = 22  # measured 20: auth, the case with parties and clocks, the documents, one query per kind of record the forms look at (memoised per case)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def fast_pdf(monkeypatch):  # type: ignore[no-untyped-def]
    """The endpoints hand over whatever the service stored: a stand-in PDF (its bytes follow the
    layout) spares the ~1–2 s CJK render per document; test_services checks the real files."""

    def fake(layout):  # type: ignore[no-untyped-def]
        return b"%PDF-1.7\n%fake\n" + hashlib.sha256(repr(layout).encode()).hexdigest().encode() + b"\n%%EOF\n", 1

    monkeypatch.setattr(services, "render_pdf", fake)
    monkeypatch.setattr(services, "render_many",
                        lambda layouts, title, day: (b"%PDF-1.7\n%batch " + str(len(layouts)).encode() + b"\n%%EOF\n",
                                                     len(layouts)))


def url(case_id: int, doc_type: str = "") -> str:
    return f"/api/v1/cases/{case_id}/documents" + (f"/{doc_type}" if doc_type else "")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (255, 255, 255)).save(buf, "PNG")
    return buf.getvalue()


def _upload(user, case_id: int, doc_type: str):  # type: ignore[no-untyped-def]
    api = ApiClient(user)
    return api.client.post(f"{url(case_id, doc_type)}/scans", data={"file": SimpleUploadedFile("s.png", _png())},
                           **api.headers)


# --- list and download ---------------------------------------------------------------------------

def test_list_render_download_and_the_error_answers(xw):
    case = case_in_state(xw, "accepted")
    officer = xw.user("t01_subcentre", "officer")
    api = ApiClient(officer)

    r = api.get(url(case.pk))
    assert r.status_code == 200
    body = r.json()
    assert body["items"] == []
    forms = {f["doc_type"]: f for f in body["forms"]}
    assert {"petition_register", "acceptance_notice", "intake_receipt"} <= set(forms)
    assert "petition_agreement" not in forms  # no agreement yet
    assert forms["acceptance_notice"]["numbered"] and not forms["petition_register"]["numbered"]
    assert forms["acceptance_notice"]["subjects"] == [{"key": "", "label": "", "document": None}]
    assert forms["acceptance_notice"]["title"] == "受理告知书" and forms["acceptance_notice"]["basis"]

    r = api.get(url(case.pk, "acceptance_notice"), {"format": "docx"})
    assert r.status_code == 200, r.content
    row = Document.objects.get(case=case, doc_type="acceptance_notice")
    assert r["Content-Type"] == DOCX
    assert r["X-Document-Version"] == "1"
    assert r["X-Document-Sha256"] == row.docx_sha256 == _sha(r.content)
    assert r["X-Document-Number"].encode("latin-1").decode("utf-8") == row.number  # UTF-8 bytes on the wire
    assert r["Content-Disposition"].startswith("attachment;") and r["X-Content-Type-Options"] == "nosniff"
    assert r["Cache-Control"] == "private, no-store"

    r = api.get(url(case.pk, "acceptance_notice"), {"format": "pdf"})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["X-Document-Sha256"] == row.pdf_sha256 == _sha(r.content)
    assert r["X-Document-Version"] == "1" and r["Content-Disposition"].startswith("attachment;")
    assert Document.objects.filter(case=case).count() == 1  # fetched, not issued again
    r = api.get(url(case.pk, "acceptance_notice"), {"format": "pdf", "inline": "true"})
    assert r["Content-Disposition"].startswith("inline;")
    assert sorted(AuditEvent.objects.filter(action="document.downloaded", subject_id=str(row.pk))
                  .values_list("extra__format", flat=True)) == ["docx", "pdf", "pdf"]

    listed = api.get(url(case.pk)).json()
    assert [(i["id"], i["doc_type"], i["version"], i["number"], i["docx_sha256"], i["scans"]) for i in listed["items"]] == [
        (row.pk, "acceptance_notice", 1, row.number, row.docx_sha256, 0)]
    notice = next(f for f in listed["forms"] if f["doc_type"] == "acceptance_notice")
    assert notice["subjects"][0]["document"] == row.pk

    r = api.get(url(case.pk, "acceptance_notice"), {"format": "xml"})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["format"] and r.json()["detail"]
    for doc_type, params in (("no_such_form", {}), ("petition_agreement", {}), ("mediation_record", {}),
                             ("acceptance_notice", {"subject": "session:1"})):
        r = api.get(url(case.pk, doc_type), params)
        assert r.status_code == 404, (doc_type, r.status_code)
        assert r.json()["detail"]
    assert api.get(url(999_999_999)).status_code == 404
    assert Document.objects.filter(case=case).count() == 1


def test_who_gets_a_404_and_who_a_403(xw):
    case = case_in_state(xw, "accepted")
    services.document_issue(case=case, doc_type="petition_register", actor=xw.w.users["clerk_t01"])
    for who in (xw.w.users["clerk_t02"], xw.user("t02_subcentre", "officer"),  # another township
                xw.w.users["expert_user"], xw.user("centre", "expert")):  # experts see only cases they are asked about
        api = ApiClient(who)
        for path in (url(case.pk), url(case.pk, "petition_register"), url(case.pk, "acceptance_notice")):
            r = api.get(path)
            assert r.status_code == 404, (who.username, path, r.status_code)
        assert _upload(who, case.pk, "petition_register").status_code == 404
    # the audit and system administrators' area covers the case, but reading cases is not their role: 403
    for who in (xw.w.users["auditor"], xw.w.users["admin"]):
        api = ApiClient(who)
        for path in (url(case.pk), url(case.pk, "petition_register"), url(case.pk, "acceptance_notice")):
            assert api.get(path).status_code == 403, (who.username, path)
        assert _upload(who, case.pk, "petition_register").status_code == 403
    # visible, may read, may not upload (a grid worker of the district centre)
    grid = xw.user("centre", "grid")
    assert ApiClient(grid).get(url(case.pk, "petition_register")).status_code == 200
    r = _upload(grid, case.pk, "petition_register")
    assert r.status_code == 403 and r.json()["detail"]
    assert not SignedCopy.objects.exists()
    assert _upload(xw.w.users["clerk_t01"], case.pk, "petition_register").status_code == 201
    assert ApiClient().get(url(case.pk)).status_code == 401


def test_a_court_liaison_sees_the_agreement_only(xw):
    case = confirmed_case(xw)
    m = mediator(xw)
    for code in ("petition_register", "acceptance_notice", "petition_agreement"):
        services.document_issue(case=case, doc_type=code, actor=m)
    court = liaison(xw)
    api = ApiClient(court)
    r = api.get(url(case.pk, "petition_agreement"), {"format": "pdf"})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["X-Document-Sha256"] == _sha(r.content)
    for code in ("petition_register", "acceptance_notice", "intake_receipt", "mediation_record"):
        assert api.get(url(case.pk, code)).status_code == 404, code
    listed = api.get(url(case.pk)).json()
    court_forms = {d.code for d in catalogue.all_types() if d.court}
    assert {i["doc_type"] for i in listed["items"]} == {"petition_agreement"}
    assert {f["doc_type"] for f in listed["forms"]} <= court_forms
    assert "petition_agreement" in {f["doc_type"] for f in listed["forms"]}
    assert _upload(court, case.pk, "petition_agreement").status_code == 403
    # a liaison of another court does not see the case at all
    from fangtiao.mediation.tests.support import unit

    other_court = unit(xw, "椒江法院", "台州市椒江区人民法院", "court", "district", xw.w.district)
    assert ApiClient(liaison(xw, other_court)).get(url(case.pk, "petition_agreement")).status_code == 404


# --- print jobs ----------------------------------------------------------------------------------

def test_print_jobs_over_the_api(xw):
    clerk = xw.w.users["clerk_t01"]
    today = make_case(xw)
    api = ApiClient(clerk)
    r = api.post("/api/v1/documents/print-jobs", {"kind": "receipts", "day": timezone.localdate().isoformat()})
    assert r.status_code == 201, r.content
    job = r.json()
    assert (job["kind"], job["status"], job["total"], job["done"], job["progress"]) == ("receipts", "done", 1, 1, 100)
    assert PrintJob.objects.get(pk=job["id"]).unit_id == clerk.unit_id
    assert Document.objects.filter(case=today, doc_type="intake_receipt").exists()

    got = api.get(f"/api/v1/documents/print-jobs/{job['id']}")
    assert got.status_code == 200 and got.json()["id"] == job["id"] and got.json()["sha256"] == job["sha256"]
    f = api.get(f"/api/v1/documents/print-jobs/{job['id']}/file")
    assert f.status_code == 200 and f["Content-Type"] == "application/pdf" and f.content.startswith(b"%PDF")
    assert _sha(f.content) == job["sha256"] and f["X-Content-Type-Options"] == "nosniff"

    other = ApiClient(xw.w.users["clerk_t02"])  # another user's job: not found
    assert other.get(f"/api/v1/documents/print-jobs/{job['id']}").status_code == 404
    assert other.get(f"/api/v1/documents/print-jobs/{job['id']}/file").status_code == 404
    assert ApiClient(xw.user("t01_subcentre", "officer")).get(f"/api/v1/documents/print-jobs/{job['id']}").status_code == 404

    # another township's unit, a case out of reach, a kind that does not exist, a day in the future
    assert api.post("/api/v1/documents/print-jobs", {"kind": "receipts", "unit": xw.units["t02_subcentre"].pk,
                                                     "day": timezone.localdate().isoformat()}).status_code == 404
    west = make_case(xw, actor=xw.w.users["clerk_t02"], region="331003002201")
    assert api.post("/api/v1/documents/print-jobs", {"kind": "archive", "case": west.pk}).status_code == 404
    r = api.post("/api/v1/documents/print-jobs", {"kind": "everything"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kind"
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    r = api.post("/api/v1/documents/print-jobs", {"kind": "receipts", "day": tomorrow})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "day"
    assert PrintJob.objects.count() == 1
    # a failed job is reported, its file is a 409
    r = api.post("/api/v1/documents/print-jobs", {"kind": "archive", "case": today.pk})
    assert r.status_code == 201 and r.json()["status"] == "failed" and r.json()["error"] == "没有可打印的文书"
    assert api.get(f"/api/v1/documents/print-jobs/{r.json()['id']}/file").status_code == 409


def test_staff_of_a_routed_only_unit_cannot_print_another_units_receipts(xw):
    """A line department, a court or a professional committee sees only the cases routed to it
    (cases.access.ROUTED_ONLY_KINDS: case_scope_path() is None — no subtree). The day's receipts of
    a township's sub-centre (names, requests) are outside its reach: 404, and no job."""
    make_case(xw)
    body = {"kind": "receipts", "unit": xw.units["t01_subcentre"].pk, "day": timezone.localdate().isoformat()}
    for unit, role in ((xw.line_dept, "officer"), (xw.line_dept, "clerk"), (xw.units["court"], "clerk")):
        r = ApiClient(xw.user(unit, role)).post("/api/v1/documents/print-jobs", body)
        assert r.status_code == 404, (unit.name, role, r.status_code, r.content.decode())
    assert not PrintJob.objects.exists()


# --- the flow chart ------------------------------------------------------------------------------

def test_the_flow_chart_endpoint(xw, monkeypatch):
    from fangtiao.documents import flowchart

    # the real PDF (font embedded, title drawn) is test_flowchart's; here: what the endpoint serves
    monkeypatch.setattr(flowchart, "render_pdf", lambda chart=None: b"%PDF-1.7\n%chart " + flowchart.fingerprint().encode())
    api = ApiClient(xw.w.users["clerk_t01"])
    r = api.get("/api/v1/documents/flowchart")
    assert r.status_code == 200 and r["Content-Type"].startswith("image/svg+xml")
    assert r.content.startswith(b"<svg") and "访调对接工作流程图" in r.content.decode()
    assert r["X-Content-Type-Options"] == "nosniff" and "default-src 'none'" in r["Content-Security-Policy"]
    r = api.get("/api/v1/documents/flowchart", {"format": "pdf"})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content == b"%PDF-1.7\n%chart " + flowchart.fingerprint().encode()
    assert r["Content-Disposition"].startswith("inline;") and r["X-Content-Type-Options"] == "nosniff"
    assert api.get("/api/v1/documents/flowchart", {"format": "png"}).status_code == 422
    assert ApiClient().get("/api/v1/documents/flowchart").status_code == 401


# --- query counts ------------------------------------------------------------------------------

def test_the_documents_list_costs_the_same_whatever_was_issued(xw, django_assert_max_num_queries):
    case = mediating_case(xw)
    case = held(case, xw)
    m = mediator(xw)
    api = ApiClient(m)
    assert api.get(url(case.pk)).status_code == 200  # warm: token, scope

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            r = api.get(url(case.pk))
        assert r.status_code == 200
        return len(ctx.captured_queries)

    before = count()
    codes = [f["doc_type"] for f in api.get(url(case.pk)).json()["forms"]]
    for code in codes:
        services.document_issue(case=case, doc_type=code, actor=m)
    services.document_issue(case=case, doc_type="intake_receipt", actor=m)
    issued = Document.objects.filter(case=case).count()
    assert issued >= 8
    after = count()
    assert after == before, (before, after)
    with django_assert_max_num_queries(LIST_QUERY_BOUND):
        assert len(api.get(url(case.pk)).json()["items"]) == issued
