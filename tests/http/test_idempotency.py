"""Idempotency-Key semantics on the wire, and a response lost after the server committed."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import httpx
import pytest

from tests.http.conftest import LiveServer, seed
from yibao_tui.backend.http import HttpBackend


async def _seeded(server: LiveServer, token: str) -> dict[str, str]:
    hb = HttpBackend(server.url, token)
    try:
        ids = await seed(hb)
        await hb.bind(ids["a"], ids["parent"], "parent")
        return ids
    finally:
        await hb.close()


def _client(server: LiveServer, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=20)


async def test_post_without_key_is_400(live_server: LiveServer, admin_token: str) -> None:
    ids = await _seeded(live_server, admin_token)
    async with _client(live_server, admin_token) as c:
        r = await c.post(f"/v1/persons/{ids['a']}/credits", json={"amount_fen": 100})
        assert r.status_code == 400
        assert r.json()["error"]["code"] == "IDEMPOTENCY_KEY_MISSING"
        r = await c.post(f"/v1/persons/{ids['a']}/credits", json={"amount_fen": 100},
                         headers={"Idempotency-Key": ""})
        assert r.status_code == 400


async def test_same_key_other_body_is_422_and_replay_is_the_stored_response(
    live_server: LiveServer, admin_token: str
) -> None:
    ids = await _seeded(live_server, admin_token)
    url = f"/v1/persons/{ids['a']}/credits"
    async with _client(live_server, admin_token) as c:
        first = await c.post(url, json={"amount_fen": 100, "memo": "x"}, headers={"Idempotency-Key": "k-1"})
        assert first.status_code == 200 and first.json()["replayed"] is False
        # same meaning, other bytes: a replay
        again = await c.post(url, content=b'{"memo":"x",  "amount_fen":100}',
                             headers={"Idempotency-Key": "k-1", "Content-Type": "application/json"})
        assert again.status_code == 200
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == {**first.json(), "replayed": True}
        other = await c.post(url, json={"amount_fen": 101, "memo": "x"}, headers={"Idempotency-Key": "k-1"})
        assert other.status_code == 422
        assert other.json()["error"]["code"] == "IDEMPOTENCY_CONFLICT"
        elsewhere = await c.post("/v1/spending", json={"patient": ids["a"], "amount_fen": 100, "kind": "pharmacy"},
                                 headers={"Idempotency-Key": "k-1"})
        assert elsewhere.status_code == 422
        bal = await c.get(f"/v1/persons/{ids['a']}/balance")
        assert bal.json()["balance_fen"] == 100_100


async def test_a_refused_request_is_not_stored(live_server: LiveServer, admin_token: str) -> None:
    ids = await _seeded(live_server, admin_token)
    async with _client(live_server, admin_token) as c:
        url = f"/v1/persons/{ids['stranger']}/premium-payments"
        refused = await c.post(url, json={"relative": ids["parent"], "year": 2027}, headers={"Idempotency-Key": "p"})
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "NOT_BOUND"
        again = await c.post(url, json={"relative": ids["parent"], "year": 2027}, headers={"Idempotency-Key": "p"})
        assert again.status_code == 422 and "Idempotent-Replayed" not in again.headers


async def test_in_progress_is_409(live_server: LiveServer, admin_token: str) -> None:
    ids = await _seeded(live_server, admin_token)
    entered, release = threading.Event(), threading.Event()

    async def hold(op: str) -> None:
        entered.set()
        await asyncio.to_thread(release.wait, 30)

    live_server.hooks.after_commit = hold
    url = f"/v1/persons/{ids['a']}/premium-payments"
    body = {"relative": ids["parent"], "year": 2027}
    async with _client(live_server, admin_token) as c:
        first = asyncio.create_task(c.post(url, json=body, headers={"Idempotency-Key": "slow"}))
        assert await asyncio.to_thread(entered.wait, 30)
        live_server.hooks.after_commit = None
        second = await c.post(url, json=body, headers={"Idempotency-Key": "slow"})
        assert second.status_code == 409 and second.json()["error"]["code"] == "IN_PROGRESS"
        release.set()
        assert (await first).status_code == 200
        third = await c.post(url, json=body, headers={"Idempotency-Key": "slow"})
        assert third.status_code == 200 and third.json()["replayed"] is True


async def test_lost_response_is_retried_and_charged_once(live_server: LiveServer, admin_token: str) -> None:
    """The server commits, the client's read times out, the retry gets the stored result."""
    ids = await _seeded(live_server, admin_token)
    calls: list[str] = []

    async def lose_first_response(op: str) -> None:
        calls.append(op)
        if len(calls) == 1:
            await asyncio.sleep(1.5)  # longer than the client's read timeout below

    live_server.hooks.after_commit = lose_first_response
    hb = HttpBackend(live_server.url, admin_token, timeout=0.3, retries=8, backoff=0.1, timeout_retries=3)
    try:
        paid = await hb.premium_pay(ids["a"], ids["parent"], 2027)  # no key: the backend makes one
    finally:
        await hb.close()
    live_server.hooks.after_commit = None
    assert calls == ["premiumPay"]  # the retries never ran the payment again
    assert paid.replayed and paid.amount_fen == 40_000
    check = HttpBackend(live_server.url, admin_token)
    try:
        assert (await check.balance(ids["a"])).balance_fen == 60_000
        assert len(await check.premium_payments(ids["a"])) == 1
        assert (await check.verify()).ok
    finally:
        await check.close()


async def test_response_lost_with_the_server_record_is_replayed_by_the_ledger(
    live_server: LiveServer, admin_token: str
) -> None:
    """Even when the server's stored response is gone (a crash before it was written), the
    ledger's own key record makes the retry a replay."""
    ids = await _seeded(live_server, admin_token)
    db = str(live_server.db)

    async def crash_after_commit(op: str) -> None:
        live_server.hooks.after_commit = None
        raise RuntimeError("simulated crash after commit")

    live_server.hooks.after_commit = crash_after_commit
    async with _client(live_server, admin_token) as c:
        url = f"/v1/persons/{ids['b']}/credits"
        r1 = await c.post(url, json={"amount_fen": 500}, headers={"Idempotency-Key": "crash"})
        assert r1.status_code == 500 and r1.json()["error"]["code"] == "INTERNAL"
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT count(*) FROM http_idempotency WHERE key='crash'").fetchone()[0] == 0
        r2 = await c.post(url, json={"amount_fen": 500}, headers={"Idempotency-Key": "crash"})
        assert r2.status_code == 200 and r2.json()["replayed"] is True
        assert (await c.get(f"/v1/persons/{ids['b']}/balance")).json()["balance_fen"] == 20_500


@pytest.mark.parametrize("key", [b"a" * 256, "naïve".encode()])
async def test_bad_keys_are_400(live_server: LiveServer, admin_token: str, key: bytes) -> None:
    async with _client(live_server, admin_token) as c:
        r = await c.post("/v1/demo", json={}, headers={"Idempotency-Key": key})
        assert r.status_code == 400
        assert r.json()["error"]["code"] == "IDEMPOTENCY_KEY_INVALID"


async def test_a_response_that_cannot_be_stored_is_still_answered(
    live_server: LiveServer, admin_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write committed but the server's key table is busy: the client still gets the result,
    and a retry is a replay by the ledger, charged once."""
    ids = await _seeded(live_server, admin_token)
    assert live_server._server is not None
    server = live_server._server.config.app.state.server

    async def busy(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(server.idem, "complete", busy)
    async with _client(live_server, admin_token) as c:
        url = f"/v1/persons/{ids['b']}/credits"
        first = await c.post(url, json={"amount_fen": 300}, headers={"Idempotency-Key": "unstored"})
        assert first.status_code == 200 and first.json()["replayed"] is False
        monkeypatch.undo()
        again = await c.post(url, json={"amount_fen": 300}, headers={"Idempotency-Key": "unstored"})
        assert again.status_code == 200 and again.json()["replayed"] is True
        assert (await c.get(f"/v1/persons/{ids['b']}/balance")).json()["balance_fen"] == 20_300
