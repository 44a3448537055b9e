"""The PostgreSQL dialect: one ledger for several server processes on several machines.

psycopg 3 (the ``postgres`` extra). A connection runs in autocommit mode: a read is one
statement, as on SQLite. A write transaction is ``BEGIN ISOLATION LEVEL READ COMMITTED``, and
each rule that is a read-then-write reads under the row locks of what it depends on, so writes
on different accounts and persons run side by side (and share the WAL's fsyncs):

- a balance: the personal account a transfer touches is locked first (``SELECT … FOR UPDATE``),
  the system account (``SYS:premium``, ``SYS:fund`` …, on nearly every write) by its balance's
  update in the commit's own round trip (``posting._post_system_legs``: held while the server
  finishes the transaction, not across a client's round trip): personal accounts before system
  ones, one order for every writer; each
  entry's time is never before the newest entry of its account (read under the lock), so an
  account's entries in (time, id) order are its running balances' order;
- a binding cap and who may hold whom: the holder's and the relative's person rows
  (``persons.lock_persons``); one premium per relative and year: the relative's row (and the
  ``UNIQUE (relative_id, year)`` constraint); a bill's payers: their accounts, before it is split;
- an idempotency key: ``INSERT … ON CONFLICT (idem_key) DO NOTHING RETURNING id`` claims it in the
  statement that makes the operation's row; a concurrent request with the same key waits for the
  first one's commit and then replays its response;
- the audit chain: each connection of a server process appends to a chain of its own
  (``Kernel.own_chain``, ``server.backends.LedgerBackend.init``; opened with the connection,
  recorded on chain 0), and keeps its head from one commit to the next (``audit.append``: no
  lock, no read; the head is read again after a write that did not commit and after the
  connection was lost). A chain written by several (chain 0: the CLI, tools, anchors, openings)
  has its head read and extended under a transaction-level advisory lock per chain
  (``chain_head``): a chain's order is its ``seq`` order. The chains' heads are anchored on chain
  0 every ``ANCHOR_SECONDS`` and when a server stops. A chain whose process was killed just ends;
  ``verify`` checks every chain, opening and anchor.

A deadlock (``40P01``), a serialization failure (``40001``) or a unique violation (``23505``: a
concurrent writer committed the same key, premium or person first) runs the whole unit of work
again with the same idempotency key (``retryable``), after a short random wait: the rerun's own
check then sees the winner's row and answers as it would have (a replay, ``PREMIUM_ALREADY_PAID``).

A unit of work runs in psycopg's pipeline mode (``PgConn.begin``): statements go without
waiting for the one before to be answered, and a round trip is made only where the code reads an
answer; the server still runs them in order, each with its own snapshot. A premium payment is
four round trips (the claim with the rules' reads, the payer's account, the transfer's id, the
rest with the system leg and the commit) where it was 22. A server process works
its ledger on several connections at once (``backend.local.ledger_threads``), one per thread.

Until issue 11's second round every write began with ``LOCK TABLE audit IN SHARE ROW EXCLUSIVE
MODE``, one write lock as SQLite's ``BEGIN IMMEDIATE`` (BENCHMARKS.md has the figures before and
after: 112 payments/s with one server process, no scaling with more).

A connection that drops (the server restarted, a network cut) is opened again before the next
statement outside a transaction; a unit of work that lost it before its ``COMMIT`` was sent runs
again, one that lost it during the ``COMMIT`` is told ``DATABASE_UNAVAILABLE`` (it may have
landed: a retry with the same key finds out). A database that cannot be reached is
``DATABASE_UNAVAILABLE`` (HTTP 503 with ``Retry-After``).

The schema is ``ledger/schema.py``'s one description in PostgreSQL's words (``ddl_pg.PgDdl``,
inherited). A migration runs in ``READ COMMITTED`` under ``PgDdl.lock_schema``'s advisory lock,
so several server processes starting at once make the schema once, each statement seeing what
the one before it did.
"""

from __future__ import annotations

import random
import select
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import Loader
from psycopg.pq import TransactionStatus

from yibao_tui.domain.errors import YibaoError
from yibao_tui.ledger.ddl_pg import PgDdl

if TYPE_CHECKING:
    from yibao_tui.ledger.dialect import Db, Execute

#: Seconds a statement waits for a lock before the write is ``DATABASE_BUSY`` (SQLite's busy timeout).
LOCK_TIMEOUT_S = 15
CONNECT_TIMEOUT_S = 5
#: Begins a write transaction (see the module's doc): its rules take row locks.
BEGIN = "BEGIN ISOLATION LEVEL READ COMMITTED"
#: An audited read's transaction: the read's record may be lost on a crash of the database server
#: (never half-written), as SQLite's ``synchronous=NORMAL``.
BEGIN_RELAXED = BEGIN + "; SET LOCAL synchronous_commit TO off"
#: A migration's transaction: each statement sees what the one before it committed, after the lock.
BEGIN_SCHEMA = BEGIN
#: ``pg_advisory_xact_lock(CHAIN_LOCK, chain)``: the lock on one audit chain's head ("YBAU").
CHAIN_LOCK = 0x59_42_41_55
#: SQLSTATEs after which the unit of work runs again: serialization failure, deadlock, and a unique
#: violation (a concurrent writer committed the same key, premium or person first: run again, the
#: rule's own check now sees it and answers as it would have: a replay, ``PREMIUM_ALREADY_PAID`` …).
_RETRY = frozenset({"40001", "40P01", "23505"})


def where(target: str) -> str:
    """What a message may say of a database URL: host, port and database, never a password."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(target)
    except psycopg.ProgrammingError:
        return "postgresql://…"
    host = str(info.get("host") or "localhost")
    port = f":{info['port']}" if info.get("port") else ""
    return f"postgresql://{host}{port}/{info.get('dbname') or ''}"


@lru_cache(maxsize=1024)
def to_pg(sql: str) -> str:
    """Portable SQL with ``?`` parameters as psycopg's: ``?`` → ``%s``, ``%`` → ``%%`` (outside
    quoted strings and identifiers only a ``?`` is a parameter)."""
    out: list[str] = []
    quote = ""
    for ch in sql:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        if ch == "%":
            out.append("%%")
            continue
        out.append(ch)
    return "".join(out)


class _IntNumeric(Loader):
    """``SUM`` of ``BIGINT`` is ``NUMERIC`` in PostgreSQL: whole numbers come back as ``int`` (the
    ledger's money is integer fen), as from SQLite."""

    def load(self, data: Any) -> Any:
        from decimal import Decimal

        d = Decimal(bytes(data).decode())
        return int(d) if d == d.to_integral_value() else d


class PgConn:
    """One psycopg connection that opens itself again when it has dropped (outside a transaction).
    ``execute`` takes the ledger's portable SQL (tools and tests call it as on ``sqlite3``)."""

    def __init__(self, target: str) -> None:
        self.target = target
        #: migrating: transactions neither lock the audit (it may not exist yet) nor serialize
        self.migrating = False
        #: a transaction is open: a connection lost now is never replaced under it
        self.in_tx = False
        #: the open transaction's pipeline (``begin(pipeline=True)``)
        self._pipe: Any = None
        #: session settings of this connection's own (``keep``), after the defaults
        self.settings = ""
        #: called when the connection has been opened again (the database restarted, the line was cut)
        self.on_reopen: Callable[[], None] | None = None
        self.raw = self._open()

    def _open(self) -> psycopg.Connection[Any]:
        try:
            raw = psycopg.connect(self.target, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                  application_name="yibao")
        except psycopg.Error as e:
            raise YibaoError("DATABASE_UNAVAILABLE", path=where(self.target), detail=_first_line(e)) from None
        raw.adapters.register_loader("numeric", _IntNumeric)
        raw.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_S}s'; SET idle_in_transaction_session_timeout = '60s'"
                    + self.settings)
        return raw

    def keep(self, setting: str) -> None:
        """Apply a session setting (``SET …``) now and again on every connection that replaces this one."""
        self.settings += f"; {setting}"
        self.live().execute(setting)

    def live(self) -> psycopg.Connection[Any]:
        """The connection, opened again first when it has dropped (call between transactions)."""
        if self._stale():
            if not self.raw.closed:
                self.raw.close()
            self.raw = self._open()
            if self.on_reopen is not None:
                self.on_reopen()
        return self.raw

    def _stale(self) -> bool:
        """Known broken, or an idle connection with something to read: between transactions the
        server says nothing unless it is going away (terminated, shut down) or the line is cut.
        One ``select`` with no wait: a dropped connection is found before it fails a statement."""
        raw = self.raw
        if raw.broken or raw.closed:
            return True
        try:
            readable, _, _ = select.select([raw.fileno()], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Any:
        raw = self.raw if self.in_tx else self.live()
        return raw.execute(to_pg(sql), tuple(args))

    def begin(self, sql: str, pipeline: bool = False) -> None:
        """Start a transaction with ``sql`` (``BEGIN …``), on a live connection. ``pipeline``: in
        psycopg's pipeline mode, where a statement is sent without waiting for the one before it
        to be answered: a round trip is made only when a result is read (a row, an id), and the
        statements whose results are not read (``BEGIN``, row locks, the entries, the audit
        record) go along with the next one that is. The server still runs them one after the
        other, each ``READ COMMITTED`` statement with its own snapshot, so a read sent after a
        lock sees what the lock waited for. An error is raised at the next read or the commit."""
        raw = self.live()
        if pipeline:
            self._pipe = raw.pipeline()
            self._pipe.__enter__()
            for stmt in sql.split("; "):  # the extended protocol takes one statement at a time
                raw.execute(stmt)
        else:
            raw.execute(sql)
        self.in_tx = True

    def unpipe(self) -> None:
        """Leave pipeline mode inside the transaction (every result in; the first error of a
        statement not yet read is raised): before a ``COPY``, which pipeline mode cannot run."""
        pipe, self._pipe = self._pipe, None
        if pipe is not None:
            pipe.__exit__(None, None, None)

    def commit(self) -> None:
        try:
            self.raw.execute("COMMIT")
            self.unpipe()
        except psycopg.Error as e:
            e._yibao_committing = True  # type: ignore[attr-defined]  # lost now: outcome unknown
            raise
        finally:
            self.in_tx = False

    def rollback(self) -> None:
        self.in_tx = False
        try:
            self.unpipe()
        except psycopg.Error:
            pass  # the error the rollback is for, or the connection is gone
        if self.raw.broken or self.raw.closed:
            return
        if self.raw.info.transaction_status != TransactionStatus.IDLE:
            try:
                self.raw.execute("ROLLBACK")
            except psycopg.OperationalError:
                pass  # the connection went: nothing of the transaction stays

    def close(self) -> None:
        self.raw.close()


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:200]


def _lost(e: BaseException) -> bool:
    """The connection is gone or the server is going away (not the statement's fault)."""
    if isinstance(e, psycopg.OperationalError | psycopg.InterfaceError) and not isinstance(
            e, pg_errors.LockNotAvailable | pg_errors.QueryCanceled | pg_errors.SerializationFailure
            | pg_errors.DeadlockDetected):
        return True
    return isinstance(e, pg_errors.AdminShutdown | pg_errors.CannotConnectNow | pg_errors.CrashShutdown)


class PgDialect(PgDdl):
    """See ``yibao_tui.ledger.dialect.Dialect``."""

    name = "postgresql"
    error = psycopg.Error
    for_update = " FOR UPDATE"
    max_attempts = 40

    def connect(self, target: str, create: bool) -> PgConn:
        conn = PgConn(target)
        if not create:
            try:
                found = conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]
            except psycopg.Error as e:
                conn.close()
                raise self.translate(e, target) from None
            if not found:
                conn.close()
                raise YibaoError("LEDGER_NOT_FOUND", path=where(target))
        return conn

    def close(self, raw: PgConn) -> None:
        raw.close()

    def executor(self, raw: PgConn) -> Execute:
        return raw.execute

    def executemany(self, raw: PgConn, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with (raw.raw if raw.in_tx else raw.live()).cursor() as cur:
            cur.executemany(to_pg(sql), [tuple(r) for r in rows])

    def copy_rows(self, raw: PgConn, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        # COPY text format, one stream per batch: 3x executemany INSERT (bench/bench_migrate.py)
        raw.unpipe()
        with raw.raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def insert(self, raw: PgConn, sql: str, args: Sequence[Any], key: str) -> int:
        return int(raw.execute(f"{sql} RETURNING {key}", args).fetchone()[0])

    def begin(self, raw: PgConn, relaxed: bool = False) -> None:
        if raw.migrating:
            raw.begin(BEGIN_SCHEMA)
        else:  # the ledger's units of work: pipelined (``PgConn.begin``)
            raw.begin(BEGIN_RELAXED if relaxed else BEGIN, pipeline=True)

    def commit(self, raw: PgConn, relaxed: bool = False) -> None:
        raw.commit()

    def rollback(self, raw: PgConn, relaxed: bool = False) -> None:
        raw.rollback()

    def chain_head(self, db: Db, chain: int) -> str | None:
        from yibao_tui.ledger.audit import HEAD

        # the lock, then the head: in READ COMMITTED the second statement's snapshot is taken
        # after the lock; pipelined (``PgConn.begin``), both go in one round trip
        n = int(chain)
        db.execute(f"SELECT pg_advisory_xact_lock({CHAIN_LOCK}, {n})")
        row = db.one(HEAD, (n,))
        return str(row[0]) if row else None

    def retryable(self, exc: Exception) -> bool:
        sqlstate = getattr(exc, "sqlstate", None)
        if sqlstate in _RETRY:
            time.sleep(random.uniform(0.001, 0.02))  # noqa: S311 - jitter, not a secret
            return True
        # lost before COMMIT was sent: nothing landed, run it again on a new connection
        return _lost(exc) and not getattr(exc, "_yibao_committing", False)

    def translate(self, exc: Exception, where_: str) -> YibaoError:
        from yibao_tui.ledger import limits

        text = str(exc).lower()
        if limits.MARK in text or isinstance(exc, pg_errors.NumericValueOutOfRange):
            return limits.out_of_range()
        if isinstance(exc, pg_errors.LockNotAvailable | pg_errors.QueryCanceled
                      | pg_errors.SerializationFailure | pg_errors.DeadlockDetected):
            return YibaoError("DATABASE_BUSY")
        if _lost(exc):
            return YibaoError("DATABASE_UNAVAILABLE", path=where(where_), detail=_first_line(exc))
        if isinstance(exc, pg_errors.DataCorrupted | pg_errors.IndexCorrupted):
            return YibaoError("DATABASE_CORRUPT", path=where(where_))
        return YibaoError("INTERNAL", detail=_first_line(exc))

    # ----------------------------------------------------------------- schema
    def migrate(self, db: Db, create: bool) -> None:
        from yibao_tui.ledger.schema import migrate

        raw: PgConn = db.raw
        raw.migrating = True
        try:
            migrate(db, self, create, lambda: where(raw.target))
        finally:
            raw.migrating = False

    def reset_identities(self, db: Db, ids: dict[str, str]) -> None:
        """Move each identity (``table`` → its column) past the largest id in it: after rows were
        copied with their ids (``yibao migrate``)."""
        for table, col in ids.items():
            db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{col}'),"  # noqa: S608 - constants
                       f" COALESCE((SELECT MAX({col}) FROM {table}), 0) + 1, false)")

    def analyze(self, db: Db, tables: Sequence[str]) -> None:
        """Gather the planner's statistics of tables just loaded in bulk (``yibao migrate``):
        without them ``verify``'s joins over a fresh copy of 600,000 rows took minutes, not
        seconds (autovacuum gets to them later)."""
        for table in tables:
            db.execute(f"ANALYZE {table}")

    @contextmanager
    def bulk(self, db: Db) -> Iterator[None]:
        # demo data only: this session's commits do not wait for the disk while it loads
        db.raw.live().execute("SET synchronous_commit TO off")
        try:
            yield
        finally:
            db.raw.live().execute("SET synchronous_commit TO on")

    def engine_checks(self, db: Db) -> list[str]:
        return []  # PostgreSQL checks its own pages (checksums, amcheck are the DBA's tools)

    def not_integer(self, expr: str) -> str:
        return "FALSE"  # a BIGINT column holds integers only

    def glob(self, expr: str, pattern: str) -> str:
        # GLOB's classes as a POSIX regular expression: `*` is any run, the rest is as written
        return f"{expr} ~ '^{pattern.replace('*', '.*')}$'"
