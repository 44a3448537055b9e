"""The laptop app prints the statement or saves it as PDF (D, or the palette): the period of the
date filters, else the last 12 months; masked; a printer of the real CUPS test server, read back;
without CUPS it says why and still saves the PDF (0600 in the export folder)."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from pypdf import PdfReader
from textual.widgets import Input, OptionList, Static
from tuikit import make_app, settle

from tests.printing.cups import PRINTER, outputs, require_cups, wait_for_new_pdf, wait_for_note
from yibao_tui.domain.masking import mask_id


async def choose(pilot, option_id: str) -> None:
    """Pick one of the print dialog's choices with the keyboard."""
    choices = pilot.app.screen.query_one("#print-choices", OptionList)
    choices.highlighted = choices.get_option_index(option_id)
    await pilot.press("enter")
    await settle(pilot)


def pdf_text(data: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace(" ", "")


async def test_without_cups_it_says_so_and_saves_the_statement_as_pdf(
        tui_ledger, backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-cups"))
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        dialog = app.screen
        assert dialog.id == "print-statement"
        problem = str(dialog.query_one("#print-problem", Static).content)
        assert "没有可用的打印机" in problem and "本机未安装打印服务（CUPS" in problem
        assert "2024-12-02 — 2025-12-01" in str(dialog.query_one("#print-period", Static).content)
        await choose(pilot, "pdf")
        text = await wait_for_note(pilot, "对账单已保存为 PDF")
        path: Path = app.screen.last_pdf
        assert str(path) in text and path.parent == tmp_path / "exports"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.suffix == ".pdf"
    printed = pdf_text(path.read_bytes())
    assert "近12个月对账单" in printed and mask_id(tui_ledger.owner) in printed
    assert tui_ledger.owner not in printed and "期间：2024-12-02—2025-12-01" in printed
    summary = await backend.statement(tui_ledger.owner, date_from="2024-12-02", date_to="2025-12-01",
                                      limit=1)
    from yibao_tui.domain.money import format_fen

    assert f"期末余额：{format_fen(summary.closing_balance_fen)}" in printed


async def test_escape_prints_nothing_and_the_dates_set_the_period(tui_ledger, backend, tmp_path):
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.screen.query_one("#date-from", Input).value = "2025-01-01"
        app.screen.query_one("#date-to", Input).value = "2025-06-30"
        await settle(pilot)
        app.screen.query_one("#statement").focus()
        await pilot.press("d")
        await settle(pilot)
        assert "2025-01-01 — 2025-06-30" in str(app.screen.query_one("#print-period", Static).content)
        await choose(pilot, "pdf")
        await wait_for_note(pilot, "对账单已保存为 PDF")
        printed = pdf_text(app.screen.last_pdf.read_bytes())
        assert "医保个人账户·对账单" in printed and "近12个月" not in printed
        assert "期间：2025-01-01—2025-06-30" in printed
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.id != "print-statement"
        # the palette offers it too
        assert any("打印对账单" in c.title for c in app.get_system_commands(app.screen))
    assert len(list((tmp_path / "exports").glob("*.pdf"))) == 1


async def test_prints_the_statement_on_a_cups_printer(tui_ledger, backend):
    require_cups()
    before = outputs()
    app = make_app(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        labels = [str(o.prompt) for o in app.screen.query_one("#print-choices", OptionList).options]
        assert f"打印到 {PRINTER}" in "".join(labels) and labels[-1].startswith("保存为 PDF")
        await choose(pilot, f"printer:{PRINTER}")
        await wait_for_note(pilot, f"已送打印机 {PRINTER}")
    printed = wait_for_new_pdf(before, mask_id(tui_ledger.owner)).replace(" ", "")
    assert "近12个月对账单" in printed and "期末余额" in printed and tui_ledger.owner not in printed
