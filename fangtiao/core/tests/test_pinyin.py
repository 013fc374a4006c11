import pytest

from fangtiao.core.pinyin import normalize_query, search_key


@pytest.mark.parametrize(
    ("name", "person", "expected"),
    [
        ("王小明", True, ["wxm", "wangxiaoming"]),
        ("单晓曾", True, ["sxz", "shanxiaozeng"]),  # surname 单 reads shan, not dan
        ("曾国藩", True, ["zgf"]),
        ("黄岩区人民调解委员会", False, ["hyqrmtjwyh"]),
        ("东城街道", False, ["dcjd", "dongchengjiedao"]),
    ],
)
def test_keys(name, person, expected):
    key = search_key(name, person=person).split()
    for k in expected:
        assert k in key


def test_heteronyms_give_both_readings():
    key = search_key("重庆路", person=False).split()
    assert "cqlu" in key or "cql" in key
    assert any(k.startswith("chong") for k in key)


def test_empty_and_ascii():
    assert search_key("") == ""
    assert normalize_query(" W X-M ") == "wxm"
