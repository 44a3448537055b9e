"""Where things live: the default ledger (a file, or a database URL) and the user's config directory."""

from __future__ import annotations

import os
from pathlib import Path


def default_db() -> str:
    """``$YIBAO_DB`` (a ledger file, or a database URL: ``postgresql://…``), else
    ``<user data dir>/yibao/ledger.db``."""
    return os.environ.get("YIBAO_DB") or str(_data_file())


def default_db_path() -> Path:
    """The default ledger file: ``$YIBAO_DB``, else ``<user data dir>/yibao/ledger.db`` (also
    when ``$YIBAO_DB`` names a database server: what is kept beside the ledger goes there)."""
    env = os.environ.get("YIBAO_DB")
    if env and not is_url(env):
        return Path(env)
    return _data_file()


def _data_file() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir()) / "yibao" / "ledger.db"


def is_url(target: str) -> bool:
    """Whether ``target`` names a database server (``postgresql://…``) rather than a ledger file."""
    scheme, sep, _ = str(target).partition("://")
    return bool(sep) and scheme.lower() in ("postgresql", "postgres")


def shown_db(target: str) -> str:
    """``target`` as a message may show it: a URL without its password (nor its query)."""
    if not is_url(target):
        return str(target)
    from urllib.parse import urlsplit

    u = urlsplit(str(target))
    host = u.hostname or ""
    port = f":{u.port}" if u.port else ""
    user = f"{u.username}@" if u.username else ""
    return f"{u.scheme}://{user}{host}{port}{u.path}"


def config_dir() -> Path:
    """``$YIBAO_CONFIG_DIR``, else the platform's user config dir for ``yibao``."""
    env = os.environ.get("YIBAO_CONFIG_DIR")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir("yibao"))
