import datetime as dt

import pytest

from fangtiao.core.forms import parse_chinese_date
from fangtiao.core.masking import mask_id_number, mask_name, mask_phone
from fangtiao.core.validators import id_check_char, id_number_error, normalize_phone, phone_error


def make_id(first17: str) -> str:
    return first17 + id_check_char(first17)


VALID_ID = make_id("33100319800101123")


class TestIdNumber:
    def test_valid_with_correct_check_digit(self):
        assert id_number_error(VALID_ID) is None

    def test_lower_case_x_is_normalised(self):
        base = next(f"3310031980010112{i}" for i in range(10) if id_check_char(f"3310031980010112{i}") == "X")
        assert id_number_error((base + "X").lower()) is None

    def test_known_public_example(self):
        # GB 11643 worked example: 11010519491231002X
        assert id_number_error("11010519491231002X") is None

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("", "身份证号码应为18位"),
            ("3310031980010112", "身份证号码应为18位"),
            ("33100319800101123A", "身份证号码前17位应为数字，最后一位为数字或X"),
            ("99100319800101123" + "0", "身份证号码的地区码无效"),
            ("33100319801301123" + "0", "身份证号码中的出生日期无效"),
            ("33100318800101123" + "0", "身份证号码中的出生日期不合理"),
        ],
    )
    def test_invalid(self, value, message):
        assert id_number_error(value) == message

    def test_wrong_check_digit(self):
        wrong = VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1")
        assert id_number_error(wrong) == "身份证号码校验位不正确，请核对"

    def test_birth_in_future(self):
        future = make_id(f"331003{dt.date.today().year + 1}0101123")
        assert id_number_error(future) == "身份证号码中的出生日期不合理"


class TestPhone:
    @pytest.mark.parametrize("value", ["13800000000", "+86 138 0000 0000", "0576-84123456", "057684123456", "0576-8412345-801", "010-61234567"])
    def test_valid(self, value):
        assert phone_error(value) is None

    @pytest.mark.parametrize(
        ("value", "fragment"),
        [("", "请填写"), ("1380000000", "11位"), ("12800000000", "11位"), ("0576-0123456", "区号"), ("84123456", "区号"), ("abc", "格式")],
    )
    def test_invalid(self, value, fragment):
        assert fragment in (phone_error(value) or "")

    def test_normalise(self):
        assert normalize_phone("+86 139 1234 5678") == "13912345678"


class TestMasking:
    def test_phone(self):
        assert mask_phone("13912345678") == "139****5678"
        assert mask_phone("0576-84123456") == "0576-****3456"
        assert mask_phone("") == ""

    def test_id(self):
        masked = mask_id_number(VALID_ID)
        assert masked.startswith("331003") and masked.endswith(VALID_ID[-4:]) and "1980" not in masked
        assert len(masked) == 18

    def test_name(self):
        assert mask_name("王小明") == "王某某"
        assert mask_name("王明") == "王某"


class TestChineseDates:
    @pytest.mark.parametrize("text", ["2026-05-04", "2026/5/4", "2026.5.4", "2026年5月4日", "2026 年 5 月 4 日", "20260504"])
    def test_forms_people_write(self, text):
        assert parse_chinese_date(text) == dt.date(2026, 5, 4)

    @pytest.mark.parametrize("text", ["2026-02-30", "5/4/2026", "明天", "2026-13-01", ""])
    def test_rejects(self, text):
        assert parse_chinese_date(text) is None
