"""Mediator assignment (人民调解法 第19、23条; 第15条 impartiality → 回避): the committee appoints or
the parties choose; suggestions ranked with their reasons; conflicted mediators excluded from
assignment and listed last with the reason; replacement at a party's request; who may assign."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangtiao.cases.tests.factories import act, case_in_state, person
from fangtiao.core import crypto
from fangtiao.core.testing.api import ApiClient
from fangtiao.core.validators import normalize_id_number, normalize_phone
from fangtiao.mediation import selectors
from fangtiao.mediation.models import Assignment, MediatorRelation
from fangtiao.mediation.tests.support import (
    current_round,
    head,
    mediating_case,
    mediator,
    parties,
    refuse,
    two_parties,
)
from fangtiao.notifications.models import Notification
from fangtiao.org.models import Mediator


def _suggestions(xw, case):
    return selectors.suggest_mediators(case, xw.units["t01_committee"])


def _names(suggestions):
    return [s.mediator.name for s in suggestions]


class TestSuggestions:
    def test_ranked_by_specialty_committee_place_and_full_time_with_reasons(self, xw):
        case = mediating_case(xw, mediators=())
        out = _suggestions(xw, case)
        # 王小明: property specialist of this committee; 单晓曾: same committee; 赵春花: the village's part-timer.
        assert _names(out) == ["王小明", "单晓曾", "赵春花"]
        assert [s.score for s in out] == [95, 55, 25]
        wang, shan, zhao = out
        assert wang.reasons == ["擅长物业纠纷", "本调委会调解员", "熟悉当地（东城街道）", "专职", "当前无在办案件",
                                "从未指派，轮到优先"]
        assert "擅长物业纠纷" not in shan.reasons and "本调委会调解员" in shan.reasons
        assert zhao.reasons == ["熟悉当地（上洋村）", "当前无在办案件", "从未指派，轮到优先"]
        assert not any(s.conflict for s in out)
        # Only the committee's own township: 西城 and the district committee are not offered.
        assert "李建国" not in _names(out) and "钱大伟" not in _names(out)

    def test_workload_lowers_the_score_and_is_given_as_a_reason(self, xw):
        for _ in range(2):
            mediating_case(xw, mediators=("wang_t01",))
        case = mediating_case(xw, mediators=())
        wang = next(s for s in _suggestions(xw, case) if s.mediator.name == "王小明")
        assert wang.load == 2
        assert "在办2件" in wang.reasons and "上次指派在0日前" in wang.reasons
        assert wang.score == 95 - 2 * 8 - 10  # two open cases, and no rotation bonus just after an assignment

    def test_rotation_prefers_the_least_recently_assigned(self, xw):
        earlier = mediating_case(xw, mediators=("shan_t01",))
        act(earlier, head(xw), "withdraw", reason="当事人自行和解")  # ends the round: no workload left
        # (a model default of timezone.now is bound at import, so frozen() cannot date the row)
        Assignment.objects.filter(case=earlier).update(assigned_at=timezone.now() - dt.timedelta(days=15, hours=1))
        case = mediating_case(xw, mediators=())
        shan = next(s for s in _suggestions(xw, case) if s.mediator.name == "单晓曾")
        assert shan.load == 0 and "上次指派在15日前" in shan.reasons
        assert shan.score == 45 + 5  # half of the 30-day rotation bonus

    def test_over_http_with_the_same_order_and_reasons(self, xw):
        case = mediating_case(xw, mediators=())
        r = ApiClient(head(xw)).get(f"/api/v1/cases/{case.pk}/mediator-suggestions")
        assert r.status_code == 200
        rows = r.json()
        assert [x["name"] for x in rows] == ["王小明", "单晓曾", "赵春花"]
        assert rows[0]["reasons"][0] == "擅长物业纠纷" and rows[0]["conflict"] == ""
        assert ApiClient(xw.user("t02_committee", "committee_head")).get(
            f"/api/v1/cases/{case.pk}/mediator-suggestions").status_code == 404


class TestAssign:
    def test_committee_appoints_then_parties_choose_a_second(self, xw):
        case = mediating_case(xw, mediators=())
        wang, shan = xw.w.mediators["wang_t01"], xw.w.mediators["shan_t01"]
        case = act(case, head(xw), "assign", mediators=[wang.pk], reason="擅长物业纠纷")
        case = act(case, head(xw), "assign", mediators=[shan.pk], chosen_by="parties", reason="双方共同选定")
        rows = list(Assignment.objects.filter(case=case).order_by("id"))
        assert [(a.mediator_id, a.chosen_by, a.lead, a.active) for a in rows] == [
            (wang.pk, "committee", True, True), (shan.pk, "parties", False, True)]
        assert rows[0].reason == "擅长物业纠纷" and rows[0].suggestion["rank"] == 1
        assert rows[0].suggestion["reasons"][0] == "擅长物业纠纷"
        assert rows[0].mediation == current_round(case)
        assert Notification.objects.filter(user=wang.user, kind="assigned", case=case).count() == 1
        assert case.events.filter(action="assign").count() == 2

    def test_the_same_mediator_twice_is_409(self, xw):
        case = mediating_case(xw)
        refuse(case, head(xw), "assign", 409, mediators=[xw.w.mediators["wang_t01"].pk])

    @pytest.mark.parametrize("key", ["li_t02", "qian_district"])
    def test_a_mediator_outside_the_township_is_422(self, xw, key):
        case = mediating_case(xw, mediators=())
        refuse(case, head(xw), "assign", 422, "mediators.0", mediators=[xw.w.mediators[key].pk])

    def test_an_inactive_or_unknown_mediator_is_422(self, xw):
        case = mediating_case(xw, mediators=())
        Mediator.objects.filter(pk=xw.w.mediators["shan_t01"].pk).update(status="inactive")
        refuse(case, head(xw), "assign", 422, "mediators.0", mediators=[xw.w.mediators["shan_t01"].pk])
        refuse(case, head(xw), "assign", 422, "mediators.1", mediators=[xw.w.mediators["wang_t01"].pk, 999_999])
        refuse(case, head(xw), "assign", 422, "mediators", mediators=[])
        refuse(case, head(xw), "assign", 422, "chosen_by", mediators=[xw.w.mediators["wang_t01"].pk], chosen_by="lot")

    def test_only_the_committee_head_assigns(self, xw):
        case = mediating_case(xw, mediators=())
        body = {"mediators": [xw.w.mediators["wang_t01"].pk]}
        refuse(case, mediator(xw), "assign", 403, **body)
        refuse(case, xw.user("t02_committee", "committee_head"), "assign", 404, **body)
        url = f"/api/v1/cases/{case.pk}/actions/assign"
        assert ApiClient(mediator(xw)).post(url, {**body, "version": case.version}).status_code == 403
        assert ApiClient(xw.user("t02_committee", "committee_head")).post(
            url, {**body, "version": case.version}).status_code == 404

    def test_not_before_the_committee_holds_the_case(self, xw):
        case = case_in_state(xw, "accepted")
        refuse(case, head(xw), "assign", 409, mediators=[xw.w.mediators["wang_t01"].pk])


# --- conflicts (回避) ------------------------------------------------------------------------------

def _relate(mediator, *, id_number="", phone=""):
    MediatorRelation.objects.create(
        mediator=mediator, name="亲属", relation="relative", id_number=id_number, phone=phone,
        id_index=crypto.blind_index(normalize_id_number(id_number), purpose="id") if id_number else "",
        phone_index=crypto.blind_index(normalize_phone(phone), purpose="phone") if phone else "")


def _party_is_the_mediator(xw):
    return "wang_t01", {"parties": [person(phone="13912345678"), two_parties()[1]]}, "调解员本人即当事人"


def _relative_by_id(xw):
    p = person()
    _relate(xw.w.mediators["shan_t01"], id_number=p["id_number"])
    return "shan_t01", {"parties": [p, two_parties()[1]]}, "有亲属关系（已申报回避）"


def _relative_by_phone(xw):
    p = person()
    _relate(xw.w.mediators["shan_t01"], phone=p["phone"])
    return "shan_t01", {"parties": [p, two_parties()[1]]}, "有亲属关系（已申报回避）"


def _same_employer(xw):
    Mediator.objects.filter(pk=xw.w.mediators["shan_t01"].pk).update(employer="台州某某机械厂")
    return "shan_t01", {"parties": [person(employer="台州某某机械厂"), two_parties()[1]]}, "同属台州某某机械厂"


def _works_for_the_organisation_party(xw):
    Mediator.objects.filter(pk=xw.w.mediators["shan_t01"].pk).update(employer="黄岩某某物业服务有限公司")
    return "shan_t01", {"parties": two_parties()}, "同属黄岩某某物业服务有限公司"


def _village_committee_is_a_party(xw):
    body = {"parties": two_parties(name="上洋村村民委员会")}
    return "zhao_v01", body, "调解员所在村（居）的村（居）民委员会是一方当事人"


CONFLICTS = {
    "party": _party_is_the_mediator,
    "relative_id": _relative_by_id,
    "relative_phone": _relative_by_phone,
    "employer": _same_employer,
    "organisation_party": _works_for_the_organisation_party,
    "village_body": _village_committee_is_a_party,
}


@pytest.mark.parametrize("setup", CONFLICTS.values(), ids=CONFLICTS.keys())
def test_a_conflicted_mediator_is_refused_and_listed_last_with_the_reason(xw, setup):
    key, overrides, reason = setup(xw)
    case = mediating_case(xw, mediators=(), **overrides)
    conflicted = xw.w.mediators[key]

    err = refuse(case, head(xw), "assign", 422, "mediators.0", mediators=[conflicted.pk])
    assert reason in err.errors[0].message and conflicted.name in err.errors[0].message

    out = _suggestions(xw, case)
    assert out[-1].mediator == conflicted and reason in out[-1].conflict
    assert not any(s.conflict for s in out[:-1])
    rows = ApiClient(head(xw)).get(f"/api/v1/cases/{case.pk}/mediator-suggestions").json()
    assert rows[-1]["mediator"] == conflicted.pk and reason in rows[-1]["conflict"]
    # The others may still be assigned.
    other = next(s.mediator for s in out if s.mediator != conflicted)
    act(case, head(xw), "assign", mediators=[other.pk])


def test_no_conflict_for_an_unrelated_relation_or_employer(xw):
    _relate(xw.w.mediators["shan_t01"], id_number=person()["id_number"], phone="13900000000")
    Mediator.objects.filter(pk=xw.w.mediators["shan_t01"].pk).update(employer="另一家公司")
    case = mediating_case(xw, mediators=())
    assert selectors.conflicts(case, list(Mediator.objects.filter(unit=xw.units["t01_committee"]))) == {}
    act(case, head(xw), "assign", mediators=[xw.w.mediators["shan_t01"].pk])


# --- replacement ---------------------------------------------------------------------------------

class TestReplace:
    def test_at_a_partys_request(self, xw):
        case = mediating_case(xw)
        wang, shan = xw.w.mediators["wang_t01"], xw.w.mediators["shan_t01"]
        party = parties(case)[0]
        case = act(case, head(xw), "replace_mediator", mediator=wang.pk, replacement=shan.pk, party=party.pk,
                   reason="当事人认为调解员偏向对方")
        old = Assignment.objects.get(case=case, mediator=wang)
        new = Assignment.objects.get(case=case, mediator=shan)
        assert (old.active, old.end_reason, old.requested_by) == (False, "当事人认为调解员偏向对方", party)
        assert old.ended_at is not None
        assert (new.active, new.chosen_by, new.lead) == (True, "parties", True)
        assert party.name in case.events.get(action="replace_mediator").note

    def test_with_a_conflicted_mediator_is_422(self, xw):
        case = mediating_case(xw, parties=two_parties(name="上洋村村民委员会"))
        err = refuse(case, head(xw), "replace_mediator", 422, "replacement", mediator=xw.w.mediators["wang_t01"].pk,
                     replacement=xw.w.mediators["zhao_v01"].pk, reason="换人")
        assert "回避" in err.detail

    def test_bad_inputs_are_422(self, xw):
        case = mediating_case(xw)
        wang, shan, li = (xw.w.mediators[k].pk for k in ("wang_t01", "shan_t01", "li_t02"))
        refuse(case, head(xw), "replace_mediator", 422, "mediator", mediator=shan, replacement=wang, reason="换人")
        refuse(case, head(xw), "replace_mediator", 422, "replacement", mediator=wang, replacement=wang, reason="换人")
        refuse(case, head(xw), "replace_mediator", 422, "replacement", mediator=wang, replacement=li, reason="换人")
        other = mediating_case(xw, mediators=())
        refuse(case, head(xw), "replace_mediator", 422, "party", mediator=wang, replacement=shan,
               party=parties(other)[0].pk, reason="换人")
        refuse(case, head(xw), "replace_mediator", 422, "reason", mediator=wang, replacement=shan, reason="")

    def test_only_the_committee_head(self, xw):
        case = mediating_case(xw)
        body = {"mediator": xw.w.mediators["wang_t01"].pk, "replacement": xw.w.mediators["shan_t01"].pk, "reason": "换人"}
        refuse(case, mediator(xw), "replace_mediator", 403, **body)
        refuse(case, xw.user("t02_committee", "committee_head"), "replace_mediator", 404, **body)
