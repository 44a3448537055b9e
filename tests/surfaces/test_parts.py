"""The pieces of the surfaces without a terminal: idle timer, environment scrub, kiosk config,
receipts, the message catalogue."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.surfaces.kit import ID18
from yibao_tui.domain.models import PremiumPayment, WithdrawalReceipt
from yibao_tui.i18n import set_lang
from yibao_tui.i18n.messages import modes
from yibao_tui.ledger.access import check_secret
from yibao_tui.receipts import premium_receipt, save_receipt, scrub_ids, withdrawal_receipt
from yibao_tui.tui.host.idle import FakeClock, IdleTimer
from yibao_tui.tui.kiosk import config as kiosk

HOLDER = "11010519491231002X"
RELATIVE = "440300201702160076"


def test_idle_timer_states_follow_the_clock():
    clock = FakeClock()
    idle = IdleTimer(60, 10, clock)
    assert idle.state() == "active"
    clock.advance(59.9)
    assert idle.state() == "active"
    clock.advance(0.1)
    assert idle.state() == "warning" and idle.remaining() == 10
    clock.advance(7.5)
    assert idle.remaining() == 3
    idle.touch()
    assert idle.state() == "active"
    clock.advance(70)
    assert idle.state() == "expired" and idle.remaining() == 0
    counter = IdleTimer(300, 0, clock)
    clock.advance(300)
    assert counter.state() == "expired"


def test_scrub_environment_removes_every_textual_variable():
    env = {"TEXTUAL": "1", "TEXTUAL_DEBUG": "1", "TEXTUAL_SCREENSHOT": "1", "textual_press": "x",
           "TEXTUAL_ALLOW_SIGNALS": "1", "PATH": "/bin", "YIBAO_DB": "x"}
    removed = kiosk.scrub_environment(env)
    assert sorted(removed) == sorted(["TEXTUAL", "TEXTUAL_DEBUG", "TEXTUAL_SCREENSHOT", "textual_press",
                                      "TEXTUAL_ALLOW_SIGNALS"])
    assert env == {"PATH": "/bin", "YIBAO_DB": "x"}


def test_kiosk_refuses_to_start_without_an_admin_pin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    for name in [k for k in os.environ if k.upper().startswith("TEXTUAL")]:
        monkeypatch.setenv(name, os.environ[name])  # restored after the test
    monkeypatch.setenv("TEXTUAL_DEBUG", "1")
    monkeypatch.setenv("TEXTUAL_PRESS", "ctrl+q")
    called: list[object] = []
    code = kiosk.run_kiosk(lambda actor: called.append(actor), config=tmp_path / "none.toml")  # type: ignore[arg-type,func-returns-value]
    assert code == 2 and not called
    assert "--set-admin-pin" in capsys.readouterr().err
    assert not [k for k in os.environ if k.startswith("TEXTUAL")]  # scrubbed before anything else


def test_set_admin_pin_stores_only_a_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "kiosk.toml"
    path.write_text("idle_seconds = 90\n", "utf-8")
    cfg = kiosk.set_admin_pin(path, "24681357")
    text = path.read_text("utf-8")
    assert "24681357" not in text and cfg.admin_pin_hash and check_secret("24681357", cfg.admin_pin_hash)
    loaded = kiosk.KioskConfig.load(path)
    assert loaded == cfg and loaded.idle_seconds == 90 and loaded.countdown_seconds == 10
    assert loaded.admin_key == "ctrl+f12"
    with pytest.raises(ValueError):
        kiosk.set_admin_pin(path, "12ab")
    # the command-line way: python -m yibao_tui.tui.kiosk.config --set-admin-pin (stdin when piped)
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("97531864\n"))
    assert kiosk.main(["--set-admin-pin", "--config", str(path)]) == 0
    assert check_secret("97531864", kiosk.KioskConfig.load(path).admin_pin_hash or "")
    assert kiosk.KioskConfig.load(tmp_path / "missing.toml") == kiosk.KioskConfig()
    (tmp_path / "bad.toml").write_text("admin_pin_hash = [", "utf-8")
    with pytest.raises(ValueError):
        kiosk.KioskConfig.load(tmp_path / "bad.toml")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_receipts_are_masked(lang: str, tmp_path: Path):
    set_lang(lang)
    payment = PremiumPayment(payment_id="PM20260000000001", payer_id=HOLDER, relative_id=RELATIVE, year=2025,
                             amount_fen=40000, balance_after_fen=100, time="2026-03-02 10:00:00")
    wd = WithdrawalReceipt(withdrawal_id="WD20260000000009", person_id=HOLDER, case="emigration",
                           payee="holder", payee_name="欧阳小明", payee_account="6222020200112233",
                           amount_fen=760744, operator="A001", cosigner="S001", time="2026-03-02 10:00:00")
    texts = [
        premium_receipt(payment, payer_name="张三", relative_name="张小花", operator="A001").text(),
        withdrawal_receipt(wd, holder_name="欧阳小明").text(),
    ]
    for text in texts:
        assert not ID18.search(text) and "欧阳小明" not in text and "张小花" not in text
        assert "2026-03-02 10:00:00" in text
    assert "PM20260000000001" in texts[0] and "A001" in texts[0] and "¥400.00" in texts[0]
    assert "WD20260000000009" in texts[1] and "S001" in texts[1] and "2233" in texts[1]
    assert "6222020200112233" not in texts[1]
    path = save_receipt(texts[1], "withdrawal-WD1", folder=tmp_path)
    again = save_receipt(texts[1], "withdrawal-WD1", folder=tmp_path)
    assert path != again and path.read_text("utf-8") == texts[1]


def test_scrub_ids_masks_any_full_id():
    assert scrub_ids(f"查无此人：{HOLDER}，{RELATIVE}") == "查无此人：110***********002X，440***********0076"


def test_catalogue_has_the_same_keys_in_both_languages():
    assert modes.ZH.keys() == modes.EN.keys()
    for key in modes.ZH:
        assert modes.ZH[key].count("{") == modes.EN[key].count("{"), key


@pytest.mark.parametrize(("lang", "said"), [("zh", "没有管理员密码"), ("en", "no admin PIN")])
def test_kiosk_start_messages_in_the_users_language(lang: str, said: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch, capsys):
    """Bug: ``yibao kiosk`` and ``python -m yibao_tui.tui.kiosk.config`` spoke English only."""
    for name in [k for k in os.environ if k.upper().startswith("TEXTUAL")]:
        monkeypatch.setenv(name, os.environ[name])  # restored after the test
    code = kiosk.run_kiosk(lambda actor: None, config=tmp_path / "none.toml", lang=lang)  # type: ignore[arg-type,return-value]
    err = capsys.readouterr().err
    assert code == 2 and said in err and "--set-admin-pin" in err
    # the documented command, not a module path that moved with the code
    assert f"yibao kiosk --set-admin-pin --config {tmp_path / 'none.toml'}" in err
    (tmp_path / "bad.toml").write_text("admin_pin_hash = [", "utf-8")
    assert kiosk.run_kiosk(lambda actor: None, config=tmp_path / "bad.toml", lang=lang) == 2  # type: ignore[arg-type,return-value]
    assert ("配置文件有误" if lang == "zh" else "damaged") in capsys.readouterr().err
    import io

    set_lang(lang)
    monkeypatch.setattr("sys.stdin", io.StringIO("12ab\n"))
    assert kiosk.main(["--set-admin-pin", "--config", str(tmp_path / "k.toml")]) == 2
    assert ("6 至 12 位数字" if lang == "zh" else "6 to 12 digits") in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("97531864\n"))
    assert kiosk.main(["--set-admin-pin", "--config", str(tmp_path / "k.toml")]) == 0
    assert kiosk.main(["--config", str(tmp_path / "k.toml")]) == 0
    out = capsys.readouterr().out
    assert ("已保存" in out and "已设置" in out) if lang == "zh" else ("stored" in out and "set," in out)


def test_list_separator_follows_the_language():
    """Bug: the kiosk joined the holders who bound you with "、" in English too."""
    from yibao_tui.i18n import t

    assert t("mode.list_sep", lang="zh") == "、" and t("mode.list_sep", lang="en") == ", "
