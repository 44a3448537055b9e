"""Posting: one transfer between two accounts, as two entries with running balances.

Every movement of money is a transfer (debit account, credit account, amount) and its two
entries, each carrying the account's balance after it. A personal account never goes below
zero (``INSUFFICIENT_BALANCE``); amounts outside the limits are ``INVALID_AMOUNT`` whoever asks
(``ledger/limits.py``). Called inside the kernel's write transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
             memo: str = "", ref: str | None = None) -> tuple[int, int]:
    """Post one transfer: both legs, both balances. Returns (transfer id, the balance after of its
    personal account: the one that is not a system account).

    The accounts are locked (``lock_accounts``) and the transfer's time is ``time`` or, when the
    account has a newer entry, that entry's time: an account's entries in (time, id) order are the
    order their running balances were computed in (statements' keyset pages, ``verify``), however
    many writers post to other accounts at once.

    On an engine with row locks (PostgreSQL) the leg on a system account (``system_account``:
    every premium payment credits ``SYS:premium``, every bill ``SYS:provider``; the ledger's
    busiest rows) is posted last, in the commit's round trip (``_post_system_legs``): its row is
    then locked only while the database server finishes the transaction rather than for the whole
    write, and its entry's time is never before that account's newest entry either (it may be later
    than the transfer's when another writer's clock was ahead)."""
    # a withdrawal pays out the whole balance (bounded by the balance limit), anything else
    # is one operation's amount
    check_amount(amount, cap=MAX_BALANCE_FEN if kind == "withdrawal" else MAX_FEN)
    system = {v for k, v in db.known.items() if k.startswith("SYS:")}
    if not db.dialect.for_update or (debit in system) == (credit in system):
        return _transfer_now(db, op_id, kind, debit, credit, amount, time, memo, ref)
    personal, other, sign = (credit, debit, 1) if debit in system else (debit, credit, -1)
    (locked,), ((newest,),) = db.batch(_lock(db, personal), (_NEWEST_ONE, (personal,)))  # one round trip
    balance, account_kind = int(locked[1]), str(locked[2])
    if sign < 0 and account_kind == "personal" and balance < amount:
        raise YibaoError("INSUFFICIENT_BALANCE", balance=fmt(balance), amount=fmt(amount))
    time = max(time, newest or "")
    after = balance + sign * amount
    db.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (sign * amount, personal))
    tid = db.insert(_TRANSFER, (op_id, kind, debit, credit, amount, time, memo, ref))
    db.execute(_ENTRY, (tid, personal, sign * amount, after, time, kind))
    if not db.legs:
        db.before_commit.append(lambda: _post_system_legs(db))
    db.legs.append((tid, other, -sign * amount, time, kind))
    return tid, after


def _post_system_legs(db: Db) -> None:
    """Post the transaction's waiting legs on system accounts, just before its commit, in its
    round trip: each leg's balance update takes the account's row lock (released by the commit a
    moment later, nothing read back in between: the busiest rows of the ledger are held while the
    database server works, never while a client round trip goes by), and its entry reads the
    updated balance and the account's newest entry's time in a statement of its own (in READ
    COMMITTED, a snapshot taken after the lock), never before it."""
    legs, db.legs = db.legs, []
    for tid, acct, amount, time, kind in legs:
        db.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, acct))
        db.execute(_SYSTEM_ENTRY, (tid, amount, time, time, kind, acct, acct))


#: A system leg's entry: the account's balance after (just updated), its time that of the
#: transfer or, when the account has a newer entry, that entry's.
_SYSTEM_ENTRY = (
    "INSERT INTO entries (transfer_id, account_id, amount, balance_after, time, kind)"
    " SELECT ?, a.id, ?, a.balance, CASE WHEN n.t IS NULL OR ? >= n.t THEN ? ELSE n.t END, ?"
    " FROM accounts a, (SELECT MAX(time) AS t FROM entries WHERE account_id = ?) n WHERE a.id = ?"
)


def _transfer_now(db: Db, op_id: int | None, kind: str, debit: int, credit: int, amount: int, time: str,
                  memo: str, ref: str | None) -> tuple[int, int]:
    """Both legs at once, both accounts locked first (SQLite, whose writer is alone; on PostgreSQL
    a transfer that is not between one personal and one known system account)."""
    locked, newest = db.batch(_lock(db, debit, credit), (_NEWEST, (debit, credit)))
    accounts = _by_id(locked)
    (balance, account_kind), (credit_balance, _) = accounts[debit], accounts[credit]
    if account_kind == "personal" and balance < amount:
        raise YibaoError("INSUFFICIENT_BALANCE", balance=fmt(balance), amount=fmt(amount))
    time = max(time, newest[0][0] or "", newest[0][1] or "")
    d_after, c_after = balance - amount, credit_balance + amount  # from the locked balances
    db.execute("UPDATE accounts SET balance = balance - ? WHERE id = ?", (amount, debit))
    db.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, credit))
    tid = db.insert(_TRANSFER, (op_id, kind, debit, credit, amount, time, memo, ref))
    db.executemany(_ENTRY, [(tid, debit, -amount, d_after, time, kind), (tid, credit, amount, c_after, time, kind)])
    return tid, (d_after if account_kind == "personal" else c_after)


_TRANSFER = ("INSERT INTO transfers (op_id, kind, debit_account, credit_account, amount, time, memo, ref)"
             " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
_ENTRY = "INSERT INTO entries (transfer_id, account_id, amount, balance_after, time, kind) VALUES (?, ?, ?, ?, ?, ?)"
#: The newest entry's time of two accounts; of one.
_NEWEST = ("SELECT (SELECT MAX(time) FROM entries WHERE account_id = ?),"
           " (SELECT MAX(time) FROM entries WHERE account_id = ?)")
_NEWEST_ONE = "SELECT MAX(time) FROM entries WHERE account_id = ?"


def _lock(db: Db, *ids: int) -> tuple[str, tuple[int, ...]]:
    """``lock_accounts``' statement."""
    lock = db.dialect.for_update  # on SQLite (no row locks) no order to keep either
    return (f"SELECT id, balance, kind FROM accounts WHERE id IN ({', '.join('?' * len(ids))})"
            + (f" ORDER BY kind = 'system', id{lock}" if lock else ""), ids)


def _by_id(rows: list[Any]) -> dict[int, tuple[int, str]]:
    return {int(r[0]): (int(r[1]), str(r[2])) for r in rows}


def lock_accounts(db: Db, *ids: int) -> dict[int, tuple[int, str]]:
    """Lock accounts for the rest of the transaction (``Dialect.for_update``); their (balance,
    kind) by id. Always in one order, personal accounts before system ones, each by id: writers
    never wait on each other in a circle, and the system accounts every payment credits (the
    ledger's busiest rows) are held for the shortest time."""
    return _by_id(db.all(*_lock(db, *ids)))


def system_account(db: Db, code: str) -> int:
    """The id of system account ``SYS:code`` (fund, provider, premium, withdrawal, opening), read
    once per connection (a system account is never removed nor renumbered)."""
    key = f"SYS:{code}"
    found = db.known.get(key)
    if found is None:
        found = db.known[key] = int(db.one("SELECT id FROM accounts WHERE code = ?", (key,))[0])
    return int(found)


#: A person's account: id, balance, status.
ACCOUNT_SQL = "SELECT id, balance, status FROM accounts WHERE person_id = ?"


def account(db: Db, pid: str, lock: bool = False) -> tuple[int, int, str]:
    """A person's account: (id, balance, status); ``NOT_EMPLOYEE_INSURED`` when there is none.
    ``lock``: locked for the rest of the write transaction (its balance cannot change under it)."""
    row = db.one(ACCOUNT_SQL + (db.dialect.for_update if lock else ""), (pid,))
    if row is None:
        raise YibaoError("NOT_EMPLOYEE_INSURED", id=pid)
    return int(row[0]), int(row[1]), str(row[2])
