"""The message catalogue: every key used, one concept under one key, no parameter missing."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from yibao_tui.domain.errors import Msg, YibaoError
from yibao_tui.i18n import catalogue, load_section, t

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


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_take_the_same_parameters() -> None:
    """A ``{name}`` that one language's text uses and the other's does not is a parameter
    missing in one language (``server.arg.too_many_values`` said "too many values" in English)."""
    load_section("cli_help")
    zh, en = catalogue("zh"), catalogue("en")
    differ = {key: (sorted(_placeholders(zh[key])), sorted(_placeholders(en[key])))
              for key in zh if key in en and _placeholders(zh[key]) != _placeholders(en[key])}
    assert differ == {}


def _raised_errors() -> list[tuple[str, int, str, set[str], bool]]:
    """Every ``YibaoError("CODE", name=...)`` in the package: (file, line, code, names, open),
    ``open`` when it passes ``**params`` (the names are then not all known)."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
                    in ("YibaoError", "RemoteError")):
                continue
            if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
                continue
            names = {k.arg for k in node.keywords if k.arg is not None}
            variant = next((k.value.value for k in node.keywords if k.arg == "variant"
                            and isinstance(k.value, ast.Constant)), None)
            code = node.args[0].value + (f"#{variant}" if variant else "")
            found.append((str(path.relative_to(ROOT.parent)), node.lineno, code, names,
                          any(k.arg is None for k in node.keywords)))
    return found


def test_every_raised_error_gives_its_message_every_parameter() -> None:
    """A ``YibaoError`` raised without a parameter its message names would show ``{name}``
    (or nothing) to the user: every raise in the package is checked against both languages."""
    load_section("cli_help")
    missing = []
    for where, line, code, names, is_open in _raised_errors():
        base, _, variant = code.partition("#")
        key = f"error_variant.{base}.{variant}" if variant else f"error.{base}"
        for lang in ("zh", "en"):
            text = catalogue(lang).get(key)
            if text is None or is_open:
                continue
            lacking = _placeholders(text) - names
            if lacking:
                missing.append(f"{where}:{line} {code} ({lang}) lacks {sorted(lacking)}")
    assert missing == []


def test_a_missing_parameter_fails_loudly_in_tests() -> None:
    """The suite runs the catalogue strictly (tests/conftest.py): a message rendered without a
    parameter it names raises, instead of showing ``{until}`` to a user."""
    with pytest.raises(KeyError):
        t("error.CARD_LOCKED")
    with pytest.raises(KeyError):
        YibaoError("RELATION_LIMIT_REACHED", cap=2).message("en")
    assert "2" in YibaoError("RELATION_LIMIT_REACHED", cap=2, relation=Msg("relation.child")).message("en")


def test_a_reason_is_rendered_in_the_language_of_the_call() -> None:
    """The domain raises a reason unrendered; the message renders it in either language,
    whatever the process's language is."""
    from yibao_tui.domain.idnum import parse_id

    with pytest.raises(YibaoError) as e:
        parse_id("12345")
    assert isinstance(e.value.params["reason"], Msg)
    assert "18" in e.value.message("zh") and "位" in e.value.message("zh")
    assert "characters" in e.value.message("en") or "digits" in e.value.message("en")


#: Keys of different surfaces that share a name but not a concept (a screen's own title, its
#: page line, a kiosk's big button that says more than the key bar).
_NOT_THE_SAME = {"title", "page", "quote", "pay", "balance", "withdrawal", "col.time"}


def test_one_concept_has_one_key_across_surfaces() -> None:
    """The laptop (``ui.``), the counter and the kiosk (``mode.``, ``mode.kiosk.``, …) name a
    shared concept with one key: ``ui.payee.heir`` and ``mode.payee.heir`` once said "the heirs"
    and "the heir", ``ui.family.col.since`` and ``mode.kiosk.col.since`` 绑定时间 and 绑定日期."""
    load_section("cli_help")
    by_name: dict[str, list[str]] = {}
    for key in catalogue("zh"):
        m = re.fullmatch(r"(?:ui|mode)\.(?:(?:kiosk|counter|audit)\.)?(.+)", key)
        if m is not None and m.group(1) not in _NOT_THE_SAME:
            by_name.setdefault(m.group(1), []).append(key)
    assert {name: keys for name, keys in by_name.items() if len(keys) > 1} == {}


def test_every_text_named_in_the_code_gets_its_parameters() -> None:
    """``t("key", name=…)`` with a literal key passes every parameter the key's text names in
    either language."""
    load_section("cli_help")
    zh, en = catalogue("zh"), catalogue("en")
    missing = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("t", "Msg") and node.args
                    and isinstance(node.args[0], ast.Constant) and node.args[0].value in zh):
                continue
            if any(k.arg is None for k in node.keywords):
                continue
            key = node.args[0].value
            lacking = (_placeholders(zh[key]) | _placeholders(en[key])) - {k.arg for k in node.keywords}
            if lacking:
                missing.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} {key} lacks {sorted(lacking)}")
    assert missing == []
