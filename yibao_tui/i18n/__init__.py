"""The message catalogue: 简体中文 by default, English on request.

``t(key, **params)`` looks a key up in the current language and formats it with
``str.format``. Catalogue sections live in ``yibao_tui.i18n.messages.*``; each module defines
``ZH`` and ``EN`` dicts with the same keys (a test checks it). Parameters are plain text: the UI
must render the result without parsing markup.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any

LANGS = ("zh", "en")
_SECTIONS = ("core", "ui", "modes", "server", "cli", "web")
_catalogue: dict[str, dict[str, str]] | None = None
_lang: str = "zh"
#: A text whose parameter is missing raises ``MissingParameter`` instead of showing ``{name}``
#: (the test suite sets ``YIBAO_I18N_STRICT=1``; a user never sees a traceback for it).
_strict: bool = os.environ.get("YIBAO_I18N_STRICT") == "1"


class MissingParameter(KeyError):
    """A catalogue text was rendered without a parameter it names (strict mode only)."""


def normalise_lang(value: str | None) -> str:
    """Map ``zh_CN.UTF-8``, ``zh-CN``, ``en_US`` ... to ``zh`` or ``en`` (default ``zh``)."""
    v = (value or "").strip().lower()
    return "en" if v.startswith("en") else "zh"


def _load() -> dict[str, dict[str, str]]:
    global _catalogue
    if _catalogue is None:
        cat: dict[str, dict[str, str]] = {"zh": {}, "en": {}}
        for name in _SECTIONS:
            try:
                mod = import_module(f"yibao_tui.i18n.messages.{name}")
            except ModuleNotFoundError:
                continue
            cat["zh"].update(mod.ZH)
            cat["en"].update(mod.EN)
        _catalogue = cat
    return _catalogue


def load_section(name: str) -> None:
    """Merge a section that only some commands need (``cli_help``) into the catalogue."""
    cat = _load()
    mod = import_module(f"yibao_tui.i18n.messages.{name}")
    cat["zh"].update(mod.ZH)
    cat["en"].update(mod.EN)


def set_lang(lang: str | None) -> str:
    """Set the current language; returns the normalised code."""
    global _lang
    _lang = normalise_lang(lang)
    return _lang


def get_lang() -> str:
    """The current language code, ``zh`` or ``en``."""
    return _lang


def catalogue(lang: str | None = None) -> dict[str, str]:
    """The whole catalogue of one language."""
    return _load()[normalise_lang(lang) if lang else _lang]


def t(key: str, /, lang: str | None = None, **params: Any) -> str:
    """The text for ``key`` in ``lang`` (or the current language), formatted with ``params``."""
    cat = _load()
    code = normalise_lang(lang) if lang else _lang
    text = cat[code].get(key) or cat["zh"].get(key)
    if text is None:
        return key
    if params or (_strict and "{" in text):
        try:
            return text.format(**params)
        except KeyError as e:
            if _strict:
                raise MissingParameter(f"{key} ({code}) lacks the parameter {e}") from None
            return text
        except (IndexError, ValueError):
            return text
    return text


set_lang(os.environ.get("YIBAO_LANG", "zh"))
