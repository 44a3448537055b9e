"""The flow tests' ledger: the TUI tests' demo ledger with a relative bound, checked afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.tui.tuikit import build_ledger, open_backend, verify
from yibao_tui.backend.local import LocalBackend


@pytest.fixture
async def backend(tmp_path: Path) -> AsyncIterator[LocalBackend]:
    made = await build_ledger(tmp_path / "ledger.db", bind_relative=True)
    b = open_backend(made.path)
    yield b
    await b.close()
    verify(made.path)
