"""What a self-service channel (a personal token, a kiosk) may learn and do about other people.

- **Uniform refusals.** To a personal or kiosk principal, "no such person" and "not bound to you"
  are one answer, ``NOT_AVAILABLE`` (and at a kiosk's card login, an unknown card, one without a
  PIN or a locked one is ``BAD_PIN``, like a wrong PIN, and none of them says how many tries are
  left), so that
  walking ID or card numbers tells nobody who exists. Staff tokens keep the precise codes.
- **Rate limit.** Each self-service token has a sliding window: at most ``RATE_LIMIT`` refused or
  enumeration-prone calls (a binding request) in ``RATE_WINDOW`` seconds; past it every request of
  that token is answered 429 ``RATE_LIMITED`` with ``Retry-After`` until the oldest leaves the
  window. Kept in the ledger file (``http_rate_events``), so that every server process on one
  ledger shares the window and a restart does not reset it.
- **Binding with a proof.** ``face`` and ``letter`` are recorded by staff; an app or a kiosk
  asks instead (``POST /v1/persons/{me}/binding-requests``) and the relative's own session
  confirms (``.../binding-requests/{id}/confirm``), which binds with ``verified_by: face`` (the
  relative has proved who they are; a relative under 16 is bound at the counter). The request's
  answer is the same whether the relative exists or not; every identity in these answers is
  masked.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from yibao_tui.domain.errors import YibaoError, card_login_refusal
from yibao_tui.domain.masking import mask_card, mask_id, mask_name
from yibao_tui.server.auth import Clock, Principal, connect

#: Refused or enumeration-prone calls a self-service token may make in ``RATE_WINDOW`` seconds.
RATE_LIMIT = 20
RATE_WINDOW = 300.0
#: To a self-service principal, these refusals are all ``NOT_AVAILABLE``.
HIDDEN_CODES = frozenset({"UNKNOWN_PERSON", "NOT_BOUND", "NO_PIN"})
#: A kiosk's card login gets ``domain.errors.card_login_refusal``: one ``BAD_PIN`` (variant
#: ``uniform``) for an unknown card, a card without a PIN, a wrong PIN and a locked card. The
#: holder learns more at a service window, where a clerk who has seen their ID sets a new PIN
#: (which ends the lock).
#: Codes that do not count against the rate limit (the caller's own condition, not a probe).
NOT_COUNTED = frozenset({"RATE_LIMITED", "IN_PROGRESS", "SESSION_EXPIRED", "DATABASE_BUSY",
                         "DATABASE_CORRUPT", "DATABASE_UNAVAILABLE", "INTERNAL"})
#: A binding request not confirmed within this many seconds lapses.
REQUEST_TTL = 7 * 24 * 3600.0


def self_service(principal: Principal) -> bool:
    """A personal token, a kiosk device or a kiosk card session."""
    return principal.role in ("personal", "kiosk")


def uniform(err: YibaoError, principal: Principal, op_name: str) -> YibaoError:
    """The refusal a self-service principal is given for ``err``."""
    if not self_service(principal):
        return err
    if op_name == "kioskLogin":
        return card_login_refusal(err)
    if err.code in HIDDEN_CODES:
        return YibaoError("NOT_AVAILABLE")
    return err


_RATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS http_rate_events (
    token_id INTEGER NOT NULL,
    at       REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS http_rate_events_token ON http_rate_events (token_id, at);
CREATE INDEX IF NOT EXISTS http_rate_events_at ON http_rate_events (at);
"""


class RateLimiter:
    """A sliding window of counted events per token, kept in the ledger file beside the tokens:
    every server process on one ledger counts against the same window, and a restart does not
    reset it."""

    def __init__(self, path: str, clock: Clock, limit: int = RATE_LIMIT, window: float = RATE_WINDOW) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self._conn = connect(path)
        self._lock = threading.Lock()
        with self._lock:
            self._conn.create(_RATE_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def check(self, token_id: int) -> None:
        """``RATE_LIMITED`` (with ``retry_after`` seconds) when the token is over its limit."""
        now = self.clock()
        with self._lock:
            count, oldest = self._conn.execute(
                "SELECT COUNT(*), MIN(at) FROM http_rate_events WHERE token_id = ? AND at > ?",
                (token_id, now - self.window)).fetchone()
        if count >= self.limit:
            wait = self.window - (now - oldest)
            raise YibaoError("RATE_LIMITED", retry_after=max(1, int(wait + 0.999)))

    def hit(self, token_id: int) -> None:
        """Count one event for the token (and forget every event that has left the window)."""
        now = self.clock()
        with self._lock, self._conn.transaction("http_rate_events") as db:
            db.execute("DELETE FROM http_rate_events WHERE at <= ?", (now - self.window,))
            db.execute("INSERT INTO http_rate_events (token_id, at) VALUES (?, ?)", (token_id, now))


_SCHEMA = """
CREATE TABLE IF NOT EXISTS http_binding_requests (
    id              INTEGER PRIMARY KEY,
    holder_id       TEXT NOT NULL,
    relative_id     TEXT NOT NULL,
    relative_ref    TEXT NOT NULL,
    relation        TEXT NOT NULL,
    pledge_accepted INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'declined')),
    created_at      REAL NOT NULL,
    expires_at      REAL NOT NULL,
    decided_at      REAL,
    binding_id      INTEGER
);
CREATE INDEX IF NOT EXISTS http_binding_requests_relative ON http_binding_requests (relative_id, status);
CREATE INDEX IF NOT EXISTS http_binding_requests_holder ON http_binding_requests (holder_id, status);
"""


_COLUMNS = ("id, holder_id, relative_id, relative_ref, relation, pledge_accepted, status, created_at,"
            " expires_at, decided_at, binding_id")


def mask_ref(ref: str) -> str:
    """An ID number or a card number as typed, masked."""
    return mask_id(ref) if len(ref) == 18 else mask_card(ref)


def masked_request(row: tuple[Any, ...], now: float, viewer: str) -> dict[str, Any]:
    """A request as a self-service principal sees it: identities masked. To the holder the
    relative is shown as the holder typed it (so that an answer does not tell whether a card
    number belongs to someone)."""
    rid, holder, relative, ref, relation, _pledge, status, created, expires, _decided, _binding = row
    if status == "pending" and now >= expires:
        status = "expired"
    outgoing = holder == viewer
    return {"id": rid, "holder_id": mask_id(holder), "relative_id": mask_ref(ref) if outgoing else mask_id(relative),
            "relation": relation, "status": status, "created_at": created, "expires_at": expires,
            "direction": "outgoing" if outgoing else "incoming"}


class BindingRequests:
    """Pending self-service binding requests, in the ledger file (the server's table)."""

    def __init__(self, path: str, clock: Clock) -> None:
        self.clock = clock
        self._conn = connect(path)
        self._lock = threading.Lock()
        with self._lock:
            self._conn.create(_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def _write(self, sql: str, args: tuple[Any, ...]) -> int:
        """One statement in its own transaction: an ``INSERT … RETURNING id``'s id, else the rows changed."""
        with self._lock, self._conn.transaction("http_binding_requests") as db:
            cur = db.execute(sql, args)
            return int(cur.fetchone()[0]) if sql.lstrip().upper().startswith("INSERT") else int(cur.rowcount)

    def add(self, holder: str, relative: str, ref: str, relation: str, pledge_accepted: bool) -> dict[str, Any]:
        """Record a request for ``relative`` (typed as ``ref``; they may not exist: then it is
        never confirmed)."""
        now = self.clock()
        rid = self._write(
            "INSERT INTO http_binding_requests (holder_id, relative_id, relative_ref, relation, pledge_accepted,"
            " status, created_at, expires_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING id",
            (holder, relative, ref, relation, int(pledge_accepted), now, now + REQUEST_TTL))
        return self.get(rid, holder)

    def _row(self, rid: int) -> tuple[Any, ...] | None:
        with self._lock:
            row: tuple[Any, ...] | None = self._conn.execute(
                f"SELECT {_COLUMNS} FROM http_binding_requests WHERE id = ?", (rid,)).fetchone()
        return row

    def get(self, rid: int, viewer: str) -> dict[str, Any]:
        """One request its holder or relative may see (else ``NOT_AVAILABLE``)."""
        row = self._row(rid)
        if row is None or viewer not in (row[1], row[2]):
            raise YibaoError("NOT_AVAILABLE")
        return masked_request(row, self.clock(), viewer)

    def of(self, person: str) -> list[dict[str, Any]]:
        """The requests a person made or is asked to confirm, newest first."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM http_binding_requests WHERE holder_id = ? OR relative_id = ?"
                " ORDER BY id DESC LIMIT 200", (person, person)).fetchall()
        now = self.clock()
        return [masked_request(r, now, person) for r in rows]

    def pending_for(self, rid: int, relative: str) -> tuple[str, str, str, bool]:
        """(holder, relative, relation, pledge) of a pending request addressed to ``relative``;
        anything else (unknown, someone else's, decided, lapsed) is ``NOT_AVAILABLE``."""
        row = self._row(rid)
        if row is None or row[2] != relative or row[6] != "pending" or self.clock() >= row[8]:
            raise YibaoError("NOT_AVAILABLE")
        return row[1], row[2], row[4], bool(row[5])

    def decide(self, rid: int, status: str, binding_id: int | None = None) -> None:
        """Mark a pending request confirmed or declined."""
        self._write("UPDATE http_binding_requests SET status = ?, decided_at = ?, binding_id = ?"
                    " WHERE id = ? AND status = 'pending'", (status, self.clock(), binding_id, rid))


#: Fields of an answer that name a person (by ID number), and the fields with their names.
_ID_FIELDS = ("holder_id", "relative_id", "payer_id")
_NAME_FIELDS = (("relative_name", "relative_id"),)
#: A masked ID number as a self-service answer shows it (``110***********002X``).
MASKED_ID = re.compile(r"[0-9]{3}\*{11}[0-9]{3}[0-9X]")


def masked_answer(record: dict[str, Any], viewer: str | None) -> dict[str, Any]:
    """A binding, quote or premium payment as a self-service principal sees it: every other
    person's ID number and name masked (the viewer's own ID stays)."""
    out = dict(record)
    for key in _ID_FIELDS:
        value = out.get(key)
        if isinstance(value, str) and value and value != viewer:
            out[key] = mask_id(value)
    for name, owner in _NAME_FIELDS:
        if isinstance(out.get(name), str) and record.get(owner) != viewer:
            out[name] = mask_name(out[name])
    return out


def resolve_masked(ref: str, candidates: list[str]) -> str | None:
    """The one person among ``candidates`` whose masked ID is ``ref`` (as a self-service answer
    showed it); ``None`` if ``ref`` is not a masked ID. Unknown or ambiguous: ``NOT_AVAILABLE``."""
    ref = ref.strip().upper()
    if MASKED_ID.fullmatch(ref) is None:
        return None
    found = {c for c in candidates if mask_id(c) == ref}
    if len(found) != 1:
        raise YibaoError("NOT_AVAILABLE")
    return found.pop()
