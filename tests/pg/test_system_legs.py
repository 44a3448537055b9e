"""The leg on a system account posted last (``posting.transfer`` on PostgreSQL): one server
backend's threads (each connection appending to an audit chain of its own, its head kept in
memory) and another process whose clock is ahead pay premiums (personal → SYS:premium)
and credit accounts (SYS:fund → personal) at once. No payment is lost or doubled, no write waits
on another in a circle (no ``DATABASE_BUSY``), every account's running balances follow its entries'
(time, id) order (``verify``), and a system account's entry is never before its newest one, even
when the writer before it had a clock an hour ahead. Nothing asserts a time."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import psycopg

from tests.pg.test_row_locks import YEAR, families, person, verified
from yibao_tui.backend.base import Actor
from yibao_tui.backend.local import ledger_threads
from yibao_tui.domain.errors import YibaoError
from yibao_tui.ledger.store import CN_TZ, Ledger
from yibao_tui.server.backends import LedgerBackend


def _system_entries(led: Ledger, code: str) -> list[tuple[int, str, int, int]]:
    return [tuple(r) for r in led.db.all(
        "SELECT e.id, e.time, e.amount, e.balance_after FROM entries e JOIN accounts a ON a.id = e.account_id"
        " WHERE a.code = ? ORDER BY e.id", (code,))]


async def test_system_legs_from_a_backends_threads_and_a_clock_ahead(pg_url: str) -> None:
    holders = [person(i, 11 + i) for i in range(6)]
    kids = {h: [person(40 + 3 * i + j, 31 + 3 * i + j, 2012) for j in range(3)] for i, h in enumerate(holders)}
    families(pg_url, kids)
    assert ledger_threads(pg_url) >= 2  # the backend below works several writes at once

    ahead = Ledger(pg_url, channel="test", clock=lambda: dt.datetime.now(CN_TZ) + dt.timedelta(hours=1))
    ahead.own_chain()
    ahead_done: list[object] = []

    def pay_ahead() -> None:  # another process's writer, its clock an hour ahead
        for h in holders[:3]:
            try:
                ahead_done.append(ahead.premium_pay(h, kids[h][0], YEAR, key=f"ahead-{h}"))
                ahead_done.append(ahead.credit(h, 1_000, "ahead"))
            except YibaoError as e:
                ahead_done.append(e)

    backend = LedgerBackend(pg_url, actor=Actor("http", None))  # as a server process has: chains of its own
    await backend.init()
    try:
        other = threading.Thread(target=pay_ahead)
        other.start()
        jobs = [backend.premium_pay(h, k, YEAR, key=f"b-{k}") for h in holders for k in kids[h][1:]]
        jobs += [backend.credit(h, 2_500, "monthly", key=f"c-{h}") for h in holders]
        results = await asyncio.gather(*jobs, return_exceptions=True)
        await asyncio.to_thread(other.join, 120)
    finally:
        await backend.close()
        ahead.close()
    errors = [r for r in [*results, *ahead_done] if isinstance(r, BaseException)]
    assert not errors, errors
    premiums = [r for r in [*results, *ahead_done] if hasattr(r, "payment_id")]
    assert len(premiums) == 6 * 2 + 3 and len({p.payment_id for p in premiums}) == 15

    led = verified(pg_url)  # running balances in (time, id) order, every chain
    try:
        chains = {r[0] for r in led.db.all("SELECT DISTINCT chain FROM audit")}
        assert len(chains) >= 3  # chain 0, the writer ahead's, and one per connection the backend used
        for code, total in (("SYS:premium", sum(p.amount_fen for p in premiums)),
                            ("SYS:fund", -(6 * 2_500 + 3 * 1_000))):
            rows = _system_entries(led, code)
            assert sum(r[2] for r in rows) == total and rows[-1][3] == total
            times = [r[1] for r in rows]
            assert times == sorted(times)  # in the order they were posted, whoever's clock was ahead
        for h in holders:
            paid = sum(p.amount_fen for p in premiums if p.payer_id == h)
            credited = 2_500 + (1_000 if h in holders[:3] else 0)
            assert led.balance(h).balance_fen == 1_000_000 - paid + credited
    finally:
        led.close()


def test_a_connection_opened_again_reads_its_chains_head_again(pg_url: str) -> None:
    """A connection keeps the head of its own chain between writes; when the connection is lost
    (the database restarted: a crash may lose records it acknowledged without waiting for the
    disk) the head is read from the database again, so the chain goes on from what is there."""
    holder = person(0, 11)
    families(pg_url, {holder: []})
    led = Ledger(pg_url, channel="test")
    other = Ledger(pg_url, channel="test")
    try:
        chain = led.own_chain()
        led.credit(holder, 100)  # led keeps its chain's head
        other.chain = chain  # stands in for what a crash does: the database's head is not the one kept
        other.credit(holder, 100)
        with psycopg.connect(pg_url, autocommit=True) as db:
            assert db.execute("SELECT pg_terminate_backend(%s)", (led.db.raw.raw.info.backend_pid,)).fetchone()[0]
        led.credit(holder, 100)  # on a new connection: the head read again
    finally:
        led.close()
        other.close()
    verified(pg_url).close()
