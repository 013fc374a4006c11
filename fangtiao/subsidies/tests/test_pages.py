"""Pages: the batches list (scoped, exported), a batch's page with the buttons its state allows and
the actions through forms, the prepare form (422 in Chinese), the rules list and edit form, 403/404,
query counts; the admin's rule validation; the demo hook."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from fangtiao.audit.models import AuditEvent
from fangtiao.core.testing.queries import count_queries
from fangtiao.subsidies.models import SubsidyBatch, SubsidyRule
from fangtiao.subsidies.tests.support import backlog_case, leader_t01, officer_t01, prepare


def test_list_detail_actions_and_export(xw, client):
    backlog_case(xw)
    batch = prepare(xw)
    client.force_login(officer_t01(xw))
    page = client.get("/subsidies/")
    assert page.status_code == 200 and batch.number in page.content.decode()
    r = client.get("/subsidies/", {"export": "xlsx", "reason": "核对"})
    assert r.status_code == 200 and "spreadsheetml" in r["Content-Type"]
    detail = client.get(f"/subsidies/batches/{batch.pk}/").content.decode()
    assert "王小明" in detail and "1000.00" in detail and 'data-testid="action-recompute"' in detail
    assert 'data-testid="action-approve"' not in detail  # officers do not approve
    assert client.get(f"/subsidies/batches/{batch.pk}/sheet/", {"reason": "核对"}).status_code == 200
    refused = client.get(f"/subsidies/batches/{batch.pk}/sheet/")  # no reason: back to the batch, nothing exported
    assert refused.status_code == 302 and refused["Location"].endswith(f"/subsidies/batches/{batch.pk}/")

    client.force_login(leader_t01(xw))
    detail = client.get(f"/subsidies/batches/{batch.pk}/").content.decode()
    assert 'data-testid="action-approve"' in detail
    assert re.search(r"<script(?![^>]*\bsrc=)", detail) is None  # no inline script
    stale = client.post(f"/subsidies/batches/{batch.pk}/actions/approve/", {"version": 5})
    assert stale.status_code == 409 and "刷新" in stale.content.decode()
    no_reason = client.post(f"/subsidies/batches/{batch.pk}/actions/reject/", {"version": 1})
    assert no_reason.status_code == 422 and "请填写退回理由" in no_reason.content.decode()
    r = client.post(f"/subsidies/batches/{batch.pk}/actions/approve/", {"version": 1})
    assert r.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "approved"

    client.force_login(xw.user("t02_subcentre", "leader"))
    assert client.get(f"/subsidies/batches/{batch.pk}/").status_code == 404
    assert batch.number not in client.get("/subsidies/").content.decode()
    client.force_login(xw.user("t01_subcentre", "clerk"))
    assert client.get("/subsidies/").status_code == 403
    assert client.get("/subsidies/batches/new/").status_code == 403


def test_mediator_sees_own_line_only(xw, client):
    backlog_case(xw, mediators=("wang_t01", "shan_t01"))
    batch = prepare(xw)
    client.force_login(xw.w.users["mediator_t01"])
    assert batch.number in client.get("/subsidies/").content.decode()
    detail = client.get(f"/subsidies/batches/{batch.pk}/").content.decode()
    assert "王小明" in detail and "单晓曾" not in detail and "action-" not in detail


def test_prepare_form(xw, client):
    backlog_case(xw)
    client.force_login(officer_t01(xw))
    assert client.get("/subsidies/batches/new/").status_code == 200
    bad = client.post("/subsidies/batches/new/", {"period": "2026年5月", "unit": xw.units["t01_subcentre"].pk})
    assert bad.status_code == 422 and "期间格式应为" in bad.content.decode()
    outside = client.post("/subsidies/batches/new/", {"period": "2026-05", "unit": xw.units["t02_subcentre"].pk})
    assert outside.status_code == 422 and SubsidyBatch.objects.count() == 0
    ok = client.post("/subsidies/batches/new/", {"period": "2026-05", "unit": xw.units["t01_subcentre"].pk})
    assert ok.status_code == 302
    again = client.post("/subsidies/batches/new/", {"period": "2026-05", "unit": xw.units["t01_subcentre"].pk})
    assert again.status_code == 409 and "已有发放表" in again.content.decode()


def test_list_query_count_constant(xw, client):
    backlog_case(xw)
    prepare(xw)
    client.force_login(officer_t01(xw))
    client.get("/subsidies/")
    n = count_queries(lambda: client.get("/subsidies/"))
    backlog_case(xw, on=dt.date(2026, 6, 5))
    prepare(xw, period="2026-06")
    backlog_case(xw, on=dt.date(2026, 7, 5))
    prepare(xw, period="2026-07")
    assert count_queries(lambda: client.get("/subsidies/")) == n


def test_rules_pages(xw, client):
    client.force_login(xw.w.users["admin"])
    page = client.get("/subsidies/rules/").content.decode()
    assert "1,000.00" in page
    data = {"name": "村级调解成功", "kind": "mediation", "amount": "300", "split": "lead", "valid_from": "2026-01-01",
            "unit_level": "village", "active": "on"}
    bad = client.post("/subsidies/rules/new/", {**data, "valid_to": "2025-01-01"})
    assert bad.status_code == 422 and "失效日期不能早于生效日期" in bad.content.decode()
    assert client.post("/subsidies/rules/new/", data).status_code == 302
    rule = SubsidyRule.objects.get(name="村级调解成功")
    edit = client.post(f"/subsidies/rules/{rule.pk}/", {**data, "amount": "350", "version": rule.version})
    assert edit.status_code == 302
    rule.refresh_from_db()
    assert str(rule.amount) == "350.00" and AuditEvent.objects.filter(action="subsidy.rule_updated").exists()
    client.force_login(officer_t01(xw))
    assert client.get("/subsidies/rules/").status_code == 200  # officers read the rules
    assert client.get("/subsidies/rules/new/").status_code == 403
    assert client.post(f"/subsidies/rules/{rule.pk}/", data).status_code == 403


def test_admin_rule_validation(xw, client):
    admin = xw.w.users["admin"]
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    client.force_login(admin)
    r = client.post("/admin/subsidies/subsidyrule/add/", {
        "name": "x", "kind": "backlog", "amount": "0", "committee_amount": "0", "split": "equal",
        "valid_from": "2026-01-01", "active": "on"})
    assert r.status_code == 200 and "每件奖补金额应大于0" in r.content.decode()


def test_demo_hook(xw):
    from fangtiao.subsidies import demo

    assert not demo.already_loaded()
    backlog_case(xw, on=dt.date(2026, 5, 3))
    backlog_case(xw, on=dt.date(2026, 6, 3))
    lines: list[str] = []
    demo.build(log=lines.append)
    assert demo.already_loaded() and lines
    statuses = set(SubsidyBatch.objects.values_list("status", flat=True))
    assert statuses <= {"prepared", "approved", "paid"} and statuses


RULE = {"name": "村级调解成功", "kind": "mediation", "amount": "300", "split": "lead", "valid_from": "2026-01-01",
        "unit_level": "village", "active": "on"}


def test_township_leader_reads_rules_without_edit_buttons(xw, client):
    default = SubsidyRule.objects.get(kind="backlog")
    client.force_login(leader_t01(xw))
    page = client.get("/subsidies/rules/").content.decode()
    assert "1,000.00" in page and "/subsidies/rules/new/" not in page
    assert client.get("/subsidies/rules/new/").status_code == 403
    edit = client.get(f"/subsidies/rules/{default.pk}/")
    assert edit.status_code == 200 and 'data-testid="rule-submit"' not in edit.content.decode()
    assert "<fieldset disabled>" in edit.content.decode()
    r = client.post(f"/subsidies/rules/{default.pk}/", {**RULE, "kind": "backlog", "amount": "99999.00", "version": 1})
    assert r.status_code == 403
    assert client.post("/subsidies/rules/new/", RULE).status_code == 403
    default.refresh_from_db()
    assert default.amount == Decimal("1000.00") and default.version == 1 and SubsidyRule.objects.count() == 1
    client.force_login(xw.w.users["leader"])
    assert "/subsidies/rules/new/" in client.get("/subsidies/rules/").content.decode()
    assert 'data-testid="rule-submit"' in client.get(f"/subsidies/rules/{default.pk}/").content.decode()


def test_rule_form_regions_are_the_jurisdiction(xw, client):
    from fangtiao.subsidies.forms import RuleForm

    codes = [c for c, _ in RuleForm(user=xw.w.users["leader"]).fields["region"].choices]
    assert codes == ["", xw.district.code, xw.t01.code, xw.t02.code]
    # a rule of a region the user does not hold is still shown (read-only)
    form = RuleForm(user=xw.user("t02_subcentre", "officer"), initial={"region": xw.t01.code})
    assert [c for c, _ in form.fields["region"].choices] == ["", xw.t02.code, xw.t01.code]


@pytest.mark.parametrize(("bad", "message"), [
    ({"min_headcount": "100000000000000000000"}, "涉及人数下限不能超过100000"),
    ({"min_headcount": "1e20"}, "人数应为整数"),
    ({"min_headcount": "0"}, "涉及人数下限至少为1"),
    ({"amount": "1000000.01"}, "每件奖补金额不能超过100000.00元"),
    ({"committee_amount": "100000.01"}, "调委会每件金额不能超过100000.00元"),
    ({"min_amount": "1000000000000"}, "涉及金额下限不能超过999999999999元"),
    ({"min_amount": "-1"}, "涉及金额下限不能为负数"),
    ({"name": "规则\x00"}, "空字符"),
    ({"name": "规则\x1b"}, "不能包含控制字符"),
    ({"note": "说明\x07"}, "不能包含控制字符"),
])
def test_rule_form_bounds_in_chinese(xw, client, bad, message):
    client.force_login(xw.w.users["leader"])
    default = SubsidyRule.objects.get(kind="backlog")
    before = list(SubsidyRule.objects.values_list("id", "version", "amount"))
    r = client.post("/subsidies/rules/new/", {**RULE, **bad})
    assert r.status_code == 422 and message in r.content.decode()
    r = client.post(f"/subsidies/rules/{default.pk}/", {**RULE, "kind": "backlog", "version": 1, **bad})
    assert r.status_code == 422 and message in r.content.decode()
    assert list(SubsidyRule.objects.values_list("id", "version", "amount")) == before
