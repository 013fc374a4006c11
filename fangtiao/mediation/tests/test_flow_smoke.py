"""The whole back half through the services: mediating → assigned → session → written agreement →
confirmed → performed → followed up → closed → archived (the API-level journey is in test_api)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fangtiao.cases.tests.factories import act, case_in_state, fresh, make_case
from fangtiao.mediation.models import ArchiveFile, Obligation


def test_written_agreement_to_archive(xw):
    case = case_in_state(xw, "mediating")
    head = xw.user("t01_committee", "committee_head")
    mediator = xw.user("t01_committee", "mediator")
    case = act(case, head, "assign", mediators=[xw.w.mediators["wang_t01"].pk], reason="擅长物业纠纷")
    case = act(case, mediator, "record_session", applicant_statement="多收300元", respondent_statement="愿意退还",
               outcome="agreed")
    party = case.parties.first()
    today = timezone.localdate()
    case = act(case, mediator, "agree", form="written", terms="物业公司退还300元",
               obligations=[{"party": party.pk, "content": "退还电梯费", "amount": "300.00",
                             "due_on": (today + dt.timedelta(days=10)).isoformat()}])
    assert case.status == "agreed"
    a = case.agreements.get()
    assert a.effective_on == today and a.copies == 2
    case = act(case, mediator, "apply_confirmation", court=xw.units["court"].pk)
    assert case.status == "confirming"
    liaison = xw.user(xw.units["court"], "court_liaison")
    case = act(case, liaison, "record_confirmation", result="confirmed")
    assert case.status == "performing"
    ob = Obligation.objects.get(case=case)
    case = act(case, mediator, "record_performance", obligation=ob.pk, amount="100.00", proof_kind="transfer")
    assert case.status == "performing"
    case = act(case, mediator, "record_performance", obligation=ob.pk, proof_kind="receipt")
    assert case.status == "performed"
    case = act(case, mediator, "follow_up", method="phone", satisfaction="satisfied", notes="已退款")
    case = act(case, head, "close", note="履行完毕")
    case = act(case, head, "archive", note="")
    assert fresh(case).status == "archived"
    f = ArchiveFile.objects.get(case=case)
    assert "人调字第" in f.number and any(i["name"] == "调解协议书" and i["present"] for i in f.items)


def test_early_intervention_from_registration(xw):
    """提前介入: a petition just registered goes to the township committee before the acceptance decision."""
    case = make_case(xw)
    officer = xw.user("t01_subcentre", "officer")
    case = act(case, officer, "intervene", unit=xw.units["t01_committee"].pk, consent=True, note="排查发现邻里矛盾")
    assert case.status == "transferring" and case.source == "initiative"
    head = xw.user("t01_committee", "committee_head")
    case = act(case, head, "receive", note="签收")
    assert case.status == "mediating"
    assert case.mediations.get().source == "initiative"
