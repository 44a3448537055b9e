"""A child process posting transfers in a loop is killed with SIGKILL at random moments.

The child works through a fixed list of operations (credits, bills of every payable kind, premium
payments, balance reads), each with its own idempotency key, and prints one line after each
operation returns: after the commit for a success. Its clock sometimes sleeps a little, inside the
write transaction, so that kills land mid-transaction as well as mid-commit and between
transactions. After every kill the test opens the file (recovering the WAL) and checks that
``verify()`` holds, that no transfer or operation is half-written and that every operation the
child reported is there with the response it reported. The child is then restarted at the
operation after the last one it reported: the one it was killed in is replayed with its key, so
it must be applied exactly once. At the end, the ledger must equal a reference ledger that ran
the same operations once each without being killed.

It runs on a SQLite file and on PostgreSQL (a fresh schema; the reference is a SQLite file there
too: the same operations give the same books on either engine). On PostgreSQL a killed client's
transaction is rolled back by the server; ids taken by such a transaction are not reused, so the
books are compared in order, without ids.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import frozen_clock
from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.idnum import make_id
from yibao_tui.ledger.store import Ledger

KILLS = 24
REGION = "440300"

CHILD = r"""
import datetime as dt, json, random, sys, time
from tests.conftest import frozen_clock
from yibao_tui.domain.errors import YibaoError
from yibao_tui.ledger.store import Ledger, china_now

db, ops_file, start, end, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
ops = json.load(open(ops_file))
rng = random.Random(seed)

BASE = china_now()
FROZEN = BASE.replace(year=2026, month=11, day=22, hour=10)  # the tests' date, never the wall clock's

def clock():
    # sometimes linger: the ledger reads the clock inside its write transactions
    if rng.random() < 0.3:
        time.sleep(rng.random() * 0.002)
    return FROZEN + (china_now() - BASE)

ledger = Ledger(db, clock=clock, channel="kill9")
ledger.conn
print("READY", flush=True)
for i in range(start, min(end, len(ops))):
    fn, args, key = ops[i]
    try:
        if fn == "balance":
            r = ledger.balance(*args).to_json()
        else:
            r = getattr(ledger, fn)(*args, key=key).to_json()
        line = "%d OK %s" % (i, json.dumps(r, ensure_ascii=False, sort_keys=True))
    except YibaoError as e:
        line = "%d REFUSED %s" % (i, e.code)
    print(line, flush=True)
print("END", flush=True)
"""


def setup_people(ledger: Ledger) -> dict[str, list[str]]:
    """Two families: payers with bound resident children, and employees with low balances."""
    payers, kids, employees = [], [], []
    for f in range(2):
        payer = make_id(REGION, dt.date(1970 + f, 4, 4), 101 + f)
        ledger.add_person(payer, f"家长{f}", "employee", REGION, opening_balance_fen=90_000, key=f"setup-p{f}")
        payers.append(payer)
        employees.append(payer)
        for c in range(3):
            kid = make_id(REGION, dt.date(2003 + c, 6, 6 + f), 111 + f)
            ledger.add_person(kid, f"孩子{f}{c}", "resident", REGION, key=f"setup-k{f}{c}")
            ledger.bind(payer, kid, "child", key=f"setup-b{f}{c}")
            kids.append(kid)
        spouse = make_id(REGION, dt.date(1971 + f, 8, 8), 121 + f)
        ledger.add_person(spouse, f"配偶{f}", "employee", REGION, opening_balance_fen=3_000, key=f"setup-s{f}")
        ledger.bind(payer, spouse, "spouse", key=f"setup-sb{f}")
        employees.append(spouse)
    return {"payers": payers, "kids": kids, "employees": employees}


def make_ops(people: dict[str, list[str]], n: int, seed: int) -> list[tuple[str, list, str]]:
    rng = random.Random(seed)
    kinds = ["outpatient", "pharmacy", "inpatient"]
    out: list[tuple[str, list, str]] = []
    for i in range(n):
        r = rng.random()
        key = f"op-{i}"
        if r < 0.35:
            out.append(("credit", [rng.choice(people["employees"]), rng.randint(1, 30_000)], key))
        elif r < 0.75:
            who = rng.choice(people["employees"] + people["kids"])
            out.append(("spend", [who, rng.randint(1, 40_000), rng.choice(kinds)], key))
        elif r < 0.9:
            f = rng.randrange(2)
            kid = people["kids"][3 * f + rng.randrange(3)]
            out.append(("premium_pay", [people["payers"][f], kid, rng.choice([2026, 2027])], key))
        else:
            out.append(("balance", [rng.choice(people["employees"])], key))
    return out


def apply(ledger: Ledger, op: tuple[str, list, str]) -> None:
    fn, args, key = op
    try:
        if fn == "balance":
            ledger.balance(*args)
        else:
            getattr(ledger, fn)(*args, key=key)
    except YibaoError:
        pass


def parse(stdout: str) -> tuple[bool, list[tuple[int, str, str]]]:
    """Complete lines only: a line cut by the kill is not a report."""
    lines = stdout.split("\n")[:-1]  # the text after the last newline is incomplete
    ready = bool(lines) and lines[0] == "READY"
    done = []
    for line in lines[1:]:
        if line == "END":
            break
        i, status, rest = line.split(" ", 2)
        done.append((int(i), status, rest))
    return ready, done


def check_after_kill(db: Path | str, reported: list[tuple[int, str, str]], ops: list) -> None:
    ledger = Ledger(db, clock=frozen_clock, channel="test")
    try:
        report = ledger.verify()
        assert report.ok, report.failures
        conn = ledger.conn
        half = conn.execute(
            "SELECT t.id, COUNT(e.id) FROM transfers t LEFT JOIN entries e ON e.transfer_id = t.id"
            " GROUP BY t.id HAVING COUNT(e.id) <> 2 OR SUM(e.amount) <> 0").fetchall()
        assert half == []
        assert conn.execute("SELECT COUNT(*) FROM operations WHERE response IS NULL").fetchone()[0] == 0
        orphans = conn.execute(
            "SELECT COUNT(*) FROM transfers t LEFT JOIN operations o ON o.id = t.op_id WHERE o.id IS NULL").fetchone()[0]
        assert orphans == 0
        unpaid = conn.execute(
            "SELECT COUNT(*) FROM transfers t LEFT JOIN premium_payments p ON p.transfer_id = t.id"
            " WHERE t.kind = 'premium' AND p.id IS NULL").fetchone()[0]
        assert unpaid == 0
        stored = dict(conn.execute("SELECT idem_key, response FROM operations WHERE idem_key LIKE 'op-%'").fetchall())
        for i, status, rest in reported:
            fn, _, key = ops[i]
            if fn == "balance":
                continue
            if status == "OK":
                assert key in stored, f"op {i} reported committed but missing"
                got = {k: v for k, v in json.loads(stored[key]).items() if k != "replayed"}
                want = {k: v for k, v in json.loads(rest).items() if k != "replayed"}
                assert got == want, i
            else:
                assert key not in stored, f"op {i} refused ({rest}) but recorded"
    finally:
        ledger.close()


def state(db: Path | str) -> dict:
    ledger = Ledger(db, channel="test")
    try:
        conn = ledger.conn
        return {
            "balances": dict(conn.execute("SELECT code, balance FROM accounts").fetchall()),
            "transfers": [tuple(r) for r in conn.execute(
                "SELECT kind, debit_account, credit_account, amount FROM transfers ORDER BY id").fetchall()],
            "payments": sorted(tuple(r) for r in conn.execute("SELECT payer_id, relative_id, year, amount FROM premium_payments")),
            "keys": sorted(r[0] for r in conn.execute("SELECT idem_key FROM operations WHERE idem_key IS NOT NULL")),
        }
    finally:
        ledger.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_sigkill_at_random_moments_never_half_writes(tmp_path, engine, request):
    rng = random.Random(int(os.environ.get("KILL9_SEED", "20261122")))
    db: Path | str = tmp_path / "l.db" if engine == "sqlite" else request.getfixturevalue("pg_url")
    ledger = Ledger(db, clock=frozen_clock, channel="test")
    people = setup_people(ledger)
    ledger.close()
    ops = make_ops(people, 50_000, rng.randrange(10**6))
    ops_file = tmp_path / "ops.json"
    ops_file.write_text(json.dumps(ops))

    def child(start: int, end: int) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db), str(ops_file), str(start), str(end), str(rng.randrange(10**6))],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    next_op = 0
    kills_mid_run = 0
    replays_of_inflight = 0
    for k in range(KILLS):
        p = child(next_op, len(ops))
        if k % 5 == 4:
            # sometimes while it is still starting up (opening, recovering, migrating)
            time.sleep(rng.random() * 0.15)
        else:
            line = p.stdout.readline()
            assert line == "READY\n", (line, p.stderr.read() if p.poll() is not None else "")
            time.sleep(0.02 + rng.random() * 0.2)
        p.send_signal(signal.SIGKILL)
        # read through the same buffered reader as READY was (communicate() would bypass its buffer)
        out, err = p.stdout.read(), p.stderr.read()
        p.wait(timeout=30)
        assert p.returncode == -signal.SIGKILL, (p.returncode, err)
        if k % 5 != 4:
            out = "READY\n" + out
        _, done = parse(out)
        assert [i for i, _, _ in done] == list(range(next_op, next_op + len(done))), (next_op, out[:300], err[-500:])
        check_after_kill(db, done, ops)
        if done:
            kills_mid_run += 1
            # the operation it was killed in: replayed when the child restarts
            first = done[0]
            if first[1] == "OK" and ops[first[0]][0] != "balance" and json.loads(first[2]).get("replayed"):
                replays_of_inflight += 1
            next_op = done[-1][0] + 1

    # let the operation of the last kill finish (replayed or done afresh), then stop cleanly
    p = child(next_op, next_op + 2)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    ready, done = parse(out)
    assert ready and [i for i, _, _ in done] == [next_op, next_op + 1]
    check_after_kill(db, done, ops)
    total = next_op + 2
    assert kills_mid_run >= KILLS // 4, "the child hardly ever got to work before being killed"

    # the same operations, once each, never killed: the books must be identical
    ref_db = tmp_path / "ref.db"
    ref = Ledger(ref_db, clock=frozen_clock, channel="test")
    assert setup_people(ref) == people
    for op in ops[:total]:
        apply(ref, op)
    ref.close()
    got, want = state(db), state(ref_db)
    assert got["keys"] == want["keys"]
    assert got["payments"] == want["payments"]
    assert got["transfers"] == want["transfers"]
    assert got["balances"] == want["balances"]
    print(f"kills={KILLS} ops={total} mid-run={kills_mid_run} in-flight replays={replays_of_inflight}")
