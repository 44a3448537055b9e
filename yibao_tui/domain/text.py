"""Free text that reaches terminals, receipts and spreadsheets: names and memos.

Refused at the domain boundary (never cleaned up silently): control characters (Cc), format
characters (Cf: the bidi controls U+202A–202E and U+2066–2069, the zero-width U+200B–200F,
U+FEFF and the rest), line and paragraph separators, surrogates and private-use characters. A
bidi override can make ``exe.txt`` read as ``txt.exe`` on a screen or in a spreadsheet, and an
invisible character makes two names that look the same differ.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from yibao_tui.domain.errors import Msg, YibaoError

MAX_NAME = 64
MAX_MEMO = 200
#: Unicode general categories refused in names and memos.
_REFUSED = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


def hidden_problem(text: str) -> str | None:
    """``"control"`` (a control character or escape sequence), ``"invisible"`` (a bidi control,
    a zero-width or other format character), or ``None`` when the text is clean."""
    for c in text:
        cat = unicodedata.category(c)
        if cat in _REFUSED:
            return "control" if cat == "Cc" else "invisible"
    return None


def _reason(key: str, **params: Any) -> Msg:
    return Msg(key, **params)


def check_name(name: str) -> str:
    """A display name: not empty, no control, bidi or invisible characters, not absurdly long."""
    value = str(name).strip()
    if not value:
        raise YibaoError("INVALID_NAME", reason=_reason("reason.name.empty"), reason_code="empty")
    problem = hidden_problem(value)
    if problem:
        raise YibaoError("INVALID_NAME", reason=_reason(f"reason.name.{problem}"), reason_code=problem)
    if len(value) > MAX_NAME:
        raise YibaoError("INVALID_NAME", reason=_reason("reason.name.too_long", max=MAX_NAME), reason_code="too_long")
    return value


def check_memo(memo: str | None) -> str:
    """A free-text memo: no control, bidi or invisible characters; at most ``MAX_MEMO``
    characters are kept."""
    value = str(memo or "").strip()
    problem = hidden_problem(value)
    if problem:
        raise YibaoError("INVALID_MEMO", reason=_reason(f"reason.name.{problem}"), reason_code=problem)
    return value[:MAX_MEMO]


#: An integer typed in ASCII digits (at most 19), with an optional minus sign.
_ASCII_INT = re.compile(r"[0-9]{1,19}")
_ASCII_SIGNED = re.compile(r"-?[0-9]{1,19}")


def ascii_int(text: object, *, signed: bool = False) -> int:
    """An integer written in ASCII digits (a minus sign only if ``signed``), spaces around it
    allowed. ``int()`` alone also takes full-width ``４２``, Arabic-Indic and other scripts' digits
    and ``1_000``: an identifier or a count written so is a ``ValueError`` here, as is anything
    past 19 digits."""
    value = str(text).strip(" \t")
    if (_ASCII_SIGNED if signed else _ASCII_INT).fullmatch(value) is None:
        raise ValueError(f"not an ASCII integer: {value[:40]!r}")
    return int(value)
