"""代缴保费 at the counter: the personal screen, with a saved receipt (text, and PDF when
reportlab is installed) naming the operator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from yibao_tui.domain.models import PremiumPayment
from yibao_tui.i18n import t
from yibao_tui.tui.views.premium import PremiumScreen

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.app import App

    from yibao_tui.receipts import Receipt


def print_button(app: App[object], doc: Receipt, name: str) -> tuple[str, Callable[[], None]] | None:
    """The receipt dialog's 打印回执 (when the window has a printer configured): prints the
    receipt again, its kept copy when a print failed. Only prints: never pays again."""
    print_later = getattr(app, "print_later", None)
    if print_later is None or getattr(app, "printer", None) is None:
        return None
    return t("print.button.receipt"), lambda: print_later(doc, name, again=True)


class CounterPremiumScreen(PremiumScreen):
    """As the personal screen; receipts are masked files naming the operator."""

    def __init__(self) -> None:
        super().__init__()
        #: What was saved for each payment shown (a receipt is saved once per payment).
        self.saved: dict[str, str] = {}

    def show_receipt(self, payment: PremiumPayment) -> None:
        """Save the receipt (text, and PDF when reportlab is installed; once per payment) and
        show it with where it went."""
        from yibao_tui.receipts import premium_receipt, save_receipt_files
        from yibao_tui.tui.widgets.dialogs import MessageDialog

        person = self.person
        operator = getattr(self.app, "operator", None)
        binding = self.relatives.get(payment.relative_id)
        receipt = premium_receipt(
            payment,
            payer_name=person.name if person and person.id == payment.payer_id else "",
            relative_name=binding.relative_name if binding else "",
            operator=operator.id if operator else None,
            channel="counter",
            station=getattr(self.app, "station", ""),
        )
        if payment.payment_id not in self.saved:
            try:
                saved = save_receipt_files(receipt, f"premium-{payment.payment_id}")
                self.saved[payment.payment_id] = saved.describe()
            except OSError as err:
                self.report(err)
            print_later = getattr(self.app, "print_later", None)
            if print_later is not None:  # the window's printer: once per payment, like the file
                print_later(receipt, f"premium-{payment.payment_id}")
        body = Text(receipt.text())
        if payment.payment_id in self.saved:
            body.append(self.saved[payment.payment_id], style="dim")
        self.app.push_screen(MessageDialog(t("ui.receipt.title"), body, dialog_id="receipt",
                                           extra=print_button(self.app, receipt,
                                                              f"premium-{payment.payment_id}")))

    def _panel(self, text: Text) -> None:
        """Refusals may name a relative's full ID: masked unless revealed."""
        from yibao_tui.receipts import ID_PATTERN, scrub_ids

        if self.masked and ID_PATTERN.search(text.plain):
            text = Text(scrub_ids(text.plain), style="bold red")
        super()._panel(text)
