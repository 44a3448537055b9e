"""Issue 10 items 10-11 at the service window: the supervisor's operators screen (F8: a list with
actions, confirmations, masked password prompts) and the audit screen (F9: keyset pages, filters,
readable translated masked lines, CSV export)."""

from __future__ import annotations

import csv

from textual.widgets import DataTable, Input, Select, Static

from tests.surfaces.conftest import CLERK, CLERK_PW, SUPER, SUPER_PW, World
from tests.surfaces.kit import ID18, screen_text, settle
from tests.surfaces.test_counter import login, lookup, make
from yibao_tui.backend.base import Actor


def _cells(table: DataTable) -> list[list[str]]:
    return [[c.plain for c in table.get_row_at(i)] for i in range(table.row_count)]


async def _as_supervisor(pilot) -> None:
    await settle(pilot)
    await login(pilot, SUPER, SUPER_PW)
    await pilot.press("escape")
    await settle(pilot)


async def test_supervisor_disables_unlocks_and_resets_a_clerk(world: World):
    app = make(world)
    async with app.run_test(size=(140, 36)) as pilot:
        await _as_supervisor(pilot)
        await pilot.press("f8")
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "OperatorsScreen"
        table = screen.query_one("#operators-table", DataTable)
        rows = _cells(table)
        assert [r[0] for r in rows] == [CLERK, SUPER] and rows[0][3] == "正常"
        table.move_cursor(row=0)
        await pilot.click("#op-disable")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        assert app.screen.focused is not None and app.screen.focused.id == "no"  # defaults to no
        await pilot.press("escape")  # cancelled: nothing changes
        await settle(pilot)
        assert _cells(table)[0][3] == "正常"
        await pilot.click("#op-disable")
        await settle(pilot)
        await pilot.click("#yes")
        await settle(pilot, 6)
        assert _cells(table)[0][3] == "已停用"
        # the clerk's login is now refused exactly like a wrong password
        await pilot.press("f12")
        await settle(pilot)
        await login(pilot, CLERK, CLERK_PW)
        refused = app.screen.query_one("#login-message", Static).content.plain
        assert type(app.screen).__name__ == "CounterLoginScreen" and "工号或密码错误" in refused
        await login(pilot, SUPER, SUPER_PW)
        await pilot.press("escape")
        await pilot.press("f8")
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#operators-table", DataTable)
        table.move_cursor(row=0)
        await pilot.click("#op-enable")
        await settle(pilot)
        await pilot.click("#yes")
        await settle(pilot, 6)
        await pilot.click("#op-reset_password")
        await settle(pilot)
        await pilot.click("#yes")
        await settle(pilot)
        dialog = app.screen
        assert type(dialog).__name__ == "PasswordDialog"
        assert dialog.query_one("#pw1", Input).password and dialog.query_one("#pw2", Input).password
        dialog.query_one("#pw1", Input).value = "brand-new-pass"
        dialog.query_one("#pw2", Input).value = "brand-new-paZZ"
        await pilot.click("#pw-ok")
        await settle(pilot)
        assert type(app.screen).__name__ == "PasswordDialog"  # two different entries: asked again
        assert dialog.query_one("#pw-message", Static).content.plain
        dialog.query_one("#pw2", Input).value = "brand-new-pass"
        # issue 8 defect 15: after the refusal message the OK button did not take a click
        await pilot.click("#pw-ok")
        await settle(pilot, 6)
        assert type(app.screen).__name__ == "OperatorsScreen"
        assert "brand-new-pass" not in screen_text(app)
        assert "密码已重设" in screen.query_one("#operators-info", Static).content.plain
    gate = world.make_backend(Actor("counter"))
    assert (await gate.operator_login(CLERK, "brand-new-pass")).id == CLERK
    actions = [r.action for r in await world.backend().audit(operator=SUPER, limit=50)]
    assert {"operator.disable", "operator.enable", "operator.reset_password", "operator.list"} <= set(actions)


async def test_a_clerk_gets_neither_the_operators_nor_the_audit_screen(world: World):
    app = make(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await login(pilot)
        await pilot.press("escape")
        for key in ("f8", "f9"):
            await pilot.press(key)
            await settle(pilot)
            assert type(app.screen).__name__ not in ("OperatorsScreen", "AuditScreen")


async def test_audit_screen_pages_filters_reads_and_exports(world: World, tmp_path):
    app = make(world)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await login(pilot)  # the clerk reads the owner's data many times
        for _ in range(30):
            await lookup(pilot, world.owner)
        await pilot.press("f12")
        await settle(pilot)
        await _as_supervisor(pilot)
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "AuditScreen"
        screen.query_one("#audit-operator", Input).value = CLERK
        await pilot.click("#audit-search")
        await settle(pilot, 6)
        first = [r.seq for r in screen.rows]
        assert len(first) == 50
        table = screen.query_one("#audit-table", DataTable)
        table.focus()
        await pilot.press("n")
        await settle(pilot, 6)
        second = [r.seq for r in screen.rows]
        assert second and max(second) < min(first)  # older records, none twice
        assert "第 2 页" in screen_text(app)
        await pilot.press("p")
        await settle(pilot, 6)
        assert [r.seq for r in screen.rows] == first
        cells = _cells(table)
        flat = " ".join(" ".join(r) for r in cells)
        assert "经办窗口" in flat and "查看参保人" in flat and "counter" not in flat and "{" not in flat
        assert not ID18.search(flat)
        screen.query_one("#audit-action", Select).value = "operator.login"
        await settle(pilot, 6)
        assert {r.action for r in screen.rows} == {"operator.login"}
        await pilot.click("#audit-export")
        await settle(pilot, 8)
        path = screen.last_export
        assert path is not None and path.exists()
        rows = list(csv.reader(path.open(encoding="utf-8-sig")))
        assert rows[0][:5] == ["序号", "时间", "渠道", "工号", "操作"]
        assert len(rows) == 1 + len(screen.rows) and {r[4] for r in rows[1:]} == {"操作员登录"}
        assert not ID18.search(path.read_text(encoding="utf-8-sig"))
