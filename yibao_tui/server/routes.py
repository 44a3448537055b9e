"""The operations under ``/v1``: each one calls the backend and nothing else.

The rules live in the backend; a handler only unpacks the validated arguments and wraps the
result. Who may call what is declared here (``roles``, ``scoped``) and enforced in ``app``.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.text import ascii_int
from yibao_tui.server import backends
from yibao_tui.server.auth import COUNTER_TTL, KIOSK_TTL
from yibao_tui.server.selfservice import masked_answer, resolve_masked, self_service
from yibao_tui.server.spec import (
    ADMIN,
    ALL_ROLES,
    CARD_FORMAT,
    CARD_PATTERN,
    CURSOR_PATTERN,
    ID_FORMAT,
    ID_PATTERN,
    MAX_BULK_BODY_BYTES,
    PERSON_FORMAT,
    PERSON_PATTERN,
    RELATIVE_PATTERN,
    STAFF,
    Call,
    Field,
    Op,
)

PERSONAL_ROLES = frozenset({"admin", "counter", "kiosk", "personal"})
SELF_SERVICE_ROLES = frozenset({"kiosk", "personal"})
#: The channels a binding form may be on (``Actor.channel``).
CHANNELS = ("app", "cli", "counter", "http", "kiosk", "tui")
#: Verification that a scoped principal (an app or a kiosk) may not claim for itself.
STAFF_ONLY_VERIFICATION = frozenset({"counter"})

_AMOUNT = Field("amount_fen", "integer", required=True, description="Amount in fen (分)")
_YEAR_Q = Field("year", "integer", required=True, minimum=1, maximum=9999)


def _person(name: str, description: str = "ID number or card number", pattern: str = PERSON_PATTERN,
            **kw: Any) -> Field:
    """A field naming a person by ID number or card number."""
    return Field(name, "string", max_length=40, pattern=pattern, format=PERSON_FORMAT,
                 description=description, **kw)


#: A relative to pay for: a self-service caller names it as its binding list shows it (masked).
_RELATIVE = _person("relative", "The relative's ID number or card number (a self-service caller: or the"
                    " masked ID its binding list shows)", pattern=RELATIVE_PATTERN, required=True)


_SCALAR = (str, int, float, bool, type(None))


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def flat_json(record: Any) -> dict[str, Any]:
    """``record.to_json()`` for a record of plain values, without ``dataclasses.asdict``'s
    recursive copy (the hot reads: balance, person); any other record goes through
    ``to_json()``."""
    cls: type = type(record)
    out = {name: getattr(record, name) for name in _field_names(cls)}
    if all(type(v) in _SCALAR for v in out.values()):
        return out
    result: dict[str, Any] = record.to_json()
    return result


async def ping(c: Call) -> dict[str, Any]:
    """The trivial endpoint (the benchmark's yardstick): authenticated, no backend."""
    return {"ok": True}


async def whoami(c: Call) -> dict[str, Any]:
    p = c.principal
    return {"role": p.role, "person_id": p.person_id, "operator": p.operator, "label": p.label,
            "expires_at": p.expires_at}


async def ledger_info(c: Call) -> dict[str, Any]:
    empty = await c.backend.is_empty()
    owner = c.principal.person_id if c.principal.scoped else await c.backend.demo_owner()
    return {"empty": empty, "demo_owner": owner}


async def demo(c: Call) -> dict[str, Any]:
    return await c.backend.demo(persons=c.body["persons"], seed=c.body["seed"])


async def add_person(c: Call) -> dict[str, Any]:
    b = c.body
    person = await c.backend.add_person(
        b["id"], b["name"], b["scheme"], b["region"], card=b["card"],
        opening_balance_fen=b["opening_balance_fen"], key=c.key,
    )
    return person.to_json()


async def person(c: Call) -> dict[str, Any]:
    return flat_json(await c.backend.person(c.path["who"]))


async def balance(c: Call) -> dict[str, Any]:
    return flat_json(await c.backend.balance(c.path["who"]))


async def summary(c: Call) -> dict[str, Any]:
    q = c.query
    return (await c.backend.summary(c.path["who"], q["year"], months=q["months"])).to_json()


async def statement(c: Call) -> dict[str, Any]:
    q = c.query
    page = await c.backend.statement(
        c.path["who"], date_from=q["date_from"], date_to=q["date_to"], kind=q["kind"],
        cursor=q["cursor"], limit=q["limit"], newest_first=q["order"] == "newest", with_total=q["total"],
    )
    return page.to_json()


async def credit(c: Call) -> dict[str, Any]:
    b = c.body
    return (await c.backend.credit(c.path["who"], b["amount_fen"], memo=b["memo"], key=c.key)).to_json()


async def spend(c: Call) -> dict[str, Any]:
    b = c.body
    return (await c.backend.spend(b["patient"], b["amount_fen"], b["kind"], key=c.key)).to_json()


def _shown(c: Call, record: Any) -> dict[str, Any]:
    """A record as the caller may see it: to a self-service channel, other people masked."""
    data: dict[str, Any] = record.to_json()
    return masked_answer(data, c.principal.person_id) if self_service(c.principal) else data


async def _relative(c: Call, ref: str) -> str:
    """The relative a request names. A self-service caller sees its relatives masked
    (``110***********002X``) and names one that way: that resolves among the holder's own
    active bindings (nobody else's)."""
    if not self_service(c.principal):
        return ref
    rows = await c.backend.bindings(c.path["who"], include_ended=False)
    found = resolve_masked(ref, [b.relative_id for b in rows])
    return ref if found is None else found


async def bindings(c: Call) -> dict[str, Any]:
    who = c.path["who"]
    rows = await c.backend.bindings(who, include_ended=c.query["include_ended"])
    return {"id": who, "bindings": [_shown(c, b) for b in rows]}


async def bound_by(c: Call) -> dict[str, Any]:
    who = c.path["who"]
    rows = await c.backend.bound_by(who)
    return {"id": who, "bindings": [_shown(c, b) for b in rows]}


async def bind(c: Call) -> dict[str, Any]:
    b = c.body
    if c.principal.scoped and b["verified_by"] in STAFF_ONLY_VERIFICATION:
        raise YibaoError("FORBIDDEN")
    if self_service(c.principal):  # face and letter are recorded by staff: ask the relative instead
        raise YibaoError("SELF_SERVICE_BINDING")
    binding = await c.backend.bind(
        c.path["who"], b["relative"], b["relation"], verified_by=b["verified_by"],
        pledge_accepted=b["pledge_accepted"], key=c.key,
    )
    return _shown(c, binding)


async def binding_rules(c: Call) -> dict[str, Any]:
    """What a binding form must know first, as this caller may bind: a scoped principal may not
    claim the counter's check, and a self-service one binds through binding requests only
    (``SELF_SERVICE_BINDING``), so no method is offered to it."""
    rules = await c.backend.binding_rules(c.path["who"], c.query["channel"])
    if c.principal.scoped or self_service(c.principal):
        refused = STAFF_ONLY_VERIFICATION if not self_service(c.principal) else frozenset(rules.methods_for(None))
        bands = [dataclasses.replace(b, methods=[m for m in b.methods if m not in refused]) for b in rules.methods]
        rules = dataclasses.replace(rules, methods=bands)
    return rules.to_json()


async def unbind(c: Call) -> dict[str, Any]:
    relative = await _relative(c, c.path["relative"])
    return _shown(c, await c.backend.unbind(c.path["who"], relative, key=c.key))


def _own(c: Call) -> str:
    """The caller's own person (a self-service principal's every request names it)."""
    assert c.principal.person_id is not None
    return c.principal.person_id


async def binding_request(c: Call) -> dict[str, Any]:
    """Ask a relative to confirm a binding. The answer is the same whether they exist or not."""
    from yibao_tui.domain.idnum import normalise_id
    from yibao_tui.domain.relations import parse_relation

    b = c.body
    relation = parse_relation(b["relation"]).value
    ref = normalise_id(b["relative"])
    try:
        relative = (await c.backend.person(ref)).id
    except YibaoError as e:
        if e.code != "UNKNOWN_PERSON":  # a typo (a check digit) is told; who exists is not
            raise
        relative = ref  # nobody: a request that nobody can confirm
    result: dict[str, Any] = c.requests.add(_own(c), relative, ref, relation, b["pledge_accepted"])
    return result


async def binding_requests(c: Call) -> dict[str, Any]:
    """The requests the caller made or is asked to confirm (identities masked)."""
    return {"requests": c.requests.of(_own(c))}


def _request_id(c: Call) -> int:
    try:
        return ascii_int(c.path["request"])
    except ValueError:
        raise YibaoError("NOT_AVAILABLE") from None


async def binding_confirm(c: Call) -> dict[str, Any]:
    """The relative's own session confirms: the binding is made, verified by the relative."""
    rid = _request_id(c)
    holder, relative, relation, pledge = c.requests.pending_for(rid, _own(c))
    binding = await c.backend.bind(holder, relative, relation, verified_by="face", pledge_accepted=pledge,
                                   key=c.key)
    c.requests.decide(rid, "confirmed", binding.binding_id)
    return _shown(c, binding)


async def binding_decline(c: Call) -> dict[str, Any]:
    """The relative declines a request."""
    rid = _request_id(c)
    c.requests.pending_for(rid, _own(c))
    c.requests.decide(rid, "declined")
    result: dict[str, Any] = c.requests.get(rid, _own(c))
    return result


async def premium_quote(c: Call) -> dict[str, Any]:
    q = c.query
    return _shown(c, await c.backend.premium_quote(c.path["who"], await _relative(c, q["relative"]), q["year"]))


async def premium_pay(c: Call) -> dict[str, Any]:
    b = c.body
    relative = await _relative(c, b["relative"])
    return _shown(c, await c.backend.premium_pay(c.path["who"], relative, b["year"], key=c.key))


async def premium_payments(c: Call) -> dict[str, Any]:
    who = c.path["who"]
    rows = await c.backend.premium_payments(who)
    return {"id": who, "payments": [_shown(c, p) for p in rows]}


async def premium_years(c: Call) -> dict[str, Any]:
    return (await c.backend.premium_years(c.path["who"], c.query["relative"], lang=c.lang)).to_json()


async def withdrawal_cases(c: Call) -> dict[str, Any]:
    return (await c.backend.withdrawal_cases(c.path["who"])).to_json()


async def withdrawal_check(c: Call) -> dict[str, Any]:
    facts: dict[str, str] = {}
    for item in c.query["facts"]:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise YibaoError("INVALID_FACT", detail=item)
        facts[name.strip()] = value.strip()
    verdict = await backends.withdrawal_check(c.backend, c.path["who"], c.query["case"], facts, c.lang)
    return verdict.to_json()


async def verify(c: Call) -> dict[str, Any]:
    return (await c.backend.verify()).to_json()


async def audit(c: Call) -> dict[str, Any]:
    q = c.query
    page = await c.backend.audit_page(
        person=q["person"], operator=q["operator"], action=q["action"], date_from=q["date_from"] or q["since"],
        date_to=q["date_to"], cursor=q["cursor"], limit=q["limit"],
    )
    return page.to_json()


async def import_persons(c: Call) -> dict[str, Any]:
    return (await c.backend.import_persons(c.body["rows"], key=c.key)).to_json(c.lang)


async def operator_add(c: Call) -> dict[str, Any]:
    b = c.body
    return (await c.backend.operator_add(b["id"], b["name"], b["role"], b["password"])).to_json()


def _issue(c: Call, role: str, ttl: float, person_id: str | None = None,
           operator: str | None = None) -> tuple[str, float]:
    assert c.tokens is not None
    parent_expires = c.principal.expires_at  # a session never outlives the token that opened it
    if parent_expires is not None:
        ttl = max(0.0, min(ttl, parent_expires - c.tokens.clock()))
    token = c.tokens.create(role, person_id, label=c.principal.label, ttl=ttl, operator=operator,
                            parent_id=c.principal.token_id)
    return token, c.tokens.clock() + ttl


async def operator_login(c: Call) -> dict[str, Any]:
    """A window's token logs an operator in (the ledger checks the password and locks out)."""
    operator = await c.backend.operator_login(c.body["operator"], c.body["password"])
    token, expires = _issue(c, "counter", COUNTER_TTL, operator=operator.id)
    return {"token": token, "expires_at": expires, "operator": operator.to_json()}


async def kiosk_login(c: Call) -> dict[str, Any]:
    """A kiosk's token opens a card session (the ledger checks the PIN and locks the card)."""
    person = await c.backend.card_login(c.body["card"], c.body["pin"])
    token, expires = _issue(c, "kiosk", KIOSK_TTL, person_id=person.id)
    return {"token": token, "expires_at": expires, "person": person.to_json()}


async def logout(c: Call) -> dict[str, Any]:
    """End the calling session (an operator's or a card's); other tokens are left alone."""
    assert c.tokens is not None
    ended = c.principal.expires_at is not None and c.tokens.revoke_id(c.principal.token_id)
    return {"ended": bool(ended)}


async def token_list(c: Call) -> dict[str, Any]:
    """The server's tokens (never a token itself): id, role, label, times, status."""
    assert c.tokens is not None
    return {"tokens": c.tokens.list(include_ended=c.query["include_ended"])}


async def token_revoke(c: Call) -> dict[str, Any]:
    """Revoke a token and end the sessions opened under it."""
    assert c.tokens is not None
    try:
        token_id = ascii_int(c.path["token"])
    except ValueError:
        raise YibaoError("UNKNOWN_TOKEN", id=c.path["token"][:40]) from None
    if not any(t["id"] == token_id for t in c.tokens.list(include_ended=True)):
        raise YibaoError("UNKNOWN_TOKEN", id=token_id)
    revoked, sessions = c.tokens.revoke_tree(token_id)
    return {"id": token_id, "revoked": revoked, "sessions_ended": sessions}


async def card_pin(c: Call) -> dict[str, Any]:
    return {"id": await c.backend.card_set_pin(c.path["card"], c.body["pin"])}


async def withdrawal_execute(c: Call) -> dict[str, Any]:
    b = c.body
    facts: dict[str, str] = b["facts"] or {}
    receipt = await c.backend.withdrawal_execute(
        c.path["who"], b["case"], facts, b["payee_name"], b["payee_account"], b["supervisor"],
        b["supervisor_password"], key=c.key,
    )
    return receipt.to_json()


# --- counter staff (issue 10 items 9-11) -----------------------------------------------------
async def find_persons(c: Call) -> dict[str, Any]:
    q = c.query
    page = await c.backend.find_persons(q["name"], born=q["born"], region=q["region"], cursor=q["cursor"],
                                        limit=q["limit"])
    return page.to_json()


async def operators(c: Call) -> dict[str, Any]:
    return {"operators": [o.to_json() for o in await c.backend.operators()]}


async def operator_disable(c: Call) -> dict[str, Any]:
    info = await c.backend.operator_disable(c.path["op"])
    if c.tokens is not None:  # a disabled operator's open window sessions end now, not in 8 hours
        c.tokens.revoke_operator(info.id)
    return info.to_json()


async def operator_enable(c: Call) -> dict[str, Any]:
    return (await c.backend.operator_enable(c.path["op"])).to_json()


async def operator_unlock(c: Call) -> dict[str, Any]:
    return (await c.backend.operator_unlock(c.path["op"])).to_json()


async def operator_password(c: Call) -> dict[str, Any]:
    return (await c.backend.operator_reset_password(c.path["op"], c.body["password"])).to_json()


#: Staff who search and supervise: an admin token, or a window's operator session (the ledger
#: then requires a supervisor for operators and the audit log). Never a personal or kiosk token.
SUPERVISION = frozenset({"admin", "counter"})


_WHO = "/v1/persons/{who}"

OPS: tuple[Op, ...] = (
    Op("ping", "GET", "/v1/ping", ping, ALL_ROLES, "Pong", "Trivial authenticated endpoint", device=True),
    Op("whoami", "GET", "/v1/whoami", whoami, ALL_ROLES, "WhoAmI", "The caller's role and scope",
       device=True),
    Op("ledgerInfo", "GET", "/v1/ledger", ledger_info, ALL_ROLES, "LedgerInfo",
       "Whether the ledger is empty, and whose account to open first", device=True),
    Op("operatorLogin", "POST", "/v1/operator-sessions", operator_login, frozenset({"counter"}),
       "OperatorSession", "A window logs an operator in; returns the operator's session token",
       body=(Field("operator", "string", required=True, max_length=32),
             Field("password", "string", required=True, max_length=200, secret=True)), device=True, secret=True),
    Op("kioskLogin", "POST", "/v1/kiosk-sessions", kiosk_login, frozenset({"kiosk"}), "KioskSession",
       "A kiosk opens a card session (card or ID number, and PIN); returns its token",
       body=(_person("card", "Card number or ID number", required=True),
             Field("pin", "string", required=True, max_length=20, secret=True)), device=True, secret=True),
    Op("logout", "POST", "/v1/logout", logout, frozenset({"counter", "kiosk"}), "LogoutResult",
       "End the calling session", body=()),
    Op("tokenList", "GET", "/v1/tokens", token_list, ADMIN, "TokenList",
       "The server's tokens: id, role, label, created, expires, last used, revoked (never the token)",
       query=(Field("include_ended", "boolean", default=False),)),
    Op("tokenRevoke", "POST", "/v1/tokens/{token}/revoke", token_revoke, ADMIN, "TokenRevoked",
       "Revoke a token; the sessions opened under it end with it", body=()),
    Op("operatorAdd", "POST", "/v1/operators", operator_add, ADMIN, "Operator", "Add a member of staff",
       body=(Field("id", "string", required=True, max_length=32),
             Field("name", "string", required=True, max_length=100),
             Field("role", "string", required=True, max_length=20, description="clerk | supervisor"),
             Field("password", "string", required=True, max_length=200, secret=True))),
    Op("cardPin", "POST", "/v1/cards/{card}/pin", card_pin, STAFF, "CardPin",
       "Set a card's six-digit PIN (card or ID number)",
       body=(Field("pin", "string", required=True, max_length=20, secret=True),)),
    Op("demo", "POST", "/v1/demo", demo, ADMIN, "DemoResult", "Load deterministic demo data",
       body=(Field("persons", "integer", default=20, minimum=1, maximum=100_000),
             Field("seed", "integer", default=1, minimum=0, maximum=2**31 - 1))),
    Op("addPerson", "POST", "/v1/persons", add_person, STAFF, "Person", "Register a person",
       body=(Field("id", "string", required=True, max_length=40, description="ID number",
                   pattern=ID_PATTERN, format=ID_FORMAT),
             Field("name", "string", required=True, max_length=100),
             Field("scheme", "string", required=True, max_length=20, description="employee | resident"),
             Field("region", "string", required=True, max_length=20),
             Field("card", "string", nullable=True, max_length=40, pattern=CARD_PATTERN,
                   format=CARD_FORMAT),
             Field("opening_balance_fen", "integer", default=0))),
    Op("person", "GET", _WHO, person, PERSONAL_ROLES, "Person", "A person (ID or card number)",
       scoped=("who",)),
    Op("balance", "GET", _WHO + "/balance", balance, PERSONAL_ROLES, "Balance", "Balance and status",
       scoped=("who",)),
    Op("summary", "GET", _WHO + "/summary", summary, PERSONAL_ROLES, "Summary",
       "This year's credits and spending, month-end balances", scoped=("who",),
       query=(_YEAR_Q, Field("months", "integer", default=24, minimum=1, maximum=600))),
    Op("statement", "GET", _WHO + "/statement", statement, PERSONAL_ROLES, "StatementPage",
       "One page of the statement (keyset cursor)", scoped=("who",),
       query=(Field("date_from", "string", alias="from", max_length=10, description="YYYY-MM-DD"),
              Field("date_to", "string", alias="to", max_length=10, description="YYYY-MM-DD"),
              Field("kind", "string", max_length=40),
              Field("cursor", "string", max_length=200, pattern=CURSOR_PATTERN,
                    description="next_cursor of the previous page"),
              Field("limit", "integer", default=50, minimum=1, maximum=1000),
              Field("order", "string", default="newest", enum=("newest", "oldest")),
              Field("total", "boolean", default=False,
                    description="also count every entry the filter matches (total)"))),
    Op("credit", "POST", _WHO + "/credits", credit, ADMIN, "CreditResult", "The monthly fund credit (划入)",
       body=(_AMOUNT, Field("memo", "string", default="", max_length=200))),
    Op("spend", "POST", "/v1/spending", spend, ADMIN, "SpendResult",
       "A bill: the patient's account first, then the holders who bound the patient",
       body=(_person("patient", required=True), _AMOUNT,
             Field("kind", "string", required=True, max_length=40,
                   description="outpatient | pharmacy | inpatient | commercial-insurance | long-term-care | pension"))),
    Op("bindings", "GET", _WHO + "/bindings", bindings, PERSONAL_ROLES, "BindingList",
       "The holder's bindings", scoped=("who",),
       query=(Field("include_ended", "boolean", default=False),)),
    Op("boundBy", "GET", _WHO + "/bound-by", bound_by, PERSONAL_ROLES, "BindingList",
       "Active bindings in which this person is the relative", scoped=("who",)),
    Op("bind", "POST", _WHO + "/bindings", bind, PERSONAL_ROLES, "Binding",
       "Bind a close relative to the holder's account", scoped=("who",),
       body=(_person("relative", required=True),
             Field("relation", "string", required=True, max_length=40),
             Field("verified_by", "string", default="counter", max_length=20, description="counter | face | letter"),
             Field("pledge_accepted", "boolean", default=True))),
    Op("bindingRules", "GET", _WHO + "/binding-rules", binding_rules, PERSONAL_ROLES, "BindingRules",
       "What a binding form needs first (the server's policy): the cap and the active bindings, the"
       " pledge, and the verification methods accepted per age band on a channel, as this caller may bind",
       scoped=("who",),
       query=(Field("channel", "string", default="http", enum=CHANNELS,
                    description="the channel the form is on: face only where there is a camera (app, kiosk)"),)),
    Op("bindingRequest", "POST", _WHO + "/binding-requests", binding_request, SELF_SERVICE_ROLES,
       "BindingRequest", "An app or a kiosk asks a relative to confirm a binding (the same answer whether"
       " or not they exist)", scoped=("who",), rate_counted=True,
       body=(_person("relative", required=True),
             Field("relation", "string", required=True, max_length=40),
             Field("pledge_accepted", "boolean", default=True))),
    Op("bindingRequests", "GET", _WHO + "/binding-requests", binding_requests, SELF_SERVICE_ROLES,
       "BindingRequestList", "Requests this person made or is asked to confirm (identities masked)",
       scoped=("who",)),
    Op("bindingConfirm", "POST", _WHO + "/binding-requests/{request}/confirm", binding_confirm,
       SELF_SERVICE_ROLES, "Binding", "The relative's own session confirms a request: the binding is made",
       scoped=("who",), body=()),
    Op("bindingDecline", "POST", _WHO + "/binding-requests/{request}/decline", binding_decline,
       SELF_SERVICE_ROLES, "BindingRequest", "The relative declines a request", scoped=("who",), body=()),
    Op("unbind", "POST", _WHO + "/bindings/{relative}/unbind", unbind, PERSONAL_ROLES, "Binding",
       "End a binding (history is kept)", scoped=("who",), body=()),
    Op("premiumQuote", "GET", _WHO + "/premium-quote", premium_quote, PERSONAL_ROLES, "PremiumQuote",
       "What paying a relative's resident premium would cost", scoped=("who",),
       query=(_RELATIVE, _YEAR_Q)),
    Op("premiumPay", "POST", _WHO + "/premium-payments", premium_pay, PERSONAL_ROLES, "PremiumPayment",
       "Pay a relative's resident premium, all or nothing", scoped=("who",),
       body=(_RELATIVE, Field("year", "integer", required=True, minimum=1, maximum=9999))),
    Op("premiumPayments", "GET", _WHO + "/premium-payments", premium_payments, PERSONAL_ROLES,
       "PremiumPaymentList", "Payments made by or for this person", scoped=("who",)),
    Op("premiumYears", "GET", _WHO + "/premium-years", premium_years, PERSONAL_ROLES, "PremiumYears",
       "The contribution years open for payment today in the payer's region (or the relative's)"
       " and the collection windows around", scoped=("who",),
       query=(_person("relative", description="ID number or card number: this relative's region"),)),
    Op("withdrawalCases", "GET", _WHO + "/withdrawal-cases", withdrawal_cases, PERSONAL_ROLES,
       "WithdrawalCases", "The withdrawal cases the server's policy enables in this person's region, with"
       " their questions and materials (both languages)", scoped=("who",)),
    Op("withdrawalCheck", "GET", _WHO + "/withdrawal-check", withdrawal_check, PERSONAL_ROLES,
       "WithdrawalVerdict", "The withdrawal checklist verdict", scoped=("who",),
       query=(Field("case", "string", required=True, max_length=40),
              Field("facts", "array", alias="fact", default=(), max_length=200,
                    description="NAME=VALUE, repeated"))),
    Op("withdrawalExecute", "POST", _WHO + "/withdrawals", withdrawal_execute, STAFF, "WithdrawalReceipt",
       "Counter only, co-signed by a supervisor: pay the balance out and close the account",
       body=(Field("case", "string", required=True, max_length=40),
             Field("facts", "facts", default=None),
             Field("payee_name", "string", required=True, max_length=100),
             Field("payee_account", "string", required=True, max_length=64),
             Field("supervisor", "string", required=True, max_length=32),
             Field("supervisor_password", "string", required=True, max_length=200, secret=True))),
    Op("verify", "GET", "/v1/verify", verify, ADMIN, "VerifyReport", "Check the whole ledger"),
    Op("audit", "GET", "/v1/audit", audit, SUPERVISION, "AuditList",
       "The audit log, newest first, one keyset page (an admin token or a supervisor's window session)",
       query=(Field("person", "string", max_length=40), Field("operator", "string", max_length=100),
              Field("since", "string", max_length=40),
              Field("limit", "integer", default=1000, minimum=1, maximum=100_000),
              Field("action", "string", max_length=60, description="an action and its outcomes"),
              Field("date_from", "string", alias="from", max_length=10, description="YYYY-MM-DD"),
              Field("date_to", "string", alias="to", max_length=10, description="YYYY-MM-DD"),
              Field("cursor", "string", max_length=40, description="next_cursor of the previous page"))),
    Op("personFind", "GET", "/v1/persons", find_persons, SUPERVISION, "PersonMatchPage",
       "Persons by name (normalised), masked, one keyset page; every search is audited",
       query=(Field("name", "string", required=True, max_length=64),
              Field("born", "integer", nullable=True, minimum=1900, maximum=9999, description="year of birth"),
              Field("region", "string", max_length=6),
              Field("cursor", "string", max_length=60),
              Field("limit", "integer", default=20, minimum=1, maximum=100))),
    Op("operatorList", "GET", "/v1/operators", operators, SUPERVISION, "OperatorList",
       "Every operator and their state (supervisors)"),
    Op("operatorDisable", "POST", "/v1/operators/{op}/disable", operator_disable, SUPERVISION, "OperatorInfo",
       "A disabled operator cannot log in (supervisors)", body=()),
    Op("operatorEnable", "POST", "/v1/operators/{op}/enable", operator_enable, SUPERVISION, "OperatorInfo",
       "Allow a disabled operator to log in again (supervisors)", body=()),
    Op("operatorUnlock", "POST", "/v1/operators/{op}/unlock", operator_unlock, SUPERVISION, "OperatorInfo",
       "End an operator's lockout now (supervisors)", body=()),
    Op("operatorPassword", "POST", "/v1/operators/{op}/password", operator_password, SUPERVISION,
       "OperatorInfo", "Set a new password for an operator (supervisors)",
       body=(Field("password", "string", required=True, max_length=200, secret=True),)),
    Op("importPersons", "POST", "/v1/import/persons", import_persons, ADMIN, "ImportResult",
       "Import roster rows, all or nothing",
       body=(Field("rows", "rows", required=True),), max_body=MAX_BULK_BODY_BYTES),
)
