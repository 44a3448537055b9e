"""Receipts for premium payments and withdrawals: masked data, the payment id, the operator, the
time. Always saved as UTF-8 text; also as PDF when the optional ``reportlab`` is installed
(``pip install 'yibao-tui[pdf]'``).

The PDF needs no font file: Chinese is set in reportlab's built-in CID font ``STSong-Light``
(Adobe-GB1, not embedded; Acrobat, PDFium/Chrome/Edge, macOS Preview and poppler render it with
the system's Song/Ming face, so the viewer must have a CJK font, as every Chinese desktop does),
and everything Latin-1 (digits, ``¥``, ``·``, letters) in Helvetica, so it never depends on the
substitute font's Latin metrics. reportlab is imported only when a PDF is written: the counter
starts as fast without it, and works without it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yibao_tui.domain.masking import mask_card, mask_id, mask_name
from yibao_tui.domain.models import PremiumPayment, WithdrawalReceipt
from yibao_tui.domain.money import format_fen
from yibao_tui.files import open_private, private_dir
from yibao_tui.i18n import t

#: An 18-character resident ID number anywhere in a text.
ID_PATTERN = re.compile(r"\d{17}[\dXx]")
#: The PDF's fonts: reportlab's built-in CID font for Chinese, a base-14 font for Latin-1.
CJK_FONT = "STSong-Light"
LATIN_FONT = "Helvetica"
PDF_EXTRA_HINT = "pip install 'yibao-tui[pdf]'"


def scrub_ids(text: str) -> str:
    """Mask every full ID number in ``text`` (error messages may name one)."""
    return ID_PATTERN.sub(lambda m: mask_id(m.group(0).upper()), text)


@dataclass(frozen=True, slots=True)
class Receipt:
    """A receipt's content, already masked: a title, label/value rows and a footer line."""

    title: str
    rows: tuple[tuple[str, str], ...]
    footer: str

    @classmethod
    def make(cls, title: str, rows: list[tuple[str, str]]) -> Receipt:
        """Mask any full ID number left in any field (belt and braces)."""
        return cls(
            scrub_ids(title),
            tuple((scrub_ids(label), scrub_ids(value)) for label, value in rows),
            scrub_ids(t("receipt.footer")),
        )

    def row_lines(self) -> list[str]:
        """``label：value`` lines, the labels padded to one width (terminal cells)."""
        from rich.cells import cell_len

        width = max(cell_len(label) for label, _ in self.rows)
        colon = t("colon")
        return [f"{label}{' ' * (width - cell_len(label))}{colon}{value}" for label, value in self.rows]

    def text(self) -> str:
        """The receipt as plain text, labels aligned by terminal cell width."""
        rule = "=" * 36
        return "\n".join([self.title, rule, *self.row_lines(), rule, self.footer]) + "\n"

    def pdf(self) -> bytes:
        """The receipt as a one-page A4 PDF. Raises ``ImportError`` without reportlab."""
        return _render_pdf(self)


def premium_receipt(
    payment: PremiumPayment,
    *,
    payer_name: str = "",
    relative_name: str = "",
    operator: str | None = None,
    channel: str = "counter",
    station: str = "",
) -> Receipt:
    """The receipt of a premium paid for a relative (everything personal masked)."""
    rows = [
        (t("receipt.payment_id"), payment.payment_id),
        (t("receipt.payer"), f"{mask_name(payer_name)} {mask_id(payment.payer_id)}".strip()),
        (t("receipt.relative"), f"{mask_name(relative_name)} {mask_id(payment.relative_id)}".strip()),
        (t("receipt.year"), str(payment.year)),
        (t("receipt.amount"), format_fen(payment.amount_fen)),
        (t("receipt.balance_after"), format_fen(payment.balance_after_fen)),
        # the window or kiosk number when known (``经办窗口 3 号``), else the channel
        (t("receipt.channel"), station or t(f"channel.{channel}")),
    ]
    if operator:  # a kiosk has none
        rows.append((t("receipt.operator"), operator))
    rows.append((t("receipt.time"), payment.time))
    if payment.replayed:
        rows.append((t("receipt.note"), t("replayed")))
    return Receipt.make(t("receipt.premium_title"), rows)


def withdrawal_receipt(receipt: WithdrawalReceipt, *, holder_name: str = "",
                       station: str = "") -> Receipt:
    """The receipt of an executed withdrawal (the account is closed by it)."""
    rows = [
        (t("receipt.withdrawal_id"), receipt.withdrawal_id),
        (t("receipt.holder"), f"{mask_name(holder_name)} {mask_id(receipt.person_id)}".strip()),
        (t("receipt.case"), _case(receipt.case)),
        (t("receipt.payee"), f"{t('payee.' + receipt.payee)} {mask_name(receipt.payee_name)}"),
        (t("receipt.account"), mask_card(receipt.payee_account)),
        (t("receipt.amount"), format_fen(receipt.amount_fen)),
        (t("receipt.operator"), receipt.operator),
        (t("receipt.cosigner"), receipt.cosigner),
        *([(t("print.station"), station)] if station else []),
        (t("receipt.time"), receipt.time),
        (t("receipt.note"), t("receipt.closed")),
    ]
    if receipt.replayed:
        rows.append((t("receipt.note"), t("replayed")))
    return Receipt.make(t("receipt.withdrawal_title"), rows)


def _case(case: str) -> str:
    name = t(f"ui.case.{case}")
    return case if name == f"ui.case.{case}" else name


# --- saving -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SavedReceipt:
    """Where a receipt went: the text file always; the PDF when it could be written."""

    text_path: Path
    pdf_path: Path | None = None
    #: Why there is no PDF: ``""`` (there is one), ``"missing"`` (no reportlab) or the error.
    pdf_problem: str = ""

    def describe(self) -> str:
        """The lines to show under the receipt: the folder, then each file's name (a long path
        would wrap mid-name in a dialog), or why there is no PDF."""
        out = t("receipt.saved", path=os.path.join(self.text_path.parent, ""))
        out += f"\n  {self.text_path.name}"
        if self.pdf_path is not None:
            out += f"\n  {self.pdf_path.name}"
        elif self.pdf_problem == "missing":
            out += t("receipt.no_pdf", hint=PDF_EXTRA_HINT)
        elif self.pdf_problem:
            out += t("receipt.pdf_failed", error=self.pdf_problem)
        return out


def _folder(folder: Path | None) -> Path:
    from yibao_tui.settings import export_dir

    base = folder or export_dir() / "receipts"
    return private_dir(base)  # a folder made here is 0700; receipts are 0600 (_claim)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80] or "receipt"


def _claim(base: Path, safe: str, suffixes: tuple[str, ...]) -> Path:
    """A new ``base/safe[-n]`` stem: no file with any of ``suffixes`` exists there yet; the
    first suffix's file is created empty (exclusively, so two windows never share a name)."""
    n = 0
    while True:
        stem = base / (safe if n == 0 else f"{safe}-{n}")
        n += 1
        if any(stem.with_name(stem.name + s).exists() for s in suffixes[1:]):
            continue
        try:
            with open_private(stem.with_name(stem.name + suffixes[0]), exclusive=True):
                pass
        except FileExistsError:
            continue
        return stem


def save_receipt(text: str, name: str, folder: Path | None = None) -> Path:
    """Write ``text`` to ``<export dir>/receipts/<name>.txt`` (never overwriting); returns the path."""
    stem = _claim(_folder(folder), _safe(name), (".txt",))
    path = stem.with_name(stem.name + ".txt")
    path.write_text(text, encoding="utf-8")
    return path


def save_receipt_files(receipt: Receipt, name: str, folder: Path | None = None) -> SavedReceipt:
    """Write ``<name>.txt`` and, when reportlab is installed, ``<name>.pdf`` beside it (the same
    stem, never overwriting). The text is written first: a PDF failure never loses the receipt.
    ``OSError`` from the text file propagates; a PDF problem is reported in the result."""
    stem = _claim(_folder(folder), _safe(name), (".txt", ".pdf"))
    text_path = stem.with_name(stem.name + ".txt")
    text_path.write_text(receipt.text(), encoding="utf-8")
    try:
        data = receipt.pdf()
    except ImportError:
        return SavedReceipt(text_path, None, "missing")
    except Exception as err:  # noqa: BLE001 - reportlab failing must not lose the text receipt
        return SavedReceipt(text_path, None, f"{type(err).__name__}: {err}"[:200])
    pdf_path = stem.with_name(stem.name + ".pdf")
    try:
        with open_private(pdf_path, "wb", exclusive=True) as fh:
            fh.write(data)
    except OSError as err:
        return SavedReceipt(text_path, None, f"{type(err).__name__}: {err}"[:200])
    return SavedReceipt(text_path, pdf_path)


# --- the PDF ------------------------------------------------------------------------------------

PAGE_MARGIN = 56.0  # points (about 20 mm)
TITLE_SIZE = 16.0
BODY_SIZE = 11.0
FOOTER_SIZE = 9.0


def _runs(text: str) -> list[tuple[str, str]]:
    """Split ``text`` into (font, run): Latin-1 (cp1252) in Helvetica, the rest in STSong."""
    out: list[tuple[str, str]] = []
    for ch in text:
        try:
            ch.encode("cp1252")
            font = LATIN_FONT
        except UnicodeEncodeError:
            font = CJK_FONT
        if out and out[-1][0] == font:
            out[-1] = (font, out[-1][1] + ch)
        else:
            out.append((font, ch))
    return out


def _width(text: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(stringWidth(run, font, size) for font, run in _runs(text))


def _wrap(text: str, size: float, room: float) -> list[str]:
    """Greedy character wrap to ``room`` points (values are short; this is a safety net)."""
    lines: list[str] = []
    line = ""
    for ch in text:
        if line and _width(line + ch, size) > room:
            lines.append(line)
            line = ch.lstrip()
        else:
            line += ch
    return [*lines, line] if line or not lines else lines


def _draw(canvas: Any, x: float, y: float, text: str, size: float) -> None:
    obj = canvas.beginText(x, y)
    for font, run in _runs(text):
        obj.setFont(font, size)
        obj.textOut(run)
    canvas.drawText(obj)


def _render_pdf(receipt: Receipt) -> bytes:
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    buf = io.BytesIO()
    width, height = A4
    canvas = Canvas(buf, pagesize=A4, pageCompression=1)
    canvas.setTitle(receipt.title)  # nothing personal in the document's metadata
    canvas.setCreator("yibao-tui")
    left, right = PAGE_MARGIN, width - PAGE_MARGIN
    y = height - PAGE_MARGIN - TITLE_SIZE
    for line in _wrap(receipt.title, TITLE_SIZE, right - left):
        _draw(canvas, left, y, line, TITLE_SIZE)
        y -= TITLE_SIZE * 1.4
    y += TITLE_SIZE * 0.4
    canvas.setLineWidth(0.8)
    canvas.line(left, y, right, y)
    y -= BODY_SIZE * 2.2
    colon = t("colon").strip() or ":"
    label_w = max(_width(label + colon, BODY_SIZE) for label, _ in receipt.rows) + BODY_SIZE
    room = right - left - label_w
    for label, value in receipt.rows:
        lines = _wrap(value, BODY_SIZE, room)
        if y - BODY_SIZE * 1.8 * len(lines) < PAGE_MARGIN + FOOTER_SIZE * 4:  # a long statement
            canvas.showPage()
            y = height - PAGE_MARGIN - BODY_SIZE
        _draw(canvas, left, y, label + colon, BODY_SIZE)
        for line in lines:
            _draw(canvas, left + label_w, y, line, BODY_SIZE)
            y -= BODY_SIZE * 1.8
    y += BODY_SIZE * 0.8
    canvas.line(left, y, right, y)
    y -= FOOTER_SIZE * 2.2
    canvas.setFillGray(0.35)
    for line in _wrap(receipt.footer, FOOTER_SIZE, right - left):
        _draw(canvas, left, y, line, FOOTER_SIZE)
        y -= FOOTER_SIZE * 1.5
    canvas.showPage()
    canvas.save()
    return buf.getvalue()
