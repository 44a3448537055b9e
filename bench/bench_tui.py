"""TUI benchmarks (issue 3).

1. Launch to the first painted balance screen (``python -m yibao_tui`` on the demo ledger, in a
   real pseudo-terminal, until the statement's page line is on screen) as a ratio to a bare Textual
   app (Header, Static, Footer) launched and detected the same way, in the same run, interleaved.
2. A statement of 100,000 entries paged from start to end through the balance screen (``n`` key,
   real pty, until the new page is written): milliseconds per page and memory (RSS) growth.

    .venv/bin/python bench/bench_tui.py [--runs 15] [--entries 100000] [--write] [--compare DIR]

``--write`` replaces the ``## TUI`` section of BENCHMARKS.md with the figures. ``--compare DIR``
also launches the source tree in DIR (e.g. ``git worktree add DIR main``) the same way, interleaved
with the other two: a before/after of a change in one run, under the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import fcntl
import os
import platform
import resource
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BARE_APP = textwrap.dedent(
    """
    from textual.app import App
    from textual.widgets import Footer, Header, Static

    class Bare(App):
        def compose(self):
            yield Header()
            yield Static("yibao-bench-ready")
            yield Footer()

    Bare().run()
    """
)
COLS, ROWS = 100, 30


def cpu_so_far(pid: int) -> float:
    """CPU seconds the process ``pid`` has used so far, all its threads (``schedstat``: ns)."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return total / 1e9


def launch(argv: list[str], marker: bytes, env: dict[str, str], timeout: float = 60.0,
           cwd: Path | None = None, cpu: list[float] | None = None,
           cpu_paint: list[float] | None = None) -> float:
    """Seconds from spawning ``argv`` (in ``cwd``) on a new pty until ``marker`` was written to it.
    ``cpu`` gets the CPU seconds (user + system) the process used in all, start to exit;
    ``cpu_paint`` the CPU seconds it had used when ``marker`` was read (all threads, read from
    ``/proc``): figures that other sessions' load changes much less than the wall clock. The
    first is diluted by shutting down, which costs both apps alike; the second is the one the
    wall-clock ratio follows on an idle machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
        start_new_session=True,
        cwd=cwd,
    )
    os.close(slave)
    seen = b""
    elapsed: float | None = None
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([master], [], [], 0.02)
            if not ready:
                continue
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:
                break
            seen += chunk
            if marker in seen:
                elapsed = time.perf_counter() - start
                if cpu_paint is not None:
                    cpu_paint.append(cpu_so_far(proc.pid))
                break
    finally:
        try:
            os.write(master, b"\x11")  # ctrl+q
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        os.close(master)
        if cpu is not None:
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    if elapsed is None:
        tail = seen[-2000:].decode("utf-8", "replace")
        raise RuntimeError(f"{argv} never painted {marker!r}; output tail: {tail!r}")
    return elapsed


async def make_demo(path: Path) -> str:
    from yibao_tui.backend.base import Actor
    from yibao_tui.backend.local import LocalBackend

    backend = LocalBackend(path, actor=Actor("bench"))
    try:
        await backend.init()
        result = await backend.demo(persons=20, seed=1)
        return str(result["owner"])
    finally:
        await backend.close()


def bench_startup(runs: int, work: Path, compare: Path | None = None) -> dict[str, float]:
    load_before = os.getloadavg()[0]
    db = work / "demo.db"
    asyncio.run(make_demo(db))
    bare = work / "bare_app.py"
    bare.write_text(BARE_APP, "utf-8")
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "TEXTUAL_ANIMATIONS": "none",
        "YIBAO_CONFIG_DIR": str(work / "config"),
        "YIBAO_DB": str(db),
    }
    env.pop("YIBAO_BACKEND", None)
    # As installed: the warm-up run writes the .pyc files that later runs load (the bare app's
    # Textual has them from pip). With PYTHONDONTWRITEBYTECODE set, every launch compiled our
    # modules again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    ours_cmd = [sys.executable, "-m", "yibao_tui", "--db", str(db)]
    bare_cmd = [sys.executable, str(bare)]
    marker = "第 1 / ".encode()
    # warm the OS caches (and .pyc files) once each, not counted
    # ``python -m`` finds yibao_tui in its working directory first: this tree, or the other one
    other_env = {**env, "PYTHONPATH": str(compare)} if compare else env
    launch(bare_cmd, b"yibao-bench-ready", env)
    launch(ours_cmd, marker, env, cwd=ROOT)
    if compare:
        launch(ours_cmd, marker, other_env, cwd=compare)
    ours: list[float] = []
    base: list[float] = []
    other: list[float] = []
    cpu: dict[str, list[float]] = {"bare": [], "ours": [], "other": []}
    paint: dict[str, list[float]] = {"bare": [], "ours": [], "other": []}
    for _ in range(runs):
        base.append(launch(bare_cmd, b"yibao-bench-ready", env, cpu=cpu["bare"],
                           cpu_paint=paint["bare"]))
        ours.append(launch(ours_cmd, marker, env, cwd=ROOT, cpu=cpu["ours"], cpu_paint=paint["ours"]))
        if compare:
            other.append(launch(ours_cmd, marker, other_env, cwd=compare, cpu=cpu["other"],
                                cpu_paint=paint["other"]))
    extra = {f"{name}_cpu_ms": statistics.median(v) * 1000 for name, v in cpu.items() if v}
    extra |= {f"{name}_paint_cpu_ms": statistics.median(v) * 1000 for name, v in paint.items() if v}
    extra["cpu_ratio"] = extra["ours_cpu_ms"] / extra["bare_cpu_ms"]
    extra["paint_cpu_ratio"] = extra["ours_paint_cpu_ms"] / extra["bare_paint_cpu_ms"]
    if other:
        extra |= {
            "other_ms": statistics.median(other) * 1000,
            "other_ratio": statistics.median(other) / statistics.median(base),
            "other_min_ms": min(other) * 1000,
            "other_min_ratio": min(other) / min(base),
        }
    return {
        **extra,
        "bare_ms": statistics.median(base) * 1000,
        "ours_ms": statistics.median(ours) * 1000,
        "ratio": statistics.median(ours) / statistics.median(base),
        "bare_min_ms": min(base) * 1000,
        "ours_min_ms": min(ours) * 1000,
        "min_ratio": min(ours) / min(base),
        "runs": runs,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }


def make_long_statement(path: Path, entries: int) -> str:
    """One account with ``entries`` credits, written through the ledger (its own thread here)."""
    from yibao_tui.domain.idnum import make_id
    from yibao_tui.ledger.store import Ledger

    led = Ledger(path)
    pid = make_id("440300", dt.date(1970, 1, 1), 11)
    led.add_person(pid, "长账户", "employee", "440300", None, 100, time="1990-01-01 00:00:00")
    led.conn.execute("PRAGMA synchronous=OFF")  # bench setup only
    base = dt.datetime(1990, 1, 2)
    for i in range(entries - 1):
        at = base + dt.timedelta(minutes=5 * i)
        led.credit(pid, 100 + i % 900, "", time=at.strftime("%Y-%m-%d %H:%M:%S"))
    led.conn.execute("PRAGMA synchronous=FULL")
    led.close()
    return pid


def rss_of(pid: int) -> float:
    """Resident memory of process ``pid`` in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def page_through(path: Path, person: str, work: Path, timeout: float = 30.0) -> dict[str, float]:
    """Run ``python -m yibao_tui`` on a pty and press End and ``n`` until the last page.

    Each page is timed from the key press until the new page's line (``第 k / n 页``) has been
    written to the terminal: fetch, table refill and repaint, as the user sees it.
    """
    from yibao_tui.tui.views.balance import PAGE_SIZE

    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "TEXTUAL_ANIMATIONS": "none",
        "YIBAO_CONFIG_DIR": str(work / "paging-config"),
    }
    env.pop("YIBAO_BACKEND", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "yibao_tui", "--db", str(path), "--person", person],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(slave)
    seen = bytearray()

    def wait_for(marker: bytes) -> bool:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                seen.extend(os.read(master, 1 << 16))
                at = seen.find(marker)
                if at != -1:
                    del seen[: at + len(marker)]
                    return True
        return False

    times: list[float] = []
    try:
        if not wait_for("第 1 / ".encode()):
            raise RuntimeError("the balance screen never showed page 1")
        time.sleep(0.5)  # let the start-up settle
        seen.clear()
        rss_start = rss_of(proc.pid)
        page = 1
        while True:
            page += 1
            t0 = time.perf_counter()
            # End, then n: ``n`` shows the rest of a page taller than the screen before it turns
            # the page (issue 8 defect 5); at the last row it turns at once
            os.write(master, b"\x1b[Fn")
            if not wait_for(f"第 {page} / ".encode()):
                page -= 1  # the last page: ``n`` did nothing
                break
            times.append(time.perf_counter() - t0)
            if page == 51:
                rss_start = rss_of(proc.pid)  # after warm-up: growth, not first allocations
        rss_end = rss_of(proc.pid)
    finally:
        try:
            os.write(master, b"\x11")
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        os.close(master)
    first, last = statistics.median(times[:100]), statistics.median(times[-100:])
    times.sort()
    return {
        "first100_ms": first * 1000,
        "last100_ms": last * 1000,
        "pages": page,
        "rows": page * PAGE_SIZE,
        "page_size": PAGE_SIZE,
        "median_ms": statistics.median(times) * 1000,
        "p95_ms": times[int(len(times) * 0.95)] * 1000,
        "max_ms": times[-1] * 1000,
        "rss_growth_mb": rss_end - rss_start,
        "rss_end_mb": rss_end,
    }


def section(startup: dict[str, float] | None, paging: dict[str, float] | None, entries: int) -> str:
    lines = [
        "## TUI",
        "",
        f"`bench/bench_tui.py` on {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, {dt.date.today().isoformat()}.",
        "",
    ]
    if startup:
        lines += [
            "**Launch to first painted balance screen** (real pty 100×30, until the statement's page "
            "line is written; median of "
            f"{startup['runs']} interleaved runs after one warm-up each; load average "
            f"{startup['load_before']:.1f} before and {startup['load_after']:.1f} after, on a "
            "machine shared with other sessions' test runs):",
            "",
            "| app | wall median | wall fastest | CPU to first paint | CPU start to exit |",
            "|---|---|---|---|---|",
            f"| bare Textual app (Header, Static, Footer) | {startup['bare_ms']:.0f} ms | "
            f"{startup['bare_min_ms']:.0f} ms | {startup['bare_paint_cpu_ms']:.0f} ms | "
            f"{startup['bare_cpu_ms']:.0f} ms |",
            f"| `python -m yibao_tui` on the demo ledger (20 persons) | {startup['ours_ms']:.0f} ms | "
            f"{startup['ours_min_ms']:.0f} ms | {startup['ours_paint_cpu_ms']:.0f} ms | "
            f"{startup['ours_cpu_ms']:.0f} ms |",
            f"| **ratio** (target ≤ 1.3×) | **{startup['ratio']:.2f}×** | {startup['min_ratio']:.2f}× | "
            f"{startup['paint_cpu_ratio']:.2f}× | {startup['cpu_ratio']:.2f}× |",
            "",
            "CPU is the process's, all threads, read from `/proc` when the marker arrives (to the "
            "first paint) and at exit: other sessions' load moves it much less than the wall clock. "
            "The ratio that matters is CPU to the first paint; CPU start to exit is diluted by "
            "shutting down, which costs both apps alike.",
            "",
        ]
    if paging:
        lines += [
            f"**Statement of {entries:,} entries paged start to end** on the balance screen of "
            f"`python -m yibao_tui` in a real pty ({paging['page_size']} rows per keyset page, "
            f"{paging['pages']} pages); each page timed from the End and `n` keys until the new page's "
            "line is written to the terminal; memory is the app process's RSS:",
            "",
            "| per page (fetch + refill + repaint) | median | p95 | max | median, first 100 pages "
            "| median, last 100 pages | RSS growth (after 50 pages) | RSS at end |",
            "|---|---|---|---|---|---|---|---|",
            f"| End, `n` on the balance screen | {paging['median_ms']:.1f} ms | {paging['p95_ms']:.1f} ms | "
            f"{paging['max_ms']:.1f} ms | {paging['first100_ms']:.1f} ms | {paging['last100_ms']:.1f} ms | "
            f"{paging['rss_growth_mb']:.1f} MB | {paging['rss_end_mb']:.0f} MB |",
            "",
            "Targets: each page under 50 ms, growth under 50 MB. The statement is a Line-API view "
            "(one cached `Strip` per row) rather than a `DataTable`, whose per-cell rendering cost "
            "about 35 ms more per page; only the cursors of pages already visited are kept.",
            "",
        ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    current = path.read_text("utf-8") if path.exists() else "# Benchmarks\n"
    start = current.find("\n## TUI\n")
    if start == -1:
        new = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + 1)
        new = current[: start + 1] + text + ("\n" + current[end + 1 :] if end != -1 else "")
    path.write_text(new.rstrip("\n") + "\n", "utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--skip-paging", action="store_true")
    parser.add_argument("--compare", type=Path, help="another source tree to launch the same way, interleaved")
    parser.add_argument(
        "--write", action="store_true", help="update the ## TUI section of BENCHMARKS.md"
    )
    args = parser.parse_args()
    startup = paging = None
    with tempfile.TemporaryDirectory(prefix="yibao-bench-") as tmp:
        work = Path(tmp)
        os.environ["YIBAO_CONFIG_DIR"] = str(work / "config")
        if not args.skip_startup:
            startup = bench_startup(args.runs, work, args.compare)
            print(
                f"startup: bare {startup['bare_ms']:.0f} ms, ours {startup['ours_ms']:.0f} ms, "
                f"ratio {startup['ratio']:.2f}x (fastest {startup['bare_min_ms']:.0f} / "
                f"{startup['ours_min_ms']:.0f} ms = {startup['min_ratio']:.2f}x); CPU start to exit: "
                f"bare {startup['bare_cpu_ms']:.0f} ms, ours {startup['ours_cpu_ms']:.0f} ms "
                f"({startup['cpu_ratio']:.2f}x); CPU to the first paint: bare "
                f"{startup['bare_paint_cpu_ms']:.0f} ms, ours {startup['ours_paint_cpu_ms']:.0f} ms "
                f"({startup['paint_cpu_ratio']:.2f}x); load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            if args.compare:
                print(
                    f"compare ({args.compare}): {startup['other_ms']:.0f} ms, ratio "
                    f"{startup['other_ratio']:.2f}x (fastest {startup['other_min_ms']:.0f} ms = "
                    f"{startup['other_min_ratio']:.2f}x); CPU {startup['other_cpu_ms']:.0f} ms, "
                    f"to the first paint {startup['other_paint_cpu_ms']:.0f} ms",
                    flush=True,
                )
        if not args.skip_paging:
            t0 = time.perf_counter()
            pid = make_long_statement(work / "long.db", args.entries)
            print(f"built {args.entries:,} entries in {time.perf_counter() - t0:.0f} s", flush=True)
            paging = page_through(work / "long.db", pid, work)
            print(
                f"paging: {paging['pages']} pages, median {paging['median_ms']:.1f} ms, "
                f"p95 {paging['p95_ms']:.1f} ms, max {paging['max_ms']:.1f} ms, "
                f"first/last 100 {paging['first100_ms']:.1f}/{paging['last100_ms']:.1f} ms, "
                f"RSS growth {paging['rss_growth_mb']:.1f} MB",
                flush=True,
            )
    text = section(startup, paging, args.entries)
    print()
    print(text)
    if args.write:
        write_section(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
