"""Case pages: access per role and jurisdiction, window intake (happy path, bad input, double
submit), receipt and query code, the generated action forms, stale versions, audited reveal,
list filters and export, the unit inbox and the notification list."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from fangtiao.audit.models import AuditEvent
from fangtiao.cases import services
from fangtiao.cases.models import Case, Party, Transfer
from fangtiao.core.testing.world import PASSWORD
from fangtiao.core.validators import id_check_char
from fangtiao.notifications.models import Notification
from fangtiao.org import services as org_services

V01 = "331003001201"  # 上洋村, 东城街道
T02 = "331003002"  # 西城街道
_seq = itertools.count(100)


def idn(seq: int | None = None) -> str:
    """A valid ID number (GB 11643 check character), distinct per call."""
    first17 = f"33100319800101{(seq if seq is not None else next(_seq)) % 1000:03d}"
    return first17 + id_check_char(first17)


def phone() -> str:
    return f"139{next(_seq):08d}"


def body(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "channel": "visit", "kind": "petition", "nature": "claim", "title": "小区物业费纠纷", "category": "property",
        "region": V01, "demands": "请求物业公司退还多收的物业费", "oral_record": "信访人称物业公司多收物业费。",
        "headcount": 1,
        "parties": [
            {"role": "petitioner", "type": "person", "name": "王某某", "id_number": idn(), "phone": phone(),
             "address": "上洋村1号"},
            {"role": "respondent", "type": "organisation", "name": "某某物业服务有限公司"},
        ],
    }
    data.update(over)
    return data


def register(user: Any, **over: Any) -> Case:
    case, _ = services.case_register(actor=user, data=body(**over))
    return case


def form_post(**over: Any) -> dict[str, str]:
    """The intake form as the browser posts it (party grid fields `parties-<n>-<field>`)."""
    data = {
        "token": "a1b2c3d4e5f6", "channel": "visit", "kind": "petition", "nature": "claim", "category": "property",
        "region": V01, "title": "小区物业费纠纷", "oral_record": "信访人称物业公司多收物业费。",
        "demands": "退还多收的物业费", "headcount": "1",
        "parties-0-role": "petitioner", "parties-0-type": "person", "parties-0-name": "王某某",
        "parties-0-id_number": idn(), "parties-0-phone": phone(), "parties-0-address": "上洋村1号",
        "parties-1-role": "respondent", "parties-1-type": "organisation", "parties-1-name": "某某物业服务有限公司",
        "parties-1-id_number": "", "parties-1-phone": "", "parties-1-address": "",
    }
    data.update({k: str(v) for k, v in over.items()})
    return data


@pytest.fixture
def officer_t01(world):
    return org_services.staff_create(actor=None, username="officer_t01", name="东城信访干部",
                                     unit=world.units["t01_subcentre"], roles=["officer"], password=PASSWORD)


def act(client: Any, case: Case, action: str, **data: Any) -> Any:
    case.refresh_from_db()
    payload = {"version": case.version, **data}
    return client.post(f"/cases/{case.pk}/act/{action}/", payload)


# --- access ----------------------------------------------------------------------------------

def test_login_required(db, client):
    for path in ["/cases/", "/cases/new/", "/cases/inbox/", "/inbox/notifications/", "/cases/1/"]:
        r = client.get(path)
        assert r.status_code == 302 and r["Location"].startswith("/accounts/login/"), path


@pytest.mark.parametrize(
    ("username", "path", "status"),
    [
        ("clerk_t01", "/cases/new/", 200),
        ("clerk_t01", "/cases/", 200),
        ("clerk_t01", "/cases/inbox/", 200),
        ("clerk_t01", "/inbox/notifications/", 200),
        ("head_t01", "/cases/new/", 200),
        ("mediator_t01", "/cases/", 200),
        ("expert_user", "/cases/new/", 403),
        ("auditor", "/cases/", 403),
        ("auditor", "/cases/new/", 403),
        ("auditor", "/cases/inbox/", 403),
    ],
)
def test_page_permissions(world, login, username, path, status):
    assert login(world.users[username]).get(path).status_code == status


def test_other_township_case_is_404(world, login):
    case = register(world.users["clerk_t01"])
    party = case.parties.first()
    c = login(world.users["clerk_t02"])
    assert c.get(f"/cases/{case.pk}/").status_code == 404
    assert c.get(f"/cases/{case.pk}/receipt/").status_code == 404
    assert c.get(f"/cases/{case.pk}/act/accept/").status_code == 404
    assert c.post(f"/cases/{case.pk}/act/withdraw/", {"version": 1, "reason": "不再反映"}).status_code == 404
    assert c.post(f"/cases/{case.pk}/parties/{party.pk}/reveal/id_number/", {"reason": "核对"}).status_code == 404
    assert c.post(f"/cases/{case.pk}/query-code/").status_code == 404
    assert case.number not in c.get("/cases/").content.decode()
    case.refresh_from_db()
    assert case.status == "registered" and case.version == 1


def test_navigation_has_case_menu(world, login):
    html = login(world.users["clerk_t01"]).get("/").content.decode()
    assert "窗口登记" in html and "事项列表" in html and "待办" in html
    html = login(world.users["auditor"]).get("/").content.decode()
    assert "窗口登记" not in html and "事项列表" not in html


# --- intake ----------------------------------------------------------------------------------

def test_intake_form_renders_for_speed(world, login):
    html = login(world.users["clerk_t01"]).get("/cases/new/").content.decode()
    assert 'name="token"' in html and "autofocus" in html
    assert "口头信访如实记录" in html and 'data-show-for="visit phone"' in html and "收信日期" in html
    assert 'name="parties-0-id_number"' in html and 'id="party-row-template"' in html
    assert "上洋村" in html and "东城街道" in html and "下叶村" not in html  # own township and its villages
    assert "cases.js" in html and "<script>" not in html  # no inline script


def test_intake_happy_path_and_receipt_shows_code_once(world, login):
    c = login(world.users["clerk_t01"])
    r = c.post("/cases/new/", form_post())
    case = Case.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.pk}/receipt/"
    assert case.channel == "visit" and case.oral and case.nature == "claim" and case.region.code == V01
    assert [p.role for p in case.parties.all()] == ["petitioner", "respondent"]
    receipt = c.get(r["Location"])
    html = receipt.content.decode()
    assert "no-store" in receipt["Cache-Control"]
    assert case.number in html and "来访" in html and "小区物业费纠纷" in html and "/portal/" in html
    code = receipt.context["code"]
    assert code and code in html and services.query_code_hash(code) == case.query_code_hash
    again = c.get(r["Location"]).content.decode()
    assert code not in again and "只在登记后显示一次" in again


def test_receipt_lists_next_steps_with_due_dates(world, login):
    c = login(world.users["clerk_t01"])
    c.post("/cases/new/", form_post())
    case = Case.objects.get()
    clocks = [k for k in case.clocks.all() if k.state == "running"]
    assert clocks
    html = c.get(f"/cases/{case.pk}/receipt/").content.decode()
    for k in clocks:
        assert k.rule.name in html
        assert f"{k.due_on.year}年{k.due_on.month}月{k.due_on.day}日" in html


def test_double_submit_with_the_same_token_creates_one_case(world, login):
    c = login(world.users["clerk_t01"])
    data = form_post(token="f00dfeedbeef")
    first = c.post("/cases/new/", data)
    second = c.post("/cases/new/", data)
    assert Case.objects.count() == 1
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    c.post("/cases/new/", form_post(token="0123456789ab"))
    assert Case.objects.count() == 2


def test_intake_bad_id_number_shown_in_the_grid_and_nothing_saved(world, login):
    c = login(world.users["clerk_t01"])
    r = c.post("/cases/new/", form_post(**{"parties-0-id_number": "331003198001010011"}))
    html = r.content.decode()
    assert r.status_code == 422
    assert Case.objects.count() == 0 and Party.objects.count() == 0
    assert 'data-testid="error-party-id_number"' in html and "身份证号码" in html
    assert "尚未保存任何内容" in html
    assert 'value="331003198001010011"' in html and 'value="a1b2c3d4e5f6"' in html  # kept for correction


def test_intake_six_representatives_error_next_to_grid(world, login):
    c = login(world.users["clerk_t01"])
    data = form_post(headcount=200)
    for i in range(6):
        data.update({f"parties-{i}-role": "petitioner", f"parties-{i}-type": "person", f"parties-{i}-name": f"业主{i}",
                     f"parties-{i}-id_number": idn(), f"parties-{i}-phone": phone(), f"parties-{i}-address": "小区",
                     f"parties-{i}-is_representative": "1"})
    r = c.post("/cases/new/", data)
    html = r.content.decode()
    assert r.status_code == 422 and Case.objects.count() == 0
    assert 'data-testid="error-parties"' in html and "不得超过5人" in html
    assert html.count('name="parties-5-name"') == 1  # the grid comes back as typed


def test_intake_missing_nature_for_a_petition(world, login):
    r = login(world.users["clerk_t01"]).post("/cases/new/", form_post(nature=""))
    html = r.content.decode()
    assert r.status_code == 422 and Case.objects.count() == 0
    assert 'data-testid="error-nature"' in html and "建议意见类、检举控告类或申诉求决类" in html


def test_intake_form_level_errors(world, login):
    r = login(world.users["clerk_t01"]).post("/cases/new/", form_post(occurred_on="2026年13月1日", title=""))
    html = r.content.decode()
    assert r.status_code == 422 and Case.objects.count() == 0
    assert "日期格式不正确" in html and 'data-testid="error-title"' in html


def test_intake_letter_variant_is_not_oral(world, login):
    c = login(world.users["clerk_t01"])
    arrived = timezone.localdate() - dt.timedelta(days=3)
    r = c.post("/cases/new/", form_post(channel="letter", oral_record="不应记录", description="来信反映物业费问题",
                                        letter_received_on=f"{arrived.year}年{arrived.month}月{arrived.day}日"))
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.channel == "letter" and not case.oral and case.oral_record == ""
    assert timezone.localdate(case.received_at) == arrived  # the periods run from the day the letter arrived
    future = timezone.localdate() + dt.timedelta(days=1)
    r = c.post("/cases/new/", form_post(channel="letter", token="ffff0000", description="来信",
                                        letter_received_on=future.isoformat()))
    assert r.status_code == 422 and "收信日期不能晚于今天" in r.content.decode() and Case.objects.count() == 1


def test_hints_show_earlier_matters_of_the_same_person(world, login):
    same_id = idn(7)
    earlier = register(world.users["clerk_t01"], parties=[{"role": "petitioner", "name": "李某", "id_number": same_id}])
    c = login(world.users["clerk_t01"])
    r = c.post("/cases/hints/", {"region": V01, "category": "property", "parties-0-name": "李某",
                                 "parties-0-id_number": same_id})
    html = r.content.decode()
    assert r.status_code == 200 and earlier.number in html and "同一信访人" in html and "<html" not in html
    assert "no-store" in r["Cache-Control"]
    none = c.post("/cases/hints/", {"region": V01, "parties-0-name": "赵某", "parties-0-id_number": idn(8)})
    assert "未发现" in none.content.decode()
    # Another township's clerk is told only that earlier matters exist outside the jurisdiction.
    other = login(world.users["clerk_t02"]).post("/cases/hints/", {"region": "331003002201", "parties-0-id_number": same_id})
    html = other.content.decode()
    assert earlier.number not in html and "辖区外" not in html  # not even counted
    assert c.get("/cases/hints/").status_code == 405


def test_reissue_query_code_shows_new_code_once(world, login):
    c = login(world.users["clerk_t01"])
    c.post("/cases/new/", form_post())
    case = Case.objects.get()
    first = c.get(f"/cases/{case.pk}/receipt/").context["code"]
    assert c.get(f"/cases/{case.pk}/").status_code == 200
    r = c.post(f"/cases/{case.pk}/query-code/")
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.pk}/receipt/"
    new = c.get(r["Location"]).context["code"]
    assert new and new != first
    case.refresh_from_db()
    assert case.query_code_hash == services.query_code_hash(new)
    assert c.get(f"/cases/{case.pk}/receipt/").context["code"] is None
    assert AuditEvent.objects.filter(action="case.query_code_reissued", subject_id=str(case.pk)).count() == 1
    assert c.get(f"/cases/{case.pk}/query-code/").status_code == 405


# --- actions ---------------------------------------------------------------------------------

def test_action_buttons_follow_the_state_machine(world, login, officer_t01):
    case = register(world.users["clerk_t01"])
    html = login(officer_t01).get(f"/cases/{case.pk}/").content.decode()
    assert f'/cases/{case.pk}/act/accept/' in html and f'/cases/{case.pk}/act/reject/' in html
    assert f'/cases/{case.pk}/act/receive/' not in html  # not transferring
    clerk = login(world.users["clerk_t01"]).get(f"/cases/{case.pk}/").content.decode()
    assert f'/cases/{case.pk}/act/accept/' not in clerk  # a clerk does not decide acceptance


def test_generated_action_forms(world, login, officer_t01):
    case = register(world.users["clerk_t01"])
    c = login(officer_t01)
    reject = c.get(f"/cases/{case.pk}/act/reject/")
    html = reject.content.decode()
    assert reject.status_code == 200
    assert "不予受理理由" in html and "告知的法定途径" in html and "诉讼" in html and "行政复议" in html
    assert f'name="version" value="{case.version}"' in html
    partial = c.get(f"/cases/{case.pk}/act/reject/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "不予受理理由" in partial
    services.case_act(case=case.pk, actor=officer_t01, action="accept", data={"version": case.version})
    route = c.get(f"/cases/{case.pk}/act/route/").content.decode()
    assert "调解前置（人民调解）" in route and "分流去向" in route and "双方当事人同意调解" in route
    assert 'type="checkbox"' in route and 'multiple' in route  # consent; co-units
    assert "东城街道人民调解委员会" in route and "西城街道人民调解委员会" not in route
    assert c.get(f"/cases/{case.pk}/act/nonsense/").status_code == 404


def test_accept_route_to_mediation_and_receive(world, login, officer_t01):
    case = register(world.users["clerk_t01"])
    c = login(officer_t01)
    r = act(c, case, "accept", notice="您反映的物业费问题已受理。")
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.pk}/"
    case.refresh_from_db()
    assert case.status == "accepted" and case.accepted_on
    assert "受理：操作成功" in c.get(r["Location"]).content.decode()
    committee = world.units["t01_committee"]
    r = act(c, case, "route", to="mediation", unit=committee.pk, task="请组织调解", consent="on")
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == "transferring" and case.holder_unit_id == committee.pk
    transfer = Transfer.objects.get(case=case)
    assert transfer.purpose == "mediation" and transfer.status == "pending"
    head = login(world.users["head_t01"])
    inbox = head.get("/cases/inbox/").content.decode()
    assert transfer.number in inbox
    r = act(head, case, "receive", note="已签收")
    assert r.status_code == 302
    case.refresh_from_db()
    transfer.refresh_from_db()
    assert case.status == "mediating" and transfer.status == "received"
    html = head.get(f"/cases/{case.pk}/").content.decode()
    assert "调解中" in html and transfer.number in html and "已签收" in html


def test_route_to_handling_with_co_units_and_supervise_with_a_chinese_date(world, login, officer_t01):
    case = register(world.users["clerk_t01"])
    services.case_act(case=case.pk, actor=officer_t01, action="accept", data={"version": 1})
    c = login(officer_t01)
    own, committee = world.units["t01_subcentre"], world.units["t01_committee"]
    case.refresh_from_db()
    r = c.post(f"/cases/{case.pk}/act/route/", {"version": case.version, "to": "handling", "unit": own.pk,
                                                "co_units": [committee.pk], "task": "核实物业收费依据"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == "handling" and case.lead_unit_id == own.pk
    assert list(case.co_tasks.values_list("unit_id", "task")) == [(committee.pk, "核实物业收费依据")]
    html = c.get(f"/cases/{case.pk}/").content.decode()
    assert "联动化解" in html and "核实物业收费依据" in html and "未答复" in html
    leader = login(world.users["leader"])
    assert leader.get(f"/cases/{case.pk}/act/supervise/").status_code == 200
    r = act(leader, case, "supervise", note="请于年底前办结", due_on="2026年12月31日")
    assert r.status_code == 302
    sup = case.supervisions.get()
    assert sup.due_on.isoformat() == "2026-12-31"
    r = act(leader, case, "supervise", note="再次督办", due_on="年底")
    assert r.status_code == 422 and "日期格式不正确" in r.content.decode()


def test_route_without_consent_shows_the_field_error(world, login, officer_t01):
    case = register(world.users["clerk_t01"])
    services.case_act(case=case.pk, actor=officer_t01, action="accept", data={"version": 1})
    r = act(login(officer_t01), case, "route", to="mediation", unit=world.units["t01_committee"].pk)
    html = r.content.decode()
    assert r.status_code == 422 and "须经双方当事人同意" in html
    case.refresh_from_db()
    assert case.status == "accepted" and not Transfer.objects.exists()


def test_htmx_action_post_redirects_or_swaps_errors(world, login, officer_t01):
    case = register(world.users["clerk_t01"])
    c = login(officer_t01)
    bad = c.post(f"/cases/{case.pk}/act/reject/", {"version": case.version, "reason": "", "channel": "litigation"},
                 HTTP_HX_REQUEST="true")
    assert bad.status_code == 200 and "<html" not in bad.content.decode() and "invalid-feedback" in bad.content.decode()
    ok = c.post(f"/cases/{case.pk}/act/reject/", {"version": case.version, "reason": "属于诉讼途径解决的事项",
                                                  "channel": "litigation"}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200 and ok["HX-Redirect"] == f"/cases/{case.pk}/"
    case.refresh_from_db()
    assert case.status == "not_accepted" and case.lawful_channel == "litigation"


def test_stale_version_message_and_nothing_changes(world, login, officer_t01):
    case = register(world.users["clerk_t01"])
    c = login(officer_t01)
    # Someone else acted meanwhile: the version the form carries is old.
    services.case_act(case=case.pk, actor=officer_t01, action="report_major", data={"version": 1, "note": "人数较多"})
    r = c.post(f"/cases/{case.pk}/act/accept/", {"version": 1, "notice": ""})
    html = r.content.decode()
    assert r.status_code == 409 and "该事项已被他人修改，请刷新后重试" in html
    case.refresh_from_db()
    assert case.status == "registered" and case.version == 2


def test_action_not_allowed_for_the_role(world, login):
    case = register(world.users["clerk_t01"])
    c = login(world.users["clerk_t01"])
    r = c.get(f"/cases/{case.pk}/act/accept/")
    assert r.status_code == 403 and "您的角色不能受理" in r.content.decode()
    r = c.post(f"/cases/{case.pk}/act/accept/", {"version": 1})
    assert r.status_code == 403
    case.refresh_from_db()
    assert case.status == "registered"


def test_transfer_returned_with_reason(world, login, officer_t01):
    case = register(world.users["clerk_t01"])
    c = login(officer_t01)
    committee = world.units["t01_committee"]
    assert act(c, case, "transfer", to_unit=committee.pk, note="请调处").status_code == 302
    head = login(world.users["head_t01"])
    r = act(head, case, "return", reason="不属于本调委会受理范围，请转交街道信访办")
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == "registered" and case.holder_unit_id == world.units["t01_subcentre"].pk
    back = login(officer_t01)
    inbox = back.get("/cases/inbox/").content.decode()
    assert case.number in inbox and "被退回" in inbox
    detail = back.get(f"/cases/{case.pk}/").content.decode()
    assert "不属于本调委会受理范围" in detail and "已退回" in detail
    notices = back.get("/inbox/notifications/").content.decode()
    assert "被退回" in notices and "不属于本调委会受理范围" in notices


# --- detail and reveal -----------------------------------------------------------------------

def test_detail_shows_parties_masked_clocks_and_timeline(world, login, officer_t01):
    full = idn(42)
    case = register(world.users["clerk_t01"], parties=[
        {"role": "petitioner", "name": "王某某", "id_number": full, "phone": "13912345678", "address": "上洋村1号"}])
    html = login(officer_t01).get(f"/cases/{case.pk}/").content.decode()
    assert full not in html and "13912345678" not in html and "上洋村1号" not in html
    assert "139****5678" in html and "查看" in html and "记入审计日志" in html
    clock = case.clocks.filter(state="running").select_related("rule").first()
    assert clock.rule.name in html and clock.rule.source in html
    assert f"{clock.due_on.year}年{clock.due_on.month}月{clock.due_on.day}日" in html
    assert "登记" in html and "来访登记" in html  # the timeline


def test_reveal_is_audited_and_not_cached(world, login, officer_t01):
    full = idn(43)
    case = register(world.users["clerk_t01"], parties=[{"role": "petitioner", "name": "王某某", "id_number": full}])
    party = case.parties.get()
    r = login(officer_t01).post(f"/cases/{case.pk}/parties/{party.pk}/reveal/id_number/", {"reason": "核对身份"})
    assert r.status_code == 200 and full in r.content.decode() and "no-store" in r["Cache-Control"]
    ev = AuditEvent.objects.get(action="pii.revealed")
    assert ev.actor_username == "officer_t01" and ev.extra["field"] == "id_number"
    # A mediator sees the case but may not reveal; a GET is refused; unknown fields are 404.
    mediator = login(world.users["mediator_t01"])
    assert mediator.post(f"/cases/{case.pk}/parties/{party.pk}/reveal/id_number/", {"reason": "核对"}).status_code == 403
    officer = login(officer_t01)
    assert officer.get(f"/cases/{case.pk}/parties/{party.pk}/reveal/id_number/").status_code == 405
    assert officer.post(f"/cases/{case.pk}/parties/{party.pk}/reveal/password/", {"reason": "核对"}).status_code == 404
    assert AuditEvent.objects.filter(action="pii.revealed").count() == 1


def test_detail_query_count_does_not_grow_with_parties_and_history(world, login, officer_t01):
    clerk = world.users["clerk_t01"]
    small = register(clerk, parties=[{"role": "petitioner", "name": "甲", "id_number": idn(), "address": "上洋村"}])
    big = register(clerk, headcount=200, parties=[
        {"role": "petitioner", "name": f"业主{i}", "id_number": idn(), "phone": phone(), "address": "小区",
         "is_representative": True} for i in range(5)])
    for case in (small, big):
        services.case_act(case=case.pk, actor=officer_t01, action="accept", data={"version": 1})
    services.case_act(case=big.pk, actor=officer_t01, action="transfer",
                      data={"version": 2, "to_unit": world.units["t01_committee"].pk})
    services.case_act(case=big.pk, actor=world.users["head_t01"], action="return",
                      data={"version": 3, "reason": "不属于本调委会受理范围"})
    services.case_act(case=big.pk, actor=officer_t01, action="report_major", data={"version": 4, "note": "人数众多"})
    c = login(officer_t01)

    def run(case: Case) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(f"/cases/{case.pk}/").status_code == 200
        return len(ctx.captured_queries)

    run(small)
    assert run(small) == run(big)


# --- list ------------------------------------------------------------------------------------

def test_list_filters_badges_and_export(world, login, officer_t01):
    clerk = world.users["clerk_t01"]
    a = register(clerk, title="集体物业费信访", headcount=200, parties=[
        {"role": "petitioner", "name": f"业主{i}", "id_number": idn(), "is_representative": True} for i in range(5)])
    b = register(clerk, channel="letter", oral_record="", description="来信反映噪音扰民", title="噪音扰民来信",
                 category="neighbour")
    d = register(clerk, kind="dispute", nature=None, title="邻里宅基地纠纷", category="neighbour")
    services.case_act(case=b.pk, actor=officer_t01, action="accept", data={"version": 1})
    c = login(officer_t01)

    def numbers(params: dict[str, str]) -> set[str]:
        r = c.get("/cases/", params)
        assert r.status_code == 200
        return {row[0].split(">")[1].split("<")[0] for row in r.context["rows"]}

    assert numbers({}) == {a.number, b.number, d.number}
    assert numbers({"status": "accepted"}) == {b.number}
    assert numbers({"channel": "letter"}) == {b.number}
    assert numbers({"kind": "dispute"}) == {d.number}
    assert numbers({"category": "neighbour"}) == {b.number, d.number}
    assert numbers({"flag": "collective"}) == {a.number}
    assert numbers({"q": "噪音"}) == {b.number}
    assert numbers({"region": "331003001"}) == {a.number, b.number, d.number}
    assert numbers({"received_from": "2000年1月1日", "received_to": "2099/12/31"}) == {a.number, b.number, d.number}
    assert numbers({"received_to": "2000年1月1日"}) == set()
    html = c.get("/cases/", {"flag": "collective"}).content.decode()
    assert "集体" in html and "badge" in html and "已登记" in html
    bad = c.get("/cases/", {"received_from": "昨天"})
    assert "日期格式不正确" in bad.content.decode()
    r = c.get("/cases/", {"channel": "visit", "export": "xlsx", "reason": "核对"})
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    rows = [list(x) for x in ws.iter_rows(values_only=True)]
    header = rows[0]
    assert "编号" in header and "状态" in header and "标记" in header
    exported = {row[header.index("编号")]: row for row in rows[1:]}
    assert set(exported) == {a.number, d.number}
    assert exported[a.number][header.index("标记")].startswith("集体")  # and 姓名或住址不清: no addresses
    assert exported[a.number][header.index("状态")] == "已登记"
    assert AuditEvent.objects.filter(action="export.xlsx").exists()
    # Another township sees none of them (the test client is logged in again as that clerk).
    assert login(world.users["clerk_t02"]).get("/cases/").context["page"].paginator.count == 0


def test_list_page_query_count_constant(world, login):
    clerk = world.users["clerk_t01"]
    for i in range(35):
        register(clerk, title=f"物业费纠纷{i}", category="property" if i % 2 else "neighbour")
    register(clerk, title="唯一的噪音事项", kind="dispute", nature=None, category="neighbour")
    c = login(world.users["leader"])  # the district leader sees the whole district

    def run(params: dict[str, str]) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            r = c.get("/cases/", params)
        assert r.status_code == 200 and r.context["rows"]
        return len(ctx.captured_queries), len(r.context["rows"])

    run({})
    full_queries, full_rows = run({})
    narrow_queries, narrow_rows = run({"q": "唯一"})
    assert narrow_rows == 1 < full_rows
    assert full_queries == narrow_queries


def test_htmx_list_partial(world, login):
    register(world.users["clerk_t01"], title="物业费纠纷")
    r = login(world.users["clerk_t01"]).get("/cases/", {"q": "物业"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="list-table")
    html = r.content.decode()
    assert "<html" not in html and "物业费纠纷" in html


# --- inbox and notifications -----------------------------------------------------------------

def test_inbox_sections(world, login, officer_t01):
    clerk = world.users["clerk_t01"]
    held = register(clerk, title="本单位办理中的事项")
    sent = register(clerk, title="移交调委会的事项")
    services.case_act(case=sent.pk, actor=officer_t01, action="transfer",
                      data={"version": 1, "to_unit": world.units["t01_committee"].pk})
    officer = login(officer_t01).get("/cases/inbox/")
    assert held in officer.context["todo"] and sent not in officer.context["todo"]
    head = login(world.users["head_t01"]).get("/cases/inbox/")
    assert [t.case_id for t in head.context["to_receive"]] == [sent.pk]
    html = head.content.decode()
    assert "待签收" in html and "临期" in html and "超期" in html and sent.number in html


def test_notifications_mark_read_only_own_unit(world, login, officer_t01):
    case = register(world.users["clerk_t01"])
    services.case_act(case=case.pk, actor=officer_t01, action="transfer",
                      data={"version": 1, "to_unit": world.units["t01_committee"].pk})
    notice = Notification.objects.get(unit=world.units["t01_committee"])
    head = login(world.users["head_t01"])
    assert head.get("/inbox/unread-count/").content.decode().count(">1<") == 1
    html = head.get("/inbox/notifications/").content.decode()
    assert "待签收" in html and "标为已读" in html and case.number in html
    assert head.get("/inbox/notifications/", {"state": "unread"}).context["page"].paginator.count == 1
    # Another unit cannot mark it read, nor see it.
    other = login(officer_t01)
    assert case.number not in other.get("/inbox/notifications/").content.decode()
    other.post("/inbox/notifications/read/", {"ids": str(notice.pk)})
    notice.refresh_from_db()
    assert notice.read_at is None
    r = login(world.users["head_t01"]).post("/inbox/notifications/read/", {"ids": str(notice.pk)}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and r["HX-Refresh"] == "true"
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert 'data-testid="unread-count"></span>' in login(world.users["head_t01"]).get("/inbox/unread-count/").content.decode()
    assert login(world.users["head_t01"]).get("/inbox/notifications/read/").status_code == 405
    c = login(world.users["head_t01"])
    c.logout()
    assert c.get("/inbox/unread-count/").content.decode() == '<span data-testid="unread-count"></span>'


def test_mark_all_read(world, login, officer_t01):
    for _ in range(3):
        case = register(world.users["clerk_t01"])
        services.case_act(case=case.pk, actor=officer_t01, action="transfer",
                          data={"version": 1, "to_unit": world.units["t01_committee"].pk})
    r = login(world.users["head_t01"]).post("/inbox/notifications/read/", {"all": "1"})
    assert r.status_code == 302
    assert not Notification.objects.filter(unit=world.units["t01_committee"], read_at__isnull=True).exists()
    assert login(world.users["head_t01"]).get("/inbox/").status_code == 302
