"""Fixtures: the real server (uvicorn on 127.0.0.1, a free port, a temp ledger) and both backends."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.conftest import frozen_clock
from yibao_tui.backend.base import Actor, Backend
from yibao_tui.backend.http import HttpBackend
from yibao_tui.backend.local import LocalBackend
from yibao_tui.domain.idnum import make_id
from yibao_tui.server.app import Hooks, create_app
from yibao_tui.server.auth import TokenStore
from yibao_tui.server.backends import BackendFactory, LedgerBackend


class FakeClock:
    """An injectable clock for token and session expiry."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class LiveServer:
    """A uvicorn server running ``create_app(db)`` on its own thread (``db``: a ledger file or a
    PostgreSQL URL)."""

    db: Path | str
    clock: FakeClock = field(default_factory=FakeClock)
    hooks: Hooks = field(default_factory=Hooks)
    #: Makes the server's backends (default: the ledger at ``db``).
    backend_factory: BackendFactory | None = None
    port: int = 0
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _sock: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        self._sock = sock
        app = create_app(str(self.db), clock=self.clock, hooks=self.hooks,
                         backend_factory=self.backend_factory or self.frozen_ledgers())
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def frozen_ledgers(self) -> BackendFactory:
        """The server's own backends, on the tests' frozen ledger clock (2026-11-22): the
        rules that depend on the date (premium windows, ages) never follow the wall clock."""
        db = str(self.db)
        return lambda actor: LedgerBackend(db, actor=actor, clock=frozen_clock)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=20)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def token(self, role: str, person: str | None = None, ttl: float | None = None, label: str = "",
              operator: str | None = None) -> str:
        store = TokenStore(str(self.db), self.clock)
        try:
            return store.create(role, person, label=label, ttl=ttl, operator=operator)
        finally:
            store.close()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "ledger.db").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def admin_token(live_server: LiveServer) -> str:
    return live_server.token("admin", label="tests")


@pytest.fixture(params=["local", "http", "local-postgresql", "http-postgresql"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """The same behaviour suite runs on the local ledger and through the server, each on a SQLite
    file and on PostgreSQL."""
    kind, _, engine = str(request.param).partition("-")
    db: Path | str = request.getfixturevalue("pg_url") if engine else tmp_path / "local.db"
    if kind == "local":
        b: Backend = LocalBackend(db, actor=Actor("cli"), clock=frozen_clock)
        await b.init()
        try:
            yield b
        finally:
            await b.close()
        return
    if engine:
        server = LiveServer(db).start()
        request.addfinalizer(server.stop)
    else:
        server = request.getfixturevalue("live_server")
    token = server.token("admin", label="suite")
    hb = HttpBackend(server.url, token, retries=2, backoff=0.02)
    try:
        yield hb
    finally:
        await hb.close()


# ------------------------------------------------------------------ people

EMPLOYEE_A = make_id("110101", dt.date(1980, 5, 17), 11)
EMPLOYEE_B = make_id("110101", dt.date(1982, 3, 2), 22)
CHILD = make_id("110101", dt.date(2010, 7, 1), 33)
RESIDENT_PARENT = make_id("110101", dt.date(1950, 1, 9), 44)
STRANGER = make_id("110101", dt.date(1990, 12, 30), 55)
REGION = "110000"


async def seed(backend: Backend) -> dict[str, Any]:
    """A small family: two employees, a child, a resident parent, a stranger."""
    await backend.add_person(EMPLOYEE_A, "张伟", "employee", REGION, card="C0000001", opening_balance_fen=100_000)
    await backend.add_person(EMPLOYEE_B, "李娜", "employee", REGION, opening_balance_fen=20_000)
    await backend.add_person(CHILD, "张小明", "resident", REGION)
    await backend.add_person(RESIDENT_PARENT, "张建国", "resident", REGION)
    await backend.add_person(STRANGER, "王芳", "employee", REGION, opening_balance_fen=5_000)
    return {"a": EMPLOYEE_A, "b": EMPLOYEE_B, "child": CHILD, "parent": RESIDENT_PARENT, "stranger": STRANGER}
