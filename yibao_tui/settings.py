"""Remembered TUI settings: the theme and the person shown last time.

Stored as JSON in ``<config dir>/tui.json`` (``$YIBAO_CONFIG_DIR`` overrides the directory, which
is how tests isolate themselves). A missing or damaged file gives the defaults; saving never
raises (a read-only home must not crash the app).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from yibao_tui.config import config_dir

FILE_NAME = "tui.json"


@dataclass(slots=True)
class Settings:
    """What the app remembers between runs."""

    theme: str | None = None
    #: what reopens the person shown last time: their card number, never the full ID number
    last_person: str | None = None
    #: that person's ID number masked (``440***********0076``), for display only
    last_person_masked: str | None = None

    @staticmethod
    def path() -> Path:
        """Where the settings file lives."""
        return config_dir() / FILE_NAME

    @classmethod
    def load(cls) -> Settings:
        """Read the settings file; defaults when it is missing or unreadable."""
        try:
            data = json.loads(cls.path().read_text("utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        theme = data.get("theme")
        last = data.get("last_person")
        masked = data.get("last_person_masked")
        return cls(
            theme=theme if isinstance(theme, str) else None,
            last_person=last if isinstance(last, str) else None,  # an older file's full ID still opens once
            last_person_masked=masked if isinstance(masked, str) else None,
        )

    def remember(self, card: str | None, id_number: str) -> bool:
        """Remember a person by card number (and the masked ID); ``True`` if that changed. A
        person without a card is not remembered: the file never holds a full ID number."""
        from yibao_tui.domain.masking import mask_id

        masked = mask_id(id_number)
        if (self.last_person, self.last_person_masked) == (card, masked):
            return False
        self.last_person, self.last_person_masked = card, masked
        return True

    def save(self) -> bool:
        """Write the settings atomically; ``False`` if that was not possible."""
        from yibao_tui.domain.idnum import id_problem
        from yibao_tui.files import write_private

        data = asdict(self)
        if data["last_person"] and id_problem(data["last_person"]) is None:
            data["last_person"] = None  # a full ID number is never written (0600 or not)
        try:
            write_private(self.path(), json.dumps(data, ensure_ascii=False, indent=2))
        except OSError:
            return False
        return True


def export_dir() -> Path:
    """Where exports go: ``$YIBAO_EXPORT_DIR``, else the Downloads folder, else home."""
    env = os.environ.get("YIBAO_EXPORT_DIR")
    if env:
        return Path(env)
    from platformdirs import user_downloads_dir

    downloads = Path(user_downloads_dir())
    return downloads if downloads.is_dir() else Path.home()
