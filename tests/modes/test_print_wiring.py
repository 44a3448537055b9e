"""Printing wired into the modes, against the real CUPS test printer (see tests/printing/cups.py):
the counter prints its receipt at once, the kiosk a slip after a payment and a 12-month statement
on request; a stopped printer says so, keeps the slip, and a reprint never pays again."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from textual.widgets import Select

from tests.modes.conftest import PIN, World
from tests.modes.kit import settle
from tests.modes.test_counter import login, lookup
from tests.modes.test_counter import make as make_counter
from tests.modes.test_kiosk import CONFIG, sign_in
from tests.printing.cups import PRINTER, outputs, require_cups, set_enabled, wait_for_new_pdf
from yibao_tui.domain.masking import mask_id
from yibao_tui.printing import pending, reprint
from yibao_tui.tui.kiosk.app import KioskApp


@pytest.fixture(autouse=True)
def _spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("YIBAO_SPOOL_DIR", str(tmp_path / "spool"))
    return tmp_path / "spool"


def payment_id_in(receipt: str) -> str:
    match = re.search(r"PM\d{6,}", receipt)
    assert match, receipt
    return match.group(0)


def notes(app) -> str:
    return "\n".join(n.message for n in app._notifications)


async def wait_for_note(pilot, needle: str, rounds: int = 300) -> str:
    """Printing runs on a thread: wait (in steps, never by the clock) for its notification."""
    for _ in range(rounds):
        if needle in notes(pilot.app):
            return notes(pilot.app)
        await pilot.pause(0.1)
    raise AssertionError(f"no notification with {needle!r}: {notes(pilot.app)!r}")


def kiosk(world: World) -> KioskApp:
    config = dataclasses.replace(CONFIG, printer=PRINTER, kiosk_id="K07")
    return KioskApp(world.make_backend, config, today=world.clock.now.date(), clock=world.idle,
                    cursor_blink=False)


async def kiosk_pay(pilot, world: World) -> str:
    await sign_in(pilot, world)
    await pilot.press("3")
    await settle(pilot)
    screen = pilot.app.screen
    screen.query_one("#relative", Select).value = screen.choices.index(world.child)
    screen.query_one("#year", Select).value = 2026
    await settle(pilot)
    await pilot.click("#pay")
    await settle(pilot)
    await pilot.press(*PIN, "enter")
    await settle(pilot)
    receipt = screen.query_one("#receipt").content.plain
    assert "自助终端 K07 号" in receipt
    return payment_id_in(receipt)


async def kiosk_payments(world: World) -> int:
    rows = await world.backend().audit(person=world.owner, limit=500)
    return len([r for r in rows if r.action == "premium.pay" and r.channel == "kiosk"])


async def test_kiosk_prints_the_slip_and_a_twelve_month_statement(world: World):
    require_cups()
    before = outputs()
    app = kiosk(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        payment_id = await kiosk_pay(pilot, world)
        await wait_for_note(pilot, "已送打印机")
        slip = wait_for_new_pdf(before, payment_id).replace(" ", "")
        assert mask_id(world.owner) in slip and "¥400.00" in slip and world.owner not in slip
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot, rounds=5)
        assert type(app.screen).__name__ == "KioskBalance"
        app.clear_notifications()
        before = outputs()
        await pilot.click("#print-statement")
        await wait_for_note(pilot, "已送打印机")
    statement = wait_for_new_pdf(before, mask_id(world.owner)).replace(" ", "")
    assert payment_id not in statement  # entries carry amounts, not ids
    assert "-¥400.00" in statement and world.owner not in statement
    assert await kiosk_payments(world) == 1


async def test_kiosk_with_a_stopped_printer_keeps_the_slip_and_reprint_never_pays(world: World,
                                                                                 _spool: Path):
    require_cups()
    app = kiosk(world)
    set_enabled(False)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            payment_id = await kiosk_pay(pilot, world)
            text = await wait_for_note(pilot, "未能打印")
            assert f"打印机 {PRINTER} 已停止" in text and "不会重复扣款" in text
    finally:
        set_enabled(True)
    [kept] = pending(_spool)
    assert payment_id in kept.name
    before = outputs()
    assert [o.printed for o in reprint(PRINTER)] == [True] and pending(_spool) == []
    assert payment_id in wait_for_new_pdf(before, payment_id)
    assert await kiosk_payments(world) == 1  # paid once, printed twice (tried, then reprinted)


async def test_counter_prints_the_receipt_to_the_window_printer(world: World):
    require_cups()
    before = outputs()
    app = make_counter(world, printer=PRINTER)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await login(pilot)
        await lookup(pilot, world.owner)
        await pilot.press("f4")
        await settle(pilot)
        premium = app.screen
        premium.query_one("#relative", Select).value = world.child
        premium.query_one("#year", Select).value = 2026
        await settle(pilot)
        await pilot.click("#quote")
        await settle(pilot)
        await pilot.click("#pay")
        await settle(pilot)
        await pilot.click("#confirm")
        await settle(pilot)
        receipt = app.screen.query_one("#message-body").content.plain
        assert "经办窗口 7 号" in receipt
        payment_id = payment_id_in(receipt)
        await wait_for_note(pilot, "已送打印机")
    printed = wait_for_new_pdf(before, payment_id).replace(" ", "")
    assert mask_id(world.owner) in printed and "A001" in printed and "¥400.00" in printed
