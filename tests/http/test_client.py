"""The adapter: server down, token sources, keyring, factory, messages. Against the real server."""

from __future__ import annotations

import logging
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from tests.http.conftest import LiveServer, seed
from yibao_tui.backend.base import Actor
from yibao_tui.backend.factory import make_backend
from yibao_tui.backend.http import KEYRING_SERVICE, HttpBackend
from yibao_tui.backend.local import LocalBackend
from yibao_tui.domain.errors import YibaoError
from yibao_tui.i18n.messages import server as server_messages


@pytest.fixture
def no_keyring() -> object:
    """No keyring backend at all, restored afterwards."""
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


async def test_server_stopped_mid_session_is_backend_unavailable(live_server: LiveServer, admin_token: str) -> None:
    hb = HttpBackend(live_server.url, admin_token, timeout=2, connect_timeout=1, retries=2, backoff=0.01)
    try:
        ids = await seed(hb)
        assert (await hb.balance(ids["a"])).balance_fen == 100_000
        live_server.stop()
        for call in (hb.balance(ids["a"]), hb.credit(ids["a"], 100)):
            with pytest.raises(YibaoError) as info:
                await call
            assert info.value.code == "BACKEND_UNAVAILABLE"
            assert live_server.url in info.value.message()
            assert admin_token not in info.value.message()
        live_server.start()  # same port, same ledger: the same client carries on
        assert (await hb.balance(ids["a"])).balance_fen == 100_000
    finally:
        await hb.close()


async def test_nothing_listening_is_backend_unavailable(unused_tcp_port: int) -> None:
    hb = HttpBackend(f"http://127.0.0.1:{unused_tcp_port}", "t", retries=1, backoff=0.01)
    try:
        with pytest.raises(YibaoError) as info:
            await hb.is_empty()
        assert info.value.code == "BACKEND_UNAVAILABLE"
    finally:
        await hb.close()


async def test_token_from_env_overrides_keyring_and_is_never_logged(
    live_server: LiveServer, admin_token: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("YIBAO_TOKEN", admin_token)
    caplog.set_level(logging.DEBUG)
    hb = HttpBackend(live_server.url)
    try:
        assert await hb.is_empty()
        assert admin_token not in repr(hb)
        monkeypatch.setenv("YIBAO_TOKEN", "yb_wrong")
        hb2 = HttpBackend(live_server.url)
        with pytest.raises(YibaoError) as info:
            await hb2.is_empty()
        assert info.value.code == "UNAUTHORIZED"
        await hb2.close()
    finally:
        await hb.close()
    assert admin_token not in caplog.text


async def test_token_from_keyring(live_server: LiveServer, admin_token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YIBAO_TOKEN", raising=False)
    saved: dict[tuple[str, str], str] = {(KEYRING_SERVICE, live_server.url): admin_token}
    monkeypatch.setattr(keyring, "get_password", lambda service, user: saved.get((service, user)))
    hb = HttpBackend(live_server.url + "/")
    try:
        assert await hb.is_empty()
    finally:
        await hb.close()


async def test_no_token_anywhere_is_a_clear_message(monkeypatch: pytest.MonkeyPatch, no_keyring: None) -> None:
    monkeypatch.delenv("YIBAO_TOKEN", raising=False)
    hb = HttpBackend("http://127.0.0.1:9")
    try:
        with pytest.raises(YibaoError) as info:
            await hb.balance("x")
        assert info.value.code == "NO_TOKEN"
        assert "yibao login" in info.value.message()
    finally:
        await hb.close()


def test_login_without_keyring_says_so(
    live_server: LiveServer, admin_token: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    no_keyring: None,
) -> None:
    from yibao_tui.server import cli_commands

    monkeypatch.setattr(cli_commands.getpass, "getpass", lambda prompt: admin_token)
    assert cli_commands.login(live_server.url) == 1
    err = capsys.readouterr().err
    assert "YIBAO_TOKEN" in err and "Traceback" not in err and admin_token not in err
    monkeypatch.setattr(cli_commands.getpass, "getpass", lambda prompt: "yb_wrong")
    assert cli_commands.login(live_server.url) == 1
    assert "UNAUTHORIZED" not in capsys.readouterr().err  # a message, not a code


def test_login_stores_a_verified_token(
    live_server: LiveServer, admin_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keyring.backend import KeyringBackend

    from yibao_tui.server import cli_commands

    saved: dict[tuple[str, str], str] = {}

    class Memory(KeyringBackend):  # a keyring that works: login checks for one before asking
        priority = 1  # type: ignore[assignment]

        def set_password(self, service: str, username: str, password: str) -> None:
            saved[(service, username)] = password

        def get_password(self, service: str, username: str) -> str | None:
            return saved.get((service, username))

        def delete_password(self, service: str, username: str) -> None:
            saved.pop((service, username), None)

    before = keyring.get_keyring()
    keyring.set_keyring(Memory())
    monkeypatch.setattr(cli_commands.getpass, "getpass", lambda prompt: admin_token)
    try:
        assert cli_commands.login(live_server.url + "/") == 0
    finally:
        keyring.set_keyring(before)
    assert saved == {(KEYRING_SERVICE, live_server.url): admin_token}


def test_bad_url_is_invalid_argument() -> None:
    with pytest.raises(YibaoError) as info:
        HttpBackend("ftp://example.org", "t")
    assert info.value.code == "INVALID_ARGUMENT"


async def test_factory_picks_the_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    actor = Actor("cli")
    monkeypatch.delenv("YIBAO_BACKEND", raising=False)
    local = make_backend(str(tmp_path / "a.db"), None, actor)
    assert isinstance(local, LocalBackend)
    await local.close()
    remote = make_backend(None, "http://127.0.0.1:8765", actor)
    assert isinstance(remote, HttpBackend) and remote.url == "http://127.0.0.1:8765"
    await remote.close()
    monkeypatch.setenv("YIBAO_BACKEND", "https://ledger.example")
    from_env = make_backend(None, None, actor)
    assert isinstance(from_env, HttpBackend) and from_env.actor == actor
    await from_env.close()
    explicit_db = make_backend(str(tmp_path / "b.db"), None, actor)
    assert isinstance(explicit_db, LocalBackend)
    await explicit_db.close()


def test_server_messages_have_both_languages() -> None:
    assert server_messages.ZH.keys() == server_messages.EN.keys()


def test_errors_come_back_in_the_clients_language(live_server: LiveServer, admin_token: str) -> None:
    import httpx

    for lang, needle in (("en", "No such endpoint"), ("zh-CN", "没有这个接口")):
        r = httpx.get(live_server.url + "/v1/nowhere", headers={"Accept-Language": lang})
        assert r.status_code == 404 and needle in r.json()["error"]["message"]
    r = httpx.delete(live_server.url + "/v1/ping", headers={"Authorization": f"Bearer {admin_token}"})
    assert r.status_code == 405 and r.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_one_backend_across_several_event_loops(live_server: LiveServer, admin_token: str) -> None:
    """The CLI may call ``asyncio.run`` more than once on one backend."""
    import asyncio

    hb = HttpBackend(live_server.url, admin_token)
    assert asyncio.run(hb.is_empty()) is True
    assert asyncio.run(hb.is_empty()) is True
    asyncio.run(hb.close())


async def test_a_hung_server_is_backend_unavailable_after_its_timeouts() -> None:
    """A server that accepts the connection and never answers (the kernel's backlog does that)."""
    import socket

    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        hb = HttpBackend(f"http://127.0.0.1:{hung.getsockname()[1]}", "t", timeout=0.2, retries=4, backoff=0.01)
        try:
            with pytest.raises(YibaoError) as info:
                await hb.balance("x")
            assert info.value.code == "BACKEND_UNAVAILABLE"
            with pytest.raises(YibaoError) as info:
                await hb.credit("x", 1)
            assert info.value.code == "BACKEND_UNAVAILABLE"
        finally:
            await hb.close()
