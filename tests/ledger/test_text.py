"""Issue 9 item 12: names and memos refuse bidi controls and invisible characters at the domain
boundary; every CSV export goes through one writer that neutralises formulas."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.conftest import Family, pid
from yibao_tui.cli import main
from yibao_tui.domain.csvout import safe_cell, writer
from yibao_tui.domain.errors import YibaoError
from yibao_tui.ledger.store import Ledger

HIDDEN = ["\u202e", "\u202a", "\u2066", "\u2069", "\u200b", "\u200f", "\ufeff", "\u00ad", "\u2028", "\x1b[31m", "\x07"]
FORMULAS = ['=HYPERLINK("http://evil.example","点我")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0"]


@pytest.mark.parametrize("bad", HIDDEN, ids=[f"U+{ord(c[0]):04X}" for c in HIDDEN])
def test_names_and_memos_refuse_hidden_characters(ledger: Ledger, bad: str) -> None:
    f = Family(ledger)
    with pytest.raises(YibaoError) as e:
        ledger.add_person(pid(seq=81), f"张{bad}三", "resident", "440300")
    assert e.value.code == "INVALID_NAME" and e.value.params["reason_code"] in ("invisible", "control")
    with pytest.raises(YibaoError) as e:
        ledger.credit(f.holder, 100, memo=f"gpj.{bad}exe")
    assert e.value.code == "INVALID_MEMO" and e.value.exit_code == 2
    ledger.operator_add("A01", "刘敏", "clerk", "Counter-Window-7")
    with pytest.raises(YibaoError) as e:
        ledger.operator_add("A02", f"刘{bad}敏", "clerk", "Counter-Window-7")
    assert e.value.code == "INVALID_NAME"
    result = ledger.import_persons([{"line": "2", "id": pid(seq=82), "name": f"李{bad}四", "scheme": "resident",
                                     "region": "440300"}])
    assert result.imported == 0 and result.errors[0]["code"] == "INVALID_NAME"
    assert ledger.balance(f.holder).balance_fen == 500_000


def test_the_cli_refuses_them_with_a_clear_message(capsys, db_path: Path) -> None:
    db = str(db_path)
    code = main(["--json", "--db", db, "--lang", "en", "person", "add", pid(seq=83), "--name", "王\u202e五",
                 "--scheme", "resident", "--region", "440300"])
    out = json.loads(capsys.readouterr().out)
    assert (code, out["error"]["code"]) == (2, "INVALID_NAME")
    assert "bidi control or an invisible character" in out["error"]["message"] and "\u202e" not in out["error"]["message"]


def test_statement_csv_neutralises_formulas(capsys, ledger: Ledger, db_path: Path) -> None:
    f = Family(ledger)
    for memo in FORMULAS:
        ledger.credit(f.holder, 100, memo=memo)
    ledger.spend(f.holder, 250, "pharmacy")
    ledger.close()
    assert main(["--db", str(db_path), "statement", f.holder, "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    memos = [r[4] for r in rows[1:] if r[1] == "credit"]
    assert memos == ["'" + m for m in FORMULAS]
    assert [r[2] for r in rows[1:] if r[1] == "pharmacy"] == ["-2.50"]  # a negative amount stays a number


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-x", "@A1", "\t=1", "\r=1"])
def test_safe_cell_quotes_every_formula_prefix(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell
    buf = io.StringIO()
    writer(buf).writerow([cell, "-12.50", 3, "普通"])
    assert next(csv.reader(io.StringIO(buf.getvalue())))[0] == "'" + cell
    assert safe_cell("-12.50") == "-12.50" and safe_cell(-3) == -3 and safe_cell("王") == "王"
