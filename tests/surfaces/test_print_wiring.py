"""Printing wired into the surfaces, against the real CUPS test printer (see tests/printing/cups.py):
the counter prints its receipt at once, the kiosk a slip after a payment and a 12-month statement
on request; a stopped printer says so, keeps the slip, and a reprint never pays again."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from textual.widgets import Select

from tests.printing.cups import (
    PRINTER,
    notes,
    outputs,
    require_cups,
    set_enabled,
    stopped_printer,
    wait_for_new_pdf,
    wait_for_note,
)
from tests.surfaces.conftest import PIN, World
from tests.surfaces.kit import settle
from tests.surfaces.test_counter import make as make_counter
from tests.surfaces.test_counter import pay_child_premium
from tests.surfaces.test_kiosk import CONFIG, sign_in
from yibao_tui.domain.masking import mask_id
from yibao_tui.printing import pending
from yibao_tui.tui.kiosk.app import KioskApp


@pytest.fixture(autouse=True)
def _spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("YIBAO_SPOOL_DIR", str(tmp_path / "spool"))
    return tmp_path / "spool"


def payment_id_in(receipt: str) -> str:
    match = re.search(r"PM\d{6,}", receipt)
    assert match, receipt
    return match.group(0)


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
    """The slip did not print: the receipt panel offers 打印回执, which prints this payment's
    kept slip (nobody else's) once the printer is back, and the payment stays one payment."""
    app = kiosk(world)
    with stopped_printer():
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            payment_id = await kiosk_pay(pilot, world)
            text = await wait_for_note(pilot, "未能打印")
            assert f"打印机 {PRINTER} 已停止" in text and "不会重复扣款" in text
            [kept] = pending(_spool)
            assert payment_id in kept.name
            screen = app.screen
            assert screen.query_one("#slip-row").display
            # still stopped: it says so again and keeps offering
            app.clear_notifications()
            await pilot.click("#reprint-slip")
            await wait_for_note(pilot, "未能打印")
            await settle(pilot)
            assert screen.query_one("#slip-row").display and pending(_spool) == [kept]
            set_enabled(True)
            before = outputs()
            app.clear_notifications()
            await pilot.click("#reprint-slip")
            await wait_for_note(pilot, "已送打印机")
            await settle(pilot)
            assert not screen.query_one("#slip-row").display and pending(_spool) == []
    assert payment_id in wait_for_new_pdf(before, payment_id)
    assert await kiosk_payments(world) == 1  # paid once, printed twice (tried, then reprinted)


async def counter_pay(pilot, world: World) -> str:
    """Pay at the counter (window 7); the receipt's payment id."""
    receipt = await pay_child_premium(pilot, world)
    assert "经办窗口 7 号" in receipt
    return payment_id_in(receipt)


async def counter_payments(world: World) -> int:
    rows = await world.backend().audit(person=world.owner, limit=500)
    return len([r for r in rows if r.action == "premium.pay" and r.channel == "counter"])


async def test_counter_prints_the_receipt_to_the_window_printer(world: World):
    require_cups()
    before = outputs()
    app = make_counter(world, printer=PRINTER)
    async with app.run_test(size=(120, 30)) as pilot:
        payment_id = await counter_pay(pilot, world)
        await wait_for_note(pilot, "已送打印机")
    printed = wait_for_new_pdf(before, payment_id).replace(" ", "")
    assert mask_id(world.owner) in printed and "A001" in printed and "¥400.00" in printed


async def test_counter_without_cups_says_so_once_and_keeps_receipts_as_files_only(
        world: World, _spool: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """No CUPS on the window's machine: one notice at login; each receipt is saved as files in
    the receipts folder, and no print job is tried or spooled."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-cups"))
    app = make_counter(world, printer="")
    async with app.run_test(size=(120, 30)) as pilot:
        payment_id = await counter_pay(pilot, world)
        text = await wait_for_note(pilot, "本窗口没有可用的打印机")
        assert "本机未安装打印服务（CUPS" in text and str(tmp_path / "exports" / "receipts") in text
        assert app.print_ready is False
        await pilot.pause(0.3)
        assert notes(app).count("本窗口没有可用的打印机") == 1 and "未能打印" not in notes(app)
        assert pending(_spool) == []
        saved = sorted(p.name for p in (tmp_path / "exports" / "receipts").iterdir())
        assert saved == [f"premium-{payment_id}.pdf", f"premium-{payment_id}.txt"]
        # the dialog's 打印回执 tries (the clerk asked), says why not, and keeps that one
        await pilot.click("#extra")
        text = await wait_for_note(pilot, "未能打印")
        assert [p.name for p in pending(_spool)] == [f"premium-{payment_id}.pdf"]
    assert await counter_payments(world) == 1


async def test_counter_receipt_button_reprints_a_kept_receipt_once(world: World, _spool: Path):
    """A stopped printer keeps the receipt; 打印回执 prints that kept copy (it leaves the
    spool), and the payment stays one payment."""
    app = make_counter(world, printer=PRINTER)
    with stopped_printer():
        async with app.run_test(size=(120, 30)) as pilot:
            payment_id = await counter_pay(pilot, world)
            text = await wait_for_note(pilot, "未能打印")
            assert f"打印机 {PRINTER} 已停止" in text and app.print_ready is True
            assert [p.stem for p in pending(_spool)] == [f"premium-{payment_id}"]
            set_enabled(True)
            before = outputs()
            app.clear_notifications()
            assert str(app.screen.query_one("#extra").label) == "打印回执"
            await pilot.click("#extra")
            await wait_for_note(pilot, "已送打印机")
            assert pending(_spool) == []
            printed = wait_for_new_pdf(before, payment_id).replace(" ", "")
            assert "代缴保费回执" in printed and mask_id(world.owner) in printed
    assert await counter_payments(world) == 1


async def test_counter_palette_reprints_what_was_kept(world: World, _spool: Path):
    app = make_counter(world, printer=PRINTER)
    with stopped_printer():
        async with app.run_test(size=(120, 30)) as pilot:
            payment_id = await counter_pay(pilot, world)
            await wait_for_note(pilot, "未能打印")
            await pilot.press("escape")
            set_enabled(True)
            before = outputs()
            await app.run_action("reprint")
            await wait_for_note(pilot, "已补打 1 份")
            assert pending(_spool) == []
            assert payment_id in wait_for_new_pdf(before, payment_id)
            await app.run_action("reprint")
            await wait_for_note(pilot, "没有待补打的单据")
    assert await counter_payments(world) == 1
