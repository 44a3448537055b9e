"""The ``Backend`` protocol: every operation the TUI, the CLI and the server need.

Implementations: ``LocalBackend`` (the SQLite ledger on a thread it owns) and ``HttpBackend``
(httpx against ``yibao serve``). Every method raises ``YibaoError`` with a stable code and
nothing else; results are the plain records of ``yibao_tui.domain.models``.

Person arguments accept an ID number or a card number. Amounts are integer fen. ``key`` is an
optional idempotency key: an identical replay returns the original result with
``replayed=True``; the same key with a different request raises ``IDEMPOTENCY_CONFLICT``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from yibao_tui.domain.models import (
    AuditPage,
    AuditRow,
    Balance,
    Binding,
    BindingRules,
    CreditResult,
    ImportResult,
    Operator,
    OperatorInfo,
    Person,
    PersonMatchPage,
    PremiumPayment,
    PremiumQuote,
    PremiumYears,
    SpendResult,
    StatementPage,
    Summary,
    VerifyReport,
    WithdrawalCases,
    WithdrawalReceipt,
    WithdrawalVerdict,
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting, for the audit log: channel ``cli|tui|counter|kiosk|http`` and operator."""

    channel: str = "cli"
    operator: str | None = None


@runtime_checkable
class Backend(Protocol):
    """What every screen and command may ask of the system of record."""

    actor: Actor

    async def close(self) -> None:
        """Release connections and threads."""

    async def init(self) -> str:
        """Create or migrate the ledger; returns where it is (path or URL)."""

    async def is_empty(self) -> bool:
        """True when no person is registered (the app then offers demo data)."""

    async def demo(self, persons: int = 20, seed: int = 1) -> dict[str, Any]:
        """Load deterministic demo data; returns ``{persons, entries, owner}``."""

    async def demo_owner(self) -> str | None:
        """The ID the demo data names as the laptop owner, if demo data was loaded."""

    async def add_person(
        self,
        id: str,
        name: str,
        scheme: str,
        region: str,
        card: str | None = None,
        opening_balance_fen: int = 0,
        key: str | None = None,
    ) -> Person:
        """Register a person; an employee member gets a personal account."""

    async def person(self, who: str) -> Person:
        """Look a person up by ID or card number (audited read)."""

    async def balance(self, who: str) -> Balance:
        """The balance and account status (audited read)."""

    async def summary(self, who: str, year: int, months: int = 24) -> Summary:
        """This year's credits and spending and the month-end balances (audited read)."""

    async def statement(
        self,
        who: str,
        date_from: str | None = None,
        date_to: str | None = None,
        kind: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
        newest_first: bool = True,
        with_total: bool = False,
    ) -> StatementPage:
        """One keyset page of the statement; ``cursor`` from a previous page's ``next_cursor``.
        ``with_total``: also count every entry the filter matches (``total``)."""

    async def credit(self, who: str, amount_fen: int, memo: str = "", key: str | None = None) -> CreditResult:
        """The monthly fund credit (划入)."""

    async def spend(self, patient: str, amount_fen: int, kind: str, key: str | None = None) -> SpendResult:
        """A bill: the patient's account first, then the holders who bound the patient."""

    async def bindings(self, who: str, include_ended: bool = False) -> list[Binding]:
        """The holder's bindings (history too with ``include_ended``) (audited read)."""

    async def bound_by(self, who: str) -> list[Binding]:
        """Active bindings in which ``who`` is the relative (audited read)."""

    async def bind(
        self,
        holder: str,
        relative: str,
        relation: str,
        verified_by: str = "counter",
        pledge_accepted: bool = True,
        key: str | None = None,
    ) -> Binding:
        """Bind a close relative to the holder's account."""

    async def unbind(self, holder: str, relative: str, key: str | None = None) -> Binding:
        """End a binding (history is kept)."""

    async def binding_rules(self, holder: str, channel: str | None = None) -> BindingRules:
        """What a binding form must know first, from the system of record's policy: the cap and
        the holder's active bindings, the pledge, and the verification methods accepted per
        age band on ``channel`` (default: this backend's actor's) (audited read)."""

    async def premium_quote(self, payer: str, relative: str, year: int) -> PremiumQuote:
        """What paying the relative's resident premium for ``year`` would cost."""

    async def premium_pay(self, payer: str, relative: str, year: int, key: str | None = None) -> PremiumPayment:
        """Pay it from the payer's account, all or nothing."""

    async def premium_payments(self, who: str) -> list[PremiumPayment]:
        """Payments made by ``who`` or for ``who``, newest first (audited read)."""

    async def premium_years(self, payer: str, relative: str | None = None, lang: str | None = None) -> PremiumYears:
        """The contribution years open for payment today in the region of ``relative`` (else of
        ``payer``) and the collection windows around (notes in ``lang``; audited read)."""

    async def withdrawal_cases(self, who: str) -> WithdrawalCases:
        """The withdrawal cases enabled in ``who``'s region, from the system of record's policy,
        with their questions and materials (audited read)."""

    async def withdrawal_check(self, who: str, case: str, facts: dict[str, str]) -> WithdrawalVerdict:
        """The withdrawal checklist verdict (audited read)."""

    async def verify(self) -> VerifyReport:
        """Re-derive every balance, check the audit chain, caps and the zero sum."""

    async def audit(
        self,
        person: str | None = None,
        operator: str | None = None,
        since: str | None = None,
        limit: int = 1000,
    ) -> list[AuditRow]:
        """The audit log, newest first."""

    async def import_persons(self, rows: list[dict[str, str]], key: str | None = None) -> ImportResult:
        """Import roster rows all or nothing (rows carry a ``line`` number for errors)."""

    async def operator_add(self, op_id: str, name: str, role: str, password: str) -> Operator:
        """Add a member of staff (clerk or supervisor); only a hash of the password is kept."""

    async def operator_login(self, op_id: str, password: str) -> Operator:
        """Check an operator's password (five failures lock for 15 minutes)."""

    async def card_set_pin(self, card: str, pin: str) -> str:
        """Set a card's six-digit PIN; returns the holder's ID."""

    async def card_login(self, card: str, pin: str) -> Person:
        """Card (or ID) and PIN for a kiosk session (three failures lock the card for 30 minutes)."""

    async def withdrawal_execute(
        self,
        who: str,
        case: str,
        facts: dict[str, str],
        payee_name: str,
        payee_account: str,
        supervisor: str,
        supervisor_password: str,
        key: str | None = None,
    ) -> WithdrawalReceipt:
        """Counter only, supervisor co-signed: pay the balance out and close the account."""

    # --- counter staff (issue 10 items 9-11) ---------------------------------------------------
    async def find_persons(self, name: str, born: int | None = None, region: str | None = None,
                           cursor: str | None = None, limit: int = 20) -> PersonMatchPage:
        """Persons by name (normalised), optionally born in a year and in a region: one keyset
        page, masked; staff only; every search audited (the name masked and hashed)."""

    async def audit_page(self, person: str | None = None, operator: str | None = None,
                         action: str | None = None, date_from: str | None = None,
                         date_to: str | None = None, cursor: str | None = None,
                         limit: int = 50) -> AuditPage:
        """One keyset page of the audit log, newest first, filtered (supervisors; audited)."""

    async def operators(self) -> list[OperatorInfo]:
        """Every operator with their state (supervisors; audited)."""

    async def operator_disable(self, op_id: str) -> OperatorInfo:
        """No more logins for this operator (supervisors; audited)."""

    async def operator_enable(self, op_id: str) -> OperatorInfo:
        """A disabled operator may log in again (supervisors; audited)."""

    async def operator_unlock(self, op_id: str) -> OperatorInfo:
        """End a lockout now (supervisors; audited)."""

    async def operator_reset_password(self, op_id: str, password: str) -> OperatorInfo:
        """Set a new password (supervisors; audited; only its hash is kept)."""
