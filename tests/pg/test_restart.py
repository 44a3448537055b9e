"""PostgreSQL restarted under a running office: three ``yibao serve`` processes (one ``serve
--workers 2`` and one more on another port) on one database, clients paying bills and relatives'
premiums in threads, each request with its own idempotency key; mid-run the cluster is restarted,
``pg_ctl restart -m fast`` (sessions ended, a checkpoint) and ``-m immediate`` (a crash: the start
replays the WAL), some rounds with the database down for a while in between.

Every answer is the truth: a success, or ``503 DATABASE_UNAVAILABLE`` / ``DATABASE_BUSY`` with
``Retry-After``, or ``409 IN_PROGRESS``: never a 500, a traceback, a dropped connection or a
request that hangs. The server processes are never restarted: each answers again once the database
is back. Then every key whose outcome the client did not learn is sent again with the same key:
each is paid exactly once (one operation and one transfer per key, balances down by what was
paid), and ``verify`` is ok after every round.

The cluster is this test's own (``.ci/pg start``: initdb in a temporary folder, its own port):
the suite's shared cluster and other runs' clusters on the machine are never touched.
Nothing asserts a time.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.pgkit import admin_headers, require_pg
from yibao_tui.domain.idnum import make_id
from yibao_tui.ledger.store import Ledger

ROOT = Path(__file__).resolve().parents[2]
YIBAO = str(Path(sys.executable).with_name("yibao"))
REGION = "440300"
BILL = 100
PREMIUM = 40_000  # the 2025 standard (policy/default.toml)
SPENDER = make_id(REGION, dt.date(1980, 1, 1), 11)
START_FEN = 10_000_000
#: (pg_ctl's shutdown mode, seconds the database stays down)
ROUNDS = (("fast", 0.0), ("immediate", 0.0), ("fast", 1.0), ("immediate", 1.0))
#: The 2025 premium is collected whatever today is (the servers run on the wall clock).
POLICY = """
[default.year."2025".premium_window]
opens = "2024-01-01"
closes = "2099-12-31"
"""
#: What a client may be told while the database restarts: (status, code).
TRUTHFUL = {(503, "DATABASE_UNAVAILABLE"), (503, "DATABASE_BUSY"), (409, "IN_PROGRESS")}


@dataclass(frozen=True)
class Cluster:
    dir: str
    url: str

    def restart(self, mode: str, pause: float) -> None:
        subprocess.run([str(ROOT / ".ci/pg"), "restart", mode, self.dir, str(pause)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    """A throwaway cluster of this test's own (``.ci/pg``), stopped and deleted afterwards."""
    require_pg()  # skipped (developer) or failed (CI) with the suite's other PostgreSQL tests
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb") and not shutil.which("initdb"):
        # the tests' cluster is elsewhere: nothing here to start a cluster of this test's own with
        if os.environ.get("YIBAO_REQUIRE_PG") == "1":
            pytest.fail("YIBAO_REQUIRE_PG=1 but there is no initdb here for a cluster of the test's own")
        pytest.skip("no initdb here (Debian's postgresql) for a cluster of the test's own")
    out = subprocess.run([str(ROOT / ".ci/pg"), "start"], check=True, capture_output=True, text=True,
                         timeout=300).stdout
    m = re.search(r"YIBAO_PG_DIR='([^']+)' YIBAO_TEST_PG_URL='([^']+)'", out)
    assert m, out
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    monkeypatch.setenv("YIBAO_POLICY", str(policy))
    try:
        yield Cluster(m.group(1), m.group(2))
    finally:
        subprocess.run([str(ROOT / ".ci/pg"), "stop", m.group(1)], check=False, capture_output=True, timeout=120)


def start_server(url: str, workers: int, log: list[str]) -> tuple[subprocess.Popen[str], str]:
    p = subprocess.Popen([YIBAO, "--db", url, "serve", "--port", "0", "--workers", str(workers)],
                         stderr=subprocess.PIPE, text=True, env={**os.environ, "YIBAO_LANG": "en"})
    assert p.stderr is not None
    line = p.stderr.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    assert m, line
    # the server's log (a warning per unavailable answer) is read as it comes, never left to fill the pipe
    threading.Thread(target=lambda: log.extend(p.stderr or ()), daemon=True).start()
    return p, f"http://127.0.0.1:{m.group(1)}"


@dataclass
class Book:
    """What the clients know: paid keys, keys sent without a known outcome, what went wrong."""

    paid: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)
    told: dict[tuple[int, str], int] = field(default_factory=dict)
    last: dict[str, tuple[int, str]] = field(default_factory=dict)
    wrong: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, c: httpx.Client, path: str, body: dict[str, object], key: str) -> bool:
        """One request; True when paid (200), False when the outcome is unknown (a truthful error)."""
        try:
            r = c.post(path, json=body, headers={"Idempotency-Key": key})
        except httpx.TransportError as e:  # a hang (the timeout) or a server that went away
            with self.lock:
                self.wrong.append(f"{key}: {type(e).__name__} {e}")
                self.unknown.add(key)
            return False
        with self.lock:
            if r.status_code == 200:
                self.paid.add(key)
                self.unknown.discard(key)
                return True
            self.unknown.add(key)
            try:
                code = str(r.json()["error"]["code"])
            except (ValueError, KeyError, TypeError):
                code = "?"
            told = (r.status_code, code)
            self.last[key] = told
            if told in TRUTHFUL and int(r.headers.get("Retry-After", "0")) >= 1 and "Traceback" not in r.text:
                self.told[told] = self.told.get(told, 0) + 1
            else:
                self.wrong.append(f"{key}: {r.status_code} {r.headers.get('Retry-After')} {r.text[:300]}")
            return False


def test_postgresql_restarts_mid_run_each_key_pays_once(cluster: Cluster) -> None:
    url = cluster.url
    payers = [make_id(REGION, dt.date(1970, 1, 1 + i), 20 + i) for i in range(8)]
    relatives = [make_id(REGION, dt.date(2010, 1 + i, 1 + j), 40 + j) for i in range(8) for j in range(3)]
    led = Ledger(url, channel="test")
    try:
        led.add_person(SPENDER, "张伟", "employee", REGION, opening_balance_fen=START_FEN)
        for i, payer in enumerate(payers):
            led.add_person(payer, "李娜", "employee", REGION, opening_balance_fen=1_000_000)
            for r in relatives[3 * i:3 * i + 3]:
                led.add_person(r, "王小明", "resident", REGION)
                led.bind(payer, r, "child")
    finally:
        led.close()
    headers = admin_headers(url, "restart")
    premium_of = {f"prem-{r}": (payers[i // 3], r) for i, r in enumerate(relatives)}
    log: list[str] = []
    servers = [start_server(url, 2, log), start_server(url, 1, log)]  # three server processes, two ports
    bases = [b for _, b in servers]
    clients = [httpx.Client(base_url=b, headers=headers, timeout=30) for b in bases]
    book = Book()
    rng = random.Random(int(os.environ.get("PG_RESTART_SEED", "20261205")))
    bills = iter(range(10**9))
    todo_premiums = list(premium_of)

    def spend(c: httpx.Client, key: str) -> bool:
        return book.send(c, "/v1/spending", {"patient": SPENDER, "amount_fen": BILL, "kind": "outpatient"}, key)

    def premium(c: httpx.Client, key: str) -> bool:
        payer, relative = premium_of[key]
        return book.send(c, f"/v1/persons/{payer}/premium-payments", {"relative": relative, "year": 2025}, key)

    def resend(key: str, c: httpx.Client) -> bool:
        return (premium if key.startswith("prem-") else spend)(c, key)

    def spender_loop(n: int, stop: threading.Event) -> None:
        c = clients[n % len(clients)]
        while not stop.is_set():
            if not spend(c, f"bill-{next(bills)}"):
                time.sleep(0.05)

    def premium_loop(stop: threading.Event) -> None:
        c = clients[1]
        while not stop.is_set() and todo_premiums:
            if not premium(c, todo_premiums.pop(0)):
                time.sleep(0.05)
            time.sleep(0.02)

    try:
        for mode, pause in ROUNDS:
            stop = threading.Event()
            threads = [threading.Thread(target=spender_loop, args=(n, stop)) for n in range(4)]
            threads.append(threading.Thread(target=premium_loop, args=(stop,)))
            for t in threads:
                t.start()
            time.sleep(0.3 + rng.random() * 0.4)
            paid_before = len(book.paid)
            cluster.restart(mode, pause)
            # the clients go on against the same server processes: each answers again
            deadline = time.monotonic() + 60
            while len(book.paid) < paid_before + 20 and time.monotonic() < deadline and not book.wrong:
                time.sleep(0.1)
            stop.set()
            for t in threads:
                t.join(timeout=90)
                assert not t.is_alive(), "a client hung"
            assert not book.wrong, book.wrong[:10]
            assert len(book.paid) >= paid_before + 20, f"the servers did not answer again after {mode}"
            # every key whose outcome is unknown again, with its key, through the first port (a
            # reverse proxy may send a retry to any server process): a request that ended with the
            # database's restart is not "in progress" for long anywhere
            for _ in range(15):
                for key in sorted(book.unknown):
                    resend(key, clients[0])
                if not book.unknown:
                    break
                time.sleep(1)
            assert not book.unknown, (mode, {k: book.last.get(k) for k in sorted(book.unknown)[:10]}, book.told)
            assert not book.wrong, book.wrong[:10]
            assert [p.poll() for p, _ in servers] == [None, None], "a server process stopped"
            for c in clients:  # each server process answers (its workers share the port)
                for _ in range(4):
                    assert c.get(f"/v1/persons/{SPENDER}/balance").status_code == 200
            led = Ledger(url, channel="test")
            try:
                report = led.verify()
                assert report.ok, (mode, report.failures)
            finally:
                led.close()
    finally:
        for c in clients:
            c.close()
        for p, _ in servers:
            p.terminate()
        for p, _ in servers:
            p.wait(timeout=30)
    # nothing in the servers' logs but the unavailable database: no traceback, no worker that
    # failed (uvicorn stops every worker of a `serve --workers` when one fails to start)
    assert not [line for line in log if "Traceback" in line or "INTERNAL" in line or "ERROR" in line], \
        "".join(log)[-3000:]
    assert book.told.get((503, "DATABASE_UNAVAILABLE"), 0) >= 1, book.told  # the down rounds were seen
    spent = {k for k in book.paid if k.startswith("bill-")}
    premiums = {k for k in book.paid if k.startswith("prem-")}
    led = Ledger(url, channel="test")
    try:
        # one operation per key, and one transfer per operation
        rows = led.conn.execute(
            "SELECT o.idem_key, COUNT(t.id) FROM operations o LEFT JOIN transfers t ON t.op_id = o.id"
            " WHERE o.idem_key LIKE 'http:%' GROUP BY o.idem_key").fetchall()
        per_key = {k.rsplit(":", 1)[1]: n for k, n in rows}
        assert per_key == dict.fromkeys(book.paid, 1)
        assert led.balance(SPENDER).balance_fen == START_FEN - BILL * len(spent)
        (n_premiums,) = led.conn.execute("SELECT COUNT(*) FROM premium_payments").fetchone()
        assert n_premiums == len(premiums)
        for i, payer in enumerate(payers):
            mine = sum(premium_of[k][0] == payer for k in premiums)
            assert led.balance(payer).balance_fen == 1_000_000 - PREMIUM * mine, i
    finally:
        led.close()
    assert premiums, "no premium was paid"
    done = subprocess.run([YIBAO, "--db", url, "verify"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "YIBAO_LANG": "en"})
    assert done.returncode == 0, done.stdout + done.stderr
