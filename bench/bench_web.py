"""Web kiosk benchmark (issue 12): the first kiosk screen in the browser.

Time from navigation to the welcome text in headless Chromium (Debian's ``/usr/bin/chromium``
through Playwright), measured in the page (``performance.now()``: milliseconds since the
navigation started, when xterm.js's buffer first holds the text), as a ratio to a bare Textual
app (one ``Static``) served the same way: the same ``KioskServer`` (page, checks, one process per
connection, ``exec`` through a shell), in the same run, interleaved, a fresh browser context per
run. The kiosk runs ``yibao kiosk --web`` on a demo ledger.

    .venv/bin/python bench/bench_web.py [--runs 15] [--write]

``--write`` replaces the ``## Web kiosk`` section of BENCHMARKS.md with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.web.kit import SCREEN, chromium, free_port, open_kiosk, yibao_env  # noqa: E402

BARE_APP = textwrap.dedent(
    """
    from textual.app import App
    from textual.widgets import Static

    class Bare(App):
        def compose(self):
            yield Static("yibao-bench-ready")

    Bare().run()
    """
)
BARE_SERVER = textwrap.dedent(
    """
    import sys
    from yibao_tui.web.server import KioskServer
    KioskServer(sys.argv[1], "127.0.0.1", int(sys.argv[2]), title="bare").serve()
    """
)
#: The first time the terminal holds ``needle``, in ms since the navigation started.
FIRST_SEEN = "(needle) => ((" + SCREEN + ")().includes(needle) ? performance.now() : null)"


def start(argv: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if f":{port}" not in line:
        raise SystemExit(f"server did not start: {line}{proc.stdout.read()}")
    return proc


async def first_screen(browser, url: str, needle: str) -> float:
    """Milliseconds from navigation to ``needle`` in the terminal (one fresh browser context)."""
    page = await open_kiosk(browser, url)
    try:
        handle = await page.wait_for_function(FIRST_SEEN, arg=needle, polling=5, timeout=60_000)
        return float(await handle.json_value())
    finally:
        await page.context.close()
        await asyncio.sleep(0.3)  # the session process ends before the next run starts


async def measure(runs: int) -> dict[str, list[float]]:
    from yibao_tui.i18n import set_lang, t
    from yibao_tui.tui.kiosk.config import set_admin_pin

    set_lang("zh")
    welcome = t("mode.kiosk.welcome")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = yibao_env(YIBAO_CONFIG_DIR=str(folder / "config"), PYTHONDONTWRITEBYTECODE="")
        db = folder / "ledger.db"
        subprocess.run([sys.executable, "-m", "yibao_tui", "--db", str(db), "demo"], env=env,
                       check=True, capture_output=True)
        config = folder / "kiosk.toml"
        set_admin_pin(config, "86427531")
        bare = folder / "bare.py"
        bare.write_text(BARE_APP, "utf-8")
        kiosk_port, bare_port = free_port(), free_port()
        servers = [
            start([sys.executable, "-m", "yibao_tui", "--db", str(db), "kiosk", "--web", "--port",
                   str(kiosk_port), "--config", str(config)], kiosk_port, env),
            start([sys.executable, "-c", BARE_SERVER, "exec " + shlex.join([sys.executable, str(bare)]),
                   str(bare_port)], bare_port, env),
        ]
        targets = {"kiosk": (f"http://127.0.0.1:{kiosk_port}/", welcome),
                   "bare": (f"http://127.0.0.1:{bare_port}/", "yibao-bench-ready")}
        times: dict[str, list[float]] = {"kiosk": [], "bare": []}
        try:
            async with chromium() as browser:
                for url, needle in targets.values():  # warm-up: page cache, .pyc files
                    await first_screen(browser, url, needle)
                for i in range(runs):
                    order = ["kiosk", "bare"] if i % 2 == 0 else ["bare", "kiosk"]
                    for name in order:
                        url, needle = targets[name]
                        times[name].append(await first_screen(browser, url, needle))
        finally:
            for proc in servers:
                proc.send_signal(2)
                proc.wait(15)
    return times


def report(times: dict[str, list[float]], runs: int) -> str:
    kiosk, bare = times["kiosk"], times["bare"]
    med_k, med_b = statistics.median(kiosk), statistics.median(bare)
    pairs = sorted(k / b for k, b in zip(kiosk, bare, strict=True))
    when = dt.date.today().isoformat()
    return textwrap.dedent(f"""\
        ## Web kiosk

        `bench/bench_web.py` on CPython {platform.python_version()}, {platform.system()} {platform.machine()}, headless Chromium (Debian), {when}.

        **Navigation to the welcome text** (1024×768, a fresh browser context per run, measured in the page until xterm.js's buffer holds the text; median of {runs} interleaved runs after one warm-up each):

        | app, served by the same `KioskServer` | median | fastest |
        |---|---|---|
        | bare Textual app (one `Static`) | {med_b:.0f} ms | {min(bare):.0f} ms |
        | `yibao kiosk --web` on the demo ledger | {med_k:.0f} ms | {min(kiosk):.0f} ms |
        | **ratio** (target ≤ 1.3×) | **{med_k / med_b:.2f}×** | {min(kiosk) / min(bare):.2f}× |

        Median of the per-run ratios: {statistics.median(pairs):.2f}× (range {pairs[0]:.2f}–{pairs[-1]:.2f}×).
        """)


def write_section(text: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    body = path.read_text("utf-8")
    start = body.find("## Web kiosk")
    if start < 0:
        body = body.rstrip("\n") + "\n\n" + text
    else:
        end = body.find("\n## ", start + 1)
        body = body[:start] + text + (body[end + 1:] if end >= 0 else "")
    path.write_text(body, "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--write", action="store_true", help="update the ## Web kiosk section of BENCHMARKS.md")
    args = parser.parse_args()
    started = time.perf_counter()
    times = asyncio.run(measure(args.runs))
    text = report(times, args.runs)
    print(text)
    print(f"({time.perf_counter() - started:.0f} s)")
    if args.write:
        write_section(text)


if __name__ == "__main__":
    main()
