"""Snapshots of every screen at 100x30 in Chinese (and one in English, one at 80x24).

Frozen clock and ledger, no animations, no blinking cursor. Update with
``pytest tests/tui/test_snapshots.py --snapshot-update`` and look at the report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from textual.widgets import Input, Select
from tuikit import HOLDER, RELATIVE, close_quietly, make_app, open_backend, settle

from yibao_tui.backend.local import LocalBackend
from yibao_tui.tui.widgets.picker import Picker

SIZE = (100, 30)


@pytest.fixture
def snap_backend(sync_ledger) -> Iterator[LocalBackend]:
    backend = open_backend(sync_ledger.path)
    yield backend
    asyncio.run(close_quietly(backend))


def test_balance(snap_compare, snap_backend, sync_ledger):
    app = make_app(snap_backend, person=sync_ledger.owner)
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_balance_english(snap_compare, snap_backend, sync_ledger):
    app = make_app(snap_backend, person=sync_ledger.owner, lang="en")
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_balance_80x24(snap_compare, snap_backend, sync_ledger):
    app = make_app(snap_backend, person=sync_ledger.owner)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)


def test_balance_filtered(snap_compare, snap_backend, sync_ledger):
    async def run_before(pilot):
        await settle(pilot)
        pilot.app.screen.query_one("#date-from", Input).value = "2025-01-01"
        pilot.app.screen.query_one("#date-to", Input).value = "2025-03-31"
        pilot.app.screen.query_one("#kind", Picker).value = "outpatient"
        await settle(pilot)
        pilot.app.screen.query_one("#statement").focus()
        await settle(pilot)

    app = make_app(snap_backend, person=sync_ledger.owner)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_family(snap_compare, snap_backend, sync_ledger):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)

    app = make_app(snap_backend, person=sync_ledger.owner)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_bind_form(snap_compare, snap_backend):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"44030019820707")
        await settle(pilot)

    app = make_app(snap_backend, person=HOLDER)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_premium_quote(snap_compare, snap_backend):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        pilot.app.screen.query_one("#relative", Select).value = RELATIVE
        pilot.app.screen.query_one("#year", Select).value = 2025
        await settle(pilot)

    app = make_app(snap_backend, person=HOLDER)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_premium_confirm(snap_compare, snap_backend):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        pilot.app.screen.query_one("#year", Select).value = 2025
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)

    app = make_app(snap_backend, person=HOLDER)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_premium_history(snap_compare, snap_backend, sync_ledger):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)

    app = make_app(snap_backend, person=sync_ledger.owner)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_withdrawal(snap_compare, snap_backend):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        pilot.app.screen.query_one("#case", Select).value = "death"
        await settle(pilot)
        pilot.app.screen.query_one("#q-0", Select).value = "yes"
        await settle(pilot)
        pilot.app.screen.query_one("#q-1", Select).value = "no"
        await settle(pilot)

    app = make_app(snap_backend, person=HOLDER)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare, snap_backend):
    app = make_app(snap_backend, person=HOLDER)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_lookup_invalid_id(snap_compare, snap_backend):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("ctrl+f")
        await settle(pilot)
        await pilot.press(*"110105194912310021", "enter")
        await settle(pilot)

    app = make_app(snap_backend, person=HOLDER)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
