"""Identifiers and counts are parsed from ASCII digits only (issue 9, item 1 extended to every
``int()`` on user input): ``int()`` alone takes full-width ``４２``, Arabic-Indic ``٤٢`` and
``4_2``, so that a token or a binding request could be named in several spellings, and a
superscript ``²`` (which ``str.isdigit`` accepts) ended in a ValueError."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.http.conftest import LiveServer, seed
from yibao_tui.backend.http import HttpBackend
from yibao_tui.cli import main
from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.text import ascii_int
from yibao_tui.ledger import staff
from yibao_tui.ledger.store import Ledger

NOT_ASCII = ("４２", "٤٢", "4_2", "²", "42 42", "", "-42", "4" * 20)


def test_ascii_int_takes_ascii_digits_only() -> None:
    assert ascii_int("42") == 42 and ascii_int(" 7 ") == 7 and ascii_int("-3", signed=True) == -3
    for text in NOT_ASCII:
        with pytest.raises(ValueError):
            ascii_int(text)


def _post(server: LiveServer, path: str, token: str, key: str) -> httpx.Response:
    return httpx.post(server.url + path, json={}, timeout=20,
                      headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})


async def test_a_token_or_a_request_is_named_in_ascii_digits_only(live_server: LiveServer, admin_token: str) -> None:
    hb = HttpBackend(live_server.url, admin_token)
    try:
        ids = await seed(hb)
    finally:
        await hb.close()
    victim = live_server.token("personal", ids["b"], label="victim")
    listed = httpx.get(live_server.url + "/v1/tokens", headers={"Authorization": f"Bearer {admin_token}"}).json()
    victim_id = max(t["id"] for t in listed["tokens"])
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in str(victim_id))
    arabic_indic = "".join(chr(0x660 + int(c)) for c in str(victim_id))
    for n, spelling in enumerate((full_width, arabic_indic, "²")):
        r = _post(live_server, f"/v1/tokens/{spelling}/revoke", admin_token, f"rv-{n}")
        assert (r.status_code, r.json()["error"]["code"]) == (404, "UNKNOWN_TOKEN"), r.text
    assert httpx.get(live_server.url + "/v1/whoami", headers={"Authorization": f"Bearer {victim}"}).status_code == 200
    # a binding request: the relative confirms it by its id in ASCII digits, never another spelling
    mine = live_server.token("personal", ids["a"])
    made = httpx.post(live_server.url + f"/v1/persons/{ids['a']}/binding-requests", timeout=20,
                      json={"relative": ids["b"], "relation": "spouse"},
                      headers={"Authorization": f"Bearer {mine}", "Idempotency-Key": "req"}).json()
    rid = "".join(chr(ord(c) + 0xFEE0) for c in str(made["id"]))
    r = _post(live_server, f"/v1/persons/{ids['b']}/binding-requests/{rid}/confirm", victim, "c-1")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "NOT_AVAILABLE")


def test_the_cli_takes_ascii_numbers_only(live_server: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
    live_server.token("admin", label="one")
    for argv in (["token", "revoke", "１"], ["audit", "--limit", "５"]):
        assert main(["--json", "--db", str(live_server.db), *argv]) == 2
        err = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["error"]
        assert err["code"] == "INVALID_ARGUMENT"
    # the token is still there
    assert main(["--json", "--db", str(live_server.db), "token", "list"]) == 0
    assert [t["status"] for t in json.loads(capsys.readouterr().out)["tokens"]] == ["active"]


@pytest.mark.parametrize("bad", ["李建国|110|²", "李建国|110|４"])
def test_a_find_cursor_in_other_digits_is_invalid_not_a_crash(ledger: Ledger, bad: str) -> None:
    with pytest.raises(YibaoError) as e:
        staff.find_persons(ledger, "李建国", cursor=bad)
    assert e.value.code == "INVALID_ARGUMENT"


def test_born_and_the_audit_cursor_in_other_digits_are_invalid(ledger: Ledger) -> None:
    for call in (lambda: staff.find_persons(ledger, "李建国", born="１９８０"),
                 lambda: staff.audit_page(ledger, cursor="１２")):
        with pytest.raises(YibaoError) as e:
            call()
        assert e.value.code == "INVALID_ARGUMENT"


def test_an_import_row_line_that_is_not_a_number_is_not_a_crash(live_server: LiveServer, admin_token: str) -> None:
    rows = [{"line": "abc", "id": "x", "name": "张三", "scheme": "employee", "region": "110000"},
            {"line": "４", "id": "y", "name": "李四", "scheme": "employee", "region": "110000"}]
    r = httpx.post(live_server.url + "/v1/import/persons", json={"rows": rows}, timeout=20,
                   headers={"Authorization": f"Bearer {admin_token}", "Idempotency-Key": "imp"})
    assert r.status_code in (200, 400, 422), r.text
    assert "INTERNAL" not in r.text
    assert [e["line"] for e in r.json()["errors"]] == [2, 3]
