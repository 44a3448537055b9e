"""Tokens listed, revoked and expired (``yibao token list|revoke``, ``--expires``, the admin API);
a session ends with the token that opened it (issue 9 item 6)."""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest

from tests.http.conftest import LiveServer, seed
from yibao_tui.backend.base import Actor
from yibao_tui.backend.http import HttpBackend
from yibao_tui.cli import main
from yibao_tui.server.auth import TOKEN_CACHE_SECONDS


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["--json", *argv])
    lines = [x for x in capsys.readouterr().out.splitlines() if x.strip()]
    assert len(lines) == 1, lines
    return code, json.loads(lines[0])


def _get(server: LiveServer, path: str, token: str) -> httpx.Response:
    return httpx.get(server.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=20)


def _post(server: LiveServer, path: str, token: str, key: str) -> httpx.Response:
    return httpx.post(server.url + path, json={}, timeout=20,
                      headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})


async def test_cli_lists_and_revokes_tokens_and_never_shows_one(
    live_server: LiveServer, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(live_server.db)
    code, made = _cli(capsys, "--db", db, "token", "create", "--role", "admin", "--expires", "12h")
    assert code == 0 and made["token"].startswith("yb_") and made["expires_at"] > 0
    code, forever = _cli(capsys, "--db", db, "token", "create", "--role", "counter")
    assert code == 0 and "expires_at" not in forever
    code, listed = _cli(capsys, "--db", db, "token", "list")
    assert code == 0
    rows = listed["tokens"]
    assert [r["role"] for r in rows] == ["admin", "counter"]
    first = rows[0]
    assert set(first) >= {"id", "role", "created_at", "expires_at", "last_used_at", "status"}
    assert first["expires_at"] == pytest.approx(first["created_at"] + 12 * 3600, abs=5)
    assert rows[1]["expires_at"] is None and first["status"] == "active"
    text = json.dumps(listed)
    with sqlite3.connect(db) as conn:
        hashes = [r[0] for r in conn.execute("SELECT hash FROM http_tokens")]
    assert made["token"] not in text and forever["token"] not in text
    assert not any(h in text for h in hashes)
    # revoke: the server refuses it (once its 2-second cache of the token has run out)
    assert _get(live_server, "/v1/whoami", forever["token"]).status_code == 200
    second = rows[1]["id"]
    code, revoked = _cli(capsys, "--db", db, "token", "revoke", str(second))
    assert code == 0 and revoked == {"id": second, "revoked": True, "sessions_ended": 0}
    live_server.clock.advance(TOKEN_CACHE_SECONDS + 0.1)
    r = _get(live_server, "/v1/whoami", forever["token"])
    assert r.status_code == 401 and r.json()["error"]["code"] == "UNAUTHORIZED"
    code, listed = _cli(capsys, "--db", db, "token", "list")
    assert [r["role"] for r in listed["tokens"]] == ["admin"]
    code, listed = _cli(capsys, "--db", db, "token", "list", "--all")
    assert [r["status"] for r in listed["tokens"]] == ["active", "revoked"]
    # errors: an unknown id, a bad --expires, a ledger that does not exist
    code, err = _cli(capsys, "--db", db, "token", "revoke", "999")
    assert code == 2 and err["error"]["code"] == "UNKNOWN_TOKEN"
    code, err = _cli(capsys, "--db", db, "token", "create", "--role", "admin", "--expires", "soon")
    assert code == 2 and err["error"]["code"] == "INVALID_ARGUMENT"
    missing = str(live_server.db.parent / "nope.db")
    code, err = _cli(capsys, "--db", missing, "token", "list")
    assert code == 1 and err["error"]["code"] == "DATABASE_UNAVAILABLE"
    assert not (live_server.db.parent / "nope.db").exists()


def test_cli_text_lists_tokens(live_server: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
    token = live_server.token("kiosk", label="lobby-2")
    assert main(["--db", str(live_server.db), "--lang", "en", "token", "list"]) == 0
    out = capsys.readouterr().out
    assert "lobby-2" in out and "kiosk" in out and "active" in out and token not in out


async def test_expired_tokens_are_refused(live_server: LiveServer) -> None:
    token = live_server.token("admin", ttl=3600)
    assert _get(live_server, "/v1/whoami", token).status_code == 200
    live_server.clock.advance(3600)
    r = _get(live_server, "/v1/whoami", token)
    assert r.status_code == 401 and r.json()["error"]["code"] == "SESSION_EXPIRED"


async def test_revoking_a_window_ends_its_operator_sessions(live_server: LiveServer, admin_token: str) -> None:
    admin = HttpBackend(live_server.url, admin_token)
    try:
        ids = await seed(admin)
        await admin.operator_add("op1", "刘敏", "clerk", "clerk-pass-1")
    finally:
        await admin.close()
    window = live_server.token("counter", label="window-3")
    gate = HttpBackend(live_server.url, window, actor=Actor("counter"))
    await gate.operator_login("op1", "clerk-pass-1")
    session = HttpBackend(live_server.url, window, actor=Actor("counter", "op1"))
    session_token = session._auth()
    try:
        assert (await session.balance(ids["a"])).balance_fen == 100_000
        listed = _get(live_server, "/v1/tokens", admin_token).json()["tokens"]
        window_row = next(r for r in listed if r["label"] == "window-3" and r["operator"] is None)
        child = next(r for r in listed if r["parent"] == window_row["id"])
        assert child["operator"] == "op1" and child["last_used_at"] is not None
        assert session_token not in json.dumps(listed)
        # the personal data of a token's person is masked in the list
        live_server.token("personal", ids["a"])
        listed = _get(live_server, "/v1/tokens", admin_token).json()["tokens"]
        assert ids["a"] not in json.dumps(listed)
        # only an admin may list or revoke
        assert _get(live_server, "/v1/tokens", session_token).status_code == 403
        r = _post(live_server, f"/v1/tokens/{window_row['id']}/revoke", admin_token, "rv-1")
        assert r.status_code == 200
        assert r.json() == {"id": window_row["id"], "revoked": True, "sessions_ended": 1}
        for token in (window, session_token):
            r = _get(live_server, f"/v1/persons/{ids['a']}/balance", token)
            assert r.status_code == 401, token[:3]
        r = _post(live_server, "/v1/tokens/4242/revoke", admin_token, "rv-2")
        assert r.status_code == 404 and r.json()["error"]["code"] == "UNKNOWN_TOKEN"
    finally:
        await session.close()
        await gate.close()


async def test_a_session_never_outlives_its_parent(live_server: LiveServer, admin_token: str) -> None:
    admin = HttpBackend(live_server.url, admin_token)
    try:
        await seed(admin)
        await admin.operator_add("op1", "刘敏", "clerk", "clerk-pass-1")
    finally:
        await admin.close()
    window = live_server.token("counter", label="short", ttl=600)  # the window's token ends in 10 min
    r = httpx.post(live_server.url + "/v1/operator-sessions", json={"operator": "op1", "password": "clerk-pass-1"},
                   headers={"Authorization": f"Bearer {window}", "Idempotency-Key": "s-1"})
    assert r.status_code == 200
    assert r.json()["expires_at"] == pytest.approx(live_server.clock() + 600)
    session = r.json()["token"]
    live_server.clock.advance(601)
    r = _get(live_server, "/v1/whoami", session)
    assert r.status_code == 401 and r.json()["error"]["code"] == "SESSION_EXPIRED"
