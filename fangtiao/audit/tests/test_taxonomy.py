"""Every event of the audit taxonomy, performed through its real code path (HTTP where there is one),
produces a record with every required field (security-reliability.md §6 item 16; ASVS V16.2.1;
GB/T 22239-2019 8.1.4.3 a/b): UTC time, user — and role and unit where a signed-in user acted —,
IP, request ID, event type, object and outcome. Plus: a failing audit write rolls the business change
back (8.1.4.3 d, fail closed), and the audit list's query count does not grow with its rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.tests.factories import (
    case_in_state,
    intake,
    make_case,
    permitted_user,
    valid_payload,
    variant,
)
from fangtiao.cases.workflow import TRANSITIONS
from fangtiao.core import context
from fangtiao.core.testing.api import ApiClient
from fangtiao.core.testing.world import PASSWORD

WRONG = "Wrong-Passw0rd!"
IP = "10.9.8.7"


def _login(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=IP)


def _transition(xw: Any, action: str) -> None:
    t = next(t for t in TRANSITIONS if t.action == action)
    order = ["registered", "accepted", "handling", "mediating"]
    case = case_in_state(xw, variant(action, next((s for s in order if s in t.sources), sorted(t.sources)[0])))
    user = permitted_user(xw, case, action)
    r = ApiClient(user).post(f"/api/v1/cases/{case.pk}/actions/{action}",
                             {**valid_payload(xw, case, action, user), "version": case.version}, REMOTE_ADDR=IP)
    assert r.status_code == 200, r.content.decode()


# --- the events ------------------------------------------------------------------------------------

def login_ok(xw: Any) -> None:
    assert _login(Client(), "clerk_t01").status_code == 302


def login_failed(xw: Any) -> None:
    assert _login(Client(), "clerk_t01", WRONG).status_code == 200


def locked(xw: Any) -> None:
    c = Client()
    for _ in range(6):
        _login(c, "clerk_t02", WRONG)


def otp_failed(xw: Any) -> None:
    from fangtiao.security import services as security

    user = xw.w.users["officer"]
    security.enrol_begin(user=user)
    from fangtiao.security.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).update(confirmed=True)
    c = Client()
    _login(c, "officer")
    c.post("/accounts/otp/", {"code": "000000"}, REMOTE_ADDR=IP)


def logout(xw: Any) -> None:
    c = Client()
    c.force_login(xw.w.users["clerk_t01"])
    assert c.post("/accounts/logout/", REMOTE_ADDR=IP).status_code in (200, 302)


def password_changed(xw: Any) -> None:
    c = Client()
    c.force_login(xw.w.users["clerk_t01"])
    r = c.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": "New-Secret-42x",
                                       "new_password2": "New-Secret-42x"}, REMOTE_ADDR=IP)
    assert r.status_code == 302


def staff_role_and_unit_changed(xw: Any) -> None:
    # No page or endpoint edits staff yet (the admin site is read-mostly): the service, in a request's context.
    from fangtiao.org import services as org

    with context.bound(context.RequestContext(request_id=context.new_request_id(), ip=IP)):
        org.staff_update(actor=xw.user("centre", "security"), user=xw.w.users["clerk_t01"], roles=["clerk", "officer"],
                         unit=xw.w.units["t01_committee"])


def case_registered(xw: Any) -> None:
    r = ApiClient(xw.w.users["clerk_t01"]).post("/api/v1/cases", intake(), REMOTE_ADDR=IP)
    assert r.status_code == 201, r.content.decode()


def case_accepted(xw: Any) -> None:
    _transition(xw, "accept")


def case_assigned(xw: Any) -> None:
    _transition(xw, "assign")


def _scan_row(xw: Any, monkeypatch: Any) -> Any:
    from fangtiao.documents import services as documents

    monkeypatch.setattr(documents, "render_pdf", lambda layout: (b"%PDF-1.7\n%fake\n%%EOF\n", 1))
    return documents.document_issue(case=make_case(xw), doc_type="petition_register", actor=xw.w.users["clerk_t01"])


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (250, 250, 245)).save(buf, "PNG")
    return buf.getvalue()


def _upload(xw: Any, row: Any) -> Any:
    api = ApiClient(xw.w.users["clerk_t01"])
    r = api.client.post(f"/api/v1/cases/{row.case_id}/documents/petition_register/scans",
                        data={"file": SimpleUploadedFile("回执.png", _png()), "note": "盖章件"}, REMOTE_ADDR=IP,
                        **api.headers)
    assert r.status_code == 201, r.content.decode()
    return r.json()


def attachment_uploaded(xw: Any, monkeypatch: Any) -> None:
    _upload(xw, _scan_row(xw, monkeypatch))


def attachment_downloaded(xw: Any, monkeypatch: Any) -> None:
    row = _scan_row(xw, monkeypatch)
    scan = _upload(xw, row)
    r = ApiClient(xw.w.users["clerk_t01"]).client.get(f"/api/v1/cases/{row.case_id}/scans/{scan['id']}", REMOTE_ADDR=IP,
                                                      **ApiClient(xw.w.users["clerk_t01"]).headers)
    assert r.status_code == 200


def pii_revealed(xw: Any) -> None:
    case = make_case(xw)
    r = ApiClient(xw.w.users["clerk_t01"]).post(f"/api/v1/cases/{case.pk}/parties/{case.parties.first().pk}/reveal",
                                                {"field": "phone", "reason": "电话回访"}, REMOTE_ADDR=IP)
    assert r.status_code == 200, r.content.decode()


def exported(xw: Any) -> None:
    c = Client()
    c.force_login(xw.w.users["clerk_t01"])
    r = c.get("/org/mediators/", {"export": "xlsx", "reason": "核对名册"}, REMOTE_ADDR=IP)
    assert r.status_code == 200


def configuration_changed(xw: Any) -> None:
    r = ApiClient(xw.w.users["leader"]).post("/api/v1/subsidies/rules", {
        "name": "调解成功", "kind": "mediation", "amount": "300.00", "valid_from": dt.date.today().isoformat()},
        REMOTE_ADDR=IP)
    assert r.status_code == 201, r.content.decode()


def audit_exported(xw: Any) -> None:
    c = Client()
    c.force_login(xw.w.users["auditor"])
    r = c.get("/audit/", {"export": "xlsx", "reason": "季度审计"}, REMOTE_ADDR=IP)
    assert r.status_code == 200


TAXONOMY: list[tuple[str, Callable[..., None], str, bool]] = [
    # (name, how, action recorded, did a signed-in user act?)
    ("login success", login_ok, "auth.login", True),
    ("login failure", login_failed, "auth.login_failed", False),
    ("lockout", locked, "auth.locked", False),
    ("OTP failure", otp_failed, "auth.otp_failed", False),
    ("logout", logout, "auth.logout", True),
    ("password change", password_changed, "auth.password_changed", True),
    ("role or unit change", staff_role_and_unit_changed, "org.staff.updated", True),
    ("case create", case_registered, "case.registered", True),
    ("case transition", case_accepted, "case.accept", True),
    ("assignment", case_assigned, "case.assign", True),
    ("attachment upload", attachment_uploaded, "document.scan_uploaded", True),
    ("attachment download", attachment_downloaded, "document.scan_downloaded", True),
    ("reveal", pii_revealed, "pii.revealed", True),
    ("export", exported, "export.xlsx", True),
    ("configuration change", configuration_changed, "subsidy.rule_created", True),
    ("audit export", audit_exported, "audit.exported", True),
]


@pytest.mark.parametrize(("how", "action", "signed_in"), [t[1:] for t in TAXONOMY], ids=[t[0] for t in TAXONOMY])
def test_every_taxonomy_event_is_recorded_with_every_required_field(xw, settings, tmp_path, monkeypatch, how, action,
                                                                    signed_in):
    settings.MEDIA_ROOT = str(tmp_path)
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    args = (xw, monkeypatch) if how in (attachment_uploaded, attachment_downloaded) else (xw,)
    how(*args)
    e = AuditEvent.objects.filter(id__gt=last, action=action).order_by("-id").first()
    assert e is not None, f"no {action} record"
    assert e.at is not None and e.at.utcoffset() == dt.timedelta(0)  # UTC, with its offset
    assert e.actor_username, "who"
    assert e.ip == IP, "from where"
    assert e.request_id, "which request"
    assert e.action == action and e.action_label != action, "what (a registered, labelled type)"
    assert e.subject_id or e.extra, "on which object"
    assert e.success is not None, "outcome"
    if signed_in:
        assert e.actor_id and e.actor_roles and e.unit_id and e.unit_name, "role and unit of the acting user"
    # and no record of any kind written by the step lacks the common fields
    for other in AuditEvent.objects.filter(id__gt=last):
        assert other.actor_username and other.request_id and other.at, (other.action, other.pk)


def test_the_taxonomy_covers_the_list_of_item_16():
    names = {t[0] for t in TAXONOMY}
    assert names == {"login success", "login failure", "lockout", "OTP failure", "logout", "password change",
                     "role or unit change", "case create", "case transition", "assignment", "attachment upload",
                     "attachment download", "reveal", "export", "configuration change", "audit export"}


def test_a_failing_audit_write_rolls_the_business_change_back(xw, monkeypatch):
    """8.1.4.3 d): auditing cannot be bypassed — when the audit row cannot be written, the change
    it describes is not made either (over HTTP: the request fails, nothing is stored)."""
    from fangtiao.subsidies.models import SubsidyRule

    def broken(self: Any, *args: Any, **kwargs: Any) -> None:
        raise DatabaseError("audit table unavailable")

    client = ApiClient(xw.w.users["leader"])
    client.client.raise_request_exception = False
    security = xw.user("centre", "security")
    monkeypatch.setattr(AuditEvent, "save", broken)
    before = SubsidyRule.objects.count()
    r = client.post("/api/v1/subsidies/rules", {"name": "审计失败时的规则", "kind": "mediation", "amount": "300.00",
                                                "valid_from": dt.date.today().isoformat()})
    assert r.status_code >= 500
    assert SubsidyRule.objects.count() == before
    from fangtiao.org import services as org

    clerk = xw.w.users["clerk_t01"]
    with pytest.raises(DatabaseError):
        org.staff_update(actor=security, user=clerk, roles=["officer"])
    clerk.refresh_from_db()
    assert set(clerk.roles.values_list("code", flat=True)) == {"clerk"}


def test_audit_list_query_count_is_flat(xw):
    c = Client()
    c.force_login(xw.w.users["auditor"])

    def count() -> int:
        with CaptureQueriesContext(connection) as q:
            assert c.get("/audit/").status_code == 200
        return len(q)

    few = count()
    for i in range(40):
        AuditEvent(action="demo.loaded", actor_username="system:test", request_id=f"job-{i}", subject_repr=str(i)).save()
    assert count() == few
