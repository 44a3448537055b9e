"""Issue 8 defect 8 / issue 10 item 9: ctrl+f with a name finds people by name (masked namesakes,
a page at a time, one chosen opens), or says that it needs an ID or card number."""

from __future__ import annotations

import datetime as dt

from textual.widgets import Input, OptionList, Static

from tests.tui.tuikit import HOLDER, MARKUP_NAME, clock, make_app, settle, text_of
from yibao_tui.backend.base import Actor
from yibao_tui.backend.local import LocalBackend
from yibao_tui.domain.idnum import make_id
from yibao_tui.tui.views.lookup import LookupScreen

WU = [make_id("440300", dt.date(y, 3, 3), 600 + i) for i, y in enumerate((1990, 1975, 1990, 2001))]


async def _type(pilot, text: str) -> None:
    await pilot.press("ctrl+f")
    await pilot.pause()
    assert isinstance(pilot.app.screen, LookupScreen)
    pilot.app.screen.query_one("#who", Input).value = text
    await pilot.press("enter")
    await settle(pilot)


async def test_a_name_lists_masked_namesakes_and_opens_the_one_chosen(backend):
    for pid in WU:
        await backend.add_person(pid, "吴丽", "resident", "440300")
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _type(pilot, "吴 丽")
        screen = app.screen
        assert isinstance(screen, LookupScreen)
        options = screen.query_one("#lookup-matches", OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert len(labels) == 4 and all(label.startswith("吴*") for label in labels)
        assert not any(pid in label for pid in WU for label in labels)
        assert "1975-03-03" in labels[0]  # oldest first
        assert "4" in text_of(screen.query_one("#lookup-message", Static))
        await pilot.press("down", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, LookupScreen)
        assert app.person.id in (WU[0], WU[2])  # the second of the four: born 1990
        await _type(pilot, "吴丽 2001")
        options = app.screen.query_one("#lookup-matches", OptionList)
        assert options.option_count == 1
        await pilot.press("enter")
        await settle(pilot)
        assert app.person.id == WU[3]
        await _type(pilot, "吴丽 1950")
        assert text_of(app.screen.query_one("#lookup-message", Static)).startswith("查无此人：吴丽 1950。按姓名查找须输入完整姓名")
        await pilot.press("escape")
        await _type(pilot, MARKUP_NAME)  # a name full of markup is found and shown literally
        options = app.screen.query_one("#lookup-matches", OptionList)
        assert options.option_count == 1 and str(options.get_option_at_index(0).prompt).startswith("[")
        await pilot.press("enter")
        await settle(pilot)
        assert app.person.id == HOLDER
    rows = [r for r in await backend.audit(limit=50) if r.action == "person.find"]
    assert len(rows) == 4 and all("吴丽" not in r.detail for r in rows)


async def test_without_the_right_to_search_it_asks_for_an_id_or_card(tui_ledger):
    kiosk = LocalBackend(tui_ledger.path, actor=Actor("kiosk"), clock=clock)
    app = make_app(kiosk)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await _type(pilot, "吴丽")
            message = text_of(app.screen.query_one("#lookup-message", Static))
            assert message == "按姓名查找仅限工作人员：请输入身份证号或社保卡号"
    finally:
        await kiosk.close()
