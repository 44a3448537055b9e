"""Where the policy comes from (the shipped file, the site file) and the region names.

Kept apart from :mod:`yibao_tui.domain.policy` so that showing a person (``440300`` → 深圳 on
the app's first screen) neither imports the policy model nor parses the whole policy file: with
no site file, only the shipped file's ``[regions]`` table is read. A site file (which may
correct the names) is merged with the rest of the policy, as every policy read does.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

#: The shipped policy file (a package resource; installs are unpacked, never zipped).
SHIPPED_POLICY = Path(__file__).resolve().parent.parent / "policy" / "default.toml"


def site_policy_path() -> Path | None:
    """``$YIBAO_POLICY``, else ``<user config dir>/yibao/policy.toml`` if it exists."""
    env = os.environ.get("YIBAO_POLICY")
    if env:
        return Path(env)
    p = _config_policy_file(os.environ.get("XDG_CONFIG_HOME"), os.environ.get("HOME"), os.environ.get("APPDATA"))
    return p if p.exists() else None


@lru_cache(maxsize=4)
def _config_policy_file(xdg: str | None, home: str | None, appdata: str | None) -> Path:
    """Where the site file would be (platformdirs costs more than the stat; keyed on what it reads)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("yibao")) / "policy.toml"


@lru_cache(maxsize=1)
def shipped_policy_text() -> str:
    """The shipped policy file's text."""
    return SHIPPED_POLICY.read_text("utf-8")


def region_name(region: str, lang: str = "zh") -> str:
    """``440300`` → ``深圳`` (or ``Shenzhen``); the code itself when unknown."""
    site = site_policy_path()
    if site is None:
        names = _shipped_region_names().get(region)
    else:
        from yibao_tui.domain.policy import raw_policy

        names = raw_policy().get("regions", {}).get(region)
    return names.get(lang, names.get("zh", region)) if names else region


@lru_cache(maxsize=1)
def _shipped_region_names() -> dict[str, Any]:
    """The shipped file's ``[regions]`` table, parsed on its own (a dozen lines of ~160)."""
    text = shipped_policy_text()
    start = text.find("\n[regions]\n")
    if start < 0:
        import tomllib

        return dict(tomllib.loads(text).get("regions", {}))
    end = text.find("\n[", start + 1)
    table = text[start:end if end >= 0 else len(text)]
    simple = _simple_regions(table)
    if simple is not None:
        return simple
    import tomllib

    return dict(tomllib.loads(table).get("regions", {}))


def _simple_regions(table: str) -> dict[str, Any] | None:
    """The ``[regions]`` table when every entry is written ``"440300" = { zh = "深圳", en = "Shenzhen" }``
    (as shipped), without importing ``tomllib`` on the app's start path (about 2 ms,
    BENCHMARKS.md); ``None`` when any line is written otherwise: ``tomllib`` reads it then."""
    names: dict[str, Any] = {}
    for raw in table.splitlines()[2:]:  # after the blank start and the ``[regions]`` line
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        code, sep, rest = line.partition('" = { zh = "')
        zh, sep2, rest = rest.partition('", en = "')
        en, sep3, tail = rest.partition('" }')
        if (not (sep and sep2 and sep3) or tail or not code.startswith('"') or not code[1:].isdigit()
                or any(c in zh + en for c in '"\\')):
            return None
        names[code[1:]] = {"zh": zh, "en": en}
    return names
