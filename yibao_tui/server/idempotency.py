"""``Idempotency-Key`` semantics (IETF draft-ietf-httpapi-idempotency-key-header) for every POST.

- no key → 400 (``IDEMPOTENCY_KEY_MISSING``);
- the same key with a different request (method, path or body) → 422 (``IDEMPOTENCY_CONFLICT``);
- the same key while the first request is still running → 409 (``IN_PROGRESS``, with
  ``Retry-After``);
- the same key after a success → the stored response, marked ``"replayed": true`` (except a
  response that carries a new session token: tokens are never stored, so that request runs again
  and opens another session).

Keys are scoped per principal (the token): the table's key is ``(token id, key)``, and the key
handed to the ledger is ``http:<token id>:<key>``. Another token using the same key neither sees
nor blocks the first one's result.

No secret is recoverable from the table. The fingerprint is an HMAC-SHA256 under a random key
kept in the ledger file (``http_secrets``, made when the table is made) of the request with its
secret fields (PINs, passwords: ``Field.secret``) left out, so it does not depend on them at
all; a response holding a session token is not stored. Tables made by older versions (unsalted
SHA-256 of the whole body, PINs included) are purged when the store opens.

Claims name the server instance holding them (``http_instances``: host, boot id, pid and the
pid's start time, and a heartbeat). A server starting releases the claims of instances that
are gone (a ``kill -9``, a crash, a reboot), and a claim met later whose owner is gone is taken
over: several servers on one ledger never release each other's live claims. A claim older than
``LEASE_SECONDS`` is taken to be dead whatever its owner.

Only successes are stored: a refused request changes nothing, so its retry runs again (exactly as
``LocalBackend`` treats a key whose request failed). A claim that could not be released because
the database was away (restarting, cut off) is released again every ``RELEASE_RETRY_SECONDS``
until it is: otherwise the other server processes, which see its owner alive, would answer
``IN_PROGRESS`` to its retries for a whole lease although nothing runs it. The key is also
handed to the backend, which records it in the same transaction as the write, so even a response
lost before it was stored here is replayed by the ledger rather than charged twice.

The table lives in the ledger's database. A new key is claimed by one statement and a success
stored by another, each committed on its own (two round trips per request); only a key met
before is read and changed in a transaction, under its row's lock. Its connection commits
without waiting for the disk (SQLite ``synchronous=NORMAL``, PostgreSQL ``synchronous_commit =
off``): losing a claim or a stored response in a power cut is harmless because the ledger's own
key record is durable. Stored responses older than ``RETENTION_SECONDS`` are dropped when the
store opens and with every heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import socket
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from yibao_tui.domain.errors import YibaoError
from yibao_tui.server.auth import Clock
from yibao_tui.server.tables import ServerDb

#: A request still "in progress" after this many seconds is taken to have died with its server.
LEASE_SECONDS = 120.0
#: How often a running server tells the ledger it is alive (other hosts judge it by this).
HEARTBEAT_SECONDS = 30.0
#: Stored responses are kept this long.
RETENTION_SECONDS = 7 * 24 * 3600.0
MAX_KEY_LENGTH = 255
#: What a 409 ``IN_PROGRESS`` asks the client to wait before it tries again (seconds).
IN_PROGRESS_RETRY_AFTER = 1
#: How often a claim this instance failed to release (the database was away) is tried again.
RELEASE_RETRY_SECONDS = 1.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS http_idempotency (
    principal    INTEGER NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('running', 'done')),
    status       INTEGER,
    body         TEXT,
    owner        TEXT,
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX IF NOT EXISTS http_idempotency_created ON http_idempotency (created_at);
CREATE TABLE IF NOT EXISTS http_secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS http_instances (
    id            TEXT PRIMARY KEY,
    host          TEXT NOT NULL,
    boot_id       TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    pid_start     TEXT NOT NULL,
    started_at    REAL NOT NULL,
    heartbeat_at  REAL NOT NULL
);
"""
#: Claims a new key (nothing when the key is known): one statement.
_CLAIM = ("INSERT INTO http_idempotency (principal, key, fingerprint, state, owner, created_at, updated_at)"
          " VALUES (?, ?, ?, 'running', ?, ?, ?) ON CONFLICT (principal, key) DO NOTHING")
#: The ``http_secrets`` row holding the fingerprint key.
FINGERPRINT_KEY = "idempotency-fingerprint"


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


def ledger_key(principal: int, key: str) -> str:
    """The key the ledger records for ``key`` sent by token ``principal`` (scoped, so that
    another token's same key is another operation)."""
    return f"http:{principal}:{key}"


def fingerprint(secret: bytes, method: str, path: str, body: Any, drop: frozenset[str] = frozenset()) -> str:
    """An HMAC-SHA256 under the ledger's ``secret`` of what the request asks for (JSON compared
    by meaning, not by bytes), leaving out the fields named in ``drop`` (PINs, passwords)."""
    if isinstance(body, dict) and drop:
        body = {k: v for k, v in body.items() if k not in drop}
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(secret, f"{method} {path}\n{canon}".encode(), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------ server instances

def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return ""


def _boot_id() -> str:
    """This machine's boot (Linux); empty where unknown."""
    return _read("/proc/sys/kernel/random/boot_id")


def _pid_start(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot, Linux), so that a reused pid is
    not taken for the one that died; empty where unknown or when there is no such process."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return ""
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


@dataclass(frozen=True, slots=True)
class Instance:
    """One running server process on the ledger."""

    id: str
    host: str
    boot_id: str
    pid: int
    pid_start: str

    @classmethod
    def current(cls) -> Instance:
        """This process."""
        pid = os.getpid()
        return cls(uuid.uuid4().hex, socket.gethostname(), _boot_id(), pid, _pid_start(pid))


def instance_alive(host: str, boot_id: str, pid: int, pid_start: str, heartbeat_at: float, now: float,
                   here: Instance) -> bool:
    """Whether the instance so described is still running: on this machine, by its process (same
    boot, same pid, same start time); on another, by a heartbeat younger than the lease."""
    if host != here.host:
        return now - heartbeat_at < LEASE_SECONDS
    if boot_id != here.boot_id:
        return False  # the machine has rebooted since
    if here.pid_start:  # /proc is there: the process must be the very one that registered
        return _pid_start(pid) == pid_start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process, alive
        return True
    return True


class IdempotencyStore:
    """The key table, worked on one thread that owns its connection."""

    def __init__(self, path: str, clock: Clock = time.time, instance: Instance | None = None) -> None:
        self.clock = clock
        self.instance = instance or Instance.current()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="yibao-idem")
        self._conn: ServerDb | None = None
        self._path = path
        self._secret = b""
        #: (principal, key) of the requests this instance is running now.
        self._running: set[tuple[int, str]] = set()
        #: (principal, key) of claims of this instance's that could not be released (or perhaps
        #: were made: a claim whose commit was lost), released by ``_releasing``.
        self._unreleased: set[tuple[int, str]] = set()
        self._releasing: asyncio.Task[None] | None = None
        #: How many claims of dead instances were released when the store opened.
        self.released = 0
        self._heartbeat: asyncio.Task[None] | None = None
        self._pool.submit(self._open).result()

    def _open(self) -> None:
        conn = ServerDb(self._path, synchronous="NORMAL")
        self._conn = conn
        if conn.pg:
            conn.db.raw.on_reopen = self._release_strays
        have = conn.columns("http_idempotency")
        if have and "principal" not in have:
            # an older table: unscoped keys, unsalted fingerprints that may hide a PIN
            conn.execute("DROP TABLE http_idempotency")
        conn.create(_SCHEMA)
        with conn.transaction("http_instances"):
            conn.execute("INSERT INTO http_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                         (FINGERPRINT_KEY, secrets.token_bytes(32)))
            self._secret = bytes(conn.execute("SELECT value FROM http_secrets WHERE name = ?",
                                              (FINGERPRINT_KEY,)).fetchone()[0])
            now = self.clock()
            me = self.instance
            conn.execute(
                "INSERT INTO http_instances (id, host, boot_id, pid, pid_start, started_at, heartbeat_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (me.id, me.host, me.boot_id, me.pid, me.pid_start, now, now),
            )
            self.released = self._release_dead(conn, now)
        self._forget_old(now)

    def _release_dead(self, conn: ServerDb, now: float) -> int:
        """Forget the instances that are gone and release their claims (in a transaction)."""
        dead = [
            row[0]
            for row in conn.execute(
                "SELECT id, host, boot_id, pid, pid_start, heartbeat_at FROM http_instances WHERE id <> ?",
                (self.instance.id,),
            ).fetchall()
            if not instance_alive(row[1], row[2], row[3], row[4], row[5], now, self.instance)
        ]
        released = 0
        for instance_id in dead:
            released += conn.execute(
                "DELETE FROM http_idempotency WHERE state = 'running' AND owner = ?", (instance_id,)
            ).rowcount
            conn.execute("DELETE FROM http_instances WHERE id = ?", (instance_id,))
        return released

    def fingerprint(self, method: str, path: str, body: Any, drop: frozenset[str] = frozenset()) -> str:
        """The request's fingerprint under this ledger's key (see ``fingerprint``)."""
        return fingerprint(self._secret, method, path, body, drop)

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def start_heartbeat(self) -> None:
        """Tell the ledger every ``HEARTBEAT_SECONDS`` that this instance is alive (call from
        the server's event loop)."""

        async def beat() -> None:
            while True:
                await asyncio.sleep(HEARTBEAT_SECONDS)
                with contextlib.suppress(Exception):  # a database away now: the next beat
                    await self._run(self._beat)

        self._heartbeat = asyncio.get_running_loop().create_task(beat())

    def _beat(self) -> None:
        assert self._conn is not None
        now = self.clock()
        self._conn.execute("UPDATE http_instances SET heartbeat_at = ? WHERE id = ?", (now, self.instance.id))
        self._forget_old(now)

    def _forget_old(self, now: float) -> None:
        """Drop the stored responses older than ``RETENTION_SECONDS`` (when the store opens and
        with every heartbeat, not on each request's path)."""
        assert self._conn is not None
        self._conn.execute("DELETE FROM http_idempotency WHERE created_at < ?", (now - RETENTION_SECONDS,))

    async def close(self) -> None:
        """Stop the heartbeat, leave the instance table, close the connection and the thread."""
        for task in (self._heartbeat, self._releasing):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        def _close() -> None:
            if self._conn is not None:
                with contextlib.suppress(self._conn.error, YibaoError):  # a database away: gone later
                    self._conn.execute("DELETE FROM http_instances WHERE id = ?", (self.instance.id,))
                self._conn.close()
                self._conn = None

        await self._run(_close)
        self._pool.shutdown(wait=True)

    async def begin(self, principal: int, key: str, fp: str) -> Stored | None:
        """Claim ``key`` of ``principal`` for a new request (None), or return the stored success
        to replay."""
        try:
            return await self._run(self._begin, principal, key, fp, self.clock())  # type: ignore[no-any-return]
        except YibaoError as e:
            if e.code != "DATABASE_UNAVAILABLE":
                raise
            self._release_later(principal, key)  # its commit may have landed unanswered
            raise
        except Exception:
            self._release_later(principal, key)
            raise

    async def complete(self, principal: int, key: str, status: int, body: Any, secret: bool = False) -> None:
        """Store the success for later replays. A ``secret`` response (it carries a new session
        token) is not stored, nor is its claim kept: a replay of that request runs it again."""
        if secret:
            await self._run(self._abandon, principal, key)
            return
        try:
            await self._run(self._complete, principal, key, status, json.dumps(body, ensure_ascii=False))
        except Exception:
            self._release_later(principal, key)  # not stored: a retry runs again, a replay in the ledger
            raise

    async def abandon(self, principal: int, key: str) -> None:
        """Forget a claim whose request failed, so that a retry runs again (later, when the
        database is away now)."""
        try:
            await self._run(self._abandon, principal, key)
        except Exception:
            self._release_later(principal, key)
            raise

    def _release_later(self, principal: int, key: str) -> None:
        """Release the claim every ``RELEASE_RETRY_SECONDS`` until it is released."""
        self._unreleased.add((principal, key))
        if self._releasing is not None and not self._releasing.done():
            return

        async def release() -> None:
            while self._unreleased:
                await asyncio.sleep(RELEASE_RETRY_SECONDS)
                with contextlib.suppress(Exception):  # the database still away: the next time
                    await self._run(self._release_unreleased)

        self._releasing = asyncio.get_running_loop().create_task(release())

    # --- on the store's thread ---

    def _tx(self) -> Any:
        assert self._conn is not None
        return self._conn.transaction("http_idempotency", rows=self._conn.pg)

    def _owner_gone(self, conn: ServerDb, owner: str | None, principal: int, key: str, now: float) -> bool:
        """Whether the instance holding a running claim is gone (this one, when it does not run
        that request: a claim it failed to release)."""
        if owner == self.instance.id:
            return (principal, key) not in self._running
        row = conn.execute("SELECT host, boot_id, pid, pid_start, heartbeat_at FROM http_instances WHERE id = ?",
                           (owner,)).fetchone()
        if row is None:
            return True
        host, boot_id, pid, pid_start, heartbeat_at = row
        return not instance_alive(host, boot_id, int(pid), pid_start, float(heartbeat_at), now, self.instance)

    def _begin(self, principal: int, key: str, fp: str, now: float) -> Stored | None:
        assert self._conn is not None
        # a new key is claimed with one statement, committed on its own (no transaction around it)
        if self._conn.execute(_CLAIM, (principal, key, fp, self.instance.id, now, now)).rowcount != 1:
            stored = self._known(principal, key, fp, now)
            if stored is not None:
                return stored
        # running once the claim has committed: a claim whose commit was lost is not this
        # instance's to run (``begin`` releases it later), so its retry here takes it over
        self._running.add((principal, key))
        return None

    def _known(self, principal: int, key: str, fp: str, now: float) -> Stored | None:
        """A key used before: its stored success, or taken over when its claim is dead (else
        ``IN_PROGRESS``, ``IDEMPOTENCY_CONFLICT``); read and changed under its row's lock."""
        with self._tx() as conn:
            row = conn.execute(
                "SELECT fingerprint, state, status, body, updated_at, owner FROM http_idempotency"
                " WHERE principal = ? AND key = ?" + conn.dialect.for_update,
                (principal, key),
            ).fetchone()
            if row is None:  # released by its dead owner between the two statements: try again
                raise YibaoError("IN_PROGRESS")
            stored_fp, state, status, body, updated, owner = row
            if stored_fp != fp:
                raise YibaoError("IDEMPOTENCY_CONFLICT", key=key)
            if state == "done" and body is not None:
                return Stored(status=int(status), body=json.loads(body))
            if (state == "running" and now - float(updated) < LEASE_SECONDS
                    and not self._owner_gone(conn, owner, principal, key, now)):
                raise YibaoError("IN_PROGRESS")
            # a dead claim: run it again (the ledger's key record makes a committed write a replay)
            conn.execute(
                "UPDATE http_idempotency SET state = 'running', owner = ?, updated_at = ?"
                " WHERE principal = ? AND key = ?",
                (self.instance.id, now, principal, key),
            )
        return None

    def _complete(self, principal: int, key: str, status: int, body: str) -> None:
        assert self._conn is not None
        try:  # still running while it is stored (a connection opened again meanwhile keeps its claim)
            self._conn.execute(  # one statement, committed on its own
                "UPDATE http_idempotency SET state = 'done', status = ?, body = ?, owner = NULL,"
                " updated_at = ? WHERE principal = ? AND key = ?",
                (status, body, self.clock(), principal, key),
            )
        finally:
            self._running.discard((principal, key))

    def _release_strays(self) -> None:
        """The connection is back after the database went away (a restart): release this
        instance's claims that it does not run. A crash of the database may have lost the commit
        of a success stored or a claim released (they do not wait for the disk), leaving the key
        ``running`` under this live instance: other servers would answer ``IN_PROGRESS`` to its
        retries for a whole lease. Its retry now runs again, and the ledger's own record of the key
        makes a committed write a replay."""
        assert self._conn is not None
        rows = self._conn.execute("SELECT principal, key FROM http_idempotency WHERE owner = ? AND state = 'running'",
                                  (self.instance.id,)).fetchall()
        self._release(self._conn, rows)

    def _release_unreleased(self) -> None:
        pending = set(self._unreleased)
        with self._tx() as conn:
            self._release(conn, pending)
        self._unreleased -= pending

    def _release(self, conn: ServerDb, claims: Iterable[tuple[int, str]]) -> None:
        """Delete this instance's running claims among ``claims`` that it does not run (not one
        a retry here took up again)."""
        for principal, key in set(claims) - self._running:
            conn.execute("DELETE FROM http_idempotency WHERE principal = ? AND key = ? AND state = 'running'"
                         " AND owner = ?", (principal, key, self.instance.id))

    def _abandon(self, principal: int, key: str) -> None:
        self._running.discard((principal, key))
        with self._tx() as conn:
            conn.execute("DELETE FROM http_idempotency WHERE principal = ? AND key = ? AND state = 'running'",
                         (principal, key))
