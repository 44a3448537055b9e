"""A light footer: the active key bindings as one line of clickable text.

Textual's ``Footer`` rebuilds a widget per key whenever the bindings change (four times while
the app starts); this bar is a single widget that only re-renders, which keeps start-up fast.
Descriptions come from the catalogue (Textual's own, such as an open list's "Dismiss menu", are
translated too) and are drawn as plain text (no markup).
"""

from __future__ import annotations

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

    def render(self) -> RenderableType:
        key_style = self.get_component_rich_style("keybar--key", partial=True)
        text_style = self.get_component_rich_style("keybar--description", partial=True)
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        spans: list[tuple[int, int, str]] = []
        palette = None
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if binding.action in ("command_palette", "app.command_palette"):
                palette = binding
                continue
            if not binding.show or not binding.description or not active.enabled:
                continue
            start = line.cell_len
            line.append(" ")
            line.append(self.app.get_key_display(binding), style=key_style)
            line.append(" ")
            description = binding.description
            if description in TEXTUAL_DESCRIPTIONS:
                description = t(TEXTUAL_DESCRIPTIONS[description])
            line.append(description, style=text_style)
            line.append(" ")
            spans.append((start, line.cell_len, key))
        if palette is not None and self.app.ENABLE_COMMAND_PALETTE:
            tail = Text.assemble(
                " ",
                (self.app.get_key_display(palette), key_style),
                " ",
                (palette.description, text_style),
                " ",
            )
            gap = self.size.width - line.cell_len - tail.cell_len
            if gap >= 1:
                line.append(" " * gap)
                spans.append((line.cell_len, line.cell_len + tail.cell_len, palette.key))
                line.append_text(tail)
        self._spans = spans
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(key)
                return
