"""Amount limits the ledger enforces on every write, whoever calls it (CLI, app, server, import).

Two layers. In Python, before anything is posted: an amount is an ``int`` (never a bool or a
float), more than zero and at most ¥10,000,000 per operation (``MAX_FEN``), and no balance may
leave ``±MAX_BALANCE_FEN``. In the schema, as a backstop for any writer (a raw SQL session, a
future bug): triggers refuse a money column that is not an integer or is out of bounds. SQLite
silently turns an integer that overflows 64 bits into a float (``9.9e18``); the triggers make
that an error instead. They are triggers rather than column CHECKs because a CHECK cannot be
added to an existing table without rebuilding it (and a rebuild would refuse to open a ledger
that already holds such a float: ``verify`` reports those).
"""

from __future__ import annotations

from typing import Any

from yibao_tui.domain.errors import Msg, YibaoError
from yibao_tui.domain.money import MAX_FEN, format_fen

#: Largest balance any account (personal or system) may reach, either sign: 2**53 - 1 fen keeps
#: every figure exact in JSON and far from SQLite's 64-bit limit even summed over many accounts.
MAX_BALANCE_FEN = 2**53 - 1
#: What every trigger's message starts with (``db.translate`` recognises it).
MARK = "amount limit"


def _money(table: str, when: str) -> str:
    return "\n".join(
        f"CREATE TRIGGER IF NOT EXISTS {table}_money_{event.lower()} BEFORE {event} ON {table}\n"
        f"WHEN {when}\nBEGIN SELECT RAISE(ABORT, '{MARK}: {table}'); END;"
        for event in ("INSERT", "UPDATE")
    )


def _int_in(col: str, lo: str, hi: int = MAX_BALANCE_FEN) -> str:
    return f"typeof(NEW.{col}) <> 'integer' OR NEW.{col} < {lo} OR NEW.{col} > {hi}"


SCHEMA = "\n".join(
    [
        "",
        _money("accounts", _int_in("balance", str(-MAX_BALANCE_FEN))),
        _money("transfers", _int_in("amount", "1")),
        _money("entries", _int_in("amount", str(-MAX_BALANCE_FEN)) + " OR NEW.amount = 0 OR "
               + _int_in("balance_after", str(-MAX_BALANCE_FEN))),
        _money("premium_payments", _int_in("amount", "1")),
        _money("withdrawals", _int_in("amount", "1")),
        "",
    ]
)


def _bad(reason: str, **params: Any) -> YibaoError:
    return YibaoError("INVALID_AMOUNT", reason=Msg(f"reason.amount.{reason}", **params), reason_code=reason)


def check_amount(amount: object, *, allow_zero: bool = False, cap: int = MAX_FEN) -> int:
    """``amount`` as an operation's fen: an ``int``, positive (or zero), at most ``cap``."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise _bad("format", value=str(amount)[:40])
    if amount < 0:
        raise _bad("negative")
    if amount == 0 and not allow_zero:
        raise _bad("zero")
    if amount > cap:
        raise _bad("too_large")
    return amount


def out_of_range() -> YibaoError:
    """What a write refused by the schema's money triggers answers (a balance pushed past
    ``±MAX_BALANCE_FEN``, or a non-integer amount from any writer)."""
    return _bad("balance_limit", limit=format_fen(MAX_BALANCE_FEN))
