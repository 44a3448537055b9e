"""PDF receipts: a valid PDF, the Chinese text read back, nothing unmasked; the text receipt
alone (and said so) when reportlab is missing; the counter never imports reportlab to start."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.surfaces.kit import ID18
from yibao_tui.domain.models import PremiumPayment, WithdrawalReceipt
from yibao_tui.i18n import set_lang
from yibao_tui.receipts import premium_receipt, save_receipt_files, withdrawal_receipt

HOLDER = "11010519491231002X"
RELATIVE = "440300201702160076"
PAYMENT = PremiumPayment(payment_id="PM20260000000001", payer_id=HOLDER, relative_id=RELATIVE,
                         year=2025, amount_fen=40000, balance_after_fen=100,
                         time="2026-03-02 10:00:00")
WITHDRAWAL = WithdrawalReceipt(withdrawal_id="WD20260000000009", person_id=HOLDER, case="emigration",
                               payee="heir", payee_name="欧阳小明", payee_account="6222020200112233",
                               amount_fen=760744, operator="A001", cosigner="S001",
                               time="2026-03-02 10:05:00")


def pdf_text(data: bytes) -> str:
    """The text of every page, as a reader extracts it (no layout guessing: one line a row)."""
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    reader = PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) == 1
    return "\n".join(page.extract_text() for page in reader.pages)


def test_premium_pdf_has_the_chinese_text_and_nothing_unmasked(tmp_path: Path):
    receipt = premium_receipt(PAYMENT, payer_name="张小三", relative_name="张小花", operator="A001")
    saved = save_receipt_files(receipt, "premium-PM20260000000001", folder=tmp_path)
    assert saved.pdf_path is not None and saved.pdf_problem == ""
    assert saved.pdf_path.with_suffix(".txt") == saved.text_path
    text = pdf_text(saved.pdf_path.read_bytes())
    lines = [line.replace(" ", "") for line in text.splitlines()]
    # every row of the text receipt, label and value, is a line of the PDF
    assert "医保个人账户·代缴保费回执" in lines
    assert "缴费单号：PM20260000000001" in lines
    assert "缴费账户：张*三110***********002X" in lines
    assert "参保亲属：张*花440***********0076" in lines
    assert "金额：¥400.00" in lines
    assert "办理渠道：经办窗口" in lines
    assert "经办人：A001" in lines
    assert "时间：2026-03-02 10:00:00".replace(" ", "") in lines
    assert "证件号、姓名、账号已脱敏。请妥善保管本回执。" in lines
    assert not ID18.search(text.replace(" ", "")) and "张小三" not in text and "张小花" not in text
    # the document's metadata names nobody
    info = PdfReader(saved.pdf_path).metadata
    assert info is not None and not ID18.search(str(dict(info))) and "张" not in str(dict(info))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_withdrawal_pdf_names_operator_cosigner_and_time(lang: str, tmp_path: Path):
    set_lang(lang)
    receipt = withdrawal_receipt(WITHDRAWAL, holder_name="欧阳小明")
    data = receipt.pdf()
    text = pdf_text(data)
    flat = text.replace(" ", "")
    for needle in ("WD20260000000009", "A001", "S001", "2026-03-0210:05:00", "¥7,607.44", "欧**明",
                   "110***********002X", "************2233"):
        assert needle in flat, needle
    assert not ID18.search(flat) and "欧阳小明" not in text and "6222020200112233" not in flat
    if lang == "zh":
        assert "提取回执" in flat and "复核人：S001" in flat and "继承人欧**明" in flat
    else:
        assert "Co-signedby:S001" in flat and "theheir欧**明" in flat


def test_names_never_collide_and_pdf_sits_beside_the_text(tmp_path: Path):
    receipt = premium_receipt(PAYMENT, operator="A001")
    first = save_receipt_files(receipt, "premium-PM1", folder=tmp_path)
    second = save_receipt_files(receipt, "premium-PM1", folder=tmp_path)
    (tmp_path / "premium-PM1-2.pdf").write_bytes(b"someone else's")  # a stray PDF is not overwritten
    third = save_receipt_files(receipt, "premium-PM1", folder=tmp_path)
    assert [s.text_path.name for s in (first, second, third)] == [
        "premium-PM1.txt", "premium-PM1-1.txt", "premium-PM1-3.txt"]
    assert all(s.pdf_path == s.text_path.with_suffix(".pdf") for s in (first, second, third))
    assert (tmp_path / "premium-PM1-2.pdf").read_bytes() == b"someone else's"


def test_without_reportlab_the_text_receipt_is_saved_and_said_so(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch):
    for name in [m for m in sys.modules if m == "reportlab" or m.startswith("reportlab.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "reportlab", None)  # ``import reportlab...`` → ImportError
    receipt = premium_receipt(PAYMENT, operator="A001")
    with pytest.raises(ImportError):
        receipt.pdf()
    saved = save_receipt_files(receipt, "premium-PM2", folder=tmp_path)
    assert saved.pdf_path is None and saved.pdf_problem == "missing"
    assert saved.text_path.read_text("utf-8") == receipt.text()
    assert list(tmp_path.iterdir()) == [saved.text_path]
    said = saved.describe().splitlines()
    assert said[1:] == [f"回执已保存到 {tmp_path}/", "  premium-PM2.txt",
                        "未生成 PDF（未安装 PDF 组件：pip install 'yibao-tui[pdf]'）"]


def test_a_failing_pdf_library_keeps_the_text_receipt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from yibao_tui import receipts

    def broken(receipt: receipts.Receipt) -> bytes:
        raise RuntimeError("font cache damaged")

    monkeypatch.setattr(receipts, "_render_pdf", broken)
    saved = save_receipt_files(premium_receipt(PAYMENT, operator="A001"), "premium-PM3", folder=tmp_path)
    assert saved.text_path.is_file() and saved.pdf_path is None
    said = saved.describe()
    assert "font cache damaged" in said and f"{tmp_path}/\n  premium-PM3.txt\n" in said


def test_the_counter_starts_without_importing_reportlab():
    code = ("import sys, yibao_tui.tui.counter.app, yibao_tui.tui.kiosk.app, "
            "yibao_tui.tui.counter.premium, yibao_tui.tui.counter.withdrawal; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('reportlab', 'pypdf')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
