"""Fixtures of the counter and kiosk tests: a real SQLite ledger (demo data, operators, a card
PIN), clocks the tests move by hand, isolated config and export dirs."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from yibao_tui.backend.base import Actor, Backend
from yibao_tui.backend.local import LocalBackend
from yibao_tui.i18n import set_lang
from yibao_tui.tui.host.idle import FakeClock

CN = dt.timezone(dt.timedelta(hours=8))
CLERK, CLERK_PW = "A001", "clerk-pass-1"
SUPER, SUPER_PW = "S001", "super-pass-1"
CLERK_NAME = "[b]张[/b]经办"
PIN = "246810"
TODAY = dt.date(2026, 3, 2)


class LedgerClock:
    """The ledger's wall clock (lockout times), moved by the tests."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 2, 10, 0, tzinfo=CN)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        """Move the clock forward by ``timedelta(**kw)``."""
        self.now += dt.timedelta(**kw)


@dataclass
class World:
    """A ledger file and everything a test needs to drive a mode against it."""

    path: Path
    clock: LedgerClock
    idle: FakeClock
    owner: str  # employee with bound relatives, a card and a PIN
    owner_name: str
    owner_card: str
    child: str  # a resident relative bound by the owner
    other: str  # another employee (no PIN)
    backends: list[LocalBackend] = field(default_factory=list)

    def make_backend(self, actor: Actor) -> Backend:
        """What the CLI passes to ``run_counter``/``run_kiosk``: a new backend per actor."""
        b = LocalBackend(self.path, actor=actor, clock=self.clock)
        self.backends.append(b)
        return b

    def backend(self) -> LocalBackend:
        """A backend for the test's own checks (channel cli)."""
        return self.make_backend(Actor("cli"))  # type: ignore[return-value]


@pytest.fixture(autouse=True)
def _surfaces_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("YIBAO_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("YIBAO_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.delenv("YIBAO_LANG", raising=False)
    set_lang("zh")
    yield
    set_lang("zh")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """Demo ledger (8 persons, seed 1), a clerk, a supervisor, a PIN on the owner's card."""
    clock = LedgerClock()
    path = tmp_path / "ledger.db"
    setup = LocalBackend(path, actor=Actor("cli"), clock=clock)
    await setup.init()
    result = await setup.demo(persons=8, seed=1)
    owner = str(result["owner"])
    person = await setup.person(owner)
    [child] = [b.relative_id for b in await setup.bindings(owner) if b.relation == "child"]
    await setup.operator_add(CLERK, CLERK_NAME, "clerk", CLERK_PW)
    await setup.operator_add(SUPER, "李主管", "supervisor", SUPER_PW)
    assert person.card
    await setup.card_set_pin(person.card, PIN)
    await setup.close()
    w = World(path=path, clock=clock, idle=FakeClock(), owner=owner, owner_name=person.name,
              owner_card=person.card, child=child, other="11000019820101011X")
    yield w
    for b in w.backends:
        try:
            await b.close()
        except Exception:  # noqa: BLE001 - already closed by the app
            pass
    from yibao_tui.ledger.store import Ledger

    check = Ledger(path, clock=clock)
    try:
        report = check.verify()
    finally:
        check.close()
    assert report.ok, report.failures
