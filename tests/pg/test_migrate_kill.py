"""``yibao migrate`` killed with SIGKILL in the middle of the entries, then run again: the second
run goes on from the target's progress record and the copy is proved; a target that already
holds another ledger is refused with ``MOVE_TARGET_NOT_EMPTY`` in the user's language."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from yibao_tui.ledger.store import Ledger

YIBAO = str(Path(sys.executable).with_name("yibao"))
ENV = {**os.environ, "YIBAO_LANG": "en"}


def _demo(path: Path, persons: int = 20) -> None:
    led = Ledger(path)
    try:
        led.demo(persons, 1)
    finally:
        led.close()


def test_kill_9_in_the_entries_then_a_rerun_completes(tmp_path: Path, pg_url: str) -> None:
    src = tmp_path / "office.db"
    _demo(src)
    cmd = [YIBAO, "migrate", "--from", str(src), "--to", pg_url, "--batch", "10"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("entries:"):  # a few batches of entries are in: kill it now
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, seen
    part = Ledger(pg_url)
    try:
        done = part.conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
        mark = part.meta("move.entries")
    finally:
        part.close()
    assert mark is not None and mark != "done"  # the progress record names the last entry copied

    r = subprocess.run([YIBAO, "--json", *cmd[1:]], capture_output=True, text=True, env=ENV, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["ok"] and out["resumed"], out
    assert "persons" not in out["copied"]  # finished before the kill: not copied again
    assert out["copied"]["entries"] + done == out["counts"]["entries"]  # nothing twice, nothing lost
    assert out["rows_per_second"] > 0 and out["schema_version"]
    before, after = Ledger(src), Ledger(pg_url)
    try:
        assert before.verify().ok and after.verify().ok
        q = "SELECT id, balance FROM accounts ORDER BY id"
        assert [tuple(r) for r in after.conn.execute(q).fetchall()] == [tuple(r) for r in before.conn.execute(q).fetchall()]
        q = "SELECT id, account_id, amount, balance_after FROM entries ORDER BY id"
        assert ([tuple(r) for r in after.conn.execute(q).fetchall()]
                == [tuple(r) for r in before.conn.execute(q).fetchall()])  # every running balance
    finally:
        before.close()
        after.close()


def test_a_target_holding_a_ledger_is_refused(tmp_path: Path, pg_url: str) -> None:
    src = tmp_path / "office.db"
    _demo(src, persons=3)
    _demo_pg = subprocess.run([YIBAO, "--db", pg_url, "demo", "--persons", "2"], capture_output=True, text=True, env=ENV)
    assert _demo_pg.returncode == 0, _demo_pg.stderr
    cmd = [YIBAO, "migrate", "--from", str(src), "--to", pg_url]
    r = subprocess.run([YIBAO, "--json", *cmd[1:]], capture_output=True, text=True, env=ENV, timeout=120)
    assert r.returncode == 1 and json.loads(r.stdout)["error"]["code"] == "MOVE_TARGET_NOT_EMPTY", r.stdout
    r = subprocess.run(cmd, capture_output=True, text=True, env={**ENV, "YIBAO_LANG": "zh"}, timeout=120)
    assert r.returncode == 1 and "目标数据库已有账本数据" in r.stderr and "Traceback" not in r.stderr, r.stderr
