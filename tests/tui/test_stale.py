"""Issue 8 defect 12: when the server goes down, the data on screen is marked stale with its
time until a refresh succeeds (the real reference server on 127.0.0.1, stopped and started)."""

from __future__ import annotations

import re

from textual.widgets import Static
from tuikit import HOLDER, make_app, settle, text_of

from tests.http.conftest import LiveServer
from yibao_tui.backend.http import HttpBackend


async def test_the_balance_is_marked_stale_while_the_server_is_down(sync_ledger):
    server = LiveServer(sync_ledger.path).start()
    port = server.port
    backend = HttpBackend(server.url, server.token("admin", label="stale"), retries=0, backoff=0.01)
    app = make_app(backend, person=HOLDER)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            line = app.screen.query_one("#person-line", Static)
            assert "服务器无法连接" not in text_of(line)
            server.stop()
            app.screen.refresh_data()  # what the retry timer and F2 after another screen do
            await settle(pilot)
            marked = text_of(line)
            assert re.search(r"服务器无法连接，显示的是 \d\d:\d\d:\d\d 的数据", marked), marked
            failures = [n for n in app._notifications if "无法连接服务器" in n.message]
            assert len(failures) == 1
            assert "ConnectError" not in failures[0].message  # defect 14: said in words
            app.screen.refresh_data()  # still down: still marked, not said again
            await settle(pilot)
            assert "服务器无法连接" in text_of(line)
            assert len([n for n in app._notifications if "无法连接服务器" in n.message]) == 1
            await pilot.press("f3")  # every screen shows the mark
            await settle(pilot)
            assert "服务器无法连接" in text_of(app.screen.query_one("#person-line", Static))
            await pilot.press("f2")
            await settle(pilot)
            server = LiveServer(sync_ledger.path, port=port).start()
            app.screen.refresh_data()
            await settle(pilot)
            assert "服务器无法连接" not in text_of(app.screen.query_one("#person-line", Static))
            await pilot.press("f3")
            await settle(pilot)
            assert "服务器无法连接" not in text_of(app.screen.query_one("#person-line", Static))
    finally:
        await backend.close()
        server.stop()
