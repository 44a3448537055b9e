"""Issue 9 item 1: one spelling per identifier. ID, card, operator and account numbers are folded
(NFKC, spaces removed) and then must be ASCII before they are validated, stored, compared or
masked; other scripts' digits are refused; ``verify`` finds records an old ledger holds twice."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Family, pid
from yibao_tui.cli import main
from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.idnum import parse_id
from yibao_tui.domain.masking import mask_card, mask_id
from yibao_tui.ledger.store import Ledger

H = pid("440300", "1985-06-15", 11)
C = pid("440300", "2014-09-09", 31)
FULL = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
BENGALI = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(["--json", *argv])
    out = [x for x in capsys.readouterr().out.splitlines() if x.strip()]
    assert len(out) == 1, out
    return code, json.loads(out[0])


def test_full_width_id_is_the_same_person_and_the_premium_is_not_paid_twice(capsys, db_path: Path) -> None:
    db = str(db_path)
    assert run(capsys, "--db", db, "person", "add", H, "--name", "王伟", "--scheme", "employee",
               "--region", "440300", "--opening-balance", "5000")[0] == 0
    assert run(capsys, "--db", db, "person", "add", C, "--name", "王小明", "--scheme", "resident",
               "--region", "440300")[0] == 0
    assert run(capsys, "--db", db, "family", "bind", H, C, "--relation", "child")[0] == 0
    code, paid = run(capsys, "--db", db, "premium", "pay", H, C, "--year", "2027")
    assert code == 0, paid
    # the reported attack: the same child again, typed in full-width digits
    wide = C[:-1].translate(FULL) + C[-1]
    code, again = run(capsys, "--db", db, "person", "add", wide, "--name", "王小明", "--scheme", "resident",
                      "--region", "440300")
    assert (code, again["error"]["code"]) == (3, "PERSON_EXISTS")
    code, twice = run(capsys, "--db", db, "premium", "pay", H.translate(FULL), wide, "--year", "2027")
    assert (code, twice["error"]["code"]) == (3, "PREMIUM_ALREADY_PAID")
    code, shown = run(capsys, "--db", db, "balance", H.translate(FULL))
    assert code == 0 and shown["id"] == H and shown["balance_fen"] == 500_000 - paid["amount_fen"]
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT COUNT(*) FROM persons").fetchone()[0] == 2
        assert conn.execute("SELECT COUNT(*) FROM premium_payments").fetchone()[0] == 1
    finally:
        conn.close()


@pytest.mark.parametrize("table", [ARABIC, BENGALI], ids=["arabic-indic", "bengali"])
def test_other_scripts_digits_are_refused_and_never_echoed(capsys, db_path: Path, table: dict[int, str]) -> None:
    db = str(db_path)
    assert run(capsys, "--db", db, "init")[0] == 0
    other = C[:-1].translate(table) + C[-1]
    for argv in (["person", "add", other, "--name", "王小明", "--scheme", "resident", "--region", "440300"],
                 ["balance", other], ["family", "list", other], ["balance", "A1" + "٢" * 6]):
        code, out = run(capsys, "--db", db, "--lang", "en", *argv)
        assert (code, out["error"]["code"]) == (2, "INVALID_ID_NUMBER"), argv
        message = out["error"]["message"]
        assert message.isascii(), message  # nothing of the number typed comes back
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM persons").fetchone()[0] == 0


def test_parse_id_folds_and_refuses() -> None:
    assert parse_id(C.translate(FULL)).value == C
    assert parse_id(" ".join(C)).value == C
    with pytest.raises(YibaoError) as e:
        parse_id(C.translate(ARABIC))
    assert e.value.code == "INVALID_ID_NUMBER" and e.value.params["reason_code"] == "format"


def test_masks_work_on_the_folded_form() -> None:
    assert mask_id(C.translate(FULL)) == mask_id(C) == C[:3] + "*" * 11 + C[-4:]
    assert mask_card("ａ１０００００２") == "****0002"


def test_cards_operators_regions_and_accounts_fold_too(ledger: Ledger) -> None:
    f = Family(ledger)
    # a full-width card is the card: the same person, and in use for anyone else
    assert ledger.person("Ａ１０００００１").id == f.holder
    other = pid("440300", "1990-01-01", 61)
    with pytest.raises(YibaoError) as e:
        ledger.add_person(other, "赵六", "employee", "４４０３００", card="ａ１０００００２")
    assert e.value.code == "CARD_IN_USE"
    with pytest.raises(YibaoError) as e:
        ledger.add_person(other, "赵六", "employee", "٤٤٠٣٠٠")
    assert e.value.code == "INVALID_REGION" and "٤" not in str(e.value.params)
    assert ledger.add_person(other, "赵六", "employee", "４４０３００").region == "440300"
    # an operator number is one spelling: full-width logs in as the same operator, and cannot
    # be added a second time
    ledger.operator_add("A01", "刘敏", "clerk", "Counter-Window-7")
    assert ledger.operator_login("Ａ０１", "Counter-Window-7").id == "A01"
    with pytest.raises(YibaoError) as e:
        ledger.operator_add("Ａ０１", "刘敏", "clerk", "Counter-Window-7")
    assert e.value.code == "OPERATOR_EXISTS"
    with pytest.raises(YibaoError) as e:
        ledger.operator_add("٠١", "x", "clerk", "Counter-Window-7")
    assert e.value.code == "INVALID_ARGUMENT" and "٠" not in e.value.message("zh") + e.value.message("en")


def test_verify_reports_two_records_for_one_number(db_path: Path) -> None:
    led = Ledger(db_path)
    try:
        Family(led)
        f = Family.__new__(Family)
        f.child = pid("440300", "2014-09-09", 31)
        wide = f.child.translate(FULL)
        # an old ledger could hold the full-width spelling as a second record
        led.conn.execute(
            "INSERT INTO persons (id, name, scheme, region, birth_date, sex, created_at)"
            " VALUES (?, '王小明', 'resident', '440300', '2014-09-09', 'M', '2025-12-01 09:00:00')", (wide,))
        led.conn.execute(
            "INSERT INTO persons (id, name, scheme, region, birth_date, sex, created_at, card)"
            " VALUES (?, 'x', 'resident', '440300', '2000-01-01', 'M', '2025-12-01 09:00:00', 'ａ１０００００２')",
            (pid("440300", "2000-01-01", 71),))
        report = led.verify()
    finally:
        led.close()
    assert not report.ok
    text = "\n".join(report.failures)
    assert f"ID number {mask_id(f.child)}: 2 person records for one number" in text
    assert "card ****0002: 2 persons hold one card number" in text
    assert wide not in text and "０" not in text
    # the test ledger is not left behind for the teardown check
    db_path.unlink()
    for extra in ("-wal", "-shm"):
        Path(str(db_path) + extra).unlink(missing_ok=True)
