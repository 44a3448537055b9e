"""The SQLite dialect: the embedded default for a laptop and a single office.

Every connection: WAL, ``synchronous=FULL``, foreign keys, a busy timeout. A write transaction is
``BEGIN IMMEDIATE``: it takes the one write lock before its first read, so several processes'
read-then-write units wait their turn instead of failing, and nothing is ever retried
(:meth:`SqliteDialect.retryable` is false). The ledger's portable SQL is SQLite's own, so
statements run as written (``Db.execute`` is ``sqlite3.Connection.execute`` itself). The schema's
guards and money bounds are ``RAISE(ABORT, …)`` triggers; a money bound also refuses a value that
is not an integer (``typeof``): SQLite silently turns an integer that overflows 64 bits into a
float.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yibao_tui.domain.errors import Msg, YibaoError
from yibao_tui.ledger.limits import MAX_BALANCE_FEN

if TYPE_CHECKING:
    from yibao_tui.ledger.dialect import Db, Execute
    from yibao_tui.ledger.schema import Guard, MoneyBound

BUSY_TIMEOUT_MS = 15_000
#: ``schema.digest(SQLITE)``: the ``meta.schema_hash`` of a ledger at the current schema (a test
#: keeps it equal; when the schema changes, put the new digest here).
SCHEMA_DIGEST = "7b1bdbae90131f2e"


def translate(exc: sqlite3.Error, path: str | Path) -> YibaoError:
    """Turn a sqlite3 error into a clear ``YibaoError``."""
    text = str(exc).lower()
    from yibao_tui.ledger import limits

    if limits.MARK in text:
        return limits.out_of_range()
    if "locked" in text or "busy" in text:
        return YibaoError("DATABASE_BUSY")
    if ("not a database" in text or "malformed" in text or "corrupt" in text
            or "could not decode" in text):  # damaged text: never its raw bytes in a message
        return YibaoError("DATABASE_CORRUPT", path=str(path))
    if "unable to open" in text or "readonly" in text or "read-only" in text or "disk" in text:
        return YibaoError("DATABASE_UNAVAILABLE", path=str(path), detail=str(exc))
    return YibaoError("INTERNAL", detail=str(exc))


def _check_file(p: Path, create: bool) -> bool:
    """Whether the ledger file is new. Without ``create`` a missing file is ``LEDGER_NOT_FOUND``
    (a read-only command never makes a ledger, nor its folders); an existing empty file is not a
    ledger (``DATABASE_CORRUPT``): SQLite would silently take it as a new, empty one."""
    if p.is_dir():
        raise YibaoError("DATABASE_UNAVAILABLE", path=str(p), detail=Msg("detail.folder_not_file"))
    if not p.exists():
        if not create:
            raise YibaoError("LEDGER_NOT_FOUND", path=str(p))
        return True
    if _stays_empty(p):
        raise YibaoError("DATABASE_CORRUPT", path=str(p))
    return False


def _stays_empty(p: Path, wait: float = 1.0) -> bool:
    """An empty file that stays empty. Another process creating the ledger at this moment
    writes its first page microseconds after the file appears: wait that out."""
    deadline = time.monotonic() + wait
    while True:
        wal = Path(f"{p}-wal")
        if p.stat().st_size > 0 or (wal.exists() and wal.stat().st_size > 0):
            return False
        if time.monotonic() > deadline:
            return True
        time.sleep(0.01)


def connect(path: str | Path, create: bool = True) -> sqlite3.Connection:
    """Open the ledger with the pragmas every connection needs. A new ledger file is created
    0600 in folders created 0700 (its ``-wal``/``-shm`` files take its mode); without ``create``
    the file must exist."""
    from yibao_tui.files import FILE_MODE, private_dir

    p = Path(path)
    fresh = False
    if str(path) != ":memory:":
        try:
            fresh = _check_file(p, create)
            if fresh:
                private_dir(p.parent)
        except OSError as e:
            raise YibaoError("DATABASE_UNAVAILABLE", path=str(path), detail=e.strerror or str(e)) from None
    try:
        conn = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        if fresh:  # before the first byte is written
            os.chmod(p, FILE_MODE)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal" and str(path) != ":memory:":
            raise YibaoError("DATABASE_UNAVAILABLE", path=str(path), detail=f"journal_mode={mode}")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as e:
        raise translate(e, path) from None
    return conn


def db_file(conn: sqlite3.Connection) -> str:
    """The file a connection has open."""
    row = conn.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row else ""


class SqliteDialect:
    """See ``yibao_tui.ledger.dialect.Dialect``."""

    name = "sqlite"
    error = sqlite3.Error
    for_update = ""
    max_attempts = 1

    def connect(self, target: str, create: bool) -> sqlite3.Connection:
        return connect(target, create)

    def close(self, raw: sqlite3.Connection) -> None:
        raw.close()

    def executor(self, raw: sqlite3.Connection) -> Execute:
        return raw.execute

    def executemany(self, raw: sqlite3.Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raw.executemany(sql, rows)

    def copy_rows(self, raw: sqlite3.Connection, table: str, columns: Sequence[str],
                  rows: Sequence[Sequence[Any]]) -> None:
        marks = ", ".join("?" * len(columns))
        raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608 - schema names

    def insert(self, raw: sqlite3.Connection, sql: str, args: Sequence[Any], key: str) -> int:
        return int(raw.execute(sql, args).lastrowid or 0)  # the rowid: every keyed table's INTEGER PRIMARY KEY

    def begin(self, raw: sqlite3.Connection, relaxed: bool = False) -> None:
        if relaxed:  # reads' audit: durable across a crash of the process (WAL)
            raw.execute("PRAGMA synchronous = NORMAL")
        try:
            raw.execute("BEGIN IMMEDIATE")
        except BaseException:
            if relaxed:
                raw.execute("PRAGMA synchronous = FULL")
            raise

    def commit(self, raw: sqlite3.Connection, relaxed: bool = False) -> None:
        raw.execute("COMMIT")
        if relaxed:
            raw.execute("PRAGMA synchronous = FULL")

    def rollback(self, raw: sqlite3.Connection, relaxed: bool = False) -> None:
        try:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
        finally:
            if relaxed:
                raw.execute("PRAGMA synchronous = FULL")

    def retryable(self, exc: Exception) -> bool:
        return False

    def chain_head(self, db: Db, chain: int) -> str | None:
        from yibao_tui.ledger.audit import HEAD

        row = db.one(HEAD, (chain,))  # BEGIN IMMEDIATE: one writer at a time
        return str(row[0]) if row else None

    def translate(self, exc: Exception, where: str) -> YibaoError:
        assert isinstance(exc, sqlite3.Error)
        return translate(exc, where)

    def migrate(self, db: Db, create: bool) -> None:
        # A ledger already at this schema is recognised by its ``meta.schema_hash`` alone,
        # without importing the schema description, rendering its DDL and hashing it (about
        # 3 ms of every app start; BENCHMARKS.md). ``SCHEMA_DIGEST`` is what ``schema.digest``
        # gives for SQLite; tests/ledger/test_schema.py fails when it falls behind the schema.
        if self.columns(db, "meta"):
            row = db.one("SELECT value FROM meta WHERE key = 'schema_hash'")
            if row is not None and row[0] == SCHEMA_DIGEST:
                return
        from yibao_tui.ledger.schema import migrate

        migrate(db, self, create, lambda: db_file(db.raw))

    def ddl_type(self, kind: str) -> str:
        return {"id": "INTEGER PRIMARY KEY", "int": "INTEGER", "text": "TEXT"}[kind]

    def ddl_prelude(self) -> list[str]:
        return []

    def ddl_guard(self, guard: Guard) -> list[str]:
        when = f"\nWHEN {guard.when}" if guard.when else ""
        return [f"CREATE TRIGGER IF NOT EXISTS {guard.name} BEFORE {guard.event} ON {guard.table}{when}\n"
                f"BEGIN SELECT RAISE(ABORT, '{guard.message}'); END"]

    def ddl_money(self, bound: MoneyBound) -> list[str]:
        # triggers rather than column CHECKs: a CHECK cannot be added to an existing table without
        # rebuilding it (and a rebuild would refuse to open a ledger that already holds a float)
        parts = [f"typeof(NEW.{c}) <> 'integer' OR NEW.{c} < {lo} OR NEW.{c} > {MAX_BALANCE_FEN}"
                 for c, lo in bound.columns]
        when = " OR ".join(parts[:1] + [f"NEW.{c} = 0" for c in bound.nonzero] + parts[1:])
        return [f"CREATE TRIGGER IF NOT EXISTS {bound.table}_money_{event.lower()} BEFORE {event} ON {bound.table}\n"
                f"WHEN {when}\nBEGIN SELECT RAISE(ABORT, '{bound.message}'); END" for event in ("INSERT", "UPDATE")]

    def columns(self, db: Db, table: str) -> list[str]:
        return [r[1] for r in db.raw.execute(f"PRAGMA table_info({table})")]

    def lock_schema(self, db: Db) -> None:
        pass  # BEGIN IMMEDIATE holds the one write lock

    @contextmanager
    def bulk(self, db: Db) -> Iterator[None]:
        db.raw.execute("PRAGMA synchronous = OFF")  # demo data only
        try:
            yield
        finally:
            db.raw.execute("PRAGMA synchronous = FULL")

    def engine_checks(self, db: Db) -> list[str]:
        from yibao_tui.ledger.verify import LIMIT, damage

        f: list[str] = []
        try:
            # integrity_check, not quick_check: it also finds an index that no longer matches its table
            ok = db.raw.execute("PRAGMA integrity_check").fetchall()
            if ok and ok[0][0] != "ok":
                f += [f"sqlite integrity_check: {r[0]}" for r in ok[:LIMIT]]
            for table, rowid, parent, _ in db.raw.execute("PRAGMA foreign_key_check").fetchall()[:LIMIT]:
                f.append(f"{table} row {rowid}: refers to a missing {parent} record")
        except sqlite3.DatabaseError as e:  # reported, never a crash (and never a row's text)
            f.append(damage(e))
        return f + _damaged_rows(db.raw)

    def not_integer(self, expr: str) -> str:
        return f"typeof({expr}) <> 'integer'"

    def glob(self, expr: str, pattern: str) -> str:
        return f"{expr} GLOB '{pattern}'"


SQLITE = SqliteDialect()


# --------------------------------------------------------------------------- damaged text
#: The text columns no other check reads.
_TEXT_TABLES = {
    "persons": ("id", "name", "scheme", "region", "card", "birth_date", "sex", "pledge_at", "created_at"),
    "bindings": ("holder_id", "relative_id", "relation", "status", "bound_at", "verified_by", "unbound_at"),
    "transfers": ("kind", "memo", "ref", "time"),
    "operations": ("kind", "response"),
}
#: Rows read per chunk when looking for damaged text (one decode in C per chunk).
_CHUNK = 20_000


def _damaged_rows(conn: sqlite3.Connection) -> list[str]:
    """Rows whose text is not valid UTF-8, recorded responses that are no longer JSON objects,
    and person records whose ID number fails its check character: flipped bits SQLite's own
    checks cannot see. The text is read a chunk of rows at a time and decoded at once; only a
    chunk that fails is read row by row."""
    from yibao_tui.domain.idnum import check_char
    from yibao_tui.ledger.verify import ID_GLOB, LIMIT, damage, masked

    f: list[str] = []
    old = conn.text_factory
    conn.text_factory = bytes
    try:
        for table, cols in _TEXT_TABLES.items():
            joined = " || x'1f' || ".join(f"coalesce(CAST({c} AS BLOB), x'')" for c in cols)
            top = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0  # noqa: S608 - constants
            for lo in range(0, int(top) + 1, _CHUNK):
                (blob,) = conn.execute(
                    f"SELECT group_concat({joined}, x'1e') FROM {table} WHERE rowid >= ? AND rowid < ?",  # noqa: S608
                    (lo, lo + _CHUNK)).fetchone()
                if blob is None:
                    continue
                try:
                    bytes(blob).decode("utf-8")
                except UnicodeDecodeError:
                    f += _undecodable(conn, table, cols, lo, lo + _CHUNK)
                if len(f) >= LIMIT:
                    return f[:LIMIT]
        for (op,) in conn.execute(
            "SELECT id FROM operations WHERE response IS NOT NULL AND CASE WHEN json_valid(response)"
            " THEN json_type(response) <> 'object' ELSE 1 END LIMIT ?", (LIMIT,)
        ):
            f.append(f"operations row {op}: its recorded response is damaged")
        for rowid, raw in conn.execute("SELECT rowid, id FROM persons WHERE id GLOB ?", (ID_GLOB,)):
            text = bytes(raw).decode("ascii")
            if check_char(text[:17]) != text[17]:
                f.append(f"persons row {rowid}: ID number {masked(text)} fails its check character")
                if len(f) >= LIMIT:
                    break
    except sqlite3.DatabaseError as e:
        f.append(damage(e))
    finally:
        conn.text_factory = old
    return f[:LIMIT]


def _undecodable(conn: sqlite3.Connection, table: str, cols: tuple[str, ...], lo: int, hi: int) -> list[str]:
    """The rows of one chunk whose text is not valid UTF-8 (the connection reads bytes)."""
    f: list[str] = []
    sql = f"SELECT rowid, {', '.join(cols)} FROM {table} WHERE rowid >= ? AND rowid < ?"  # noqa: S608 - constants
    for row in conn.execute(sql, (lo, hi)):
        for col, value in zip(cols, row[1:], strict=True):
            if isinstance(value, bytes):
                try:
                    value.decode("utf-8")
                except UnicodeDecodeError:
                    f.append(f"{table} row {row[0]}: {col} is damaged (not valid UTF-8)")
                    break
    return f
