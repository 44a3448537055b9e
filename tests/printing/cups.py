"""The real CUPS server the printing tests print to: a virtual PDF printer (cups-pdf) set up by
``.ci/cups start`` (root). Without it a developer's run skips these tests with one reason; CI
sets ``YIBAO_REQUIRE_CUPS=1`` and then a missing CUPS fails them loudly.

Run as root (CI, these shared machines), each test run adds its own cups-pdf printer
``yibao-pdf-<pid>`` writing to its own folder (cups-pdf's per-instance config
``/etc/cups/cups-pdf-<instance>.conf``) and removes it at exit: test runs side by side on one
CUPS server then never stop each other's printer nor read each other's PDFs. Otherwise (or with
``$YIBAO_TEST_PRINTER``) they use the shared printer ``.ci/cups start`` made."""

from __future__ import annotations

import atexit
import io
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pypdf import PdfReader

#: This run's own printer (root, no ``$YIBAO_TEST_PRINTER``), else the shared one.
OWN = "YIBAO_TEST_PRINTER" not in os.environ and hasattr(os, "geteuid") and os.geteuid() == 0
_INSTANCE = f"yibao{os.getpid()}"
PRINTER = f"yibao-pdf-{os.getpid()}" if OWN else os.environ.get("YIBAO_TEST_PRINTER", "yibao-pdf")
OUT = (Path(f"/var/spool/cups-pdf/yibao-{os.getpid()}") if OWN
       else Path(os.environ.get("YIBAO_CUPS_PDF_OUT", "/var/spool/cups-pdf/yibao")))
SETUP = "sudo .ci/cups start  (installs cups + printer-driver-cups-pdf, starts cupsd, adds the printer)"
_CONF = Path("/etc/cups")
_made: list[str] = []


def _lpstat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["lpstat", *args], capture_output=True, text=True, timeout=20,
                          env={**os.environ, "LC_ALL": "C"}, check=False)


def _remove(printer: str, instance: str, out: Path) -> None:
    subprocess.run(["lpadmin", "-x", printer], capture_output=True, timeout=20, check=False)
    (_CONF / f"cups-pdf-{instance}.conf").unlink(missing_ok=True)
    shutil.rmtree(out, ignore_errors=True)


def _make_own_printer() -> str:
    """Add this run's printer (once); ``""`` or why it could not be added. Printers of runs
    that died without removing theirs are removed first."""
    if _made:
        return ""
    if shutil.which("lpadmin") is None or not Path("/usr/lib/cups/backend/cups-pdf").exists():
        return f"cups-pdf is not installed; run {SETUP}"
    for name in _lpstat("-e").stdout.split():
        match = re.fullmatch(r"yibao-pdf-(\d+)", name)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            _remove(name, f"yibao{match.group(1)}", Path(f"/var/spool/cups-pdf/yibao-{match.group(1)}"))
    models = subprocess.run(["lpinfo", "-m"], capture_output=True, text=True, timeout=60, check=False)
    model = next((line.split()[0] for line in models.stdout.splitlines() if "CUPS-PDF" in line), "")
    if not model:
        return f"no CUPS-PDF driver; run {SETUP}"
    OUT.mkdir(parents=True, exist_ok=True)
    OUT.chmod(0o1777)
    (_CONF / f"cups-pdf-{_INSTANCE}.conf").write_text(
        f"Out {OUT}\nGrp lpadmin\nDecodeHexStrings 1\n", encoding="utf-8")
    atexit.register(_remove, PRINTER, _INSTANCE, OUT)
    for cmd in (["lpadmin", "-p", PRINTER, "-E", "-v", f"cups-pdf:/{_INSTANCE}", "-m", model],
                ["cupsenable", PRINTER], ["cupsaccept", PRINTER]):
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            return f"{' '.join(cmd[:2])} failed: {done.stderr.strip()}"
    _made.append(PRINTER)
    return ""


def why_no_cups() -> str:
    """Why the printing tests cannot print, or ``""``."""
    if shutil.which("lpstat") is None or shutil.which("lp") is None:
        return f"CUPS is not installed; run {SETUP}"
    if "is running" not in _lpstat("-r").stdout:
        return f"the CUPS scheduler is not running; run {SETUP}"
    if OWN:
        return _make_own_printer()
    if _lpstat("-p", PRINTER).returncode != 0:
        return f"no CUPS printer {PRINTER!r}; run {SETUP}"
    if not OUT.is_dir():
        return f"the cups-pdf output folder {OUT} is missing; run {SETUP}"
    return ""


def require_cups() -> None:
    """Skip (developer) or fail (CI: ``YIBAO_REQUIRE_CUPS=1``) when CUPS is not ready."""
    reason = why_no_cups()
    if reason:
        if os.environ.get("YIBAO_REQUIRE_CUPS") == "1":
            pytest.fail(f"YIBAO_REQUIRE_CUPS=1 but {reason}", pytrace=False)
        pytest.skip(reason)


def outputs() -> set[tuple[Path, int]]:
    """The PDFs cups-pdf has written so far, with their modification times (it names a file
    after the job's title, so a reprint writes over the same name)."""
    return {(p, p.stat().st_mtime_ns) for p in OUT.glob("*.pdf")}


def wait_for_new_pdf(before: set[tuple[Path, int]], needle: str, timeout: float = 60.0) -> str:
    """The text of the first new PDF in the output folder holding ``needle`` (cups-pdf writes
    asynchronously: poll until the file is complete)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path, _ in sorted(outputs() - before):
            try:
                data = path.read_bytes()
                if not data.rstrip().endswith(b"%%EOF"):
                    continue
                text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
            except Exception:  # noqa: BLE001 - still being written
                continue
            if needle in text.replace(" ", ""):
                return text
        time.sleep(0.2)
    raise AssertionError(f"no printed PDF holding {needle!r} in {OUT} after {timeout} s")


def set_enabled(enabled: bool) -> None:
    """``cupsenable``/``cupsdisable`` the test printer (a stopped printer for a test). Before
    stopping it, the jobs of earlier tests are let finish: a queue stopped while it processes a
    job says "reason unknown" instead of the reason given here."""
    if not enabled:
        deadline = time.monotonic() + 60
        while _lpstat("-o", PRINTER).stdout.strip() and time.monotonic() < deadline:
            time.sleep(0.2)
    cmd = ["cupsenable", PRINTER] if enabled else ["cupsdisable", "-r", "paper out", PRINTER]
    subprocess.run(cmd, check=True, timeout=20)


@contextmanager
def stopped_printer() -> Iterator[None]:
    """The test printer stopped ("paper out") inside the block, started again after it; needs
    CUPS (skips or fails like :func:`require_cups`)."""
    require_cups()
    set_enabled(False)
    try:
        yield
    finally:
        set_enabled(True)


def notes(app: object) -> str:
    """The app's notifications, one a line."""
    return "\n".join(n.message for n in app._notifications)  # type: ignore[attr-defined]


async def wait_for_note(pilot: object, needle: str, rounds: int = 300) -> str:
    """Printing runs on a thread: wait (in steps, never by the clock) for its notification."""
    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(rounds):
        if needle in notes(app):
            return notes(app)
        await pilot.pause(0.1)  # type: ignore[attr-defined]
    raise AssertionError(f"no notification with {needle!r}: {notes(app)!r}")
