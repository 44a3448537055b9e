"""The app as a whole: start-up, the person lookup, help, palette, theme, errors, sizes."""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable, Digits, Input, Static
from tuikit import (
    HOLDER,
    HOLDER_CARD,
    make_app,
    open_backend,
    settle,
    table_rows,
    text_of,
)

from yibao_tui.settings import Settings
from yibao_tui.tui.laptop.help import HelpScreen
from yibao_tui.tui.views.balance import BalanceScreen
from yibao_tui.tui.views.lookup import LookupScreen


async def test_opens_the_demo_owner_on_the_balance_screen(tui_ledger, backend):
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, BalanceScreen)
        assert app.person.id == tui_ledger.owner
        digits = app.screen.query_one("#balance-digits", Digits)
        balance = (await backend.balance(tui_ledger.owner)).balance_fen
        assert digits.value.replace(",", "") == f"{balance // 100}.{balance % 100:02d}"
        assert app.screen.query_one("#statement").row_count > 0
    # remembered by card number, never the full ID number (issue 9 item 8)
    saved = Settings.load()
    assert saved.last_person == app.person.card and saved.last_person != tui_ledger.owner
    assert saved.last_person_masked and tui_ledger.owner not in Settings.path().read_text("utf-8")


async def test_person_flag_wins_and_is_remembered(tui_ledger):
    backend = open_backend(tui_ledger.path)
    app = make_app(backend, person=HOLDER)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.person.id == HOLDER
    await backend.close()
    backend = open_backend(tui_ledger.path)
    app = make_app(backend)  # no --person: the one shown last time
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.person.id == HOLDER
    await backend.close()


async def test_unknown_person_flag_is_a_message_not_a_crash(backend):
    app = make_app(backend, person="11010519491231002X")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.person is None
        # the message names the ID, masked like every ID on screen
        assert any("110***********002X" in n.message for n in app._notifications)
        assert not any("11010519491231002X" in n.message for n in app._notifications)
        assert app.is_running


async def _start_dialog(pilot):
    from yibao_tui.tui.laptop.start import StartDialog

    for _ in range(40):
        await pilot.pause()
        if isinstance(pilot.app.screen, StartDialog):
            return pilot.app.screen
    raise AssertionError(f"no start dialog: {pilot.app.screen}")


async def _pauses(pilot, n: int = 8) -> None:
    """Pauses, not ``settle``: the start worker waits on the open dialog while it is shown."""
    for _ in range(n):
        await pilot.pause(0.02)


async def test_empty_ledger_offers_demo_data(tmp_path):
    backend = open_backend(tmp_path / "empty.db")
    app = make_app(backend)
    async with app.run_test() as pilot:
        await _start_dialog(pilot)
        await pilot.click("#demo")
        await settle(pilot)
        assert app.person is not None
        assert app.person.id == await backend.demo_owner()
        assert not await backend.is_empty()
    await backend.close()


async def test_an_empty_ledger_is_not_a_dead_end(tmp_path):
    """Issue 8 defect 7: declining the demo data left a screen with nothing to do (F2-F5
    gone, Ctrl+F finding nobody). Now the empty ledger offers the demo, a roster import,
    registering a person and the lookup; Escape and Ctrl+F come back to them."""
    from yibao_tui.tui.laptop.start import AddPersonDialog, ImportDialog

    backend = open_backend(tmp_path / "empty.db")
    app = make_app(backend, offer_demo=False)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await _start_dialog(pilot)
        assert [b.id for b in dialog.query("Button")] == ["import", "add", "lookup"]
        await pilot.press("escape")
        await _pauses(pilot)
        await pilot.press("ctrl+f")  # nobody to find: the choices again
        dialog = await _start_dialog(pilot)
        # a roster with a bad row imports nothing and says which line
        roster = tmp_path / "roster.csv"
        roster.write_text(
            f"id,name,scheme,region\n{HOLDER},张三,employee,440300\n123,李四,employee,440300\n",
            encoding="utf-8",
        )
        await pilot.click("#import")
        await _pauses(pilot)
        assert isinstance(app.screen, ImportDialog)
        app.screen.query_one("#path", Input).value = str(roster)
        await pilot.click("#submit")
        await _pauses(pilot)
        message = text_of(app.screen.query_one("#import-error", Static))
        assert "第 3 行" in message and await backend.is_empty()
        await pilot.press("escape")
        await _pauses(pilot)
        await pilot.press("ctrl+f")
        await _start_dialog(pilot)
        await pilot.click("#add")
        await _pauses(pilot)
        form = app.screen
        assert isinstance(form, AddPersonDialog)
        form.query_one("#new-id", Input).value = HOLDER
        form.query_one("#new-name", Input).value = "张三"
        form.query_one("#new-region", Input).value = "440300"
        await pilot.click("#submit")
        await _pauses(pilot)
        assert app.person is not None and app.person.id == HOLDER
        assert type(app.screen).__name__ == "BalanceScreen"
        keys = app.screen.query_one("#keybar").render().plain
        assert "f3 共济" in keys and "^f 查找" in keys
    await backend.close()


async def _lookup(pilot, text: str) -> str:
    app = pilot.app
    await pilot.press("ctrl+f")
    await pilot.pause()
    assert isinstance(app.screen, LookupScreen)
    app.screen.query_one("#who", Input).value = text
    await pilot.press("enter")
    await settle(pilot)
    if isinstance(app.screen, LookupScreen):
        return text_of(app.screen.query_one("#lookup-message", Static))
    return ""


async def test_lookup_by_id_and_by_card(tui_ledger, backend):
    app = make_app(backend)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert await _lookup(pilot, HOLDER) == ""
        assert app.person.id == HOLDER
        assert isinstance(app.screen, BalanceScreen)
        assert await _lookup(pilot, tui_ledger.owner) == ""
        assert app.person.id == tui_ledger.owner
        assert await _lookup(pilot, HOLDER_CARD) == ""
        assert app.person.id == HOLDER


async def test_lookup_refusals_are_inline(backend):
    app = make_app(backend)
    async with app.run_test() as pilot:
        await settle(pilot)
        before = app.person
        bad_check = HOLDER[:-1] + ("0" if HOLDER[-1] != "0" else "1")
        message = await _lookup(pilot, bad_check)
        assert "校验码错误" in message
        await pilot.press("escape")
        message = await _lookup(pilot, "11010519491231002X")  # valid, not registered
        assert "查无此人" in message and "11010519491231002X" in message
        await pilot.press("escape")
        message = await _lookup(pilot, "1101051949123")  # too short for an ID: a card
        assert "查无此人" in message
        await pilot.press("escape")
        message = await _lookup(pilot, "  ")
        assert message == "请输入身份证号、社保卡号或姓名"
        await pilot.press("escape")
        await pilot.pause()
        assert app.person == before


async def test_lookup_says_what_is_wrong_while_typing(backend):
    app = make_app(backend)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f")
        await pilot.pause()
        await pilot.press(*"110105194913310021")
        await pilot.pause()
        assert "出生日期" in text_of(app.screen.query_one("#lookup-message", Static))


async def test_f_keys_switch_screens_and_f1_helps(backend):
    app = make_app(backend)
    async with app.run_test() as pilot:
        await settle(pilot)
        for key, name in (
            ("f3", "FamilyScreen"),
            ("f4", "PremiumScreen"),
            ("f5", "WithdrawalScreen"),
            ("f2", "BalanceScreen"),
        ):
            await pilot.press(key)
            await settle(pilot)
            assert type(app.screen).__name__ == name
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_text = text_of(app.screen.query_one("#help-text", Static))
        for needle in (
            "F1",
            "F2",
            "F3",
            "F4",
            "F5",
            "Ctrl+F",
            "Ctrl+P",
            "余额与明细",
            "家庭共济",
            "代缴保费",
            "提取资格",
        ):
            assert needle in help_text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BalanceScreen)


async def test_palette_offers_every_screen_and_action(backend):
    app = make_app(backend)
    async with app.run_test() as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for needle in (
            "余额与明细",
            "家庭共济",
            "代缴保费",
            "提取资格",
            "查找参保人",
            "帮助",
            "切换主题",
            "退出",
            "导出明细为 CSV",
            "明细：下一页",
        ):
            assert any(needle in title for title in titles), needle
        await pilot.press("f3")
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "绑定亲属" in titles and "解除绑定" in titles
        # a palette command runs on the screen showing
        [bind] = [c for c in app.get_system_commands(app.screen) if c.title == "绑定亲属"]
        bind.callback()
        await settle(pilot)
        assert type(app.screen).__name__ == "BindForm"


async def test_palette_opens_with_ctrl_p(backend):
    app = make_app(backend)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        from textual.command import CommandPalette

        assert isinstance(app.screen, CommandPalette)


async def test_theme_is_remembered(tui_ledger):
    backend = open_backend(tui_ledger.path)
    app = make_app(backend)
    async with app.run_test() as pilot:
        await settle(pilot)
        app.theme = "nord"
        await pilot.pause()
    await backend.close()
    saved = json.loads(Settings.path().read_text("utf-8"))
    assert saved["theme"] == "nord"
    backend = open_backend(tui_ledger.path)
    app = make_app(backend)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == "nord"
    await backend.close()


async def test_masking_toggles(backend):
    app = make_app(backend, person=HOLDER)
    async with app.run_test() as pilot:
        await settle(pilot)
        line = text_of(app.screen.query_one("#person-line", Static))
        assert HOLDER not in line and HOLDER[:3] + "*" in line
        await pilot.press("f6")
        await settle(pilot)
        assert HOLDER in text_of(app.screen.query_one("#person-line", Static))


async def test_a_failing_backend_becomes_a_notification(backend):
    app = make_app(backend)
    async with app.run_test() as pilot:
        await settle(pilot)
        await backend.close()  # every later call fails
        await pilot.press("f3")
        await settle(pilot)
        assert app.is_running
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and errors[-1].title == "出错了"


def test_report_error_handles_any_exception():
    from yibao_tui.tui.widgets.common import error_text

    assert "ValueError" in error_text(ValueError("x"))
    assert "意外错误" in error_text(ValueError("x"))


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_every_screen_fits(bound_backend, size):
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key, wanted in (
            ("f2", "#statement"),
            ("f3", "#bindings"),
            ("f4", "#payments"),
            ("f5", "#case"),
        ):
            await pilot.press(key)
            await settle(pilot)
            widget = app.screen.query_one(wanted)
            assert widget.region.height >= 1 and widget.region.width >= 20, (key, widget.region)
            assert widget.region.right <= size[0] and widget.region.bottom <= size[1]
        await pilot.press("f2")
        await settle(pilot)
        table = app.screen.query_one("#statement")
        assert table.region.height >= 5
        assert table_rows(table)


async def test_english(bound_backend):
    app = make_app(bound_backend, person=HOLDER, lang="en")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.title == "Medical insurance personal account"
        assert app.screen.sub_title == "Balance & statement"
        line = text_of(app.screen.query_one("#person-line", Static))
        assert "employee insurance" in line and "Shenzhen" in line
        descriptions = {b.binding.description for b in app.screen.active_bindings.values()}
        assert {"Help", "Balance", "Family", "Next", "Export"} <= descriptions
        await pilot.press("f3")
        await settle(pilot)
        rows = table_rows(app.screen.query_one("#bindings", DataTable))
        assert rows[0][0] == "spouse"


def test_start_imports_only_the_first_screen():
    import subprocess
    import sys

    code = (
        "import sys, yibao_tui.tui.laptop.app, yibao_tui.tui.views.balance;"
        "print(sorted(m for m in sys.modules if m.startswith('yibao_tui.tui')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = out.stdout.strip()
    for lazy in ("views.family", "views.premium", "views.withdrawal", "laptop.help", "views.lookup",
                 "widgets.dialogs"):
        assert f"'yibao_tui.tui.{lazy}'" not in loaded



def test_the_first_screen_reads_no_policy_model(tui_ledger, monkeypatch):
    """Launch speed: opening the ledger, reading the first screen's data and naming the region
    import neither the rules nor the policy model (nor parse the whole policy file), when no
    site file is configured (the suite's sample policy is one: a site file's names are read with
    the rest of the policy)."""
    import subprocess
    import sys

    monkeypatch.delenv("YIBAO_POLICY")

    code = (
        "import asyncio, sys\n"
        "from yibao_tui.backend.base import Actor\n"
        "from yibao_tui.backend.local import LocalBackend\n"
        "from yibao_tui.tui.widgets.common import region_label\n"
        "async def main():\n"
        f"    b = LocalBackend({str(tui_ledger.path)!r}, actor=Actor('tui'))\n"
        f"    p = await b.person({HOLDER!r})\n"
        "    await b.summary(p.id, 2025)\n"
        "    await b.statement(p.id, limit=20)\n"
        "    print(region_label(p.region))\n"
        "    await b.close()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.startswith('yibao_tui.domain')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("深圳 440300"), out.stdout
    for lazy in ("policy", "rules", "withdrawal"):
        assert f"'yibao_tui.domain.{lazy}'" not in out.stdout

async def test_keybar_shows_the_keys_and_clicks_press_them(backend):
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#keybar")
        text = bar.render().plain
        for needle in ("f1 帮助", "f3 共济", "n 下一页", "^p 命令"):
            assert needle in text
        assert "f2" not in text  # the screen shown: its key is left out
        from rich.cells import cell_len

        start = cell_len(text[: text.index("f3 共济")])
        await pilot.click("#keybar", offset=(start + 1, 0))
        await settle(pilot)
        assert type(app.screen).__name__ == "FamilyScreen"
