"""Masking as a property (security-reliability.md §7): a masked ID number never shows its birth date
or sequence (at most the 6-digit region and the last 4: the rule kept, docs/security.md §4), a masked
mobile never more than 7 of its digits, a masked address no house number."""

from hypothesis import given, settings
from hypothesis import strategies as st

from fangtiao.core.masking import mask_address, mask_id_number, mask_name, mask_phone
from fangtiao.core.validators import id_check_char

digits = st.text(alphabet="0123456789", min_size=1, max_size=25)


def _shown(masked: str, original: str) -> int:
    """Characters of `original` the mask shows in place (the masks keep positions or a prefix/suffix)."""
    return sum(1 for ch in masked if ch not in "*某")


@st.composite
def id_numbers(draw):
    first = draw(st.text(alphabet="0123456789", min_size=17, max_size=17))
    return first + id_check_char(first)


@settings(max_examples=300, deadline=None)
@given(id_numbers())
def test_id_mask_hides_birth_date_and_sequence(idn):
    m = mask_id_number(idn)
    assert len(m) == 18 and _shown(m, idn) <= 10
    assert m[6:14] == "********" and m[:6] == idn[:6] and m[-4:] == idn[-4:]


@settings(max_examples=300, deadline=None)
@given(st.one_of(digits, st.text(max_size=30)))
def test_id_mask_of_anything_keeps_at_most_ten(value):
    m = mask_id_number(value)
    assert _shown(m, value) <= min(10, max(len(value.strip()) - 4, 0) if len(value.strip()) < 15 else 10)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A1[3-9][0-9]{9}\Z"))
def test_mobile_mask_shows_at_most_seven_digits(phone):
    m = mask_phone(phone)
    assert m == phone[:3] + "****" + phone[-4:] and sum(ch.isdigit() for ch in m) <= 7


@settings(max_examples=300, deadline=None)
@given(digits)
def test_any_number_mask_shows_at_most_seven_digits(value):
    assert sum(ch.isdigit() for ch in mask_phone(value)) <= 7


def test_address_down_to_the_village_house_number_masked():
    assert mask_address("浙江省台州市黄岩区东城街道某某村12号") == "浙江省台州市黄岩区东城街道某某村****"
    assert mask_address("黄岩区北城街道锦江社区3幢2单元501室") == "黄岩区北城街道锦江社区****"
    assert mask_address("黄岩区东城街道劳动北路118号") == "黄岩区东城街道****"
    assert mask_address("台州市黄岩区劳动北路118号") == "台州市黄岩区****"
    assert mask_address("某某村") == "某某村" and mask_address("") == ""


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789号幢室路街道村社区镇乡县市区甲乙", max_size=40))
def test_address_mask_never_shows_a_digit(value):
    assert not any(ch.isdigit() for ch in mask_address(value))


def test_name_keeps_the_surname_only():
    assert mask_name("王小明") == "王某某" and mask_name("王明") == "王某" and mask_name("王") == "王某"
