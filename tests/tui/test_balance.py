"""余额与明细: the summary, keyset paging, filters, the running balance, CSV export."""

from __future__ import annotations

import csv
from pathlib import Path

from textual.widgets import Input, Static
from tuikit import HOLDER, make_app, settle, table_rows, text_of

from yibao_tui.tui.views.balance import PAGE_SIZE
from yibao_tui.tui.widgets.link import LinkButton
from yibao_tui.tui.widgets.picker import Picker


async def test_summary_shows_this_year(tui_ledger, backend):
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        figures = text_of(app.screen.query_one("#year-figures", Static))
        summary = await backend.summary(tui_ledger.owner, 2025)
        assert "2025" in figures
        from yibao_tui.domain.money import format_fen

        assert format_fen(summary.year_credits_fen) in figures
        assert format_fen(summary.year_spending_fen) in figures
        assert app.screen.query_one("#trend").data


async def test_paging_forward_and_back(tui_ledger, backend):
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#statement")
        first = table_rows(table)
        assert len(first) == PAGE_SIZE
        assert "第 1 / 2 页" in text_of(app.screen.query_one("#page-info", Static))
        assert app.screen.query_one("#prev", LinkButton).disabled
        await pilot.press("n")
        await settle(pilot)
        second = table_rows(table)
        assert second and second[0] != first[0]
        assert second[0][0] <= first[-1][0]  # newest first, continuing where page 1 ended
        assert "第 2 / 2 页" in text_of(app.screen.query_one("#page-info", Static))
        await pilot.press("p")
        await settle(pilot)
        assert table_rows(table) == first
        # to the end: the next button is disabled on the last page
        pages = 1
        while not app.screen.query_one("#next", LinkButton).disabled:
            await pilot.click("#next")
            await settle(pilot)
            pages += 1
            assert pages < 50
        page = await backend.statement(tui_ledger.owner, limit=1000)
        assert (pages - 1) * PAGE_SIZE < len(page.entries) <= pages * PAGE_SIZE


async def test_running_balance_is_right_under_a_date_filter(tui_ledger, backend):
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.query_one("#date-from", Input).value = "2025-03-01"
        screen.query_one("#date-to", Input).value = "2025-06-30"
        await settle(pilot)
        rows = table_rows(screen.query_one("#statement"))
        assert rows and all("2025-03-01" <= r[0][:10] <= "2025-06-30" for r in rows)
        page = await backend.statement(
            tui_ledger.owner, date_from="2025-03-01", date_to="2025-06-30"
        )
        from yibao_tui.domain.money import format_fen

        # newest first: each row's balance minus its amount is the next (older) row's balance
        amounts = [int(r[2].replace("¥", "").replace(",", "").replace(".", "")) for r in rows]
        balances = [int(r[3].replace("¥", "").replace(",", "").replace(".", "")) for r in rows]
        for i in range(len(rows) - 1):
            assert balances[i] - amounts[i] == balances[i + 1]
        assert balances[-1] - amounts[-1] == page.opening_balance_fen
        info = text_of(screen.query_one("#page-info", Static))
        assert format_fen(page.opening_balance_fen) in info
        assert format_fen(page.closing_balance_fen) in info
        assert balances[0] == page.closing_balance_fen


async def test_kind_filter_and_clear(tui_ledger, backend):
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.query_one("#kind", Picker).value = "credit"
        await settle(pilot)
        rows = table_rows(screen.query_one("#statement"))
        assert rows and all(r[1] == "划入" for r in rows)
        await pilot.press("x")
        await settle(pilot)
        kinds = {r[1] for r in table_rows(screen.query_one("#statement"))}
        assert len(kinds) > 1


async def test_a_bad_date_is_marked_and_not_sent(backend):
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        before = table_rows(app.screen.query_one("#statement"))
        field = app.screen.query_one("#date-from", Input)
        field.value = "2025-02-30"
        await settle(pilot)
        assert field.has_class("-invalid")
        assert table_rows(app.screen.query_one("#statement")) == before
        field.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert any("2025-02-30" in n.message for n in app._notifications)


async def test_export_csv_streams_every_entry(tui_ledger, backend, tmp_path):
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        path = app.screen.last_export
        assert path.parent == tmp_path / "exports"
        assert any(str(path) in n.message for n in app._notifications)
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    entries = await backend.statement(tui_ledger.owner, limit=10_000)
    assert len(rows) - 1 == len(entries.entries)
    assert rows[0][:5] == ["时间", "类型", "金额", "余额", "摘要"]
    # oldest first, the last line's balance is the balance now
    balance = await backend.balance(tui_ledger.owner)
    assert rows[-1][3] == f"{balance.balance_fen // 100}.{balance.balance_fen % 100:02d}"


async def test_export_honours_the_filters(backend, tmp_path):
    app = make_app(backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.screen.query_one("#kind", Picker).value = "pharmacy"
        await settle(pilot)
        await pilot.click("#export")
        await settle(pilot)
        path: Path = app.screen.last_export
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    assert len(rows) == 2 and rows[1][5] == "pharmacy"


async def test_statement_cursor_moves_with_keys_and_mouse(backend):
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        view = app.screen.query_one("#statement")
        assert view.has_focus and view.cursor_row == 0
        await pilot.press("down", "down", "end")
        assert view.cursor_row == view.row_count - 1
        assert view.scroll_offset.y > 0  # scrolled to keep the cursor in view
        await pilot.press("home")
        assert view.cursor_row == 0 and view.scroll_offset.y == 0
        await pilot.click("#statement", offset=(5, 3))
        assert view.cursor_row == 2
