import pytest
from hypothesis import given
from hypothesis import strategies as st

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.money import MAX_FEN, fen_to_plain, format_fen, parse_amount


@pytest.mark.parametrize(
    ("text", "fen"),
    [("400", 40000), ("400.00", 40000), ("¥400", 40000), ("1,234.5", 123450), ("￥12.34", 1234),
     (" 0.01 ", 1), ("１２３", 12300), ("400元", 40000), ("RMB 5", 500), ("10000000", MAX_FEN)],
)
def test_accepts(text, fen):
    assert parse_amount(text) == fen


@pytest.mark.parametrize(
    ("text", "reason"),
    [("-5", "negative"), ("¥-5", "negative"), ("1.234", "decimals"), ("NaN", "format"), ("inf", "format"),
     ("", "empty"), ("abc", "format"), ("1e3", "format"), ("10000000.01", "too_large"),
     ("99999999999999999999", "too_large"), ("0", "zero"), ("0.00", "zero"), ("1,23", "format"),
     ("12,34.5", "format")],
)
def test_rejects_with_reason(text, reason):
    with pytest.raises(YibaoError) as e:
        parse_amount(text)
    assert e.value.code == "INVALID_AMOUNT"
    assert e.value.params["reason_code"] == reason
    assert e.value.exit_code == 2
    assert e.value.message()  # a sentence in the user's language


def test_zero_allowed_where_it_makes_sense():
    assert parse_amount("0", allow_zero=True) == 0


def test_format():
    assert format_fen(123456) == "¥1,234.56"
    assert format_fen(-5) == "-¥0.05"
    assert fen_to_plain(-123456) == "-1234.56"


@given(st.integers(min_value=1, max_value=MAX_FEN))
def test_round_trip(fen):
    assert parse_amount(format_fen(fen)) == fen
    assert parse_amount(fen_to_plain(fen)) == fen
