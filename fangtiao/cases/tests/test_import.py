"""Import of historical matters (`fangtiao import-cases`, cases/importer.py). Invented data only."""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from fangtiao.audit.models import AuditEvent
from fangtiao.cases import importer
from fangtiao.cases.importer import import_cases, parse_mapping
from fangtiao.cases.models import Case, CaseEvent, ImportBatch, ImportedRow, Party
from fangtiao.cases.schemas import PartyIn
from fangtiao.cases.services import _party_keys
from fangtiao.cases.tests.factories import TZ, id_number, mobile
from fangtiao.clocks.models import Clock
from fangtiao.core.errors import ValidationFailed
from fangtiao.notifications.models import Notification

HEADER = ["编号", "标题", "内容", "诉求", "来信时间", "渠道", "类型", "类别", "地点", "姓名", "身份证", "电话", "住址",
          "人数", "金额", "办结时间"]

MAPPING = """
[source]
name = "旧信访系统"

[columns]
external_id = "编号"
title = "标题"
description = "内容"
demands = "诉求"
received_at = "来信时间"
channel = "渠道"
kind = "类型"
category = "类别"
region = "地点"
petitioner_name = "姓名"
petitioner_id_number = "身份证"
petitioner_phone = "电话"
petitioner_address = "住址"
headcount = "人数"
amount = "金额"
closed_on = "办结时间"

[values.channel]
"群众来信" = "letter"
"网上信访" = "online"

[values.kind]
"纠纷" = "dispute"
"信访" = "petition"

[values.category]
"物业纠纷" = "property"
"劳资纠纷" = "labour"

[values.region]
"东城" = "331003001"
"上洋" = "331003001201"

[defaults]
status = "registered"
"""


def row(n: int, **over: Any) -> dict[str, str]:
    r = {"编号": f"JX-{n:04d}", "标题": f"小区物业收费争议{n}", "内容": "物业公司重复收取电梯维修费。",
         "诉求": "退还多收的费用", "来信时间": f"2019-04-{1 + n % 28:02d} 09:32:09", "渠道": "群众来信", "类型": "纠纷",
         "类别": "物业纠纷", "地点": "上洋", "姓名": f"张{n}", "身份证": id_number(seq=900 + n), "电话": mobile(900 + n),
         "住址": f"上洋村{n}号", "人数": "1", "金额": "1,200.50", "办结时间": ""}
    r.update(over)
    return r


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=HEADER)
        w.writeheader()
        w.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[dict[str, str]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in rows:
        values: list[Any] = [r[h] for h in HEADER]
        # Excel keeps times as times: the reader gets a datetime, not text.
        values[HEADER.index("来信时间")] = dt.datetime.strptime(r["来信时间"], "%Y-%m-%d %H:%M:%S")
        ws.append(values)
    wb.save(path)
    return path


@pytest.fixture
def mapping_file(tmp_path: Path) -> Path:
    p = tmp_path / "mapping.toml"
    p.write_text(MAPPING, encoding="utf-8")
    return p


@pytest.fixture
def centre(xw: Any) -> Any:
    return xw.units["centre"]


def run(path: Path, unit: Any, text: str = MAPPING, **kw: Any) -> importer.ImportReport:
    import tomllib

    kw.setdefault("batch_size", 2)
    return import_cases(path=path, mapping=parse_mapping(tomllib.loads(text)), actor_unit=unit, **kw)


def footprint() -> dict[str, int]:
    return {"cases": Case.objects.count(), "parties": Party.objects.count(), "events": CaseEvent.objects.count(),
            "audit": AuditEvent.objects.count(), "batches": ImportBatch.objects.count(),
            "rows": ImportedRow.objects.count(), "clocks": Clock.objects.count(),
            "notifications": Notification.objects.count()}


# --- good files ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["csv-utf8-bom", "csv-gbk", "xlsx"])
def test_a_good_file_imports_every_row_as_history(xw, centre, tmp_path, kind):
    rows = [row(1), row(2, 渠道="网上信访", 类型="信访", 类别="", 地点="东城", 办结时间="2019/5/20", 金额="", 人数="6"),
            row(3, 姓名="", 身份证="", 电话="", 住址="")]
    if kind == "xlsx":
        path = write_xlsx(tmp_path / "old.xlsx", rows)
    else:
        path = write_csv(tmp_path / "old.csv", rows, encoding="gbk" if kind == "csv-gbk" else "utf-8-sig")
    before = footprint()
    report = run(path, centre)
    assert (report.total, report.valid, report.invalid, report.imported, report.skipped) == (3, 3, 0, 3, 0)
    assert not report.errors and not report.aborted

    by_ext = {r.external_id: r.case for r in ImportedRow.objects.select_related("case")}
    first, second, third = by_ext["JX-0001"], by_ext["JX-0002"], by_ext["JX-0003"]
    # The original received time, a number in the historical series, the mapped codes.
    assert first.received_at == dt.datetime(2019, 4, 2, 9, 32, 9, tzinfo=TZ)
    assert first.number == "黄岩矛调访调（历史）〔2019〕00001号" and first.number_year == 2019
    assert (first.kind, first.channel, first.category_id, first.region.code) == ("dispute", "letter", "property",
                                                                                "331003001201")
    assert str(first.amount) == "1200.50" and first.status == "registered" and first.closed_on is None
    assert (second.kind, second.channel, second.category_id, second.region.code) == ("petition", "online", None,
                                                                                    "331003001")
    assert second.status == "closed" and second.closed_on == dt.date(2019, 5, 20)  # closed per the source
    assert second.is_collective and second.headcount == 6
    assert first.holder_unit == centre and first.registered_unit == centre
    assert third.parties.count() == 0 and first.parties.count() == 1
    # History starts no clock and notifies no one.
    after = footprint()
    assert after["clocks"] == before["clocks"] and after["notifications"] == before["notifications"]
    assert after["cases"] - before["cases"] == 3
    assert CaseEvent.objects.filter(case=second, action="close").exists()
    assert "旧信访系统" in CaseEvent.objects.get(case=first, action="register").note


def test_parties_are_stored_like_intake_encrypted_with_blind_indexes(xw, centre, tmp_path):
    r = row(1)
    run(write_csv(tmp_path / "a.csv", [r]), centre)
    party = Party.objects.get(case__imported_from__external_id="JX-0001")
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone, address FROM cases_party WHERE id = %s", [party.pk])
        raw = cur.fetchone()
    assert r["身份证"] not in str(raw) and r["电话"] not in str(raw) and "上洋村1号" not in str(raw)
    assert all(v.startswith("v2:") for v in raw)
    assert party.id_number == r["身份证"] and party.phone == r["电话"] and party.role == "petitioner"
    assert (party.id_index, party.phone_index, party.name_phone_index) == _party_keys(
        PartyIn(name="张1", id_number=r["身份证"], phone=r["电话"]))
    assert party.search_key.startswith("z1") or "zhang" in party.search_key


def test_every_imported_case_and_the_batch_are_audited(xw, centre, tmp_path):
    report = run(write_csv(tmp_path / "a.csv", [row(1), row(2), row(3)]), centre, batch_size=2)
    events = AuditEvent.objects.filter(action="cases.imported")
    per_case = events.filter(subject_type="cases.case")
    assert sorted(int(e.subject_id) for e in per_case) == sorted(report.case_ids)
    e = per_case.get(subject_id=str(report.case_ids[0]))
    assert e.extra["source"] == "旧信访系统" and e.extra["external_id"] == "JX-0001" and e.extra["line"] == 2
    assert e.actor_username == "import-cases" and e.changes["number"][1].endswith("00001号")
    batch = events.get(subject_type="cases.importbatch")
    assert batch.extra["imported"] == 3 and batch.extra["total"] == 3


def test_a_number_from_the_source_is_kept_and_clashes_are_errors(xw, centre, tmp_path):
    text = MAPPING.replace('external_id = "编号"', 'external_id = "编号"\nnumber = "标题"')
    existing = Case.objects.create(number="旧号001", number_unit=centre, number_year=2019, number_seq=1, kind="petition",
                                   channel="visit", title="已有", region=xw.district, region_path=xw.district.path,
                                   registered_unit=centre, holder_unit=centre)
    report = run(write_csv(tmp_path / "a.csv", [row(1, 标题="黄岩信〔2019〕12号"), row(2, 标题=existing.number)]), centre,
                 text=text, skip_invalid=True)
    assert report.imported == 1 and Case.objects.filter(number="黄岩信〔2019〕12号").exists()
    assert [e.line for e in report.errors] == [3] and "已被系统中的其他事项使用" in report.errors[0].message


def test_several_columns_are_joined(xw, centre, tmp_path):
    text = MAPPING.replace('description = "内容"', 'description = ["内容", "诉求"]')
    run(write_csv(tmp_path / "a.csv", [row(1)]), centre, text=text)
    assert Case.objects.get(imported_from__external_id="JX-0001").description == "物业公司重复收取电梯维修费。\n退还多收的费用"


# --- bad rows --------------------------------------------------------------------------------

BAD_ROWS = [
    (row(1), None),
    (row(2, 标题=""), ("title", "缺少事项标题")),
    (row(3, 来信时间="去年春天"), ("received_at", "无法识别的日期")),
    (row(4, 类别="外星纠纷"), ("category", "纠纷类型“外星纠纷”不是有效的纠纷类型代码")),
    (row(5, 地点="999999"), ("region", "发生地区划代码“999999”不存在")),
    (row(6, 身份证="331003198001011234"), ("petitioner_id_number", "身份证号码校验位不正确")),
    (row(7, 编号="JX-0001"), ("external_id", "与第 2 行重复")),
    (row(8, 电话="12345"), ("petitioner_phone", "手机号码")),
    (row(9, 渠道="飞鸽传书"), ("channel", "来源渠道“飞鸽传书”无法识别")),
]


def test_bad_rows_are_reported_with_line_and_field_and_nothing_is_imported(xw, centre, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [r for r, _ in BAD_ROWS])
    before = footprint()
    report = run(path, centre)
    assert report.aborted and report.imported == 0 and (report.total, report.valid, report.invalid) == (9, 1, 8)
    assert footprint() == before  # nothing half-imported, not even a batch record
    got = {(e.line, e.field): e.message for e in report.errors}
    for line, (_r, expect) in enumerate(BAD_ROWS, start=2):
        if expect is None:
            continue
        field, words = expect
        assert words in got[(line, field)], (line, got)
    masked = next(e for e in report.errors if e.field == "petitioner_id_number")
    assert masked.value == "331003********1234"  # the report never spells out an ID number
    assert report.error_lines()[0].startswith("第 3 行  事项标题（标题）：缺少事项标题")


def test_skip_invalid_imports_the_good_rows_and_reports_the_bad(xw, centre, tmp_path):
    report = run(write_csv(tmp_path / "bad.csv", [r for r, _ in BAD_ROWS]), centre, skip_invalid=True)
    assert report.imported == 1 and report.invalid == 8 and not report.aborted
    assert list(ImportedRow.objects.values_list("external_id", flat=True)) == ["JX-0001"]
    assert ImportBatch.objects.get().invalid_rows == 8


def test_dry_run_validates_and_writes_nothing(xw, centre, tmp_path):
    before = footprint()
    report = run(write_csv(tmp_path / "a.csv", [row(1), row(2), row(3, 标题="")]), centre, dry_run=True)
    assert (report.total, report.valid, report.invalid, report.imported, report.to_import) == (3, 2, 1, 0, 2)
    assert footprint() == before


# --- resuming --------------------------------------------------------------------------------

def test_a_crash_leaves_whole_batches_and_the_rerun_imports_the_rest_once(xw, centre, tmp_path):
    path = write_csv(tmp_path / "a.csv", [row(n) for n in range(1, 8)])
    real = importer._import_batch
    calls = {"n": 0}

    def crash_on_second(**kw: Any) -> list[int]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("断电")
        return real(**kw)

    with mock.patch.object(importer, "_import_batch", side_effect=crash_on_second), pytest.raises(RuntimeError):
        run(path, centre, batch_size=3)
    assert Case.objects.filter(imported_from__isnull=False).count() == 3  # the first batch, whole
    batch = ImportBatch.objects.get()
    assert batch.status == "failed" and "断电" in batch.error and batch.imported_rows == 3

    report = run(path, centre, batch_size=3)
    assert (report.imported, report.skipped) == (4, 3)
    exts = list(ImportedRow.objects.values_list("external_id", flat=True))
    assert sorted(exts) == [f"JX-{n:04d}" for n in range(1, 8)] and len(set(exts)) == 7
    seqs = sorted(Case.objects.filter(imported_from__isnull=False).values_list("number_seq", flat=True))
    assert seqs == [importer.HISTORICAL_SEQ_BASE + n for n in range(1, 8)]  # no gap, no double
    batch.refresh_from_db()
    assert batch.status == "completed" and batch.imported_rows == 7 and batch.runs == 2


def test_a_rerun_is_a_no_op_and_no_resume_reports_the_rows(xw, centre, tmp_path):
    path = write_csv(tmp_path / "a.csv", [row(1), row(2)])
    run(path, centre)
    before = footprint()
    report = run(path, centre)
    assert (report.imported, report.skipped, report.valid) == (0, 2, 2)
    assert footprint() == before
    # Another file of the same source with one old and one new row: only the new one comes in.
    report = run(write_csv(tmp_path / "b.csv", [row(2), row(3)]), centre)
    assert (report.imported, report.skipped) == (1, 1)
    report = run(path, centre, resume=False)
    assert report.aborted and {e.message[:5] for e in report.errors} == {"已导入过（"}


# --- the mapping -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "words"), [
    (MAPPING + "\n[colums]\ntitle = \"标题\"\n", "对照文件顶层中有不认识的项：colums"),
    (MAPPING.replace('title = "标题"', 'titel = "标题"'), "[columns] 中有不认识的项：titel"),
    (MAPPING.replace('name = "旧信访系统"', ""), "[source] 中用 name"),
    (MAPPING.replace('"群众来信" = "letter"', '"群众来信" = "pigeon"'), "“pigeon”不是有效的来源渠道代码"),
    (MAPPING.replace('status = "registered"', 'status = "accepted"'), "不是有效的状态代码"),
    (MAPPING.replace('region = "地点"', ""), "指定 region（发生地）"),
    (MAPPING + "\n[options]\nreceived_at_format = \"YYYY-MM-DD\"\n", "应使用 %Y"),
])
def test_mapping_mistakes_are_clear_chinese_errors(text, words):
    import tomllib

    with pytest.raises(ValidationFailed) as exc:
        parse_mapping(tomllib.loads(text))
    assert words in exc.value.detail


def test_columns_missing_from_the_file_and_unknown_codes_in_the_mapping(xw, centre, tmp_path):
    path = write_csv(tmp_path / "a.csv", [row(1)])
    with pytest.raises(ValidationFailed, match="文件中没有对照文件所写的列：备注"):
        run(path, centre, text=MAPPING.replace('amount = "金额"', 'amount = "金额"\nreply = "备注"'))
    with pytest.raises(ValidationFailed, match="区划代码不存在或已停用：999999"):
        run(path, centre, text=MAPPING.replace('"东城" = "331003001"', '"东城" = "999999"'))


def test_optional_columns_may_be_absent_from_a_file(xw, centre, tmp_path):
    text = MAPPING.replace('amount = "金额"', 'amount = "金额"\nreply = "答复"') + '\n[options]\noptional_columns = ["答复"]\n'
    report = run(write_csv(tmp_path / "a.csv", [row(1)]), centre, text=text)
    assert report.imported == 1 and Case.objects.get(imported_from__external_id="JX-0001").reply_opinion == ""


def test_date_formats_from_the_mapping(xw, centre, tmp_path):
    text = MAPPING + '\n[options]\nreceived_at_format = "%d.%m.%Y %H时"\n'
    report = run(write_csv(tmp_path / "a.csv", [row(1, 来信时间="25.04.2019 09时"), row(2, 来信时间="2019-04-25")]),
                 centre, text=text, skip_invalid=True)
    assert report.imported == 1 and [e.line for e in report.errors] == [3]
    assert Case.objects.get(imported_from__external_id="JX-0001").received_at == dt.datetime(2019, 4, 25, 9, tzinfo=TZ)


# --- the command -----------------------------------------------------------------------------

def test_command_imports_and_prints_a_chinese_summary(xw, centre, tmp_path, mapping_file, capsys):
    path = write_csv(tmp_path / "a.csv", [row(1), row(2)])
    call_command("import-cases", str(path), mapping=str(mapping_file), unit=centre.short_name)
    out = capsys.readouterr()
    assert "总行数：2" in out.out and "已导入：2" in out.out and "跳过（已导入过）：0" in out.out
    assert "导入 2/2" in out.err  # the progress bar (a line every 10 % when not a terminal)
    call_command("import-cases", str(path), mapping=str(mapping_file), unit=str(centre.pk))
    assert "跳过（已导入过）：2" in capsys.readouterr().out


def test_command_refuses_a_file_with_bad_rows_and_writes_the_report(xw, centre, tmp_path, mapping_file, capsys):
    path = write_csv(tmp_path / "bad.csv", [row(1), row(2, 标题="")])
    report_file = tmp_path / "report.csv"
    before = footprint()
    with pytest.raises(CommandError) as exc:
        call_command("import-cases", str(path), mapping=str(mapping_file), unit="黄岩矛调", report=str(report_file))
    assert exc.value.returncode == 1 and "未导入任何事项" in str(exc.value)
    assert footprint() == before
    assert "第 3 行  事项标题（标题）：缺少事项标题" in capsys.readouterr().out
    lines = report_file.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "行号,字段,列名,值,问题" and lines[1].startswith("3,事项标题,标题,,缺少事项标题")
    # With --skip-invalid the good row comes in and the command succeeds.
    call_command("import-cases", str(path), mapping=str(mapping_file), unit="黄岩矛调", skip_invalid=True)
    assert "已导入：1" in capsys.readouterr().out


def test_command_dry_run_and_bad_input(xw, centre, tmp_path, mapping_file, capsys):
    path = write_csv(tmp_path / "a.csv", [row(1)])
    before = footprint()
    call_command("import-cases", str(path), mapping=str(mapping_file), dry_run=True)
    assert "将导入：1" in capsys.readouterr().out and footprint() == before
    with pytest.raises(CommandError, match="找不到文件") as exc:
        call_command("import-cases", str(tmp_path / "none.csv"), mapping=str(mapping_file), unit="黄岩矛调")
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="找不到登记单位“火星站”"):
        call_command("import-cases", str(path), mapping=str(mapping_file), unit="火星站")
    (tmp_path / "x.txt").write_text("not a table", encoding="utf-8")
    with pytest.raises(CommandError, match="文件中没有对照文件所写的列"):
        call_command("import-cases", str(tmp_path / "x.txt"), mapping=str(mapping_file), unit="黄岩矛调")


def test_the_installed_command_exits_non_zero_with_chinese_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[source]\nname = "x"\n[columns]\ntitle = "标题"\nreceived = "时间"\n', encoding="utf-8")
    data = write_csv(tmp_path / "a.csv", [row(1)])
    env = {**os.environ, "FANGTIAO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}"}
    exe = Path(sys.executable).with_name("fangtiao")
    # --skip-checks: this test is about the command, not about the URL checks of every other app.
    done = subprocess.run([str(exe), "import-cases", str(data), "--mapping", str(bad), "--skip-checks"], capture_output=True,
                          text=True, env=env, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert "错误：对照文件有误：[columns] 中有不认识的项：received" in done.stderr
    assert "Traceback" not in done.stderr


def test_repeat_and_skip_level_flags_are_kept_as_recorded(xw, centre, tmp_path):
    """Old petition systems mark 重复 and 越级 (legal-rules §5.2); the statistics count them."""
    text = MAPPING.replace('closed_on = "办结时间"', 'closed_on = "办结时间"\nrepeat = "重复"\nskip_level = "越级"')
    path = tmp_path / "flags.csv"
    rows = [row(1), row(2), row(3)]
    flags = [("是", "否"), ("否", "越级"), ("", "")]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=[*HEADER, "重复", "越级"])
        w.writeheader()
        for r, (rep, skip) in zip(rows, flags, strict=True):
            w.writerow({**r, "重复": rep, "越级": skip})
    run(path, centre, text=text)
    got = {c.imported_from.external_id: (c.is_repeat, c.is_skip_level)
           for c in Case.objects.filter(imported_from__external_id__in=["JX-0001", "JX-0002", "JX-0003"])}
    assert got == {"JX-0001": (True, False), "JX-0002": (False, True), "JX-0003": (False, False)}
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=[*HEADER, "重复", "越级"])
        w.writeheader()
        w.writerow({**row(4), "重复": "也许", "越级": ""})
    report = run(bad, centre, text=text)
    assert report.aborted and any(e.field == "repeat" and "是" in e.message for e in report.errors)
