"""Printing through CUPS (``lp``): receipt slips and 12-month statements, with a spool for reprints.

No Textual here: the counter, the kiosk, the laptop app and the CLI all call the same functions.

The order is always *pay, then print*: a document is made from a payment that is already done,
written to the spool folder (files 0600 in a 0700 folder), and handed to ``lp``. When the printer
is missing, stopped (CUPS stops a queue that is out of paper or offline) or ``lp`` fails, the
document stays in the spool and the caller gets a clear message in the user's language; a
reprint (:func:`reprint`) only prints spooled files again, it never touches the ledger. A printed
document is removed from the spool (CUPS holds the job from then on).

The PDF is the counter's receipt rendering (:mod:`yibao_tui.receipts`, reportlab's
built-in Chinese font): one rendering for saved and printed receipts, masked the same way.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from yibao_tui.domain.masking import mask_id, mask_name
from yibao_tui.domain.money import format_fen
from yibao_tui.files import DIR_MODE, open_private, private_dir
from yibao_tui.i18n import t
from yibao_tui.receipts import Receipt

if TYPE_CHECKING:
    from yibao_tui.backend.base import Backend
    from yibao_tui.domain.models import Entry

#: Problem codes (the message key is ``print.problem.<code>``).
CUPS_MISSING = "cups_missing"  # no ``lp``/``lpstat`` on this machine
CUPS_DOWN = "cups_down"  # the CUPS scheduler is not running
NO_PRINTER = "no_printer"  # no such printer, or no system default
STOPPED = "stopped"  # the queue is disabled (offline, out of paper, jammed, or by hand)
NO_PAPER = "no_paper"  # CUPS reports media-empty
LP_FAILED = "lp_failed"  # lp refused the job
NO_PDF = "no_pdf"  # the pdf extra (reportlab) is not installed
#: How long a CUPS command may take (a hung scheduler must not hang the kiosk).
TIMEOUT_S = 20.0
_C_LOCALE = {"LC_ALL": "C", "LANG": "C"}


class PrintProblem(Exception):
    """Printing failed; ``code`` is one of the problem codes above."""

    def __init__(self, code: str, printer: str = "", detail: str = "") -> None:
        super().__init__(f"{code}: {printer} {detail}".strip())
        self.code = code
        self.printer = printer
        self.detail = detail

    def message(self) -> str:
        """The reason in the user's language."""
        return t(f"print.problem.{self.code}", printer=self.printer or t("print.default_printer"),
                 detail=self.detail)


@dataclass(frozen=True, slots=True)
class PrintOutcome:
    """What happened to one document: printed (``job``), or kept in the spool (``kept``)."""

    printed: bool
    printer: str = ""
    job: str = ""
    kept: Path | None = None
    problem: PrintProblem | None = None

    def message(self) -> str:
        """One line for the screen, in the user's language."""
        if self.printed:
            return t("print.done", printer=self.printer, job=self.job)
        reason = self.problem.message() if self.problem else ""
        return t("print.failed", reason=reason, path=str(self.kept or ""))


# --- where documents wait -----------------------------------------------------------------------


def spool_dir() -> Path:
    """``$YIBAO_SPOOL_DIR``, else ``print-spool`` beside the ledger."""
    env = os.environ.get("YIBAO_SPOOL_DIR")
    if env:
        return Path(env)
    from yibao_tui.config import default_db_path

    return default_db_path().parent / "print-spool"


def _spool_folder(folder: Path | None) -> Path:
    base = private_dir(folder or spool_dir())
    os.chmod(base, DIR_MODE)  # ours alone, even when it existed with a looser mode
    return base


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80] or "document"


def spool(data: bytes, name: str, suffix: str = ".pdf", folder: Path | None = None) -> Path:
    """Write ``data`` as a new 0600 file ``<spool>/<name>[-n]<suffix>`` (never overwriting)."""
    return _write_new(_spool_folder(folder), data, name, suffix)


def save_pdf(doc: Receipt, name: str, folder: Path) -> Path:
    """``doc`` as a new 0600 PDF ``<folder>/<name>[-n].pdf`` (never overwriting; a folder made
    here is 0700, an existing one is left as it is). Raises ``ImportError`` without reportlab."""
    return _write_new(private_dir(folder), doc.pdf(), name, ".pdf")


def _write_new(base: Path, data: bytes, name: str, suffix: str) -> Path:
    n = 0
    while True:
        path = base / f"{_safe(name)}{'' if n == 0 else f'-{n}'}{suffix}"
        n += 1
        try:
            with open_private(path, "wb", exclusive=True) as fh:
                fh.write(data)
        except FileExistsError:
            continue
        return path


def pending(folder: Path | None = None) -> list[Path]:
    """The documents waiting for a reprint, oldest first."""
    base = folder or spool_dir()
    if not base.is_dir():
        return []
    files = [p for p in base.iterdir() if p.suffix in (".pdf", ".txt") and p.is_file()]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


# --- CUPS ---------------------------------------------------------------------------------------


def _run(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    if shutil.which(args[0]) is None:
        raise PrintProblem(CUPS_MISSING, detail=args[0])
    try:
        return subprocess.run(list(args), capture_output=True, text=True, timeout=TIMEOUT_S,
                              env={**os.environ, **_C_LOCALE}, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise PrintProblem(LP_FAILED, detail=f"{args[0]}: {err}") from err


def default_printer() -> str:
    """The system default destination, or ``""`` when there is none."""
    out = _run(["lpstat", "-d"]).stdout
    match = re.search(r"system default destination:\s*(\S+)", out)
    return match.group(1) if match else ""


def check_printer(printer: str | None = None) -> str:
    """The printer's name when it can take a job now; else :class:`PrintProblem` saying why."""
    scheduler = _run(["lpstat", "-r"]).stdout
    if "is running" not in scheduler:
        raise PrintProblem(CUPS_DOWN, printer or "")
    name = printer or default_printer()
    if not name:
        raise PrintProblem(NO_PRINTER)
    status = _run(["lpstat", "-l", "-p", name])
    text = status.stdout
    if status.returncode != 0 or not text.startswith(f"printer {name} "):
        raise PrintProblem(NO_PRINTER, name)
    first = text.splitlines()[0]
    if "media-empty" in text:
        raise PrintProblem(NO_PAPER, name)
    if " disabled " in f"{first} ":
        reason = " ".join(line.strip() for line in text.splitlines()[1:2])
        raise PrintProblem(STOPPED, name, reason[:120])
    return name


def print_file(path: Path, printer: str | None = None, title: str = "") -> tuple[str, str]:
    """Hand ``path`` to ``lp``; ``(printer, job id)``. Raises :class:`PrintProblem`."""
    name = check_printer(printer)
    args = ["lp", "-d", name]
    if title:
        args += ["-t", title]
    done = _run([*args, "--", str(path)])
    match = re.search(r"request id is (\S+)", done.stdout)
    if done.returncode != 0 or not match:
        raise PrintProblem(LP_FAILED, name, (done.stderr or done.stdout).strip()[:200])
    return name, match.group(1)


def print_document(doc: Receipt, name: str, printer: str | None = None,
                   folder: Path | None = None) -> PrintOutcome:
    """Render ``doc`` to PDF, spool it, print it. Never raises for a printing problem: the
    outcome says what happened, and a document that did not print stays in the spool."""
    try:
        data, suffix = doc.pdf(), ".pdf"
    except ImportError:
        data, suffix = doc.text().encode("utf-8"), ".txt"
        path = spool(data, name, suffix, folder)
        return PrintOutcome(False, printer or "", kept=path, problem=PrintProblem(NO_PDF))
    path = spool(data, name, suffix, folder)
    return _print_spooled(path, printer)


def _print_spooled(path: Path, printer: str | None) -> PrintOutcome:
    try:  # the job's title is the file's name (a payment id, nothing personal)
        used, job = print_file(path, printer, path.stem)
    except PrintProblem as problem:
        return PrintOutcome(False, printer or "", kept=path, problem=problem)
    path.unlink(missing_ok=True)
    return PrintOutcome(True, used, job)


@dataclass(frozen=True, slots=True)
class KeptDocument:
    """A document waiting in the spool; ``id`` is its file name without the suffix."""

    id: str
    path: Path
    kind: str
    kept_at: str
    size: int

    def to_json(self) -> dict[str, object]:
        """``yibao print list --json``'s fields."""
        return {"id": self.id, "kind": self.kind, "kept_at": self.kept_at, "bytes": self.size,
                "path": str(self.path)}


#: Document kinds by file-name prefix (the name a caller gave :func:`print_document`).
KINDS = ("premium", "withdrawal", "statement")


def kept_documents(folder: Path | None = None) -> list[KeptDocument]:
    """The documents waiting for a reprint, oldest first."""
    out = []
    for path in pending(folder):
        info = path.stat()
        prefix = path.stem.split("-", 1)[0]
        out.append(KeptDocument(
            path.stem, path, prefix if prefix in KINDS else "document",
            datetime.fromtimestamp(info.st_mtime).strftime("%Y-%m-%d %H:%M:%S"), info.st_size))
    return out


def find_kept(doc_id: str, folder: Path | None = None) -> Path | None:
    """The spooled file of ``doc_id`` (its name, with or without the suffix), or ``None``."""
    for path in pending(folder):
        if doc_id in (path.stem, path.name):
            return path
    return None


def reprint_document(doc_id: str, printer: str | None = None,
                     folder: Path | None = None) -> PrintOutcome | None:
    """Print one kept document again (``None``: no such document in the spool). Only prints:
    a reprint never reaches the ledger."""
    path = find_kept(doc_id, folder)
    if path is None:
        return None
    if path.suffix != ".pdf":  # kept as text because reportlab was missing: still cannot print
        return PrintOutcome(False, printer or "", kept=path, problem=PrintProblem(NO_PDF))
    return _print_spooled(path, printer)


def print_or_reprint(doc: Receipt, name: str, printer: str | None = None,
                     folder: Path | None = None) -> PrintOutcome:
    """Print ``doc`` once more: its kept copy when one waits in the spool (so it is not kept
    twice), else a new copy. Only prints."""
    kept = find_kept(name, folder)
    if kept is not None and kept.suffix == ".pdf":
        return _print_spooled(kept, printer)
    return print_document(doc, name, printer, folder)


def availability(printer: str | None = None) -> PrintProblem | None:
    """Why ``printer`` (``None``: the system default) cannot take a job now, or ``None``."""
    try:
        check_printer(printer)
    except PrintProblem as problem:
        return problem
    return None


#: Problems that mean "no printer here at all" (not a printer that is stopped for a while).
ABSENT = frozenset({CUPS_MISSING, CUPS_DOWN, NO_PRINTER})


def printers() -> tuple[list[str], str]:
    """The CUPS destinations and the system default (``""``: none). Raises
    :class:`PrintProblem` when CUPS is missing or not running."""
    if "is running" not in _run(["lpstat", "-r"]).stdout:
        raise PrintProblem(CUPS_DOWN)
    names = [line.split()[0] for line in _run(["lpstat", "-e"]).stdout.splitlines() if line.strip()]
    return names, default_printer()


def reprint(printer: str | None = None, folder: Path | None = None) -> list[PrintOutcome]:
    """Print every spooled PDF again (oldest first), stopping at the first problem. Only
    prints: nothing here reaches the ledger, so a reprint can never charge anyone."""
    outcomes: list[PrintOutcome] = []
    for path in pending(folder):
        if path.suffix != ".pdf":
            continue
        outcome = _print_spooled(path, printer)
        outcomes.append(outcome)
        if not outcome.printed:
            break
    return outcomes


# --- the statement ------------------------------------------------------------------------------


def twelve_months_back(today: date) -> date:
    """The first day of the period that ends today: the same day a year earlier, plus one."""
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return date.fromordinal(start.toordinal() + 1)


async def statement_entries(backend: Backend, who: str, date_from: str,
                            date_to: str) -> tuple[list[Entry], int, int]:
    """Every entry between the dates, oldest first, and the opening and closing balances."""
    entries: list[Entry] = []
    cursor: str | None = None
    opening = closing = 0
    while True:
        page = await backend.statement(who, date_from=date_from, date_to=date_to, cursor=cursor,
                                       limit=200, newest_first=False)
        if cursor is None:
            opening, closing = page.opening_balance_fen, page.closing_balance_fen
        entries.extend(page.entries)
        cursor = page.next_cursor
        if not cursor or not page.entries:
            return entries, opening, closing


def statement_document(who: str, name: str, entries: Sequence[Entry], opening_fen: int,
                       closing_fen: int, date_from: str, date_to: str, station: str = "",
                       printed_at: str = "", title: str = "") -> Receipt:
    """The statement as a document: masked holder, period, balances, one row per entry."""
    rows = [
        (t("print.statement.holder"), f"{mask_name(name)} {mask_id(who)}".strip()),
        (t("print.statement.period"), f"{date_from} — {date_to}"),
        (t("print.statement.opening"), format_fen(opening_fen)),
    ]
    for e in entries:
        kind = t(f"kind.{e.kind}")
        label = kind if kind != f"kind.{e.kind}" else e.kind
        rows.append((e.time[:16], f"{label}  {format_fen(e.amount_fen)}  "
                                  f"{t('print.statement.after')} {format_fen(e.balance_after_fen)}"))
    if not entries:
        rows.append((t("print.statement.entries"), t("print.statement.none")))
    rows.append((t("print.statement.closing"), format_fen(closing_fen)))
    if station:
        rows.append((t("print.station"), station))
    if printed_at:
        rows.append((t("print.printed_at"), printed_at))
    return Receipt.make(title or t("print.statement.title"), rows)


async def twelve_month_statement(backend: Backend, who: str, name: str, today: date,
                                 station: str = "", printed_at: str = "") -> Receipt:
    """The statement of the 12 months ending ``today``."""
    return await period_statement(backend, who, name, today, None, None, station, printed_at)


def statement_period(today: date, date_from: str | None, date_to: str | None) -> tuple[str, str]:
    """The period a statement covers: the dates given, the 12 months ending ``today`` else."""
    return (date_from or twelve_months_back(date.fromisoformat(date_to) if date_to else today).isoformat(),
            date_to or today.isoformat())


async def period_statement(backend: Backend, who: str, name: str, today: date,
                           date_from: str | None, date_to: str | None, station: str = "",
                           printed_at: str = "") -> Receipt:
    """The statement between the dates (either may be ``None``: see :func:`statement_period`);
    titled as the 12-month statement when no date was given."""
    start, end = statement_period(today, date_from, date_to)
    entries, opening, closing = await statement_entries(backend, who, start, end)
    title = "" if date_from is None and date_to is None else t("print.statement.title_period")
    return statement_document(who, name, entries, opening, closing, start, end, station,
                              printed_at, title)
