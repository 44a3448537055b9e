"""Persons and their accounts: register, look up (by ID or card number), the facts rules need."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.idnum import fold, normalise_id, parse_id
from yibao_tui.domain.models import Person
from yibao_tui.domain.names import name_key
from yibao_tui.domain.text import check_name
from yibao_tui.ledger.checks import check_card, id_reason, shown, valid_id
from yibao_tui.ledger.limits import check_amount
from yibao_tui.ledger.posting import system_account, transfer

if TYPE_CHECKING:
    from yibao_tui.domain import rules
    from yibao_tui.ledger.dialect import Db
    from yibao_tui.ledger.store import Ledger

#: A person with their account's status and balance (``None`` without an account).
PERSON_COLS = ("p.id, p.name, p.scheme, p.region, p.card, p.birth_date, p.sex, p.pledge_at,"
               " a.status, a.balance, p.created_at")
PERSON_FROM = " FROM persons p LEFT JOIN accounts a ON a.person_id = p.id"
PERSON_SQL = f"SELECT {PERSON_COLS}{PERSON_FROM}"


def person_model(row: Any) -> Person:
    """A ``PERSON_SQL`` row as a ``Person``."""
    return Person(id=row[0], name=row[1], scheme=row[2], region=row[3], card=row[4],
                  status=row[8] or "active", birth_date=row[5], sex=row[6],
                  balance_fen=None if row[9] is None else int(row[9]), created_at=row[10])


def facts(row: Any) -> rules.PersonFacts:
    """What the rules need of a ``PERSON_SQL`` row."""
    from yibao_tui.domain import rules

    return rules.PersonFacts(
        id=row[0], scheme=row[2], region=row[3], birth_date=dt.date.fromisoformat(row[5]),
        status=row[8] or "active",
    )


def row_of(db: Db, pid: str) -> Any:
    """The ``PERSON_SQL`` row of a stored ID."""
    return db.one(PERSON_SQL + " WHERE p.id = ?", (pid,))


def lock_persons(db: Db, *ids: str) -> None:
    """Lock persons' rows for the rest of the write transaction, by id (one order for every
    writer): the rules about a person that are a read then a write (a holder's binding cap, one
    premium per relative and year) hold whichever server process runs them (``Dialect.for_update``;
    nothing on SQLite, whose writer is alone)."""
    if db.dialect.for_update:  # no rows read back: pipelined (PostgreSQL), it goes with the next read
        db.execute(f"SELECT id FROM persons WHERE id IN ({', '.join('?' * len(ids))}) ORDER BY id"
                   f"{db.dialect.for_update}", ids)


def resolve(led: Ledger, who: str) -> Any:
    """A person row by ID number or card number (``UNKNOWN_PERSON``; a malformed ID says why)."""
    raw = normalise_id(who)
    if not raw:
        raise YibaoError("UNKNOWN_PERSON", id="")
    if not raw.isascii():  # never looked up, never echoed: other scripts' digits and letters
        valid_id(raw, led.today())  # says why as an ID number (length, format)
        raise YibaoError("INVALID_ID_NUMBER", reason=id_reason("format"), reason_code="format")
    db = led.db
    if _id_number(raw):
        row = row_of(db, valid_id(raw, led.today()))
    else:
        row = db.one(PERSON_SQL + " WHERE p.card = ?", (raw,))
    if row is None:
        raise YibaoError("UNKNOWN_PERSON", id=raw[:24])
    return row


def resolve_id(led: Ledger, who: str) -> str:
    """The stored ID of the person ``who`` names."""
    return str(led.run(lambda: resolve(led, who))[0])


def id_of(led: Ledger, who: str) -> str:
    """The stored ID ``who`` names, without a trip to the database when it is an ID number (checked
    as one; the write using it reads the person's row and refuses ``UNKNOWN_PERSON`` when there is
    none); a card number is looked up (``resolve_id``)."""
    raw = normalise_id(who)
    if raw.isascii() and _id_number(raw):
        return valid_id(raw, led.today())
    return resolve_id(led, who)


def _id_number(raw: str) -> bool:
    """Whether a folded ASCII reference is an ID number (else a card number)."""
    return len(raw) >= 15 and raw[:-1].isdigit()


def add_person(
    led: Ledger,
    id: str,
    name: str,
    scheme: str,
    region: str,
    card: str | None = None,
    opening_balance_fen: int = 0,
    key: str | None = None,
    time: str | None = None,
) -> Person:
    """Register a person; an employee member gets a personal account."""
    from yibao_tui.domain import rules
    from yibao_tui.domain.policy import policy_for, valid_region

    pid = parse_id(id, today=led.today())
    clean_name = check_name(name)
    if scheme not in ("employee", "resident"):
        raise YibaoError("INVALID_ARGUMENT", detail=f"--scheme {scheme}")
    region = fold(region)
    if not valid_region(region):
        raise YibaoError("INVALID_REGION", region=shown(region, 12))
    on = dt.date.fromisoformat(time[:10]) if time else led.today()
    rules.check_scheme_age(scheme, pid.birth_date, on, policy_for(region, on.year))
    clean_card = check_card(card)
    check_amount(opening_balance_fen, allow_zero=True)
    if opening_balance_fen and scheme != "employee":
        raise YibaoError("NOT_EMPLOYEE_INSURED", id=pid.value)
    request = {"id": pid.value, "name": clean_name, "scheme": scheme, "region": region,
               "card": clean_card, "opening": opening_balance_fen}

    def body(db: Db, op_id: int, now: str) -> dict[str, Any]:
        insert_person(db, op_id, now, pid.value, clean_name, scheme, region, clean_card,
                      pid.birth_date.isoformat(), pid.sex, opening_balance_fen)
        return {"id": pid.value, "person": person_model(row_of(db, pid.value)).to_json()}

    response, replayed = led.write("person.add", request, key, body, pid.value, time)
    if "person" in response:  # the record as it was registered, also on a replay
        return Person.from_json({**response["person"], "replayed": replayed})
    # operations stored before the record was kept
    return dataclasses.replace(person_row(led, pid.value), replayed=replayed)


def insert_person(db: Db, op_id: int | None, now: str, pid: str, name: str, scheme: str, region: str,
                  card: str | None, birth: str, sex: str, opening: int) -> None:
    """The person's row, an employee's account and its opening balance (inside a write)."""
    if db.one("SELECT 1 FROM persons WHERE id = ?", (pid,)):
        raise YibaoError("PERSON_EXISTS", id=pid)
    if card and db.one("SELECT 1 FROM persons WHERE card = ?", (card,)):
        raise YibaoError("CARD_IN_USE", card=card)
    db.execute(
        "INSERT INTO persons (id, name, scheme, region, card, birth_date, sex, created_at, name_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (pid, name, scheme, region, card, birth, sex, now, name_key(name)),
    )
    if scheme == "employee":
        acct = db.insert("INSERT INTO accounts (code, kind, person_id) VALUES (?, 'personal', ?)",
                         (f"P:{pid}", pid))
        if opening:
            transfer(db, op_id, "opening", system_account(db, "opening"), acct, opening, now)


def person_row(led: Ledger, pid: str) -> Person:
    """The person with a stored ID (not audited)."""
    return person_model(led.run(lambda: row_of(led.db, pid)))


def person(led: Ledger, who: str) -> Person:
    """Look a person up by ID or card number (audited)."""
    row = led.run(lambda: resolve(led, who))
    led.audit_read("person.show", row[0])
    return person_model(row)


def is_empty(led: Ledger) -> bool:
    """No person registered yet."""
    return led.run(lambda: led.db.one("SELECT 1 FROM persons LIMIT 1")) is None


def meta(led: Ledger, key: str) -> str | None:
    """A value from the meta table."""
    row = led.run(lambda: led.db.one("SELECT value FROM meta WHERE key = ?", (key,)))
    return str(row[0]) if row else None
