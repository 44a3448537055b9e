"""A one-line button: a label to click (or focus and press Enter) that posts ``Pressed``.

The balance screen is the first one painted; Textual's ``Button`` brings some 7,000 characters of
stylesheet to parse and a bordered render per instance, which the pager and the export action
do not need (BENCHMARKS.md). The label is plain text, never markup.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import Static


class LinkButton(Static, can_focus=True):
    """``◀ 上一页``: clickable, focusable, disabled like any widget."""

    DEFAULT_CSS = """
    LinkButton {
        width: auto;
        height: 1;
        padding: 0 1;
        background: $surface;
        color: $foreground;
        text-style: bold;
        pointer: pointer;
        &:hover {
            background: $panel;
        }
        &:focus {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
        &.-primary {
            background: $primary;
            color: $text;
        }
        &:disabled {
            text-opacity: 50%;
            text-style: none;
            pointer: default;
        }
    }
    """
    BINDINGS = [Binding("enter,space", "press", show=False)]

    class Pressed(Message):
        """The link was clicked or pressed."""

        def __init__(self, link: LinkButton) -> None:
            super().__init__()
            self.link = link

        @property
        def control(self) -> LinkButton:
            """The link pressed (for ``@on(LinkButton.Pressed, "#id")``)."""
            return self.link

    def __init__(self, label: str, *, id: str | None = None, primary: bool = False) -> None:
        super().__init__(Content(label), id=id, classes="-primary" if primary else "")

    def press(self) -> None:
        """Post ``Pressed`` (nothing when disabled)."""
        if not self.disabled:
            self.post_message(self.Pressed(self))

    def action_press(self) -> None:
        """Enter or space on the focused link."""
        self.press()

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.press()
