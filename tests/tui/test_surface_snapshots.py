"""The main screen of each surface at 80x24 and 100x30, in Chinese and in English (issue 8: the
snapshots are reviewed, not just regenerated): the laptop's F2 (its other three are in
test_snapshots.py), the counter's F2 with a person looked up, the kiosk's home after card and PIN.
And the kiosk's statement at 80 columns in English, whose kind column cut "monthly cre…".

Frozen clocks and ledger, no animations, no blinking cursor; update with ``--snapshot-update``
and read the report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from textual.widgets import DataTable, Input
from tuikit import TODAY, clock, close_quietly, make_app, open_backend, settle

from yibao_tui.backend.base import Actor
from yibao_tui.backend.local import LocalBackend
from yibao_tui.domain.idnum import make_id
from yibao_tui.ledger.access import hash_secret
from yibao_tui.tui.host.idle import FakeClock

SIZES = [(80, 24), (100, 30)]
LANGS = ["zh", "en"]
CLERK, CLERK_PW = "A001", "clerk-pass-1"
PIN = "246810"


@pytest.fixture
def surfaces(sync_ledger) -> Iterator[tuple[Callable[[Actor], LocalBackend], str, str]]:
    """A backend factory on the test ledger with a clerk and a PIN on the demo owner's card,
    the owner and the owner's card."""
    made: list[LocalBackend] = []

    def make_backend(actor: Actor) -> LocalBackend:
        backend = LocalBackend(sync_ledger.path, actor=actor, clock=clock)
        made.append(backend)
        return backend

    async def setup() -> str:
        backend = open_backend(sync_ledger.path)
        try:
            await backend.operator_add(CLERK, "王芳", "clerk", CLERK_PW)
            await backend.operator_add("S001", "李主管", "supervisor", "super-pass-1")
            card = (await backend.person(sync_ledger.owner)).card
            assert card
            await backend.card_set_pin(card, PIN)
            return card
        finally:
            await backend.close()

    card = asyncio.run(setup())
    yield make_backend, sync_ledger.owner, card
    for backend in made:
        asyncio.run(close_quietly(backend))


def test_laptop_balance_80x24_english(snap_compare, sync_ledger):
    backend = open_backend(sync_ledger.path)
    try:
        app = make_app(backend, person=sync_ledger.owner, lang="en")
        assert snap_compare(app, terminal_size=(80, 24), run_before=settle)
    finally:
        asyncio.run(close_quietly(backend))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES, ids=["80x24", "100x30"])
def test_counter_balance(snap_compare, surfaces, size, lang):
    from yibao_tui.tui.counter.app import CounterApp

    make_backend, owner, _ = surfaces

    async def run_before(pilot):
        await settle(pilot)
        pilot.app.screen.query_one("#op-id", Input).value = CLERK
        pilot.app.screen.query_one("#op-pw", Input).value = CLERK_PW
        await pilot.click("#login")
        await settle(pilot)
        await pilot.press("ctrl+f")
        await settle(pilot)
        pilot.app.screen.query_one("#who", Input).value = owner
        await pilot.press("enter")
        await settle(pilot)

    app = CounterApp(make_backend, window="3", lang=lang, today=TODAY, clock=FakeClock(), cursor_blink=False)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def _kiosk(make_backend: Callable[[Actor], LocalBackend], lang: str):
    from yibao_tui.tui.kiosk.app import KioskApp
    from yibao_tui.tui.kiosk.config import KioskConfig

    config = KioskConfig(admin_pin_hash=hash_secret("13572468"), idle_seconds=60, countdown_seconds=10)
    return KioskApp(make_backend, config, lang=lang, today=TODAY, clock=FakeClock(), cursor_blink=False)


async def _sign_in(pilot, card: str) -> None:
    await settle(pilot)
    await pilot.press(*card, "enter")
    await settle(pilot)
    await pilot.press(*PIN, "enter")
    await settle(pilot)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES, ids=["80x24", "100x30"])
def test_kiosk_home(snap_compare, surfaces, size, lang):
    make_backend, _, card = surfaces

    async def run_before(pilot):
        await _sign_in(pilot, card)

    assert snap_compare(_kiosk(make_backend, lang), terminal_size=size, run_before=run_before)


def test_kiosk_statement_keeps_kind_names_whole_at_80_columns(surfaces):
    """English at 80 columns: the kind column was as wide as the room left after a masked ID's
    memo, "monthly cre…"; it takes what the page's memos leave."""
    make_backend, _, card = surfaces

    async def run() -> list[str]:
        app = _kiosk(make_backend, "en")
        async with app.run_test(size=(80, 24)) as pilot:
            await _sign_in(pilot, card)
            await pilot.press("1")
            await settle(pilot)
            table = app.screen.query_one("#statement", DataTable)
            assert table.row_count
            return [table.get_row_at(i)[1].plain for i in range(table.row_count)]

    kinds = asyncio.run(run())
    assert "monthly credit" in kinds
    assert not any("…" in k for k in kinds), kinds


def test_an_id_in_a_kiosk_memo_keeps_its_room():
    """The memo column still keeps a masked ID's width when a page's memos need it."""
    from yibao_tui.domain.masking import mask_id
    from yibao_tui.tui.kiosk.account import MEMO_MIN, statement_widths

    masked = mask_id(make_id("440300", TODAY.replace(year=1990), 11))
    widths = dict(statement_widths(80, ["commercial-insurance", "credit"], [masked]))
    assert widths["memo"] >= MEMO_MIN
    widths = dict(statement_widths(80, ["credit"], ["x"]))
    assert widths["memo"] + widths["kind"] == 30


@pytest.mark.parametrize("lang", LANGS)
def test_counter_login_has_the_key_bar_of_every_screen(surfaces, lang):
    """The login screen had Textual's Footer: a stray "▏" before "^p", in another style."""
    from yibao_tui.i18n import t
    from yibao_tui.tui.counter.app import CounterApp
    from yibao_tui.tui.widgets.keybar import KeyBar

    make_backend, _, _ = surfaces

    async def run() -> str:
        app = CounterApp(make_backend, window="3", lang=lang, today=TODAY, clock=FakeClock(), cursor_blink=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            return app.screen.query_one(KeyBar).render_line(0).text

    bar = asyncio.run(run())
    assert bar.rstrip().endswith(f"^p {t('key.palette')}") and "▏" not in bar, bar


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES, ids=["80x24", "100x30"])
def test_counter_audit_filters_show_whole_placeholders(surfaces, size, lang):
    """F9 at 80 and 100 columns: the filters in one row cut "起 YYYY-MM-DD" to "起" and wrapped
    the action list's prompt a letter a line ("A / l / l / a …", a 12-row list)."""
    from textual.widgets import Select

    from yibao_tui.i18n import t
    from yibao_tui.tui.counter.app import CounterApp

    make_backend, _, _ = surfaces

    async def run() -> tuple[str, int]:
        app = CounterApp(make_backend, window="3", lang=lang, today=TODAY, clock=FakeClock(), cursor_blink=False)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            app.screen.query_one("#op-id", Input).value = "S001"
            app.screen.query_one("#op-pw", Input).value = "super-pass-1"
            await pilot.click("#login")
            await settle(pilot)
            await pilot.press("escape")  # the lookup that opens after logging in
            await settle(pilot)
            await pilot.press("f9")
            await settle(pilot)
            painted = "\n".join(s.text for s in app.screen._compositor.render_strips())
            return painted, app.screen.query_one("#audit-action", Select).region.height

    painted, select_height = asyncio.run(run())
    for key in ("mode.audit.person", "mode.audit.operator", "mode.audit.action", "mode.audit.from", "mode.audit.to"):
        assert t(key) in painted, (key, painted)
    assert select_height == 3
