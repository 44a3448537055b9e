"""``serve()`` as ``yibao serve`` runs it: a separate process, clear messages, clean stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def _serve(db: Path, port: int) -> subprocess.Popen[str]:
    code = f"import sys; from yibao_tui.server.cli_commands import serve; sys.exit(serve({str(db)!r}, '127.0.0.1', {port}))"
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.PIPE, text=True,
                            env={"YIBAO_LANG": "en", "PATH": "/usr/bin:/bin"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    proc = _serve(tmp_path / "ledger.db", port)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        assert r.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/v1/ping").status_code == 401
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "listening" in err and "Traceback" not in err


def test_serve_on_a_busy_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        proc = _serve(tmp_path / "ledger.db", busy.getsockname()[1])
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert err.strip().count("\n") == 0 and "Cannot start the server" in err


def test_serve_on_a_file_that_is_not_a_ledger(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_text("not a database " * 100)
    proc = _serve(bad, _free_port())
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "Traceback" not in err and str(bad) in err


def test_workers_that_cannot_start_stop_the_server_with_an_error(tmp_path: Path) -> None:
    """``serve --workers N``: uvicorn stops the server when a worker could not start (its ledger
    could not be opened: it would fail again on every restart); that exit is not a clean stop."""
    bad = tmp_path / "not-a-ledger.db"
    bad.write_bytes(b"this is not a database" * 100)
    code = ("import sys; from yibao_tui.server.cli_commands import _bind, _serve_workers;"
            f" sys.exit(_serve_workers({str(bad)!r}, _bind('127.0.0.1', 0), 2, 'http://127.0.0.1'))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"YIBAO_LANG": "en", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "a server process could not start" in proc.stderr
    assert "Server stopped\n" not in proc.stderr
