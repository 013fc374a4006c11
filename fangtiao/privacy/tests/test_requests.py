"""PIPL rights requests (个保法 第44–50条): 登记 → 审查 → 答复/拒绝, the due date in working days,
the access copy found by blind index, correction recorded for manual action, every step audited;
permissions (403), jurisdiction (404), bad inputs (422 with field errors, nothing changed)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.tests.factories import id_number as new_id
from fangtiao.cases.tests.factories import make_case, mobile, person
from fangtiao.clocks.calendar import add_working_days
from fangtiao.clocks.services import work_calendar
from fangtiao.core.errors import Conflict, PermissionDenied, ValidationFailed
from fangtiao.privacy import services
from fangtiao.privacy.models import RightsRequest

pytestmark = pytest.mark.django_db


def _data(**kw: Any) -> dict[str, Any]:
    d = {"requester_name": "欧阳小明", "requester_id_number": new_id(), "requester_phone": "", "right": "access",
         "content": "要求查阅并复制本人在事项中的个人信息", "verification": "id_card", "verification_note": ""}
    d.update(kw)
    return d


def test_register_review_answer_with_copy(xw: Any) -> None:
    idn, phone = new_id(), mobile()
    case = make_case(xw, parties=[person(name="欧阳小明", id_number=idn, phone=phone)])
    make_case(xw, parties=[person(name="别人", phone=mobile())])  # another person: not in the copy
    clerk = xw.user("t01_subcentre", "clerk")
    r = services.request_register(actor=clerk, data=_data(requester_id_number=idn, case_number=case.number))
    today = timezone.localdate()
    expected = add_working_days(today, 15, calendar=work_calendar(today, today + timezone.timedelta(days=80)))
    assert r.number.startswith(f"个信{today.year}-") and r.due_on == expected and r.status == "registered"
    assert r.region_path == case.region_path and r.id_index
    with pytest.raises(Conflict):
        services.request_answer(actor=clerk, pk=r.pk, answer="已答复")  # not reviewed yet
    services.request_review(actor=clerk, pk=r.pk, version=r.version, note="身份已核验")
    with pytest.raises(ValidationFailed):
        services.request_answer(actor=clerk, pk=r.pk, answer="已答复")  # no copy made yet
    with pytest.raises(ValidationFailed):
        services.request_copy(actor=clerk, pk=r.pk, reason=" ")
    r2, rows = services.request_copy(actor=clerk, pk=r.pk, reason="本人查阅复制请求")
    values = {v for *_, v in rows}
    assert idn in values and phone in values and "欧阳小明" in values and "别人" not in values
    services.request_answer(actor=clerk, pk=r.pk, answer="已当面提供个人信息副本一份")
    r.refresh_from_db()
    assert r.status == "answered" and r.closed_on == today and r.copy_made
    actions = list(AuditEvent.objects.filter(subject_type="privacy.rightsrequest", subject_id=str(r.pk))
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["privacy.request_registered", "privacy.request_reviewed", "privacy.copy_exported",
                       "privacy.request_answered"]
    copy_event = AuditEvent.objects.get(action="privacy.copy_exported")
    assert copy_event.extra["reason"] == "本人查阅复制请求" and idn not in str(copy_event.extra)


def test_correction_is_recorded_for_manual_action_and_refusal_needs_reasons(xw: Any) -> None:
    officer = xw.user("centre", "officer")
    bad = _data(right="correct")
    with pytest.raises(ValidationFailed) as exc:
        services.request_register(actor=officer, data=bad)
    assert {e.field for e in exc.value.errors} == {"correction_field", "correction_value"}
    r = services.request_register(actor=officer, data=_data(right="correct", correction_field="address",
                                                           correction_value="上洋村8号"))
    services.request_review(actor=officer, pk=r.pk)
    services.request_answer(actor=officer, pk=r.pk, answer="经核实，住址已按申请更正")
    r.refresh_from_db()
    assert r.correction_outcome == "manual" and r.correction_value == "上洋村8号"
    other = services.request_register(actor=officer, data=_data(right="delete"))
    with pytest.raises(ValidationFailed) as exc:
        services.request_refuse(actor=officer, pk=other.pk, reason="", basis="")
    assert {e.field for e in exc.value.errors} == {"refusal_reason", "refusal_basis"}
    services.request_refuse(actor=officer, pk=other.pk, reason="信访事项尚在法定保存期限内",
                            basis="个人信息保护法 第47条第2款")
    other.refresh_from_db()
    assert other.status == "refused"
    with pytest.raises(Conflict):
        services.request_refuse(actor=officer, pk=other.pk, reason="x", basis="y")


def test_bad_inputs_change_nothing(xw: Any) -> None:
    clerk = xw.user("t01_subcentre", "clerk")
    cases = [
        ({"requester_name": ""}, "requester_name"),
        ({"requester_id_number": "331003198001011234"}, "requester_id_number"),  # wrong check digit
        ({"requester_id_number": "", "requester_phone": ""}, "requester_id_number"),
        ({"requester_phone": "12345"}, "requester_phone"),
        ({"right": "forget"}, "right"),
        ({"verification": "other"}, "verification_note"),
        ({"content": " "}, "content"),
        ({"case_number": "不存在的编号"}, "case_number"),
    ]
    for change, field in cases:
        with pytest.raises(ValidationFailed) as exc:
            services.request_register(actor=clerk, data=_data(**change))
        assert field in {e.field for e in exc.value.errors}, change
    assert not RightsRequest.objects.exists()
    with pytest.raises(PermissionDenied):
        services.request_register(actor=xw.user("t01_committee", "mediator"), data=_data())


def test_pages_permissions_jurisdiction_and_list(xw: Any, login: Any, django_assert_max_num_queries: Any) -> None:
    clerk = xw.user("t01_subcentre", "clerk")
    c = login(clerk)
    r = c.post("/privacy/requests/new/", {**_data(requester_id_number="123"), "correction_field": ""})
    assert r.status_code == 422 and "身份证号码" in r.content.decode()
    assert not RightsRequest.objects.exists()
    r = c.post("/privacy/requests/new/", {**_data(), "correction_field": ""})
    assert r.status_code == 302
    req = RightsRequest.objects.get()
    for n in range(3):
        services.request_register(actor=clerk, data=_data(right="explain", requester_name=f"张{n}"))
    page = c.get(f"/privacy/requests/{req.pk}/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert req.requester_id_number not in page.content.decode()  # masked on screen
    with django_assert_max_num_queries(20):
        listing = c.get("/privacy/requests/", {"right": "explain"})
    assert listing.status_code == 200 and req.number not in listing.content.decode()
    assert c.get("/privacy/requests/", {"status": "bogus"}).status_code == 200
    xlsx = c.get("/privacy/requests/", {"export": "xlsx", "reason": "月度统计"})
    ws = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    assert len(list(ws.iter_rows(values_only=True))) == 5
    # Another township's clerk: 404 on the object, empty list; a mediator: 403.
    other = login(xw.user("t02_subcentre", "clerk"))
    assert other.get(f"/privacy/requests/{req.pk}/").status_code == 404
    assert other.post(f"/privacy/requests/{req.pk}/review/", {"version": req.version}).status_code == 404
    assert req.number not in other.get("/privacy/requests/").content.decode()
    mediator = login(xw.user("t01_committee", "mediator"))
    assert mediator.get("/privacy/requests/").status_code == 403
    assert mediator.get(f"/privacy/requests/{req.pk}/").status_code == 403
    # The district officer sees it (parent jurisdiction); a stale version is a 409 with the message.
    officer = login(xw.user("centre", "officer"))
    assert officer.get(f"/privacy/requests/{req.pk}/").status_code == 200
    assert officer.post(f"/privacy/requests/{req.pk}/review/", {"version": req.version}).status_code == 302
    stale = officer.post(f"/privacy/requests/{req.pk}/refuse/", {"version": req.version, "refusal_reason": "x",
                                                                 "refusal_basis": "y"})
    assert stale.status_code == 409
    empty = officer.post(f"/privacy/requests/{req.pk}/answer/", {"version": req.version + 1, "answer": ""})
    assert empty.status_code == 422 and "请填写答复内容" in empty.content.decode()
    copy = officer.post(f"/privacy/requests/{req.pk}/copy/", {"reason": "本人申请"})
    assert copy.status_code == 200 and copy["Content-Type"].startswith("application/vnd.openxmlformats")


def test_who_saw_lists_reveals_and_exports_of_one_case(xw: Any) -> None:
    from django.core.management import CommandError, call_command

    from fangtiao.cases.services import party_reveal

    clerk = xw.user("t01_subcentre", "clerk")
    case, other = make_case(xw), make_case(xw)
    party = case.parties.get()
    party_reveal(actor=clerk, case_id=case.pk, party_id=party.pk, field="id_number", reason="核对身份")
    party_reveal(actor=clerk, case_id=other.pk, party_id=other.parties.get().pk, field="phone", reason="回访")
    r = services.request_register(actor=clerk, data=_data(case_number=case.number))
    services.request_review(actor=clerk, pk=r.pk)
    services.request_copy(actor=clerk, pk=r.pk, reason="本人申请")
    out = io.StringIO()
    call_command("who-saw", "--case", case.number, stdout=out)
    text = out.getvalue()
    assert f"事项 {case.number}：" in text and "pii.revealed" in text and clerk.username in text
    assert "field=id_number" in text and "field=phone" not in text and "privacy.copy_exported" in text
    assert "case.registered" not in text  # not a disclosure
    full = io.StringIO()
    call_command("who-saw", "--case", case.number, "--all", "--format", "csv", stdout=full)
    assert "case.registered" in full.getvalue() and full.getvalue().startswith("时间,")
    with pytest.raises(CommandError):
        call_command("who-saw", "--case", "不存在", stdout=io.StringIO())
