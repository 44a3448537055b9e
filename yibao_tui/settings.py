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
    last_person: str | None = None

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
        return cls(
            theme=theme if isinstance(theme, str) else None,
            last_person=last if isinstance(last, str) else None,
        )

    def save(self) -> bool:
        """Write the settings atomically; ``False`` if that was not possible."""
        path = self.path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2), "utf-8")
            os.replace(tmp, path)
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
