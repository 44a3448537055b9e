"""The system of record: the one place that writes SQL (``store.Ledger`` is its public face;
``dialect`` says how the engines, SQLite and PostgreSQL, differ)."""

from yibao_tui.ledger.store import Ledger

__all__ = ["Ledger"]
