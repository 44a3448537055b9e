"""What differs between database engines, behind one small interface per engine.

The ledger's rules (``kernel``, ``posting`` and the per-concern modules) write one SQL text for
every engine, in the portable subset SQLite and PostgreSQL share:

- ``?`` parameters (a dialect turns them into its driver's style: psycopg's ``%s``);
- a new row's id through ``Db.insert`` (the dialect adds ``RETURNING id`` or reads SQLite's
  ``lastrowid``, which costs less than ``RETURNING`` there); ``UPDATE … RETURNING``;
- ``INSERT … ON CONFLICT (cols) DO NOTHING`` / ``DO UPDATE SET c = excluded.c`` (never
  ``INSERT OR IGNORE`` / ``OR REPLACE``);
- row values (``(time, id) < (?, ?)``), ``COALESCE``, ``CASE``, window functions, ``LIMIT ?``;
- integers are 64-bit (``BIGINT`` on PostgreSQL), times are ``YYYY-MM-DD HH:MM:SS`` text in
  China time, money is integer fen.

Whatever cannot be written that way is a method or attribute of a :class:`Dialect`:
connecting (PRAGMAs / session settings), starting a write transaction (``BEGIN IMMEDIATE`` on
SQLite; on PostgreSQL a transaction with row locks or SERIALIZABLE), which driver errors mean
"run the whole unit of work again" (the kernel retries it with the same idempotency key), how a
driver error becomes a ``YibaoError``, the schema (``migrate``), and the engine's own integrity
checks for ``verify``. ``dialect_sqlite`` is the SQLite implementation; a PostgreSQL one
implements the same interface and is found by :func:`dialect_for` from a ``postgresql://`` URL.
Only dialect modules import a database driver (an import-linter contract keeps it so).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from yibao_tui.domain.errors import YibaoError

if TYPE_CHECKING:
    from yibao_tui.ledger.schema import Guard, MoneyBound

#: Executes one statement: ``execute(sql, args)`` returns a DB-API cursor (``fetchone``,
#: ``fetchall``, iteration).
Execute = Callable[..., Any]


class Dialect(Protocol):
    """One engine. Every method gets the driver's own connection (``raw``) or a :class:`Db`.

    A PostgreSQL implementation (``yibao_tui.ledger.dialect_pg.PgDialect``, psycopg 3) is expected
    to: translate ``?`` to ``%s`` (and a literal ``%`` to ``%%``) in :meth:`prepare`, cached;
    run in autocommit mode outside :meth:`begin` (reads are single statements, like SQLite's);
    :meth:`begin` a transaction that keeps the ledger's invariants under several server processes
    (``SERIALIZABLE``, or ``READ COMMITTED`` with ``SELECT … FOR UPDATE`` through
    :attr:`for_update`), with :meth:`retryable` true for serialization failures and deadlocks
    (``40001``, ``40P01``); map unique violations, lost connections and a database that is down
    in :meth:`translate` (``DATABASE_UNAVAILABLE`` for the latter two; also ``22003``, a number out
    of ``BIGINT``'s range, as ``INVALID_AMOUNT``); and create or upgrade the schema in
    :meth:`migrate` with ``schema.migrate(db, self, create)``, inheriting the ``ddl_*``,
    ``columns`` and ``lock_schema`` methods from ``yibao_tui.ledger.ddl_pg.PgDdl``.
    """

    #: ``"sqlite"`` or ``"postgresql"``
    name: str
    @property
    def error(self) -> type[Exception]:
        """The driver's base exception class (``sqlite3.Error``, ``psycopg.Error``): what the
        kernel catches and hands to :meth:`translate` / :meth:`retryable`."""
    #: Appended to a ``SELECT`` of rows the transaction goes on to change: ``""`` on SQLite (the
    #: whole database is locked by ``BEGIN IMMEDIATE``), ``" FOR UPDATE"`` on PostgreSQL.
    for_update: str
    #: How many times the kernel runs a unit of work whose failure is :meth:`retryable`.
    max_attempts: int

    def chain_head(self, db: Db, chain: int) -> str | None:
        """Inside a write transaction: the hash of audit ``chain``'s newest record (``None``: no
        record yet), read once no other transaction appends to the chain, which none does until
        this one ends (a chain's order is then its records' ``seq`` order). SQLite: the read
        (``BEGIN IMMEDIATE`` is the one writer); PostgreSQL: a transaction-level advisory lock per
        chain, taken and the head read in one round trip."""

    def connect(self, target: str, create: bool) -> Any:
        """Open a connection (with the engine's session settings); ``create=False``: the ledger
        must already exist (``LEDGER_NOT_FOUND``)."""

    def close(self, raw: Any) -> None:
        """Close a connection."""

    def executor(self, raw: Any) -> Execute:
        """``execute(sql, args=())`` for ``raw`` taking portable SQL (see the module's doc); on
        SQLite simply ``raw.execute``."""

    def executemany(self, raw: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one portable statement for many parameter rows."""

    def copy_rows(self, raw: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Load ``rows`` (values for ``columns``, ids included) into ``table`` inside the open
        transaction, the engine's fastest way (``yibao migrate``): PostgreSQL's ``COPY … FROM
        STDIN``, SQLite's ``executemany`` of one ``INSERT``."""

    def insert(self, raw: Any, sql: str, args: Sequence[Any], key: str) -> int:
        """Run one portable ``INSERT`` (without ``RETURNING``); the new row's ``key`` column
        (``lastrowid`` on SQLite, ``RETURNING key`` on PostgreSQL)."""

    def begin(self, raw: Any, relaxed: bool = False) -> None:
        """Start a write transaction: its reads see what its writes act on, and it cannot be
        interleaved with another writer in a way that breaks a rule (``BEGIN IMMEDIATE``).
        ``relaxed``: a transaction that only records reads (their audit); the engine may trade
        the last moments' durability for speed (SQLite ``synchronous=NORMAL``, PostgreSQL
        ``SET LOCAL synchronous_commit = off``): never half-written, at most the newest few lost
        on a power failure."""

    def commit(self, raw: Any, relaxed: bool = False) -> None:
        """Commit the transaction :meth:`begin` started (``relaxed`` as it was begun)."""

    def rollback(self, raw: Any, relaxed: bool = False) -> None:
        """Roll it back (nothing happens when none is open; ``relaxed`` as it was begun)."""

    def retryable(self, exc: Exception) -> bool:
        """Whether ``exc`` (a driver error) means the transaction lost a race and should be run
        again from the start (serialization failure, deadlock)."""

    def translate(self, exc: Exception, where: str) -> YibaoError:
        """A driver error as a ``YibaoError`` (``DATABASE_BUSY``, ``DATABASE_UNAVAILABLE``,
        ``DATABASE_CORRUPT``, ``INVALID_AMOUNT`` for the schema's money bounds, else ``INTERNAL``);
        ``where`` names the database in messages (never a password)."""

    def migrate(self, db: Db, create: bool) -> None:
        """Create the schema, or bring an older one to the current version, and the system
        accounts (``schema.migrate(db, self, create)``, which renders ``yibao_tui.ledger.schema``'s
        one description with the four ``ddl_*`` methods below). Without ``create`` a database that
        is not a ledger is ``DATABASE_CORRUPT``."""

    def ddl_type(self, kind: str) -> str:
        """A column type: ``id`` (the table's 64-bit key, assigned on insert when not given:
        ``INTEGER PRIMARY KEY`` / ``BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY``),
        ``int`` (64-bit: ``INTEGER`` / ``BIGINT``), ``text``."""

    def ddl_prelude(self) -> list[str]:
        """Idempotent statements the guards and bounds need first (PostgreSQL: one PL/pgSQL
        function raising its trigger's message)."""

    def ddl_guard(self, guard: Guard) -> list[str]:
        """A ``schema.Guard`` as idempotent statements: a trigger refusing ``guard.event`` on
        ``guard.table`` (when ``guard.when``) with ``guard.message``."""

    def ddl_money(self, bound: MoneyBound) -> list[str]:
        """A ``schema.MoneyBound`` as idempotent statements refusing, with a message containing
        ``bound.message``, a money column that is not an integer in its bounds."""

    def columns(self, db: Db, table: str) -> list[str]:
        """The columns ``table`` has, in order (empty when there is no such table)."""

    def lock_schema(self, db: Db) -> None:
        """Inside the migration's transaction: keep other processes from migrating at the same
        time (SQLite: ``BEGIN IMMEDIATE`` already does; PostgreSQL: an advisory lock)."""

    def bulk(self, db: Db) -> Any:
        """A context manager for loading demo data: durability off while it lasts."""

    def engine_checks(self, db: Db) -> list[str]:
        """``verify``'s checks of the engine's own structures (SQLite's ``integrity_check``,
        foreign keys, text that is not UTF-8); failures as sentences, no row's text in them."""

    def not_integer(self, expr: str) -> str:
        """A SQL condition true when ``expr`` does not hold an integer (SQLite stores any type in
        any column; on PostgreSQL a ``BIGINT`` column cannot: ``FALSE``)."""

    def glob(self, expr: str, pattern: str) -> str:
        """A SQL condition true when ``expr`` matches ``pattern``, a constant GLOB pattern of
        character classes (``[0-9]``, ``[^0-9A-Z]``) and ``*`` only."""


class Db:
    """One connection of one engine with the portable SQL interface the ledger's code uses."""

    __slots__ = ("dialect", "raw", "execute", "known", "legs", "before_commit", "after_commit")

    def __init__(self, dialect: Dialect, raw: Any) -> None:
        self.dialect = dialect
        self.raw = raw
        #: values that never change for this database once read (the system accounts' ids)
        self.known: dict[str, Any] = {}
        #: the open transaction's transfer legs on system accounts, posted just before it commits
        #: (``posting.transfer`` on an engine with row locks)
        self.legs: list[Any] = []
        #: what runs when the open transaction's block has ended well, before its commit
        self.before_commit: list[Callable[[], None]] = []
        #: what runs once the open transaction has committed (not when its outcome is unknown)
        self.after_commit: list[Callable[[], None]] = []
        #: ``execute(sql, args=())``: one portable statement, a DB-API cursor back
        self.execute: Execute = dialect.executor(raw)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement for many parameter rows."""
        self.dialect.executemany(self.raw, sql, rows)

    def one(self, sql: str, args: Sequence[Any] = ()) -> Any:
        """The first row, or ``None``."""
        return self.execute(sql, args).fetchone()

    def all(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        """Every row."""
        return list(self.execute(sql, args).fetchall())

    def batch(self, *statements: tuple[str, Sequence[Any]]) -> list[list[Any]]:
        """Each statement's rows, all sent before any is read: inside a PostgreSQL unit of work
        (pipelined, ``dialect_pg.PgConn.begin``) one round trip for all of them."""
        cursors = [self.execute(sql, args) for sql, args in statements]
        return [list(c.fetchall()) for c in cursors]

    def insert(self, sql: str, args: Sequence[Any] = (), key: str = "id") -> int:
        """Run an ``INSERT`` (without ``RETURNING``); the new row's ``key`` (its id)."""
        return self.dialect.insert(self.raw, sql, args, key)

    def page(self, sql: str, args: Sequence[Any], limit: int) -> tuple[list[Any], bool]:
        """One keyset page: ``sql`` ends in ``LIMIT ?``; it is asked for one row more than
        ``limit`` to learn whether another page follows. The page's rows and that flag."""
        rows = self.execute(sql, (*args, limit + 1)).fetchall()
        return rows[:limit], len(rows) > limit

    def transaction(self, relaxed: bool = False) -> Transaction:
        """``with db.transaction():`` a write transaction (:meth:`Dialect.begin`), committed at
        the end of the block, rolled back on any exception (and when its commit fails)."""
        return Transaction(self, relaxed)

    def close(self) -> None:
        """Close the connection."""
        self.dialect.close(self.raw)


class Transaction:
    """The context manager :meth:`Db.transaction` returns (a class: it runs on every write and
    every audited read, where a generator-based one costs a few microseconds more)."""

    __slots__ = ("db", "relaxed")

    def __init__(self, db: Db, relaxed: bool) -> None:
        self.db = db
        self.relaxed = relaxed

    def __enter__(self) -> Db:
        db = self.db
        db.legs.clear()
        db.before_commit.clear()
        db.after_commit.clear()
        db.dialect.begin(db.raw, self.relaxed)
        return db

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        db = self.db
        dialect, raw = db.dialect, db.raw
        if kind is not None:
            db.legs.clear()
            db.before_commit.clear()
            db.after_commit.clear()
            dialect.rollback(raw, self.relaxed)
            return
        try:
            while db.before_commit:
                db.before_commit.pop(0)()
            dialect.commit(raw, self.relaxed)
        except BaseException:
            db.legs.clear()
            db.before_commit.clear()
            db.after_commit.clear()
            dialect.rollback(raw, self.relaxed)
            raise
        done, db.after_commit = db.after_commit, []
        for fn in done:
            fn()


#: URL scheme → ``module:Class`` of its dialect, imported when first used.
ENGINES = {
    "postgresql": "yibao_tui.ledger.dialect_pg:PgDialect",
    "postgres": "yibao_tui.ledger.dialect_pg:PgDialect",
}


def is_url(target: str) -> bool:
    """Whether ``target`` names a database server (``postgresql://…``) rather than a file."""
    scheme, sep, _ = target.partition("://")
    return bool(sep) and scheme.lower() in ENGINES


def dialect_for(target: str) -> Dialect:
    """The dialect for a ledger file path (SQLite) or a database URL."""
    if not is_url(target):
        from yibao_tui.ledger.dialect_sqlite import SQLITE

        return SQLITE
    spec = ENGINES[target.partition("://")[0].lower()]
    module, _, cls = spec.partition(":")
    try:
        found: Dialect = getattr(importlib.import_module(module), cls)()
    except ImportError as e:  # the engine's driver or dialect is not installed
        raise YibaoError("DATABASE_UNAVAILABLE", path=target.partition("://")[0] + "://…", detail=str(e)) from None
    return found
