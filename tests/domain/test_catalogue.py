"""The message catalogue: every key used, one concept under one key, no parameter missing."""

from __future__ import annotations

import re
from pathlib import Path

from yibao_tui.i18n import catalogue, load_section

ROOT = Path(__file__).resolve().parents[2] / "yibao_tui"


def _source(folder: str) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / folder).rglob("*.py")))


def test_every_server_argument_reason_is_used() -> None:
    """``server.arg.<why>`` texts are named by ``validate.bad(field, "<why>")`` (or the server's
    own refusals): a text no refusal names is dead (``too_large`` was: a body too large is
    ``PAYLOAD_TOO_LARGE``)."""
    load_section("server")
    source = _source("server")
    unused = [key for key in catalogue("zh") if key.startswith("server.arg.")
              and re.search(rf"""["']{re.escape(key.removeprefix("server.arg."))}["']""", source) is None]
    assert unused == []
