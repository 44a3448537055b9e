"""One backend per acting identity, so that the audit log names the channel and the operator.

The server exposes a ``LocalBackend``; its ``actor`` is fixed when it is made. Requests from
different principals need different actors, so the server keeps a small pool keyed by actor.
If the backend offers ``with_actor(actor)`` (a cheap view sharing its thread), the pool uses it.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from yibao_tui.backend.base import Actor, Backend
from yibao_tui.server.auth import Principal

BackendFactory = Callable[[Actor], Backend]


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


class BackendPool:
    """Backends by actor; idle ones beyond ``max_size`` are closed, least recently used first."""

    def __init__(self, factory: BackendFactory, max_size: int = 16) -> None:
        self._factory = factory
        self._max = max_size
        self._items: OrderedDict[Actor, Backend] = OrderedDict()
        self._busy: dict[Actor, int] = {}
        self._primary: Backend | None = None
        self._lock = asyncio.Lock()

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
        return self._factory(actor)

    @asynccontextmanager
    async def use(self, actor: Actor) -> AsyncIterator[Backend]:
        """The backend for ``actor`` for the length of one request."""
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
        try:
            if created:
                await self._evict()
            yield backend
        finally:
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
