"""Text receipts for premium payments and withdrawals: masked data, the payment id, the operator,
the time. Saved as UTF-8 text only: no PDF library is a dependency of this project, and the
simple ones need a CJK font file shipped alongside to render Chinese correctly.
"""

from __future__ import annotations

import re
from pathlib import Path

from yibao_tui.domain.masking import mask_card, mask_id, mask_name
from yibao_tui.domain.models import PremiumPayment, WithdrawalReceipt
from yibao_tui.domain.money import format_fen
from yibao_tui.i18n import t

#: An 18-character resident ID number anywhere in a text.
ID_PATTERN = re.compile(r"\d{17}[\dXx]")


def scrub_ids(text: str) -> str:
    """Mask every full ID number in ``text`` (error messages may name one)."""
    return ID_PATTERN.sub(lambda m: mask_id(m.group(0).upper()), text)


def _lines(title: str, rows: list[tuple[str, str]]) -> str:
    from rich.cells import cell_len

    width = max(cell_len(label) for label, _ in rows)
    out = [title, "=" * 36]
    for label, value in rows:
        pad = " " * (width - cell_len(label))
        out.append(f"{label}{pad}{t('mode.colon')}{value}")
    out.append("=" * 36)
    out.append(t("mode.receipt.footer"))
    return scrub_ids("\n".join(out)) + "\n"


def premium_receipt(
    payment: PremiumPayment,
    *,
    payer_name: str = "",
    relative_name: str = "",
    operator: str | None = None,
    channel: str = "counter",
) -> str:
    """The receipt of a premium paid for a relative (everything personal masked)."""
    rows = [
        (t("mode.receipt.payment_id"), payment.payment_id),
        (t("mode.receipt.payer"), f"{mask_name(payer_name)} {mask_id(payment.payer_id)}".strip()),
        (t("mode.receipt.relative"), f"{mask_name(relative_name)} {mask_id(payment.relative_id)}".strip()),
        (t("mode.receipt.year"), str(payment.year)),
        (t("mode.receipt.amount"), format_fen(payment.amount_fen)),
        (t("mode.receipt.balance_after"), format_fen(payment.balance_after_fen)),
        (t("mode.receipt.channel"), t(f"mode.channel.{channel}")),
        (t("mode.receipt.operator"), operator or "-"),
        (t("mode.receipt.time"), payment.time),
    ]
    if payment.replayed:
        rows.append((t("mode.receipt.note"), t("mode.receipt.replayed")))
    return _lines(t("mode.receipt.premium_title"), rows)


def withdrawal_receipt(receipt: WithdrawalReceipt, *, holder_name: str = "") -> str:
    """The receipt of an executed withdrawal (the account is closed by it)."""
    rows = [
        (t("mode.receipt.withdrawal_id"), receipt.withdrawal_id),
        (t("mode.receipt.holder"), f"{mask_name(holder_name)} {mask_id(receipt.person_id)}".strip()),
        (t("mode.receipt.case"), _case(receipt.case)),
        (t("mode.receipt.payee"), f"{t('mode.payee.' + receipt.payee)} {mask_name(receipt.payee_name)}"),
        (t("mode.receipt.account"), mask_card(receipt.payee_account)),
        (t("mode.receipt.amount"), format_fen(receipt.amount_fen)),
        (t("mode.receipt.operator"), receipt.operator),
        (t("mode.receipt.cosigner"), receipt.cosigner),
        (t("mode.receipt.time"), receipt.time),
        (t("mode.receipt.note"), t("mode.receipt.closed")),
    ]
    if receipt.replayed:
        rows.append((t("mode.receipt.note"), t("mode.receipt.replayed")))
    return _lines(t("mode.receipt.withdrawal_title"), rows)


def _case(case: str) -> str:
    name = t(f"ui.case.{case}")
    return case if name == f"ui.case.{case}" else name


def save_receipt(text: str, name: str, folder: Path | None = None) -> Path:
    """Write ``text`` to ``<export dir>/receipts/<name>.txt`` (never overwriting); returns the path."""
    from yibao_tui.settings import export_dir

    base = folder or export_dir() / "receipts"
    base.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80] or "receipt"
    path = base / f"{safe}.txt"
    n = 0
    while path.exists():
        n += 1
        path = base / f"{safe}-{n}.txt"
    path.write_text(text, encoding="utf-8")
    return path
