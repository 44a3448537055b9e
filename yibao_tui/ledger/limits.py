"""Amount limits the ledger enforces on every write, whoever calls it (CLI, app, server, import).

Two layers. In Python, before anything is posted: an amount is an ``int`` (never a bool or a
float), more than zero and at most ¥10,000,000 per operation (``MAX_FEN``), and no balance may
leave ``±MAX_BALANCE_FEN``. In the schema, as a backstop for any writer (a raw SQL session, a
future bug): the schema's money bounds (``schema.MONEY``, rendered by each dialect) refuse a money
column that is not an integer or is out of bounds. SQLite silently turns an integer that
overflows 64 bits into a float (``9.9e18``); its triggers make that an error instead (``verify``
reports a ledger that already holds such a float).
"""

from __future__ import annotations

from typing import Any

from yibao_tui.domain.errors import Msg, YibaoError
from yibao_tui.domain.money import MAX_FEN, format_fen

#: Largest balance any account (personal or system) may reach, either sign: 2**53 - 1 fen keeps
#: every figure exact in JSON and far from SQLite's 64-bit limit even summed over many accounts.
MAX_BALANCE_FEN = 2**53 - 1
#: What every money bound's refusal starts with (the dialects' ``translate`` recognises it).
MARK = "amount limit"


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
