"""``yibao migrate --from A --to B``: copy a whole ledger to another database (an office's SQLite
file up to PostgreSQL, or back), then prove the copy.

- The target must be empty (a new ledger: no person, no operation, system accounts at zero) or a
  copy of this very source that was interrupted: the copy records its progress in the target's
  ``meta`` (``move.source``: the source's identity; ``move.<table>``: the last key copied) in the
  same transaction as each chunk of rows, so a second run goes on where the first one stopped.
- Every row keeps its key (ids, the audit's ``seq``), so running balances, the audit chain and
  every reference stay as they were; on PostgreSQL each identity is then moved past the copied
  ids. Tables are copied parents first, in chunks of ``CHUNK`` rows, one transaction each.
- The proof: ``verify`` on both, and equal per-account balances, row counts per table, and each
  audit chain's head. ``MOVE_MISMATCH`` when anything differs.

The server's own tables (tokens, binding requests, the idempotency key's secret) are copied when
the source has them and the caller names them (``extra``: table → (its key, a function making it
in the target)).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from yibao_tui.domain.errors import YibaoError
from yibao_tui.ledger.schema import TABLES
from yibao_tui.ledger.store import Ledger

CHUNK = 5_000
#: Ledger tables in the order they are copied (parents first), with the key they are read by.
ORDER: tuple[tuple[str, str], ...] = (
    ("persons", "id"), ("accounts", "id"), ("operations", "id"), ("transfers", "id"), ("entries", "id"),
    ("bindings", "id"), ("premium_payments", "id"), ("audit", "seq"), ("operators", "id"),
    ("operator_unknown", "id"), ("card_pins", "person_id"), ("withdrawals", "id"),
)
#: ``meta`` keys that belong to the database, not to the ledger's content.
_OWN_META = frozenset({"schema_hash", "schema_version"})
#: table → its identity column (the 64-bit key assigned on insert)
_IDS = {t.name: c.name for t in TABLES for c in t.columns if c.type == "id"}


@dataclass
class MoveReport:
    """What ``move`` did and found."""

    source: str
    target: str
    copied: dict[str, int] = field(default_factory=dict)
    resumed: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    heads: dict[int, str] = field(default_factory=dict)
    ok: bool = False
    failures: list[str] = field(default_factory=list)
    #: the schema version both ledgers are at (``meta.schema_version``)
    schema_version: str = ""
    #: seconds spent copying rows, and proving the copy
    copy_s: float = 0.0
    prove_s: float = 0.0

    @property
    def rows_per_s(self) -> int:
        """Rows copied by this run per second of copying."""
        return int(sum(self.copied.values()) / self.copy_s) if self.copy_s > 0 else 0

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "copied": self.copied, "resumed": self.resumed,
                "counts": self.counts, "chain_heads": {str(k): v for k, v in self.heads.items()},
                "ok": self.ok, "failures": self.failures, "schema_version": self.schema_version,
                "copy_seconds": round(self.copy_s, 3), "prove_seconds": round(self.prove_s, 3),
                "rows_per_second": self.rows_per_s}


def _identity(led: Ledger) -> str:
    """The source ledger as the target records it: its first audit record and its system
    accounts' ids (stable while it is being copied; another ledger has other ones)."""
    first = led.db.one("SELECT hash FROM audit ORDER BY seq LIMIT 1")
    accounts = led.db.all("SELECT id, code FROM accounts WHERE kind = 'system' ORDER BY id")
    return hashlib.sha256(repr((first, accounts)).encode()).hexdigest()[:32]


def _columns(led: Ledger, table: str) -> list[str]:
    return list(led.dialect.columns(led.db, table))


def _empty(target: Ledger) -> bool:
    db = target.db
    return (db.one("SELECT 1 FROM persons LIMIT 1") is None and db.one("SELECT 1 FROM operations LIMIT 1") is None
            and db.one("SELECT 1 FROM audit LIMIT 1") is None
            and db.one("SELECT 1 FROM accounts WHERE kind <> 'system' OR balance <> 0 LIMIT 1") is None
            and db.one("SELECT 1 FROM operators LIMIT 1") is None)


def _copy_table(src: Ledger, dst: Ledger, table: str, key: str, report: MoveReport,
                progress: Callable[[str, int], None] | None, size: int = CHUNK) -> None:
    cols = [c for c in _columns(src, table) if c in set(_columns(dst, table))]
    if not cols:
        return
    names = ", ".join(cols)
    marks = ", ".join("?" * len(cols))
    mark = f"move.{table}"
    row = dst.db.one("SELECT value FROM meta WHERE key = ?", (mark,))
    if row is not None and row[0] == "done":
        return
    last: Any = None if row is None else json.loads(row[0])
    at = cols.index(key)
    # accounts: the system accounts a new ledger has are the source's (same codes, same ids): their
    # balances are set, every other row is loaded in bulk (COPY on PostgreSQL)
    have = {int(i) for i, in dst.db.all("SELECT id FROM accounts")} if table == "accounts" else set()
    upsert = (f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - constants
              " ON CONFLICT (id) DO UPDATE SET balance = excluded.balance")
    copied = 0
    while True:
        where = f" WHERE {key} > ?" if last is not None else ""
        rows = src.db.all(f"SELECT {names} FROM {table}{where} ORDER BY {key} LIMIT ?",  # noqa: S608 - constants
                          ((last,) if last is not None else ()) + (size,))
        if not rows:
            break
        last = rows[-1][at]

        def one(rows: list[Any] = rows, last: Any = last) -> None:
            with dst.db.transaction():  # the rows and the progress record: both or neither
                old = [r for r in rows if r[at] in have]
                if old:
                    dst.db.executemany(upsert, old)
                dst.dialect.copy_rows(dst.db.raw, table, cols, [r for r in rows if r[at] not in have] if old else rows)
                dst.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
                               " SET value = excluded.value", (mark, json.dumps(last)))

        dst.run(one)
        copied += len(rows)
        if progress is not None:
            progress(table, copied)
    report.copied[table] = copied


def _set_meta(led: Ledger, key: str, value: str) -> None:
    led.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                   (key, value))


def _check_system_accounts(src: Ledger, dst: Ledger) -> None:
    want = src.db.all("SELECT id, code FROM accounts WHERE kind = 'system' ORDER BY id")
    have = dst.db.all("SELECT id, code FROM accounts WHERE kind = 'system' ORDER BY id")
    if [tuple(r) for r in have] != [tuple(r) for r in want][:len(have)]:
        raise YibaoError("MOVE_MISMATCH", detail="the system accounts' ids differ")


def _facts(led: Ledger, tables: list[str]) -> tuple[dict[str, int], dict[str, int], dict[int, str]]:
    db = led.db
    balances = {str(code): int(b) for code, b in db.all("SELECT code, balance FROM accounts")}
    counts = {t: int(db.one(f"SELECT COUNT(*) FROM {t}")[0]) for t in tables}  # noqa: S608 - constants
    heads: dict[int, str] = {}
    for chain, h in db.all("SELECT a.chain, a.hash FROM audit a JOIN (SELECT chain, MAX(seq) AS seq FROM audit"
                           " GROUP BY chain) m ON m.chain = a.chain AND m.seq = a.seq"):
        heads[int(chain)] = str(h)
    return balances, counts, heads


Extra = dict[str, tuple[str, Callable[[str], None]]]


def move(source: str, target: str, extra: Extra | None = None,
         progress: Callable[[str, int], None] | None = None, chunk: int = CHUNK) -> MoveReport:
    """Copy the ledger at ``source`` to ``target`` and prove the copy (see the module's doc)."""
    report = MoveReport(source=source, target=target)
    src = Ledger(source, channel="migrate", create=False)
    dst = Ledger(target, channel="migrate")
    try:
        ident = src.run(lambda: _identity(src))
        recorded = dst.meta("move.source")
        if recorded is None:
            if not dst.run(lambda: _empty(dst)):
                raise YibaoError("MOVE_TARGET_NOT_EMPTY")
            dst.run(lambda: dst.db.execute("INSERT INTO meta (key, value) VALUES ('move.source', ?)", (ident,)))
        elif recorded != ident:
            raise YibaoError("MOVE_TARGET_NOT_EMPTY")
        else:
            report.resumed = True
        dst.run(lambda: _check_system_accounts(src, dst))
        started = time.perf_counter()
        for table, key in ORDER:
            dst.run(partial(_copy_table, src, dst, table, key, report, progress, chunk))
            dst.run(partial(_set_meta, dst, f"move.{table}", "done"))
        for key, value in src.run(lambda: src.db.all("SELECT key, value FROM meta")):
            if key not in _OWN_META and not str(key).startswith("move."):
                dst.run(partial(_set_meta, dst, str(key), str(value)))
        for table, (key, make) in (extra or {}).items():
            if _columns(src, table):  # a server table the source has: made in the target, copied
                make(target)
                dst.run(partial(_copy_table, src, dst, table, key, report, None, chunk))
        reset = getattr(dst.dialect, "reset_identities", None)
        if reset is not None:  # PostgreSQL: each identity past the ids copied
            ids = {**_IDS, **{t: k for t, (k, _) in (extra or {}).items() if k == "id" and _columns(dst, t)}}
            dst.run(lambda: reset(dst.db, ids))
        analyze = getattr(dst.dialect, "analyze", None)
        if analyze is not None:  # PostgreSQL: the planner's statistics of what was just loaded
            dst.run(lambda: analyze(dst.db, [t for t, _ in ORDER]))
        report.copy_s = time.perf_counter() - started
        _prove(src, dst, report, [t for t, _ in ORDER])
        report.prove_s = time.perf_counter() - started - report.copy_s
        return report
    finally:
        src.close()
        dst.close()


def _prove(src: Ledger, dst: Ledger, report: MoveReport, tables: list[str]) -> None:
    f = report.failures
    for name, led in (("source", src), ("target", dst)):
        v = led.verify()
        if not v.ok:
            f += [f"{name}: {x}" for x in v.failures[:10]]
    sb, sc, sh = src.run(lambda: _facts(src, tables))
    db_, dc, dh = dst.run(lambda: _facts(dst, tables))
    if sb != db_:
        f.append("balances differ: " + ", ".join(sorted(k for k in set(sb) | set(db_) if sb.get(k) != db_.get(k)))[:300])
    for t in tables:
        if sc[t] != dc[t]:
            f.append(f"{t}: {sc[t]} rows in the source, {dc[t]} in the target")
    if sh != dh:
        f.append("the audit chains' heads differ")
    versions = [led.meta("schema_version") for led in (src, dst)]
    if versions[0] != versions[1]:
        f.append(f"schema version {versions[0]} in the source, {versions[1]} in the target")
    report.schema_version = str(versions[1])
    report.counts, report.heads, report.ok = dc, dh, not f
