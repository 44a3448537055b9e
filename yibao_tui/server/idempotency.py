"""``Idempotency-Key`` semantics (IETF draft-ietf-httpapi-idempotency-key-header) for every POST.

- no key → 400 (``IDEMPOTENCY_KEY_MISSING``);
- the same key with a different request (method, path or body) → 422 (``IDEMPOTENCY_CONFLICT``);
- the same key while the first request is still running → 409 (``IN_PROGRESS``);
- the same key after a success → the stored response, marked ``"replayed": true`` (except a
  response that carries a new session token: tokens are never stored in clear, so that request
  runs again and opens another session).

Only successes are stored: a refused request changes nothing, so its retry runs again (exactly as
``LocalBackend`` treats a key whose request failed). The key is also handed to the backend, which
records it in the same transaction as the write, so even a response lost before it was stored here
is replayed by the ledger rather than charged twice.

The table lives in the ledger file. Its connection commits with ``synchronous=NORMAL`` (no fsync
of its own): losing a stored response in a power cut is harmless because the ledger's own key
record is durable.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from yibao_tui.domain.errors import YibaoError
from yibao_tui.server.auth import Clock

#: A request still "in progress" after this many seconds is taken to have died with its server.
LEASE_SECONDS = 120.0
#: Stored responses are kept this long.
RETENTION_SECONDS = 7 * 24 * 3600.0
MAX_KEY_LENGTH = 255

_SCHEMA = """
CREATE TABLE IF NOT EXISTS http_idempotency (
    key          TEXT PRIMARY KEY,
    fingerprint  TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('running', 'done')),
    status       INTEGER,
    body         TEXT,
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS http_idempotency_created ON http_idempotency (created_at);
"""


@dataclass(frozen=True, slots=True)
class Stored:
    """A stored success: its HTTP status and JSON body."""

    status: int
    body: Any


def check_key(value: str | None) -> str:
    """Validate the header value: printable ASCII, 1 to 255 characters."""
    if value is None:
        raise YibaoError("IDEMPOTENCY_KEY_MISSING")
    key = value.strip()
    if key.startswith('"') and key.endswith('"') and len(key) >= 2:
        key = key[1:-1]  # the draft's sf-string form
    if not key or len(key) > MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in key):
        raise YibaoError("IDEMPOTENCY_KEY_INVALID")
    return key


def fingerprint(method: str, path: str, body: Any) -> str:
    """A digest of what the request asks for (JSON compared by meaning, not by bytes)."""
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canon}".encode()).hexdigest()


class IdempotencyStore:
    """The key table, worked on one thread that owns its connection."""

    def __init__(self, path: str, clock: Clock = time.time) -> None:
        self.clock = clock
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="yibao-idem")
        self._conn: sqlite3.Connection | None = None
        self._path = path
        self._pool.submit(self._open).result()

    def _open(self) -> None:
        conn = sqlite3.connect(self._path, timeout=10.0, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.executescript(_SCHEMA)
        self._conn = conn

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def close(self) -> None:
        """Close the connection and the thread."""

        def _close() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        await self._run(_close)
        self._pool.shutdown(wait=True)

    async def begin(self, key: str, fp: str) -> Stored | None:
        """Claim ``key`` for a new request (None), or return the stored success to replay."""
        return await self._run(self._begin, key, fp, self.clock())  # type: ignore[no-any-return]

    async def complete(self, key: str, status: int, body: Any, secret: bool = False) -> None:
        """Store the success for later replays. A ``secret`` response (it carries a new session
        token) is not stored: a replay of that request runs it again."""
        text = None if secret else json.dumps(body, ensure_ascii=False)
        await self._run(self._complete, key, status, text)

    async def abandon(self, key: str) -> None:
        """Forget a claim whose request failed, so that a retry runs again."""
        await self._run(self._abandon, key)

    # --- on the store's thread ---

    def _tx(self) -> sqlite3.Connection:
        assert self._conn is not None
        self._conn.execute("BEGIN IMMEDIATE")
        return self._conn

    def _begin(self, key: str, fp: str, now: float) -> Stored | None:
        conn = self._tx()
        try:
            row = conn.execute(
                "SELECT fingerprint, state, status, body, updated_at FROM http_idempotency WHERE key = ?",
                (key,),
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO http_idempotency (key, fingerprint, state, created_at, updated_at)"
                    " VALUES (?, ?, 'running', ?, ?)",
                    (key, fp, now, now),
                )
                conn.execute(
                    "DELETE FROM http_idempotency WHERE created_at < ?", (now - RETENTION_SECONDS,)
                )
                conn.execute("COMMIT")
                return None
            stored_fp, state, status, body, updated = row
            if stored_fp != fp:
                raise YibaoError("IDEMPOTENCY_CONFLICT", key=key)
            if state == "done" and body is not None:
                conn.execute("COMMIT")
                return Stored(status=int(status), body=json.loads(body))
            if state == "running" and now - float(updated) < LEASE_SECONDS:
                raise YibaoError("IN_PROGRESS")
            # a dead claim, or a done request whose response holds a secret: run it again
            conn.execute(
                "UPDATE http_idempotency SET state = 'running', updated_at = ? WHERE key = ?", (now, key)
            )
            conn.execute("COMMIT")
            return None
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _complete(self, key: str, status: int, body: str | None) -> None:
        conn = self._tx()
        try:
            conn.execute(
                "UPDATE http_idempotency SET state = 'done', status = ?, body = ?, updated_at = ?"
                " WHERE key = ?",
                (status, body, self.clock(), key),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _abandon(self, key: str) -> None:
        conn = self._tx()
        try:
            conn.execute("DELETE FROM http_idempotency WHERE key = ? AND state = 'running'", (key,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
