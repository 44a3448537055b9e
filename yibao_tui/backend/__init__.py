"""The one async ``Backend`` the UI and the CLI talk to: local (SQLite) or HTTP."""

from yibao_tui.backend.base import Actor, Backend

__all__ = ["Actor", "Backend"]
