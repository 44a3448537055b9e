"""One behaviour suite, run against LocalBackend and against HttpBackend through the real server."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.http.conftest import REGION, seed
from yibao_tui.backend.base import Backend
from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.idnum import make_id


async def _code(coro: object) -> str:
    with pytest.raises(YibaoError) as info:
        await coro  # type: ignore[misc]
    return info.value.code


async def test_balance_and_person(backend: Backend) -> None:
    ids = await seed(backend)
    bal = await backend.balance(ids["a"])
    assert (bal.id, bal.balance_fen, bal.status) == (ids["a"], 100_000, "active")
    assert (await backend.balance("C0000001")).id == ids["a"]  # by card number
    person = await backend.person(ids["child"])
    assert person.scheme == "resident" and person.balance_fen is None
    assert not await backend.is_empty()


async def test_statement_paging_covers_every_entry_once(backend: Backend) -> None:
    ids = await seed(backend)
    for i in range(7):
        await backend.credit(ids["a"], 1_000 + i, memo=f"m{i}")
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = await backend.statement(ids["a"], cursor=cursor, limit=3)
        seen += [e.entry_id for e in page.entries]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 8
    newest = (await backend.statement(ids["a"], limit=1)).entries[0]
    assert newest.amount_fen == 1_006 and newest.balance_after_fen == 100_000 + sum(range(1_000, 1_007))
    oldest = (await backend.statement(ids["a"], limit=1, newest_first=False)).entries[0]
    assert oldest.kind == "opening"


async def test_bind_list_unbind(backend: Backend) -> None:
    ids = await seed(backend)
    b = await backend.bind(ids["a"], ids["child"], "child")
    assert (b.holder_id, b.relative_id, b.status) == (ids["a"], ids["child"], "active")
    assert [x.relative_id for x in await backend.bindings(ids["a"])] == [ids["child"]]
    assert [x.holder_id for x in await backend.bound_by(ids["child"])] == [ids["a"]]
    assert await _code(backend.bind(ids["a"], ids["child"], "child")) == "ALREADY_BOUND"
    ended = await backend.unbind(ids["a"], ids["child"])
    assert ended.status == "ended"
    assert await backend.bindings(ids["a"]) == []
    assert [x.status for x in await backend.bindings(ids["a"], include_ended=True)] == ["ended"]
    assert await _code(backend.unbind(ids["a"], ids["child"])) == "NOT_BOUND"


async def test_premium_quote_pay_replay_conflict(backend: Backend) -> None:
    ids = await seed(backend)
    await backend.bind(ids["a"], ids["parent"], "parent")
    quote = await backend.premium_quote(ids["a"], ids["parent"], 2027)
    assert (quote.amount_fen, quote.balance_after_fen) == (40_000, 60_000)
    paid = await backend.premium_pay(ids["a"], ids["parent"], 2027, key="pay-1")
    assert (paid.amount_fen, paid.balance_after_fen, paid.replayed) == (40_000, 60_000, False)
    again = await backend.premium_pay(ids["a"], ids["parent"], 2027, key="pay-1")
    assert again.replayed and again.payment_id == paid.payment_id
    assert (await backend.balance(ids["a"])).balance_fen == 60_000
    assert await _code(backend.premium_pay(ids["a"], ids["parent"], 2026, key="pay-1")) == "IDEMPOTENCY_CONFLICT"
    assert await _code(backend.premium_pay(ids["a"], ids["parent"], 2027)) == "PREMIUM_ALREADY_PAID"
    assert [p.payment_id for p in await backend.premium_payments(ids["a"])] == [paid.payment_id]


async def test_spend_own_account_then_cash(backend: Backend) -> None:
    ids = await seed(backend)
    result = await backend.spend(ids["stranger"], 8_000, "pharmacy", key="bill-1")
    assert [(c.account_id, c.amount_fen) for c in result.charges] == [(ids["stranger"], 5_000)]
    assert result.cash_fen == 3_000 and not result.replayed
    replay = await backend.spend(ids["stranger"], 8_000, "pharmacy", key="bill-1")
    assert replay.replayed and replay.cash_fen == 3_000
    assert (await backend.balance(ids["stranger"])).balance_fen == 0
    assert await _code(backend.spend(ids["a"], 100, "pension")) == "USE_NOT_ALLOWED"


async def test_credit_and_its_replay(backend: Backend) -> None:
    ids = await seed(backend)
    first = await backend.credit(ids["b"], 3_000, key="c-1")
    second = await backend.credit(ids["b"], 3_000, key="c-1")
    assert (first.replayed, second.replayed) == (False, True)
    assert second.balance_after_fen == first.balance_after_fen == 23_000


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda b, ids: b.balance(make_id("110101", dt.date(1991, 1, 1), 99)), "UNKNOWN_PERSON"),
        (lambda b, ids: b.credit(ids["a"], -5), "INVALID_AMOUNT"),
        (lambda b, ids: b.add_person("11010119800517011X", "某人", "employee", "110000"), "INVALID_ID_NUMBER"),
        (lambda b, ids: b.bind(ids["a"], ids["a"], "spouse"), "SELF_BINDING"),
        (lambda b, ids: b.bind(ids["a"], ids["stranger"], "cousin"), "NOT_CLOSE_RELATIVE"),
        (lambda b, ids: b.premium_pay(ids["a"], ids["stranger"], 2027), "NOT_BOUND"),
        (lambda b, ids: b.balance(ids["child"]), "NOT_EMPLOYEE_INSURED"),
        (lambda b, ids: b.withdrawal_check(ids["a"], "lottery", {}), "UNKNOWN_WITHDRAWAL_CASE"),
        (lambda b, ids: b.add_person(ids["a"], "重复", "employee", "110000"), "PERSON_EXISTS"),
        (lambda b, ids: b.add_person(make_id("110101", dt.date(2014, 9, 9), 77), "某孩", "employee", "110000"),
         "NOT_WORKING_AGE"),
    ],
)
async def test_errors_have_the_same_codes(backend: Backend, call: object, code: str) -> None:
    ids = await seed(backend)
    with pytest.raises(YibaoError) as info:
        await call(backend, ids)  # type: ignore[operator]
    assert info.value.code == code
    assert info.value.message() and "{" not in info.value.message()


async def test_withdrawal_summary_verify_audit(backend: Backend) -> None:
    ids = await seed(backend)
    verdict = await backend.withdrawal_check(ids["a"], "death", {"death_certified": "yes"})
    assert verdict.case == "death" and verdict.materials
    summary = await backend.summary(ids["a"], 2026, months=3)
    assert summary.id == ids["a"] and len(summary.months) == len(summary.month_balances_fen)
    assert (await backend.verify()).ok
    rows = await backend.audit(person=ids["a"], limit=5)
    assert rows and all(r.subject == ids["a"] for r in rows)


async def test_import_all_or_nothing(backend: Backend) -> None:
    await seed(backend)
    good = {"id": "110101200001010010", "name": "赵一", "scheme": "employee", "region": "110000",
            "card": "", "opening_balance": "10", "line": "2"}
    bad = {**good, "id": "110101200001010015", "line": "3"}
    result = await backend.import_persons([good, bad])
    assert result.imported == 0 and result.errors
    assert (await backend.import_persons([good])).imported == 1


async def test_import_and_person_add_replay_with_their_key(backend: Backend) -> None:
    """Issue 10 item 4: both backends answer a replayed import or registration from its key."""
    rows = [{"line": str(i + 2), "id": make_id("110101", dt.date(1975, 1, 1), 60 + i), "name": f"员工{i}",
             "scheme": "employee", "region": "110000", "card": "", "opening_balance": "1"} for i in range(3)]
    first = await backend.import_persons(rows, key="imp-1")
    assert (first.imported, first.errors, first.replayed) == (3, [], False)
    again = await backend.import_persons(rows, key="imp-1")
    assert (again.imported, again.errors, again.replayed) == (3, [], True)
    assert await _code(backend.import_persons(rows[:2], key="imp-1")) == "IDEMPOTENCY_CONFLICT"
    who = make_id("110101", dt.date(1976, 2, 2), 70)
    added = await backend.add_person(who, "赵六", "resident", "110000", key="add-1")
    replay = await backend.add_person(who, "赵六", "resident", "110000", key="add-1")
    assert (added.replayed, replay.replayed, replay.id) == (False, True, who)


async def test_statement_total_and_refusals(backend: Backend) -> None:
    """Issue 10 item 5: the total on request, an unknown kind and a reversed range refused."""
    ids = await seed(backend)
    for i in range(4):
        await backend.credit(ids["a"], 100 + i)
    page = await backend.statement(ids["a"], limit=2, with_total=True)
    assert (len(page.entries), page.total, page.next_cursor is not None) == (2, 5, True)
    rest = await backend.statement(ids["a"], cursor=page.next_cursor, limit=10, with_total=True)
    assert (len(rest.entries), rest.total, rest.next_cursor) == (3, 5, None)
    assert (await backend.statement(ids["a"], kind="credit", with_total=True)).total == 4
    assert (await backend.statement(ids["a"])).total is None  # counted only when asked
    assert await _code(backend.statement(ids["a"], kind="foo")) == "INVALID_ARGUMENT"
    assert await _code(backend.statement(ids["a"], date_from="2027-01-01", date_to="2026-01-01")) == "INVALID_DATE"


async def test_premium_years_and_the_window_are_the_same_through_the_server(backend: Backend) -> None:
    """Issue 10 item 1: the ledger's today (2026-11-22) and the sample policy decide, on the
    local ledger and through the real server alike."""
    ids = await seed(backend)
    await backend.bind(ids["a"], ids["parent"], "parent")
    years = await backend.premium_years(ids["a"])
    assert years.region == REGION and years.today == "2026-11-22" and years.open_years == [2027, 2026]
    assert [(w.year, w.opens, w.extended_to, w.open) for w in years.windows] == [
        (2025, "2024-07-01", "2025-12-31", False), (2026, "2025-07-01", "2026-12-31", True),
        (2027, "2026-07-01", "2027-12-31", True), (2028, "2027-07-01", "2028-12-31", False)]
    assert (await backend.premium_years(ids["a"], ids["parent"])).open_years == [2027, 2026]
    assert await _code(backend.premium_years(ids["a"], ids["stranger"])) == "NOT_BOUND"
    quote = await backend.premium_quote(ids["a"], ids["parent"], 2027)
    assert quote.open_years == [2027, 2026] and quote.closes == "2027-12-31"
    with pytest.raises(YibaoError) as e:
        await backend.premium_pay(ids["a"], ids["parent"], 2025)
    assert e.value.code == "PREMIUM_PERIOD_CLOSED"
    assert (e.value.params["opens"], e.value.params["closes"], e.value.params["year"]) == ("2024-07-01", "2025-12-31", 2025)
    assert "2024-07-01" in e.value.message("en") and "2025-12-31" in e.value.message("zh")


async def test_binding_rules_and_withdrawal_cases_are_the_ledgers_policy(backend: Backend) -> None:
    """Issue 8 "policy through the backend": what a binding form and the withdrawal checklist
    need to know first comes from the system of record (its policy, its today), the same on the
    local ledger and through the real server."""
    from yibao_tui.domain.policy import policy_for

    ids = await seed(backend)
    policy = policy_for(REGION, 2026)
    rules = await backend.binding_rules(ids["a"], "tui")
    assert (rules.holder_id, rules.region, rules.today, rules.year) == (ids["a"], REGION, "2026-11-22", 2026)
    assert (rules.cap, rules.active, rules.face_age, rules.pledge_required) == (policy.binding_cap, 0,
                                                                                 policy.face_age, True)
    assert rules.methods_for(10) == ["counter", "letter"] and rules.methods_for(40) == ["counter"]
    assert rules.methods_for(None) == ["counter", "letter"]  # no camera on a laptop: never a face
    await backend.bind(ids["a"], ids["parent"], "parent")
    kiosk = await backend.binding_rules("C0000001", "kiosk")  # by card number too
    assert (kiosk.active, kiosk.pledge_required, kiosk.channel) == (1, False, "kiosk")
    assert kiosk.methods_for(40) == ["counter", "face"] and kiosk.methods_for(15) == ["counter", "letter"]
    cases = await backend.withdrawal_cases(ids["a"])
    assert (cases.id, cases.region, cases.year) == (ids["a"], REGION, 2026)
    assert [c.name for c in cases.cases] == [c for c in policy.withdrawal_cases if c in policy.enabled_cases]
    death = next(c for c in cases.cases if c.name == "death")
    assert death.payee == policy.withdrawal_cases["death"].payee
    assert [(q.name, q.type, q.text_in("zh"), q.text_in("en")) for q in death.questions] == [
        (q.name, q.type, q.text.zh, q.text.en) for q in policy.withdrawal_cases["death"].questions]
    assert [m["zh"] for m in cases.always_materials] == [m.zh for m in policy.always_materials]
    assert await _code(backend.binding_rules(make_id("110101", dt.date(1970, 1, 1), 99))) == "UNKNOWN_PERSON"
    assert await _code(backend.withdrawal_cases(make_id("110101", dt.date(1970, 1, 1), 99))) == "UNKNOWN_PERSON"
    actions = [r.action for r in await backend.audit(person=ids["a"], limit=50)]
    assert actions.count("family.rules") == 2 and actions.count("withdrawal.cases") == 1
