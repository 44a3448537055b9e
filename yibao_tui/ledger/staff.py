"""What counter staff need: find a person by name, manage operators, read the audit log.

Who may do what, from the actor the ledger acts for (``Ledger.channel``/``Ledger.operator``):

- the CLI on this machine (``cli``) is the local authority, as for ``operator add`` and ``audit``:
  whoever can open the ledger file may do all of it;
- the laptop app (``tui``) may search by name (its owner holds the whole file anyway);
- the HTTP server has already checked the token's role: an ``admin`` token acts as
  ``http``/``admin:<label>``; any other ``http`` actor (a personal token) may do none of it;
- a service window (``counter``) acts for its logged-in operator: any operator may search,
  only an active supervisor may manage operators or read the audit log;
- a kiosk may do none of it.

Every search, every page of the audit log and every operator change is itself audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import TYPE_CHECKING, Any

from yibao_tui.domain.errors import Msg, YibaoError
from yibao_tui.domain.idnum import fold, normalise_id
from yibao_tui.domain.masking import mask_id, mask_name
from yibao_tui.domain.models import AuditPage, AuditRow, OperatorInfo, PersonMatch, PersonMatchPage
from yibao_tui.domain.names import name_key
from yibao_tui.domain.text import ascii_int
from yibao_tui.ledger.checks import day_bounds, parse_day

if TYPE_CHECKING:
    from yibao_tui.ledger.dialect import Db
    from yibao_tui.ledger.store import Ledger

FIND_MAX_LIMIT = 100
AUDIT_MAX_LIMIT = 1000


# --------------------------------------------------------------------------- authority
def _is_admin(ledger: Ledger) -> bool:
    return ledger.channel == "cli" or (ledger.channel == "http" and str(ledger.operator or "").startswith("admin:"))


def require_staff(ledger: Ledger) -> None:
    """Search others: the local CLI or app, an admin token, a logged-in service-window operator."""
    if _is_admin(ledger) or ledger.channel == "tui" or (ledger.channel == "counter" and ledger.operator):
        return
    raise YibaoError("FORBIDDEN")


def require_supervisor(ledger: Ledger) -> None:
    """Manage operators and read the audit log: the local CLI, an admin token, or a service window
    whose operator is an active supervisor (checked in the ledger, not only on screen)."""
    if _is_admin(ledger):
        return
    if ledger.channel == "counter" and ledger.operator:
        row = ledger.run(lambda: ledger.db.one("SELECT role, disabled_at FROM operators WHERE id = ?", (ledger.operator,)))
        if row is not None and row[0] == "supervisor" and row[1] is None:
            return
    raise YibaoError("SUPERVISOR_REQUIRED")


# --------------------------------------------------------------------------- person find
def _find_query(name: str) -> str:
    key = name_key(name)
    if not key:
        raise YibaoError("INVALID_NAME", reason=Msg("reason.name.empty"), reason_code="empty")
    if len(key) > 64:
        raise YibaoError("INVALID_NAME", reason=Msg("reason.name.too_long", max=64), reason_code="too_long")
    return key


def _born(born: int | str | None, today: dt.date) -> int | None:
    if born in (None, ""):
        return None
    try:
        year = ascii_int(born)
    except ValueError:
        raise YibaoError("INVALID_ARGUMENT", detail=Msg("detail.born", value=str(born)[:10])) from None
    if not 1900 <= year <= today.year:
        raise YibaoError("INVALID_ARGUMENT", detail=Msg("detail.born", value=year))
    return year


def _find_cursor(cursor: str | None) -> tuple[tuple[str, str] | None, int | None]:
    """``birth_date|id|total``: where the next page starts, and the count of every match (so that
    later pages do not count again)."""
    if not cursor:
        return None, None
    parts = str(cursor).split("|")
    try:
        if len(parts) != 3 or not parts[0] or not parts[1]:
            raise ValueError(cursor)
        return (parts[0], parts[1]), ascii_int(parts[2])
    except ValueError:
        raise YibaoError("INVALID_ARGUMENT", detail=Msg("detail.cursor", value=repr(str(cursor)[:40]))) from None


def _mask_stored_id(pid: str) -> str:
    """``mask_id`` of an ID as the ledger stores it (18 folded ASCII characters): the same first 3
    and last 4, without the folding of typed input (a quarter of a search's time at 1M persons)."""
    return pid[:3] + "*" * (len(pid) - 7) + pid[-4:] if len(pid) == 18 and pid.isascii() else mask_id(pid)


def search_hash(key: str) -> str:
    """What the audit keeps of a searched name besides its masked form: enough for an auditor to
    check whether a given name was searched (hash it the same way), not to read it back."""
    return hashlib.sha256(("yibao.person.find\x1f" + key).encode("utf-8")).hexdigest()[:16]


def find_persons(
    ledger: Ledger,
    name: str,
    born: int | str | None = None,
    region: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
    audit: bool = True,
) -> PersonMatchPage:
    """Persons whose normalised name is ``name``, by birth date then ID (keyset pages); audited
    as ``person.find`` with the name masked and hashed, never in full (``audit=False`` only for
    the benchmark's read path)."""
    require_staff(ledger)
    key = _find_query(name)
    year = _born(born, ledger.today())
    reg = (region or "").strip() or None
    if reg is not None:
        from yibao_tui.domain.policy import valid_region  # not when the ledger is opened

        if not valid_region(reg):
            raise YibaoError("INVALID_REGION", region=reg[:12])
    limit = max(1, min(int(limit), FIND_MAX_LIMIT))
    after, known_total = _find_cursor(cursor)
    where = ["p.name_key = ?"]
    args: list[Any] = [key]
    if year is not None:
        where.append("p.birth_date >= ? AND p.birth_date < ?")
        args += [f"{year}-01-01", f"{year + 1}-01-01"]
    if reg is not None:
        where.append("p.region = ?")
        args.append(reg)
    filters = " AND ".join(where)
    page_where = filters + (" AND (p.birth_date, p.id) > (?, ?)" if after else "")
    page_args = [*args, *(after or ())]

    def run() -> PersonMatchPage:
        db = ledger.db
        rows, more = db.page(
            "SELECT p.id, p.name, p.sex, p.birth_date, p.region, p.scheme, a.status"
            " FROM persons p LEFT JOIN accounts a ON a.person_id = p.id"
            f" WHERE {page_where} ORDER BY p.birth_date, p.id LIMIT ?",
            page_args, limit,
        )
        if known_total is not None:  # a later page: the first page counted them
            total = known_total
        elif not more and not after:  # everything fits on this first page: no count needed
            total = len(rows)
        else:
            total = db.one(f"SELECT COUNT(*) FROM persons p WHERE {filters}", args)[0]
        names: dict[str, str] = {}  # namesakes mostly share one spelling: mask it once
        matches = [
            PersonMatch(r[0], _mask_stored_id(r[0]), names.get(r[1]) or names.setdefault(r[1], mask_name(r[1])), r[2],
                        r[3], r[4], r[5], r[6] or "active")
            for r in rows
        ]
        last = rows[-1] if (rows and more) else None
        return PersonMatchPage(matches=matches, next_cursor=f"{last[3]}|{last[0]}|{total}" if last else None,
                               total=total)

    page: PersonMatchPage = ledger.run(run)
    if not audit:
        return page
    detail = {"name": mask_name(name.strip()), "name_sha256": search_hash(key), "born": year,
              "region": reg, "page": bool(cursor), "found": page.total}
    ledger.audit_read("person.find", None, json.dumps(detail, ensure_ascii=False, sort_keys=True))
    return page


# --------------------------------------------------------------------------- operators
def check_operator_id(op_id: str) -> str:
    """1 to 32 ASCII letters or digits."""
    value = str(op_id).strip()
    if not (1 <= len(value) <= 32 and value.isascii() and value.isalnum()):
        raise YibaoError("INVALID_ARGUMENT", detail=Msg("detail.operator_id", value=repr(value[:32])))
    return value


def operators(ledger: Ledger) -> list[OperatorInfo]:
    """Every operator, by ID, with their state (audited as ``operator.list``)."""
    require_supervisor(ledger)
    out = _operator_rows(ledger)
    ledger.audit_read("operator.list", None, json.dumps({"n": len(out)}))
    return out


def _operator_write(ledger: Ledger, kind: str, op_id: str, sql: str, extra: tuple[Any, ...] = (),
                    guard: str | None = None) -> OperatorInfo:
    """One audited change of an operator's row (``sql`` takes ``extra`` then the ID)."""
    require_supervisor(ledger)
    target = check_operator_id(op_id)
    if guard == "self" and target == ledger.operator:
        raise YibaoError("OPERATOR_SELF")

    def body(db: Db, op: int, now: str) -> dict[str, Any]:
        if db.one("SELECT 1 FROM operators WHERE id = ?", (target,)) is None:
            raise YibaoError("UNKNOWN_OPERATOR", id=target)
        db.execute(sql, (*[now if x is _NOW else x for x in extra], target))
        return {"id": target}

    ledger.write(kind, {"id": target}, None, body, None)
    return next(o for o in _operator_rows(ledger) if o.id == target)


_NOW = object()


def _operator_rows(ledger: Ledger) -> list[OperatorInfo]:
    now = ledger.now()
    rows = ledger.run(lambda: ledger.db.all(
        "SELECT id, name, role, failures, locked_until, disabled_at, created_at FROM operators ORDER BY id"))
    out = []
    for r in rows:
        locked = r[4] if (r[4] and r[4] > now) else None
        status = "disabled" if r[5] else ("locked" if locked else "active")
        out.append(OperatorInfo(id=r[0], name=r[1], role=r[2], status=status, failures=int(r[3] or 0),
                                locked_until=locked, disabled_at=r[5], created_at=r[6]))
    return out


def operator_disable(ledger: Ledger, op_id: str) -> OperatorInfo:
    """A departed clerk: no login from now on (the same refusal as a wrong password)."""
    return _operator_write(ledger, "operator.disable", op_id,
                           "UPDATE operators SET disabled_at = COALESCE(disabled_at, ?) WHERE id = ?",
                           (_NOW,), guard="self")


def operator_enable(ledger: Ledger, op_id: str) -> OperatorInfo:
    """Allow a disabled operator to log in again."""
    return _operator_write(ledger, "operator.enable", op_id, "UPDATE operators SET disabled_at = NULL WHERE id = ?")


def operator_unlock(ledger: Ledger, op_id: str) -> OperatorInfo:
    """End a lockout now (instead of waiting 15 minutes) and forget the failures."""
    return _operator_write(ledger, "operator.unlock", op_id,
                           "UPDATE operators SET failures = 0, locked_until = NULL WHERE id = ?")


def operator_reset_password(ledger: Ledger, op_id: str, password: str) -> OperatorInfo:
    """A new password (scrypt hash only); also ends a lockout."""
    from yibao_tui.ledger import access

    check_operator_id(op_id)
    pw_hash = access.hash_secret(access.check_password(password))
    return _operator_write(ledger, "operator.reset_password", op_id,
                           "UPDATE operators SET pw_hash = ?, failures = 0, locked_until = NULL WHERE id = ?",
                           (pw_hash,))


# --------------------------------------------------------------------------- audit log
def audit_page(
    ledger: Ledger,
    person: str | None = None,
    operator: str | None = None,
    action: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> AuditPage:
    """One keyset page of the audit log, newest first, filtered. ``action`` matches that action
    and its outcomes (``operator.login`` also finds ``operator.login.failed``). Reading the log
    is itself recorded (``audit.read``), once per query (not per page)."""

    require_supervisor(ledger)
    d_from, d_to = parse_day(date_from), parse_day(date_to)
    if d_from and d_to and d_from > d_to:
        raise YibaoError("INVALID_DATE", value=f"{d_from} > {d_to}")
    limit = max(1, min(int(limit), AUDIT_MAX_LIMIT))
    where: list[str] = []
    args: list[Any] = []
    if person and person.strip():
        where.append("subject = ?")
        args.append(normalise_id(person))
    if operator and operator.strip():
        where.append("operator = ?")
        args.append(operator.strip())
    if action and action.strip():
        act = action.strip()
        where.append("(action = ? OR (action >= ? AND action < ?))")
        args += [act, act + ".", act + "/"]  # '/' sorts right after '.'
    lo, hi = day_bounds(d_from, d_to)
    if lo:
        where.append("time >= ?")
        args.append(lo)
    if hi:
        where.append("time < ?")
        args.append(hi)
    if cursor:
        try:
            where.append("seq < ?")
            args.append(ascii_int(cursor))
        except ValueError:
            raise YibaoError("INVALID_ARGUMENT", detail=Msg("detail.cursor", value=repr(str(cursor)[:40]))) from None
    sql = "SELECT seq, time, channel, operator, action, subject, detail FROM audit"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq DESC LIMIT ?"
    rows, more = ledger.run(lambda: ledger.db.page(sql, args, limit))
    page = [AuditRow(*r) for r in rows]
    if not cursor:
        detail = {"person": mask_id(normalise_id(person)) if person and person.strip() else None,
                  "operator": operator or None, "action": action or None, "from": date_from or None,
                  "to": date_to or None}
        ledger.audit_read("audit.read", None, json.dumps(detail, ensure_ascii=False, sort_keys=True))
    return AuditPage(rows=page, next_cursor=str(page[-1].seq) if (more and page) else None)


def audit_rows(ledger: Ledger, person: str | None = None, operator: str | None = None, since: str | None = None,
               limit: int = 1000) -> list[AuditRow]:
    """The audit log, newest first, filtered (the CLI's ``yibao audit``; not audited itself)."""
    where: list[str] = []
    args: list[Any] = []
    if person:
        where.append("subject = ?")
        args.append(normalise_id(person))
    if operator:
        where.append("operator = ?")
        args.append(fold(operator))
    if since:
        d = parse_day(since)
        where.append("time >= ?")
        args.append(f"{d} 00:00:00")
    sql = "SELECT seq, time, channel, operator, action, subject, detail FROM audit"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq DESC LIMIT ?"
    rows = ledger.run(lambda: ledger.db.all(sql, (*args, limit)))
    return [AuditRow(*r) for r in rows]
