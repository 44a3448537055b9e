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
    credit balance after).

    Both accounts are locked first (``lock_accounts``), and the transfer's time is ``time`` or,
    when either account has a newer entry, that entry's time: an account's entries in (time, id)
    order are the order their running balances were computed in (statements' keyset pages,
    ``verify``), however many writers post to other accounts at once."""
    # a withdrawal pays out the whole balance (bounded by the balance limit), anything else
    # is one operation's amount
    check_amount(amount, cap=MAX_BALANCE_FEN if kind == "withdrawal" else MAX_FEN)
    locked = lock_accounts(db, debit, credit)
    balance, account_kind = locked[debit]
    if account_kind == "personal" and balance < amount:
        raise YibaoError("INSUFFICIENT_BALANCE", balance=fmt(balance), amount=fmt(amount))
    newest = db.one("SELECT (SELECT MAX(time) FROM entries WHERE account_id = ?),"
                    " (SELECT MAX(time) FROM entries WHERE account_id = ?)", (debit, credit))
    time = max(time, newest[0] or "", newest[1] or "")
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


def lock_accounts(db: Db, *ids: int) -> dict[int, tuple[int, str]]:
    """Lock accounts for the rest of the transaction (``Dialect.for_update``); their (balance,
    kind) by id. Always in one order, personal accounts before system ones, each by id: writers
    never wait on each other in a circle, and the system accounts every payment credits (the
    ledger's busiest rows) are held for the shortest time."""
    lock = db.dialect.for_update  # on SQLite (no row locks) no order to keep either
    rows = db.all(f"SELECT id, balance, kind FROM accounts WHERE id IN ({', '.join('?' * len(ids))})"
                  + (f" ORDER BY kind = 'system', id{lock}" if lock else ""), ids)
    return {int(r[0]): (int(r[1]), str(r[2])) for r in rows}


def system_account(db: Db, code: str) -> int:
    """The id of system account ``SYS:code`` (fund, provider, premium, withdrawal, opening), read
    once per connection (a system account is never removed nor renumbered)."""
    key = f"SYS:{code}"
    found = db.known.get(key)
    if found is None:
        found = db.known[key] = int(db.one("SELECT id FROM accounts WHERE code = ?", (key,))[0])
    return int(found)


def account(db: Db, pid: str, lock: bool = False) -> tuple[int, int, str]:
    """A person's account: (id, balance, status); ``NOT_EMPLOYEE_INSURED`` when there is none.
    ``lock``: locked for the rest of the write transaction (its balance cannot change under it)."""
    row = db.one("SELECT id, balance, status FROM accounts WHERE person_id = ?"
                 + (db.dialect.for_update if lock else ""), (pid,))
    if row is None:
        raise YibaoError("NOT_EMPLOYEE_INSURED", id=pid)
    return int(row[0]), int(row[1]), str(row[2])
