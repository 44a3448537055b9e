"""One backend per acting identity, so that the audit log names the channel and the operator.

The server exposes a ``LocalBackend``; its ``actor`` is fixed when it is made. Requests from
different principals need different actors, so the server keeps a small pool keyed by actor.
If the backend offers ``with_actor(actor)`` (a cheap view sharing its thread), the pool uses it.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from yibao_tui.backend.base import Actor, Backend
from yibao_tui.backend.local import LocalBackend
from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.models import Balance, WithdrawalVerdict
from yibao_tui.ledger.dialect import is_url
from yibao_tui.ledger.store import Clock, Ledger
from yibao_tui.server.auth import Principal

BackendFactory = Callable[[Actor], Backend]

#: How often a server process on PostgreSQL records every audit chain's head on chain 0.
ANCHOR_SECONDS = 30.0


class LedgerBackend(LocalBackend):
    """``LocalBackend`` as the server uses it.

    - The withdrawal checklist (judged by the ledger as codes) is rendered in each caller's
      language, not the server process's.
    - Concurrent balance lookups share trips to the ledger's thread: while one is on the thread,
      the next ones wait together and then go as one job, each still its own audited read (its
      own transaction and audit record, in arrival order, before its answer is sent). One
      lookup alone goes straight through, as before.
    """

    def __init__(self, path: str | Path, actor: Actor | None = None, clock: Clock | None = None) -> None:
        super().__init__(path, actor=actor, clock=clock)
        self._waiting: list[tuple[str, asyncio.Future[Balance]]] = []
        self._busy = False

    async def init(self) -> str:
        """Create or migrate the ledger; on PostgreSQL, open an audit chain of its own: the
        server's first backend does, and the pool's other backends append to it too (its head is
        serialised by ``Dialect.chain_head``), so server processes never wait on each other's
        chain heads. ``anchor`` records the chains' heads on chain 0."""
        path = await super().init()
        if is_url(path):
            await self._call(self.ledger.own_chain)
        return path

    async def anchor(self) -> None:
        """Record every audit chain's head on chain 0 (PostgreSQL; nothing on SQLite, one chain)."""
        if self.ledger.chain:
            await self._call(self.ledger.anchor_chains)

    async def withdrawal_check(
        self, who: str, case: str, facts: dict[str, str], lang: str | None = None
    ) -> WithdrawalVerdict:
        """The withdrawal checklist verdict, its texts in ``lang`` (default: the current one)."""
        from yibao_tui.i18n import get_lang

        lang = lang or get_lang()
        return (await self._call(self.ledger.withdrawal_check, who, case, facts)).render(lang)

    async def balance(self, who: str) -> Balance:
        """The balance (an audited read), sharing the trip to the ledger's thread when others
        are waiting for one."""
        loop = asyncio.get_running_loop()
        if self._busy:
            future: asyncio.Future[Balance] = loop.create_future()
            self._waiting.append((who, future))
            return await future
        self._busy = True
        try:
            return await self._call(self.ledger.balance, who)
        finally:
            self._next_trip(loop)

    def _next_trip(self, loop: asyncio.AbstractEventLoop) -> None:
        """A trip is back: send the lookups that waited for it on the next one at once (before
        anyone's answer is written, so that the ledger's thread does not sit idle), or stand down."""
        if not self._waiting:
            self._busy = False
            return
        batch, self._waiting = self._waiting, []
        try:  # straight onto the ledger's thread (the queue LocalBackend's own calls use)
            trip = loop.run_in_executor(self._pool, _balances, self.ledger, [who for who, _ in batch])
        except RuntimeError as e:  # the backend has been closed
            self._busy = False
            _settle(batch, [YibaoError("INTERNAL", detail=f"{type(e).__name__}: {e}")] * len(batch))
            return
        trip.add_done_callback(lambda done: self._trip_back(loop, batch, done))

    def _trip_back(
        self, loop: asyncio.AbstractEventLoop, batch: list[tuple[str, asyncio.Future[Balance]]],
        trip: asyncio.Future[list[Balance | BaseException]],
    ) -> None:
        if trip.cancelled():
            outcomes: list[Balance | BaseException] = [asyncio.CancelledError()] * len(batch)
        elif (error := trip.exception()) is not None:
            outcomes = [YibaoError("INTERNAL", detail=type(error).__name__)] * len(batch)
        else:
            outcomes = trip.result()
        self._next_trip(loop)
        _settle(batch, outcomes)


def _settle(batch: list[tuple[str, asyncio.Future[Balance]]], outcomes: list[Balance | BaseException]) -> None:
    """Give each waiting lookup its answer (a lookup whose request was cancelled has none)."""
    for (_, future), outcome in zip(batch, outcomes, strict=True):
        if future.done():
            continue
        if isinstance(outcome, asyncio.CancelledError):
            future.cancel()
        elif isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def _balances(ledger: Ledger, people: list[str]) -> list[Balance | BaseException]:
    """On the ledger's thread: each lookup answered or refused on its own; their audit records
    committed in one transaction before any answer leaves."""
    try:
        return list(ledger.balances(people))
    except Exception as e:  # as LocalBackend reports a bug: a message, not a traceback
        return [YibaoError("INTERNAL", detail=f"{type(e).__name__}: {e}")] * len(people)


def ledger_backend(db: str, actor: Actor) -> Backend:
    """The server's backend on the ledger file ``db`` acting as ``actor``."""
    return LedgerBackend(db, actor=actor)


async def withdrawal_check(
    backend: Backend, who: str, case: str, facts: dict[str, str], lang: str
) -> WithdrawalVerdict:
    """``backend.withdrawal_check`` in ``lang`` where the backend can render in another
    language than the process's (any other backend answers in its own)."""
    if isinstance(backend, LedgerBackend):
        return await backend.withdrawal_check(who, case, facts, lang=lang)
    return await backend.withdrawal_check(who, case, facts)


@lru_cache(maxsize=4096)
def actor_for(principal: Principal) -> Actor:
    """The audit identity of a principal (never the token itself)."""
    name = principal.label or f"token-{principal.token_id}"
    if principal.role == "counter":
        return Actor("counter", principal.operator)
    if principal.role == "kiosk":
        return Actor("kiosk", None)
    if principal.role == "admin":
        return Actor("http", f"admin:{name}")
    return Actor("http", None)


class Lease:
    """One request's use of a pooled backend."""

    __slots__ = ("_pool", "_actor")

    def __init__(self, pool: BackendPool, actor: Actor) -> None:
        self._pool = pool
        self._actor = actor

    async def __aenter__(self) -> Backend:
        return await self._pool._acquire(self._actor)

    async def __aexit__(self, *exc: object) -> None:
        self._pool._release(self._actor)


class BackendPool:
    """Backends by actor; idle ones beyond ``max_size`` are closed, least recently used first."""

    def __init__(self, factory: BackendFactory, max_size: int = 16) -> None:
        self._factory = factory
        self._max = max_size
        self._items: OrderedDict[Actor, Backend] = OrderedDict()
        self._busy: dict[Actor, int] = {}
        self._primary: Backend | None = None
        self._lock = asyncio.Lock()

    @property
    def primary(self) -> Backend | None:
        """The first backend (``start``)."""
        return self._primary

    async def start(self) -> Backend:
        """Make and initialise the first backend (creates or migrates the ledger)."""
        primary = self._factory(Actor("http", None))
        await primary.init()
        self._primary = primary
        self._items[primary.actor] = primary
        return primary

    def _make(self, actor: Actor) -> Backend:
        view = getattr(self._primary, "with_actor", None)
        if callable(view):
            made: Backend = view(actor)
            return made
        made = self._factory(actor)
        if isinstance(made, LedgerBackend) and isinstance(self._primary, LedgerBackend):
            # audit chains of its own: one per connection on a database server (each opened with
            # its connection), else the process's
            made.ledger.chain = self._primary.ledger.chain
            made.ledger.own_chains = self._primary.ledger.own_chains
        return made

    def use(self, actor: Actor) -> Lease:
        """``async with pool.use(actor) as backend``: the backend for ``actor`` for the length
        of one request (a plain object, not a generator: this is on every request's path)."""
        return Lease(self, actor)

    async def _acquire(self, actor: Actor) -> Backend:
        backend = self._items.get(actor)
        created = False
        if backend is None:
            async with self._lock:
                backend = self._items.get(actor)
                if backend is None:
                    backend = self._make(actor)
                    self._items[actor] = backend
                    created = True
        self._items.move_to_end(actor)
        self._busy[actor] = self._busy.get(actor, 0) + 1  # before any await: never evicted in use
        if created:
            try:
                await self._evict()
            except BaseException:
                self._busy[actor] -= 1
                raise
        return backend

    def _release(self, actor: Actor) -> None:
        self._busy[actor] -= 1

    async def _evict(self) -> None:
        while len(self._items) > self._max:
            idle = next(
                (a for a, b in self._items.items() if not self._busy.get(a) and b is not self._primary),
                None,
            )
            if idle is None:
                return
            backend = self._items.pop(idle)
            if backend is not self._primary and not callable(getattr(self._primary, "with_actor", None)):
                await backend.close()

    async def close(self) -> None:
        """Close every backend."""
        items = list(self._items.values())
        self._items.clear()
        shared = callable(getattr(self._primary, "with_actor", None))
        for backend in items:
            if backend is self._primary or not shared:
                await backend.close()
