"""The audit log: every write and every read of a person's data, hash-chained, append-only."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yibao_tui.ledger.dialect import Db

GENESIS = "0" * 64


def chain_hash(prev: str, time: str, channel: str, operator: str | None, action: str, subject: str | None, detail: str) -> str:
    """sha256 over the previous hash and the record's fields, unit-separated."""
    payload = "\x1f".join([prev, time, channel, operator or "", action, subject or "", detail])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(
    db: Db,
    time: str,
    channel: str,
    operator: str | None,
    action: str,
    subject: str | None,
    detail: str = "",
    chain: int = 0,
) -> int:
    """Append one record to ``chain`` inside a write transaction (a chain is serial: its head is
    read and extended in the same transaction). Several chains are the hook for several writers
    that should not all wait on one head (a PostgreSQL server process each, anchored together);
    today every record is on chain 0. On SQLite the head is found scanning back from the newest
    record (one row while there is one chain; no index to keep up on every write)."""
    row = db.one("SELECT hash FROM audit WHERE chain = ? ORDER BY seq DESC LIMIT 1", (chain,))
    prev = row[0] if row else GENESIS
    h = chain_hash(prev, time, channel, operator, action, subject, detail)
    return db.insert(
        "INSERT INTO audit (time, channel, operator, action, subject, detail, prev_hash, hash, chain)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (time, channel, operator, action, subject, detail, prev, h, chain), key="seq",
    )


def check_chain(db: Db, limit: int = 20) -> list[str]:
    """Recompute every chain (in one pass in record order); returns failures (at most ``limit``)."""
    failures: list[str] = []
    heads: dict[int, str] = {}
    for seq, time, channel, operator, action, subject, detail, prev_hash, h, chain in db.execute(
        "SELECT seq, time, channel, operator, action, subject, detail, prev_hash, hash, chain FROM audit ORDER BY seq"
    ):
        prev = heads.get(chain, GENESIS)
        heads[chain] = h
        if prev_hash != prev:
            failures.append(f"audit #{seq}: chain broken (prev_hash does not match)")
        if chain_hash(prev_hash, time, channel, operator, action, subject, detail) != h:
            failures.append(f"audit #{seq}: hash does not match its content")
        if len(failures) >= limit:
            break
    return failures
