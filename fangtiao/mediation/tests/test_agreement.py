"""The agreement (人民调解法 第28–30条): a written 调解协议书 — copies = parties + 1, effective on the
day the last party signs, the mediator signs and the committee seals — or an oral agreement,
effective the day it is reached and only for what is performed at once; obligations validated."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangtiao.cases.tests.factories import act, frozen, person
from fangtiao.mediation.models import Agreement, Obligation, Signature
from fangtiao.mediation.services import missing_signatures
from fangtiao.mediation.tests.support import (
    agree_body,
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

D0 = dt.date(2026, 3, 2)  # a Monday; nothing near it is a holiday


def _ready(xw, **overrides):
    return held(mediating_case(xw, **overrides), xw, outcome="agreed")


class TestWritten:
    def test_signed_on_the_spot(self, xw):
        three = [person(), person(role="respondent"), two_parties()[1]]
        case = _ready(xw, parties=three)
        today = timezone.localdate()
        due = today + dt.timedelta(days=10)
        case = act(case, mediator(xw), "agree", **agree_body(
            case, obligations=[{"party": 2, "content": "退还电梯维修费", "amount": "300.00", "due_on": due}]))
        a = agreement(case)
        assert case.status == "agreed"
        assert (a.form, a.status, a.copies, a.reached_on, a.effective_on) == ("written", "effective", 4, today, today)
        assert "人调协字第" in a.number
        assert a.performance == f"黄岩某某物业服务有限公司于{due.year}年{due.month}月{due.day}日前退还电梯维修费300.00元"
        sigs = Signature.objects.filter(agreement=a)
        assert sorted(sigs.filter(signer_kind="party").values_list("method", flat=True)) == ["seal", "sign", "sign"]
        assert sigs.filter(signer_kind="mediator", mediator=xw.w.mediators["wang_t01"]).count() == 1
        assert sigs.filter(signer_kind="seal").count() == 1
        assert current_round(case).status == "agreed"
        window = case.clocks.get(code="confirmation.apply")
        assert (window.started_on, window.watch_unit, window.holder_unit) == (today, xw.units["t01_committee"], None)
        assert case.clocks.filter(code="follow_up", state="running").count() == 1
        assert case.clocks.get(code="mediation.period").state == "met"

    def test_effective_on_the_day_of_the_last_signature(self, xw):
        with frozen(D0):
            case = _ready(xw)
            case = act(case, mediator(xw), "agree", signed=False, **agree_body(
                case, obligations=[{"content": "退还电梯维修费", "amount": "300.00", "due_on": D0 + dt.timedelta(days=20)}]))
            a = agreement(case)
            assert (case.status, a.status, a.effective_on, a.copies) == ("agreed", "signing", None, 3)
            p0, p1 = parties(case)
            assert missing_signatures(a) == [f"当事人{p0.name}", f"当事人{p1.name}", "人民调解员", "调委会印章"]
            assert not case.clocks.filter(code="confirmation.apply").exists()
        with frozen(D0 + dt.timedelta(days=7)):
            case = act(case, mediator(xw), "sign_agreement", signatures=[
                {"signer": str(p0.pk), "method": "fingerprint", "signed_on": (D0 + dt.timedelta(days=1)).isoformat()},
                {"signer": str(p1.pk), "method": "seal", "signed_on": (D0 + dt.timedelta(days=3)).isoformat()}])
            a.refresh_from_db()
            assert (a.status, a.effective_on) == ("signing", None)  # the mediator and the seal are missing
            refuse(case, mediator(xw), "apply_confirmation", 409, court=xw.units["court"].pk)
            case = act(case, mediator(xw), "sign_agreement", signatures=[
                {"signer": "mediator", "mediator": xw.w.mediators["wang_t01"].pk,
                 "signed_on": (D0 + dt.timedelta(days=5)).isoformat()}])
            a.refresh_from_db()
            assert a.status == "signing" and missing_signatures(a) == ["调委会印章"]
            case = act(case, head(xw), "sign_agreement", signatures=[
                {"signer": "seal", "signed_on": (D0 + dt.timedelta(days=4)).isoformat()}])
        a.refresh_from_db()
        # The last signature is the mediator's on D0+5, even though the seal was recorded later.
        assert (a.status, a.effective_on) == ("effective", D0 + dt.timedelta(days=5))
        assert dict(Signature.objects.filter(agreement=a, signer_kind="party").values_list("party_id", "method")) == {
            p0.pk: "fingerprint", p1.pk: "seal"}
        assert case.clocks.get(code="confirmation.apply").started_on == D0 + dt.timedelta(days=5)
        assert "协议自2026年3月7日起生效" in case.events.filter(action="sign_agreement").latest("id").note
        # Nothing left to sign.
        refuse(case, mediator(xw), "sign_agreement", 409, signatures=[{"signer": "seal"}])

    def test_bad_signatures_are_422(self, xw):
        with frozen(D0):
            case = _ready(xw)
            case = act(case, mediator(xw), "agree", signed=False, **agree_body(case))
        p0, p1 = parties(case)
        with frozen(D0 + dt.timedelta(days=3)):
            m = mediator(xw)
            before = (D0 - dt.timedelta(days=1)).isoformat()
            later = (D0 + dt.timedelta(days=4)).isoformat()
            refuse(case, m, "sign_agreement", 422, "signatures.0.signed_on", signatures=[{"signer": str(p0.pk),
                                                                                          "signed_on": before}])
            refuse(case, m, "sign_agreement", 422, "signatures.0.signed_on", signatures=[{"signer": str(p0.pk),
                                                                                          "signed_on": later}])
            refuse(case, m, "sign_agreement", 422, "signatures.1.signer",
                   signatures=[{"signer": str(p0.pk)}, {"signer": str(p0.pk)}])
            refuse(case, m, "sign_agreement", 422, "signatures.0.signer", signatures=[{"signer": "9999999"}])
            refuse(case, m, "sign_agreement", 422, "signatures.0.mediator",
                   signatures=[{"signer": "mediator", "mediator": xw.w.mediators["li_t02"].pk}])
            refuse(case, m, "sign_agreement", 422, "signatures.0.method", signatures=[{"signer": str(p0.pk),
                                                                                       "method": "blood"}])
            refuse(case, m, "sign_agreement", 422, "signatures.0.image", signatures=[{"signer": str(p0.pk),
                                                                                      "image": "data:image/gif;base64,R0"}])
            refuse(case, m, "sign_agreement", 422, "signatures", signatures=[])
            # Each may sign once.
            act(case, m, "sign_agreement", signatures=[{"signer": str(p0.pk)}, {"signer": "seal"},
                                                        {"signer": "mediator", "mediator": xw.w.mediators["wang_t01"].pk}])
            refuse(case, m, "sign_agreement", 422, "signatures.0.signer", signatures=[{"signer": str(p0.pk)}])
            refuse(case, m, "sign_agreement", 422, "signatures.0.signer", signatures=[{"signer": "seal"}])
            refuse(case, m, "sign_agreement", 422, "signatures.0.mediator",
                   signatures=[{"signer": "mediator", "mediator": xw.w.mediators["wang_t01"].pk}])
            act(case, m, "sign_agreement", signatures=[{"signer": str(p1.pk), "method": "sign_fingerprint"}])
        assert agreement(case).effective_on == D0 + dt.timedelta(days=3)

    def test_a_replaced_mediator_does_not_sign(self, xw):
        case = mediating_case(xw)
        wang, shan = xw.w.mediators["wang_t01"], xw.w.mediators["shan_t01"]
        case = act(case, head(xw), "replace_mediator", mediator=wang.pk, replacement=shan.pk,
                   party=parties(case)[0].pk, reason="当事人申请回避")
        case = held(case, xw, outcome="agreed")
        case = act(case, mediator(xw), "agree", signed=False, **agree_body(case))
        refuse(case, mediator(xw), "sign_agreement", 422, "signatures.0.mediator",
               signatures=[{"signer": "mediator", "mediator": wang.pk}])

    def test_performance_text_without_obligations(self, xw):
        case = _ready(xw)
        case = act(case, mediator(xw), "agree", **agree_body(case, obligations=[], performance="双方当场互相致歉，即时履行"))
        a = agreement(case)
        assert a.performance == "双方当场互相致歉，即时履行" and not Obligation.objects.filter(agreement=a).exists()

    def test_without_performance_or_obligations_is_422(self, xw):
        case = _ready(xw)
        err = refuse(case, mediator(xw), "agree", 422, "performance", **agree_body(case, obligations=[]))
        assert "第29条" in err.detail


class TestOral:
    def test_effective_the_day_it_is_reached(self, xw):
        case = _ready(xw)
        today = timezone.localdate()
        case = act(case, mediator(xw), "agree", form="oral", terms="物业公司当场退还300元", obligations=[
            {"party": parties(case)[1].pk, "content": "当场退还", "amount": "300.00", "due_on": today.isoformat()}])
        a = agreement(case)
        assert (case.status, a.form, a.status, a.effective_on) == ("agreed", "oral", "effective", today)
        assert not Signature.objects.filter(agreement=a).exists()
        assert not case.clocks.filter(code="confirmation.apply").exists()  # no judicial confirmation of an oral one
        assert case.clocks.filter(code="follow_up", state="running").exists()
        assert "当日生效" in case.events.get(action="agree").note

    def test_with_obligations_due_later_must_be_written(self, xw):
        case = _ready(xw)
        later = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
        err = refuse(case, mediator(xw), "agree", 422, "obligations.1.due_on", form="oral", terms="分两次退还", obligations=[
            {"party": parties(case)[1].pk, "content": "当场退还一半", "amount": "150.00"},
            {"party": parties(case)[1].pk, "content": "五日后退还一半", "amount": "150.00", "due_on": later}])
        assert "书面调解协议" in err.detail

    def test_a_collective_dispute_must_be_written(self, xw):
        case = _ready(xw, headcount=6, parties=[person(is_representative=True), two_parties()[1]])
        refuse(case, mediator(xw), "agree", 422, "form", form="oral", terms="当场致歉")


class TestObligations:
    @pytest.mark.parametrize(("change", "field"), [
        ({"amount": "-1.00"}, "obligations.0.amount"),
        ({"amount": "10.001"}, "obligations.0.amount"),
        ({"amount": "1000000000000.00"}, "obligations.0.amount"),
        ({"amount": "三百元"}, "obligations.0.amount"),
        ({"content": "退"}, "obligations.0.content"),
        ({"due_on": "2026-02-30"}, "obligations.0.due_on"),
    ], ids=["negative", "three_decimals", "too_large", "not_a_number", "content", "bad_date"])
    def test_bad_values_are_422(self, xw, change, field):
        case = _ready(xw)
        body = agree_body(case)
        body["obligations"][0].update(change)
        refuse(case, mediator(xw), "agree", 422, field, **body)

    def test_a_zero_amount_is_422(self, xw):
        case = _ready(xw)
        body = agree_body(case)
        body["obligations"][0]["amount"] = "0.00"
        refuse(case, mediator(xw), "agree", 422, "obligations.0.amount", **body)

    def test_the_obligor_must_be_a_party_of_the_case(self, xw):
        case = _ready(xw)
        other = mediating_case(xw, mediators=())
        body = agree_body(case)
        body["obligations"][0]["party"] = parties(other)[0].pk
        refuse(case, mediator(xw), "agree", 422, "obligations.0.party", **body)

    def test_dates(self, xw):
        case = _ready(xw)
        today = timezone.localdate()
        refuse(case, mediator(xw), "agree", 422, "obligations.0.due_on", **agree_body(
            case, obligations=[{"content": "退还", "amount": "1.00", "due_on": today - dt.timedelta(days=1)}]))
        refuse(case, mediator(xw), "agree", 422, "reached_on",
               **agree_body(case, reached_on=(today + dt.timedelta(days=1)).isoformat()))

    def test_other_bad_inputs(self, xw):
        case = _ready(xw)
        refuse(case, mediator(xw), "agree", 422, "form", **agree_body(case, form="video"))
        refuse(case, mediator(xw), "agree", 422, "terms", **agree_body(case, terms=""))
        refuse(case, xw.user("t01_committee", "clerk"), "agree", 403, **agree_body(case))
        refuse(case, xw.user("t02_committee", "mediator"), "agree", 404, **agree_body(case))

    def test_instalments_are_separate_obligations(self, xw):
        today = timezone.localdate()
        case = agreed_case(xw, obligations=[
            {"content": "第一期", "amount": "100.00", "due_on": today + dt.timedelta(days=5), "instalment": "1/2"},
            {"content": "第二期", "amount": "200.00", "due_on": today + dt.timedelta(days=35), "instalment": "2/2"}])
        rows = list(Obligation.objects.filter(case=case).order_by("seq").values_list("seq", "amount", "instalment",
                                                                                        "status"))
        assert [(s, str(a), i, st) for s, a, i, st in rows] == [(1, "100.00", "1/2", "pending"), (2, "200.00", "2/2", "pending")]
        assert Agreement.objects.filter(case=case).count() == 1
