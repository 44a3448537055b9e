"""Checks of what callers hand the ledger (identifiers, years, days, cursors): clear refusals
before any SQL runs. No database here."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from yibao_tui.domain.errors import Msg, YibaoError
from yibao_tui.domain.idnum import fold, is_ascii_alnum, normalise_id, parse_id
from yibao_tui.domain.text import check_name

#: A statement page's ``next_cursor``: the last entry's time and id (ASCII digits only).
_CURSOR = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2})\|([0-9]{1,19})")
_INT64_MAX = 2**63 - 1


def parse_cursor(cursor: str) -> tuple[str, int]:
    """``(time, entry id)`` from a ``next_cursor``; anything else (a wrong shape, an id past
    64-bit integers) is ``INVALID_ARGUMENT``, never an overflow deep in the database."""
    m = _CURSOR.fullmatch(cursor)
    if m is None or int(m.group(2)) > _INT64_MAX:
        raise YibaoError("INVALID_ARGUMENT", detail=Msg("detail.cursor", value=repr(cursor[:40])))
    return m.group(1), int(m.group(2))


def shown(text: str, n: int) -> str:
    """``text`` cut to ``n`` characters, anything but ASCII letters and digits as ``?``: what a
    refusal may echo of an identifier."""
    return "".join(c if is_ascii_alnum(c) else "?" for c in text[:n])


def check_operator(op_id: str, name: str, role: str) -> tuple[str, str]:
    """A new operator's number (folded) and name as they are kept; the role must be one we know."""
    op_id = fold(op_id)
    if not (1 <= len(op_id) <= 32 and is_ascii_alnum(op_id)):
        raise YibaoError("INVALID_ARGUMENT", detail=Msg("detail.operator_id", value=repr(shown(op_id, 32))))
    clean = check_name(name)
    if role not in ("clerk", "supervisor"):
        raise YibaoError("INVALID_ARGUMENT", detail=f"--role {role}")
    return op_id, clean


def check_card(card: str | None) -> str | None:
    """6 to 20 ASCII letters or digits (after NFKC: a full-width number is the same card),
    upper-cased; empty means none."""
    if card is None:
        return None
    value = normalise_id(card)
    if not value:
        return None
    if not (6 <= len(value) <= 20 and is_ascii_alnum(value)):
        raise YibaoError("INVALID_CARD")
    return value


def check_year(year: int | str) -> int:
    """A contribution year between 1990 and 2100."""
    try:
        y = int(year)
    except (TypeError, ValueError):
        raise YibaoError("INVALID_ARGUMENT", detail=f"--year {year}") from None
    if not 1990 <= y <= 2100:
        raise YibaoError("INVALID_ARGUMENT", detail=f"--year {year}")
    return y


def parse_day(value: str | None) -> dt.date | None:
    """``YYYY-MM-DD`` or None."""
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise YibaoError("INVALID_DATE", value=str(value)[:20]) from None


def day_bounds(d_from: dt.date | None, d_to: dt.date | None) -> tuple[str | None, str | None]:
    """The half-open time range ``[lo, hi)`` that covers whole days ``d_from``..``d_to``
    (``None`` where that end is open), in the ledger's time format."""
    lo = f"{d_from.isoformat()} 00:00:00" if d_from else None
    hi = f"{(d_to + dt.timedelta(days=1)).isoformat()} 00:00:00" if d_to else None
    return lo, hi


@lru_cache(maxsize=4096)
def valid_id(raw: str, today: dt.date) -> str:
    """``parse_id(raw).value``, remembered: a counter looks the same people up again and again
    (a refusal raises, and is not cached)."""
    return parse_id(raw, today=today).value


def id_reason(reason: str) -> Msg:
    """Why an ID number is refused (rendered at the edge, in the language of that call)."""
    return Msg(f"reason.id.{reason}")
