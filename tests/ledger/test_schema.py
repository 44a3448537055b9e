"""Issue 11: the schema is described once (``ledger/schema.py``) and migrated by version: a new
ledger is made at the current version, a ledger made by the previous version (4, the schema
before the description) is brought to it, keeping its records and its audit chain."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import Family, frozen_clock, pid
from yibao_tui.ledger import schema
from yibao_tui.ledger.audit import GENESIS, chain_hash
from yibao_tui.ledger.dialect_sqlite import SCHEMA_DIGEST, SQLITE
from yibao_tui.ledger.store import Ledger

V4_DDL = Path(__file__).with_name("schema_v4.sql")


def _objects(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Every table's columns in order, and the names of the indexes and triggers."""
    out: dict[str, list[str]] = {}
    for kind, name in conn.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"):
        out[f"{kind} {name}"] = [r[1] for r in conn.execute(f"PRAGMA table_info({name})")] if kind == "table" else []
    return out


def _version_4_ledger(path: Path) -> str:
    """A ledger file as version 4 made it (its DDL as SQLite kept it), with one employee's
    opening balance: operation, transfer, both entries and the chained audit record. Its ID."""
    who = pid(seq=11)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(V4_DDL.read_text(encoding="utf-8"))
    now = "2025-12-01 09:00:00"
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                     [("schema_version", "4"), ("schema_hash", "b0cacd2dc0dd8c73")])
    for code in schema.SYSTEM_ACCOUNTS:
        conn.execute("INSERT INTO accounts (code, kind) VALUES (?, 'system')", (f"SYS:{code}",))
    conn.execute("INSERT INTO persons (id, name, scheme, region, card, birth_date, sex, created_at, name_key)"
                 " VALUES (?, '王伟', 'employee', '440300', NULL, '1985-06-15', 'M', ?, '王伟')", (who, now))
    acct = conn.execute("INSERT INTO accounts (code, kind, person_id, balance) VALUES (?, 'personal', ?, 1000)",
                        (f"P:{who}", who)).lastrowid
    opening = conn.execute("SELECT id FROM accounts WHERE code = 'SYS:opening'").fetchone()[0]
    conn.execute("UPDATE accounts SET balance = -1000 WHERE id = ?", (opening,))
    op = conn.execute("INSERT INTO operations (kind, request_hash, response, time, channel) VALUES"
                      " ('person.add', 'h', ?, ?, 'cli')", (f'{{"id": "{who}"}}', now)).lastrowid
    tid = conn.execute("INSERT INTO transfers (op_id, kind, debit_account, credit_account, amount, time)"
                       " VALUES (?, 'opening', ?, ?, 1000, ?)", (op, opening, acct, now)).lastrowid
    conn.executemany("INSERT INTO entries (transfer_id, account_id, amount, balance_after, time, kind)"
                     " VALUES (?, ?, ?, ?, ?, 'opening')", [(tid, opening, -1000, -1000, now), (tid, acct, 1000, 1000, now)])
    detail = f'{{"op": {op}}}'
    h = chain_hash(GENESIS, now, "cli", None, "person.add", who, detail)
    conn.execute("INSERT INTO audit (time, channel, operator, action, subject, detail, prev_hash, hash)"
                 " VALUES (?, 'cli', NULL, 'person.add', ?, ?, ?, ?)", (now, who, detail, GENESIS, h))
    conn.execute("COMMIT")
    conn.close()
    return who


def test_the_start_path_knows_the_current_schema_digest() -> None:
    """Opening a ledger compares its hash with ``SCHEMA_DIGEST`` before importing the schema:
    a stale constant would leave an older ledger unmigrated."""
    assert SCHEMA_DIGEST == schema.digest(SQLITE), (
        f"the schema changed: set SCHEMA_DIGEST in ledger/dialect_sqlite.py to {schema.digest(SQLITE)!r}")


def test_a_new_ledger_is_made_at_the_current_version(tmp_path: Path) -> None:
    led = Ledger(tmp_path / "new.db", clock=frozen_clock)
    try:
        assert led.meta("schema_version") == str(schema.SCHEMA_VERSION)
        assert led.meta("schema_hash") == schema.digest(SQLITE)
        rows = led.conn.execute("SELECT version, description FROM schema_version").fetchall()
        assert rows == [(schema.SCHEMA_VERSION, f"created at version {schema.SCHEMA_VERSION}")]
        assert [r[0] for r in led.conn.execute("SELECT code FROM accounts ORDER BY id")] == [
            f"SYS:{c}" for c in schema.SYSTEM_ACCOUNTS]
        Family(led)
        assert led.verify().ok
        assert {r[0] for r in led.conn.execute("SELECT DISTINCT chain FROM audit")} == {0}
    finally:
        led.close()


def test_a_version_4_ledger_is_migrated_and_keeps_its_records(tmp_path: Path) -> None:
    old, new = tmp_path / "v4.db", tmp_path / "new.db"
    who = _version_4_ledger(old)
    led = Ledger(old, clock=frozen_clock)
    fresh = Ledger(new, clock=frozen_clock)
    try:
        assert led.verify().ok  # the old chain and balances, read through the new schema
        assert led.meta("schema_version") == str(schema.SCHEMA_VERSION)
        assert led.conn.execute("SELECT version FROM schema_version").fetchall() == [(5,)]
        # the same tables with the same columns in the same order, indexes and triggers as a new ledger
        fresh.conn  # noqa: B018 - opens and makes it
        assert _objects(led.conn) == _objects(fresh.conn)
        assert led.balance(who).balance_fen == 1000
        led.credit(who, 500)
        assert led.balance(who).balance_fen == 1500
        report = led.verify()
        assert report.ok and report.audit == 4  # the old record, the balance read, the credit, the read
    finally:
        led.close()
        fresh.close()
    again = Ledger(old, clock=frozen_clock, create=False)  # opened again: nothing left to do
    try:
        assert again.conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
        assert again.verify().ok
    finally:
        again.close()


def test_the_audit_chains_are_checked_one_by_one(tmp_path: Path) -> None:
    """``audit.chain``: each chain starts from the genesis hash and is verified on its own."""
    led = Ledger(tmp_path / "chains.db", clock=frozen_clock)
    try:
        f = Family(led)
        assert led.own_chain() == 1
        led.balance(f.holder)
        led.credit(f.holder, 100)
        led.chain = 0
        led.balance(f.holder)
        assert {r[0] for r in led.conn.execute("SELECT DISTINCT chain FROM audit")} == {0, 1}
        assert led.verify().ok
        led.conn.execute("DROP TRIGGER audit_no_update")
        led.conn.execute("UPDATE audit SET detail = 'x' WHERE seq = (SELECT MAX(seq) FROM audit WHERE chain = 1)")
        assert any("hash does not match" in f for f in led.verify().failures)
    finally:
        led.close()


def test_the_description_renders_the_schema_sqlite_had(tmp_path: Path) -> None:
    """The guards and money bounds SQLite renders from the description are the ones version 4
    made (same names), plus what version 5 adds."""
    conn = sqlite3.connect(tmp_path / "v4only.db")
    conn.executescript(V4_DDL.read_text(encoding="utf-8"))
    v4 = set(_objects(conn))
    conn.close()
    led = Ledger(tmp_path / "new.db", clock=frozen_clock)
    try:
        now = set(_objects(led.conn))
    finally:
        led.close()
    assert now - v4 == {"table schema_version"}
    assert v4 <= now


def _rewrite_chain(conn: sqlite3.Connection, chain: int, seq: int, detail: str) -> None:
    """What someone with the file could do: change one record and recompute its chain after it."""
    conn.execute("DROP TRIGGER IF EXISTS audit_no_update")
    rows = conn.execute("SELECT seq, time, channel, operator, action, subject, detail, prev_hash FROM audit"
                        " WHERE chain = ? AND seq >= ? ORDER BY seq", (chain, seq)).fetchall()
    prev = rows[0][7]
    for s, time, channel, operator, action, subject, old, _ in rows:
        new = detail if s == seq else old
        h = chain_hash(prev, time, channel, operator, action, subject, new)
        conn.execute("UPDATE audit SET detail = ?, prev_hash = ?, hash = ? WHERE seq = ?", (new, prev, h, s))
        prev = h


def test_chains_of_their_own_are_opened_and_anchored_on_chain_0(tmp_path: Path) -> None:
    """Two writers on chains of their own (as two server processes would be), interleaved:
    verify is ok; a chain rewritten and rehashed after its anchor, or one never opened, is not."""
    path = tmp_path / "two.db"
    a, b = Ledger(path, clock=frozen_clock), Ledger(path, clock=frozen_clock)
    try:
        f = Family(a)
        assert (a.own_chain(), b.own_chain()) == (1, 2)
        for _ in range(3):
            a.credit(f.holder, 100)
            b.balance(f.holder)
        a.anchor_chains()
        b.credit(f.holder, 100)  # after the anchor: chain 2 goes on
        report = a.verify()
        assert report.ok, report.failures
        chains = dict(a.conn.execute("SELECT chain, COUNT(*) FROM audit GROUP BY chain").fetchall())
        assert set(chains) == {0, 1, 2} and chains[1] == 3 and chains[2] == 4
        first = a.conn.execute("SELECT MIN(seq) FROM audit WHERE chain = 1").fetchone()[0]
        _rewrite_chain(a.conn, 1, first, '{"op": 999}')
        failures = a.verify().failures
        assert any("anchors chain 1" in x for x in failures), failures
        assert not any("hash does not match" in x for x in failures)  # the chain itself is consistent
    finally:
        a.close()
        b.close()
    led = Ledger(tmp_path / "unopened.db", clock=frozen_clock)
    try:
        f = Family(led)
        led.chain = 7  # appended to without being opened on chain 0
        led.balance(f.holder)
        assert any("chain 7: not opened" in x for x in led.verify().failures)
    finally:
        led.close()
