"""Withdrawals (个人账户提取): the checklist verdict, and the payout that closes the account
(counter only, supervisor co-signed)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from yibao_tui.domain.errors import Msg, YibaoError
from yibao_tui.domain.idnum import fold
from yibao_tui.domain.models import (
    CaseQuestion,
    WithdrawalCaseInfo,
    WithdrawalCases,
    WithdrawalReceipt,
)
from yibao_tui.domain.text import check_name
from yibao_tui.ledger.bindings import end_bindings_of_closed
from yibao_tui.ledger.persons import facts as person_facts
from yibao_tui.ledger.persons import resolve, resolve_id, row_of
from yibao_tui.ledger.posting import account, system_account, transfer

if TYPE_CHECKING:
    from yibao_tui.domain.withdrawal import Judgement
    from yibao_tui.ledger.dialect import Db
    from yibao_tui.ledger.store import Ledger

def _texts(text: Any) -> dict[str, str]:
    """A policy text in both languages (data: the edge picks one)."""
    return {"zh": text.zh, "en": text.en}


def withdrawal_cases(led: Ledger, who: str) -> WithdrawalCases:
    """The withdrawal cases enabled in ``who``'s region this year (this ledger's policy and
    today), in the policy's order, with their questions and materials (both languages)."""

    def run() -> WithdrawalCases:
        row = resolve(led, who)
        year = led.today().year
        policy = led.policy(row[3], year)
        cases = [
            WithdrawalCaseInfo(
                name=c.name, payee=c.payee, waiting_months=c.waiting_months,
                materials=[_texts(m) for m in c.materials],
                questions=[CaseQuestion(name=q.name, type=q.type, text=_texts(q.text), expect=q.expect,
                                        material=_texts(q.material) if q.material else None)
                           for q in c.questions],
            )
            for c in policy.withdrawal_cases.values()
            if c.name in policy.enabled_cases
        ]
        return WithdrawalCases(id=row[0], region=row[3], year=year, cases=cases,
                               always_materials=[_texts(m) for m in policy.always_materials])

    result: WithdrawalCases = led.run(run)
    led.audit_read("withdrawal.cases", result.id, json.dumps({"region": result.region}))
    return result


def withdrawal_check(led: Ledger, who: str, case: str, facts: dict[str, str]) -> Judgement:
    """The checklist verdict from the ledger (status, balance, scheme, region) and the answers,
    as codes and parameters: the caller renders it in the language of its call
    (``Judgement.render``)."""
    from yibao_tui.domain import rules
    from yibao_tui.domain.withdrawal import verdict as withdrawal_verdict

    rules.check_case_name(case)

    def run() -> Judgement:
        row = resolve(led, who)
        f = person_facts(row)
        bal = int(row[9] or 0)
        return withdrawal_verdict(f, bal, led.policy(f.region, led.today().year), case, facts)

    result: Judgement = led.run(run)
    led.audit_read("withdrawal.check", result.id, json.dumps({"case": case}))
    return result


def withdrawal_execute(led: Ledger, who: str, case: str, facts: dict[str, str], payee_name: str, payee_account: str,
                       supervisor: str, supervisor_password: str, key: str | None = None) -> WithdrawalReceipt:
    """Counter only, co-signed by a supervisor: pay the whole balance out and close the account,
    in one transaction."""
    from yibao_tui.domain import rules
    from yibao_tui.domain.withdrawal import verdict as withdrawal_verdict
    from yibao_tui.ledger.logins import operator_login

    if led.channel != "counter" or not led.operator:
        raise YibaoError("COUNTER_ONLY")
    if fold(supervisor) == led.operator:
        raise YibaoError("COSIGN_REQUIRED")
    name = check_name(payee_name)
    account_no = fold(payee_account)
    if not (8 <= len(account_no) <= 32 and account_no.isascii() and account_no.isdigit()):
        raise YibaoError("INVALID_ARGUMENT", detail=Msg("detail.payee_account"))
    cosigner = operator_login(led, supervisor, supervisor_password)
    if cosigner.role != "supervisor":
        raise YibaoError("COSIGN_REQUIRED")
    pid = resolve_id(led, who)

    def body(db: Db, op_id: int, now: str) -> dict[str, Any]:
        facts_ = person_facts(row_of(db, pid))
        rules.require_account_usable(facts_)
        acct, bal, _ = account(db, pid, lock=True)  # the whole balance, as it is when paid out
        v = withdrawal_verdict(facts_, bal, led.policy(facts_.region, int(now[:4])), case, facts)
        if not v.eligible:
            raise YibaoError("WITHDRAWAL_NOT_ELIGIBLE")
        tid, _ = transfer(db, op_id, "withdrawal", acct, system_account(db, "withdrawal"), bal, now,
                             memo=case, ref=pid)
        wid = f"WD{now[:4]}{tid:010d}"
        db.execute(
            "INSERT INTO withdrawals (withdrawal_id, person_id, case_name, payee, payee_name, payee_account,"
            " amount, transfer_id, operator, cosigner, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (wid, pid, case, v.payee, name, account_no, bal, tid, led.operator, cosigner.id, now),
        )
        db.execute("UPDATE accounts SET status = 'closed' WHERE id = ?", (acct,))
        end_bindings_of_closed(led, db, op_id, now, pid)
        return WithdrawalReceipt(withdrawal_id=wid, person_id=pid, case=case, payee=v.payee, payee_name=name,
                                 payee_account=account_no, amount_fen=bal, operator=str(led.operator),
                                 cosigner=cosigner.id, time=now).to_json()

    request = {"id": pid, "case": case, "facts": facts, "payee": name, "account": account_no, "cosigner": cosigner.id}
    response, replayed = led.write("withdrawal.execute", request, key, body, pid)
    return WithdrawalReceipt.from_json({**response, "replayed": replayed})
