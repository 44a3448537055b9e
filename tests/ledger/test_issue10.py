"""Issue 10, rules: the premium collection window, closing ends bindings, working age."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from tests.conftest import Family, frozen_clock, pid
from yibao_tui.domain.errors import YibaoError
from yibao_tui.ledger.store import Ledger

ROOT = Path(__file__).resolve().parents[2]


def code_of(fn, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(YibaoError) as info:
        fn(*args, **kwargs)
    return info.value.code


# ------------------------------------------------------------------ item 3: working age


def test_employee_under_16_is_refused_naming_the_birth_date(ledger: Ledger):
    child = pid("440300", "2014-09-09", 31)
    with pytest.raises(YibaoError) as info:
        ledger.add_person(child, "王小明", "employee", "440300")
    assert info.value.code == "NOT_WORKING_AGE" and info.value.exit_code == 3
    assert "2014-09-09" in info.value.message() and "2014-09-09" in info.value.message("en")
    # the day before the 16th birthday (today is 2026-11-22) still refused, the birthday itself not
    almost = pid("440300", "2010-11-23", 33)
    assert code_of(ledger.add_person, almost, "甲", "employee", "440300") == "NOT_WORKING_AGE"
    sixteen = pid("440300", "2010-11-22", 35)
    assert ledger.add_person(sixteen, "乙", "employee", "440300").scheme == "employee"
    assert ledger.add_person(child, "王小明", "resident", "440300").scheme == "resident"


def test_import_refuses_an_employee_child(ledger: Ledger):
    row = {"line": "2", "id": pid("350200", "2014-10-01", 39), "name": "高强", "scheme": "employee",
           "region": "350200", "card": "", "opening_balance": "4564.53"}
    r = ledger.import_persons([row])
    assert r.imported == 0 and [e["code"] for e in r.errors] == ["NOT_WORKING_AGE"]
    assert "2014-10-01" in r.to_json()["errors"][0]["reason"]


def test_sample_roster_has_no_employee_child_and_imports(ledger: Ledger):
    with open(ROOT / "data" / "persons_sample.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    today = frozen_clock().date()
    for row in rows:
        born = dt.date(int(row["id"][6:10]), int(row["id"][10:12]), int(row["id"][12:14]))
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        assert row["scheme"] != "employee" or age >= 16, row
    lines = [{**row, "line": str(i + 2)} for i, row in enumerate(rows)]
    assert ledger.import_persons(lines).imported == 30


def test_demo_has_no_employee_child(tmp_path):
    led = Ledger(tmp_path / "demo.db", clock=frozen_clock)
    led.demo(40, 3)
    today = frozen_clock().date().isoformat()
    sixteen = f"{int(today[:4]) - 16}{today[4:]}"
    assert led.conn.execute(
        "SELECT COUNT(*) FROM persons WHERE scheme = 'employee' AND birth_date > ?", (sixteen,)).fetchone()[0] == 0
    assert led.verify().ok
    led.close()


def test_cli_refuses_an_employee_child(capsys, db_path):
    import json

    from yibao_tui.cli import main

    code = main(["--json", "--db", str(db_path), "person", "add", pid("440300", "2013-07-21", 65),
                 "--name", "胡静", "--scheme", "employee", "--region", "440300"])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 3 and out["error"]["code"] == "NOT_WORKING_AGE" and "2013-07-21" in out["error"]["message"]


# ------------------------------------------------------------------ item 2: closing ends bindings


def _close(led: Ledger, who: str) -> None:
    led.operator_add("2001", "李办事员", "clerk", "clerk-pass")
    led.operator_add("3001", "王主管", "supervisor", "super-pass")
    facts = {"death_certified": "yes", "heir_proven": "yes"}
    led.withdrawal_execute(who, "death", facts, "王继承", "6222020000000001", "3001", "super-pass", key="w1")


def test_closing_an_account_ends_the_bindings_it_holds(db_path):
    led = Ledger(db_path, clock=frozen_clock, channel="counter", operator="2001")
    f = Family(led)
    led.bind(f.holder, f.parent, "parent")
    led.bind(f.holder, f.child, "child")
    led.bind(f.spouse, f.child, "child")  # the spouse's own binding is not the closed account's
    led.bind(f.spouse, f.holder, "spouse")  # the closed account as a relative: stays
    _close(led, f.holder)
    mine = led.bindings(f.holder, include_ended=True)
    assert [(b.status, b.ended_reason) for b in mine] == [("ended", "account-closed")] * 2
    assert all(b.unbound_at for b in mine) and led.bindings(f.holder) == []
    assert [b.status for b in led.bindings(f.spouse)] == ["active", "active"]
    ended = [a for a in led.audit(person=f.holder) if a.action == "family.ended"]
    assert len(ended) == 2 and all('"reason": "account-closed"' in a.detail for a in ended)
    # the same transaction: the closing operation's audit and the ended bindings share its op
    op = led.conn.execute("SELECT id FROM operations WHERE kind = 'withdrawal.execute'").fetchone()[0]
    assert all(f'"op": {op}' in a.detail for a in ended)
    assert led.verify().ok
    led.close()


def test_unbinding_records_its_reason(ledger: Ledger, family: Family):
    ledger.bind(family.holder, family.parent, "parent")
    assert ledger.bindings(family.holder)[0].ended_reason is None
    assert ledger.unbind(family.holder, family.parent).ended_reason == "unbound"


def test_verify_fails_on_an_active_binding_of_a_closed_account(tmp_path):
    import sqlite3

    path = tmp_path / "closed.db"
    led = Ledger(path, clock=frozen_clock)
    f = Family(led)
    led.bind(f.holder, f.parent, "parent")
    led.spend(f.spouse, 10_000, "outpatient")
    led.bind(f.spouse, f.child, "child")
    led.close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE accounts SET status = 'closed' WHERE person_id = ?", (f.spouse,))
    conn.commit()
    conn.close()
    led = Ledger(path, clock=frozen_clock)
    report = led.verify()
    assert not report.ok and any("holder's account is closed" in x for x in report.failures)
    led.close()


def test_an_older_ledger_gains_the_reason_column(tmp_path):
    import sqlite3

    path = tmp_path / "old.db"
    led = Ledger(path, clock=frozen_clock)
    f = Family(led)
    led.bind(f.holder, f.parent, "parent")
    led.close()
    conn = sqlite3.connect(path)  # as a ledger made before the column existed
    conn.execute("ALTER TABLE bindings DROP COLUMN ended_reason")
    conn.execute("UPDATE meta SET value = 'old' WHERE key = 'schema_hash'")
    conn.commit()
    conn.close()
    led = Ledger(path, clock=frozen_clock)
    assert led.unbind(f.holder, f.parent).ended_reason == "unbound"
    assert led.verify().ok
    led.close()


def test_cli_family_list_shows_the_closed_holders_binding_ended(capsys, db_path):
    import json

    from yibao_tui.cli import main

    led = Ledger(db_path, clock=frozen_clock, channel="counter", operator="2001")
    f = Family(led)
    led.bind(f.holder, f.parent, "parent")
    _close(led, f.holder)
    led.close()
    assert main(["--json", "--db", str(db_path), "family", "list", f.holder]) == 0
    assert json.loads(capsys.readouterr().out)["bindings"] == []
    assert main(["--json", "--db", str(db_path), "family", "list", f.holder, "--all"]) == 0
    rows = json.loads(capsys.readouterr().out)["bindings"]
    assert [(b["status"], b["ended_reason"]) for b in rows] == [("ended", "account-closed")]
    assert main(["--db", str(db_path), "family", "list", f.holder, "--all"]) == 0
    assert "已解除" in capsys.readouterr().out
