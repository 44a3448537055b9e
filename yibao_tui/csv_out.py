"""The one CSV writer of exports (the app's statement, the audit log from the CLI and the counter).

Every cell is text that a spreadsheet must not run: a cell starting with ``=``, ``+``, ``-`` or
``@`` gets a leading apostrophe. Files are UTF-8 with a BOM (Excel then reads Chinese correctly).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import IO


def csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas (``=``, ``+``, ``-``, ``@`` at the start)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_csv(stream: IO[str], header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write the header and the rows (each cell neutralised); returns the number of rows."""
    writer = csv.writer(stream)
    writer.writerow([csv_safe(str(h)) for h in header])
    n = 0
    for row in rows:
        writer.writerow([csv_safe(str(c)) for c in row])
        n += 1
    return n
