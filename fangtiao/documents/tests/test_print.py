"""Batch printing (services.print_request/print_run/run_queued_prints): the day's 登记回执 of a unit
and the 卷宗 of a mediated case as one PDF each; claimed by compare-and-set; a job with nothing to
print fails with a Chinese message; the worker picks up queued jobs and re-queues stale ones.
In tests FANGTIAO_PRINT_MODE is "inline" (settings), so print_request runs the job itself."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from pathlib import Path

import pypdf
import pytest
from django.utils import timezone

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.tests.factories import frozen, make_case
from fangtiao.core import crypto
from fangtiao.core.errors import PermissionDenied
from fangtiao.documents import catalogue, services
from fangtiao.documents.choices import PrintStatus
from fangtiao.documents.models import Document, PrintJob
from fangtiao.documents.tests.support import pdf_fonts, pdf_text
from fangtiao.mediation.tests.support import agreed_case, head, held, mediating_case


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def _fake_pdf(layout):  # type: ignore[no-untyped-def]
    return b"%PDF-1.7\n%fake\n" + hashlib.sha256(repr(layout).encode()).hexdigest().encode() + b"\n%%EOF\n", 1


@pytest.fixture
def fast_pdf(monkeypatch):  # type: ignore[no-untyped-def]
    """Each document of a batch is issued (and drawn alone) before the batch is drawn into one PDF;
    where a test reads only the batch, the single-document PDF need not be real."""
    monkeypatch.setattr(services, "render_pdf", _fake_pdf)


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_texts(data: bytes) -> list[str]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def starts(data: bytes, rows: list[Document]) -> list[int]:
    """The page (0-based) on which each of `rows` begins in the batch: the first page, after the
    previous document's, whose text begins with the document's heading and title."""
    pages = [_norm(t) for t in page_texts(data)]
    out, at = [], 0
    for row in rows:
        layout = services.document_layout(row)
        head_ = _norm(layout.heading + layout.title)
        at = next(i for i in range(at, len(pages)) if pages[i].startswith(head_))
        out.append(at)
        at += 1
    return out


def _read(job: PrintJob) -> bytes:
    return crypto.decrypt_bytes(Path(job.file.path).read_bytes(), context=services.FILE_AAD)


# --- the day's receipts --------------------------------------------------------------------------

def test_the_days_receipts_of_a_unit(xw, fast_pdf):
    clerk = xw.w.users["clerk_t01"]
    today = timezone.localdate()
    with frozen(today - dt.timedelta(days=1), hour=16):
        yesterday = make_case(xw)
    first, second = make_case(xw), make_case(xw)
    west = make_case(xw, actor=xw.w.users["clerk_t02"], region="331003002201")  # another unit, same day

    job = services.print_request(actor=clerk, kind="receipts", unit=xw.units["t01_subcentre"], day=today)
    assert (job.status, job.total, job.done, job.progress, job.error) == (PrintStatus.DONE, 2, 2, 100, "")
    requested = AuditEvent.objects.get(action="document.print_requested", subject_id=str(job.pk))
    assert requested.extra["kind"] == "receipts" and requested.actor_id == clerk.pk

    rows = [Document.objects.get(case=c, doc_type="intake_receipt") for c in (first, second)]
    assert not Document.objects.filter(case__in=[yesterday, west], doc_type="intake_receipt").exists()
    data, name = services.print_file(job=job, actor=clerk)
    assert name.endswith(".pdf") and data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == job.sha256 and data == _read(job)
    assert b"%PDF" not in Path(job.file.path).read_bytes()  # encrypted at rest
    assert AuditEvent.objects.filter(action="document.print_downloaded", subject_id=str(job.pk)).exists()

    assert all(f["embedded"] for f in pdf_fonts(data))
    text = pdf_text(data)
    assert first.number in text and second.number in text
    assert yesterday.number not in text and west.number not in text
    # one receipt after the other, in order of arrival, each as long as the other: nothing else printed
    at = starts(data, rows)
    assert at[0] == 0 and at[1] >= 1
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == job.pages == 2 * at[1]


def test_the_day_is_the_day_in_china(xw, fast_pdf, monkeypatch):
    """A case registered at 07:00 in Asia/Shanghai (23:00 UTC the day before) is on that day's
    receipts, not on the previous day's."""
    monkeypatch.setattr(services, "render_many", lambda layouts, title, day: (b"%PDF-1.7\n%%EOF\n", len(layouts)))
    clerk = xw.w.users["clerk_t01"]
    day = timezone.localdate() - dt.timedelta(days=3)
    with frozen(day, hour=7):
        early = make_case(xw)
    with frozen(day, hour=23):
        late = make_case(xw)
    unit = xw.units["t01_subcentre"]
    job = services.print_request(actor=clerk, kind="receipts", unit=unit, day=day)
    assert job.status == PrintStatus.DONE and job.total == 2
    assert [c.pk for _, _, c in services.print_items(job)] == [early.pk, late.pk]
    before = services.print_request(actor=clerk, kind="receipts", unit=unit, day=day - dt.timedelta(days=1))
    assert before.status == PrintStatus.FAILED and before.total == 0


def test_a_job_with_nothing_to_print_fails_with_a_chinese_message(xw, fast_pdf):
    clerk = xw.w.users["clerk_t01"]
    today = timezone.localdate()
    empty = services.print_request(actor=clerk, kind="receipts", unit=xw.units["v02_committee"], day=today)
    assert (empty.status, empty.total, empty.error) == (PrintStatus.FAILED, 0, "该日没有登记的事项")
    assert not empty.file and empty.finished_at is not None
    not_mediated = services.print_request(actor=clerk, kind="archive", case=make_case(xw))
    assert not_mediated.status == PrintStatus.FAILED and not_mediated.error == "没有可打印的文书"
    with pytest.raises(Exception) as info:
        services.print_file(job=empty, actor=clerk)
    assert getattr(info.value, "status", None) == 409
    with pytest.raises(PermissionDenied):
        services.print_request(actor=xw.user("centre", "auditor"), kind="receipts", unit=xw.units["centre"], day=today)


# --- the 卷宗 ------------------------------------------------------------------------------------

def test_the_archive_of_a_mediated_case_in_archive_order(xw, fast_pdf):
    case = mediating_case(xw)
    case = held(case, xw, applicant_statement="第一次陈述")
    case = held(case, xw, applicant_statement="第二次陈述")
    case = agreed_case(xw, case=case)
    job = services.print_request(actor=head(xw), kind="archive", case=case)
    assert job.status == PrintStatus.DONE, job.error
    items = services.print_items(job)
    codes = [code for code, _, _ in items]
    assert codes[:2] == ["archive_cover", "archive_contents"] and codes[-1] == "archive_back"
    assert "petition_agreement" in codes and "mediation_record" in codes
    order = list(catalogue.ARCHIVE_ORDER)
    assert codes == sorted(codes, key=order.index)  # the 卷内目录 order
    assert job.total == job.done == len(items)

    rows = [Document.objects.filter(case=case, doc_type=code, subject=subject).latest("version")
            for code, subject, _ in items]
    data, _ = services.print_file(job=job, actor=head(xw))
    first_pages = starts(data, rows)
    assert first_pages == sorted(first_pages) and first_pages[0] == 0
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == job.pages > len(rows) - 1
    cover, agreement = rows[0], rows[codes.index("petition_agreement")]
    text = pdf_text(data)
    assert _norm(services.document_layout(cover).title) in _norm(text)
    assert agreement.number and agreement.number in text
    # every held session has its own 人民调解记录, in the order they were held
    assert codes.count("mediation_record") == 3
    assert _norm(text).index("第一次陈述") < _norm(text).index("第二次陈述")


# --- claiming and the worker -----------------------------------------------------------------------

def _fake_many(layouts, title, day):  # type: ignore[no-untyped-def]
    return b"%PDF-1.7\n%batch\n%%EOF\n", len(layouts)


def test_a_job_is_claimed_once(xw, settings, fast_pdf, monkeypatch):
    settings.FANGTIAO_PRINT_MODE = "worker"
    monkeypatch.setattr(services, "render_many", _fake_many)
    make_case(xw)
    clerk = xw.w.users["clerk_t01"]
    job = services.print_request(actor=clerk, kind="receipts", unit=xw.units["t01_subcentre"],
                                 day=timezone.localdate())
    assert (job.status, job.done, job.started_at) == (PrintStatus.QUEUED, 0, None)
    done = services.print_run(job_id=job.pk)
    assert done is not None and done.status == PrintStatus.DONE and done.started_at is not None
    assert services.print_run(job_id=job.pk) is None  # already claimed: compare-and-set says no
    assert PrintJob.objects.get(pk=job.pk).sha256 == done.sha256

    other = services.print_request(actor=clerk, kind="receipts", unit=xw.units["t01_subcentre"],
                                   day=timezone.localdate())
    PrintJob.objects.filter(pk=other.pk).update(status=PrintStatus.RUNNING, started_at=timezone.now())
    assert services.print_run(job_id=other.pk) is None  # someone else is running it
    assert PrintJob.objects.get(pk=other.pk).status == PrintStatus.RUNNING


def test_the_worker_runs_queued_jobs_and_requeues_stale_ones(xw, settings, fast_pdf, monkeypatch):
    settings.FANGTIAO_PRINT_MODE = "worker"
    monkeypatch.setattr(services, "render_many", _fake_many)
    make_case(xw)
    clerk = xw.w.users["clerk_t01"]
    unit, today = xw.units["t01_subcentre"], timezone.localdate()
    queued = [services.print_request(actor=clerk, kind="receipts", unit=unit, day=today) for _ in range(2)]
    stale = services.print_request(actor=clerk, kind="receipts", unit=unit, day=today)
    busy = services.print_request(actor=clerk, kind="receipts", unit=unit, day=today)
    # a runner silent for 20 minutes is gone; one that beat a minute ago is working (though it started long ago)
    long_ago = timezone.now() - dt.timedelta(minutes=40)
    PrintJob.objects.filter(pk=stale.pk).update(status=PrintStatus.RUNNING, done=1, started_at=long_ago,
                                                 heartbeat_at=timezone.now() - dt.timedelta(minutes=20))
    PrintJob.objects.filter(pk=busy.pk).update(status=PrintStatus.RUNNING, started_at=long_ago,
                                                heartbeat_at=timezone.now() - dt.timedelta(minutes=1))

    assert services.run_queued_prints() == 3
    for job in (*queued, stale):
        job.refresh_from_db()
        assert (job.status, job.total, job.done) == (PrintStatus.DONE, 1, 1)
    busy.refresh_from_db()
    assert busy.status == PrintStatus.RUNNING and not busy.file
    assert services.run_queued_prints() == 0
