"""Choosing the backend: the local ledger file, or a server when a URL is given."""

from __future__ import annotations

import os

from yibao_tui.backend.base import Actor, Backend


def backend_url(explicit: str | None, db: str | None = None) -> str | None:
    """The server URL to use: ``--backend URL``, else ``$YIBAO_BACKEND`` unless ``--db`` was given."""
    if explicit:
        return explicit
    if db:
        return None
    return os.environ.get("YIBAO_BACKEND") or None


def make_backend(db: str | None, backend_url_: str | None, actor: Actor, create: bool = True,
                 insecure: bool = False) -> Backend:
    """``HttpBackend(url)`` when a server URL is given (or ``$YIBAO_BACKEND`` is set and no
    ``--db``), else ``LocalBackend`` on ``db`` or the default ledger (made on first use only
    with ``create``: otherwise a missing one is ``LEDGER_NOT_FOUND``). A plain ``http://`` URL
    to another machine is refused (``INSECURE_TRANSPORT``) unless ``insecure``."""
    url = backend_url(backend_url_, db)
    if url:
        from yibao_tui.backend.http import HttpBackend

        return HttpBackend(url, actor=actor, insecure=insecure)
    from yibao_tui.backend.local import LocalBackend
    from yibao_tui.config import default_db

    return LocalBackend(db or default_db(), actor=actor, create=create)
