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
import sqlite3

from yibao_tui.domain.errors import YibaoError

SCHEMA = """
CREATE TABLE IF NOT EXISTS operators (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('clerk', 'supervisor')),
    pw_hash       TEXT NOT NULL,
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    created_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS card_pins (
    person_id     TEXT PRIMARY KEY REFERENCES persons(id),
    pin_hash      TEXT NOT NULL,
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    set_at        TEXT NOT NULL
);
"""

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


def check_password(password: str) -> str:
    """At least 8 characters."""
    if len(password) < 8:
        raise YibaoError("INVALID_ARGUMENT", detail="password: at least 8 characters")
    return password


def check_pin(pin: str) -> str:
    """Six digits."""
    value = str(pin).strip()
    if not (len(value) == 6 and value.isdigit()):
        raise YibaoError("INVALID_ARGUMENT", detail="PIN: 6 digits")
    return value


def _parse(ts: str) -> dt.datetime:
    return dt.datetime.strptime(ts, "%Y-%m-%d %H:%M:%S")


def _fmt(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def attempt(
    conn: sqlite3.Connection,
    table: str,
    key_col: str,
    key: str,
    secret: str,
    now: str,
    max_failures: int,
    lock: dt.timedelta,
    locked_code: str,
    bad_code: str,
) -> sqlite3.Row | tuple[object, ...]:
    """One login attempt inside a write transaction: lockout, check, count."""
    row = conn.execute(
        f"SELECT * FROM {table} WHERE {key_col} = ?", (key,)  # noqa: S608 - table names are constants
    ).fetchone()
    if row is None:
        raise YibaoError(bad_code)
    cols = [d[0] for d in conn.execute(f"SELECT * FROM {table} LIMIT 0").description]
    rec = dict(zip(cols, row, strict=True))
    if rec.get("disabled_at"):  # a disabled operator: the refusal of an unknown one
        raise YibaoError(bad_code)
    if rec["locked_until"] and rec["locked_until"] > now:
        raise YibaoError(locked_code, until=rec["locked_until"][11:16])
    stored = rec["pw_hash"] if "pw_hash" in rec else rec["pin_hash"]
    if check_secret(secret, stored):
        conn.execute(f"UPDATE {table} SET failures = 0, locked_until = NULL WHERE {key_col} = ?", (key,))
        return row
    failures = int(rec["failures"]) + 1
    if failures >= max_failures:
        until = _fmt(_parse(now) + lock)
        conn.execute(f"UPDATE {table} SET failures = 0, locked_until = ? WHERE {key_col} = ?", (until, key))
        raise _Deferred(YibaoError(locked_code, until=until[11:16]))
    conn.execute(f"UPDATE {table} SET failures = ? WHERE {key_col} = ?", (failures, key))
    raise _Deferred(YibaoError(bad_code, left=max_failures - failures))


class _Deferred(Exception):
    """A refusal whose counter update must still be committed."""

    def __init__(self, error: YibaoError) -> None:
        self.error = error
        super().__init__(error.code)
