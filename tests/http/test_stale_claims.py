"""Requests left in progress by a server that died are released when a server starts; a live
server's are not; the client waits for a key in progress within a stated bound (issue 9 item 7)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.http.conftest import LiveServer, seed
from yibao_tui.backend.http import HttpBackend
from yibao_tui.domain.errors import YibaoError

ROOT = Path(__file__).resolve().parents[2]

#: A server in its own process whose payments hang after they commit (then it is killed).
_HANGING_SERVER = """
import asyncio, datetime as dt, pathlib, socket, sys, uvicorn
from yibao_tui.ledger.store import CN_TZ
from yibao_tui.server.app import Hooks, create_app
from yibao_tui.server.backends import LedgerBackend
db, port, marker = sys.argv[1], int(sys.argv[2]), pathlib.Path(sys.argv[3])
frozen = dt.datetime(2026, 11, 22, 10, 0, tzinfo=CN_TZ)  # the tests' now, never the wall clock's
async def hang(op):
    marker.write_text(op)
    await asyncio.sleep(3600)
app = create_app(db, hooks=Hooks(after_commit=hang),
                 backend_factory=lambda actor: LedgerBackend(db, actor=actor, clock=lambda: frozen))
sock = socket.socket(); sock.bind(("127.0.0.1", port))
uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on")).run(sockets=[sock])
"""


async def _family(server: LiveServer) -> tuple[str, dict[str, str]]:
    """An admin token and the seeded family, with the parent bound to A."""
    admin = server.token("admin", label="t")
    hb = HttpBackend(server.url, admin)
    try:
        ids = await seed(hb)
        await hb.bind(ids["a"], ids["parent"], "parent")
        return admin, ids
    finally:
        await hb.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(predicate: object, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


async def test_a_claim_left_by_a_killed_server_is_released_at_start(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    first = LiveServer(db).start()
    try:
        admin, ids = await _family(first)
    finally:
        first.stop()
    port, marker = _free_port(), tmp_path / "committed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", _HANGING_SERVER, str(db), str(port), str(marker)],
                            cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        def up() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200
            except httpx.TransportError:
                assert proc.poll() is None
                return False

        _wait_for(up)
        body = {"relative": ids["parent"], "year": 2027}
        url = f"http://127.0.0.1:{port}/v1/persons/{ids['a']}/premium-payments"
        headers = {"Authorization": f"Bearer {admin}", "Idempotency-Key": "pay-once"}
        lost = threading.Thread(target=lambda: _ignore(lambda: httpx.post(url, json=body, headers=headers,
                                                                          timeout=60)), daemon=True)
        lost.start()
        _wait_for(marker.exists)  # the payment has committed; its response is never sent
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        lost.join(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT state FROM http_idempotency WHERE key = 'pay-once'").fetchall() == [("running",)]
    again = LiveServer(db).start()
    try:
        assert again._server is not None
        assert again._server.config.app.state.server.idem.released == 1
        hb = HttpBackend(again.url, admin, in_progress_wait=0.0)  # no waiting: the claim is gone
        try:
            paid = await hb.premium_pay(ids["a"], ids["parent"], 2027, key="pay-once")
            assert paid.replayed and paid.amount_fen == 40_000  # the ledger's record of the key
            assert (await hb.balance(ids["a"])).balance_fen == 60_000  # paid once
            assert len(await hb.premium_payments(ids["a"])) == 1
            assert (await hb.verify()).ok
        finally:
            await hb.close()
    finally:
        again.stop()


def _ignore(fn: object) -> None:
    try:
        fn()  # type: ignore[operator]
    except httpx.HTTPError:
        pass


@pytest.fixture
async def held(tmp_path: Path) -> object:
    """A server holding a payment in progress (after it commits), and what it needs."""
    server = LiveServer(tmp_path / "ledger.db").start()
    admin, ids = await _family(server)
    entered, release = threading.Event(), threading.Event()

    async def hold(op: str) -> None:
        server.hooks.after_commit = None
        entered.set()
        await asyncio.to_thread(release.wait, 60)

    server.hooks.after_commit = hold
    client = httpx.AsyncClient(base_url=server.url, timeout=60,
                               headers={"Authorization": f"Bearer {admin}", "Idempotency-Key": "slow"})
    first = asyncio.create_task(client.post(f"/v1/persons/{ids['a']}/premium-payments",
                                            json={"relative": ids["parent"], "year": 2027}))
    assert await asyncio.to_thread(entered.wait, 30)
    try:
        yield {"server": server, "admin": admin, "ids": ids, "release": release, "first": first}
    finally:
        release.set()
        await first
        await client.aclose()
        server.stop()


async def test_a_live_servers_claim_is_not_released_by_another_server(held: dict) -> None:  # type: ignore[type-arg]
    server, ids = held["server"], held["ids"]
    second = LiveServer(server.db).start()  # another server on the same ledger
    try:
        assert second._server is not None
        assert second._server.config.app.state.server.idem.released == 0
        r = httpx.post(f"{second.url}/v1/persons/{ids['a']}/premium-payments",
                       json={"relative": ids["parent"], "year": 2027},
                       headers={"Authorization": f"Bearer {held['admin']}", "Idempotency-Key": "slow"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "IN_PROGRESS"
        assert int(r.headers["Retry-After"]) >= 1
    finally:
        second.stop()


async def test_the_client_waits_for_a_key_in_progress_then_gets_the_result(held: dict) -> None:  # type: ignore[type-arg]
    server, ids = held["server"], held["ids"]
    hb = HttpBackend(server.url, held["admin"], in_progress_wait=30.0)
    try:
        loop = asyncio.get_running_loop()
        loop.call_later(0.5, held["release"].set)  # the first request finishes meanwhile
        paid = await hb.premium_pay(ids["a"], ids["parent"], 2027, key="slow")
        assert paid.replayed and (await hb.balance(ids["a"])).balance_fen == 60_000
    finally:
        await hb.close()


async def test_the_client_states_how_long_it_waited(held: dict) -> None:  # type: ignore[type-arg]
    server, ids = held["server"], held["ids"]
    hb = HttpBackend(server.url, held["admin"], in_progress_wait=0.2)
    try:
        with pytest.raises(YibaoError) as info:
            await hb.premium_pay(ids["a"], ids["parent"], 2027, key="slow")
    finally:
        await hb.close()
    assert info.value.code == "IN_PROGRESS"
    assert "0.2" in info.value.message("en") and "same idempotency key" in info.value.message("en")
    assert "0.2" in info.value.message("zh")

