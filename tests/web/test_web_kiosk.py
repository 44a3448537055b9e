"""``yibao kiosk --web`` in headless Chromium: the real CLI serving the kiosk through
textual-serve, Debian's Chromium driven by Playwright, the text read from xterm.js's buffer.

Card + PIN, the balance, a premium payment with its receipt, the quit keys doing nothing, the
admin key and PIN ending the browser session, the idle countdown and wipe, two browsers at once
each seeing only their own data (in processes of their own, gone when the browser goes), and the
server's refusals: a non-loopback bind, a foreign page, a foreign Host.
Screenshots at 1024×768 go to ``$YIBAO_WEB_SCREENSHOTS`` (docs/screenshots when remade).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.surfaces.conftest import PIN, World
from tests.surfaces.conftest import _surfaces_env as _surfaces_env  # noqa: F401 - the fixture
from tests.surfaces.conftest import world as world  # noqa: F401 - the fixture
from tests.web.kit import (
    ID18,
    chromium,
    keys,
    need_chromium,
    open_kiosk,
    screen,
    screenshot_dir,
    settled,
    wait_for,
    web_kiosk,
    yibao_env,
)
from yibao_tui.domain.money import format_fen
from yibao_tui.tui.kiosk.config import KioskConfig, set_admin_pin

ADMIN_PIN = "86427531"
OTHER_PIN = "135790"
WELCOME = "欢迎使用职工医保个人账户自助服务"
HOME = "请选择要办理的业务"
#: Keys that end or suspend programs, open palettes, or go back in a browser: none may leave.
QUIT_KEYS = ("Control+c", "Control+q", "Escape", "Control+z", "Control+Backslash", "Control+p",
             "Control+s", "Control+x", "Control+w", "Alt+F4", "Alt+ArrowLeft")


@pytest.fixture(autouse=True)
def _chromium() -> None:
    need_chromium()


#: The kiosk processes run on the real clock: the coming year's premium, payable all year long
#: by a site policy (a year the demo ledger, made on the tests' 2026-03-02, never paid).
YEAR = dt.date.today().year + 1


def open_all_year(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    years = "\n".join(f'"{y}" = 40000' for y in range(YEAR - 2, YEAR + 1))
    path.write_text(f'[default.premium]\n{years}\n\n[default.premium_window]\nopens = "Y-1-01-01"\n'
                    'closes = "Y-12-31"\n', "utf-8")
    return path


def kiosk_config(tmp_path: Path, **settings: float) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(KioskConfig(**settings).to_toml(), "utf-8")  # type: ignore[arg-type]
    set_admin_pin(path, ADMIN_PIN)
    return path


async def sign_in(page, card: str, pin: str) -> str:
    await wait_for(page, WELCOME)
    await keys(page, "Enter", typed=card)
    await wait_for(page, "请输入 6 位密码")
    await keys(page, "Enter", typed=pin)
    return await wait_for(page, HOME)


async def pick(page, option: str, expect: str) -> str:
    """Open the focused Select and choose the option that starts with ``option`` (typed: the list
    searches as one types), until ``expect`` is on screen. Textual forgets the typed search after
    0.7 s: on a loaded machine a keystroke can come later, so a wrong pick is tried again."""
    for _ in range(4):
        await keys(page, "Enter")
        await wait_for(page, "Dismiss menu")  # the open list's footer key
        await settled(page, quiet=0.3)
        await keys(page, "Enter", typed=option)
        try:
            return await wait_for(page, expect, gone=("Dismiss menu",), limit=8)
        except AssertionError:
            continue
    return await wait_for(page, expect, limit=1)


def assert_masked(text: str, world: World) -> None:
    assert not ID18.search(text), ID18.search(text)
    assert world.owner_name not in text


async def quit_keys_do_nothing(page, server, expect: str) -> None:
    for key in QUIT_KEYS:
        await page.keyboard.press(key)
    await settled(page)
    await wait_for(page, expect)
    assert len(server.sessions()) == 1 and server.process.poll() is None
    assert not await page.evaluate("document.body.classList.contains('-closed')")


async def test_card_pin_balance_payment_quit_keys_and_admin_exit(world: World, tmp_path: Path):
    shots = screenshot_dir(tmp_path)
    balance = (await world.backend().balance(world.owner)).balance_fen
    with web_kiosk(world.path, kiosk_config(tmp_path), YIBAO_POLICY=str(open_all_year(tmp_path))) as server:
        async with chromium() as browser:
            page = await open_kiosk(browser, server.url)
            await wait_for(page, WELCOME)
            await settled(page)
            await page.screenshot(path=str(shots / "web-welcome.png"))
            await keys(page)
            await quit_keys_do_nothing(page, server, WELCOME)

            text = await sign_in(page, world.owner_card, PIN)
            assert_masked(text, world)
            assert world.owner[-4:] in text and world.owner_name[0] + "*" in text  # masked, not absent
            await quit_keys_do_nothing(page, server, HOME)

            await keys(page, "1")
            text = await wait_for(page, "个人账户余额", format_fen(balance))
            assert_masked(await settled(page), world)
            await page.screenshot(path=str(shots / "web-balance.png"))

            # 代缴保费: the child, next year (open all year by the test's site policy)
            await keys(page, "Escape")
            await wait_for(page, HOME)
            await keys(page, "3")
            await wait_for(page, "选择家庭成员")
            await settled(page)
            await pick(page, "子女", "子女 吴")
            await keys(page, "Tab")
            await pick(page, str(YEAR), f"{YEAR} 年度居民医保")
            await wait_for(page, f"{YEAR} 年度居民医保", "¥400.00")
            await keys(page, "Tab", "Enter")
            await wait_for(page, "请再次输入 6 位密码")
            await keys(page, "Enter", typed=PIN)
            text = await wait_for(page, "缴费成功", "缴费单号：PM", "自助终端")
            assert_masked(await settled(page), world)
            await page.screenshot(path=str(shots / "web-receipt.png"))

            # the admin key and the admin PIN end this browser's session (and only that)
            await keys(page, "Control+F12")
            await wait_for(page, "管理员密码")
            await keys(page, "Enter", typed=ADMIN_PIN)
            await page.wait_for_function("() => document.body.classList.contains('-closed')", timeout=20_000)
            assert "本次服务已结束" in await page.inner_text("body")
            deadline = time.monotonic() + 10
            while server.sessions() and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert not server.sessions()
            assert server.process.poll() is None  # the server serves the next person
    after = await world.backend().balance(world.owner)
    assert after.balance_fen == balance - 40000
    rows = await world.backend().audit(person=world.owner, limit=500)
    assert [r.channel for r in rows if r.action == "premium.pay"].count("kiosk") == 1


async def test_idle_countdown_then_the_session_is_wiped(world: World, tmp_path: Path):
    shots = screenshot_dir(tmp_path)
    config = kiosk_config(tmp_path, idle_seconds=5, countdown_seconds=4)
    with web_kiosk(world.path, config) as server:
        async with chromium() as browser:
            page = await open_kiosk(browser, server.url)
            await sign_in(page, world.owner_card, PIN)
            await keys(page, "1")
            await wait_for(page, "个人账户余额")
            text = await wait_for(page, "秒后将自动结束服务", limit=20)
            assert_masked(text, world)
            await page.screenshot(path=str(shots / "web-countdown.png"))
            text = await wait_for(page, WELCOME, "长时间无操作", limit=20)
            assert world.owner[-4:] not in text and world.owner_name[0] + "*" not in text
            # the same browser session goes on at the welcome screen, the same process
            assert len(server.sessions()) == 1


async def test_two_browsers_each_see_only_their_own(world: World, tmp_path: Path):
    setup = world.backend()
    other = await setup.person(world.other)
    assert other.card
    await setup.card_set_pin(other.card, OTHER_PIN)
    mine = format_fen((await setup.balance(world.owner)).balance_fen)
    theirs = format_fen((await setup.balance(world.other)).balance_fen)
    with web_kiosk(world.path, kiosk_config(tmp_path)) as server:
        async with chromium() as browser:
            a = await open_kiosk(browser, server.url)
            b = await open_kiosk(browser, server.url)
            await wait_for(a, WELCOME)
            await wait_for(b, WELCOME)
            first = server.sessions()
            assert len(first) == 2  # a process per connection
            await sign_in(a, world.owner_card, PIN)
            await wait_for(b, WELCOME)  # B still at the welcome screen
            await sign_in(b, other.card, OTHER_PIN)
            await keys(a, "1")
            await keys(b, "1")
            text_a = await wait_for(a, "个人账户余额", mine)
            text_b = await wait_for(b, "个人账户余额", theirs)
            assert world.owner[-4:] in text_a and world.other[-4:] not in text_a and theirs not in text_a
            assert world.other[-4:] in text_b and world.owner[-4:] not in text_b and mine not in text_b
            # ending A's session leaves B's alone
            await keys(a, "F10")
            await wait_for(a, WELCOME)
            assert "个人账户余额" in await screen(b)
            # a browser that goes takes its process with it
            await a.context.close()
            deadline = time.monotonic() + 10
            while len(server.sessions()) != 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert len(server.sessions()) == 1
            assert "个人账户余额" in await screen(b)


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yibao_tui", *args], capture_output=True, text=True,
                          env=yibao_env(**env), timeout=60, check=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "kiosk.example", "::"])
def test_a_non_loopback_bind_is_refused_without_allow_remote(host: str, tmp_path: Path):
    config = kiosk_config(tmp_path)
    done = run_cli("kiosk", "--web", "--host", host, "--config", str(config))
    assert done.returncode == 2 and "--allow-remote" in done.stderr and "Traceback" not in done.stderr
    assert "不是本机回环地址" in done.stderr
    done = run_cli("--lang", "en", "kiosk", "--web", "--host", host, "--config", str(config))
    assert done.returncode == 2 and "is not a loopback address" in done.stderr


def test_no_admin_pin_no_web_kiosk(tmp_path: Path):
    done = run_cli("kiosk", "--web", "--config", str(tmp_path / "none.toml"))
    assert done.returncode == 2 and "管理员密码" in done.stderr and "Traceback" not in done.stderr


async def test_foreign_pages_and_hosts_get_no_session(world: World, tmp_path: Path):
    import aiohttp

    with web_kiosk(world.path, kiosk_config(tmp_path)) as server:
        ws = f"ws://127.0.0.1:{server.port}/ws"
        own = f"http://127.0.0.1:{server.port}"
        async with aiohttp.ClientSession() as http:
            for headers in ({"Origin": "http://evil.example"}, {},
                            # a DNS-rebinding page: its origin and Host agree, but are not loopback
                            {"Origin": f"http://evil.example:{server.port}", "Host": f"evil.example:{server.port}"}):
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await http.ws_connect(ws, headers=headers)
                assert refused.value.status == 403
            async with http.ws_connect(ws, headers={"Origin": own}) as conn:
                first = await conn.receive(timeout=30)
                assert first.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT)
            async with http.get(own + "/") as page:
                body = await page.text()
                assert page.headers["Cache-Control"] == "no-store"
                assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
                assert "googleapis" not in body and "医保自助服务" in body
            for path in ("/static/", "/download/x"):
                async with http.get(own + path) as missing:
                    assert missing.status in (403, 404)


def test_a_port_in_use_is_a_message(tmp_path: Path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_cli("kiosk", "--web", "--port", str(port), "--config", str(kiosk_config(tmp_path)))
    assert done.returncode == 1 and "无法在 127.0.0.1" in done.stderr and "Traceback" not in done.stderr
