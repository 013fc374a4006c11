"""The API contract: GET /subsidies?period= (lines, money as strings, scoped, a mediator's own), the
batch endpoints with 201/200/403/404/409/422, Idempotency-Key, query counts, and the Excel sheet."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from fangtiao.audit.models import AuditEvent
from fangtiao.core.testing.api import ApiClient
from fangtiao.core.testing.queries import count_queries
from fangtiao.subsidies import selectors
from fangtiao.subsidies.models import SubsidyBatch
from fangtiao.subsidies.tests.support import (
    agreed_case,
    backlog_case,
    leader_t01,
    mediation_rule,
    officer_t01,
    prepare,
)


def put(api, path, body):
    return api.client.put(path, data=json.dumps(body), content_type="application/json", **api.headers)


@pytest.fixture
def two_cases(xw):
    a = backlog_case(xw, mediators=("wang_t01", "shan_t01"))
    b = backlog_case(xw, mediators=("wang_t01",))
    return a, b


def test_lines_by_period(xw, two_cases):
    a, b = two_cases
    batch = prepare(xw)
    r = ApiClient(officer_t01(xw)).get("/api/v1/subsidies", {"period": "2026-05"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["count"] == 2
    wang = next(i for i in body["items"] if i["name"] == "王小明")
    assert wang["amount"] == "1500.00" and wang["batch"] == batch.pk and wang["status"] == "prepared"
    assert wang["mediator"] == xw.w.mediators["wang_t01"].pk and wang["unit"] == xw.units["t01_committee"].pk
    assert {c["number"] for c in wang["cases"]} == {a.number, b.number}
    assert {c["id"] for c in wang["cases"]} == {a.pk, b.pk}
    assert ApiClient(officer_t01(xw)).get("/api/v1/subsidies", {"period": "2026-06"}).json()["count"] == 0
    assert ApiClient(officer_t01(xw)).get("/api/v1/subsidies", {"period": "2026-Q2"}).json()["count"] == 2


def test_mediator_sees_only_own_lines_and_other_township_nothing(xw, two_cases):
    prepare(xw)
    mine = ApiClient(xw.w.users["mediator_t01"]).get("/api/v1/subsidies", {"period": "2026-05"}).json()
    assert [i["name"] for i in mine["items"]] == ["王小明"]
    assert ApiClient(xw.user("t02_subcentre", "officer")).get("/api/v1/subsidies").json()["count"] == 0
    assert ApiClient(xw.w.users["leader"]).get("/api/v1/subsidies").json()["count"] == 2  # the district
    # a village committee head sees the village's lines in the township sheet
    backlog_case(xw, on=dt.date(2026, 6, 2), mediators=("zhao_v01",), unit="v01_committee")
    prepare(xw, period="2026-06")
    head_v01 = xw.user("v01_committee", "committee_head")
    names = [i["name"] for i in ApiClient(head_v01).get("/api/v1/subsidies").json()["items"]]
    assert names == ["赵春花"]


def test_prepare_act_and_errors(xw, two_cases):
    api = ApiClient(officer_t01(xw))
    r = api.post("/api/v1/subsidies/batches", {"period": "2026-05", "unit": xw.units["t01_subcentre"].pk},
                 HTTP_IDEMPOTENCY_KEY="k1")
    assert r.status_code == 201, r.content
    b = r.json()
    assert b["total"] == "2000.00" and b["status"] == "prepared" and b["version"] == 1 and len(b["lines"]) == 2
    again = api.post("/api/v1/subsidies/batches", {"period": "2026-05", "unit": xw.units["t01_subcentre"].pk},
                     HTTP_IDEMPOTENCY_KEY="k1")
    assert again.status_code == 201 and again.json()["id"] == b["id"] and SubsidyBatch.objects.count() == 1
    assert api.post("/api/v1/subsidies/batches", {"period": "2026-05"}).status_code == 409
    for bad in ({"period": "2026/05"}, {}, {"period": "2026-05", "unit": 10**30}, {"period": "2026-05", "unit": "x"}):
        r = api.post("/api/v1/subsidies/batches", bad)
        assert r.status_code == 422 and r.json()["errors"], (bad, r.content)
    r = api.post("/api/v1/subsidies/batches", {"period": "2026-13"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "period"
    assert api.post("/api/v1/subsidies/batches", "{nope").status_code == 422

    url = f"/api/v1/subsidies/batches/{b['id']}/actions"
    assert api.post(f"{url}/approve", {"version": 1}).status_code == 403
    boss = ApiClient(leader_t01(xw))
    assert boss.post(f"{url}/approve", {"version": 9}).status_code == 409
    assert boss.post(f"{url}/approve", {}).status_code == 422
    assert boss.post(f"{url}/explode", {"version": 1}).status_code in (404, 422)
    r = boss.post(f"{url}/approve", {"version": 1})
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["version"] == 2
    assert boss.post(f"{url}/approve", {"version": 2}).status_code == 409
    assert ApiClient(xw.user("t02_subcentre", "leader")).post(f"{url}/pay", {"version": 2}).status_code == 404
    r = api.post(f"{url}/pay", {"version": 2})
    assert r.status_code == 200 and r.json()["status"] == "paid"
    assert ApiClient(xw.user("t02_subcentre", "officer")).get(f"/api/v1/subsidies/batches/{b['id']}").status_code == 404
    assert ApiClient(xw.user("t01_subcentre", "clerk")).get("/api/v1/subsidies").status_code == 403
    assert ApiClient().get("/api/v1/subsidies").status_code == 401
    assert api.get("/api/v1/subsidies", {"period": "2026-99"}).status_code == 422
    assert api.get(f"/api/v1/subsidies/batches/{10**25}").status_code in (404, 422)


def test_rules_endpoints(xw):
    api = ApiClient(xw.w.users["admin"])
    r = api.get("/api/v1/subsidies/rules")
    assert r.status_code == 200 and r.json()["items"][0]["amount"] == "1000.00"
    r = api.post("/api/v1/subsidies/rules", {"name": "调解成功", "kind": "mediation", "amount": "300.00",
                                             "valid_from": "2026-01-01", "unit_level": "village"})
    assert r.status_code == 201, r.content
    bad = api.post("/api/v1/subsidies/rules", {"name": "x", "kind": "mediation", "amount": "300.00",
                                               "valid_from": "2026-01-01", "valid_to": "2025-01-01"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["message"] == "失效日期不能早于生效日期"
    assert api.post("/api/v1/subsidies/rules", {"name": "x", "kind": "mediation", "amount": "-1",
                                                "valid_from": "2026-01-01"}).status_code == 422
    ok = {"name": "x", "kind": "mediation", "amount": "300.00", "valid_from": "2026-01-01"}
    assert ApiClient(officer_t01(xw)).post("/api/v1/subsidies/rules", ok).status_code == 403


def test_line_list_query_count_is_constant(xw):
    mediation_rule(committee_amount=Decimal("10.00"))
    for _ in range(2):
        agreed_case(xw, mediators=("wang_t01", "shan_t01"))
    prepare(xw)
    user = officer_t01(xw)

    def run():
        return [(li.amount, [i.case.number for i in li.items.all()], li.batch.number, li.unit.name)
                for li in selectors.line_list(user=user, filters={"period": "2026-05"})]

    few = count_queries(run)
    for _ in range(3):
        agreed_case(xw, mediators=("wang_t01", "shan_t01"), on=dt.date(2026, 5, 20))
    batch = SubsidyBatch.objects.get()
    from fangtiao.subsidies.tests.support import act

    act(batch, user, "recompute")
    assert count_queries(run) == few <= 3
    api = ApiClient(user)
    api.get("/api/v1/subsidies", {"period": "2026-05"})  # the token's first use writes last_used_at
    n = count_queries(lambda: api.get("/api/v1/subsidies", {"period": "2026-05"}))
    agreed_case(xw, mediators=("zhao_v01",), unit="v01_committee", on=dt.date(2026, 5, 21))
    act(batch, user, "recompute")
    assert count_queries(lambda: api.get("/api/v1/subsidies", {"period": "2026-05"})) == n


def test_prepare_query_count_does_not_grow_with_cases(xw):
    mediation_rule()
    backlog_case(xw)
    agreed_case(xw)
    batch = prepare(xw)
    user = officer_t01(xw)
    from fangtiao.subsidies.tests.support import act

    small = count_queries(lambda: act(batch, user, "recompute"))
    for _ in range(3):
        backlog_case(xw, mediators=("wang_t01", "shan_t01"), lead="shan_t01")
        agreed_case(xw, mediators=("wang_t01", "shan_t01"))
    assert count_queries(lambda: act(batch, user, "recompute")) == small


def test_excel_sheet(xw, two_cases):
    a, b = two_cases
    batch = prepare(xw)
    api = ApiClient(officer_t01(xw))
    for bad in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 201}):  # every export states why
        r = api.get(f"/api/v1/subsidies/batches/{batch.pk}/sheet", bad)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason", bad
    assert not AuditEvent.objects.filter(action="subsidy.sheet_exported").exists()
    r = api.get(f"/api/v1/subsidies/batches/{batch.pk}/sheet", {"reason": "核对发放"})
    assert r.status_code == 200 and "spreadsheetml" in r["Content-Type"]
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    ws = wb["发放表"]
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    assert rows[0][0] == "东城街道联合调解分中心以奖代补发放表"
    assert "2026年5月" in rows[1][0] and batch.number in rows[1][4]
    assert tuple(rows[3][:7]) == ("序号", "姓名/名称", "类别", "所在调委会", "件数", "事项编号", "金额（元）")
    body = {row[1]: row for row in rows[4:6]}
    assert Decimal(str(body["王小明"][6])) == Decimal("1500.00") and body["王小明"][4] == 2
    assert a.number in body["王小明"][5] and b.number in body["王小明"][5]
    assert Decimal(str(body["单晓曾"][6])) == Decimal("500.00")
    total = rows[6]
    assert total[0] == "合计" and Decimal(str(total[6])) == Decimal("2000.00")
    signatures = " ".join(str(c) for row in rows[7:] for c in row if c)
    assert "编制：" in signatures and "审核：" in signatures and "审批：" in signatures
    assert AuditEvent.objects.get(action="subsidy.sheet_exported").extra["reason"] == "核对发放"


def test_township_leader_cannot_change_district_rules(xw):
    """Seen: the 东城 leader PUT the district default to ¥99999.00 → 200. Now 403, nothing changed."""
    from fangtiao.subsidies.models import SubsidyRule

    default = SubsidyRule.objects.get(kind="backlog")
    body = {"name": default.name, "kind": "backlog", "amount": "99999.00", "valid_from": "2018-01-01", "version": 1}
    r = put(ApiClient(leader_t01(xw)), f"/api/v1/subsidies/rules/{default.pk}", body)
    assert r.status_code == 403 and r.json()["detail"] == "以奖代补规则由区级单位负责", r.content
    r = ApiClient(leader_t01(xw)).post("/api/v1/subsidies/rules", {**body, "region": xw.t01.code})
    assert r.status_code == 403
    default.refresh_from_db()
    assert default.amount == Decimal("1000.00") and default.version == 1 and SubsidyRule.objects.count() == 1
    r = put(ApiClient(xw.w.users["leader"]), f"/api/v1/subsidies/rules/{default.pk}", {**body, "amount": "1200.00"})
    assert r.status_code == 200 and r.json()["amount"] == "1200.00"
    r = ApiClient(xw.w.users["leader"]).post("/api/v1/subsidies/rules", {**body, "region": "999999999999"})
    assert r.status_code == 422


@pytest.mark.parametrize("bad", [
    {"min_headcount": 10**20}, {"min_headcount": 100001}, {"min_headcount": 0},
    {"amount": "1000000.01"}, {"amount": "100000.01"}, {"committee_amount": "100000.01"},
    {"min_amount": "1000000000000"}, {"min_amount": "1e20"}, {"min_amount": -1},
    {"name": "规则\x00"}, {"name": "规则\x1b[31m"}, {"note": "说明\x00"}, {"category": "pro\x00perty"},
])
def test_rule_bounds_422_and_nothing_changed(xw, bad):
    from fangtiao.subsidies.models import SubsidyRule

    api = ApiClient(xw.w.users["leader"])
    ok = {"name": "调解成功", "kind": "mediation", "amount": "300.00", "valid_from": "2026-01-01"}
    before = list(SubsidyRule.objects.values_list("id", "version", "amount"))
    r = api.post("/api/v1/subsidies/rules", {**ok, **bad})
    assert r.status_code == 422 and r.json()["errors"], r.content
    default = SubsidyRule.objects.get(kind="backlog")
    r = put(api, f"/api/v1/subsidies/rules/{default.pk}", {**ok, "kind": "backlog", "version": 1, **bad})
    assert r.status_code == 422 and r.json()["errors"], r.content
    assert list(SubsidyRule.objects.values_list("id", "version", "amount")) == before


def test_control_characters_in_batch_text_are_422(xw, two_cases):
    api = ApiClient(officer_t01(xw))
    r = api.post("/api/v1/subsidies/batches", {"period": "2026-05", "note": "备注\x00"})
    assert r.status_code == 422 and SubsidyBatch.objects.count() == 0
    batch = prepare(xw)
    r = api.post(f"/api/v1/subsidies/batches/{batch.pk}/actions/cancel", {"version": 1, "reason": "理由\x00"})
    assert r.status_code == 422
    batch.refresh_from_db()
    assert batch.status == "prepared" and batch.version == 1


def test_line_of_a_district_sheet_lists_only_the_township_cases(xw):
    """A 东城 mediator resolved a 西城 case: the district's sheet pays him for both; 东城's leader
    sees his line but not the 西城 case number."""
    from fangtiao.subsidies import services
    from fangtiao.subsidies.tests.support import t02_case

    own = backlog_case(xw)
    foreign = backlog_case(xw, case=t02_case(xw))
    services.batch_prepare(actor=xw.w.users["officer"], period="2026-05", unit=xw.units["centre"].pk)
    district = ApiClient(xw.w.users["officer"]).get("/api/v1/subsidies").json()
    wang = next(i for i in district["items"] if i["name"] == "王小明")
    assert {c["number"] for c in wang["cases"]} == {own.number, foreign.number} and wang["cases_outside"] == 0
    for user in (leader_t01(xw), officer_t01(xw)):
        body = ApiClient(user).get("/api/v1/subsidies").json()
        wang = next(i for i in body["items"] if i["name"] == "王小明")
        assert [c["number"] for c in wang["cases"]] == [own.number], body
        assert wang["amount"] == "2000.00" and wang["case_count"] == 2 and wang["cases_outside"] == 1
        assert foreign.number not in str(body)
    # a mediator reading their own line sees all their cases
    mine = ApiClient(xw.w.users["mediator_t01"]).get("/api/v1/subsidies").json()
    assert {c["number"] for c in mine["items"][0]["cases"]} == {own.number, foreign.number}
