"""代缴保费 at the kiosk: a bound relative and a year → the quote → the PIN again → paid."""

from __future__ import annotations

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


class KioskPremium(KioskScreen):
    """Pay a bound relative's resident premium from the holder's account."""

    TITLE_KEY = "mode.kiosk.svc.premium"
    AUTO_FOCUS = "#relative"

    def __init__(self) -> None:
        super().__init__()
        #: The shared payment flow (its one idempotency key per confirmation).
        self.flow: PremiumFlow | None = None

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
        try:
            await flow.load()
        except Exception as err:  # noqa: BLE001
            self.say_error(self.query_one("#quote", Static), err)
            return
        # Nothing chosen for the holder: at a kiosk the relative is always picked by hand.
        flow.choose(None, flow.year)
        self.query_one("#relative", Select).set_options(
            [(Text(self.label(rid)), i) for i, rid in enumerate(self.choices)]
        )
        years = self.query_one("#year", Select)
        years.set_options([(str(y), y) for y in flow.years])
        years.value = flow.year if flow.year is not None else Select.NULL
        closed = flow.none_open()
        if not flow.relatives:
            self.query_one("#quote", Static).update(Text(t("mode.kiosk.family_none")))
        elif closed is not None:  # no year open today: say so, and when the next window opens
            self.query_one("#quote", Static).update(Text(closed))

    def _show_receipt_panel(self, shown: bool) -> None:
        """The receipt, or the quote and the pay button."""
        self.query_one("#receipt", Static).display = shown
        self.query_one("#quote", Static).display = not shown
        self.query_one("#pay-row").display = not shown

    @on(Select.Changed, "#relative, #year")
    def _changed(self) -> None:
        flow = self.flow
        if flow is None:
            return
        index = self.query_one("#relative", Select).value
        year = self.query_one("#year", Select).value
        choices = self.choices
        relative = choices[index] if isinstance(index, int) and 0 <= index < len(choices) else None
        if not flow.choose(relative, year if isinstance(year, int) else None):
            return
        self.query_one("#pay", Button).disabled = True
        if self.query_one("#receipt", Static).display:
            self.query_one("#quote", Static).update(Text(t("mode.kiosk.premium_hint")))
            self._show_receipt_panel(False)
        if flow.chosen:
            self.get_quote()

    @work(exclusive=True, exit_on_error=False, group="quote")
    async def get_quote(self) -> None:
        """The quote, or the rule's refusal (masked)."""
        panel = self.query_one("#quote", Static)
        flow = self.flow
        if flow is None:
            return
        try:
            await flow.fetch_quote()
        except Exception as err:  # noqa: BLE001
            self.say_error(panel, err)
            return
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
        self.query_one("#pay", Button).disabled = not flow.payable

    @on(Button.Pressed, "#pay")
    def pay(self) -> None:
        """Ask for the PIN again, then pay with this confirmation's idempotency key."""
        from yibao_tui.tui.kiosk.dialogs import KioskPinConfirm

        flow = self.flow
        quote = flow.confirm() if flow else None
        if flow is None or quote is None:
            return
        question = Text(
            t(
                "mode.kiosk.confirm",
                amount=format_fen(quote.amount_fen),
                who=self.label(quote.relative_id),
                year=quote.year,
            )
        )

        def confirmed(ok: bool | None) -> None:
            if ok and flow.quote is quote:
                self.query_one("#pay", Button).disabled = True
                self.do_pay()
            elif not ok:
                flow.cancel()

        self.app.push_screen(KioskPinConfirm(question), confirmed)

    @work(exclusive=True, exit_on_error=False, group="pay")
    async def do_pay(self) -> None:
        """The payment, all or nothing; the receipt on screen."""
        panel = self.query_one("#quote", Static)
        flow = self.flow
        if flow is None:
            return
        try:
            payment = await flow.pay()
        except Exception as err:  # noqa: BLE001
            self.query_one("#pay", Button).disabled = False
            self.say_error(panel, err)
            return
        panel.update(Text(t("mode.kiosk.paid", id=payment.payment_id), style="bold green"))
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
        self.kapp.print_later(receipt, f"premium-{payment.payment_id}")  # the slip, once
        self.last_receipt = receipt.text()
        text = Text()
        text.append(t("mode.kiosk.paid_title") + "\n", style="bold green")
        text.append("\n".join(receipt.row_lines()) + "\n")
        text.append(receipt.footer, style="dim")
        self.query_one("#receipt", Static).update(text)
        self._show_receipt_panel(True)
