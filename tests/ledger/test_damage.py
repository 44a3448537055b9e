"""Issue 9 item 11: a damaged ledger is DATABASE_CORRUPT with a clear message and none of its
rows' text; a read-only command never makes a ledger (nor its folders); ``verify`` on damage
reports damage, never ok."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Family, frozen_clock
from yibao_tui.cli import main
from yibao_tui.ledger.store import Ledger

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(["--json", *argv])
    out = [x for x in capsys.readouterr().out.splitlines() if x.strip()]
    assert len(out) == 1, out
    return code, json.loads(out[0])


def _ledger(path: Path) -> Family:
    led = Ledger(path, clock=frozen_clock)
    f = Family(led)
    led.credit(f.holder, 12_345, memo="十一月")
    led.balance(f.holder)
    led.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return f


def _break_text(path: Path, needle: bytes) -> int:
    """Make every stored copy of ``needle`` invalid UTF-8 (one flipped byte inside), as a bit
    flip on disk would."""
    data = bytearray(path.read_bytes())
    n, at = 0, data.find(needle)
    while at >= 0:
        data[at + len(needle) - 1] = 0xFF
        n += 1
        at = data.find(needle, at + 1)
    path.write_bytes(bytes(data))
    return n


def test_damaged_text_is_database_corrupt_without_the_rows_text(tmp_path: Path, capsys) -> None:
    path = tmp_path / "ledger.db"
    f = _ledger(path)
    # the byte after every `"id": "<holder>` (audit details, recorded responses) and the name
    assert _break_text(path, f'"id": "{f.holder}"'.encode()) >= 2
    assert _break_text(path, "王伟".encode()) >= 1
    for argv in (["audit"], ["person", "show", f.holder], ["balance", f.holder], ["family", "list", f.holder]):
        code, out = run(capsys, "--db", str(path), *argv)
        assert (code, out["error"]["code"]) == (1, "DATABASE_CORRUPT"), (argv, out)
        message = out["error"]["message"]
        assert f.holder not in message and "王" not in message and "decode" not in message.lower()
    # the console script too: one clear line, no traceback, no row text
    proc = subprocess.run([sys.executable, "-m", "yibao_tui", "--db", str(path), "audit"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and f.holder not in proc.stderr + proc.stdout
    assert "损坏" in proc.stderr


def test_verify_on_damage_reports_damage_never_ok(tmp_path: Path, capsys) -> None:
    path = tmp_path / "ledger.db"
    f = _ledger(path)
    _break_text(path, f'"id": "{f.holder}"'.encode())
    _break_text(path, "王伟".encode())
    code, out = run(capsys, "--db", str(path), "verify")
    assert code == 1 and out["ok"] is False, out
    text = "\n".join(out["failures"])
    assert "damaged" in text and f.holder not in text and "王" not in text


def test_verify_finds_a_flipped_id_digit_and_a_stale_index(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    f = _ledger(path)
    data = bytearray(path.read_bytes())
    # the person row's copy of the spouse's ID: one digit off (the check character no longer fits)
    wrong = f.spouse[:10] + str((int(f.spouse[10]) + 1) % 10) + f.spouse[11:]
    at = data.find(f.spouse.encode() + "李娜".encode())
    if at < 0:  # the name is stored before or after the id depending on the record layout
        at = data.find(f.spouse.encode())
    data[at:at + 18] = wrong.encode()
    path.write_bytes(bytes(data))
    led = Ledger(path, clock=frozen_clock)
    try:
        report = led.verify()
    finally:
        led.close()
    assert not report.ok
    assert any("fails its check character" in x or "refers to a missing" in x or "integrity_check" in x
               for x in report.failures), report.failures


@pytest.mark.parametrize("content", [b"", b"hello, this is not a ledger\n" * 200], ids=["empty", "text"])
def test_a_file_that_is_not_a_ledger_is_refused(tmp_path: Path, capsys, content: bytes) -> None:
    path = tmp_path / "x.db"
    path.write_bytes(content)
    for argv in (["verify"], ["balance", "A1000001"], ["init"], ["person", "add", "11010519491231002X",
                                                                  "--name", "张三", "--scheme", "resident",
                                                                  "--region", "110000"]):
        code, out = run(capsys, "--db", str(path), *argv)
        assert (code, out["error"]["code"]) == (1, "DATABASE_CORRUPT"), (argv, out)
        assert str(path) in out["error"]["message"]
    assert path.read_bytes() == content  # never turned into a new, empty ledger
    assert not Path(f"{path}-wal").exists()


READ_ONLY = [["balance", "A1000001"], ["statement", "A1000001"], ["verify"], ["audit"],
             ["family", "list", "A1000001"], ["person", "show", "A1000001"], ["premium", "list", "A1000001"],
             ["credit", "A1000001", "10"]]


@pytest.mark.parametrize("argv", READ_ONLY, ids=[" ".join(a[:2]) for a in READ_ONLY])
def test_read_only_commands_never_create_a_ledger(tmp_path: Path, capsys, argv: list[str]) -> None:
    path = tmp_path / "typo" / "ledgr.db"
    code, out = run(capsys, "--db", str(path), *argv)
    assert (code, out["error"]["code"]) == (1, "LEDGER_NOT_FOUND"), out
    assert str(path) in out["error"]["message"] and "yibao init" in out["error"]["message"]
    assert not path.parent.exists()


def test_init_still_creates_the_ledger_and_its_folders(tmp_path: Path, capsys) -> None:
    path = tmp_path / "new" / "ledger.db"
    assert run(capsys, "--db", str(path), "init")[0] == 0
    assert run(capsys, "--db", str(path), "verify")[1]["ok"] is True
