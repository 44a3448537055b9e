"""代缴保费 as one flow: the years open today (asked of the Backend), relative, year, quote (or
its refusal), ONE idempotency key per confirmation, the payment, the past payments (no Textual).

Every surface (laptop F4, the counter, the kiosk) drives this; none keeps a key of its own.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.models import Binding, PremiumPayment, PremiumQuote, PremiumYears
from yibao_tui.domain.money import format_fen
from yibao_tui.i18n import t

if TYPE_CHECKING:
    from yibao_tui.backend.base import Backend


class PremiumFlow:
    """Pay a bound relative's resident premium from ``payer``'s personal account."""

    def __init__(self, backend: Backend, payer: str) -> None:
        self.backend = backend
        self.payer = payer
        #: The years a form offers: those open for payment today in the payer's region (the
        #: Backend's answer, newest first; empty until ``load``), and the one chosen (the newest:
        #: premiums are paid for the coming year).
        self.years: list[int] = []
        self.year: int | None = None
        #: The Backend's answer: open years and the collection windows around.
        self.open: PremiumYears | None = None
        #: Active bindings, in the backend's order (the picker's options).
        self.relatives: list[Binding] = []
        #: Every binding ever made (ended ones name past payments).
        self.known: dict[str, Binding] = {}
        self.relative: str | None = None
        self.payments: list[PremiumPayment] = []
        #: The quote for the current choice (``None``: not asked, or refused).
        self.quote: PremiumQuote | None = None
        #: Why the current choice cannot be paid (a quote refused, or the balance too low).
        self.refusal: YibaoError | None = None
        #: The key of the confirmation under way (``None``: none). One per confirmation: a
        #: retry after a timeout reuses it, so confirming twice pays once.
        self.key: str | None = None

    # --- the choice -----------------------------------------------------------------------------

    async def load(self) -> bool:
        """The years open today, the bound relatives and the past payments; the choice is kept
        while still bound (and its year open), the only relative is chosen when nothing is, the
        newest open year when the chosen one is not open. ``True`` when the choice changed."""
        open_ = await self.backend.premium_years(self.payer)
        bindings = await self.backend.bindings(self.payer, include_ended=True)
        payments = await self.backend.premium_payments(self.payer)
        self.open = open_
        self.years = list(open_.open_years)
        year = self.year if self.year in self.years else (self.years[0] if self.years else None)
        for b in bindings:
            if b.status == "active" or b.relative_id not in self.known:
                self.known[b.relative_id] = b
        self.relatives = [b for b in bindings if b.status == "active"]
        self.payments = payments
        active = {b.relative_id for b in self.relatives}
        if self.relative not in active:
            only = self.relatives[0].relative_id if len(self.relatives) == 1 else None
            return self.choose(only, year)
        return self.choose(self.relative, year)

    def none_open(self) -> str | None:
        """When no year is open today: that, and the next collection window if one is
        configured (``premium.none_open``, ``premium.window``); ``None`` while a year is open."""
        if self.open is None or self.years:
            return None
        text = t("premium.none_open")
        nxt = self.open.next_window()
        if nxt is not None:
            text += "\n" + t("premium.window", year=nxt.year, opens=nxt.opens, closes=nxt.extended_to or nxt.closes)
        return text

    def choose(self, relative: str | None, year: int | None) -> bool:
        """A relative and a year; ``True`` when that is a new choice (its quote is then gone)."""
        if (relative, year) == (self.relative, self.year):
            return False
        self.relative, self.year = relative, year
        self.quote = None
        self.refusal = None
        self.key = None
        return True

    @property
    def chosen(self) -> bool:
        """Whether a relative and a year are chosen."""
        return self.relative is not None and self.year is not None

    # --- the quote ------------------------------------------------------------------------------

    async def fetch_quote(self) -> PremiumQuote | None:
        """The quote for the choice; a refusal (the backend's, or a balance too low) is kept in
        ``refusal`` and ``None`` returned. Raises what is not a refusal."""
        relative, year = self.relative, self.year
        if relative is None or year is None:
            return None
        try:
            quote = await self.backend.premium_quote(self.payer, relative, year)
        except YibaoError as err:
            if (relative, year) == (self.relative, self.year):
                self.quote, self.refusal = None, err
            return None
        if (relative, year) != (self.relative, self.year):
            return None  # chosen again meanwhile: that choice's quote is the one that counts
        self.quote = quote
        self.refusal = None
        if quote.balance_after_fen < 0:
            self.refusal = YibaoError(
                "INSUFFICIENT_BALANCE",
                balance=format_fen(quote.balance_fen),
                amount=format_fen(quote.amount_fen),
            )
        return quote

    @property
    def payable(self) -> bool:
        """A quote for the current choice that the rules would accept."""
        q = self.quote
        return (
            q is not None
            and self.refusal is None
            and (q.relative_id, q.year) == (self.relative, self.year)
        )

    # --- paying ---------------------------------------------------------------------------------

    def confirm(self) -> PremiumQuote | None:
        """Open a confirmation: its key is made now and kept until it pays or is cancelled.
        ``None`` (nothing opened) unless the quote on screen is payable."""
        if not self.payable:
            return None
        if self.key is None:
            self.key = str(uuid.uuid4())
        return self.quote

    def cancel(self) -> None:
        """The confirmation was closed without paying: the next one is a new request."""
        self.key = None

    async def pay(self) -> PremiumPayment:
        """Pay the confirmed quote with the confirmation's key (a retry reuses it)."""
        q = self.quote
        if q is None or self.key is None:
            raise YibaoError("INVALID_ARGUMENT", detail="premium: confirm a payable quote first")
        payment = await self.backend.premium_pay(q.payer_id, q.relative_id, q.year, key=self.key)
        self.key = None
        self.quote = None
        self.refusal = None
        return payment
