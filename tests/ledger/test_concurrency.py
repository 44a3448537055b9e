"""Several OS processes writing to one ledger file at once.

Each worker is a separate Python process with its own ``Ledger`` (its own connection). Workers
open and migrate the ledger first, then wait for a start signal so that their writes really
race; the CLI variants start ``yibao`` processes while the test holds the write lock, so that
they all queue on it and then compete. Nothing here asserts a time.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import frozen_clock
from tests.frozen_cli import PATH as FROZEN_CLI  # yibao with the frozen clock
from yibao_tui.domain.idnum import make_id
from yibao_tui.ledger.store import Ledger

PREMIUM = 40_000  # the sample policy's standard (data/policy_sample.toml); 2026 and 2027 open
REGION = "440300"

WORKER = r"""
import json, os, sys, time
from yibao_tui.domain.errors import YibaoError
from yibao_tui.ledger.store import Ledger

db, ready, go, spec = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
import datetime as dt
from yibao_tui.ledger.store import CN_TZ
frozen = dt.datetime(2026, 11, 22, 10, 0, 0, tzinfo=CN_TZ)  # the tests' now, never the wall clock's
ledger = Ledger(db, clock=lambda: frozen, channel="test", operator="w%d" % os.getpid())
ledger.conn  # open and migrate before the start signal
open(ready, "w").close()
deadline = time.monotonic() + 60
while not os.path.exists(go):
    if time.monotonic() > deadline:
        sys.exit("no start signal")
    time.sleep(0.0005)
out = []
for op in spec:
    try:
        r = getattr(ledger, op["fn"])(*op.get("args", []), **op.get("kwargs", {}))
        out.append({"ok": True, "result": r.to_json()})
    except YibaoError as e:
        out.append({"ok": False, "code": e.code})
    except Exception as e:  # anything else is a failure the test must show, e.g. "database is locked"
        out.append({"ok": False, "code": "%s: %s" % (type(e).__name__, e)})
print(json.dumps(out))
"""


def run_workers(db: Path, specs: list[list[dict]], tmp: Path) -> list[list[dict]]:
    """Start one process per spec, release them together, return each one's results."""
    go = tmp / "go"
    procs = []
    for i, spec in enumerate(specs):
        ready = tmp / f"ready{i}"
        procs.append((ready, subprocess.Popen(
            [sys.executable, "-c", WORKER, str(db), str(ready), str(go), json.dumps(spec)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    deadline = time.monotonic() + 60
    while not all(r.exists() for r, _ in procs):
        assert time.monotonic() < deadline, "workers did not start"
        assert all(p.poll() is None for _, p in procs), [p.communicate() for _, p in procs]
        time.sleep(0.005)
    go.touch()
    results = []
    for _, p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    go.unlink()
    for i in range(len(specs)):
        (tmp / f"ready{i}").unlink()
    return results


def run_cli_locked(db: Path, commands: list[list[str]]) -> list[tuple[int, dict]]:
    """Start every ``yibao --db db --json ...`` while this process holds the write lock, let them
    queue on it, release it: they then all compete for the next write."""
    lock = sqlite3.connect(db, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    try:
        procs = [subprocess.Popen([sys.executable, FROZEN_CLI, "--db", str(db), "--json", *c], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for c in commands]
        time.sleep(1.5)  # let them reach the lock; correctness never depends on this
    finally:
        lock.execute("COMMIT")
        lock.close()
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=120)
        assert "Traceback" not in stderr, stderr
        lines = [x for x in stdout.splitlines() if x.strip()]
        assert len(lines) == 1, stdout  # exactly one JSON object
        out.append((p.returncode, json.loads(lines[0])))
    return out


def new_ledger(path: Path) -> Ledger:
    return Ledger(path, clock=frozen_clock, channel="test")


def family(ledger: Ledger, balance: int, children: int = 6, k: int = 0) -> tuple[str, list[str]]:
    """An employee payer with ``balance`` and up to six bound resident children."""
    payer = make_id(REGION, dt.date(1975, 3, 1 + k), 11 + k)
    ledger.add_person(payer, "付款人", "employee", REGION, opening_balance_fen=balance)
    kids = []
    for c in range(children):
        kid = make_id(REGION, dt.date(2001 + c, 5, 1 + k), 21 + k)
        ledger.add_person(kid, "孩子", "resident", REGION)
        ledger.bind(payer, kid, "child")
        kids.append(kid)
    return payer, kids


def money_state(path: Path) -> dict:
    conn = sqlite3.connect(path)
    try:
        return {
            "transfers": conn.execute("SELECT COUNT(*) FROM transfers").fetchone()[0],
            "payments": conn.execute("SELECT COUNT(*) FROM premium_payments").fetchone()[0],
            "negative": conn.execute(
                "SELECT COUNT(*) FROM entries e JOIN accounts a ON a.id = e.account_id"
                " WHERE a.kind = 'personal' AND e.balance_after < 0").fetchone()[0],
        }
    finally:
        conn.close()


def assert_verified(path: Path) -> None:
    ledger = new_ledger(path)
    report = ledger.verify()
    ledger.close()
    assert report.ok, report.failures


def codes(results: list[list[dict]]) -> list[str]:
    return sorted("OK" if r["ok"] else r["code"] for rs in results for r in rs)


# --------------------------------------------------------------------------- premium races
@pytest.mark.parametrize("covered", [0, 1, 3])
def test_premium_race_exactly_the_covered_payments_succeed(tmp_path, covered):
    db = tmp_path / "l.db"
    ledger = new_ledger(db)
    # balance covers `covered` payments with 399.99 to spare; 8 distinct payments are attempted
    payer, kids = family(ledger, covered * PREMIUM + 39_999)
    attempts = [(kid, year) for kid in kids for year in (2026, 2027)][:8]
    before = money_state(db)
    ledger.close()

    results = run_workers(db, [[{"fn": "premium_pay", "args": [payer, kid, year]}] for kid, year in attempts], tmp_path)

    assert codes(results) == ["INSUFFICIENT_BALANCE"] * (8 - covered) + ["OK"] * covered
    paid = [r[0]["result"] for r in results if r[0]["ok"]]
    # each success saw the balance its predecessors left: the balances after are exactly these
    assert sorted(p["balance_after_fen"] for p in paid) == [39_999 + PREMIUM * i for i in range(covered)]
    assert len({p["payment_id"] for p in paid}) == covered
    ledger = new_ledger(db)
    assert ledger.balance(payer).balance_fen == 39_999
    ledger.close()
    after = money_state(db)
    assert after["transfers"] - before["transfers"] == covered
    assert after["payments"] == covered
    assert after["negative"] == 0
    assert_verified(db)


def test_premium_race_through_the_cli(tmp_path):
    """Eight `yibao premium pay` processes queued on the write lock; the balance covers three."""
    db = tmp_path / "l.db"
    ledger = new_ledger(db)
    payer, kids = family(ledger, 3 * PREMIUM)
    ledger.close()
    attempts = [(kid, year) for kid in kids for year in (2026, 2027)][:8]

    out = run_cli_locked(db, [["premium", "pay", payer, kid, "--year", str(year)] for kid, year in attempts])

    ok = [o for rc, o in out if rc == 0]
    refused = [o for rc, o in out if rc != 0]
    assert len(ok) == 3
    assert all(o["replayed"] is False and o["amount_fen"] == PREMIUM for o in ok)
    assert sorted(o["balance_after_fen"] for o in ok) == [0, PREMIUM, 2 * PREMIUM]
    assert [rc for rc, _ in out].count(3) == 5  # refused by a rule: exit 3, never "database is locked"
    assert [o["error"]["code"] for o in refused] == ["INSUFFICIENT_BALANCE"] * 5
    ledger = new_ledger(db)
    assert ledger.balance(payer).balance_fen == 0
    ledger.close()
    assert money_state(db)["payments"] == 3
    assert_verified(db)


def test_same_relative_year_raced_with_different_keys_is_paid_once(tmp_path):
    db = tmp_path / "l.db"
    ledger = new_ledger(db)
    payer, kids = family(ledger, 10 * PREMIUM, children=1)
    ledger.close()

    results = run_workers(
        db, [[{"fn": "premium_pay", "args": [payer, kids[0], 2027], "kwargs": {"key": f"k{i}"}}] for i in range(6)],
        tmp_path)

    assert codes(results) == ["OK"] + ["PREMIUM_ALREADY_PAID"] * 5
    ledger = new_ledger(db)
    assert ledger.balance(payer).balance_fen == 9 * PREMIUM
    ledger.close()
    assert money_state(db)["payments"] == 1
    assert_verified(db)


# --------------------------------------------------------------------------- spend races
def test_spend_race_never_charges_more_than_the_balance(tmp_path):
    """Bills take what the account has and leave the rest as cash: in total exactly the balance
    is charged, no bill twice, and bills arriving at an empty account are refused."""
    db = tmp_path / "l.db"
    ledger = new_ledger(db)
    patient = make_id(REGION, dt.date(1980, 1, 1), 31)
    ledger.add_person(patient, "病人", "employee", REGION, opening_balance_fen=25_000)
    ledger.close()
    n, bill = 8, 10_000  # 2.5 bills covered

    results = run_workers(db, [[{"fn": "spend", "args": [patient, bill, "outpatient"]}] for _ in range(n)], tmp_path)

    flat = [r for rs in results for r in rs]
    assert sorted(r["code"] for r in flat if not r["ok"]) == ["NO_PAYING_ACCOUNT"] * 5
    paid = [r["result"] for r in flat if r["ok"]]
    assert len(paid) == 3
    charged = sorted(sum(c["amount_fen"] for c in p["charges"]) for p in paid)
    assert charged == [5_000, 10_000, 10_000]
    assert all(sum(c["amount_fen"] for c in p["charges"]) + p["cash_fen"] == bill for p in paid)
    ledger = new_ledger(db)
    assert ledger.balance(patient).balance_fen == 0
    ledger.close()
    assert money_state(db)["negative"] == 0
    assert_verified(db)


def test_mixed_writers_on_shared_accounts_keep_the_books(tmp_path):
    """Credits, bills, premium payments and reads from six processes, several operations each."""
    db = tmp_path / "l.db"
    ledger = new_ledger(db)
    payer, kids = family(ledger, 2 * PREMIUM)
    other = make_id(REGION, dt.date(1982, 2, 2), 41)
    ledger.add_person(other, "甲", "employee", REGION, opening_balance_fen=5_000)
    ledger.close()
    specs = [
        [{"fn": "credit", "args": [payer, 10_000]}, {"fn": "balance", "args": [payer]}] * 4,
        [{"fn": "spend", "args": [payer, 7_000, "pharmacy"]}] * 6,
        [{"fn": "premium_pay", "args": [payer, kids[i], 2026]} for i in range(6)],
        [{"fn": "premium_pay", "args": [payer, kids[i], 2027]} for i in range(6)],
        [{"fn": "spend", "args": [other, 1_000, "outpatient"]}, {"fn": "credit", "args": [other, 1_000]}] * 4,
        [{"fn": "statement", "args": [payer]}, {"fn": "spend", "args": [kids[0], 3_000, "outpatient"]}] * 3,
    ]
    results = run_workers(db, specs, tmp_path)

    flat = [r for rs in results for r in rs]
    unexpected = {r["code"] for r in flat if not r["ok"]} - {"INSUFFICIENT_BALANCE", "NO_PAYING_ACCOUNT"}
    assert not unexpected
    credited = sum(r["result"]["amount_fen"] for r in results[0] if r["ok"] and "balance_after_fen" in r["result"])
    assert credited == 40_000
    spent_from_payer = sum(c["amount_fen"] for rs in (results[1], results[5]) for r in rs if r["ok"]
                           for c in r["result"].get("charges", []) if c["account_id"] == payer)
    premiums = sum(r["result"]["amount_fen"] for rs in (results[2], results[3]) for r in rs if r["ok"])
    ledger = new_ledger(db)
    assert ledger.balance(payer).balance_fen == 2 * PREMIUM + credited - spent_from_payer - premiums
    assert ledger.balance(other).balance_fen == 5_000
    ledger.close()
    assert money_state(db)["negative"] == 0
    assert_verified(db)


# --------------------------------------------------------------------------- idempotent replays
def test_concurrent_replays_of_one_key_charge_once(tmp_path):
    db = tmp_path / "l.db"
    ledger = new_ledger(db)
    payer, kids = family(ledger, 5 * PREMIUM, children=1)
    ledger.close()
    op = {"fn": "premium_pay", "args": [payer, kids[0], 2027], "kwargs": {"key": "pay-once"}}

    results = run_workers(db, [[op] for _ in range(8)], tmp_path)

    assert codes(results) == ["OK"] * 8
    out = [r[0]["result"] for r in results]
    assert sorted(o["replayed"] for o in out) == [False] + [True] * 7
    # every replay answers with the original payment, field for field
    originals = [{k: v for k, v in o.items() if k != "replayed"} for o in out]
    assert all(o == originals[0] for o in originals)
    assert originals[0]["balance_after_fen"] == 4 * PREMIUM
    ledger = new_ledger(db)
    assert ledger.balance(payer).balance_fen == 4 * PREMIUM
    ledger.close()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM operations WHERE idem_key = 'pay-once'").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM transfers WHERE kind = 'premium'").fetchone()[0] == 1
    conn.close()
    assert_verified(db)


def test_concurrent_replays_of_credit_and_spend_keys_apply_once(tmp_path):
    db = tmp_path / "l.db"
    ledger = new_ledger(db)
    pid = make_id(REGION, dt.date(1979, 9, 9), 51)
    ledger.add_person(pid, "乙", "employee", REGION, opening_balance_fen=1_000)
    ledger.close()
    spec = [{"fn": "credit", "args": [pid, 20_000], "kwargs": {"key": "c1"}},
            {"fn": "spend", "args": [pid, 15_000, "inpatient"], "kwargs": {"key": "s1"}},
            {"fn": "spend", "args": [pid, 15_000, "inpatient"], "kwargs": {"key": "s2"}}]

    results = run_workers(db, [spec] * 6, tmp_path)

    assert codes(results) == ["OK"] * 18
    for i, key_results in enumerate(zip(*results, strict=True)):
        assert sorted(r["result"]["replayed"] for r in key_results) == [False] + [True] * 5, i
        first = {k: v for k, v in key_results[0]["result"].items() if k != "replayed"}
        assert all({k: v for k, v in r["result"].items() if k != "replayed"} == first for r in key_results)
    s1 = results[0][1]["result"]
    s2 = results[0][2]["result"]
    # credit 200.00 + opening 10.00 = 210.00; s1 pays 150.00; s2 pays the remaining 60.00
    assert sum(c["amount_fen"] for c in s1["charges"]) == 15_000
    assert sum(c["amount_fen"] for c in s2["charges"]) == 6_000 and s2["cash_fen"] == 9_000
    ledger = new_ledger(db)
    assert ledger.balance(pid).balance_fen == 0
    ledger.close()
    assert money_state(db)["transfers"] == 4  # opening, credit, two bills
    assert_verified(db)


def test_one_key_raced_with_two_different_requests(tmp_path):
    """The first to commit owns the key: its twins are replays, the others IDEMPOTENCY_CONFLICT."""
    db = tmp_path / "l.db"
    ledger = new_ledger(db)
    payer, kids = family(ledger, 5 * PREMIUM, children=2)
    ledger.close()
    a = {"fn": "premium_pay", "args": [payer, kids[0], 2027], "kwargs": {"key": "K"}}
    b = {"fn": "premium_pay", "args": [payer, kids[1], 2027], "kwargs": {"key": "K"}}

    results = run_workers(db, [[a], [b]] * 4, tmp_path)

    winners = [i for i, r in enumerate(results) if r[0]["ok"] and r[0]["result"]["replayed"] is False]
    assert len(winners) == 1
    w = winners[0] % 2  # which request won
    for i, r in enumerate(results):
        if i % 2 == w:
            assert r[0]["ok"], r
        else:
            assert r[0] == {"ok": False, "code": "IDEMPOTENCY_CONFLICT"}
    ledger = new_ledger(db)
    assert ledger.balance(payer).balance_fen == 4 * PREMIUM
    ledger.close()
    assert money_state(db)["payments"] == 1
    assert_verified(db)


def test_replayed_cli_payment_through_the_lock(tmp_path):
    """`yibao premium pay --key K` from six processes at once: one payment, five replays."""
    db = tmp_path / "l.db"
    ledger = new_ledger(db)
    payer, kids = family(ledger, PREMIUM, children=1)  # exactly one payment's worth
    ledger.close()

    out = run_cli_locked(db, [["premium", "pay", payer, kids[0], "--year", "2026", "--key", "cli-K"]] * 6)

    assert [rc for rc, _ in out] == [0] * 6
    assert sorted(o["replayed"] for _, o in out) == [False] + [True] * 5
    assert len({o["payment_id"] for _, o in out}) == 1
    assert all(o["balance_after_fen"] == 0 for _, o in out)
    assert money_state(db)["payments"] == 1
    assert_verified(db)


def test_many_processes_open_a_fresh_file_at_once(tmp_path):
    """No ledger file yet: every process creates the schema at the same moment and still writes."""
    db = tmp_path / "fresh" / "l.db"
    specs = [[{"fn": "add_person", "args": [make_id(REGION, dt.date(1990, 1, 1 + i), 61 + i), "丙", "employee", REGION],
               "kwargs": {"opening_balance_fen": 1_000}}] for i in range(6)]
    # the workers open the file before the start signal, so they race on creating it
    db.parent.mkdir()
    results = run_workers(db, specs, tmp_path)
    assert codes(results) == ["OK"] * 6
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM accounts WHERE kind = 'system'").fetchone()[0] == 5
    conn.close()
    assert_verified(db)
