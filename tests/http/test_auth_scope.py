"""Bearer tokens, roles and scopes, enforced by the server on every route."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from tests.http.conftest import LiveServer, seed
from yibao_tui.backend.http import HttpBackend
from yibao_tui.domain.errors import YibaoError
from yibao_tui.server.routes import OPS
from yibao_tui.server.spec import Op


@pytest.fixture
async def ids(live_server: LiveServer, admin_token: str) -> dict[str, str]:
    hb = HttpBackend(live_server.url, admin_token)
    try:
        ids = await seed(hb)
        await hb.bind(ids["a"], ids["parent"], "parent")
        return ids
    finally:
        await hb.close()


def _get(server: LiveServer, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(server.url + path, headers=headers, timeout=20)


def _code(r: httpx.Response) -> str:
    return str(r.json()["error"]["code"])


def test_no_token_or_a_bad_one_is_401(live_server: LiveServer, ids: dict[str, str]) -> None:
    for token in (None, "yb_not-a-token"):
        r = _get(live_server, f"/v1/persons/{ids['a']}/balance", token)
        assert r.status_code == 401 and _code(r) == "UNAUTHORIZED"
        assert r.headers["WWW-Authenticate"] == "Bearer"
    r = httpx.get(live_server.url + "/v1/ping", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401


async def test_personal_token_reads_only_its_own_person(live_server: LiveServer, ids: dict[str, str]) -> None:
    token = live_server.token("personal", ids["a"])
    own = _get(live_server, f"/v1/persons/{ids['a']}/balance", token)
    assert own.status_code == 200 and own.json()["balance_fen"] == 100_000
    assert _get(live_server, f"/v1/persons/{ids['a'].lower()}/statement", token).status_code == 200
    for path in (f"/v1/persons/{ids['b']}/balance", f"/v1/persons/{ids['b']}/statement",
                 f"/v1/persons/{ids['b']}", "/v1/persons/C0000001", "/v1/verify", "/v1/audit"):
        r = _get(live_server, path, token)
        assert r.status_code == 403 and _code(r) == "FORBIDDEN", path
    hb = HttpBackend(live_server.url, token)
    try:
        assert await hb.demo_owner() == ids["a"]  # the app opens the token's own account
        quote = await hb.premium_quote(ids["a"], ids["parent"], 2027)
        assert quote.amount_fen == 40_000
        with pytest.raises(YibaoError) as info:
            await hb.premium_quote(ids["b"], ids["parent"], 2027)
        assert info.value.code == "FORBIDDEN"
        with pytest.raises(YibaoError) as info:
            await hb.credit(ids["a"], 100)
        assert info.value.code == "FORBIDDEN"
        with pytest.raises(YibaoError) as info:  # an app cannot claim a counter's verification
            await hb.bind(ids["a"], ids["b"], "spouse", verified_by="counter")
        assert info.value.code == "FORBIDDEN"
        with pytest.raises(YibaoError) as info:  # nor face or letter: staff record those (issue 9 item 3)
            await hb.bind(ids["a"], ids["b"], "spouse", verified_by="face")
        assert info.value.code == "SELF_SERVICE_BINDING"
    finally:
        await hb.close()


def test_counter_session_serves_persons_but_not_the_fund(live_server: LiveServer, ids: dict[str, str]) -> None:
    window = live_server.token("counter", label="window-3")
    assert _get(live_server, f"/v1/persons/{ids['b']}/balance", window).status_code == 403  # nobody logged in
    token = live_server.token("counter", label="window-3", operator="op1")
    assert _get(live_server, f"/v1/persons/{ids['b']}/balance", token).status_code == 200
    for path in ("/v1/verify", "/v1/audit"):
        assert _get(live_server, path, token).status_code == 403
    r = httpx.post(live_server.url + f"/v1/persons/{ids['b']}/credits", json={"amount_fen": 1},
                   headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "x"})
    assert r.status_code == 403


async def test_audit_names_the_channel_and_operator(live_server: LiveServer, ids: dict[str, str], admin_token: str) -> None:
    counter = live_server.token("counter", label="window-3", operator="op7")
    assert _get(live_server, f"/v1/persons/{ids['b']}/balance", counter).status_code == 200
    hb = HttpBackend(live_server.url, admin_token)
    try:
        rows = await hb.audit(person=ids["b"], limit=1)
    finally:
        await hb.close()
    assert (rows[0].channel, rows[0].operator) == ("counter", "op7")


def test_kiosk_session_expires_after_its_ttl(live_server: LiveServer, ids: dict[str, str]) -> None:
    token = live_server.token("kiosk", ids["a"], ttl=120)
    assert _get(live_server, f"/v1/persons/{ids['a']}/balance", token).status_code == 200
    assert _get(live_server, f"/v1/persons/{ids['b']}/balance", token).status_code == 403
    live_server.clock.advance(119)
    assert _get(live_server, f"/v1/persons/{ids['a']}/balance", token).status_code == 200
    live_server.clock.advance(1)
    r = _get(live_server, f"/v1/persons/{ids['a']}/balance", token)
    assert r.status_code == 401 and _code(r) == "SESSION_EXPIRED"
    assert "重新插卡" in r.json()["error"]["message"]


def test_kiosk_device_token_without_a_session_reaches_no_person(live_server: LiveServer, ids: dict[str, str]) -> None:
    token = live_server.token("kiosk", label="lobby")
    assert _get(live_server, "/v1/whoami", token).json()["role"] == "kiosk"
    assert _get(live_server, f"/v1/persons/{ids['a']}/balance", token).status_code == 403


def test_only_hashes_are_stored(live_server: LiveServer) -> None:
    token = live_server.token("admin")
    with sqlite3.connect(live_server.db) as conn:
        stored = [r[0] for r in conn.execute("SELECT hash FROM http_tokens")]
    assert token not in stored and all(len(h) == 64 for h in stored)
    assert token.encode() not in live_server.db.read_bytes()


def test_revoked_token_is_refused(live_server: LiveServer) -> None:
    """Revoked by another process (``TokenStore`` on the file): refused as soon as the server's
    brief token cache has passed, measured on the server's clock."""
    from yibao_tui.server.auth import TOKEN_CACHE_SECONDS, TokenStore

    token = live_server.token("admin")
    assert _get(live_server, "/v1/ping", token).status_code == 200
    store = TokenStore(str(live_server.db))
    assert store.revoke(token)
    store.close()
    live_server.clock.advance(TOKEN_CACHE_SECONDS)
    r = _get(live_server, "/v1/ping", token)
    assert r.status_code == 401 and _code(r) == "UNAUTHORIZED"


def test_ended_session_is_refused_at_once(live_server: LiveServer, ids: dict[str, str]) -> None:
    """A session ended through the server (logout) is refused on the very next request."""
    token = live_server.token("kiosk", ids["a"], ttl=120)
    assert _get(live_server, f"/v1/persons/{ids['a']}/balance", token).status_code == 200
    r = httpx.post(live_server.url + "/v1/logout", json={},
                   headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "bye"})
    assert r.status_code == 200 and r.json()["ended"] is True
    r = _get(live_server, f"/v1/persons/{ids['a']}/balance", token)
    assert r.status_code == 401 and _code(r) == "UNAUTHORIZED"


def test_token_cache_keeps_checking_expiry(live_server: LiveServer, ids: dict[str, str]) -> None:
    """A cached session still expires on time: expiry is checked on every request."""
    token = live_server.token("kiosk", ids["a"], ttl=1)
    assert _get(live_server, f"/v1/persons/{ids['a']}/balance", token).status_code == 200
    live_server.clock.advance(1)
    assert _code(_get(live_server, f"/v1/persons/{ids['a']}/balance", token)) == "SESSION_EXPIRED"


def _scope_cases() -> list[Op]:
    return [op for op in OPS if op.scoped]


@pytest.mark.parametrize("op", _scope_cases(), ids=lambda op: op.name)
def test_every_scoped_route_refuses_another_person(live_server: LiveServer, ids: dict[str, str], op: Op) -> None:
    """Scope is checked before anything else happens, on every person route."""
    token = live_server.token("personal", ids["a"])
    path = op.path.replace("{who}", ids["b"]).replace("{relative}", ids["a"])
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "scope"}
    r = httpx.request(op.method, live_server.url + path, headers=headers, json={} if op.method == "POST" else None)
    assert r.status_code == 403 and _code(r) == "FORBIDDEN"


@pytest.mark.parametrize("op", [op for op in OPS if "personal" not in op.roles], ids=lambda op: op.name)
def test_personal_token_cannot_use_staff_routes(live_server: LiveServer, ids: dict[str, str], op: Op) -> None:
    token = live_server.token("personal", ids["a"])
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "staff"}
    r = httpx.request(op.method, live_server.url + op.path.replace("{who}", ids["a"]), headers=headers,
                      json={} if op.method == "POST" else None)
    assert r.status_code == 403


def test_token_create_checks_role_and_person(tmp_path: object, live_server: LiveServer, ids: dict[str, str]) -> None:
    from yibao_tui.server.cli_commands import token_create

    token = token_create(str(live_server.db), "personal", ids["a"].lower())
    r = _get(live_server, "/v1/whoami", token)
    assert r.json()["person_id"] == ids["a"]  # stored as the canonical ID number
    for role, person, code in [("root", None, "INVALID_ROLE"), ("personal", None, "INVALID_ARGUMENT"),
                               ("admin", ids["a"], "INVALID_ARGUMENT"),
                               ("personal", "C9999999", "UNKNOWN_PERSON")]:
        with pytest.raises(YibaoError) as info:
            token_create(str(live_server.db), role, person)
        assert info.value.code == code


async def test_binding_rules_and_cases_to_a_personal_token(live_server: LiveServer, ids: dict[str, str]) -> None:
    """A personal token reads its own rules and cases only; it binds through binding requests,
    so no verification method is offered to it (the counter's check least of all)."""
    token = live_server.token("personal", ids["a"])
    for path in (f"/v1/persons/{ids['b']}/binding-rules", f"/v1/persons/{ids['b']}/withdrawal-cases"):
        r = _get(live_server, path, token)
        assert r.status_code == 403 and _code(r) == "FORBIDDEN", path
    hb = HttpBackend(live_server.url, token)
    try:
        rules = await hb.binding_rules(ids["a"], "app")
        assert rules.active == 1 and all(band.methods == [] for band in rules.methods)
        assert [c.name for c in (await hb.withdrawal_cases(ids["a"])).cases]
    finally:
        await hb.close()
    r = _get(live_server, f"/v1/persons/{ids['a']}/binding-rules?channel=fax", live_server.token("admin"))
    assert r.status_code == 400 and _code(r) == "INVALID_ARGUMENT"
