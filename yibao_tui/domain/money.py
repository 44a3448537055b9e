"""Money is integer fen (分) end to end. Parsing and formatting live here only."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from yibao_tui.domain.errors import Msg, YibaoError

FEN_PER_YUAN = 100
#: ¥10,000,000: anything above is a typo, not a medical bill.
MAX_FEN = 10_000_000 * FEN_PER_YUAN

_AMOUNT = re.compile(r"^(?P<int>\d+|\d{1,3}(?:,\d{3})+)(?:\.(?P<frac>\d*))?$")
_PREFIXES = ("¥", "￥", "RMB", "CNY", "元")


def _bad(reason: str, **params: Any) -> YibaoError:
    return YibaoError("INVALID_AMOUNT", reason=Msg(f"reason.amount.{reason}", **params), reason_code=reason)


def parse_amount(text: str | int, *, allow_zero: bool = False) -> int:
    """Parse ``400``, ``400.00``, ``¥400``, ``1,234.5`` (full-width too) into fen.

    Raises ``YibaoError("INVALID_AMOUNT")`` for empty, negative, zero (unless ``allow_zero``),
    more than two decimals, NaN/inf or anything not a plain amount, and above ¥10,000,000.
    """
    if isinstance(text, bool):
        raise _bad("format", value=str(text))
    if isinstance(text, int):
        raw = str(text)
    else:
        raw = unicodedata.normalize("NFKC", str(text)).strip()
    if not raw:
        raise _bad("empty")
    s = raw.replace(" ", "")
    if s.startswith(("-", "−")):
        raise _bad("negative")
    if s.startswith("+"):
        s = s[1:]
    for prefix in _PREFIXES:
        if s.upper().startswith(prefix):
            s = s[len(prefix) :]
            break
    if s.endswith("元"):
        s = s[:-1]
    if s.startswith("-"):
        raise _bad("negative")
    m = _AMOUNT.match(s)
    if not m:
        raise _bad("format", value=raw[:40])
    frac = m.group("frac") or ""
    if len(frac) > 2:
        raise _bad("decimals")
    whole = m.group("int").replace(",", "")
    if len(whole) > 12:
        raise _bad("too_large")
    fen = int(whole) * FEN_PER_YUAN + int((frac + "00")[:2])
    if fen > MAX_FEN:
        raise _bad("too_large")
    if fen == 0 and not allow_zero:
        raise _bad("zero")
    return fen


def format_fen(fen: int, *, symbol: bool = True) -> str:
    """``123456`` → ``¥1,234.56``; negative amounts get a leading minus."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{'¥' if symbol else ''}{yuan:,}.{cents:02d}"


def fen_to_plain(fen: int) -> str:
    """``123456`` → ``1234.56`` (for CSV: no symbol, no grouping)."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{yuan}.{cents:02d}"
