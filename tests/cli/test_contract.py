"""Issue 10 items 4-8: the command-line contract as a script's author relies on it."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import run
from tests.conftest import pid
from yibao_tui.cli import main

# ------------------------------------------------------------------ item 4: replays


def _roster(tmp_path: Path, n: int = 3, name: str = "roster.csv") -> Path:
    lines = ["id,name,scheme,region,card,opening_balance"]
    lines += [f"{pid('440300', '1970-01-01', 100 + i)},员工{i},employee,440300,R{i:07d},12.50" for i in range(n)]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_with_a_key_replays_on_the_local_ledger(capsys, db, tmp_path):
    roster = _roster(tmp_path)
    code, first = run(capsys, "--db", db, "import", "persons", str(roster), "--key", "roster-1")
    assert (code, first["imported"], first["replayed"]) == (0, 3, False)
    code, again = run(capsys, "--db", db, "import", "persons", str(roster), "--key", "roster-1")
    assert (code, again["imported"], again["replayed"]) == (0, 3, True)
    assert main(["--db", db, "import", "persons", str(roster), "--key", "roster-1"]) == 0
    assert "重复提交" in capsys.readouterr().out
    # the same key for another roster is a conflict; without a key the rows exist already
    other = _roster(tmp_path, 2, "other.csv")
    code, err = run(capsys, "--db", db, "import", "persons", str(other), "--key", "roster-1")
    assert (code, err["error"]["code"]) == (3, "IDEMPOTENCY_CONFLICT")
    code, err = run(capsys, "--db", db, "import", "persons", str(roster))
    assert (code, err["error"]["code"]) == (2, "INVALID_FILE")
    assert {r["code"] for r in err["error"]["rows"]} == {"PERSON_EXISTS"}
    assert run(capsys, "--db", db, "verify")[1]["ok"] is True


def test_person_add_replay_says_replayed(capsys, db):
    who = pid("440300", "1977-07-07", 71)
    argv = ("--db", db, "person", "add", who, "--name", "周六", "--scheme", "employee", "--region", "440300",
            "--opening-balance", "10", "--key", "p-71")
    code, first = run(capsys, *argv)
    assert (code, first["id"], first["replayed"]) == (0, who, False)
    code, again = run(capsys, *argv)
    assert (code, again["id"], again["replayed"]) == (0, who, True)
    assert run(capsys, "--db", db, "balance", who)[1]["balance_fen"] == 1_000
