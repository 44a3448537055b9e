"""No full 18-character ID number in an error over HTTP, nor in the server's log: it is masked
(``110***********1234``, yibao_tui.domain.masking)."""

from __future__ import annotations

import datetime as dt
import logging

import httpx
import pytest

from tests.http.conftest import LiveServer, seed
from yibao_tui.backend.http import HttpBackend
from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.idnum import make_id
from yibao_tui.domain.masking import mask_id
from yibao_tui.server.errors import redact

UNKNOWN = make_id("110101", dt.date(1991, 1, 1), 77)


def test_redact_masks_every_full_id_number() -> None:
    lower_x = next(i for i in (make_id("110105", dt.date(1949, 12, 31), n) for n in range(200)) if i.endswith("X"))
    text = f"查无此人：{UNKNOWN}; key=pay-{UNKNOWN}-2025; path=/v1/persons/{lower_x.lower()}/x"
    masked = redact(text)
    assert UNKNOWN not in masked and lower_x.lower() not in masked and lower_x not in masked
    assert masked.count(mask_id(UNKNOWN)) == 2 and mask_id(lower_x) in masked
    # not an ID: shorter, or inside a longer run of digits (a bank account)
    assert redact("6222020200001234567890") == "6222020200001234567890"
    assert redact("12345678901234567") == "12345678901234567"


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_errors_over_http_mask_the_id_number(live_server: LiveServer, admin_token: str, lang: str) -> None:
    hb = HttpBackend(live_server.url, admin_token)
    try:
        ids = await seed(hb)
    finally:
        await hb.close()
    headers = {"Authorization": f"Bearer {admin_token}", "Accept-Language": lang}
    person = {"id": ids["a"], "name": "张伟", "scheme": "employee", "region": "110000"}
    responses = [
        httpx.get(f"{live_server.url}/v1/persons/{UNKNOWN}/balance", headers=headers),  # UNKNOWN_PERSON
        httpx.get(f"{live_server.url}/v1/nowhere/{UNKNOWN}", headers=headers),  # NOT_FOUND names the path
        httpx.post(f"{live_server.url}/v1/persons", json=person,  # PERSON_EXISTS
                   headers={**headers, "Idempotency-Key": "p-1"}),
        httpx.post(f"{live_server.url}/v1/persons/{ids['child']}/credits", json={"amount_fen": 1},  # no account
                   headers={**headers, "Idempotency-Key": "p-2"}),
        httpx.post(f"{live_server.url}/v1/persons/{ids['b']}/premium-payments",  # NOT_BOUND, then the key
                   json={"relative": ids["parent"], "year": 2027},
                   headers={**headers, "Idempotency-Key": f"pay-{ids['parent']}"}),
        httpx.post(f"{live_server.url}/v1/persons/{ids['a']}/credits", json={"amount_fen": 1},
                   headers={**headers, "Idempotency-Key": f"pay-{ids['parent']}"}),
        httpx.post(f"{live_server.url}/v1/persons/{ids['a']}/credits", json={"amount_fen": 2},  # IDEMPOTENCY_CONFLICT
                   headers={**headers, "Idempotency-Key": f"pay-{ids['parent']}"}),
    ]
    codes = [r.json().get("error", {}).get("code") for r in responses]
    assert codes == ["UNKNOWN_PERSON", "NOT_FOUND", "PERSON_EXISTS", "NOT_EMPLOYEE_INSURED", "NOT_BOUND",
                     None, "IDEMPOTENCY_CONFLICT"]
    for r, full in zip(responses, [UNKNOWN, UNKNOWN, ids["a"], ids["child"], None, None, ids["parent"]],
                       strict=True):
        if full is None:
            continue
        assert full not in r.text, r.text
        assert mask_id(full) in r.json()["error"]["message"], r.text


async def test_the_adapter_shows_the_masked_id(
    live_server: LiveServer, admin_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    hb = HttpBackend(live_server.url, admin_token)
    try:
        with pytest.raises(YibaoError) as info:
            await hb.balance(UNKNOWN)
    finally:
        await hb.close()
    for lang in ("zh", "en"):
        assert UNKNOWN not in info.value.message(lang) and mask_id(UNKNOWN) in info.value.message(lang)
    assert UNKNOWN not in str(info.value.params)
    assert "HTTP Request" in caplog.text and mask_id(UNKNOWN) in caplog.text  # httpx logs the URL
    assert UNKNOWN not in caplog.text


def test_uvicorns_access_log_masks_the_path(caplog: pytest.LogCaptureFixture) -> None:
    import yibao_tui.server.app  # noqa: F401  (installs the masking)

    access = logging.getLogger("uvicorn.access")  # uvicorn stops it propagating: listen on it
    access.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    try:
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", f"/v1/persons/{UNKNOWN}/balance", "1.1", 200)
    finally:
        access.removeHandler(caplog.handler)
    assert UNKNOWN not in caplog.text and mask_id(UNKNOWN) in caplog.text


@pytest.mark.parametrize("debug", [False, True])
async def test_the_servers_log_masks_the_id_number(
    live_server: LiveServer, admin_token: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
    debug: bool,
) -> None:
    """An unexpected failure is logged (with its traceback under YIBAO_DEBUG), masked."""
    if debug:
        monkeypatch.setenv("YIBAO_DEBUG", "1")
    hb = HttpBackend(live_server.url, admin_token)
    try:
        ids = await seed(hb)
    finally:
        await hb.close()

    async def fail(op: str) -> None:
        live_server.hooks.after_commit = None
        raise RuntimeError(f"lost the answer for {ids['a']}")

    live_server.hooks.after_commit = fail
    caplog.set_level(logging.INFO)
    r = httpx.post(f"{live_server.url}/v1/persons/{ids['a']}/credits", json={"amount_fen": 1},
                   headers={"Authorization": f"Bearer {admin_token}", "Idempotency-Key": "log-1"})
    assert r.status_code == 500 and r.json()["error"]["code"] == "INTERNAL"
    assert "lost the answer" in caplog.text and mask_id(ids["a"]) in caplog.text
    assert ids["a"] not in caplog.text and ids["a"] not in r.text
    assert ("Traceback" in caplog.text) == debug
