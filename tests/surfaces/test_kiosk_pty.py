"""``yibao kiosk`` in a real pseudo-terminal (tmux): the keys that end programs do nothing, the
TEXTUAL* variables are scrubbed, and only the admin key plus the admin PIN leave it."""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.surfaces.conftest import PIN, World
from yibao_tui.tui.kiosk.config import set_admin_pin

YIBAO = Path(sys.executable).with_name("yibao")
ADMIN_PIN = "86427531"

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None or not YIBAO.exists(), reason="needs tmux and the yibao script"
)


def _tmux(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False,
                          env={**os.environ, "TMUX": ""})


async def _wait_for(session: str, *needles: str, limit: float = 30.0) -> str:
    deadline = time.monotonic() + limit
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-t", session, "-p").stdout
        if all(n in screen for n in needles):
            return screen
        await asyncio.sleep(0.3)
    raise AssertionError(f"never saw {needles!r}; the screen was:\n{screen}")


async def test_kiosk_in_a_terminal_cannot_be_left_without_the_admin_pin(world: World, tmp_path: Path):
    config = tmp_path / "kiosk.toml"
    set_admin_pin(config, ADMIN_PIN)
    session = f"yibao-kiosk-{uuid.uuid4().hex[:8]}"
    done = tmp_path / "exit-code"
    env = {
        "YIBAO_DB": str(world.path),
        "YIBAO_CONFIG_DIR": str(tmp_path / "pty-config"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        # would let ctrl+c / ctrl+z / ctrl+\ raise signals, if the kiosk did not scrub it
        "TEXTUAL_ALLOW_SIGNALS": "1",
    }
    assigns = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    command = (f"env {assigns} {shlex.quote(str(YIBAO))} kiosk --config {shlex.quote(str(config))}; "
               f"echo $? > {shlex.quote(str(done))}; sleep 30")
    _tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", command)
    try:
        await _wait_for(session, "欢迎使用")
        _tmux("send-keys", "-t", session, world.owner_card, "Enter")
        await _wait_for(session, "请输入 6 位密码")
        _tmux("send-keys", "-t", session, PIN, "Enter")
        screen = await _wait_for(session, "请选择要办理的业务")
        assert world.owner not in screen and world.owner[-4:] in screen
        for key in ("C-c", "C-q", "C-z", "C-\\", "C-p"):
            _tmux("send-keys", "-t", session, key)
            await asyncio.sleep(0.4)
        await asyncio.sleep(0.5)
        assert not done.exists(), _tmux("capture-pane", "-t", session, "-p").stdout
        screen = await _wait_for(session, "请选择要办理的业务")
        _tmux("send-keys", "-t", session, "C-F12")
        await _wait_for(session, "管理员密码")
        _tmux("send-keys", "-t", session, ADMIN_PIN, "Enter")
        deadline = time.monotonic() + 20
        while not done.exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert done.exists() and done.read_text().strip() == "0"
    finally:
        _tmux("kill-session", "-t", session)
