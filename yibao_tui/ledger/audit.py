"""The audit log: every write and every read of a person's data, hash-chained, append-only.

A ledger's records form chains (``audit.chain``). Chain 0 is the ledger's own; a writer that
should not wait on chain 0's head (a PostgreSQL server process among several) opens a chain of
its own (:func:`open_chain`): chain 0 records the opening (``audit.chain.open``), so a chain
cannot be removed unseen, and :func:`anchor` records on chain 0 every other chain's head
(``audit.anchor``), so a chain cannot be rewritten before its anchor unseen either. ``verify``
checks each chain from its genesis and every opening and anchor against the chains.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yibao_tui.ledger.dialect import Db

GENESIS = "0" * 64
#: ``Db.known`` keys: the connection's own chain (``Kernel.own_chain``), and a chain's head as
#: its one writer left it at its last commit (``HEAD_KNOWN.<chain>``): read from the database
#: again, under the chain's lock, whenever a write did not commit.
OWN_CHAIN, HEAD_KNOWN = "audit.chain", "audit.head"
#: A chain's newest record's seq and hash (``?``: the chain).
_HEAD_ROW = "SELECT seq, hash FROM audit WHERE chain = ? ORDER BY seq DESC LIMIT 1"
#: A chain's head (``?``: the chain), read by ``Dialect.chain_head`` under the chain's lock.
HEAD = "SELECT hash FROM audit WHERE chain = ? ORDER BY seq DESC LIMIT 1"


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
) -> None:
    """Append one record to ``chain`` inside a write transaction (a chain is serial: its head is
    read and extended under the chain's lock, ``Dialect.chain_head``, held until the transaction
    ends, so a chain's order is its ``seq`` order; a connection appending to a chain of its own,
    its only writer, keeps the head it committed and neither locks nor reads it). Several chains
    let several writers go side by side (a PostgreSQL server connection each, anchored together). On SQLite the head is found
    scanning back from the newest record (one row while there is one chain; no index to keep up on
    every write); PostgreSQL has the ``audit_chain`` index."""
    own = db.known.get(OWN_CHAIN) == chain  # this connection's own chain: it is the one writer
    prev = db.known.pop(f"{HEAD_KNOWN}.{chain}", None) if own else None
    if prev is None:
        prev = db.dialect.chain_head(db, chain) or GENESIS
    h = chain_hash(prev, time, channel, operator, action, subject, detail)
    # no id read back: pipelined (PostgreSQL), the record goes with the commit
    db.execute(
        "INSERT INTO audit (time, channel, operator, action, subject, detail, prev_hash, hash, chain)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (time, channel, operator, action, subject, detail, prev, h, chain),
    )
    if own:  # the head is known once the record has committed (not before: it may roll back)
        db.after_commit.append(lambda: db.known.__setitem__(f"{HEAD_KNOWN}.{chain}", h))


def forget_heads(db: Db) -> None:
    """Forget the chain heads this connection kept: they are read from the database again (after
    the connection was lost: a database that crashed may have lost the last records it had
    acknowledged without waiting for the disk, the audited reads')."""
    for key in [k for k in db.known if k.startswith(f"{HEAD_KNOWN}.")]:
        del db.known[key]


def _head(db: Db, chain: int) -> tuple[int, str] | None:
    row = db.one(_HEAD_ROW, (chain,))
    return (int(row[0]), str(row[1])) if row else None


def open_chain(db: Db, time: str, channel: str, operator: str | None) -> int:
    """A new chain (inside a write transaction): its number, recorded on chain 0 (the record's
    subject is ``chain:N``: the chains opened so far are found through the subject index)."""
    db.dialect.chain_head(db, 0)  # locked: two writers opening at once get two numbers
    chain = max(_opened(db), default=0) + 1
    append(db, time, channel, operator, OPEN, f"chain:{chain}", json.dumps({"chain": chain}), 0)
    return chain


def _opened(db: Db) -> list[int]:
    """The chains opened on chain 0 (found through the subject index)."""
    return sorted(int(r[0][6:]) for r in db.all(
        "SELECT subject FROM audit WHERE subject >= 'chain:' AND subject < 'chain;' AND chain = 0")
        if r[0][6:].isdigit())


def anchor(db: Db, time: str, channel: str, operator: str | None) -> int:
    """Record every other chain's head on chain 0 (inside a write transaction); the record's seq.
    A chain whose writer is gone (a server process killed) just ends: its last head stays."""
    db.dialect.chain_head(db, 0)  # locked: anchors in the order of chain 0
    chains = _opened(db)  # one per server connection on PostgreSQL: their heads asked for at once
    found = db.batch(*[(_HEAD_ROW, (c,)) for c in chains])
    heads = {str(c): [int(rows[0][0]), str(rows[0][1])] for c, rows in zip(chains, found, strict=True) if rows}
    append(db, time, channel, operator, ANCHOR, None, json.dumps({"heads": heads}, sort_keys=True), 0)
    return _head(db, 0)[0]  # type: ignore[index]  # just appended


#: The actions of chain 0's records about the other chains.
OPEN, ANCHOR = "audit.chain.open", "audit.anchor"


def check_chain(db: Db, limit: int = 20) -> list[str]:
    """Recompute every chain (in one pass in record order); returns failures (at most ``limit``)."""
    failures: list[str] = []
    heads: dict[int, str] = {}
    claims: list[tuple[int, str, str]] = []  # chain 0's openings and anchors
    for seq, time, channel, operator, action, subject, detail, prev_hash, h, chain in db.execute(
        "SELECT seq, time, channel, operator, action, subject, detail, prev_hash, hash, chain FROM audit ORDER BY seq"
    ):
        prev = heads.get(chain, GENESIS)
        heads[chain] = h
        if prev_hash != prev:
            failures.append(f"audit #{seq}: chain broken (prev_hash does not match)")
        if chain_hash(prev_hash, time, channel, operator, action, subject, detail) != h:
            failures.append(f"audit #{seq}: hash does not match its content")
        if chain == 0 and action in (OPEN, ANCHOR):
            claims.append((seq, action, detail))
        if len(failures) >= limit:
            return failures
    return (failures + _check_claims(db, claims, set(heads)))[:limit]


def _check_claims(db: Db, claims: list[tuple[int, str, str]], chains: set[int]) -> list[str]:
    """Every chain but 0 opened on chain 0 (before its first record), every anchored head there."""
    failures: list[str] = []
    opened: dict[int, int] = {}
    for seq, action, detail in claims:
        try:
            data = json.loads(detail)
            if action == OPEN:
                opened[int(data["chain"])] = seq
                continue
            for chain, (at, h) in data["heads"].items():
                row = db.one("SELECT hash, chain FROM audit WHERE seq = ?", (int(at),))
                if row is None or row[0] != h or int(row[1]) != int(chain):
                    failures.append(f"audit #{seq}: anchors chain {chain} at #{at}, which is not that record")
        except (ValueError, KeyError, TypeError):
            failures.append(f"audit #{seq}: a damaged {action} record")
    for chain in sorted(chains - {0}):
        first = db.one("SELECT MIN(seq) FROM audit WHERE chain = ?", (chain,))[0]
        if chain not in opened or opened[chain] > first:
            failures.append(f"audit chain {chain}: not opened on chain 0 before its first record")
    return failures
