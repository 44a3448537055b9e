"""Operators (工号 + password) and card PINs: hashes only, lockouts kept in the ledger.

Passwords and PINs are hashed with scrypt (stdlib ``hashlib.scrypt``). Five wrong passwords lock
an operator for 15 minutes; three wrong PINs lock a card for 30 minutes. The counters live in the
ledger, so restarting a kiosk does not reset them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from yibao_tui.domain.errors import Msg, YibaoError

if TYPE_CHECKING:
    from yibao_tui.ledger.dialect import Db

OPERATOR_MAX_FAILURES = 5
OPERATOR_LOCK = dt.timedelta(minutes=15)
PIN_MAX_FAILURES = 3
PIN_LOCK = dt.timedelta(minutes=30)
_N, _R, _P = 2**14, 8, 1


def hash_secret(secret: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (hex)."""
    salt = secrets.token_bytes(16)
    h = hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${h.hex()}"


def check_secret(secret: str, stored: str) -> bool:
    """Constant-time comparison against a stored hash."""
    try:
        _, n, r, p, salt, h = stored.split("$")
        got = hashlib.scrypt(secret.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), h)


MIN_PASSWORD = 8


def _t(key: str, **params: object) -> Msg:
    return Msg(key, **params)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of too-common passwords (``common_passwords.txt``), lower-cased."""
    text = resources.files("yibao_tui.ledger").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _weak(kind: str, reason: str) -> YibaoError:
    return YibaoError("WEAK_SECRET", reason=_t(f"reason.{kind}.{reason}"), reason_code=reason)


def trivial(value: str) -> str | None:
    """Why ``value`` is guessable at once: ``"repeated"`` (one character, or a pattern of two or
    three repeated: ``121212``, ``123123``), ``"sequence"`` (each character one up or one down
    from the last, digits wrapping: ``123456``, ``654321``, ``890123``, ``abcdefgh``), else
    ``None``."""
    n = len(value)
    if n < 2:
        return None
    for period in (1, 2, 3):
        if n > period and all(value[i] == value[i % period] for i in range(n)):
            return "repeated"
    steps = {(ord(b) - ord(a)) % (10 if value.isdigit() else 0x110000) for a, b in zip(value, value[1:], strict=False)}
    if steps in ({1}, {9 if value.isdigit() else 0x10FFFF}):
        return "sequence"
    return None


def check_password(password: str, op_id: str | None = None) -> str:
    """At least ``MIN_PASSWORD`` characters (``INVALID_ARGUMENT``), not a too-common one, not a
    repeated or sequential run, not the operator number (``WEAK_SECRET``)."""
    if len(password) < MIN_PASSWORD:
        raise YibaoError("INVALID_ARGUMENT", detail=_t("reason.password.short", n=MIN_PASSWORD),
                         reason_code="short")
    low = unicodedata.normalize("NFKC", password).lower()
    if low in common_passwords():
        raise _weak("password", "common")
    problem = trivial(low)
    if problem:
        raise _weak("password", problem)
    if op_id and len(op_id) >= 3 and op_id.lower() in low:
        raise _weak("password", "operator")
    return password


def birth_forms(birth: dt.date) -> frozenset[str]:
    """The six-digit PINs a birth date suggests: YYMMDD, MMDDYY, DDMMYY, YYYYMM, MMYYYY."""
    y, yy, m, d = f"{birth.year:04d}", f"{birth.year % 100:02d}", f"{birth.month:02d}", f"{birth.day:02d}"
    return frozenset({yy + m + d, m + d + yy, d + m + yy, y + m, m + y})


def check_pin(pin: str, birth: dt.date | None = None) -> str:
    """Six ASCII digits (``INVALID_ARGUMENT``; full-width digits are folded first), not trivial:
    repeated or sequential, a common PIN, or the holder's birth date (``birth``: from the ID
    number) in any usual form, or starting or ending with its month and day (``WEAK_SECRET``)."""
    value = unicodedata.normalize("NFKC", str(pin)).strip()
    if not (len(value) == 6 and value.isascii() and value.isdigit()):
        raise YibaoError("INVALID_ARGUMENT", detail=_t("reason.pin.format"), reason_code="format")
    problem = trivial(value)
    if problem:
        raise _weak("pin", problem)
    if value in COMMON_PINS:
        raise _weak("pin", "common")
    if birth is not None:
        mmdd = f"{birth.month:02d}{birth.day:02d}"
        if value in birth_forms(birth) or value.startswith(mmdd) or value.endswith(mmdd):
            raise _weak("pin", "birth")
    return value


#: Six-digit PINs that top every published frequency list and are not runs or repeats.
COMMON_PINS = frozenset({"112233", "123321", "520520", "520131", "521521", "131420", "147258", "258369",
                         "159357", "147369", "111222", "000123", "123654", "654123", "102030", "100200",
                         "112358", "789456", "456789", "987654", "778899", "998877", "369258", "741852",
                         "852963", "666888", "888666", "168168", "518518", "201314", "123000", "123457"})


def _parse(ts: str) -> dt.datetime:
    return dt.datetime.strptime(ts, "%Y-%m-%d %H:%M:%S")


def _fmt(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def attempt(
    db: Db,
    table: str,
    key_col: str,
    key: str,
    secret: str,
    now: str,
    max_failures: int,
    lock: dt.timedelta,
    locked_code: str,
    bad_code: str,
) -> Any:
    """One login attempt inside a write transaction: lockout, check, count."""
    # the row locked (PostgreSQL): concurrent attempts count one after another, none is lost
    cur = db.execute(
        f"SELECT * FROM {table} WHERE {key_col} = ?{db.dialect.for_update}", (key,)  # noqa: S608 - constants
    )
    row = cur.fetchone()
    cols = [d[0] for d in cur.description]  # read after the row: a pipelined cursor has none before
    rec = dict(zip(cols, row, strict=True)) if row is not None else {}
    found = row is not None and not rec.get("disabled_at")
    if not found:
        if table != "operators":
            raise YibaoError(bad_code)
        # an operator number that does not exist (or is disabled) answers exactly as a wrong
        # password does: the same tries left, the same lockout, the same scrypt time
        db.execute("INSERT INTO operator_unknown (id) VALUES (?) ON CONFLICT (id) DO NOTHING", (key,))
        table, key_col = "operator_unknown", "id"
        cur = db.execute("SELECT * FROM operator_unknown WHERE id = ?" + db.dialect.for_update, (key,))
        row = cur.fetchone()
        cols = [d[0] for d in cur.description]
        rec = dict(zip(cols, row, strict=True))
    if rec["locked_until"] and rec["locked_until"] > now:
        raise YibaoError(locked_code, until=rec["locked_until"][11:16])
    stored = rec.get("pw_hash") or rec.get("pin_hash") or _dummy_hash()
    if check_secret(secret, stored) and found:
        db.execute(f"UPDATE {table} SET failures = 0, locked_until = NULL WHERE {key_col} = ?", (key,))
        return row
    failures = int(rec["failures"]) + 1
    if failures >= max_failures:
        until = _fmt(_parse(now) + lock)
        db.execute(f"UPDATE {table} SET failures = 0, locked_until = ? WHERE {key_col} = ?", (until, key))
        raise _Deferred(YibaoError(locked_code, until=until[11:16]))
    db.execute(f"UPDATE {table} SET failures = ? WHERE {key_col} = ?", (failures, key))
    raise _Deferred(YibaoError(bad_code, left=max_failures - failures))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash no password matches in practice, checked for unknown operators (equal timing)."""
    return hash_secret(secrets.token_hex(16))


class _Deferred(Exception):
    """A refusal whose counter update must still be committed."""

    def __init__(self, error: YibaoError) -> None:
        self.error = error
        super().__init__(error.code)
