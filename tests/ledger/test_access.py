"""Operators, card PINs and lockouts kept in the ledger; the co-signed withdrawal."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import FROZEN, Family
from yibao_tui.domain.errors import YibaoError
from yibao_tui.ledger.store import Ledger


class Clock:
    def __init__(self) -> None:
        self.now = FROZEN

    def __call__(self) -> dt.datetime:
        return self.now


def code_of(fn, *args, **kwargs) -> str:
    with pytest.raises(YibaoError) as e:
        fn(*args, **kwargs)
    return e.value.code


def test_operator_login_lockout_and_unlock(db_path):
    clock = Clock()
    led = Ledger(db_path, clock=clock)
    led.operator_add("1001", "张主管", "supervisor", "correct horse")
    assert code_of(led.operator_add, "1001", "x", "clerk", "whatever1") == "OPERATOR_EXISTS"
    assert code_of(led.operator_add, "1002", "x", "clerk", "short") == "INVALID_ARGUMENT"
    assert led.operator_login("1001", "correct horse").role == "supervisor"
    for _ in range(4):
        assert code_of(led.operator_login, "1001", "wrong") == "BAD_CREDENTIALS"
    assert code_of(led.operator_login, "1001", "wrong") == "OPERATOR_LOCKED"
    # locked: even the right password is refused, and a restart does not reset it
    led.close()
    led = Ledger(db_path, clock=clock)
    assert code_of(led.operator_login, "1001", "correct horse") == "OPERATOR_LOCKED"
    clock.now = FROZEN + dt.timedelta(minutes=16)
    assert led.operator_login("1001", "correct horse").id == "1001"
    assert code_of(led.operator_login, "nobody", "x") == "BAD_CREDENTIALS"
    stored = led.conn.execute("SELECT pw_hash FROM operators").fetchone()[0]
    assert "correct horse" not in stored and stored.startswith("scrypt$")
    actions = [r.action for r in led.audit(limit=20)]
    assert "operator.login.failed" in actions and "operator.login" in actions
    led.close()


def test_pin_lockout_survives_restart(db_path):
    clock = Clock()
    led = Ledger(db_path, clock=clock)
    f = Family(led)
    assert code_of(led.card_login, "A1000001", "394728") == "NO_PIN"
    led.card_set_pin("A1000001", "394728")
    assert led.card_login("a1000001", "394728").id == f.holder
    assert code_of(led.card_login, "A1000001", "000000") == "BAD_PIN"
    assert code_of(led.card_login, "A1000001", "000000") == "BAD_PIN"
    assert code_of(led.card_login, "A1000001", "000000") == "CARD_LOCKED"
    led.close()
    led = Ledger(db_path, clock=clock)
    assert code_of(led.card_login, "A1000001", "394728") == "CARD_LOCKED"
    clock.now = FROZEN + dt.timedelta(minutes=31)
    assert led.card_login("A1000001", "394728").id == f.holder
    led.close()


def test_withdrawal_needs_counter_and_supervisor_then_closes(db_path):
    led = Ledger(db_path, clock=Clock(), channel="counter", operator="2001")
    f = Family(led)
    led.operator_add("2001", "李办事员", "clerk", "clerk-pass")
    led.operator_add("3001", "王主管", "supervisor", "super-pass")
    facts = {"death_certified": "yes", "heir_proven": "yes"}
    assert code_of(led.withdrawal_execute, f.holder, "death", facts, "王继承", "6222020000000001", "2001", "clerk-pass") == "COSIGN_REQUIRED"
    assert code_of(led.withdrawal_execute, f.holder, "death", facts, "王继承", "6222020000000001", "3001", "nope") == "BAD_CREDENTIALS"
    assert code_of(led.withdrawal_execute, f.holder, "death", {"death_certified": "yes"}, "王继承", "6222020000000001", "3001", "super-pass") == "WITHDRAWAL_NOT_ELIGIBLE"
    r = led.withdrawal_execute(f.holder, "death", facts, "王继承", "6222020000000001", "3001", "super-pass", key="w1")
    assert r.amount_fen == 500_000 and r.payee == "heir" and r.cosigner == "3001" and r.operator == "2001"
    assert led.balance(f.holder).balance_fen == 0 and led.balance(f.holder).status == "closed"
    assert code_of(led.credit, f.holder, 100) == "ACCOUNT_CLOSED"
    assert code_of(led.bind, f.holder, f.parent, "parent") == "ACCOUNT_CLOSED"
    again = led.withdrawal_execute(f.holder, "death", facts, "王继承", "6222020000000001", "3001", "super-pass", key="w1")
    assert again.replayed and again.withdrawal_id == r.withdrawal_id
    executed = [a for a in led.audit(person=f.holder) if a.action == "withdrawal.execute"]
    assert len(executed) == 1  # the audit, read on screens others see, masks the payee
    assert "6222020000000001" not in executed[0].detail and "王继承" not in executed[0].detail
    assert led.verify().ok
    led.close()
    kiosk = Ledger(db_path, clock=Clock(), channel="kiosk")
    assert code_of(kiosk.withdrawal_execute, f.spouse, "death", facts, "x", "6222020000000001", "3001", "super-pass") == "COUNTER_ONLY"
    kiosk.close()


def test_a_refused_login_while_locked_is_still_audited(tmp_path):
    """Issue 4: every attempt is recorded, also one refused because the operator is locked."""
    ledger = Ledger(tmp_path / "l.db", channel="counter")
    ledger.operator_add("A01", "王", "clerk", "correct-horse-1")
    for _ in range(5):
        with pytest.raises(YibaoError):
            ledger.operator_login("A01", "wrong-password")
    with pytest.raises(YibaoError) as e:
        ledger.operator_login("A01", "correct-horse-1")
    assert e.value.code == "OPERATOR_LOCKED"
    with pytest.raises(YibaoError) as e:
        ledger.operator_login("NOBODY", "whatever-1")
    assert e.value.code == "BAD_CREDENTIALS"
    actions = [r.action for r in ledger.audit()]
    ledger.close()
    assert actions.count("operator.login.failed") == 6  # five wrong passwords, one unknown operator
    assert actions.count("operator.login.refused") == 1


def test_login_attempts_are_filed_under_the_operator_they_name(tmp_path):
    ledger = Ledger(tmp_path / "l.db", channel="counter")
    ledger.operator_add("S001", "赵主管", "supervisor", "correct-horse-1")
    with pytest.raises(YibaoError):
        ledger.operator_login("S001", "wrong-password")
    ledger.operator_login("S001", "correct-horse-1")
    actions = [r.action for r in ledger.audit(operator="S001")]
    ledger.close()
    assert actions[:2] == ["operator.login", "operator.login.failed"]
