"""Notices and consent (人民调解法 第17、20、23、24条), sessions and room bookings (第21、27条),
escalation risk reported to the police (第25条), and free mediation (第4条)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.utils import timezone

from fangtiao.cases.models import Case
from fangtiao.cases.tests.factories import act, fresh
from fangtiao.core.testing.api import ApiClient
from fangtiao.mediation.models import Participant, PartyNotice, RiskReport, Room, Session
from fangtiao.mediation.tests.support import (
    agree_body,
    current_round,
    held,
    mediating_case,
    mediator,
    parties,
    refuse,
    unit,
)
from fangtiao.notifications.models import Notification

TZ = ZoneInfo("Asia/Shanghai")


# --- free of charge -----------------------------------------------------------------------------

def test_no_mediation_model_has_a_fee_field():
    """人民调解法 第4条: 人民调解委员会调解民间纠纷，不收取任何费用."""
    models = list(apps.get_app_config("mediation").get_models())
    assert len(models) >= 20
    names = [(m.__name__, f.name) for m in models for f in m._meta.get_fields()]
    assert not [n for n in names if "fee" in n[1].lower() or "charge" in n[1].lower()]
    labels = [str(getattr(f, "verbose_name", "")) for m in models for f in m._meta.get_fields()]
    assert not [x for x in labels if "费用" in x or "收费" in x]


# --- notices and consent ---------------------------------------------------------------------------

class TestNotices:
    def test_each_party_told_and_consenting(self, xw):
        case = mediating_case(xw)
        p0, p1 = parties(case)
        today = timezone.localdate()
        case = act(case, mediator(xw), "record_notice", party=p0.pk, consent="consented", note="已签收须知")
        n0 = PartyNotice.objects.get(case=case, party=p0)
        assert (n0.rights_notified_on, n0.guidance_acknowledged_on, n0.consent, n0.consent_on) == (
            today, today, "consented", today)
        assert n0.recorded_by == mediator(xw) and n0.note == "已签收须知"
        assert PartyNotice.objects.get(case=case, party=p1).rights_notified_on is None  # not yet told
        assert case.status == "mediating"

    def test_public_only_when_no_party_asks_otherwise(self, xw):
        case = mediating_case(xw)
        p0, p1 = parties(case)
        assert current_round(case).public is False
        case = act(case, mediator(xw), "record_notice", party=p0.pk, wants_public=True)
        assert current_round(case).public is True
        case = act(case, mediator(xw), "record_notice", party=p1.pk, wants_public=False)
        assert current_round(case).public is False
        case = act(case, mediator(xw), "record_notice", party=p0.pk, wants_public=True)
        assert current_round(case).public is False  # the other party still asks for a non-public mediation
        case = act(case, mediator(xw), "record_notice", party=p1.pk, wants_public=True)
        assert current_round(case).public is True

    def test_a_refusal_stops_the_mediation_and_returns_the_petition(self, xw):
        """第17条: 当事人一方明确拒绝调解的，不得调解 — and the petition goes back to the unit that sent it."""
        case = mediating_case(xw)
        p0, _ = parties(case)
        subcentre = xw.units["t01_subcentre"]
        case = act(case, mediator(xw), "record_notice", party=p0.pk, consent="refused", note="不愿调解")
        assert case.status == "failed" and case.holder_unit == subcentre
        m = current_round(case)
        assert m.status == "refused" and m.ended_on == timezone.localdate()
        assert "明确拒绝调解" in m.end_reason and m.routes_told == ["handling"]
        assert not m.assignments.filter(active=True).exists()
        assert PartyNotice.objects.get(case=case, party=p0).consent == "refused"
        assert Notification.objects.filter(unit=subcentre, kind="mediation_failed", case=case).count() == 1
        assert case.clocks.get(code="petition.handling", state="running").holder_unit == subcentre
        assert case.clocks.get(code="mediation.period").state != "running"
        # Nothing more can be done in mediation.
        refuse(case, mediator(xw), "record_session", 409, applicant_statement="继续")
        refuse(case, mediator(xw), "agree", 409, **agree_body(case))

    def test_a_refused_dispute_tells_of_litigation_and_stays(self, xw):
        case = mediating_case(xw, kind="dispute", nature=None)
        case = act(case, mediator(xw), "record_notice", party=parties(case)[1].pk, consent="refused")
        assert case.status == "failed" and case.holder_unit == xw.units["t01_committee"]
        assert current_round(case).routes_told == ["litigation"]

    def test_bad_inputs(self, xw):
        case = mediating_case(xw)
        other = mediating_case(xw)
        refuse(case, mediator(xw), "record_notice", 422, "party", party=parties(other)[0].pk)
        refuse(case, mediator(xw), "record_notice", 422, "consent", party=parties(case)[0].pk, consent="maybe")
        refuse(case, mediator(xw), "record_notice", 422, "party", consent="consented")

    def test_permissions(self, xw):
        case = mediating_case(xw)
        body = {"party": parties(case)[0].pk}
        refuse(case, xw.user("t01_committee", "clerk"), "record_notice", 403, **body)
        refuse(case, xw.user("t02_committee", "mediator"), "record_notice", 404, **body)


class TestInvite:
    def test_only_with_the_parties_consent(self, xw):
        case = mediating_case(xw)
        refuse(case, mediator(xw), "invite", 422, "consent", name="张律师", relation="expert")
        refuse(case, mediator(xw), "invite", 422, "consent", name="张律师", relation="expert", consent=False)
        refuse(case, mediator(xw), "invite", 422, "relation", name="张律师", relation="boss", consent=True)
        case = act(case, mediator(xw), "invite", name=" 张律师 ", relation="expert", organisation="某律所", consent=True)
        p = Participant.objects.get(case=case)
        assert (p.name, p.relation, p.organisation, p.consent_recorded, p.invited_by) == (
            "张律师", "expert", "某律所", True, mediator(xw))
        assert p.mediation == current_round(case)


# --- sessions ------------------------------------------------------------------------------------

def _at(day: dt.date, hour: int, minute: int = 0) -> str:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).isoformat()


@pytest.fixture
def room(xw):
    return Room.objects.create(unit=xw.units["t01_committee"], name="第一调解室")


class TestBooking:
    def test_book_a_room(self, xw, room):
        case = mediating_case(xw)
        day = timezone.localdate() + dt.timedelta(days=2)
        case = act(case, mediator(xw), "book_session", starts_at=_at(day, 9), room=room.pk)
        s = Session.objects.get(case=case)
        assert (s.seq, s.status, s.room, s.kind) == (1, "scheduled", room, "mediation")
        assert s.ends_at - s.starts_at == dt.timedelta(hours=1)
        assert timezone.localtime(s.starts_at).hour == 9

    def test_double_booking_the_same_room_is_422(self, xw, room):
        day = timezone.localdate() + dt.timedelta(days=2)
        first = mediating_case(xw)
        act(first, mediator(xw), "book_session", starts_at=_at(day, 9), ends_at=_at(day, 10, 30), room=room.pk)
        case = mediating_case(xw)
        for start in (_at(day, 9), _at(day, 10), _at(day, 8, 30)):
            err = refuse(case, mediator(xw), "book_session", 422, "room", starts_at=start, room=room.pk)
            assert "已被预约" in err.detail
        # Back to back is not a clash, nor is another room at the same time.
        act(case, mediator(xw), "book_session", starts_at=_at(day, 10, 30), room=room.pk)
        other = Room.objects.create(unit=xw.units["t01_committee"], name="第二调解室")
        act(case, mediator(xw), "book_session", starts_at=_at(day, 9), room=other.pk)
        assert Session.objects.filter(case=case).count() == 2

    def test_bad_bookings_are_422(self, xw, room):
        case = mediating_case(xw)
        today = timezone.localdate()
        tomorrow = today + dt.timedelta(days=1)
        m = mediator(xw)
        refuse(case, m, "book_session", 422, "starts_at", starts_at=_at(today - dt.timedelta(days=1), 9), room=room.pk)
        refuse(case, m, "book_session", 422, "ends_at", starts_at=_at(tomorrow, 9), ends_at=_at(tomorrow, 8), room=room.pk)
        refuse(case, m, "book_session", 422, "place", starts_at=_at(tomorrow, 9))
        refuse(case, m, "book_session", 422, "room", starts_at=_at(tomorrow, 9), room=999_999)
        west = Room.objects.create(unit=xw.units["t02_committee"], name="西城调解室")
        refuse(case, m, "book_session", 422, "room", starts_at=_at(tomorrow, 9), room=west.pk)
        refuse(case, m, "book_session", 422, "starts_at", starts_at="明天上午", room=room.pk)

    def test_on_site_at_a_place(self, xw):
        case = mediating_case(xw)
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        case = act(case, mediator(xw), "book_session", starts_at=_at(tomorrow, 14), place="上洋村文化礼堂", on_site=True)
        s = Session.objects.get(case=case)
        assert (s.room, s.place, s.on_site) == (None, "上洋村文化礼堂", True)


class TestRecordSession:
    def test_a_booked_session_recorded(self, xw, room):
        case = mediating_case(xw)
        p0, p1 = parties(case)
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        case = act(case, mediator(xw), "book_session", starts_at=_at(tomorrow, 9), room=room.pk)
        s = Session.objects.get(case=case)
        case = act(case, mediator(xw), "record_session", session=s.pk, present=[p0.pk, p1.pk], participants="村干部李某",
                   applicant_statement="多收300元", respondent_statement="同意退还", evidence="收费单据",
                   risk_warning="逾期不退可诉讼", proposal="退还300元", outcome="agreed", recorder="记录员甲")
        s.refresh_from_db()
        assert (s.status, s.outcome, s.notices_given, s.recorder, s.participants) == (
            "held", "agreed", True, "记录员甲", "村干部李某")
        assert set(s.present_parties.all()) == {p0, p1} and s.absent_note == ""
        refuse(case, mediator(xw), "record_session", 422, "session", session=s.pk)

    def test_a_no_show_with_the_absent_party(self, xw, room):
        case = mediating_case(xw)
        p0, p1 = parties(case)
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        case = act(case, mediator(xw), "book_session", starts_at=_at(tomorrow, 9), room=room.pk)
        s = Session.objects.get(case=case)
        case = act(case, mediator(xw), "record_session", session=s.pk, held=False, present=[p0.pk])
        s.refresh_from_db()
        assert (s.status, s.outcome) == ("no_show", "")
        assert list(s.present_parties.all()) == [p0] and p1.name in s.absent_note and p0.name not in s.absent_note
        refuse(case, mediator(xw), "agree", 409, **agree_body(case))  # a no-show is no 调解记录

    def test_without_a_booking(self, xw):
        case = held(mediating_case(xw), xw)
        s = Session.objects.get(case=case)
        assert (s.status, s.seq, s.place) == ("held", 1, "东城街道人民调解委员会")
        assert s.present_parties.count() == 2  # everyone present unless told otherwise
        case = held(case, xw)
        assert sorted(Session.objects.filter(case=case).values_list("seq", flat=True)) == [1, 2]

    def test_bad_inputs(self, xw):
        case = mediating_case(xw)
        other = mediating_case(xw)
        future = (timezone.now() + dt.timedelta(hours=2)).isoformat()
        refuse(case, mediator(xw), "record_session", 422, "present.0", present=[parties(other)[0].pk])
        refuse(case, mediator(xw), "record_session", 422, "held_at", held_at=future)
        refuse(case, mediator(xw), "record_session", 422, "session", session=999_999)
        refuse(case, mediator(xw), "record_session", 422, "outcome", outcome="won")


class TestAgreeNeedsAMediatorAndASession:
    def test_without_a_held_session_is_409(self, xw):
        case = mediating_case(xw)
        err = refuse(case, mediator(xw), "agree", 409, **agree_body(case))
        assert "尚无调解记录" in err.detail

    def test_without_a_mediator_is_409(self, xw):
        case = held(mediating_case(xw, mediators=()), xw)
        err = refuse(case, mediator(xw), "agree", 409, **agree_body(case))
        assert "尚未指派调解员" in err.detail


# --- escalation risk ------------------------------------------------------------------------------

class TestRisk:
    def test_reported_to_the_police_who_then_see_the_case(self, xw):
        police = unit(xw, "东城派出所", "台州市公安局黄岩分局东城派出所", "public_security", "township", xw.t01)
        other_police = unit(xw, "西城派出所", "台州市公安局黄岩分局西城派出所", "public_security", "township", xw.t02)
        officer = xw.user(police, "officer")
        case = mediating_case(xw)
        assert not Case.objects.visible_to(officer).filter(pk=case.pk).exists()
        assert ApiClient(officer).get(f"/api/v1/cases/{case.pk}").status_code == 404

        case = act(case, mediator(xw), "report_risk", description="双方多次发生肢体冲突", measures="分开调解",
                   police_unit=police.pk)
        assert fresh(case).is_escalation_risk is True
        r = RiskReport.objects.get(case=case)
        assert (r.police_unit, r.police_name, r.reported_on, r.measures) == (
            police, police.name, timezone.localdate(), "分开调解")
        assert Notification.objects.filter(unit=police, kind="risk", case=case).count() == 1
        got = ApiClient(officer).get(f"/api/v1/cases/{case.pk}")
        assert got.status_code == 200 and got.json()["flags_extra"]["escalation_risk"] is True
        assert got.json()["mediation"]["risks"][0]["police"] == police.name
        assert not Case.objects.visible_to(xw.user(other_police, "officer")).filter(pk=case.pk).exists()

    def test_flag_without_a_report(self, xw):
        case = act(mediating_case(xw), mediator(xw), "report_risk", description="当事人情绪激动")
        assert fresh(case).is_escalation_risk is True
        assert RiskReport.objects.get(case=case).reported_on is None

    def test_bad_inputs(self, xw):
        case = mediating_case(xw)
        tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
        refuse(case, mediator(xw), "report_risk", 422, "police_unit", description="可能激化", police_unit=xw.units["court"].pk)
        refuse(case, mediator(xw), "report_risk", 422, "reported_on", description="可能激化", police_name="东城派出所",
               reported_on=tomorrow)
        refuse(case, mediator(xw), "report_risk", 422, "description", description="")
        refuse(case, xw.user("t01_committee", "clerk"), "report_risk", 403, description="可能激化")
