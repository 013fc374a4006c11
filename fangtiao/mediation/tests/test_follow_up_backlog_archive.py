"""After the agreement: the follow-up (人民调解回访记录, 第31条) before closing and what a recurrence
does; the 信访积案 marked by a leader or by the configurable rule, and who resolved it; the 卷宗
(第27条) with its cover and 卷内目录, refused while a required item is missing."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fangtiao.cases.models import Case, CaseLink
from fangtiao.cases.tests.factories import (
    _STATIC_PAYLOADS,
    act,
    actor_for,
    case_in_state,
    fresh,
    frozen,
    person,
)
from fangtiao.core.testing.api import ApiClient
from fangtiao.mediation import services
from fangtiao.mediation.models import ArchiveFile, BacklogRecord, BacklogRule, FollowUp, Mediation, Obligation
from fangtiao.mediation.tests.support import (
    agreed_case,
    agreement,
    current_round,
    head,
    held,
    mediating_case,
    mediator,
    parties,
    refuse,
    two_parties,
)
from fangtiao.notifications.models import Notification


def performed_case(xw, case=None):
    case = agreed_case(xw, case=case)
    (ob,) = Obligation.objects.filter(case=case)
    return act(case, mediator(xw), "record_performance", obligation=ob.pk, proof_kind="receipt")


def follow_up(case, xw, **data):
    body = {"method": "phone", "satisfaction": "satisfied", "performance": "已退款300元"}
    body.update(data)
    return act(case, mediator(xw), "follow_up", **body)


# --- follow-up -----------------------------------------------------------------------------------

class TestFollowUp:
    def test_the_record_is_kept(self, xw):
        case = performed_case(xw)
        p0 = parties(case)[0]
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        case = follow_up(case, xw, party=p0.pk, method="visit", visited_on=yesterday.isoformat(),
                         satisfaction="basically", lawsuit=True, lawsuit_result="已撤诉", risk="无激化风险",
                         measures="继续关注", notes="对物业服务仍有意见")
        f = FollowUp.objects.get(case=case)
        assert (f.party, f.method, f.visited_on, f.performance, f.satisfaction, f.lawsuit, f.lawsuit_result, f.risk,
                f.measures, f.notes, f.recurrence, f.visitor, f.agreement) == (
            p0, "visit", yesterday, "已退款300元", "basically", True, "已撤诉", "无激化风险", "继续关注",
            "对物业服务仍有意见", "none", mediator(xw), agreement(case))
        assert case.status == "performed"
        assert case.clocks.get(code="follow_up").state in ("met", "late")

    def test_bad_inputs_are_422(self, xw):
        case = performed_case(xw)
        other = mediating_case(xw, mediators=())
        tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
        m = mediator(xw)
        body = {"method": "phone", "satisfaction": "satisfied"}
        refuse(case, m, "follow_up", 422, "lawsuit_result", **body, lawsuit=True)
        refuse(case, m, "follow_up", 422, "visited_on", **body, visited_on=tomorrow)
        refuse(case, m, "follow_up", 422, "party", **body, party=parties(other)[0].pk)
        refuse(case, m, "follow_up", 422, "satisfaction", method="phone", satisfaction="thrilled")
        refuse(case, m, "follow_up", 422, "method", satisfaction="satisfied")
        refuse(case, m, "follow_up", 422, "recurrence", **body, recurrence="sometimes")
        refuse(case, xw.user("t01_committee", "clerk"), "follow_up", 403, **body)

    def test_no_closing_before_the_follow_up(self, xw):
        case = performed_case(xw)
        assert services.close_blockers(case) == ["结案前应当回访当事人"]
        err = refuse(case, head(xw), "close", 409, note="履行完毕")
        assert "回访" in err.detail
        case = follow_up(case, xw)
        assert services.close_blockers(case) == []
        case = act(case, head(xw), "close", note="履行完毕")
        assert case.status == "closed" and case.closed_on == timezone.localdate()

    def test_no_closing_while_obligations_are_open_or_unsigned(self, xw):
        case = agreed_case(xw)
        case = follow_up(case, xw)
        assert services.close_blockers(case) == ["协议义务尚未履行完毕（或申请强制执行）"]
        refuse(case, head(xw), "close", 409, note="结案")
        unsigned = agreed_case(xw, signed=False)
        assert "调解协议尚未签署生效" in services.close_blockers(unsigned)

    def test_a_recurrence_reopens_the_mediation(self, xw):
        case = performed_case(xw)
        old = agreement(case)
        case = follow_up(case, xw, satisfaction="unsatisfied", recurrence="reopen", risk="物业再次多收费")
        assert case.status == "mediating"
        assert list(Mediation.objects.filter(case=case).order_by("round").values_list("round", "status")) == [
            (1, "agreed"), (2, "open")]
        old.refresh_from_db()
        assert old.status == "superseded"
        assert current_round(case).end_reason == "" and current_round(case).unit == xw.units["t01_committee"]
        act(case, head(xw), "assign", mediators=[xw.w.mediators["wang_t01"].pk])

    def test_a_recurrence_as_a_new_linked_case(self, xw):
        case = performed_case(xw)
        before = Case.objects.count()
        case = follow_up(case, xw, recurrence="new_case", risk="双方因停车位再起纠纷")
        assert case.status == "performed" and Case.objects.count() == before + 1
        f = FollowUp.objects.get(case=case)
        new = f.new_case
        assert new is not None and new.pk != case.pk
        assert CaseLink.objects.filter(case=new, other=case).exists()
        assert new.is_repeat is True and new.region == case.region and new.channel == "screening"
        assert sorted(p.name for p in new.parties.all()) == sorted(p.name for p in case.parties.all())
        assert new.number in case.events.get(action="follow_up").note


    def test_the_new_case_is_linked_as_a_recurrence(self, xw):
        case = follow_up(performed_case(xw), xw, recurrence="new_case", risk="双方因停车位再起纠纷")
        new = FollowUp.objects.get(case=case).new_case
        assert CaseLink.objects.get(case=new, other=case).kind == "recurrence"


# --- backlog (信访积案) ------------------------------------------------------------------------------

class TestMarkBacklog:
    def test_a_leader_marks_it_with_a_responsible_leader(self, xw):
        case = mediating_case(xw)
        boss = xw.user("centre", "leader")
        case = act(case, xw.leader, "mark_backlog", reason="多年反复信访", responsible_leader=boss.pk)
        r = BacklogRecord.objects.get(case=case)
        assert (r.reason, r.by_rule, r.marked_by, r.marked_on, r.responsible_leader, r.resolved_on) == (
            "多年反复信访", False, xw.leader, timezone.localdate(), boss, None)
        assert fresh(case).is_backlog is True and case.status == "mediating"
        assert Notification.objects.filter(user=boss, kind="backlog", case=case).count() == 1
        items = ApiClient(xw.officer).get("/api/v1/cases", {"flag": "backlog"}).json()["items"]
        assert [i["id"] for i in items] == [case.pk]
        refuse(case, xw.leader, "mark_backlog", 409, reason="再次认定")

    def test_only_a_leader_of_the_jurisdiction(self, xw):
        case = mediating_case(xw)
        refuse(case, xw.officer, "mark_backlog", 403, reason="多年反复信访")
        refuse(case, head(xw), "mark_backlog", 403, reason="多年反复信访")
        refuse(case, xw.user("t02_subcentre", "leader"), "mark_backlog", 404, reason="多年反复信访")
        refuse(case, xw.leader, "mark_backlog", 422, "responsible_leader", reason="多年反复信访",
               responsible_leader=xw.officer.pk)
        refuse(case, xw.leader, "mark_backlog", 422, "reason", reason="")

    def test_closing_records_who_resolved_it(self, xw):
        case = mediating_case(xw)
        case = act(case, head(xw), "replace_mediator", mediator=xw.w.mediators["wang_t01"].pk,
                   replacement=xw.w.mediators["shan_t01"].pk, reason="工作调整")
        case = act(case, xw.leader, "mark_backlog", reason="积案", responsible_leader=xw.leader.pk)
        case = performed_case(xw, case=case)
        case = follow_up(case, xw)
        case = act(case, head(xw), "close", note="积案化解")
        r = BacklogRecord.objects.get(case=case)
        assert (r.resolved_on, r.resolved_unit, r.resolved_by) == (timezone.localdate(), xw.units["t01_committee"],
                                                                   head(xw))
        assert set(r.resolvers.all()) == {xw.w.mediators["wang_t01"], xw.w.mediators["shan_t01"]}


def _old_petition(xw, days, state="accepted", **overrides):
    day = timezone.localdate() - dt.timedelta(days=days)
    overrides.setdefault("occurred_on", (day - dt.timedelta(days=10)).isoformat())
    with frozen(day):
        return case_in_state(xw, state, **overrides)


class TestBacklogRule:
    def test_old_open_petitions_are_marked(self, xw):
        old = _old_petition(xw, 200)
        recent = _old_petition(xw, 100)
        old_dispute = _old_petition(xw, 200, kind="dispute", nature=None)
        old_closed = _old_petition(xw, 200, state="closed")
        assert services.mark_backlog_by_rule(today=timezone.localdate()) == 1
        r = BacklogRecord.objects.get(case=old)
        assert r.by_rule is True and r.marked_by is None and "超过180日未办结" in r.reason
        assert fresh(old).is_backlog and not any(fresh(c).is_backlog for c in (recent, old_dispute, old_closed))
        assert old.events.filter(action="mark_backlog").count() == 1
        assert Notification.objects.filter(unit=old.holder_unit, kind="backlog", case=old).count() == 1
        assert services.mark_backlog_by_rule(today=timezone.localdate()) == 0  # marked once

    def test_repeated_petitions_are_marked(self, xw):
        case = case_in_state(xw, "accepted")
        for _ in range(2):
            CaseLink.objects.create(case=case, other=case_in_state(xw, "accepted"), kind="repeat", reason="同人同事")
        assert services.mark_backlog_by_rule(today=timezone.localdate()) == 1
        assert "同一事项重复信访3次" in BacklogRecord.objects.get(case=case).reason

    def test_a_region_rule_overrides_the_default(self, xw):
        BacklogRule.objects.create(region=xw.t01, open_days=400, min_repeats=10)
        case = _old_petition(xw, 200)
        assert services.mark_backlog_by_rule(today=timezone.localdate()) == 0
        assert not fresh(case).is_backlog

    def test_the_periodic_job_runs_it_once_a_day(self, xw):
        today = timezone.localdate()
        _old_petition(xw, 200)
        assert services.tick(today=today)["backlog_marked"] == 1
        later = _old_petition(xw, 250)
        assert services.tick(today=today)["backlog_marked"] == 0
        assert not fresh(later).is_backlog
        assert services.tick(today=today + dt.timedelta(days=1))["backlog_marked"] == 1
        assert fresh(later).is_backlog


# --- archive (卷宗) --------------------------------------------------------------------------------

REQUIRED = {"人民调解申请书或受理登记表", "当事人权利义务告知书", "当事人身份证明", "调解记录", "调解协议书", "封底"}


def closed_case(xw, case=None):
    case = follow_up(performed_case(xw, case=case), xw)
    return act(case, head(xw), "close", note="履行完毕")


class TestArchive:
    def test_the_file_with_its_cover_and_contents(self, xw):
        case = closed_case(xw)
        m = current_round(case)
        case = act(case, head(xw), "archive", note="")
        assert case.status == "archived"
        f = ArchiveFile.objects.get(case=case)
        today = timezone.localdate()
        assert (f.number, f.unit, f.year, f.mediators, f.mediated_from, f.mediated_to, f.filed_by, f.filed_on) == (
            m.number, xw.units["t01_committee"], today.year, "王小明", m.started_on, m.ended_on, head(xw), today)
        assert "人调字第" in f.number and f.title.endswith("纠纷调解卷") and f.retention == "long" and f.sealed_at
        assert [i["seq"] for i in f.items] == list(range(1, 14))
        assert {i["name"] for i in f.items if i["required"]} == REQUIRED
        assert {i["name"] for i in f.items if not i["required"]} == {
            "授权委托书", "调查记录", "证据材料", "收条、汇款单等履行凭证", "回访记录", "司法确认有关材料", "卷宗情况说明"}
        present = {i["name"]: i["present"] for i in f.items}
        assert all(present[n] for n in REQUIRED)
        assert present["收条、汇款单等履行凭证"] and present["回访记录"]
        assert not present["司法确认有关材料"] and not present["授权委托书"]

    def test_a_missing_required_item_is_409_naming_it(self, xw):
        case = closed_case(xw, case=mediating_case(xw, parties=two_parties(name="王某", type="person", id_number="")))
        err = refuse(case, head(xw), "archive", 409, note="")
        assert "当事人身份证明" in err.detail
        assert "调解协议书" not in err.detail

    def test_an_oral_agreement_is_filed_through_its_register(self, xw):
        case = held(mediating_case(xw), xw)
        case = act(case, mediator(xw), "agree", form="oral", terms="当场致歉")
        case = follow_up(case, xw)
        case = act(case, head(xw), "close", note="完毕")
        case = act(case, head(xw), "archive", note="")
        names = {i["name"]: i for i in ArchiveFile.objects.get(case=case).items}
        assert names["人民调解口头协议登记表"]["required"] and names["人民调解口头协议登记表"]["present"]

    def test_listed_by_unit_and_year(self, xw):
        case = act(closed_case(xw), head(xw), "archive", note="")
        year = timezone.localdate().year
        committee = xw.units["t01_committee"].pk

        def numbers(user, **params):
            r = ApiClient(user).get("/api/v1/archives", params)
            assert r.status_code == 200
            return [x["case"] for x in r.json()["items"]]

        assert numbers(head(xw), unit=committee, year=year) == [case.pk]
        assert numbers(head(xw), year=year - 1) == []
        assert numbers(head(xw), unit=xw.units["t02_committee"].pk) == []
        assert numbers(xw.user("t02_committee", "committee_head")) == []
        item = ApiClient(head(xw)).get("/api/v1/archives").json()["items"][0]
        assert item["number"] == ArchiveFile.objects.get(case=case).number and len(item["items"]) == 13
        assert ApiClient(head(xw)).get("/api/v1/archives", {"year": 1990}).status_code == 422

    def test_a_petition_whose_mediation_was_refused_can_still_be_archived(self, xw):
        """Never mediated (refused at once): no 调解卷宗 is required, and none is made."""
        case = mediating_case(xw)
        case = act(case, mediator(xw), "record_notice", party=parties(case)[1].pk, consent="refused")
        assert case.status == "failed"
        for step in ("route", "reply", "close", "archive"):
            body = ({"to": "handling", "unit": case.holder_unit_id, "task": "调解不成，依法办理"} if step == "route"
                    else dict(_STATIC_PAYLOADS[step]))
            case = act(case, actor_for(xw, case, step), step, **body)
        assert case.status == "archived"
        assert not ArchiveFile.objects.filter(case=case).exists()

    def test_a_failed_mediation_after_sessions_is_filed_without_an_agreement(self, xw):
        case = held(mediating_case(xw, kind="dispute", nature=None), xw, outcome="failed")
        case = act(case, mediator(xw), "fail", reason="物业公司拒绝退费", next="litigation", routes_told=["arbitration"])
        assert current_round(case).routes_told == ["arbitration", "litigation"]
        case = act(case, head(xw), "close", note="调解不成")
        case = act(case, head(xw), "archive", note="")
        items = {i["name"]: i for i in ArchiveFile.objects.get(case=case).items}
        assert items["终止调解通知书（调解不成）"]["required"] is False
        assert items["调解记录"]["present"] is True


def test_person_factory_is_used(xw):
    """The support builders give every case fresh parties (no accidental repeat links between cases;
    the same default text from other people is at most `related`)."""
    a, b = mediating_case(xw, mediators=()), mediating_case(xw, mediators=())
    assert not CaseLink.objects.filter(case__in=[a, b]).exclude(kind="related").exists()
    assert {p["name"] for p in [person(), person()]} and parties(a)[0].name != parties(b)[0].name
