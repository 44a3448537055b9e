"""``yibao print list|reprint``: the kept documents, and printing them again on the real CUPS
test printer; a reprint never charges (the ledger is not opened), an unknown id is exit 2."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from tests.cli.test_cli import H, P, db, run  # noqa: F401  (db is a fixture)
from tests.printing.cups import PRINTER, outputs, require_cups, set_enabled, wait_for_new_pdf
from yibao_tui.cli import main
from yibao_tui.domain.masking import mask_id
from yibao_tui.domain.models import PremiumPayment
from yibao_tui.printing import pending, print_document
from yibao_tui.receipts import premium_receipt


@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("YIBAO_SPOOL_DIR", str(tmp_path / "spool"))
    return tmp_path / "spool"


def paid(capsys, db: str) -> PremiumPayment:  # noqa: F811
    assert run(capsys, "--db", db, "family", "bind", H, P, "--relation", "parent")[0] == 0
    code, p = run(capsys, "--db", db, "premium", "pay", H, P, "--year", "2027", "--key", "pay-1")
    assert code == 0
    return PremiumPayment(payment_id=p["payment_id"], payer_id=H, relative_id=P, year=2027,
                          amount_fen=p["amount_fen"], balance_after_fen=p["balance_after_fen"],
                          time="2026-03-02 10:00:00")


def test_list_and_reprint_a_kept_receipt_never_charges(capsys, db, spool: Path):  # noqa: F811
    require_cups()
    payment = paid(capsys, db)
    receipt = premium_receipt(payment, payer_name="王伟", relative_name="王建国", operator="A001")
    name = f"premium-{payment.payment_id}"
    set_enabled(False)  # out of paper: the receipt is kept
    try:
        assert not print_document(receipt, name, PRINTER).printed
        code, listing = run(capsys, "print", "list")
        assert code == 0 and listing["spool"] == str(spool)
        [doc] = listing["documents"]
        assert (doc["id"], doc["kind"]) == (name, "premium") and doc["bytes"] > 0
        assert stat.S_IMODE(Path(doc["path"]).stat().st_mode) == 0o600
        # still stopped: the reprint fails with the reason, exit 1, and the document stays
        code, err = run(capsys, "print", "reprint", name, "--printer", PRINTER)
        assert (code, err["error"]["code"]) == (1, "PRINT_FAILED")
        assert f"打印机 {PRINTER} 已停止" in err["error"]["message"] and len(pending(spool)) == 1
    finally:
        set_enabled(True)
    balance = run(capsys, "--db", db, "balance", H)[1]["balance_fen"]
    before = outputs()
    code, done = run(capsys, "print", "reprint", name, "--printer", PRINTER)
    assert code == 0 and done["printed"] is True and done["printer"] == PRINTER and done["job"]
    printed = wait_for_new_pdf(before, payment.payment_id).replace(" ", "")
    assert "代缴保费回执" in printed and "¥400.00" in printed and mask_id(H) in printed
    assert H not in printed
    assert pending(spool) == [] and run(capsys, "print", "list")[1]["documents"] == []
    # paid once: the balance and the payments are as before the reprint
    assert run(capsys, "--db", db, "balance", H)[1]["balance_fen"] == balance
    assert len(run(capsys, "--db", db, "premium", "list", H)[1]["payments"]) == 1


def test_unknown_id_nothing_kept_and_bad_arguments(capsys, spool: Path):
    code, err = run(capsys, "print", "reprint", "premium-PM1")
    assert (code, err["error"]["code"]) == (2, "UNKNOWN_DOCUMENT") and "premium-PM1" in err["error"]["message"]
    assert run(capsys, "print", "reprint", "--all") == (0, {"documents": []})
    code, err = run(capsys, "print", "reprint")
    assert (code, err["error"]["code"]) == (2, "INVALID_ARGUMENT")
    assert main(["print", "list"]) == 0 and "没有待补打的单据" in capsys.readouterr().out
    assert main(["--lang", "en", "print", "reprint", "x"]) == 2
    assert "No document x is waiting for a reprint" in capsys.readouterr().err


def test_reprint_all_prints_every_kept_document(capsys, spool: Path):
    require_cups()
    from tests.printing.test_cups import slip

    set_enabled(False)
    try:
        for n in (1, 2):
            print_document(slip(), f"premium-PM2026000000004{n}", PRINTER)
    finally:
        set_enabled(True)
    before = outputs()
    code, done = run(capsys, "print", "reprint", "--all", "--printer", PRINTER)
    assert code == 0 and [d["id"] for d in done["documents"]] == ["premium-PM20260000000041",
                                                                 "premium-PM20260000000042"]
    assert pending(spool) == []
    # both printed (cups-pdf names its files after the job's title, our document id); waited
    # for, so that no late file lands in the next test's output folder
    names = {f"premium-PM2026000000004{n}" for n in (1, 2)}
    for _ in range(300):
        if names <= {path.name.split("__")[0] for path, _ in outputs() - before}:
            break
        time.sleep(0.2)
    assert names <= {path.name.split("__")[0] for path, _ in outputs() - before}
