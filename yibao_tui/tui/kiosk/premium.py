"""代缴保费 at the kiosk: a bound relative and a year → the quote → the PIN again → paid."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Select, Static

from yibao_tui.domain.masking import mask_id, mask_name
from yibao_tui.domain.models import Binding, PremiumPayment, PremiumQuote
from yibao_tui.domain.money import format_fen
from yibao_tui.i18n import t
from yibao_tui.tui.flows.premium import PremiumFlow
from yibao_tui.tui.kiosk.base import KioskScreen
from yibao_tui.tui.widgets.common import relation_name
from yibao_tui.tui.widgets.premium_form import PremiumForm

if TYPE_CHECKING:
    from yibao_tui.printing import PrintOutcome
    from yibao_tui.receipts import Receipt


class KioskPremium(KioskScreen, PremiumForm):
    """Pay a bound relative's resident premium from the holder's account."""

    TITLE_KEY = "mode.kiosk.svc.premium"
    AUTO_FOCUS = "#relative"
    #: Nothing chosen for the holder: at a kiosk the relative is always picked by hand.
    PICK_ONLY_RELATIVE = False

    def __init__(self) -> None:
        super().__init__()
        #: The shared payment flow (its one idempotency key per confirmation).
        self.flow: PremiumFlow | None = None
        #: The last payment's slip and its document name (for 打印回执).
        self.slip: tuple[Receipt, str] | None = None

    @property
    def relatives(self) -> dict[str, Binding]:
        """The holder's relatives, by ID."""
        return self.flow.known if self.flow else {}

    @property
    def choices(self) -> list[str]:
        """The relatives in the picker's order (its values are indexes: no ID in a widget)."""
        return [b.relative_id for b in self.flow.relatives] if self.flow else []

    @property
    def quote(self) -> PremiumQuote | None:
        """The quote on screen."""
        return self.flow.quote if self.flow else None

    def compose_body(self) -> ComposeResult:
        holder = self.holder
        if holder is not None:
            self.flow = PremiumFlow(self.backend, holder.id)
        with Horizontal(classes="kiosk-form"):
            yield Select([], prompt=t("mode.kiosk.pick_relative"), id="relative")
            # only the years open for payment today (the flow asks the Backend): see load
            yield Select([], prompt=t("ui.premium.col.year"), id="year")
        yield Static(Text(t("mode.kiosk.premium_hint")), id="quote", classes="kiosk-panel")
        with Horizontal(classes="kiosk-buttons", id="pay-row"):
            yield Button(
                t("mode.kiosk.pay"), id="pay", variant="warning", disabled=True, classes="kiosk-nav"
            )
        # After a payment the receipt takes the quote's place (it must fit above the bottom
        # buttons on an 80x24 screen); choosing again brings the quote back.
        receipt = Static("", id="receipt", classes="kiosk-panel")
        receipt.display = False
        yield receipt
        # Only when the slip did not print: try again (this payment's slip, nobody else's)
        with Horizontal(classes="kiosk-buttons", id="slip-row") as slip_row:
            slip_row.display = False
            yield Button(t("print.button.receipt"), id="reprint-slip", classes="kiosk-nav")

    def on_mount(self) -> None:
        self.load()

    def label(self, relative_id: str) -> str:
        """``配偶 王* 440***********0045``."""
        b = self.relatives.get(relative_id)
        if b is None:
            return mask_id(relative_id)
        return f"{relation_name(b.relation)} {mask_name(b.relative_name)} {mask_id(b.relative_id)}"

    @work(exclusive=True, exit_on_error=False, group="load")
    async def load(self) -> None:
        """The holder's active bindings."""
        flow = self.flow
        if flow is None:
            return
        if await self.load_premium() is None:
            return
        closed = flow.none_open()
        if not flow.relatives:
            self.query_one("#quote", Static).update(Text(t("mode.kiosk.family_none")))
        elif closed is not None:  # no year open today: say so, and when the next window opens
            self.query_one("#quote", Static).update(Text(closed))

    def relative_options(self, flow: PremiumFlow) -> list[tuple[Text, Any]]:
        return [(Text(self.label(rid)), i) for i, rid in enumerate(self.choices)]

    def relative_value(self, relative_id: str) -> Any:
        return self.choices.index(relative_id)

    def picked_relative(self, value: object) -> str | None:
        choices = self.choices
        return choices[value] if isinstance(value, int) and 0 <= value < len(choices) else None

    def premium_failed(self, err: BaseException) -> None:
        self.say_error(self.query_one("#quote", Static), err)

    def _show_receipt_panel(self, shown: bool) -> None:
        """The receipt, or the quote and the pay button."""
        self.query_one("#receipt", Static).display = shown
        self.query_one("#quote", Static).display = not shown
        self.query_one("#pay-row").display = not shown
        self.query_one("#slip-row").display = False

    def premium_rechosen(self) -> None:
        if self.query_one("#receipt", Static).display:
            self.query_one("#quote", Static).update(Text(t("mode.kiosk.premium_hint")))
            self._show_receipt_panel(False)

    def premium_quoted(self, flow: PremiumFlow) -> None:
        """The quote, or the rule's refusal (masked)."""
        panel = self.query_one("#quote", Static)
        quote = flow.quote
        if quote is None:
            if flow.refusal is not None:
                self.say_error(panel, flow.refusal)
            return
        text = Text()
        text.append(
            t("mode.kiosk.quote", year=quote.year, who=self.label(quote.relative_id)) + "\n",
            style="bold",
        )
        text.append(t("mode.kiosk.quote_amount", amount=format_fen(quote.amount_fen)) + "\n")
        text.append(
            t(
                "mode.kiosk.quote_balance",
                before=format_fen(quote.balance_fen),
                after=format_fen(quote.balance_after_fen),
            )
        )
        if flow.refusal is not None:
            text.append("\n" + t("mode.kiosk.short"), style="bold red")
        panel.update(text)

    @on(Button.Pressed, "#pay")
    def pay(self) -> None:
        """Ask for the PIN again, then pay with this confirmation's idempotency key."""
        from yibao_tui.tui.kiosk.dialogs import KioskPinConfirm

        quote = self.flow.confirm() if self.flow else None
        if quote is None:
            return
        question = Text(
            t(
                "mode.kiosk.confirm",
                amount=format_fen(quote.amount_fen),
                who=self.label(quote.relative_id),
                year=quote.year,
            )
        )
        self.confirm_payment(KioskPinConfirm(question), lambda _ok: self.pay_confirmed())

    def premium_paid(self, payment: PremiumPayment) -> None:
        self.query_one("#quote", Static).update(
            Text(t("mode.kiosk.paid", id=payment.payment_id), style="bold green")
        )
        self.show_receipt(payment)

    def show_receipt(self, payment: PremiumPayment) -> None:
        """The masked receipt, on screen in place of the quote (no operator at a kiosk)."""
        from yibao_tui.receipts import premium_receipt

        holder = self.holder
        b = self.relatives.get(payment.relative_id)
        receipt = premium_receipt(
            payment,
            payer_name=holder.name if holder else "",
            relative_name=b.relative_name if b else "",
            operator=None,
            channel="kiosk",
            station=self.kapp.station,
        )
        self.slip = (receipt, f"premium-{payment.payment_id}")
        self.kapp.print_later(*self.slip, done=self._slip_printed)  # the slip, once
        self.last_receipt = receipt.text()
        text = Text()
        text.append(t("mode.kiosk.paid_title") + "\n", style="bold green")
        text.append("\n".join(receipt.row_lines()) + "\n")
        text.append(receipt.footer, style="dim")
        self.query_one("#receipt", Static).update(text)
        self._show_receipt_panel(True)

    def _slip_printed(self, outcome: PrintOutcome) -> None:
        """The slip did not print (the printer is stopped, out of paper): offer to try again;
        it printed: nothing more to offer."""
        if not self.is_mounted:
            return
        row = self.query_one("#slip-row")
        row.display = not outcome.printed and self.query_one("#receipt", Static).display
        self.query_one("#reprint-slip", Button).disabled = False

    @on(Button.Pressed, "#reprint-slip")
    def reprint_slip(self) -> None:
        """打印回执: this payment's slip again (its kept copy). Only prints: never pays."""
        if self.slip is None:
            return
        self.query_one("#reprint-slip", Button).disabled = True
        self.notify(t("print.kiosk.printing"), markup=False)
        self.kapp.print_later(*self.slip, done=self._slip_printed, again=True)
