"""Mediation pages: for each page the permission boundaries (a role without the capability gets 403,
a case of another township 404), bad input (a Chinese message, nothing changed, never a 500), the
lists' paging and Excel export, and query counts that do not grow with the list (no N+1)."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from fangtiao.cases.models import Case
from fangtiao.cases.tests.factories import act, case_in_state, fresh, frozen, make_case, person
from fangtiao.clocks.models import Clock
from fangtiao.mediation.models import (
    Agreement,
    ArchiveFile,
    Assignment,
    Obligation,
    OpinionRequest,
    Session,
    Signature,
)

PNG = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5E"
       "rkJggg==")
V02 = "331003002201"  # 下叶村, 西城街道


# --- people and cases ------------------------------------------------------------------------------

def head(xw: Any) -> Any:
    return xw.users["head_t01"]


def mediator(xw: Any) -> Any:
    return xw.users["mediator_t01"]  # the login of 王小明 (wang_t01)


def liaison(xw: Any) -> Any:
    return xw.user("court", "court_liaison")


def two_parties() -> list[dict[str, Any]]:
    return [person(), person(role="respondent", type="organisation", name="某某物业服务有限公司", id_number="",
                             phone="", address="")]


def mediating(xw: Any, *, assigned: bool = True, held: bool = True, **over: Any) -> Case:
    over.setdefault("parties", two_parties())
    case = case_in_state(xw, "mediating", **over)
    if assigned:
        case = act(case, head(xw), "assign", mediators=[xw.mediators["wang_t01"].pk])
    if held:
        case = act(case, mediator(xw), "record_session", applicant_statement="多收电梯费300元",
                   respondent_statement="同意退还", outcome="agreed")
    return case


def agreed(xw: Any, *, signed: bool = True, due_days: int = 10, **over: Any) -> Case:
    case = mediating(xw, **over)
    party = case.parties.order_by("sort", "id").last()
    due = timezone.localdate() + dt.timedelta(days=due_days)
    return act(case, mediator(xw), "agree", form="written", terms="物业公司退还多收的电梯费300元", signed=signed,
               obligations=[{"party": party.pk, "content": "退还电梯费", "amount": "300.00", "due_on": due.isoformat()}])


def confirming(xw: Any) -> Case:
    return act(agreed(xw), mediator(xw), "apply_confirmation", court=xw.units["court"].pk)


def performing(xw: Any) -> Case:
    return act(confirming(xw), liaison(xw), "record_confirmation", result="confirmed")


def archived(xw: Any) -> Case:
    case = performing(xw)
    ob = Obligation.objects.get(case=case)
    case = act(case, mediator(xw), "record_performance", obligation=ob.pk, proof_kind="transfer")
    case = act(case, mediator(xw), "follow_up", method="phone", satisfaction="satisfied", notes="已退款")
    case = act(case, head(xw), "close", note="履行完毕")
    return act(case, head(xw), "archive", note="")


def other_township_case(xw: Any) -> Case:
    """A case of 西城街道 mediated at its own committee: nobody of 东城 may see it."""
    case = make_case(xw, actor=xw.users["clerk_t02"], region=V02, parties=two_parties())
    officer = xw.user("t02_subcentre", "officer")
    case = act(case, officer, "accept", notice="已受理")
    case = act(case, officer, "route", to="mediation", unit=xw.units["t02_committee"].pk, consent=True, task="请调解")
    return act(case, xw.user("t02_committee", "committee_head"), "receive", note="已签收")


def queries(client: Any, url: str, **kw: Any) -> int:
    client.get(url, **kw)  # warm: session, user and roles are loaded the same way on every request
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url, **kw)
    assert r.status_code == 200, r.status_code
    return len(ctx.captured_queries)


def html(response: Any) -> str:
    return response.content.decode()


def sheet(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(wb.worksheets[0].iter_rows(values_only=True))


# --- navigation ----------------------------------------------------------------------------------------

def test_navigation_entries_follow_capabilities(xw: Any, client: Any) -> None:
    client.force_login(mediator(xw))
    page = html(client.get("/"))
    assert "/mediation/" in page and "调解工作台" in page and "/mediation/court/" not in page
    client.force_login(liaison(xw))
    page = html(client.get("/"))
    assert "/mediation/court/" in page and "调解工作台" not in page
    client.force_login(xw.users["clerk_t01"])
    assert 'data-testid="nav-mediation"' not in html(client.get("/"))


# --- 1. workspace ------------------------------------------------------------------------------------

def test_workspace_shows_my_cases_by_stage_and_todays_sessions(xw: Any, client: Any) -> None:
    with frozen(timezone.localdate(), hour=9):
        busy = mediating(xw)
        signing = agreed(xw, signed=False)
        other = mediating(xw, assigned=False, held=False)  # nobody assigned yet: not mine
        start = timezone.now() + dt.timedelta(hours=2)
        busy = act(busy, mediator(xw), "book_session", starts_at=start.isoformat(), place="上洋村文化礼堂")
        session = Session.objects.get(case=busy, status="scheduled")
        client.force_login(mediator(xw))
        r = client.get("/mediation/")
        assert r.status_code == 200
        page = html(r)
        tiles = {k: int(v) for k, v in re.findall(r'data-testid="stage-count-(\w+)">(\d+)<', page)}
        assert tiles["mediating"] == 1 and tiles["signing"] == 1 and tiles["confirming"] == 0
        assert busy.number in page and signing.number in page and other.number not in page
        assert "上洋村文化礼堂" in page
        record = f"/mediation/cases/{busy.pk}/act/record_session/?session={session.pk}"
        assert record in page.replace("&amp;", "&")
        form = html(client.get(record))
        assert f'<option value="{session.pk}" selected>' in form  # the booked session chosen
        assert re.search(r'name="held"[^>]*checked', form)  # the schema's default: held as booked
        # The committee head sees every case the committee holds.
        client.force_login(head(xw))
        assert other.number in html(client.get("/mediation/"))


def test_workspace_lists_need_the_capability(xw: Any, client: Any) -> None:
    client.force_login(xw.users["clerk_t01"])
    for url in ("/mediation/", "/mediation/my-cases/", "/mediation/sessions/"):
        assert client.get(url).status_code == 403
    client.logout()
    assert client.get("/mediation/").status_code == 302  # to the login page


def test_my_cases_filter_bad_input_export_and_query_count(xw: Any, client: Any, django_assert_max_num_queries: Any) -> None:
    first = mediating(xw)
    client.force_login(mediator(xw))
    r = client.get("/mediation/my-cases/", {"stage": "nonsense"})
    assert r.status_code == 200 and "没有这个阶段" in html(r) and first.number in html(r)
    n = queries(client, "/mediation/my-cases/")
    mediating(xw)
    agreed(xw, signed=False)
    with django_assert_max_num_queries(n):
        r = client.get("/mediation/my-cases/")
    assert len(r.context["rows"]) == 3
    rows = sheet(client.get("/mediation/my-cases/", {"stage": "mediating", "export": "xlsx", "reason": "核对"}))
    assert rows[0][0] == "编号" and {row[0] for row in rows[1:]} >= {first.number}
    assert len(rows) == 3  # the header and the two cases in mediation


def test_workspace_and_sessions_query_counts(xw: Any, client: Any, django_assert_max_num_queries: Any) -> None:
    with frozen(timezone.localdate(), hour=9):
        def one() -> None:
            case = mediating(xw)
            act(case, mediator(xw), "book_session", starts_at=(timezone.now() + dt.timedelta(hours=3)).isoformat(),
                place="上洋村文化礼堂")
            agreed(xw, signed=False)

        one()
        client.force_login(mediator(xw))
        counts = {url: queries(client, url) for url in ("/mediation/", "/mediation/sessions/")}
        one()
        one()
        for url, n in counts.items():
            with django_assert_max_num_queries(n):
                r = client.get(url)
            assert r.status_code == 200
        # Today's sessions: each case's held one (recorded at 09:00) and the three booked for noon.
        assert len(client.get("/mediation/sessions/").context["rows"]) == 9
        rows = sheet(client.get("/mediation/sessions/", {"export": "xlsx", "reason": "核对"}))
        assert len(rows) == 10 and "操作" not in rows[0] and sum(r[-1] == "已预约" for r in rows) == 3
        r = client.get("/mediation/sessions/", {"day": "昨天"})
        assert r.status_code == 200 and "日期格式不正确" in html(r)


# --- 2. the agreement editor and signing -----------------------------------------------------------------

def _agree_post(case: Case, **over: Any) -> dict[str, str]:
    party = case.parties.order_by("sort", "id").last()
    data = {"version": str(case.version), "form": "written", "terms": "物业公司退还多收的电梯费300元",
            "facts": "物业公司多收电梯费", "disputes": "是否应当退还", "performance": "", "reached_on": "",
            "recorder": "", "obligations-0-party": str(party.pk), "obligations-0-content": "退还电梯费",
            "obligations-0-amount": "300", "obligations-0-due_on": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
            "obligations-0-instalment": ""}
    data.update(over)
    return data


def test_agreement_editor_access(xw: Any, client: Any) -> None:
    case = mediating(xw)
    client.force_login(mediator(xw))
    r = client.get(f"/mediation/cases/{case.pk}/agreement/")
    assert r.status_code == 200
    page = html(r)
    assert "法定要件检查" in page and "某某物业服务有限公司" in page and 'data-agreement-editor' in page
    assert "agreement.js" in page
    other = other_township_case(xw)
    assert client.get(f"/mediation/cases/{other.pk}/agreement/").status_code == 404
    assert client.post(f"/mediation/cases/{other.pk}/agreement/", _agree_post(other)).status_code == 404
    client.force_login(xw.users["clerk_t01"])  # sees the case, may not mediate
    r = client.get(f"/mediation/cases/{case.pk}/agreement/")
    assert r.status_code == 403 and "您的角色不能" in html(r)
    client.force_login(mediator(xw))
    done = agreed(xw)
    r = client.get(f"/mediation/cases/{done.pk}/agreement/")
    assert r.status_code == 409 and "不能调解成功" in html(r)


@pytest.mark.parametrize(("change", "message"), [
    ({"form": "oral"}, "不能即时履行的，应当制作书面调解协议"),
    ({"terms": ""}, "这个字段是必填项"),
    ({"obligations-0-amount": "三百"}, "金额格式不正确"),
    ({"obligations-0-party": ""}, "请选择履行义务人"),
    ({"obligations-0-due_on": "2001-01-01"}, "履行期限不能早于协议达成日期"),
    ({"obligations-0-due_on": "明天"}, "日期格式不正确"),
    ({"obligations-0-content": "x"}, "内容过短"),
    ({"form": "video"}, "选择一个有效的选项"),
    ({"reached_on": "2099-01-01"}, "达成日期不能晚于今天"),
    ({"version": "1"}, "已被他人修改"),
])
def test_agreement_editor_bad_input_changes_nothing(xw: Any, client: Any, change: dict[str, str], message: str) -> None:
    case = mediating(xw)
    client.force_login(mediator(xw))
    r = client.post(f"/mediation/cases/{case.pk}/agreement/", _agree_post(case, **change))
    assert r.status_code in (409, 422), r.status_code
    assert message in html(r)
    assert not Agreement.objects.filter(case=case).exists()
    assert fresh(case).version == case.version and fresh(case).status == "mediating"
    assert "物业公司多收电梯费" in html(r) and "obligations-0-content" in html(r)  # what was typed is kept


def test_agreement_editor_then_signing_on_the_tablet(xw: Any, client: Any) -> None:
    case = mediating(xw)
    client.force_login(mediator(xw))
    r = client.post(f"/mediation/cases/{case.pk}/agreement/", _agree_post(case))
    assert r.status_code == 302 and r["Location"] == f"/mediation/cases/{case.pk}/agreement/sign/"
    a = Agreement.objects.get(case=case)
    assert a.status == "signing" and a.copies == 3 and a.obligations.get().amount == 300
    page = html(client.get(r["Location"]))
    parties = list(case.parties.order_by("sort", "id"))
    wang = xw.mediators["wang_t01"]
    for key in (f"p{parties[0].pk}", f"p{parties[1].pk}", f"m{wang.pk}", "seal"):
        assert f'data-signer="{key}"' in page
    assert "signature.js" in page and "一式3份" in page
    version = str(fresh(case).version)
    # Nothing ticked; a JPEG instead of a PNG; a date after today: refused, nothing signed.
    r = client.post(r["Location"], {"version": version})
    assert r.status_code == 422 and "请勾选本次签署" in html(r)
    r = client.post(f"/mediation/cases/{case.pk}/agreement/sign/", {
        "version": version, f"sig-p{parties[0].pk}-on": "1", f"sig-p{parties[0].pk}-method": "sign",
        f"sig-p{parties[0].pk}-image": "data:image/jpeg;base64,AAAA"})
    assert r.status_code == 422 and "签名图像应为 PNG" in html(r)
    r = client.post(f"/mediation/cases/{case.pk}/agreement/sign/", {
        "version": version, "signed_on": "2099-01-01", "sig-seal-on": "1"})
    assert r.status_code == 422 and "签署日期应在协议达成之日至今天之间" in html(r)
    assert not Signature.objects.filter(agreement=a).exists() and fresh(case).version == int(version)
    # The first party signs by hand; the page then shows who is still to sign.
    r = client.post(f"/mediation/cases/{case.pk}/agreement/sign/", {
        "version": version, f"sig-p{parties[0].pk}-on": "1", f"sig-p{parties[0].pk}-method": "sign",
        f"sig-p{parties[0].pk}-image": PNG})
    assert r.status_code == 302 and r["Location"].endswith("/agreement/sign/")
    page = html(client.get(r["Location"]))
    assert f'data-signer="p{parties[0].pk}"' not in page and "signature-thumb" in page
    r = client.post(f"/mediation/cases/{case.pk}/agreement/sign/", {
        "version": str(fresh(case).version), f"sig-p{parties[1].pk}-on": "1", f"sig-p{parties[1].pk}-method": "seal",
        f"sig-m{wang.pk}-on": "1", f"sig-m{wang.pk}-image": PNG, "sig-seal-on": "1"})
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.pk}/"
    a.refresh_from_db()
    assert a.status == "effective" and a.effective_on == timezone.localdate()
    assert Signature.objects.get(agreement=a, party=parties[0]).image == PNG
    assert client.get(f"/mediation/cases/{case.pk}/agreement/sign/").status_code == 409  # nothing left to sign


def test_signing_page_access(xw: Any, client: Any) -> None:
    case = agreed(xw, signed=False)
    client.force_login(xw.users["clerk_t01"])
    assert client.get(f"/mediation/cases/{case.pk}/agreement/sign/").status_code == 403
    client.force_login(mediator(xw))
    other = other_township_case(xw)
    assert client.get(f"/mediation/cases/{other.pk}/agreement/sign/").status_code == 404


# --- the case-aware action page ---------------------------------------------------------------------------

def test_action_page_selects_rows_of_the_case(xw: Any, client: Any) -> None:
    case = mediating(xw, held=False)
    client.force_login(mediator(xw))
    page = html(client.get(f"/mediation/cases/{case.pk}/act/record_session/"))
    for p in case.parties.all():
        assert f'value="{p.pk}"' in page  # 到场当事人 as check boxes of the case's parties
    assert 'data-testid="choices-present"' in page and 'type="datetime-local"' in page
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    r = client.post(f"/mediation/cases/{case.pk}/act/record_session/", {"version": case.version, "held": "on",
                                                                        "held_at": future, "outcome": "continue"})
    assert r.status_code == 422 and "调解时间不能晚于现在" in html(r)
    r = client.post(f"/mediation/cases/{case.pk}/act/record_session/", {"version": case.version, "held": "on",
                                                                        "present": ["999999"], "outcome": "continue"})
    assert r.status_code == 422 and "所选项目不在可选范围内" in html(r)
    assert not Session.objects.filter(case=case).exists()
    r = client.post(f"/mediation/cases/{case.pk}/act/record_session/", {
        "version": case.version, "held": "on", "notices_given": "on", "outcome": "continue",
        "present": [str(p.pk) for p in case.parties.all()], "applicant_statement": "要求退费", "next": "/mediation/"})
    assert r.status_code == 302 and r["Location"] == "/mediation/"
    assert Session.objects.get(case=case).status == "held"
    r = client.post(f"/mediation/cases/{case.pk}/act/record_session/", {"version": case.version, "next": "https://evil.example/"})
    assert r.status_code == 409 and "已被他人修改" in html(r)
    assert client.get(f"/mediation/cases/{case.pk}/act/nonsense/").status_code == 404
    assert client.get(f"/mediation/cases/{case.pk}/act/agree/")["Location"] == f"/mediation/cases/{case.pk}/agreement/"
    other = other_township_case(xw)
    assert client.get(f"/mediation/cases/{other.pk}/act/record_session/").status_code == 404


def test_action_page_offers_the_competent_courts(xw: Any, client: Any) -> None:
    case = agreed(xw)
    client.force_login(mediator(xw))
    page = html(client.get(f"/mediation/cases/{case.pk}/act/apply_confirmation/"))
    assert "黄岩区人民法院（" in page and "东城街道人民调解委员会</option>" not in page
    r = client.post(f"/mediation/cases/{case.pk}/act/apply_confirmation/", {"version": case.version, "court": "999999",
                                                                            "joint": "on"})
    assert r.status_code == 422 and "所选项目不在可选范围内" in html(r) and fresh(case).status == "agreed"


# --- 3. the assignment board ------------------------------------------------------------------------------

def test_board_suggests_and_assigns(xw: Any, client: Any) -> None:
    case = mediating(xw, assigned=False, held=False)
    m = case.mediations.get()
    client.force_login(head(xw))
    page = html(client.get("/mediation/board/"))
    assert case.number in page and f"/mediation/board/{m.pk}/suggestions/" in page
    frag = html(client.get(f"/mediation/board/{m.pk}/suggestions/"))
    assert "王小明" in frag and "擅长物业纠纷" in frag and "本调委会调解员" in frag and 'data-testid="assign"' in frag
    loads = html(client.get("/mediation/board/loads/panel/"))
    assert "王小明" in loads and "单晓曾" in loads
    # Bad input: a mediator who does not exist, a stale page.
    r = client.post(f"/mediation/board/{m.pk}/assign/", {"version": case.version, "mediator": 999999},
                    HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "所选调解员不存在" in html(r)
    r = client.post(f"/mediation/board/{m.pk}/assign/", {"version": 1, "mediator": xw.mediators["wang_t01"].pk})
    assert r.status_code == 302
    assert "已被他人修改" in html(client.get(r["Location"]))
    r = client.post(f"/mediation/board/{m.pk}/assign/", {"version": "x", "mediator": ""})
    assert r.status_code == 302
    assert not Assignment.objects.filter(mediation=m).exists()
    r = client.post(f"/mediation/board/{m.pk}/assign/", {"version": case.version, "mediator": xw.mediators["wang_t01"].pk},
                    HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and r["HX-Redirect"] == "/mediation/board/"
    a = Assignment.objects.get(mediation=m)
    assert a.mediator.name == "王小明" and a.suggestion["rank"] == 1 and a.assigned_by == head(xw)
    page = html(client.get("/mediation/board/"))
    assert "已指派王小明" in page and f'data-case="{case.number}"' not in page


def test_board_access(xw: Any, client: Any) -> None:
    case = mediating(xw, assigned=False, held=False)
    m = case.mediations.get()
    client.force_login(mediator(xw))
    assert client.get("/mediation/board/").status_code == 403
    assert client.get(f"/mediation/board/{m.pk}/suggestions/").status_code == 403
    assert client.post(f"/mediation/board/{m.pk}/assign/", {"version": case.version, "mediator": 1}).status_code == 403
    other = other_township_case(xw).mediations.get()
    client.force_login(head(xw))
    assert client.get(f"/mediation/board/{other.pk}/suggestions/").status_code == 404
    assert client.post(f"/mediation/board/{other.pk}/assign/", {"version": 1, "mediator": 1}).status_code == 404
    # A leader watches any committee of the district but does not assign.
    client.force_login(xw.users["leader"])
    r = client.get("/mediation/board/", {"unit": xw.units["t01_committee"].pk})
    assert r.status_code == 200 and case.number in html(r)
    assert "您的角色不能指派调解员" in html(client.get(f"/mediation/board/{m.pk}/suggestions/"))
    r = client.get("/mediation/board/", {"unit": "999999"})
    assert r.status_code == 200 and "所选调解组织不在您的辖区内" in html(r)


def test_board_and_loads_query_counts(xw: Any, client: Any, django_assert_max_num_queries: Any) -> None:
    mediating(xw, assigned=False, held=False)
    client.force_login(head(xw))
    n = queries(client, "/mediation/board/")
    loads = queries(client, "/mediation/board/loads/")
    mediating(xw, assigned=False, held=False)
    mediating(xw, assigned=False, held=False)
    with django_assert_max_num_queries(n):
        r = client.get("/mediation/board/")
    assert len(r.context["page"].object_list) == 3
    with django_assert_max_num_queries(loads):
        client.get("/mediation/board/loads/")
    rows = sheet(client.get("/mediation/board/", {"export": "xlsx", "reason": "核对"}))
    assert len(rows) == 4 and rows[0][0] == "卷号"
    rows = sheet(client.get("/mediation/board/loads/", {"export": "xlsx", "reason": "核对"}))
    assert rows[0] == ("姓名", "调解组织", "专兼职", "等级", "在办件数")


# --- 4. the court liaison's queue --------------------------------------------------------------------------

def test_court_queue_with_clocks_and_decision(xw: Any, client: Any) -> None:
    case = confirming(xw)
    client.force_login(liaison(xw))
    page = html(client.get("/mediation/court/"))
    assert case.number in page and 'data-clock="confirmation.accept"' in page and "剩3日" in page
    assert f"/mediation/cases/{case.pk}/act/accept_confirmation/" in page
    r = client.post(f"/mediation/cases/{case.pk}/act/accept_confirmation/",
                    {"version": fresh(case).version, "accepted_on": "2001-01-01", "next": "/mediation/court/"})
    assert r.status_code == 422 and "立案日期应在申请日期至今天之间" in html(r)
    r = client.post(f"/mediation/cases/{case.pk}/act/accept_confirmation/",
                    {"version": fresh(case).version, "court_number": "（2026）浙1003民特1号", "next": "/mediation/court/"})
    assert r.status_code == 302 and r["Location"] == "/mediation/court/"
    page = html(client.get("/mediation/court/"))
    assert 'data-clock="confirmation.decide"' in page and "剩15日" in page and "剩30日" in page
    r = client.post(f"/mediation/cases/{case.pk}/act/record_confirmation/", {"version": fresh(case).version, "result": "rejected"})
    assert r.status_code == 422 and "驳回申请应当载明理由" in html(r) and fresh(case).status == "confirming"
    r = client.post(f"/mediation/cases/{case.pk}/act/record_confirmation/", {"version": fresh(case).version, "result": "confirmed"})
    assert r.status_code == 302 and fresh(case).status == "performing"
    assert case.number not in html(client.get("/mediation/court/"))


def test_court_queue_access_and_query_count(xw: Any, client: Any, django_assert_max_num_queries: Any) -> None:
    case = confirming(xw)
    client.force_login(mediator(xw))
    assert client.get("/mediation/court/").status_code == 403
    client.force_login(xw.users["clerk_t01"])
    assert client.get(f"/mediation/cases/{case.pk}/act/record_confirmation/").status_code == 403
    client.force_login(liaison(xw))
    other = other_township_case(xw)
    assert client.get(f"/mediation/cases/{other.pk}/act/record_confirmation/").status_code == 404
    n = queries(client, "/mediation/court/")
    confirming(xw)
    confirming(xw)
    with django_assert_max_num_queries(n):
        r = client.get("/mediation/court/")
    assert len(r.context["rows"]) == 3
    rows = sheet(client.get("/mediation/court/", {"export": "xlsx", "reason": "核对", "stage": "accept"}))
    assert len(rows) == 4 and "操作" not in rows[0] and rows[0][0] == "事项"


# --- 5. experts ------------------------------------------------------------------------------------------------

def test_expert_answers_a_request(xw: Any, client: Any, django_assert_max_num_queries: Any) -> None:
    case = mediating(xw)
    lawyer = xw.experts["lawyer"]
    case = act(case, mediator(xw), "request_opinion", expert=lawyer.pk, question="物业公司多收的电梯费是否应当退还？")
    req = OpinionRequest.objects.get(case=case)
    expert = xw.users["expert_user"]
    client.force_login(mediator(xw))
    assert client.get("/mediation/opinions/").status_code == 403
    client.force_login(expert)
    page = html(client.get("/mediation/opinions/"))
    assert "物业公司多收的电梯费是否应当退还" in page and "导出Excel" not in page  # experts do not export
    r = client.post(f"/mediation/opinions/{req.pk}/answer/", {"version": case.version, "opinion": "应退"})
    assert r.status_code == 422 and "书面意见至少4个字" in html(r) and "应退" in html(r)
    r = client.post(f"/mediation/opinions/{req.pk}/answer/", {"version": 1, "opinion": "依法应当退还多收费用。"})
    assert r.status_code == 409 and "已被他人修改" in html(r) and "依法应当退还多收费用" in html(r)
    req.refresh_from_db()
    assert req.answered_at is None
    assert client.post(f"/mediation/opinions/{req.pk + 1000}/answer/", {"version": 1, "opinion": "意见意见"}).status_code == 404
    r = client.post(f"/mediation/opinions/{req.pk}/answer/", {"version": fresh(case).version, "opinion": "依法应当退还多收费用。"})
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.opinion == "依法应当退还多收费用。" and req.answered_by == expert
    r = client.post(f"/mediation/opinions/{req.pk}/answer/", {"version": fresh(case).version, "opinion": "再答一次吧"})
    assert r.status_code == 409 and "该咨询已经答复" in html(r)
    n = queries(client, "/mediation/opinions/")
    for q in ("第二个问题是什么？", "第三个问题是什么？"):
        act(case, mediator(xw), "request_opinion", expert=lawyer.pk, question=q)
    with django_assert_max_num_queries(n):
        r = client.get("/mediation/opinions/", {"status": "pending"})
    assert len(r.context["page"].object_list) == 2
    assert client.get("/mediation/opinions/", {"status": "x"}).status_code == 200


# --- 6. oversight ------------------------------------------------------------------------------------------------

def _overdue(case: Case) -> None:
    past = timezone.localdate() - dt.timedelta(days=5)
    Obligation.objects.filter(case=case).update(due_on=past, status="overdue")


def _stuck(case: Case) -> None:
    Clock.objects.filter(case=case, code="mediation.period").update(due_on=timezone.localdate() - dt.timedelta(days=3),
                                                                    state="overdue")


def test_oversight_lists_in_the_jurisdiction(xw: Any, client: Any, django_assert_max_num_queries: Any) -> None:
    leader = xw.users["leader"]
    stuck = mediating(xw)
    _stuck(stuck)
    late = performing(xw)
    _overdue(late)
    backlog = act(mediating(xw), leader, "mark_backlog", reason="重复信访三次", responsible_leader=leader.pk)
    west = other_township_case(xw)
    _stuck(west)
    client.force_login(leader)
    page = html(client.get("/mediation/oversight/"))
    assert stuck.number in page and west.number in page and "已超期3日" in page
    page = html(client.get("/mediation/oversight/overdue/"))
    assert late.number in page and "退还电梯费" in page
    page = html(client.get("/mediation/oversight/backlog/"))
    assert backlog.number in page and "重复信访三次" in page and "区领导丙" in page
    # A 西城 officer sees 西城 only.
    client.force_login(xw.user("t02_subcentre", "officer"))
    page = html(client.get("/mediation/oversight/"))
    assert west.number in page and stuck.number not in page
    assert late.number not in html(client.get("/mediation/oversight/overdue/"))
    assert backlog.number not in html(client.get("/mediation/oversight/backlog/"))
    # No capability.
    client.force_login(mediator(xw))
    for url in ("/mediation/oversight/", "/mediation/oversight/overdue/", "/mediation/oversight/backlog/"):
        assert client.get(url).status_code == 403
    # Bad filters: a message, no 500; exports; fixed queries.
    client.force_login(leader)
    r = client.get("/mediation/oversight/backlog/", {"leader": "abc", "resolved": "maybe"})
    assert r.status_code == 200 and "取值无效" in html(r)
    rows = sheet(client.get("/mediation/oversight/overdue/", {"export": "xlsx", "reason": "核对"}))
    assert rows[0][0] == "事项" and rows[1][0] == late.number
    counts = {url: queries(client, url) for url in
              ("/mediation/oversight/", "/mediation/oversight/overdue/", "/mediation/oversight/backlog/")}
    for _ in range(2):
        c = mediating(xw)
        _stuck(c)
        p = performing(xw)
        _overdue(p)
        act(c, leader, "mark_backlog", reason="久拖不决", responsible_leader=leader.pk)
    for url, n in counts.items():
        with django_assert_max_num_queries(n):
            r = client.get(url)
        assert len(r.context["rows"]) >= 3, url


# --- 7. archive ---------------------------------------------------------------------------------------------

def test_archive_list_and_detail(xw: Any, client: Any, django_assert_max_num_queries: Any) -> None:
    case = archived(xw)
    f = ArchiveFile.objects.get(case=case)
    client.force_login(head(xw))
    r = client.get("/mediation/archives/", {"year": f.year})
    assert r.status_code == 200 and f.number in html(r) and "必备材料齐全" in html(r)
    r = client.get("/mediation/archives/", {"year": "今年"})
    assert r.status_code == 200 and "年度应为4位数字" in html(r)
    r = client.get("/mediation/archives/", {"year": "1999"})
    assert r.status_code == 200 and "年度不能早于2000年" in html(r)
    page = html(client.get(f"/mediation/archives/{f.pk}/"))
    assert "卷内目录" in page and "调解协议书" in page and "必须" in page and "按需" in page and "王小明" in page
    rows = sheet(client.get("/mediation/archives/", {"export": "xlsx", "reason": "核对"}))
    assert rows[0][0] == "卷号" and rows[1][0] == f.number
    client.force_login(xw.user("t02_subcentre", "officer"))
    assert client.get(f"/mediation/archives/{f.pk}/").status_code == 404
    assert f.number not in html(client.get("/mediation/archives/"))
    client.force_login(xw.users["expert_user"])
    assert client.get("/mediation/archives/").status_code == 403
    assert client.get(f"/mediation/archives/{f.pk}/").status_code == 403
    client.force_login(head(xw))
    n = queries(client, "/mediation/archives/")
    archived(xw)
    archived(xw)
    with django_assert_max_num_queries(n):
        r = client.get("/mediation/archives/")
    assert len(r.context["rows"]) == 3


# --- 8. the panel on the case page ---------------------------------------------------------------------------

def test_case_page_shows_the_mediation_panel(xw: Any, client: Any) -> None:
    case = performing(xw)
    client.force_login(mediator(xw))
    page = html(client.get(f"/cases/{case.pk}/"))
    assert 'data-testid="mediation-panel"' in page
    assert "王小明" in page and "调委会指定" in page and "系统推荐第1位" in page and "擅长物业纠纷" in page
    assert 'data-testid="notices"' in page and "同意调解" in page
    assert 'data-testid="sessions"' in page and "第1次调解" in page
    assert "已生效" in page and "一式3份" in page and "调委会印章" in page
    assert "退还电梯费" in page and "待履行" in page
    assert "裁定确认有效" in page and 'data-testid="enforcement-deadline"' in page
    assert f"/mediation/cases/{case.pk}/act/record_performance/" in page  # the tablet forms of the actions
    plain = case_in_state(xw, "accepted")
    assert 'data-testid="mediation-panel"' not in html(client.get(f"/cases/{plain.pk}/"))


def test_the_generic_action_page_hands_mediation_actions_to_the_case_aware_form(xw: Any, client: Any) -> None:
    """cases:act of a mediation action is the mediation form: references are choices of this case's rows."""
    case = mediating(xw, assigned=False, held=False)
    client.force_login(head(xw))
    r = client.get(f"/cases/{case.pk}/act/assign/")
    assert r.status_code == 200 and 'name="mediators"' in html(r) and xw.mediators["wang_t01"].name in html(r)
    r = client.post(f"/cases/{case.pk}/act/assign/", {"version": case.version,
                                                       "mediators": [str(xw.mediators["wang_t01"].pk)],
                                                       "chosen_by": "committee"})
    assert r.status_code == 302 and Assignment.objects.filter(case=case).exists()


# --- bad input anywhere: a message, never a 500 ------------------------------------------------------------

def test_garbage_never_gives_a_server_error(xw: Any, client: Any) -> None:
    case = mediating(xw, assigned=False, held=False)
    m = case.mediations.get()
    signing = agreed(xw, signed=False)
    client.force_login(head(xw))
    gets = [
        "/mediation/?stage=%00", "/mediation/my-cases/?page=abc&stage=<script>", "/mediation/sessions/?day=2026-02-30",
        "/mediation/board/?unit=abc&page=-1", "/mediation/board/loads/?unit=0", "/mediation/board/loads/panel/?unit=x",
        f"/mediation/board/{m.pk}/suggestions/?next=javascript:alert(1)", "/mediation/oversight/?unit=%20",
        "/mediation/oversight/overdue/?enforced=1", "/mediation/oversight/backlog/?leader=99999999999999999999",
        "/mediation/archives/?year=99999&retention=x&unit=-5", f"/mediation/cases/{case.pk}/act/record_session/?session=abc",
        f"/mediation/cases/{case.pk}/act/assign/?mediators=1",
    ]
    for url in gets:
        assert client.get(url).status_code < 500, url
    posts = [
        (f"/mediation/board/{m.pk}/assign/", {"version": "abc", "mediator": "abc", "reason": "理" * 3000}),
        (f"/mediation/cases/{case.pk}/act/assign/", {"version": "abc", "mediators": ["x"], "chosen_by": "moon"}),
        (f"/mediation/cases/{case.pk}/act/assign/", {"version": case.version, "mediators": ["99999"]}),
        (f"/mediation/cases/{case.pk}/agreement/", {"version": case.version, "form": "written", "terms": "条款内容",
                                                    "obligations-0-party": "abc", "obligations-0-amount": "NaN",
                                                    "obligations-5-amount": "-1", "obligations-5-party": "0",
                                                    "obligations-5-content": "内容内容", "obligations-x-content": "忽略"}),
        (f"/mediation/cases/{signing.pk}/agreement/sign/", {"version": "abc", "sig-seal-on": "1"}),
        (f"/mediation/cases/{signing.pk}/agreement/sign/", {"version": fresh(signing).version, "sig-seal-on": "1",
                                                            "signed_on": "不是日期"}),
    ]
    for url, data in posts:
        r = client.post(url, data)
        assert r.status_code < 500, (url, r.status_code)
        assert r.status_code in (302, 403, 409, 422), (url, r.status_code)
    assert not Assignment.objects.filter(mediation=m).exists()
    assert not Signature.objects.filter(case=signing).exists()
    r = client.post(f"/mediation/cases/{case.pk}/act/assign/", {"version": "abc", "mediators": [str(xw.mediators["wang_t01"].pk)]})
    assert r.status_code == 422 and "页面已过期，请刷新后重试" in html(r)
    client.force_login(mediator(xw))
    r = client.post(f"/mediation/cases/{case.pk}/agreement/", {"version": case.version, "form": "written", "terms": "条款内容"})
    assert r.status_code == 409 and "尚未指派调解员" in html(r)  # not ready to agree: refused before any field
    ready = mediating(xw)
    r = client.post(f"/mediation/cases/{ready.pk}/agreement/", {"version": ready.version, "form": "written", "terms": "条款内容",
                                                                "obligations-0-party": "abc", "obligations-0-amount": "NaN"})
    assert r.status_code == 422 and "履行义务人应为本事项的当事人" in html(r) and "金额格式不正确" in html(r)
