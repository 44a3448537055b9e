"""``yibao migrate``: a SQLite ledger moved up to PostgreSQL, proved, refused into a non-empty
database, resumed after an interruption; the copy takes new writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from yibao_tui.domain.errors import YibaoError
from yibao_tui.ledger.move import move
from yibao_tui.ledger.store import Ledger
from yibao_tui.server.auth import TokenStore

YIBAO = str(Path(sys.executable).with_name("yibao"))


def demo_ledger(path: Path, persons: int = 20, seed: int = 1) -> str:
    led = Ledger(path)
    try:
        led.demo(persons, seed)
    finally:
        led.close()
    tokens = TokenStore(str(path))
    try:
        return tokens.create("admin", label="moved")
    finally:
        tokens.close()


def test_the_demo_moves_up_and_is_proved(tmp_path: Path, pg_url: str) -> None:
    src = tmp_path / "office.db"
    token = demo_ledger(src)
    r = subprocess.run([YIBAO, "--json", "migrate", "--from", str(src), "--to", pg_url],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["ok"] and not out["resumed"] and out["copied"]["persons"] == 20
    assert "options" not in out["target"]  # the URL as shown: no query, no password
    before, after = Ledger(src), Ledger(pg_url)
    try:
        assert after.verify().ok
        for pid in [p for p, in before.conn.execute("SELECT person_id FROM accounts WHERE kind = 'personal'")]:
            assert after.balance(pid).balance_fen == before.balance(pid).balance_fen
        # the copy takes new writes: new ids past the copied ones, the chain goes on
        pid = next(iter(before.conn.execute("SELECT person_id FROM accounts WHERE kind = 'personal'")))[0]
        after.credit(pid, 1_00, memo="after the move")
        assert after.verify().ok
    finally:
        before.close()
        after.close()
    tokens = TokenStore(pg_url)
    try:
        assert tokens.authenticate(f"Bearer {token}").role == "admin"
    finally:
        tokens.close()
    # a second run into it: the target is no longer a copy in progress of another ledger
    other = tmp_path / "other.db"
    demo_ledger(other, persons=3, seed=7)
    r = subprocess.run([YIBAO, "--json", "migrate", "--from", str(other), "--to", pg_url],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and json.loads(r.stdout)["error"]["code"] == "MOVE_TARGET_NOT_EMPTY", r.stdout


def test_an_interrupted_copy_goes_on_where_it_stopped(tmp_path: Path, pg_url: str) -> None:
    src = tmp_path / "office.db"
    demo_ledger(src)
    seen: list[tuple[str, int]] = []

    def stop_in_entries(table: str, rows: int) -> None:
        seen.append((table, rows))
        if table == "entries" and rows >= 300:
            raise KeyboardInterrupt  # the operator's Ctrl+C, between two chunks

    with pytest.raises(KeyboardInterrupt):
        move(str(src), pg_url, progress=stop_in_entries, chunk=100)
    report = move(str(src), pg_url, chunk=100)
    assert report.resumed and report.ok, report.failures
    assert "persons" not in report.copied  # done before the interruption: not copied again
    assert 0 < report.copied["entries"] < report.counts["entries"]
    with pytest.raises(YibaoError) as info:
        move(str(tmp_path / "missing.db"), pg_url)
    assert info.value.code == "LEDGER_NOT_FOUND"
