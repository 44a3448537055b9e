"""Operator login at a counter window and card sessions at a kiosk, through the real server."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from tests.http.conftest import LiveServer, seed
from yibao_tui.backend.base import Actor
from yibao_tui.backend.http import HttpBackend
from yibao_tui.domain.errors import YibaoError


@pytest.fixture
async def ids(live_server: LiveServer, admin_token: str) -> dict[str, str]:
    hb = HttpBackend(live_server.url, admin_token)
    try:
        ids = await seed(hb)
        await hb.operator_add("op1", "刘敏", "clerk", "clerk-pass-1")
        await hb.operator_add("sup1", "陈静", "supervisor", "super-pass-1")
        await hb.card_set_pin("C0000001", "246810")
        return ids
    finally:
        await hb.close()


async def _code(coro: object) -> str:
    with pytest.raises(YibaoError) as info:
        await coro  # type: ignore[misc]
    return info.value.code


async def test_counter_window_logs_an_operator_in_like_the_counter_app(
    live_server: LiveServer, ids: dict[str, str], admin_token: str
) -> None:
    window = live_server.token("counter", label="window-3")
    gate = HttpBackend(live_server.url, window, actor=Actor("counter"))
    try:
        assert await _code(gate.balance(ids["a"])) == "FORBIDDEN"  # nobody logged in yet
        operator = await gate.operator_login("op1", "clerk-pass-1")
        assert (operator.id, operator.role) == ("op1", "clerk")
        session = HttpBackend(live_server.url, window, actor=Actor("counter", "op1"))
        assert (await session.balance(ids["a"])).balance_fen == 100_000
        await session.close()  # logout ends the session on the server
        again = HttpBackend(live_server.url, window, actor=Actor("counter", "op1"))
        assert await _code(again.balance(ids["a"])) == "FORBIDDEN"  # back to the window's token
        await again.close()
    finally:
        await gate.close()
    admin = HttpBackend(live_server.url, admin_token)
    try:
        rows = await admin.audit(person=ids["a"], limit=1)
        assert (rows[0].channel, rows[0].operator) == ("counter", "op1")
    finally:
        await admin.close()


async def test_operator_lockout_is_enforced_on_the_server(live_server: LiveServer, ids: dict[str, str]) -> None:
    gate = HttpBackend(live_server.url, live_server.token("counter"), actor=Actor("counter"))
    try:
        codes = [await _code(gate.operator_login("op1", "wrong-password")) for _ in range(5)]
        assert codes[0] == "BAD_CREDENTIALS"
        assert await _code(gate.operator_login("op1", "clerk-pass-1")) == "OPERATOR_LOCKED"
    finally:
        await gate.close()


async def test_withdrawal_needs_a_counter_session_and_a_cosigner(
    live_server: LiveServer, ids: dict[str, str], admin_token: str
) -> None:
    admin = HttpBackend(live_server.url, admin_token)
    facts = {"death_certified": "yes", "heir_proven": "yes", "agent": "no"}
    try:  # the ledger refuses anyone but a counter operator, whatever the token
        assert await _code(admin.withdrawal_execute(ids["stranger"], "death", facts, "王强", "6222000011112222",
                                                    "sup1", "super-pass-1")) == "COUNTER_ONLY"
    finally:
        await admin.close()
    window = live_server.token("counter")
    gate = HttpBackend(live_server.url, window, actor=Actor("counter"))
    await gate.operator_login("op1", "clerk-pass-1")
    session = HttpBackend(live_server.url, window, actor=Actor("counter", "op1"))
    try:
        receipt = await session.withdrawal_execute(ids["stranger"], "death", facts, "王强", "6222000011112222",
                                                   "sup1", "super-pass-1", key="wd-1")
        assert (receipt.amount_fen, receipt.operator, receipt.cosigner) == (5_000, "op1", "sup1")
        replay = await session.withdrawal_execute(ids["stranger"], "death", facts, "王强", "6222000011112222",
                                                  "sup1", "super-pass-1", key="wd-1")
        assert replay.replayed and replay.withdrawal_id == receipt.withdrawal_id
    finally:
        await session.close()
        await gate.close()
    with sqlite3.connect(live_server.db) as conn:
        stored = " ".join(str(r) for r in conn.execute("SELECT fingerprint, body FROM http_idempotency"))
    assert "super-pass-1" not in stored


async def test_kiosk_card_session_is_scoped_and_expires(live_server: LiveServer, ids: dict[str, str]) -> None:
    kiosk = HttpBackend(live_server.url, live_server.token("kiosk", label="lobby"), actor=Actor("kiosk"))
    try:
        assert await _code(kiosk.balance(ids["a"])) == "FORBIDDEN"  # no card yet
        assert await _code(kiosk.card_login("C0000001", "000000")) == "BAD_PIN"
        person = await kiosk.card_login("C0000001", "246810")
        assert person.id == ids["a"]
        assert (await kiosk.balance(ids["a"])).balance_fen == 100_000
        assert await _code(kiosk.balance(ids["b"])) == "FORBIDDEN"
        live_server.clock.advance(300)
        assert await _code(kiosk.balance(ids["a"])) == "SESSION_EXPIRED"
        await kiosk.end_session()
        assert await _code(kiosk.balance(ids["a"])) == "FORBIDDEN"  # the device again
    finally:
        await kiosk.close()


async def test_card_locks_after_three_bad_pins(live_server: LiveServer, ids: dict[str, str],
                                               admin_token: str) -> None:
    """The lock holds over HTTP, but a kiosk is told it in the one refusal for an unknown card, a
    wrong PIN and a locked card (``CARD_LOCKED`` would tell that the card exists); that refusal
    says that cards lock. A clerk's new PIN ends the lock."""
    kiosk = HttpBackend(live_server.url, live_server.token("kiosk"), actor=Actor("kiosk"))
    admin = HttpBackend(live_server.url, admin_token)
    try:
        for _ in range(3):
            await _code(kiosk.card_login("C0000001", "111111"))
        with pytest.raises(YibaoError) as locked:
            await kiosk.card_login("C0000001", "246810")  # the right PIN: still refused
        with pytest.raises(YibaoError) as nobody:
            await kiosk.card_login("C0000099", "246810")
        assert locked.value.code == nobody.value.code == "BAD_PIN"
        for lang, word in (("zh", "锁定"), ("en", "locked")):
            assert locked.value.message(lang) == nobody.value.message(lang) and word in locked.value.message(lang)
        await admin.card_set_pin("C0000001", "864213")
        assert (await kiosk.card_login("C0000001", "864213")).id == ids["a"]
    finally:
        await kiosk.close()
        await admin.close()


def test_session_tokens_are_never_stored_and_a_replayed_login_opens_a_new_one(
    live_server: LiveServer, ids: dict[str, str]
) -> None:
    device = live_server.token("kiosk")
    headers = {"Authorization": f"Bearer {device}", "Idempotency-Key": "login-1"}
    body = {"card": "C0000001", "pin": "246810"}
    first = httpx.post(live_server.url + "/v1/kiosk-sessions", json=body, headers=headers)
    second = httpx.post(live_server.url + "/v1/kiosk-sessions", json=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json()["token"] != second.json()["token"]
    assert first.headers["Cache-Control"] == "no-store"
    # the fingerprint leaves the PIN out (it must not be recoverable from it): another PIN under
    # the same key is checked again, not compared with anything stored
    other = httpx.post(live_server.url + "/v1/kiosk-sessions", json={**body, "pin": "135790"}, headers=headers)
    assert other.status_code == 422 and other.json()["error"]["code"] == "BAD_PIN"
    raw = live_server.db.read_bytes() + (live_server.db.parent / "ledger.db-wal").read_bytes()
    assert first.json()["token"].encode() not in raw and b"246810" not in raw
    # a session cannot open another session or log an operator in
    session = first.json()["token"]
    r = httpx.post(live_server.url + "/v1/kiosk-sessions", json=body,
                   headers={"Authorization": f"Bearer {session}", "Idempotency-Key": "x"})
    assert r.status_code == 403
