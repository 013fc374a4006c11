"""GET /api/v1/public/petitions/{number}?code=: progress for the petitioner, masked; a wrong code
is indistinguishable from an unknown number (阳光信访: 信访工作条例 第18、21条)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from fangtiao.cases.models import Case
from fangtiao.cases.services import event
from fangtiao.core.testing.api import ApiClient
from fangtiao.portal import selectors
from fangtiao.portal.tests.helpers import GOOD_ID, act, petition_body, reply

NOT_FOUND = {"detail": "未找到该事项，请核对编号和查询码", "errors": []}


def submit(**overrides: Any) -> tuple[Case, str]:
    r = ApiClient().post("/api/v1/public/petitions", petition_body(**overrides))
    assert r.status_code == 201, r.content
    data = r.json()
    return Case.objects.get(number=data["number"]), data["query_code"]


def get(number: str, code: str | None, **extra: str) -> Any:
    url = f"/api/v1/public/petitions/{quote(number)}"
    if code is not None:
        url += f"?code={quote(code)}"
    return ApiClient().client.get(url, **extra)


def test_progress_with_number_and_code(world: Any) -> None:
    case, code = submit()
    r = get(case.number, code)
    assert r.status_code == 200, r.content
    p = r.json()
    assert p["number"] == case.number
    assert p["status"] == "registered" and p["status_label"] == "已登记"
    assert p["step"] == "已登记，正在审查是否受理"
    assert p["petitioner"] == "王某某"
    assert p["place"] == "上洋村" and p["channel_label"] == "网上"
    assert p["holder_unit"] == "黄岩区矛盾纠纷综合化解中心"
    assert [e["text"] for e in p["events"]] == ["事项已登记（网上）"]
    nxt = {n["code"]: n for n in p["next"]}
    assert set(nxt) == {"petition.acceptance_notice"}  # the disposition clock is the same 15 days, told once
    notice = nxt["petition.acceptance_notice"]
    assert notice["what"] == "书面告知是否受理" and notice["basis"] == "信访工作条例 第23条"
    assert notice["due"] == case.clocks.get(code="petition.acceptance_notice").due_on.isoformat()
    assert p["reply"] is None
    assert p["rating"] == {"allowed": False, "reason": "该事项尚未答复或办结，暂不能评价", "deadline": None,
                           "satisfaction": "", "satisfaction_label": "", "rated_at": None}


def test_code_is_forgiving_about_case_spaces_and_dashes_and_number_brackets(world: Any) -> None:
    case, code = submit()
    sloppy = f" {code[:4].lower()}-{code[4:8]} {code[8:]} "
    assert get(case.number, sloppy).status_code == 200
    ascii_brackets = case.number.replace("〔", "[").replace("〕", "]")
    assert get(ascii_brackets, code).status_code == 200


def test_wrong_code_looks_exactly_like_an_unknown_number(world: Any) -> None:
    case, code = submit()
    other, other_code = submit(name="李四", phone="13900000000", id_number="")
    wrong = "ABCDEFGHJKLM" if code != "ABCDEFGHJKLM" else "MLKJHGFEDCBA"
    answers = [
        get(case.number, wrong),  # wrong code
        get("黄岩矛调访调〔2026〕99999号", code),  # unknown number, a real code
        get(case.number, other_code),  # another case's code
        get(other.number, code),  # another case's number with this code
        get(case.number, ""),  # empty code
        get(case.number, None),  # no code at all
        get(case.number, code + "X" * 100),  # absurd code
        get("x" * 500, code),  # absurd number
    ]
    for r in answers:
        assert r.status_code == 404
        assert json.loads(r.content) == NOT_FOUND
        assert r.content == answers[0].content  # byte for byte
        assert r["Content-Type"] == answers[0]["Content-Type"]


def test_lookup_compares_keyed_hashes_in_constant_time(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    case, code = submit()
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr("fangtiao.portal.selectors.hmac.compare_digest", spy)
    assert selectors.case_by_number_and_code(number=case.number, code=code) == case
    assert selectors.case_by_number_and_code(number="没有这个编号", code=code) is None
    assert len(calls) == 2  # compared also when the number is unknown
    assert calls[0][1] == case.query_code_hash.encode()
    assert code.encode() not in calls[0][0]


def test_no_id_number_phone_address_or_full_name_in_the_response(world: Any, officer: Any) -> None:
    case, code = submit()
    reply(case, officer, world.units["centre"])
    body = json.dumps(get(case.number, code).json(), ensure_ascii=False)
    for secret in (GOOD_ID, "13812345678", "138****5678", "****", "王小二", "小二", "东城街道上洋村1号",
                   officer.name, officer.username, "请依法办理", "《物业管理条例》第7条", "责令物业公司恢复原收费标准"):
        assert secret not in body, secret
    assert "王某某" in body


def test_only_public_events_in_fixed_wording(world: Any, officer: Any) -> None:
    case, code = submit()
    act(case, officer, "accept", notice="内部备注：已电话联系")
    act(case, officer, "supervise", note="领导督办：务必本周办结")  # an internal event (public=False)
    event(case, "accept", actor=officer, note="内部批注不公开", public=False)
    p = get(case.number, code).json()
    texts = [e["text"] for e in p["events"]]
    assert texts == ["事项已登记（网上）", "已受理"]
    raw = json.dumps(p, ensure_ascii=False)
    assert "督办" not in raw and "内部" not in raw and officer.name not in raw
    assert p["notices"][0].endswith("已受理。")


def test_replied_case_shows_outcome_date_and_what_comes_next(world: Any, officer: Any) -> None:
    case, code = submit()
    act(case, officer, "accept")
    p = get(case.number, code).json()
    handling = next(n for n in p["next"] if n["code"] == "petition.handling")
    assert handling["what"] == "办结并出具书面答复" and handling["basis"] == "信访工作条例 第34条"
    assert handling["by"] == "黄岩区矛盾纠纷综合化解中心"
    act(case, officer, "route", to="handling", unit=world.units["centre"].pk)
    act(case, officer, "extend", days=20, reason="需要现场勘验")
    p = get(case.number, code).json()
    handling = next(n for n in p["next"] if n["code"] == "petition.handling")
    assert handling["what"] == "办结并出具书面答复（已依法延长20日）"
    assert any("延长20日，理由：需要现场勘验" in n for n in p["notices"])
    act(case, officer, "reply", outcome="explain", request="请求", facts="事实和理由", opinion="意见", basis="依据")
    p = get(case.number, code).json()
    case.refresh_from_db()
    assert p["status"] == "replied" and p["step"] == "已出具书面答复"
    assert p["reply"] == {"outcome": "explain", "outcome_label": "解释说明", "replied_on": case.replied_on.isoformat()}
    assert [n["code"] for n in p["next"]] == ["review.request"]
    assert p["next"][0]["by"] == "您"
    assert p["events"][-1]["text"] == "已出具信访处理意见书"
    assert p["rating"]["allowed"] is True


def test_lookup_query_count_is_fixed(world: Any, officer: Any, django_assert_max_num_queries: Any) -> None:
    case, code = submit()
    reply(case, officer, world.units["centre"])
    with django_assert_max_num_queries(6):
        assert get(case.number, code).status_code == 200
