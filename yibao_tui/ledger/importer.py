"""``yibao import persons FILE.csv``: validate every row, then all of them go in, or none."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from yibao_tui.domain import rules
from yibao_tui.domain.errors import Msg, YibaoError
from yibao_tui.domain.idnum import fold, parse_id
from yibao_tui.domain.models import ImportResult
from yibao_tui.domain.money import parse_amount
from yibao_tui.domain.policy import policy_for, valid_region
from yibao_tui.domain.text import ascii_int

if TYPE_CHECKING:
    from yibao_tui.ledger.dialect import Db
    from yibao_tui.ledger.store import Ledger

COLUMNS = ("id", "name", "scheme", "region", "card", "opening_balance")


def _line(row: dict[str, Any], index: int) -> int:
    """The row's line in the file it came from (its ``line``, in ASCII digits), else its place."""
    try:
        return ascii_int(row["line"])
    except (KeyError, ValueError):
        return index + 2


def import_rows(ledger: Ledger, rows: list[dict[str, str]], key: str | None,
                progress: Callable[[int, int], None] | None, source_sha256: str | None = None) -> ImportResult:
    """Check each row (with its ``line``), report every bad one, insert all in one transaction."""
    from yibao_tui.domain.text import check_name
    from yibao_tui.ledger.checks import check_card
    from yibao_tui.ledger.checks import shown as _shown
    from yibao_tui.ledger.persons import insert_person

    errors: list[dict[str, Any]] = []
    clean: list[tuple[Any, ...]] = []
    seen_ids: dict[str, int] = {}
    seen_cards: dict[str, int] = {}
    today = ledger.today()
    total = len(rows)
    # First what the rows say on their own (the request an idempotency key names), then what the
    # ledger holds: a replay of an import is answered from its key, not refused as 30 × PERSON_EXISTS.
    for i, row in enumerate(rows):
        line = _line(row, i)
        try:
            pid = parse_id(row.get("id", ""), today=today)
            name = check_name(row.get("name", ""))
            scheme = (row.get("scheme") or "").strip()
            if scheme not in ("employee", "resident"):
                raise YibaoError("INVALID_ARGUMENT", detail=f"scheme={scheme!r}")
            region = fold(row.get("region") or "")
            if not valid_region(region):
                raise YibaoError("INVALID_REGION", region=_shown(region, 12))
            rules.check_scheme_age(scheme, pid.birth_date, today, policy_for(region, today.year))
            card = check_card(row.get("card"))
            opening_text = str(row.get("opening_balance") or "").strip()
            opening = parse_amount(opening_text, allow_zero=True) if opening_text else 0
            if opening and scheme != "employee":
                raise YibaoError("NOT_EMPLOYEE_INSURED", id=pid.value)
            if pid.value in seen_ids:
                raise YibaoError("PERSON_EXISTS", id=Msg("cli.import.same_as", value=pid.value, line=seen_ids[pid.value]))
            if card and card in seen_cards:
                raise YibaoError("CARD_IN_USE", card=Msg("cli.import.same_as", value=card, line=seen_cards[card]))
            seen_ids[pid.value] = line
            if card:
                seen_cards[card] = line
            clean.append((line, pid.value, name, scheme, region, card, pid.birth_date.isoformat(), pid.sex, opening))
        except YibaoError as e:
            errors.append({"line": line, "code": e.code, "reason": e.text()})
        if progress and (i % 200 == 0 or i == total - 1):
            progress(i + 1, total * 2)
    request = {"rows": [c[1:] for c in clean]}
    if key is not None and not errors:
        stored = ledger.stored("import.persons", request, key)
        if stored is not None:
            return ImportResult(imported=int(stored["imported"]), errors=[], replayed=True)
    db = ledger.db
    for line, pid_value, _, _, _, card, *_ in clean:
        try:
            if db.one("SELECT 1 FROM persons WHERE id = ?", (pid_value,)):
                raise YibaoError("PERSON_EXISTS", id=pid_value)
            if card and db.one("SELECT 1 FROM persons WHERE card = ?", (card,)):
                raise YibaoError("CARD_IN_USE", card=card)
        except YibaoError as e:
            errors.append({"line": line, "code": e.code, "reason": e.text()})
    if errors:
        return ImportResult(imported=0, errors=sorted(errors, key=lambda e: int(e["line"])))

    def body(db: Db, op_id: int, now: str) -> dict[str, Any]:
        bad: list[dict[str, Any]] = []
        for j, (line, pid, name, scheme, region, card, birth, sex, opening) in enumerate(clean):
            try:
                insert_person(db, op_id, now, pid, name, scheme, region, card, birth, sex, opening)
            except YibaoError as e:
                bad.append({"line": line, "code": e.code, "reason": e.text()})
            if progress and (j % 200 == 0 or j == len(clean) - 1):
                progress(total + j + 1, total * 2)
        if bad:
            raise _RowErrors(bad)
        return {"imported": len(clean)}

    # the audit (read on screens others see) keeps who, how many and which file: never the roster
    digest = source_sha256 or hashlib.sha256(
        json.dumps(rows, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()
    audit = {"count": len(clean), "sha256": digest, "operator": ledger.operator or ledger.channel}
    try:
        response, replayed = ledger.write("import.persons", request, key, body, None, audit=audit)
    except _RowErrors as e:
        return ImportResult(imported=0, errors=e.rows)
    return ImportResult(imported=int(response["imported"]), errors=[], replayed=replayed)


class _RowErrors(Exception):
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        super().__init__("rows")
