"""The real CUPS server the printing tests print to: a virtual PDF printer (cups-pdf) set up by
``.ci/cups start`` (root). Without it a developer's run skips these tests with one reason; CI
sets ``YIBAO_REQUIRE_CUPS=1`` and then a missing CUPS fails them loudly."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

PRINTER = os.environ.get("YIBAO_TEST_PRINTER", "yibao-pdf")
OUT = Path(os.environ.get("YIBAO_CUPS_PDF_OUT", "/var/spool/cups-pdf/yibao"))
SETUP = "sudo .ci/cups start  (installs cups + printer-driver-cups-pdf, starts cupsd, adds the printer)"


def _lpstat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["lpstat", *args], capture_output=True, text=True, timeout=20,
                          env={**os.environ, "LC_ALL": "C"}, check=False)


def why_no_cups() -> str:
    """Why the printing tests cannot print, or ``""``."""
    if shutil.which("lpstat") is None or shutil.which("lp") is None:
        return f"CUPS is not installed; run {SETUP}"
    if "is running" not in _lpstat("-r").stdout:
        return f"the CUPS scheduler is not running; run {SETUP}"
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
    """``cupsenable``/``cupsdisable`` the test printer (a stopped printer for a test)."""
    cmd = ["cupsenable", PRINTER] if enabled else ["cupsdisable", "-r", "paper out", PRINTER]
    subprocess.run(cmd, check=True, timeout=20)
