"""Fixtures for the TUI tests (helpers in ``tuikit``): every test has its own ledger file,
config dir and export dir, a frozen clock, no animations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from tuikit import Ledger, build_ledger, close_quietly, open_backend, verify

from yibao_tui.backend.local import LocalBackend
from yibao_tui.i18n import set_lang


@pytest.fixture(autouse=True)
def _tui_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("YIBAO_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("YIBAO_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.delenv("YIBAO_LANG", raising=False)
    yield
    set_lang("zh")


@pytest.fixture
async def tui_ledger(tmp_path: Path) -> AsyncIterator[Ledger]:
    """A demo ledger with the markup persons (nobody bound to the markup holder)."""
    made = await build_ledger(tmp_path / "ledger.db")
    yield made
    verify(made.path)


@pytest.fixture
async def bound_ledger(tmp_path: Path) -> AsyncIterator[Ledger]:
    """As ``tui_ledger``, with ``[TODO]`` bound to the markup holder as spouse."""
    made = await build_ledger(tmp_path / "ledger.db", bind_relative=True)
    yield made
    verify(made.path)


@pytest.fixture
async def backend(tui_ledger: Ledger) -> AsyncIterator[LocalBackend]:
    """A backend on ``tui_ledger``."""
    b = open_backend(tui_ledger.path)
    yield b
    await close_quietly(b)


@pytest.fixture
async def bound_backend(bound_ledger: Ledger) -> AsyncIterator[LocalBackend]:
    """A backend on ``bound_ledger``."""
    b = open_backend(bound_ledger.path)
    yield b
    await close_quietly(b)


@pytest.fixture
def sync_ledger(tmp_path: Path) -> Iterator[Ledger]:
    """For the snapshot tests (plain ``def``): the bound ledger, built outside any loop."""
    made = asyncio.run(build_ledger(tmp_path / "ledger.db", bind_relative=True))
    yield made
    verify(made.path)
