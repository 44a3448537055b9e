"""代缴保费 (F4): pay a bound relative's resident premium from the personal account."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding as KeyBinding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, Select, Static

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.models import Binding, Person, PremiumPayment, PremiumQuote
from yibao_tui.domain.money import format_fen
from yibao_tui.domain.relations import Relation
from yibao_tui.i18n import t
from yibao_tui.tui.flows.premium import PremiumFlow
from yibao_tui.tui.views.base import YibaoScreen
from yibao_tui.tui.widgets.common import (
    cell,
    column_width,
    error_text,
    relation_name,
    report_error,
    short_time,
    show_id,
    show_name,
    translate_bindings,
)
from yibao_tui.tui.widgets.premium_form import PremiumForm
from yibao_tui.tui.widgets.rowtable import RowTable


def receipt_text(payment: PremiumPayment, relative_label: str, masked: bool) -> Text:
    """The receipt as literal text (the payment id is the number to quote later)."""
    text = Text()
    rows = [
        (t("receipt.payment_id"), payment.payment_id, "bold"),
        (t("receipt.payer"), show_id(payment.payer_id, masked), ""),
        (t("receipt.relative"), relative_label or show_id(payment.relative_id, masked), ""),
        (t("receipt.year"), str(payment.year), ""),
        (t("receipt.amount"), format_fen(payment.amount_fen), "bold"),
        (t("receipt.balance_after"), format_fen(payment.balance_after_fen), ""),
        (t("receipt.time"), short_time(payment.time), ""),
    ]
    for label, value, style in rows:
        text.append(label + t("colon"), style="dim")
        text.append(value, style=style)
        text.append("\n")
    if payment.replayed:
        text.append(t("paren", text=t("replayed")), style="yellow")
    text.rstrip()
    return text


class PremiumScreen(YibaoScreen, PremiumForm):
    """Pick a bound relative and a year, see the quote, confirm, pay; the past payments."""

    NAME_KEY = "ui.screen.premium"
    AUTO_FOCUS = "#relative"
    BINDINGS = [
        KeyBinding("q", "quote", "key.quote", id="quote"),
        KeyBinding("y", "pay", "key.pay", id="pay"),
    ]
    COMMANDS_HERE = (("quote", "cmd.quote"), ("pay", "cmd.pay"))

    def __init__(self) -> None:
        super().__init__()
        #: The payment flow of the person shown (``None``: nobody).
        self.flow: PremiumFlow | None = None
        self.date_only = False

    @property
    def relatives(self) -> dict[str, Binding]:
        """Every relative the person ever bound (ended ones name past payments)."""
        return self.flow.known if self.flow else {}

    @property
    def quote(self) -> PremiumQuote | None:
        """The quote on screen."""
        return self.flow.quote if self.flow else None

    @property
    def payments(self) -> list[PremiumPayment]:
        """The past payments shown."""
        return self.flow.payments if self.flow else []

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="premium-form", classes="bar"):
            yield Select([], prompt=t("ui.premium.relative_prompt"), id="relative")
            # only the years open for payment today (the flow asks the Backend): see load
            yield Select([], prompt=t("ui.premium.col.year"), id="year")
            yield Button(t("ui.premium.quote"), id="quote", variant="primary")
            yield Button(t("ui.premium.pay"), id="pay", variant="warning", disabled=True)
        yield Static(Text(t("ui.premium.hint"), style="dim"), id="quote-panel")
        yield Label(t("ui.premium.history"), classes="caption")
        yield RowTable(id="payments", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#payments", DataTable)
        # The balance after each payment is on its receipt (Enter): without it the table keeps
        # whole times at 80 columns; the relative column fits the longest relation name in the
        # language shown.
        samples = {
            "payment_id": ["PM20240000000126"],
            "year": ["2025"],
            "relative": [f"{relation_name(r.value)} 欧**明" for r in Relation],
            "amount": [format_fen(9_999_999)],
            "time": ["2025-01-01 00:00"],
        }
        widths = {k: column_width(t(f"ui.premium.col.{k}"), *v) for k, v in samples.items()}
        #: Whole times when they fit the terminal (2 cells of padding a column), else dates.
        self.date_only = sum(w + 2 for w in widths.values()) > self.app.size.width
        if self.date_only:
            widths["time"] = column_width(t("ui.premium.col.time"), "2025-01-01")
        for key, width in widths.items():
            table.add_column(t(f"ui.premium.col.{key}"), key=key, width=width)
        super().on_mount()

    def person_changed(self, person: Person | None) -> None:
        if person is None or self.flow is None or person.id != self.flow.payer:
            # Another person: a new flow, no choice, no quote. (The same person reloaded after
            # a payment keeps the receipt line in the panel.)
            self.flow = None
            if person is not None:
                self.flow = PremiumFlow(self.backend, person.id)
                self.years_shown = ()
                self.query_one("#year", Select).set_options([])
            self.query_one("#pay", Button).disabled = True
            self._panel(Text(t("ui.premium.hint"), style="dim"))
        self.load()

    def refresh_data(self) -> None:
        self.load()

    def relative_label(self, relative_id: str, *, with_id: bool = True) -> str:
        """``配偶 张* 110***********002X`` for a bound relative, else the masked ID."""
        b = self.relatives.get(relative_id)
        if b is None:
            return show_id(relative_id, self.masked)
        label = f"{relation_name(b.relation)} {show_name(b.relative_name, self.masked)}"
        return f"{label} {show_id(b.relative_id, self.masked)}" if with_id else label

    @work(exclusive=True, exit_on_error=False, group="load")
    async def load(self) -> None:
        """The bound relatives (for the picker) and the past payments."""
        person, flow = self.person, self.flow
        table = self.query_one("#payments", DataTable)
        if person is None or flow is None:
            self.query_one("#relative", Select).set_options([])
            table.clear()
            return
        rechosen = await self.load_premium()
        if rechosen is None:
            return
        self.fresh()
        table.clear()
        for p in flow.payments:
            who = p.relative_id if p.payer_id == person.id else p.payer_id
            table.add_row(
                cell(p.payment_id),
                cell(str(p.year)),
                # without the ID (the receipt has it): the table fits 100 columns
                cell(self.relative_label(who, with_id=False)),
                cell(format_fen(p.amount_fen), right=True),
                cell(short_time(p.time)[:10] if self.date_only else short_time(p.time)),
                key=p.payment_id,
            )
        closed = flow.none_open()
        if closed is not None:  # no year open today: say so, and when the next window opens
            self.query_one("#pay", Button).disabled = True
            self._panel(Text(closed, style="yellow"))
        elif rechosen:
            self.query_one("#pay", Button).disabled = True
            if flow.chosen:
                self.action_quote()  # the only relative, chosen for the person: quote it
            else:
                self._panel(Text(t("ui.premium.hint"), style="dim"))

    def relative_options(self, flow: PremiumFlow) -> list[tuple[Text, Any]]:
        return [(Text(self.relative_label(b.relative_id)), b.relative_id) for b in flow.relatives]

    def premium_failed(self, err: BaseException) -> None:
        self.report(err)

    @on(Button.Pressed, "#quote")
    def action_quote(self) -> None:
        """What paying the chosen relative's premium would cost."""
        if self.flow is None or not self.flow.chosen:
            self._panel(Text(t("ui.premium.pick"), style="yellow"))
            return
        self.get_quote()

    def _panel(self, text: Text) -> None:
        self.query_one("#quote-panel", Static).update(text)

    def premium_quoted(self, flow: PremiumFlow) -> None:
        """The quote, or the refusal's message in the panel."""
        quote, refusal = flow.quote, flow.refusal
        if quote is None:
            if refusal is not None:
                self._panel(Text("✗ " + error_text(refusal, self.masked), style="bold red"))
            return
        text = Text()
        text.append(t("ui.premium.quote_for", year=quote.year), style="bold")
        text.append(self.relative_label(quote.relative_id))
        text.append("\n")
        text.append(t("ui.premium.standard"))
        text.append(format_fen(quote.amount_fen), style="bold")
        text.append("    ")
        text.append(t("ui.premium.balance"))
        text.append(format_fen(quote.balance_fen))
        text.append(" → ")
        text.append(format_fen(quote.balance_after_fen), style="bold")
        if refusal is not None:
            # The payment would be refused: say so now, in the rule's words.
            text.append("\n✗ " + error_text(refusal, self.masked), style="bold red")
        self._panel(text)

    @on(Button.Pressed, "#pay")
    def action_pay(self) -> None:
        """Open the confirmation dialog (the flow holds its one idempotency key)."""
        flow = self.flow
        if flow is None:
            return
        quote = flow.confirm()
        if quote is None:
            if flow.quote is None and flow.refusal is None:
                self.action_quote()
            return  # refused: the quote on screen says why (the key does not do what the
            # disabled button would not)
        self.confirm_payment(
            PremiumConfirm(flow, self.relative_label(quote.relative_id)), self.premium_paid
        )

    def premium_paid(self, payment: PremiumPayment) -> None:
        self._panel(Text(t("ui.premium.paid", id=payment.payment_id), style="green"))
        self.show_receipt(payment)
        self.after_payment()

    @work(exclusive=True, exit_on_error=False, group="after")
    async def after_payment(self) -> None:
        """The balance changed: the person (and so every screen) is fetched again."""
        try:
            await self.yapp.reload_person()
        except Exception as err:  # noqa: BLE001
            self.report(err)

    def show_receipt(self, payment: PremiumPayment) -> None:
        """The receipt dialog."""
        from yibao_tui.tui.widgets.dialogs import MessageDialog

        self.app.push_screen(
            MessageDialog(
                t("ui.receipt.title"),
                receipt_text(payment, self.relative_label(payment.relative_id), self.masked),
                dialog_id="receipt",
            )
        )

    @on(DataTable.RowSelected, "#payments")
    def _payment_chosen(self, event: DataTable.RowSelected) -> None:
        for p in self.payments:
            if p.payment_id == event.row_key.value:
                self.show_receipt(p)
                return


class PremiumConfirm(ModalScreen[PremiumPayment | None]):
    """Confirm the payment. The flow holds ONE idempotency key per confirmation: confirming
    twice, or again after a timeout, pays once."""

    BINDINGS = [KeyBinding("escape", "cancel", "key.cancel")]

    def __init__(self, flow: PremiumFlow, relative_label: str) -> None:
        super().__init__(classes="dialog-screen", id="premium-confirm")
        translate_bindings(self)
        assert flow.quote is not None and flow.key is not None
        self.flow = flow
        self.quote: PremiumQuote = flow.quote
        self.relative_label = relative_label
        #: The confirmation's idempotency key (the flow's, while this dialog is open).
        self.key: str = flow.key
        self.paying = False

    def compose(self) -> ComposeResult:
        q = self.quote
        body = Text()
        body.append(t("ui.confirm.pay_q", year=q.year), style="bold")
        body.append("\n")
        body.append(self.relative_label)
        body.append("\n")
        body.append(t("ui.premium.standard"))
        body.append(format_fen(q.amount_fen), style="bold")
        body.append("\n")
        body.append(t("ui.premium.balance"))
        body.append(f"{format_fen(q.balance_fen)} → {format_fen(q.balance_after_fen)}")
        body.append("\n")
        body.append(t("ui.confirm.pay_note"), style="dim")
        with Vertical(classes="dialog"):
            yield Static(Text(t("ui.confirm.pay_title"), style="bold"), classes="dialog-title")
            yield Static(body, classes="dialog-body")
            yield Static("", id="pay-error", classes="inline-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("ui.confirm.pay"), id="confirm", variant="warning")
                yield Button(t("ui.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def confirm(self) -> None:
        """Pay (a second press while paying is ignored; a retry reuses the same key)."""
        if self.paying:
            return
        self.paying = True
        self.query_one("#confirm", Button).disabled = True
        self.pay()

    @work(exclusive=True, exit_on_error=False, group="pay")
    async def pay(self) -> None:
        """The payment, all or nothing; a refusal is shown in the dialog."""
        try:
            payment = await self.flow.pay()
        except Exception as err:  # noqa: BLE001
            self.paying = False
            self.query_one("#confirm", Button).disabled = False
            self.query_one("#pay-error", Static).update(
                Text(error_text(err, self.app.masked), style="bold red")  # type: ignore[attr-defined]
            )
            if not isinstance(err, YibaoError):
                report_error(self, err)
            return
        self.dismiss(payment)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without paying (not while a payment is on its way)."""
        if not self.paying:
            self.dismiss(None)
