"""Concurrent balance lookups share trips to the ledger's thread, and each is still its own
audited read that fails on its own."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.http.conftest import LiveServer, seed
from yibao_tui.backend.base import Actor
from yibao_tui.backend.http import HttpBackend
from yibao_tui.domain.errors import YibaoError
from yibao_tui.server import backends
from yibao_tui.server.backends import LedgerBackend


def _audited_reads(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM audit WHERE action = 'balance'").fetchone()[0])


@pytest.fixture
async def ledger(tmp_path: Path) -> Any:
    backend = LedgerBackend(tmp_path / "ledger.db", actor=Actor("http", "batch-test"))
    await backend.init()
    ids = await seed(backend)
    try:
        yield backend, ids, tmp_path / "ledger.db"
    finally:
        await backend.close()


async def test_concurrent_lookups_share_trips_and_each_is_audited(
    ledger: tuple[LedgerBackend, dict[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    backend, ids, db = ledger
    sizes: list[int] = []
    real = backends._balances

    def counted(led: Any, people: list[str]) -> Any:
        sizes.append(len(people))
        return real(led, people)

    monkeypatch.setattr(backends, "_balances", counted)
    expected = {ids["a"]: 100_000, ids["b"]: 20_000, ids["stranger"]: 5_000}
    people = [list(expected)[i % 3] for i in range(40)]
    people[7] = "C9999999"  # unknown
    people[20] = ids["child"]  # a resident: no personal account
    before = _audited_reads(db)
    outcomes = await asyncio.gather(*(backend.balance(p) for p in people), return_exceptions=True)
    for who, outcome in zip(people, outcomes, strict=True):
        if who == "C9999999":
            assert isinstance(outcome, YibaoError) and outcome.code == "UNKNOWN_PERSON"
        elif who == ids["child"]:
            assert isinstance(outcome, YibaoError) and outcome.code == "NOT_EMPLOYEE_INSURED"
        else:
            assert not isinstance(outcome, BaseException) and outcome.balance_fen == expected[who]
    assert sizes == [39]  # the first went alone; the others waited for it and went together
    assert _audited_reads(db) - before == 38  # every lookup that found an account was audited
    assert (await backend.verify()).ok  # the audit chain holds
    assert (await backend.balance(ids["a"])).balance_fen == 100_000  # and alone again afterwards
    assert sizes == [39]


async def test_a_cancelled_lookup_leaves_the_others_alone(ledger: tuple[LedgerBackend, dict[str, str], Path]) -> None:
    backend, ids, _ = ledger
    tasks = [asyncio.create_task(backend.balance(ids["a"])) for _ in range(6)]
    await asyncio.sleep(0)  # every task is now on the thread or waiting for it
    tasks[3].cancel()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(outcomes[3], asyncio.CancelledError)
    assert all(o.balance_fen == 100_000 for i, o in enumerate(outcomes) if i != 3)  # type: ignore[union-attr]
    assert (await backend.balance(ids["b"])).balance_fen == 20_000


async def test_concurrent_lookups_over_http(live_server: LiveServer, admin_token: str) -> None:
    hb = HttpBackend(live_server.url, admin_token)
    try:
        ids = await seed(hb)
    finally:
        await hb.close()
    before = _audited_reads(live_server.db)
    people = [ids["a"], ids["b"], "C9999999", ids["stranger"]] * 8
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30,
                                 headers={"Authorization": f"Bearer {admin_token}"}) as client:
        answers = await asyncio.gather(*(client.get(f"/v1/persons/{p}/balance") for p in people))
    for who, r in zip(people, answers, strict=True):
        if who == "C9999999":
            assert r.status_code == 404 and r.json()["error"]["code"] == "UNKNOWN_PERSON"
        else:
            assert r.status_code == 200 and r.json()["id"] == who
    assert _audited_reads(live_server.db) - before == 24
