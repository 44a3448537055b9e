"""Issue 11: the one schema description rendered for PostgreSQL (``ledger/ddl_pg.py``) makes a
ledger on a real PostgreSQL: from an empty schema at the current version, nothing to do the
second time, the guards and money bounds refusing as on SQLite. Needs ``$YIBAO_TEST_PG_URL``
(``.ci/pg start``); skipped without it.

The connection here is psycopg's own with the two things the schema's migration needs from a
dialect besides ``PgDdl`` (``?`` as ``%s``, begin/commit); the PostgreSQL dialect proper is
``dialect_pg``."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from yibao_tui.ledger import schema
from yibao_tui.ledger.ddl_pg import PgDdl
from yibao_tui.ledger.dialect import Db

psycopg = pytest.importorskip("psycopg")
URL = os.environ.get("YIBAO_TEST_PG_URL", "")
pytestmark = pytest.mark.skipif(not URL, reason="no PostgreSQL ($YIBAO_TEST_PG_URL unset; .ci/pg start)")


class _Psycopg(PgDdl):
    error = psycopg.Error

    def executor(self, raw: Any) -> Any:
        return lambda sql, args=(): raw.execute(sql.replace("%", "%%").replace("?", "%s"), args)

    def executemany(self, raw: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raw.cursor().executemany(sql.replace("%", "%%").replace("?", "%s"), rows)

    def insert(self, raw: Any, sql: str, args: Sequence[Any], key: str) -> int:
        return int(self.executor(raw)(f"{sql} RETURNING {key}", args).fetchone()[0])

    def begin(self, raw: Any, relaxed: bool = False) -> None:
        raw.execute("BEGIN")

    def commit(self, raw: Any, relaxed: bool = False) -> None:
        raw.execute("COMMIT")

    def rollback(self, raw: Any, relaxed: bool = False) -> None:
        raw.rollback()


@pytest.fixture
def pg() -> Iterator[Db]:
    name = f"t_{secrets.token_hex(6)}"
    admin = psycopg.connect(URL, autocommit=True)
    admin.execute(f"CREATE SCHEMA {name}")
    raw = psycopg.connect(URL, autocommit=True, options=f"-csearch_path={name}")
    try:
        yield Db(_Psycopg(), raw)  # type: ignore[arg-type]
    finally:
        raw.close()
        admin.execute(f"DROP SCHEMA {name} CASCADE")
        admin.close()


def test_an_empty_postgresql_schema_becomes_a_ledger_at_the_current_version(pg: Db) -> None:
    dialect: Any = pg.dialect
    schema.migrate(pg, dialect, create=True)
    assert pg.one("SELECT value FROM meta WHERE key = 'schema_version'")[0] == str(schema.SCHEMA_VERSION)
    assert pg.all("SELECT version FROM schema_version") == [(schema.SCHEMA_VERSION,)]
    for table in schema.TABLES:  # every table with its columns in the description's order
        assert dialect.columns(pg, table.name) == [c.name for c in table.columns]
    indexes = {r[0] for r in pg.all("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")}
    assert {i.name for i in schema.INDEXES} <= indexes  # audit_chain too: PostgreSQL's own
    assert pg.one("SELECT COUNT(*) FROM accounts WHERE kind = 'system'")[0] == len(schema.SYSTEM_ACCOUNTS)
    schema.migrate(pg, dialect, create=True)  # the second time: one read, nothing written
    assert pg.all("SELECT version FROM schema_version") == [(schema.SCHEMA_VERSION,)]


def test_postgresql_guards_and_money_bounds_refuse_as_on_sqlite(pg: Db) -> None:
    schema.migrate(pg, pg.dialect, create=True)  # type: ignore[arg-type]
    fund, provider = (r[0] for r in pg.all("SELECT id FROM accounts WHERE code IN ('SYS:fund', 'SYS:provider') ORDER BY id"))
    tid = pg.insert("INSERT INTO transfers (kind, debit_account, credit_account, amount, time)"
                    " VALUES ('credit', ?, ?, 5, '2026-01-01 00:00:00')", (fund, provider))
    with pytest.raises(psycopg.Error, match="transfers are immutable"):
        pg.execute("UPDATE transfers SET amount = 6 WHERE id = ?", (tid,))
    with pytest.raises(psycopg.Error, match="amount limit: accounts"):
        pg.execute("UPDATE accounts SET balance = ? WHERE id = ?", (2**53, fund))
    with pytest.raises(psycopg.Error, match="amount limit: entries"):
        pg.execute("INSERT INTO entries (transfer_id, account_id, amount, balance_after, time, kind)"
                   " VALUES (?, ?, 0, 0, '2026-01-01 00:00:00', 'credit')", (tid, fund))
    op = pg.insert("INSERT INTO operations (kind, request_hash, time, channel) VALUES ('x', 'h', 't', 'cli')")
    pg.execute("UPDATE operations SET response = '{}' WHERE id = ?", (op,))  # written once
    with pytest.raises(psycopg.Error, match="operations are immutable"):
        pg.execute("UPDATE operations SET response = '{\"x\": 1}' WHERE id = ?", (op,))
