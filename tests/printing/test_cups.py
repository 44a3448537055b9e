"""Printing through a real CUPS server with a virtual PDF printer: the printed PDF is read back;
a stopped, missing or absent printer gives a clear message and keeps the document for a reprint."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.printing.cups import PRINTER, outputs, require_cups, stopped_printer, wait_for_new_pdf
from yibao_tui.domain.models import Entry, PremiumPayment
from yibao_tui.i18n import set_lang, t
from yibao_tui.printing import pending, print_document, reprint, statement_document
from yibao_tui.receipts import premium_receipt

HOLDER = "11010519491231002X"
RELATIVE = "440300201702160076"
PAYMENT = PremiumPayment(payment_id="PM20260000000042", payer_id=HOLDER, relative_id=RELATIVE,
                         year=2025, amount_fen=40000, balance_after_fen=100,
                         time="2026-03-02 10:00:00")


@pytest.fixture(autouse=True)
def _zh():
    set_lang("zh")
    yield
    set_lang("zh")


def slip():
    station = t("print.station_window", n="3")
    return premium_receipt(PAYMENT, payer_name="张小三", relative_name="张小花", operator="A001",
                           station=station)


def test_printed_receipt_holds_masked_id_amount_and_payment_id(tmp_path: Path):
    require_cups()
    before = outputs()
    outcome = print_document(slip(), "premium-PM20260000000042", PRINTER, folder=tmp_path)
    assert outcome.printed, outcome.message()
    assert outcome.job.startswith(PRINTER + "-") and PRINTER in outcome.message()
    assert pending(tmp_path) == []  # printed: not kept
    text = wait_for_new_pdf(before, "PM20260000000042").replace(" ", "")
    assert "110***********002X" in text and "440***********0076" in text
    assert "¥400.00" in text and "PM20260000000042" in text
    assert "2026-03-0210:00:00" in text and "A001" in text
    # the Chinese survives CUPS's PDF -> PostScript -> PDF (Ghostscript) round trip: the font is
    # embedded with named glyphs (yibao_tui.pdffont)
    assert "代缴保费回执" in text and "缴费单号：PM20260000000042" in text
    assert "缴费账户：张*三110***********002X" in text and "办理渠道：经办窗口3号" in text
    assert HOLDER not in text and RELATIVE not in text and "张小三" not in text


def test_stopped_printer_says_so_keeps_the_document_and_reprints_it(tmp_path: Path):
    require_cups()
    spool = tmp_path / "spool"
    with stopped_printer():
        before = outputs()  # taken once the earlier tests' jobs are done (stopping waits for them)
        outcome = print_document(slip(), "premium-PM20260000000042", PRINTER, folder=spool)
    assert not outcome.printed
    message = outcome.message()
    assert f"打印机 {PRINTER} 已停止" in message and "paper out" in message
    assert "不会重复扣款" in message and str(outcome.kept) in message
    assert outcome.kept is not None and pending(spool) == [outcome.kept]
    assert stat.S_IMODE(outcome.kept.stat().st_mode) == 0o600
    kept = "".join(p.extract_text() for p in PdfReader(outcome.kept).pages).replace(" ", "")
    assert "办理渠道：经办窗口3号" in kept and "缴费单号：PM20260000000042" in kept and HOLDER not in kept
    assert stat.S_IMODE(spool.stat().st_mode) == 0o700
    assert outputs() == before  # nothing went to the printer
    # the reprint prints the kept file, then forgets it
    done = reprint(PRINTER, folder=spool)
    assert [o.printed for o in done] == [True] and pending(spool) == []
    assert "PM20260000000042" in wait_for_new_pdf(before, "PM20260000000042")


def test_missing_printer_is_named_in_english(tmp_path: Path):
    require_cups()
    set_lang("en")
    outcome = print_document(slip(), "x", "no-such-printer", folder=tmp_path)
    assert not outcome.printed and outcome.kept is not None and outcome.kept.exists()
    assert "printer no-such-printer not found" in outcome.message()
    assert "kept for a reprint" in outcome.message()


def test_no_cups_at_all_keeps_the_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no lp, no lpstat
    outcome = print_document(slip(), "premium-PM20260000000042", None, folder=tmp_path / "s")
    assert not outcome.printed
    assert "本机未安装打印服务（CUPS" in outcome.message()
    assert outcome.kept is not None and outcome.kept.read_bytes().startswith(b"%PDF-")
    assert reprint(None, folder=tmp_path / "s")[0].printed is False  # still kept
    assert pending(tmp_path / "s") == [outcome.kept]


def test_a_long_statement_runs_over_pages_masked():
    import io

    entries = [Entry(time=f"2025-{m:02d}-15 09:00:00", kind="credit", amount_fen=12345,
                     balance_after_fen=12345 * (m + i * 12), memo="", entry_id=m + i * 12)
               for i in range(5) for m in range(1, 13)]
    doc = statement_document(HOLDER, "张小三", entries, 0, 12345 * 60, "2025-03-03", "2026-03-02",
                             station=t("print.station_kiosk", n="K07"))
    reader = PdfReader(io.BytesIO(doc.pdf()))
    assert len(reader.pages) >= 2
    text = "".join(p.extract_text() for p in reader.pages).replace(" ", "")
    assert "110***********002X" in text and HOLDER not in text
    assert "近12个月对账单" in text and "自助终端K07号" in text and "¥123.45" in text
    assert text.count("2025-") >= 60
