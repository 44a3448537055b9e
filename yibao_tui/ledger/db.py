"""A SQLite ledger file for tools (benchmarks, loaders) that work on the connection itself:
``connect`` it with the ledger's pragmas and ``migrate`` it to the current schema. The ledger's
own code goes through ``Kernel`` and the dialect (``dialect_sqlite``); the schema is described in
``schema``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from yibao_tui.ledger.dialect_sqlite import SQLITE, connect, translate
from yibao_tui.ledger.schema import PERSON_NAME_INDEX, SCHEMA_VERSION, SYSTEM_ACCOUNTS

if TYPE_CHECKING:
    import sqlite3

__all__ = ["PERSON_NAME_INDEX", "SCHEMA_VERSION", "SYSTEM_ACCOUNTS", "connect", "migrate", "translate"]


def migrate(conn: sqlite3.Connection, create: bool = True) -> None:
    """Create the schema of a ledger file or bring it to the current version (``schema.migrate``)."""
    from yibao_tui.ledger.dialect import Db

    SQLITE.migrate(Db(SQLITE, conn), create)
