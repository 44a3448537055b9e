"""Issue 10 items 9-11 on the command line: person find, operator management, the audit log paged,
filtered, readable and exported to CSV."""

from __future__ import annotations

import csv
import io
import json

from tests.cli.test_cli import _piped, run
from tests.conftest import pid
from yibao_tui.cli import main

A = pid("440300", "1980-03-01", 101)
B = pid("110000", "1980-07-07", 102)
C = pid("440300", "1975-01-01", 103)


def _ledger(capsys, db: str) -> None:
    for who, region in ((A, "440300"), (B, "110000"), (C, "440300")):
        code, _ = run(capsys, "--db", db, "person", "add", who, "--name", "李建国", "--scheme", "resident",
                      "--region", region)
        assert code == 0


def test_person_find_pages_and_masks(capsys, db_path):
    db = str(db_path)
    _ledger(capsys, db)
    code, page = run(capsys, "--db", db, "person", "find", "李建国", "--limit", "2")
    assert code == 0 and page["total"] == 3 and len(page["matches"]) == 2 and page["next_cursor"]
    code, rest = run(capsys, "--db", db, "person", "find", "李建国", "--limit", "2", "--cursor", page["next_cursor"])
    assert [m["id"] for m in page["matches"] + rest["matches"]] == [C, A, B] and rest["next_cursor"] is None
    code, born = run(capsys, "--db", db, "person", "find", "李建国", "--born", "1980", "--region", "110000")
    assert [m["id"] for m in born["matches"]] == [B]
    assert main(["--db", db, "person", "find", "李 建国"]) == 0
    text = capsys.readouterr().out
    assert "李*国" in text and A not in text and A[:3] + "*" * 11 + A[-4:] in text and "共 3 人" in text
    code, bad = run(capsys, "--db", db, "person", "find", "李建国", "--born", "18")
    assert code == 2 and bad["error"]["code"] == "INVALID_ARGUMENT"


def test_operator_management_from_the_command_line(capsys, db_path):
    db = str(db_path)
    run(capsys, "--db", db, "init")
    assert _piped(db, "clerk-pass-2\n", "operator", "add", "7002", "--name", "钱经办", "--role", "clerk").returncode == 0
    code, listed = run(capsys, "--db", db, "operator", "list")
    assert code == 0 and listed["operators"][0]["status"] == "active" and "pw_hash" not in listed["operators"][0]
    code, off = run(capsys, "--db", db, "operator", "disable", "7002")
    assert code == 0 and off["status"] == "disabled"
    code, unknown = run(capsys, "--db", db, "operator", "enable", "9999")
    assert code == 2 and unknown["error"]["code"] == "UNKNOWN_OPERATOR"
    assert run(capsys, "--db", db, "operator", "enable", "7002")[1]["status"] == "active"
    assert run(capsys, "--db", db, "operator", "unlock", "7002")[1]["status"] == "active"
    proc = _piped(db, "a-new-password\n", "operator", "reset-password", "7002")
    assert proc.returncode == 0 and json.loads(proc.stdout)["id"] == "7002"
    assert "a-new-password" not in proc.stdout
    code, log = run(capsys, "--db", db, "audit", "--action", "operator", "--limit", "20")
    actions = [r["action"] for r in log["audit"]]
    assert {"operator.add", "operator.disable", "operator.enable", "operator.unlock",
            "operator.reset_password", "operator.list"} <= set(actions)


def test_audit_pages_filters_reads_and_exports_csv(capsys, db_path):
    db = str(db_path)
    _ledger(capsys, db)
    for _ in range(3):
        run(capsys, "--db", db, "person", "show", A)
    code, first = run(capsys, "--db", db, "audit", "--person", A, "--limit", "2")
    assert code == 0 and len(first["audit"]) == 2 and first["next_cursor"]
    code, rest = run(capsys, "--db", db, "audit", "--person", A, "--limit", "2", "--cursor", first["next_cursor"])
    seqs = [r["seq"] for r in first["audit"] + rest["audit"]]
    assert len(seqs) == 4 and seqs == sorted(seqs, reverse=True)  # 3 reads and the registration
    code, bad = run(capsys, "--db", db, "audit", "--from", "2027-01-01", "--to", "2026-01-01")
    assert code == 2 and bad["error"]["code"] == "INVALID_DATE"
    assert main(["--db", db, "--lang", "en", "audit", "--action", "person.show"]) == 0
    text = capsys.readouterr().out
    assert "Person viewed" in text and "command line" in text and A not in text and "{" not in text
    assert main(["--db", db, "audit", "--person", A, "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:5] == ["序号", "时间", "渠道", "工号", "操作"]
    assert len(rows) == 1 + 4 and all(A not in cell for row in rows for cell in row)
    assert {r[4] for r in rows[1:]} == {"查看参保人", "登记参保人"}
