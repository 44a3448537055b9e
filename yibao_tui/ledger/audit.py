"""The audit log: every write and every read of a person's data, hash-chained, append-only."""

from __future__ import annotations

import hashlib
import sqlite3

GENESIS = "0" * 64


def chain_hash(prev: str, time: str, channel: str, operator: str | None, action: str, subject: str | None, detail: str) -> str:
    """sha256 over the previous hash and the record's fields, unit-separated."""
    payload = "\x1f".join([prev, time, channel, operator or "", action, subject or "", detail])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(
    conn: sqlite3.Connection,
    time: str,
    channel: str,
    operator: str | None,
    action: str,
    subject: str | None,
    detail: str = "",
) -> int:
    """Append one record. Call inside a ``BEGIN IMMEDIATE`` transaction (the chain is serial)."""
    row = conn.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    prev = row[0] if row else GENESIS
    h = chain_hash(prev, time, channel, operator, action, subject, detail)
    cur = conn.execute(
        "INSERT INTO audit (time, channel, operator, action, subject, detail, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (time, channel, operator, action, subject, detail, prev, h),
    )
    return int(cur.lastrowid or 0)


def check_chain(conn: sqlite3.Connection, limit: int = 20) -> list[str]:
    """Recompute the chain; returns failures (at most ``limit``)."""
    failures: list[str] = []
    prev = GENESIS
    for seq, time, channel, operator, action, subject, detail, prev_hash, h in conn.execute(
        "SELECT seq, time, channel, operator, action, subject, detail, prev_hash, hash FROM audit ORDER BY seq"
    ):
        if prev_hash != prev:
            failures.append(f"audit #{seq}: chain broken (prev_hash does not match)")
        if chain_hash(prev_hash, time, channel, operator, action, subject, detail) != h:
            failures.append(f"audit #{seq}: hash does not match its content")
        prev = h
        if len(failures) >= limit:
            break
    return failures
