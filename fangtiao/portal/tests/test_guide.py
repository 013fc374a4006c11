"""The guided path (引导): questions in the law's order of precedence, routes with their basis;
only 信访 and 人民调解 lead to the online form."""

from __future__ import annotations

from typing import Any

import pytest

from fangtiao.portal import guide


@pytest.mark.parametrize(("answers", "first", "others"), [
    ({"purpose": "advice"}, "advice", []),
    ({"purpose": "solve", "proceedings": "court"}, "litigation", ["advice"]),
    ({"purpose": "solve", "proceedings": "arbitration"}, "arbitration", ["advice"]),
    ({"purpose": "solve", "proceedings": "none", "admin": "yes"}, "reconsideration", ["advice"]),
    ({"purpose": "solve", "proceedings": "none", "admin": "no", "civil": "no"}, "petition", ["advice"]),
    ({"purpose": "solve", "proceedings": "none", "admin": "no", "civil": "yes", "consent": "yes"},
     "mediation", ["litigation", "arbitration"]),
    ({"purpose": "solve", "proceedings": "none", "admin": "no", "civil": "yes", "consent": "no"},
     "litigation", ["arbitration", "advice"]),
])
def test_routes(answers: dict[str, str], first: str, others: list[str]) -> None:
    step = guide.advance(answers)
    assert step.question is None
    assert [r.code for r in step.routes] == [first, *others]


def test_questions_come_one_at_a_time_and_bad_answers_are_ignored() -> None:
    assert guide.advance({}).question.key == "purpose"
    assert guide.advance({"purpose": "solve"}).question.key == "proceedings"
    step = guide.advance({"purpose": "solve", "proceedings": "bogus", "admin": "no"})
    assert step.question.key == "proceedings" and step.answers == {"purpose": "solve"}
    assert guide.position(step) == (2, 5)


def test_only_petition_and_mediation_are_online_and_every_route_cites_its_basis() -> None:
    assert {code for code, r in guide.ROUTES.items() if r.online} == {"petition", "mediation"}
    assert guide.ROUTES["petition"].form_kind == "petition" and guide.ROUTES["mediation"].form_kind == "dispute"
    for route in guide.ROUTES.values():
        assert route.basis and route.explanation and route.where
    litigation = " ".join(guide.ROUTES["litigation"].basis)
    assert "第28条" in litigation and "第31条" in litigation
    assert any("人民调解法" in b for b in guide.ROUTES["mediation"].basis)


def test_guide_page_walks_through_with_buttons_and_no_script(client: Any, db: None) -> None:
    r = client.get("/portal/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "您这次来，主要是想做什么？" in html and "<script" not in html
    assert 'name="purpose" value="advice"' in html
    r = client.get("/portal/", {"purpose": "solve", "proceedings": "none", "admin": "no", "civil": "yes"})
    html = r.content.decode()
    assert "您是否愿意通过调解解决" in html
    assert 'type="hidden" name="civil" value="yes"' in html
    assert "上一步" in html
    r = client.get("/portal/", {"purpose": "solve", "proceedings": "none", "admin": "no", "civil": "yes", "consent": "yes"})
    html = r.content.decode()
    assert "申请人民调解" in html and "/portal/submit/?kind=dispute" in html
    assert "《人民调解法》第2、3、4、17条" in html


def test_court_route_has_no_form_link(client: Any, db: None) -> None:
    html = client.get("/portal/", {"purpose": "solve", "proceedings": "court"}).content.decode()
    assert "通过诉讼途径解决" in html and "诉讼与信访分离" in html
    assert "?kind=" not in html
    assert "该途径不通过本平台网上提交" in html
