"""Resident ID numbers (公民身份号码, GB 11643-1999).

We validate length, format, province, birth date (real, not in the future) and the ISO 7064
MOD 11-2 check character. We deliberately do **not** call ``stdnum.cn.ric.validate()``: it refuses
valid numbers whose county code is younger than the holder (DOMAIN.md §1). An unknown county inside
a known province is never a refusal.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from yibao_tui.domain.errors import Msg, YibaoError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
PROVINCES = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37]
    + [41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83]
)
#: ASCII only: ``\d`` would also take full-width, Arabic-Indic or Bengali digits.
_FORMAT = re.compile(r"^[0-9]{17}[0-9X]$")
_ASCII_ALNUM = re.compile(r"^[0-9A-Za-z]*$")


def check_char(first17: str) -> str:
    """The check character for the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A validated 18-character ID number and what it tells."""

    value: str
    birth_date: dt.date
    sex: str  # "M" or "F"
    province: str  # two digits

    def age(self, on: dt.date) -> int:
        """Whole years of age on ``on``."""
        b = self.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))

    def __str__(self) -> str:
        return self.value


def _fail(reason: str, **params: Any) -> YibaoError:
    return YibaoError("INVALID_ID_NUMBER", reason=Msg(f"reason.id.{reason}", **params), reason_code=reason)


def fold(text: object) -> str:
    """An identifier as typed, folded to one spelling: Unicode NFKC (full-width ``４４０３`` →
    ``4403``), every space removed. Other scripts' digits (Arabic-Indic, Bengali, …) are not
    folded: the identifier rules then refuse them."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


def is_ascii_alnum(text: str) -> bool:
    """Only ``0-9``, ``A-Z`` and ``a-z`` (``str.isalnum``/``isdigit`` take any script's)."""
    return _ASCII_ALNUM.match(text) is not None


def normalise_id(text: str) -> str:
    """The one spelling of an ID number: :func:`fold`, then upper-case (a trailing ``x``)."""
    return fold(text).upper()


def parse_id(text: str, *, today: dt.date | None = None) -> IdNumber:
    """Validate ``text`` as an ID number or raise ``INVALID_ID_NUMBER`` saying why."""
    value = normalise_id(text)
    if not value:
        raise _fail("empty")
    if len(value) != 18:
        raise _fail("length", n=len(value))
    if not _FORMAT.match(value):
        raise _fail("format")
    if int(value[:2]) not in PROVINCES:
        raise _fail("province", code=value[:2])
    ymd = value[6:14]
    try:
        birth = dt.date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:8]))
    except ValueError:
        raise _fail("birth_date", date=ymd) from None
    if birth.year < 1880:
        raise _fail("birth_date", date=ymd)
    if birth > (today or dt.date.today()):
        raise _fail("birth_future", date=ymd)
    expected = check_char(value[:17])
    if value[17] != expected:
        raise _fail("check_digit", expected=expected)
    sex = "M" if int(value[16]) % 2 == 1 else "F"
    return IdNumber(value=value, birth_date=birth, sex=sex, province=value[:2])


def id_problem(text: str, *, today: dt.date | None = None) -> str | None:
    """For live feedback while typing: ``None`` if valid, else the reason in the user's language."""
    try:
        parse_id(text, today=today)
    except YibaoError as e:
        return str(e.params.get("reason", e.code))
    return None


def make_id(region: str, birth: dt.date, seq: int) -> str:
    """Build a valid number (demo data, tests): region code + birth date + 3-digit sequence."""
    first17 = f"{region}{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + check_char(first17)
