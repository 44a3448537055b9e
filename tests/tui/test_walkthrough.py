"""Bugs found trying the app in tmux as a person would, and the start-up path (one test each)."""

from __future__ import annotations

import datetime as dt

from rich.console import Console
from textual.widgets import Checkbox, DataTable, Input, Select, Static
from tuikit import HOLDER, RELATIVE, TODAY, make_app, settle, table_rows, text_of

from yibao_tui.tui.views.family import BindForm


async def test_an_open_list_is_closed_with_a_translated_key(bound_backend):
    # The key bar showed Textual's own "esc Dismiss menu" while a list was open.
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        app.screen.query_one("#year", Select).focus()
        await pilot.press("enter")
        await pilot.pause()
        bar = app.screen.query_one("#keybar").render().plain
        assert "esc 收起列表" in bar
        assert "Dismiss" not in bar


async def test_kind_picker_filters_the_statement(backend):
    # The kind filter is a one-widget picker whose list opens in a dialog (start-up: no Select).
    from yibao_tui.tui.widgets.dialogs import PickerDialog

    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        picker = app.screen.query_one("#kind")
        picker.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PickerDialog)
        await pilot.press("escape")  # keeps the choice
        await pilot.pause()
        assert picker.value is None and "全部类型" in picker.render().plain
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # all kinds → credit → outpatient
        await settle(pilot)
        assert app.focused is picker
        assert picker.value == "outpatient" and "门诊" in picker.render().plain
        kinds = {row[1] for row in table_rows(app.screen.query_one("#statement"))}
        assert kinds == {"门诊"}
        await pilot.press("x")  # clear filters
        await settle(pilot)
        assert picker.value is None
        kinds = {row[1] for row in table_rows(app.screen.query_one("#statement"))}
        assert len(kinds) > 1


async def test_palette_says_no_match_in_the_users_language(backend):
    # The command palette's "No matches found" line was English in the Chinese app.
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"zzqq")
        await pilot.pause(0.8)  # the palette waits half a second before saying so
        from textual.command import CommandList

        options = app.screen.query_one(CommandList)
        prompts = [str(getattr(o.prompt, "renderable", o.prompt)) for o in options.options]
        assert any("没有匹配的命令" in p for p in prompts), prompts
        assert not any("No matches" in p for p in prompts)


async def test_premium_opens_on_a_configured_year(bound_backend):
    # On a day of 2026 the form opened on 2026, whose standard is not configured (2024 and 2025
    # are): choosing the relative gave "no premium standard for 2026" instead of a quote. Now the
    # years come from the Backend (its today, 2025-12-01, and the sample policy): the form opens
    # on the newest open year, whatever day the app thinks it is.
    from yibao_tui.tui.laptop.app import YibaoApp

    app = YibaoApp(
        bound_backend,
        person=HOLDER,
        today=dt.date(2026, 3, 1),
        cursor_blink=False,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert app.screen.query_one("#year", Select).value == 2026
        panel = text_of(app.screen.query_one("#quote-panel", Static))
        assert "2026 年度居民医保" in panel and "¥400.00" in panel


async def test_bind_form_keeps_the_focus_in_the_form_after_a_refusal(backend):
    # After a refused first binding (no pledge), the focus had moved on to Cancel, so the next
    # Enter closed the form and everything typed was lost.
    app = make_app(backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, BindForm)
        form.query_one("#relative-id", Input).value = RELATIVE
        form.query_one("#relation", Select).value = "spouse"
        await pilot.pause()
        await pilot.click("#submit")
        await settle(pilot)
        assert "承诺书" in text_of(form.query_one("#form-error", Static))
        assert app.focused is form.query_one("#pledge", Checkbox)
        await pilot.press("space")  # agree, where the focus is
        await pilot.press("shift+tab", "shift+tab", "shift+tab")  # back to the ID: press Enter
        assert app.focused is form.query_one("#relative-id", Input)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is not form
        rows = table_rows(app.screen.query_one("#bindings", DataTable))
        assert [r[0] for r in rows] == ["配偶"]


async def test_history_says_how_many_rows_it_shows(bound_backend):
    # With history shown, the line said "0 relatives bound (ended ones too)" above one row.
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await bound_backend.unbind(HOLDER, RELATIVE)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        info = text_of(app.screen.query_one("#family-info", Static))
        assert info == "已绑定 0 位亲属（上限 6 人） · 绑定历史 1 条（含已解除）"
        assert len(table_rows(app.screen.query_one("#bindings", DataTable))) == 1


def test_help_wraps_under_its_own_column():
    # A long screen description wrapped to the left edge, under the keys.
    from yibao_tui.tui.laptop.help import help_text

    console = Console(width=60, record=True, color_system=None)
    console.print(help_text())
    lines = console.export_text().splitlines()
    start = lines.index("余额与明细") + 1
    paragraph = []
    for line in lines[start:]:
        if line.strip().startswith("N / P"):
            break
        paragraph.append(line)
    assert len(paragraph) >= 2  # it does wrap at 60 columns
    assert all(line.startswith("  ") for line in paragraph), paragraph
    key_rows = [line for line in lines if "Tab / Shift+Tab" in line]
    assert key_rows and key_rows[0].index("在控件之间移动") == 18


async def test_premium_history_fits_100_columns(bound_backend):
    # The payments table was wider than the screen: its time column was cut off.
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await bound_backend.premium_pay(HOLDER, RELATIVE, 2025)
        await pilot.press("f4")
        await settle(pilot)
        table = app.screen.query_one("#payments", DataTable)
        assert table.row_count == 1
        assert table.virtual_size.width <= table.scrollable_content_region.width
        relative = table_rows(table)[0][2]
        assert relative.startswith("配偶 ") and RELATIVE[-4:] not in relative


async def test_statement_says_whom_a_movement_was_for(tui_ledger, backend):
    # A relative's bill paid from the account showed a bare masked ID in the memo column.
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        memos = [row[4] for row in table_rows(app.screen.query_one("#statement"))]
        for_others = [m for m in memos if "*" in m]
        assert for_others and all("为 " in m for m in for_others), memos


async def test_first_screen_is_read_once_before_it_is_built(tui_ledger, backend):
    """The person, the year's figures and the first page are read before the balance screen is
    composed, once each, so the first paint has them (no second round of reads)."""
    calls: list[str] = []
    for name in ("person", "summary", "statement"):
        original = getattr(backend, name)

        async def counted(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return await _original(*args, **kwargs)

        setattr(backend, name, counted)
    app = make_app(backend, person=tui_ledger.owner)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.person is not None and app.person.id == tui_ledger.owner
        assert "第 1 / 2 页" in text_of(app.screen.query_one("#page-info", Static))
        await settle(pilot)
        assert sorted(calls) == ["person", "statement", "summary"]
        assert app.current_mode == "_default"
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert type(app.screen).__name__ == "BalanceScreen"
        assert "第 1 / 2 页" in text_of(app.screen.query_one("#page-info", Static))
    assert TODAY.year == 2025


def test_only_bare_options_start_the_app():
    from yibao_tui.__main__ import starts_the_app

    assert starts_the_app([])
    assert starts_the_app(["--db", "x.db", "--lang", "en", "--person=110", "--json"])
    assert not starts_the_app(["balance", "110"])
    assert not starts_the_app(["--db", "x.db", "demo"])
    assert not starts_the_app(["--help"])
    assert not starts_the_app(["--db"])


def test_the_app_options_read_without_argparse_are_app_parsers():
    """``cli._plain_app_args`` (the start path without argparse) reads the options as
    ``app_parser`` does, and ``APP_VALUED``/``APP_FLAGS`` name every option ``app_parser`` has."""
    from yibao_tui.__main__ import APP_FLAGS, APP_VALUED
    from yibao_tui.cli import _plain_app_args
    from yibao_tui.cli.parser import app_parser

    parser = app_parser()
    options = {s for a in parser._actions for s in a.option_strings if s.startswith("--") and s != "--help"}
    assert options == set(APP_VALUED) | set(APP_FLAGS)
    for argv in ([], ["--db", "x.db", "--lang", "en", "--person=110", "--json"],
                 ["--backend=http://127.0.0.1:1", "--insecure", "--lang=zh"]):
        plain = _plain_app_args(argv)
        assert plain is not None and vars(plain) == vars(parser.parse_args(argv)), argv
    assert _plain_app_args(["--lang", "fr"]) is None  # unusual: argparse says why
