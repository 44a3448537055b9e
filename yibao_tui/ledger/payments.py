"""Money in and out of personal accounts: the monthly fund credit and a bill's payment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yibao_tui.domain.errors import Msg, YibaoError
from yibao_tui.domain.models import Charge, CreditResult, SpendResult
from yibao_tui.domain.text import check_memo
from yibao_tui.ledger.limits import check_amount
from yibao_tui.ledger.persons import facts, resolve_id, row_of
from yibao_tui.ledger.posting import account, lock_accounts, system_account, transfer

if TYPE_CHECKING:
    from yibao_tui.ledger.dialect import Db
    from yibao_tui.ledger.store import Ledger


def credit(led: Ledger, who: str, amount_fen: int, memo: str = "", key: str | None = None,
           time: str | None = None) -> CreditResult:
    """The monthly fund credit (划入)."""
    from yibao_tui.domain import rules

    check_amount(amount_fen)
    memo = check_memo(memo)
    pid = resolve_id(led, who)

    def body(db: Db, op_id: int, now: str) -> dict[str, Any]:
        rules.require_account_usable(facts(row_of(db, pid)))
        acct, _, _ = account(db, pid)
        _, after = transfer(db, op_id, "credit", system_account(db, "fund"), acct, amount_fen, now, memo)
        return CreditResult(id=pid, amount_fen=amount_fen, balance_after_fen=after).to_json()

    response, replayed = led.write("credit", {"id": pid, "amount": amount_fen, "memo": memo}, key, body, pid, time)
    return CreditResult.from_json({**response, "replayed": replayed})


def spend(led: Ledger, patient: str, amount_fen: int, kind: str, key: str | None = None,
          time: str | None = None) -> SpendResult:
    """A bill: the patient's own account first, then the holders who bound the patient."""
    from yibao_tui.domain import rules
    from yibao_tui.domain.policy import policy_for

    check_amount(amount_fen)
    rules.check_spend_kind(kind)
    pid = resolve_id(led, patient)

    def body(db: Db, op_id: int, now: str) -> dict[str, Any]:
        provider = system_account(db, "provider")
        if db.dialect.for_update:  # the accounts that may pay, locked before the bill is split
            lock_accounts(db, provider, *(int(r[0]) for r in db.all(
                "SELECT id FROM accounts WHERE person_id = ? UNION SELECT a.id FROM bindings b"
                " JOIN accounts a ON a.person_id = b.holder_id WHERE b.relative_id = ? AND b.status = 'active'",
                (pid, pid))))
        pf = facts(row_of(db, pid))
        year = int(now[:4])
        ppol = policy_for(pf.region, year)
        allowed_somewhere = ppol.allows(kind)
        payers: list[tuple[int, int]] = []  # (account id, balance) in paying order
        if pf.scheme == "employee" and pf.status == "active" and ppol.allows(kind):
            acct, bal, _ = account(db, pid)
            payers.append((acct, bal))
        candidates: list[tuple[int, int, int]] = []
        for bid, _hid, hregion, acct, bal, status in db.all(
            "SELECT b.id, b.holder_id, p.region, a.id, a.balance, a.status FROM bindings b"
            " JOIN persons p ON p.id = b.holder_id JOIN accounts a ON a.person_id = b.holder_id"
            " WHERE b.relative_id = ? AND b.status = 'active'",
            (pid,),
        ):
            hpol = policy_for(hregion, year)
            if status != "active" or not hpol.allows(kind):
                continue
            if not hpol.cross_province and not rules.same_province(hregion, pf.region):
                continue
            allowed_somewhere = True
            candidates.append((bid, acct, bal))
        payers += [(a, b) for _, a, b in rules.order_payers(ppol, candidates)]
        if not allowed_somewhere:
            raise YibaoError("USE_NOT_ALLOWED", use=Msg(f"kind.{kind}"))
        parts, cash = rules.split_bill(amount_fen, [b for _, b in payers])
        if cash == amount_fen:
            raise YibaoError("NO_PAYING_ACCOUNT")
        charges = []
        for (acct, _), part in zip(payers, parts, strict=True):
            if part:
                transfer(db, op_id, kind, acct, provider, part, now, ref=pid)
                owner = db.one("SELECT person_id FROM accounts WHERE id = ?", (acct,))[0]
                charges.append(Charge(account_id=owner, amount_fen=part))
        return SpendResult(patient_id=pid, kind=kind, amount_fen=amount_fen, charges=charges, cash_fen=cash).to_json()

    response, replayed = led.write("spend", {"id": pid, "amount": amount_fen, "kind": kind}, key, body, pid, time)
    return SpendResult.from_json({**response, "replayed": replayed})
