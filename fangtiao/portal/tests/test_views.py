"""The public pages: the form and its one-time receipt, the progress page, the rating, the limit."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client, override_settings

from fangtiao.cases.models import Case
from fangtiao.portal.tests.helpers import petition_body, reply

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def form_data(**overrides: Any) -> dict[str, Any]:
    data = petition_body()
    data.update(pledge="on", token="tok-1", nature="claim")
    data.update(overrides)
    return data


def strip_csrf(content: bytes) -> str:
    return CSRF.sub("", content.decode())


def test_submit_page_is_public_with_its_own_base(world: Any) -> None:
    r = Client().get("/portal/submit/?kind=dispute")
    assert r.status_code == 200
    html = r.content.decode()
    assert "群众自助服务" in html and "工作台" not in html and "组织机构" not in html and "退出登录" not in html
    assert re.search(r'<input type="radio" name="kind" value="dispute"[^>]*checked>', html)
    assert not re.search(r'<input type="radio" name="kind" value="petition"[^>]*checked>', html)
    assert 'value="331003001201"' in html and "东城街道 上洋村" in html  # villages grouped under townships
    assert 'value="331003002"' in html
    assert "<script" not in html


def test_submit_shows_number_and_code_once(world: Any) -> None:
    c = Client()
    r = c.post("/portal/submit/", form_data())
    assert r.status_code == 302 and r["Location"] == "/portal/submit/done/"
    case = Case.objects.get()
    assert case.channel == "online"
    assert set(c.session["portal_receipt"]) == {"number", "sealed"}  # the code is not kept in clear
    done = c.get("/portal/submit/done/")
    html = done.content.decode()
    assert case.number in html
    code = re.search(r'data-testid="receipt-code">([A-Z0-9]+)<', html).group(1)
    from fangtiao.cases.services import query_code_hash

    assert query_code_hash(code) == case.query_code_hash
    assert "no-store" in done["Cache-Control"]
    again = c.get("/portal/submit/done/")
    assert again.status_code == 302 and again["Location"] == "/portal/track/"


def test_double_submitted_form_creates_one_case(world: Any) -> None:
    c = Client()
    c.post("/portal/submit/", form_data(token="same"))
    first = c.get("/portal/submit/done/").content.decode()
    c.post("/portal/submit/", form_data(token="same"))
    second = c.get("/portal/submit/done/").content.decode()
    assert Case.objects.count() == 1
    assert first == second


def test_invalid_form_shows_chinese_messages_and_keeps_input(world: Any) -> None:
    r = Client().post("/portal/submit/", form_data(phone="12345", id_number="331003198001011232", pledge="", facts=""))
    assert r.status_code == 200
    html = r.content.decode()
    assert "请确认所反映情况真实" in html
    r = Client().post("/portal/submit/", form_data(phone="12345", id_number="331003198001011232", facts=""))
    html = r.content.decode()
    for msg in ("手机号码应为以1开头的11位数字", "身份证号码校验位不正确，请核对", "请写明事实经过"):
        assert msg in html, msg
    assert 'value="王小二"' in html
    assert not Case.objects.exists()


@override_settings(FANGTIAO_PORTAL_SUBMIT_LIMIT=1)
def test_too_many_submissions_get_a_chinese_page(world: Any) -> None:
    c = Client()
    c.post("/portal/submit/", form_data(token="a"))
    r = c.post("/portal/submit/", form_data(token="b"))
    assert r.status_code == 429
    assert "请求过于频繁，请稍后再试" in r.content.decode()
    assert int(r["Retry-After"]) >= 1
    assert Case.objects.count() == 1


def _submit(c: Client) -> tuple[Case, str]:
    c.post("/portal/submit/", form_data())
    html = c.get("/portal/submit/done/").content.decode()
    code = re.search(r'data-testid="receipt-code">([A-Z0-9]+)<', html).group(1)
    return Case.objects.get(), code


def test_track_page_shows_masked_progress(world: Any) -> None:
    c = Client()
    case, code = _submit(c)
    r = c.post("/portal/track/", {"number": case.number, "code": code})
    assert r.status_code == 200
    html = r.content.decode()
    assert "王某某" in html and "王小二" not in html and "13812345678" not in html
    assert "已登记，正在审查是否受理" in html and "书面告知是否受理" in html
    assert "信访工作条例 第23条" in html
    assert "该事项尚未答复或办结，暂不能评价" in html


def test_track_wrong_code_looks_like_unknown_number(world: Any) -> None:
    c = Client()
    case, code = _submit(c)
    wrong = c.post("/portal/track/", {"number": case.number, "code": "WRONGWRONG22"})
    unknown = c.post("/portal/track/", {"number": "黄岩矛调访调〔2026〕99999号", "code": "WRONGWRONG22"})
    assert wrong.status_code == unknown.status_code == 404
    assert "未找到该事项，请核对编号和查询码" in wrong.content.decode()
    # Same page apart from the echoed number and the per-response CSRF token.
    assert strip_csrf(wrong.content).replace(f'value="{case.number}"', "N") == strip_csrf(unknown.content).replace(
        'value="黄岩矛调访调〔2026〕99999号"', "N")


def test_rate_on_the_track_page(world: Any, officer: Any) -> None:
    c = Client()
    case, code = _submit(c)
    reply(case, officer, world.units["centre"])
    page = c.post("/portal/track/", {"number": case.number, "code": code}).content.decode()
    assert "予以支持" in page and 'data-testid="rate-form"' in page
    r = c.post("/portal/track/rate/", {"number": case.number, "code": code, "satisfaction": "satisfied", "comment": "好"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "感谢您的评价" in html and "满意" in html
    case.refresh_from_db()
    assert case.satisfaction == "satisfied"
    again = c.post("/portal/track/rate/", {"number": case.number, "code": code, "satisfaction": "unsatisfied"})
    assert again.status_code == 409
    assert "该事项已经评价，每个事项只能评价一次" in again.content.decode()
    case.refresh_from_db()
    assert case.satisfaction == "satisfied"


def test_rate_with_a_wrong_code_is_the_same_not_found(world: Any, officer: Any) -> None:
    c = Client()
    case, code = _submit(c)
    reply(case, officer, world.units["centre"])
    r = c.post("/portal/track/rate/", {"number": case.number, "code": "WRONGWRONG22", "satisfaction": "satisfied"})
    assert r.status_code == 404
    assert "未找到该事项，请核对编号和查询码" in r.content.decode()
    case.refresh_from_db()
    assert case.satisfaction == ""


@override_settings(FANGTIAO_PORTAL_LOOKUP_FAIL_LIMIT=2)
def test_track_page_locks_out_after_failures(world: Any) -> None:
    c = Client()
    case, code = _submit(c)
    for _ in range(2):
        assert c.post("/portal/track/", {"number": case.number, "code": "WRONGWRONG22"}).status_code == 404
    r = c.post("/portal/track/", {"number": case.number, "code": code})
    assert r.status_code == 429 and "请求过于频繁，请稍后再试" in r.content.decode()


def test_empty_track_form_asks_for_both(world: Any) -> None:
    r = Client().post("/portal/track/", {"number": "", "code": ""})
    assert r.status_code == 422
    html = r.content.decode()
    assert "请填写事项编号" in html and "请填写查询码" in html


def test_rating_without_a_choice_asks_for_one(world: Any, officer: Any) -> None:
    c = Client()
    case, code = _submit(c)
    reply(case, officer, world.units["centre"])
    r = c.post("/portal/track/rate/", {"number": case.number, "code": code, "satisfaction": ""})
    assert r.status_code == 422
    assert "请选择满意、基本满意或不满意" in r.content.decode()
    case.refresh_from_db()
    assert case.satisfaction == ""


def test_receipt_page_without_a_submission_goes_to_tracking(db: None) -> None:
    r = Client().get("/portal/submit/done/")
    assert r.status_code == 302 and r["Location"] == "/portal/track/"
