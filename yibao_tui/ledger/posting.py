"""Posting: one transfer between two accounts, as two entries with running balances.

Every movement of money is a transfer (debit account, credit account, amount) and its two
entries, each carrying the account's balance after it. A personal account never goes below
zero (``INSUFFICIENT_BALANCE``); amounts outside the limits are ``INVALID_AMOUNT`` whoever asks
(``ledger/limits.py``). Called inside the kernel's write transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.money import MAX_FEN
from yibao_tui.ledger.limits import MAX_BALANCE_FEN, check_amount

if TYPE_CHECKING:
    from yibao_tui.ledger.dialect import Db


def fmt(fen: int) -> str:
    """An amount as shown in a refusal."""
    from yibao_tui.domain.money import format_fen

    return format_fen(fen)


def transfer(db: Db, op_id: int | None, kind: str, debit: int, credit: int, amount: int, time: str,
             memo: str = "", ref: str | None = None) -> tuple[int, int, int]:
    """Post one transfer: both legs, both balances. Returns (transfer id, debit balance after,
    credit balance after)."""
    # a withdrawal pays out the whole balance (bounded by the balance limit), anything else
    # is one operation's amount
    check_amount(amount, cap=MAX_BALANCE_FEN if kind == "withdrawal" else MAX_FEN)
    row = db.one("SELECT balance, kind FROM accounts WHERE id = ?" + db.dialect.for_update, (debit,))
    if row[1] == "personal" and row[0] < amount:
        raise YibaoError("INSUFFICIENT_BALANCE", balance=fmt(row[0]), amount=fmt(amount))
    tid = db.insert(
        "INSERT INTO transfers (op_id, kind, debit_account, credit_account, amount, time, memo, ref)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (op_id, kind, debit, credit, amount, time, memo, ref),
    )
    d_after: int = db.one("UPDATE accounts SET balance = balance - ? WHERE id = ? RETURNING balance", (amount, debit))[0]
    c_after: int = db.one("UPDATE accounts SET balance = balance + ? WHERE id = ? RETURNING balance", (amount, credit))[0]
    db.executemany(
        "INSERT INTO entries (transfer_id, account_id, amount, balance_after, time, kind) VALUES (?, ?, ?, ?, ?, ?)",
        [(tid, debit, -amount, d_after, time, kind), (tid, credit, amount, c_after, time, kind)],
    )
    return tid, d_after, c_after


def system_account(db: Db, code: str) -> int:
    """The id of system account ``SYS:code`` (fund, provider, premium, withdrawal, opening)."""
    return int(db.one("SELECT id FROM accounts WHERE code = ?", (f"SYS:{code}",))[0])


def account(db: Db, pid: str) -> tuple[int, int, str]:
    """A person's account: (id, balance, status); ``NOT_EMPLOYEE_INSURED`` when there is none."""
    row = db.one("SELECT id, balance, status FROM accounts WHERE person_id = ?", (pid,))
    if row is None:
        raise YibaoError("NOT_EMPLOYEE_INSURED", id=pid)
    return int(row[0]), int(row[1]), str(row[2])
