"""Ledger benchmark: bulk-generate a large ledger, then time the hot paths against bare SQLite.

    .venv/bin/python bench/bench_ledger.py                      # 1,000,000 persons (~24M entries)
    .venv/bin/python bench/bench_ledger.py --persons 2000 --verify

Generation writes the real schema (``yibao_tui.ledger.db.migrate``) through a bulk path of its own:
``executemany`` in one large transaction per month of history, running balances computed in Python,
secondary indexes dropped during the load and recreated by ``migrate()`` afterwards. Every transfer
gets what the real ledger writes for it: its operation (with its response), both entries with
running balances, and a hash-chained audit record, so ``Ledger.verify()`` passes (``--verify``).

Each person is an employee member with an account and 12 transfers over 24 months (an opening
balance, 8 monthly credits, 3 bills): 24 entries per person. One extra account gets a long history
(``--long-history`` personal entries, default 100,000) for the statement-page measurements.

Then, in the same run, each measurement interleaves the ledger call with the bare SQLite
statement underneath it and reports medians and their ratio:

(a) ``Ledger.balance`` (it also writes the audit record of the read, synchronous=NORMAL) and the
    read path without that write, vs ``SELECT balance FROM accounts WHERE person_id = ?``;
(b) a 50-row ``Ledger.statement`` page (``audit=False``, and with its audit write) at the newest
    and at the oldest end of the long history, vs the keyset query underneath;
(c) ``Ledger.premium_pay`` vs a raw durable single-insert transaction
    (``BEGIN IMMEDIATE; INSERT; COMMIT`` on the same file, WAL, synchronous=FULL).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from yibao_tui.domain.idnum import make_id
from yibao_tui.ledger import audit as audit_log
from yibao_tui.ledger.db import SCHEMA_VERSION, connect, migrate
from yibao_tui.ledger.persons import resolve
from yibao_tui.ledger.store import Ledger

MONTHS = 24
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰"]
REGIONS = ["440300", "110000", "350200", "370900", "530100", "320100"]
SPEND_KINDS = ("outpatient", "pharmacy", "outpatient", "pharmacy", "inpatient")
# secondary indexes dropped for the load; ``migrate()`` recreates them with the schema's own SQL
BULK_DROPPED_INDEXES = ("entries_account_time", "entries_transfer", "audit_subject", "audit_operator")
FLUSH_ROWS = 200_000


# --------------------------------------------------------------------------- generation
class Writer:
    """Buffers rows per table and posts them with ``executemany``; keeps the running balances,
    the operation and transfer ids and the audit chain exactly as the ledger would."""

    def __init__(self, conn: sqlite3.Connection, system: dict[str, int]) -> None:
        self.conn = conn
        self.system = system
        self.balances: dict[int, int] = {acct: 0 for acct in system.values()}
        self.op_id = conn.execute("SELECT COALESCE(MAX(id), 0) FROM operations").fetchone()[0]
        self.tid = conn.execute("SELECT COALESCE(MAX(id), 0) FROM transfers").fetchone()[0]
        row = conn.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        self.prev_hash = row[0] if row else audit_log.GENESIS
        self.persons: list[tuple] = []
        self.accounts: list[tuple] = []
        self.ops: list[tuple] = []
        self.transfers: list[tuple] = []
        self.entries: list[tuple] = []
        self.audit: list[tuple] = []
        self.pending = 0
        self.rows = 0

    def transfer(self, op: int, kind: str, debit: int, credit: int, amount: int, now: str,
                 memo: str = "", ref: str | None = None) -> tuple[int, int]:
        self.tid += 1
        tid = self.tid
        bal = self.balances
        d_after = bal[debit] - amount
        c_after = bal[credit] + amount
        bal[debit] = d_after
        bal[credit] = c_after
        self.transfers.append((tid, op, kind, debit, credit, amount, now, memo, ref))
        self.entries.append((tid, debit, -amount, d_after, now, kind))
        self.entries.append((tid, credit, amount, c_after, now, kind))
        self.pending += 4
        return d_after, c_after

    def operation(self) -> int:
        self.op_id += 1
        return self.op_id

    def finish_op(self, op: int, kind: str, subject: str, request: str, response: str, now: str) -> None:
        rh = hashlib.sha256(f"{kind}\x1f{request}".encode()).hexdigest()
        self.ops.append((op, kind, None, rh, response, now, "bench", None))
        detail = f'{{"op": {op}, {request[1:]}'
        h = audit_log.chain_hash(self.prev_hash, now, "bench", None, kind, subject, detail)
        self.audit.append((now, "bench", None, kind, subject, detail, self.prev_hash, h))
        self.prev_hash = h
        self.pending += 2
        if self.pending >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        c = self.conn
        if self.persons:
            c.executemany("INSERT INTO persons (id, name, scheme, region, card, birth_date, sex, created_at)"
                          " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", self.persons)
        if self.accounts:
            c.executemany("INSERT INTO accounts (id, code, kind, person_id) VALUES (?, ?, 'personal', ?)",
                          self.accounts)
        c.executemany("INSERT INTO operations (id, kind, idem_key, request_hash, response, time, channel, operator)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", self.ops)
        c.executemany("INSERT INTO transfers (id, op_id, kind, debit_account, credit_account, amount, time, memo, ref)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self.transfers)
        c.executemany("INSERT INTO entries (transfer_id, account_id, amount, balance_after, time, kind)"
                      " VALUES (?, ?, ?, ?, ?, ?)", self.entries)
        c.executemany("INSERT INTO audit (time, channel, operator, action, subject, detail, prev_hash, hash)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", self.audit)
        self.rows += (len(self.persons) + len(self.accounts) + len(self.ops) + len(self.transfers)
                      + len(self.entries) + len(self.audit))
        for buf in (self.persons, self.accounts, self.ops, self.transfers, self.entries, self.audit):
            buf.clear()
        self.pending = 0

    def save_balances(self) -> None:
        self.flush()
        self.conn.executemany("UPDATE accounts SET balance = ? WHERE id = ?",
                              [(b, a) for a, b in self.balances.items()])


def _month_starts(today: dt.date) -> list[dt.datetime]:
    first = dt.date(today.year, today.month, 1)
    out = []
    for _ in range(MONTHS):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        out.append(dt.datetime(first.year, first.month, first.day))
    return out[::-1]


def _stamp(base: dt.datetime, seconds: int) -> str:
    return (base + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")


def generate(path: Path, persons: int, long_history: int, seed: int) -> dict:
    """Bulk-load ``persons`` employee members (+1 with a long history). Returns figures."""
    rng = random.Random(seed)
    t0 = time.perf_counter()
    conn = connect(path)
    migrate(conn)
    if conn.execute("SELECT COUNT(*) FROM persons").fetchone()[0]:
        raise SystemExit(f"{path} is not empty")
    conn.execute("PRAGMA journal_mode = OFF")  # bulk load only; WAL is restored below
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")
    for name in BULK_DROPPED_INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    system = {code: conn.execute("SELECT id FROM accounts WHERE code = ?", (f"SYS:{code}",)).fetchone()[0]
              for code in ("fund", "provider", "opening")}
    w = Writer(conn, system)
    first_acct = conn.execute("SELECT COALESCE(MAX(id), 0) FROM accounts").fetchone()[0] + 1
    fund, provider, opening = system["fund"], system["provider"], system["opening"]
    months = _month_starts(dt.date.today())
    span = 2_000_000  # the ordinary persons' events spread over the first ~23 days of a month
    n = persons + 1  # the last one is the long-history account
    ids = [person_id(i) for i in range(n)]
    accts = list(range(first_acct, first_acct + n))
    for a in accts:
        w.balances[a] = 0
    long_acct = accts[-1]
    per_month_long = max(1, long_history // (2 * MONTHS))
    conn.execute("BEGIN")
    for m, mstart in enumerate(months):
        # one second-resolution time per person per month, increasing with the person index, so that
        # ids follow time across all accounts (system accounts' running balances need that)
        for i in range(persons):
            now = _stamp(mstart, i * span // persons)
            pid = ids[i]
            acct = accts[i]
            if m == 0:
                _add_person(w, rng, i, pid, acct, now, opening)
            if (m + i) % 3 == 0:  # 8 monthly credits in 24 months
                amount = rng.randint(15_000, 60_000)
                _credit(w, pid, acct, fund, amount, now)
            if m in _spend_months(i):
                amount = min(rng.randint(1_500, 18_000), w.balances[acct])
                if amount > 0:
                    _spend(w, pid, acct, provider, amount, SPEND_KINDS[(i + m) % 5], _stamp(mstart, i * span // persons + 1))
        # the long-history account: its events after everyone else's this month
        lpid = ids[-1]
        for j in range(per_month_long):
            now = _stamp(mstart, span + 10 + j * 4)
            if m == 0 and j == 0:
                _add_person(w, rng, persons, lpid, long_acct, now, opening)
            _credit(w, lpid, long_acct, fund, rng.randint(15_000, 60_000), now)
            amount = min(rng.randint(1_500, 18_000), w.balances[long_acct])
            if amount:
                _spend(w, lpid, long_acct, provider, amount, "pharmacy", _stamp(mstart, span + 12 + j * 4))
        w.flush()
        conn.execute("COMMIT")
        conn.execute("BEGIN")
        print(f"  month {m + 1}/{MONTHS}: {w.rows:,} rows, {time.perf_counter() - t0:,.0f} s", file=sys.stderr, flush=True)
    w.save_balances()
    conn.execute("COMMIT")
    t_rows = time.perf_counter() - t0
    print("  recreating indexes ...", file=sys.stderr, flush=True)
    conn.execute("PRAGMA locking_mode = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("DELETE FROM meta WHERE key = 'schema_hash'")  # make migrate() run its statements
    migrate(conn)  # recreates the dropped indexes with the schema's own statements
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.close()
    elapsed = time.perf_counter() - t0
    check = sqlite3.connect(path)
    entries, transfers = check.execute("SELECT (SELECT COUNT(*) FROM entries), (SELECT COUNT(*) FROM transfers)").fetchone()
    long_entries = check.execute("SELECT COUNT(*) FROM entries WHERE account_id = ?", (long_acct,)).fetchone()[0]
    check.close()
    return {
        "persons": n, "entries": entries, "transfers": transfers, "rows": w.rows,
        "seconds": elapsed, "seconds_rows": t_rows, "long_id": ids[-1], "long_entries": long_entries,
        "sample_ids": [ids[k] for k in rng.sample(range(persons), min(persons, 5000))],
    }


def person_id(i: int) -> str:
    """The i-th generated person's ID number (unique for i < 2,500,000)."""
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=(i // 1000) * 7)
    return make_id(REGIONS[i % len(REGIONS)], birth, i % 1000)


def existing(path: Path, persons: int, seed: int) -> dict:
    """What ``measure`` needs from an already generated file (``--measure-only``)."""
    conn = sqlite3.connect(path)
    rng = random.Random(seed)
    # the generated persons are rowids 1..persons (the benchmark's own payers come after them)
    rowids = ",".join(str(rng.randint(1, persons)) for _ in range(5000))
    sample = [r[0] for r in conn.execute(f"SELECT id FROM persons WHERE rowid IN ({rowids})")]
    conn.close()
    return {"long_id": person_id(persons), "sample_ids": sample}


def _spend_months(i: int) -> tuple[int, int, int]:
    k = i % 7
    return (k + 1, k + 9, k + 16)


def _add_person(w: Writer, rng: random.Random, i: int, pid: str, acct: int, now: str, opening: int) -> None:
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    region = pid[:6]
    birth = f"{pid[6:10]}-{pid[10:12]}-{pid[12:14]}"
    sex = "M" if int(pid[16]) % 2 else "F"
    w.persons.append((pid, name, "employee", region, f"B{i:09d}", birth, sex, now))
    w.accounts.append((acct, f"P:{pid}", pid))
    amount = rng.randint(50_000, 400_000)
    op = w.operation()
    w.transfer(op, "opening", opening, acct, amount, now)
    request = (f'{{"card": "B{i:09d}", "id": "{pid}", "opening": {amount}, "region": "{region}",'
               f' "scheme": "employee"}}')
    w.finish_op(op, "person.add", pid, request, f'{{"id": "{pid}"}}', now)


def _credit(w: Writer, pid: str, acct: int, fund: int, amount: int, now: str) -> None:
    op = w.operation()
    _, after = w.transfer(op, "credit", fund, acct, amount, now)
    request = f'{{"amount": {amount}, "id": "{pid}", "memo": ""}}'
    response = f'{{"id": "{pid}", "amount_fen": {amount}, "balance_after_fen": {after}}}'
    w.finish_op(op, "credit", pid, request, response, now)


def _spend(w: Writer, pid: str, acct: int, provider: int, amount: int, kind: str, now: str) -> None:
    op = w.operation()
    w.transfer(op, kind, acct, provider, amount, now, ref=pid)
    request = f'{{"amount": {amount}, "id": "{pid}", "kind": "{kind}"}}'
    response = (f'{{"patient_id": "{pid}", "kind": "{kind}", "amount_fen": {amount}, "charges":'
                f' [{{"account_id": "{pid}", "amount_fen": {amount}}}], "cash_fen": 0}}')
    w.finish_op(op, "spend", pid, request, response, now)


# --------------------------------------------------------------------------- measurements
def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def pair(ledger_fn, raw_fn, n: int) -> dict:
    """Interleave the two, alternating which goes first; medians in microseconds and their ratio."""
    a: list[float] = []
    b: list[float] = []
    for k in range(n):
        if k % 2:
            a.append(_timed(ledger_fn))
            b.append(_timed(raw_fn))
        else:
            b.append(_timed(raw_fn))
            a.append(_timed(ledger_fn))
    ma, mb = statistics.median(a) * 1e6, statistics.median(b) * 1e6
    return {"ledger_us": ma, "raw_us": mb, "ratio": ma / mb, "n": n,
            "ledger_p90_us": _p(a, 0.9) * 1e6, "raw_p90_us": _p(b, 0.9) * 1e6}


def _p(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


STATEMENT_SQL = (
    "SELECT e.id, e.time, e.kind, e.amount, e.balance_after, t.memo, t.ref"
    " FROM entries e JOIN transfers t ON t.id = e.transfer_id"
    " WHERE e.account_id = ? ORDER BY e.time {o}, e.id {o} LIMIT ?"
)


def measure(path: Path, info: dict, reps: int, payments: int) -> dict:
    ledger = Ledger(path, channel="bench")
    raw = connect(path)  # the same pragmas as the ledger: WAL, synchronous=FULL, busy timeout
    res: dict = {}
    ids = info["sample_ids"]
    rng = random.Random(7)

    # (a) balance lookup
    picks = [rng.choice(ids) for _ in range(reps)]
    it_a, it_b = iter(picks), iter(picks)
    res["balance (with its audit write)"] = pair(
        lambda: ledger.balance(next(it_a)),
        lambda: raw.execute("SELECT balance FROM accounts WHERE person_id = ?", (next(it_b),)).fetchone(),
        reps)
    it_a, it_b = iter(picks), iter(picks)
    res["balance, read path only (no audit write)"] = pair(
        lambda: ledger.run(lambda: resolve(ledger, next(it_a))),  # the person row carries the balance
        lambda: raw.execute("SELECT balance FROM accounts WHERE person_id = ?", (next(it_b),)).fetchone(),
        reps)

    # (b) 50-row statement pages of the long history
    lid = info["long_id"]
    acct = raw.execute("SELECT id FROM accounts WHERE person_id = ?", (lid,)).fetchone()[0]
    newest = STATEMENT_SQL.format(o="DESC")
    oldest = STATEMENT_SQL.format(o="ASC")
    res["statement page, newest end (audit=False)"] = pair(
        lambda: ledger.statement(lid, limit=50, audit=False),
        lambda: raw.execute(newest, (acct, 51)).fetchall(), reps)
    res["statement page, oldest end (audit=False)"] = pair(
        lambda: ledger.statement(lid, limit=50, newest_first=False, audit=False),
        lambda: raw.execute(oldest, (acct, 51)).fetchall(), reps)
    # the last page of a newest-first walk: a keyset cursor near the oldest end
    row = raw.execute("SELECT time, id FROM entries WHERE account_id = ? ORDER BY time, id LIMIT 1 OFFSET 50",
                      (acct,)).fetchone()
    cursor = f"{row[0]}|{row[1]}"
    deep = ("SELECT e.id, e.time, e.kind, e.amount, e.balance_after, t.memo, t.ref"
            " FROM entries e JOIN transfers t ON t.id = e.transfer_id"
            " WHERE e.account_id = ? AND (e.time, e.id) < (?, ?) ORDER BY e.time DESC, e.id DESC LIMIT ?")
    res["statement page, newest-first cursor at the oldest end (audit=False)"] = pair(
        lambda: ledger.statement(lid, cursor=cursor, limit=50, audit=False),
        lambda: raw.execute(deep, (acct, row[0], row[1], 51)).fetchall(), reps)
    res["statement page, newest end (with its audit write)"] = pair(
        lambda: ledger.statement(lid, limit=50),
        lambda: raw.execute(newest, (acct, 51)).fetchall(), reps)
    # the plans SQLite chose, to show the keyset index is used
    res["_plans"] = {
        "newest": [r[3] for r in raw.execute("EXPLAIN QUERY PLAN " + newest, (acct, 51))],
        "balance": [r[3] for r in raw.execute("EXPLAIN QUERY PLAN SELECT balance FROM accounts WHERE person_id = ?", ("x",))],
    }

    # (c) premium payment vs a raw durable single insert
    pairs = _premium_setup(ledger, payments)
    it = iter(pairs)
    counter = iter(range(10**9))

    def raw_insert() -> None:
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"bench-raw-{next(counter)}", "x" * 64))
        raw.execute("COMMIT")

    def pay() -> None:
        payer, rel, year = next(it)
        ledger.premium_pay(payer, rel, year)

    res["premium payment vs raw durable single insert"] = pair(pay, raw_insert, len(pairs))
    raw.execute("BEGIN IMMEDIATE")
    raw.execute("DELETE FROM meta WHERE key LIKE 'bench-raw-%'")
    raw.execute("COMMIT")
    raw.close()
    ledger.close()
    return res


def _premium_setup(ledger: Ledger, payments: int) -> list[tuple[str, str, int]]:
    """Payers with six bound resident children each: a payable premium per child for each year
    open today (the sample policy, data/policy_sample.toml: one or two years, on any date)."""
    ledger.use_sample_policy()  # sample figures: a year is open whatever day the bench runs
    out: list[tuple[str, str, int]] = []
    # earlier runs on the same file (``--measure-only``) left their payers: start after them
    k = int(ledger.conn.execute("SELECT COUNT(*) FROM persons WHERE region = '440100'").fetchone()[0])
    while len(out) < payments:
        k += 1
        # region 440100 is not among the generated ones: these IDs cannot collide with theirs
        payer = make_id("440100", dt.date(1970, 1, 1) + dt.timedelta(days=k), 900 + k % 100)
        ledger.add_person(payer, "付款人", "employee", "440100", opening_balance_fen=12 * 40_000 + 100)
        years = ledger.premium_years(payer).open_years
        for c in range(6):
            child = make_id("440100", dt.date(2000 + c, 2, 1) + dt.timedelta(days=k), 800 + k % 100)
            ledger.add_person(child, "孩子", "resident", "440100")
            ledger.bind(payer, child, "child")
            out += [(payer, child, year) for year in years]
    return out[:payments]


# --------------------------------------------------------------------------- report
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--long-history", type=int, default=100_000, help="personal entries of the long account")
    ap.add_argument("--db", type=Path, help="ledger file (default: bench/out/ledger-N.db, git-ignored)")
    ap.add_argument("--reps", type=int, default=2000, help="repetitions of each lookup")
    ap.add_argument("--payments", type=int, default=300, help="premium payments timed")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--verify", action="store_true", help="run Ledger.verify() on the generated file")
    ap.add_argument("--keep", action="store_true", help="keep the file afterwards")
    ap.add_argument("--measure-only", action="store_true",
                    help="measure an existing file generated with the same --persons (implies --keep)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args(argv)
    path = args.db or Path(__file__).resolve().parent / "out" / f"ledger-{args.persons}.db"
    gen: dict | None = None
    if args.measure_only:
        args.keep = True
        if not path.exists():
            raise SystemExit(f"{path} does not exist")
        info = existing(path, args.persons, args.seed)
    else:
        if path.exists():
            raise SystemExit(f"{path} exists; remove it or pass another --db")
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"generating {args.persons:,} persons into {path} ...", file=sys.stderr)
        info = generate(path, args.persons, args.long_history, args.seed)
        size = sum(os.path.getsize(p) for p in (path, Path(f"{path}-wal")) if p.exists())
        gen = {k: v for k, v in info.items() if k != "sample_ids"}
        gen["bytes"] = size
        gen["entries_per_s"] = info["entries"] / info["seconds"]
        gen["persons_per_s"] = info["persons"] / info["seconds"]
        print(f"generated {info['persons']:,} persons, {info['entries']:,} entries, {info['transfers']:,} transfers"
              f" ({info['rows']:,} rows) in {info['seconds']:,.1f} s ({info['seconds_rows']:,.1f} s rows,"
              f" the rest indexes): {gen['entries_per_s']:,.0f} entries/s; file {size / 2**30:,.2f} GiB",
              flush=True)
    verified = None
    if args.verify:
        t = time.perf_counter()
        report = Ledger(path).verify()
        verified = {"ok": report.ok, "failures": report.failures, "seconds": time.perf_counter() - t}
        print(f"verify: ok={report.ok} in {verified['seconds']:,.1f} s {report.failures[:5]}", flush=True)
    res = measure(path, info, args.reps, args.payments)
    plans = res.pop("_plans")
    print(f"\n{'measurement':<70} {'ledger µs':>10} {'raw µs':>10} {'ratio':>7}")
    for name, r in res.items():
        print(f"{name:<70} {r['ledger_us']:>10,.1f} {r['raw_us']:>10,.1f} {r['ratio']:>6.2f}×")
    print(f"plans: {json.dumps(plans, ensure_ascii=False)}")
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()},"
          f" SQLite {sqlite3.sqlite_version}, schema {SCHEMA_VERSION}")
    if args.json:
        args.json.write_text(json.dumps({"generation": gen, "verify": verified, "measurements": res,
                                         "plans": plans, "sqlite": sqlite3.sqlite_version}, indent=2,
                                        ensure_ascii=False))
    if not args.keep:
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
    return 0 if verified is None or verified["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
