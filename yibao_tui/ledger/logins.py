"""Staff and card logins: add an operator, an operator's password login, a card's PIN and its
kiosk login. Hashes and lockout counters live in the ledger (``access``); every attempt is
audited, a refused one too. ``access`` (scrypt, hmac, the password lists) is imported by the
first login or password set: the laptop app opens the ledger without it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.idnum import fold, parse_id
from yibao_tui.domain.models import Operator, Person
from yibao_tui.ledger.checks import check_operator
from yibao_tui.ledger.persons import person_row, resolve_id

if TYPE_CHECKING:
    import datetime as dt

    from yibao_tui.ledger.dialect import Db
    from yibao_tui.ledger.store import Ledger


def operator_add(led: Ledger, op_id: str, name: str, role: str, password: str) -> Operator:
    """Add a member of staff; only a scrypt hash of the password is stored."""
    from yibao_tui.ledger import access

    op_id, clean = check_operator(op_id, name, role)
    pw_hash = access.hash_secret(access.check_password(password, op_id))

    def body(db: Db, op: int, now: str) -> dict[str, Any]:
        if db.one("SELECT 1 FROM operators WHERE id = ?", (op_id,)):
            raise YibaoError("OPERATOR_EXISTS", id=op_id)
        db.execute("INSERT INTO operators (id, name, role, pw_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                   (op_id, clean, role, pw_hash, now))
        return {"id": op_id}

    led.write("operator.add", {"id": op_id, "role": role}, None, body, None)
    return Operator(id=op_id, name=clean, role=role)


def _attempt(led: Ledger, table: str, key_col: str, key: str, secret: str, action: str, subject: str | None,
             max_failures: int, lock: dt.timedelta, locked_code: str, bad_code: str) -> Any:
    """One audited login attempt; a failure's count commits with its audit record."""
    from yibao_tui.ledger import access


    def run() -> Any:
        db = led.db
        failure: YibaoError | None = None
        with db.transaction():
            now = led.now()
            try:
                row = access.attempt(db, table, key_col, key, secret, now, max_failures, lock, locked_code, bad_code)
                outcome = action
            except access._Deferred as d:  # a wrong secret: the failure count must commit
                failure, row, outcome = d.error, None, action + ".failed"
            except YibaoError as e:  # locked, or no such operator/card: still recorded
                failure, row = e, None
                outcome = action + (".refused" if e.code == locked_code else ".failed")
            detail = key if table == "operators" else ""
            if outcome.endswith(".refused"):
                detail = f"{detail} {failure.code}".strip() if failure else detail
            # a login attempt is filed under the operator it names (`yibao audit --operator ID`)
            led.record(db, now, outcome, subject, detail, by=key if table == "operators" else led.operator)
        if failure is not None:
            raise failure
        return row

    return led.run(run)


def operator_login(led: Ledger, op_id: str, password: str) -> Operator:
    """Check an operator's password; five failures lock the operator for 15 minutes."""
    from yibao_tui.ledger import access

    row = _attempt(led, "operators", "id", fold(op_id), password, "operator.login", None,
                   access.OPERATOR_MAX_FAILURES, access.OPERATOR_LOCK, "OPERATOR_LOCKED", "BAD_CREDENTIALS")
    return Operator(id=row[0], name=row[1], role=row[2])


def card_set_pin(led: Ledger, card: str, pin: str) -> str:
    """Set the PIN of a card (or ID number); returns the person's ID."""
    from yibao_tui.ledger import access

    pid = resolve_id(led, card)
    # not the holder's birth date in any usual form (the ID number tells it)
    pin_hash = access.hash_secret(access.check_pin(pin, parse_id(pid, today=led.today()).birth_date))

    def body(db: Db, op: int, now: str) -> dict[str, Any]:
        db.execute(
            "INSERT INTO card_pins (person_id, pin_hash, set_at) VALUES (?, ?, ?) ON CONFLICT (person_id)"
            " DO UPDATE SET pin_hash = excluded.pin_hash, failures = 0, locked_until = NULL, set_at = excluded.set_at",
            (pid, pin_hash, now),
        )
        return {"id": pid}

    led.write("card.set_pin", {"id": pid}, None, body, pid)
    return pid


def card_login(led: Ledger, card: str, pin: str) -> Person:
    """A kiosk session: card (or ID) + PIN. Three failures lock the card for 30 minutes."""
    from yibao_tui.ledger import access

    pid = resolve_id(led, card)
    if led.run(lambda: led.db.one("SELECT 1 FROM card_pins WHERE person_id = ?", (pid,))) is None:
        raise YibaoError("NO_PIN")
    _attempt(led, "card_pins", "person_id", pid, fold(pin), "card.login", pid,
             access.PIN_MAX_FAILURES, access.PIN_LOCK, "CARD_LOCKED", "BAD_PIN")
    return person_row(led, pid)
