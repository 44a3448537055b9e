"""Queries of an account: balance, statement pages, the year's summary (each audited)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.models import Balance, Entry, StatementPage, Summary
from yibao_tui.ledger.checks import day_bounds, parse_cursor, parse_day
from yibao_tui.ledger.persons import resolve
from yibao_tui.ledger.posting import account

if TYPE_CHECKING:
    from yibao_tui.ledger.dialect import Db
    from yibao_tui.ledger.store import Ledger


def balance_unaudited(led: Ledger, who: str) -> Balance:
    """The balance without its audit record (callers record it)."""

    def run() -> Balance:
        row = resolve(led, who)  # the person row carries the account's balance and status
        if row[9] is None:
            raise YibaoError("NOT_EMPLOYEE_INSURED", id=row[0])
        return Balance(id=row[0], balance_fen=int(row[9]), status=str(row[8]), name=row[1])

    result: Balance = led.run(run)
    return result


def balance(led: Ledger, who: str) -> Balance:
    """The balance and status of the person's account (audited)."""
    result = balance_unaudited(led, who)
    led.audit_read("balance", result.id)
    return result


def balances(led: Ledger, people: list[str]) -> list[Balance | YibaoError]:
    """Several balance lookups, each answered or refused on its own; the audit records of
    all the answered ones are committed together, before any answer is returned."""
    out: list[Balance | YibaoError] = []
    for who in people:
        try:
            out.append(balance_unaudited(led, who))
        except YibaoError as e:
            out.append(e)
    found = [b for b in out if isinstance(b, Balance)]
    if found:
        try:
            led.audit_reads([("balance", b.id, "") for b in found])
        except YibaoError as e:  # not recorded → not answered
            return [e if isinstance(b, Balance) else b for b in out]
    return out


def statement(
    led: Ledger,
    who: str,
    date_from: str | None = None,
    date_to: str | None = None,
    kind: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    newest_first: bool = True,
    audit: bool = True,
    with_total: bool = False,
) -> StatementPage:
    """One keyset page. Opening/closing balances are right under the date filter; ``total``
    (how many entries the filter matches, all pages) only ``with_total``: it counts them."""
    d_from = parse_day(date_from)
    d_to = parse_day(date_to)
    if d_from and d_to and d_from > d_to:
        raise YibaoError("INVALID_DATE", variant="range", value=d_from.isoformat(), end=d_to.isoformat())
    limit = max(1, min(int(limit), 1000))
    kinds = [k.strip() for k in kind.split(",") if k.strip()] if kind else []
    if kinds:  # the policy module only for a filter (not on the app's first page)
        from yibao_tui.domain.policy import ENTRY_KINDS

        unknown = [k for k in kinds if k not in ENTRY_KINDS]
        if unknown:
            raise YibaoError("INVALID_ARGUMENT", detail=f"--kind {unknown[0][:40]} ({', '.join(ENTRY_KINDS)})")

    def run() -> StatementPage:
        db = led.db
        row = resolve(led, who)
        acct, bal, _ = account(db, row[0])
        lo, hi = day_bounds(d_from, d_to)
        where = ["e.account_id = ?"]
        args: list[Any] = [acct]
        if lo:
            where.append("e.time >= ?")
            args.append(lo)
        if hi:
            where.append("e.time < ?")
            args.append(hi)
        if kinds:
            where.append(f"e.kind IN ({','.join('?' * len(kinds))})")
            args.extend(kinds)
        total = None
        if with_total:
            total = db.one(f"SELECT COUNT(*) FROM entries e WHERE {' AND '.join(where)}", args)[0]
        if cursor:
            c_time, c_id_int = parse_cursor(cursor)
            where.append("(e.time, e.id) < (?, ?)" if newest_first else "(e.time, e.id) > (?, ?)")
            args.extend([c_time, c_id_int])
        order = "DESC" if newest_first else "ASC"
        rows, more = db.page(
            "SELECT e.id, e.time, e.kind, e.amount, e.balance_after, t.memo, t.ref"
            " FROM entries e JOIN transfers t ON t.id = e.transfer_id"
            f" WHERE {' AND '.join(where)} ORDER BY e.time {order}, e.id {order} LIMIT ?",
            args, limit,
        )
        entries = [
            Entry(time=r[1], kind=r[2], amount_fen=r[3], balance_after_fen=r[4], memo=r[5],
                  entry_id=r[0], counterparty=r[6] or "")
            for r in rows
        ]
        opening = balance_before(db, acct, lo) if lo else 0
        closing = balance_before(db, acct, hi) if hi else bal
        if hi and closing is None:
            closing = opening
        last = rows[-1] if rows else None
        return StatementPage(
            id=row[0],
            entries=entries,
            opening_balance_fen=opening or 0,
            closing_balance_fen=closing or 0,
            next_cursor=f"{last[1]}|{last[0]}" if (more and last) else None,
            total=total,
        )

    page: StatementPage = led.run(run)
    if audit and not cursor:
        led.audit_read("statement", page.id, json.dumps({"from": date_from, "to": date_to, "kind": kind}))
    return page


def balance_before(db: Db, acct: int, time: str) -> int:
    """The account's balance just before ``time`` (0 before its first entry)."""
    row = db.one(
        "SELECT balance_after FROM entries WHERE account_id = ? AND time < ? ORDER BY time DESC, id DESC LIMIT 1",
        (acct, time),
    )
    return int(row[0]) if row else 0


def iter_statement(led: Ledger, who: str, date_from: str | None = None, date_to: str | None = None,
                   kind: str | None = None, page_size: int = 500) -> Iterator[Entry]:
    """Every entry, oldest first, page by page (for export): never the whole history in memory."""
    cursor: str | None = None
    first = True
    while True:
        page = statement(led, who, date_from, date_to, kind, cursor, page_size, newest_first=False, audit=first)
        first = False
        yield from page.entries
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def summary(led: Ledger, who: str, year: int, months: int = 24) -> Summary:
    """This year's credits and spending, and month-end balances for the last ``months``."""

    def run() -> Summary:
        db = led.db
        row = resolve(led, who)
        acct, bal, _ = account(db, row[0])
        lo, hi = f"{year}-01-01 00:00:00", f"{year + 1}-01-01 00:00:00"
        credits, spending = db.one(
            "SELECT COALESCE(SUM(CASE WHEN amount > 0 AND kind = 'credit' THEN amount END), 0),"
            " COALESCE(SUM(CASE WHEN amount < 0 THEN -amount END), 0)"
            " FROM entries WHERE account_id = ? AND time >= ? AND time < ?",
            (acct, lo, hi),
        )
        today = led.today()
        labels: list[str] = []
        values: list[int] = []
        y, m = today.year, today.month
        stamps = []
        for _ in range(months):
            stamps.append((y, m))
            y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        for y, m in reversed(stamps):
            ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
            labels.append(f"{y}-{m:02d}")
            values.append(balance_before(db, acct, f"{ny}-{nm:02d}-01 00:00:00"))
        return Summary(id=row[0], balance_fen=bal, year=year, year_credits_fen=int(credits),
                       year_spending_fen=int(spending), months=labels, month_balances_fen=values)

    result: Summary = led.run(run)
    led.audit_read("summary", result.id)
    return result
