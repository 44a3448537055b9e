"""The SQLite system of record: the one place that writes SQL."""

from yibao_tui.ledger.store import Ledger

__all__ = ["Ledger"]
