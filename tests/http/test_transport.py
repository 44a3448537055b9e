"""Issue 9, item 15: a bearer token never goes over plain ``http://`` to another machine unless
the user says ``--insecure``; ``https://`` and loopback addresses are always fine.

The "other machine" is this machine's own non-loopback address (a listener on it sees whether
anything was sent at all); the test is skipped where there is no such address.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend

from yibao_tui.backend.http import HttpBackend, check_transport
from yibao_tui.cli import main
from yibao_tui.domain.errors import YibaoError
from yibao_tui.i18n import t

PERSON = "110101198005170118"
TOKEN = "yb_transport-test-token"


def _outward_address() -> str | None:
    """This machine's address on the way out (not loopback), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent for a UDP connect
        except OSError:
            return None
        host = str(s.getsockname()[0])
    return None if host.startswith("127.") or host == "0.0.0.0" else host


class Listener:
    """A socket on a non-loopback address that records what arrives, then hangs up."""

    def __init__(self, host: str) -> None:
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.url = f"http://{host}:{self.sock.getsockname()[1]}"
        self.received = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.received += conn.recv(65536)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps secrets in memory (so that ``yibao login`` gets as far as asking)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.saved.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.saved[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.saved.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    try:
        yield ring
    finally:
        keyring.set_keyring(before)


@pytest.fixture
def remote() -> Iterator[Listener]:
    host = _outward_address()
    if host is None:
        pytest.skip("this machine has no non-loopback address")
    listener = Listener(host)
    try:
        yield listener
    finally:
        listener.close()


@pytest.mark.parametrize("url", ["http://10.1.2.3:8765", "http://ledger.example.org", "http://[fd00::1]:80",
                                 "HTTP://192.0.2.7/prefix", "http://127.0.0.1.example.com"])
def test_plain_http_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(YibaoError) as info:
        HttpBackend(url, TOKEN)
    assert info.value.code == "INSECURE_TRANSPORT" and info.value.exit_code == 2
    assert "--insecure" in info.value.message("en") and "--insecure" in info.value.message("zh")
    HttpBackend(url, TOKEN, insecure=True)  # said on purpose


@pytest.mark.parametrize("url", ["https://ledger.example.org", "http://127.0.0.1:8765", "http://127.9.9.9",
                                 "http://localhost:8765", "http://[::1]:8765", "http://api.localhost"])
def test_https_and_loopback_need_nothing(url: str) -> None:
    check_transport(url)


def test_the_cli_refuses_before_sending_anything(remote: Listener, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("YIBAO_TOKEN", TOKEN)
    for lang in ("en", "zh"):
        code = main(["--json", "--lang", lang, "--backend", remote.url, "balance", PERSON])
        error = json.loads(capsys.readouterr().out)["error"]
        assert (code, error["code"]) == (2, "INSECURE_TRANSPORT")
        host = remote.url.removeprefix("http://").rsplit(":", 1)[0]
        assert error["message"] == t("error.INSECURE_TRANSPORT", lang=lang, host=host)
    assert remote.received == b""
    # with --insecure the request goes out, token and all (the listener then hangs up)
    code = main(["--json", "--insecure", "--backend", remote.url, "balance", PERSON])
    capsys.readouterr()
    assert code == 1
    assert f"Bearer {TOKEN}".encode() in remote.received


def test_login_refuses_before_asking_for_the_token(remote: Listener, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str],
                                                   memory_keyring: MemoryKeyring) -> None:
    from yibao_tui.server import cli_commands

    asked: list[str] = []
    monkeypatch.setattr(cli_commands.getpass, "getpass", lambda prompt: asked.append(prompt) or TOKEN)
    monkeypatch.setenv("YIBAO_LANG", "en")
    assert main(["--lang", "en", "login", "--backend", remote.url]) == 2
    assert "--insecure" in capsys.readouterr().err and not asked and remote.received == b""
    assert main(["--lang", "en", "login", "--backend", remote.url, "--insecure"]) == 1  # nobody answers
    assert asked and f"Bearer {TOKEN}".encode() in remote.received
    assert memory_keyring.saved == {}  # nothing verified, nothing kept
