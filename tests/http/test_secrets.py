"""No secret (PIN, password, token) can be recovered from what the server keeps: the idempotency
table (fingerprints and stored responses), the ledger's operations and audit, or the log; and
idempotency keys are scoped per token (issue 9, items 2 and 13)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import sqlite3

import httpx
import pytest

from tests.http.conftest import LiveServer, seed
from yibao_tui.backend.base import Actor
from yibao_tui.backend.http import HttpBackend

CARD = "C0000001"
FIRST_PIN, NEW_PIN = "246810", "975313"
CLERK_PW, SUPER_PW = "clerk-pass-1", "super-pass-1"


def _rows(db: str, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        try:
            return list(conn.execute(sql))
        except sqlite3.OperationalError:  # no such table (an older server has none)
            return []


def _fingerprint_keys(db: str) -> list[bytes]:
    return [bytes(r[0]) for r in _rows(db, "SELECT value FROM http_secrets")]


def _pins_found(stored: set[str], keys: list[bytes], path: str, before: str, after: str) -> list[str]:
    """The 6-digit PINs whose request ``POST path`` (canonical JSON ``before + pin + after``) has
    a digest in ``stored``: unsalted SHA-256, and HMAC-SHA256 under each of the ledger's keys."""
    want = {bytes.fromhex(d) for d in stored if len(d) == 64}
    head, tail = f"POST {path}\n{before}".encode(), after.encode()
    found = []
    sha256 = hashlib.sha256
    one_shot = hmac.digest
    for n in range(1_000_000):
        msg = head + b"%06d" % n + tail
        if sha256(msg).digest() in want or any(one_shot(k, msg, "sha256") in want for k in keys):
            found.append(msg.decode())
    return found


@pytest.fixture
async def session_traffic(live_server: LiveServer, admin_token: str,
                          caplog: pytest.LogCaptureFixture) -> dict[str, object]:
    """Every request that carries a secret: operator creation, a PIN set then changed, a kiosk
    login, an operator login, a supervisor's co-sign."""
    caplog.set_level(logging.DEBUG)
    admin = HttpBackend(live_server.url, admin_token)
    try:
        ids = await seed(admin)
        await admin.operator_add("op1", "刘敏", "clerk", CLERK_PW)
        await admin.operator_add("sup1", "陈静", "supervisor", SUPER_PW)
        await admin.card_set_pin(CARD, FIRST_PIN)
        await admin.card_set_pin(CARD, NEW_PIN)  # a PIN change
    finally:
        await admin.close()
    device = live_server.token("kiosk", label="lobby")
    login = httpx.post(live_server.url + "/v1/kiosk-sessions", json={"card": CARD, "pin": NEW_PIN},
                       headers={"Authorization": f"Bearer {device}", "Idempotency-Key": "kiosk-login"})
    assert login.status_code == 200
    window = live_server.token("counter", label="window-1")
    gate = HttpBackend(live_server.url, window, actor=Actor("counter"))
    await gate.operator_login("op1", CLERK_PW)
    session = HttpBackend(live_server.url, window, actor=Actor("counter", "op1"))
    tokens = [login.json()["token"]]
    try:
        facts = {"death_certified": "yes", "heir_proven": "yes", "agent": "no"}
        await session.withdrawal_execute(ids["stranger"], "death", facts, "王强", "6222000011112222",
                                         "sup1", SUPER_PW, key="wd-1")
        tokens.append(session._auth())
    finally:
        await session.close()
        await gate.close()
    return {"ids": ids, "tokens": tokens, "log": caplog}


async def test_no_secret_is_in_any_stored_row_or_the_log(
    live_server: LiveServer, session_traffic: dict[str, object]
) -> None:
    db = str(live_server.db)
    secrets = [FIRST_PIN, NEW_PIN, CLERK_PW, SUPER_PW, *session_traffic["tokens"]]  # type: ignore[misc]
    tables = {
        "http_idempotency": "SELECT * FROM http_idempotency",
        "operations": "SELECT * FROM operations",
        "audit": "SELECT * FROM audit",
        "http_tokens": "SELECT * FROM http_tokens",
    }
    for name, sql in tables.items():
        text = "\n".join(repr(r) for r in _rows(db, sql))
        for secret in secrets:
            assert secret not in text, (name, secret[:3])
    raw = live_server.db.read_bytes()
    wal = live_server.db.parent / (live_server.db.name + "-wal")
    if wal.exists():
        raw += wal.read_bytes()
    for secret in secrets:
        assert secret.encode() not in raw
    log_text = session_traffic["log"].text  # type: ignore[attr-defined]
    for secret in secrets:
        assert secret not in log_text


async def test_a_brute_force_over_every_pin_finds_nothing_in_the_fingerprints(
    live_server: LiveServer, session_traffic: dict[str, object]
) -> None:
    db = str(live_server.db)
    stored = {str(r[0]) for r in _rows(db, "SELECT fingerprint FROM http_idempotency")}
    assert stored  # the PIN change and the withdrawal, at least, are kept for replay
    keys = _fingerprint_keys(db)
    forms = [  # the canonical JSON of a kiosk login and of a PIN change
        ("/v1/kiosk-sessions", f'{{"card":"{CARD}","pin":"', '"}'),
        (f"/v1/cards/{CARD}/pin", '{"pin":"', '"}'),
    ]
    found = [pin for path, before, after in forms for pin in _pins_found(stored, keys, path, before, after)]
    assert found == []


async def test_the_fingerprint_does_not_depend_on_a_secret(live_server: LiveServer) -> None:
    from yibao_tui.server.routes import OPS

    assert live_server._server is not None
    idem = live_server._server.config.app.state.server.idem
    for op in OPS:
        drop = op.secret_fields
        for f in op.body or ():
            if "pin" in f.name or "password" in f.name:
                assert f.name in drop, (op.name, f.name)
        if drop:
            one = {f.name: "x" for f in op.body or ()}
            other = {**one, **{name: "246810" for name in drop}}
            assert idem.fingerprint("POST", op.path, one, drop) == idem.fingerprint("POST", op.path, other, drop)
    # a per-ledger random key: the same request fingerprints differently in another ledger
    assert len(_fingerprint_keys(str(live_server.db))) == 1


async def test_an_older_key_table_is_purged(tmp_path: object, admin_token: str, live_server: LiveServer) -> None:
    """Rows written by an older server (unsalted fingerprints over the PIN) do not survive."""
    live_server.stop()
    db = str(live_server.db)
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE http_idempotency")
        conn.execute("CREATE TABLE http_idempotency (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL,"
                     " state TEXT NOT NULL, status INTEGER, body TEXT, created_at REAL NOT NULL,"
                     " updated_at REAL NOT NULL)")
        legacy = hashlib.sha256(f'POST /v1/kiosk-sessions\n{{"card":"{CARD}","pin":"{FIRST_PIN}"}}'.encode())
        conn.execute("INSERT INTO http_idempotency VALUES ('old', ?, 'done', 200, NULL, 1, 1)",
                     (legacy.hexdigest(),))
    live_server.start()
    assert _rows(db, "SELECT * FROM http_idempotency") == []
    assert "principal" in {r[1] for r in _rows(db, "PRAGMA table_info(http_idempotency)")}


async def test_keys_are_scoped_per_token(live_server: LiveServer, admin_token: str) -> None:
    """Another token's same key neither sees nor blocks the first one's result."""
    admin = HttpBackend(live_server.url, admin_token)
    try:
        ids = await seed(admin)
    finally:
        await admin.close()
    other = live_server.token("admin", label="second")
    url = f"{live_server.url}/v1/persons/{ids['b']}/credits"
    first = httpx.post(url, json={"amount_fen": 100, "memo": "one"},
                       headers={"Authorization": f"Bearer {admin_token}", "Idempotency-Key": "shared"})
    assert first.status_code == 200 and first.json()["replayed"] is False
    # the same request under the same key from another token: its own write, not a replay
    same = httpx.post(url, json={"amount_fen": 100, "memo": "one"},
                      headers={"Authorization": f"Bearer {other}", "Idempotency-Key": "shared"})
    assert same.status_code == 200 and same.json()["replayed"] is False
    assert same.json()["balance_after_fen"] == first.json()["balance_after_fen"] + 100
    # another request under that key from a third token: not blocked by a conflict
    third = live_server.token("admin", label="third")
    diff = httpx.post(url, json={"amount_fen": 7, "memo": "two"},
                      headers={"Authorization": f"Bearer {third}", "Idempotency-Key": "shared"})
    assert diff.status_code == 200 and diff.json()["replayed"] is False
    # each token still replays its own
    again = httpx.post(url, json={"amount_fen": 100, "memo": "one"},
                       headers={"Authorization": f"Bearer {admin_token}", "Idempotency-Key": "shared"})
    assert again.json() == {**first.json(), "replayed": True}
    bal = httpx.get(f"{live_server.url}/v1/persons/{ids['b']}/balance",
                    headers={"Authorization": f"Bearer {admin_token}"})
    assert bal.json()["balance_fen"] == 20_000 + 100 + 100 + 7
