"""Issue 8 "policy through the backend": with ``--backend URL`` the app and its flows show the
SERVER's policy (its binding cap, the verification methods it accepts, its withdrawal cases),
never this process's own policy file. The reference server runs as ``yibao serve`` does, in a
process of its own with a site policy that differs from this process's."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from textual.widgets import Select, Static
from tuikit import CHILD, HOLDER, TODAY, make_app, settle, text_of

from yibao_tui.backend.http import HttpBackend
from yibao_tui.domain.policy import policy_for
from yibao_tui.server.auth import TokenStore
from yibao_tui.tui.flows.binding import BindingForm
from yibao_tui.tui.flows.withdrawal import WithdrawalChecklist
from yibao_tui.tui.views.family import BindForm

ROOT = Path(__file__).resolve().parents[2]
#: The server's site policy: Shenzhen binds at most two relatives, takes a face from 14 (a
#: letter only under it), and enables the serious-illness withdrawal (this process's policy:
#: six, from 16, not enabled).
SERVER_POLICY = """
[region."440300"]
binding_cap = 2
face_age = 14

[region."440300".withdrawal]
cases = ["death", "serious-illness"]
"""


@dataclass
class Served:
    url: str
    token: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(bound_ledger, tmp_path: Path) -> Iterator[Served]:
    """``yibao serve`` on the bound ledger, in its own process, with its own policy file."""
    policy = tmp_path / "server-policy.toml"
    policy.write_text(SERVER_POLICY, encoding="utf-8")
    store = TokenStore(str(bound_ledger.path))
    try:
        token = store.create("admin", label="server-policy")
    finally:
        store.close()
    port = _free_port()
    # the server's ledger on the TUI tests' frozen now (2025-12-01), as the in-process servers are
    code = ("import sys, datetime as dt; import yibao_tui.ledger.kernel as k; "
            "k.china_now = lambda: dt.datetime(2025, 12, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))); "
            "from yibao_tui.server.cli_commands import serve; "
            f"sys.exit(serve({str(bound_ledger.path)!r}, '127.0.0.1', {port}))")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "YIBAO_POLICY": str(policy),
           "YIBAO_CONFIG_DIR": str(tmp_path / "server-config"), "YIBAO_I18N_STRICT": "1"}
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline
                time.sleep(0.05)
        yield Served(url, token)
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def test_this_process_has_another_policy():
    """The premise: what the client's own file says differs from the server's."""
    mine = policy_for("440300", TODAY.year)
    assert mine.binding_cap == 6 and mine.face_age == 16 and "serious-illness" not in mine.enabled_cases


async def test_the_flows_follow_the_servers_policy(served):
    backend = HttpBackend(served.url, served.token, retries=0)
    try:
        holder = await backend.person(HOLDER)
        form = BindingForm(backend, holder, TODAY, channel="tui")
        await form.load()
        assert form.cap == 2 and not form.full  # the spouse is bound: one of two
        await form.type_id(CHILD)  # 15: a letter here (16), a face there (14): not on a laptop
        assert form.methods() == ["counter"]
        checklist = WithdrawalChecklist(backend, HOLDER)
        assert await checklist.load() == ["death", "serious-illness"]
        assert checklist.choose_case("serious-illness") and checklist.questions
        verdict = await checklist.judge()
        assert verdict is not None and verdict.case == "serious-illness"
    finally:
        await backend.close()


async def test_the_app_shows_the_servers_cap_and_cases(served):
    backend = HttpBackend(served.url, served.token, retries=0)
    app = make_app(backend, person=HOLDER)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("f3")
            await settle(pilot)
            assert "上限 2 人" in text_of(app.screen.query_one("#family-info", Static))
            await pilot.press("a")
            await settle(pilot)
            assert isinstance(app.screen, BindForm)
            app.screen.query_one("#relative-id").value = CHILD
            await settle(pilot)
            shown = [b.id for b in app.screen.query("RadioButton") if b.display]
            assert shown == ["verify-counter"]
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("f5")
            await settle(pilot)
            select = app.screen.query_one("#case", Select)
            cases = [value for _, value in select._options if isinstance(value, str)]
            assert cases == ["death", "serious-illness"]
    finally:
        await backend.close()
