"""The README's run command (``yibao``) in a real pseudo-terminal (tmux) shows the balance."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

YIBAO = Path(sys.executable).with_name("yibao")

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None or not YIBAO.exists(), reason="needs tmux and the yibao script"
)


def _capture(session: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-t", session, "-p"], capture_output=True, text=True, check=False
    ).stdout


def _wait_for(session: str, *needles: str, limit: float = 60.0) -> str:
    deadline = time.monotonic() + limit
    screen = ""
    while time.monotonic() < deadline:
        screen = _capture(session)
        if all(n in screen for n in needles):
            return screen
        time.sleep(0.3)
    raise AssertionError(f"never saw {needles!r}; the screen was:\n{screen}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_yibao_in_a_terminal_shows_the_balance(sync_ledger, tmp_path, lang):
    session = f"yibao-test-{uuid.uuid4().hex[:8]}"
    env = {
        "YIBAO_DB": str(sync_ledger.path),
        "YIBAO_CONFIG_DIR": str(tmp_path / "pty-config"),
        "YIBAO_EXPORT_DIR": str(tmp_path / "pty-exports"),
        "TEXTUAL_ANIMATIONS": "none",
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
    }
    command = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    command = f"env {command} {shlex.quote(str(YIBAO))}" + (" --lang en" if lang == "en" else "")
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command],
        check=True,
        env={**os.environ, "TMUX": ""},
    )
    try:
        if lang == "zh":
            screen = _wait_for(session, "余额与明细", "个人账户余额（元）", "第 1 / ")
            assert "划入" in screen
        else:
            screen = _wait_for(session, "Balance & statement", "Account balance (yuan)", "Page 1 / ")
        owner = sync_ledger.owner
        assert owner[:3] + "*" * 11 + owner[-4:] in screen  # masked ID of the demo owner
        subprocess.run(["tmux", "send-keys", "-t", session, "F3"], check=True)
        _wait_for(session, "家庭共济" if lang == "zh" else "Family sharing")
        subprocess.run(["tmux", "send-keys", "-t", session, "C-q"], check=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done = subprocess.run(
                ["tmux", "has-session", "-t", session], capture_output=True, check=False
            )
            if done.returncode != 0:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("yibao did not quit on ctrl+q:\n" + _capture(session))
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)
