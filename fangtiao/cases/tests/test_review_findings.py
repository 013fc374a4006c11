"""Regression tests for the findings of the code review of the case lifecycle (each one failed before its fix)."""

from __future__ import annotations

import pytest
from django.test import Client

from fangtiao.cases.models import Case, CaseLink
from fangtiao.cases.tests.factories import act, case_in_state, intake, make_case, person
from fangtiao.clocks.models import Clock
from fangtiao.core.errors import Conflict, ValidationFailed
from fangtiao.core.excel import _cell
from fangtiao.core.testing.api import ApiClient


def test_session_api_writes_need_the_csrf_token(xw):
    client = Client(enforce_csrf_checks=True)
    client.force_login(xw.clerk_t01)
    client.get("/cases/new/")  # a page that sets the CSRF cookie
    r = client.post("/api/v1/cases", intake(), content_type="application/json")
    assert r.status_code == 403 and not Case.objects.exists()
    token = client.cookies["csrftoken"].value
    r = client.post("/api/v1/cases", intake(), content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert r.status_code == 201


def test_text_that_looks_like_ciphertext_is_just_text(xw):
    r = ApiClient(xw.clerk_t01).post("/api/v1/cases", intake(parties=[person(address="v1:k:zzz")]))
    assert r.status_code == 201
    party = Case.objects.get(pk=r.json()["id"]).parties.get()
    assert party.address == "v1:k:zzz"


@pytest.mark.parametrize("params", [{"received_to": "9999-12-31"}, {"received_from": "0001-01-01"}])
def test_extreme_dates_are_422_not_500(xw, params):
    assert ApiClient(xw.clerk_t01).get("/api/v1/cases", params).status_code == 422


def test_extreme_dates_in_the_page_filter(xw, login):
    r = login(xw.clerk_t01).get("/cases/", {"received_to": "9999-12-31"})
    assert r.status_code == 200 and "日期格式不正确" in r.content.decode()


def test_no_review_without_a_written_reply(xw):
    case = case_in_state(xw, "not_accepted")
    officer = xw.user(case.holder_unit, "officer")
    case = act(case, officer, "close")
    with pytest.raises(Conflict):
        act(case, xw.user("centre", "officer"), "request_review", organ=xw.units["centre"].pk, requested_on="2026-11-29")


def test_the_other_party_raising_the_matter_is_not_a_repeat(xw):
    """同人 means a petitioner in common: B, the respondent of A's petition, petitioning is not A's repeat."""
    b = person(role="respondent")
    first = case_in_state(xw, "handling", parties=[person(), b])
    assert first.holder_unit.level == "township"
    again = make_case(xw, actor=xw.officer, parties=[{**b, "role": "petitioner"}])
    assert again.status == "registered" and not again.is_repeat
    # The same matter raised by the other side is linked as related (same text and place), never a repeat.
    assert not CaseLink.objects.filter(case=again).exclude(kind="related").exists()


def test_after_re_review_the_same_matter_is_not_accepted_again(xw):
    p = person()
    first = make_case(xw, parties=[p])
    Case.objects.filter(pk=first.pk).update(review_stage="final", status="closed")
    again = make_case(xw, parties=[p])
    assert again.status == "not_accepted" and "第36条" in again.not_accepted_reason
    assert CaseLink.objects.get(case=again).kind == "terminated"


def test_excel_never_writes_a_formula():
    assert _cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert _cell("@SUM(A1)") == "'@SUM(A1)"
    assert _cell("物业费") == "物业费"


def test_a_transfer_out_of_registration_is_the_disposition(xw):
    case = make_case(xw)
    officer = xw.user(case.holder_unit, "officer")
    case = act(case, officer, "transfer", to_unit=xw.units["t01_committee"].pk)
    states = {c.code: c.state for c in Clock.objects.filter(case=case).exclude(code="transfer.objection")}
    assert states == {"petition.disposition": "met", "petition.acceptance_notice": "cancelled"}
    assert Clock.objects.filter(case=case, code="transfer.objection").count() == 1  # one, not a cancelled twin


def test_idempotency_key_reused_with_another_body(xw):
    c = ApiClient(xw.clerk_t01)
    assert c.post("/api/v1/cases", intake(), HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    r = c.post("/api/v1/cases", intake(title="另一件事情"), HTTP_IDEMPOTENCY_KEY="same")
    assert r.status_code == 422 and Case.objects.count() == 1


def test_the_registering_clerk_gets_the_receipt_of_an_accusation(xw, login):
    c = login(xw.clerk_t01)
    body = intake(nature="accusation", accused_unit=xw.line_dept.pk)
    case, code = __import__("fangtiao.cases.services", fromlist=["x"]).case_register(actor=xw.clerk_t01, data=body)
    assert c.get(f"/cases/{case.pk}/").status_code == 404  # may not read it afterwards
    assert c.get(f"/cases/{case.pk}/receipt/").status_code == 200
    assert login(xw.clerk_t02).get(f"/cases/{case.pk}/receipt/").status_code == 404


def test_review_goes_to_the_organ_one_level_up(xw):
    case = case_in_state(xw, "replied")
    assert case.holder_unit.level == "township"
    officer = xw.user("city_bureau", "officer")
    with pytest.raises(ValidationFailed) as exc:
        act(case, officer, "request_review", organ=xw.city_bureau.pk, requested_on=str(case.replied_on))
    assert "上一级" in exc.value.errors[0].message


def test_collective_visit_with_one_address_missing_keeps_the_notice_clock(xw):
    reps = [person(is_representative=True) for _ in range(4)] + [person(is_representative=True, address="")]
    case = make_case(xw, headcount=200, parties=reps)
    assert not case.identity_incomplete
    assert Clock.objects.get(case=case, code="petition.acceptance_notice").state == "running"


def test_mediation_outcome_is_fed_back_to_the_sending_unit(xw):
    from fangtiao.notifications.models import Notification

    case = case_in_state(xw, "mediating+ready")  # a mediator assigned and a session held
    sent = case.transfers.filter(purpose="mediation").first()
    assert sent is not None and sent.from_unit_id != case.holder_unit_id
    act(case, xw.user(case.holder_unit, "committee_head"), "agree", form="written", terms="赔偿5000元",
        performance="月底前付清")
    assert Notification.objects.filter(unit_id=sent.from_unit_id, kind="mediation_result", case=case).count() == 1


def test_a_returned_transfer_gives_the_case_back(xw):
    """A unit outside the case's place reads it only while the transfer to it stands."""
    case = make_case(xw, actor=xw.officer, region="331003002201")  # 下叶村 (西城), registered at the centre
    target = xw.units["v01_committee"]  # 上洋村 (东城): its jurisdiction does not cover 下叶村
    case = act(case, xw.officer, "transfer", to_unit=target.pk)
    head = xw.user("v01_committee", "committee_head")
    assert Case.objects.visible_to(head).filter(pk=case.pk).exists()
    act(case, head, "return", reason="不属于本村，请转西城街道处理")
    assert not Case.objects.visible_to(head).filter(pk=case.pk).exists()


def test_line_departments_see_only_what_is_routed_to_them(xw):
    dept = xw.user("line_dept", "officer")
    case = make_case(xw)
    assert not Case.objects.visible_to(dept).filter(pk=case.pk).exists()
    case = act(case, xw.user(case.holder_unit, "officer"), "transfer", to_unit=xw.line_dept.pk)
    assert Case.objects.visible_to(dept).filter(pk=case.pk).exists()
    centre_officer = xw.user("centre", "officer")  # the network itself sees its subtree
    assert Case.objects.visible_to(centre_officer).filter(pk=case.pk).exists()


def test_home_shows_the_units_work(xw, login):
    case = make_case(xw)
    officer = xw.user(case.holder_unit, "officer")
    act(case, officer, "transfer", to_unit=xw.units["t01_committee"].pk)
    head = xw.user("t01_committee", "committee_head")
    r = login(head).get("/")
    assert r.status_code == 200 and r.context["work"]["to_receive"] == 1
    assert "待签收" in r.content.decode()
    assert login(xw.user("line_dept", "officer")).get("/").context["work"]["to_receive"] == 0


@pytest.mark.parametrize("q", ["王小明", "小明", "wxm", "wangxiaoming"])
def test_cases_found_by_the_petitioners_name_or_its_pinyin(xw, q):
    case = make_case(xw, parties=[person(name="王小明")])
    make_case(xw, parties=[person(name="李建国")])
    r = ApiClient(xw.clerk_t01).get("/api/v1/cases", {"q": q})
    assert [c["id"] for c in r.json()["items"]] == [case.pk]


def test_the_units_own_cases_as_a_list_with_export(xw, login):
    mine = make_case(xw)
    make_case(xw, actor=xw.officer)  # held by the centre
    c = login(xw.clerk_t01)
    r = c.get("/cases/", {"mine": "on"})
    assert r.status_code == 200 and r.context["page"].paginator.count == 1
    assert mine.number in r.content.decode()
    x = c.get("/cases/", {"mine": "on", "export": "xlsx", "reason": "核对"})
    assert x.status_code == 200 and x["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'data-testid="todo-all"' in c.get("/cases/inbox/").content.decode()
