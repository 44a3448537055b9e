"""Files that hold personal data: created owner-only, whatever the umask.

The ledger (and the ``-wal``/``-shm`` files SQLite makes beside it, which take the ledger's
mode), exports, receipts, ``tui.json`` and config files are created 0600; a folder we create for
them 0700. Folders that already exist (the user's Downloads, home) are left as they are.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: str | Path) -> Path:
    """Create ``path`` and any missing parents as 0700 (existing folders are not changed)."""
    p = Path(path)
    missing: list[Path] = []
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(d, DIR_MODE)  # mkdir's mode is filtered by the umask
    return Path(path)


def open_private(path: str | Path, mode: str = "w", *, exclusive: bool = False,
                 encoding: str | None = "utf-8", newline: str | None = None) -> IO:  # type: ignore[type-arg]
    """Open ``path`` for writing as a 0600 file (created so; an existing one is made 0600).
    ``exclusive`` fails with ``FileExistsError`` when it exists."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    if "b" in mode:
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, "w", encoding=encoding, newline=newline)


def write_private(path: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` atomically (a 0600 temporary file renamed over ``path``)."""
    p = Path(path)
    private_dir(p.parent)
    tmp = p.with_name(p.name + ".tmp")
    with open_private(tmp, encoding=encoding) as f:
        f.write(text)
    os.replace(tmp, p)
    return p


def read_roster(path: Path) -> list[dict[str, str]]:
    """Read a roster CSV (UTF-8 with or without BOM, or GB18030 as Excel saves it): the CLI's
    ``import`` and the app's import dialog."""
    import csv

    from yibao_tui.domain.errors import YibaoError

    try:
        raw = path.read_bytes()
    except OSError as e:
        raise YibaoError("INVALID_FILE", detail=f"{path}: {e.strerror}") from None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise YibaoError("INVALID_FILE", detail=f"{path}: encoding")
    reader = csv.DictReader(text.splitlines())
    fields = [f.strip() for f in (reader.fieldnames or [])]
    missing = [c for c in ("id", "name", "scheme", "region") if c not in fields]
    if missing:
        raise YibaoError("INVALID_FILE", detail=f"{path}: missing columns {', '.join(missing)}")
    rows = []
    for row in reader:
        clean = {(k or "").strip(): (v or "").strip() if isinstance(v, str) else "" for k, v in row.items()}
        clean["line"] = str(reader.line_num)
        rows.append(clean)
    return rows
