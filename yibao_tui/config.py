"""Where things live: the default ledger path and the user's config directory."""

from __future__ import annotations

import os
from pathlib import Path


def default_db_path() -> Path:
    """``$YIBAO_DB``, else ``<user data dir>/yibao/ledger.db``."""
    env = os.environ.get("YIBAO_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir()) / "yibao" / "ledger.db"


def config_dir() -> Path:
    """``$YIBAO_CONFIG_DIR``, else the platform's user config dir for ``yibao``."""
    env = os.environ.get("YIBAO_CONFIG_DIR")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir("yibao"))
