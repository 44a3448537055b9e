"""Connections, pragmas, schema and transactions.

Every connection: WAL, ``synchronous=FULL``, foreign keys, a busy timeout. Every write is one
``BEGIN IMMEDIATE`` transaction, so a read-then-write in several processes waits its turn instead
of failing (sqlite-utils' ``atomic()`` opens a deferred BEGIN, which does not).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from yibao_tui.domain.errors import Msg, YibaoError

#: 2: money columns refused unless integers within bounds (``ledger/limits.py``; the schema script
#: itself brings an older ledger there). 3: ``persons.name_key`` and its index (person find); 4:
#: operators can be disabled (``operators.disabled_at``): steps in ``MIGRATIONS``.
SCHEMA_VERSION = 4
BUSY_TIMEOUT_MS = 15_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS persons (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    scheme      TEXT NOT NULL CHECK (scheme IN ('employee', 'resident')),
    region      TEXT NOT NULL,
    card        TEXT UNIQUE,
    birth_date  TEXT NOT NULL,
    sex         TEXT NOT NULL CHECK (sex IN ('M', 'F')),
    pledge_at   TEXT,
    created_at  TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS accounts (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('personal', 'system')),
    person_id  TEXT UNIQUE REFERENCES persons(id),
    status     TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
    balance    INTEGER NOT NULL DEFAULT 0,
    CHECK (kind = 'system' OR balance >= 0),
    CHECK ((kind = 'personal') = (person_id IS NOT NULL))
);

CREATE TABLE IF NOT EXISTS operations (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    idem_key      TEXT UNIQUE,
    request_hash  TEXT NOT NULL,
    response      TEXT,
    time          TEXT NOT NULL,
    channel       TEXT NOT NULL,
    operator      TEXT
);

CREATE TABLE IF NOT EXISTS transfers (
    id              INTEGER PRIMARY KEY,
    op_id           INTEGER REFERENCES operations(id),
    kind            TEXT NOT NULL,
    debit_account   INTEGER NOT NULL REFERENCES accounts(id),
    credit_account  INTEGER NOT NULL REFERENCES accounts(id),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    time            TEXT NOT NULL,
    memo            TEXT NOT NULL DEFAULT '',
    ref             TEXT,
    CHECK (debit_account <> credit_account)
);

CREATE TABLE IF NOT EXISTS entries (
    id             INTEGER PRIMARY KEY,
    transfer_id    INTEGER NOT NULL REFERENCES transfers(id),
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    amount         INTEGER NOT NULL CHECK (amount <> 0),
    balance_after  INTEGER NOT NULL,
    time           TEXT NOT NULL,
    kind           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_account_time ON entries (account_id, time, id);
CREATE INDEX IF NOT EXISTS entries_transfer ON entries (transfer_id);

CREATE TABLE IF NOT EXISTS bindings (
    id           INTEGER PRIMARY KEY,
    holder_id    TEXT NOT NULL REFERENCES persons(id),
    relative_id  TEXT NOT NULL REFERENCES persons(id),
    relation     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('active', 'ended')),
    bound_at     TEXT NOT NULL,
    unbound_at   TEXT,
    verified_by  TEXT NOT NULL CHECK (verified_by IN ('counter', 'face', 'letter')),
    op_id        INTEGER REFERENCES operations(id),
    ended_reason TEXT,
    CHECK (holder_id <> relative_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS bindings_one_active
    ON bindings (holder_id, relative_id) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS bindings_relative ON bindings (relative_id, status);

CREATE TABLE IF NOT EXISTS premium_payments (
    id           INTEGER PRIMARY KEY,
    payment_id   TEXT NOT NULL UNIQUE,
    payer_id     TEXT NOT NULL REFERENCES persons(id),
    relative_id  TEXT NOT NULL REFERENCES persons(id),
    year         INTEGER NOT NULL,
    amount       INTEGER NOT NULL CHECK (amount > 0),
    transfer_id  INTEGER NOT NULL REFERENCES transfers(id),
    time         TEXT NOT NULL,
    UNIQUE (relative_id, year)
);
CREATE INDEX IF NOT EXISTS premium_payer ON premium_payments (payer_id);

CREATE TABLE IF NOT EXISTS audit (
    seq        INTEGER PRIMARY KEY,
    time       TEXT NOT NULL,
    channel    TEXT NOT NULL,
    operator   TEXT,
    action     TEXT NOT NULL,
    subject    TEXT,
    detail     TEXT NOT NULL DEFAULT '',
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_subject ON audit (subject, seq);
CREATE INDEX IF NOT EXISTS audit_operator ON audit (operator, seq);

-- Immutability: the record is append-only. A correction is a reversing transfer.
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are immutable'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are immutable'); END;
CREATE TRIGGER IF NOT EXISTS transfers_no_update BEFORE UPDATE ON transfers
BEGIN SELECT RAISE(ABORT, 'transfers are immutable'); END;
CREATE TRIGGER IF NOT EXISTS transfers_no_delete BEFORE DELETE ON transfers
BEGIN SELECT RAISE(ABORT, 'transfers are immutable'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS premium_no_update BEFORE UPDATE ON premium_payments
BEGIN SELECT RAISE(ABORT, 'payments are immutable'); END;
CREATE TRIGGER IF NOT EXISTS premium_no_delete BEFORE DELETE ON premium_payments
BEGIN SELECT RAISE(ABORT, 'payments are immutable'); END;
CREATE TRIGGER IF NOT EXISTS operations_no_delete BEFORE DELETE ON operations
BEGIN SELECT RAISE(ABORT, 'operations are immutable'); END;
-- an operation's response is written once, in the transaction that created it
CREATE TRIGGER IF NOT EXISTS operations_once BEFORE UPDATE ON operations
WHEN OLD.response IS NOT NULL OR NEW.id <> OLD.id OR NEW.idem_key IS NOT OLD.idem_key
     OR NEW.request_hash <> OLD.request_hash
BEGIN SELECT RAISE(ABORT, 'operations are immutable'); END;
CREATE TRIGGER IF NOT EXISTS bindings_no_delete BEFORE DELETE ON bindings
BEGIN SELECT RAISE(ABORT, 'binding history is kept'); END;
"""

SYSTEM_ACCOUNTS = ("fund", "provider", "premium", "withdrawal", "opening")


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
    import time

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


def _full_schema() -> str:
    from yibao_tui.ledger.access import SCHEMA as ACCESS_SCHEMA
    from yibao_tui.ledger.limits import SCHEMA as LIMITS_SCHEMA
    from yibao_tui.ledger.withdrawals import SCHEMA as WITHDRAWAL_SCHEMA

    return SCHEMA + ACCESS_SCHEMA + WITHDRAWAL_SCHEMA + LIMITS_SCHEMA


def _schema_hash(script: str) -> str:
    import hashlib

    return hashlib.sha256(script.encode()).hexdigest()[:16]


def migrate(conn: sqlite3.Connection, create: bool = True) -> None:
    """Create the schema (idempotent) and the system accounts. Without ``create`` a database
    that is not a ledger yet (no ``meta`` table) is ``DATABASE_CORRUPT``, not made one.

    A ledger already at this schema is recognised with one read, so opening it takes no write
    lock (a busy office's writers do not hold up every app and CLI call that starts)."""
    script = _full_schema()
    digest = _schema_hash(f"{script}\x1f{SCHEMA_VERSION}")
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_hash'").fetchone()
    except sqlite3.OperationalError:  # a new file: no meta table yet
        if not create:
            raise YibaoError("DATABASE_CORRUPT", path=_db_file(conn)) from None
        row = None
    if row is not None and row[0] == digest:
        return
    with immediate(conn):
        for stmt in _statements(script):
            conn.execute(stmt)
        _add_columns(conn)
        for code in SYSTEM_ACCOUNTS:
            conn.execute(
                "INSERT OR IGNORE INTO accounts (code, kind) VALUES (?, 'system')", (f"SYS:{code}",)
            )
        # the script above brings any older ledger to version 2; the steps do the rest, once each
        version_row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        current = int(version_row[0]) if version_row else 1  # a new file has the base schema (1)
        for version, step in MIGRATIONS:
            if version > current:
                step(conn)
        backfill_name_keys(conn)  # rows written by a bulk loader that left the key out
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(max(current, SCHEMA_VERSION)),),
        )
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_hash', ?)", (digest,))


# --------------------------------------------------------------------------- versioned migrations
# Each step runs once, inside migrate()'s BEGIN IMMEDIATE transaction, on a ledger whose
# ``meta.schema_version`` is below its number. sqlite-utils does the schema work here: its table
# introspection (``columns_dict``, ``indexes``) and ``add_column``/``create_index`` join the open
# transaction (as a savepoint) instead of committing on their own. It is not used on the write path,
# which needs BEGIN IMMEDIATE (its ``atomic()`` opens a deferred BEGIN; DESIGN.md pitfalls).


def _utils(conn: sqlite3.Connection) -> Any:
    """A sqlite-utils view of our connection that changes none of its pragmas."""
    import sqlite_utils

    return sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)


#: The index person find uses: the normalised name, then birth date and ID (its keyset order).
PERSON_NAME_INDEX = "persons_name_key"


def _v3_person_name_key(conn: sqlite3.Connection) -> None:
    """``persons.name_key`` (the normalised name) and the index person find reads."""
    persons = _utils(conn)["persons"]
    if "name_key" not in persons.columns_dict:
        persons.add_column("name_key", str)
    backfill_name_keys(conn)
    persons.create_index(["name_key", "birth_date", "id"], index_name=PERSON_NAME_INDEX, if_not_exists=True)


def _v4_operator_disabled(conn: sqlite3.Connection) -> None:
    """``operators.disabled_at``: a disabled operator cannot log in."""
    operators = _utils(conn)["operators"]
    if "disabled_at" not in operators.columns_dict:
        operators.add_column("disabled_at", str)


MIGRATIONS: tuple[tuple[int, Callable[[sqlite3.Connection], None]], ...] = (
    (3, _v3_person_name_key),
    (4, _v4_operator_disabled),
)


def backfill_name_keys(conn: sqlite3.Connection) -> int:
    """Fill ``persons.name_key`` where it is missing (one indexed read when none is)."""
    from yibao_tui.domain.names import name_key

    conn.create_function("yibao_name_key", 1, name_key, deterministic=True)
    try:
        cur = conn.execute("UPDATE persons SET name_key = yibao_name_key(name) WHERE name_key IS NULL")
    finally:
        conn.create_function("yibao_name_key", 1, None)
    return int(cur.rowcount or 0)


#: Columns added after a table was first shipped: ``CREATE TABLE IF NOT EXISTS`` leaves an older
#: ledger's table as it was, so they are added here (table, column, declaration).
ADDED_COLUMNS = (
    ("bindings", "ended_reason", "TEXT"),
)


def _add_columns(conn: sqlite3.Connection) -> None:
    """Bring an older ledger's tables up to the schema: add the columns it lacks."""
    for table, column, decl in ADDED_COLUMNS:
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")


def _db_file(conn: sqlite3.Connection) -> str:
    row = conn.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row else ""


def _statements(script: str) -> Iterator[str]:
    """Split a schema script on complete statements (triggers contain inner semicolons)."""
    buf = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--") and not buf.strip():
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                yield buf.strip()
            buf = ""


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; roll back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
