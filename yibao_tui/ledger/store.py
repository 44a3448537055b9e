"""The ledger: persons, accounts, double-entry transfers, bindings, premiums, audit.

``Ledger`` is the public face the local backend, the server and the CLI use; it is the
transaction kernel (``kernel``: the connection, the unit of work every write is, the audit of
reads) with each concern's commands and queries as its methods:

- ``persons``: register, look up; ``statements``: balance, statement pages, summary;
- ``payments``: fund credits and bills; ``bindings``: family mutual aid; ``premiums``;
- ``withdrawals``; ``logins``: operators' passwords and card PINs; ``staff``: person find,
  operator management, the audit log pages; ``importer``: a roster in one transaction;
- ``posting`` moves money (two entries with running balances); ``verify`` checks it all.

The SQL that differs between engines lives in one dialect module per engine
(``dialect_sqlite``; see ``dialect``). One ``Ledger`` owns one connection and must be used from one
thread at a time (``LocalBackend`` gives it a thread of its own).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from yibao_tui.domain.models import AuditRow, ImportResult
from yibao_tui.ledger import bindings as _bindings
from yibao_tui.ledger import logins as _logins
from yibao_tui.ledger import payments as _payments
from yibao_tui.ledger import persons as _persons
from yibao_tui.ledger import premiums as _premiums
from yibao_tui.ledger import statements as _statements
from yibao_tui.ledger import withdrawals as _withdrawals
from yibao_tui.ledger.checks import (
    check_card,
    check_operator,
    check_year,
    day_bounds,
    parse_cursor,
    parse_day,
)
from yibao_tui.ledger.kernel import CN_TZ, TIME_FMT, Clock, Kernel, china_now

if TYPE_CHECKING:
    from yibao_tui.domain.policy import RegionPolicy

__all__ = ["CN_TZ", "TIME_FMT", "Clock", "Ledger", "check_card", "check_operator", "check_year", "china_now",
           "day_bounds", "parse_cursor", "parse_day"]


class Ledger(Kernel):
    """The system of record over one database (a SQLite file by default)."""

    # persons
    add_person = _persons.add_person
    person = _persons.person
    is_empty = _persons.is_empty
    meta = _persons.meta
    # balance & statement
    balance = _statements.balance
    balances = _statements.balances
    statement = _statements.statement
    iter_statement = _statements.iter_statement
    summary = _statements.summary
    # money in and out
    credit = _payments.credit
    spend = _payments.spend
    # family mutual aid
    bindings = _bindings.bindings
    bound_by = _bindings.bound_by
    bind = _bindings.bind
    unbind = _bindings.unbind
    binding_rules = _bindings.binding_rules
    # premiums
    premium_quote = _premiums.premium_quote
    premium_pay = _premiums.premium_pay
    premium_payments = _premiums.premium_payments
    premium_years = _premiums.premium_years
    # withdrawals
    withdrawal_cases = _withdrawals.withdrawal_cases
    withdrawal_check = _withdrawals.withdrawal_check
    withdrawal_execute = _withdrawals.withdrawal_execute
    # operators and card PINs
    operator_add = _logins.operator_add
    operator_login = _logins.operator_login
    card_set_pin = _logins.card_set_pin
    card_login = _logins.card_login

    # ----------------------------------------------------------------- policy
    #: this ledger loads the sample site policy (a demo ledger); only ``True`` is kept, so that
    #: demo data loaded meanwhile through another connection is seen
    _sample_policy = False

    @property
    def sample_policy(self) -> bool:
        """Whether this ledger loads the sample site policy (``data/policy_sample.toml``, sample
        figures): a demo ledger does, so that the demo works on any date."""
        if not self._sample_policy:
            row = self.run(lambda: self.db.one("SELECT value FROM meta WHERE key = 'policy'"))
            self._sample_policy = row is not None and row[0] == "sample"
        return self._sample_policy

    def use_sample_policy(self) -> None:
        """From now on this ledger loads the sample site policy (the demo's)."""
        db = self.db
        with db.transaction():
            db.execute("INSERT INTO meta (key, value) VALUES ('policy', 'sample')"
                       " ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        self._sample_policy = True

    def policy(self, region: str, year: int) -> RegionPolicy:
        """The effective policy of ``region`` in ``year`` for this ledger (with the sample site
        policy on a demo ledger)."""
        from yibao_tui.domain.policy import policy_for

        return policy_for(region, year, self.sample_policy)

    # ----------------------------------------------------------------- audit, verify, demo, import
    def audit(self, person: str | None = None, operator: str | None = None, since: str | None = None,
              limit: int = 1000) -> list[AuditRow]:
        """The audit log, newest first, filtered."""
        from yibao_tui.ledger.staff import audit_rows

        return audit_rows(self, person, operator, since, limit)

    def verify(self) -> Any:
        """See ``yibao_tui.ledger.verify``."""
        from yibao_tui.ledger.verify import verify

        return self.run(lambda: verify(self.db, self.today().year))

    def demo(self, persons: int = 20, seed: int = 1) -> dict[str, Any]:
        """Load deterministic demo data into an empty ledger."""
        from yibao_tui.ledger.demo import generate

        return generate(self, persons, seed)

    def import_persons(self, rows: list[dict[str, str]], key: str | None = None,
                       progress: Callable[[int, int], None] | None = None,
                       source_sha256: str | None = None) -> ImportResult:
        """Validate every row, then insert all of them in one transaction, or none. The audit
        records the count, ``source_sha256`` (the file's hash; else one of the rows) and the
        operator, never the roster."""
        from yibao_tui.ledger.importer import import_rows

        return import_rows(self, rows, key, progress, source_sha256)
