"""The documents part of the benchmark: how long issuing a document and drawing a 卷宗 take, each
against a floor measured in the same run, in the same process (rendering is CPU work in the
process that serves the request; there is no HTTP in between to measure).

| op | what is timed | its floor |
|---|---|---|
| `doc.floor_page` | fpdf2 draws one A4 page with one line of Chinese text in the embedded CJK face (load the face, subset it, write the file) | — |
| `doc.issue` | `documents.services.document_issue` of the 信访事项受理登记表 of a generated petition: context, Word (python-docx), PDF (fpdf2), both encrypted and stored, row and audit written | `doc.floor_page` |
| `doc.floor_50_pages` | fpdf2 draws 50 such one-line pages into one PDF | — |
| `doc.archive_50` | `documents.services.render_many` of the layouts of 50 documents into one PDF (a 50-document 卷宗 or a day's receipts) | `doc.floor_50_pages` |

`floor_ratio` is the op's p50 divided by its floor's p50; `rps` is documents (or batches) per
second of one process. Each issue runs on a different generated case inside a transaction that
is rolled back, with the files kept in memory (InMemoryStorage): the bench database and the media
folder are left as they were.

Run with the HTTP benchmark: `fangtiao bench --documents` (`make bench` does),
or alone: `fangtiao shell -c "from fangtiao.bench import documents; documents.main()"`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min
from django.test.utils import override_settings

from fangtiao.bench.generate import BENCH_PATH_PREFIX, BENCH_USERNAME, GenerationError, database_vendor

FLOOR_PAGE = "doc.floor_page"
ISSUE = "doc.issue"
FLOOR_PAGES = "doc.floor_50_pages"
ARCHIVE = "doc.archive_50"
FORM = "petition_register"
FLOOR_TEXT = "访调通基准测试：一行中文"
FIXED_DAY = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class DocConfig:
    n_cases: int = 0
    repeats: int = 10          # timed issues (and floor pages)
    archive_repeats: int = 3   # timed 卷宗 renders (and 50-page floors)
    archive_size: int = 50
    warmup: int = 1


# --- the floors --------------------------------------------------------------------------------

def floor_pdf(pages: int = 1) -> bytes:
    """fpdf2 and nothing else: `pages` A4 pages, each with one line of Chinese text in the face the
    documents embed (documents.fonts), so the floor pays for loading and subsetting it too."""
    from fpdf import FPDF

    from fangtiao.documents.fonts import find_fonts

    face = find_fonts().regular
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.add_font("cjk", "", face.path, collection_font_number=face.index)
    pdf.set_creation_date(FIXED_DAY)
    for _ in range(pages):
        pdf.add_page()
        pdf.set_font("cjk", size=14)
        pdf.cell(0, 10, FLOOR_TEXT)
    return bytes(pdf.output())


# --- what is measured --------------------------------------------------------------------------

def petition_ids(k: int) -> list[int]:
    """Up to `k` generated petitions (not 检举控告) spread evenly over the id range."""
    from fangtiao.cases.models import Case

    qs = Case.objects.filter(region_path__startswith=BENCH_PATH_PREFIX, kind="petition").exclude(nature="accusation")
    bounds = qs.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        raise GenerationError("没有找到基准信访事项，请先运行 fangtiao bench generate")
    lo, hi = bounds["lo"], bounds["hi"]
    ids = [qs.filter(pk__gte=lo + (hi - lo) * i // k).order_by("pk").values_list("pk", flat=True).first()
           for i in range(k)]
    found = list(dict.fromkeys(i for i in ids if i is not None))
    if len(found) < k:  # a small table: take the rest in order
        found += list(qs.exclude(pk__in=found).order_by("pk").values_list("pk", flat=True)[: k - len(found)])
    return found


def _case(pk: int) -> Any:
    from fangtiao.cases.models import Case

    return Case.objects.select_related("category", "region", "holder_unit", "registered_unit", "registered_by").get(pk=pk)


def _timed(fn: Callable[[], Any], *, runs: int, warmup: int) -> tuple[list[float], float]:
    """(milliseconds of each timed run, wall seconds of the timed runs)."""
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times, time.perf_counter() - start


def _in_memory_files() -> Any:
    return override_settings(STORAGES={**settings.STORAGES,
                                       "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}})


def _issue_times(config: DocConfig) -> tuple[list[float], float]:
    """Issue the form of a different case each time (a render every time, never the stored row),
    all inside one transaction that is rolled back."""
    from fangtiao.documents import services
    from fangtiao.documents.models import Document
    from fangtiao.org.models import User

    actor = User.objects.select_related("unit__region").get(username=BENCH_USERNAME)
    needed = config.repeats + config.warmup
    ids = petition_ids(max(needed, 1))
    cases = iter([_case(pk) for pk in (ids * (1 + needed // len(ids)))[:needed]])

    def one() -> None:
        case = next(cases)
        Document.objects.filter(case=case, doc_type=FORM).delete()  # only inside the rolled-back transaction
        services.document_issue(case=case, doc_type=FORM, actor=actor)

    with _in_memory_files(), transaction.atomic():
        try:
            return _timed(one, runs=config.repeats, warmup=config.warmup)
        finally:
            transaction.set_rollback(True)


def archive_layouts(size: int) -> list[Any]:
    """The layouts of `size` documents (the form of `size` generated petitions), built without rendering."""
    from fangtiao.documents import catalogue, services

    doc = catalogue.get(FORM)
    if doc is None:
        raise GenerationError(f"文书目录中没有 {FORM}")
    layouts = []
    with transaction.atomic():
        for pk in petition_ids(size):
            ctx, day, _template, _digest = services.build_context(_case(pk), doc, "")
            layouts.append(services.layout_of(doc, ctx, day))
        transaction.set_rollback(True)  # build_context writes nothing for this form; be sure
    if len(layouts) < size:
        layouts = (layouts * (size // max(len(layouts), 1) + 1))[:size]
    return layouts


# --- the run -----------------------------------------------------------------------------------

def _result(name: str, times: list[float], wall: float, *, config: DocConfig, db: str, path: str) -> Any:
    from fangtiao.bench.runner import OpResult, percentile

    return OpResult(op=name, db=db, n_cases=config.n_cases, p50_ms=round(percentile(times, 50), 2),
                    p95_ms=round(percentile(times, 95), 2), p99_ms=round(percentile(times, 99), 2),
                    rps=round(len(times) / wall, 2) if wall > 0 else 0.0, floor_ratio=0.0, requests=len(times),
                    concurrency=1, path=path)


def _ratio(op: Any, floor: Any) -> None:
    op.floor_ratio = round(op.p50_ms / floor.p50_ms, 2) if floor.p50_ms else 0.0
    op.floor_rps_ratio = round(floor.rps / op.rps, 2) if op.rps else 0.0


def run(config: DocConfig, *, log: Callable[[str], None] = print) -> list[Any]:
    """The four measurements, each op with its floor's ratio (floors first, 1.0)."""
    from fangtiao.documents.render_pdf import render_many

    db = database_vendor()
    log(f"文书：单份文书出具（{FORM}，Word + PDF）{config.repeats} 次，{config.archive_size} 份卷宗 {config.archive_repeats} 次（进程内）")
    layouts = archive_layouts(config.archive_size)

    times, wall = _timed(floor_pdf, runs=config.repeats, warmup=config.warmup)
    floor = _result(FLOOR_PAGE, times, wall, config=config, db=db, path="fpdf2: 1 page, 1 line of CJK text (embedded face)")
    times, wall = _issue_times(config)
    issue = _result(ISSUE, times, wall, config=config, db=db, path=f"services.document_issue({FORM}): Word + PDF, stored")

    times, wall = _timed(lambda: floor_pdf(config.archive_size), runs=config.archive_repeats, warmup=config.warmup)
    floor_many = _result(FLOOR_PAGES, times, wall, config=config, db=db,
                         path=f"fpdf2: {config.archive_size} pages, 1 line of CJK text each")
    times, wall = _timed(lambda: render_many(layouts, title="卷宗", day=FIXED_DAY.date()), runs=config.archive_repeats,
                         warmup=config.warmup)
    archive = _result(ARCHIVE, times, wall, config=config, db=db,
                      path=f"services.render_many: {config.archive_size} documents in one PDF")

    for f in (floor, floor_many):
        f.floor_ratio = f.floor_rps_ratio = 1.0
    _ratio(issue, floor)
    _ratio(archive, floor_many)
    return [floor, issue, floor_many, archive]


def main(n_cases: int = 0, **kw: Any) -> list[Any]:
    """Measure and print the table (for `fangtiao shell -c`)."""
    from fangtiao.bench.runner import table

    results = run(DocConfig(n_cases=n_cases, **kw))
    print(table(results))  # noqa: T201
    return results
