"""Issue 10 items 4-8: the command-line contract as a script's author relies on it."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import H, run
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


# ------------------------------------------------------------------ item 5: statement


def test_statement_refuses_an_unknown_kind_and_a_reversed_range(capsys, db):
    for kind in ("foo", "credit,foo"):
        code, err = run(capsys, "--db", db, "statement", H, "--kind", kind)
        assert (code, err["error"]["code"]) == (2, "INVALID_ARGUMENT") and "foo" in err["error"]["message"]
    code, err = run(capsys, "--db", db, "statement", H, "--from", "2027-01-01", "--to", "2026-01-01")
    assert (code, err["error"]["code"]) == (2, "INVALID_DATE")
    assert "2027-01-01" in err["error"]["message"] and "2026-01-01" in err["error"]["message"]
    code, same_day = run(capsys, "--db", db, "statement", H, "--from", "2026-11-22", "--to", "2026-11-22")
    assert code == 0 and same_day["total"] == len(same_day["entries"])


def test_statement_pages_with_next_cursor_and_total(capsys, db):
    for i in range(7):
        run(capsys, "--db", db, "credit", H, str(10 + i))
    code, whole = run(capsys, "--db", db, "statement", H)
    assert code == 0 and whole["total"] == 8 and whole["next_cursor"] is None
    pages, cursor = [], None
    while True:
        argv = ["--db", db, "statement", H, "--limit", "3"] + (["--cursor", cursor] if cursor else [])
        code, page = run(capsys, *argv)
        assert code == 0 and page["total"] == 8
        pages.append(page["entries"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [3, 3, 2]
    # each page oldest first; the pages go back in time; together every entry once
    assert [e for p in reversed(pages) for e in p] == whole["entries"]
    code, err = run(capsys, "--db", db, "statement", H, "--cursor", "garbage")
    assert (code, err["error"]["code"]) == (2, "INVALID_ARGUMENT")


def test_statement_table_keeps_a_gap_between_large_amounts(capsys, db):
    big = pid("440300", "1979-09-09", 91)
    assert main(["--db", db, "person", "add", big, "--name", "钱多", "--scheme", "employee", "--region", "440300",
                 "--opening-balance", "10000000"]) == 0
    assert main(["--db", db, "credit", big, "1634.50"]) == 0
    assert main(["--db", db, "statement", big, "--limit", "1"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "statement", big]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "¥10,000,000.00  ¥10,000,000.00" in lines[1]
    assert "¥1,634.50  ¥10,001,634.50" in lines[2]
    assert all("0¥" not in line for line in lines)
