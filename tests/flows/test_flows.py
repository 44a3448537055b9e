"""The Textual-free flows (``yibao_tui.tui.flows``) on a real SQLite ledger, without an app."""

from __future__ import annotations

import pytest

from tests.tui.tuikit import CHILD, HOLDER, POOR, RELATIVE
from yibao_tui.backend.local import LocalBackend
from yibao_tui.domain.masking import mask_name
from yibao_tui.tui.flows.pager import StatementFilter, StatementPager
from yibao_tui.tui.flows.premium import PremiumFlow
from yibao_tui.tui.flows.withdrawal import WithdrawalChecklist


async def checks(backend: LocalBackend, who: str) -> int:
    rows = await backend.audit(person=who, limit=500)
    return sum(1 for r in rows if r.action == "withdrawal.check")


# --- the statement pager ------------------------------------------------------------------------


async def test_pager_walks_keyset_pages_and_counts_them(backend):
    pager = StatementPager(backend, HOLDER, page_size=2)
    page = await pager.first()
    assert pager.number == 1 and pager.total == 3 and pager.pages == 2  # opening, credit, spend
    assert len(page.entries) == 2 and pager.has_next and not pager.has_prev
    older = await pager.next()
    assert older is not None and pager.number == 2 and not pager.has_next
    assert {e.entry_id for e in older.entries}.isdisjoint({e.entry_id for e in page.entries})
    assert await pager.next() is None and pager.number == 2  # nothing past the last
    again = await pager.prev()
    assert again is not None and [e.entry_id for e in again.entries] == [e.entry_id for e in page.entries]
    assert await pager.prev() is None and pager.number == 1


async def test_pager_filters_restart_at_the_first_page(backend):
    pager = StatementPager(backend, HOLDER, page_size=1)
    await pager.first()
    await pager.next()
    page = await pager.first(StatementFilter(kind="pharmacy"))
    assert pager.number == 1 and pager.total == 1 and pager.pages == 1
    assert [e.kind for e in page.entries] == ["pharmacy"]


async def test_pager_keeps_its_place_when_a_page_fails(backend):
    from yibao_tui.domain.errors import YibaoError

    pager = StatementPager(backend, HOLDER, page_size=1)
    await pager.first()
    pager.filter = StatementFilter(date_from="2025-13-45")  # the backend refuses it
    with pytest.raises(YibaoError):
        await pager.next()
    assert pager.number == 1


# --- the premium flow ---------------------------------------------------------------------------


async def test_premium_one_key_per_confirmation(backend):
    flow = PremiumFlow(backend, HOLDER)
    await flow.load()
    assert flow.relative == RELATIVE  # the only one bound: chosen
    # the sample policy on 2025-12-01: 2026 (its window) and 2025 (its extension) are open
    assert flow.years == [2026, 2025] and flow.year == 2026 and flow.none_open() is None
    flow.choose(RELATIVE, 2026)
    assert await flow.fetch_quote() is not None and flow.payable
    quote = flow.confirm()
    assert quote is not None
    key = flow.key
    assert flow.confirm() is quote and flow.key == key  # the same confirmation, the same key
    payment = await flow.pay()
    assert not payment.replayed and flow.key is None and not flow.payable
    again = await backend.premium_pay(HOLDER, RELATIVE, 2026, key=key)
    assert again.replayed and again.payment_id == payment.payment_id
    flow.choose(RELATIVE, 2025)
    await flow.fetch_quote()
    flow.confirm()
    first = flow.key
    flow.cancel()
    flow.confirm()
    assert flow.key != first  # cancelled: the next confirmation is a new request


async def test_premium_refusal_is_not_payable(backend):
    flow = PremiumFlow(backend, POOR)
    await flow.load()
    assert flow.relative == CHILD
    await flow.fetch_quote()
    assert flow.quote is not None and flow.refusal is not None
    assert flow.refusal.code == "INSUFFICIENT_BALANCE" and not flow.payable
    assert flow.confirm() is None and flow.key is None
    flow.choose(CHILD, 1990)  # its window closed long ago: refused by the backend
    assert await flow.fetch_quote() is None and flow.refusal is not None and flow.quote is None
    assert flow.refusal.code == "PREMIUM_PERIOD_CLOSED"


async def test_premium_a_new_relative_keeps_the_choice_and_can_be_chosen(backend):
    flow = PremiumFlow(backend, HOLDER)
    await flow.load()
    await flow.fetch_quote()
    await backend.bind(HOLDER, CHILD, "child", "counter", True)
    await flow.load()
    assert flow.relative == RELATIVE and flow.quote is not None  # kept
    assert {b.relative_id for b in flow.relatives} == {RELATIVE, CHILD}
    assert flow.choose(CHILD, flow.year) and flow.quote is None  # the old quote is gone
    quote = await flow.fetch_quote()
    assert quote is not None and quote.relative_id == CHILD


# --- the withdrawal checklist -------------------------------------------------------------------


async def test_checklist_offers_only_the_cases_the_region_enables(backend):
    flow = WithdrawalChecklist(backend, HOLDER)
    await flow.load()
    assert "serious-illness" not in flow.cases and "death" in flow.cases
    assert not flow.choose_case("serious-illness") and flow.case is None


async def test_checklist_verdict_only_for_the_answers_now(backend):
    flow = WithdrawalChecklist(backend, HOLDER)
    await flow.load()
    flow.choose_case("left-employee-insurance")
    flow.answer("insurance_stopped", "yes")
    flow.answer("months_since_stop", "12")
    verdict = await flow.judge()
    assert verdict is not None and verdict.eligible and flow.verdict is verdict
    flow.answer("months_since_stop", "-1")
    assert flow.verdict is None and flow.problem is not None
    assert flow.problem.code == "INVALID_FACT"
    assert await flow.judge() is None
    flow.answer("months_since_stop", "12")
    assert flow.verdict is verdict  # the same answers again: the same verdict, not asked again
    flow.choose_case("death")
    assert flow.verdict is None and flow.answers == {}


async def test_checklist_asks_once_per_distinct_answers(backend):
    """Issue 8 defect 10: one ``withdrawal.check`` audit record per verdict, not per keystroke."""
    before = await checks(backend, HOLDER)
    flow = WithdrawalChecklist(backend, HOLDER)
    await flow.load()
    flow.choose_case("left-employee-insurance")
    flow.answer("insurance_stopped", "yes")
    await flow.judge()
    await flow.judge()
    assert flow.verdict is not None
    for _ in range(3):
        await flow.judge()
    assert await checks(backend, HOLDER) == before + 1
    flow.answer("months_since_stop", "7")
    await flow.judge()
    assert await checks(backend, HOLDER) == before + 2


# --- the binding form ---------------------------------------------------------------------------


async def test_binding_form_checks_as_typed_and_names_once_complete(backend):
    import datetime as dt

    from yibao_tui.tui.flows.binding import BindingForm

    holder = await backend.person(HOLDER)
    form = BindingForm(backend, holder, dt.date(2025, 12, 1), channel="tui")
    await form.load()
    assert not form.first and not form.full and form.cap == 6  # the spouse is bound
    await form.type_id(CHILD[:10])
    assert form.id_error is not None and form.relative_name is None
    await form.type_id(CHILD)
    assert form.id_error is None and form.relative_name == mask_name("[i]小明")  # once complete
    # a 15-year-old on a laptop: the counter's check or a letter; never a face
    assert form.methods() == ["counter", "letter"]
    await form.type_id(RELATIVE)
    assert form.methods() == ["counter"]  # an adult: no letter either
    kiosk = BindingForm(backend, holder, dt.date(2025, 12, 1), channel="kiosk")
    await kiosk.load()
    assert "face" in kiosk.methods()
    await form.type_id(CHILD)
    form.relation = "child"
    first = form.request()
    assert form.request() == first  # the same request, the same key
    form.relation = "spouse"
    assert form.request()[-1] != first[-1]
    form.relation = "child"
    bound = await form.submit()
    assert bound.relative_id == CHILD and len(form.active) == 2


async def test_premium_flow_offers_only_open_years_and_says_when_none_is(tmp_path, monkeypatch):
    """The years come from the Backend (the ledger's today and policy): with the shipped policy
    alone on 2025-12-01 no year is open (2026 has no standard); the flow says so and names the
    next window."""
    monkeypatch.delenv("YIBAO_POLICY")
    from tests.tui.tuikit import clock
    from yibao_tui.backend.base import Actor
    from yibao_tui.ledger.store import Ledger

    led = Ledger(tmp_path / "plain.db", clock=clock)
    led.add_person(HOLDER, "王伟", "employee", "440300", opening_balance_fen=100_000)
    led.close()
    b = LocalBackend(tmp_path / "plain.db", actor=Actor("tui"), clock=clock)
    try:
        flow = PremiumFlow(b, HOLDER)
        await flow.load()
        assert flow.years == [] and flow.year is None
        text = flow.none_open()
        assert text is not None and "今天没有可缴费的年度" in text
        assert "2027 年度缴费期：2026-09-01 至 2026-12-31" in text
    finally:
        await b.close()
