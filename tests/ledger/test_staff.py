"""Issue 10 items 9-11 in the ledger: find a person by name (index made by a versioned
migration), manage operators (supervisors only, audited), the audit log paged and filtered."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Family, frozen_clock, pid
from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.models import AuditRow
from yibao_tui.i18n.audit import describe
from yibao_tui.ledger import staff
from yibao_tui.ledger.db import PERSON_NAME_INDEX, SCHEMA_VERSION
from yibao_tui.ledger.store import Ledger


def code_of(fn, *args, **kwargs) -> str:
    with pytest.raises(YibaoError) as e:
        fn(*args, **kwargs)
    return e.value.code


def _namesakes(led: Ledger) -> list[str]:
    """Seven people called 李建国 (two born in 1980, one of them in Beijing) and one 李建华."""
    ids = []
    for i, (region, born) in enumerate([("440300", "1980-03-01"), ("110000", "1980-07-07"), ("440300", "1975-01-01"),
                                        ("440300", "1990-02-02"), ("350200", "1962-12-12"), ("440300", "2001-05-05"),
                                        ("440300", "1985-09-09")]):
        ids.append(pid(region, born, 100 + i))
        led.add_person(ids[-1], ["李建国", "李 建国", "李建国 "][i % 3], "resident", region)
    led.add_person(pid("440300", "1980-03-01", 300), "李建华", "resident", "440300")
    return ids


# --------------------------------------------------------------------------- item 9: find
def test_find_by_name_pages_every_namesake_once_masked(ledger):
    ids = _namesakes(ledger)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = staff.find_persons(ledger, "李建国", cursor=cursor, limit=3)
        assert page.total == 7
        seen += [m.id for m in page.matches]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3 and sorted(seen) == sorted(ids) and len(set(seen)) == 7
    births = [ledger.person(i).birth_date for i in seen]
    assert births == sorted(births)  # keyset order: birth date, then ID
    m = staff.find_persons(ledger, "李建国", limit=1).matches[0]
    assert m.name_masked[0] == "李" and "建" not in m.name_masked and m.id_masked == m.id[:3] + "*" * 11 + m.id[-4:]
    assert "name" not in m.to_json()  # the full name is never in a result


def test_find_normalises_the_name_and_filters_birth_year_and_region(ledger):
    _namesakes(ledger)
    assert staff.find_persons(ledger, "李　建国").total == 7  # an ideographic space
    assert staff.find_persons(ledger, "李建国", born=1980).total == 2
    only = staff.find_persons(ledger, "李建国", born="1980", region="110000").matches
    assert [m.region for m in only] == ["110000"]
    assert staff.find_persons(ledger, "李建").total == 0  # a whole name, not a prefix
    assert code_of(staff.find_persons, ledger, "  ") == "INVALID_NAME"
    assert code_of(staff.find_persons, ledger, "李建国", born=1800) == "INVALID_ARGUMENT"
    assert code_of(staff.find_persons, ledger, "李建国", region="999999") == "INVALID_REGION"
    assert code_of(staff.find_persons, ledger, "李建国", cursor="nonsense") == "INVALID_ARGUMENT"


def test_latin_names_match_whatever_the_case_and_width(ledger):
    ledger.add_person(pid("440300", "1990-01-01", 200), "Anna Müller", "resident", "440300")
    assert staff.find_persons(ledger, "anna müller").total == 1
    assert staff.find_persons(ledger, "ＡＮＮＡ MÜLLER").total == 1


def test_every_search_is_audited_with_the_name_masked_and_hashed_never_in_full(ledger):
    ids = _namesakes(ledger)
    staff.find_persons(ledger, "李建国", born=1980)
    staff.find_persons(ledger, ids[0])  # an ID typed into the name field
    rows = [r for r in ledger.audit(limit=10) if r.action == "person.find"]
    assert len(rows) == 2
    first = json.loads(rows[1].detail)
    assert first["name"] == "李*国" and first["born"] == 1980 and first["found"] == 2
    assert first["name_sha256"] == staff.search_hash("李建国")
    for r in rows:
        assert "李建国" not in r.detail and ids[0] not in r.detail and r.subject is None


def test_a_kiosk_or_a_personal_token_cannot_search_others(db_path):
    Ledger(db_path, clock=frozen_clock).close()
    for channel, operator in (("kiosk", None), ("http", None), ("counter", None)):
        led = Ledger(db_path, clock=frozen_clock, channel=channel, operator=operator)
        assert code_of(staff.find_persons, led, "李建国") == "FORBIDDEN"
        led.close()
    for channel, operator in (("cli", None), ("tui", None), ("counter", "7002"), ("http", "admin:ops")):
        led = Ledger(db_path, clock=frozen_clock, channel=channel, operator=operator)
        assert staff.find_persons(led, "李建国").total == 0
        led.close()


def test_the_name_index_comes_from_a_versioned_migration_of_an_old_ledger(db_path):
    led = Ledger(db_path, clock=frozen_clock)
    ids = _namesakes(led)
    led.close()
    # make it a schema-1 ledger: no name key, no index, no disabled operators
    conn = sqlite3.connect(db_path)
    conn.executescript(
        f"DROP INDEX {PERSON_NAME_INDEX}; ALTER TABLE persons DROP COLUMN name_key;"
        " ALTER TABLE operators DROP COLUMN disabled_at;"
        " UPDATE meta SET value = '1' WHERE key = 'schema_version'; DELETE FROM meta WHERE key = 'schema_hash';")
    conn.close()
    led = Ledger(db_path, clock=frozen_clock)
    assert led.meta("schema_version") == str(SCHEMA_VERSION)
    assert sorted(m.id for m in staff.find_persons(led, "李建国", limit=100).matches) == sorted(ids)
    plan = " ".join(str(r) for r in led.conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM persons WHERE name_key = ? AND birth_date >= ? AND birth_date < ?"
        " ORDER BY birth_date, id LIMIT 21", ("李建国", "1980-01-01", "1981-01-01")))
    assert PERSON_NAME_INDEX in plan and "TEMP B-TREE" not in plan
    led.close()


# --------------------------------------------------------------------------- item 10: operators
def _staffed(db_path: Path) -> Ledger:
    led = Ledger(db_path, clock=frozen_clock)
    led.operator_add("7001", "赵主管", "supervisor", "supervisor-pass")
    led.operator_add("7002", "钱经办", "clerk", "clerk-pass-2")
    return led


def test_a_disabled_operator_is_refused_like_an_unknown_one_until_enabled(db_path):
    led = _staffed(db_path)
    info = staff.operator_disable(led, "7002")
    assert info.status == "disabled" and info.disabled_at
    with pytest.raises(YibaoError) as disabled:
        led.operator_login("7002", "clerk-pass-2")
    with pytest.raises(YibaoError) as unknown:
        led.operator_login("9999", "clerk-pass-2")
    assert (disabled.value.code, disabled.value.params) == (unknown.value.code, unknown.value.params)
    assert disabled.value.code == "BAD_CREDENTIALS"
    assert staff.operator_enable(led, "7002").status == "active"
    assert led.operator_login("7002", "clerk-pass-2").id == "7002"
    actions = [r.action for r in led.audit(limit=10)]
    assert "operator.disable" in actions and "operator.enable" in actions
    led.close()


def test_unlock_and_reset_password_without_waiting(db_path):
    led = _staffed(db_path)
    for _ in range(5):
        code_of(led.operator_login, "7002", "wrong-password")
    assert code_of(led.operator_login, "7002", "clerk-pass-2") == "OPERATOR_LOCKED"
    assert [o.status for o in staff.operators(led) if o.id == "7002"] == ["locked"]
    assert staff.operator_unlock(led, "7002").status == "active"
    assert led.operator_login("7002", "clerk-pass-2").id == "7002"
    assert code_of(staff.operator_reset_password, led, "7002", "short") == "INVALID_ARGUMENT"
    staff.operator_reset_password(led, "7002", "a-new-password")
    assert code_of(led.operator_login, "7002", "clerk-pass-2") == "BAD_CREDENTIALS"
    assert led.operator_login("7002", "a-new-password").id == "7002"
    reset = [r for r in led.audit(limit=20) if r.action == "operator.reset_password"]
    assert len(reset) == 1 and "a-new-password" not in reset[0].detail
    assert code_of(staff.operator_unlock, led, "nobody") == "UNKNOWN_OPERATOR"
    led.close()


def test_only_a_supervisor_manages_operators_at_a_window(db_path):
    _staffed(db_path).close()
    clerk = Ledger(db_path, clock=frozen_clock, channel="counter", operator="7002")
    for fn in (staff.operators, lambda led: staff.operator_disable(led, "7001"),
               lambda led: staff.operator_unlock(led, "7001"), lambda led: staff.audit_page(led)):
        assert code_of(fn, clerk) == "SUPERVISOR_REQUIRED"
    clerk.close()
    boss = Ledger(db_path, clock=frozen_clock, channel="counter", operator="7001")
    assert [o.id for o in staff.operators(boss)] == ["7001", "7002"]
    assert code_of(staff.operator_disable, boss, "7001") == "OPERATOR_SELF"
    staff.operator_disable(boss, "7002")
    row = boss.audit(limit=1)[0]
    assert (row.action, row.channel, row.operator) == ("operator.disable", "counter", "7001")
    boss.close()
    kiosk = Ledger(db_path, clock=frozen_clock, channel="kiosk")
    assert code_of(staff.operators, kiosk) == "SUPERVISOR_REQUIRED"
    kiosk.close()


def test_a_disabled_supervisor_loses_the_supervisor_screens(db_path):
    led = _staffed(db_path)
    led.operator_add("7003", "孙主管", "supervisor", "supervisor-pass")
    staff.operator_disable(led, "7003")
    s = Ledger(db_path, clock=frozen_clock, channel="counter", operator="7003")
    assert code_of(staff.audit_page, s) == "SUPERVISOR_REQUIRED"
    s.close()
    led.close()


# --------------------------------------------------------------------------- item 11: audit
def test_audit_pages_by_keyset_and_filters(db_path):
    led = _staffed(db_path)
    fam = Family(led)
    for i in range(7):
        led.credit(fam.holder, 1_000 + i)
    code_of(led.operator_login, "7002", "wrong-password")
    every = []
    cursor = None
    while True:
        page = staff.audit_page(led, person=fam.holder, cursor=cursor, limit=3)
        every += [r.seq for r in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert every == sorted(every, reverse=True) and len(every) == len(set(every))
    assert len(every) == len(led.audit(person=fam.holder, limit=10_000))
    credits = staff.audit_page(led, action="credit", limit=100).rows
    assert len(credits) == 7 and {r.action for r in credits} == {"credit"}
    logins = staff.audit_page(led, action="operator.login", limit=100).rows
    assert [r.action for r in logins] == ["operator.login.failed"]  # an action finds its outcomes
    assert [r.action for r in staff.audit_page(led, operator="7002", limit=100).rows] == ["operator.login.failed"]
    assert staff.audit_page(led, date_from="2026-11-22", date_to="2026-11-22", action="credit").rows
    assert not staff.audit_page(led, date_to="2025-01-01", action="credit").rows
    assert code_of(staff.audit_page, led, date_from="2027-01-01", date_to="2026-01-01") == "INVALID_DATE"
    assert code_of(staff.audit_page, led, cursor="x") == "INVALID_ARGUMENT"
    reads = [r for r in led.audit(limit=100) if r.action == "audit.read"]
    assert reads and fam.holder not in "".join(r.detail for r in reads)  # reading the log is recorded, masked
    led.close()


def test_audit_detail_is_a_readable_masked_line_in_the_users_language():
    holder, relative = pid("440300", "1985-06-15", 11), pid("440300", "2014-09-09", 31)
    detail = json.dumps({"op": 7, "holder": holder, "relative": relative, "relation": "child",
                         "verified_by": "counter"})
    row = AuditRow(9, "2026-11-22 10:00:00", "counter", "7002", "family.bind", holder, detail)
    zh = describe(row, "zh")
    assert "子女" in zh and "窗口" in zh and holder not in zh and relative not in zh
    assert "{" not in zh and "op" not in zh
    en = describe(row, "en")
    assert "child" in en and "relative" in en and relative[:3] + "*" in en
    pay = AuditRow(10, "2026-11-22 10:00:00", "cli", None, "credit", holder,
                   json.dumps({"op": 8, "id": holder, "amount": 12_345, "memo": "=HYPERLINK(1)"}))
    assert "¥123.45" in describe(pay, "zh")
    login = AuditRow(11, "2026-11-22 10:00:00", "counter", "7002", "operator.login.refused", None,
                     "7002 OPERATOR_LOCKED")
    assert describe(login, "zh") == "7002 工号已锁定" and describe(login, "en") == "7002 operator locked"
