"""Issue 8 defect 15: the layout at 80x24 and 100x30 in both languages: the key bar ends with
the palette's key and never cuts a key in half, tables show every column, whole times."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable
from tuikit import HOLDER, make_app, settle

SIZES = [(80, 24), (100, 30)]
PALETTE = {"zh": "^p 命令", "en": "^p Commands"}


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
