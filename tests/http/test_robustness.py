"""The adapter against what stands between it and the server: a proxy's 502 page, an answer that is
not JSON or not the expected shape, a dropped connection, a slow answer. Always a clear
``YibaoError`` in the user's language, never a traceback; a POST is only ever retried with the
same ``Idempotency-Key``.

A tiny raw socket server on 127.0.0.1 plays the proxy (no MockTransport stands in for anything).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from yibao_tui.backend.http import HttpBackend
from yibao_tui.domain.errors import YibaoError
from yibao_tui.i18n import get_lang, set_lang, t

ROOT = Path(__file__).resolve().parents[2]
PERSON = "110101198005170118"

BALANCE = {"id": PERSON, "balance_fen": 100, "status": "active", "name": "张伟"}
CREDIT = {"id": PERSON, "amount_fen": 1, "balance_after_fen": 101,
          "replayed": False}


def http_response(status: int, body: bytes, content_type: str = "application/json") -> bytes:
    reason = {200: "OK", 502: "Bad Gateway", 503: "Service Unavailable"}.get(status, "X")
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body


PROXY_502 = http_response(502, b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>", "text/html")


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class RawServer:
    """Answers each request with the next scripted action: bytes to send, ``"drop"`` (close
    without an answer), or ``("slow", seconds, bytes)``. The last action repeats."""

    script: list[Any]
    seen: list[Seen] = field(default_factory=list)
    _sock: socket.socket | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        assert self._sock is not None
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def start(self) -> RawServer:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            self._sock.close()

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            length = int(headers.get("content-length", "0"))
            while len(body) < length:
                body += conn.recv(65536)
            index = len(self.seen)
            self.seen.append(Seen(method, path, headers))
            action = self.script[min(index, len(self.script) - 1)]
            if action == "drop":
                return
            if isinstance(action, tuple):
                _, seconds, action = action
                self._stop.wait(seconds)
            try:
                conn.sendall(action)
            except OSError:
                pass


@pytest.fixture
def raw() -> Iterator[Any]:
    servers: list[RawServer] = []

    def make(*script: Any) -> RawServer:
        server = RawServer(list(script)).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(params=["zh", "en"])
def lang(request: pytest.FixtureRequest) -> Iterator[str]:
    """The user's language (as ``--lang`` or the app sets it)."""
    before = get_lang()
    set_lang(request.param)
    yield request.param
    set_lang(before)


def _backend(server: RawServer, **kw: Any) -> HttpBackend:
    return HttpBackend(server.url, "yb_test", backoff=0.01, **kw)


async def _error(coro: Any) -> YibaoError:
    with pytest.raises(YibaoError) as info:
        await coro
    return info.value


def _unavailable(detail: str, lang: str) -> str:
    return t("error.BACKEND_UNAVAILABLE", lang=lang, detail=detail)


async def test_an_answer_that_is_not_json_is_a_clear_error(raw: Any, lang: str) -> None:
    server = raw(http_response(200, b"<html>Welcome to nginx!</html>", "text/html"))
    hb = _backend(server)
    try:
        err = await _error(hb.balance(PERSON))
    finally:
        await hb.close()
    assert err.code == "BACKEND_UNAVAILABLE"
    assert err.message() == _unavailable(t("http.bad_response", lang=lang, status=200), lang)
    assert len(server.seen) == 1  # a 200 is an answer: not asked again
    assert server.seen[0].headers["accept-language"] == lang


@pytest.mark.parametrize("body", [b'{"ok": true}', b"[]", b'"yes"', b"null", b'{"bindings": [{"x": 1}]}'])
async def test_json_of_the_wrong_shape_is_a_clear_error(raw: Any, lang: str, body: bytes) -> None:
    server = raw(http_response(200, body))
    hb = _backend(server)
    try:
        for call in (hb.balance(PERSON), hb.bindings(PERSON), hb.premium_payments(PERSON), hb.is_empty()):
            err = await _error(call)
            assert err.code == "BACKEND_UNAVAILABLE"
            assert err.message() == _unavailable(t("http.bad_response", lang=lang, status=200), lang)
    finally:
        await hb.close()


async def test_a_proxys_502_page_is_retried_then_a_clear_error(raw: Any, lang: str) -> None:
    server = raw(PROXY_502)
    hb = _backend(server, retries=3)
    try:
        err = await _error(hb.balance(PERSON))
        assert err.code == "BACKEND_UNAVAILABLE"
        assert err.message() == _unavailable(t("http.bad_response", lang=lang, status=502), lang)
        assert len(server.seen) == 4
        server.seen.clear()
        err = await _error(hb.credit(PERSON, 1))  # no key given: the adapter makes one for all tries
        assert err.code == "BACKEND_UNAVAILABLE"
        keys = {s.headers["idempotency-key"] for s in server.seen}
        assert len(server.seen) == 4 and len(keys) == 1
        server.seen.clear()
        await _error(hb.credit(PERSON, 1, key="mine-1"))  # the caller's key, every time
        assert [s.headers["idempotency-key"] for s in server.seen] == ["mine-1"] * 4
        server.seen.clear()
        await _error(hb.credit(PERSON, 1))  # another logical call: another key
        assert {s.headers["idempotency-key"] for s in server.seen}.isdisjoint(keys)
    finally:
        await hb.close()


async def test_a_502_then_the_answer(raw: Any) -> None:
    server = raw(PROXY_502, "drop", http_response(200, json.dumps(CREDIT).encode()))
    hb = _backend(server, retries=3)
    try:
        result = await hb.credit(PERSON, 1)
    finally:
        await hb.close()
    assert result.balance_after_fen == 101
    assert [s.method for s in server.seen] == ["POST"] * 3
    assert len({s.headers["idempotency-key"] for s in server.seen}) == 1


async def test_a_slow_answer_times_out_and_the_retry_keeps_the_key(raw: Any, lang: str) -> None:
    """The first answer comes after the read timeout (a slow server); the retry gets an answer."""
    server = raw(("slow", 2.0, http_response(200, json.dumps(CREDIT).encode())),
                 http_response(200, json.dumps(CREDIT).encode()))
    hb = _backend(server, timeout=0.2, retries=2, timeout_retries=1)
    try:
        assert (await hb.credit(PERSON, 1)).balance_after_fen == 101
    finally:
        await hb.close()
    assert len(server.seen) == 2 and len({s.headers["idempotency-key"] for s in server.seen}) == 1
    slow = raw(("slow", 2.0, http_response(200, json.dumps(BALANCE).encode())))
    hb = _backend(slow, timeout=0.2, retries=4, timeout_retries=1)
    try:
        err = await _error(hb.balance(PERSON))
    finally:
        await hb.close()
    assert err.code == "BACKEND_UNAVAILABLE"
    assert err.message() == _unavailable(t("http.timeout", lang=lang, seconds=0.2), lang)
    assert len(slow.seen) == 2  # a hung server costs at most two timeouts


async def test_nothing_listening_is_a_clear_error_in_the_users_language(lang: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    hb = HttpBackend(f"http://127.0.0.1:{port}", "yb_test", retries=1, backoff=0.01)
    try:
        err = await _error(hb.balance(PERSON))
    finally:
        await hb.close()
    assert err.code == "BACKEND_UNAVAILABLE"
    assert err.message().startswith(t("error.BACKEND_UNAVAILABLE", lang=lang, detail="").strip())
    assert t("http.connect", lang=lang, url=f"http://127.0.0.1:{port}") in err.message()


@pytest.mark.parametrize("as_json", [False, True])
def test_the_cli_behind_a_failing_proxy_says_so_in_one_line(raw: Any, as_json: bool) -> None:
    server = raw(PROXY_502)
    args = [sys.executable, "-m", "yibao_tui", "--backend", server.url, "--lang", "en"]
    args += ["--json"] if as_json else []
    env = {**os.environ, "YIBAO_TOKEN": "yb_test", "PYTHONPATH": str(ROOT)}
    env.pop("YIBAO_BACKEND", None)
    proc = subprocess.run([*args, "balance", PERSON], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    expected = _unavailable(t("http.bad_response", lang="en", status=502), "en")
    if as_json:
        assert json.loads(proc.stdout) == {"error": {"code": "BACKEND_UNAVAILABLE", "message": expected}}
    else:
        assert proc.stderr.strip() == expected
