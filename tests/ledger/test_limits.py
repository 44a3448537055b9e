"""Issue 9 item 4: the ledger enforces every amount limit on every write, whoever calls it, and
the schema refuses a money column that is not an integer within bounds; ``verify`` reports an
overflowed ledger instead of dying."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Family, frozen_clock, pid
from yibao_tui.cli import main
from yibao_tui.domain.errors import YibaoError
from yibao_tui.ledger import db as ledger_db
from yibao_tui.ledger.limits import MAX_BALANCE_FEN
from yibao_tui.ledger.store import Ledger


@pytest.mark.parametrize("amount", [0, -1, 1.5, True, 1_000_000_001, 2**53 - 1, 2**63])
def test_every_ledger_write_checks_the_amount(ledger: Ledger, amount: object) -> None:
    f = Family(ledger)
    calls = [lambda: ledger.credit(f.holder, amount),  # type: ignore[arg-type]
             lambda: ledger.spend(f.holder, amount, "outpatient")]  # type: ignore[arg-type]
    if amount != 0:  # a zero opening balance is allowed
        calls.append(lambda: ledger.add_person(pid(seq=77), "赵六", "employee", "440300",
                                               opening_balance_fen=amount))  # type: ignore[arg-type]
    for call in calls:
        with pytest.raises(YibaoError) as e:
            call()
        assert e.value.code == "INVALID_AMOUNT"
    assert ledger.balance(f.holder).balance_fen == 500_000


def test_the_schema_refuses_floats_and_out_of_bounds_money(ledger: Ledger, db_path: Path) -> None:
    f = Family(ledger)
    ledger.close()
    conn = sqlite3.connect(db_path)
    try:
        refused = [
            "UPDATE accounts SET balance = 9.9e18 WHERE person_id = ?",
            "UPDATE accounts SET balance = 1.5 WHERE person_id = ?",
            f"UPDATE accounts SET balance = {MAX_BALANCE_FEN + 1} WHERE person_id = ?",
            "INSERT INTO accounts (code, kind, balance) VALUES ('SYS:x' || ?, 'system', 2.5)",
            "INSERT INTO transfers (kind, debit_account, credit_account, amount, time)"
            " SELECT 'credit', 1, 2, 0.5, ? ",
        ]
        for sql in refused:
            with pytest.raises(sqlite3.IntegrityError, match="amount limit"):
                conn.execute(sql, (f.holder,))
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(
            ledger_db.SCHEMA_VERSION)  # 2 or later (later versions keep the money triggers)
    finally:
        conn.close()


def test_a_balance_pushed_past_the_bound_is_refused_by_the_ledger(tmp_path: Path) -> None:
    led = Ledger(tmp_path / "edge.db", clock=frozen_clock)
    try:
        f = Family(led)
        # an account already at the edge (as if credited for decades): the next credit would pass it
        led.conn.execute("UPDATE accounts SET balance = ? WHERE person_id = ?", (MAX_BALANCE_FEN - 10, f.holder))
        with pytest.raises(YibaoError) as e:
            led.credit(f.holder, 11)
        assert e.value.code == "INVALID_AMOUNT" and e.value.params["reason_code"] == "balance_limit"
        assert led.balance(f.holder).balance_fen == MAX_BALANCE_FEN - 10
    finally:
        led.close()


def _version_1(path: Path) -> tuple[sqlite3.Connection, Family]:
    """A ledger with a family, as schema version 1 had it (no money triggers); a raw connection."""
    led = Ledger(path, clock=frozen_clock)
    f = Family(led)
    led.close()
    conn = sqlite3.connect(path, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%money%'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.execute("UPDATE meta SET value = 'v1' WHERE key = 'schema_hash'")
    return conn, f


def _old_ledger_with_overflow(path: Path) -> str:
    """A ledger as version 1 left it after the reported attack: ~1,024 credits of 2**53 - 1."""
    conn, f = _version_1(path)
    acct = conn.execute("SELECT id FROM accounts WHERE person_id = ?", (f.holder,)).fetchone()[0]
    fund = conn.execute("SELECT id FROM accounts WHERE code = 'SYS:fund'").fetchone()[0]
    big = 2**53 - 1
    conn.execute("BEGIN")
    for _ in range(1100):
        tid = conn.execute("INSERT INTO transfers (kind, debit_account, credit_account, amount, time) VALUES"
                           " ('credit', ?, ?, ?, '2026-01-01 00:00:00')", (fund, acct, big)).lastrowid
        conn.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (big, acct))
        conn.execute("UPDATE accounts SET balance = balance - ? WHERE id = ?", (big, fund))
        after = conn.execute("SELECT balance FROM accounts WHERE id = ?", (acct,)).fetchone()[0]
        conn.executemany("INSERT INTO entries (transfer_id, account_id, amount, balance_after, time, kind)"
                         " VALUES (?, ?, ?, ?, '2026-01-01 00:00:00', 'credit')",
                         [(tid, acct, big, after), (tid, fund, -big, -after)])
    conn.execute("COMMIT")
    assert conn.execute("SELECT typeof(balance) FROM accounts WHERE id = ?", (acct,)).fetchone()[0] == "real"
    conn.close()
    return f.holder


def test_verify_reports_an_overflowed_ledger_and_never_dies(tmp_path: Path, capsys) -> None:
    path = tmp_path / "old.db"
    holder = _old_ledger_with_overflow(path)
    led = Ledger(path, clock=frozen_clock)
    try:
        report = led.verify()  # opening it brings it to version 2 (the triggers) without touching rows
        assert led.meta("schema_version") == str(ledger_db.SCHEMA_VERSION)
        with pytest.raises(YibaoError) as e:  # and from now on nothing more goes in
            led.credit(holder, 100)
        assert e.value.code == "INVALID_AMOUNT"
    finally:
        led.close()
    assert not report.ok
    text = "\n".join(report.failures)
    assert f"account P:{holder}: balance" in text and "not an integer" in text
    assert "too large to add up" in text
    code = main(["--json", "--db", str(path), "verify"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["ok"] is False and data["failures"]


def test_opening_a_version_1_ledger_migrates_it(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    _version_1(path)[0].close()
    led = Ledger(path, clock=frozen_clock)
    try:
        assert led.verify().ok
        assert led.meta("schema_version") == str(ledger_db.SCHEMA_VERSION)
        n = led.conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%money%'").fetchone()[0]
        assert n == 10
    finally:
        led.close()
