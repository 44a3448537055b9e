"""``yibao`` as the tests run it in a child process: the ledger's clock frozen at the tests' now
(2026-11-22 10:00 China time), so that the date rules (premium windows, ages) never follow the
wall clock. A test-only wrapper: the installed ``yibao`` has no way to fake the date.

    [sys.executable, FROZEN_CLI, "--db", db, "--json", "premium", "pay", ...]
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import yibao_tui.ledger.kernel as kernel
from yibao_tui.cli import main

#: the path to give ``sys.executable``
PATH = str(Path(__file__).resolve())
FROZEN = dt.datetime(2026, 11, 22, 10, 0, 0, tzinfo=kernel.CN_TZ)

if __name__ == "__main__":
    kernel.china_now = lambda: FROZEN
    sys.exit(main(sys.argv[1:]))
