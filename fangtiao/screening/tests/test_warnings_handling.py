"""People handle warnings: acknowledge (签收), resolve (处置), and the lawyer's early intervention
(律师提前介入): request → assign an active lawyer → the meeting and its outcome."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangtiao.audit.models import AuditEvent
from fangtiao.cases.tests.factories import frozen
from fangtiao.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from fangtiao.notifications.models import Notification
from fangtiao.org import services as org_services
from fangtiao.screening import services
from fangtiao.screening.models import EarlyWarning, LawyerIntervention
from fangtiao.screening.tests.support import (
    fields,
    lawyer_user,
    other_lawyer,
    t01_leader,
    t02_leader,
    warning,
)


def meeting(li, actor, **over):
    body = {"met_on": timezone.localdate(), "place": "东城街道联合调解分中心二楼接待室",
            "summary": "律师向信访人讲解了劳动争议仲裁程序，信访人表示愿意依法申请仲裁。", "outcome": "eased"}
    body.update(over)
    return services.lawyer_record(actor=actor, intervention_id=li.pk, **body)


def requested(xw, w=None, actor=None):
    w = w or warning(xw)
    return services.lawyer_request(actor=actor or t01_leader(xw), warning_id=w.pk, note="信访人扬言越级上访，请派律师约谈")


def assigned(xw, lawyer=None):
    li = requested(xw)
    return services.lawyer_assign(actor=t01_leader(xw), intervention_id=li.pk,
                                  lawyer_id=(lawyer or xw.w.experts["lawyer"]).pk)


class TestAcknowledgeResolve:
    def test_acknowledge_then_resolve(self, xw):
        w = warning(xw)
        boss = t01_leader(xw)
        out = services.warning_acknowledge(actor=boss, warning_id=w.pk, version=w.version, note="已安排专人跟进")
        assert (out.status, out.acknowledged_by_id, out.version) == ("acknowledged", boss.pk, w.version + 1)
        out = services.warning_resolve(actor=boss, warning_id=w.pk, resolution="已上门走访，信访人情绪稳定",
                                       version=out.version)
        w.refresh_from_db()
        assert (w.status, w.resolved_by_id, w.resolution) == ("resolved", boss.pk, "已上门走访，信访人情绪稳定")
        assert w.resolved_at is not None
        actions = list(AuditEvent.objects.filter(subject_id=str(w.pk), action__startswith="warning.")
                       .order_by("id").values_list("action", "actor_id"))
        assert actions == [("warning.raised", None), ("warning.acknowledged", boss.pk), ("warning.resolved", boss.pk)]

    def test_resolving_an_open_warning_acknowledges_it_too(self, xw):
        w = warning(xw)
        services.warning_resolve(actor=xw.leader, warning_id=w.pk, resolution="已化解")
        w.refresh_from_db()
        assert w.status == "resolved" and w.acknowledged_by_id == xw.leader.pk

    def test_stale_version_is_a_conflict(self, xw):
        w = warning(xw)
        with pytest.raises(Conflict):
            services.warning_acknowledge(actor=xw.leader, warning_id=w.pk, version=w.version + 3)
        with pytest.raises(Conflict):
            services.warning_resolve(actor=xw.leader, warning_id=w.pk, resolution="已处置", version=w.version + 3)
        w.refresh_from_db()
        assert w.status == "open"

    def test_acknowledged_twice_is_a_conflict(self, xw):
        w = warning(xw)
        services.warning_acknowledge(actor=xw.leader, warning_id=w.pk)
        with pytest.raises(Conflict):
            services.warning_acknowledge(actor=xw.leader, warning_id=w.pk)

    def test_empty_or_long_resolution(self, xw):
        w = warning(xw)
        for text in ("", "   ", "处" * 4001):
            with pytest.raises(ValidationFailed) as e:
                services.warning_resolve(actor=xw.leader, warning_id=w.pk, resolution=text)
            assert fields(e) == {"resolution"}
        w.refresh_from_db()
        assert w.status == "open"

    @pytest.mark.parametrize("status", ["resolved", "cleared"])
    def test_closed_cannot_be_resolved_or_acknowledged(self, xw, status):
        w = warning(xw)
        if status == "resolved":
            services.warning_resolve(actor=xw.leader, warning_id=w.pk, resolution="已处置")
        else:
            services.warning_clear(warning_id=w.pk, note="条件消失")
        with pytest.raises(Conflict):
            services.warning_resolve(actor=xw.leader, warning_id=w.pk, resolution="再处置一次")
        with pytest.raises(Conflict):
            services.warning_acknowledge(actor=xw.leader, warning_id=w.pk)
        assert services.warning_clear(warning_id=w.pk, note="again") is False

    def test_who_may(self, xw):
        w = warning(xw)
        with pytest.raises(PermissionDenied):
            services.warning_acknowledge(actor=xw.clerk_t01, warning_id=w.pk)
        with pytest.raises(PermissionDenied):
            services.warning_resolve(actor=xw.user("t01_committee", "mediator"), warning_id=w.pk, resolution="x")
        with pytest.raises(NotFound):
            services.warning_acknowledge(actor=t02_leader(xw), warning_id=w.pk)
        with pytest.raises(NotFound):
            services.warning_resolve(actor=t02_leader(xw), warning_id=w.pk, resolution="已处置")
        services.warning_acknowledge(actor=xw.user("t01_committee", "committee_head"), warning_id=w.pk)


class TestLawyerRequest:
    def test_request_goes_to_the_legal_service_unit(self, xw):
        service = org_services.unit_create(actor=None, name="黄岩区公共法律服务中心", short_name="黄岩公法",
                                           kind="legal_service", level="district", region=xw.district)
        li = requested(xw)
        assert (li.status, li.service_unit_id, li.requested_by_id) == ("requested", service.pk, t01_leader(xw).pk)
        assert Notification.objects.filter(unit=service, kind="lawyer_request").count() == 1
        assert AuditEvent.objects.filter(action="warning.lawyer_requested").count() == 1

    def test_note_required_one_at_a_time_and_not_on_a_closed_warning(self, xw):
        w = warning(xw)
        with pytest.raises(ValidationFailed) as e:
            services.lawyer_request(actor=xw.leader, warning_id=w.pk, note="  ")
        assert fields(e) == {"note"}
        requested(xw, w)
        with pytest.raises(Conflict):
            requested(xw, w)
        w2 = warning(xw)
        services.warning_resolve(actor=xw.leader, warning_id=w2.pk, resolution="已处置")
        with pytest.raises(Conflict):
            requested(xw, w2)
        with pytest.raises(NotFound):
            requested(xw, warning(xw), actor=t02_leader(xw))
        with pytest.raises(PermissionDenied):
            requested(xw, warning(xw), actor=xw.clerk_t01)
        assert LawyerIntervention.objects.count() == 1


class TestLawyerAssign:
    def test_an_active_lawyer_is_assigned_and_told(self, xw):
        li = assigned(xw)
        assert (li.status, li.lawyer_id) == ("assigned", xw.w.experts["lawyer"].pk)
        assert Notification.objects.filter(user=lawyer_user(xw), kind="lawyer_request").count() == 1
        ev = AuditEvent.objects.get(action="warning.lawyer_assigned")
        assert ev.changes["status"] == ["requested", "assigned"]

    def test_only_an_active_lawyer(self, xw):
        li = requested(xw)
        suspended = other_lawyer(xw, status="suspended")
        mediation_expert = org_services.expert_create(actor=None, name="钱专家", kind="mediation_expert", fields=["调解"],
                                                      unit=xw.units["centre"])
        for pk in (suspended.pk, mediation_expert.pk, 999_999):
            with pytest.raises(ValidationFailed) as e:
                services.lawyer_assign(actor=t01_leader(xw), intervention_id=li.pk, lawyer_id=pk)
            assert fields(e) == {"lawyer"}
        li.refresh_from_db()
        assert li.status == "requested" and li.lawyer_id is None

    def test_reassign_while_assigned_but_not_after_the_meeting(self, xw):
        li = assigned(xw)
        other = other_lawyer(xw)
        li = services.lawyer_assign(actor=t01_leader(xw), intervention_id=li.pk, lawyer_id=other.pk)
        assert li.lawyer_id == other.pk
        meeting(li, other.user)
        with pytest.raises(Conflict):
            services.lawyer_assign(actor=t01_leader(xw), intervention_id=li.pk, lawyer_id=xw.w.experts["lawyer"].pk)


class TestLawyerMeeting:
    def test_the_lawyer_records_their_meeting(self, xw):
        li = assigned(xw)
        out = meeting(li, lawyer_user(xw))
        assert (out.status, out.outcome, out.recorded_by_id) == ("met", "eased", lawyer_user(xw).pk)
        assert AuditEvent.objects.filter(action="warning.lawyer_met", actor_id=lawyer_user(xw).pk).count() == 1

    def test_another_lawyer_cannot_see_it(self, xw):
        li = assigned(xw)
        stranger = other_lawyer(xw)
        with pytest.raises(NotFound):
            meeting(li, stranger.user)
        li.refresh_from_db()
        assert li.status == "assigned"

    def test_staff_who_see_the_warning_may_record_too(self, xw):
        li = assigned(xw)
        assert meeting(li, t01_leader(xw)).status == "met"

    def test_before_assignment_is_a_conflict_and_twice_too(self, xw):
        li = requested(xw)
        with pytest.raises(Conflict):
            meeting(li, t01_leader(xw))
        li = services.lawyer_assign(actor=t01_leader(xw), intervention_id=li.pk, lawyer_id=xw.w.experts["lawyer"].pk)
        meeting(li, lawyer_user(xw))
        with pytest.raises(Conflict):
            meeting(li, lawyer_user(xw))

    def test_date_and_outcome_rules(self, xw):
        li = assigned(xw)
        today = timezone.localdate()
        with pytest.raises(ValidationFailed) as e:
            meeting(li, lawyer_user(xw), met_on=today + dt.timedelta(days=1), place=" ", summary="", outcome="great")
        assert fields(e) == {"met_on", "place", "summary", "outcome"}
        with pytest.raises(ValidationFailed) as e:
            meeting(li, lawyer_user(xw), met_on=today - dt.timedelta(days=10))  # before it was asked for
        assert fields(e) == {"met_on"}
        assert meeting(li, lawyer_user(xw), met_on=today - dt.timedelta(days=1)).status == "met"

    @pytest.mark.parametrize("outcome", ["resolved", "eased", "unchanged"])
    def test_other_outcomes_leave_the_level(self, xw, outcome):
        li = assigned(xw)
        meeting(li, lawyer_user(xw), outcome=outcome)
        assert EarlyWarning.objects.get(pk=li.warning_id).level == "orange"

    def test_escalated_raises_the_warning_to_red(self, xw):
        li = assigned(xw)
        before = Notification.objects.filter(kind="warning").count()
        meeting(li, lawyer_user(xw), outcome="escalated", summary="信访人拒绝沟通，扬言到北京上访")
        w = EarlyWarning.objects.get(pk=li.warning_id)
        assert w.level == "red" and w.status == "open"
        assert any("风险升级" in r for r in w.reasons)
        assert Notification.objects.filter(kind="warning").count() == before + 1

    def test_escalated_reopens_a_warning_resolved_meanwhile(self, xw):
        li = assigned(xw)
        services.warning_resolve(actor=t01_leader(xw), warning_id=li.warning_id, resolution="先行处置")
        meeting(li, lawyer_user(xw), outcome="escalated")
        w = EarlyWarning.objects.get(pk=li.warning_id)
        assert (w.level, w.status) == ("red", "open")

    def test_a_clerk_may_not_record(self, xw):
        li = assigned(xw)
        with pytest.raises(PermissionDenied):
            meeting(li, xw.clerk_t01)

    def _asked_at(self, xw, utc):
        li = assigned(xw)
        LawyerIntervention.objects.filter(pk=li.pk).update(requested_at=utc)
        return li

    def test_met_the_day_before_the_request(self, xw):
        li = self._asked_at(xw, dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC))  # 10:00 in Shanghai
        with frozen(dt.date(2026, 6, 3)):
            out = meeting(li, lawyer_user(xw), met_on=dt.date(2026, 5, 31))
        assert out.met_on == dt.date(2026, 5, 31)

    def test_the_request_day_is_the_local_day(self, xw):
        """Asked at 07:00 in Shanghai (23:00 UTC the day before): a meeting two days before that local
        day is before the request."""
        li = self._asked_at(xw, dt.datetime(2026, 5, 31, 23, 0, tzinfo=dt.UTC))
        with frozen(dt.date(2026, 6, 3)), pytest.raises(ValidationFailed) as e:
            meeting(li, lawyer_user(xw), met_on=dt.date(2026, 5, 30))
        assert fields(e) == {"met_on"}
