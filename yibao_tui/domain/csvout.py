"""The one CSV writer for every export (``yibao statement --format csv``, the app's statement
export, any other): a cell a spreadsheet would run as a formula is written as text.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (``=HYPERLINK(…)``,
``+cmd|…``, ``@SUM(…)``) gets a leading apostrophe, the usual neutralisation (OWASP "CSV
injection"). A plain number (``-12.50``, a negative amount) is left as it is, so amounts stay
numbers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def safe_cell(value: Any) -> Any:
    """``value`` as it may go into a cell: text that starts like a formula is quoted as text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _NUMBER.match(value):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every row goes through :func:`safe_cell`."""

    def __init__(self, stream: IO[str]) -> None:
        self._w = csv.writer(stream)

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row, neutralised."""
        self._w.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write several rows, neutralised."""
        for row in rows:
            self.writerow(row)


def writer(stream: IO[str]) -> SafeWriter:
    """The CSV writer every export uses."""
    return SafeWriter(stream)
