"""``kill -9`` of a ``yibao serve`` process on PostgreSQL in the middle of payments, 20 rounds.

A client pays bills one after the other, each with its own idempotency key, through a server
that is killed with SIGKILL at a random moment; the next server is started on the same database
and the client first sends again, with the same key, every payment whose answer it did not get.
After every round ``verify`` is ok; at the end every key was paid exactly once: the account went
down by one bill per key and holds as many bill transfers as keys. Nothing asserts a time.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.pgkit import admin_headers
from yibao_tui.domain.idnum import make_id
from yibao_tui.ledger.store import Ledger

YIBAO = str(Path(sys.executable).with_name("yibao"))
ROUNDS = 20
BILL = 100
PATIENT = make_id("440300", dt.date(1980, 1, 1), 11)


def start(url: str) -> tuple[subprocess.Popen[str], str]:
    p = subprocess.Popen([YIBAO, "--db", url, "serve", "--port", "0"], stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "YIBAO_LANG": "en"})
    assert p.stderr is not None
    line = p.stderr.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    assert m, line
    return p, f"http://127.0.0.1:{m.group(1)}"


def test_sigkill_of_the_server_mid_payment_pays_each_key_once(pg_url: str) -> None:
    rng = random.Random(int(os.environ.get("KILL9_SEED", "20261205")))
    led = Ledger(pg_url, channel="test")
    try:
        led.add_person(PATIENT, "张伟", "employee", "440300", opening_balance_fen=10_000_000)
    finally:
        led.close()
    headers = admin_headers(pg_url, "kill9")
    paid: set[str] = set()
    unknown: list[str] = []  # sent, no answer: the server died with it
    next_key = 0
    killed_mid_request = 0
    for _ in range(ROUNDS):
        proc, base = start(pg_url)
        stop = threading.Event()

        def pay(c: httpx.Client, key: str) -> bool:
            r = c.post("/v1/spending", json={"patient": PATIENT, "amount_fen": BILL, "kind": "outpatient"},
                       headers={"Idempotency-Key": key, **headers})
            assert r.status_code == 200, r.text  # never refused: the balance covers every bill
            return True

        def client(base: str, stop: threading.Event) -> None:
            nonlocal next_key
            with httpx.Client(base_url=base, timeout=30) as c:
                try:
                    while unknown:  # first the payments whose answer was lost, with their keys
                        pay(c, unknown[0])
                        paid.add(unknown.pop(0))
                    while not stop.is_set():
                        key = f"bill-{next_key}"
                        next_key += 1
                        unknown.append(key)
                        pay(c, key)
                        paid.add(unknown.pop())
                except httpx.TransportError:
                    pass  # the server was killed under this request

        t = threading.Thread(target=client, args=(base, stop))
        t.start()
        time.sleep(0.3 + rng.random() * 0.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        stop.set()
        t.join(timeout=60)
        assert not t.is_alive()
        killed_mid_request += bool(unknown)
        led = Ledger(pg_url, channel="test")
        try:
            report = led.verify()
            assert report.ok, report.failures
        finally:
            led.close()
    # one last server: the payments still unanswered are sent again, then it stops cleanly
    proc, base = start(pg_url)
    try:
        with httpx.Client(base_url=base, timeout=30, headers=headers) as c:
            for key in list(unknown):
                r = c.post("/v1/spending", json={"patient": PATIENT, "amount_fen": BILL, "kind": "outpatient"},
                           headers={"Idempotency-Key": key})
                assert r.status_code == 200, r.text
                paid.add(key)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert paid == {f"bill-{i}" for i in range(next_key)}
    assert killed_mid_request >= 1, "no kill landed during a request"
    led = Ledger(pg_url, channel="test")
    try:
        assert led.balance(PATIENT).balance_fen == 10_000_000 - BILL * len(paid)
        (bills,) = led.conn.execute(
            "SELECT COUNT(*) FROM transfers t JOIN accounts a ON a.id = t.debit_account"
            " WHERE a.person_id = ? AND t.kind <> 'opening'", (PATIENT,)).fetchone()
        assert bills == len(paid)
        assert led.verify().ok
    finally:
        led.close()
