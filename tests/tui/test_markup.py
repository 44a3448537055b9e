"""User and database text is never markup: ``[/b]张三[bold]`` and ``[TODO]`` show literally."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Select, Static
from tuikit import (
    CHILD,
    HOLDER,
    MARKUP_NAME,
    RELATIVE,
    TODO_NAME,
    make_app,
    settle,
    table_rows,
    text_of,
)

from yibao_tui.tui.views.premium import PremiumConfirm
from yibao_tui.tui.widgets.dialogs import MessageDialog


def _screen_text(app) -> str:
    return app.export_screenshot().replace("&#160;", " ")


async def test_markup_names_show_literally_on_every_screen(bound_backend, tmp_path):
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("f6")  # show full names: the literal text must survive
        await settle(pilot)
        # balance: the person line and a memo with markup
        assert MARKUP_NAME in text_of(app.screen.query_one("#person-line", Static))
        memos = [r[4] for r in table_rows(app.screen.query_one("#statement"))]
        assert "[b]memo[/b] 划入" in memos
        svg = _screen_text(app)
        assert MARKUP_NAME in svg and "[b]memo[/b] 划入" in svg
        # family
        await pilot.press("f3")
        await settle(pilot)
        assert MARKUP_NAME in text_of(app.screen.query_one("#person-line", Static))
        rows = table_rows(app.screen.query_one("#bindings", DataTable))
        assert rows[0][1] == TODO_NAME
        assert TODO_NAME in _screen_text(app)
        # a binding made through the form: the notification shows the name literally
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        form.query_one("#relative-id", Input).value = CHILD
        form.query_one("#relation", Select).value = "child"
        form.query("RadioButton")[1].value = True
        await pilot.click("#submit")
        await settle(pilot)
        assert any("[i]小明" in n.message for n in app._notifications)
        assert "[i]小明" in [r[1] for r in table_rows(app.screen.query_one("#bindings", DataTable))]
        # premium: picker, quote, confirmation, receipt, history
        await pilot.press("f4")
        await settle(pilot)
        app.screen.query_one("#relative", Select).value = RELATIVE
        app.screen.query_one("#year", Select).value = 2025
        await settle(pilot)
        assert TODO_NAME in text_of(app.screen.query_one("#quote-panel", Static))
        assert TODO_NAME in _screen_text(app)
        await pilot.click("#pay")
        await pilot.pause()
        assert isinstance(app.screen, PremiumConfirm)
        assert TODO_NAME in _screen_text(app)
        await pilot.click("#confirm")
        await settle(pilot)
        assert isinstance(app.screen, MessageDialog)
        assert TODO_NAME in text_of(app.screen.query_one("#message-body", Static))
        await pilot.press("escape")
        await settle(pilot)
        assert TODO_NAME in table_rows(app.screen.query_one("#payments", DataTable))[0][2]
        # withdrawal: the person line and the exported checklist
        await pilot.press("f5")
        await settle(pilot)
        assert MARKUP_NAME in _screen_text(app)
        app.screen.query_one("#case", Select).value = "death"
        await settle(pilot)
        app.screen.query_one("#case", Select).focus()
        await pilot.press("e")
        await settle(pilot)
        assert MARKUP_NAME in app.screen.last_export.read_text("utf-8")
        # the lookup echoes what was typed, literally
        await pilot.press("ctrl+f")
        await pilot.pause()
        app.screen.query_one("#who", Input).value = "[/b]x[TODO]"
        await pilot.press("enter")
        await settle(pilot)
        assert text_of(app.screen.query_one("#lookup-message", Static)).startswith("查无此人：[/b]x[TODO]。")
        assert app.is_running


async def test_masked_markup_names_do_not_break_either(bound_backend):
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        for key in ("f2", "f3", "f4", "f5"):
            await pilot.press(key)
            await settle(pilot)
            line = text_of(app.screen.query_one("#person-line", Static))
            assert line.startswith("[" + "*" * 10 + "]  ")
        assert app.is_running
