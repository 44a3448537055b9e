"""A key left ``running`` under a live server after the database lost the commit that stored its
success (a crash: those commits do not wait for the disk) is released by that server when its
connection comes back, so another server runs the key's retry (the ledger replays a committed
write) instead of answering ``IN_PROGRESS`` for a whole lease. Real PostgreSQL; two stores of two
server instances, as two server processes have."""

from __future__ import annotations

import psycopg
import pytest

from yibao_tui.domain.errors import YibaoError
from yibao_tui.server.idempotency import IdempotencyStore


async def test_a_lost_release_is_released_when_the_connection_comes_back(pg_url: str) -> None:
    a, b = IdempotencyStore(pg_url), IdempotencyStore(pg_url)
    try:
        fp = a.fingerprint("POST", "/v1/x", {"n": 1})
        assert await a.begin(7, "pay", fp) is None  # a runs the request...
        await a.complete(7, "pay", 200, {"ok": True})  # ...and answers it
        with psycopg.connect(pg_url, autocommit=True) as db:
            # the database crashed before that commit reached the disk: the key is a's and running again
            db.execute("UPDATE http_idempotency SET state = 'running', status = NULL, body = NULL, owner = %s"
                       " WHERE key = 'pay'", (a.instance.id,))
            with pytest.raises(YibaoError) as busy:
                await b.begin(7, "pay", fp)  # a is alive: b cannot tell that nothing runs the key
            assert busy.value.code == "IN_PROGRESS"
            assert await a.begin(7, "other", a.fingerprint("POST", "/v1/x", {"n": 2})) is None  # a runs another
            # the database restarted: a's connection is gone
            assert db.execute("SELECT pg_terminate_backend(%s)", (a._conn.db.raw.raw.info.backend_pid,)).fetchone()[0]
        await a.complete(7, "other", 200, {"ok": True})  # a's next statement opens a new connection
        assert await b.begin(7, "pay", fp) is None  # the retry runs again (the ledger would replay it)
        with psycopg.connect(pg_url, autocommit=True) as db:
            owners = dict(db.execute("SELECT key, owner FROM http_idempotency").fetchall())
        assert owners == {"pay": b.instance.id, "other": None}  # a released only the key it did not run
    finally:
        await a.close()
        await b.close()
