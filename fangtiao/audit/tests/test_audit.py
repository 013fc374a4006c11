import pytest
from django.db import DatabaseError, connection, transaction

from fangtiao.audit import services as audit
from fangtiao.audit.models import AppendOnlyError, AuditEvent
from fangtiao.audit.registry import ACTIONS
from fangtiao.org import services
from fangtiao.org.models import Mediator


def test_record_carries_actor_unit_roles_and_region(world):
    actor = world.users["head_t01"]
    m = services.mediator_update(actor=actor, mediator=world.mediators["wang_t01"], name="王晓明")
    event = AuditEvent.objects.filter(action="org.mediator.updated", subject_id=str(m.pk)).get()
    assert event.actor_username == "head_t01"
    assert event.actor_roles == "committee_head"
    assert event.unit_id == world.units["t01_committee"].pk
    assert event.region_path == world.t01.path
    assert event.changes["name"] == ["王小明", "王晓明"]


def test_sensitive_values_never_enter_the_log(world):
    services.mediator_update(actor=world.users["admin"], mediator=world.mediators["wang_t01"], phone="13700001111")
    event = AuditEvent.objects.filter(action="org.mediator.updated").latest("id")
    assert event.changes["phone"] == [audit.SENSITIVE_MARK, audit.SENSITIVE_MARK]
    assert "13700001111" not in str(event.changes) and "13912345678" not in str(event.changes)


def test_unregistered_action_is_refused(db):
    with pytest.raises(ValueError):
        audit.record(actor=None, action="no.such.action")


def test_append_only_in_the_application(world):
    event = AuditEvent.objects.first()
    event.action = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()


def test_append_only_in_the_database(world):
    """Even raw SQL cannot rewrite history: a trigger rejects UPDATE (and DELETE on PostgreSQL)."""
    event = AuditEvent.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, action=event.action).exists()


def test_failed_change_leaves_no_audit_row(world):
    before = AuditEvent.objects.count()
    from fangtiao.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.mediator_update(actor=world.users["admin"], mediator=world.mediators["wang_t01"], phone="123")
    assert AuditEvent.objects.count() == before
    assert Mediator.objects.get(pk=world.mediators["wang_t01"].pk).phone == "13912345678"


def test_login_success_and_failure_are_audited(world, client):
    from fangtiao.core.testing.world import PASSWORD

    client.post("/accounts/login/", {"username": "clerk_t01", "password": "wrong"})
    failed = AuditEvent.objects.filter(action="auth.login_failed").latest("id")
    assert failed.actor_username == "clerk_t01" and failed.success is False
    assert "wrong" not in str(failed.extra)
    client.post("/accounts/login/", {"username": "clerk_t01", "password": PASSWORD})
    ok = AuditEvent.objects.filter(action="auth.login").latest("id")
    assert ok.actor_username == "clerk_t01" and ok.ip == "127.0.0.1" and ok.request_id


def test_every_registered_action_has_a_chinese_label():
    for code, label in ACTIONS.items():
        assert label and not label.isascii(), code


class TestAuditPages:
    def test_only_admin_and_auditor(self, world, login):
        for username, status in [("admin", 403), ("auditor", 200), ("leader", 403), ("clerk_t01", 403)]:
            assert login(world.users[username]).get("/audit/").status_code == status, username

    def test_filters_and_detail(self, world, login):
        c = login(world.users["auditor"])
        r = c.get("/audit/", {"action": "org.mediator.created"})
        assert r.status_code == 200
        actions = {row[3] for row in r.context["rows"]}
        assert actions == {"新增调解员"}
        assert r.context["page"].paginator.count == 5
        event = AuditEvent.objects.filter(action="org.mediator.created").first()
        assert c.get(f"/audit/{event.pk}/").status_code == 200

    def test_bad_dates_give_a_chinese_message(self, world, login):
        r = login(world.users["auditor"]).get("/audit/", {"date_from": "2026-13-01", "date_to": "明天"})
        assert r.status_code == 200
        assert "日期格式不正确" in r.content.decode()

    def test_reversed_range(self, world, login):
        r = login(world.users["auditor"]).get("/audit/", {"date_from": "2026-05-04", "date_to": "2026-05-01"})
        assert "截止日期不能早于起始日期" in r.content.decode()

    def test_export(self, world, login):
        r = login(world.users["auditor"]).get("/audit/", {"export": "xlsx", "reason": "核对"})
        assert r.status_code == 200
        assert r["Content-Type"].startswith("application/vnd.openxmlformats")
        assert AuditEvent.objects.filter(action="export.xlsx", actor_username="auditor").exists()

    def test_admin_site_cannot_change_the_log(self, world, login):
        world.users["admin"].is_superuser = True
        world.users["admin"].save()
        c = login(world.users["admin"])
        event = AuditEvent.objects.first()
        r = c.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})
        assert r.status_code == 403
        assert AuditEvent.objects.filter(pk=event.pk).exists()
