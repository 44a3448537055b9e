"""Issue 9 item 8: files holding personal data are created 0600 and the folders made for them
0700, whatever the umask; tui.json never keeps a full ID number."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Family, frozen_clock, pid
from yibao_tui.cli import main
from yibao_tui.ledger.store import Ledger
from yibao_tui.receipts import save_receipt, save_receipt_files, withdrawal_receipt
from yibao_tui.settings import Settings
from yibao_tui.tui.kiosk.config import set_admin_pin


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture(autouse=True)
def _open_umask() -> Iterator[None]:
    """The most permissive umask: every mode below comes from the code, not the umask."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_a_new_ledger_its_wal_and_shm_and_its_folders(tmp_path: Path, capsys) -> None:
    path = tmp_path / "a" / "b" / "ledger.db"
    assert main(["--db", str(path), "init"]) == 0
    assert mode(path) == 0o600 and mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    led = Ledger(path, clock=frozen_clock)
    try:
        Family(led)  # an open connection that has written: the -wal and -shm files exist
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert wal.exists() and shm.exists()
        assert (mode(wal), mode(shm)) == (0o600, 0o600)
    finally:
        led.close()


def test_settings_file_is_private_and_keeps_no_full_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YIBAO_CONFIG_DIR", str(tmp_path / "cfg" / "yibao"))
    full = pid("440300", "2017-02-16", 7)
    s = Settings(theme="nord")
    assert s.remember("A1000001", full)
    assert s.save()
    path = Settings.path()
    assert mode(path) == 0o600 and mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    data = json.loads(path.read_text("utf-8"))
    assert data["last_person"] == "A1000001" and data["last_person_masked"] == full[:3] + "*" * 11 + full[-4:]
    assert full not in path.read_text("utf-8")
    # a person without a card is not remembered; an older file's full ID is never written back
    s.remember(None, full)
    s.save()
    assert full not in path.read_text("utf-8") and json.loads(path.read_text("utf-8"))["last_person"] is None
    path.write_text(json.dumps({"last_person": full}), "utf-8")
    old = Settings.load()
    assert old.last_person == full  # still opens that person once
    old.theme = "dark"
    old.save()
    assert full not in path.read_text("utf-8")


def test_receipts_and_kiosk_config_are_private(tmp_path: Path, ledger: Ledger) -> None:
    folder = tmp_path / "exports" / "receipts"
    text = save_receipt("收据", "r1", folder)
    assert mode(text) == 0o600 and mode(folder) == 0o700 and mode(folder.parent) == 0o700
    from yibao_tui.domain.models import WithdrawalReceipt

    r = WithdrawalReceipt(withdrawal_id="WD1", person_id=pid(), case="death", payee="heirs", payee_name="王",
                          payee_account="6222020000000001", amount_fen=100, operator="A01", cosigner="S01",
                          time="2026-11-22 10:00:00")
    saved = save_receipt_files(withdrawal_receipt(r), "w1", folder)
    assert mode(saved.text_path) == 0o600
    if saved.pdf_path is not None:
        assert mode(saved.pdf_path) == 0o600
    config = tmp_path / "kcfg" / "kiosk.toml"
    set_admin_pin(config, "86427531")
    assert mode(config) == 0o600 and mode(config.parent) == 0o700
