"""The ledger's schema, described once for every engine, and its versioned migrations.

The description is data: tables (columns in portable SQL: ``id`` is the table's 64-bit key, ``int``
a 64-bit integer, ``text`` text; constraints as ``NOT NULL``, ``UNIQUE``, ``DEFAULT``, ``CHECK``,
``REFERENCES``), indexes (partial ones too), guards (a table's rows may not be updated or
deleted: the record is append-only) and money bounds (``ledger/limits.py``). A dialect renders
what differs: a column type (``ddl_type``), a guard or a money bound as the engine's trigger
(``ddl_guard``, ``ddl_money``), what those need first (``ddl_prelude``). :func:`migrate` brings any
ledger to :data:`SCHEMA_VERSION` on either engine: it creates what is missing, adds the columns an
older table lacks, runs each version's step once, and records it in ``schema_version``.

Versions: 1 the first ledgers; 2 money bounds (triggers); 3 ``persons.name_key`` and its index
(person find); 4 ``operators.disabled_at``; 5 the ``schema_version`` table and ``audit.chain``
(several audit chains, one per writer, anchored together: the hook for PostgreSQL with several
server processes; every record is on chain 0 until then).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from yibao_tui.domain.errors import YibaoError
from yibao_tui.ledger.limits import MARK, MAX_BALANCE_FEN

if TYPE_CHECKING:
    from yibao_tui.ledger.dialect import Db, Dialect

SCHEMA_VERSION = 5
#: The index person find uses: the normalised name, then birth date and ID (its keyset order).
PERSON_NAME_INDEX = "persons_name_key"
SYSTEM_ACCOUNTS = ("fund", "provider", "premium", "withdrawal", "opening")


@dataclass(frozen=True)
class Column:
    """``name`` of type ``id`` / ``int`` / ``text`` with portable constraints (``sql``)."""

    name: str
    type: str
    sql: str = ""


@dataclass(frozen=True)
class Table:
    """A table: its columns in order and its table constraints (portable SQL)."""

    name: str
    columns: tuple[Column, ...]
    constraints: tuple[str, ...] = ()


@dataclass(frozen=True)
class Index:
    """``CREATE [UNIQUE] INDEX name ON table (columns) [WHERE where]``."""

    name: str
    table: str
    columns: tuple[str, ...]
    unique: bool = False
    where: str = ""
    #: The engines that get it (all when empty)
    engines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Guard:
    """Refuse ``event`` (``UPDATE``/``DELETE``) on ``table`` with ``message`` (when ``when``, a
    portable condition over ``OLD``/``NEW``)."""

    name: str
    table: str
    event: str
    message: str
    when: str = ""


@dataclass(frozen=True)
class MoneyBound:
    """Money columns of ``table`` refused unless integers in ``[lo, MAX_BALANCE_FEN]`` (``lo`` per
    column); ``nonzero`` columns may not be 0 either. The refusal's message starts with ``MARK``."""

    table: str
    columns: tuple[tuple[str, int], ...]
    nonzero: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        return f"{MARK}: {self.table}"


def _c(name: str, type_: str, sql: str = "") -> Column:
    return Column(name, type_, sql)


_NN = "NOT NULL"
TABLES: tuple[Table, ...] = (
    Table("meta", (_c("key", "text", "PRIMARY KEY"), _c("value", "text", _NN))),
    Table("persons", (
        _c("id", "text", "PRIMARY KEY"),
        _c("name", "text", _NN),
        _c("scheme", "text", "NOT NULL CHECK (scheme IN ('employee', 'resident'))"),
        _c("region", "text", _NN),
        _c("card", "text", "UNIQUE"),
        _c("birth_date", "text", _NN),
        _c("sex", "text", "NOT NULL CHECK (sex IN ('M', 'F'))"),
        _c("pledge_at", "text"),
        _c("created_at", "text", _NN),
        _c("name_key", "text"),  # 3
    )),
    Table("accounts", (
        _c("id", "id"),
        _c("code", "text", "NOT NULL UNIQUE"),
        _c("kind", "text", "NOT NULL CHECK (kind IN ('personal', 'system'))"),
        _c("person_id", "text", "UNIQUE REFERENCES persons(id)"),
        _c("status", "text", "NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed'))"),
        _c("balance", "int", "NOT NULL DEFAULT 0"),
    ), ("CHECK (kind = 'system' OR balance >= 0)", "CHECK ((kind = 'personal') = (person_id IS NOT NULL))")),
    Table("operations", (
        _c("id", "id"),
        _c("kind", "text", _NN),
        _c("idem_key", "text", "UNIQUE"),
        _c("request_hash", "text", _NN),
        _c("response", "text"),
        _c("time", "text", _NN),
        _c("channel", "text", _NN),
        _c("operator", "text"),
    )),
    Table("transfers", (
        _c("id", "id"),
        _c("op_id", "int", "REFERENCES operations(id)"),
        _c("kind", "text", _NN),
        _c("debit_account", "int", "NOT NULL REFERENCES accounts(id)"),
        _c("credit_account", "int", "NOT NULL REFERENCES accounts(id)"),
        _c("amount", "int", "NOT NULL CHECK (amount > 0)"),
        _c("time", "text", _NN),
        _c("memo", "text", "NOT NULL DEFAULT ''"),
        _c("ref", "text"),
    ), ("CHECK (debit_account <> credit_account)",)),
    Table("entries", (
        _c("id", "id"),
        _c("transfer_id", "int", "NOT NULL REFERENCES transfers(id)"),
        _c("account_id", "int", "NOT NULL REFERENCES accounts(id)"),
        _c("amount", "int", "NOT NULL CHECK (amount <> 0)"),
        _c("balance_after", "int", _NN),
        _c("time", "text", _NN),
        _c("kind", "text", _NN),
    )),
    Table("bindings", (
        _c("id", "id"),
        _c("holder_id", "text", "NOT NULL REFERENCES persons(id)"),
        _c("relative_id", "text", "NOT NULL REFERENCES persons(id)"),
        _c("relation", "text", _NN),
        _c("status", "text", "NOT NULL CHECK (status IN ('active', 'ended'))"),
        _c("bound_at", "text", _NN),
        _c("unbound_at", "text"),
        _c("verified_by", "text", "NOT NULL CHECK (verified_by IN ('counter', 'face', 'letter'))"),
        _c("op_id", "int", "REFERENCES operations(id)"),
        _c("ended_reason", "text"),
    ), ("CHECK (holder_id <> relative_id)",)),
    Table("premium_payments", (
        _c("id", "id"),
        _c("payment_id", "text", "NOT NULL UNIQUE"),
        _c("payer_id", "text", "NOT NULL REFERENCES persons(id)"),
        _c("relative_id", "text", "NOT NULL REFERENCES persons(id)"),
        _c("year", "int", _NN),
        _c("amount", "int", "NOT NULL CHECK (amount > 0)"),
        _c("transfer_id", "int", "NOT NULL REFERENCES transfers(id)"),
        _c("time", "text", _NN),
    ), ("UNIQUE (relative_id, year)",)),
    Table("audit", (
        _c("seq", "id"),
        _c("time", "text", _NN),
        _c("channel", "text", _NN),
        _c("operator", "text"),
        _c("action", "text", _NN),
        _c("subject", "text"),
        _c("detail", "text", "NOT NULL DEFAULT ''"),
        _c("prev_hash", "text", _NN),
        _c("hash", "text", _NN),
        _c("chain", "int", "NOT NULL DEFAULT 0"),  # 5
    )),
    # operators (工号 + password) and card PINs: hashes only, lockouts kept in the ledger (``access``)
    Table("operators", (
        _c("id", "text", "PRIMARY KEY"),
        _c("name", "text", _NN),
        _c("role", "text", "NOT NULL CHECK (role IN ('clerk', 'supervisor'))"),
        _c("pw_hash", "text", _NN),
        _c("failures", "int", "NOT NULL DEFAULT 0"),
        _c("locked_until", "text"),
        _c("created_at", "text", _NN),
        _c("disabled_at", "text"),  # 4
    )),
    # failed logins naming an operator number that does not exist: counted and locked like a real
    # one, so the answers never tell which numbers exist
    Table("operator_unknown", (
        _c("id", "text", "PRIMARY KEY"),
        _c("failures", "int", "NOT NULL DEFAULT 0"),
        _c("locked_until", "text"),
    )),
    Table("card_pins", (
        _c("person_id", "text", "PRIMARY KEY REFERENCES persons(id)"),
        _c("pin_hash", "text", _NN),
        _c("failures", "int", "NOT NULL DEFAULT 0"),
        _c("locked_until", "text"),
        _c("set_at", "text", _NN),
    )),
    # executed withdrawals (counter only, supervisor co-signed): the payout and the account closure
    Table("withdrawals", (
        _c("id", "id"),
        _c("withdrawal_id", "text", "NOT NULL UNIQUE"),
        _c("person_id", "text", "NOT NULL UNIQUE REFERENCES persons(id)"),
        _c("case_name", "text", _NN),
        _c("payee", "text", _NN),
        _c("payee_name", "text", _NN),
        _c("payee_account", "text", _NN),
        _c("amount", "int", "NOT NULL CHECK (amount > 0)"),
        _c("transfer_id", "int", "NOT NULL REFERENCES transfers(id)"),
        _c("operator", "text", _NN),
        _c("cosigner", "text", _NN),
        _c("time", "text", _NN),
    ), ("CHECK (operator <> cosigner)",)),
    # 5: the versions this ledger went through, when, and what each brought
    Table("schema_version", (
        _c("version", "int", "PRIMARY KEY"),
        _c("applied_at", "text", _NN),
        _c("description", "text", _NN),
    )),
)

INDEXES: tuple[Index, ...] = (
    Index("entries_account_time", "entries", ("account_id", "time", "id")),
    Index("entries_transfer", "entries", ("transfer_id",)),
    Index("bindings_one_active", "bindings", ("holder_id", "relative_id"), unique=True, where="status = 'active'"),
    Index("bindings_relative", "bindings", ("relative_id", "status")),
    Index("premium_payer", "premium_payments", ("payer_id",)),
    Index("audit_subject", "audit", ("subject", "seq")),
    Index("audit_operator", "audit", ("operator", "seq")),
    Index(PERSON_NAME_INDEX, "persons", ("name_key", "birth_date", "id")),  # 3
    # 5: each chain's head (SQLite scans back from the newest record instead: one more index on
    # every audited read cost it ~30 µs)
    Index("audit_chain", "audit", ("chain", "seq"), engines=("postgresql",)),
)


def _immutable(table: str, message: str, events: tuple[str, ...] = ("UPDATE", "DELETE"),
               prefix: str = "") -> tuple[Guard, ...]:
    return tuple(Guard(f"{prefix or table}_no_{e.lower()}", table, e, message) for e in events)


#: Immutability: the record is append-only. A correction is a reversing transfer.
GUARDS: tuple[Guard, ...] = (
    *_immutable("entries", "entries are immutable"),
    *_immutable("transfers", "transfers are immutable"),
    *_immutable("audit", "the audit log is append-only"),
    *_immutable("premium_payments", "payments are immutable", prefix="premium"),
    *_immutable("operations", "operations are immutable", ("DELETE",)),
    # an operation's response is written once, in the transaction that created it
    Guard("operations_once", "operations", "UPDATE", "operations are immutable",
          "OLD.response IS NOT NULL OR NEW.id <> OLD.id OR (NEW.idem_key IS NULL) <> (OLD.idem_key IS NULL)"
          " OR NEW.idem_key <> OLD.idem_key OR NEW.request_hash <> OLD.request_hash"),
    *_immutable("bindings", "binding history is kept", ("DELETE",)),
    *_immutable("withdrawals", "withdrawals are immutable"),
)

_M = -MAX_BALANCE_FEN
MONEY: tuple[MoneyBound, ...] = (
    MoneyBound("accounts", (("balance", _M),)),
    MoneyBound("transfers", (("amount", 1),)),
    MoneyBound("entries", (("amount", _M), ("balance_after", _M)), nonzero=("amount",)),
    MoneyBound("premium_payments", (("amount", 1),)),
    MoneyBound("withdrawals", (("amount", 1),)),
)


# --------------------------------------------------------------------------- rendering
def column_sql(dialect_type: Callable[[str], str], column: Column) -> str:
    """One column's definition in an engine's words."""
    return f"{column.name} {dialect_type(column.type)}{' ' + column.sql if column.sql else ''}"


def table_sql(dialect_type: Callable[[str], str], table: Table) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for one table."""
    parts = [column_sql(dialect_type, c) for c in table.columns] + list(table.constraints)
    return f"CREATE TABLE IF NOT EXISTS {table.name} (\n    " + ",\n    ".join(parts) + "\n)"


def index_sql(index: Index) -> str:
    """``CREATE INDEX IF NOT EXISTS`` (the same on every engine)."""
    unique = "UNIQUE " if index.unique else ""
    where = f" WHERE {index.where}" if index.where else ""
    return f"CREATE {unique}INDEX IF NOT EXISTS {index.name} ON {index.table} ({', '.join(index.columns)}){where}"


def script(dialect: Dialect) -> list[str]:
    """Every statement of the schema in ``dialect``'s words (each idempotent): tables, then what
    guards need, indexes, guards, money bounds. Run after the columns older tables lack are added
    (an index may be on such a column)."""
    out = [table_sql(dialect.ddl_type, t) for t in TABLES]
    out += dialect.ddl_prelude()
    out += [index_sql(i) for i in INDEXES if not i.engines or dialect.name in i.engines]
    for g in GUARDS:
        out += dialect.ddl_guard(g)
    for m in MONEY:
        out += dialect.ddl_money(m)
    return out


# --------------------------------------------------------------------------- migration
def backfill_name_keys(db: Db) -> int:
    """Fill ``persons.name_key`` where it is missing (rows from a bulk loader that left it out,
    or from before version 3); one indexed read when none is missing."""
    from yibao_tui.domain.names import name_key

    rows = db.all("SELECT id, name FROM persons WHERE name_key IS NULL")
    if rows:
        db.executemany("UPDATE persons SET name_key = ? WHERE id = ?", [(name_key(n), i) for i, n in rows])
    return len(rows)


@dataclass(frozen=True)
class Step:
    """What version ``version`` brought; ``run`` does its data work (the columns, indexes and
    triggers come from the description itself)."""

    version: int
    description: str
    run: Callable[[Db], object] | None = field(default=None)


STEPS: tuple[Step, ...] = (
    Step(2, "money columns refused unless integers within bounds (triggers)"),
    Step(3, "persons.name_key and its index (person find)", backfill_name_keys),
    Step(4, "operators.disabled_at"),
    Step(5, "schema_version table; audit.chain (one audit chain per writer, anchored together)"),
)


def digest(dialect: Dialect) -> str:
    """What a ledger at this schema has in ``meta.schema_hash`` (checked with one read)."""
    text = "\n;\n".join(script(dialect))
    return hashlib.sha256(f"{text}\x1f{SCHEMA_VERSION}".encode()).hexdigest()[:16]


def current_version(db: Db, dialect: Dialect) -> int:
    """The version a ledger is at: its ``schema_version`` table, else (before 5) ``meta``, else 1."""
    if dialect.columns(db, "schema_version"):
        row = db.one("SELECT MAX(version) FROM schema_version")
        if row and row[0] is not None:
            return int(row[0])
    row = db.one("SELECT value FROM meta WHERE key = 'schema_version'")
    return int(row[0]) if row else 1


def migrate(db: Db, dialect: Dialect, create: bool, where: Callable[[], str] = str) -> None:
    """Create the schema or bring an older ledger to :data:`SCHEMA_VERSION`, in one transaction,
    and the system accounts. Without ``create`` a database that is not a ledger yet (no ``meta``
    table) is ``DATABASE_CORRUPT``, not made one. A ledger already at this schema is recognised
    with one read (no write lock: a busy office's writers do not hold up every app start)."""
    want = digest(dialect)
    have_meta = bool(dialect.columns(db, "meta"))
    if not have_meta and not create:
        raise YibaoError("DATABASE_CORRUPT", path=where())
    if have_meta:
        row = db.one("SELECT value FROM meta WHERE key = 'schema_hash'")
        if row is not None and row[0] == want:
            return
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")
    with db.transaction():
        dialect.lock_schema(db)
        fresh = not dialect.columns(db, "meta")
        current = SCHEMA_VERSION if fresh else current_version(db, dialect)
        statements = script(dialect)
        tables = len(TABLES)
        for stmt in statements[:tables]:
            db.execute(stmt)
        for table in TABLES:  # an older ledger's tables: add the columns they lack
            have = set(dialect.columns(db, table.name))
            for column in table.columns:
                if column.name not in have:
                    db.execute(f"ALTER TABLE {table.name} ADD COLUMN {column_sql(dialect.ddl_type, column)}")
        for stmt in statements[tables:]:
            db.execute(stmt)
        for code in SYSTEM_ACCOUNTS:
            db.execute("INSERT INTO accounts (code, kind) VALUES (?, 'system') ON CONFLICT (code) DO NOTHING",
                       (f"SYS:{code}",))
        if fresh:
            db.execute("INSERT INTO schema_version (version, applied_at, description) VALUES (?, ?, ?)",
                       (SCHEMA_VERSION, now, f"created at version {SCHEMA_VERSION}"))
        for step in STEPS:
            if step.version > current:
                if step.run is not None:
                    step.run(db)
                db.execute("INSERT INTO schema_version (version, applied_at, description) VALUES (?, ?, ?)"
                           " ON CONFLICT (version) DO NOTHING", (step.version, now, step.description))
        backfill_name_keys(db)  # rows written by a bulk loader that left the key out
        for key, value in (("schema_version", str(max(current, SCHEMA_VERSION))), ("schema_hash", want)):
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                       (key, value))
