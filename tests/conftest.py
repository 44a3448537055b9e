"""Shared fixtures: real SQLite ledgers in temp folders, a frozen clock, isolated config.

Every ledger a test creates through these fixtures is verified when the test ends: the suite
as a whole leaves no ledger that ``verify`` rejects.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
# A catalogue text rendered without a parameter it names fails the test (and any CLI the test
# starts in a subprocess), instead of showing "{name}" to a user.
os.environ["YIBAO_I18N_STRICT"] = "1"

import yibao_tui.ledger.kernel as kernel  # noqa: E402
from yibao_tui.domain.idnum import make_id  # noqa: E402
from yibao_tui.i18n import set_lang  # noqa: E402
from yibao_tui.ledger.store import CN_TZ, Ledger  # noqa: E402

FROZEN = dt.datetime(2026, 11, 22, 10, 0, 0, tzinfo=CN_TZ)
#: The sample site policy (sample figures, not an official standard): the tests run as a site
#: that loads it, so that premiums are payable on their frozen dates (2026-11-22: the years 2026
#: and 2027 are open, 2025 is closed). Tests of the shipped policy alone unset YIBAO_POLICY.
SAMPLE_POLICY = Path(__file__).resolve().parents[1] / "data" / "policy_sample.toml"


def frozen_clock() -> dt.datetime:
    """The tests' fixed now: 2026-11-22 10:00 China time."""
    return FROZEN


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads the user's ledger, policy or config (the sample policy is the site's);
    Chinese by default."""
    monkeypatch.setenv("YIBAO_DB", str(tmp_path / "default.db"))
    monkeypatch.setenv("YIBAO_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("YIBAO_POLICY", str(SAMPLE_POLICY))
    # a ledger opened without a clock (the CLI run in this process, a server's own backends)
    # reads the tests' frozen now (kernel.china_now, its default clock): the date rules (premium windows, ages) never follow the wall
    # clock, so the suite passes in any year
    monkeypatch.setattr(kernel, "china_now", frozen_clock)
    monkeypatch.delenv("YIBAO_LANG", raising=False)
    monkeypatch.delenv("YIBAO_BACKEND", raising=False)
    set_lang("zh")
    yield
    set_lang("zh")


@pytest.fixture
def db_path(tmp_path: Path) -> Iterator[Path]:
    """A ledger file; verified when the test ends."""
    path = tmp_path / "ledger.db"
    yield path
    if path.exists():
        check = Ledger(path, clock=frozen_clock)
        try:
            report = check.verify()
        finally:
            check.close()
        assert report.ok, report.failures


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose connections see a fresh, empty schema of their own (``tests/pgkit.py``:
    skipped without a cluster, failed without one in CI)."""
    from tests.pgkit import fresh_schema

    with fresh_schema() as url:
        yield url


@pytest.fixture
def ledger(db_path: Path) -> Iterator[Ledger]:
    """A fresh ledger with the frozen clock."""
    led = Ledger(db_path, clock=frozen_clock)
    yield led
    led.close()


def pid(region: str = "440300", born: str = "1985-06-15", seq: int = 11) -> str:
    """A valid ID number."""
    return make_id(region, dt.date.fromisoformat(born), seq)


class Family:
    """A holder (employee, Shenzhen) with a spouse, a child, a parent, all registered."""

    def __init__(self, led: Ledger, balance: int = 500_000, region: str = "440300") -> None:
        self.holder = pid(region, "1985-06-15", 11)
        self.spouse = pid(region, "1986-03-02", 22)
        self.child = pid(region, "2014-09-09", 31)
        self.parent = pid(region, "1958-01-20", 41)
        self.grandchild_young = pid(region, "2020-05-05", 52)
        at = "2025-12-01 09:00:00"
        led.add_person(self.holder, "王伟", "employee", region, "A1000001", balance, time=at)
        led.add_person(self.spouse, "李娜", "employee", region, "A1000002", 10_000, time=at)
        led.add_person(self.child, "王小明", "resident", region, time=at)
        led.add_person(self.parent, "王建国", "resident", region, time=at)


@pytest.fixture
def family(ledger: Ledger) -> Family:
    """A registered family on the test ledger."""
    return Family(ledger)
