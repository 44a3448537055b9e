"""The command line contract: options, JSON fields, exit codes, error codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import pid
from yibao_tui.cli import main

ROOT = Path(__file__).resolve().parents[2]
H = pid("440300", "1985-06-15", 11)
S = pid("440300", "1986-03-02", 22)
C = pid("440300", "2014-09-09", 31)
P = pid("440300", "1958-01-20", 41)


def run(capsys, *argv: str) -> tuple[int, dict]:
    """Run ``yibao --json ...`` in-process; exactly one JSON object on stdout."""
    code = main(["--json", *argv])
    out = capsys.readouterr().out
    lines = [x for x in out.splitlines() if x.strip()]
    assert len(lines) == 1, out
    return code, json.loads(lines[0])


@pytest.fixture
def db(db_path: Path, capsys) -> str:
    path = str(db_path)
    assert run(capsys, "--db", path, "init")[0] == 0
    for who, name, scheme, extra in ((H, "王伟", "employee", ["--opening-balance", "¥5,000"]),
                                     (S, "李娜", "employee", ["--card", "a1000002"]),
                                     (C, "王小明", "resident", []), (P, "王建国", "resident", [])):
        code, _ = run(capsys, "--db", path, "person", "add", who, "--name", name, "--scheme", scheme,
                      "--region", "440300", *extra)
        assert code == 0
    return path


def test_balance_json_fields(capsys, db):
    code, data = run(capsys, "--db", db, "balance", H)
    assert code == 0
    assert data["id"] == H and data["balance_fen"] == 500_000 and data["status"] == "active"


def test_lookup_by_card_and_lower_case_x(capsys, db):
    assert run(capsys, "--db", db, "balance", "A1000002")[1]["id"] == S


@pytest.mark.parametrize(
    ("argv", "exit_code", "code"),
    [
        (["balance", "110105194912310021"], 2, "INVALID_ID_NUMBER"),
        (["balance", "11010519491231002X"], 2, "UNKNOWN_PERSON"),
        (["credit", H, "-5"], 2, "INVALID_AMOUNT"),
        (["credit", H, "1.234"], 2, "INVALID_AMOUNT"),
        (["credit", H, "NaN"], 2, "INVALID_AMOUNT"),
        (["credit", H, "20000000"], 2, "INVALID_AMOUNT"),
        (["credit", C, "5"], 3, "NOT_EMPLOYEE_INSURED"),
        (["balance"], 2, "INVALID_ARGUMENT"),
        (["frobnicate"], 2, "INVALID_ARGUMENT"),
        (["family", "bind", H, P, "--relation", "cousin"], 3, "NOT_CLOSE_RELATIVE"),
        (["family", "bind", H, H, "--relation", "spouse"], 3, "SELF_BINDING"),
        (["family", "bind", H, P, "--relation", "child"], 3, "RELATION_IMPLAUSIBLE"),
        (["family", "unbind", H, P], 3, "NOT_BOUND"),
        (["spend", H, "10", "--kind", "pension"], 3, "USE_NOT_ALLOWED"),
        (["spend", P, "10", "--kind", "outpatient"], 3, "NO_PAYING_ACCOUNT"),
        (["premium", "quote", H, P, "--year", "2027"], 3, "NOT_BOUND"),
        (["withdrawal", "check", H, "--case", "lottery"], 2, "UNKNOWN_WITHDRAWAL_CASE"),
        (["withdrawal", "check", H, "--case", "death", "--fact", "nonsense"], 2, "INVALID_FACT"),
        (["person", "add", pid(seq=5), "--name", "\x1b]0;evil\x07", "--scheme", "employee", "--region", "440300"], 2, "INVALID_NAME"),
    ],
)
def test_errors(capsys, db, argv, exit_code, code):
    got, data = run(capsys, "--db", db, *argv)
    assert got == exit_code
    assert data["error"]["code"] == code
    assert data["error"]["message"] and "Traceback" not in data["error"]["message"]


def test_family_premium_flow(capsys, db):
    code, b = run(capsys, "--db", db, "family", "bind", H, P, "--relation", "父母", "--verified-by", "face", "--key", "b1")
    assert code == 0 and b["relation"] == "parent" and b["verified_by"] == "face"
    assert run(capsys, "--db", db, "family", "bind", H, P, "--relation", "parent")[1]["error"]["code"] == "ALREADY_BOUND"
    code, listing = run(capsys, "--db", db, "family", "list", H)
    row = listing["bindings"][0]
    assert {"relative_id", "relation", "status", "bound_at", "verified_by"} <= set(row)
    assert row["relative_id"] == P and row["status"] == "active"
    code, q = run(capsys, "--db", db, "premium", "quote", H, P, "--year", "2027")
    assert code == 0 and (q["year"], q["amount_fen"], q["balance_fen"], q["balance_after_fen"]) == (2027, 40000, 500000, 460000)
    code, p1 = run(capsys, "--db", db, "premium", "pay", H, P, "--year", "2027", "--key", "pay-1")
    assert code == 0 and p1["replayed"] is False and p1["balance_after_fen"] == 460000
    assert {"payment_id", "amount_fen", "year", "balance_after_fen", "replayed"} <= set(p1)
    code, p2 = run(capsys, "--db", db, "premium", "pay", H, P, "--year", "2027", "--key", "pay-1")
    assert code == 0 and p2["replayed"] is True and p2["payment_id"] == p1["payment_id"]
    code, p3 = run(capsys, "--db", db, "premium", "pay", H, P, "--year", "2027")
    assert code == 3 and p3["error"]["code"] == "PREMIUM_ALREADY_PAID"
    code, e = run(capsys, "--db", db, "credit", H, "1", "--key", "pay-1")
    assert code == 3 and e["error"]["code"] == "IDEMPOTENCY_CONFLICT"
    # the sample policy (data/policy_sample.toml) on 2026-11-22: 2025 is closed, 2026 and 2027 open
    code, closed = run(capsys, "--db", db, "premium", "quote", H, P, "--year", "2025")
    assert (code, closed["error"]["code"]) == (3, "PREMIUM_PERIOD_CLOSED")
    assert q["open_years"] == [2027, 2026] and (q["opens"], q["closes"]) == ("2026-07-01", "2027-12-31")
    assert run(capsys, "--db", db, "premium", "quote", H, S, "--year", "2027")[1]["error"]["code"] == "NOT_BOUND"
    run(capsys, "--db", db, "family", "bind", H, S, "--relation", "spouse")
    assert run(capsys, "--db", db, "premium", "quote", H, S, "--year", "2027")[1]["error"]["code"] == "NOT_RESIDENT_INSURED"


def test_spend_json(capsys, db):
    run(capsys, "--db", db, "family", "bind", H, C, "--relation", "child", "--verified-by", "letter")
    code, r = run(capsys, "--db", db, "spend", C, "6000", "--kind", "inpatient", "--key", "s1")
    assert code == 0
    assert r["charges"] == [{"account_id": H, "amount_fen": 500000}] and r["cash_fen"] == 100000 and r["replayed"] is False
    code, r2 = run(capsys, "--db", db, "spend", C, "10", "--kind", "outpatient")
    assert code == 3 and r2["error"]["code"] == "NO_PAYING_ACCOUNT"
    assert run(capsys, "--db", db, "premium", "pay", H, C, "--year", "2027")[1]["error"]["code"] == "INSUFFICIENT_BALANCE"


def test_statement_json_csv_and_date_filter(capsys, db):
    for amount in ("100", "200", "300"):
        run(capsys, "--db", db, "credit", H, amount)
    code, st = run(capsys, "--db", db, "statement", H)
    assert code == 0
    assert [e["amount_fen"] for e in st["entries"]] == [500000, 10000, 20000, 30000]
    assert {"time", "kind", "amount_fen", "balance_after_fen", "memo"} <= set(st["entries"][0])
    assert st["opening_balance_fen"] == 0 and st["closing_balance_fen"] == 560000
    code, future = run(capsys, "--db", db, "statement", H, "--from", "2099-01-01")
    assert future["entries"] == [] and future["opening_balance_fen"] == 560000 == future["closing_balance_fen"]
    code, past = run(capsys, "--db", db, "statement", H, "--to", "2000-01-01")
    assert past["entries"] == [] and past["closing_balance_fen"] == 0
    assert main(["--db", db, "statement", H, "--format", "csv", "--kind", "credit"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "time,kind,amount,balance_after,memo" and len(lines) == 4
    assert lines[1].split(",")[2:4] == ["100.00", "5100.00"]


def test_withdrawal_json(capsys, db):
    code, v = run(capsys, "--db", db, "withdrawal", "check", H, "--case", "death",
                  "--fact", "death_certified=yes", "--fact", "heir_proven=yes")
    assert code == 0 and v["eligible"] is True and v["case"] == "death"
    assert v["materials"] and len(v["warnings"]) == 4 and v["unmet"] == []
    code, v = run(capsys, "--db", db, "withdrawal", "check", H, "--case", "emigration")
    assert code == 0 and v["eligible"] is False and len(v["unmet"]) == 4
    # the same conditions as codes (issue 8: text rendered at the edge, the codes in every language)
    assert len(v["unmet_codes"]) == 4 and {"code": "region"} not in v["unmet_codes"]
    assert v["warning_codes"] == ["forgery", "intermediary", "regional", "closes"]


def test_family_rules_and_withdrawal_cases(capsys, db):
    """Issue 8: what a binding and a withdrawal need, from the system of record's policy (through
    --backend, the server's), not ``policy show``'s local file."""
    code, r = run(capsys, "--db", db, "family", "rules", H)
    assert code == 0 and (r["cap"], r["active"], r["pledge_required"], r["channel"]) == (6, 0, True, "cli")
    assert [b["methods"] for b in r["methods"]] == [["counter", "letter"], ["counter"]]
    code, r = run(capsys, "--db", db, "family", "rules", H, "--channel", "kiosk")
    assert r["methods"][1] == {"min_age": 16, "max_age": None, "methods": ["counter", "face"]}
    code, c = run(capsys, "--db", db, "withdrawal", "cases", H)
    assert code == 0 and c["region"] == "440300" and "serious-illness" not in [x["name"] for x in c["cases"]]
    death = next(x for x in c["cases"] if x["name"] == "death")
    assert death["payee"] == "heir" and death["questions"][0]["name"] == "death_certified"
    assert set(death["questions"][0]["text"]) == {"zh", "en"}
    assert run(capsys, "--db", db, "withdrawal", "cases", pid("440300", "1990-01-01", 99))[1]["error"]["code"] == \
        "UNKNOWN_PERSON"
    assert main(["--db", db, "--lang", "en", "family", "rules", H, "--channel", "kiosk"]) == 0
    text = capsys.readouterr().out
    assert "0 of 6 relatives bound" in text and "aged 16 and over: at a counter, face check" in text
    assert main(["--db", db, "withdrawal", "cases", H]) == 0
    text = capsys.readouterr().out
    assert "--fact death_certified=yes|no" in text and "参保人死亡" in text


def test_verify_and_policy(capsys, db):
    code, r = run(capsys, "--db", db, "verify")
    assert code == 0 and r["ok"] is True and r["failures"] == []
    code, pol = run(capsys, "policy", "show", "--region", "370900", "--year", "2025")
    assert code == 0 and pol["binding_cap"] == 8 and pol["premium_fen"]["2025"] == 40000
    assert run(capsys, "policy", "show", "--region", "99")[1]["error"]["code"] == "INVALID_REGION"


def test_import_sample_and_bad_file(capsys, db):
    code, r = run(capsys, "--db", db, "import", "persons", str(ROOT / "data" / "persons_sample.csv"))
    assert code == 0 and r["imported"] == 30
    code, r = run(capsys, "--db", db, "import", "persons", str(ROOT / "data" / "persons_with_errors.csv"))
    assert code == 2 and r["error"]["code"] == "INVALID_FILE"
    assert [row["line"] for row in r["error"]["rows"]] == [3, 4, 5, 6]
    # nothing of the bad file went in, not even its good first row
    good_first = (ROOT / "data" / "persons_with_errors.csv").read_text().splitlines()[1].split(",")[0]
    assert run(capsys, "--db", db, "balance", good_first)[1]["error"]["code"] == "UNKNOWN_PERSON"
    assert run(capsys, "--db", db, "import", "persons", "/nonexistent.csv")[1]["error"]["code"] == "INVALID_FILE"


def test_english_messages(capsys, db):
    code, data = run(capsys, "--db", db, "--lang", "en", "balance", "110105194912310021")
    assert code == 2 and data["error"]["message"].startswith("Invalid ID number")


def test_locked_database_is_a_clear_error(capsys, db):
    import sqlite3

    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(
            [sys.executable, "-c", "import sys, yibao_tui.ledger.dialect_sqlite as d; d.BUSY_TIMEOUT_MS = 200;"
             "from yibao_tui.cli import main; sys.exit(main(sys.argv[1:]))",
             "--json", "--db", db, "credit", H, "1"],
            capture_output=True, text=True, env=env, timeout=60,
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"]["code"] == "DATABASE_BUSY"
    assert "Traceback" not in proc.stderr


def test_console_script_human_output_no_traceback(db):
    env = {**os.environ, "YIBAO_LANG": "zh"}
    proc = subprocess.run([sys.executable, "-m", "yibao_tui", "--db", db, "balance", "110105194912310021"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == "" and "校验码" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_demo_command(capsys, tmp_path):
    path = str(tmp_path / "demo.db")
    code, r = run(capsys, "--db", path, "demo", "--persons", "8", "--seed", "3")
    assert code == 0 and r["persons"] == 8 and r["owner"]
    code, again = run(capsys, "--db", path, "demo")
    assert code == 2 and again["error"]["code"] == "INVALID_ARGUMENT"
    assert run(capsys, "--db", path, "verify")[1]["ok"] is True


def _piped(db: str, stdin: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yibao_tui", "--json", "--db", db, *argv], input=stdin,
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_operator_and_pin_are_read_from_stdin_never_argv(db):
    proc = _piped(db, "a-long-password\n", "operator", "add", "7001", "--name", "赵主管", "--role", "supervisor")
    assert proc.returncode == 0 and json.loads(proc.stdout)["role"] == "supervisor"
    proc = _piped(db, "short\n", "operator", "add", "7002", "--name", "钱", "--role", "clerk")
    assert proc.returncode == 2 and json.loads(proc.stdout)["error"]["code"] == "INVALID_ARGUMENT"
    proc = _piped(db, "394728\n", "card", "set-pin", "A1000002")
    assert proc.returncode == 0 and json.loads(proc.stdout)["id"] == S
    proc = _piped(db, "12ab\n", "card", "set-pin", "A1000002")
    assert proc.returncode == 2


def test_audit_lists_reads_and_writes(capsys, db):
    run(capsys, "--db", db, "balance", H)
    code, data = run(capsys, "--db", db, "audit", "--person", H, "--limit", "5")
    assert code == 0
    rows = data["audit"]
    assert rows[0]["action"] == "balance" and rows[0]["subject"] == H and rows[0]["channel"] == "cli"
    assert {"seq", "time", "channel", "operator", "action", "subject"} <= set(rows[0])
    assert any(r["action"] == "person.add" for r in rows)


def test_kiosk_admin_pin_is_set_from_the_yibao_command(db, tmp_path):
    """`yibao kiosk --set-admin-pin` stores only a hash of the PIN that leaves the kiosk."""
    config = tmp_path / "kiosk.toml"
    proc = _piped(db, "12ab\n", "kiosk", "--set-admin-pin", "--config", str(config))
    assert proc.returncode == 2 and not config.exists()
    proc = _piped(db, "20261123\n", "kiosk", "--set-admin-pin", "--config", str(config))
    assert proc.returncode == 0, proc.stderr
    text = config.read_text("utf-8")
    assert "admin_pin_hash" in text and "scrypt" in text and "20261123" not in text


def test_login_takes_backend_after_the_command_too(db):
    """Issue 5 spells it `yibao login --backend URL`; the global `yibao --backend URL login` works as well."""
    for argv in (("login", "--backend", "ftp://example.org"), ("--backend", "ftp://example.org", "login")):
        proc = subprocess.run([sys.executable, "-m", "yibao_tui", "--db", db, *argv], input="",
                              capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert proc.returncode == 2
        assert "unrecognized" not in proc.stderr and "ftp://example.org" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_premium_years_lists_the_open_years_and_the_windows(capsys, db):
    code, y = run(capsys, "--db", db, "premium", "years", H)
    assert code == 0 and y["today"] == "2026-11-22" and y["open_years"] == [2027, 2026]
    assert [w["year"] for w in y["windows"] if w["open"]] == [2026, 2027]
    assert run(capsys, "--db", db, "premium", "years", H, "--relative", P)[1]["error"]["code"] == "NOT_BOUND"
    assert main(["--db", db, "premium", "years", H]) == 0
    text = capsys.readouterr().out
    assert "今天可缴年度：2027, 2026" in text and "2028 年度缴费期：2027-07-01 至 2028-12-31" in text
