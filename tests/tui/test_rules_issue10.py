"""Issue 10 rules on screen: a closed holder's binding shows ended in F3."""

from __future__ import annotations

from textual.widgets import DataTable, Static
from tuikit import HOLDER, RELATIVE, clock, make_app, settle, table_rows, text_of

from yibao_tui.ledger.store import Ledger as LedgerStore


async def test_f3_shows_the_closed_holders_binding_ended(bound_ledger, bound_backend):
    counter = LedgerStore(bound_ledger.path, clock=clock, channel="counter", operator="2001")
    counter.operator_add("2001", "李办事员", "clerk", "clerk-pass")
    counter.operator_add("3001", "王主管", "supervisor", "super-pass")
    counter.withdrawal_execute(HOLDER, "death", {"death_certified": "yes", "heir_proven": "yes"},
                               "王继承", "6222020000000001", "3001", "super-pass")
    counter.close()
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        await settle(pilot)
        assert table_rows(app.screen.query_one("#bindings", DataTable)) == []
        assert "已绑定 0 位亲属" in text_of(app.screen.query_one("#family-info", Static))
        await pilot.press("h")
        await settle(pilot)
        rows = table_rows(app.screen.query_one("#bindings", DataTable))
        assert len(rows) == 1 and rows[0][3] == "已解除" and rows[0][6]
        assert rows[0][2] == RELATIVE[:3] + "*" * 11 + RELATIVE[-4:]
