"""``yibao verify``: re-derive every balance from the entries and check every invariant."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from yibao_tui.domain.idnum import is_ascii_alnum, normalise_id
from yibao_tui.domain.masking import mask_card, mask_id
from yibao_tui.domain.models import VerifyReport
from yibao_tui.domain.policy import policy_for
from yibao_tui.ledger.audit import check_chain
from yibao_tui.ledger.limits import MAX_BALANCE_FEN

if TYPE_CHECKING:
    from yibao_tui.ledger.dialect import Db

LIMIT = 20
#: The one spelling of a stored ID number: 17 ASCII digits and a digit or ``X``.
ID_GLOB = "[0-9]" * 17 + "[0-9X]"


def verify(db: Db, year: int) -> VerifyReport:
    """Every balance from its entries, each transfer balanced, the zero sum, no negative personal
    balance, running balances, the audit chain, the binding caps, one premium per relative-year, a
    record behind every premium and withdrawal transfer, closed accounts empty and holding no active
    binding."""
    dialect = db.dialect
    f: list[str] = dialect.engine_checks(db)  # the engine's own structures, text that is not UTF-8

    def q(sql: str, *args: object) -> list[tuple]:  # type: ignore[type-arg]
        try:
            return db.all(sql, args)
        except dialect.error as e:  # reported, never a crash (and never a row's text)
            f.append(damage(e))
            return []

    for _acct, code, bal, derived in q(
        "SELECT a.id, a.code, a.balance, COALESCE(s.total, 0) FROM accounts a"
        " LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM entries GROUP BY account_id) s"
        " ON s.account_id = a.id WHERE a.balance <> COALESCE(s.total, 0) LIMIT ?", LIMIT
    ):
        f.append(f"account {code}: balance {bal} but its entries sum to {derived}")
    for code, bal in q("SELECT code, balance FROM accounts WHERE kind = 'personal' AND balance < 0 LIMIT ?", LIMIT):
        f.append(f"account {code}: negative balance {bal}")
    for code, bal in q(
        f"SELECT code, balance FROM accounts WHERE {dialect.not_integer('balance')} OR balance > ? OR balance < ? LIMIT ?",
        MAX_BALANCE_FEN, -MAX_BALANCE_FEN, LIMIT,
    ):
        f.append(f"account {code}: balance {bal} is not an integer within ±{MAX_BALANCE_FEN}")
    for table, cols in (("transfers", ("amount",)), ("entries", ("amount", "balance_after")),
                        ("premium_payments", ("amount",)), ("withdrawals", ("amount",))):
        bad = " OR ".join(f"{dialect.not_integer(c)} OR {c} > {MAX_BALANCE_FEN} OR {c} < {-MAX_BALANCE_FEN}" for c in cols)
        for rowid, in q(f"SELECT id FROM {table} WHERE {bad} LIMIT ?", LIMIT):  # noqa: S608 - constants
            f.append(f"{table} {rowid}: an amount that is not an integer within ±{MAX_BALANCE_FEN}")
    total = sum(int(b) for b, in q(f"SELECT balance FROM accounts WHERE NOT ({dialect.not_integer('balance')})"))
    if total != 0:
        f.append(f"balances sum to {total}, not zero")
    for tid, n, s in q(
        "SELECT t.id, COUNT(e.id), COALESCE(SUM(e.amount), 0) FROM transfers t LEFT JOIN entries e"
        " ON e.transfer_id = t.id GROUP BY t.id HAVING COUNT(e.id) <> 2 OR SUM(e.amount) <> 0 LIMIT ?", LIMIT
    ):
        f.append(f"transfer {tid}: {n} entries summing to {s} (a half-written transfer)")
    for tid, in q(
        "SELECT t.id FROM transfers t WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.transfer_id = t.id"
        " AND e.account_id = t.debit_account AND e.amount = -t.amount) OR NOT EXISTS (SELECT 1 FROM entries e"
        " WHERE e.transfer_id = t.id AND e.account_id = t.credit_account AND e.amount = t.amount) LIMIT ?", LIMIT
    ):
        f.append(f"transfer {tid}: its entries do not match its accounts and amount")
    for eid, acct, after, run in q(
        "SELECT id, account_id, balance_after, run FROM (SELECT id, account_id, balance_after,"
        " SUM(amount) OVER (PARTITION BY account_id ORDER BY time, id) AS run FROM entries) AS r"
        " WHERE run <> balance_after LIMIT ?", LIMIT
    ):
        f.append(f"entry {eid} (account {acct}): running balance {after}, derived {run}")
    try:
        f += check_chain(db, LIMIT)
    except dialect.error as e:
        f.append(damage(e))
    f += _identifier_checks(q, dialect.glob)
    caps: dict[str, int] = {}
    for holder, region, n in q(
        "SELECT b.holder_id, p.region, COUNT(*) FROM bindings b JOIN persons p ON p.id = b.holder_id"
        " WHERE b.status = 'active' GROUP BY b.holder_id, p.region"
    ):
        cap = caps.setdefault(region, policy_for(region, year).binding_cap)
        if n > cap:
            f.append(f"holder {holder}: {n} active bindings, above the cap of {cap}")
    for holder, region, relation, n in q(
        "SELECT b.holder_id, p.region, b.relation, COUNT(*) FROM bindings b JOIN persons p ON p.id = b.holder_id"
        " WHERE b.status = 'active' GROUP BY b.holder_id, p.region, b.relation"
    ):
        rcap = policy_for(region, year).relation_caps.get(relation)
        if rcap is not None and n > rcap:
            f.append(f"holder {holder}: {n} active {relation} bindings, above {rcap}")
    for rid, y, n in q("SELECT relative_id, year, COUNT(*) FROM premium_payments GROUP BY relative_id, year HAVING COUNT(*) > 1"):
        f.append(f"premium for {rid} in {y} paid {n} times")
    for pid, tid in q(
        "SELECT pp.payment_id, pp.transfer_id FROM premium_payments pp LEFT JOIN transfers t ON t.id = pp.transfer_id"
        " WHERE t.id IS NULL OR t.amount <> pp.amount OR t.kind <> 'premium'"
    ):
        f.append(f"payment {pid}: its transfer {tid} is missing or different")
    for tid, in q(
        "SELECT t.id FROM transfers t WHERE t.kind = 'premium'"
        " AND NOT EXISTS (SELECT 1 FROM premium_payments pp WHERE pp.transfer_id = t.id) LIMIT ?", LIMIT
    ):
        f.append(f"transfer {tid}: a premium transfer without its payment record")
    for tid, in q(
        "SELECT t.id FROM transfers t WHERE t.kind = 'withdrawal'"
        " AND NOT EXISTS (SELECT 1 FROM withdrawals w WHERE w.transfer_id = t.id) LIMIT ?", LIMIT
    ):
        f.append(f"transfer {tid}: a withdrawal without its withdrawal record")
    for code, bal in q("SELECT code, balance FROM accounts WHERE status = 'closed' AND balance <> 0 LIMIT ?", LIMIT):
        f.append(f"account {code}: closed with a balance of {bal}")
    for wid, code in q(
        "SELECT w.withdrawal_id, a.code FROM withdrawals w JOIN accounts a ON a.person_id = w.person_id"
        " WHERE a.status <> 'closed' LIMIT ?", LIMIT
    ):
        f.append(f"withdrawal {wid}: account {code} was paid out but is not closed")
    for holder, relative in q(
        "SELECT b.holder_id, b.relative_id FROM bindings b JOIN accounts a ON a.person_id = b.holder_id"
        " WHERE b.status = 'active' AND a.status = 'closed' LIMIT ?", LIMIT
    ):
        f.append(f"binding {holder} → {relative}: active, but the holder's account is closed")
    for op, in q("SELECT id FROM operations WHERE response IS NULL LIMIT ?", LIMIT):
        f.append(f"operation {op}: no recorded response (half-written)")
    counts = q("SELECT (SELECT COUNT(*) FROM accounts), (SELECT COUNT(*) FROM entries), (SELECT COUNT(*) FROM audit)")[0]
    return VerifyReport(ok=not f, failures=f, accounts=counts[0], entries=counts[1], audit=counts[2])


def _identifier_checks(q: Callable[..., list[tuple]], glob: Callable[[str, str], str]) -> list[str]:  # type: ignore[type-arg]
    """ID and card numbers stored in another spelling than their ASCII one (a ledger written
    before identifiers were folded), and the records that are one person under two spellings."""
    f: list[str] = []
    groups: dict[str, list[str]] = {}
    for (raw,) in q(f"SELECT id FROM persons WHERE NOT {glob('id', ID_GLOB)}"):
        groups.setdefault(normalise_id(raw), []).append(raw)
    for norm, raws in groups.items():
        shown = masked(norm)
        n = len(raws) + len(q("SELECT 1 FROM persons WHERE id = ?", norm))
        if n > 1:
            f.append(f"ID number {shown}: {n} person records for one number (spelled differently)")
        else:
            f.append(f"person {shown}: ID number not stored in its ASCII form")
        if len(f) >= LIMIT:
            return f
    cards: dict[str, int] = {}
    for (raw,) in q(f"SELECT card FROM persons WHERE {glob('card', '*[^0-9A-Z]*')}"):
        cards[normalise_id(raw)] = cards.get(normalise_id(raw), 0) + 1
    for norm, k in cards.items():
        n = k + len(q("SELECT 1 FROM persons WHERE card = ?", norm))
        what = f"{n} persons hold one card number (spelled differently)" if n > 1 else "not stored in its ASCII form"
        f.append(f"card {masked(norm, card=True)}: {what}")
    return f[:LIMIT]


def masked(text: str, card: bool = False) -> str:
    """A masked identifier; characters other than ASCII letters and digits never shown."""
    shown = "".join(c if is_ascii_alnum(c) else "?" for c in text)
    return mask_card(shown) if card else mask_id(shown)


def damage(e: Exception) -> str:
    """What a failed query tells, without the row text SQLite quotes (a full ID, a name)."""
    text = str(e).lower()
    if "overflow" in text:
        return "amounts too large to add up (integer overflow): the ledger holds amounts beyond its limits"
    if "could not decode" in text:
        return "damaged text (not valid UTF-8) in the ledger file"
    return f"the ledger file is damaged ({text.split(' with text ')[0][:80]})"
