"""The transaction kernel: the unit of work every write of the ledger is.

One write is one transaction that holds, all or nothing: the idempotency record (the
``operations`` row with the request's hash and, once done, its response), the operation's own
rows (a transfer through ``posting``, a binding, a payment record …) and its audit record
(``audit``, hash-chained). A key used again for the same request gets the stored response
(``replayed``); for another request ``IDEMPOTENCY_CONFLICT``. When the engine says the
transaction lost a race (``Dialect.retryable``: PostgreSQL's deadlocks, serialization failures
and unique violations) the whole unit runs again, with the same key, so a payment is made once.

A write's rules read what they depend on under row locks (``posting.lock_accounts``, a person's
row ``FOR UPDATE``), so on PostgreSQL writes on different accounts run side by side; its time is
the clock's (or the given back-dated one), and a transfer's is never before the newest entry of
the accounts it touches (``posting.transfer``). Its audit record goes on this ledger object's
chain (``chain``: 0, or one of its own, ``own_chain``: on PostgreSQL one per connection).

Reads of a person's data are audited too, several in one transaction (``audit_reads``).
On SQLite a ``Kernel`` owns one connection and is used from one thread at a time. On a database
server (PostgreSQL) each thread that uses it gets a connection of its own (``db``), so that a
server process can work several writes at once (``LocalBackend`` gives it ``ledger_threads``
threads): the rules' row locks keep them apart as they keep server processes apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.masking import mask_card
from yibao_tui.ledger import audit as audit_log
from yibao_tui.ledger.dialect import Db, Dialect, dialect_for, is_url

CN_TZ = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
TIME_FMT = "%Y-%m-%d %H:%M:%S"

Clock = Callable[[], dt.datetime]
#: A write's body: ``body(db, operation id, now)`` → the response to store and return.
Body = Callable[[Db, int, str], dict[str, Any]]
#: A write's first reads: ``ahead(db, now)`` sends them, unread, with the operation's row (on
#: PostgreSQL one round trip for both); the body reads their results. It returns the check to
#: make of them before the key is looked at (an unknown person is refused before a reused key).
Ahead = Callable[[Db, str], Callable[[], None]]


def china_now() -> dt.datetime:
    """The wall clock in China time."""
    return dt.datetime.now(CN_TZ)


def hash_request(kind: str, request: dict[str, Any]) -> str:
    """What an idempotency key is checked against: the kind and the request, canonical JSON."""
    return hashlib.sha256(json.dumps([kind, request], sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def stored_response(db: Db, key: str, request_hash: str) -> dict[str, Any] | None:
    """The response stored under idempotency ``key`` if it was for the same request, ``None`` if
    the key is unused; ``IDEMPOTENCY_CONFLICT`` if it was used for another request."""
    row = db.one("SELECT request_hash, response FROM operations WHERE idem_key = ?", (key,))
    if row is None:
        return None
    if row[0] != request_hash:
        raise YibaoError("IDEMPOTENCY_CONFLICT", key=key)
    stored: dict[str, Any] = json.loads(row[1])
    return stored


#: A new operation's row (``write``).
_NEW_OPERATION = ("INSERT INTO operations (kind, idem_key, request_hash, time, channel, operator)"
                  " VALUES (?, ?, ?, ?, ?, ?)")


def audit_detail(request: dict[str, Any]) -> dict[str, Any]:
    """What an audit record says of a request: no names, a payee's bank account masked (the
    audit is read on screens others can see; the operation itself keeps the full request)."""
    out = {k: v for k, v in request.items() if k not in ("name", "payee")}
    if isinstance(out.get("account"), str):
        out["account"] = mask_card(out["account"])
    return out


class Kernel:
    """One ledger database (a SQLite file or a PostgreSQL URL), its connection and the unit of
    work; ``channel``/``operator`` say who acts (they go into every operation and audit record)."""

    def __init__(self, path: str | Path, clock: Clock | None = None, channel: str = "cli", operator: str | None = None,
                 create: bool = True) -> None:
        self.path = str(path)
        #: ``False``: the ledger must exist (``LEDGER_NOT_FOUND``), it is never made here
        self.create = create
        self.clock = clock or china_now
        self.channel = channel
        self.operator = operator
        #: The audit chain this ledger object appends to (see ``audit``): 0, the one chain, on
        #: SQLite; a PostgreSQL server process may keep its own so that writers do not all wait
        #: on one chain head.
        self.chain = 0
        self._dialect: Dialect | None = None
        #: the open connections: one (key 0) on SQLite; one per thread (key: its ident) on a server
        self._dbs: dict[int, Db] = {}
        self._per_thread = is_url(self.path)
        #: each new connection opens an audit chain of its own (``own_chain``, database servers)
        self.own_chains = False

    # ----------------------------------------------------------------- connection
    @property
    def dialect(self) -> Dialect:
        """The engine's dialect (chosen from the path: a file is SQLite)."""
        if self._dialect is None:
            self._dialect = dialect_for(self.path)
        return self._dialect

    @property
    def db(self) -> Db:
        """The connection (this thread's, on a database server), opened and migrated on first use."""
        key = threading.get_ident() if self._per_thread else 0
        db = self._dbs.get(key)
        if db is None:
            db = self._open()
            if self._per_thread:  # the database went away (a crash may lose relaxed commits): read heads again
                db.raw.on_reopen = lambda: audit_log.forget_heads(db)
            if self.own_chains:
                try:
                    db.known[audit_log.OWN_CHAIN] = self._open_chain(db)
                except BaseException:
                    db.close()
                    raise
            self._dbs[key] = db
        return db

    def _open(self) -> Db:
        dialect = self.dialect
        db = Db(dialect, dialect.connect(self.path, self.create))
        try:
            dialect.migrate(db, self.create)
        except dialect.error as e:
            db.close()
            raise dialect.translate(e, self.path) from None
        except YibaoError:
            db.close()
            raise
        return db

    @property
    def conn(self) -> Any:
        """The driver's own connection (``sqlite3.Connection`` for a file): for tools and tests."""
        return self.db.raw

    def close(self) -> None:
        """Close the connections (safe to call twice; on a database server from any thread)."""
        dbs = list(self._dbs.values())
        self._dbs.clear()
        for db in dbs:
            db.close()

    # ----------------------------------------------------------------- time
    def now(self) -> str:
        """Now in China time, in the ledger's time format."""
        return self.clock().astimezone(CN_TZ).strftime(TIME_FMT)

    def today(self) -> dt.date:
        """Today in China time (from the ledger's clock)."""
        return self.clock().astimezone(CN_TZ).date()

    # ----------------------------------------------------------------- running
    def run(self, fn: Callable[[], Any]) -> Any:
        """``fn()`` with the engine's errors as ``YibaoError``; a unit of work that lost a race
        (``Dialect.retryable``) is run again from the start."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except YibaoError:
                raise
            except UnicodeDecodeError:  # damaged text in a row: never its bytes in a message
                raise YibaoError("DATABASE_CORRUPT", path=self.path) from None
            except Exception as e:
                dialect = self.dialect
                if not isinstance(e, dialect.error):
                    raise
                if attempt < dialect.max_attempts and dialect.retryable(e):
                    continue
                raise dialect.translate(e, self.path) from None

    def write(self, kind: str, request: dict[str, Any], key: str | None, body: Body, subject: str | None,
              time: str | None = None, audit: dict[str, Any] | None = None,
              ahead: Ahead | None = None) -> tuple[dict[str, Any], bool]:
        """One write: a transaction holding the idempotency check, the operation record, the body,
        the response and the audit record (``audit``: what the audit record says instead of the
        request; ``ahead``: the body's first reads, sent with the operation's row, never applied
        to a replay). Returns ``(response, replayed)``."""

        h = hash_request(kind, request)

        def once() -> tuple[dict[str, Any], bool]:
            db = self.db
            with db.transaction():
                now = time or self.now()
                args = (kind, key, h, now, self.channel, self.operator)
                if key is None:
                    op_id = db.insert(_NEW_OPERATION, args)
                    if ahead is not None:
                        ahead(db, now)()
                else:  # the key's check and the operation's row in one statement
                    claim = db.execute(_NEW_OPERATION + " ON CONFLICT (idem_key) DO NOTHING RETURNING id", args)
                    first = ahead(db, now) if ahead is not None else None
                    row = claim.fetchone()
                    if first is not None:
                        first()
                    if row is None:  # used before (or by a concurrent writer that has committed)
                        stored = stored_response(db, key, h)
                        if stored is None:  # cannot be: operations are never deleted
                            raise YibaoError("INTERNAL", detail=f"operation {key[:40]} not found")
                        return stored, True
                    op_id = int(row[0])
                response = body(db, op_id, now)
                db.execute("UPDATE operations SET response = ? WHERE id = ?",
                           (json.dumps(response, ensure_ascii=False), op_id))
                self.record(db, now, kind, subject,
                           json.dumps({"op": op_id, **(audit_detail(request) if audit is None else audit)},
                                      ensure_ascii=False, sort_keys=True))
                return response, False

        result: tuple[dict[str, Any], bool] = self.run(once)
        return result

    def stored(self, kind: str, request: dict[str, Any], key: str) -> dict[str, Any] | None:
        """The stored response of the write ``key`` names when it was this very request (a replay),
        ``None`` when the key is unused; ``IDEMPOTENCY_CONFLICT`` when it named another request.
        For writes that check the ledger's state before ``write`` (import): a replay must not be
        refused by the state its first run created."""
        result: dict[str, Any] | None = self.run(lambda: stored_response(self.db, key, hash_request(kind, request)))
        return result

    # ----------------------------------------------------------------- audit
    def record(self, db: Db, now: str, action: str, subject: str | None, detail: str = "", *,
               by: str | None = None) -> None:
        """Append one audit record inside the open transaction, as this ledger's actor (or ``by``)."""
        audit_log.append(db, now, self.channel, by if by is not None else self.operator, action, subject,
                         detail, db.known.get(audit_log.OWN_CHAIN, self.chain))

    def own_chain(self) -> int:
        """Append this ledger object's audit records to a chain of its own from now on (writers
        then do not all wait on one chain head); its number. On a database server every
        connection of this object (one per thread) gets a chain of its own, opened with the
        connection: a chain with one writer, whose head that writer keeps (``audit.append``)."""
        db = self.db
        self.chain = self._open_chain(db)
        if self._per_thread:
            db.known[audit_log.OWN_CHAIN] = self.chain
            self.own_chains = True
        return self.chain

    def _open_chain(self, db: Db) -> int:
        def once() -> int:
            with db.transaction():
                return audit_log.open_chain(db, self.now(), self.channel, self.operator)

        return int(self.run(once))

    def anchor_chains(self) -> int:
        """Record every chain's head on chain 0 (a server calls it now and then); the record's seq."""

        def once() -> int:
            db = self.db
            with db.transaction():
                return audit_log.anchor(db, self.now(), self.channel, self.operator)

        return int(self.run(once))

    def audit_read(self, action: str, subject: str | None, detail: str = "") -> None:
        """Record a read of a person's data."""
        self.audit_reads([(action, subject, detail)])

    def audit_reads(self, reads: list[tuple[str, str | None, str]]) -> None:
        """Record several reads in one transaction (a server answering many lookups at once).
        One connection on purpose: a second one for the audit would make every audit write
        invalidate the main connection's page cache (measured: balance 50 → 74 µs)."""

        def once() -> None:
            db = self.db
            with db.transaction(relaxed=True):
                now = self.now()
                for action, subject, detail in reads:
                    self.record(db, now, action, subject, detail)

        self.run(once)
