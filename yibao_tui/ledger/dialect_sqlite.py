"""The SQLite dialect: the embedded default for a laptop and a single office.

One file, WAL, ``synchronous=FULL``, foreign keys, a busy timeout (``ledger.db``). A write
transaction is ``BEGIN IMMEDIATE``: it takes the one write lock before its first read, so
several processes' read-then-write units wait their turn instead of failing, and nothing is
ever retried (:meth:`SqliteDialect.retryable` is false). The ledger's portable SQL is SQLite's
own, so statements run as written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from yibao_tui.domain.errors import YibaoError
from yibao_tui.ledger import db as _db

if TYPE_CHECKING:
    from yibao_tui.ledger.dialect import Db, Execute


class SqliteDialect:
    """See ``yibao_tui.ledger.dialect.Dialect``."""

    name = "sqlite"
    error = sqlite3.Error
    for_update = ""
    max_attempts = 1

    def connect(self, target: str, create: bool) -> sqlite3.Connection:
        return _db.connect(target, create)

    def close(self, raw: sqlite3.Connection) -> None:
        raw.close()

    def executor(self, raw: sqlite3.Connection) -> Execute:
        return raw.execute

    def executemany(self, raw: sqlite3.Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raw.executemany(sql, rows)

    def begin(self, raw: sqlite3.Connection) -> None:
        raw.execute("BEGIN IMMEDIATE")

    def commit(self, raw: sqlite3.Connection) -> None:
        raw.execute("COMMIT")

    def rollback(self, raw: sqlite3.Connection) -> None:
        if raw.in_transaction:
            raw.execute("ROLLBACK")

    def retryable(self, exc: Exception) -> bool:
        return False

    def translate(self, exc: Exception, where: str) -> YibaoError:
        assert isinstance(exc, sqlite3.Error)
        return _db.translate(exc, where)

    def migrate(self, db: Db, create: bool) -> None:
        _db.migrate(db.raw, create)

    @contextmanager
    def relaxed(self, db: Db) -> Iterator[None]:
        # Reads are audited with synchronous=NORMAL in WAL: durable across a crash of the
        # process, at most the newest few lost on power failure.
        db.raw.execute("PRAGMA synchronous = NORMAL")
        try:
            yield
        finally:
            db.raw.execute("PRAGMA synchronous = FULL")

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
