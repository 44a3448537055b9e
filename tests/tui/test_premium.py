"""代缴保费: relative + year → quote → confirm (one idempotency key) → receipt; refusals."""

from __future__ import annotations

from textual.widgets import Button, DataTable, Select, Static
from tuikit import (
    CHILD,
    HOLDER,
    POOR,
    RELATIVE,
    close_quietly,
    make_app,
    open_backend,
    settle,
    table_rows,
    text_of,
)

from yibao_tui.tui.views.premium import PremiumConfirm
from yibao_tui.tui.widgets.dialogs import MessageDialog


async def _premium(pilot, year: int = 2025, relative: str | None = None) -> str:
    app = pilot.app
    if type(app.screen).__name__ != "PremiumScreen":
        await pilot.press("f4")
        await settle(pilot)
    screen = app.screen
    if relative is not None:
        screen.query_one("#relative", Select).value = relative
    screen.query_one("#year", Select).value = year
    await settle(pilot)
    await pilot.click("#quote")
    await settle(pilot)
    return text_of(screen.query_one("#quote-panel", Static))


async def test_quote_confirm_pay_receipt(bound_backend):
    app = make_app(bound_backend, person=HOLDER)
    before = (await bound_backend.balance(HOLDER)).balance_fen
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        quote = await _premium(pilot)
        assert app.screen.query_one("#relative", Select).value == RELATIVE  # the only one: chosen
        assert "2025 年度居民医保" in quote and "¥400.00" in quote
        assert "¥2,676.55 → ¥2,276.55" in quote
        premium_screen = app.screen
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, PremiumConfirm)
        await pilot.click("#confirm")
        await settle(pilot)
        assert isinstance(app.screen, MessageDialog)
        receipt = text_of(app.screen.query_one("#message-body", Static))
        [payment] = await bound_backend.premium_payments(HOLDER)
        assert payment.payment_id in receipt and "¥400.00" in receipt and "2025" in receipt
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is premium_screen
        # the panel keeps saying it is paid (the person reloaded, the choice did not change)
        panel = text_of(premium_screen.query_one("#quote-panel", Static))
        assert panel == f"已代缴，缴费单号 {payment.payment_id}"
        rows = table_rows(premium_screen.query_one("#payments", DataTable))
        assert rows[0][0] == payment.payment_id
        assert premium_screen.query_one("#pay", Button).disabled
        assert app.person.balance_fen == before - 40_000
        # Enter on a past payment shows its receipt again
        premium_screen.query_one("#payments", DataTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert payment.payment_id in text_of(app.screen.query_one("#message-body", Static))


async def test_confirming_twice_pays_once(bound_backend):
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _premium(pilot)
        await pilot.click("#pay")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, PremiumConfirm)
        key = dialog.key
        dialog.confirm()
        dialog.confirm()  # a second press while paying
        await pilot.click("#confirm")
        await settle(pilot)
        assert len(await bound_backend.premium_payments(HOLDER)) == 1
        # a replay with the dialog's key returns the same payment, charging nothing
        again = await bound_backend.premium_pay(HOLDER, RELATIVE, 2025, key=key)
        assert again.replayed
        assert len(await bound_backend.premium_payments(HOLDER)) == 1


async def test_a_retry_after_a_lost_answer_reuses_the_key(bound_backend):
    """The payment went through but the UI did not see it: confirming again replays it."""
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _premium(pilot)
        await pilot.click("#pay")
        await pilot.pause()
        dialog = app.screen
        await bound_backend.premium_pay(HOLDER, RELATIVE, 2025, key=dialog.key)
        await pilot.click("#confirm")
        await settle(pilot)
        assert isinstance(app.screen, MessageDialog)
        assert "重复提交" in text_of(app.screen.query_one("#message-body", Static))
        assert len(await bound_backend.premium_payments(HOLDER)) == 1


async def test_cancel_pays_nothing(bound_backend):
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _premium(pilot)
        await pilot.click("#pay")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert await bound_backend.premium_payments(HOLDER) == []


async def test_refusals_show_the_rule(bound_backend):
    await bound_backend.bind(HOLDER, POOR, "sibling", "face", True)
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        message = await _premium(pilot, 2025, POOR)
        assert "不是城乡居民医保参保人" in message
        assert app.screen.query_one("#pay", Button).disabled
        await bound_backend.premium_pay(HOLDER, RELATIVE, 2025)
        message = await _premium(pilot, 2025, RELATIVE)
        assert "已缴纳" in message
        assert RELATIVE not in message and RELATIVE[:3] + "*" * 11 + RELATIVE[-4:] in message
        # the confirmation dialog shows a refusal that happens at payment time
        message = await _premium(pilot, 2026, RELATIVE)
        assert "¥400.00" in message
        await bound_backend.premium_pay(HOLDER, RELATIVE, 2026)
        await pilot.click("#pay")
        await pilot.pause()
        await pilot.click("#confirm")
        await settle(pilot)
        assert isinstance(app.screen, PremiumConfirm)
        assert "已缴纳" in text_of(app.screen.query_one("#pay-error", Static))
        assert not app.screen.query_one("#confirm", Button).disabled


async def test_insufficient_balance(bound_backend):
    app = make_app(bound_backend, person=POOR)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        message = await _premium(pilot, 2025, CHILD)
        assert "余额不足" in message


async def test_no_relative_chosen(backend):
    app = make_app(backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert "请先选择" in text_of(app.screen.query_one("#quote-panel", Static))


# --- issue 8: safety defects (each test failed before its fix) ---------------------------------


async def test_no_confirmation_when_the_quote_refused(bound_backend):
    """Issue 8 defect 4: ``y`` opened 确认代缴 ("¥10.00 → -¥390.00") although the quote said
    余额不足 (the button was disabled, the key was not)."""
    app = make_app(bound_backend, person=POOR)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        quote = await _premium(pilot, relative=CHILD)
        assert "余额不足" in quote
        await pilot.press("y")
        await settle(pilot)
        assert type(app.screen).__name__ == "PremiumScreen"
        assert "余额不足" in text_of(app.screen.query_one("#quote-panel", Static))
    assert await bound_backend.premium_payments(POOR) == []


async def test_a_relative_bound_meanwhile_can_be_picked_and_is_quoted(bound_backend):
    """Issue 8 defect 4: picking a relative just bound in F3 reverted the picker while the old
    quote stayed on screen."""
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _premium(pilot)
        assert RELATIVE[-4:] in text_of(app.screen.query_one("#quote-panel", Static))
        await pilot.press("f3")
        await settle(pilot)
        await bound_backend.bind(HOLDER, CHILD, "child", "counter", True)
        await app.reload_person()
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        picker = screen.query_one("#relative", Select)
        assert CHILD in [v for _, v in picker._options]
        picker.focus()
        await settle(pilot)
        await pilot.press("enter")  # open the list, as the user does, and take the new one
        await settle(pilot)
        for _ in range(3):
            if picker.expanded:
                overlay = picker.query_one("SelectOverlay")
                labels = [str(o.prompt) for o in overlay.options]
                if CHILD[-4:] in labels[overlay.highlighted or 0]:
                    break
            await pilot.press("down")
            await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert picker.value == CHILD
        panel = text_of(screen.query_one("#quote-panel", Static))
        assert CHILD[-4:] in panel and RELATIVE[-4:] not in panel, panel
        assert screen.quote is not None and screen.quote.relative_id == CHILD


# --- issue 10 item 1: the collection window ------------------------------------------------------


def _years(screen) -> list[int]:
    return [v for _, v in screen.query_one("#year", Select)._options if isinstance(v, int)]


async def test_the_year_picker_offers_only_the_open_years(bound_backend):
    """2025-12-01 under the sample policy: 2026 (its window) and 2025 (its extension); the
    coming year is chosen. Years that are over, or not yet open, are not offered."""
    app = make_app(bound_backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert _years(app.screen) == [2026, 2025]
        assert app.screen.query_one("#year", Select).value == 2026
        assert "2026 年度居民医保" in text_of(app.screen.query_one("#quote-panel", Static))


async def test_no_open_year_says_so_and_names_the_next_window(bound_ledger, monkeypatch):
    """The shipped policy alone on 2025-12-01 (no site file; the ledger is no demo ledger any
    more): 2026's window is open but its standard is not configured, so nothing is offered; the
    panel says so and names 2027's window."""
    import sqlite3

    monkeypatch.delenv("YIBAO_POLICY")
    conn = sqlite3.connect(bound_ledger.path)
    with conn:
        conn.execute("DELETE FROM meta WHERE key = 'policy'")
    conn.close()
    backend = open_backend(bound_ledger.path)
    app = make_app(backend, person=HOLDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert _years(app.screen) == []
        panel = text_of(app.screen.query_one("#quote-panel", Static))
        assert "今天没有可缴费的年度" in panel and "2027 年度缴费期：2026-09-01 至 2026-12-31" in panel
        assert app.screen.query_one("#pay", Button).disabled
    await close_quietly(backend)
