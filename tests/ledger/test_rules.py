"""Every rule and error code, through the ledger, on a real SQLite file."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import Family, frozen_clock, pid
from yibao_tui.domain.errors import YibaoError
from yibao_tui.ledger.store import Ledger


def code_of(fn, *args, **kwargs) -> str:
    with pytest.raises(YibaoError) as e:
        fn(*args, **kwargs)
    return e.value.code


def test_person_add_and_lookup_by_card(ledger: Ledger, family: Family):
    p = ledger.person("a1000001")
    assert p.id == family.holder and p.balance_fen == 500_000 and p.scheme == "employee"
    assert ledger.person(family.child).balance_fen is None
    assert code_of(ledger.add_person, family.holder, "x", "employee", "440300") == "PERSON_EXISTS"
    assert code_of(ledger.add_person, pid(seq=99), "x", "employee", "440300", "A1000001") == "CARD_IN_USE"
    assert code_of(ledger.add_person, pid(seq=98), "x", "employee", "990000") == "INVALID_REGION"
    assert code_of(ledger.add_person, pid(seq=97), "\x1b[31mx", "employee", "440300") == "INVALID_NAME"
    assert code_of(ledger.add_person, "110105194912310021", "x", "employee", "110000") == "INVALID_ID_NUMBER"
    assert code_of(ledger.person, pid(seq=96)) == "UNKNOWN_PERSON"


def test_markup_name_is_stored_literally(ledger: Ledger):
    who = pid(seq=1)
    ledger.add_person(who, "[/b]张三[bold]", "employee", "440300")
    assert ledger.person(who).name == "[/b]张三[bold]"


def test_credit_and_statement_running_balance(ledger: Ledger, family: Family):
    ledger.credit(family.holder, 30_000, time="2026-01-05 08:00:00")
    ledger.spend(family.holder, 10_000, "pharmacy", time="2026-02-10 10:00:00")
    ledger.credit(family.holder, 30_000, time="2026-03-05 08:00:00")
    page = ledger.statement(family.holder, newest_first=False)
    assert [e.amount_fen for e in page.entries] == [500_000, 30_000, -10_000, 30_000]
    assert [e.balance_after_fen for e in page.entries] == [500_000, 530_000, 520_000, 550_000]
    # under a date filter, the opening balance is what stood before the first day
    feb = ledger.statement(family.holder, date_from="2026-02-01", date_to="2026-02-28")
    assert feb.opening_balance_fen == 530_000 and feb.closing_balance_fen == 520_000
    assert [e.kind for e in feb.entries] == ["pharmacy"]
    only_credits = ledger.statement(family.holder, kind="credit")
    assert {e.kind for e in only_credits.entries} == {"credit"}
    assert code_of(ledger.statement, family.holder, date_from="2026-13-01") == "INVALID_DATE"


def test_keyset_pages_cover_everything_once(ledger: Ledger, family: Family):
    for m in range(1, 13):
        ledger.credit(family.holder, 100 * m, time=f"2025-{m:02d}-05 08:00:00")
    seen, cursor = [], None
    while True:
        page = ledger.statement(family.holder, cursor=cursor, limit=5)
        seen += [e.entry_id for e in page.entries]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 13
    assert seen == sorted(seen, reverse=True)


def test_credit_refusals(ledger: Ledger, family: Family):
    assert code_of(ledger.credit, family.child, 100) == "NOT_EMPLOYEE_INSURED"
    assert code_of(ledger.credit, family.holder, 0) == "INVALID_AMOUNT"


def test_idempotency(ledger: Ledger, family: Family):
    a = ledger.credit(family.holder, 100, key="k1")
    b = ledger.credit(family.holder, 100, key="k1")
    assert not a.replayed and b.replayed and a.balance_after_fen == b.balance_after_fen
    assert ledger.balance(family.holder).balance_fen == 500_100
    assert code_of(ledger.credit, family.holder, 200, key="k1") == "IDEMPOTENCY_CONFLICT"
    assert code_of(ledger.spend, family.holder, 100, "pharmacy", key="k1") == "IDEMPOTENCY_CONFLICT"


def test_binding_rules(ledger: Ledger, family: Family):
    b = ledger.bind(family.holder, family.spouse, "配偶", "face")
    assert b.relation == "spouse" and b.status == "active" and b.verified_by == "face"
    assert code_of(ledger.bind, family.holder, family.spouse, "spouse") == "ALREADY_BOUND"
    assert code_of(ledger.bind, family.holder, family.holder, "spouse") == "SELF_BINDING"
    assert code_of(ledger.bind, family.holder, family.parent, "cousin") == "NOT_CLOSE_RELATIVE"
    assert code_of(ledger.bind, family.holder, family.parent, "child") == "RELATION_IMPLAUSIBLE"
    assert code_of(ledger.bind, family.holder, family.child, "parent") == "RELATION_IMPLAUSIBLE"
    assert code_of(ledger.bind, family.child, family.holder, "parent") == "NOT_EMPLOYEE_INSURED"
    # under 16: face is not enough; the letter (承诺书 + 户口簿) or a counter check
    assert code_of(ledger.bind, family.holder, family.child, "child", "face") == "VERIFICATION_NOT_ACCEPTED"
    assert code_of(ledger.bind, family.holder, family.parent, "parent", "letter") == "VERIFICATION_NOT_ACCEPTED"
    ledger.bind(family.holder, family.child, "child", "letter")
    ledger.bind(family.holder, family.parent, "parent", "counter")
    other = pid("440300", "1999-01-01", 61)
    ledger.add_person(other, "赵六", "resident", "440300")
    assert code_of(ledger.bind, family.holder, other, "spouse") == "RELATION_LIMIT_REACHED"
    assert code_of(ledger.unbind, family.holder, other) == "NOT_BOUND"
    ended = ledger.unbind(family.holder, family.spouse)
    assert ended.status == "ended" and ended.unbound_at
    assert [x.relative_id for x in ledger.bindings(family.holder)] == [family.child, family.parent]
    assert len(ledger.bindings(family.holder, include_ended=True)) == 3  # history is kept
    ledger.bind(family.holder, family.spouse, "spouse")  # rebinding is allowed


def test_binding_cap_and_cross_region(ledger: Ledger, family: Family):
    siblings = [pid("440300", f"198{i}-02-02", 70 + i) for i in range(7)]
    for i, s in enumerate(siblings):
        ledger.add_person(s, f"兄{i}", "resident", "440300")
    for s in siblings[:6]:
        ledger.bind(family.holder, s, "sibling")
    assert code_of(ledger.bind, family.holder, siblings[6], "sibling") == "BINDING_LIMIT_REACHED"
    far = pid("110000", "1960-01-01", 81)
    ledger.add_person(far, "远亲", "resident", "110000")
    assert code_of(ledger.bind, family.spouse, far, "parent") == "CROSS_REGION_NOT_ALLOWED"


def test_pledge_needed_at_first_binding(ledger: Ledger, family: Family):
    assert code_of(ledger.bind, family.spouse, family.child, "child", "counter", False) == "PLEDGE_REQUIRED"
    ledger.bind(family.spouse, family.child, "child", "counter", True)
    ledger.bind(family.spouse, family.parent, "parent-in-law" if False else "parent", "counter", False)


def test_one_way_region(ledger: Ledger):
    f = Family(ledger, region="370900")  # 泰安: one-way groups
    ledger.bind(f.holder, f.spouse, "spouse")
    assert code_of(ledger.bind, f.spouse, f.child, "child") == "ONE_WAY_BINDING"


def test_closed_account_refuses(ledger: Ledger, family: Family, db_path):
    ledger.spend(family.spouse, 10_000, "outpatient")  # a closed account is an empty one
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE accounts SET status = 'closed' WHERE person_id = ?", (family.spouse,))
    conn.commit()
    conn.close()
    assert code_of(ledger.credit, family.spouse, 100) == "ACCOUNT_CLOSED"
    assert code_of(ledger.bind, family.spouse, family.child, "child") == "ACCOUNT_CLOSED"


def test_spend_payer_order_and_cash(ledger: Ledger, family: Family):
    ledger.bind(family.holder, family.child, "child")
    ledger.bind(family.spouse, family.child, "child")
    # the child has no account: highest balance first (holder 5,000 > spouse 100)
    r = ledger.spend(family.child, 600_000, "outpatient")
    assert [(c.account_id, c.amount_fen) for c in r.charges] == [(family.holder, 500_000), (family.spouse, 10_000)]
    assert r.cash_fen == 90_000
    assert code_of(ledger.spend, family.child, 100, "outpatient") == "NO_PAYING_ACCOUNT"
    assert code_of(ledger.spend, family.holder, 100, "pension") == "USE_NOT_ALLOWED"
    assert code_of(ledger.spend, family.holder, 100, "commercial-insurance") == "USE_NOT_ALLOWED"
    assert code_of(ledger.spend, family.parent, 100, "outpatient") == "NO_PAYING_ACCOUNT"


def test_spend_own_account_first(ledger: Ledger, family: Family):
    ledger.bind(family.holder, family.spouse, "spouse")
    r = ledger.spend(family.spouse, 15_000, "pharmacy")
    assert [(c.account_id, c.amount_fen) for c in r.charges] == [(family.spouse, 10_000), (family.holder, 5_000)]
    assert r.cash_fen == 0


def test_premium(ledger: Ledger, family: Family):
    assert code_of(ledger.premium_quote, family.holder, family.parent, 2027) == "NOT_BOUND"
    ledger.bind(family.holder, family.parent, "parent")
    ledger.bind(family.holder, family.spouse, "spouse")
    q = ledger.premium_quote(family.holder, family.parent, 2027)
    assert (q.amount_fen, q.balance_fen, q.balance_after_fen) == (40_000, 500_000, 460_000)
    assert code_of(ledger.premium_quote, family.holder, family.spouse, 2027) == "NOT_RESIDENT_INSURED"
    p = ledger.premium_pay(family.holder, family.parent, 2027, key="pay-1")
    assert p.amount_fen == 40_000 and p.balance_after_fen == 460_000 and not p.replayed
    again = ledger.premium_pay(family.holder, family.parent, 2027, key="pay-1")
    assert again.replayed and again.payment_id == p.payment_id
    assert code_of(ledger.premium_pay, family.holder, family.parent, 2027, key="pay-2") == "PREMIUM_ALREADY_PAID"
    assert ledger.balance(family.holder).balance_fen == 460_000
    assert [x.payment_id for x in ledger.premium_payments(family.holder)] == [p.payment_id]


def test_premium_insufficient_balance_changes_nothing(ledger: Ledger, family: Family):
    ledger.bind(family.spouse, family.child, "child")
    before = ledger.statement(family.spouse)
    assert code_of(ledger.premium_pay, family.spouse, family.child, 2027) == "INSUFFICIENT_BALANCE"
    after = ledger.statement(family.spouse)
    assert before.entries == after.entries and ledger.balance(family.spouse).balance_fen == 10_000


def test_withdrawal(ledger: Ledger, family: Family):
    v = ledger.withdrawal_check(family.holder, "death", {"death_certified": "yes", "heir_proven": "是", "agent": "yes"}).render("zh")
    assert v.eligible and v.payee == "heir" and v.balance_fen == 500_000
    assert any("授权委托书" in m for m in v.materials) and len(v.warnings) == 4
    v2 = ledger.withdrawal_check(family.holder, "emigration", {"settled_abroad": "no"}).render("zh")
    assert not v2.eligible and len(v2.unmet) == 4
    v3 = ledger.withdrawal_check(family.child, "death", {"death_certified": "yes", "heir_proven": "yes"})
    assert not v3.eligible  # resident: no personal account
    v4 = ledger.withdrawal_check(family.holder, "serious-illness", {"diagnosed": "yes", "bills_available": "yes"})
    assert not v4.eligible  # not accepted in this region by default
    assert code_of(ledger.withdrawal_check, family.holder, "lottery", {}) == "UNKNOWN_WITHDRAWAL_CASE"
    assert code_of(ledger.withdrawal_check, family.holder, "death", {"bogus": "yes"}) == "INVALID_FACT"
    assert code_of(ledger.withdrawal_check, family.holder, "death", {"agent": "maybe"}) == "INVALID_FACT"


def test_waiting_time_from_site_policy(ledger: Ledger, family: Family, tmp_path, monkeypatch):
    site = tmp_path / "site.toml"
    site.write_text('[region."440300".withdrawal.case.left-employee-insurance]\nwaiting_months = 2\n', encoding="utf-8")
    monkeypatch.setenv("YIBAO_POLICY", str(site))
    v = ledger.withdrawal_check(family.holder, "left-employee-insurance", {"insurance_stopped": "yes", "months_since_stop": "1"}).render("zh")
    assert not v.eligible and any("2" in u for u in v.unmet)
    v = ledger.withdrawal_check(family.holder, "left-employee-insurance", {"insurance_stopped": "yes", "months_since_stop": "2"})
    assert v.eligible


def test_entries_are_immutable(ledger: Ledger, family: Family, db_path):
    ledger.bind(family.holder, family.spouse, "spouse")
    conn = sqlite3.connect(db_path, isolation_level=None)
    for sql in ("UPDATE entries SET amount = 1", "DELETE FROM entries", "UPDATE transfers SET amount = 1",
                "DELETE FROM audit", "UPDATE audit SET action = 'x'", "DELETE FROM bindings"):
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute(sql)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE accounts SET balance = -1 WHERE person_id = ?", (family.holder,))
    conn.close()


def test_every_read_and_write_is_audited_and_chained(ledger: Ledger, family: Family):
    n0 = len(ledger.audit(limit=10_000))
    ledger.balance(family.holder)
    ledger.statement(family.holder)
    ledger.credit(family.holder, 100)
    rows = ledger.audit(person=family.holder, limit=3)
    assert [r.action for r in rows] == ["credit", "statement", "balance"]
    assert len(ledger.audit(limit=10_000)) == n0 + 3
    assert ledger.verify().ok


def test_verify_detects_tampering(tmp_path):
    path = tmp_path / "tampered.db"
    led = Ledger(path, clock=frozen_clock)
    family = Family(led)
    led.credit(family.holder, 100)
    led.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER entries_no_update")
    conn.execute("UPDATE entries SET amount = amount + 1 WHERE id = (SELECT MAX(id) FROM entries)")
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("UPDATE audit SET subject = 'x' WHERE seq = 1")
    conn.close()
    report = Ledger(path, clock=frozen_clock).verify()
    assert not report.ok
    text = "\n".join(report.failures)
    assert "entries sum" in text and "audit #1" in text and "transfer" in text


def test_verify_detects_orphan_premium_and_withdrawal_transfers_and_a_closed_account_with_money(tmp_path):
    path = tmp_path / "tampered.db"
    led = Ledger(path, clock=frozen_clock)
    family = Family(led)
    led.close()
    conn = sqlite3.connect(path, isolation_level=None)
    acct = conn.execute("SELECT id FROM accounts WHERE person_id = ?", (family.holder,)).fetchone()[0]
    sys_premium = conn.execute("SELECT id FROM accounts WHERE code = 'SYS:premium'").fetchone()[0]
    sys_wd = conn.execute("SELECT id FROM accounts WHERE code = 'SYS:withdrawal'").fetchone()[0]
    conn.execute("BEGIN")
    for kind, to in (("premium", sys_premium), ("withdrawal", sys_wd)):  # balanced, but no record behind
        tid = conn.execute(
            "INSERT INTO transfers (kind, debit_account, credit_account, amount, time) VALUES (?, ?, ?, 100, ?)",
            (kind, acct, to, "2026-11-22 10:00:00")).lastrowid
        for a, amount in ((acct, -100), (to, 100)):
            bal = conn.execute("UPDATE accounts SET balance = balance + ? WHERE id = ? RETURNING balance",
                               (amount, a)).fetchone()[0]
            conn.execute("INSERT INTO entries (transfer_id, account_id, amount, balance_after, time, kind)"
                         " VALUES (?, ?, ?, ?, ?, ?)", (tid, a, amount, bal, "2026-11-22 10:00:00", kind))
    conn.execute("UPDATE accounts SET status = 'closed' WHERE id = ?", (acct,))
    conn.execute("COMMIT")
    conn.close()
    report = Ledger(path, clock=frozen_clock).verify()
    text = "\n".join(report.failures)
    assert not report.ok
    assert "premium transfer without its payment record" in text
    assert "withdrawal without its withdrawal record" in text
    assert "closed with a balance" in text
    assert "entries sum" not in text  # balanced and consistent: only the new checks see it


def test_corrupt_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database at all" * 100)
    assert code_of(Ledger(bad).balance, pid()) == "DATABASE_CORRUPT"


def test_import_all_or_nothing(ledger: Ledger, family: Family):
    good = {"line": "2", "id": pid(seq=201), "name": "甲", "scheme": "employee", "region": "440300", "card": "", "opening_balance": "¥1,000"}
    bad = {"line": "3", "id": "110105194912310021", "name": "乙", "scheme": "resident", "region": "110000", "card": "", "opening_balance": ""}
    dup = {"line": "4", "id": family.holder, "name": "丙", "scheme": "employee", "region": "440300", "card": "", "opening_balance": ""}
    r = ledger.import_persons([good, bad, dup])
    assert r.imported == 0 and [e["line"] for e in r.errors] == [3, 4]
    assert [e["code"] for e in r.errors] == ["INVALID_ID_NUMBER", "PERSON_EXISTS"]
    assert code_of(ledger.person, good["id"]) == "UNKNOWN_PERSON"
    assert ledger.import_persons([good]).imported == 1
    assert ledger.balance(good["id"]).balance_fen == 100_000


def test_demo_is_deterministic_and_verifies(tmp_path):
    a, b = Ledger(tmp_path / "a.db", clock=frozen_clock), Ledger(tmp_path / "b.db", clock=frozen_clock)
    ra, rb = a.demo(12, 7), b.demo(12, 7)
    assert ra == rb and ra["persons"] == 12 and ra["entries"] > 300
    owner = a.meta("demo_owner")
    assert owner == ra["owner"] and len(a.bindings(owner)) >= 1
    assert a.verify().ok
    months = {e.time[:7] for e in a.iter_statement(owner)}
    assert len(months) >= 24  # two years and more of history
    assert code_of(a.demo, 5, 1) == "INVALID_ARGUMENT"  # never into a non-empty ledger


def test_opening_a_ledger_at_the_current_schema_takes_no_write_lock(tmp_path):
    """Every app and CLI call opens the ledger: it must not queue behind a busy writer."""
    import sqlite3

    from yibao_tui.ledger.store import Ledger

    path = tmp_path / "l.db"
    first = Ledger(path)
    assert first.is_empty()  # opening creates the schema
    first.close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        ledger = Ledger(path)
        ledger.conn.execute("PRAGMA busy_timeout = 0")
        assert ledger.is_empty()  # would raise DATABASE_BUSY if opening wrote
        ledger.close()
    finally:
        writer.execute("ROLLBACK")
        writer.close()


async def test_local_backend_close_is_safe_twice(tmp_path):
    """An app that closes its backend on unmount and again on exit must not crash on the way out."""
    from yibao_tui.backend.local import LocalBackend

    backend = LocalBackend(tmp_path / "l.db")
    assert await backend.is_empty()
    await backend.close()
    await backend.close()
    assert not backend.ledger._dbs


def test_balances_answer_each_and_audit_the_found_ones_together(ledger: Ledger, family: Family):
    before = len(ledger.audit(limit=100_000))
    out = ledger.balances([family.holder, "C9999999", family.child, family.spouse])
    assert [getattr(o, "balance_fen", None) for o in out] == [500_000, None, None, 10_000]
    assert [getattr(o, "code", None) for o in out] == [None, "UNKNOWN_PERSON", "NOT_EMPLOYEE_INSURED", None]
    rows = ledger.audit(limit=100_000)
    assert len(rows) - before == 2
    assert {r.subject for r in rows[:2]} == {family.holder, family.spouse}


def test_import_names_the_earlier_line_of_a_duplicate_in_the_users_language(ledger: Ledger):
    from yibao_tui.i18n import set_lang

    row = {"line": "2", "id": pid(seq=211), "name": "甲", "scheme": "resident", "region": "440300", "card": "", "opening_balance": ""}
    again = {**row, "line": "5"}
    try:
        for lang, words in (("zh", "与第 2 行重复"), ("en", "as on line 2")):
            set_lang(lang)
            r = ledger.import_persons([row, again])
            assert r.imported == 0 and r.errors[0]["line"] == 5 and words in r.to_json()["errors"][0]["reason"]
    finally:
        set_lang("zh")


# --- the collection window (issue 10 item 1): tests run on 2026-11-22 with the sample policy ---


def test_premium_outside_the_window_is_refused_naming_it(ledger: Ledger, family: Family):
    ledger.bind(family.holder, family.parent, "parent")
    with pytest.raises(YibaoError) as e:
        ledger.premium_pay(family.holder, family.parent, 2025)  # its window closed on 2025-12-31
    assert e.value.code == "PREMIUM_PERIOD_CLOSED" and e.value.exit_code == 3 and e.value.http_status == 422
    assert e.value.params == {"region": "440300", "year": 2025, "opens": "2024-07-01", "closes": "2025-12-31"}
    assert e.value.message("zh") == "440300 地区 2025 年度居民医保的缴费期为 2024-07-01 至 2025-12-31，今天不在缴费期内"
    assert "2024-07-01 to 2025-12-31" in e.value.message("en")
    assert code_of(ledger.premium_quote, family.holder, family.parent, 2028) == "PREMIUM_PERIOD_CLOSED"  # not yet
    assert ledger.balance(family.holder).balance_fen == 500_000 and ledger.premium_payments(family.holder) == []


def test_premium_inside_the_window_is_paid_and_the_quote_names_the_open_years(ledger: Ledger, family: Family):
    ledger.bind(family.holder, family.parent, "parent")
    q = ledger.premium_quote(family.holder, family.parent, 2026)  # the extension of 2026
    assert q.open_years == [2027, 2026] and (q.opens, q.closes) == ("2025-07-01", "2026-12-31")
    assert ledger.premium_pay(family.holder, family.parent, 2026).year == 2026
    assert ledger.premium_pay(family.holder, family.parent, 2027).year == 2027
    years = ledger.premium_years(family.holder)
    assert years.region == "440300" and years.today == "2026-11-22" and years.open_years == [2027, 2026]
    assert [(w.year, w.open) for w in years.windows] == [(2025, False), (2026, True), (2027, True), (2028, False)]
    assert years.next_window() is not None and years.next_window().year == 2028  # type: ignore[union-attr]
    assert "新生儿" in years.windows[0].note
    assert ledger.premium_years(family.holder, family.parent).open_years == [2027, 2026]
    assert code_of(ledger.premium_years, family.holder, family.child) == "NOT_BOUND"  # only a bound relative's


def test_premium_year_without_a_standard_is_policy_missing_never_guessed(
        ledger: Ledger, family: Family, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("YIBAO_POLICY")  # the shipped policy alone: no standard after 2025
    ledger.bind(family.holder, family.parent, "parent")
    # 2027's window is open on 2026-11-22, but its standard is not configured
    with pytest.raises(YibaoError) as e:
        ledger.premium_pay(family.holder, family.parent, 2027)
    assert e.value.code == "POLICY_MISSING" and e.value.params["year"] == 2027
    assert code_of(ledger.premium_quote, family.holder, family.parent, 2025) == "PREMIUM_PERIOD_CLOSED"
    years = ledger.premium_years(family.holder)
    assert years.open_years == [] and [w.amount_fen for w in years.windows] == [40_000, None, None, None]
    assert years.next_window() is not None and years.next_window().year == 2028  # type: ignore[union-attr]


def test_a_demo_ledger_loads_the_sample_policy_and_is_usable_on_any_date(tmp_path, monkeypatch):
    """Without any site file, in 2031: the demo's sample policy keeps a year open; a plain
    ledger on the same day knows no standard."""
    import datetime as dt

    from yibao_tui.ledger.store import CN_TZ

    monkeypatch.delenv("YIBAO_POLICY")
    day = dt.datetime(2031, 3, 1, 10, 0, tzinfo=CN_TZ)
    demo = Ledger(tmp_path / "demo.db", clock=lambda: day)
    try:
        owner = demo.demo(persons=8)["owner"]
        assert demo.sample_policy and demo.meta("policy") == "sample"
        assert demo.premium_years(owner).open_years == [2031]
        paid = {p.year for p in demo.premium_payments(owner)}
        assert paid == {2030}  # the history pays the years that are over; 2031 is left to pay
        assert demo.verify().ok
    finally:
        demo.close()
    plain = Ledger(tmp_path / "plain.db", clock=lambda: day)
    try:
        plain.add_person(pid(), "王伟", "employee", "440300", opening_balance_fen=100)
        assert not plain.sample_policy and plain.premium_years(pid()).open_years == []
    finally:
        plain.close()
