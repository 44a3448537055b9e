"""``LocalBackend``: the SQLite ledger behind the async ``Backend`` protocol.

The ledger's connection lives on one thread this backend owns (sqlite3 connections refuse other
threads, and one writer per process keeps transactions simple); every call is queued to it. On a
database server (PostgreSQL) the backend has several threads, each with its own connection
(``ledger_threads``): a server process's payments no longer wait on each other's round trips.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from yibao_tui.backend.base import Actor
from yibao_tui.domain.errors import YibaoError
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
from yibao_tui.ledger import staff
from yibao_tui.ledger.store import Clock, Ledger

T = TypeVar("T")

#: Threads (each with its connection) a backend on a database server works its ledger on.
PG_THREADS = 4


def ledger_threads(path: str) -> int:
    """How many calls a backend on ``path`` runs at once: one on a SQLite file (one writer, and
    its connection stays on the thread that made it); ``$YIBAO_DB_THREADS`` (default
    ``PG_THREADS``) on a database server, whose row locks keep concurrent writes apart."""
    import os

    from yibao_tui.config import is_url

    if not is_url(path):
        return 1
    raw = os.environ.get("YIBAO_DB_THREADS", "")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) <= 64 else PG_THREADS


class LocalBackend:
    """The embedded default: a SQLite ledger file on this machine."""

    def __init__(self, path: str | Path, actor: Actor | None = None, clock: Clock | None = None,
                 create: bool = True) -> None:
        from yibao_tui.config import is_url

        #: the ledger file, or the database URL as given
        self.path: str | Path = str(path) if is_url(str(path)) else Path(path)
        self.actor = actor or Actor("cli")
        self._ledger = Ledger(path, clock=clock, channel=self.actor.channel, operator=self.actor.operator,
                              create=create)
        self._pool = ThreadPoolExecutor(max_workers=ledger_threads(str(path)), thread_name_prefix="yibao-ledger")
        self._closed = False

    @property
    def ledger(self) -> Ledger:
        """The underlying ledger (for the server and tools running on its thread)."""
        return self._ledger

    def set_actor(self, actor: Actor) -> None:
        """Change who is acting (e.g. after an operator logs in)."""
        self.actor = actor
        self._ledger.channel = actor.channel
        self._ledger.operator = actor.operator

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))
        except YibaoError:
            raise
        except Exception as e:  # a bug must still reach the user as a message, not a traceback
            raise YibaoError("INTERNAL", detail=f"{type(e).__name__}: {e}") from e

    def run_sync(self, fn: Callable[[Ledger], T]) -> T:
        """Run ``fn(ledger)`` on the ledger thread and wait (for synchronous callers)."""
        return self._pool.submit(fn, self._ledger).result()

    async def close(self) -> None:
        """Close the connection on its own thread and stop the thread (safe to call twice)."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._call(self._ledger.close)
        finally:
            self._pool.shutdown(wait=True)

    async def init(self) -> str:
        """Create or migrate the ledger."""
        await self._call(lambda: self._ledger.conn)
        return str(self.path)

    async def is_empty(self) -> bool:
        """No person registered."""
        return await self._call(self._ledger.is_empty)

    async def demo(self, persons: int = 20, seed: int = 1) -> dict[str, Any]:
        """Deterministic demo data."""
        return await self._call(self._ledger.demo, persons, seed)

    async def demo_owner(self) -> str | None:
        """The demo ledger's owner."""
        return await self._call(self._ledger.meta, "demo_owner")

    async def add_person(self, id: str, name: str, scheme: str, region: str, card: str | None = None,
                         opening_balance_fen: int = 0, key: str | None = None) -> Person:
        """Register a person."""
        return await self._call(self._ledger.add_person, id, name, scheme, region, card, opening_balance_fen, key)

    async def person(self, who: str) -> Person:
        """Look a person up."""
        return await self._call(self._ledger.person, who)

    async def balance(self, who: str) -> Balance:
        """The balance."""
        return await self._call(self._ledger.balance, who)

    async def summary(self, who: str, year: int, months: int = 24) -> Summary:
        """Year figures and month-end balances."""
        return await self._call(self._ledger.summary, who, year, months)

    async def statement(self, who: str, date_from: str | None = None, date_to: str | None = None,
                        kind: str | None = None, cursor: str | None = None, limit: int = 50,
                        newest_first: bool = True, with_total: bool = False) -> StatementPage:
        """One page of the statement."""
        return await self._call(self._ledger.statement, who, date_from, date_to, kind, cursor, limit, newest_first,
                                with_total=with_total)

    async def credit(self, who: str, amount_fen: int, memo: str = "", key: str | None = None) -> CreditResult:
        """The monthly credit."""
        return await self._call(self._ledger.credit, who, amount_fen, memo, key)

    async def spend(self, patient: str, amount_fen: int, kind: str, key: str | None = None) -> SpendResult:
        """A bill."""
        return await self._call(self._ledger.spend, patient, amount_fen, kind, key)

    async def bindings(self, who: str, include_ended: bool = False) -> list[Binding]:
        """The holder's bindings."""
        return await self._call(self._ledger.bindings, who, include_ended)

    async def bound_by(self, who: str) -> list[Binding]:
        """Who bound ``who``."""
        return await self._call(self._ledger.bound_by, who)

    async def bind(self, holder: str, relative: str, relation: str, verified_by: str = "counter",
                   pledge_accepted: bool = True, key: str | None = None) -> Binding:
        """Bind a relative."""
        return await self._call(self._ledger.bind, holder, relative, relation, verified_by, pledge_accepted, key)

    async def unbind(self, holder: str, relative: str, key: str | None = None) -> Binding:
        """Unbind a relative."""
        return await self._call(self._ledger.unbind, holder, relative, key)

    async def binding_rules(self, holder: str, channel: str | None = None) -> BindingRules:
        """What a binding form must know first."""
        return await self._call(self._ledger.binding_rules, holder, channel or self.actor.channel)

    async def premium_quote(self, payer: str, relative: str, year: int) -> PremiumQuote:
        """Quote a premium."""
        return await self._call(self._ledger.premium_quote, payer, relative, year)

    async def premium_pay(self, payer: str, relative: str, year: int, key: str | None = None) -> PremiumPayment:
        """Pay a premium."""
        return await self._call(self._ledger.premium_pay, payer, relative, year, key)

    async def premium_payments(self, who: str) -> list[PremiumPayment]:
        """Past premium payments."""
        return await self._call(self._ledger.premium_payments, who)

    async def premium_years(self, payer: str, relative: str | None = None, lang: str | None = None) -> PremiumYears:
        """The years open for payment today (notes in ``lang``, default the current language)."""
        from yibao_tui.i18n import get_lang

        return await self._call(self._ledger.premium_years, payer, relative, lang or get_lang())

    async def withdrawal_cases(self, who: str) -> WithdrawalCases:
        """The withdrawal cases of ``who``'s region."""
        return await self._call(self._ledger.withdrawal_cases, who)

    async def withdrawal_check(self, who: str, case: str, facts: dict[str, str]) -> WithdrawalVerdict:
        """The withdrawal checklist."""
        from yibao_tui.i18n import get_lang

        lang = get_lang()  # the caller's (the language of this call), not the ledger thread's
        return (await self._call(self._ledger.withdrawal_check, who, case, facts)).render(lang)

    async def verify(self) -> VerifyReport:
        """Verify the ledger."""
        result: VerifyReport = await self._call(self._ledger.verify)
        return result

    async def audit(self, person: str | None = None, operator: str | None = None, since: str | None = None,
                    limit: int = 1000) -> list[AuditRow]:
        """The audit log."""
        return await self._call(self._ledger.audit, person, operator, since, limit)

    async def import_persons(self, rows: list[dict[str, str]], key: str | None = None,
                             progress: Callable[[int, int], None] | None = None,
                             source_sha256: str | None = None) -> ImportResult:
        """Import roster rows all or nothing (``source_sha256``: the file's hash, for the audit)."""
        return await self._call(self._ledger.import_persons, rows, key, progress, source_sha256)

    async def operator_add(self, op_id: str, name: str, role: str, password: str) -> Operator:
        """Add an operator."""
        return await self._call(self._ledger.operator_add, op_id, name, role, password)

    async def operator_login(self, op_id: str, password: str) -> Operator:
        """Check an operator's password."""
        return await self._call(self._ledger.operator_login, op_id, password)

    async def card_set_pin(self, card: str, pin: str) -> str:
        """Set a card's PIN."""
        return await self._call(self._ledger.card_set_pin, card, pin)

    async def card_login(self, card: str, pin: str) -> Person:
        """Card and PIN."""
        return await self._call(self._ledger.card_login, card, pin)

    async def withdrawal_execute(self, who: str, case: str, facts: dict[str, str], payee_name: str,
                                 payee_account: str, supervisor: str, supervisor_password: str,
                                 key: str | None = None) -> WithdrawalReceipt:
        """Execute a co-signed withdrawal."""
        from yibao_tui.i18n import get_lang

        lang = get_lang()

        def run() -> WithdrawalReceipt:
            from yibao_tui.i18n import set_lang

            set_lang(lang)
            return self._ledger.withdrawal_execute(who, case, facts, payee_name, payee_account, supervisor,
                                                   supervisor_password, key)

        return await self._call(run)

    # --- counter staff (issue 10 items 9-11) ---------------------------------------------------
    async def find_persons(self, name: str, born: int | None = None, region: str | None = None,
                           cursor: str | None = None, limit: int = 20) -> PersonMatchPage:
        """Persons by name."""
        return await self._call(staff.find_persons, self._ledger, name, born, region, cursor, limit)

    async def audit_page(self, person: str | None = None, operator: str | None = None,
                         action: str | None = None, date_from: str | None = None,
                         date_to: str | None = None, cursor: str | None = None,
                         limit: int = 50) -> AuditPage:
        """One page of the audit log."""
        return await self._call(staff.audit_page, self._ledger, person, operator, action, date_from, date_to,
                                cursor, limit)

    async def operators(self) -> list[OperatorInfo]:
        """Every operator."""
        return await self._call(staff.operators, self._ledger)

    async def operator_disable(self, op_id: str) -> OperatorInfo:
        """Disable an operator."""
        return await self._call(staff.operator_disable, self._ledger, op_id)

    async def operator_enable(self, op_id: str) -> OperatorInfo:
        """Enable an operator."""
        return await self._call(staff.operator_enable, self._ledger, op_id)

    async def operator_unlock(self, op_id: str) -> OperatorInfo:
        """Unlock an operator."""
        return await self._call(staff.operator_unlock, self._ledger, op_id)

    async def operator_reset_password(self, op_id: str, password: str) -> OperatorInfo:
        """Reset an operator's password."""
        return await self._call(staff.operator_reset_password, self._ledger, op_id, password)
