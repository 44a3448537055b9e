"""Issue 9 item 9: an unknown operator number and a wrong password get the same answer (tries
left, lockout); trivial card PINs and too-common or too-short passwords are refused with clear
messages."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import Family
from yibao_tui.domain.errors import YibaoError
from yibao_tui.i18n import set_lang
from yibao_tui.ledger.access import OPERATOR_MAX_FAILURES, check_password, check_pin
from yibao_tui.ledger.store import Ledger

PASSWORD = "Counter-Window-7"


def _answer(call) -> dict:
    with pytest.raises(YibaoError) as e:
        call()
    return {"code": e.value.code, "params": e.value.params, "zh": e.value.message("zh"), "en": e.value.message("en")}


def test_unknown_operator_and_wrong_password_answer_alike(ledger: Ledger) -> None:
    ledger.operator_add("1001", "张主管", "supervisor", PASSWORD)
    known = [_answer(lambda: ledger.operator_login("1001", "not-the-password")) for _ in range(OPERATOR_MAX_FAILURES + 1)]
    unknown = [_answer(lambda: ledger.operator_login("1009", "not-the-password")) for _ in range(OPERATOR_MAX_FAILURES + 1)]
    assert known == unknown
    assert [a["code"] for a in known] == ["BAD_CREDENTIALS"] * (OPERATOR_MAX_FAILURES - 1) + ["OPERATOR_LOCKED"] * 2
    assert known[0]["params"]["left"] == OPERATOR_MAX_FAILURES - 1  # the same count for both
    # the real operator is locked; the right password for an unknown number never logs in
    assert _answer(lambda: ledger.operator_login("1001", PASSWORD))["code"] == "OPERATOR_LOCKED"
    assert _answer(lambda: ledger.operator_login("1009", PASSWORD))["code"] == "OPERATOR_LOCKED"


def test_a_first_wrong_try_is_the_same_for_both(ledger: Ledger) -> None:
    ledger.operator_add("1001", "张主管", "supervisor", PASSWORD)
    assert _answer(lambda: ledger.operator_login("1001", "x" * 9)) == _answer(lambda: ledger.operator_login("ZZ99", "x" * 9))
    assert ledger.operator_login("1001", PASSWORD).id == "1001"


@pytest.mark.parametrize(("pin", "reason"), [
    ("111111", "repeated"), ("121212", "repeated"), ("123123", "repeated"), ("123456", "sequence"),
    ("654321", "sequence"), ("890123", "sequence"), ("112233", "common"), ("520131", "common"),
    # the holder (Family.holder) was born 1985-06-15
    ("850615", "birth"), ("061585", "birth"), ("150685", "birth"), ("198506", "birth"), ("061985", "birth"),
    ("061547", "birth"), ("470615", "birth"),
])
def test_trivial_pins_are_refused(ledger: Ledger, pin: str, reason: str) -> None:
    f = Family(ledger)
    with pytest.raises(YibaoError) as e:
        ledger.card_set_pin("A1000001", pin)
    assert e.value.code == "WEAK_SECRET" and e.value.params["reason_code"] == reason
    assert e.value.exit_code == 2 and e.value.http_status == 400
    assert "密码太容易被猜到" in e.value.message("zh")
    assert ledger.card_set_pin(f.holder, "394728") == f.holder


def test_a_good_pin_in_full_width_digits_is_the_same_pin(ledger: Ledger) -> None:
    f = Family(ledger)
    ledger.card_set_pin("A1000001", "３９４７２８")
    assert ledger.card_login("A1000001", "394728").id == f.holder
    assert ledger.card_login("A1000001", "３９４７２８").id == f.holder
    with pytest.raises(YibaoError) as e:
        ledger.card_set_pin("A1000001", "39472")
    assert e.value.code == "INVALID_ARGUMENT" and "6 位数字" in e.value.message("zh")


@pytest.mark.parametrize(("password", "code", "reason"), [
    ("short", "INVALID_ARGUMENT", "short"), ("password", "WEAK_SECRET", "common"),
    ("Password1", "WEAK_SECRET", "common"), ("12345678", "WEAK_SECRET", "common"),
    ("woaini1314", "WEAK_SECRET", "common"), ("aaaaaaaaaa", "WEAK_SECRET", "repeated"),
    ("abcdefghij", "WEAK_SECRET", "sequence"), ("A0701-secret", "WEAK_SECRET", "operator"),
])
def test_common_short_and_trivial_passwords_are_refused(ledger: Ledger, password: str, code: str, reason: str) -> None:
    with pytest.raises(YibaoError) as e:
        ledger.operator_add("A0701", "王", "clerk", password)
    assert e.value.code == code and e.value.params["reason_code"] == reason
    set_lang("en")
    assert "Traceback" not in e.value.message() and e.value.message() != e.value.code
    ledger.operator_add("A0701", "王", "clerk", PASSWORD)


def test_rule_functions_work_without_a_ledger() -> None:
    # the CLI checks at the first prompt with the same functions
    assert check_pin("394728") == "394728"
    with pytest.raises(YibaoError):
        check_pin("850615", dt.date(1985, 6, 15))
    assert check_pin("850615") == "850615"  # nobody's birth date without a holder
    assert check_password(PASSWORD, "1001") == PASSWORD
