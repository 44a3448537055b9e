"""Small helpers every screen uses: safe text, error reporting, translated key bindings.

User and database text is never parsed as markup: it goes through ``plain()`` (a ``Content``)
or into a ``rich.text.Text``. Errors become notifications in the user's language.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.content import Content
from textual.dom import DOMNode

from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.masking import mask_card, mask_id, mask_name
from yibao_tui.domain.models import Person
from yibao_tui.i18n import get_lang, t

log = logging.getLogger("yibao_tui")


def plain(text: object) -> Content:
    """``text`` as content that is never parsed as markup."""
    return Content(str(text))


def cell(text: object, *, right: bool = False, style: str = "") -> Text:
    """A DataTable cell that shows ``text`` literally."""
    return Text(str(text), style=style, justify="right" if right else "left", no_wrap=True)


_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def mask_ids_in(text: str) -> str:
    """De-identify every ID number inside a message (rule messages name people by ID)."""
    return _ID_IN_TEXT.sub(lambda m: mask_id(m.group(0)), text)


def error_text(err: BaseException, masked: bool = True) -> str:
    """The message for ``err`` in the user's language (generic for non-Yibao errors)."""
    if isinstance(err, YibaoError):
        message = err.message()
        left = err.params.get("left")
        if left is not None and err.code in ("BAD_CREDENTIALS", "BAD_PIN"):
            message += t("mode.tries_left", left=left)
        return mask_ids_in(message) if masked else message
    return t("ui.error.unexpected", kind=type(err).__name__)


def report_error(node: DOMNode, err: BaseException) -> None:
    """Show ``err`` as a notification; never raises, never shows a traceback."""
    if not isinstance(err, YibaoError):
        log.exception("unexpected error in the TUI", exc_info=err)
    try:
        node.app.notify(
            error_text(err, getattr(node.app, "masked", True)),
            title=t("ui.error.title"),
            severity="error",
            markup=False,
            timeout=8,
        )
    except Exception:  # noqa: BLE001 - the app may be shutting down
        pass


def translate_bindings(node: DOMNode) -> None:
    """Replace binding descriptions that are catalogue keys (``key.*``) by their text.

    Bindings are class attributes, fixed at import; the language is chosen per app instance.
    """
    mapping = node._bindings.key_to_bindings
    for key, bindings in list(mapping.items()):
        mapping[key] = [
            dataclasses.replace(
                b,
                description=t(b.description) if b.description.startswith("key.") else b.description,
                tooltip=t(b.tooltip) if b.tooltip.startswith("key.") else b.tooltip,
            )
            for b in bindings
        ]


def show_id(value: str, masked: bool) -> str:
    """An ID number, masked unless the user chose to show it."""
    return mask_id(value) if masked else value


def show_name(value: str, masked: bool) -> str:
    """A name, masked unless the user chose to show it."""
    return mask_name(value) if masked else value


def show_card(value: str | None, masked: bool) -> str:
    """A card number, masked unless the user chose to show it."""
    if not value:
        return ""
    return mask_card(value) if masked else value


def region_label(region: str) -> str:
    """The region's name in the user's language, with its code."""
    from yibao_tui.domain.policy_source import region_name

    name = region_name(region, get_lang())
    return name if name == region else f"{name} {region}"


def person_line(person: Person, masked: bool) -> Text:
    """``张*  110***********002X · 职工医保 · 深圳 440300 · 正常`` as literal text."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(show_name(person.name, masked), style="bold")
    line.append("  ")
    line.append(show_id(person.id, masked))
    parts: list[tuple[str, str]] = [
        (t(f"scheme.{person.scheme}"), ""),
        (region_label(person.region), ""),
        (t(f"status.{person.status}"), "" if person.status == "active" else "bold red"),
    ]
    if person.card:
        parts.append((t("ui.person.card", card=show_card(person.card, masked)), "dim"))
    for text, style in parts:
        line.append(" · ", style="dim")
        line.append(text, style=style)
    return line


def kind_name(kind: str) -> str:
    """A statement kind in the user's language (the code itself if unknown)."""
    name = t(f"kind.{kind}")
    return kind if name == f"kind.{kind}" else name


def relation_name(relation: str) -> str:
    """A relation in the user's language (the code itself if unknown)."""
    name = t(f"relation.{relation}")
    return relation if name == f"relation.{relation}" else name


def verified_name(method: str) -> str:
    """How a binding was verified, in the user's language."""
    name = t(f"verified.{method}")
    return method if name == f"verified.{method}" else name


def short_time(value: Any) -> str:
    """``2026-03-01T09:30:00+08:00`` → ``2026-03-01 09:30`` (anything else unchanged)."""
    s = str(value or "")
    if len(s) >= 16 and s[10] in "T ":
        return f"{s[:10]} {s[11:16]}"
    return s


def column_width(label: str, *samples: str, minimum: int = 0) -> int:
    """A fixed column width that fits the label and the widest sample (terminal cells).

    Fixed widths keep CJK columns aligned and spare the table measuring every page's cells.
    """
    from rich.cells import cell_len

    return max([minimum, cell_len(label), *(cell_len(x) for x in samples)])


def paging_keys() -> list[Binding]:
    """n / p turn a paged list (older, newer), e exports all of it to CSV: the keys of every
    paged list (the statement on F2, the counter's audit log); descriptions are catalogue keys."""
    return [
        Binding("n", "next_page", "key.next_page", id="next_page"),
        Binding("p", "prev_page", "key.prev_page", id="prev_page"),
        Binding("e", "export", "key.export", id="export"),
    ]


def focus_keys() -> list[Binding]:
    """Tab and Shift+Tab as priority bindings: focus moves as the key arrives.

    Textual's own Tab binding runs only after the focused widget has passed the key on, in that
    widget's queue; keys that arrive in the same burst (a badge scanner, a password manager) are
    by then already on their way to the old field: "A001<Tab>secret" typed fast put "A001secret"
    in the first field. A priority binding is handled by the app before the next key is routed.
    """
    return [
        Binding("tab", "app.focus_next", show=False, priority=True, id="focus_next"),
        Binding("shift+tab", "app.focus_previous", show=False, priority=True, id="focus_previous"),
    ]
