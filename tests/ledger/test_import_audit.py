"""Issue 9 item 16: the ``import.persons`` audit record keeps the count, the file's SHA-256 and
the operator, never the roster (names and ID numbers)."""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
from pathlib import Path

from tests.conftest import frozen_clock
from yibao_tui.cli import main
from yibao_tui.ledger.store import Ledger

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "persons_sample.csv"


def _import_audit(db: Path) -> tuple[str | None, dict]:
    conn = sqlite3.connect(db)
    try:
        operator, detail = conn.execute(
            "SELECT operator, detail FROM audit WHERE action = 'import.persons'").fetchone()
    finally:
        conn.close()
    return operator, json.loads(detail)


def test_cli_import_audits_count_hash_and_operator_not_the_roster(capsys, db_path: Path) -> None:
    assert main(["--json", "--db", str(db_path), "import", "persons", str(SAMPLE)]) == 0
    capsys.readouterr()
    roster = list(csv.DictReader(SAMPLE.read_text("utf-8-sig").splitlines()))
    _, detail = _import_audit(db_path)
    assert detail["count"] == len(roster)
    assert detail["sha256"] == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    assert detail["operator"] == "cli"
    text = json.dumps(detail, ensure_ascii=False)
    assert not any(r["id"] in text or r["name"] in text for r in roster), text
    assert set(detail) == {"op", "count", "sha256", "operator"}


def test_an_operators_import_names_the_operator(db_path: Path) -> None:
    rows = [dict(r, line=str(i + 2)) for i, r in enumerate(csv.DictReader(SAMPLE.read_text("utf-8-sig").splitlines()))]
    led = Ledger(db_path, clock=frozen_clock, channel="counter", operator="A01")
    try:
        assert led.import_persons(rows).imported == len(rows)
    finally:
        led.close()
    operator, detail = _import_audit(db_path)
    assert operator == "A01" and detail["operator"] == "A01" and detail["count"] == len(rows)
    assert len(detail["sha256"]) == 64 and rows[0]["id"] not in json.dumps(detail)
