"""人民调解工作统计表: the four tables against an independent count of cases driven through the
services, the workbook opened with openpyxl, permission (403), jurisdiction (404), bad periods
(a Chinese message, 400) and the audit of every download."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.tests.factories import act, person
from fangtiao.mediation.models import Confirmation, Mediation, Obligation, RiskReport
from fangtiao.mediation.tests.support import (
    agreed_case,
    confirmed_case,
    held,
    mediating_case,
    mediator,
    two_parties,
)
from fangtiao.screening.models import Finding, ScreeningRound
from fangtiao.stats import reports

URL, XLSX_URL = "/stats/reports/", "/stats/reports/mediation.xlsx"
TODAY = timezone.localdate()
YEAR = str(TODAY.year)


def leader(xw):
    return xw.user("centre", "leader")


def build(xw):
    """Six rounds in 上洋村 (东城): confirmed and performed, agreed and not performed (collective, with
    a risk report), failed, withdrawn, still open, and one started last year (outside the period)."""
    c1 = confirmed_case(xw)  # property, 300 元
    ob = Obligation.objects.get(case=c1)
    c1 = act(c1, mediator(xw), "record_performance", obligation=ob.pk, proof_kind="receipt")
    c2 = mediating_case(xw, category="neighbour", headcount=30,
                        parties=[person(is_representative=True), two_parties()[1]])
    c2 = act(c2, mediator(xw), "report_risk", description="双方扬言报复，可能激化")
    c2 = agreed_case(xw, case=c2, obligations=[{"content": "赔偿损失", "amount": "500.00",
                                                "due_on": TODAY + dt.timedelta(days=20)},
                                               {"content": "书面道歉"}])
    c3 = held(mediating_case(xw, category="labour"), xw)
    c3 = act(c3, mediator(xw), "fail", reason="用人单位拒绝支付", next="arbitration")
    c4 = mediating_case(xw, category="labour")
    c4 = act(c4, xw.user("t01_committee", "committee_head"), "withdraw", reason="当事人自行和解")
    c5 = mediating_case(xw, category="marriage_family")
    old = mediating_case(xw, category="marriage_family")
    Mediation.objects.filter(case=old).update(started_on=dt.date(TODAY.year - 1, 12, 31))
    rnd = ScreeningRound.objects.create(unit=xw.units["v01_committee"], region_path=xw.v01.path,
                                        period_start=TODAY.replace(day=1), due_on=TODAY, status="done", screened_on=TODAY)
    Finding.objects.create(round=rnd, title="邻里排水纠纷", region=xw.v01, headcount=4, measures="现场劝解")
    Finding.objects.create(round=rnd, title="土地边界", region=xw.v01, headcount=2, case=c5)
    ScreeningRound.objects.create(unit=xw.units["v01_committee"], region_path=xw.v01.path, seq=2,
                                  period_start=TODAY.replace(day=2), due_on=TODAY, status="scheduled")
    return {"performed": c1, "agreed": c2, "failed": c3, "withdrawn": c4, "open": c5, "old": old}


def independent(period_start, period_end):
    """Count the rounds in Python, one by one (no aggregation in the database)."""
    out = {}
    for m in Mediation.objects.select_related("case").exclude(status="superseded"):
        if not period_start <= m.started_on <= period_end:
            continue
        key = m.case.category_id
        row = out.setdefault(key, {"accepted": 0, "agreed": 0, "failed": 0, "ended_other": 0, "open": 0,
                                   "amount": Decimal("0"), "performed": 0, "confirmed": 0})
        row["accepted"] += 1
        bucket = {"agreed": "agreed", "failed": "failed", "withdrawn": "ended_other", "refused": "ended_other",
                  "open": "open"}[m.status]
        row[bucket] += 1
        if m.status == "agreed":
            obs = [o for o in Obligation.objects.filter(agreement__mediation=m) if o.agreement.status != "superseded"]
            row["amount"] += sum((o.amount or Decimal("0")) for o in obs)
            row["performed"] += all(o.status == "done" for o in obs)
            row["confirmed"] += Confirmation.objects.filter(agreement__mediation=m, result="confirmed").exists()
    return out


def sheet_rows(ws, first=6):
    """{label: [cells…]} from row 6 down."""
    rows = {}
    for r in ws.iter_rows(min_row=first, values_only=True):
        if r[0] is None:
            break
        rows[r[0].strip()] = list(r[1:])
    return rows


def test_workbook_matches_an_independent_count(xw, client):
    made = build(xw)
    start, end = dt.date(TODAY.year, 1, 1), dt.date(TODAY.year, 12, 31)
    expected = independent(start, end)
    assert sum(r["accepted"] for r in expected.values()) == 5  # the old round is outside
    client.force_login(leader(xw))
    before = AuditEvent.objects.filter(action="stats.exported").count()
    r = client.get(XLSX_URL, {"period": YEAR})
    assert r.status_code == 200 and "spreadsheet" in r["Content-Type"]
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    assert wb.sheetnames == ["表一", "表二", "表三", "表四", "说明"]
    ws = wb["表一"]
    assert ws["A1"].value == f"人民调解工作统计表（{TODAY.year}年）"
    assert ws["A3"].value.startswith("填报单位：黄岩区矛盾纠纷综合化解中心")
    assert any(c.value and str(c.value).startswith(f"统计期间：{start.isoformat()} 至 {end.isoformat()}") for c in ws[3])
    assert any(c.value == f"填表日期：{timezone.localdate().isoformat()}" for c in ws[3])  # now, not at import
    assert ws["B4"].value == "受理" and ws["C4"].value == "调解结果" and ws["C5"].value == "调解成功"
    rows = sheet_rows(ws)
    names = {"property": "物业纠纷", "neighbour": "邻里纠纷", "labour": "劳动争议纠纷", "marriage_family": "婚姻家庭纠纷"}
    from fangtiao.org.models import DisputeCategory

    names = dict(DisputeCategory.objects.filter(code__in=names).values_list("code", "name"))
    keys = ["accepted", "agreed", "failed", "ended_other", "open", "rate", "amount", "performed", "confirmed"]
    for code, exp in expected.items():
        got = dict(zip(keys, rows[names[code]], strict=True))
        for k in ("accepted", "agreed", "failed", "ended_other", "open", "performed", "confirmed"):
            assert got[k] == exp[k], (code, k)
        assert Decimal(str(got["amount"])) == exp["amount"]
    total = dict(zip(keys, rows["合计"], strict=True))
    assert total["accepted"] == 5 and total["agreed"] == 2 and total["failed"] == 1 and total["ended_other"] == 1
    assert total["open"] == 1 and total["performed"] == 1 and total["confirmed"] == 1
    assert Decimal(str(total["amount"])) == Decimal("800.00")
    assert total["rate"] == pytest.approx(50.0)  # 2 of the 4 ended
    # 表二: all five are at the 东城 township committee; the mediators column counts the registry.
    units = sheet_rows(wb["表二"])
    township = units["乡镇（街道）人民调解委员会"]
    assert township[0] == 5 and township[1] == 2 and township[-1] == 3  # 王小明、单晓曾、李建国
    assert units["村（居）人民调解委员会"][0] == 0 and units["村（居）人民调解委员会"][-1] == 1  # 赵春花
    assert units["其他调解组织（区调委会、调解工作室、信访调解室等）"][-1] == 1  # 钱大伟, district committee
    assert units["合计"][0] == 5 and units["合计"][-1] == 5
    # 表三: by the rounds' source; the sub-row is not added into the total.
    sources = sheet_rows(wb["表三"])
    by_source = {}
    for m in Mediation.objects.exclude(case=made["old"]):
        by_source[m.source] = by_source.get(m.source, 0) + 1
    assert sources["申请调解"][0] == by_source.get("application", 0)
    assert sources["主动调解"][0] == by_source.get("initiative", 0)
    assert sources["接受移交·委托调解"][0] == by_source.get("transfer", 0)
    petitions = Mediation.objects.exclude(case=made["old"]).filter(source="transfer", case__kind="petition").count()
    assert sources["其中：信访部门移交的信访事项"][0] == petitions
    assert sources["合计"][0] == 5
    # 表四
    prev = sheet_rows(wb["表四"])
    assert prev["排查次数（已完成的排查轮次）"][0] == 1
    assert prev["排查发现矛盾纠纷"] == [2, 6]
    assert prev["预防纠纷（排查发现、已采取措施、未形成事项）"] == [1, 4]
    assert RiskReport.objects.filter(case=made["agreed"]).exists()
    assert prev["防止民转刑（有激化风险报告且调解成功）"] == [1, 30]
    assert prev["防止群体性上访（集体事项调解成功）"] == [1, 30]
    notes = [c.value for c in wb["说明"]["A"] if c.value]
    assert any("UNVERIFIED" in n and "司法部2010年" in n for n in notes)
    after = AuditEvent.objects.filter(action="stats.exported").latest("id")
    assert AuditEvent.objects.filter(action="stats.exported").count() == before + 1
    assert after.extra["from"] == start.isoformat() and after.extra["report"] == "人民调解工作统计表"


def test_page_shows_the_tables_and_the_download(xw, client):
    build(xw)
    client.force_login(leader(xw))
    r = client.get(URL, {"period": f"{YEAR}-H2" if TODAY.month > 6 else f"{YEAR}-H1"})
    html = r.content.decode()
    assert r.status_code == 200
    for code in ("category", "unit", "source", "prevention"):
        assert f'data-testid="report-table-{code}"' in html
    assert "/stats/reports/mediation.xlsx?period=" in html and "合计" in html and "UNVERIFIED" in html


def test_region_filter_and_period_outside(xw, client):
    build(xw)
    client.force_login(leader(xw))
    wb = load_workbook(io.BytesIO(b"".join(client.get(XLSX_URL, {"period": YEAR, "region": "331003002"}).streaming_content)))
    assert sheet_rows(wb["表一"])["合计"][0] == 0
    assert "西城街道" in next(c.value for c in wb["表一"][3] if c.value and "统计期间" in str(c.value))
    last_year = str(TODAY.year - 1)
    wb = load_workbook(io.BytesIO(b"".join(client.get(XLSX_URL, {"period": last_year}).streaming_content)))
    assert sheet_rows(wb["表一"])["合计"][0] == 1  # the round started on 31 December
    assert wb["表一"]["A1"].value == f"人民调解工作统计表（{last_year}年）"


def test_permission_and_jurisdiction(xw, client):
    client.force_login(xw.user("t01_subcentre", "clerk"))  # no stats.view
    assert client.get(URL).status_code == 403
    assert client.get(XLSX_URL).status_code == 403
    t02 = xw.user("t02_subcentre", "officer")
    client.force_login(t02)
    assert client.get(URL, {"region": "331003001"}).status_code == 404  # 东城 is not theirs
    assert client.get(XLSX_URL, {"region": "331003001201"}).status_code == 404
    assert client.get(URL, {"region": "999999"}).status_code == 404
    assert client.get(URL, {"region": "331003002"}).status_code == 200
    client.logout()
    assert client.get(URL).status_code == 302


@pytest.mark.parametrize(("params", "message"), [
    ({"period": "2026-13"}, "月份应在1到12之间"),
    ({"period": "去年"}, "统计期间格式不对"),
    ({"period": "1899"}, "统计年份应在2000年至2100年之间"),
    ({"from": "2026-06-01", "to": "2026-01-01"}, "结束日期不能早于开始日期"),
    ({"from": "2026-06-01"}, "请同时填写开始日期和结束日期"),
    ({"from": "2026-02-30", "to": "2026-03-01"}, "开始日期应为日期"),
    ({"from": "2001-01-01", "to": "2026-01-01"}, "统计期间不能超过5年"),
    ({"period": "2026", "from": "2026-01-01", "to": "2026-02-01"}, "不能同时使用"),
])
def test_bad_period_is_a_chinese_message(xw, client, params, message):
    client.force_login(leader(xw))
    before = AuditEvent.objects.filter(action="stats.exported").count()
    for url in (URL, XLSX_URL):
        r = client.get(url, params)
        assert r.status_code == 400 and message in r.content.decode()
    assert AuditEvent.objects.filter(action="stats.exported").count() == before


@pytest.mark.parametrize(("params", "start", "end", "label"), [
    ({"period": "2026"}, dt.date(2026, 1, 1), dt.date(2026, 12, 31), "2026年"),
    ({"period": "2026-Q2"}, dt.date(2026, 4, 1), dt.date(2026, 6, 30), "2026年4—6月"),
    ({"period": "2026-h1"}, dt.date(2026, 1, 1), dt.date(2026, 6, 30), "2026年1—6月"),
    ({"period": "2026-02"}, dt.date(2026, 2, 1), dt.date(2026, 2, 28), "2026年2月"),
    ({"from": "2026-01-05", "to": "2026-03-02"}, dt.date(2026, 1, 5), dt.date(2026, 3, 2), "2026年1月5日—2026年3月2日"),
    ({}, dt.date(2026, 1, 1), dt.date(2026, 5, 20), "2026年1月1日—2026年5月20日"),
])
def test_periods(params, start, end, label):
    p = reports.parse_period(params, today=dt.date(2026, 5, 20))
    assert (p.start, p.end, p.label) == (start, end, label)
