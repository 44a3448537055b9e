"""Writers on PostgreSQL that do not share one lock: each rule is checked under row locks.

Every writer here is its own session (a ``Ledger`` per thread, each with an audit chain of its
own, as each server process has; or ``yibao serve`` processes): payments from different accounts
commit side by side and ``verify`` checks every chain; a binding cap, one premium per relative and
year and an idempotency key each hold when several sessions hit them at the same moment.
Nothing asserts a time.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.pg.test_processes import POLICY, start_servers
from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.idnum import make_id
from yibao_tui.domain.policy import policy_for
from yibao_tui.ledger.store import Ledger
from yibao_tui.server.auth import TokenStore

REGION = "440300"
YEAR = 2027  # open on the tests' frozen today (the sample policy)


def person(day: int, seq: int, year: int = 1980) -> str:
    return make_id(REGION, dt.date(year, 1, 1) + dt.timedelta(days=day), seq)


def at_once(url: str, jobs: list[Callable[[Ledger], Any]]) -> list[Any]:
    """Run each job in a session of its own (its own ``Ledger``, connection and audit chain),
    all released together; each one's result or ``YibaoError``."""
    barrier = threading.Barrier(len(jobs))

    def run(job: Callable[[Ledger], Any]) -> Any:
        led = Ledger(url, channel="test")
        try:
            led.own_chain()
            barrier.wait()
            try:
                return job(led)
            except YibaoError as e:
                return e
        finally:
            led.close()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def families(url: str, children: dict[str, list[str]]) -> None:
    """Each holder (an employee with ¥10,000) and the children they bound."""
    led = Ledger(url)
    try:
        for holder, kids in children.items():
            led.add_person(holder, "王伟", "employee", REGION, opening_balance_fen=1_000_000)
            for c in kids:
                led.add_person(c, "王小明", "resident", REGION)
                led.bind(holder, c, "child")
    finally:
        led.close()


def verified(url: str) -> Ledger:
    led = Ledger(url)
    report = led.verify()
    assert report.ok, report.failures
    return led


def test_binds_from_several_sessions_never_pass_the_cap(pg_url: str) -> None:
    cap = policy_for(REGION, 2026).binding_cap
    holder = person(0, 11)
    children = [person(i, 30 + i, 2010) for i in range(cap + 4)]
    led = Ledger(pg_url)
    led.add_person(holder, "王伟", "employee", REGION, opening_balance_fen=10_000)
    for c in children:
        led.add_person(c, "王小明", "resident", REGION)
    led.close()
    results = at_once(pg_url, [lambda lg, c=c: lg.bind(holder, c, "child") for c in children])
    refused = [r for r in results if isinstance(r, YibaoError)]
    assert len(results) - len(refused) == cap
    assert {e.code for e in refused} == {"BINDING_LIMIT_REACHED"}
    led = verified(pg_url)
    try:
        assert len(led.bindings(holder)) == cap
    finally:
        led.close()


def test_one_premium_per_relative_and_year_from_several_sessions(pg_url: str) -> None:
    payer, child = person(0, 11), person(3, 31, 2012)
    families(pg_url, {payer: [child]})
    # six windows pay the same premium at once, each with its own key
    results = at_once(pg_url, [lambda lg, k=k: lg.premium_pay(payer, child, YEAR, key=f"w{k}") for k in range(6)])
    paid = [r for r in results if not isinstance(r, YibaoError)]
    assert len(paid) == 1
    assert {r.code for r in results if isinstance(r, YibaoError)} == {"PREMIUM_ALREADY_PAID"}
    led = verified(pg_url)
    try:
        assert led.balance(payer).balance_fen == 1_000_000 - paid[0].amount_fen
    finally:
        led.close()


def test_one_key_from_several_sessions_pays_once(pg_url: str) -> None:
    payer, child = person(0, 11), person(3, 31, 2012)
    families(pg_url, {payer: [child]})
    results = at_once(pg_url, [lambda lg: lg.premium_pay(payer, child, YEAR, key="same-key")] * 6)
    assert not [r for r in results if isinstance(r, YibaoError)], results
    assert Counter(r.replayed for r in results) == {False: 1, True: 5}
    assert len({r.payment_id for r in results}) == 1
    led = verified(pg_url)
    try:
        assert led.balance(payer).balance_fen == 1_000_000 - results[0].amount_fen
    finally:
        led.close()


def test_payments_from_different_accounts_across_server_processes(pg_url: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")  # 2025's premium is collected whatever today is
    monkeypatch.setenv("YIBAO_POLICY", str(policy))
    payers = [person(i, 11 + i) for i in range(6)]
    children = {p: [person(40 + 4 * i + j, 50 + j, 2012) for j in range(3)] for i, p in enumerate(payers)}
    families(pg_url, children)
    tokens = TokenStore(pg_url)
    try:
        token = tokens.create("admin", label="side by side")
    finally:
        tokens.close()
    servers = start_servers(pg_url, [1, 2])  # three server processes
    jobs = [(p, c) for p in payers for c in children[p]]
    try:
        clients = [httpx.Client(base_url=b, headers={"Authorization": f"Bearer {token}"}, timeout=120)
                   for _, b in servers]

        def pay(n: int, job: tuple[str, str]) -> tuple[int, Any]:
            r = clients[n % len(clients)].post(f"/v1/persons/{job[0]}/premium-payments",
                                               json={"relative": job[1], "year": 2025},
                                               headers={"Idempotency-Key": f"k{n}"})
            return r.status_code, r.json()

        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            answers = list(pool.map(pay, range(len(jobs)), jobs))
        assert {s for s, _ in answers} == {200}, answers
        for c in clients:
            c.close()
    finally:
        for p, _ in servers:
            p.terminate()
        for p, _ in servers:
            p.communicate(timeout=30)
    led = verified(pg_url)  # every chain from its genesis, each opened and anchored on chain 0
    try:
        chains = led.conn.execute("SELECT COUNT(DISTINCT chain) FROM audit WHERE chain > 0").fetchone()[0]
        assert chains >= 2  # the server processes wrote chains of their own
        anchors = led.conn.execute("SELECT COUNT(*) FROM audit WHERE action = 'audit.anchor'").fetchone()[0]
        assert anchors >= 3  # each process anchored its chain when it stopped
        for p in payers:
            assert led.balance(p).balance_fen == 1_000_000 - sum(
                int(b["amount_fen"]) for _, b in answers if b["payer_id"] == p)
    finally:
        led.close()
