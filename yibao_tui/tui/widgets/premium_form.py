"""The 代缴保费 form every surface drives, written once: the relative and year pickers, a new
choice, the quote and the payment, all through one ``PremiumFlow``.

A surface's screen mixes ``PremiumForm`` in next to its own base (the laptop's ``YibaoScreen``,
the kiosk's ``KioskScreen``), lays out ``#relative``, ``#year`` and ``#pay`` and says how its
relatives are labelled and how a quote, a payment and an error show: the laptop in a panel and a
dialog, the kiosk in big text with the PIN asked again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.screen import Screen
from textual.widgets import Button, Select

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.text import Text

    from yibao_tui.domain.models import PremiumPayment
    from yibao_tui.tui.flows.premium import PremiumFlow


class PremiumForm(Screen[Any]):
    """The flow's steps on screen; subclasses give the words (the ``premium_*`` hooks)."""

    #: The payment flow of the payer shown (``None``: nobody).
    flow: PremiumFlow | None = None
    #: The years the year picker offers (the flow's open years when last filled).
    years_shown: tuple[int, ...] = ()
    #: Choose the only bound relative for the payer (``False``: always picked by hand).
    PICK_ONLY_RELATIVE: ClassVar[bool] = True

    # --- what the surface says ------------------------------------------------------------------

    def relative_options(self, flow: PremiumFlow) -> list[tuple[Text, Any]]:
        """The relative picker's options: a label and a value for each bound relative."""
        raise NotImplementedError

    def relative_value(self, relative_id: str) -> Any:
        """The relative picker's value for ``relative_id``."""
        return relative_id

    def picked_relative(self, value: object) -> str | None:
        """The relative a picker value stands for (``None``: nobody chosen)."""
        return value if isinstance(value, str) else None

    def premium_failed(self, err: BaseException) -> None:
        """A step failed (the server, or an unexpected error): say so."""
        raise NotImplementedError

    def premium_quoted(self, flow: PremiumFlow) -> None:
        """Show ``flow.quote`` (and ``flow.refusal``, the reason it cannot be paid)."""
        raise NotImplementedError

    def premium_paid(self, payment: PremiumPayment) -> None:
        """The payment went through: its receipt."""
        raise NotImplementedError

    def premium_rechosen(self) -> None:
        """A new choice: the quote on screen is gone (the pay button already is)."""

    # --- the steps ------------------------------------------------------------------------------

    async def load_premium(self) -> bool | None:
        """The flow's years, relatives and payments read again and the pickers filled: ``True``
        when the choice changed, ``None`` (said) when that failed."""
        flow = self.flow
        if flow is None:
            return None
        try:
            rechosen = await flow.load()
        except Exception as err:  # noqa: BLE001
            self.premium_failed(err)
            return None
        if not self.PICK_ONLY_RELATIVE:
            rechosen = flow.choose(None, flow.year) or rechosen
        with self.app.batch_update():
            select = self.query_one("#relative", Select)
            select.set_options(self.relative_options(flow))
            if flow.relative is not None:
                select.value = self.relative_value(flow.relative)
            years = self.query_one("#year", Select)
            if self.years_shown != tuple(flow.years):
                self.years_shown = tuple(flow.years)
                years.set_options([(str(y), y) for y in flow.years])
            years.value = flow.year if flow.year is not None else Select.NULL
        return rechosen

    @on(Select.Changed, "#relative, #year")
    def premium_choice_changed(self) -> None:
        """A relative or a year picked: the old quote goes, the new choice is quoted."""
        flow = self.flow
        if flow is None:
            return
        relative = self.picked_relative(self.query_one("#relative", Select).value)
        year = self.query_one("#year", Select).value
        if not flow.choose(relative, year if isinstance(year, int) else None):
            return  # the options were refreshed, the choice is the same
        self.query_one("#pay", Button).disabled = True
        self.premium_rechosen()
        if flow.chosen:
            self.get_quote()

    @work(exclusive=True, exit_on_error=False, group="quote")
    async def get_quote(self) -> None:
        """The quote for the choice, or the rule's refusal; the pay button only when payable."""
        flow = self.flow
        if flow is None:
            return
        try:
            await flow.fetch_quote()
        except Exception as err:  # noqa: BLE001
            self.premium_failed(err)
            return
        self.query_one("#pay", Button).disabled = not flow.payable
        self.premium_quoted(flow)

    def confirm_payment(self, dialog: Screen[Any], paying: Callable[[Any], object]) -> None:
        """Open ``dialog`` for the confirmation under way (``flow.confirm()`` made its key):
        a yes (or a payment) goes on to ``paying``, given the answer; anything else closes the
        confirmation, and the next one is a new request."""
        flow = self.flow
        if flow is None:
            return

        def answered(answer: object) -> None:
            if not answer:
                flow.cancel()
                return
            self.query_one("#pay", Button).disabled = True
            paying(answer)

        self.app.push_screen(dialog, answered)

    @work(exclusive=True, exit_on_error=False, group="pay")
    async def pay_confirmed(self) -> None:
        """Pay the confirmed quote with the confirmation's key (a retry reuses it)."""
        flow = self.flow
        if flow is None:
            return
        try:
            payment = await flow.pay()
        except Exception as err:  # noqa: BLE001
            self.query_one("#pay", Button).disabled = False
            self.premium_failed(err)
            return
        self.premium_paid(payment)
