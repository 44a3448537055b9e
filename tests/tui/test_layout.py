"""Issue 8 defect 15: the layout at 80x24 and 100x30 in both languages: the key bar ends with
the palette's key and never cuts a key in half, tables show every column, whole times."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Select
from tuikit import HOLDER, HOLDER_CARD, make_app, settle

from yibao_tui.domain.masking import mask_card
from yibao_tui.tui.widgets.keybar import SWITCH, KeyBar

SIZES = [(80, 24), (100, 30)]
PALETTE = {"zh": "^p 命令", "en": "^p Commands"}
CARD = mask_card(HOLDER_CARD)


def _bar(app) -> str:
    return app.screen.query_one("#keybar").render().plain


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", SIZES)
async def test_every_screen_fits(bound_backend, size, lang):
    app = make_app(bound_backend, person=HOLDER, lang=lang)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key in ("f2", "f3", "f4", "f5"):
            await pilot.press(key)
            await settle(pilot)
            bar = _bar(app)
            assert bar.rstrip().endswith(PALETTE[lang]), (key, bar)
            assert not bar.rstrip().endswith("^f"), (key, bar)
            assert "…" not in bar
            # every key of the screen, or (English at 80 columns) all but the last F-keys that
            # switch screens: the screen's own keys, F1 and Ctrl+F always
            keybar = app.screen.query_one("#keybar", KeyBar)
            items, _ = keybar._items()
            shown = [i for i in items if f" {i[0]} {i[1]}" in bar]
            left_out = [i for i in items if i not in shown]
            if lang == "zh" or size != (80, 24):
                assert not left_out, (key, size, lang, bar)
            assert all(i[4] == SWITCH for i in left_out), (key, bar, left_out)
            assert {"help", "lookup"} <= {i[3] for i in shown}, (key, bar)
            # the person line: the whole masked card number
            line = app.screen.query_one("#person-line").render_line(0).text
            assert CARD in line and "…" not in line, (key, size, lang, line)
            for table in app.screen.query(DataTable):
                wanted = sum(c.get_render_width(table) for c in table.columns.values())
                room = table.scrollable_content_region.width
                assert wanted <= room, (key, size, lang, wanted, room)


async def test_english_relations_are_not_cut(bound_backend):
    """"paternal grandp" at 160 columns: the F4 history's relative column was as wide as the
    Chinese sample; it fits the longest relation name of the language shown."""
    from rich.cells import cell_len

    from yibao_tui.domain.relations import Relation
    from yibao_tui.tui.widgets.common import relation_name

    app = make_app(bound_backend, person=HOLDER, lang="en")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        table = app.screen.query_one("#payments", DataTable)
        longest = max(cell_len(relation_name(r.value)) for r in Relation)
        assert table.columns["relative"].width >= longest + len(" W*")


def test_key_bar_drops_switches_first_then_globals_then_own_keys():
    """The rule of ``KeyBar.fit``: gaps narrow, then the F-keys that switch screens go (the last
    first), then F1/Ctrl+F, then the screen's own keys; ``KEYBAR_KEEP`` last, the palette never."""
    from yibao_tui.tui.widgets.keybar import GLOBAL, KEEP, OWN

    items = [
        ("n", "Next", "n", "next_page", OWN),
        ("e", "Export", "e", "export", OWN),
        ("f1", "Help", "f1", "help", GLOBAL),
        ("f3", "Family", "f3", "family", SWITCH),
        ("f4", "Premium", "f4", "premium", SWITCH),
        ("^f", "Find", "ctrl+f", "lookup", GLOBAL),
        ("f12", "Log out", "f12", "logout", KEEP),
    ]
    palette = ("^p", "Commands", "ctrl+p")

    def ids(width: int) -> tuple[list[str], int]:
        kept, gap = KeyBar.fit(items, palette, width)
        return [i[3] for i in kept], gap

    everything = [i[3] for i in items]
    assert ids(85) == (everything, 1)
    assert ids(84) == (everything, 0)  # 65 + 12 with one space between keys: the gaps went
    assert ids(77) == (everything, 0)
    assert ids(76)[0] == ["next_page", "export", "help", "family", "lookup", "logout"]
    assert ids(65)[0] == ["next_page", "export", "help", "lookup", "logout"]
    assert ids(55)[0] == ["next_page", "export", "help", "logout"]
    assert ids(47)[0] == ["next_page", "export", "logout"]
    assert ids(39)[0] == ["next_page", "logout"]
    assert ids(30)[0] == ["logout"]
    assert ids(23)[0] == []


def _painted(app) -> list[str]:
    """Every line as the compositor paints it on the terminal."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


@pytest.mark.parametrize("size", SIZES)
async def test_the_export_toast_keeps_its_first_character(backend, size):
    """F5's export toast said "出完成" / "单已保存": its first wide character straddled the edge of
    a widget under it (Textualize/textual#6357; ``tui/host/widechars.py``)."""
    app = make_app(backend, person=HOLDER)
    async with app.run_test(size=size, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        app.screen.query_one("#case", Select).value = "emigration"
        await settle(pilot)
        app.screen.query_one("#case", Select).focus()
        await pilot.press("e")
        await settle(pilot)
        await pilot.pause(0.1)
        painted = "\n".join(_painted(app))
        assert "导出完成" in painted, painted
        assert "清单已保存" in painted, painted


def test_textual_still_splits_wide_characters_under_an_overlay():
    """The bug in a bare Textual app, and the host's compositor that draws the toast whole. When
    plain Textual draws it whole too, ``tui/host/widechars.py`` can go."""
    import asyncio

    import textual.screen
    from textual.app import App, ComposeResult
    from textual.containers import Horizontal, Vertical
    from textual.widgets import Static

    from yibao_tui.tui.host import widechars

    class Bare(App[None]):
        CSS = "#left { width: 50%; } #right { width: 1fr; } #inner { margin-left: 2; height: 100%; }"

        def compose(self) -> ComposeResult:
            with Horizontal():
                yield Static("left", id="left")
                with Vertical(id="right"):
                    yield Static("right", id="inner")

    async def toast(compositor: type) -> str:
        saved = textual.screen.Compositor
        textual.screen.Compositor = compositor
        try:
            app = Bare()
            async with app.run_test(size=(80, 24), notifications=True) as pilot:
                app.notify("导出完成，清单已保存", timeout=30)
                await pilot.pause(0.1)
                return "\n".join(_painted(app))
        finally:
            textual.screen.Compositor = saved

    from textual._compositor import Compositor as Plain

    assert "导出完成" not in asyncio.run(toast(Plain)), "Textual draws it whole now"
    assert "导出完成，清单已保存" in asyncio.run(toast(widechars.Compositor))


async def test_the_statement_memo_stays_in_view_in_english_at_80_columns(backend, tui_ledger):
    """English at 80 columns: the kind column was as wide as "commercial health insurance" and
    the amounts as ¥999,999.99, so a memo "for 440***********0081" showed as "for 44" and the rest
    needed scrolling sideways; there, the kind and amount columns are as wide as the page needs."""
    app = make_app(backend, person=tui_ledger.owner, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.screen.query_one("#statement")
        rows = view.row_texts()
        assert any(cells[4].startswith("for 440") for cells in rows), rows  # a memo with an ID
        shown = [view.render_line(y + 1).text for y in range(min(len(rows), view.size.height - 1))]
        for cells, line in zip(rows, shown, strict=False):
            assert cells[1] in line and cells[4] in line, (cells, line)
    async with make_app(backend, person=tui_ledger.owner, lang="en").run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        view = pilot.app.screen.query_one("#statement")
        # where everything fits, the declared widths: columns do not move from page to page
        assert view._widths == [c.width for c in view.columns]


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_lookup_placeholder_is_whole_at_80_columns(backend, lang):
    """English at 80 columns: "… or a name (and year o"."""
    from yibao_tui.i18n import t

    app = make_app(backend, person=HOLDER, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f")
        await settle(pilot)
        painted = "\n".join(_painted(app))
        assert t("ui.lookup.placeholder") in painted, painted
