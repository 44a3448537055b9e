"""The ledger's tests run on both engines: every test that takes the ``ledger`` fixture (directly
or through ``family``) runs on a SQLite file and on PostgreSQL (a fresh schema, ``tests/pgkit.py``),
except those that also open the ledger's file themselves (they name ``db_path`` or ``tmp_path``)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import frozen_clock
from yibao_tui.ledger.store import Ledger

ENGINES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "ledger" in metafunc.fixturenames:
        own = set(inspect.signature(metafunc.function).parameters)
        engines = ENGINES[:1] if own & {"db_path", "tmp_path"} else ENGINES
        metafunc.parametrize("engine", engines, indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def ledger(engine: str, db_path: Path, request: pytest.FixtureRequest) -> Iterator[Ledger]:
    """A fresh ledger with the frozen clock on ``engine``; verified when the test ends."""
    if engine == "sqlite":
        led = Ledger(db_path, clock=frozen_clock)
        yield led
        led.close()
        return
    led = Ledger(request.getfixturevalue("pg_url"), clock=frozen_clock)
    yield led
    try:
        report = led.verify()
    finally:
        led.close()
    assert report.ok, report.failures
