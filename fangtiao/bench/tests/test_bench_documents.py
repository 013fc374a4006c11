"""The documents part of the benchmark (fangtiao.bench.documents): it measures issuing and a 卷宗
against fpdf2 floors of the same run, reports them like the HTTP operations, and leaves the bench
database and the media folder as they were."""

from __future__ import annotations

from pathlib import Path

import pytest

from fangtiao.audit.models import AuditEvent
from fangtiao.bench import documents
from fangtiao.bench import generate as gen
from fangtiao.bench.runner import table
from fangtiao.documents.models import Document, DocumentNumber
from fangtiao.documents.tests.support import pdf_fonts, pdf_text


@pytest.mark.django_db
def test_documents_part_reports_ratios_and_leaves_nothing_behind(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    floor = documents.floor_pdf(2)  # the floor: one line of Chinese per page, in the embedded face
    assert pdf_text(floor).count(documents.FLOOR_TEXT) == 2 and all(f["embedded"] for f in pdf_fonts(floor))
    gen.generate(1000)
    audits = AuditEvent.objects.count()
    config = documents.DocConfig(n_cases=1000, repeats=1, archive_repeats=1, archive_size=3, warmup=0)
    results = documents.run(config, log=lambda _msg: None)
    assert [r.op for r in results] == [documents.FLOOR_PAGE, documents.ISSUE, documents.FLOOR_PAGES, documents.ARCHIVE]
    by = {r.op: r for r in results}
    assert by[documents.FLOOR_PAGE].floor_ratio == by[documents.FLOOR_PAGES].floor_ratio == 1.0
    for name, floor in ((documents.ISSUE, documents.FLOOR_PAGE), (documents.ARCHIVE, documents.FLOOR_PAGES)):
        r = by[name]
        assert r.floor_ratio == round(r.p50_ms / by[floor].p50_ms, 2) and r.floor_ratio > 0
        assert r.p95_ms >= r.p50_ms > 0 and r.rps > 0 and r.db in ("sqlite", "postgresql") and r.n_cases == 1000
    assert (by[documents.ISSUE].requests, by[documents.ARCHIVE].requests) == (1, 1)
    assert documents.ARCHIVE in table(results)
    # rolled back, files in memory
    assert not Document.objects.exists() and not DocumentNumber.objects.exists()
    assert AuditEvent.objects.count() == audits
    assert not (tmp_path / "media").exists()
