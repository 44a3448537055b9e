"""A light footer: the active key bindings as one line of clickable text.

Textual's ``Footer`` rebuilds a widget per key whenever the bindings change (four times while
the app starts); this bar is a single widget that only re-renders, which keeps start-up fast.
Descriptions come from the catalogue (Textual's own, such as an open list's "Dismiss menu", are
translated too) and are drawn as plain text (no markup).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import RenderableType
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

from yibao_tui.i18n import t

#: Descriptions of Textual's own bindings that can show in the bar, and their catalogue keys.
TEXTUAL_DESCRIPTIONS = {"Dismiss menu": "key.dismiss_menu"}


class KeyBar(Widget):
    """``f1 帮助  f2 余额 …`` docked at the bottom; click a key to press it."""

    COMPONENT_CLASSES = {"keybar--key", "keybar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
        .keybar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .keybar--description {
            color: $footer-description-foreground;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__(id="keybar")
        #: (first cell, last cell + 1, key) of each key drawn, for clicks.
        self._spans: list[tuple[int, int, str]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        self.refresh()

    def _items(self) -> tuple[list[tuple[str, str, str, str]], tuple[str, str, str] | None]:
        """(key shown, description, key) of each binding to show, and the palette's.

        Left out: hidden and disabled bindings, the F-key of the screen already shown, and what
        the app says does not apply now (``key_hidden``: F9 for a clerk); the app may also give
        a binding's description for now (``key_description``: F6 after revealing)."""
        items: list[tuple[str, str, str, str]] = []
        palette = None
        mode = getattr(self.app, "current_mode", "")
        here = {f"show('{mode}')", "show('balance')" if mode == "_default" else ""}
        hidden = getattr(self.app, "key_hidden", None)
        describe = getattr(self.app, "key_description", None)
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if binding.action in ("command_palette", "app.command_palette"):
                palette = (self.app.get_key_display(binding), binding.description, binding.key)
                continue
            if not binding.show or not binding.description or not active.enabled:
                continue
            if binding.action in here or (callable(hidden) and hidden(binding)):
                continue
            description = binding.description
            if description in TEXTUAL_DESCRIPTIONS:
                description = t(TEXTUAL_DESCRIPTIONS[description])
            if callable(describe):
                description = describe(binding) or description
            items.append((self.app.get_key_display(binding), description, key, binding.id or ""))
        return items, palette

    def render(self) -> RenderableType:
        key_style = self.get_component_rich_style("keybar--key", partial=True)
        text_style = self.get_component_rich_style("keybar--description", partial=True)
        items, palette = self._items()
        if not self.app.ENABLE_COMMAND_PALETTE:
            palette = None
        width = self.size.width or 10_000

        def measure(item: tuple[str, ...], gap: int) -> int:
            return cell_len(item[0]) + cell_len(item[1]) + 2 + gap

        # Whole keys only, never a key cut in half, and the palette's key always: first the
        # gaps narrow, then the last keys go.
        gap = 1
        tail = measure(palette, gap) if palette is not None else 0
        if sum(measure(i, gap) for i in items) + tail > width:
            gap = 0
            tail = measure(palette, gap) if palette is not None else 0
        # what the app keeps to the last (the counter's F9 and F12) goes after the others
        keep: frozenset[str] = getattr(self.app, "KEYBAR_KEEP", frozenset())
        while items and sum(measure(i, gap) for i in items) + tail > width:
            spare = [n for n, i in enumerate(items) if i[3] not in keep]
            items.pop(spare[-1] if spare else -1)
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, str]] = []

        def add(shown: str, description: str, key: str) -> None:
            """`` key description`` and the gap; the span a click on it presses."""
            start = line.cell_len
            line.append(" ")
            line.append(shown, style=key_style)
            line.append(" ")
            line.append(description, style=text_style)
            line.append(" " * gap)
            spans.append((start, line.cell_len, key))

        for shown, description, key, _ in items:
            add(shown, description, key)
        if palette is not None:
            room = width - line.cell_len - tail
            if room > 0 and width < 10_000:
                line.append(" " * room)
            add(*palette)
        self._spans = spans
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(key)
                return
