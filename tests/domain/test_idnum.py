import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.idnum import check_char, id_problem, make_id, parse_id
from yibao_tui.domain.masking import mask_card, mask_id, mask_name


def test_the_documented_example():
    p = parse_id("11010519491231002X")
    assert p.birth_date == dt.date(1949, 12, 31)
    assert p.sex == "F"
    assert p.age(dt.date(2026, 11, 22)) == 76


def test_lower_case_x_is_normalised():
    assert parse_id("11010519491231002x").value == "11010519491231002X"


def test_county_younger_than_holder_is_valid():
    # 福田区 440304 was created in 1990; a 1980 birth registered there later is a real number.
    number = make_id("440304", dt.date(1980, 5, 1), 123)
    assert parse_id(number).value == number


@pytest.mark.parametrize(
    ("text", "reason"),
    [("1101051949123100", "length"), ("11010519491231002XX", "length"), ("1101051949123100AX", "format"),
     ("99010519491231002X", "province"), ("110105194902300020", "birth_date"),
     ("110105194912310021", "check_digit"), ("", "empty")],
)
def test_rejections_say_why(text, reason):
    with pytest.raises(YibaoError) as e:
        parse_id(text)
    assert e.value.code == "INVALID_ID_NUMBER"
    assert e.value.params["reason_code"] == reason


def test_future_birth_date():
    number = make_id("110105", dt.date(2030, 1, 1), 1)
    with pytest.raises(YibaoError) as e:
        parse_id(number, today=dt.date(2026, 11, 22))
    assert e.value.params["reason_code"] == "birth_future"


def test_live_feedback():
    assert id_problem("11010519491231002X") is None
    assert "校验码" in (id_problem("110105194912310021") or "")


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 1, 1)), st.integers(0, 999))
def test_generated_numbers_validate_and_one_digit_off_does_not(birth, seq):
    number = make_id("370900", birth, seq)
    p = parse_id(number)
    assert p.birth_date == birth
    assert p.sex == ("M" if seq % 2 else "F")
    wrong = number[:17] + ("0" if check_char(number[:17]) != "0" else "1")
    with pytest.raises(YibaoError):
        parse_id(wrong)


def test_masking():
    assert mask_id("11010519491231002X") == "110***********002X"
    assert mask_name("张三") == "张*"
    assert mask_name("张小三") == "张*三"
    assert mask_name("欧阳小明") == "欧**明"
    assert mask_card("A12345678") == "*****5678"
