"""Issue 9, items 5, 10 and 14, against the real server on 127.0.0.1.

- Request bodies: refused by ``Content-Length`` before they are read, a chunked body refused as
  soon as it grows past the limit (413 ``PAYLOAD_TOO_LARGE``), 64 KiB everywhere but the import.
- Only ``application/json`` bodies are parsed (415), a key named twice is refused (400).
- A malformed statement cursor is 400, never 500; every 500 is logged, IDs masked, no secrets.
- 405 carries ``Allow``; an unknown ``lang`` is 400; ``/v1/ping/`` is no redirect to any Host.
"""

from __future__ import annotations

import json
import logging
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.http.conftest import EMPLOYEE_A, LiveServer, seed
from yibao_tui.backend.http import HttpBackend
from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.models import Balance, Person
from yibao_tui.i18n import t
from yibao_tui.server.auth import TokenStore
from yibao_tui.server.backends import LedgerBackend
from yibao_tui.server.spec import MAX_BODY_BYTES, MAX_BULK_BODY_BYTES

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    """``yibao serve`` in its own process (so that its memory can be measured)."""
    db = tmp_path / "ledger.db"
    port = _free_port()
    code = f"import sys; from yibao_tui.server.cli_commands import serve; sys.exit(serve({str(db)!r}, '127.0.0.1', {port}))"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.DEVNULL, text=True,
                            env={"YIBAO_LANG": "en", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        yield proc, url, db
    finally:
        proc.kill()
        proc.wait(timeout=30)


def _head(path: str, token: str, extra: str) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Idempotency-Key: big-1\r\nContent-Type: application/json\r\n{extra}\r\n").encode()


def _response(data: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body else {}


def test_a_huge_chunked_body_is_refused_while_it_is_sent_and_memory_stays_flat(
    served: tuple[subprocess.Popen[str], str, Path],
) -> None:
    """256 MiB offered in 64 KiB chunks with a personal token: the client hears 413 while still
    sending, having sent a small part, and the server's memory does not follow the body (the
    issue's 600 MB took the server to 1.2 GB; before the change 200 MB took it from 41 to 246 MB)."""
    proc, url, db = served
    store = TokenStore(str(db))
    try:
        token = store.create("personal", EMPLOYEE_A, label="big body")
    finally:
        store.close()
    before = _rss_kib(proc.pid)
    offered = 256 * 2**20
    chunk = b" " * 65536
    frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    host, port = url.removeprefix("http://").split(":")
    sent, answer = 0, b""
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(_head(f"/v1/persons/{EMPLOYEE_A}/bindings", token, "Transfer-Encoding: chunked\r\n"))
        sock.setblocking(False)
        while sent < offered and b"\r\n\r\n" not in answer:
            readable, writable, _ = select.select([sock], [sock], [], 30)
            assert readable or writable, "the server neither read nor answered for 30 s"
            if readable:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
            elif writable:
                try:
                    sent += sock.send(frame)
                except (BrokenPipeError, ConnectionResetError):
                    break
        sock.setblocking(True)
        while b"\r\n\r\n" not in answer or not answer.endswith(b"}}"):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    after = _rss_kib(proc.pid)
    status, body = _response(answer)
    assert (status, body["error"]["code"]) == (413, "PAYLOAD_TOO_LARGE")
    assert body["error"]["params"]["limit"] == MAX_BODY_BYTES
    assert b"connection: close" in answer.lower()
    # refused while the client was still sending: most of the body was never sent at all
    assert sent < offered // 8, f"sent {sent} of {offered} bytes before the answer"
    grown = after - before
    print(f"server RSS {before} KiB -> {after} KiB (+{grown} KiB) after {sent} of {offered} bytes sent")
    assert grown < 16 * 1024, f"the server grew by {grown} KiB"


def test_a_content_length_above_the_limit_is_refused_before_the_body(live_server: LiveServer) -> None:
    """Only the headers are sent: the answer comes without the server waiting for the body."""
    token = live_server.token("personal", EMPLOYEE_A)
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=30) as sock:
        sock.sendall(_head(f"/v1/persons/{EMPLOYEE_A}/bindings", token, f"Content-Length: {10**9}\r\n"))
        answer = b""
        while not answer.endswith(b"}}"):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    status, body = _response(answer)
    assert (status, body["error"]["code"]) == (413, "PAYLOAD_TOO_LARGE")
    assert body["error"]["message"] == t("error.PAYLOAD_TOO_LARGE", lang="zh", limit=MAX_BODY_BYTES)


def test_the_import_alone_takes_a_large_body(live_server: LiveServer, admin_token: str) -> None:
    headers = {"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"}
    memo = json.dumps({"amount_fen": 1, "memo": "x" * 100, "pad": " " * (MAX_BODY_BYTES + 1)})
    r = httpx.post(f"{live_server.url}/v1/persons/{EMPLOYEE_A}/credits", content=memo, timeout=30,
                   headers={**headers, "Idempotency-Key": "small-1"})
    assert (r.status_code, r.json()["error"]["code"]) == (413, "PAYLOAD_TOO_LARGE")
    rows = [{"id": "x" * 18, "name": "张三" * 40, "line": i} for i in range(1500)]  # ~300 KB
    raw = json.dumps({"rows": rows}, ensure_ascii=False).encode()
    assert MAX_BODY_BYTES < len(raw) < MAX_BULK_BODY_BYTES
    r = httpx.post(f"{live_server.url}/v1/import/persons", content=raw, timeout=60,
                   headers={**headers, "Idempotency-Key": "bulk-1"})
    assert r.status_code != 413, r.text  # read and judged on its rows (which are not valid here)


def test_only_json_bodies_are_parsed(live_server: LiveServer, admin_token: str) -> None:
    url = f"{live_server.url}/v1/persons/{EMPLOYEE_A}/credits"
    auth = {"Authorization": f"Bearer {admin_token}"}
    for n, content_type in enumerate(["text/plain", "application/x-www-form-urlencoded", None]):
        headers = {**auth, "Idempotency-Key": f"mt-{n}"}
        if content_type:
            headers["Content-Type"] = content_type
        r = httpx.post(url, content=b'{"amount_fen": 100}', headers=headers, timeout=20)
        assert (r.status_code, r.json()["error"]["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE"), content_type
    # ... and a body of JSON with a charset is fine (the person is unknown: the body was read)
    r = httpx.post(url, content=b'{"amount_fen": 100}', timeout=20,
                   headers={**auth, "Idempotency-Key": "mt-ok", "Content-Type": "application/json; charset=utf-8"})
    assert r.json()["error"]["code"] == "UNKNOWN_PERSON"


def test_a_key_named_twice_is_refused(live_server: LiveServer, admin_token: str) -> None:
    headers = {"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json",
               "Idempotency-Key": "dup-1", "Accept-Language": "en"}
    for raw in (b'{"amount_fen": 1, "amount_fen": 100000}',
                b'{"rows": [{"id": "a", "id": "b"}]}'):
        path = "/v1/import/persons" if b"rows" in raw else f"/v1/persons/{EMPLOYEE_A}/credits"
        r = httpx.post(live_server.url + path, content=raw, headers=headers, timeout=20)
        assert r.status_code == 400, raw
        error = r.json()["error"]
        assert (error["code"], error["params"]["why"]) == ("INVALID_ARGUMENT", "duplicate_key")
        assert "appears more than once" in error["message"]


# ------------------------------------------------------------------ cursors and 500s


@pytest.fixture
async def people(live_server: LiveServer, admin_token: str) -> dict[str, str]:
    hb = HttpBackend(live_server.url, admin_token)
    try:
        return await seed(hb)
    finally:
        await hb.close()


@pytest.mark.parametrize("cursor", [
    "9999|99999999999999999999", "2025-01-01 00:00:00|99999999999999999999", "|", "x|1", "9999",
    "2025-01-01 00:00:00|-1", "2025-01-01 00:00:00|１２", "2025-01-01 00:00:00|1|2",
])
def test_a_malformed_cursor_is_400(live_server: LiveServer, admin_token: str, people: dict[str, str],
                                   cursor: str) -> None:
    r = httpx.get(f"{live_server.url}/v1/persons/{people['a']}/statement", params={"cursor": cursor},
                  headers={"Authorization": f"Bearer {admin_token}"}, timeout=20)
    assert (r.status_code, r.json()["error"]["code"]) == (400, "INVALID_ARGUMENT"), cursor


def test_a_real_cursor_still_pages(live_server: LiveServer, admin_token: str, people: dict[str, str]) -> None:
    auth = {"Authorization": f"Bearer {admin_token}"}
    url = f"{live_server.url}/v1/persons/{people['a']}/statement"
    for n in range(3):
        httpx.post(f"{live_server.url}/v1/persons/{people['a']}/credits", json={"amount_fen": 100 + n},
                   headers={**auth, "Idempotency-Key": f"page-{n}"}, timeout=20).raise_for_status()
    first = httpx.get(url, params={"limit": 2}, headers=auth, timeout=20).json()
    second = httpx.get(url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth, timeout=20)
    assert second.status_code == 200 and second.json()["entries"]


class Failing(LedgerBackend):
    """The real ledger, except that two calls fail the way a bug would: ``card_login`` with an
    exception whose text quotes the PIN and an ID number, ``balance`` with the ledger's INTERNAL."""

    async def card_login(self, card: str, pin: str) -> Person:
        raise RuntimeError(f"bad row for {EMPLOYEE_A} pin={pin}")

    async def balance(self, who: str) -> Balance:
        raise YibaoError("INTERNAL", detail=f"ValueError: row text {EMPLOYEE_A}")


@pytest.fixture
def failing_server(tmp_path: Path) -> Iterator[LiveServer]:
    db = tmp_path / "ledger.db"
    server = LiveServer(db, backend_factory=lambda actor: Failing(str(db), actor=actor)).start()
    try:
        yield server
    finally:
        server.stop()


def test_every_internal_error_is_logged_masked_and_without_secrets(
    failing_server: LiveServer, caplog: pytest.LogCaptureFixture,
) -> None:
    kiosk = failing_server.token("kiosk", label="hall")
    admin = failing_server.token("admin", label="ops")
    caplog.set_level(logging.INFO, logger="yibao.server")
    r1 = httpx.post(f"{failing_server.url}/v1/kiosk-sessions", json={"card": "C0000001", "pin": "837261"},
                    headers={"Authorization": f"Bearer {kiosk}", "Idempotency-Key": "k-1"}, timeout=20)
    r2 = httpx.get(f"{failing_server.url}/v1/persons/{EMPLOYEE_A}/balance",
                   headers={"Authorization": f"Bearer {admin}"}, timeout=20)
    logged = [rec.getMessage() for rec in caplog.records if rec.levelno >= logging.ERROR]
    for r, where in ((r1, "kioskLogin"), (r2, "balance")):
        assert (r.status_code, r.json()["error"]["code"]) == (500, "INTERNAL")
        ref = r.json()["error"]["params"]["detail"].rpartition("ref ")[2].rstrip(")")
        assert len(ref) == 8
        lines = [m for m in logged if where in m and ref in m]
        assert lines, f"no log line for the 500 of {where}: {logged}"
        assert EMPLOYEE_A[:3] + "*" in lines[0]
    text = "\n".join(logged) + r1.text + r2.text
    for secret in (EMPLOYEE_A, "837261", kiosk, admin):
        assert secret not in text
    assert "pin=***" in text  # the line still says what went wrong


# ------------------------------------------------------------------ 405, lang, trailing slash


def test_405_names_the_allowed_methods(live_server: LiveServer, admin_token: str) -> None:
    auth = {"Authorization": f"Bearer {admin_token}"}
    cases = {f"/v1/persons/{EMPLOYEE_A}/bindings": "GET, HEAD, POST",
             f"/v1/persons/{EMPLOYEE_A}/balance": "GET, HEAD",
             "/v1/persons": "GET, HEAD, POST", "/v1/import/persons": "POST"}
    for path, allow in cases.items():
        r = httpx.request("DELETE", live_server.url + path, headers=auth, timeout=20)
        assert (r.status_code, r.json()["error"]["code"]) == (405, "METHOD_NOT_ALLOWED")
        assert r.headers["Allow"] == allow, path


def test_an_unknown_lang_is_refused(live_server: LiveServer, admin_token: str) -> None:
    url = f"{live_server.url}/v1/ping"
    auth = {"Authorization": f"Bearer {admin_token}"}
    for bad in ("fr", "", "english", "zh;drop", "en-" + "x" * 20):
        r = httpx.get(url, params={"lang": bad}, headers={**auth, "Accept-Language": "en"}, timeout=20)
        assert r.status_code == 400, bad
        error = r.json()["error"]
        assert (error["code"], error["params"]["field"]) == ("INVALID_ARGUMENT", "lang")
        assert error["message"].startswith("Invalid")  # in the Accept-Language's language
    for good in ("zh", "en", "EN", "zh-CN", "en_US", "zh-Hans-CN"):
        assert httpx.get(url, params={"lang": good}, headers=auth, timeout=20).status_code == 200, good


def test_a_trailing_slash_never_redirects_to_the_callers_host(live_server: LiveServer, admin_token: str) -> None:
    for path in ("/v1/ping/", f"/v1/persons/{EMPLOYEE_A}/balance/", "/openapi.json/"):
        r = httpx.get(live_server.url + path, timeout=20, follow_redirects=False,
                      headers={"Host": "evil.example", "Authorization": f"Bearer {admin_token}"})
        assert r.status_code == 404 and "location" not in r.headers, path
        assert r.json()["error"]["code"] == "NOT_FOUND"
        assert EMPLOYEE_A not in r.text

