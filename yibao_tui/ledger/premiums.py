"""Resident premiums a holder pays from their account for a bound relative: once per relative
and year, all or nothing, in the collection window of that year (the ledger's today)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.models import PremiumPayment, PremiumQuote, PremiumWindowInfo, PremiumYears
from yibao_tui.ledger.bindings import ACTIVE_PAIR, is_bound
from yibao_tui.ledger.checks import check_year
from yibao_tui.ledger.persons import PERSON_COLS, PERSON_FROM, facts, id_of, lock_persons, resolve
from yibao_tui.ledger.posting import fmt, system_account, transfer

if TYPE_CHECKING:
    from yibao_tui.ledger.dialect import Db
    from yibao_tui.ledger.store import Ledger


#: What the rules of a premium payment read, in one statement: the payer's and the relative's
#: ``PERSON_SQL`` rows, each with its account's id, whether the pair is bound and whether the
#: relative's premium of the year is paid (parameters: holder, relative, relative, year, the two ids).
_FACTS = (f"SELECT {PERSON_COLS}, a.id, ({ACTIVE_PAIR}),"
          f" (SELECT 1 FROM premium_payments WHERE relative_id = ? AND year = ?){PERSON_FROM} WHERE p.id IN (?, ?)")


def _facts(db: Db, pid: str, rid: str, year: int) -> Any:
    """Send ``_FACTS`` (its cursor: read it with ``_check``)."""
    return db.execute(_FACTS, (pid, rid, rid, year, pid, rid))


def _known(rows: list[Any], *ids: str) -> dict[str, Any]:
    """``_FACTS``' rows by ID; ``UNKNOWN_PERSON`` for an ID without one (an ID number given that
    is not registered: ``id_of``)."""
    found = {r[0]: r for r in rows}
    for who in ids:
        if who not in found:
            raise YibaoError("UNKNOWN_PERSON", id=who)
    return found


def _check(led: Ledger, rows: list[Any], pid: str, rid: str, year: int, on: dt.date) -> tuple[int, int, int]:
    """(payer's account, its balance, the premium) once every rule has passed on ``on``, judged on
    ``_FACTS``' rows."""
    from yibao_tui.domain import rules

    found = _known(rows, pid, rid)
    payer, relative = found[pid], found[rid]
    pf, rf = facts(payer), facts(relative)
    payer_policy = led.policy(pf.region, on.year)
    standard = led.policy(rf.region, year)
    rules.require_account_usable(pf)
    if payer[11] is None:
        raise YibaoError("NOT_EMPLOYEE_INSURED", id=pid)
    balance = int(payer[9])
    amount = rules.check_premium(pf, rf, payer[12] is not None, payer_policy, standard, payer[13] is not None,
                                 balance, on)
    return int(payer[11]), balance, amount


def premium_quote(led: Ledger, payer: str, relative: str, year: int) -> PremiumQuote:
    """What the payment would be: the standard and the balance before and after, the quoted
    year's collection window and the years open today."""
    from yibao_tui.domain.policy import open_premium_years

    year = check_year(year)

    def run() -> PremiumQuote:
        pid = resolve(led, payer)[0]
        rrow = resolve(led, relative)
        today = led.today()
        _, bal, amount = _check(led, _facts(led.db, pid, rrow[0], year).fetchall(), pid, rrow[0], year, today)
        window = led.policy(rrow[3], year).premium_window
        return PremiumQuote(payer_id=pid, relative_id=rrow[0], region=rrow[3], year=year,
                            amount_fen=amount, balance_fen=bal, balance_after_fen=bal - amount,
                            open_years=open_premium_years(rrow[3], today, led.sample_policy),
                            opens=window.opens.isoformat() if window else None,
                            closes=window.last_day.isoformat() if window else None)

    quote: PremiumQuote = led.run(run)
    led.audit_read("premium.quote", quote.payer_id, json.dumps({"relative": quote.relative_id, "year": year}))
    return quote


def premium_years(led: Ledger, who: str, relative: str | None = None, lang: str | None = None) -> PremiumYears:
    """The contribution years open today in the region of ``relative`` (a relative ``who``
    bound, else ``NOT_BOUND``), else of ``who``, and the collection windows around (notes in
    ``lang``)."""
    from yibao_tui.domain.policy import premium_windows
    from yibao_tui.i18n import get_lang

    def run() -> tuple[str, PremiumYears]:
        prow = resolve(led, who)
        pid, region = prow[0], prow[3]
        if relative:
            rrow = resolve(led, relative)
            if rrow[0] != pid and not is_bound(led.db, pid, rrow[0]):  # only a bound relative's region
                raise YibaoError("NOT_BOUND")
            region = rrow[3]
        today = led.today()
        windows = [
            PremiumWindowInfo(
                year=w.year, opens=w.opens.isoformat(), closes=w.closes.isoformat(),
                extended_to=w.extended_to.isoformat() if w.extended_to else None,
                amount_fen=fen, open=fen is not None and w.is_open(today),
                note=w.note.get(lang or get_lang()) if w.note else "",
            )
            for w, fen in premium_windows(region, today, led.sample_policy)
        ]
        return pid, PremiumYears(region=region, today=today.isoformat(),
                                 open_years=sorted((w.year for w in windows if w.open), reverse=True),
                                 windows=windows)

    pid, result = led.run(run)
    led.audit_read("premium.years", pid, json.dumps({"region": result.region}))
    return result  # type: ignore[no-any-return]


def premium_pay(led: Ledger, payer: str, relative: str, year: int, key: str | None = None,
                time: str | None = None) -> PremiumPayment:
    """Pay the relative's resident premium for ``year``: all or nothing, once per relative-year."""
    year = check_year(year)
    pid = id_of(led, payer)
    rid = id_of(led, relative)

    read: list[list[Any]] = []

    def ahead(db: Db, now: str) -> Callable[[], None]:  # sent with the operation's row (``Kernel.write``)
        lock_persons(db, rid)  # one premium per relative and year: checked and paid under the lock
        sent = _facts(db, pid, rid, year)

        def first() -> None:
            read[:] = [sent.fetchall()]
            _known(read[0], pid, rid)

        return first

    def body(db: Db, op_id: int, now: str) -> dict[str, Any]:
        # the window is that of the payment's day (a back-dated demo payment: its own day)
        acct, bal, amount = _check(led, read[0], pid, rid, year, dt.date.fromisoformat(now[:10]))
        if bal < amount:
            raise YibaoError("INSUFFICIENT_BALANCE", balance=fmt(bal), amount=fmt(amount))
        tid, after = transfer(db, op_id, "premium", acct, system_account(db, "premium"), amount, now,
                                 memo=str(year), ref=rid)
        payment_id = f"PM{now[:4]}{tid:010d}"
        db.execute(
            "INSERT INTO premium_payments (payment_id, payer_id, relative_id, year, amount, transfer_id, time)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (payment_id, pid, rid, year, amount, tid, now),
        )
        return PremiumPayment(payment_id=payment_id, payer_id=pid, relative_id=rid, year=year,
                              amount_fen=amount, balance_after_fen=after, time=now).to_json()

    response, replayed = led.write("premium.pay", {"payer": pid, "relative": rid, "year": year}, key, body, pid, time,
                                   ahead=ahead)
    return PremiumPayment.from_json({**response, "replayed": replayed})


def premium_payments(led: Ledger, who: str) -> list[PremiumPayment]:
    """Payments made by or for ``who``, newest first, with the payer's balance after each."""

    def run() -> tuple[str, list[PremiumPayment]]:
        pid = resolve(led, who)[0]
        rows = led.db.all(
            "SELECT pp.payment_id, pp.payer_id, pp.relative_id, pp.year, pp.amount, e.balance_after, pp.time"
            " FROM premium_payments pp JOIN transfers t ON t.id = pp.transfer_id"
            " JOIN entries e ON e.transfer_id = t.id AND e.account_id = t.debit_account"
            " WHERE pp.payer_id = ? OR pp.relative_id = ? ORDER BY pp.id DESC",
            (pid, pid),
        )
        return pid, [PremiumPayment(payment_id=r[0], payer_id=r[1], relative_id=r[2], year=r[3],
                                    amount_fen=r[4], balance_after_fen=r[5], time=r[6]) for r in rows]

    pid, result = led.run(run)
    led.audit_read("premium.list", pid)
    return result  # type: ignore[no-any-return]
