"""Several ``yibao serve`` processes on one PostgreSQL ledger, written at once.

Three server processes (one ``yibao serve`` and one ``yibao serve --workers 2``; each process
its own connections, its own audit appends) take 100 payments
from one account at once, and premium payments for the same relatives from several windows:
no payment is lost or made twice, no balance goes below zero, each relative's premium is paid
once a year, retries with the same key are replays, and ``verify`` is ok. Nothing asserts a time.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.pgkit import admin_headers
from yibao_tui.domain.idnum import make_id
from yibao_tui.ledger.store import Ledger

YIBAO = str(Path(sys.executable).with_name("yibao"))
REGION = "440300"
PREMIUM = 40_000  # the 2025 standard (policy/default.toml)


def start_servers(url: str, workers: list[int]) -> list[tuple[subprocess.Popen[str], str]]:
    """A ``yibao serve --workers N`` on ``url`` for each N, each on a free port; (process, base URL)."""
    servers = []
    for n in workers:
        p = subprocess.Popen([YIBAO, "--db", url, "serve", "--port", "0", "--workers", str(n)],
                             stderr=subprocess.PIPE, text=True, env={**os.environ, "YIBAO_LANG": "en"})
        assert p.stderr is not None
        line = p.stderr.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert m, line + p.stderr.read() if p.poll() is not None else line
        servers.append((p, f"http://127.0.0.1:{m.group(1)}"))
    return servers


#: The 2025 premium is collected whatever today is (the servers run on the wall clock).
POLICY = """
[default.year."2025".premium_window]
opens = "2024-01-01"
closes = "2099-12-31"
"""


@pytest.fixture
def servers(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[str]]]:
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    monkeypatch.setenv("YIBAO_POLICY", str(policy))
    led = Ledger(pg_url)
    assert led.conn is not None  # made before the servers start
    led.close()
    procs = start_servers(pg_url, [1, 2])  # three server processes on two ports
    try:
        yield pg_url, [u for _, u in procs]
    finally:
        for p, _ in procs:
            p.terminate()
        for p, _ in procs:
            p.communicate(timeout=30)


def test_100_payments_from_one_account_across_three_server_processes(servers: tuple[str, list[str]]) -> None:
    url, bases = servers
    born = dt.date(1980, 1, 1)
    spender, payer = make_id(REGION, born, 11), make_id(REGION, born, 22)
    relatives = [make_id(REGION, dt.date(2010, 1, 1 + i), 30 + i) for i in range(3)]
    led = Ledger(url, channel="test")
    try:
        led.add_person(spender, "张伟", "employee", REGION, opening_balance_fen=60_000)
        led.add_person(payer, "李娜", "employee", REGION, opening_balance_fen=1_000_000)
        for r in relatives:
            led.add_person(r, "王小明", "resident", REGION)
            led.bind(payer, r, "child")
    finally:
        led.close()
    headers = admin_headers(url, "race")
    # 100 spends of ¥10 from an account holding ¥600, and every relative's 2025 premium asked
    # for five times (different keys, different servers)
    jobs: list[tuple[str, dict[str, object], str]] = [
        ("/v1/spending", {"patient": spender, "amount_fen": 1_000, "kind": "outpatient"}, f"s{i}")
        for i in range(100)]
    jobs += [(f"/v1/persons/{payer}/premium-payments", {"relative": r, "year": 2025}, f"p{i}-{j}")
             for i, r in enumerate(relatives) for j in range(5)]
    clients = [httpx.Client(base_url=b, headers=headers, timeout=120) for b in bases]

    def send(n: int, job: tuple[str, dict[str, object], str]) -> tuple[int, dict[str, object]]:
        path, body, key = job
        r = clients[n % len(clients)].post(path, json=body, headers={"Idempotency-Key": key})
        return r.status_code, r.json()

    try:
        with ThreadPoolExecutor(max_workers=40) as pool:
            first = list(pool.map(send, range(len(jobs)), jobs))
            # every request again with its key, through another server: replays only
            again = list(pool.map(send, range(1, len(jobs) + 1), jobs))
    finally:
        for c in clients:
            c.close()
    spends, premiums = first[:100], first[100:]
    assert Counter(s for s, _ in spends) == {200: 60, 422: 40}, Counter(s for s, _ in spends)
    # refused as the balance ran out (an empty account pays nothing at all)
    assert {b["error"]["code"] for s, b in spends if s != 200} <= {  # type: ignore[index]
        "INSUFFICIENT_BALANCE", "NO_PAYING_ACCOUNT"}
    paid = [b for s, b in premiums if s == 200]
    assert sorted(str(b["relative_id"]) for b in paid) == sorted(relatives)
    assert {b["error"]["code"] for s, b in premiums if s != 200} == {"PREMIUM_ALREADY_PAID"}  # type: ignore[index]
    for (s1, b1), (s2, b2) in zip(first, again, strict=True):
        assert s2 == s1
        if s1 == 200:
            assert b2["replayed"] is True and {k: v for k, v in b2.items() if k != "replayed"} == {
                k: v for k, v in b1.items() if k != "replayed"}
    led = Ledger(url)
    try:
        assert led.balance(spender).balance_fen == 0
        assert led.balance(payer).balance_fen == 1_000_000 - 3 * PREMIUM
        report = led.verify()
        assert report.ok, report.failures
    finally:
        led.close()
