"""The ledger: persons, accounts, double-entry transfers, bindings, premiums, audit.

One ``Ledger`` owns one SQLite connection and must be used from one thread at a time
(``LocalBackend`` gives it a thread of its own). Every write is one ``BEGIN IMMEDIATE``
transaction that also records its operation (with the idempotency key) and its audit record:
all of it lands or none of it does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.idnum import fold, is_ascii_alnum, normalise_id, parse_id
from yibao_tui.domain.masking import mask_card
from yibao_tui.domain.models import (
    AuditRow,
    Balance,
    Binding,
    Charge,
    CreditResult,
    Entry,
    ImportResult,
    Operator,
    Person,
    PremiumPayment,
    PremiumQuote,
    SpendResult,
    StatementPage,
    Summary,
    WithdrawalReceipt,
    WithdrawalVerdict,
)
from yibao_tui.domain.money import MAX_FEN
from yibao_tui.domain.names import name_key
from yibao_tui.domain.relations import parse_relation
from yibao_tui.domain.text import check_memo, check_name
from yibao_tui.ledger import audit as audit_log
from yibao_tui.ledger.db import connect, immediate, migrate, translate
from yibao_tui.ledger.limits import MAX_BALANCE_FEN, check_amount

if TYPE_CHECKING:
    # the rules, the policy file and the withdrawal checklist are imported by the writes and
    # checks that use them, not when a ledger is opened (the app's start reads only)
    from yibao_tui.domain import rules

CN_TZ = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
TIME_FMT = "%Y-%m-%d %H:%M:%S"
#: A statement page's ``next_cursor``: the last entry's time and id (ASCII digits only).
_CURSOR = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2})\|([0-9]{1,19})")
_INT64_MAX = 2**63 - 1


def parse_cursor(cursor: str) -> tuple[str, int]:
    """``(time, entry id)`` from a ``next_cursor``; anything else (a wrong shape, an id past
    SQLite's 64-bit integers) is ``INVALID_ARGUMENT``, never an overflow deep in SQLite."""
    m = _CURSOR.fullmatch(cursor)
    if m is None or int(m.group(2)) > _INT64_MAX:
        raise YibaoError("INVALID_ARGUMENT", detail=f"cursor {cursor[:40]!r}")
    return m.group(1), int(m.group(2))


Clock = Callable[[], dt.datetime]


def china_now() -> dt.datetime:
    """The wall clock in China time."""
    return dt.datetime.now(CN_TZ)


def _hash_request(kind: str, request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps([kind, request], sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _stored_response(conn: sqlite3.Connection, key: str, request_hash: str) -> dict[str, Any] | None:
    """The response stored under idempotency ``key`` if it was for the same request, ``None`` if
    the key is unused; ``IDEMPOTENCY_CONFLICT`` if it was used for another request."""
    row = conn.execute("SELECT request_hash, response FROM operations WHERE idem_key = ?", (key,)).fetchone()
    if row is None:
        return None
    if row[0] != request_hash:
        raise YibaoError("IDEMPOTENCY_CONFLICT", key=key)
    stored: dict[str, Any] = json.loads(row[1])
    return stored


def check_operator(op_id: str, name: str, role: str) -> tuple[str, str]:
    """A new operator's number (folded) and name as they are kept; the role must be one we know."""
    op_id = fold(op_id)
    if not (1 <= len(op_id) <= 32 and is_ascii_alnum(op_id)):
        raise YibaoError("INVALID_ARGUMENT", detail=f"operator id {_shown(op_id, 32)!r}")
    clean = check_name(name)
    if role not in ("clerk", "supervisor"):
        raise YibaoError("INVALID_ARGUMENT", detail=f"--role {role}")
    return op_id, clean


def check_card(card: str | None) -> str | None:
    """6 to 20 ASCII letters or digits (after NFKC: a full-width number is the same card),
    upper-cased; empty means none."""
    if card is None:
        return None
    value = normalise_id(card)
    if not value:
        return None
    if not (6 <= len(value) <= 20 and is_ascii_alnum(value)):
        raise YibaoError("INVALID_CARD")
    return value


def parse_day(value: str | None) -> dt.date | None:
    """``YYYY-MM-DD`` or None."""
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise YibaoError("INVALID_DATE", value=str(value)[:20]) from None


def day_bounds(d_from: dt.date | None, d_to: dt.date | None) -> tuple[str | None, str | None]:
    """The half-open time range ``[lo, hi)`` that covers whole days ``d_from``..``d_to``
    (``None`` where that end is open), in the ledger's time format."""
    lo = f"{d_from.isoformat()} 00:00:00" if d_from else None
    hi = f"{(d_to + dt.timedelta(days=1)).isoformat()} 00:00:00" if d_to else None
    return lo, hi


def fetch_page(conn: sqlite3.Connection, sql: str, args: Sequence[Any], limit: int) -> tuple[list[Any], bool]:
    """One keyset page: ``sql`` ends in ``LIMIT ?``; it is asked for one row more than
    ``limit`` to learn whether another page follows. Returns the page's rows and that flag."""
    rows = conn.execute(sql, (*args, limit + 1)).fetchall()
    return rows[:limit], len(rows) > limit


class Ledger:
    """The system of record over one SQLite file."""

    def __init__(self, path: str | Path, clock: Clock | None = None, channel: str = "cli", operator: str | None = None,
                 create: bool = True) -> None:
        self.path = str(path)
        #: ``False``: the ledger must exist (``LEDGER_NOT_FOUND``), it is never made here
        self.create = create
        self.clock = clock or china_now
        self.channel = channel
        self.operator = operator
        self._conn: sqlite3.Connection | None = None

    # ----------------------------------------------------------------- plumbing
    @property
    def conn(self) -> sqlite3.Connection:
        """The connection, opened and migrated on first use."""
        if self._conn is None:
            conn = connect(self.path, self.create)
            try:
                migrate(conn, self.create)
            except sqlite3.Error as e:
                conn.close()
                raise translate(e, self.path) from None
            except YibaoError:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _now(self) -> str:
        return self.clock().astimezone(CN_TZ).strftime(TIME_FMT)

    def today(self) -> dt.date:
        """Today in China time (from the ledger's clock)."""
        return self.clock().astimezone(CN_TZ).date()

    def _run(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except sqlite3.Error as e:
            raise translate(e, self.path) from None
        except UnicodeDecodeError:  # damaged text in a row: never its bytes in a message
            raise YibaoError("DATABASE_CORRUPT", path=self.path) from None

    def _write(
        self,
        kind: str,
        request: dict[str, Any],
        key: str | None,
        body: Callable[[sqlite3.Connection, int, str], dict[str, Any]],
        subject: str | None,
        time: str | None = None,
        audit: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """One write: BEGIN IMMEDIATE, idempotency, the body, the operation record, the audit
        (``audit``: what the audit record says instead of the request).

        Returns ``(response, replayed)``.
        """

        def run() -> tuple[dict[str, Any], bool]:
            conn = self.conn
            h = _hash_request(kind, request)
            with immediate(conn):
                if key is not None:
                    stored = _stored_response(conn, key, h)
                    if stored is not None:
                        return stored, True
                now = self._monotonic_now(conn, time)
                op_id = conn.execute(
                    "INSERT INTO operations (kind, idem_key, request_hash, time, channel, operator)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (kind, key, h, now, self.channel, self.operator),
                ).lastrowid
                assert op_id is not None
                response = body(conn, op_id, now)
                conn.execute(
                    "UPDATE operations SET response = ? WHERE id = ?",
                    (json.dumps(response, ensure_ascii=False), op_id),
                )
                audit_log.append(
                    conn, now, self.channel, self.operator, kind, subject,
                    json.dumps({"op": op_id, **(_audit_detail(request) if audit is None else audit)},
                               ensure_ascii=False, sort_keys=True),
                )
                return response, False

        result: tuple[dict[str, Any], bool] = self._run(run)
        return result

    def _stored(self, kind: str, request: dict[str, Any], key: str) -> dict[str, Any] | None:
        """The stored response of the write ``key`` names when it was this very request (a replay),
        ``None`` when the key is unused; ``IDEMPOTENCY_CONFLICT`` when it named another request.
        For writes that check the ledger's state before ``_write`` (import): a replay must not be
        refused by the state its first run created."""

        result: dict[str, Any] | None = self._run(lambda: _stored_response(self.conn, key, _hash_request(kind, request)))
        return result

    def _monotonic_now(self, conn: sqlite3.Connection, time: str | None = None) -> str:
        """Now (or the given back-dated time), never before the newest transfer: statements are
        ordered by time, and running balances must follow that order."""
        now = time or self._now()
        row = conn.execute("SELECT time FROM transfers ORDER BY id DESC LIMIT 1").fetchone()
        return max(now, row[0]) if row else now

    def _audit_read(self, action: str, subject: str | None, detail: str = "") -> None:
        """Record a read of a person's data. Reads are audited with synchronous=NORMAL in WAL:
        durable across a crash of the process, at most the newest few lost on power failure."""
        self._audit_reads([(action, subject, detail)])

    def _audit_reads(self, reads: list[tuple[str, str | None, str]]) -> None:
        """Record several reads in one transaction (a server answering many lookups at once)."""

        # One connection on purpose: a second one for the audit would make every audit write
        # invalidate the main connection's page cache (measured: balance 50 → 74 µs).
        def run() -> None:
            conn = self.conn
            conn.execute("PRAGMA synchronous = NORMAL")
            try:
                with immediate(conn):
                    now = self._now()
                    for action, subject, detail in reads:
                        audit_log.append(conn, now, self.channel, self.operator, action, subject, detail)
            finally:
                conn.execute("PRAGMA synchronous = FULL")

        self._run(run)

    def _transfer(
        self,
        conn: sqlite3.Connection,
        op_id: int | None,
        kind: str,
        debit: int,
        credit: int,
        amount: int,
        time: str,
        memo: str = "",
        ref: str | None = None,
    ) -> tuple[int, int, int]:
        """Post one transfer: both legs, both balances. Returns (transfer id, debit balance after,
        credit balance after). A personal account going negative raises INSUFFICIENT_BALANCE; an
        amount outside the limits (``ledger/limits.py``) INVALID_AMOUNT, whoever the caller."""
        # a withdrawal pays out the whole balance (bounded by the balance limit), anything else
        # is one operation's amount
        check_amount(amount, cap=MAX_BALANCE_FEN if kind == "withdrawal" else MAX_FEN)
        row = conn.execute(
            "SELECT balance, kind FROM accounts WHERE id = ?", (debit,)
        ).fetchone()
        if row[1] == "personal" and row[0] < amount:
            raise YibaoError("INSUFFICIENT_BALANCE", balance=_fmt(row[0]), amount=_fmt(amount))
        tid = conn.execute(
            "INSERT INTO transfers (op_id, kind, debit_account, credit_account, amount, time, memo, ref)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (op_id, kind, debit, credit, amount, time, memo, ref),
        ).lastrowid
        d_after = conn.execute(
            "UPDATE accounts SET balance = balance - ? WHERE id = ? RETURNING balance", (amount, debit)
        ).fetchone()[0]
        c_after = conn.execute(
            "UPDATE accounts SET balance = balance + ? WHERE id = ? RETURNING balance", (amount, credit)
        ).fetchone()[0]
        conn.executemany(
            "INSERT INTO entries (transfer_id, account_id, amount, balance_after, time, kind) VALUES (?, ?, ?, ?, ?, ?)",
            [(tid, debit, -amount, d_after, time, kind), (tid, credit, amount, c_after, time, kind)],
        )
        assert tid is not None
        return tid, d_after, c_after

    def _system(self, conn: sqlite3.Connection, code: str) -> int:
        return int(conn.execute("SELECT id FROM accounts WHERE code = ?", (f"SYS:{code}",)).fetchone()[0])

    # ----------------------------------------------------------------- persons
    def _resolve(self, who: str) -> sqlite3.Row | tuple[Any, ...]:
        """A person row by ID number or card number."""
        raw = normalise_id(who)
        if not raw:
            raise YibaoError("UNKNOWN_PERSON", id="")
        if not raw.isascii():  # never looked up, never echoed: other scripts' digits and letters
            _valid_id(raw, self.today())  # says why as an ID number (length, format)
            raise YibaoError("INVALID_ID_NUMBER", reason=_id_reason("format"), reason_code="format")
        conn = self.conn
        if len(raw) >= 15 and raw[:-1].isdigit():
            value = _valid_id(raw, self.today())
            row = conn.execute(_PERSON_SQL + " WHERE p.id = ?", (value,)).fetchone()
        else:
            row = conn.execute(_PERSON_SQL + " WHERE p.card = ?", (raw,)).fetchone()
        if row is None:
            raise YibaoError("UNKNOWN_PERSON", id=raw[:24])
        return row

    def _facts(self, row: Any) -> rules.PersonFacts:
        from yibao_tui.domain import rules

        return rules.PersonFacts(
            id=row[0], scheme=row[2], region=row[3], birth_date=dt.date.fromisoformat(row[5]),
            status=row[8] or "active",
        )

    def _resolve_id(self, who: str) -> str:
        return str(self._run(lambda: self._resolve(who))[0])

    def add_person(
        self,
        id: str,
        name: str,
        scheme: str,
        region: str,
        card: str | None = None,
        opening_balance_fen: int = 0,
        key: str | None = None,
        time: str | None = None,
    ) -> Person:
        """Register a person; an employee member gets a personal account."""
        from yibao_tui.domain import rules
        from yibao_tui.domain.policy import policy_for, valid_region

        pid = parse_id(id, today=self.today())
        clean_name = check_name(name)
        if scheme not in ("employee", "resident"):
            raise YibaoError("INVALID_ARGUMENT", detail=f"--scheme {scheme}")
        region = fold(region)
        if not valid_region(region):
            raise YibaoError("INVALID_REGION", region=_shown(region, 12))
        on = dt.date.fromisoformat(time[:10]) if time else self.today()
        rules.check_scheme_age(scheme, pid.birth_date, on, policy_for(region, on.year))
        clean_card = check_card(card)
        check_amount(opening_balance_fen, allow_zero=True)
        if opening_balance_fen and scheme != "employee":
            raise YibaoError("NOT_EMPLOYEE_INSURED", id=pid.value)
        request = {"id": pid.value, "name": clean_name, "scheme": scheme, "region": region,
                   "card": clean_card, "opening": opening_balance_fen}

        def body(conn: sqlite3.Connection, op_id: int, now: str) -> dict[str, Any]:
            self._insert_person(conn, op_id, now, pid.value, clean_name, scheme, region, clean_card,
                                pid.birth_date.isoformat(), pid.sex, opening_balance_fen)
            row = conn.execute(_PERSON_SQL + " WHERE p.id = ?", (pid.value,)).fetchone()
            return {"id": pid.value, "person": _person(row).to_json()}

        response, replayed = self._write("person.add", request, key, body, pid.value, time)
        if "person" in response:  # the record as it was registered, also on a replay
            return Person.from_json({**response["person"], "replayed": replayed})
        # operations stored before the record was kept
        return dataclasses.replace(self._person_row(pid.value), replayed=replayed)

    def _insert_person(self, conn: sqlite3.Connection, op_id: int | None, now: str, pid: str, name: str,
                       scheme: str, region: str, card: str | None, birth: str, sex: str, opening: int) -> None:
        if conn.execute("SELECT 1 FROM persons WHERE id = ?", (pid,)).fetchone():
            raise YibaoError("PERSON_EXISTS", id=pid)
        if card and conn.execute("SELECT 1 FROM persons WHERE card = ?", (card,)).fetchone():
            raise YibaoError("CARD_IN_USE", card=card)
        conn.execute(
            "INSERT INTO persons (id, name, scheme, region, card, birth_date, sex, created_at, name_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (pid, name, scheme, region, card, birth, sex, now, name_key(name)),
        )
        if scheme == "employee":
            acct = conn.execute(
                "INSERT INTO accounts (code, kind, person_id) VALUES (?, 'personal', ?)", (f"P:{pid}", pid)
            ).lastrowid
            assert acct is not None
            if opening:
                self._transfer(conn, op_id, "opening", self._system(conn, "opening"), acct, opening, now)

    def _person_row(self, pid: str) -> Person:
        row = self._run(lambda: self.conn.execute(_PERSON_SQL + " WHERE p.id = ?", (pid,)).fetchone())
        return _person(row)

    def person(self, who: str) -> Person:
        """Look a person up by ID or card number (audited)."""
        row = self._run(lambda: self._resolve(who))
        self._audit_read("person.show", row[0])
        return _person(row)

    def is_empty(self) -> bool:
        """No person registered yet."""
        return self._run(lambda: self.conn.execute("SELECT 1 FROM persons LIMIT 1").fetchone()) is None

    def meta(self, key: str) -> str | None:
        """A value from the meta table."""
        row = self._run(lambda: self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone())
        return str(row[0]) if row else None

    # ----------------------------------------------------------------- balance & statement
    def _account(self, pid: str) -> tuple[int, int, str]:
        row = self.conn.execute(
            "SELECT id, balance, status FROM accounts WHERE person_id = ?", (pid,)
        ).fetchone()
        if row is None:
            raise YibaoError("NOT_EMPLOYEE_INSURED", id=pid)
        return int(row[0]), int(row[1]), str(row[2])

    def _balance_unaudited(self, who: str) -> Balance:
        def run() -> Balance:
            row = self._resolve(who)  # the person row carries the account's balance and status
            if row[9] is None:
                raise YibaoError("NOT_EMPLOYEE_INSURED", id=row[0])
            return Balance(id=row[0], balance_fen=int(row[9]), status=str(row[8]), name=row[1])

        result: Balance = self._run(run)
        return result

    def balance(self, who: str) -> Balance:
        """The balance and status of the person's account (audited)."""
        result = self._balance_unaudited(who)
        self._audit_read("balance", result.id)
        return result

    def balances(self, people: list[str]) -> list[Balance | YibaoError]:
        """Several balance lookups, each answered or refused on its own; the audit records of
        all the answered ones are committed together, before any answer is returned."""
        out: list[Balance | YibaoError] = []
        for who in people:
            try:
                out.append(self._balance_unaudited(who))
            except YibaoError as e:
                out.append(e)
        found = [b for b in out if isinstance(b, Balance)]
        if found:
            try:
                self._audit_reads([("balance", b.id, "") for b in found])
            except YibaoError as e:  # not recorded → not answered
                return [e if isinstance(b, Balance) else b for b in out]
        return out

    def statement(
        self,
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
            row = self._resolve(who)
            acct, bal, _ = self._account(row[0])
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
                total = self.conn.execute(
                    f"SELECT COUNT(*) FROM entries e WHERE {' AND '.join(where)}", args
                ).fetchone()[0]
            if cursor:
                c_time, c_id_int = parse_cursor(cursor)
                where.append("(e.time, e.id) < (?, ?)" if newest_first else "(e.time, e.id) > (?, ?)")
                args.extend([c_time, c_id_int])
            order = "DESC" if newest_first else "ASC"
            rows, more = fetch_page(
                self.conn,
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
            opening = self._balance_before(acct, lo) if lo else 0
            closing = self._balance_before(acct, hi) if hi else bal
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

        page: StatementPage = self._run(run)
        if audit and not cursor:
            self._audit_read("statement", page.id, json.dumps({"from": date_from, "to": date_to, "kind": kind}))
        return page

    def _balance_before(self, acct: int, time: str) -> int:
        row = self.conn.execute(
            "SELECT balance_after FROM entries WHERE account_id = ? AND time < ?"
            " ORDER BY time DESC, id DESC LIMIT 1",
            (acct, time),
        ).fetchone()
        return int(row[0]) if row else 0

    def iter_statement(self, who: str, date_from: str | None = None, date_to: str | None = None,
                       kind: str | None = None, page_size: int = 500) -> Iterator[Entry]:
        """Every entry, oldest first, page by page (for export): never the whole history in memory."""
        cursor: str | None = None
        first = True
        while True:
            page = self.statement(who, date_from, date_to, kind, cursor, page_size, newest_first=False, audit=first)
            first = False
            yield from page.entries
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def summary(self, who: str, year: int, months: int = 24) -> Summary:
        """This year's credits and spending, and month-end balances for the last ``months``."""

        def run() -> Summary:
            row = self._resolve(who)
            acct, bal, _ = self._account(row[0])
            lo, hi = f"{year}-01-01 00:00:00", f"{year + 1}-01-01 00:00:00"
            credits, spending = self.conn.execute(
                "SELECT COALESCE(SUM(CASE WHEN amount > 0 AND kind = 'credit' THEN amount END), 0),"
                " COALESCE(SUM(CASE WHEN amount < 0 THEN -amount END), 0)"
                " FROM entries WHERE account_id = ? AND time >= ? AND time < ?",
                (acct, lo, hi),
            ).fetchone()
            today = self.today()
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
                values.append(self._balance_before(acct, f"{ny}-{nm:02d}-01 00:00:00"))
            return Summary(id=row[0], balance_fen=bal, year=year, year_credits_fen=int(credits),
                           year_spending_fen=int(spending), months=labels, month_balances_fen=values)

        result: Summary = self._run(run)
        self._audit_read("summary", result.id)
        return result

    # ----------------------------------------------------------------- money in and out
    def credit(self, who: str, amount_fen: int, memo: str = "", key: str | None = None, time: str | None = None) -> CreditResult:
        """The monthly fund credit (划入)."""
        from yibao_tui.domain import rules

        check_amount(amount_fen)
        memo = check_memo(memo)
        pid = self._resolve_id(who)

        def body(conn: sqlite3.Connection, op_id: int, now: str) -> dict[str, Any]:
            facts = self._facts(conn.execute(_PERSON_SQL + " WHERE p.id = ?", (pid,)).fetchone())
            rules.require_account_usable(facts)
            acct, _, _ = self._account(pid)
            _, _, after = self._transfer(conn, op_id, "credit", self._system(conn, "fund"), acct, amount_fen, now, memo)
            return CreditResult(id=pid, amount_fen=amount_fen, balance_after_fen=after).to_json()

        response, replayed = self._write("credit", {"id": pid, "amount": amount_fen, "memo": memo}, key, body, pid, time)
        return CreditResult.from_json({**response, "replayed": replayed})

    def spend(self, patient: str, amount_fen: int, kind: str, key: str | None = None, time: str | None = None) -> SpendResult:
        """A bill: the patient's own account first, then the holders who bound the patient."""
        from yibao_tui.domain import rules
        from yibao_tui.domain.policy import policy_for
        from yibao_tui.i18n import t

        check_amount(amount_fen)
        rules.check_spend_kind(kind)
        pid = self._resolve_id(patient)

        def body(conn: sqlite3.Connection, op_id: int, now: str) -> dict[str, Any]:
            prow = conn.execute(_PERSON_SQL + " WHERE p.id = ?", (pid,)).fetchone()
            pf = self._facts(prow)
            year = int(now[:4])
            ppol = policy_for(pf.region, year)
            allowed_somewhere = ppol.allows(kind)
            payers: list[tuple[int, int]] = []  # (account id, balance) in paying order
            if pf.scheme == "employee" and pf.status == "active" and ppol.allows(kind):
                acct, bal, _ = self._account(pid)
                payers.append((acct, bal))
            candidates: list[tuple[int, int, int]] = []
            for bid, _hid, hregion, acct, bal, status in conn.execute(
                "SELECT b.id, b.holder_id, p.region, a.id, a.balance, a.status FROM bindings b"
                " JOIN persons p ON p.id = b.holder_id JOIN accounts a ON a.person_id = b.holder_id"
                " WHERE b.relative_id = ? AND b.status = 'active'",
                (pid,),
            ):
                hpol = policy_for(hregion, year)
                if status != "active" or not hpol.allows(kind):
                    continue
                if not hpol.cross_province and not rules.same_province(hregion, pf.region):
                    continue
                allowed_somewhere = True
                candidates.append((bid, acct, bal))
            payers += [(a, b) for _, a, b in rules.order_payers(ppol, candidates)]
            if not allowed_somewhere:
                raise YibaoError("USE_NOT_ALLOWED", use=t(f"kind.{kind}"))
            parts, cash = rules.split_bill(amount_fen, [b for _, b in payers])
            if cash == amount_fen:
                raise YibaoError("NO_PAYING_ACCOUNT")
            provider = self._system(conn, "provider")
            charges = []
            for (acct, _), part in zip(payers, parts, strict=True):
                if part:
                    self._transfer(conn, op_id, kind, acct, provider, part, now, ref=pid)
                    owner = conn.execute("SELECT person_id FROM accounts WHERE id = ?", (acct,)).fetchone()[0]
                    charges.append(Charge(account_id=owner, amount_fen=part))
            return SpendResult(patient_id=pid, kind=kind, amount_fen=amount_fen, charges=charges, cash_fen=cash).to_json()

        response, replayed = self._write("spend", {"id": pid, "amount": amount_fen, "kind": kind}, key, body, pid, time)
        return SpendResult.from_json({**response, "replayed": replayed})

    # ----------------------------------------------------------------- family mutual aid
    def bindings(self, who: str, include_ended: bool = False) -> list[Binding]:
        """The holder's bindings, oldest first; ended ones too with ``include_ended``."""

        def run() -> tuple[str, list[Binding]]:
            pid = self._resolve(who)[0]
            sql = _BINDING_SQL + " WHERE b.holder_id = ?" + ("" if include_ended else " AND b.status = 'active'")
            return pid, [_binding(r) for r in self.conn.execute(sql + " ORDER BY b.id", (pid,))]

        pid, result = self._run(run)
        self._audit_read("family.list", pid)
        return result

    def bound_by(self, who: str) -> list[Binding]:
        """Active bindings where ``who`` is the relative."""

        def run() -> tuple[str, list[Binding]]:
            pid = self._resolve(who)[0]
            sql = _BINDING_SQL + " WHERE b.relative_id = ? AND b.status = 'active' ORDER BY b.id"
            return pid, [_binding(r) for r in self.conn.execute(sql, (pid,))]

        pid, result = self._run(run)
        self._audit_read("family.bound_by", pid)
        return result

    def bind(self, holder: str, relative: str, relation: str, verified_by: str = "counter",
             pledge_accepted: bool = True, key: str | None = None, time: str | None = None) -> Binding:
        """Bind a close relative, after every rule has passed."""
        from yibao_tui.domain import rules
        from yibao_tui.domain.policy import policy_for

        rel = parse_relation(relation)
        hid = self._resolve_id(holder)
        rid = self._resolve_id(relative)

        def body(conn: sqlite3.Connection, op_id: int, now: str) -> dict[str, Any]:
            hrow = conn.execute(_PERSON_SQL + " WHERE p.id = ?", (hid,)).fetchone()
            rrow = conn.execute(_PERSON_SQL + " WHERE p.id = ?", (rid,)).fetchone()
            hf, rf = self._facts(hrow), self._facts(rrow)
            policy = policy_for(hf.region, int(now[:4]))
            active = [r[0] for r in conn.execute(
                "SELECT relation FROM bindings WHERE holder_id = ? AND status = 'active'", (hid,))]
            already = conn.execute(
                "SELECT 1 FROM bindings WHERE holder_id = ? AND relative_id = ? AND status = 'active'", (hid, rid)
            ).fetchone() is not None
            holder_is_member = conn.execute(
                "SELECT 1 FROM bindings WHERE relative_id = ? AND status = 'active'", (hid,)).fetchone() is not None
            relative_is_holder = conn.execute(
                "SELECT 1 FROM bindings WHERE holder_id = ? AND status = 'active'", (rid,)).fetchone() is not None
            rules.check_binding(hf, rf, rel, verified_by, policy, active, holder_is_member,
                                relative_is_holder, already, dt.date.fromisoformat(now[:10]))
            if hrow[7] is None:  # pledge_at: the first binding needs the 承诺书
                if not pledge_accepted:
                    raise YibaoError("PLEDGE_REQUIRED")
                conn.execute("UPDATE persons SET pledge_at = ? WHERE id = ?", (now, hid))
            bid = conn.execute(
                "INSERT INTO bindings (holder_id, relative_id, relation, status, bound_at, verified_by, op_id)"
                " VALUES (?, ?, ?, 'active', ?, ?, ?)",
                (hid, rid, rel.value, now, verified_by, op_id),
            ).lastrowid
            return _binding_response(conn, int(bid or 0))

        request = {"holder": hid, "relative": rid, "relation": rel.value, "verified_by": verified_by}
        response, replayed = self._write("family.bind", request, key, body, hid, time)
        return self._binding_result(response, replayed)

    def unbind(self, holder: str, relative: str, key: str | None = None, time: str | None = None) -> Binding:
        """End an active binding; the history row stays."""
        hid = self._resolve_id(holder)
        rid = self._resolve_id(relative)

        def body(conn: sqlite3.Connection, op_id: int, now: str) -> dict[str, Any]:
            row = conn.execute(
                "SELECT id FROM bindings WHERE holder_id = ? AND relative_id = ? AND status = 'active'", (hid, rid)
            ).fetchone()
            if row is None:
                raise YibaoError("NOT_BOUND")
            conn.execute("UPDATE bindings SET status = 'ended', unbound_at = ?, ended_reason = 'unbound' WHERE id = ?",
                         (now, row[0]))
            return _binding_response(conn, int(row[0]))

        response, replayed = self._write("family.unbind", {"holder": hid, "relative": rid}, key, body, hid, time)
        return self._binding_result(response, replayed)

    def _binding_result(self, response: dict[str, Any], replayed: bool) -> Binding:
        """The binding as the operation left it (stored in its response), also on a replay."""
        if "binding" in response:
            return Binding.from_json({**response["binding"], "replayed": replayed})
        # operations stored before the record was kept in the response
        bid = int(response["binding_id"])
        row = self._run(lambda: self.conn.execute(_BINDING_SQL + " WHERE b.id = ?", (bid,)).fetchone())
        return Binding.from_json({**_binding(row).to_json(), "replayed": replayed})

    # ----------------------------------------------------------------- premiums
    def _premium_check(self, conn: sqlite3.Connection, pid: str, rid: str, year: int) -> tuple[int, int, int]:
        from yibao_tui.domain import rules
        from yibao_tui.domain.policy import policy_for

        prow = conn.execute(_PERSON_SQL + " WHERE p.id = ?", (pid,)).fetchone()
        rrow = conn.execute(_PERSON_SQL + " WHERE p.id = ?", (rid,)).fetchone()
        pf, rf = self._facts(prow), self._facts(rrow)
        bound = conn.execute(
            "SELECT 1 FROM bindings WHERE holder_id = ? AND relative_id = ? AND status = 'active'", (pid, rid)
        ).fetchone() is not None
        paid = conn.execute(
            "SELECT 1 FROM premium_payments WHERE relative_id = ? AND year = ?", (rid, year)
        ).fetchone() is not None
        this_year = int(self.today().year)
        payer_policy = policy_for(pf.region, this_year)
        standard = policy_for(rf.region, year)
        rules.require_account_usable(pf)
        acct, bal, _ = self._account(pid)
        amount = rules.check_premium(pf, rf, bound, payer_policy, standard, paid, bal)
        return acct, bal, amount

    def premium_quote(self, payer: str, relative: str, year: int) -> PremiumQuote:
        """What the payment would be: the standard and the balance before and after."""
        year = check_year(year)

        def run() -> PremiumQuote:
            pid = self._resolve(payer)[0]
            rrow = self._resolve(relative)
            _, bal, amount = self._premium_check(self.conn, pid, rrow[0], year)
            return PremiumQuote(payer_id=pid, relative_id=rrow[0], region=rrow[3], year=year,
                                amount_fen=amount, balance_fen=bal, balance_after_fen=bal - amount)

        quote: PremiumQuote = self._run(run)
        self._audit_read("premium.quote", quote.payer_id, json.dumps({"relative": quote.relative_id, "year": year}))
        return quote

    def premium_pay(self, payer: str, relative: str, year: int, key: str | None = None, time: str | None = None) -> PremiumPayment:
        """Pay the relative's resident premium for ``year``: all or nothing, once per relative-year."""
        year = check_year(year)
        pid = self._resolve_id(payer)
        rid = self._resolve_id(relative)

        def body(conn: sqlite3.Connection, op_id: int, now: str) -> dict[str, Any]:
            acct, bal, amount = self._premium_check(conn, pid, rid, year)
            if bal < amount:
                raise YibaoError("INSUFFICIENT_BALANCE", balance=_fmt(bal), amount=_fmt(amount))
            tid, after, _ = self._transfer(conn, op_id, "premium", acct, self._system(conn, "premium"),
                                           amount, now, memo=str(year), ref=rid)
            payment_id = f"PM{now[:4]}{tid:010d}"
            conn.execute(
                "INSERT INTO premium_payments (payment_id, payer_id, relative_id, year, amount, transfer_id, time)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (payment_id, pid, rid, year, amount, tid, now),
            )
            return PremiumPayment(payment_id=payment_id, payer_id=pid, relative_id=rid, year=year,
                                  amount_fen=amount, balance_after_fen=after, time=now).to_json()

        response, replayed = self._write("premium.pay", {"payer": pid, "relative": rid, "year": year}, key, body, pid, time)
        return PremiumPayment.from_json({**response, "replayed": replayed})

    def premium_payments(self, who: str) -> list[PremiumPayment]:
        """Payments made by or for ``who``, newest first, with the payer's balance after each."""

        def run() -> tuple[str, list[PremiumPayment]]:
            pid = self._resolve(who)[0]
            rows = self.conn.execute(
                "SELECT pp.payment_id, pp.payer_id, pp.relative_id, pp.year, pp.amount, e.balance_after, pp.time"
                " FROM premium_payments pp JOIN transfers t ON t.id = pp.transfer_id"
                " JOIN entries e ON e.transfer_id = t.id AND e.account_id = t.debit_account"
                " WHERE pp.payer_id = ? OR pp.relative_id = ? ORDER BY pp.id DESC",
                (pid, pid),
            ).fetchall()
            return pid, [PremiumPayment(payment_id=r[0], payer_id=r[1], relative_id=r[2], year=r[3],
                                        amount_fen=r[4], balance_after_fen=r[5], time=r[6]) for r in rows]

        pid, result = self._run(run)
        self._audit_read("premium.list", pid)
        return result

    # ----------------------------------------------------------------- withdrawal
    def withdrawal_check(self, who: str, case: str, facts: dict[str, str], lang: str | None = None) -> WithdrawalVerdict:
        """The checklist verdict from the ledger (status, balance, scheme, region) and the answers."""
        from yibao_tui.domain import rules
        from yibao_tui.domain.policy import policy_for
        from yibao_tui.domain.withdrawal import verdict as withdrawal_verdict
        from yibao_tui.i18n import get_lang

        rules.check_case_name(case)

        def run() -> WithdrawalVerdict:
            row = self._resolve(who)
            f = self._facts(row)
            bal = int(row[9] or 0)
            return withdrawal_verdict(f, bal, policy_for(f.region, self.today().year), case, facts, lang or get_lang())

        result: WithdrawalVerdict = self._run(run)
        self._audit_read("withdrawal.check", result.id, json.dumps({"case": case}))
        return result

    # ----------------------------------------------------------------- operators, PINs, withdrawals
    def operator_add(self, op_id: str, name: str, role: str, password: str) -> Operator:
        """Add a member of staff; only a scrypt hash of the password is stored."""
        from yibao_tui.ledger import access

        op_id, clean = check_operator(op_id, name, role)
        pw_hash = access.hash_secret(access.check_password(password, op_id))

        def body(conn: sqlite3.Connection, op: int, now: str) -> dict[str, Any]:
            if conn.execute("SELECT 1 FROM operators WHERE id = ?", (op_id,)).fetchone():
                raise YibaoError("OPERATOR_EXISTS", id=op_id)
            conn.execute(
                "INSERT INTO operators (id, name, role, pw_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (op_id, clean, role, pw_hash, now),
            )
            return {"id": op_id}

        self._write("operator.add", {"id": op_id, "role": role}, None, body, None)
        return Operator(id=op_id, name=clean, role=role)

    def _attempt(self, table: str, key_col: str, key: str, secret: str, action: str, subject: str | None,
                 max_failures: int, lock: dt.timedelta, locked_code: str, bad_code: str) -> Any:
        from yibao_tui.ledger import access

        def run() -> Any:
            conn = self.conn
            failure: YibaoError | None = None
            with immediate(conn):
                now = self._now()
                try:
                    row = access.attempt(conn, table, key_col, key, secret, now, max_failures, lock,
                                         locked_code, bad_code)
                    outcome = action
                except access._Deferred as d:  # a wrong secret: the failure count must commit
                    failure, row, outcome = d.error, None, action + ".failed"
                except YibaoError as e:  # locked, or no such operator/card: still recorded
                    failure, row = e, None
                    outcome = action + (".refused" if e.code == locked_code else ".failed")
                detail = key if table == "operators" else ""
                if outcome.endswith(".refused"):
                    detail = f"{detail} {failure.code}".strip() if failure else detail
                # a login attempt is filed under the operator it names (`yibao audit --operator ID`)
                who = key if table == "operators" else self.operator
                audit_log.append(conn, now, self.channel, who, outcome, subject, detail)
            if failure is not None:
                raise failure
            return row

        return self._run(run)

    def operator_login(self, op_id: str, password: str) -> Operator:
        """Check an operator's password; five failures lock the operator for 15 minutes."""
        from yibao_tui.ledger import access

        row = self._attempt("operators", "id", fold(op_id), password, "operator.login", None,
                            access.OPERATOR_MAX_FAILURES, access.OPERATOR_LOCK, "OPERATOR_LOCKED", "BAD_CREDENTIALS")
        return Operator(id=row[0], name=row[1], role=row[2])

    def card_set_pin(self, card: str, pin: str) -> str:
        """Set the PIN of a card (or ID number); returns the person's ID."""
        from yibao_tui.ledger import access

        pid = self._resolve_id(card)
        # not the holder's birth date in any usual form (the ID number tells it)
        pin_hash = access.hash_secret(access.check_pin(pin, parse_id(pid, today=self.today()).birth_date))

        def body(conn: sqlite3.Connection, op: int, now: str) -> dict[str, Any]:
            conn.execute(
                "INSERT INTO card_pins (person_id, pin_hash, set_at) VALUES (?, ?, ?) ON CONFLICT (person_id)"
                " DO UPDATE SET pin_hash = excluded.pin_hash, failures = 0, locked_until = NULL, set_at = excluded.set_at",
                (pid, pin_hash, now),
            )
            return {"id": pid}

        self._write("card.set_pin", {"id": pid}, None, body, pid)
        return pid

    def card_login(self, card: str, pin: str) -> Person:
        """A kiosk session: card (or ID) + PIN. Three failures lock the card for 30 minutes."""
        from yibao_tui.ledger import access

        pid = self._resolve_id(card)
        if self._run(lambda: self.conn.execute("SELECT 1 FROM card_pins WHERE person_id = ?", (pid,)).fetchone()) is None:
            raise YibaoError("NO_PIN")
        self._attempt("card_pins", "person_id", pid, fold(pin), "card.login", pid,
                      access.PIN_MAX_FAILURES, access.PIN_LOCK, "CARD_LOCKED", "BAD_PIN")
        return self._person_row(pid)

    def withdrawal_execute(self, who: str, case: str, facts: dict[str, str], payee_name: str, payee_account: str,
                           supervisor: str, supervisor_password: str, key: str | None = None) -> WithdrawalReceipt:
        """Counter only, co-signed by a supervisor: pay the whole balance out and close the account,
        in one transaction."""
        from yibao_tui.domain import rules
        from yibao_tui.domain.policy import policy_for
        from yibao_tui.domain.withdrawal import verdict as withdrawal_verdict
        from yibao_tui.i18n import get_lang

        if self.channel != "counter" or not self.operator:
            raise YibaoError("COUNTER_ONLY")
        if fold(supervisor) == self.operator:
            raise YibaoError("COSIGN_REQUIRED")
        name = check_name(payee_name)
        account = fold(payee_account)
        if not (8 <= len(account) <= 32 and account.isascii() and account.isdigit()):
            raise YibaoError("INVALID_ARGUMENT", detail="payee bank account: 8 to 32 digits")
        cosigner = self.operator_login(supervisor, supervisor_password)
        if cosigner.role != "supervisor":
            raise YibaoError("COSIGN_REQUIRED")
        pid = self._resolve_id(who)

        def body(conn: sqlite3.Connection, op_id: int, now: str) -> dict[str, Any]:
            row = conn.execute(_PERSON_SQL + " WHERE p.id = ?", (pid,)).fetchone()
            facts_ = self._facts(row)
            rules.require_account_usable(facts_)
            acct, bal, _ = self._account(pid)
            v = withdrawal_verdict(facts_, bal, policy_for(facts_.region, int(now[:4])), case, facts, get_lang())
            if not v.eligible:
                raise YibaoError("WITHDRAWAL_NOT_ELIGIBLE")
            tid, _, _ = self._transfer(conn, op_id, "withdrawal", acct, self._system(conn, "withdrawal"), bal, now,
                                       memo=case, ref=pid)
            wid = f"WD{now[:4]}{tid:010d}"
            conn.execute(
                "INSERT INTO withdrawals (withdrawal_id, person_id, case_name, payee, payee_name, payee_account,"
                " amount, transfer_id, operator, cosigner, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (wid, pid, case, v.payee, name, account, bal, tid, self.operator, cosigner.id, now),
            )
            conn.execute("UPDATE accounts SET status = 'closed' WHERE id = ?", (acct,))
            self._end_bindings_of_closed(conn, op_id, now, pid)
            return WithdrawalReceipt(withdrawal_id=wid, person_id=pid, case=case, payee=v.payee, payee_name=name,
                                     payee_account=account, amount_fen=bal, operator=str(self.operator),
                                     cosigner=cosigner.id, time=now).to_json()

        request = {"id": pid, "case": case, "facts": facts, "payee": name, "account": account, "cosigner": cosigner.id}
        response, replayed = self._write("withdrawal.execute", request, key, body, pid)
        return WithdrawalReceipt.from_json({**response, "replayed": replayed})

    def _end_bindings_of_closed(self, conn: sqlite3.Connection, op_id: int, now: str, pid: str) -> None:
        """A closed account shares nothing: every binding it holds ends, each recorded with its reason
        (in the closing transaction)."""
        ended = conn.execute(
            "UPDATE bindings SET status = 'ended', unbound_at = ?, ended_reason = 'account-closed'"
            " WHERE holder_id = ? AND status = 'active' RETURNING relative_id, relation", (now, pid)
        ).fetchall()
        for relative, relation in ended:
            detail = {"op": op_id, "relative": relative, "relation": relation, "reason": "account-closed"}
            audit_log.append(conn, now, self.channel, self.operator, "family.ended", pid,
                             json.dumps(detail, ensure_ascii=False, sort_keys=True))

    # ----------------------------------------------------------------- audit & verify
    def audit(self, person: str | None = None, operator: str | None = None, since: str | None = None,
              limit: int = 1000) -> list[AuditRow]:
        """The audit log, newest first, filtered."""
        where: list[str] = []
        args: list[Any] = []
        if person:
            where.append("subject = ?")
            args.append(normalise_id(person))
        if operator:
            where.append("operator = ?")
            args.append(fold(operator))
        if since:
            d = parse_day(since)
            where.append("time >= ?")
            args.append(f"{d} 00:00:00")
        sql = "SELECT seq, time, channel, operator, action, subject, detail FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC LIMIT ?"
        rows = self._run(lambda: self.conn.execute(sql, (*args, limit)).fetchall())
        return [AuditRow(*r) for r in rows]

    def verify(self) -> Any:
        """See ``yibao_tui.ledger.verify``."""
        from yibao_tui.ledger.verify import verify

        return self._run(lambda: verify(self.conn, self.today().year))

    def demo(self, persons: int = 20, seed: int = 1) -> dict[str, Any]:
        """Load deterministic demo data into an empty ledger."""
        from yibao_tui.ledger.demo import generate

        return generate(self, persons, seed)

    # ----------------------------------------------------------------- import
    def import_persons(self, rows: list[dict[str, str]], key: str | None = None,
                       progress: Callable[[int, int], None] | None = None,
                       source_sha256: str | None = None) -> ImportResult:
        """Validate every row, then insert all of them in one transaction, or none. The audit
        records the count, ``source_sha256`` (the file's hash; else one of the rows) and the
        operator, never the roster."""
        from yibao_tui.ledger.importer import import_rows

        return import_rows(self, rows, key, progress, source_sha256)


@lru_cache(maxsize=4096)
def _valid_id(raw: str, today: dt.date) -> str:
    """``parse_id(raw).value``, remembered: a counter looks the same people up again and again
    (a refusal raises, and is not cached)."""
    return parse_id(raw, today=today).value


def _id_reason(reason: str) -> str:
    from yibao_tui.i18n import t

    return t(f"reason.id.{reason}")


def _shown(text: str, n: int) -> str:
    """``text`` cut to ``n`` characters, anything but ASCII letters and digits as ``?``: what a
    refusal may echo of an identifier."""
    return "".join(c if is_ascii_alnum(c) else "?" for c in text[:n])


def check_year(year: int | str) -> int:
    """A contribution year between 1990 and 2100."""
    try:
        y = int(year)
    except (TypeError, ValueError):
        raise YibaoError("INVALID_ARGUMENT", detail=f"--year {year}") from None
    if not 1990 <= y <= 2100:
        raise YibaoError("INVALID_ARGUMENT", detail=f"--year {year}")
    return y


def _fmt(fen: int) -> str:
    from yibao_tui.domain.money import format_fen

    return format_fen(fen)


def _audit_detail(request: dict[str, Any]) -> dict[str, Any]:
    """What an audit record says of a request: no names, a payee's bank account masked (the
    audit is read on screens others can see; the operation itself keeps the full request)."""
    out = {k: v for k, v in request.items() if k not in ("name", "payee")}
    if isinstance(out.get("account"), str):
        out["account"] = mask_card(out["account"])
    return out


_PERSON_SQL = (
    "SELECT p.id, p.name, p.scheme, p.region, p.card, p.birth_date, p.sex, p.pledge_at,"
    " a.status, a.balance, p.created_at FROM persons p LEFT JOIN accounts a ON a.person_id = p.id"
)
_BINDING_SQL = (
    "SELECT b.holder_id, b.relative_id, b.relation, b.status, b.bound_at, b.verified_by, b.unbound_at,"
    " p.name, b.id, b.ended_reason FROM bindings b JOIN persons p ON p.id = b.relative_id"
)


def _person(row: Any) -> Person:
    return Person(id=row[0], name=row[1], scheme=row[2], region=row[3], card=row[4],
                  status=row[8] or "active", birth_date=row[5], sex=row[6],
                  balance_fen=None if row[9] is None else int(row[9]), created_at=row[10])


def _binding_response(conn: sqlite3.Connection, bid: int) -> dict[str, Any]:
    row = conn.execute(_BINDING_SQL + " WHERE b.id = ?", (bid,)).fetchone()
    return {"binding_id": bid, "binding": _binding(row).to_json()}


def _binding(row: Any) -> Binding:
    return Binding(holder_id=row[0], relative_id=row[1], relation=row[2], status=row[3], bound_at=row[4],
                   verified_by=row[5], unbound_at=row[6], relative_name=row[7], binding_id=row[8],
                   ended_reason=row[9])
