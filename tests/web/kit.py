"""Helpers of the web kiosk tests: the real ``yibao kiosk --web`` server in a subprocess, and
Debian's Chromium driven by Playwright, the terminal's text read from xterm.js's buffer.

textual.js keeps its xterm.js ``Terminal`` in a closure. ``HOOK`` (run in the page before any
script) catches it as textual.js stores it on its own object (``this.terminal = new Terminal``),
and ``SCREEN`` reads the visible rows through xterm's public buffer API
(``buffer.active.getLine(i).translateToString``), wide Chinese characters included. Nothing of
the page is changed.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("YIBAO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1024, "height": 768}
ID18 = re.compile(r"\d{17}[\dX]")

HOOK = """
window.__yibaoTerminals = [];
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
    if (value && typeof value.write === "function" && value.buffer) window.__yibaoTerminals.push(value);
  },
});
"""

SCREEN = """() => {
  const term = window.__yibaoTerminals && window.__yibaoTerminals[0];
  if (!term) return "";
  const buffer = term.buffer.active, rows = [];
  for (let i = 0; i < term.rows; i++) {
    const line = buffer.getLine(buffer.viewportY + i);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
}"""


def need_chromium() -> None:
    """Skip without Chromium or Playwright, or fail when ``YIBAO_REQUIRE_CHROMIUM`` is set (CI)."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(CHROMIUM)
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        missing.append("playwright")
    try:
        import textual_serve  # noqa: F401
    except ImportError:
        missing.append("textual-serve")
    if missing:
        message = f"the web kiosk tests need {', '.join(missing)}"
        if os.environ.get("YIBAO_REQUIRE_CHROMIUM"):
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def yibao_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "YIBAO"))}
    env.update(TEXTUAL_ANIMATIONS="none", PYTHONPATH=str(Path(__file__).parents[2]), LANG="C.UTF-8")
    env.update(extra)
    return env


class Server:
    """``yibao kiosk --web`` on a free loopback port, in a process group of its own."""

    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}/"

    def sessions(self) -> list[int]:
        """The kiosk processes (one per browser connection) under the server."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                    cmd = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                if b"yibao_tui.web.session" in cmd and os.getpgid(int(entry.name)) == self.process.pid:
                    if stat.rsplit(")", 1)[1].split()[0] != "Z":
                        found.append(int(entry.name))
        return found


@contextmanager
def web_kiosk(db: Path, config: Path, *args: str, **env: str) -> Iterator[Server]:
    """The real CLI; stopped with SIGINT (its Ctrl+C) at the end."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "yibao_tui", "--db", str(db), "kiosk", "--web", "--port", str(port),
         "--config", str(config), *args],
        env=yibao_env(**env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the serving line comes once the socket listens
        assert f"127.0.0.1:{port}" in line, line + process.stdout.read()
        yield Server(process, port)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """Headless Chromium (Debian's), through Playwright."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def open_kiosk(browser: Any, url: str) -> Any:
    """A page of its own browser context (no shared storage), at 1024×768, on the kiosk."""
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    await page.add_init_script(HOOK)
    await page.goto(url)
    return page


async def screen(page: Any) -> str:
    """The terminal's visible text."""
    return str(await page.evaluate(SCREEN))


async def wait_for(page: Any, *needles: str, gone: tuple[str, ...] = (), limit: float = 30.0) -> str:
    """Poll the terminal until every needle is on it (and none of ``gone``)."""
    deadline = time.monotonic() + limit
    text = ""
    while time.monotonic() < deadline:
        text = await screen(page)
        if all(n in text for n in needles) and not any(g in text for g in gone):
            return text
        await asyncio.sleep(0.1)
    raise AssertionError(f"never saw {needles!r} (without {gone!r}); the terminal showed:\n{text}")


async def keys(page: Any, *presses: str, typed: str = "") -> None:
    """Type into the terminal (xterm's hidden textarea has the focus), then press keys."""
    await page.focus(".xterm-helper-textarea")
    if typed:
        await page.keyboard.type(typed)
    for key in presses:
        await page.keyboard.press(key)


async def settled(page: Any, quiet: float = 0.6, limit: float = 10.0) -> str:
    """The terminal once it stopped changing for ``quiet`` seconds."""
    deadline = time.monotonic() + limit
    last = await screen(page)
    since = time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        now = await screen(page)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


def screenshot_dir(tmp_path: Path) -> Path:
    """``YIBAO_WEB_SCREENSHOTS`` (docs/screenshots when they are remade), else the test's tmp."""
    target = Path(os.environ.get("YIBAO_WEB_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


