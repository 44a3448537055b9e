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
