"""Every error code gets the HTTP status the contract states, through the real server.

400 invalid input, 401 no or bad token (or an expired session), 403 out of scope, 404 unknown,
405 wrong method, 409 in progress, 413 body too large, 415 body not JSON, 422 refused by a rule
or an idempotency conflict, 503 the ledger busy, damaged or unavailable (with a clear message that
names no server path).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.http.conftest import EMPLOYEE_A, LiveServer, seed
from yibao_tui.backend.base import Actor, Backend
from yibao_tui.backend.http import HttpBackend
from yibao_tui.domain.errors import INPUT_CODES, RULE_CODES, YibaoError
from yibao_tui.domain.idnum import make_id
from yibao_tui.domain.models import Balance
from yibao_tui.i18n import catalogue
from yibao_tui.server.backends import LedgerBackend

#: The contract's table, written out here rather than read from the implementation.
NOT_FOUND = {"NOT_FOUND", "UNKNOWN_PERSON", "UNKNOWN_PAYMENT", "UNKNOWN_TOKEN", "NOT_AVAILABLE", "UNKNOWN_OPERATOR",
             "UNKNOWN_DOCUMENT"}
EXPECTED: dict[int, set[str]] = {
    400: (set(INPUT_CODES) - NOT_FOUND)
    | {"IDEMPOTENCY_KEY_MISSING", "IDEMPOTENCY_KEY_INVALID", "INVALID_ROLE", "INVALID_ARGUMENT"},
    401: {"UNAUTHORIZED", "SESSION_EXPIRED"},
    403: {"FORBIDDEN", "SELF_SERVICE_BINDING", "SUPERVISOR_REQUIRED"},
    404: NOT_FOUND,
    405: {"METHOD_NOT_ALLOWED"},
    409: {"IN_PROGRESS"},
    413: {"PAYLOAD_TOO_LARGE"},
    415: {"UNSUPPORTED_MEDIA_TYPE"},
    429: {"RATE_LIMITED"},
    422: set(RULE_CODES) | {"IDEMPOTENCY_CONFLICT"},
    503: {"DATABASE_BUSY", "DATABASE_CORRUPT", "DATABASE_UNAVAILABLE", "BACKEND_UNAVAILABLE", "LEDGER_NOT_FOUND"},
    # a bug, and the codes only a client raises (no token, no keyring, no server extra)
    500: {"INTERNAL", "NO_TOKEN", "NO_KEYRING", "SERVER_EXTRA_MISSING", "PRINT_FAILED",
          "MOVE_TARGET_NOT_EMPTY", "MOVE_MISMATCH"},
}
ALL_CODES = sorted(k.removeprefix("error.") for k in catalogue("zh") if k.startswith("error."))


def test_the_table_names_every_code_once() -> None:
    """A new error code must be given its status here, on purpose."""
    named = [code for codes in EXPECTED.values() for code in codes]
    assert sorted(named) == sorted(set(named)), "a code in two rows"
    assert set(named) == set(ALL_CODES)


def test_unknown_codes_are_500() -> None:
    assert YibaoError("SOMETHING_NEW").http_status == 500


# ------------------------------------------------------------------ every code, through the server


class Raising(LedgerBackend):
    """The real ledger, except that ``balance`` raises what the test has put in ``FAIL``."""

    async def balance(self, who: str) -> Balance:
        if FAIL:
            raise FAIL[0]
        return await super().balance(who)


FAIL: list[YibaoError] = []


@pytest.fixture(scope="module")
def raising_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    db = tmp_path_factory.mktemp("statuses") / "ledger.db"
    server = LiveServer(db, backend_factory=lambda actor: Raising(str(db), actor=actor)).start()
    try:
        yield server, server.token("admin", label="statuses")
    finally:
        server.stop()


def _status_of(code: str) -> int:
    return next(status for status, codes in EXPECTED.items() if code in codes)


def _params(code: str) -> dict[str, Any]:
    """Plausible parameters for any message (unused ones are harmless)."""
    return {"id": EMPLOYEE_A, "detail": "x", "reason": "x", "path": "/srv/yibao/ledger.db", "key": "k",
            "region": "110000", "year": 2025, "item": "x", "cap": 1, "relation": "x", "use": "x",
            "balance": "¥1.00", "amount": "¥2.00", "value": "x", "case": "x", "choices": "x",
            "payment_id": "x", "card": "x", "until": "x", "method": "GET", "role": "x", "url": "x",
            "holder_region": "110000", "relative_region": "310000", "birth_date": "2014-01-01", "age": 16,
            "opens": "2026-09-01", "closes": "2026-12-31", "retry_after": 7,
            "limit": 65536, "media_type": "text/plain", "host": "example.org"}


@pytest.mark.parametrize("code", ALL_CODES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_code_maps_to_its_status(raising_server: tuple[LiveServer, str], code: str, lang: str) -> None:
    server, token = raising_server
    FAIL[:] = [YibaoError(code, **_params(code))]
    try:
        r = httpx.get(f"{server.url}/v1/persons/{EMPLOYEE_A}/balance", timeout=20,
                      headers={"Authorization": f"Bearer {token}", "Accept-Language": lang})
    finally:
        FAIL.clear()
    assert r.status_code == _status_of(code), code
    error = r.json()["error"]
    assert error["code"] == code
    assert error["message"] and "{" not in error["message"]
    assert EMPLOYEE_A not in r.text  # never a full ID number
    if r.status_code == 401:
        assert r.headers["WWW-Authenticate"] == "Bearer"
    if r.status_code == 503:
        assert r.headers["Retry-After"]
    if r.status_code in (409, 429):
        assert int(r.headers["Retry-After"]) >= 1
    if code.startswith("DATABASE_"):  # the server's condition, told plainly; never its file path
        assert "/srv/yibao" not in r.text
        assert ("服务器" in error["message"]) if lang == "zh" else ("server" in error["message"])


# ------------------------------------------------------------------ the real thing where it is cheap


@pytest.fixture
async def ids(live_server: LiveServer, admin_token: str) -> dict[str, str]:
    hb = HttpBackend(live_server.url, admin_token)
    try:
        ids = await seed(hb)
        await hb.bind(ids["a"], ids["parent"], "parent")
        return ids
    finally:
        await hb.close()


def _call(server: LiveServer, method: str, path: str, token: str | None, **kw: Any) -> tuple[int, str]:
    headers = dict(kw.pop("headers", {}))
    if token:
        headers["Authorization"] = f"Bearer {token}"
    r = httpx.request(method, server.url + path, headers=headers, timeout=20, **kw)
    return r.status_code, r.json()["error"]["code"]


def test_statuses_of_real_refusals(live_server: LiveServer, admin_token: str, ids: dict[str, str]) -> None:
    a, stranger = ids["a"], ids["stranger"]
    unknown = make_id("110101", dt.date(1991, 1, 1), 77)
    bad_check = unknown[:-1] + ("0" if unknown[-1] != "0" else "1")
    key = {"Idempotency-Key": "s-1"}
    cases: list[tuple[tuple[int, str], tuple[str, str, str | None, dict[str, Any]]]] = [
        ((400, "IDEMPOTENCY_KEY_MISSING"), ("POST", f"/v1/persons/{a}/credits", admin_token, {"json": {"amount_fen": 1}})),
        ((400, "IDEMPOTENCY_KEY_INVALID"), ("POST", f"/v1/persons/{a}/credits", admin_token,
                                            {"json": {"amount_fen": 1}, "headers": {"Idempotency-Key": "x" * 300}})),
        ((400, "INVALID_ARGUMENT"), ("GET", f"/v1/persons/{a}/statement?limit=0", admin_token, {})),
        ((400, "INVALID_ID_NUMBER"), ("GET", f"/v1/persons/{bad_check}/balance", admin_token, {})),
        ((400, "INVALID_AMOUNT"), ("POST", f"/v1/persons/{a}/credits", admin_token,
                                   {"json": {"amount_fen": -5}, "headers": key})),
        ((400, "UNKNOWN_WITHDRAWAL_CASE"), ("GET", f"/v1/persons/{a}/withdrawal-check?case=lottery", admin_token, {})),
        ((422, "NOT_CLOSE_RELATIVE"), ("POST", f"/v1/persons/{a}/bindings", admin_token,
                                     {"json": {"relative": ids["b"], "relation": "cousin"},
                                      "headers": {"Idempotency-Key": "s-2"}})),
        ((401, "UNAUTHORIZED"), ("GET", f"/v1/persons/{a}/balance", None, {})),
        ((401, "UNAUTHORIZED"), ("GET", f"/v1/persons/{a}/balance", "yb_no-such-token", {})),
        ((403, "FORBIDDEN"), ("GET", f"/v1/persons/{stranger}/balance", live_server.token("personal", a), {})),
        ((404, "NOT_FOUND"), ("GET", "/v1/no-such-thing", admin_token, {})),
        ((404, "UNKNOWN_PERSON"), ("GET", f"/v1/persons/{unknown}/balance", admin_token, {})),
        ((404, "UNKNOWN_PERSON"), ("GET", "/v1/persons/C9999999/balance", admin_token, {})),
        ((405, "METHOD_NOT_ALLOWED"), ("DELETE", f"/v1/persons/{a}/balance", admin_token, {})),
        ((422, "SELF_BINDING"), ("POST", f"/v1/persons/{a}/bindings", admin_token,
                                 {"json": {"relative": a, "relation": "spouse"}, "headers": {"Idempotency-Key": "s-3"}})),
        ((422, "NOT_BOUND"), ("POST", f"/v1/persons/{stranger}/premium-payments", admin_token,
                              {"json": {"relative": ids["parent"], "year": 2027}, "headers": {"Idempotency-Key": "s-4"}})),
    ]
    for expected, (method, path, token, kw) in cases:
        assert _call(live_server, method, path, token, **kw) == expected, path
    # the same key for another request
    first = httpx.post(f"{live_server.url}/v1/persons/{a}/credits", json={"amount_fen": 7}, timeout=20,
                       headers={"Authorization": f"Bearer {admin_token}", "Idempotency-Key": "s-5"})
    assert first.status_code == 200
    assert _call(live_server, "POST", f"/v1/persons/{a}/credits", admin_token,
                 json={"amount_fen": 8}, headers={"Idempotency-Key": "s-5"}) == (422, "IDEMPOTENCY_CONFLICT")


def test_expired_session_is_401(live_server: LiveServer, ids: dict[str, str]) -> None:
    token = live_server.token("kiosk", ids["a"], ttl=60)
    live_server.clock.advance(60)
    assert _call(live_server, "GET", f"/v1/persons/{ids['a']}/balance", token) == (401, "SESSION_EXPIRED")


def _ledger_elsewhere(good: Path, other: Path) -> Any:
    """The server's own backend on ``good``; every acting identity's on ``other``."""

    def make(actor: Actor) -> Backend:
        return LedgerBackend(str(good if actor == Actor("http", None) else other), actor=actor)

    return make


@pytest.mark.parametrize("damage", ["corrupt", "unavailable"])
def test_a_damaged_or_missing_ledger_is_503_with_a_clear_message(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The real ledger code on a file that is not a ledger, or a path that cannot be opened."""
    other = tmp_path / "secret-dir" / "ledger.db"
    other.parent.mkdir()
    if damage == "corrupt":
        other.write_bytes(b"this is not a sqlite database " * 200)
    else:
        other.mkdir()  # a directory where the file should be
    server = LiveServer(tmp_path / "good.db", backend_factory=_ledger_elsewhere(tmp_path / "good.db", other)).start()
    try:
        token = server.token("admin", label="ops")
        code = "DATABASE_CORRUPT" if damage == "corrupt" else "DATABASE_UNAVAILABLE"
        for lang, needle in (("zh", "服务器"), ("en", "server")):
            r = httpx.get(f"{server.url}/v1/persons/{EMPLOYEE_A}/balance", timeout=20,
                          headers={"Authorization": f"Bearer {token}", "Accept-Language": lang})
            assert r.status_code == 503 and r.json()["error"]["code"] == code
            assert needle in r.json()["error"]["message"] and "secret-dir" not in r.text
    finally:
        server.stop()
    assert "secret-dir" in caplog.text  # the operator learns where, from the server's log
